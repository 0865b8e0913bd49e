//! Text rosters decode (encoding_rs) and parse (the csv crate) back to exactly the cells
//! written, in every encoding, delimiter and line ending the spec names.

use jiayuan_testkit::*;

const ENCODINGS: [TextEncoding; 6] = [
    TextEncoding::Utf8,
    TextEncoding::Utf8Bom,
    TextEncoding::Gbk,
    TextEncoding::Gb18030,
    TextEncoding::Utf16LeBom,
    TextEncoding::Utf16BeBom,
];

fn sheet() -> Sheet {
    Sheet::new("roster.csv")
        .row(&["序号", "姓名", "身份证号码", "联系电话", "备注"])
        .row(&[
            "1",
            "沈建国",
            &id_with_check("33040219800101123"),
            "138 1234 5678",
            "多行\n备注, 含\"引号\"",
        ])
        .row(&["2", "钱芳", "", "0573-81234567", "a;b|c\td"])
        .row(&["3", "　朱敏 ", "", "13912345678", "CR\r\nLF"])
        .cells(vec![
            4.0.into(),
            "陆军".into(),
            Value::Number(330402800202112.0),
            Value::Empty,
            Value::date(2024, 3, 9),
        ])
}

/// The BOM a file starts with, and the text after it.
fn decode(bytes: &[u8], encoding: TextEncoding) -> (usize, String) {
    let (enc, bom) = match encoding {
        TextEncoding::Utf8 => (encoding_rs::UTF_8, 0),
        TextEncoding::Utf8Bom => (encoding_rs::UTF_8, 3),
        TextEncoding::Gbk => (encoding_rs::GBK, 0),
        TextEncoding::Gb18030 => (encoding_rs::GB18030, 0),
        TextEncoding::Utf16LeBom => (encoding_rs::UTF_16LE, 2),
        TextEncoding::Utf16BeBom => (encoding_rs::UTF_16BE, 2),
    };
    let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom..]);
    assert!(!had_errors, "{encoding:?} decodes cleanly");
    (bom, text.into_owned())
}

fn expected() -> Vec<Vec<String>> {
    sheet()
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| match v {
                    Value::Text(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Date { year, month, day } => format!("{year}/{month}/{day}"),
                    Value::Empty => String::new(),
                })
                .collect()
        })
        .collect()
}

#[test]
fn every_encoding_delimiter_and_line_end_parses_back() {
    for encoding in ENCODINGS {
        for delimiter in [',', ';', '\t', '|'] {
            for line_end in [LineEnd::Crlf, LineEnd::Lf] {
                let bytes = to_csv(&sheet(), Csv { encoding, delimiter, line_end });
                let boms: [&[u8]; 4] = [b"\xEF\xBB\xBF", b"\xFF\xFE", b"\xFE\xFF", b""];
                let (bom, text) = decode(&bytes, encoding);
                assert!(boms.contains(&&bytes[..bom]), "{encoding:?}");
                let eol = line_end.as_str();
                assert!(text.ends_with(eol), "{encoding:?} {line_end:?}");
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .delimiter(delimiter as u8)
                    .from_reader(text.as_bytes());
                let rows: Vec<Vec<String>> = reader
                    .records()
                    .map(|r| r.expect("a record").iter().map(str::to_owned).collect())
                    .collect();
                assert_eq!(rows, expected(), "{encoding:?} {delimiter:?} {line_end:?}");
            }
        }
    }
}

#[test]
fn gbk_and_gb18030_are_the_bytes_excel_writes() {
    let sheet = Sheet::new("x").row(&["姓名"]);
    let lf = Csv { line_end: LineEnd::Lf, ..Csv::default() };
    assert_eq!(to_csv(&sheet, Csv { encoding: TextEncoding::Gbk, ..lf }), b"\xD0\xD5\xC3\xFB\n");
    let rare = Sheet::new("x").row(&["𠀾"]);
    let bytes = to_csv(&rare, Csv { encoding: TextEncoding::Gb18030, ..lf });
    assert_eq!(bytes.len(), 5, "four bytes for a character outside the BMP, then the newline");
    assert_eq!(encoding_rs::GB18030.decode(&bytes).0, "𠀾\n");
}

#[test]
fn utf16_is_bom_then_code_units() {
    let sheet = Sheet::new("x").row(&["张", "a"]);
    let lf = Csv { delimiter: '\t', line_end: LineEnd::Lf, ..Csv::default() };
    let le = to_csv(&sheet, Csv { encoding: TextEncoding::Utf16LeBom, ..lf });
    assert_eq!(le, [0xFF, 0xFE, 0x20, 0x5F, 0x09, 0x00, 0x61, 0x00, 0x0A, 0x00]);
    let be = to_csv(&sheet, Csv { encoding: TextEncoding::Utf16BeBom, ..lf });
    assert_eq!(be, [0xFE, 0xFF, 0x5F, 0x20, 0x00, 0x09, 0x00, 0x61, 0x00, 0x0A]);
}
