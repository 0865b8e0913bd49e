//! The volunteer commands: list and page, edit, dispatch, what happened with an assignment,
//! the at-risk report, the points ledger and redemption, the district's volunteer settings.
//! Each is a few lines over `Desk`; the rules live in core.

use jiayuan_core::desk::volunteers::{
    DispatchQuery, RequestDispatch, VolunteerDetail, VolunteerRefdata,
};
use jiayuan_core::desk::Desk;
use jiayuan_core::volunteers::assignment::{AssignInput, Assignment, Move};
use jiayuan_core::volunteers::availability::Slot;
use jiayuan_core::volunteers::dispatch::Suggestions;
use jiayuan_core::volunteers::points::{Entry, Leader};
use jiayuan_core::volunteers::refdata::{CategoryService, Shop, Skill, VolunteerSettings};
use jiayuan_core::volunteers::report::AtRisk;
use jiayuan_core::volunteers::{Volunteer, VolunteerDraft, VolunteerFilter, VolunteerPatch};

use crate::commands::{blocking, DeskState, Reply};

#[tauri::command(rename_all = "snake_case")]
pub async fn volunteers_list(
    desk: DeskState<'_>,
    filter: VolunteerFilter,
) -> Reply<Vec<Volunteer>> {
    blocking(&desk, move |d| d.volunteers_list(&filter)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn volunteer_detail(desk: DeskState<'_>, id: String) -> Reply<VolunteerDetail> {
    blocking(&desk, move |d| d.volunteer_detail(&id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn volunteer_create(desk: DeskState<'_>, draft: VolunteerDraft) -> Reply<Volunteer> {
    blocking(&desk, move |d| d.volunteer_create(draft)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn volunteer_update(
    desk: DeskState<'_>,
    id: String,
    patch: VolunteerPatch,
) -> Reply<Volunteer> {
    blocking(&desk, move |d| d.volunteer_update(&id, patch)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn dispatch_suggest(desk: DeskState<'_>, query: DispatchQuery) -> Reply<Suggestions> {
    blocking(&desk, move |d| d.dispatch_suggest(&query)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn dispatch_assign(desk: DeskState<'_>, input: AssignInput) -> Reply<Assignment> {
    blocking(&desk, move |d| d.dispatch_assign(input)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn assignment_record(
    desk: DeskState<'_>,
    id: String,
    what: Move,
    note: Option<String>,
) -> Reply<Assignment> {
    blocking(&desk, move |d| d.assignment_record(&id, what, note)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn assignment_confirm(desk: DeskState<'_>, id: String) -> Reply<Assignment> {
    blocking(&desk, move |d| d.assignment_confirm(&id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn request_dispatch(desk: DeskState<'_>, request_id: String) -> Reply<RequestDispatch> {
    blocking(&desk, move |d| d.request_dispatch(&request_id)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn volunteers_at_risk(desk: DeskState<'_>) -> Reply<Vec<AtRisk>> {
    blocking(&desk, |d| d.volunteers_at_risk()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn assignments_open(desk: DeskState<'_>) -> Reply<Vec<Assignment>> {
    blocking(&desk, |d| d.assignments_open()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn points_redeem(
    desk: DeskState<'_>,
    volunteer_id: String,
    shop_id: String,
    amount: u32,
    note: String,
) -> Reply<Entry> {
    blocking(&desk, move |d| d.points_redeem(&volunteer_id, &shop_id, amount, &note)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn points_correct(
    desk: DeskState<'_>,
    volunteer_id: String,
    amount: i64,
    reason: String,
) -> Reply<Entry> {
    blocking(&desk, move |d| d.points_correct(&volunteer_id, amount, &reason)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn points_ledger(desk: DeskState<'_>, volunteer_id: Option<String>) -> Reply<Vec<Entry>> {
    blocking(&desk, move |d| d.points_ledger(volunteer_id.as_deref())).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn points_leaderboard(desk: DeskState<'_>, days: u32, top: u32) -> Reply<Vec<Leader>> {
    blocking(&desk, move |d| d.points_leaderboard(days, top)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn volunteer_refdata(desk: DeskState<'_>) -> Reply<VolunteerRefdata> {
    blocking(&desk, |d| d.volunteer_refdata()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn skill_set(desk: DeskState<'_>, skill: Skill) -> Reply<()> {
    blocking(&desk, move |d| d.skill_set(skill)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn shop_set(desk: DeskState<'_>, shop: Shop) -> Reply<Shop> {
    blocking(&desk, move |d| d.shop_set(shop)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn category_service_set(desk: DeskState<'_>, service: CategoryService) -> Reply<()> {
    blocking(&desk, move |d| d.category_service_set(service)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn volunteer_settings_set(desk: DeskState<'_>, settings: VolunteerSettings) -> Reply<()> {
    blocking(&desk, move |d| d.volunteer_settings_set(settings)).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn availability_parse(text: String) -> Reply<Vec<Slot>> {
    Desk::availability_parse(&text).map_err(Into::into)
}
