//! OpenDocument spreadsheets as LibreOffice saves them: `mimetype` stored first, a manifest,
//! content.xml with a table per sheet; runs of empty cells and rows collapsed with `repeated`,
//! titles spanning the sheet, whitespace in text kept by `text:s`, line breaks as paragraphs.

use std::fmt::Write as _;
use std::io::Write as _;

use crate::model::{Sheet, Value, Workbook};

const MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                panic!("{c:?} cannot be written in XML 1.0")
            }
            c => out.push(c),
        }
    }
}

/// One line of cell text as a paragraph. ODF collapses runs of spaces and drops them at the
/// start of a paragraph, so all but a lone inner space are written as `<text:s/>`.
fn paragraph(out: &mut String, line: &str) {
    out.push_str("<text:p>");
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut plain = String::new();
    while i < chars.len() {
        match chars[i] {
            ' ' => {
                let run = chars[i..].iter().take_while(|&&c| c == ' ').count();
                let inner = i > 0 && i + run < chars.len();
                let literal = usize::from(inner);
                plain.extend(std::iter::repeat_n(' ', literal));
                escape_into(out, &plain);
                plain.clear();
                match run - literal {
                    0 => {}
                    1 => out.push_str("<text:s/>"),
                    n => write!(out, "<text:s text:c=\"{n}\"/>").expect("writing to a String"),
                }
                i += run;
            }
            '\t' => {
                escape_into(out, &plain);
                plain.clear();
                out.push_str("<text:tab/>");
                i += 1;
            }
            c => {
                plain.push(c);
                i += 1;
            }
        }
    }
    escape_into(out, &plain);
    out.push_str("</text:p>");
}

fn is_blank(row: &[Value]) -> bool {
    row.iter().all(|v| *v == Value::Empty)
}

fn table(out: &mut String, sheet: &Sheet) {
    let width = sheet.width().max(1);
    out.push_str("<table:table table:name=\"");
    escape_into(out, &sheet.name);
    write!(out, "\"><table:table-column table:number-columns-repeated=\"{width}\"/>")
        .expect("writing to a String");
    let titles = sheet.titles();
    let mut r = 0;
    while r < sheet.rows.len() {
        let row = &sheet.rows[r];
        if is_blank(row) {
            let run = sheet.rows[r..].iter().take_while(|row| is_blank(row)).count();
            if run > 1 {
                write!(out, "<table:table-row table:number-rows-repeated=\"{run}\">")
                    .expect("writing to a String");
            } else {
                out.push_str("<table:table-row>");
            }
            write!(out, "<table:table-cell table:number-columns-repeated=\"{width}\"/>")
                .expect("writing to a String");
            out.push_str("</table:table-row>");
            r += run;
            continue;
        }
        out.push_str("<table:table-row>");
        let spanned = titles.contains(&r) && width > 1;
        let used = row.iter().rposition(|v| *v != Value::Empty).map_or(0, |p| p + 1);
        let mut c = 0;
        while c < used {
            let v = &row[c];
            if *v == Value::Empty {
                let run = row[c..used].iter().take_while(|v| **v == Value::Empty).count();
                if run > 1 {
                    write!(out, "<table:table-cell table:number-columns-repeated=\"{run}\"/>")
                        .expect("writing to a String");
                } else {
                    out.push_str("<table:table-cell/>");
                }
                c += run;
                continue;
            }
            out.push_str("<table:table-cell");
            if spanned {
                write!(out, " table:number-columns-spanned=\"{width}\"").expect("writing");
            }
            match v {
                Value::Text(s) => {
                    out.push_str(" office:value-type=\"string\">");
                    for line in s.split('\n') {
                        paragraph(out, line.strip_suffix('\r').unwrap_or(line));
                    }
                }
                Value::Number(n) => {
                    write!(out, " office:value-type=\"float\" office:value=\"{n}\">").expect("w");
                    write!(out, "<text:p>{n}</text:p>").expect("writing to a String");
                }
                Value::Date { year, month, day } => {
                    let iso = format!("{year:04}-{month:02}-{day:02}");
                    write!(out, " office:value-type=\"date\" office:date-value=\"{iso}\">")
                        .expect("writing to a String");
                    write!(out, "<text:p>{year}/{month}/{day}</text:p>").expect("writing");
                }
                Value::Empty => unreachable!("empty cells are written as runs above"),
            }
            out.push_str("</table:table-cell>");
            c += 1;
        }
        if spanned {
            write!(
                out,
                "<table:covered-table-cell table:number-columns-repeated=\"{}\"/>",
                width - 1
            )
            .expect("writing to a String");
        }
        out.push_str("</table:table-row>");
        r += 1;
    }
    out.push_str("</table:table>");
}

/// An ods workbook.
pub fn to_ods(book: &Workbook) -> Vec<u8> {
    let mut content = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" "#,
        r#"xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" "#,
        r#"xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">"#,
        r#"<office:body><office:spreadsheet>"#
    ));
    for sheet in &book.sheets {
        table(&mut content, sheet);
    }
    content.push_str("</office:spreadsheet></office:body></office:document-content>");
    let manifest = format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">"#,
            r#"<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="{}"/>"#,
            r#"<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>"#,
            r#"</manifest:manifest>"#
        ),
        MIMETYPE
    );
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    // The mimetype goes first and uncompressed, so a reader can sniff it at a fixed offset.
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default();
    zip.start_file("mimetype", stored).expect("zip in memory");
    zip.write_all(MIMETYPE.as_bytes()).expect("zip in memory");
    zip.start_file("META-INF/manifest.xml", deflated).expect("zip in memory");
    zip.write_all(manifest.as_bytes()).expect("zip in memory");
    zip.start_file("content.xml", deflated).expect("zip in memory");
    zip.write_all(content.as_bytes()).expect("zip in memory");
    zip.finish().expect("zip in memory");
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_survive_odf_whitespace_rules() {
        let mut s = String::new();
        paragraph(&mut s, "  a b   c\td ");
        assert_eq!(
            s,
            "<text:p><text:s text:c=\"2\"/>a b <text:s text:c=\"2\"/>c<text:tab/>d<text:s/></text:p>"
        );
    }
}
