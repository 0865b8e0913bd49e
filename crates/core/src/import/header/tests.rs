//! Header detection against the shapes real rosters take.

use super::*;

fn row(n: u32, cells: &[&str]) -> RawRow {
    RawRow {
        row: n,
        cells: cells
            .iter()
            .map(|c| if c.is_empty() { Cell::Empty } else { Cell::Text((*c).into()) })
            .collect(),
    }
}

fn roles(h: &Header) -> Vec<String> {
    h.columns
        .iter()
        .map(|c| match c {
            ColumnRole::Field(f) => f.key().to_owned(),
            ColumnRole::ExtraPhone(n) => format!("phone+{n}"),
            ColumnRole::Attribute(n) => format!("@{n}"),
            ColumnRole::Ignore => "-".to_owned(),
        })
        .collect()
}

#[test]
fn field_keys_round_trip() {
    for f in Field::ALL {
        assert_eq!(Field::from_key(f.key()), Some(f));
    }
    assert_eq!(Field::from_key("nmae"), None);
}

#[test]
fn the_header_is_found_below_a_title_row() {
    let rows = [
        row(1, &["XX社区居民花名册", "", ""]),
        row(2, &["填报单位：XX社区", "", "填报日期：2024年3月1日"]),
        row(3, &["序号", "姓名", "身份证号码", "联系电话", "网格"]),
        row(4, &["1", "张三", "", "", ""]),
    ];
    let h = detect(&rows, None).expect("header");
    assert_eq!(h.row, 3);
    assert_eq!(roles(&h), ["-", "name", "id_number", "phone", "grid"]);
    assert_eq!(h.mapping["序号"], "ignore", "a row number says nothing about the person");
}

#[test]
fn decorations_case_spaces_and_hints_do_not_hide_a_field() {
    for (text, field) in [
        ("姓名*", Field::Name),
        ("*姓 名：", Field::Name),
        ("身份证号码(必填)", Field::IdNumber),
        ("身份证号码（18位）", Field::IdNumber),
        ("【必填】身份证号", Field::IdNumber),
        ("ID No.", Field::IdNumber),
        ("id_card_number", Field::IdNumber),
        ("Phone ", Field::Phone),
        ("联系电话(手机)", Field::Phone),
        ("手机/电话", Field::Phone),
        ("Date of Birth", Field::BirthDate),
        ("出生日期(yyyy-mm-dd)", Field::BirthDate),
        ("村（社区）", Field::Community),
        ("镇(街道)", Field::Street),
        ("房号（室）", Field::Room),
        ("ＮＡＭＥ", Field::Name),
    ] {
        assert_eq!(field_for(text), Some(field), "{text} → {}", normalise_header(text));
    }
    for text in ["户籍地址", "紧急联系人电话", "民族", "楼栋/单元", "(必填)", ""]
    {
        assert_eq!(field_for(text), None, "{text} is not a field of the resident");
    }
}

#[test]
fn unknown_columns_are_kept_as_attributes_under_their_header() {
    let h =
        detect(&[row(1, &["姓名", "民族", "身份证号", "电话", "户籍地址"])], None).expect("header");
    assert_eq!(roles(&h), ["name", "@民族", "id_number", "phone", "@户籍地址"]);
    assert_eq!(h.mapping["民族"], "attribute");
}

#[test]
fn fewer_than_three_different_known_fields_is_no_header() {
    assert!(detect(&[row(1, &["填表说明", "姓名"])], None).is_none());
    assert!(
        detect(&[row(1, &["电话", "手机", "联系电话", "姓名"])], None).is_none(),
        "three phone columns name one field"
    );
}

#[test]
fn the_header_is_looked_for_in_the_first_ten_rows_only() {
    let mut rows: Vec<RawRow> = (1..=10).map(|n| row(n, &["说明"])).collect();
    rows.push(row(11, &["姓名", "性别", "身份证号码"]));
    assert!(detect(&rows, None).is_none());
}

#[test]
fn a_second_phone_column_is_kept_beside_the_phone() {
    let h =
        detect(&[row(1, &["姓名", "固定电话", "手机", "社区", "手机号"])], None).expect("header");
    assert_eq!(roles(&h), ["name", "phone+固定电话", "phone", "community", "phone+手机号"]);
    assert_eq!(h.mapping["固定电话"], "phone");
    let only_landline = detect(&[row(1, &["姓名", "固定电话", "社区"])], None).expect("header");
    assert_eq!(roles(&only_landline), ["name", "phone", "community"], "a landline alone is it");
}

#[test]
fn the_head_of_household_is_the_name_only_when_the_person_has_none() {
    let h = detect(&[row(1, &["户主姓名", "姓名", "身份证号", "电话"])], None).expect("header");
    assert_eq!(roles(&h), ["@户主姓名", "name", "id_number", "phone"]);
    let h = detect(&[row(1, &["户主姓名", "身份证号", "电话"])], None).expect("header");
    assert_eq!(roles(&h), ["name", "id_number", "phone"]);
}

#[test]
fn the_same_field_twice_keeps_the_second_under_its_own_name() {
    let h =
        detect(&[row(1, &["姓名", "备注", "身份证号", "备注", "电话", "", "民族", "民族"])], None)
            .expect("header");
    assert_eq!(
        roles(&h),
        ["name", "notes", "id_number", "@备注", "phone", "@列6", "@民族", "@民族(2)"]
    );
}

#[test]
fn a_header_over_two_rows_reads_the_lower_names_under_a_merged_cell() {
    let rows = [
        row(1, &["序号", "姓名", "身份证号码", "住址", "", "", "联系电话"]),
        row(2, &["", "", "", "楼栋", "单元", "房号", ""]),
        row(3, &["1", "张三", "", "1幢", "2单元", "301", "13812345678"]),
    ];
    let h = detect(&rows, None).expect("header");
    assert_eq!(h.row, 2, "data starts below the lower header row");
    assert_eq!(roles(&h), ["-", "name", "id_number", "building", "unit", "room", "phone"]);
}

#[test]
fn a_data_row_below_the_header_is_not_taken_for_more_header() {
    let rows = [
        row(1, &["姓名", "身份证号码", "联系电话", "社区"]),
        row(2, &["张三", "", "", "东升社区"]),
    ];
    assert_eq!(detect(&rows, None).expect("header").row, 1);
}

#[test]
fn a_mapping_overrides_outranks_names_and_can_ignore() {
    let m: Mapping = serde_json::from_str(
        r#"{"columns": {"户主电话": "phone", "序号": "attribute", "性别": "ignore"}}"#,
    )
    .expect("mapping");
    let h = detect(&[row(1, &["序号", "姓名", "联系电话", "户主电话", "社区", "性别"])], Some(&m))
        .expect("header");
    assert_eq!(roles(&h), ["@序号", "name", "phone+联系电话", "phone", "community", "-"]);
    assert_eq!(h.mapping["户主电话"], "phone");
    assert_eq!(h.mapping["性别"], "ignore");
}

#[test]
fn a_mapping_can_name_fields_no_table_knows() {
    let m: Mapping =
        serde_json::from_str(r#"{"columns": {"XM": "name", "SFZ": "id_number", "DH": "phone"}}"#)
            .expect("mapping");
    let h = detect(&[row(1, &["xm", "sfz", "dh"])], Some(&m)).expect("header");
    assert_eq!(roles(&h), ["name", "id_number", "phone"], "matched as headers are");
}

#[test]
fn a_mapping_with_an_unknown_field_is_refused_with_its_name() {
    let err = serde_json::from_str::<Mapping>(r#"{"columns": {"姓名": "nmae"}}"#)
        .expect_err("unknown field");
    assert!(err.to_string().contains("nmae"), "{err}");
}

#[test]
fn a_used_mapping_saved_and_reused_gives_the_same_columns() {
    let rows = [row(1, &["姓名", "手机", "座机", "民族", "身份证号码"])];
    let first = detect(&rows, None).expect("header");
    let saved = serde_json::to_string(&Mapping::from_header(&first)).expect("save");
    let reused: Mapping = serde_json::from_str(&saved).expect("load");
    assert_eq!(detect(&rows, Some(&reused)).expect("header").columns, first.columns);
}

proptest::proptest! {
    #[test]
    fn any_header_text_is_read_without_panicking(
        cells in proptest::collection::vec("[(（【】）)*：:/、a-zA-Z姓名电话身份证号 ]{0,12}|\\PC{0,20}", 0..8)
    ) {
        let rows: Vec<RawRow> = (1..=3)
            .map(|n| RawRow { row: n, cells: cells.iter().map(|c| Cell::Text(c.clone())).collect() })
            .collect();
        let _ = detect(&rows, None);
        for c in &cells {
            let _ = field_for(c);
        }
    }
}
