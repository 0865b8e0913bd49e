//! Retention from the command line: the district's rule set and shown (a period out of bounds
//! refused with exit code 1, like every rule's refusal), the requests report's header, and
//! `jiayuan server purge` and `forget-tombstones` with the dry run and district filter.

mod common;

use std::path::Path;
use std::process::Output;

fn run(args: &[&str]) -> Output {
    common::jiayuan().args(args).output().expect("run jiayuan")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn on(db: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--db", db.to_str().expect("path")];
    all.extend_from_slice(args);
    run(&all)
}

#[test]
fn the_district_rule_is_set_shown_and_bounded() {
    let tmp = tempfile::tempdir().expect("tmp");
    let db = tmp.path().join("store.db");
    let out = on(&db, &["requests", "retention"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("finished requests: kept for good"), "{}", text(&out));
    let out = on(
        &db,
        &[
            "requests",
            "retention",
            "--request-days",
            "30",
            "--health-days",
            "90",
            "--health-tags",
            "pregnant,chronic_illness",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&on(&db, &["requests", "retention"]));
    assert!(shown.contains("finished requests: 30 days"), "{shown}");
    assert!(shown.contains("health tags: 90 days (chronic_illness, pregnant)"), "{shown}");
    let out = on(&db, &["requests", "retention", "--request-days", "3"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("between 7 and 3650 days"), "{}", text(&out));
    assert!(
        text(&on(&db, &["requests", "retention"])).contains("30 days"),
        "the refused rule changed nothing"
    );
    let report = on(&db, &["requests", "report"]);
    assert!(
        text(&report).starts_with("month\tcategory\tpriority\toutcome\tarea\trequests\ton_time")
    );
}

#[test]
fn the_server_purges_each_district_or_one_and_a_dry_run_says_would() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("server");
    let data = data.to_str().expect("path");
    for (name, district) in [("a", "南湖区"), ("b", "秀洲区")] {
        let out = run(&[
            "server",
            "--data",
            data,
            "user",
            "add",
            name,
            "--role",
            "district_supervisor",
            "--district",
            district,
            "--password",
            "a-password-123",
        ]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let dry = run(&["server", "--data", data, "purge", "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    let said = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(
        said.contains("南湖区: would remove 0 requests") && said.contains("秀洲区: would remove"),
        "{said}"
    );
    let one = run(&["server", "--data", data, "purge", "--district", "秀洲区"]);
    let said = String::from_utf8_lossy(&one.stdout).into_owned();
    assert!(said.contains("秀洲区: removed 0 requests") && !said.contains("南湖区"), "{said}");
    let forget = run(&["server", "--data", data, "forget-tombstones", "--district", "秀洲区"]);
    assert!(String::from_utf8_lossy(&forget.stdout).contains("秀洲区: 0 tombstones forgotten"));
}
