//! Every writer's file reads back through calamine (spreadsheets) or a decoder (text) exactly
//! as built, so a failing import test points at the importer, not at the fixture.

use calamine::{open_workbook_auto_from_rs, Data, Reader};
use jiayuan_testkit::*;

fn book() -> Workbook {
    Workbook::of(vec![
        Sheet::new("第1网格")
            .row(&["某某社区居民花名册"])
            .row(&["姓名", "身份证号码", "联系电话"])
            .cells(vec!["张三".into(), Value::Number(110105194912310020.0), "13812345678".into()]),
        Sheet::new("填表说明").row(&["请用文本格式填写身份证号码"]),
    ])
}

fn read_back(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut wb =
        open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).expect("calamine opens it");
    let names = wb.sheet_names();
    names
        .into_iter()
        .map(|n| {
            let range = wb.worksheet_range(&n).expect("sheet");
            let rows = range.rows().map(<[Data]>::to_vec).collect();
            (n, rows)
        })
        .collect()
}

#[test]
fn spreadsheets_read_back_exactly() {
    for (kind, bytes) in
        [("xlsx", to_xlsx(&book())), ("xls", to_xls(&book())), ("ods", to_ods(&book()))]
    {
        let sheets = read_back(bytes);
        assert_eq!(sheets.len(), 2, "{kind}");
        assert_eq!(sheets[0].0, "第1网格", "{kind}");
        let rows = &sheets[0].1;
        assert_eq!(rows[0][0], Data::String("某某社区居民花名册".into()), "{kind}");
        assert_eq!(rows[1][0], Data::String("姓名".into()), "{kind}");
        assert_eq!(rows[2][0], Data::String("张三".into()), "{kind}");
        assert_eq!(rows[2][1], Data::Float(110105194912310020.0), "{kind}: the id stays a number");
        assert_eq!(sheets[1].0, "填表说明", "{kind}");
    }
}

#[test]
fn text_reads_back_in_every_encoding() {
    let sheet = Sheet::new("r").row(&["姓名", "备注"]).row(&["张三", "多行\n备注, 含\"引号\""]);
    for enc in [
        TextEncoding::Utf8,
        TextEncoding::Utf8Bom,
        TextEncoding::Gbk,
        TextEncoding::Gb18030,
        TextEncoding::Utf16LeBom,
        TextEncoding::Utf16BeBom,
    ] {
        let bytes = to_csv(&sheet, Csv { encoding: enc, delimiter: ';', line_end: LineEnd::Lf });
        let (enc_rs, bom) = match enc {
            TextEncoding::Utf8 => (encoding_rs::UTF_8, 0),
            TextEncoding::Utf8Bom => (encoding_rs::UTF_8, 3),
            TextEncoding::Gbk | TextEncoding::Gb18030 => (encoding_rs::GB18030, 0),
            TextEncoding::Utf16LeBom => (encoding_rs::UTF_16LE, 2),
            TextEncoding::Utf16BeBom => (encoding_rs::UTF_16BE, 2),
        };
        let text = enc_rs.decode_without_bom_handling(&bytes[bom..]).0.into_owned();
        assert_eq!(text, "姓名;备注\n张三;\"多行\n备注, 含\"\"引号\"\"\"\n", "{enc:?}");
    }
}

#[test]
fn check_characters_follow_the_standard() {
    assert_eq!(id_with_check("11010519491231002"), "11010519491231002X");
}
