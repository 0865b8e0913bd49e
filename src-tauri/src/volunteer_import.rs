//! The import wizard's volunteer roster commands: preview, a dry run or the import with its
//! progress streamed (`import_cancel` stops it, as for resident rosters), and saved volunteer
//! mappings. Each is a few lines over `Desk`; the rules live in core.

use std::path::PathBuf;

use jiayuan_core::desk::{ImportEvent, ImportPreview, ImportRequest, SavedMapping};
use jiayuan_core::import::VolunteerImportReport;
use tauri::ipc::Channel;

use crate::commands::{blocking, DeskState, Reply};

#[tauri::command(rename_all = "snake_case")]
pub async fn volunteer_import_preview(desk: DeskState<'_>, path: PathBuf) -> Reply<ImportPreview> {
    blocking(&desk, move |d| d.volunteer_import_preview(&path)).await
}

/// A dry run or the import, its progress streamed over `on_event`.
#[tauri::command(rename_all = "snake_case")]
pub async fn volunteer_import_run(
    desk: DeskState<'_>,
    request: ImportRequest,
    on_event: Channel<ImportEvent>,
) -> Reply<VolunteerImportReport> {
    blocking(&desk, move |d| {
        // A closed window stops listening; the import still finishes or rolls back whole.
        d.volunteer_import_run(&request, &mut |e| drop(on_event.send(e)))
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn volunteer_mappings_list(desk: DeskState<'_>) -> Reply<Vec<SavedMapping>> {
    blocking(&desk, |d| d.volunteer_mappings()).await
}

#[tauri::command(rename_all = "snake_case")]
pub async fn volunteer_mapping_save(
    desk: DeskState<'_>,
    mapping: SavedMapping,
) -> Reply<Vec<SavedMapping>> {
    blocking(&desk, move |d| d.volunteer_mapping_save(mapping)).await
}
