//! Hostile files get a clear refusal (exit 2, one line on stderr, the store untouched) or, where
//! the spec allows it, a clean report; never a panic; and the importer's memory stays under
//! 1 GiB whatever it is fed.

mod common;

use std::path::Path;
use std::process::Output;

use jiayuan_testkit::*;

fn import(file: &Path, db: &Path) -> Output {
    common::jiayuan()
        .args(["--lang", "en", "import", "residents"])
        .arg(file)
        .arg("--db")
        .arg(db)
        .output()
        .expect("run jiayuan")
}

/// The largest resident set of any child so far, in MiB (Linux reports KiB).
#[allow(unsafe_code)]
fn children_peak_mib() -> i64 {
    // SAFETY: getrusage writes only into the zeroed struct passed to it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0, "getrusage");
    usage.ru_maxrss / 1024
}

#[test]
fn hostile_files_are_refused_cleanly_in_bounded_memory() {
    let tmp = tempfile::tempdir().expect("tmp");
    let db = tmp.path().join("store.db");
    // A store with real data in it, to show a refusal leaves it as it was.
    let good = tmp.path().join("good.csv");
    std::fs::write(&good, "姓名,联系电话,社区\n张三,13812345678,建设社区\n").expect("write");
    assert!(import(&good, &db).status.success());
    let before = common::open_store(&db).expect("store").stats().expect("stats");

    let renamed = to_csv(
        &Sheet::new("x").row(&["姓名", "联系电话", "社区"]).row(&[
            "李四",
            "13912345678",
            "建设社区",
        ]),
        Csv::default(),
    );
    let refusals: Vec<(&str, Vec<u8>)> = vec![
        ("empty.csv", Vec::new()),
        ("noise.xlsx", random_bytes(1 << 20, 7)),
        ("noise.csv", random_bytes(1 << 16, 9)),
        ("truncated.xlsx", truncated_xlsx()),
        ("bomb.xlsx", zip_bomb_xlsx(512)),
        ("notes.csv", "会议纪要\n今天开会讨论防疫\n".as_bytes().to_vec()),
    ];
    for (name, bytes) in refusals {
        let path = tmp.path().join(name);
        std::fs::write(&path, &bytes).expect("write");
        let out = import(&path, &db);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: exit code; stderr: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: one line, got: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        let after = common::open_store(&db).expect("store").stats().expect("stats");
        assert_eq!(after, before, "{name}: a refused file writes nothing");
    }

    // A CSV renamed .xlsx is read as the CSV it is.
    let csv_as_xlsx = tmp.path().join("roster.xlsx");
    std::fs::write(&csv_as_xlsx, &renamed).expect("write");
    let out = import(&csv_as_xlsx, &db);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(csv, utf-8)"));

    // A 30 MB line is a row with a cell too long: reported, the rest imported.
    let long = tmp.path().join("long.csv");
    std::fs::write(&long, long_line_csv(30)).expect("write");
    let report = tmp.path().join("long.json");
    let out = common::jiayuan()
        .args(["--lang", "en", "import", "residents"])
        .arg(&long)
        .arg("--db")
        .arg(tmp.path().join("fresh.db"))
        .arg("--report")
        .arg(&report)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    assert_eq!(r["rejected"][0]["code"], "cell_too_long");
    assert_eq!(r["rejected"][0]["row"], 2);
    assert_eq!(r["created"], 1, "the next row still imports");

    let peak = children_peak_mib();
    eprintln!("peak memory of any import: {peak} MiB");
    assert!(peak < 1024, "an import used {peak} MiB");
}
