//! Every kind of file the spec names, built here byte by byte, read back exactly; hostile
//! files refused with the right error and no panic.

use std::io::Write as _;
use std::path::PathBuf;

use super::*;
use crate::import::source::{Cell, Format, RawRow};

fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).expect("write fixture");
    p
}

fn rows(input: &mut dyn Input, sheet: usize) -> Vec<RawRow> {
    let mut out = Vec::new();
    input
        .visit_rows(sheet, &mut |r| {
            out.push(r);
            std::ops::ControlFlow::Continue(())
        })
        .expect("rows");
    out
}

fn texts(r: &RawRow) -> Vec<String> {
    r.cells
        .iter()
        .map(|c| match c {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => format!("#{n}"),
            Cell::Empty => String::new(),
            other => format!("{other:?}"),
        })
        .collect()
}

const ROSTER: &str = "姓名,身份证号码,联系电话\r\n张三,11010519491231002X,13812345678\r\n\"李,四\",,\"0573-8123\n4567\"\r\n";

#[test]
fn every_text_encoding_is_detected_and_decoded() {
    let dir = tempfile::tempdir().expect("dir");
    let utf16le: Vec<u8> =
        [0xFF, 0xFE].into_iter().chain(ROSTER.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let utf16be: Vec<u8> =
        [0xFE, 0xFF].into_iter().chain(ROSTER.encode_utf16().flat_map(u16::to_be_bytes)).collect();
    let gbk = encoding_rs::GBK.encode(ROSTER).0.into_owned();
    let gb18030 = encoding_rs::GB18030.encode(&format!("{ROSTER}𠀀坤,,\r\n")).0.into_owned();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("utf8.csv", ROSTER.as_bytes().to_vec(), "utf-8"),
        ("bom.csv", [b"\xEF\xBB\xBF".as_slice(), ROSTER.as_bytes()].concat(), "utf-8"),
        ("le.txt", utf16le, "utf-16le"),
        ("be.txt", utf16be, "utf-16be"),
        ("gbk.csv", gbk, "gbk"),
        ("gb18030.csv", gb18030, "gb18030"),
    ];
    for (name, bytes, want) in cases {
        let mut input = open(&file(&dir, name, &bytes), &Limits::default()).expect(name);
        assert_eq!(input.encoding(), Some(want), "{name}");
        let got = rows(input.as_mut(), 0);
        assert_eq!(texts(&got[0]), ["姓名", "身份证号码", "联系电话"], "{name}");
        assert_eq!(
            texts(&got[2]),
            ["李,四", "", "0573-8123\n4567"],
            "{name}: quotes keep delimiters and newlines"
        );
        assert_eq!(got[2].row, 3, "{name}: a quoted newline does not start a row");
    }
}

#[test]
fn every_delimiter_is_detected_even_below_a_title_line() {
    let dir = tempfile::tempdir().expect("dir");
    for d in [',', ';', '\t', '|'] {
        let body = format!("某某社区居民花名册\n姓名{d}性别{d}联系电话\n张三{d}男{d}13812345678\n李四{d}女{d}13912345678\n");
        let mut input =
            open(&file(&dir, "d.csv", body.as_bytes()), &Limits::default()).expect("open");
        assert_eq!(input.delimiter(), Some(d));
        let got = rows(input.as_mut(), 0);
        assert_eq!(texts(&got[1]), ["姓名", "性别", "联系电话"]);
    }
}

#[test]
fn a_csv_named_xlsx_is_read_as_csv() {
    let dir = tempfile::tempdir().expect("dir");
    let input =
        open(&file(&dir, "roster.xlsx", ROSTER.as_bytes()), &Limits::default()).expect("open");
    assert_eq!(input.format(), Format::Csv);
}

#[test]
fn an_xlsx_keeps_title_rows_numbers_and_sheets() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("r.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let s = book.add_worksheet().set_name("第1网格").expect("name");
    s.merge_range(0, 0, 0, 2, "XX社区居民花名册", &rust_xlsxwriter::Format::new()).expect("merge");
    for (c, h) in ["姓名", "身份证号码", "联系电话"].iter().enumerate() {
        s.write_string(1, c as u16, *h).expect("h");
    }
    s.write_string(2, 0, "张三").expect("c");
    s.write_number(2, 1, 110105194912310020.0).expect("c");
    s.write_number(2, 2, 13812345678.0).expect("c");
    book.add_worksheet()
        .set_name("填表说明")
        .expect("name")
        .write_string(0, 0, "请用文本格式")
        .expect("c");
    book.save(&path).expect("save");
    let mut input = open(&path, &Limits::default()).expect("open");
    assert_eq!(input.format(), Format::Xlsx);
    let names: Vec<&str> = input.sheets().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["第1网格", "填表说明"]);
    let got = rows(input.as_mut(), 0);
    assert_eq!(got[0].row, 1);
    assert_eq!(got[1].row, 2, "rows count title rows");
    assert_eq!(got[2].cells[1], Cell::Number(110105194912310020.0), "a number stays a number");
}

fn ods(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut content = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>"#,
    );
    for (name, rows) in sheets {
        content.push_str(&format!(r#"<table:table table:name="{name}">"#));
        for row in *rows {
            content.push_str("<table:table-row>");
            for cell in *row {
                content.push_str(&format!(r#"<table:table-cell office:value-type="string"><text:p>{cell}</text:p></table:table-cell>"#));
            }
            content.push_str("</table:table-row>");
        }
        content.push_str("</table:table>");
    }
    content.push_str("</office:spreadsheet></office:body></office:document-content>");
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).expect("mimetype");
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").expect("write");
    zip.start_file("META-INF/manifest.xml", zip::write::SimpleFileOptions::default())
        .expect("manifest");
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).expect("write");
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default()).expect("content");
    zip.write_all(content.as_bytes()).expect("write");
    zip.finish().expect("finish");
    out.into_inner()
}

#[test]
fn an_ods_is_read_sheet_by_sheet() {
    let dir = tempfile::tempdir().expect("dir");
    let bytes =
        ods(&[("一网格", &[&["姓名", "电话", "社区"], &["张三", "13812345678", "建设社区"]])]);
    let mut input = open(&file(&dir, "r.ods", &bytes), &Limits::default()).expect("open");
    assert_eq!(input.format(), Format::Ods);
    let got = rows(input.as_mut(), 0);
    assert_eq!(texts(&got[1]), ["张三", "13812345678", "建设社区"]);
}

#[test]
fn hostile_files_are_refused_with_the_right_reason() {
    let dir = tempfile::tempdir().expect("dir");
    let limits = Limits::default();
    assert!(matches!(open(&file(&dir, "e.csv", b""), &limits), Err(ReadError::Empty)));
    let mut noise = vec![0u8; 4096];
    let mut x: u32 = 12345;
    for b in &mut noise {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (x >> 16) as u8;
    }
    assert!(matches!(open(&file(&dir, "r.csv", &noise), &limits), Err(ReadError::NotARoster(_))));
    let xlsx = {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().write_string(0, 0, "姓名").expect("c");
        book.save_to_buffer().expect("buffer")
    };
    let truncated = &xlsx[..xlsx.len() / 2];
    match open(&file(&dir, "t.xlsx", truncated), &limits) {
        Err(ReadError::Corrupt(_)) => {}
        Ok(mut input) => {
            let mut sink = |_r: RawRow| std::ops::ControlFlow::Continue(());
            assert!(
                input.visit_rows(0, &mut sink).is_err(),
                "a truncated xlsx must not read as whole"
            );
        }
        Err(e) => panic!("truncated xlsx: {e:?}"),
    }
    let plain_zip = {
        let mut out = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        zip.start_file("notes.txt", zip::write::SimpleFileOptions::default()).expect("f");
        zip.write_all(b"hello").expect("w");
        zip.finish().expect("finish");
        out.into_inner()
    };
    assert!(matches!(
        open(&file(&dir, "z.xlsx", &plain_zip), &limits),
        Err(ReadError::NotARoster(_))
    ));
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_inflated_in_memory() {
    let dir = tempfile::tempdir().expect("dir");
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default().large_file(true);
        zip.start_file("xl/workbook.xml", opts).expect("wb");
        zip.write_all(b"<workbook/>").expect("w");
        zip.start_file("xl/worksheets/sheet1.xml", opts).expect("sheet");
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..96 {
            zip.write_all(&chunk).expect("w");
        }
        zip.finish().expect("finish");
    }
    let limits = Limits { max_inflated_bytes: 64 << 20, ..Limits::default() };
    let got = open(&file(&dir, "bomb.xlsx", out.get_ref()), &limits);
    assert!(matches!(got, Err(ReadError::TooLarge(_))), "{:?}", got.err());
}

#[test]
fn a_long_line_is_read_and_a_record_past_the_limit_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let long = format!("姓名,备注\n张三,{}\n", "长".repeat(200_000));
    let path = file(&dir, "long.csv", long.as_bytes());
    let mut input = open(&path, &Limits::default()).expect("open");
    assert_eq!(rows(input.as_mut(), 0).len(), 2, "a long line is a row, judged later");
    let mut tight =
        open(&path, &Limits { max_record_bytes: 64 << 10, ..Limits::default() }).expect("open");
    let mut sink = |_r: RawRow| std::ops::ControlFlow::Continue(());
    assert!(matches!(tight.visit_rows(0, &mut sink), Err(ReadError::TooLarge(_))));
}
