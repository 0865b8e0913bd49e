//! Sync in the shell: the commands (log in and out, sync now, the conflicts page) and the
//! background task that syncs by itself: every half minute while the server answers, backing
//! off to five minutes while it does not, at once when woken (a login, "sync now", a network
//! that came back). It tells the window each attempt's outcome (`sync-status`) and a first
//! sync's progress (`sync-progress`). The protocol lives in core; HTTP in jiayuan-net.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use jiayuan_core::desk::{ApiError, Desk};
use jiayuan_core::sync::access::AccessReport;
use jiayuan_core::sync::client::{SyncProgress, SyncReport};
use jiayuan_core::sync::view::{Conflicts, SyncStatus};
use jiayuan_net::{HttpClient, TrustedCa};
use tauri::{AppHandle, Emitter, State};
use tokio::sync::{Mutex, Notify};

use crate::commands::{blocking, internal, DeskState, Reply};

/// Wakes the loop early, and keeps two syncs of one store from running at once.
#[derive(Default)]
pub struct SyncLoop {
    wake: Notify,
    one_at_a_time: Mutex<()>,
}

pub type LoopState<'a> = State<'a, Arc<SyncLoop>>;

const EVERY: Duration = Duration::from_secs(30);
const FIRST_RETRY: Duration = Duration::from_secs(5);
const LONGEST_WAIT: Duration = Duration::from_secs(60);

/// The server's client, also trusting the district's own CA (or the server's self-signed
/// certificate) when `JIAYUAN_CA_CERT` names its file. Read once: the environment of a running
/// app does not change.
fn http(url: String) -> Result<HttpClient, ApiError> {
    static CA: OnceLock<Result<Option<TrustedCa>, String>> = OnceLock::new();
    match CA.get_or_init(|| TrustedCa::from_env().map_err(|e| e.to_string())) {
        Ok(ca) => Ok(HttpClient::with_ca(url, ca.as_ref())),
        Err(message) => Err(ApiError::new("ca_cert", message.clone())),
    }
}

/// What this laptop is called on the server's device list.
fn device_name() -> String {
    let host = std::env::var("COMPUTERNAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty());
    host.unwrap_or_else(|| "Jiayuan Desk".to_owned())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_status(desk: DeskState<'_>) -> Reply<SyncStatus> {
    blocking(&desk, |d| d.sync_status()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_login(
    desk: DeskState<'_>,
    sync: LoopState<'_>,
    server_url: String,
    username: String,
    password: String,
) -> Reply<SyncStatus> {
    let url = server_url.trim().trim_end_matches('/').to_owned();
    let net = http(url.clone())?;
    let status =
        blocking(&desk, move |d| d.sync_login(&net, &url, &username, &password, &device_name()))
            .await?;
    sync.wake.notify_one();
    Ok(status)
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_logout(desk: DeskState<'_>) -> Reply<SyncStatus> {
    blocking(&desk, |d| d.sync_logout()).await
}

/// Syncs now and answers when done (the loop's own attempts wait their turn).
#[tauri::command(rename_all = "snake_case")]
pub async fn sync_now(
    app: AppHandle,
    desk: DeskState<'_>,
    sync: LoopState<'_>,
) -> Reply<SyncReport> {
    let _turn = sync.one_at_a_time.lock().await;
    let report = run_once(&app, Arc::clone(&desk)).await;
    emit_status(&app, Arc::clone(&desk)).await;
    report
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_conflicts(desk: DeskState<'_>) -> Reply<Conflicts> {
    blocking(&desk, |d| d.sync_conflicts()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_reapply(
    desk: DeskState<'_>,
    sync: LoopState<'_>,
    id: String,
) -> Reply<Conflicts> {
    let out = blocking(&desk, move |d| d.sync_reapply(&id)).await?;
    sync.wake.notify_one();
    Ok(out)
}

/// Who revealed or exported residents' data, per place: read from the server, which holds
/// every computer's record.
#[tauri::command(rename_all = "snake_case")]
pub async fn access_report(desk: DeskState<'_>, from_ms: i64, to_ms: i64) -> Reply<AccessReport> {
    let url = blocking(&desk, |d| d.sync_server()).await?.ok_or_else(|| {
        ApiError::from(jiayuan_core::CoreError::NotAllowed(
            "the report is kept on the district's server: log in to it first".into(),
        ))
    })?;
    let net = http(url)?;
    blocking(&desk, move |d| d.access_report(&net, from_ms, to_ms)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn sync_dismiss(desk: DeskState<'_>, id: String) -> Reply<Conflicts> {
    blocking(&desk, move |d| d.sync_dismiss(&id)).await
}

async fn run_once(app: &AppHandle, desk: Arc<Desk>) -> Reply<SyncReport> {
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let Some(url) = desk.sync_server()? else {
            return Err(ApiError::from(jiayuan_core::CoreError::NotAllowed(
                "log in to the server first; until then work stays on this computer".into(),
            )));
        };
        let net = http(url)?;
        Ok(desk.sync_now(&net, &mut |p: SyncProgress| {
            let _ = app.emit("sync-progress", p);
        })?)
    })
    .await
    .map_err(internal)?
}

async fn emit_status(app: &AppHandle, desk: Arc<Desk>) {
    if let Ok(Ok(status)) = tauri::async_runtime::spawn_blocking(move || desk.sync_status()).await {
        let _ = app.emit("sync-status", status);
    }
}

/// The loop: sync, tell the window, wait (longer after each failure), repeat.
pub fn start(app: AppHandle, desk: Arc<Desk>, sync: Arc<SyncLoop>) {
    tauri::async_runtime::spawn(async move {
        let mut wait = Duration::from_secs(2);
        let mut failures = 0u32;
        loop {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = sync.wake.notified() => {}
            }
            let logged_in = {
                let d = Arc::clone(&desk);
                matches!(
                    tauri::async_runtime::spawn_blocking(move || d.sync_server()).await,
                    Ok(Ok(Some(_)))
                )
            };
            if !logged_in {
                wait = EVERY;
                continue;
            }
            let outcome = {
                let _turn = sync.one_at_a_time.lock().await;
                run_once(&app, Arc::clone(&desk)).await
            };
            wait = match &outcome {
                Ok(r) => {
                    failures = 0;
                    tracing::info!(
                        pushed = r.pushed,
                        rejected = r.rejected,
                        pulled = r.pulled,
                        "synced"
                    );
                    EVERY
                }
                Err(e) if e.code == "wiped" => {
                    // The page holds what it showed of the wiped store: it starts again.
                    let _ = app.emit("store-wiped", e.message.clone());
                    EVERY
                }
                Err(e) => {
                    // 5, 10, 20, 40 s, then every minute: a network that comes back is noticed
                    // within a minute, and a server that is down is not hammered.
                    failures += 1;
                    if e.code != "offline" {
                        tracing::warn!(code = %e.code, "sync failed");
                    }
                    (FIRST_RETRY * 2u32.pow(failures.min(5) - 1)).min(LONGEST_WAIT)
                }
            };
            emit_status(&app, Arc::clone(&desk)).await;
        }
    });
}
