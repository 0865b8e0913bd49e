//! The import report, shaped as `../shared/spec/import.md` fixes it, so the command line, the
//! app and the tests read the same JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ImportReport {
    pub file: String,
    pub format: String,
    pub encoding: Option<String>,
    pub sheets: Vec<SheetReport>,
    pub skipped_sheets: Vec<SkippedSheet>,
    #[ts(type = "number")]
    pub rows_read: u64,
    #[ts(type = "number")]
    pub created: u64,
    #[ts(type = "number")]
    pub updated: u64,
    #[ts(type = "number")]
    pub unchanged: u64,
    #[ts(type = "number")]
    pub blank_rows: u64,
    pub rejected: Vec<RowProblem>,
    pub warnings: Vec<RowProblem>,
    pub duplicates: Vec<Duplicate>,
    pub batch_id: Option<String>,
    pub dry_run: bool,
    pub seconds: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SheetReport {
    pub name: String,
    pub header_row: u32,
    /// Header text → the field it was read as (`attribute` for kept extra columns).
    pub mapping: BTreeMap<String, String>,
    /// Data rows read below the header, blank rows not counted.
    #[ts(type = "number")]
    pub rows: u64,
    #[ts(type = "number")]
    pub created: u64,
    #[ts(type = "number")]
    pub updated: u64,
    #[ts(type = "number")]
    pub unchanged: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SkippedSheet {
    pub name: String,
    /// `no_header` (no row among the first 10 names 3 known fields), `not_selected`, `empty`.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct RowProblem {
    pub sheet: String,
    pub row: u32,
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Duplicate {
    pub sheet: String,
    pub row: u32,
    pub same_as_row: u32,
    pub same_as_sheet: String,
}

/// Progress of a running import: rows done out of rows expected (an estimate for text files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Progress {
    #[ts(type = "number")]
    pub rows_done: u64,
    #[ts(type = "number")]
    pub rows_expected: u64,
}
