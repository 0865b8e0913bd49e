//! Volunteer rosters as offices send them, imported through the desk's wizard calls: a GBK CSV
//! from Excel on Chinese Windows and an xlsx with a merged title row and a notes sheet, each
//! with the quirks officials leave in (full-width digits, blank rows, numbers where text was
//! meant, a skill or a time nobody can read). The report's figures are exact; every imported
//! volunteer is in the list with their skills, grid and weekly hours; a volunteer who is also a
//! resident is linked; and a big roster writes one operation per chunk of 1,000.

use jiayuan_core::store::keying::{self, MemoryKeychain, Unlock};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiayuan_core::desk::*;
use jiayuan_core::import::VolunteerImportReport;
use jiayuan_core::volunteers::availability::format_weekly;
use jiayuan_core::volunteers::{Health, Volunteer, VolunteerFilter};
use jiayuan_core::{ManualClock, Store};
use jiayuan_testkit::{id_with_check, to_csv, to_xlsx, Csv, Sheet, TextEncoding, Value, Workbook};

struct Office {
    dir: tempfile::TempDir,
    desk: Desk,
    keychain: Arc<MemoryKeychain>,
}

impl Office {
    fn new() -> Office {
        let dir = tempfile::tempdir().expect("tmp");
        let keychain = Arc::new(MemoryKeychain::default());
        let desk = Desk::with_keychain(
            dir.path().join("data"),
            Arc::new(ManualClock::fixed()),
            keychain.clone(),
        );
        desk.open_last().expect("open");
        Office { dir, desk, keychain }
    }

    fn write(&self, name: &str, bytes: Vec<u8>) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write roster");
        path
    }

    fn import(&self, path: &Path, dry_run: bool) -> VolunteerImportReport {
        let mut events = 0;
        let report = self
            .desk
            .volunteer_import_run(&request(path, dry_run), &mut |_| events += 1)
            .expect("volunteer import");
        assert!(events >= 1, "the wizard hears that the import started");
        report
    }

    fn stats(&self) -> jiayuan_core::store::Stats {
        let data = self.dir.path().join("data");
        let Unlock::Key(key) = keying::unlock(&data, &*self.keychain, None).expect("key") else {
            panic!("the keychain holds the key")
        };
        let store = Store::open(&data.join("jiayuan.db"), Some(&key)).expect("store");
        store.stats().expect("stats")
    }

    fn volunteers(&self) -> Vec<Volunteer> {
        self.desk.volunteers_list(&VolunteerFilter::default()).expect("list")
    }

    fn volunteer(&self, name: &str) -> Volunteer {
        self.volunteers().into_iter().find(|v| v.name == name).unwrap_or_else(|| panic!("{name}"))
    }
}

fn request(path: &Path, dry_run: bool) -> ImportRequest {
    ImportRequest {
        path: path.display().to_string(),
        sheet: None,
        columns: None,
        dry_run,
        lang: "zh-CN".into(),
    }
}

fn id(n: u32) -> String {
    id_with_check(&format!("33040219900101{n:03}"))
}

/// The resident 陈红, imported as the residents' roster import does it.
fn resident_roster(o: &Office) {
    let sheet = Sheet::new("居民").row(&["姓名", "身份证号码", "联系电话", "社区", "网格"]).row(&[
        "陈红",
        &id(1),
        "13900009999",
        "新兴社区",
        "第1网格",
    ]);
    let path = o.write("居民.csv", to_csv(&sheet, Csv::default()));
    let r = o.desk.import_run(&ImportRequest { ..request(&path, false) }, &mut |_| {});
    assert_eq!(r.expect("resident import").created, 1);
}

/// A GBK CSV: Excel on Chinese Windows saving "CSV (逗号分隔)".
fn gbk_roster(o: &Office) -> PathBuf {
    let sheet = Sheet::new("x")
        .row(&[
            "序号",
            "志愿者姓名",
            "联系电话",
            "身份证号码",
            "所属社区",
            "所在网格",
            "服务类型",
            "空闲时间",
            "可接单数",
            "健康码",
            "是否有车",
            "备注",
        ])
        .row(&[
            "1",
            "陈红",
            "13800001001",
            &id(1),
            "新兴社区",
            "第1网格",
            "送药、跑腿",
            "周一至周五 18:00-21:00；周六 全天",
            "2",
            "绿码",
            "电动车",
            "党员",
        ])
        .row(&[
            "2",
            "刘洋",
            "１３８００００１００２",
            "",
            "新兴社区",
            "第2网格",
            "驾车接送",
            "每天 全天",
            "",
            "居家隔离",
            "轿车",
            "",
        ])
        .blank_row()
        .row(&[
            "3",
            "孙丽",
            "13800001003",
            "",
            "新兴社区",
            "第2网格",
            "心理支持 翻译",
            "周末 上午",
            "1",
            "正常",
            "",
            "",
        ])
        .row(&[
            "4",
            "刘洋",
            "13800001002",
            "",
            "新兴社区",
            "第2网格",
            "驾车接送",
            "",
            "",
            "",
            "",
            "",
        ])
        .row(&["5", "周强", "138000010", "", "新兴社区", "第1网格", "送药", "", "", "", "", ""])
        .row(&["6", "吴敏", "13800001006", "", "新兴社区", "第1网格", "唱歌", "", "", "", "", ""])
        .row(&[
            "7",
            "郑伟",
            "13800001007",
            "",
            "新兴社区",
            "第1网格",
            "送药",
            "随叫随到",
            "",
            "",
            "",
            "",
        ])
        .row(&[
            "8",
            "冯军",
            "13800001008",
            "",
            "新兴社区",
            "第1网格",
            "维修",
            "",
            "30",
            "",
            "",
            "",
        ]);
    let opts = Csv { encoding: TextEncoding::Gbk, ..Csv::default() };
    o.write("志愿者名单.csv", to_csv(&sheet, opts))
}

/// An xlsx with a merged title above the header, numbers where text was meant (a phone, a
/// capacity, an identity number Excel already rounded) and an instructions sheet.
fn titled_xlsx(o: &Office) -> PathBuf {
    let t = |s: &str| Value::from(s);
    let roster = Sheet::new("志愿者")
        .title("建设社区志愿者花名册")
        .row(&[
            "姓名",
            "手机",
            "证件号码",
            "街道",
            "社区",
            "小区",
            "技能",
            "服务时间",
            "同时任务数",
            "健康状况",
            "交通工具",
        ])
        .cells(vec![
            t("何静"),
            Value::Number(13_800_002_001.0),
            t(&id(3)),
            t("东栅街道"),
            t("建设社区"),
            t("阳光小区"),
            t("代购送药/医护"),
            t("工作日 晚上"),
            Value::Number(3.0),
            t("黄码"),
            t(""),
        ])
        .cells(vec![
            t("马超"),
            t("13800002002"),
            Value::excel_typed(&id(4)),
            t("东栅街道"),
            t("建设社区"),
            t("阳光小区"),
            t("送药"),
        ])
        .row(&["陈红", "13800001001", &id(1), "", "新兴社区", "第1网格", "送药"])
        .row(&[
            "林芳",
            "13800002004",
            "",
            "东栅街道",
            "建设社区",
            "阳光小区",
            "Delivery and errands",
            "Mon-Fri 9:00-12:00",
            "",
            "healthy",
            "",
        ]);
    let notes =
        Sheet::new("填表说明").row(&["技能请从列表中选择；可服务时间写成 周一至周五 18:00-21:00"]);
    o.write("建设社区志愿者.xlsx", to_xlsx(&Workbook::of(vec![roster, notes])))
}

fn problems(r: &VolunteerImportReport) -> Vec<(u32, &str)> {
    r.rejected.iter().map(|p| (p.row, p.code.as_str())).collect()
}

#[test]
fn a_gbk_csv_roster_imports_with_exact_figures_and_each_volunteer_as_read() {
    let o = Office::new();
    resident_roster(&o);
    let path = gbk_roster(&o);
    let before = o.stats();
    let dry = o.import(&path, true);
    assert_eq!(o.stats(), before, "a dry run writes nothing");
    let r = o.import(&path, false);
    assert_eq!((r.format.as_str(), r.encoding.as_deref()), ("csv", Some("gbk")));
    assert_eq!(r.sheets[0].header_row, 1);
    assert_eq!((r.rows_read, r.created, r.blank_rows), (8, 3, 1));
    assert_eq!(
        problems(&r),
        [
            (7, "invalid_phone"),
            (8, "unknown_skill"),
            (9, "availability_not_understood"),
            (10, "capacity_out_of_range")
        ]
    );
    let dups: Vec<(u32, u32)> = r.duplicates.iter().map(|d| (d.row, d.same_as_row)).collect();
    assert_eq!(dups, [(6, 3)], "full-width digits are the same phone");
    assert!(r.existing.is_empty() && r.warnings.is_empty());
    assert_eq!((r.linked_residents, r.areas_created), (1, 1), "陈红 is a resident; 第2网格 is new");
    let figures =
        |r: &VolunteerImportReport| (r.rows_read, r.created, r.rejected.len(), r.duplicates.len());
    assert_eq!(figures(&dry), figures(&r), "the dry run said exactly this");
    assert!(r.rejected[2].message.contains("随叫随到"), "{}", r.rejected[2].message);

    let after = o.stats();
    assert_eq!((after.outbox - before.outbox, after.audit - before.audit), (1, 1));
    let list = o.volunteers();
    assert_eq!(list.len(), 3);
    let chen = o.volunteer("陈红");
    assert_eq!(chen.skills, ["medicine_run", "delivery"]);
    assert_eq!(chen.area_path.last().map(String::as_str), Some("第1网格"));
    assert_eq!(format_weekly(&chen.availability.slots, true), "周一至周五 18:00-21:00；周六 全天");
    assert_eq!((chen.capacity, chen.health), (2, Health::Well));
    assert_eq!((chen.vehicle.as_deref(), chen.notes.as_deref()), (Some("电动车"), Some("党员")));
    assert!(chen.resident_id.is_some(), "linked by identity number");
    let liu = o.volunteer("刘洋");
    assert_eq!((liu.phone.as_deref(), liu.health), (Some("13800001002"), Health::Quarantined));
    assert_eq!(format_weekly(&liu.availability.slots, true), "每天 全天");
    assert_eq!(liu.area_path.last().map(String::as_str), Some("第2网格"));
    let sun = o.volunteer("孙丽");
    assert_eq!(sun.skills, ["psychological_support", "translation"]);
    assert_eq!(format_weekly(&sun.availability.slots, true), "周六、周日 08:00-12:00");
    assert!(r.volunteer_ids.iter().all(|id| list.iter().any(|v| &v.id == id)));
}

#[test]
fn an_xlsx_with_a_title_row_and_a_notes_sheet_imports_its_roster_sheet() {
    let o = Office::new();
    resident_roster(&o);
    let first = o.import(&gbk_roster(&o), false);
    assert_eq!(first.created, 3);
    let path = titled_xlsx(&o);

    let preview = o.desk.volunteer_import_preview(&path).expect("preview");
    let sheet = &preview.sheets[0];
    assert_eq!(sheet.header_row, Some(2), "the title is row 1");
    let field = |h: &str| sheet.columns.iter().find(|c| c.header == h).map(|c| c.field.as_str());
    assert_eq!(
        (field("小区"), field("技能"), field("服务时间")),
        (Some("grid"), Some("skills"), Some("availability"))
    );
    assert_eq!(preview.sheets[1].header_row, None);
    assert!(preview.fields.iter().any(|f| f == "capacity"));

    let r = o.import(&path, false);
    assert_eq!((r.format.as_str(), r.encoding.as_deref()), ("xlsx", None));
    assert_eq!(r.skipped_sheets.len(), 1);
    assert_eq!(
        (r.skipped_sheets[0].name.as_str(), r.skipped_sheets[0].reason.as_str()),
        ("填表说明", "no_header")
    );
    assert_eq!((r.rows_read, r.created, r.areas_created), (4, 2, 3));
    assert_eq!(problems(&r), [(4, "id_number_mangled_by_excel")]);
    assert_eq!(r.existing.len(), 1);
    assert_eq!((r.existing[0].row, r.existing[0].name.as_str()), (5, "陈红"));
    assert!(r.duplicates.is_empty());

    let he = o.volunteer("何静");
    assert_eq!(he.phone.as_deref(), Some("13800002001"), "a phone stored as a number");
    assert_eq!(he.skills, ["medicine_run", "medical"]);
    assert_eq!(he.area_path, ["东栅街道", "建设社区", "阳光小区"]);
    assert_eq!(format_weekly(&he.availability.slots, true), "周一至周五 18:00-21:00");
    assert_eq!((he.capacity, he.health), (3, Health::Isolating));
    let lin = o.volunteer("林芳");
    assert_eq!(lin.skills, ["delivery"]);
    assert_eq!(format_weekly(&lin.availability.slots, false), "Mon–Fri 09:00–12:00");
    assert_eq!(o.volunteers().len(), 5);
}

#[test]
fn a_big_roster_writes_one_operation_per_chunk_of_a_thousand() {
    let o = Office::new();
    let mut sheet = Sheet::new("x").row(&["姓名", "手机", "网格", "技能"]);
    for i in 0..2_345u32 {
        let (name, phone) = (format!("志愿者{i}"), format!("139{i:08}"));
        sheet = sheet.row(&[&name, &phone, &format!("第{}网格", i % 7 + 1), "送药"]);
    }
    let path = o.write("big.csv", to_csv(&sheet, Csv::default()));
    let before = o.stats();
    let r = o.import(&path, false);
    assert_eq!(r.created, 2_345);
    let after = o.stats();
    assert_eq!(after.outbox - before.outbox, 3, "1,000 + 1,000 + 345");
    assert_eq!(after.audit - before.audit, 3);
    assert_eq!(o.volunteers().len(), 2_345);
    assert_eq!(o.desk.info().expect("info").outbox, after.outbox);
}

#[test]
fn the_wizard_can_save_a_volunteer_mapping_and_refuses_a_field_volunteers_lack() {
    let o = Office::new();
    let m = SavedMapping {
        name: "街道模板".into(),
        columns: vec![("人员".into(), "name".into()), ("会做什么".into(), "skills".into())],
    };
    let saved = o.desk.volunteer_mapping_save(m.clone()).expect("save");
    assert_eq!(saved, [m]);
    assert!(o.desk.mappings().expect("residents' mappings").is_empty(), "kept apart");
    let bad = SavedMapping { name: "x".into(), columns: vec![("人员".into(), "tags".into())] };
    let err = o.desk.volunteer_mapping_save(bad).expect_err("tags is no volunteer field");
    assert_eq!(ApiError::from(err).code, "invalid");
}

#[test]
fn a_cancelled_volunteer_import_writes_nothing_and_frees_the_one_import_slot() {
    let o = Office::new();
    let mut sheet = Sheet::new("x").row(&["姓名", "手机", "技能"]);
    for i in 0..300u32 {
        sheet = sheet.row(&[&format!("志愿者{i}"), &format!("137{i:08}"), "送药"]);
    }
    let path = o.write("v.csv", to_csv(&sheet, Csv::default()));
    let before = o.stats();
    let out = o.desk.volunteer_import_run(&request(&path, false), &mut |_| {
        o.desk.import_cancel();
    });
    assert!(matches!(out, Err(jiayuan_core::CoreError::Cancelled)), "{out:?}");
    assert_eq!(o.stats(), before);
    assert!(!o.desk.import_cancel(), "the slot is free once the import ended");
    assert_eq!(o.import(&path, false).created, 300, "and the next import runs");
}
