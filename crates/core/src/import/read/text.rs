//! Text rosters (CSV, TSV, TXT): the encoding found from the bytes (BOM, valid UTF-8, else GBK
//! or GB18030), the delimiter from the first lines, and records streamed through a decoder so
//! a file of any size is read in constant memory.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};

use super::super::source::{Cell, Flow, Format, Input, Limits, RawRow, ReadError, SheetInfo};

/// Enough lines to judge the encoding's plausibility and the delimiter.
const SAMPLE: usize = 256 * 1024;
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

pub(super) struct TextInput {
    path: PathBuf,
    encoding: &'static Encoding,
    label: &'static str,
    bom: usize,
    delimiter: u8,
    /// Lines end in LF (or CRLF); only then can skipped blank lines be counted back.
    lf: bool,
    sheets: Vec<SheetInfo>,
    max_record: u64,
    max_rows: u64,
}

/// What one pass over the whole file says about its bytes. A GBK file may be pure ASCII for
/// its first megabytes, and GB18030's four-byte sequences may appear only near its end.
struct Bytes {
    utf8: bool,
    gb18030: bool,
}

fn survey(path: &Path) -> Result<Bytes, ReadError> {
    let mut r = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let (mut utf8, mut gb18030) = (true, false);
    let mut carry: Vec<u8> = Vec::new();
    // Whether the previous byte opened a GBK/GB18030 pair.
    let mut lead = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(Bytes { utf8: utf8 && carry.is_empty(), gb18030 });
        }
        let n = chunk.len();
        if !gb18030 {
            for &b in chunk {
                if lead {
                    // A digit after a lead byte starts a four-byte sequence, absent from GBK.
                    gb18030 = b.is_ascii_digit();
                    lead = false;
                    if gb18030 {
                        break;
                    }
                } else {
                    lead = (0x81..=0xFE).contains(&b);
                }
            }
        }
        if utf8 {
            carry.extend_from_slice(chunk);
            match std::str::from_utf8(&carry) {
                Ok(_) => carry.clear(),
                // A character cut by the chunk's end: keep its start for the next chunk.
                Err(e) if e.error_len().is_none() => {
                    carry.drain(..e.valid_up_to());
                }
                Err(_) => utf8 = false,
            }
        }
        r.consume(n);
        if !utf8 && gb18030 {
            return Ok(Bytes { utf8, gb18030 });
        }
    }
}

/// Text that Excel or a text editor wrote has almost no control characters and, once
/// decoded, no undecodable bytes.
fn looks_like_text(text: &str) -> bool {
    let (mut chars, mut bad) = (0usize, 0usize);
    for c in text.chars() {
        chars += 1;
        if c == '\u{FFFD}' || (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{0C}')) {
            bad += 1;
        }
    }
    bad * 100 <= chars
}

/// Counts `delim` outside quotes on each line of `text`.
fn counts_per_line(text: &str, delim: char) -> Vec<usize> {
    let mut counts = Vec::new();
    let (mut in_quotes, mut n, mut seen) = (false, 0usize, false);
    for c in text.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                seen = true;
            }
            '\n' if !in_quotes => {
                if seen {
                    counts.push(n);
                }
                n = 0;
                seen = false;
            }
            '\r' => {}
            c if c == delim && !in_quotes => {
                n += 1;
                seen = true;
            }
            _ => seen = true,
        }
    }
    if seen {
        counts.push(n);
    }
    counts
}

/// The delimiter giving the most lines with the same number (more than one) of columns; a
/// title line above the header has none and does not count.
fn detect_delimiter(text: &str) -> u8 {
    let mut best = (0usize, 0usize, b',');
    for d in DELIMITERS {
        let counts = counts_per_line(text, d as char);
        let mut freq: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
        for c in counts.into_iter().filter(|c| *c > 0) {
            *freq.entry(c).or_default() += 1;
        }
        if let Some((&mode, &lines)) = freq.iter().max_by_key(|(k, v)| (**v, **k)) {
            if (lines, mode) > (best.0, best.1) {
                best = (lines, mode, d);
            }
        }
    }
    best.2
}

impl TextInput {
    pub(super) fn open(path: &Path, name: String, limits: &Limits) -> Result<TextInput, ReadError> {
        let mut sample = Vec::with_capacity(SAMPLE);
        std::fs::File::open(path)?.take(SAMPLE as u64).read_to_end(&mut sample)?;
        let not_text = || {
            ReadError::NotARoster(
                "the file is neither a spreadsheet nor text a roster could be read from".into(),
            )
        };
        let (encoding, label, bom): (&'static Encoding, &'static str, usize) =
            if sample.starts_with(b"\xEF\xBB\xBF") {
                (UTF_8, "utf-8", 3)
            } else if sample.starts_with(b"\xFF\xFE") {
                (UTF_16LE, "utf-16le", 2)
            } else if sample.starts_with(b"\xFE\xFF") {
                (UTF_16BE, "utf-16be", 2)
            } else if sample.contains(&0) {
                // NULs only occur in text as UTF-16, which Excel always marks with a BOM.
                return Err(not_text());
            } else {
                let bytes = survey(path)?;
                if bytes.utf8 {
                    (UTF_8, "utf-8", 0)
                } else {
                    // Excel on Chinese Windows saves CSV in the ANSI code page: GBK, or GB18030
                    // when a character outside GBK occurs. encoding_rs decodes both as GB18030.
                    (GB18030, if bytes.gb18030 { "gb18030" } else { "gbk" }, 0)
                }
            };
        let (decoded, _) = encoding.decode_without_bom_handling(&sample[bom..]);
        // Drop a possibly cut last line (and character) from the sample before judging it.
        let text = match decoded.rfind('\n') {
            Some(end) if sample.len() >= SAMPLE => &decoded[..end + 1],
            _ => &decoded[..],
        };
        if text.trim().is_empty() {
            return Err(ReadError::Empty);
        }
        if !looks_like_text(text) {
            return Err(not_text());
        }
        let delimiter = detect_delimiter(text);
        let size = std::fs::metadata(path)?.len();
        let lines = text.lines().count().max(1) as u64;
        let per_line = (sample.len() as u64 / lines).max(1);
        Ok(TextInput {
            path: path.to_owned(),
            encoding,
            label,
            bom,
            delimiter,
            lf: text.contains('\n') || !text.contains('\r'),
            sheets: vec![SheetInfo { name, rows_hint: Some((size / per_line).max(1)) }],
            max_record: limits.max_record_bytes,
            max_rows: limits.max_rows,
        })
    }
}

/// Decodes a byte stream to UTF-8 as it is read, and refuses a record larger than the limit
/// without holding it: `since_record` is reset by the reader after each record.
struct Decoding<R> {
    inner: R,
    decoder: Option<encoding_rs::Decoder>,
    input: Vec<u8>,
    output: Vec<u8>,
    out_pos: usize,
    eof: bool,
    since_record: Arc<AtomicU64>,
    max_record: u64,
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.since_record.load(Ordering::Relaxed) > self.max_record {
            return Err(std::io::Error::other(RecordTooLarge));
        }
        let n = match &mut self.decoder {
            None => self.inner.read(buf)?,
            Some(decoder) => {
                while self.out_pos == self.output.len() && !self.eof {
                    let got = self.inner.read(&mut self.input)?;
                    self.eof = got == 0;
                    self.output.clear();
                    self.output
                        .resize(decoder.max_utf8_buffer_length(got).unwrap_or(got * 3 + 16), 0);
                    let (_, _, written, _) =
                        decoder.decode_to_utf8(&self.input[..got], &mut self.output, self.eof);
                    self.output.truncate(written);
                    self.out_pos = 0;
                }
                let n = (self.output.len() - self.out_pos).min(buf.len());
                buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                n
            }
        };
        self.since_record.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[derive(Debug)]
struct RecordTooLarge;

impl std::fmt::Display for RecordTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("record too large")
    }
}

impl std::error::Error for RecordTooLarge {}

impl TextInput {
    fn next_row(&self, row: u32) -> Result<u32, ReadError> {
        if u64::from(row) >= self.max_rows || row == u32::MAX {
            return Err(ReadError::TooLarge(format!("more than {} rows", self.max_rows)));
        }
        Ok(row + 1)
    }
}

impl Input for TextInput {
    fn format(&self) -> Format {
        Format::Csv
    }

    fn encoding(&self) -> Option<&'static str> {
        Some(self.label)
    }

    fn delimiter(&self) -> Option<char> {
        Some(self.delimiter as char)
    }

    fn sheets(&self) -> &[SheetInfo] {
        &self.sheets
    }

    fn visit_rows(
        &mut self,
        index: usize,
        visit: &mut dyn FnMut(RawRow) -> Flow,
    ) -> Result<(), ReadError> {
        if index != 0 {
            return Ok(());
        }
        let mut file = BufReader::with_capacity(1 << 20, std::fs::File::open(&self.path)?);
        let available = file.fill_buf()?.len();
        file.consume(self.bom.min(available));
        let since = Arc::new(AtomicU64::new(0));
        let decoding = Decoding {
            inner: file,
            decoder: (self.encoding != UTF_8)
                .then(|| self.encoding.new_decoder_without_bom_handling()),
            input: vec![0u8; 1 << 16],
            output: Vec::new(),
            out_pos: 0,
            eof: false,
            since_record: since.clone(),
            max_record: self.max_record,
        };
        // Records end at LF, so that a record's own newline is always consumed with it and
        // line numbers tell where it started; a CR before the LF is trimmed below.
        let terminator = if self.lf { csv::Terminator::Any(b'\n') } else { csv::Terminator::CRLF };
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .terminator(terminator)
            .buffer_capacity(1 << 16)
            .from_reader(decoding);
        let mut record = csv::ByteRecord::new();
        let (mut row, mut prev_end) = (0u32, 0u64);
        let max_record = self.max_record;
        loop {
            let more = csv.read_byte_record(&mut record).map_err(|e| match e.into_kind() {
                csv::ErrorKind::Io(io)
                    if io.get_ref().is_some_and(|i| i.is::<RecordTooLarge>()) =>
                {
                    ReadError::TooLarge(format!("a record is longer than {} MiB", max_record >> 20))
                }
                csv::ErrorKind::Io(io) => ReadError::Io(io),
                other => ReadError::Corrupt(format!("{other:?}")),
            })?;
            if !more {
                return Ok(());
            }
            since.store(0, Ordering::Relaxed);
            // The csv crate skips empty lines; an official sees each as a row, so they keep
            // their numbers (and are handed over as blank rows, which the importer counts).
            // A record's first line is the reader's line, less the newlines inside its
            // quoted fields, less its own newline (absent only at the end of the file).
            let inside = memchr::memchr_iter(b'\n', record.as_slice()).count() as u64;
            let own = u64::from(!csv.is_done());
            let start = csv.position().line().saturating_sub(inside + own);
            let blanks = if self.lf { start.saturating_sub(prev_end + 1) } else { 0 };
            prev_end = start + inside;
            for _ in 0..blanks {
                row = self.next_row(row)?;
                if visit(RawRow { row, cells: Vec::new() }).is_break() {
                    return Ok(());
                }
            }
            row = self.next_row(row)?;
            let last = record.len().saturating_sub(1);
            let cells = record
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let f = if i == last { f.strip_suffix(b"\r").unwrap_or(f) } else { f };
                    if f.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(String::from_utf8_lossy(f).into_owned())
                    }
                })
                .collect();
            if visit(RawRow { row, cells }).is_break() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
