//! Text rosters in every encoding and delimiter an office produces, built here byte by byte.

use super::super::tests_util::{collect, file};
use super::super::{open, Limits};
use super::detect_delimiter;
use crate::import::source::{Cell, Format, RawRow, ReadError};

fn texts(r: &RawRow) -> Vec<String> {
    r.cells
        .iter()
        .map(|c| match c {
            Cell::Text(s) => s.clone(),
            Cell::Empty => String::new(),
            other => format!("{other:?}"),
        })
        .collect()
}

const ROSTER: &str = "姓名,身份证号码,联系电话\r\n张三,11010519491231002X,13812345678\r\n\"李,四\",,\"0573-8123\n4567 \"\"座机\"\"\"\r\n";

fn utf16(text: &str, le: bool) -> Vec<u8> {
    let bom: [u8; 2] = if le { [0xFF, 0xFE] } else { [0xFE, 0xFF] };
    let units =
        text.encode_utf16().flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() });
    bom.into_iter().chain(units).collect()
}

#[test]
fn every_encoding_is_detected_exactly_and_decoded() {
    let dir = tempfile::tempdir().expect("dir");
    let tsv = ROSTER.replace(',', "\t").replace("\"李\t四\"", "\"李,四\"");
    // 𠀀 is outside GBK: only GB18030's four-byte form can hold it.
    let rare = format!("{ROSTER}王𠀀,,\r\n");
    let cases: Vec<(&str, Vec<u8>, &str, char)> = vec![
        ("plain.csv", ROSTER.as_bytes().to_vec(), "utf-8", ','),
        ("bom.csv", [b"\xEF\xBB\xBF".as_slice(), ROSTER.as_bytes()].concat(), "utf-8", ','),
        ("le.txt", utf16(&tsv, true), "utf-16le", '\t'),
        ("be.txt", utf16(&tsv, false), "utf-16be", '\t'),
        ("gbk.csv", encoding_rs::GBK.encode(ROSTER).0.into_owned(), "gbk", ','),
        ("gb18030.csv", encoding_rs::GB18030.encode(&rare).0.into_owned(), "gb18030", ','),
    ];
    for (name, bytes, want, delimiter) in cases {
        let mut input = open(&file(&dir, name, &bytes), &Limits::default()).expect(name);
        assert_eq!(input.format(), Format::Csv, "{name}");
        assert_eq!(input.encoding(), Some(want), "{name}");
        assert_eq!(input.delimiter(), Some(delimiter), "{name}");
        assert_eq!(input.sheets()[0].name, name, "a text file's one sheet is named after it");
        let got = collect(input.as_mut(), 0);
        assert_eq!(texts(&got[0]), ["姓名", "身份证号码", "联系电话"], "{name}: no BOM left");
        assert_eq!(
            texts(&got[2]),
            ["李,四", "", "0573-8123\n4567 \"座机\""],
            "{name}: quotes keep delimiters, quotes and newlines"
        );
        assert_eq!(got[2].cells[1], Cell::Empty, "{name}: an empty field is Empty");
        assert_eq!(got.iter().map(|r| r.row).collect::<Vec<_>>()[..3], [1, 2, 3], "{name}");
        if want == "gb18030" {
            assert_eq!(texts(&got[3])[0], "王𠀀");
        }
    }
}

#[test]
fn gbk_is_found_even_when_the_first_megabytes_are_ascii() {
    let dir = tempfile::tempdir().expect("dir");
    let mut text = String::from("name,phone,note\n");
    while text.len() < 2 << 20 {
        text.push_str("zhang,13812345678,ok\n");
    }
    text.push_str("张三,13812345678,好\n");
    let gbk = encoding_rs::GBK.encode(&text).0.into_owned();
    let mut input = open(&file(&dir, "late.csv", &gbk), &Limits::default()).expect("open");
    assert_eq!(input.encoding(), Some("gbk"));
    let rows = collect(input.as_mut(), 0);
    assert_eq!(texts(rows.last().expect("rows"))[0], "张三");
    let mut late_rare = gbk.clone();
    late_rare.extend_from_slice(&encoding_rs::GB18030.encode("王𠀀,1,2\n").0);
    let input = open(&file(&dir, "late18030.csv", &late_rare), &Limits::default()).expect("open");
    assert_eq!(input.encoding(), Some("gb18030"), "a four-byte sequence near the end counts");
}

#[test]
fn every_delimiter_is_detected_even_below_a_title_line() {
    let dir = tempfile::tempdir().expect("dir");
    for d in [',', ';', '\t', '|'] {
        let body = format!(
            "某某社区居民花名册\n姓名{d}性别{d}联系电话{d}备注\n张三{d}男{d}13812345678{d}\"a,b;c|d\"\n李四{d}女{d}13912345678{d}\n"
        );
        let mut input =
            open(&file(&dir, "d.csv", body.as_bytes()), &Limits::default()).expect("open");
        assert_eq!(input.delimiter(), Some(d));
        let got = collect(input.as_mut(), 0);
        assert_eq!(texts(&got[1]), ["姓名", "性别", "联系电话", "备注"]);
        assert_eq!(texts(&got[2])[3], "a,b;c|d", "delimiters inside quotes do not count");
    }
    assert_eq!(detect_delimiter("a\nb\n"), b',', "one column: the default");
}

#[test]
fn rows_are_record_numbers_blank_lines_included_quoted_newlines_not() {
    let dir = tempfile::tempdir().expect("dir");
    let body = "标题\n\n姓名,备注\n张三,\"一\n二\n三\"\n\n\n李四,x\r\n王五,y";
    let mut input = open(&file(&dir, "n.csv", body.as_bytes()), &Limits::default()).expect("open");
    let got = collect(input.as_mut(), 0);
    let numbers: Vec<(u32, bool)> = got.iter().map(|r| (r.row, r.is_blank())).collect();
    assert_eq!(
        numbers,
        [
            (1, false),
            (2, true),
            (3, false),
            (4, false),
            (5, true),
            (6, true),
            (7, false),
            (8, false)
        ]
    );
    assert_eq!(texts(&got[7]), ["王五", "y"], "a last line without a newline is a record");
    assert_eq!(got[3].cells.len(), 2);
    let ragged = "a,b,c\n1\n1,2,3,4\n";
    let mut input =
        open(&file(&dir, "r.csv", ragged.as_bytes()), &Limits::default()).expect("open");
    let lens: Vec<usize> = collect(input.as_mut(), 0).iter().map(|r| r.cells.len()).collect();
    assert_eq!(lens, [3, 1, 4], "ragged rows keep their own length");
}

#[test]
fn a_long_line_is_read_and_a_record_past_the_limit_refuses_the_file() {
    let dir = tempfile::tempdir().expect("dir");
    let long = format!("姓名,备注\n张三,{}\n李四,x\n", "长".repeat(200_000));
    let path = file(&dir, "long.csv", long.as_bytes());
    let mut input = open(&path, &Limits::default()).expect("open");
    assert_eq!(collect(input.as_mut(), 0).len(), 3, "a long line is a row, judged later");
    let tight = Limits { max_record_bytes: 64 << 10, ..Limits::default() };
    let mut input = open(&path, &tight).expect("open");
    let mut sink = |_r: RawRow| std::ops::ControlFlow::Continue(());
    assert!(matches!(input.visit_rows(0, &mut sink), Err(ReadError::TooLarge(_))));
    // An unclosed quote swallows the rest of the file as one record: refused, not buffered.
    let unclosed = format!("姓名,备注\n张三,\"{}", "x\n".repeat(100_000));
    let mut input = open(&file(&dir, "q.csv", unclosed.as_bytes()), &tight).expect("open");
    assert!(matches!(input.visit_rows(0, &mut sink), Err(ReadError::TooLarge(_))));
    let few = Limits { max_rows: 2, ..Limits::default() };
    let mut input = open(&path, &few).expect("open");
    assert!(matches!(input.visit_rows(0, &mut sink), Err(ReadError::TooLarge(_))));
}

#[test]
fn stopping_early_stops() {
    let dir = tempfile::tempdir().expect("dir");
    let mut input =
        open(&file(&dir, "s.csv", ROSTER.as_bytes()), &Limits::default()).expect("open");
    let mut seen = 0;
    input
        .visit_rows(0, &mut |_r| {
            seen += 1;
            std::ops::ControlFlow::Break(())
        })
        .expect("rows");
    assert_eq!(seen, 1);
}

#[test]
fn what_is_not_text_is_refused_plainly() {
    let dir = tempfile::tempdir().expect("dir");
    let limits = Limits::default();
    for (name, bytes) in [
        ("nul.csv", b"name,phone\n\0\0\0\0,1\n".to_vec()),
        ("ctl.csv", (0u8..32).cycle().take(4000).collect::<Vec<u8>>()),
        ("elf.xlsx", b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0".to_vec()),
    ] {
        match open(&file(&dir, name, &bytes), &limits) {
            Err(ReadError::NotARoster(_)) => {}
            other => panic!("{name}: {:?}", other.map(|i| i.format())),
        }
    }
    for (name, bytes) in
        [("ws.csv", b" \r\n\r\n \t\n".to_vec()), ("bom.csv", b"\xEF\xBB\xBF".to_vec())]
    {
        assert!(
            matches!(open(&file(&dir, name, &bytes), &limits), Err(ReadError::Empty)),
            "{name}"
        );
    }
}
