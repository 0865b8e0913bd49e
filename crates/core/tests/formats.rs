//! Every quirk the import spec names, built by the testkit, imported through the real command,
//! each outcome checked exactly: created, rejected rows with their codes, duplicates (across
//! sheets too), warnings, skipped sheets, the detected encoding and row numbers as Excel shows.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use jiayuan_core::import::{self, ImportOptions, ImportReport};
use jiayuan_core::{Actor, Ctx, ManualClock, Store};
use jiayuan_testkit::*;

const A: &str = "33040219800101123"; // + check char
const B15: f64 = 330402800202112.0; // a first-generation number, exact as a spreadsheet number

fn a() -> String {
    id_with_check(A)
}

/// Row 1 title, row 2 header, then data. Comments give each row's number and fate.
fn grid1() -> Sheet {
    let bad_check = {
        let good = a();
        let last = if good.ends_with('0') { '1' } else { '0' };
        format!("{}{last}", &good[..17])
    };
    Sheet::new("第1网格")
        .row(&["建设社区居民花名册"]) // 1
        .row(&[
            "序号",
            "姓名",
            "性别",
            "身份证号码",
            "联系电话",
            "所属社区",
            "网格",
            "人员类别",
            "民族",
            "备注",
        ]) // 2
        .row(&[
            "1",
            "沈建国",
            "男",
            &a(),
            "138 1234 5678",
            "建设社区",
            "第1网格",
            "独居老人、慢性病",
            "汉",
            "",
        ]) // 3 created
        .row(&["2", "钱芳", "女", &bad_check, "13912345678", "建设社区", "第1网格", "", "", ""]) // 4 invalid_id_number
        .row(&[
            "3",
            "朱敏",
            "女",
            "",
            "0573-81234567",
            "建设社区",
            "第1网格",
            "",
            "",
            "有多行\n备注, 含逗号",
        ]) // 5 created
        .row(&["4", "", "男", "", "13800000001", "建设社区", "第1网格", "", "", ""]) // 6 missing_name
        .row(&["", "", "", "", "", "", "", "", "", ""]) // 7 blank
        .row(&["5", "沈建国", "男", &a(), "13812345678", "建设社区", "第1网格", "", "", ""]) // 8 duplicate of 3
        .row(&["6", "陆军", "男", "", "1381234", "建设社区", "第1网格", "", "", ""]) // 9 invalid_phone
        .row(&["7", "姚丽", "女", "", "", "建设社区", "第1网格", "", "", ""]) // 10 missing_identity
        .cells(vec![
            "8".into(),
            "褚娟".into(),
            "女".into(),
            Value::Number(330402198001011230.0),
            "".into(),
            "建设社区".into(),
            "第2网格".into(),
            "".into(),
            "".into(),
            "".into(),
        ]) // 11 mangled (spreadsheets) / invalid (text)
        .cells(vec![
            "9".into(),
            "费伟".into(),
            "男".into(),
            Value::Number(B15),
            "".into(),
            "建设社区".into(),
            "第2网格".into(),
            "".into(),
            "".into(),
            "".into(),
        ]) // 12 created, sex warning
        .row(&[
            "10",
            "孙强",
            "男",
            "",
            "13700000000/0573-82345678",
            "建设社区",
            "第2网格",
            "",
            "",
            "",
        ]) // 13 created, extra phone kept
}

fn grid2() -> Sheet {
    Sheet::new("第2网格")
        .row(&["姓名", "身份证号码", "手机号码", "社区"]) // 1
        .row(&["沈建国", &a(), "13812345678", "建设社区"]) // 2 duplicate of 第1网格 row 3
        .row(&["顾静", "", "13600000000", "建设社区"]) // 3 created
}

fn notes() -> Sheet {
    Sheet::new("填表说明").row(&["请把身份证号码列设为文本格式"]).row(&["谢谢"])
}

fn import_bytes(name: &str, bytes: &[u8]) -> (ImportReport, Store) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    let mut store = Store::open_in_memory().expect("store");
    let clock = ManualClock::fixed();
    let actor = Actor::new("p", "tester");
    let opts =
        ImportOptions { lang: Some(jiayuan_core::i18n::Lang::En), ..ImportOptions::default() };
    let report = import::import_file(
        &mut Ctx::new(&mut store, &clock, &actor),
        &path,
        &opts,
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .expect("import");
    (report, store)
}

fn rejected(r: &ImportReport, sheet: &str) -> BTreeMap<u32, String> {
    r.rejected.iter().filter(|p| p.sheet == sheet).map(|p| (p.row, p.code.clone())).collect()
}

fn expect_grid1(r: &ImportReport, sheet: &str, spreadsheet: bool) {
    let eleven = if spreadsheet { "id_number_mangled_by_excel" } else { "invalid_id_number" };
    let want: BTreeMap<u32, String> = [
        (4, "invalid_id_number"),
        (6, "missing_name"),
        (9, "invalid_phone"),
        (10, "missing_identity"),
        (11, eleven),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    assert_eq!(rejected(r, sheet), want, "{sheet}: {r:#?}");
    let s = r.sheets.iter().find(|s| s.name == sheet).expect("sheet reported");
    assert_eq!(s.header_row, 2, "the header sits below the title row");
    assert_eq!(s.created, 4, "rows 3, 5, 12, 13");
    let dups: Vec<(u32, u32)> =
        r.duplicates.iter().filter(|d| d.sheet == sheet).map(|d| (d.row, d.same_as_row)).collect();
    assert_eq!(dups, [(8, 3)]);
    let warn: Vec<(u32, &str)> = r.warnings.iter().map(|w| (w.row, w.code.as_str())).collect();
    assert!(warn.contains(&(12, "sex_conflicts_with_id")), "{warn:?}");
    assert_eq!(r.blank_rows, 1);
}

#[test]
fn text_rosters_in_every_encoding_and_delimiter_import_the_same() {
    let cases = [
        (TextEncoding::Utf8, ',', "utf-8"),
        (TextEncoding::Utf8Bom, ';', "utf-8"),
        (TextEncoding::Gbk, ',', "gbk"),
        (TextEncoding::Gb18030, '|', "gbk"),
        (TextEncoding::Utf16LeBom, '\t', "utf-16le"),
        (TextEncoding::Utf16BeBom, '\t', "utf-16be"),
    ];
    for (encoding, delimiter, label) in cases {
        for line_end in [LineEnd::Crlf, LineEnd::Lf] {
            let bytes = to_csv(&grid1(), Csv { encoding, delimiter, line_end });
            let (r, _) = import_bytes("roster.csv", &bytes);
            assert_eq!(r.encoding.as_deref(), Some(label), "{encoding:?}");
            expect_grid1(&r, "roster.csv", false);
        }
    }
}

#[test]
fn gb18030_is_named_when_a_character_outside_gbk_occurs() {
    let sheet =
        grid1().row(&["11", "𠀾嘉", "男", "", "13500000000", "建设社区", "第2网格", "", "", ""]);
    let bytes = to_csv(&sheet, Csv { encoding: TextEncoding::Gb18030, ..Csv::default() });
    let (r, _) = import_bytes("roster.csv", &bytes);
    assert_eq!(r.encoding.as_deref(), Some("gb18030"));
    assert_eq!(r.created, 5);
}

#[test]
fn workbooks_in_every_format_import_every_roster_sheet_and_skip_the_notes() {
    let book = Workbook::of(vec![grid1(), grid2(), notes()]);
    for (name, bytes) in
        [("r.xlsx", to_xlsx(&book)), ("r.xls", to_xls(&book)), ("r.ods", to_ods(&book))]
    {
        let (r, store) = import_bytes(name, &bytes);
        assert_eq!(r.encoding, None, "{name}");
        expect_grid1(&r, "第1网格", true);
        let d2: Vec<_> = r
            .duplicates
            .iter()
            .filter(|d| d.sheet == "第2网格")
            .map(|d| (d.row, d.same_as_sheet.as_str(), d.same_as_row))
            .collect();
        assert_eq!(d2, [(2, "第1网格", 3)], "{name}: a repeat on another sheet names the sheet");
        assert_eq!(r.created, 5, "{name}");
        let skipped: Vec<(&str, &str)> =
            r.skipped_sheets.iter().map(|s| (s.name.as_str(), s.reason.as_str())).collect();
        assert_eq!(skipped, [("填表说明", "no_header")], "{name}");
        assert_eq!(store.stats().expect("stats").residents, 5, "{name}");
        // The 15-digit number stored as a number was exact and is upgraded to 18.
        let found = jiayuan_core::residents::search(&store, "费伟", 5).expect("search");
        assert_eq!(found[0].id_number.as_deref().map(str::len), Some(18), "{name}");
        // Unknown columns and a second phone are kept as attributes.
        let sun = &jiayuan_core::residents::search(&store, "孙强", 5).expect("search")[0];
        assert_eq!(sun.phone.as_deref(), Some("13700000000"));
        assert_eq!(
            sun.attributes.get("其他电话").map(String::as_str),
            Some("0573-82345678"),
            "{name}"
        );
        let shen = &jiayuan_core::residents::search(&store, "沈建国", 5).expect("search")[0];
        assert_eq!(shen.attributes.get("民族").map(String::as_str), Some("汉"), "{name}");
        assert_eq!(shen.tags.len(), 2, "{name}: tags split and kept");
    }
}

#[test]
fn a_chosen_sheet_imports_alone() {
    let book = Workbook::of(vec![grid1(), grid2()]);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("r.xlsx");
    std::fs::write(&path, to_xlsx(&book)).expect("write");
    let mut store = Store::open_in_memory().expect("store");
    let clock = ManualClock::fixed();
    let actor = Actor::new("p", "tester");
    let opts = ImportOptions { sheet: Some("第2网格".into()), ..ImportOptions::default() };
    let r = import::import_file(
        &mut Ctx::new(&mut store, &clock, &actor),
        &path,
        &opts,
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .expect("import");
    assert_eq!(r.created, 2, "both rows of the chosen sheet are new when it is alone");
    assert_eq!(r.skipped_sheets[0].reason, "not_selected");
}

#[test]
fn a_saved_mapping_reads_headers_no_synonym_knows() {
    let sheet = Sheet::new("r").row(&["户主", "证件", "电话号", "小区"]).row(&[
        "沈建国",
        &a(),
        "13812345678",
        "建设社区",
    ]);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("r.csv");
    std::fs::write(&path, to_csv(&sheet, Csv::default())).expect("write");
    let mut store = Store::open_in_memory().expect("store");
    let clock = ManualClock::fixed();
    let actor = Actor::new("p", "tester");
    let run = |store: &mut Store, opts: &ImportOptions| {
        import::import_file(
            &mut Ctx::new(store, &clock, &actor),
            &path,
            opts,
            &mut |_| {},
            &AtomicBool::new(false),
        )
    };
    let refused =
        run(&mut store, &ImportOptions::default()).expect_err("no header without a mapping");
    assert_eq!(refused.code(), "unreadable_file");
    let mapping: import::header::Mapping = serde_json::from_str(
        r#"{"columns": {"户主": "name", "证件": "id_number", "电话号": "phone", "小区": "community"}}"#,
    )
    .expect("mapping");
    let r = run(&mut store, &ImportOptions { mapping: Some(mapping), ..ImportOptions::default() })
        .expect("import");
    assert_eq!(r.created, 1);
    assert_eq!(r.sheets[0].mapping["户主"], "name");
}

#[test]
fn a_row_without_an_id_repeating_an_earlier_name_and_phone_is_a_duplicate_in_any_store() {
    let sheet = Sheet::new("r")
        .row(&["姓名", "身份证号码", "联系电话"])
        .row(&["沈建国", &a(), "13812345678"])
        .row(&["沈建国", "", "138-1234-5678"]);
    let bytes = to_csv(&sheet, Csv::default());
    let (r, _) = import_bytes("r.csv", &bytes);
    let dups: Vec<(u32, u32)> = r.duplicates.iter().map(|d| (d.row, d.same_as_row)).collect();
    assert_eq!(dups, [(3, 2)], "{r:#?}");
    assert_eq!(r.created, 1);
}
