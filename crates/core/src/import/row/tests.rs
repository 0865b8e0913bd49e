//! Row rules, one behaviour each, in the spec's order.

use super::*;
use crate::import::header::detect;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).expect("date")
}

fn header(cols: &[&str]) -> Header {
    let row = RawRow { row: 1, cells: cols.iter().map(|c| Cell::Text((*c).into())).collect() };
    detect(&[row], None).expect("header")
}

fn row(cells: Vec<Cell>) -> RawRow {
    RawRow { row: 2, cells }
}

fn t(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.into())
    }
}

const COLS: [&str; 5] = ["姓名", "性别", "身份证号码", "联系电话", "社区"];
const ID: &str = "11010519491231002X";

fn code(o: &RowOutcome) -> Option<IssueCode> {
    match o {
        RowOutcome::Rejected(i) => Some(i.code),
        _ => None,
    }
}

#[test]
fn a_good_row_becomes_a_draft_with_sex_and_birth_from_the_id() {
    let h = header(&COLS);
    let o = judge(
        &row(vec![t(" 王\u{3000}芳 "), t("女"), t(ID), t("138 1234 5678"), t("建设社区")]),
        &h,
        today(),
    );
    let RowOutcome::Valid { draft, warnings } = o else { panic!("{o:?}") };
    assert_eq!(draft.name, "王芳", "the padding that lines names up is not part of the name");
    assert_eq!(draft.phone.as_deref(), Some("13812345678"));
    assert_eq!(draft.sex, Some(Sex::Female));
    assert_eq!(draft.birth_date, NaiveDate::from_ymd_opt(1949, 12, 31));
    assert!(warnings.is_empty());
}

#[test]
fn rules_apply_in_the_spec_order() {
    let h = header(&COLS);
    let long = "长".repeat(30_000);
    assert_eq!(
        code(&judge(&row(vec![t(""), t(""), t(&long), t("bad"), t("")]), &h, today())),
        Some(IssueCode::CellTooLong)
    );
    assert_eq!(
        code(&judge(&row(vec![t(""), t(""), t("bad"), t("bad"), t("x")]), &h, today())),
        Some(IssueCode::MissingName)
    );
    assert_eq!(
        code(&judge(&row(vec![t("张三"), t(""), t("123"), t("bad"), t("")]), &h, today())),
        Some(IssueCode::InvalidIdNumber)
    );
    assert_eq!(
        code(&judge(&row(vec![t("张三"), t(""), t(""), t("1381234"), t("")]), &h, today())),
        Some(IssueCode::InvalidPhone)
    );
    assert_eq!(
        code(&judge(&row(vec![t("张三"), t("男"), t(""), t(""), t("建设社区")]), &h, today())),
        Some(IssueCode::MissingIdentity)
    );
}

#[test]
fn an_id_typed_as_a_number_is_mangled_unless_it_has_15_digits() {
    let h = header(&COLS);
    let mangled = judge(
        &row(vec![t("张三"), t(""), Cell::Number(110105194912310020.0), t(""), t("")]),
        &h,
        today(),
    );
    assert_eq!(code(&mangled), Some(IssueCode::IdNumberMangledByExcel));
    let old = judge(
        &row(vec![t("张三"), t(""), Cell::Number(110105491231002.0), t(""), t("")]),
        &h,
        today(),
    );
    let RowOutcome::Valid { draft, .. } = old else { panic!("{old:?}") };
    assert_eq!(
        draft.id_number.as_deref(),
        Some(ID),
        "15 digits as a number are exact and upgraded"
    );
}

#[test]
fn a_phone_typed_as_a_number_is_read_as_its_digits() {
    let h = header(&COLS);
    let o =
        judge(&row(vec![t("张三"), t(""), t(""), Cell::Number(13812345678.0), t("")]), &h, today());
    let RowOutcome::Valid { draft, .. } = o else { panic!("{o:?}") };
    assert_eq!(draft.phone.as_deref(), Some("13812345678"));
}

#[test]
fn contradicting_sex_and_birth_date_warn_and_the_id_wins() {
    let h = header(&["姓名", "性别", "身份证号码", "出生日期"]);
    let o = judge(&row(vec![t("张三"), t("男"), t(ID), t("1950年1月2日")]), &h, today());
    let RowOutcome::Valid { draft, warnings } = o else { panic!("{o:?}") };
    let codes: Vec<IssueCode> = warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, [IssueCode::SexConflictsWithId, IssueCode::BirthDateConflictsWithId]);
    assert_eq!(draft.sex, Some(Sex::Female));
}

#[test]
fn several_phones_and_a_landline_column_keep_the_first_valid_as_the_phone() {
    let h = header(&["姓名", "手机", "固定电话", "社区"]);
    let o = judge(
        &row(vec![t("张三"), t("13812345678/13987654321"), t("0573-81234567"), t("")]),
        &h,
        today(),
    );
    let RowOutcome::Valid { draft, .. } = o else { panic!("{o:?}") };
    assert_eq!(draft.phone.as_deref(), Some("13812345678"));
    assert_eq!(draft.attributes.get("其他电话").map(String::as_str), Some("13987654321"));
    assert_eq!(draft.attributes.get("固定电话").map(String::as_str), Some("0573-81234567"));
}

#[test]
fn tags_split_on_every_separator_and_unknown_columns_are_kept() {
    let h = header(&["姓名", "联系电话", "人员类别", "民族"]);
    let o = judge(
        &row(vec![t("张三"), t("13812345678"), t("独居老人、慢性病;低保户/独居老人"), t("汉")]),
        &h,
        today(),
    );
    let RowOutcome::Valid { draft, .. } = o else { panic!("{o:?}") };
    assert_eq!(draft.tags, ["独居老人", "慢性病", "低保户"]);
    assert_eq!(draft.attributes.get("民族").map(String::as_str), Some("汉"));
}

#[test]
fn words_for_nothing_say_nothing() {
    let h = header(&COLS);
    let o = judge(&row(vec![t("张三"), t("-"), t("无"), t("暂无"), t("/")]), &h, today());
    assert_eq!(code(&o), Some(IssueCode::MissingIdentity), "无 is no phone, not a bad one");
    let o = judge(&row(vec![t("张三"), t(""), t(ID), t("13812345678/无"), t("")]), &h, today());
    let RowOutcome::Valid { draft, .. } = o else { panic!("{o:?}") };
    assert!(draft.attributes.is_empty(), "{:?}", draft.attributes);
}

#[test]
fn a_row_with_only_its_number_errors_or_words_for_nothing_is_blank() {
    let h = header(&["序号", "姓名", "身份证号码", "联系电话", "社区"]);
    for cells in [
        vec![t("17"), t(""), t(""), t(""), t("")],
        vec![t(""), t("以下空白"), t(""), t(""), t("")],
        vec![t("18"), t(""), Cell::Error("#N/A".into()), t(""), t("/")],
    ] {
        assert_eq!(judge(&row(cells.clone()), &h, today()), RowOutcome::Blank, "{cells:?}");
    }
    let o = judge(&row(vec![t("19"), t(""), t(""), t(""), t("东升社区")]), &h, today());
    assert_eq!(code(&o), Some(IssueCode::MissingName), "a row that says something is judged");
}

#[test]
fn a_blank_row_is_blank_not_rejected() {
    let h = header(&COLS);
    assert_eq!(
        judge(&row(vec![t(" "), t("\u{3000}"), Cell::Empty]), &h, today()),
        RowOutcome::Blank
    );
}

#[test]
fn dates_in_office_spellings_parse() {
    for s in
        ["1985-03-12", "1985/3/12", "1985.03.12", "19850312", "1985年3月12日", "１９８５－３－１２"]
    {
        assert_eq!(parse_date(s), NaiveDate::from_ymd_opt(1985, 3, 12), "{s}");
    }
    for s in ["85-3-12", "1985-02-30", "1985.03", "三月", ""] {
        assert_eq!(parse_date(s), None, "{s}");
    }
}

#[test]
fn a_year_and_month_is_checked_against_the_id_and_kept_when_there_is_none() {
    let h = header(&["姓名", "身份证号码", "出生年月", "电话"]);
    let o = judge(&row(vec![t("张三"), t(ID), t("1949.12"), t("")]), &h, today());
    let RowOutcome::Valid { warnings, .. } = o else { panic!("{o:?}") };
    assert!(warnings.is_empty(), "1949.12 agrees with 19491231");
    let o = judge(&row(vec![t("张三"), t(ID), t("1950年1月"), t("")]), &h, today());
    let RowOutcome::Valid { warnings, .. } = o else { panic!("{o:?}") };
    assert_eq!(warnings[0].code, IssueCode::BirthDateConflictsWithId);
    let o = judge(&row(vec![t("张三"), t(""), t("1985.03"), t("13812345678")]), &h, today());
    let RowOutcome::Valid { draft, .. } = o else { panic!("{o:?}") };
    assert_eq!(draft.birth_date, None);
    assert_eq!(draft.attributes.get(BIRTH_DATE_AS_TYPED).map(String::as_str), Some("1985.03"));
}

#[test]
fn sex_is_read_in_every_usual_spelling() {
    for (s, want) in [
        ("男", Sex::Male),
        ("女性", Sex::Female),
        ("M", Sex::Male),
        ("female", Sex::Female),
        ("1", Sex::Male),
        ("２", Sex::Female),
    ] {
        assert_eq!(parse_sex(s), Some(want), "{s}");
    }
    assert_eq!(parse_sex("未知"), None);
}

#[test]
fn an_id_written_by_excel_into_a_csv_in_scientific_notation_is_mangled() {
    let h = header(&COLS);
    let o = judge(&row(vec![t("张三"), t(""), t("3.30402E+17"), t(""), t("")]), &h, today());
    assert_eq!(code(&o), Some(IssueCode::IdNumberMangledByExcel));
}

#[test]
fn an_error_cell_in_the_id_column_is_invalid_not_empty() {
    let h = header(&COLS);
    let o = judge(
        &row(vec![t("张三"), t(""), Cell::Error("#N/A".into()), t("13812345678"), t("")]),
        &h,
        today(),
    );
    assert_eq!(code(&o), Some(IssueCode::InvalidIdNumber));
}

#[test]
fn a_landline_typed_into_a_number_cell_gets_its_leading_zero_back() {
    let h = header(&COLS);
    let o =
        judge(&row(vec![t("张三"), t(""), t(""), Cell::Number(57381234567.0), t("")]), &h, today());
    let RowOutcome::Valid { draft, .. } = o else { panic!("{o:?}") };
    assert_eq!(draft.phone.as_deref(), Some("0573-81234567"));
}

#[test]
fn the_first_valid_phone_of_any_phone_cell_is_the_phone_and_nothing_is_lost() {
    let h = header(&["姓名", "固定电话", "手机", "其他电话", "社区"]);
    let o = judge(
        &row(vec![t("张三"), t("0573-81234567"), t("1381234/无/138"), t("13987654321"), t("")]),
        &h,
        today(),
    );
    let RowOutcome::Valid { draft, .. } = o else { panic!("{o:?}") };
    assert_eq!(draft.phone.as_deref(), Some("0573-81234567"), "the phone column had none valid");
    assert_eq!(
        draft.attributes.get(OTHER_PHONES).map(String::as_str),
        Some("1381234/138/13987654321"),
        "what the phone column held, then the column named 其他电话"
    );
    let o = judge(&row(vec![t("张三"), t("0573-123"), t(""), t(""), t("")]), &h, today());
    assert_eq!(code(&o), Some(IssueCode::InvalidPhone), "phones given, none valid");
}

#[test]
fn cells_beyond_the_header_and_unreadable_sex_are_kept() {
    let h = header(&COLS);
    let o = judge(
        &row(vec![t("张三"), t("未知"), t(""), t("13812345678"), t(""), t("多出来的")]),
        &h,
        today(),
    );
    let RowOutcome::Valid { draft, .. } = o else { panic!("{o:?}") };
    assert_eq!(draft.sex, None);
    assert_eq!(draft.attributes.get(SEX_AS_TYPED).map(String::as_str), Some("未知"));
    assert_eq!(draft.attributes.get("列6").map(String::as_str), Some("多出来的"));
}

#[test]
fn an_overlong_cell_names_its_column() {
    let h = header(&COLS);
    let o = judge(
        &row(vec![t("张三"), t(""), t(""), t(""), t(&"x".repeat(MAX_CELL_BYTES + 1))]),
        &h,
        today(),
    );
    let RowOutcome::Rejected(issue) = o else { panic!("{o:?}") };
    assert_eq!((issue.code, issue.field), (IssueCode::CellTooLong, "community"));
}

proptest::proptest! {
    #[test]
    fn any_row_is_judged_without_panicking(cells in proptest::collection::vec(proptest::prelude::any::<(u8, String, f64)>(), 0..8)) {
        let h = header(&["姓名", "性别", "身份证号码", "联系电话", "出生日期", "固定电话"]);
        let cells: Vec<Cell> = cells.into_iter().map(|(k, s, n)| match k % 6 {
            0 => Cell::Empty,
            1 => Cell::Number(n),
            2 => Cell::Bool(k > 100),
            3 => Cell::Date(s),
            4 => Cell::Error(s),
            _ => Cell::Text(s),
        }).collect();
        let _ = judge(&row(cells), &h, today());
    }
}
