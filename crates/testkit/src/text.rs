//! Text rosters in the encodings offices produce: UTF-8 with or without a BOM, GBK and GB18030
//! (Excel on Chinese Windows), UTF-16 with a BOM (Excel's "Unicode Text"), any delimiter.

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Csv {
    pub encoding: TextEncoding,
    pub delimiter: char,
    pub line_end: LineEnd,
}

impl Default for Csv {
    fn default() -> Csv {
        Csv { encoding: TextEncoding::Utf8, delimiter: ',', line_end: LineEnd::Crlf }
    }
}

fn quote(cell: &str, delimiter: char) -> String {
    if cell.contains([delimiter, '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

/// The sheet as a text file (numbers written as a spreadsheet would export them).
pub fn to_csv(sheet: &Sheet, opts: Csv) -> Vec<u8> {
    let eol = if opts.line_end == LineEnd::Crlf { "\r\n" } else { "\n" };
    let mut text = String::new();
    for row in &sheet.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|v| match v {
                Value::Text(s) => quote(s, opts.delimiter),
                Value::Number(n) if n.fract() == 0.0 => format!("{n:.0}"),
                Value::Number(n) => n.to_string(),
                Value::Empty => String::new(),
            })
            .collect();
        text.push_str(&cells.join(&opts.delimiter.to_string()));
        text.push_str(eol);
    }
    match opts.encoding {
        TextEncoding::Utf8 => text.into_bytes(),
        TextEncoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        TextEncoding::Gbk => encoding_rs::GBK.encode(&text).0.into_owned(),
        TextEncoding::Gb18030 => encoding_rs::GB18030.encode(&text).0.into_owned(),
        TextEncoding::Utf16LeBom => {
            [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
        }
        TextEncoding::Utf16BeBom => {
            [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect()
        }
    }
}
