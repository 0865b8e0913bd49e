//! The reason codes a row can earn, as `../shared/spec/import.md` fixes them.

use serde::{Deserialize, Serialize};

/// Rejections come first in the order the spec checks them; warnings after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueCode {
    CellTooLong,
    MissingName,
    InvalidIdNumber,
    IdNumberMangledByExcel,
    InvalidPhone,
    MissingIdentity,
    // Warnings: the row is imported, the identity number wins.
    SexConflictsWithId,
    BirthDateConflictsWithId,
}

impl IssueCode {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueCode::CellTooLong => "cell_too_long",
            IssueCode::MissingName => "missing_name",
            IssueCode::InvalidIdNumber => "invalid_id_number",
            IssueCode::IdNumberMangledByExcel => "id_number_mangled_by_excel",
            IssueCode::InvalidPhone => "invalid_phone",
            IssueCode::MissingIdentity => "missing_identity",
            IssueCode::SexConflictsWithId => "sex_conflicts_with_id",
            IssueCode::BirthDateConflictsWithId => "birth_date_conflicts_with_id",
        }
    }
    pub fn is_warning(self) -> bool {
        matches!(self, IssueCode::SexConflictsWithId | IssueCode::BirthDateConflictsWithId)
    }
}

/// One finding on one row. `field` is the known field it concerns (`id_number`, `phone`, …);
/// `value` is the offending cell as read, for the message (never logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    pub field: &'static str,
    pub code: IssueCode,
    pub value: Option<String>,
}
