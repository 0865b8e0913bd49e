//! The zipped spreadsheets: xlsx through rust_xlsxwriter (merged title rows, numbers as
//! numbers), ods as the minimal OpenDocument package LibreOffice itself would accept.

use std::io::Write as _;

use rust_xlsxwriter::{Format, Workbook as XlsxBook};

use crate::model::{Value, Workbook};

/// An xlsx workbook. A row whose only cell is text in the first column and which precedes
/// wider rows is written as a merged title across the sheet's width, as offices do.
pub fn to_xlsx(book: &Workbook) -> Vec<u8> {
    let mut out = XlsxBook::new();
    let merged = Format::new().set_bold();
    for sheet in &book.sheets {
        let ws = out.add_worksheet();
        ws.set_name(&sheet.name).expect("a valid sheet name");
        let width = sheet.rows.iter().map(Vec::len).max().unwrap_or(1).max(1) as u16;
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = r as u32;
            let title = row.len() == 1 && width > 1;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                match v {
                    Value::Text(s) if title => {
                        ws.merge_range(r, 0, r, width - 1, s, &merged).expect("merge");
                    }
                    Value::Text(s) => {
                        ws.write_string(r, c, s).expect("write");
                    }
                    Value::Number(n) => {
                        ws.write_number(r, c, *n).expect("write");
                    }
                    Value::Empty => {}
                }
            }
        }
    }
    out.save_to_buffer().expect("xlsx in memory")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
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
        content.push_str(&format!(r#"<table:table table:name="{}">"#, xml_escape(&sheet.name)));
        for row in &sheet.rows {
            content.push_str("<table:table-row>");
            for v in row {
                match v {
                    Value::Text(s) => content.push_str(&format!(
                        r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                        xml_escape(s)
                    )),
                    Value::Number(n) => content.push_str(&format!(
                        r#"<table:table-cell office:value-type="float" office:value="{n}"><text:p>{n}</text:p></table:table-cell>"#
                    )),
                    Value::Empty => content.push_str("<table:table-cell/>"),
                }
            }
            content.push_str("</table:table-row>");
        }
        content.push_str("</table:table>");
    }
    content.push_str("</office:spreadsheet></office:body></office:document-content>");
    let manifest = concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        r#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">"#,
        r#"<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>"#,
        r#"<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>"#,
        r#"</manifest:manifest>"#
    );
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default();
    zip.start_file("mimetype", stored).expect("zip");
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").expect("zip");
    zip.start_file("META-INF/manifest.xml", deflated).expect("zip");
    zip.write_all(manifest.as_bytes()).expect("zip");
    zip.start_file("content.xml", deflated).expect("zip");
    zip.write_all(content.as_bytes()).expect("zip");
    zip.finish().expect("zip");
    out.into_inner()
}
