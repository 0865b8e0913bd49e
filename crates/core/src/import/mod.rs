//! The roster importer, per `../shared/spec/import.md`: read any roster file, find its header,
//! judge each row, and apply the result through the one write path in one transaction.

pub mod header;
pub mod issue;
pub mod read;
pub mod report;
pub mod row;
mod run;
pub mod source;
mod undo;

pub use report::{Duplicate, ImportReport, Progress, RowProblem, SheetReport, SkippedSheet};
pub use run::{import_file, ImportOptions};
pub use undo::{batches, undo_batch, BatchSummary, KeptField, UndoReport};
