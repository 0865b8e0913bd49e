//! OpenDocument spreadsheets, streamed from `content.xml` with quick-xml.
//!
//! calamine's ODS reader is not used: it parses every sheet of `content.xml` into dense
//! ranges (about 56 bytes a cell, values and formulas) when the file is opened, so a full
//! 1,048,576 × 20 sheet would need over a gigabyte, and `number-columns-repeated` /
//! `number-rows-repeated` let a few bytes of XML expand to a hundred million cells. Here rows
//! stream one at a time, repeats are bounded, and [`Guarded`] bounds every token and cell.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use quick_xml::events::{BytesStart, Event};

use super::super::source::{Cell, Flow, Format, Input, Limits, RawRow, ReadError, SheetInfo};
use super::xmlscan::{Guarded, ScanError, Watch, XmlScan};
use super::zipguard::MAX_TOKEN;
use super::{put, Rows, MAX_COLUMNS};

/// `<text:s text:c="N"/>` stands for N spaces; no real cell needs more than this many.
const MAX_SPACES: u64 = 1024;
/// Repeats multiply work, not bytes: a few hundred bytes can ask for a million rows of 16,384
/// cells each. A full 1,048,576 × 20 roster is 21 million cells; three times that is the most
/// one sheet may expand to.
const MAX_SHEET_CELLS: u64 = 64 << 20;

type Xml<R> = quick_xml::Reader<R>;

fn xml_error(e: quick_xml::Error) -> ReadError {
    if let quick_xml::Error::Io(io) = &e {
        if let Some(scan) = io.get_ref().and_then(|i| i.downcast_ref::<ScanError>()) {
            return ReadError::TooLarge(format!("content.xml is not a real sheet: {scan}"));
        }
    }
    ReadError::Corrupt(format!("content.xml: {e}"))
}

/// Opens `content.xml` and runs `f` over it, every token and cell bounded.
fn with_content<T>(
    path: &Path,
    f: impl FnOnce(
        &mut Xml<BufReader<Guarded<zip::read::ZipFile<'_, BufReader<std::fs::File>>>>>,
    ) -> Result<T, ReadError>,
) -> Result<T, ReadError> {
    let file = BufReader::new(std::fs::File::open(path)?);
    let mut zip = zip::ZipArchive::new(file).map_err(|e| ReadError::Corrupt(e.to_string()))?;
    let entry =
        zip.by_name("content.xml").map_err(|e| ReadError::Corrupt(format!("content.xml: {e}")))?;
    let scan = XmlScan::new(Watch {
        max_token: MAX_TOKEN,
        bounded: &[b"table-cell", b"covered-table-cell"],
        max_element: MAX_TOKEN,
        count: &[],
        capture: b"",
    });
    let mut xml = Xml::from_reader(BufReader::new(Guarded { inner: entry, scan }));
    let config = xml.config_mut();
    config.trim_text(false);
    config.expand_empty_elements = false;
    config.check_end_names = false;
    f(&mut xml)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    let a = e.try_get_attribute(name).ok()??;
    a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned())
}

fn repeat(e: &BytesStart<'_>, name: &str) -> u64 {
    attr(e, name).and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(1).max(1)
}

/// A cell being read.
#[derive(Default)]
struct CellState {
    kind: String,
    value: Option<String>,
    repeat: u64,
    text: String,
    paragraphs: u32,
    in_p: u32,
    annotation: u32,
}

impl CellState {
    fn start(e: &BytesStart<'_>) -> CellState {
        let kind = attr(e, "office:value-type")
            .or_else(|| attr(e, "calcext:value-type"))
            .unwrap_or_default();
        let value = match kind.as_str() {
            "float" | "percentage" | "currency" => attr(e, "office:value"),
            "date" => attr(e, "office:date-value"),
            "boolean" => attr(e, "office:boolean-value"),
            "string" => attr(e, "office:string-value"),
            _ => None,
        };
        CellState {
            kind,
            value,
            repeat: repeat(e, "table:number-columns-repeated"),
            ..Default::default()
        }
    }

    fn push(&mut self, s: &str) -> Result<(), ReadError> {
        if self.in_p > 0 && self.annotation == 0 {
            if (self.text.len() + s.len()) as u64 > MAX_TOKEN {
                return Err(ReadError::TooLarge("a cell holds more than 16 MiB of text".into()));
            }
            self.text.push_str(s);
        }
        Ok(())
    }

    fn finish(self) -> (Cell, u64) {
        let text = |t: String| if t.is_empty() { Cell::Empty } else { Cell::Text(t) };
        let cell = match (self.kind.as_str(), self.value) {
            ("float" | "percentage" | "currency", Some(v)) => match v.trim().parse::<f64>() {
                Ok(n) => Cell::Number(n),
                Err(_) => text(self.text),
            },
            ("date", Some(v)) => Cell::Date(v),
            ("boolean", Some(v)) => Cell::Bool(v.trim().eq_ignore_ascii_case("true")),
            ("string", Some(v)) => text(v),
            ("error", _) => Cell::Error(self.text),
            _ => text(self.text),
        };
        (cell, self.repeat)
    }
}

/// A row being read.
struct RowState {
    repeat: u64,
    cells: Vec<Cell>,
    col: u64,
    bytes: u64,
}

struct Walk<'v> {
    /// Table to read; `None` lists the tables.
    want: Option<usize>,
    sheets: Vec<SheetInfo>,
    tables: usize,
    depth: u32,
    row_no: u64,
    cells: u64,
    max_row_bytes: u64,
    row: Option<RowState>,
    cell: Option<CellState>,
    rows: Rows<'v>,
}

enum Step {
    Go,
    Stop,
}

impl Walk<'_> {
    fn reading(&self) -> bool {
        self.depth == 1 && self.want.is_some_and(|w| w + 1 == self.tables)
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<Step, ReadError> {
        match e.name().as_ref() {
            "table:table" => {
                self.depth += 1;
                if self.depth == 1 {
                    self.tables += 1;
                    if self.want.is_none() {
                        let name = attr(e, "table:name")
                            .unwrap_or_else(|| format!("Sheet{}", self.tables));
                        self.sheets.push(SheetInfo { name, rows_hint: Some(0) });
                    }
                }
                if empty {
                    return self.end_table();
                }
            }
            "table:table-row" if self.depth == 1 => {
                if let Some(s) = self.sheets.last_mut().filter(|_| self.want.is_none()) {
                    s.rows_hint = s.rows_hint.map(|n| n + 1);
                }
                if self.reading() {
                    let repeat = repeat(e, "table:number-rows-repeated");
                    self.row = Some(RowState { repeat, cells: Vec::new(), col: 0, bytes: 0 });
                    if empty {
                        return self.end_row();
                    }
                }
            }
            "table:table-cell" | "table:covered-table-cell"
                if self.depth == 1 && self.row.is_some() =>
            {
                self.cell = Some(CellState::start(e));
                if empty {
                    self.end_cell()?;
                }
            }
            name if self.cell.is_some() => {
                let Some(cell) = self.cell.as_mut() else { return Ok(Step::Go) };
                match name {
                    "text:p" | "text:h" if !empty => {
                        // Paragraphs of a cell are its lines; a comment's are not its text.
                        if cell.annotation == 0 && cell.in_p == 0 {
                            if cell.paragraphs > 0 {
                                cell.text.push('\n');
                            }
                            cell.paragraphs += 1;
                        }
                        cell.in_p += 1;
                    }
                    "office:annotation" if !empty => cell.annotation += 1,
                    "text:s" => {
                        let n =
                            attr(e, "text:c").and_then(|c| c.trim().parse().ok()).unwrap_or(1u64);
                        cell.push(&" ".repeat(n.min(MAX_SPACES) as usize))?;
                    }
                    "text:tab" => cell.push("\t")?,
                    "text:line-break" => cell.push("\n")?,
                    _ => {}
                }
            }
            _ => {}
        }
        Ok(Step::Go)
    }

    fn end(&mut self, name: &str) -> Result<Step, ReadError> {
        match name {
            "table:table" => return self.end_table(),
            "table:table-row" if self.depth == 1 && self.row.is_some() => return self.end_row(),
            "table:table-cell" | "table:covered-table-cell" if self.cell.is_some() => {
                self.end_cell()?
            }
            "text:p" | "text:h" => {
                if let Some(cell) = self.cell.as_mut() {
                    cell.in_p = cell.in_p.saturating_sub(1);
                }
            }
            "office:annotation" => {
                if let Some(cell) = self.cell.as_mut() {
                    cell.annotation = cell.annotation.saturating_sub(1);
                }
            }
            _ => {}
        }
        Ok(Step::Go)
    }

    fn end_table(&mut self) -> Result<Step, ReadError> {
        let was_reading = self.reading();
        self.depth = self.depth.saturating_sub(1);
        Ok(if was_reading { Step::Stop } else { Step::Go })
    }

    fn end_cell(&mut self) -> Result<(), ReadError> {
        let (Some(cell), Some(row)) = (self.cell.take(), self.row.as_mut()) else { return Ok(()) };
        let (value, times) = cell.finish();
        let start = row.col;
        row.col = row.col.saturating_add(times);
        if value == Cell::Empty {
            return Ok(());
        }
        let size = match &value {
            Cell::Text(s) | Cell::Date(s) | Cell::Error(s) => s.len() as u64 + 1,
            _ => 8,
        };
        for col in start..row.col.min(MAX_COLUMNS) {
            row.bytes += size;
            if row.bytes > self.max_row_bytes {
                return Err(ReadError::TooLarge(format!(
                    "a row holds more than {} MiB",
                    self.max_row_bytes >> 20
                )));
            }
            put(&mut row.cells, col as u32, value.clone())?;
        }
        Ok(())
    }

    fn end_row(&mut self) -> Result<Step, ReadError> {
        let Some(row) = self.row.take() else { return Ok(Step::Go) };
        let first = self.row_no.saturating_add(1);
        self.row_no = self.row_no.saturating_add(row.repeat);
        if row.cells.is_empty() {
            return Ok(Step::Go);
        }
        for k in 0..row.repeat {
            self.cells += row.cells.len() as u64;
            if self.cells > MAX_SHEET_CELLS {
                return Err(ReadError::TooLarge(format!(
                    "a sheet's repeated rows expand past {} million cells",
                    MAX_SHEET_CELLS >> 20
                )));
            }
            if self.rows.row(first + k, row.cells.clone())?.is_break() {
                return Ok(Step::Stop);
            }
        }
        Ok(Step::Go)
    }

    fn run<R: BufRead>(&mut self, xml: &mut Xml<R>) -> Result<(), ReadError> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let step = match xml.read_event_into(&mut buf).map_err(xml_error)? {
                Event::Start(e) => self.start(&e, false)?,
                Event::Empty(e) => self.start(&e, true)?,
                Event::End(e) => self.end(e.name().as_ref())?,
                Event::Text(t) if self.cell.is_some() => {
                    let text = t.xml10_content();
                    if let Some(cell) = self.cell.as_mut() {
                        cell.push(&text)?;
                    }
                    Step::Go
                }
                Event::CData(t) if self.cell.is_some() => {
                    if let Some(cell) = self.cell.as_mut() {
                        cell.push(&t)?;
                    }
                    Step::Go
                }
                Event::GeneralRef(r) if self.cell.is_some() => {
                    let resolved = match quick_xml::escape::resolve_xml_entity(&r) {
                        Some(s) => s.to_owned(),
                        None => r
                            .resolve_char_ref()
                            .ok()
                            .flatten()
                            .map(String::from)
                            .unwrap_or_default(),
                    };
                    if let Some(cell) = self.cell.as_mut() {
                        cell.push(&resolved)?;
                    }
                    Step::Go
                }
                Event::Eof => {
                    return match self.want {
                        Some(_) if self.reading() || self.row.is_some() => {
                            Err(ReadError::Corrupt("content.xml ends inside a table".into()))
                        }
                        _ => Ok(()),
                    };
                }
                _ => Step::Go,
            };
            if let Step::Stop = step {
                return Ok(());
            }
        }
    }
}

pub(super) struct OdsInput {
    path: PathBuf,
    sheets: Vec<SheetInfo>,
    max_rows: u64,
    max_row_bytes: u64,
}

pub(super) fn open(path: &Path, limits: &Limits) -> Result<OdsInput, ReadError> {
    let mut nothing = |_r: RawRow| Flow::Continue(());
    let mut walk = Walk {
        want: None,
        sheets: Vec::new(),
        tables: 0,
        depth: 0,
        row_no: 0,
        cells: 0,
        max_row_bytes: limits.max_record_bytes,
        row: None,
        cell: None,
        rows: Rows::new(&mut nothing, limits.max_rows),
    };
    with_content(path, |xml| walk.run(xml))?;
    Ok(OdsInput {
        path: path.to_owned(),
        sheets: walk.sheets,
        max_rows: limits.max_rows,
        max_row_bytes: limits.max_record_bytes,
    })
}

impl Input for OdsInput {
    fn format(&self) -> Format {
        Format::Ods
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
        if index >= self.sheets.len() {
            return Ok(());
        }
        let mut walk = Walk {
            want: Some(index),
            sheets: Vec::new(),
            tables: 0,
            depth: 0,
            row_no: 0,
            cells: 0,
            max_row_bytes: self.max_row_bytes,
            row: None,
            cell: None,
            rows: Rows::new(visit, self.max_rows),
        };
        with_content(&self.path, |xml| walk.run(xml))
    }
}

#[cfg(test)]
#[path = "ods_tests.rs"]
mod tests;
