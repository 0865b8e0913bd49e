//! Opening a roster file: find its real format from its bytes (the extension is only a hint)
//! and stream its rows, in bounded memory whatever the file holds. Text goes to [`text`];
//! xlsx to [`xlsx`] once [`zipguard`] has measured its parts; ods to [`ods`]; xls to
//! [`legacy`] once its container ([`cfb`]) and records have been checked.

mod cfb;
mod legacy;
mod ods;
mod text;
mod xlsx;
mod xmlscan;
mod zipguard;

use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use super::source::{Cell, Flow, Input, Limits, RawRow, ReadError};

/// Columns in a row: Excel's and LibreOffice's limit (XFD). A cell reference past it is not
/// from a real sheet, and padding a row to it would cost memory for nothing.
pub(super) const MAX_COLUMNS: u64 = 16_384;

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zip,
    Ole,
    Text,
}

fn sniff(head: &[u8]) -> Kind {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Kind::Zip
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Kind::Ole
    } else {
        Kind::Text
    }
}

/// Opens a roster file of any supported kind. The error says, in one line, why the file
/// cannot be imported at all.
pub fn open(path: &Path, limits: &Limits) -> Result<Box<dyn Input>, ReadError> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(ReadError::NotARoster("this is a folder, not a file".into()));
    }
    if meta.len() == 0 {
        return Err(ReadError::Empty);
    }
    if meta.len() > limits.max_file_bytes {
        return Err(ReadError::TooLarge(format!(
            "{} MiB; the largest roster accepted is {} MiB",
            meta.len() >> 20,
            limits.max_file_bytes >> 20
        )));
    }
    let mut head = Vec::with_capacity(8);
    std::fs::File::open(path)?.take(8).read_to_end(&mut head)?;
    let name =
        path.file_name().map_or_else(|| "roster".to_owned(), |n| n.to_string_lossy().into_owned());
    Ok(match sniff(&head) {
        Kind::Zip => match zipguard::check(path, limits)? {
            zipguard::ZipKind::Xlsx => Box::new(xlsx::open(path, limits)?),
            zipguard::ZipKind::Ods => Box::new(ods::open(path, limits)?),
        },
        Kind::Ole => Box::new(legacy::open(path, limits)?),
        Kind::Text => Box::new(text::TextInput::open(path, name, limits)?),
    })
}

/// Runs a calamine call, turning a panic on a malformed file into a refusal. calamine indexes
/// slices with lengths read from the file in places; the checks before it catch what we know
/// of, and this catches the rest.
fn guard<T>(f: impl FnOnce() -> T) -> Result<T, ReadError> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| ReadError::Corrupt("the spreadsheet's structure could not be read".into()))
}

fn calamine_error(e: impl std::fmt::Display) -> ReadError {
    let text = e.to_string();
    let lower = text.to_lowercase();
    if lower.contains("password") || lower.contains("encrypt") {
        ReadError::Encrypted
    } else {
        ReadError::Corrupt(text)
    }
}

fn too_many_rows(max: u64) -> ReadError {
    ReadError::TooLarge(format!("a sheet has more than {max} rows"))
}

fn date_text(d: &calamine::ExcelDateTime) -> String {
    let (y, mo, da, h, mi, s, _) = d.to_ymd_hms_milli();
    if (h, mi, s) == (0, 0, 0) {
        format!("{y:04}-{mo:02}-{da:02}")
    } else {
        format!("{y:04}-{mo:02}-{da:02}T{h:02}:{mi:02}:{s:02}")
    }
}

/// Hands a sheet's rows over in order. A spreadsheet stores no empty rows, but an official
/// sees them, as a CSV reader sees blank lines: the rows missing before one that exists are
/// handed over as blank rows (which the importer counts); none are made up after the last.
struct Rows<'v> {
    visit: &'v mut dyn FnMut(RawRow) -> Flow,
    next: u64,
    emitted: u64,
    max_rows: u64,
}

impl<'v> Rows<'v> {
    fn new(visit: &'v mut dyn FnMut(RawRow) -> Flow, max_rows: u64) -> Rows<'v> {
        Rows { visit, next: 1, emitted: 0, max_rows }
    }

    fn emit(&mut self, number: u64, cells: Vec<Cell>) -> Result<Flow, ReadError> {
        self.emitted += 1;
        if self.emitted > self.max_rows {
            return Err(too_many_rows(self.max_rows));
        }
        let row = u32::try_from(number).unwrap_or(u32::MAX);
        Ok((self.visit)(RawRow { row, cells }))
    }

    /// Row `number` (1-based); a row out of order is handed over as it comes.
    fn row(&mut self, number: u64, cells: Vec<Cell>) -> Result<Flow, ReadError> {
        while self.next < number {
            let blank = self.next;
            self.next += 1;
            if self.emit(blank, Vec::new())?.is_break() {
                return Ok(Flow::Break(()));
            }
        }
        self.next = self.next.max(number.saturating_add(1));
        self.emit(number, cells)
    }
}

/// Places a cell at its column; a row's cells may arrive sparse, so the gaps are padded to
/// keep column positions true.
fn put(cells: &mut Vec<Cell>, col: u32, cell: Cell) -> Result<(), ReadError> {
    if u64::from(col) >= MAX_COLUMNS {
        return Err(ReadError::Corrupt(format!(
            "a cell lies in column {}, past the last column a spreadsheet has",
            u64::from(col) + 1
        )));
    }
    let col = col as usize;
    if col >= cells.len() {
        cells.resize(col, Cell::Empty);
        cells.push(cell);
    } else {
        cells[col] = cell;
    }
    Ok(())
}

#[cfg(test)]
mod tests_util;

#[cfg(test)]
mod tests;
