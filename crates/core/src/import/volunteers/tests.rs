//! The volunteer importer through a real store: header names as offices write them, each row
//! rule with its code and message, skills several to a cell, availability text, health words,
//! duplicates in the file and against the store, links to residents, areas created once, and
//! a dry run that writes nothing but reports what a real run does.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::*;
use crate::import::header::{detect_fields, ColumnRole, FieldSet};
use crate::import::source::Cell;
use crate::import::volunteer_fields::VolunteerField as F;
use crate::residents::{self, ResidentDraft};
use crate::volunteers::{Health, VolunteerFilter};
use crate::{Actor, ManualClock, Store};

struct World {
    store: Store,
    clock: ManualClock,
    actor: Actor,
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        World {
            store: Store::open_in_memory().expect("store"),
            clock: ManualClock::fixed(),
            actor: Actor::new("official-1", "王主任"),
            dir: tempfile::tempdir().expect("tmp"),
        }
    }

    fn file(&self, name: &str, lines: &[&str]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, lines.join("\r\n")).expect("write roster");
        path
    }

    fn run(&mut self, lines: &[&str], dry_run: bool) -> VolunteerImportReport {
        let path = self.file("志愿者.csv", lines);
        let opts = ImportOptions { dry_run, lang: Some(Lang::ZhCn), ..ImportOptions::default() };
        let mut ctx = Ctx::new(&mut self.store, &self.clock, &self.actor);
        import_volunteers(&mut ctx, &path, &opts, &mut |_| {}, &AtomicBool::new(false))
            .expect("import")
    }

    fn count(&self, sql: &str) -> i64 {
        self.store.conn().query_row(sql, [], |r| r.get(0)).expect("count")
    }

    fn payloads(&self) -> Vec<serde_json::Value> {
        let mut stmt = self
            .store
            .conn()
            .prepare("SELECT payload FROM outbox WHERE kind = 'volunteer.import' ORDER BY seq")
            .expect("prepare");
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).expect("query");
        rows.map(|p| serde_json::from_str(&p.expect("row")).expect("json")).collect()
    }
}

fn id(n: u32) -> String {
    jiayuan_testkit::id_with_check(&format!("33040219850312{n:03}"))
}

const HEADER: &str =
    "姓名,手机,身份证号,社区,网格,技能,可服务时间,同时任务数,健康状况,交通工具,备注";

fn header_of(cells: &[&str]) -> Header<F> {
    let row = RawRow { row: 1, cells: cells.iter().map(|c| Cell::Text((*c).to_owned())).collect() };
    detect_fields::<F>(&[row], None).expect("a header")
}

fn keys(h: &Header<F>) -> Vec<&'static str> {
    h.columns.iter().map(ColumnRole::key).collect()
}

#[test]
fn offices_column_names_find_the_volunteer_fields() {
    let h = header_of(&[
        "序号",
        "志愿者姓名",
        "联系电话",
        "证件号码",
        "街道",
        "所属社区",
        "所在网格",
        "特长",
        "空闲时间",
        "可接单数",
        "健康码",
        "是否有车",
        "备注",
        "政治面貌",
    ]);
    assert_eq!(
        keys(&h),
        [
            "ignore",
            "name",
            "phone",
            "id_number",
            "street",
            "community",
            "grid",
            "skills",
            "availability",
            "capacity",
            "health",
            "vehicle",
            "notes",
            "attribute"
        ]
    );
    for (text, field) in [
        ("电话", F::Phone),
        ("手机", F::Phone),
        ("身份证号", F::IdNumber),
        ("小区", F::Grid),
        ("技能", F::Skills),
        ("服务类型", F::Skills),
        ("可提供服务", F::Skills),
        ("可服务时间", F::Availability),
        ("服务时间", F::Availability),
        ("同时任务数", F::Capacity),
        ("健康状况", F::Health),
        ("是否隔离", F::Health),
        ("交通工具", F::Vehicle),
        ("车辆", F::Vehicle),
        ("姓名*", F::Name),
    ] {
        let h = header_of(&[text, "姓名", "手机", "备注"]);
        assert_eq!(h.columns[0], ColumnRole::Field(field), "{text}");
    }
    let en = header_of(&[
        "Name",
        "Phone",
        "ID number",
        "Community",
        "Grid",
        "Skills",
        "Availability",
        "Capacity",
        "Health",
        "Vehicle",
        "Notes",
    ]);
    let all: Vec<&str> = F::all().iter().filter(|f| **f != F::Street).map(|f| f.key()).collect();
    assert_eq!(keys(&en), all);
}

#[test]
fn a_landline_beside_the_mobile_goes_to_the_notes() {
    let mut w = World::new();
    let r = w.run(&["姓名,手机,座机,技能", "李娜,13812345678,0573-81234567,送药"], false);
    assert_eq!(r.created, 1);
    let v = &crate::volunteers::list(&w.store, &VolunteerFilter::default()).expect("list")[0];
    assert_eq!(v.phone.as_deref(), Some("13812345678"));
    assert_eq!(v.notes.as_deref(), Some("座机：0573-81234567"));
}

#[test]
fn each_row_rule_rejects_with_its_code_and_a_message_to_act_on() {
    let mut w = World::new();
    let rows = [
        HEADER.to_owned(),
        ",13800000001,,新兴社区,第1网格,送药,,,,,".to_owned(),
        "王一,138000000,,新兴社区,第1网格,送药,,,,,".to_owned(),
        "王二,,,新兴社区,第1网格,送药,,,,,".to_owned(),
        "王三,13800000003,330402198503120000,新兴社区,第1网格,送药,,,,,".to_owned(),
        "王四,13800000004,,新兴社区,第1网格,送药、修电脑,,,,,".to_owned(),
        "王五,13800000005,,新兴社区,第1网格,送药,周一至周五 晚饭后,,,,".to_owned(),
        "王六,13800000006,,新兴社区,第1网格,送药,,21,,,".to_owned(),
        "王七,13800000007,,新兴社区,第1网格,送药,,很多,,,".to_owned(),
        "王八,13800000008,,新兴社区,第1网格,送药,,,还行吧,,".to_owned(),
        format!("王九,13800000009,{},新兴社区,第1网格,送药,每天 全天,3,绿码,电动车,", id(9)),
    ];
    let lines: Vec<&str> = rows.iter().map(String::as_str).collect();
    let r = w.run(&lines, false);
    let got: Vec<(u32, &str, &str)> =
        r.rejected.iter().map(|p| (p.row, p.field.as_str(), p.code.as_str())).collect();
    assert_eq!(
        got,
        [
            (2, "name", "missing_name"),
            (3, "phone", "invalid_phone"),
            (4, "phone", "missing_phone"),
            (5, "id_number", "invalid_id_number"),
            (6, "skills", "unknown_skill"),
            (7, "availability", "availability_not_understood"),
            (8, "capacity", "capacity_out_of_range"),
            (9, "capacity", "capacity_out_of_range"),
            (10, "health", "unknown_health"),
        ]
    );
    let message = |row: u32| &r.rejected.iter().find(|p| p.row == row).expect("row").message;
    assert!(message(6).contains("修电脑") && message(6).contains("送货跑腿、代购送药"));
    assert!(!message(6).contains("“送药"), "only the unknown skill is named: {}", message(6));
    assert!(message(7).contains("晚饭后"), "the part not understood is quoted: {}", message(7));
    assert!(message(8).contains("1 到 20"));
    assert!(!message(3).contains("138000000"), "phones are masked in messages");
    assert_eq!((r.rows_read, r.created), (10, 1), "no row is lost: 9 rejected + 1 created");
}

#[test]
fn a_mangled_identity_number_is_told_apart_and_blank_rows_are_counted() {
    let mut w = World::new();
    let path = w.file("x.csv", &[HEADER, "赵一,13800000011,3.30402E+17,,,,,,,,", ",,,,,,,,,,"]);
    let opts = ImportOptions { lang: Some(Lang::En), ..ImportOptions::default() };
    let mut ctx = Ctx::new(&mut w.store, &w.clock, &w.actor);
    let r = import_volunteers(&mut ctx, &path, &opts, &mut |_| {}, &AtomicBool::new(false))
        .expect("import");
    assert_eq!(r.rejected[0].code, "id_number_mangled_by_excel");
    assert!(r.rejected[0].message.contains("format the column as Text"));
    assert_eq!(r.blank_rows, 1);
}

#[test]
fn several_skills_in_one_cell_are_split_and_read_by_key_label_or_word() {
    let mut w = World::new();
    let r = w.run(
        &[
            "姓名,手机,技能",
            "甲,13800000021,送药、跑腿，驾车接送/医护；维修 代办手续",
            "乙,13800000022,\"Delivery and errands, driving\"",
            "丙,13800000023,送货 跑腿",
            "丁,13800000024,无",
        ],
        false,
    );
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let list = crate::volunteers::list(&w.store, &VolunteerFilter::default()).expect("list");
    let skills = |name: &str| list.iter().find(|v| v.name == name).expect(name).skills.clone();
    assert_eq!(
        skills("甲"),
        ["medicine_run", "delivery", "driving", "medical", "repair", "paperwork"]
    );
    assert_eq!(skills("乙"), ["delivery", "driving"]);
    assert_eq!(skills("丙"), ["delivery"], "two words of one label are that one skill");
    assert!(skills("丁").is_empty(), "无 says none");
}

#[test]
fn availability_text_becomes_weekly_slots() {
    let mut w = World::new();
    let r = w.run(
        &["姓名,手机,技能,可服务时间", "甲,13800000031,送药,周一至周五 18:00-21:00；周六 全天"],
        false,
    );
    assert_eq!(r.created, 1);
    let v = &crate::volunteers::list(&w.store, &VolunteerFilter::default()).expect("list")[0];
    let slots: Vec<(u8, u16, u16)> =
        v.availability.slots.iter().map(|s| (s.day, s.from_min, s.to_min)).collect();
    let evenings = (1..=5).map(|d| (d, 18 * 60, 21 * 60));
    assert_eq!(slots, evenings.chain([(6, 0, 1440)]).collect::<Vec<_>>());
}

#[test]
fn health_words_as_offices_write_them() {
    for (text, want) in [
        ("绿码", Some(Health::Well)),
        ("正常", Some(Health::Well)),
        ("健康", Some(Health::Well)),
        ("否", Some(Health::Well)),
        ("未隔离", Some(Health::Well)),
        ("绿码（正常）", Some(Health::Well)),
        ("隔离", Some(Health::Quarantined)),
        ("居家隔离", Some(Health::Quarantined)),
        ("集中隔离", Some(Health::Quarantined)),
        ("集中隔离中", Some(Health::Quarantined)),
        ("是", Some(Health::Quarantined)),
        ("黄码", Some(Health::Isolating)),
        ("生病", Some(Health::Unwell)),
        ("身体不适", Some(Health::Unwell)),
        ("Quarantined", Some(Health::Quarantined)),
        ("无需隔离观察", None),
        ("还行吧", None),
    ] {
        assert_eq!(parse_health(text), want, "{text}");
    }
}

#[test]
fn health_capacity_and_vehicle_are_stored_as_read() {
    let mut w = World::new();
    w.run(
        &[
            "姓名,手机,技能,同时任务数,健康状况,是否有车",
            "甲,13800000041,送药,２个,居家隔离,电动车",
            "乙,13800000042,送药,,,否",
        ],
        false,
    );
    let list = crate::volunteers::list(&w.store, &VolunteerFilter::default()).expect("list");
    let by = |name: &str| list.iter().find(|v| v.name == name).expect(name);
    let (a, b) = (by("甲"), by("乙"));
    assert_eq!(
        (a.capacity, a.health, a.vehicle.as_deref()),
        (2, Health::Quarantined, Some("电动车"))
    );
    assert_eq!((b.capacity, b.health, b.vehicle.as_deref()), (1, Health::Well, None));
}

#[test]
fn duplicates_in_the_file_and_volunteers_already_stored_are_skipped() {
    let mut w = World::new();
    let first = w.run(&["姓名,手机,身份证号", &format!("张三,13800000051,{}", id(51))], false);
    assert_eq!(first.created, 1);
    let stored = first.volunteer_ids[0].clone();
    let r = w.run(
        &[
            "姓名,手机,身份证号",
            &format!("张三丰,13900000000,{}", id(51)),
            "李四,13800000052,",
            "李四,138-0000-0052,",
            &format!("王五,13800000053,{}", id(53)),
            &format!("王老五,13800000054,{}", id(53)),
            &format!("李四,13800000052,{}", id(52)),
        ],
        false,
    );
    assert_eq!(r.created, 2, "李四 and 王五");
    let dups: Vec<(u32, u32)> = r.duplicates.iter().map(|d| (d.row, d.same_as_row)).collect();
    assert_eq!(dups, [(4, 3), (6, 5), (7, 3)], "by phone as written, by identity number");
    assert_eq!(r.existing.len(), 1);
    assert_eq!((r.existing[0].row, &r.existing[0].volunteer_id), (2, &stored));
    assert_eq!(w.count("SELECT count(*) FROM volunteers"), 3);
}

#[test]
fn a_volunteer_who_is_a_resident_is_linked_to_them() {
    let mut w = World::new();
    let mut ctx = Ctx::new(&mut w.store, &w.clock, &w.actor);
    let by_id = ResidentDraft {
        name: "陈红".into(),
        id_number: Some(id(61)),
        community: Some("新兴社区".into()),
        ..ResidentDraft::default()
    };
    let by_id = residents::create(&mut ctx, by_id).expect("resident").id;
    let by_phone = ResidentDraft {
        name: "周明".into(),
        phone: Some("13800000062".into()),
        ..ResidentDraft::default()
    };
    let by_phone = residents::create(&mut ctx, by_phone).expect("resident").id;
    let r = w.run(
        &[
            "姓名,手机,身份证号",
            &format!("陈虹,13800000061,{}", id(61)),
            "周明,13800000062,",
            "周敏,13800000062,",
        ],
        false,
    );
    assert_eq!((r.created, r.linked_residents), (3, 2));
    assert_eq!(r.warnings.len(), 1, "the identity number links despite the other name");
    assert_eq!((r.warnings[0].row, r.warnings[0].code.as_str()), (2, "resident_name_differs"));
    let list = crate::volunteers::list(&w.store, &VolunteerFilter::default()).expect("list");
    let link = |name: &str| list.iter().find(|v| v.name == name).expect(name).resident_id.clone();
    assert_eq!(link("陈虹"), Some(by_id));
    assert_eq!(link("周明"), Some(by_phone));
    assert_eq!(link("周敏"), None, "a shared phone alone links no one");
}

#[test]
fn areas_are_created_once_and_travel_in_the_operation() {
    let mut w = World::new();
    let rows = [
        "姓名,手机,街道,社区,网格,技能",
        "甲,13800000071,东栅街道,建设社区,第3网格,送药",
        "乙,13800000072,东栅街道,建设社区,第3网格,送药",
        "丙,13800000073,东栅街道,建设社区,第4网格,送药",
    ];
    let r = w.run(&rows, false);
    let ops = w.payloads();
    assert_eq!(ops.len(), 1);
    let names: Vec<&str> = ops[0]["areas"]
        .as_array()
        .expect("areas")
        .iter()
        .map(|a| a["name"].as_str().expect("name"))
        .collect();
    let district = w.store.device().district.clone();
    let mut want = vec!["东栅街道", "建设社区", "第3网格", "第4网格"];
    if names.len() == 5 {
        want.insert(0, &district);
    }
    assert_eq!(names, want, "each area once, parents first");
    assert_eq!(r.areas_created, names.len() as u64);
    assert_eq!(ops[0]["volunteer_ids"].as_array().expect("ids").len(), 3);
    let list = crate::volunteers::list(&w.store, &VolunteerFilter::default()).expect("list");
    let first = list.iter().find(|v| v.name == "甲").expect("甲");
    assert_eq!(first.area_path, ["东栅街道", "建设社区", "第3网格"]);
    let again = w.run(&["姓名,手机,社区,网格,技能", "丁,13800000074,建设社区,第3网格,送药"], false);
    assert_eq!(again.areas_created, 0, "a community is found wherever it hangs");
}

#[test]
fn a_dry_run_writes_nothing_and_reports_what_a_real_run_does() {
    let mut w = World::new();
    let rows = [
        "姓名,手机,社区,网格,技能",
        "甲,13800000081,建设社区,第3网格,送药",
        "乙,13800000082,建设社区,第3网格,飞行",
        "甲,13800000081,建设社区,第3网格,送药",
    ];
    let before: Vec<i64> = ["volunteers", "areas", "outbox", "audit_log"]
        .iter()
        .map(|t| w.count(&format!("SELECT count(*) FROM {t}")))
        .collect();
    let dry = w.run(&rows, true);
    let after: Vec<i64> = ["volunteers", "areas", "outbox", "audit_log"]
        .iter()
        .map(|t| w.count(&format!("SELECT count(*) FROM {t}")))
        .collect();
    assert_eq!(before, after, "a dry run is rolled back");
    assert!(dry.dry_run && dry.import_id.is_none() && dry.volunteer_ids.is_empty());
    let real = w.run(&rows, false);
    let figures = |r: &VolunteerImportReport| {
        (r.rows_read, r.created, r.rejected.len(), r.duplicates.len(), r.areas_created)
    };
    assert_eq!(figures(&dry), figures(&real));
    assert_eq!(figures(&real), (3, 1, 1, 1, real.areas_created));
    assert!(real.import_id.is_some());
}

#[test]
fn an_import_that_creates_no_one_still_leaves_one_audited_operation() {
    let mut w = World::new();
    let r = w.run(&["姓名,手机,技能", ",13800000091,送药"], false);
    assert_eq!((r.created, r.rejected.len()), (0, 1));
    let ops = w.payloads();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0]["volunteer_ids"], serde_json::json!([]));
    let summary: String = w
        .store
        .conn()
        .query_row("SELECT after FROM audit_log WHERE action = 'volunteer.import'", [], |r| {
            r.get(0)
        })
        .expect("audit");
    assert!(summary.contains("\"rejected\":1"), "{summary}");
}

#[test]
fn a_file_of_no_volunteer_columns_is_refused_and_a_mapping_can_name_them() {
    let mut w = World::new();
    let lines = ["人员,号码,会做什么", "甲,13800000095,送药"];
    let path = w.file("odd.csv", &lines);
    let mut ctx = Ctx::new(&mut w.store, &w.clock, &w.actor);
    let none = &AtomicBool::new(false);
    let err = import_volunteers(&mut ctx, &path, &ImportOptions::default(), &mut |_| {}, none)
        .expect_err("no header");
    assert_eq!(err.code(), "unreadable_file");
    let mapping = mapping_from_json(
        r#"{"columns": {"人员": "name", "号码": "phone", "会做什么": "skills"}}"#,
    )
    .expect("mapping");
    let opts = ImportOptions { mapping: Some(mapping), ..ImportOptions::default() };
    let r = import_volunteers(&mut ctx, &path, &opts, &mut |_| {}, none).expect("import");
    assert_eq!(r.created, 1);
    let bad = mapping_from_json(r#"{"columns": {"人员": "sex"}}"#).expect_err("no such field");
    assert!(bad.contains("skills"), "{bad}");
}

#[test]
fn operations_name_their_chunk_of_a_thousand_volunteers_and_audits_follow() {
    let mut w = World::new();
    let mut lines = vec!["姓名,手机,网格,技能".to_owned()];
    lines.extend((0..2_345u32).map(|i| format!("志愿者{i},139{i:08},第{}网格,送药", i % 5 + 1)));
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let r = w.run(&lines, false);
    assert_eq!(r.created, 2_345);
    let ops = w.payloads();
    let sizes: Vec<usize> =
        ops.iter().map(|p| p["volunteer_ids"].as_array().expect("ids").len()).collect();
    assert_eq!(sizes, [1000, 1000, 345]);
    let areas: usize = ops.iter().map(|p| p["areas"].as_array().expect("areas").len()).sum();
    assert_eq!(areas as u64, r.areas_created);
    assert_eq!(w.count("SELECT count(*) FROM audit_log WHERE action = 'volunteer.import'"), 3);
    let listed: Vec<String> = ops
        .iter()
        .flat_map(|p| p["volunteer_ids"].as_array().expect("ids").clone())
        .map(|v| v.as_str().expect("id").to_owned())
        .collect();
    assert_eq!(listed, r.volunteer_ids, "every volunteer in exactly one operation, in row order");
}
