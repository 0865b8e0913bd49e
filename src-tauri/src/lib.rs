//! The desktop shell: a Tauri 2 window over [`jiayuan_core::desk::Desk`]. It only wires: the
//! managed state (the desk handle, which synchronises itself), the commands (`commands.rs`,
//! each a few lines over core), native file dialogs (`dialogs.rs`), one instance per data
//! folder (`instance.rs`), logs (`logging.rs`) and the window (`window.rs`). No SQL and no
//! domain rule lives here.

mod commands;
mod dialogs;
mod instance;
mod logging;
mod sync;
mod volunteer_import;
mod volunteers;
mod window;
mod work;

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use jiayuan_core::desk::{ApiError, Desk};
use jiayuan_core::store::default_data_dir;
use jiayuan_core::SystemClock;
use tauri::Manager;

/// What the shell knows from its start, beside the desk: reached by `app_info` and
/// `first_paint`.
pub struct Boot {
    /// When `main` began, for the first-paint figure.
    started: Instant,
    /// Why the store used last could not be opened; `app_info` shows it until a store opens.
    open_error: Option<ApiError>,
    /// Milliseconds from start to the UI's first painted frame, recorded once.
    first_paint: OnceLock<f64>,
}

/// Starts the app on the data folder (`JIAYUAN_DATA_DIR` or the per-user folder). A second
/// launch on the same folder hands over to the first window and exits.
pub fn run() {
    let started = Instant::now();
    let data_dir = default_data_dir();
    logging::init(&data_dir);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "starting");

    let mut context = tauri::generate_context!();
    let key = instance::Key::for_folder(&data_dir);
    key.apply(&mut context);

    let result = tauri::Builder::default()
        // First, so a second instance exits before anything else starts.
        .plugin(key.plugin(|app| {
            tracing::info!("a second launch on this data folder: focusing the window");
            if let Some(w) = app.get_webview_window(window::MAIN) {
                let _ = w.unminimize();
                let _ = w.show();
                let _ = w.set_focus();
            }
        }))
        .plugin(window::state_plugin(&data_dir))
        .plugin(tauri_plugin_notification::init())
        .setup(move |app| {
            let desk = Arc::new(Desk::new(data_dir.clone(), Arc::new(SystemClock)));
            // Where no keychain keeps the key, a passphrase in the environment unlocks (kiosks,
            // tests); otherwise the window asks for it.
            let given = std::env::var(jiayuan_core::store::keying::PASSPHRASE_ENV)
                .ok()
                .filter(|p| !p.is_empty())
                .map(zeroize::Zeroizing::new);
            if let Some(p) = given {
                if let Err(e) = desk.give_passphrase(&p) {
                    tracing::warn!(
                        code = e.code(),
                        "the passphrase in the environment was not taken"
                    );
                }
            }
            let open_error = match desk.open_last() {
                Ok(info) => {
                    tracing::info!(kind = ?info.kind, residents = info.residents, "store open");
                    None
                }
                Err(e) => {
                    tracing::error!(code = e.code(), "the store could not be opened");
                    Some(ApiError::from(e))
                }
            };
            work::watch_escalations(app.handle().clone(), Arc::clone(&desk));
            let sync_loop = Arc::new(sync::SyncLoop::default());
            sync::start(app.handle().clone(), Arc::clone(&desk), Arc::clone(&sync_loop));
            app.manage(sync_loop);
            app.manage(desk);
            app.manage(Boot { started, open_error, first_paint: OnceLock::new() });
            window::open(app, &data_dir)?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            sync::sync_status,
            sync::sync_login,
            sync::access_report,
            sync::sync_logout,
            sync::sync_now,
            sync::sync_conflicts,
            sync::sync_reapply,
            sync::sync_dismiss,
            commands::app_info,
            commands::open_store,
            commands::store_unlock,
            commands::lock_state,
            commands::lock_now,
            commands::lock_open,
            commands::lock_idle_set,
            commands::residents_page,
            commands::resident_facets,
            commands::resident_detail,
            commands::resident_reveal,
            commands::resident_update,
            commands::print_list,
            commands::residents_export,
            commands::import_preview,
            commands::import_run,
            commands::import_cancel,
            commands::import_history,
            commands::import_undo,
            commands::mappings_list,
            commands::mapping_save,
            commands::rejected_export,
            commands::template_save,
            commands::backup_save,
            commands::restore_state,
            commands::restore_from,
            commands::pick_file,
            commands::first_paint,
            work::requests_queue,
            work::request_detail,
            work::request_categories,
            work::request_preview,
            work::request_create,
            work::request_step,
            work::request_priority,
            work::request_merge,
            work::areas,
            work::checkins_generate,
            work::district_mode,
            work::district_mode_set,
            work::retention,
            work::retention_set,
            work::requests_report,
            volunteers::volunteers_list,
            volunteers::volunteer_detail,
            volunteers::volunteer_create,
            volunteers::volunteer_update,
            volunteers::dispatch_suggest,
            volunteers::dispatch_assign,
            volunteers::assignment_record,
            volunteers::assignment_confirm,
            volunteers::request_dispatch,
            volunteers::volunteers_at_risk,
            volunteers::assignments_open,
            volunteers::points_redeem,
            volunteers::points_correct,
            volunteers::points_ledger,
            volunteers::points_leaderboard,
            volunteers::volunteer_refdata,
            volunteers::skill_set,
            volunteers::shop_set,
            volunteers::category_service_set,
            volunteers::volunteer_settings_set,
            volunteers::availability_parse,
            volunteer_import::volunteer_import_preview,
            volunteer_import::volunteer_import_run,
            volunteer_import::volunteer_mappings_list,
            volunteer_import::volunteer_mapping_save,
        ])
        .run(context);
    if let Err(e) = result {
        tracing::error!(error = %e, "the window could not start");
        eprintln!("Jiayuan Desk could not start: {e}");
        std::process::exit(1);
    }
}
