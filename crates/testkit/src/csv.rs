//! Text rosters in the encodings offices produce: UTF-8 with or without a BOM, GBK and GB18030
//! (Excel on Chinese Windows), UTF-16 with a BOM (Excel's "Unicode Text"), any delimiter,
//! quoted as Excel quotes.

use std::io::{self, Write};

use crate::model::{Sheet, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Gbk,
    Gb18030,
    Utf16LeBom,
    Utf16BeBom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    Crlf,
    Lf,
}

impl LineEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnd::Crlf => "\r\n",
            LineEnd::Lf => "\n",
        }
    }
}

/// How a text roster is written. The default is what a UTF-8 exporter on Windows produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Csv {
    pub encoding: TextEncoding,
    /// `,` `;` `\t` or `|`; any character works, quoting follows it.
    pub delimiter: char,
    pub line_end: LineEnd,
}

impl Default for Csv {
    fn default() -> Csv {
        Csv { encoding: TextEncoding::Utf8, delimiter: ',', line_end: LineEnd::Crlf }
    }
}

/// Appends one field, quoted when it holds the delimiter, a quote or a line break (quotes
/// doubled), as Excel and RFC 4180 do; other fields stay bare, as Excel leaves them.
pub(crate) fn push_field(out: &mut String, cell: &str, delimiter: char) {
    if cell.contains([delimiter, '"', '\n', '\r']) {
        out.push('"');
        for (i, part) in cell.split('"').enumerate() {
            if i > 0 {
                out.push_str("\"\"");
            }
            out.push_str(part);
        }
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

/// A cell as a spreadsheet saving CSV shows it: numbers in full (no exponent), dates in the
/// Chinese short-date form.
fn push_value(out: &mut String, v: &Value, delimiter: char) {
    use std::fmt::Write as _;
    match v {
        Value::Text(s) => push_field(out, s, delimiter),
        Value::Number(n) => write!(out, "{n}").expect("writing to a String"),
        Value::Date { year, month, day } => {
            write!(out, "{year}/{month}/{day}").expect("writing to a String")
        }
        Value::Empty => {}
    }
}

/// The sheet as a text file; its name is not written (a CSV has none).
///
/// Panics when a character cannot be written in GBK, rather than writing the `&#NNNN;` a
/// lenient encoder would: a test asking for GBK with such a character wants GB18030.
pub fn to_csv(sheet: &Sheet, opts: Csv) -> Vec<u8> {
    let mut text = String::new();
    for row in &sheet.rows {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                text.push(opts.delimiter);
            }
            push_value(&mut text, v, opts.delimiter);
        }
        text.push_str(opts.line_end.as_str());
    }
    let mut out = TextWriter::new(Vec::with_capacity(text.len() + 4), opts.encoding)
        .expect("writing to a Vec");
    out.write_str(&text).expect("writing to a Vec");
    out.into_inner()
}

/// Writes UTF-8 text to `W` in one of the encodings, BOM first, so a generator can stream
/// millions of rows through one reused buffer.
pub(crate) struct TextWriter<W: Write> {
    inner: W,
    encoding: TextEncoding,
    encoder: Option<encoding_rs::Encoder>,
    buf: Vec<u8>,
}

impl<W: Write> TextWriter<W> {
    pub(crate) fn new(mut inner: W, encoding: TextEncoding) -> io::Result<TextWriter<W>> {
        let bom: &[u8] = match encoding {
            TextEncoding::Utf8Bom => b"\xEF\xBB\xBF",
            TextEncoding::Utf16LeBom => b"\xFF\xFE",
            TextEncoding::Utf16BeBom => b"\xFE\xFF",
            _ => b"",
        };
        inner.write_all(bom)?;
        let encoder = match encoding {
            TextEncoding::Gbk => Some(encoding_rs::GBK.new_encoder()),
            TextEncoding::Gb18030 => Some(encoding_rs::GB18030.new_encoder()),
            _ => None,
        };
        Ok(TextWriter { inner, encoding, encoder, buf: Vec::new() })
    }

    pub(crate) fn write_str(&mut self, s: &str) -> io::Result<()> {
        self.buf.clear();
        match self.encoding {
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => {
                return self.inner.write_all(s.as_bytes())
            }
            TextEncoding::Utf16LeBom => {
                self.buf.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
            }
            TextEncoding::Utf16BeBom => {
                self.buf.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
            }
            TextEncoding::Gbk | TextEncoding::Gb18030 => {
                let encoder = self.encoder.as_mut().expect("an encoder for GBK and GB18030");
                let need = encoder
                    .max_buffer_length_from_utf8_without_replacement(s.len())
                    .expect("a text of sane length");
                self.buf.reserve(need);
                let (result, read) =
                    encoder.encode_from_utf8_to_vec_without_replacement(s, &mut self.buf, false);
                if let encoding_rs::EncoderResult::Unmappable(c) = result {
                    panic!(
                        "{c:?} (after {:?}) has no GBK code: write this roster as Gb18030",
                        &s[..read]
                    );
                }
            }
        }
        self.inner.write_all(&self.buf)
    }

    pub(crate) fn into_inner(self) -> W {
        self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        let mut s = String::new();
        for cell in ["张三", "a,b", "say \"hi\"", "two\nlines", "a;b"] {
            push_field(&mut s, cell, ',');
            s.push('|');
        }
        assert_eq!(s, "张三|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"|a;b|");
    }

    #[test]
    fn numbers_and_dates_read_as_a_spreadsheet_shows_them() {
        let sheet = Sheet::new("x").cells(vec![
            Value::Number(330402198001011200.0),
            Value::Number(2.5),
            Value::Number(7.0),
            Value::date(1980, 1, 5),
            Value::Empty,
        ]);
        let out = to_csv(&sheet, Csv { line_end: LineEnd::Lf, ..Csv::default() });
        assert_eq!(String::from_utf8(out).expect("utf-8"), "330402198001011200,2.5,7,1980/1/5,\n");
    }

    #[test]
    #[should_panic(expected = "no GBK code")]
    fn gbk_refuses_what_it_cannot_hold() {
        let sheet = Sheet::new("x").row(&["𠀾嘉"]);
        to_csv(&sheet, Csv { encoding: TextEncoding::Gbk, ..Csv::default() });
    }
}
