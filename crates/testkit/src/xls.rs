//! Legacy Excel 97-2003 (`.xls`, BIFF8) written by hand: a compound file holding one
//! "Workbook" stream of BIFF records ([MS-XLS]), as Excel 2003 on a district office PC saves a
//! roster: several sheets, text in the shared-string table (split into CONTINUE records past
//! 8224 bytes) or in LABEL records, numbers as RK/MULRK where exact and NUMBER otherwise,
//! dates as numbers with a date format, merged title rows.

use std::collections::HashMap;

use crate::cfb::compound_file;
use crate::model::{excel_serial, Sheet, Value, Workbook};

/// Where cell text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XlsStrings {
    /// In the workbook's shared-string table (SST), cells pointing into it: what Excel writes.
    #[default]
    Shared,
    /// In each cell (LABEL records), as older exporters write; text over 255 characters,
    /// which LABEL cannot hold in Excel's eyes, still goes to the table.
    Inline,
}

/// How numbers are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XlsNumbers {
    /// RK (and MULRK for runs) where the 30-bit form is exact, NUMBER otherwise: what Excel
    /// writes. calamine reads integer RK cells back as `Data::Int`.
    #[default]
    Compact,
    /// Every number a NUMBER record (a full f64).
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Xls {
    pub strings: XlsStrings,
    pub numbers: XlsNumbers,
}

/// The most data one BIFF8 record may carry; longer data continues in CONTINUE records.
const MAX_RECORD: usize = 8224;
const MAX_ROWS: usize = 65_536;
const MAX_COLS: usize = 256;
/// Cell formats: 0–14 are the style XFs every workbook has, then ours.
const XF_GENERAL: u16 = 15;
const XF_DATE: u16 = 16;
const XF_TEXT: u16 = 17;

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const CONTINUE: u16 = 0x003C;
const SST: u16 = 0x00FC;

fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    assert!(data.len() <= MAX_RECORD, "BIFF record 0x{typ:04X} of {} bytes", data.len());
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
}

fn bof(out: &mut Vec<u8>, substream: u16) {
    let mut d = Vec::with_capacity(16);
    d.extend_from_slice(&0x0600u16.to_le_bytes()); // BIFF8
    d.extend_from_slice(&substream.to_le_bytes());
    d.extend_from_slice(&0x0DBBu16.to_le_bytes()); // build of Excel 2003
    d.extend_from_slice(&0x07CCu16.to_le_bytes()); // its year
    d.extend_from_slice(&0x0000_80C9u32.to_le_bytes()); // file history: saved by Excel 97+
    d.extend_from_slice(&0x0000_0206u32.to_le_bytes()); // lowest BIFF version to read it
    record(out, BOF, &d);
}

/// A BIFF8 string body: Latin-1 bytes when every character fits ("compressed", as Excel
/// stores ASCII), UTF-16LE otherwise (the fHighByte flag), which carries Chinese intact.
struct XlText {
    high: bool,
    units: usize,
    bytes: Vec<u8>,
}

impl XlText {
    fn new(s: &str) -> XlText {
        let units: Vec<u16> = s.encode_utf16().collect();
        let high = units.iter().any(|&u| u > 0xFF);
        let bytes = if high {
            units.iter().flat_map(|u| u.to_le_bytes()).collect()
        } else {
            units.iter().map(|&u| u as u8).collect()
        };
        assert!(units.len() <= 32_767, "an Excel cell holds at most 32,767 characters");
        XlText { high, units: units.len(), bytes }
    }

    fn flags(&self) -> u8 {
        u8::from(self.high)
    }

    /// Bytes of the character starting at `at`: a surrogate pair is never split across
    /// records, since a reader decodes each record's piece on its own.
    fn char_len(&self, at: usize) -> usize {
        if !self.high {
            return 1;
        }
        let unit = u16::from_le_bytes([self.bytes[at], self.bytes[at + 1]]);
        if (0xD800..0xDC00).contains(&unit) {
            4
        } else {
            2
        }
    }
}

/// The shared-string table, in first-use order.
#[derive(Default)]
struct Strings {
    index: HashMap<String, u32>,
    order: Vec<String>,
    refs: u32,
}

impl Strings {
    fn intern(&mut self, s: &str) -> u32 {
        self.refs += 1;
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = u32::try_from(self.order.len()).expect("fewer than 2^32 strings");
        self.index.insert(s.to_owned(), i);
        self.order.push(s.to_owned());
        i
    }

    /// SST and its CONTINUE records, then EXTSST (where each bucket of strings starts, which
    /// Excel uses to find strings quickly). A string's length and flags never split; its
    /// characters may, the continuation starting with the flags byte again.
    fn write(&self, out: &mut Vec<u8>) {
        let n = self.order.len();
        let bucket = (n.div_ceil(128)).max(8);
        let mut ext: Vec<(u32, u16)> = Vec::new();
        let mut rec = Vec::with_capacity(MAX_RECORD);
        rec.extend_from_slice(&self.refs.to_le_bytes());
        rec.extend_from_slice(&(n as u32).to_le_bytes());
        let mut typ = SST;
        let mut rec_start = out.len();
        let flush = |out: &mut Vec<u8>, rec: &mut Vec<u8>, typ: &mut u16, start: &mut usize| {
            record(out, *typ, rec);
            rec.clear();
            *typ = CONTINUE;
            *start = out.len();
        };
        for (i, s) in self.order.iter().enumerate() {
            let t = XlText::new(s);
            let first = if t.bytes.is_empty() { 0 } else { t.char_len(0) };
            if rec.len() + 3 + first > MAX_RECORD {
                flush(out, &mut rec, &mut typ, &mut rec_start);
            }
            if i % bucket == 0 {
                let at = 4 + rec.len();
                ext.push(((rec_start + at) as u32, at as u16));
            }
            rec.extend_from_slice(&(t.units as u16).to_le_bytes());
            rec.push(t.flags());
            let mut pos = 0;
            while pos < t.bytes.len() {
                let mut end = pos;
                while end < t.bytes.len() && rec.len() + (end - pos) + t.char_len(end) <= MAX_RECORD
                {
                    end += t.char_len(end);
                }
                rec.extend_from_slice(&t.bytes[pos..end]);
                pos = end;
                if pos < t.bytes.len() {
                    flush(out, &mut rec, &mut typ, &mut rec_start);
                    rec.push(t.flags());
                }
            }
        }
        flush(out, &mut rec, &mut typ, &mut rec_start);
        let mut d = (bucket as u16).to_le_bytes().to_vec();
        for (ib, cb) in ext {
            d.extend_from_slice(&ib.to_le_bytes());
            d.extend_from_slice(&cb.to_le_bytes());
            d.extend_from_slice(&0u16.to_le_bytes());
        }
        record(out, 0x00FF, &d);
    }
}

/// The 30-bit RK form of `n`, when it holds `n` exactly: an integer, or an integer
/// hundredth, or a double whose low 34 bits are zero.
fn rk(n: f64) -> Option<u32> {
    const LIMIT: f64 = (1 << 29) as f64;
    if n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n) {
        return Some(((n as i32) << 2) as u32 | 0b10);
    }
    let bits = n.to_bits();
    if bits & 0x3_FFFF_FFFF == 0 {
        return Some((bits >> 32) as u32);
    }
    let hundred = (n * 100.0).round();
    if (-LIMIT..LIMIT).contains(&hundred) && hundred / 100.0 == n {
        return Some(((hundred as i32) << 2) as u32 | 0b11);
    }
    None
}

fn cell_head(d: &mut Vec<u8>, row: usize, col: usize, xf: u16) {
    d.extend_from_slice(&(row as u16).to_le_bytes());
    d.extend_from_slice(&(col as u16).to_le_bytes());
    d.extend_from_slice(&xf.to_le_bytes());
}

/// One worksheet substream.
fn sheet_stream(sheet: &Sheet, first: bool, opts: Xls, strings: &mut Strings) -> Vec<u8> {
    assert!(sheet.rows.len() <= MAX_ROWS, "a BIFF8 sheet holds at most 65,536 rows");
    assert!(sheet.width() <= MAX_COLS, "a BIFF8 sheet holds at most 256 columns");
    let mut s = Vec::new();
    bof(&mut s, 0x0010);
    // DIMENSIONS: the used range, rows and columns one past the last.
    let used: Vec<(usize, &Vec<Value>)> = sheet
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.iter().any(|v| *v != Value::Empty))
        .collect();
    let mut d = Vec::with_capacity(14);
    if let (Some(top), Some(bottom)) = (used.first(), used.last()) {
        let cols = used.iter().flat_map(|(_, r)| r.iter().enumerate());
        let cols: Vec<usize> = cols.filter(|(_, v)| **v != Value::Empty).map(|(c, _)| c).collect();
        let (left, right) = (cols.iter().min().copied(), cols.iter().max().copied());
        d.extend_from_slice(&(top.0 as u32).to_le_bytes());
        d.extend_from_slice(&(bottom.0 as u32 + 1).to_le_bytes());
        d.extend_from_slice(&(left.unwrap_or(0) as u16).to_le_bytes());
        d.extend_from_slice(&(right.unwrap_or(0) as u16 + 1).to_le_bytes());
    } else {
        d.extend_from_slice(&[0; 12]);
    }
    d.extend_from_slice(&[0, 0]);
    record(&mut s, 0x0200, &d);
    // WINDOW2: gridlines, headers, zeros shown; the first sheet is the selected one.
    let grbit: u16 = if first { 0x06B6 } else { 0x00B6 };
    let mut w = grbit.to_le_bytes().to_vec();
    w.extend_from_slice(&[0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    record(&mut s, 0x023E, &w);

    let titles = sheet.titles();
    for (r, row) in sheet.rows.iter().enumerate() {
        let mut run: Vec<(usize, u16, u32)> = Vec::new();
        let flush_run = |s: &mut Vec<u8>, run: &mut Vec<(usize, u16, u32)>| {
            match run.as_slice() {
                [] => {}
                [(c, xf, v)] => {
                    let mut d = Vec::with_capacity(10);
                    cell_head(&mut d, r, *c, *xf);
                    d.extend_from_slice(&v.to_le_bytes());
                    record(s, 0x027E, &d);
                }
                [(c0, ..), .., (cn, ..)] => {
                    let mut d = Vec::with_capacity(6 + 6 * run.len());
                    d.extend_from_slice(&(r as u16).to_le_bytes());
                    d.extend_from_slice(&(*c0 as u16).to_le_bytes());
                    for (_, xf, v) in run.iter() {
                        d.extend_from_slice(&xf.to_le_bytes());
                        d.extend_from_slice(&v.to_le_bytes());
                    }
                    d.extend_from_slice(&(*cn as u16).to_le_bytes());
                    record(s, 0x00BD, &d);
                }
            }
            run.clear();
        };
        for (c, v) in row.iter().enumerate() {
            let xf = if sheet.text_columns.contains(&(c as u16)) { XF_TEXT } else { XF_GENERAL };
            let number = match v {
                Value::Number(n) => Some((*n, xf)),
                Value::Date { year, month, day } => {
                    Some((excel_serial(*year, *month, *day), XF_DATE))
                }
                _ => None,
            };
            if let Some((n, xf)) = number {
                let compact = if opts.numbers == XlsNumbers::Compact { rk(n) } else { None };
                if let Some(v) = compact {
                    if run.last().is_some_and(|(last, ..)| *last + 1 != c) {
                        flush_run(&mut s, &mut run);
                    }
                    run.push((c, xf, v));
                    continue;
                }
                flush_run(&mut s, &mut run);
                let mut d = Vec::with_capacity(14);
                cell_head(&mut d, r, c, xf);
                d.extend_from_slice(&n.to_le_bytes());
                record(&mut s, 0x0203, &d);
                continue;
            }
            flush_run(&mut s, &mut run);
            let Value::Text(text) = v else { continue };
            let t = XlText::new(text);
            if opts.strings == XlsStrings::Inline && t.units <= 255 {
                let mut d = Vec::with_capacity(9 + t.bytes.len());
                cell_head(&mut d, r, c, xf);
                d.extend_from_slice(&(t.units as u16).to_le_bytes());
                d.push(t.flags());
                d.extend_from_slice(&t.bytes);
                record(&mut s, 0x0204, &d);
            } else {
                let mut d = Vec::with_capacity(10);
                cell_head(&mut d, r, c, xf);
                d.extend_from_slice(&strings.intern(text).to_le_bytes());
                record(&mut s, 0x00FD, &d);
            }
        }
        flush_run(&mut s, &mut run);
    }
    // MERGEDCELLS: each title across the sheet, at most 1026 ranges a record.
    let last_col = sheet.width().saturating_sub(1) as u16;
    for chunk in titles.chunks(1026) {
        let mut d = (chunk.len() as u16).to_le_bytes().to_vec();
        for &r in chunk {
            for v in [r as u16, r as u16, 0, last_col] {
                d.extend_from_slice(&v.to_le_bytes());
            }
        }
        record(&mut s, 0x00E5, &d);
    }
    record(&mut s, EOF, &[]);
    s
}

/// The workbook globals that every reader expects before the sheets: code page, window,
/// fonts (宋体, Excel's default on Chinese Windows), cell formats, the normal style.
fn globals_head(out: &mut Vec<u8>) {
    bof(out, 0x0005);
    record(out, 0x0042, &1200u16.to_le_bytes()); // CODEPAGE: UTF-16
    let window: [u16; 9] = [0, 0, 0x3AB0, 0x2000, 0x0038, 0, 0, 1, 0x0258];
    record(out, 0x003D, &window.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>());
    let name = XlText::new("宋体");
    for _ in 0..4 {
        // Height 11 pt in twips, automatic colour, normal weight, GB2312 character set.
        let mut f: Vec<u8> =
            [220u16, 0, 0x7FFF, 400, 0].iter().flat_map(|v| v.to_le_bytes()).collect();
        f.extend_from_slice(&[0, 0, 134, 0, name.units as u8, name.flags()]);
        f.extend_from_slice(&name.bytes);
        record(out, 0x0031, &f);
    }
    // XF: 15 style formats, then general, date (built-in format 14) and text (49, "@").
    let xf = |ifmt: u16, style: bool| -> Vec<u8> {
        let mut d: Vec<u8> = [0u16, ifmt, if style { 0xFFF5 } else { 0x0001 }]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        d.extend_from_slice(&[0x20, 0, 0, if ifmt == 0 || style { 0 } else { 0x04 }]);
        d.extend_from_slice(&[0; 8]);
        d.extend_from_slice(&0x20C0u16.to_le_bytes());
        d
    };
    for _ in 0..15 {
        record(out, 0x00E0, &xf(0, true));
    }
    for ifmt in [0, 14, 49] {
        record(out, 0x00E0, &xf(ifmt, false));
    }
    record(out, 0x0293, &[0x00, 0x80, 0x00, 0xFF]); // STYLE: built-in "Normal" on XF 0
}

/// A legacy .xls file of the workbook, as Excel writes it.
pub fn to_xls(book: &Workbook) -> Vec<u8> {
    to_xls_with(book, Xls::default())
}

pub fn to_xls_with(book: &Workbook, opts: Xls) -> Vec<u8> {
    compound_file(&[("Workbook", &workbook_stream(book, opts, false))])
}

/// The Workbook stream. `encrypted` adds the FILEPASS record a password-protected workbook
/// carries (RC4, with a made-up salt and verifier; the cells stay readable bytes, which a
/// reader must not rely on).
pub(crate) fn workbook_stream(book: &Workbook, opts: Xls, encrypted: bool) -> Vec<u8> {
    let mut strings = Strings::default();
    let sheets: Vec<Vec<u8>> = book
        .sheets
        .iter()
        .enumerate()
        .map(|(i, s)| sheet_stream(s, i == 0, opts, &mut strings))
        .collect();
    let mut out = Vec::new();
    globals_head(&mut out);
    if encrypted {
        let mut d = vec![1, 0, 1, 0, 1, 0];
        d.extend((0..48u8).map(|i| i.wrapping_mul(37)));
        // FILEPASS must follow BOF directly.
        let mut rec = Vec::new();
        record(&mut rec, 0x002F, &d);
        let after_bof = 4 + 16;
        out.splice(after_bof..after_bof, rec);
    }
    // BOUNDSHEET8 points at each sheet's BOF by stream offset, known once the globals end.
    let mut patches = Vec::new();
    for sheet in &book.sheets {
        let name = XlText::new(&sheet.name);
        assert!(name.units <= 31, "a sheet name has at most 31 characters");
        let mut d = vec![0u8; 6];
        d.extend_from_slice(&[name.units as u8, name.flags()]);
        d.extend_from_slice(&name.bytes);
        patches.push(out.len() + 4);
        record(&mut out, 0x0085, &d);
    }
    if !strings.order.is_empty() {
        strings.write(&mut out);
    }
    record(&mut out, EOF, &[]);
    for (at, stream) in patches.into_iter().zip(sheets) {
        let pos = u32::try_from(out.len()).expect("a workbook stream under 4 GiB");
        out[at..at + 4].copy_from_slice(&pos.to_le_bytes());
        out.extend(stream);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rk_holds_exactly_what_it_can() {
        for n in [0.0, 1.0, -7.0, 536_870_911.0, 12.34, -0.5, 2.5, 45_292.0] {
            let v = rk(n).unwrap_or_else(|| panic!("{n} fits RK"));
            let mut f = if v & 2 != 0 {
                f64::from((v as i32) >> 2)
            } else {
                f64::from_bits(u64::from(v & !3) << 32)
            };
            if v & 1 != 0 {
                f /= 100.0;
            }
            assert_eq!(f, n);
        }
        for n in [536_870_913.0, 330_402_800_202_112.0, 0.1 + 0.2, 13_812_345_678.0] {
            assert_eq!(rk(n), None, "{n}");
        }
    }
}
