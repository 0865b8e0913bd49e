//! Text rosters (CSV, TSV, TXT): the encoding found from the bytes (BOM, valid UTF-8, else GBK
//! or GB18030), the delimiter from the first lines, and records streamed through a decoder so
//! a file of any size is read in constant memory.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};

use super::super::source::{Cell, Flow, Format, Input, Limits, RawRow, ReadError, SheetInfo};

const SAMPLE: usize = 256 * 1024;
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

pub(super) struct TextInput {
    path: PathBuf,
    encoding: &'static Encoding,
    label: &'static str,
    bom: usize,
    delimiter: u8,
    sheets: Vec<SheetInfo>,
    max_record: u64,
    max_rows: u64,
}

/// Whether the bytes are UTF-8 all the way through, read in chunks (a multi-byte character
/// may straddle two chunks).
fn whole_file_is_utf8(path: &Path, skip: usize) -> Result<bool, ReadError> {
    let mut r = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut skipped = vec![0u8; skip];
    r.read_exact(&mut skipped)?;
    let mut carry: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(carry.is_empty());
        }
        carry.extend_from_slice(&buf[..n]);
        match std::str::from_utf8(&carry) {
            Ok(_) => carry.clear(),
            Err(e) if e.error_len().is_none() => {
                // An incomplete character at the end: keep it for the next chunk.
                let keep = carry.split_off(e.valid_up_to());
                carry = keep;
            }
            Err(_) => return Ok(false),
        }
    }
}

/// GB18030's four-byte sequences (a lead byte then a digit) never occur in GBK.
fn needs_gb18030(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i + 1 < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
        } else if (0x81..=0xFE).contains(&b) && (0x30..=0x39).contains(&bytes[i + 1]) {
            return true;
        } else {
            i += 2;
        }
    }
    false
}

fn looks_binary(sample: &[u8]) -> bool {
    let control = sample
        .iter()
        .filter(|&&b| b == 0 || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)))
        .count();
    sample.contains(&0) || control * 100 > sample.len().max(1)
}

/// Counts `delim` outside quotes on each line of `text`.
fn counts_per_line(text: &str, delim: char) -> Vec<usize> {
    let mut counts = Vec::new();
    let (mut in_quotes, mut n, mut seen) = (false, 0usize, false);
    for c in text.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
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
    counts
}

/// The delimiter giving the most lines with the same, non-zero number of columns.
fn detect_delimiter(text: &str) -> u8 {
    let mut best = (0usize, 0usize, b',');
    for d in DELIMITERS {
        let counts = counts_per_line(text, d as char);
        let mut freq: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        for c in counts.iter().filter(|c| **c > 0) {
            *freq.entry(*c).or_default() += 1;
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
        let (encoding, label, bom): (&'static Encoding, &'static str, usize) =
            if sample.starts_with(b"\xEF\xBB\xBF") {
                (UTF_8, "utf-8", 3)
            } else if sample.starts_with(b"\xFF\xFE") {
                (UTF_16LE, "utf-16le", 2)
            } else if sample.starts_with(b"\xFE\xFF") {
                (UTF_16BE, "utf-16be", 2)
            } else if looks_binary(&sample) {
                return Err(ReadError::NotARoster(
                    "the file is neither a spreadsheet nor text (binary data)".into(),
                ));
            } else if whole_file_is_utf8(path, 0)? {
                (UTF_8, "utf-8", 0)
            } else {
                // Excel on Chinese Windows saves CSV in the ANSI code page: GBK, or GB18030
                // when a character outside GBK occurs. encoding_rs decodes both as GB18030.
                let label = if needs_gb18030(&sample) { "gb18030" } else { "gbk" };
                (GB18030, label, 0)
            };
        let (decoded, _) = encoding.decode_without_bom_handling(&sample[bom..]);
        // Drop a possibly cut last line from the sample before judging delimiters.
        let text = match decoded.rfind('\n') {
            Some(end) if sample.len() >= SAMPLE => &decoded[..end + 1],
            _ => &decoded[..],
        };
        if text.trim().is_empty() {
            return Err(ReadError::Empty);
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
            sheets: vec![SheetInfo { name, rows_hint: Some(size / per_line) }],
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
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .buffer_capacity(1 << 16)
            .from_reader(decoding);
        let mut record = csv::ByteRecord::new();
        let mut row: u32 = 0;
        loop {
            let more = csv.read_byte_record(&mut record).map_err(|e| {
                let too_large = matches!(e.kind(), csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|i| i.is::<RecordTooLarge>()));
                if too_large {
                    ReadError::TooLarge(format!("a record is longer than {} MiB", self.max_record >> 20))
                } else {
                    ReadError::Corrupt(e.to_string())
                }
            })?;
            if !more {
                return Ok(());
            }
            since.store(0, Ordering::Relaxed);
            row = row.saturating_add(1);
            if u64::from(row) > self.max_rows {
                return Err(ReadError::TooLarge(format!("more than {} rows", self.max_rows)));
            }
            let cells = record
                .iter()
                .map(|f| {
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
