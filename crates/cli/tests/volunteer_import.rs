//! `jiayuan volunteers import`: a dry run that writes nothing, the import with its report on
//! stdout and as JSON, the volunteers then listed, and a file that is no roster refused with
//! exit code 2 and one line.

mod common;

use std::path::Path;
use std::process::Output;

use jiayuan_testkit::{to_csv, Csv, Sheet, TextEncoding};

fn jiayuan(db: &Path, args: &[&str]) -> Output {
    common::jiayuan()
        .args(args)
        .arg("--db")
        .arg(db)
        // The report's language follows the system's.
        .env("LC_ALL", "en_US.UTF-8")
        .output()
        .expect("run jiayuan")
}

fn listed(db: &Path) -> Vec<serde_json::Value> {
    let out = jiayuan(db, &["volunteers", "list", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).expect("list json")
}

#[test]
fn a_volunteer_roster_imports_from_the_command_line() {
    let tmp = tempfile::tempdir().expect("tmp");
    let db = tmp.path().join("store.db");
    let sheet = Sheet::new("x")
        .row(&["志愿者姓名", "手机", "所在网格", "技能", "可服务时间", "健康码"])
        .row(&["陈红", "13800001001", "第1网格", "送药、跑腿", "周一至周五 18:00-21:00", "绿码"])
        .row(&["刘洋", "13800001002", "第2网格", "驾车接送", "每天 全天", "居家隔离"])
        .row(&["周强", "1380", "第1网格", "送药", "", ""])
        .row(&["刘洋", "13800001002", "第2网格", "驾车接送", "", ""]);
    let file = tmp.path().join("volunteers.csv");
    std::fs::write(&file, to_csv(&sheet, Csv { encoding: TextEncoding::Gbk, ..Csv::default() }))
        .expect("write");
    let file = file.to_str().expect("utf-8 path");

    let dry = jiayuan(&db, &["volunteers", "import", file, "--dry-run"]);
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(text.contains("dry run, nothing written"), "{text}");
    assert!(text.contains("4 rows read: 2 volunteers created, 1 rejected, 1 duplicates"), "{text}");
    assert!(listed(&db).is_empty(), "a dry run writes nothing");

    let report = tmp.path().join("report.json");
    let real =
        jiayuan(&db, &["volunteers", "import", file, "--report", report.to_str().expect("path")]);
    assert!(real.status.success(), "{}", String::from_utf8_lossy(&real.stderr));
    let text = String::from_utf8_lossy(&real.stdout);
    assert!(text.contains("invalid_phone"), "each rejected row is printed: {text}");
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    assert_eq!((r["encoding"].as_str(), r["created"].as_u64()), (Some("gbk"), Some(2)));
    assert_eq!(r["rejected"][0]["row"], 4);
    assert_eq!(r["duplicates"][0]["same_as_row"], 3);
    let list = listed(&db);
    let names: Vec<&str> = list.iter().map(|v| v["name"].as_str().expect("name")).collect();
    assert_eq!(names, ["刘洋", "陈红"]);
    assert_eq!(list[0]["health"], "quarantined");
    assert_eq!(list[1]["skills"], serde_json::json!(["medicine_run", "delivery"]));
}

#[test]
fn a_file_that_is_no_roster_is_refused_with_exit_code_two() {
    let tmp = tempfile::tempdir().expect("tmp");
    let db = tmp.path().join("store.db");
    let file = tmp.path().join("notes.csv");
    std::fs::write(&file, "会议纪要\n下周一开会\n").expect("write");
    let out = jiayuan(&db, &["volunteers", "import", file.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a roster"), "{err}");
    let mapping = tmp.path().join("m.json");
    std::fs::write(&mapping, r#"{"columns": {"会议纪要": "tags"}}"#).expect("write");
    let out = jiayuan(
        &db,
        &[
            "volunteers",
            "import",
            file.to_str().expect("path"),
            "--mapping",
            mapping.to_str().expect("path"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "tags is no volunteer field");
    assert!(String::from_utf8_lossy(&out.stderr).contains("skills"));
}
