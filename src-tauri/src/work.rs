//! The request commands (the queue, intake, steps, priority, merge, the district's mode) and
//! the escalation watcher that turns crossed thresholds into desktop notifications. Each
//! command is a few lines over `Desk`; the rules live in core.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use jiayuan_core::desk::work::{AreaOption, BulkOutcome, PreviewRequest, QueuePage, TriagePreview};
use jiayuan_core::desk::Desk;
use jiayuan_core::requests::checkins::CheckinReport;
use jiayuan_core::requests::commands::Outcome;
use jiayuan_core::requests::queue::QueueFilter;
use jiayuan_core::requests::read::RequestDetail;
use jiayuan_core::requests::refdata::Category;
use jiayuan_core::requests::retention::{Retention, TallyLine};
use jiayuan_core::requests::{NewRequest, Priority, Step};
use jiayuan_core::sla::{Escalation, Mode};
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

use crate::commands::{blocking, DeskState, Reply};

#[tauri::command(rename_all = "snake_case")]
pub async fn requests_queue(
    desk: DeskState<'_>,
    filter: QueueFilter,
    offset: u32,
    limit: u32,
) -> Reply<QueuePage> {
    blocking(&desk, move |d| d.requests_queue(&filter, offset, limit)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn request_detail(desk: DeskState<'_>, id: String) -> Reply<RequestDetail> {
    blocking(&desk, move |d| d.request_detail(&id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn request_categories(desk: DeskState<'_>) -> Reply<Vec<Category>> {
    blocking(&desk, |d| d.request_categories()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn request_preview(desk: DeskState<'_>, preview: PreviewRequest) -> Reply<TriagePreview> {
    blocking(&desk, move |d| d.request_preview(&preview)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn request_create(desk: DeskState<'_>, request: NewRequest) -> Reply<Outcome> {
    blocking(&desk, move |d| d.request_create(request)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn request_step(desk: DeskState<'_>, ids: Vec<String>, step: Step) -> Reply<BulkOutcome> {
    blocking(&desk, move |d| d.request_step_many(&ids, &step)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn request_priority(
    desk: DeskState<'_>,
    id: String,
    priority: Priority,
    reason: String,
) -> Reply<Outcome> {
    blocking(&desk, move |d| d.request_priority(&id, priority, &reason)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn request_merge(desk: DeskState<'_>, duplicate: String, keep: String) -> Reply<Outcome> {
    blocking(&desk, move |d| d.request_merge(&duplicate, &keep)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn areas(desk: DeskState<'_>) -> Reply<Vec<AreaOption>> {
    blocking(&desk, |d| d.areas()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn checkins_generate(desk: DeskState<'_>) -> Reply<CheckinReport> {
    blocking(&desk, |d| d.checkins_generate()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn district_mode(desk: DeskState<'_>) -> Reply<Mode> {
    blocking(&desk, |d| d.district_mode()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn district_mode_set(desk: DeskState<'_>, mode: Mode) -> Reply<usize> {
    blocking(&desk, move |d| d.district_mode_set(mode)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn retention(desk: DeskState<'_>) -> Reply<Retention> {
    blocking(&desk, |d| d.retention()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn retention_set(desk: DeskState<'_>, rule: Retention) -> Reply<Retention> {
    blocking(&desk, move |d| d.retention_set(rule)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn requests_report(desk: DeskState<'_>) -> Reply<Vec<TallyLine>> {
    blocking(&desk, |d| d.requests_report()).await
}

/// Every minute, asks the desk which requests crossed an escalation threshold and notifies
/// each (request, level) once per run of the app, and makes the day's welfare check-ins when
/// some are due.
pub fn watch_escalations(app: AppHandle, desk: Arc<Desk>) {
    tauri::async_runtime::spawn(async move {
        let mut told: HashSet<(String, Escalation)> = HashSet::new();
        loop {
            let d = Arc::clone(&desk);
            let alerts = tauri::async_runtime::spawn_blocking(move || d.alerts()).await;
            if let Ok(Ok(alerts)) = alerts {
                let fresh: Vec<_> = alerts
                    .into_iter()
                    .filter(|a| told.insert((a.id.clone(), a.escalation)))
                    .collect();
                if let Some(worst) = fresh.first() {
                    let title = match worst.escalation {
                        Escalation::Street => "已超时一倍，上报街道 · Overdue ×2: street office",
                        Escalation::Community => "已超时 50%，上报社区 · Overdue 50%: community",
                        Escalation::GridLead => "已超时，通知网格长 · Overdue: grid lead",
                        _ => "即将超时 · Deadline close",
                    };
                    // A locked screen shows how many, never what a request says.
                    let body = if desk.is_locked() {
                        format!("{} 件 · {} request(s)", fresh.len(), fresh.len())
                    } else if fresh.len() == 1 {
                        worst.description.clone()
                    } else {
                        format!(
                            "{} 等 {} 件 · and {} more",
                            worst.description,
                            fresh.len(),
                            fresh.len() - 1
                        )
                    };
                    if let Err(e) = app.notification().builder().title(title).body(body).show() {
                        tracing::warn!(error = %e, "could not show a notification");
                    }
                }
            }
            // A new day (or a new rule, or lockdown declared) makes its check-ins by itself.
            let d = Arc::clone(&desk);
            if let Ok(Ok(Some(r))) =
                tauri::async_runtime::spawn_blocking(move || d.checkins_due()).await
            {
                tracing::info!(created = r.created, "welfare check-ins made");
                let _ = app
                    .notification()
                    .builder()
                    .title("今日探访已生成 · Today's check-ins")
                    .body(format!("{} 件 · {} made", r.created, r.created))
                    .show();
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    });
}
