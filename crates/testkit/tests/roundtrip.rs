//! Every spreadsheet writer's file reads back through calamine exactly as built, so a failing
//! import test points at the importer, not at the fixture.

mod common;

use calamine::{
    open_workbook_auto_from_rs, Data, Reader, Xls as CalamineXls, Xlsx as CalamineXlsx,
};
use common::{assert_book, read_back};
use jiayuan_testkit::*;

/// A roster with the quirks of real ones: a merged title above the header, an identity number
/// typed as a number, a date cell, a text-formatted column, a blank row, text that needs care
/// (a line break, runs of spaces, XML's special characters, a character outside the BMP), a
/// second roster sheet and a notes sheet of one column.
fn book() -> Workbook {
    let id = id_with_check("33040219800101123");
    Workbook::of(vec![
        Sheet::new("第1网格")
            .title("建设社区居民花名册")
            .row(&["序号", "姓名", "身份证号码", "联系电话", "出生日期", "备注"])
            .cells(vec![
                1.0.into(),
                "沈建国".into(),
                id.as_str().into(),
                "13812345678".into(),
                Value::date(1980, 1, 1),
                "独居,\n子女在外地".into(),
            ])
            .cells(vec![
                2.0.into(),
                "钱  芳 ".into(),
                Value::excel_typed("330402198001011230"),
                Value::Number(13912345678.0),
                Value::date(1999, 12, 31),
                "<a> & \"b\"\tc".into(),
            ])
            .blank_row()
            .cells(vec![
                3.5.into(),
                "𠀾嘉".into(),
                Value::Number(330402800202112.0),
                Value::Empty,
                Value::Empty,
                "Zoë".into(),
            ])
            .text_column(2),
        Sheet::new("第2网格").row(&["姓名", "手机号码"]).row(&["顾静", "13600000000"]),
        Sheet::new("填表说明").row(&["请把身份证号码列设为文本格式"]).row(&["谢谢"]),
    ])
}

#[test]
fn xlsx_reads_back_exactly() {
    assert_book("xlsx", &to_xlsx(&book()), &book());
    assert_book("xlsx inline", &to_xlsx_with(&book(), Xlsx { inline_strings: true }), &book());
}

#[test]
fn xlsx_inline_strings_have_no_shared_string_table() {
    let bytes = to_xlsx_with(&book(), Xlsx { inline_strings: true });
    let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    assert!(zip.file_names().all(|n| n.as_ref().map_or(true, |n| n != "xl/sharedStrings.xml")));
}

#[test]
fn xls_reads_back_exactly_in_every_layout() {
    for strings in [XlsStrings::Shared, XlsStrings::Inline] {
        for numbers in [XlsNumbers::Compact, XlsNumbers::Full] {
            let bytes = to_xls_with(&book(), Xls { strings, numbers });
            assert_book(&format!("xls {strings:?} {numbers:?}"), &bytes, &book());
        }
    }
}

#[test]
fn ods_reads_back_exactly() {
    assert_book("ods", &to_ods(&book()), &book());
}

#[test]
fn title_rows_are_merged_across_the_sheet() {
    let xls = CalamineXls::new(std::io::Cursor::new(to_xls(&book()))).expect("xls");
    let merged = xls.merge_cells_by_sheet_name("第1网格").expect("merges");
    assert_eq!(merged.len(), 1);
    assert_eq!((merged[0].start, merged[0].end), ((0, 0), (0, 5)));
    assert_eq!(xls.merge_cells_by_sheet_name("填表说明").map(|m| m.len()).ok(), Some(0));

    let mut xlsx = CalamineXlsx::new(std::io::Cursor::new(to_xlsx(&book()))).expect("xlsx");
    let merged = xlsx.merge_cells_by_sheet_name("第1网格").expect("merges");
    assert_eq!(merged.len(), 1);
    assert_eq!((merged[0].start, merged[0].end), ((0, 0), (0, 5)));
}

#[test]
fn an_identity_number_typed_into_excel_loses_its_last_digits() {
    for (kind, bytes) in
        [("xlsx", to_xlsx(&book())), ("xls", to_xls(&book())), ("ods", to_ods(&book()))]
    {
        let cells = &read_back(&bytes)[0].1;
        assert_eq!(cells[&(3, 2)], Data::Float(330402198001011000.0), "{kind}");
        assert_eq!(cells[&(5, 2)], Data::Float(330402800202112.0), "{kind}: 15 digits are exact");
    }
}

#[test]
fn xls_compact_numbers_come_back_as_integers_where_excel_stores_rk() {
    let cells = &read_back(&to_xls(&book()))[0].1;
    assert_eq!(cells[&(2, 0)], Data::Int(1), "a serial number");
    assert_eq!(cells[&(5, 0)], Data::Float(3.5));
    let full =
        &read_back(&to_xls_with(&book(), Xls { numbers: XlsNumbers::Full, ..Xls::default() }))[0].1;
    assert_eq!(full[&(2, 0)], Data::Float(1.0));
}

#[test]
fn a_big_xls_workbook_spans_continue_records_and_difat_sectors() {
    // Enough distinct strings to overflow the SST record many times (each 8224 bytes) and a
    // workbook stream past 6.8 MB, whose FAT needs DIFAT sectors beyond the header's 109.
    let header =
        ["序号", "姓名", "身份证号码", "联系电话", "社区", "网格", "楼栋", "单元", "房号", "备注"];
    let mut grid = Sheet::new("花名册").row(&header);
    for i in 0..60_000u32 {
        let id = id_with_check(&format!("330402{:08}{:03}", 19_500_101 + i % 28, i % 1000));
        grid = grid.cells(vec![
            f64::from(i + 1).into(),
            format!("居民{i}号").into(),
            id.into(),
            format!("138{:08}", i * 7).into(),
            "建设社区".into(),
            format!("第{}网格", i % 9).into(),
            format!("{}幢", i % 40).into(),
            Value::Number(f64::from(i % 4 + 1)),
            Value::Number(f64::from(i % 1800) + 0.25),
            if i % 7 == 0 {
                format!("备注{}", "很长".repeat((i % 300) as usize)).into()
            } else {
                Value::Empty
            },
        ]);
    }
    let long = "长".repeat(20_000) + "𠀾" + &"x".repeat(9_000);
    let book =
        Workbook::of(vec![grid, Sheet::new("长文本").row(&[long.as_str()]), Sheet::new("空白")]);
    let bytes = to_xls(&book);
    assert!(bytes.len() > 7 << 20, "{} bytes", bytes.len());
    assert!(u32::from_le_bytes(bytes[72..76].try_into().expect("4")) >= 1, "DIFAT sectors");
    assert_book("big xls", &bytes, &book);
    assert_book(
        "big xls inline",
        &to_xls_with(&book, Xls { strings: XlsStrings::Inline, ..Xls::default() }),
        &book,
    );
}

#[test]
fn many_sheets_keep_their_order_and_names() {
    let sheets: Vec<Sheet> = (1..=12)
        .map(|i| {
            Sheet::new(&format!("第{i}网格"))
                .row(&["姓名", "电话"])
                .row(&[&format!("居民{i}"), "13800000000"])
        })
        .collect();
    let book = Workbook::of(sheets);
    for (kind, bytes) in [("xlsx", to_xlsx(&book)), ("xls", to_xls(&book)), ("ods", to_ods(&book))]
    {
        assert_book(kind, &bytes, &book);
        let wb = open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).expect("open");
        assert_eq!(wb.sheet_names()[11], "第12网格", "{kind}");
    }
}
