//! What crosses the boundary between the desktop shell and the UI. TypeScript types are
//! generated from these (ts-rs) into `ui/src/lib/backend/bindings/`; the `bindings` test fails
//! when the committed files drift from the Rust. Fields stay snake_case, as the import
//! report's JSON already is (`../shared/spec/import.md`), so one spelling holds everywhere.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An error as the UI receives it: a stable code to branch on, a message for the official
/// (English where a rule refused: the UI words `refusal` in the official's language).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub refusal: Option<crate::Refusal>,
}

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError { code: code.into(), message: message.into(), refusal: None }
    }
}

impl From<crate::CoreError> for ApiError {
    fn from(e: crate::CoreError) -> Self {
        let refusal = match &e {
            crate::CoreError::Refused(r) => Some(r.clone()),
            _ => None,
        };
        ApiError { code: e.code().to_owned(), message: e.to_string(), refusal }
    }
}

/// Which of the two stores on this computer is open. The demo store never syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    Main,
    Demo,
}

/// The open store as the frame shows it (title, status bar, demo banner).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StoreInfo {
    pub kind: StoreKind,
    pub path: String,
    /// The district's name, empty until a roster or the demo names one.
    pub district: String,
    pub is_demo: bool,
    #[ts(type = "number")]
    pub residents: u64,
    /// Operations recorded here and not yet sent to a server (the demo never sends any).
    #[ts(type = "number")]
    pub outbox: u64,
    /// True when the main store holds no resident and no import yet: the app offers the demo.
    pub first_start: bool,
    pub demo_exists: bool,
    pub version: String,
}

/// What the residents table asks for: a window of rows under a search and filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ResidentQuery {
    /// Search text (name, address, phone digits, whole identity number); empty lists everyone.
    pub text: String,
    pub community: Option<String>,
    pub grid: Option<String>,
    /// A tag key (`elderly_alone`) or label.
    pub tag: Option<String>,
    pub offset: u32,
    pub limit: u32,
}

/// One line of the residents table. Identity number and phone are masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ResidentRow {
    pub id: String,
    pub name: String,
    /// `M` or `F`.
    pub sex: Option<String>,
    pub age: Option<u32>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
    /// Building, unit and room as one line (3栋2单元301), or the free address.
    pub address: String,
    /// Tag keys.
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ResidentPage {
    /// Rows the query selects in all (for a search: the hits found, at most the search cap).
    #[ts(type = "number")]
    pub total: u64,
    pub offset: u32,
    pub rows: Vec<ResidentRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CommunityFacet {
    pub name: String,
    pub grids: Vec<String>,
    /// Living residents in the community (its grids included).
    #[ts(type = "number")]
    pub residents: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TagFacet {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub vulnerability: bool,
    #[ts(type = "number")]
    pub residents: u64,
}

/// What the filters offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Facets {
    pub communities: Vec<CommunityFacet>,
    pub tags: Vec<TagFacet>,
}

/// One resident in the detail panel, identity number and phone masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ResidentView {
    pub id: String,
    pub name: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub age: Option<u32>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub street: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    /// Columns of the roster kept as they were named (民族, 工作单位…).
    pub attributes: Vec<(String, String)>,
    pub batch_id: Option<String>,
}

/// One line of a person's history, from the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HistoryLine {
    /// RFC 3339, UTC.
    pub at: String,
    pub actor: String,
    /// `import.create`, `import.update`, `resident.update`, `resident.reveal`, `import.undo`…
    pub action: String,
    /// Field → [before, after], identity numbers and phones masked.
    pub changes: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ResidentDetail {
    pub resident: ResidentView,
    pub history: Vec<HistoryLine>,
}

/// A field that is masked until the official asks to see it; each reveal is audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RevealField {
    IdNumber,
    Phone,
}

/// An edit from the detail panel. A field left `null` is unchanged; an empty string clears it.
/// Tags are the full new list of keys or labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ResidentEdit {
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// The two printed lists: a call list (phones in full, to ring) and a door-to-door list
/// (by building, unit and room).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PrintKind {
    Calls,
    Doors,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PrintRow {
    pub name: String,
    pub sex: Option<String>,
    pub age: Option<u32>,
    /// In full: a printed call list is for ringing people. Printing is audited like an export.
    pub phone: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
    pub address: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PrintList {
    pub kind: PrintKind,
    pub district: String,
    pub community: Option<String>,
    pub grid: Option<String>,
    pub tag: Option<String>,
    /// RFC 3339, UTC.
    pub generated_at: String,
    pub rows: Vec<PrintRow>,
    /// True when the list stopped at its cap; narrow the filter to print everyone.
    pub truncated: bool,
}

/// A roster file as the wizard first shows it: its sheets, each with the detected columns and
/// the first rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportPreview {
    pub path: String,
    pub file: String,
    pub format: String,
    pub encoding: Option<String>,
    pub sheets: Vec<SheetPreview>,
    /// The fields a column can map to, in the order the wizard lists them.
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SheetPreview {
    pub name: String,
    /// The header's row number, or none when no row among the first 10 names 3 known fields.
    pub header_row: Option<u32>,
    pub columns: Vec<ColumnPreview>,
    /// The first data rows below the header (or the first rows when no header was found),
    /// cell texts as they will be read, one entry per column.
    pub rows: Vec<PreviewRow>,
    #[ts(type = "number | null")]
    pub rows_hint: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PreviewRow {
    pub row: u32,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ColumnPreview {
    /// The header cell's text (two lines joined with `/` when the header spans two rows).
    pub header: String,
    /// A field key, `attribute` (kept under its header text) or `ignore`.
    pub field: String,
}

/// What the wizard asks the importer to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportRequest {
    pub path: String,
    /// One sheet, or all sheets with a header when none.
    pub sheet: Option<String>,
    /// Header text → field key, `attribute` or `ignore`; none uses what was detected.
    pub columns: Option<Vec<(String, String)>>,
    pub dry_run: bool,
    /// `zh-CN` or `en`: the language of the report's messages.
    pub lang: String,
}

/// What a running import sends to the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImportEvent {
    Started {
        #[ts(type = "number")]
        rows_expected: u64,
    },
    Progress {
        #[ts(type = "number")]
        rows_done: u64,
        #[ts(type = "number")]
        rows_expected: u64,
    },
}

/// A mapping saved under a name for the next roster of the same kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SavedMapping {
    pub name: String,
    pub columns: Vec<(String, String)>,
}

/// What a file dialog is for: it sets the dialog's title, filters and suggested name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FilePurpose {
    /// Open a roster (csv, tsv, txt, xlsx, xls, ods).
    Roster,
    /// Save the rejected rows of an import (xlsx).
    Rejected,
    /// Save the blank roster template (xlsx).
    Template,
    /// Save residents as a spreadsheet (xlsx or csv).
    Residents,
    /// Open any file to keep with a request (a photo of a prescription, a letter).
    Attachment,
    /// Save a backup of the store (.jybackup).
    Backup,
    /// Open a backup to restore.
    Restore,
}

/// What a backup wrote (the store's figures at the moment copied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BackupSummary {
    pub file: String,
    #[ts(type = "number")]
    pub bytes: u64,
    #[ts(type = "number")]
    pub residents: u64,
    #[ts(type = "number")]
    pub requests: u64,
    #[ts(type = "number")]
    pub volunteers: u64,
    /// Operations not yet synced that the backup holds.
    #[ts(type = "number")]
    pub ops_waiting: u64,
}

/// Why this computer's store cannot be replaced by a restore now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RestoreBlock {
    /// Work was done here (imports, requests, edits): a restore would replace it.
    Work,
    /// Logged in to a server: log out first.
    LoggedIn,
}

/// Whether Settings offers "Restore from a backup…".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RestoreState {
    pub blocked: Option<RestoreBlock>,
}

/// What a restore put in place; the store is open again, with no login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RestoreSummary {
    #[ts(type = "number")]
    pub residents: u64,
    #[ts(type = "number")]
    pub requests: u64,
    #[ts(type = "number")]
    pub volunteers: u64,
    /// Work restored that waits for the next sign-in to be sent.
    #[ts(type = "number")]
    pub ops_waiting: u64,
    /// The account and server the old laptop used, to sign in again.
    pub user_name: Option<String>,
    pub server_url: Option<String>,
    pub info: StoreInfo,
}
