//! The roster importer, per `../shared/spec/import.md`: read any roster file, find its header,
//! judge each row, and apply the result through the one write path in one transaction.
//! Volunteer rosters (`volunteers`) go through the same readers and header detection with
//! their own field set (`volunteer_fields`).

pub mod header;
pub mod issue;
pub mod read;
pub mod report;
pub mod row;
mod run;
mod sheets;
pub mod source;
mod undo;
pub mod volunteer_fields;
pub mod volunteers;

pub use report::{Duplicate, ImportReport, Progress, RowProblem, SheetReport, SkippedSheet};
pub use run::{import_file, ImportOptions};
pub use undo::{batches, undo_batch, BatchSummary, KeptField, UndoReport};
pub use volunteer_fields::VolunteerField;
pub use volunteers::{import_volunteers, KnownVolunteer, VolunteerImportReport};
