//! The IPC commands. Each takes the desk, runs one core call on the blocking pool (every core
//! call touches SQLite, and an import runs for seconds) and hands back its result or an
//! [`ApiError`] `{code, message}`. Argument keys are snake_case, as the generated TypeScript
//! types spell them (`ui/src/lib/backend/index.ts` is the other side).

use std::path::PathBuf;
use std::sync::Arc;

use jiayuan_core::desk::*;
use jiayuan_core::import::{BatchSummary, ImportReport, UndoReport};
use tauri::ipc::Channel;
use tauri::State;

use crate::Boot;

pub(crate) type Reply<T> = Result<T, ApiError>;
pub(crate) type DeskState<'a> = State<'a, Arc<Desk>>;

pub(crate) fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new("internal", e.to_string())
}

/// Runs a core call on the blocking pool, so the window never waits on SQLite. While the app
/// is locked every call but the lock's own is refused: the lock is the backend's, not a
/// curtain drawn by the page.
pub(crate) async fn blocking<T: Send + 'static>(
    desk: &DeskState<'_>,
    f: impl FnOnce(&Desk) -> jiayuan_core::Result<T> + Send + 'static,
) -> Reply<T> {
    if desk.is_locked() {
        return Err(ApiError::from(jiayuan_core::CoreError::Locked));
    }
    even_locked(desk, f).await
}

/// The same for the calls the lock screen itself makes.
pub(crate) async fn even_locked<T: Send + 'static>(
    desk: &DeskState<'_>,
    f: impl FnOnce(&Desk) -> jiayuan_core::Result<T> + Send + 'static,
) -> Reply<T> {
    let desk = Arc::clone(desk);
    tauri::async_runtime::spawn_blocking(move || f(&desk))
        .await
        .map_err(internal)?
        .map_err(ApiError::from)
}

/// The open store; while none is open, why the one used last could not be.
#[tauri::command(rename_all = "snake_case")]
pub async fn app_info(desk: DeskState<'_>, boot: State<'_, Boot>) -> Reply<StoreInfo> {
    let info = blocking(&desk, |d| d.info()).await;
    match (&boot.open_error, info) {
        (Some(first), Err(_)) => Err(first.clone()),
        (_, info) => info,
    }
}

/// The passphrase of a computer with no keychain: checked (or set, the first time), then the
/// store used last is opened.
#[tauri::command(rename_all = "snake_case")]
pub async fn store_unlock(desk: DeskState<'_>, passphrase: String) -> Reply<StoreInfo> {
    let passphrase = zeroize::Zeroizing::new(passphrase);
    blocking(&desk, move |d| d.unlock(&passphrase)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn lock_state(desk: DeskState<'_>) -> Reply<jiayuan_core::desk::lock::LockState> {
    even_locked(&desk, |d| d.lock_state()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn lock_now(desk: DeskState<'_>) -> Reply<jiayuan_core::desk::lock::LockState> {
    even_locked(&desk, |d| d.lock_now()).await
}

/// Opens the app lock with the official's password.
#[tauri::command(rename_all = "snake_case")]
pub async fn lock_open(
    desk: DeskState<'_>,
    password: String,
) -> Reply<jiayuan_core::desk::lock::LockState> {
    let password = zeroize::Zeroizing::new(password);
    even_locked(&desk, move |d| d.lock_open(&password)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn lock_idle_set(
    desk: DeskState<'_>,
    minutes: u32,
) -> Reply<jiayuan_core::desk::lock::LockState> {
    blocking(&desk, move |d| d.set_lock_idle(minutes)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn open_store(desk: DeskState<'_>, kind: StoreKind) -> Reply<StoreInfo> {
    blocking(&desk, move |d| d.open_store(kind)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn residents_page(desk: DeskState<'_>, query: ResidentQuery) -> Reply<ResidentPage> {
    blocking(&desk, move |d| d.residents_page(&query)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn resident_facets(desk: DeskState<'_>) -> Reply<Facets> {
    blocking(&desk, |d| d.resident_facets()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn resident_detail(desk: DeskState<'_>, id: String) -> Reply<ResidentDetail> {
    blocking(&desk, move |d| d.resident_detail(&id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn resident_reveal(desk: DeskState<'_>, id: String, field: RevealField) -> Reply<String> {
    blocking(&desk, move |d| d.resident_reveal(&id, field)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn resident_update(
    desk: DeskState<'_>,
    id: String,
    edit: ResidentEdit,
) -> Reply<ResidentDetail> {
    blocking(&desk, move |d| d.resident_update(&id, edit)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn print_list(
    desk: DeskState<'_>,
    query: ResidentQuery,
    kind: PrintKind,
) -> Reply<PrintList> {
    blocking(&desk, move |d| d.print_list(&query, kind)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn residents_export(
    desk: DeskState<'_>,
    query: ResidentQuery,
    path: PathBuf,
) -> Reply<u64> {
    blocking(&desk, move |d| d.residents_export(&query, &path)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn import_preview(desk: DeskState<'_>, path: PathBuf) -> Reply<ImportPreview> {
    blocking(&desk, move |d| d.import_preview(&path)).await
}

/// A dry run or the import, its progress streamed over `on_event`.
#[tauri::command(rename_all = "snake_case")]
pub async fn import_run(
    desk: DeskState<'_>,
    request: ImportRequest,
    on_event: Channel<ImportEvent>,
) -> Reply<ImportReport> {
    blocking(&desk, move |d| {
        // A closed window stops listening; the import still finishes or rolls back whole.
        d.import_run(&request, &mut |e| drop(on_event.send(e)))
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn import_cancel(desk: DeskState<'_>) -> Reply<bool> {
    Ok(desk.import_cancel())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn import_history(desk: DeskState<'_>) -> Reply<Vec<BatchSummary>> {
    blocking(&desk, |d| d.import_history()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn import_undo(desk: DeskState<'_>, batch_id: String) -> Reply<UndoReport> {
    blocking(&desk, move |d| d.import_undo(&batch_id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn mappings_list(desk: DeskState<'_>) -> Reply<Vec<SavedMapping>> {
    blocking(&desk, |d| d.mappings()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn mapping_save(desk: DeskState<'_>, mapping: SavedMapping) -> Reply<Vec<SavedMapping>> {
    blocking(&desk, move |d| d.save_mapping(mapping)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn rejected_export(
    desk: DeskState<'_>,
    source: PathBuf,
    report: ImportReport,
    path: PathBuf,
) -> Reply<u64> {
    blocking(&desk, move |d| d.rejected_export(&source, &report, &path)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn template_save(desk: DeskState<'_>, path: PathBuf) -> Reply<()> {
    blocking(&desk, move |_| Desk::template_save(&path)).await
}

/// A backup of this computer's store, under a passphrase of its own.
#[tauri::command(rename_all = "snake_case")]
pub async fn backup_save(
    desk: DeskState<'_>,
    path: PathBuf,
    passphrase: String,
) -> Reply<BackupSummary> {
    let passphrase = zeroize::Zeroizing::new(passphrase);
    blocking(&desk, move |d| d.backup_save(&path, &passphrase)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn restore_state(desk: DeskState<'_>) -> Reply<RestoreState> {
    blocking(&desk, |d| d.restore_state()).await
}

/// Restores a backup as this computer's store and opens it (no login: sign in again).
#[tauri::command(rename_all = "snake_case")]
pub async fn restore_from(
    desk: DeskState<'_>,
    path: PathBuf,
    passphrase: String,
) -> Reply<RestoreSummary> {
    let passphrase = zeroize::Zeroizing::new(passphrase);
    blocking(&desk, move |d| d.restore_from(&path, &passphrase)).await
}

/// A native open or save dialog; `None` when the official cancels it.
#[tauri::command(rename_all = "snake_case")]
pub async fn pick_file(app: tauri::AppHandle, purpose: FilePurpose) -> Reply<Option<String>> {
    crate::dialogs::pick(&app, purpose).await
}

/// The UI calls this once its first frame is painted: the cold-start figure (`cargo xtask
/// bench app` reads the line printed under `JIAYUAN_BENCH_FIRST_PAINT`).
#[tauri::command(rename_all = "snake_case")]
pub async fn first_paint(boot: State<'_, Boot>) -> Reply<()> {
    let ms = boot.started.elapsed().as_secs_f64() * 1000.0;
    if boot.first_paint.set(ms).is_ok() {
        tracing::info!(ms = format_args!("{ms:.0}"), "first paint");
        if std::env::var_os("JIAYUAN_BENCH_FIRST_PAINT").is_some() {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "first_paint_ms={ms:.0}");
            let _ = out.flush();
        }
    }
    Ok(())
}
