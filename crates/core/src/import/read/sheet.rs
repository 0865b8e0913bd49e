//! Spreadsheets through calamine: XLSX streamed cell by cell (a full million-row sheet never
//! sits in memory), XLS and ODS sheet by sheet (their formats cap a sheet's size, and
//! [`super::zipguard`] has bounded an ODS before this runs).

use std::io::BufReader;
use std::path::Path;

use calamine::{Data, DataRef, Ods, Reader, Xls, Xlsx};

use super::super::source::{Cell, Flow, Format, Input, Limits, RawRow, ReadError, SheetInfo};
use super::zipguard::ZipKind;

type File = BufReader<std::fs::File>;

fn corrupt(e: impl std::fmt::Display) -> ReadError {
    let text = e.to_string();
    let lower = text.to_lowercase();
    if lower.contains("password") || lower.contains("encrypt") {
        ReadError::Encrypted
    } else {
        ReadError::Corrupt(text)
    }
}

fn date_text(d: &calamine::ExcelDateTime) -> String {
    let (y, mo, da, h, mi, s, _) = d.to_ymd_hms_milli();
    if (h, mi, s) == (0, 0, 0) {
        format!("{y:04}-{mo:02}-{da:02}")
    } else {
        format!("{y:04}-{mo:02}-{da:02}T{h:02}:{mi:02}:{s:02}")
    }
}

fn from_ref(v: &DataRef<'_>) -> Cell {
    match v {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(d) if d.is_datetime() => Cell::Date(date_text(d)),
        DataRef::DateTime(d) => Cell::Number(d.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Date(s.clone()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

fn from_data(v: &Data) -> Cell {
    match v {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) if d.is_datetime() => Cell::Date(date_text(d)),
        Data::DateTime(d) => Cell::Number(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Date(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

/// A row's cells may arrive sparse: pad the gaps so column positions stay true.
fn put(cells: &mut Vec<Cell>, col: u32, cell: Cell) {
    let col = col as usize;
    if col >= cells.len() {
        cells.resize(col, Cell::Empty);
        cells.push(cell);
    } else {
        cells[col] = cell;
    }
}

enum Book {
    Xlsx(Box<Xlsx<File>>),
    Ods(Box<Ods<File>>),
    Xls(Box<Xls<File>>),
}

pub(super) struct SheetInput {
    book: Book,
    format: Format,
    sheets: Vec<SheetInfo>,
    max_rows: u64,
}

fn reader(path: &Path) -> Result<File, ReadError> {
    Ok(BufReader::new(std::fs::File::open(path)?))
}

pub(super) fn open_zip(
    path: &Path,
    kind: ZipKind,
    limits: &Limits,
) -> Result<Box<dyn Input>, ReadError> {
    match kind {
        ZipKind::Xlsx => {
            let mut book: Xlsx<File> = Xlsx::new(reader(path)?).map_err(corrupt)?;
            let names = book.sheet_names();
            let mut sheets = Vec::with_capacity(names.len());
            for name in names {
                let hint = book
                    .worksheet_cells_reader(&name)
                    .ok()
                    .map(|r| u64::from(r.dimensions().end.0.saturating_add(1)));
                sheets.push(SheetInfo { name, rows_hint: hint });
            }
            Ok(Box::new(SheetInput {
                book: Book::Xlsx(Box::new(book)),
                format: Format::Xlsx,
                sheets,
                max_rows: limits.max_rows,
            }))
        }
        ZipKind::Ods => {
            let book: Ods<File> = Ods::new(reader(path)?).map_err(corrupt)?;
            let sheets = book
                .sheet_names()
                .into_iter()
                .map(|name| SheetInfo { name, rows_hint: None })
                .collect();
            Ok(Box::new(SheetInput {
                book: Book::Ods(Box::new(book)),
                format: Format::Ods,
                sheets,
                max_rows: limits.max_rows,
            }))
        }
    }
}

pub(super) fn open_xls(path: &Path, limits: &Limits) -> Result<Box<dyn Input>, ReadError> {
    let book: Xls<File> = Xls::new(reader(path)?).map_err(corrupt)?;
    let sheets =
        book.sheet_names().into_iter().map(|name| SheetInfo { name, rows_hint: None }).collect();
    Ok(Box::new(SheetInput {
        book: Book::Xls(Box::new(book)),
        format: Format::Xls,
        sheets,
        max_rows: limits.max_rows,
    }))
}

fn too_many(max: u64) -> ReadError {
    ReadError::TooLarge(format!("a sheet has more than {max} rows"))
}

impl Input for SheetInput {
    fn format(&self) -> Format {
        self.format
    }

    fn encoding(&self) -> Option<&'static str> {
        None
    }

    fn sheets(&self) -> &[SheetInfo] {
        &self.sheets
    }

    fn visit_rows(
        &mut self,
        index: usize,
        visit: &mut dyn FnMut(RawRow) -> Flow,
    ) -> Result<(), ReadError> {
        let Some(info) = self.sheets.get(index) else { return Ok(()) };
        let name = info.name.clone();
        let max_rows = self.max_rows;
        let range = match &mut self.book {
            Book::Xlsx(book) => {
                let mut cells = book.worksheet_cells_reader(&name).map_err(corrupt)?;
                let mut current: Option<(u32, Vec<Cell>)> = None;
                // Rows with no cells at all are blank rows to the official: emit them, so they
                // are counted and the numbering stays the one Excel shows.
                let mut next_row: u32 = 0;
                while let Some(cell) = cells.next_cell().map_err(corrupt)? {
                    let (r, c) = cell.get_position();
                    if u64::from(r) >= max_rows {
                        return Err(too_many(max_rows));
                    }
                    let value = from_ref(cell.get_value());
                    match &mut current {
                        Some((row, row_cells)) if *row == r => put(row_cells, c, value),
                        _ => {
                            if let Some((row, row_cells)) = current.take() {
                                if visit(RawRow { row: row + 1, cells: row_cells }).is_break() {
                                    return Ok(());
                                }
                                next_row = row + 1;
                            }
                            while next_row < r {
                                if visit(RawRow { row: next_row + 1, cells: Vec::new() }).is_break()
                                {
                                    return Ok(());
                                }
                                next_row += 1;
                            }
                            let mut row_cells = Vec::new();
                            put(&mut row_cells, c, value);
                            current = Some((r, row_cells));
                        }
                    }
                }
                if let Some((row, row_cells)) = current {
                    let _ = visit(RawRow { row: row + 1, cells: row_cells });
                }
                return Ok(());
            }
            Book::Ods(book) => book.worksheet_range(&name).map_err(corrupt)?,
            Book::Xls(book) => book.worksheet_range(&name).map_err(corrupt)?,
        };
        let Some((first_row, first_col)) = range.start() else { return Ok(()) };
        for blank in 0..first_row {
            if visit(RawRow { row: blank + 1, cells: Vec::new() }).is_break() {
                return Ok(());
            }
        }
        for (i, cells) in range.rows().enumerate() {
            let row = first_row as u64 + i as u64;
            if row >= max_rows {
                return Err(too_many(max_rows));
            }
            let mut out = vec![Cell::Empty; first_col as usize];
            out.extend(cells.iter().map(from_data));
            while matches!(out.last(), Some(Cell::Empty)) {
                out.pop();
            }
            if visit(RawRow { row: row as u32 + 1, cells: out }).is_break() {
                break;
            }
        }
        Ok(())
    }
}
