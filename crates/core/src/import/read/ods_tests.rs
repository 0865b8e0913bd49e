//! ODS built here by zipping a minimal `content.xml`, read back exactly; repeat bombs refused.

use std::io::Write;

use super::super::tests_util::{collect, file};
use super::super::{open, Limits};
use crate::import::source::{Cell, Format, RawRow, ReadError};

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" office:version="1.2"><office:body><office:spreadsheet>"#;
const TAIL: &str = "</office:spreadsheet></office:body></office:document-content>";

fn ods(tables: &str) -> Vec<u8> {
    let content = format!("{HEAD}{tables}{TAIL}");
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).expect("mimetype");
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").expect("write");
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default()).expect("content");
    zip.write_all(content.as_bytes()).expect("write");
    zip.finish().expect("finish");
    out.into_inner()
}

fn s(text: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>{text}</text:p></table:table-cell>"#
    )
}

fn row(cells: &[String]) -> String {
    format!("<table:table-row>{}</table:table-row>", cells.concat())
}

#[test]
fn sheets_rows_and_typed_cells_are_read_as_the_official_sees_them() {
    let dir = tempfile::tempdir().expect("dir");
    let title = r#"<table:table-row><table:table-cell table:number-columns-spanned="3" office:value-type="string"><text:p>XX社区居民花名册</text:p></table:table-cell><table:covered-table-cell table:number-columns-repeated="2"/></table:table-row>"#;
    let header = row(&[s("姓名"), s("身份证号码"), s("出生日期"), s("备注")]);
    let person = [
        s("张&amp;三"),
        r#"<table:table-cell office:value-type="float" office:value="1.10105194912310E+17"><text:p>1.10105194912310E+17</text:p></table:table-cell>"#.into(),
        r#"<table:table-cell office:value-type="date" office:date-value="1949-12-31"><text:p>1949/12/31</text:p></table:table-cell>"#.into(),
        r#"<table:table-cell office:value-type="string"><office:annotation><text:p>批注</text:p></office:annotation><text:p>一<text:s text:c="2"/>行</text:p><text:p>二行<text:tab/>&#x4E09;</text:p></table:table-cell>"#.into(),
    ];
    let blank = r#"<table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#;
    let repeated = r#"<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="2" office:value-type="boolean" office:boolean-value="true"><text:p>TRUE</text:p></table:table-cell></table:table-row>"#;
    let trailing = r#"<table:table-row table:number-rows-repeated="1048560"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#;
    let tables = format!(
        r#"<table:table table:name="第1网格"><table:table-column table:number-columns-repeated="4"/>{title}<table:table-header-rows>{header}</table:table-header-rows>{}{blank}{repeated}{trailing}</table:table><table:table table:name="填表说明">{}</table:table><table:table table:name="空"/>"#,
        row(&person),
        row(&[s("请用文本格式")])
    );
    let mut input = open(&file(&dir, "r.ods", &ods(&tables)), &Limits::default()).expect("open");
    assert_eq!(input.format(), Format::Ods);
    let names: Vec<&str> = input.sheets().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["第1网格", "填表说明", "空"]);
    let rows = collect(input.as_mut(), 0);
    let numbers: Vec<u32> = rows.iter().map(|r| r.row).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 8], "title rows count; empty rows are blank rows");
    assert!(rows[3..6].iter().all(RawRow::is_blank), "and none after the last");
    assert_eq!(rows[0].cells, [Cell::Text("XX社区居民花名册".into())]);
    assert_eq!(rows[2].cells[0], Cell::Text("张&三".into()));
    assert_eq!(rows[2].cells[1], Cell::Number(110105194912310000.0));
    assert_eq!(rows[2].cells[2], Cell::Date("1949-12-31".into()));
    assert_eq!(rows[2].cells[3], Cell::Text("一  行\n二行\t三".into()), "comments are not text");
    assert_eq!(rows[6].cells, [Cell::Bool(true), Cell::Bool(true)]);
    assert_eq!(rows[7], RawRow { row: 8, cells: vec![Cell::Bool(true), Cell::Bool(true)] });
    assert_eq!(collect(input.as_mut(), 1).len(), 1);
    assert!(collect(input.as_mut(), 2).is_empty());
}

#[test]
fn repeats_cannot_expand_a_few_bytes_into_millions_of_cells() {
    let dir = tempfile::tempdir().expect("dir");
    let wide = "x".repeat(60_000);
    let bomb = format!(
        r#"<table:table table:name="b"><table:table-row><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>{wide}</text:p></table:table-cell></table:table-row></table:table>"#
    );
    let mut input = open(&file(&dir, "w.ods", &ods(&bomb)), &Limits::default()).expect("open");
    let mut sink = |_r: RawRow| std::ops::ControlFlow::Continue(());
    assert!(
        matches!(input.visit_rows(0, &mut sink), Err(ReadError::TooLarge(_))),
        "row bytes bounded"
    );
    let tall = format!(
        r#"<table:table table:name="t"><table:table-row table:number-rows-repeated="4000000000">{}</table:table-row></table:table>"#,
        s("x")
    );
    let limits = Limits { max_rows: 1000, ..Limits::default() };
    let mut input = open(&file(&dir, "t.ods", &ods(&tall)), &limits).expect("open");
    assert!(matches!(input.visit_rows(0, &mut sink), Err(ReadError::TooLarge(_))), "rows bounded");
    let spaces = r#"<table:table table:name="s"><table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="4000000000"/>b</text:p></table:table-cell></table:table-row></table:table>"#;
    let mut input = open(&file(&dir, "s.ods", &ods(spaces)), &Limits::default()).expect("open");
    let rows = collect(input.as_mut(), 0);
    assert!(matches!(&rows[0].cells[0], Cell::Text(t) if t.len() < 2000), "spaces bounded");
}

#[test]
fn a_damaged_content_xml_is_corrupt_not_a_panic() {
    let dir = tempfile::tempdir().expect("dir");
    let cut = format!(
        r#"<table:table table:name="a">{}<table:table-row><table:table-cell"#,
        row(&[s("x")])
    );
    match open(&file(&dir, "c.ods", &ods(&cut)), &Limits::default()) {
        Err(ReadError::Corrupt(_)) => {}
        Ok(mut input) => {
            let mut sink = |_r: RawRow| std::ops::ControlFlow::Continue(());
            assert!(matches!(input.visit_rows(0, &mut sink), Err(ReadError::Corrupt(_))));
        }
        Err(e) => panic!("{e:?}"),
    }
}
