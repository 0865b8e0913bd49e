//! Legacy Excel (`.xls`, BIFF8) through calamine, after a check of what calamine will do.
//!
//! calamine parses every sheet of an `.xls` into memory when the file is opened, sizing its
//! tables from numbers in the file. So the workbook stream is walked here first, record by
//! record as calamine walks it, to refuse what would make it panic or allocate gigabytes, and
//! to estimate the memory it will hold. Formulas are the one thing neutralised: their tokens
//! expand (a 5-byte name reference into a 255-character name) and calamine trusts their
//! lengths, while the importer only reads the value Excel cached beside each formula. So the
//! token length of every formula is read by calamine as zero, through [`Patched`].

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use calamine::{Data, Reader, Xls};

use super::super::source::{Cell, Flow, Format, Input, Limits, RawRow, ReadError, SheetInfo};
use super::cfb::{Cfb, Stream};
use super::{calamine_error, date_text, guard, Rows};

/// calamine holds the whole file and a copy of its workbook stream. A BIFF8 sheet has at most
/// 65,536 rows; such a roster of 20 columns is 10–30 MiB, so 128 MiB is generous and keeps
/// those two copies to a quarter of the memory budget.
const MAX_XLS_BYTES: u64 = 128 << 20;
/// What calamine may hold once the file is parsed (see [`estimate`]). A full 65,536 × 256
/// BIFF8 sheet of short strings fits; the process stays under 1 GiB.
const MAX_XLS_MEMORY: u64 = 640 << 20;
/// BIFF8's grid: calamine trusts a sheet's declared dimensions to reserve memory.
const MAX_GRID: u64 = 65_536 * 256;

fn corrupt(what: impl std::fmt::Display) -> ReadError {
    ReadError::Corrupt(format!("the Excel 97-2003 workbook is damaged: {what}"))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2).map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// A record as calamine's iterator yields it: type, its data, and the data of the CONTINUE
/// records that follow it.
struct Record<'a> {
    typ: u16,
    start: usize,
    data: &'a [u8],
    cont: Vec<&'a [u8]>,
}

/// Splits `stream[pos..]` into records exactly as calamine's `RecordIter` does.
fn records(stream: &[u8], pos: usize) -> impl Iterator<Item = Result<Record<'_>, ReadError>> {
    let mut at = pos;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || at >= stream.len() {
            return None;
        }
        let rest = &stream[at..];
        if rest.len() < 4 {
            failed = true;
            return Some(Err(corrupt("a record is cut short")));
        }
        let len = usize::from(u16_at(rest, 2));
        if rest.len() < len + 4 {
            failed = true;
            return Some(Err(corrupt("a record is cut short")));
        }
        let mut record = Record {
            typ: u16_at(rest, 0),
            start: at + 4,
            data: &rest[4..4 + len],
            cont: Vec::new(),
        };
        at += 4 + len;
        while stream.len() > at + 4 && u16_at(&stream[at..], 0) == 0x003C {
            let len = usize::from(u16_at(&stream[at..], 2));
            if stream.len() < at + 4 + len {
                failed = true;
                return Some(Err(corrupt("a continued record is cut short")));
            }
            record.cont.push(&stream[at + 4..at + 4 + len]);
            at += 4 + len;
        }
        Some(Ok(record))
    })
}

/// Upper bounds, in UTF-8 bytes, of the shared strings, read as calamine reads them.
fn sst_lengths(r: &Record<'_>) -> Vec<u32> {
    let mut segs: Vec<&[u8]> = vec![r.data.get(8..).unwrap_or_default()];
    segs.extend(r.cont.iter().copied());
    let (mut seg, mut off) = (0usize, 0usize);
    let mut out = Vec::new();
    loop {
        while seg < segs.len() && off >= segs[seg].len() {
            seg += 1;
            off = 0;
        }
        let Some(data) = segs.get(seg) else { return out };
        let head = &data[off..];
        if head.len() < 3 {
            return out;
        }
        let (cch, flags) = (u64::from(u16_at(head, 0)), head[2]);
        let mut skip_after = 0u64;
        let mut used = 3usize;
        if flags & 0x8 != 0 {
            skip_after += 4 * u64::from(u16_at(head, used));
            used += 2;
        }
        if flags & 0x4 != 0 {
            skip_after += u64::from(u32_at(head, used));
            used += 4;
        }
        // Each character is 1 or 2 bytes in the file and at most 3 in UTF-8.
        out.push(u32::try_from(cch * 3).unwrap_or(u32::MAX));
        off += used;
        let (mut left, mut wide) = (cch, flags & 1 != 0);
        while left > 0 {
            let avail = segs.get(seg).map_or(0, |d| d.len().saturating_sub(off)) as u64;
            let width = if wide { 2 } else { 1 };
            let take = left.min(avail / width);
            off += (take * width) as usize;
            left -= take;
            if left > 0 {
                seg += 1;
                off = 1;
                match segs.get(seg) {
                    Some(d) if !d.is_empty() => wide = d[0] & 1 != 0,
                    _ => return out,
                }
            }
        }
        let mut skip = skip_after;
        while skip > 0 {
            let avail = segs.get(seg).map_or(0, |d| d.len().saturating_sub(off)) as u64;
            if avail == 0 {
                seg += 1;
                off = 0;
                if seg >= segs.len() {
                    return out;
                }
                continue;
            }
            let take = skip.min(avail);
            off += take as usize;
            skip -= take;
        }
    }
}

/// What one sheet will cost calamine.
#[derive(Default)]
struct SheetCost {
    cells: u64,
    strings: u64,
    formulas: u64,
    rows: (u32, u32),
    cols: (u32, u32),
    formula_rows: (u32, u32),
    formula_cols: (u32, u32),
}

fn widen(range: &mut (u32, u32), v: u32, first: bool) {
    *range = if first { (v, v) } else { (range.0.min(v), range.1.max(v)) };
}

fn area(rows: (u32, u32), cols: (u32, u32), any: bool) -> u64 {
    if any {
        u64::from(rows.1 - rows.0 + 1) * u64::from(cols.1 - cols.0 + 1)
    } else {
        0
    }
}

impl SheetCost {
    fn cell(&mut self, row: u16, col: u16, string: u64) {
        widen(&mut self.rows, row.into(), self.cells == 0);
        widen(&mut self.cols, col.into(), self.cells == 0);
        self.cells += 1;
        self.strings += string;
    }

    /// Bytes calamine holds for this sheet: the dense range of values and of formulas.
    fn dense(&self) -> u64 {
        let values = area(self.rows, self.cols, self.cells > 0) * size_of::<Data>() as u64;
        let formulas = area(self.formula_rows, self.formula_cols, self.formulas > 0) * 24;
        values + formulas + self.strings
    }

    /// Bytes of the sparse lists calamine builds before the dense ranges.
    fn sparse(&self) -> u64 {
        self.cells * size_of::<calamine::Cell<Data>>() as u64
            + self.formulas * size_of::<calamine::Cell<String>>() as u64
            + self.strings
    }
}

/// The result of walking the workbook stream.
struct Scan {
    /// Stream offsets of formula token lengths to read as zero.
    patches: Vec<usize>,
    memory: u64,
    hints: Vec<u64>,
}

/// Walks the workbook stream as calamine will (see the module note).
fn scan(stream: &[u8], file_len: u64, apply: bool) -> Result<Scan, ReadError> {
    let mut sheets = Vec::new();
    let mut sst: Vec<u32> = Vec::new();
    let mut memory = 0u64;
    for record in records(stream, 0) {
        let r = record?;
        match r.typ {
            0x002F => return Err(ReadError::Encrypted),
            0x0085 => {
                let pos = u32_at(r.data, 0) as usize;
                if r.data.len() < 8 || pos >= stream.len() {
                    return Err(corrupt("a sheet points outside the workbook"));
                }
                sheets.push(pos);
            }
            0x00FC => {
                sst = sst_lengths(&r);
                memory += sst.iter().map(|l| 24 + u64::from(*l)).sum::<u64>();
            }
            0x000A => break,
            _ => {}
        }
    }
    let mut patches = Vec::new();
    let (mut dense, mut worst_sparse, mut worst_dense, mut hints) = (0u64, 0u64, 0u64, Vec::new());
    for pos in sheets {
        let mut cost = SheetCost::default();
        let (mut seen_bof, mut depth) = (false, 0usize);
        for record in records(stream, pos) {
            let r = record?;
            if depth > 0 {
                match r.typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let (row, col) = (u16_at(r.data, 0), u16_at(r.data, 2));
            match r.typ {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x000A => break,
                0x0200 => check_dimensions(r.data)?,
                0x0203 | 0x027E | 0x0205 => cost.cell(row, col, 0),
                0x00FD => {
                    let index = u32_at(r.data, 6) as usize;
                    cost.cell(row, col, sst.get(index).map_or(0, |l| 24 + u64::from(*l)));
                }
                0x0204 | 0x00D6 | 0x0207 => {
                    let cch = u64::from(u16_at(r.data, if r.typ == 0x0207 { 0 } else { 6 }));
                    cost.cell(row, col, 24 + 3 * cch);
                }
                0x00BD => {
                    let n = (r.data.len().saturating_sub(6) / 6) as u16;
                    for k in 0..n {
                        cost.cell(row, col.saturating_add(k), 0);
                    }
                }
                0x0006 => {
                    if r.data.len() < 22 {
                        return Err(corrupt("a formula record is cut short"));
                    }
                    if apply {
                        patches.push(r.start + 20);
                    } else if u16_at(r.data, 20) != 0 {
                        return Err(corrupt("formula records overlap"));
                    }
                    cost.cell(row, col, 0);
                    widen(&mut cost.formula_rows, row.into(), cost.formulas == 0);
                    widen(&mut cost.formula_cols, col.into(), cost.formulas == 0);
                    cost.formulas += 1;
                }
                _ => {}
            }
        }
        dense += cost.dense();
        worst_sparse = worst_sparse.max(cost.sparse());
        worst_dense = worst_dense.max(cost.dense());
        hints.push(if cost.cells > 0 { u64::from(cost.rows.1) + 1 } else { 0 });
    }
    // calamine keeps the file's bytes and the stream; all sheets stay parsed; the largest is
    // briefly sparse and dense at once; and reading a sheet clones its range.
    memory += file_len + stream.len() as u64 + dense + worst_sparse + worst_dense;
    Ok(Scan { patches, memory, hints })
}

/// Mirrors calamine's use of DIMENSIONS, which sizes a reservation.
fn check_dimensions(d: &[u8]) -> Result<(), ReadError> {
    let (rf, rl, cf, cl) = match d.len() {
        10 => (u32::from(u16_at(d, 0)), u32::from(u16_at(d, 2)), u16_at(d, 4), u16_at(d, 6)),
        14 | 16 => (u32_at(d, 0), u32_at(d, 4), u16_at(d, 8), u16_at(d, 10)),
        _ => return Ok(()),
    };
    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
    if rl >= 1 && cl >= 1 {
        if rf > rl - 1 {
            return Err(corrupt("a sheet declares impossible dimensions"));
        }
        if u64::from(rl - rf) * u64::from(cl - cf) > MAX_GRID {
            return Err(ReadError::TooLarge(
                "a sheet declares more cells than Excel 97-2003 allows".into(),
            ));
        }
    }
    Ok(())
}

/// The file as calamine should see it: formula token lengths read as zero.
struct Patched {
    file: BufReader<std::fs::File>,
    pos: u64,
    zeros: Vec<u64>,
}

impl Read for Patched {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        let end = self.pos + n as u64;
        let first = self.zeros.partition_point(|z| *z < self.pos);
        for z in self.zeros[first..].iter().take_while(|z| **z < end) {
            buf[(z - self.pos) as usize] = 0;
        }
        self.pos = end;
        Ok(n)
    }
}

impl Seek for Patched {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.pos = self.file.seek(to)?;
        Ok(self.pos)
    }
}

fn locate(stream: &Stream, offsets: &[usize]) -> Result<Vec<u64>, ReadError> {
    let mut zeros = Vec::with_capacity(offsets.len() * 2);
    for at in offsets {
        for byte in [*at as u64, *at as u64 + 1] {
            zeros.push(stream.file_offset(byte).ok_or_else(|| corrupt("a formula lies outside"))?);
        }
    }
    zeros.sort_unstable();
    Ok(zeros)
}

pub(super) struct XlsInput {
    book: Box<Xls<Patched>>,
    sheets: Vec<SheetInfo>,
    max_rows: u64,
}

pub(super) fn open(path: &Path, limits: &Limits) -> Result<XlsInput, ReadError> {
    let file = std::fs::File::open(path)?;
    let file_len = file.metadata()?.len();
    if file_len > MAX_XLS_BYTES {
        return Err(ReadError::TooLarge(format!(
            "an Excel 97-2003 file over {} MiB; save it as .xlsx and import that",
            MAX_XLS_BYTES >> 20
        )));
    }
    let mut cfb = Cfb::open(file)?;
    if cfb.find("EncryptedPackage").is_some() || cfb.find("EncryptionInfo").is_some() {
        return Err(ReadError::Encrypted);
    }
    let Some(entry) = cfb.find("Workbook").or_else(|| cfb.find("Book")).cloned() else {
        return Err(ReadError::NotARoster(
            "an Office file that is not an Excel workbook (a Word or other document?)".into(),
        ));
    };
    let located = cfb.stream(&entry)?;
    let mut stream = cfb.read(&located)?;
    let first = scan(&stream, file_len, true)?;
    for at in &first.patches {
        stream[*at] = 0;
        stream[*at + 1] = 0;
    }
    let checked = scan(&stream, file_len, false)?;
    drop(stream);
    if checked.memory > MAX_XLS_MEMORY {
        return Err(ReadError::TooLarge(format!(
            "reading this workbook would take {} MiB of memory (at most {} MiB)",
            checked.memory >> 20,
            MAX_XLS_MEMORY >> 20
        )));
    }
    let zeros = locate(&located, &first.patches)?;
    let reader = Patched { file: BufReader::new(std::fs::File::open(path)?), pos: 0, zeros };
    let book = guard(|| Xls::new(reader))?.map_err(calamine_error)?;
    let sheets = book
        .sheet_names()
        .into_iter()
        .enumerate()
        .map(|(i, name)| SheetInfo { name, rows_hint: checked.hints.get(i).copied() })
        .collect();
    Ok(XlsInput { book: Box::new(book), sheets, max_rows: limits.max_rows })
}

fn cell(v: &Data) -> Cell {
    match v {
        Data::Empty => Cell::Empty,
        Data::String(s) if s.is_empty() => Cell::Empty,
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

impl Input for XlsInput {
    fn format(&self) -> Format {
        Format::Xls
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
        let book = &mut self.book;
        let range = guard(|| book.worksheet_range(&name))?.map_err(calamine_error)?;
        let Some((first_row, first_col)) = range.start() else { return Ok(()) };
        let mut rows = Rows::new(visit, self.max_rows);
        for (i, values) in range.rows().enumerate() {
            let mut cells = vec![Cell::Empty; first_col as usize];
            cells.extend(values.iter().map(cell));
            while matches!(cells.last(), Some(Cell::Empty)) {
                cells.pop();
            }
            // The dense range holds the gaps between rows too; `Rows` makes those blank.
            if cells.is_empty() {
                continue;
            }
            if rows.row(u64::from(first_row) + i as u64 + 1, cells)?.is_break() {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "legacy_tests.rs"]
mod tests;
