//! The store the command line writes is encrypted: its bytes hold no phone, a wrong or missing
//! passphrase is refused with what to do, and scripts read the figures with `stats --json`.

mod common;

use std::path::Path;

fn roster(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("roster.csv");
    std::fs::write(
        &path,
        "姓名,联系电话,社区,网格\n张三,13812345678,建设社区,1网格\n李四,13987654321,建设社区,2网格\n",
    )
    .expect("write roster");
    path
}

#[test]
fn scripts_read_figures_not_the_store() {
    let tmp = tempfile::tempdir().expect("tmp");
    let db = tmp.path().join("data").join("jiayuan.db");
    let out = common::jiayuan()
        .args(["--lang", "en", "import", "residents"])
        .arg(roster(tmp.path()))
        .arg("--db")
        .arg(&db)
        .output()
        .expect("import");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out =
        common::jiayuan().arg("--db").arg(&db).args(["stats", "--json"]).output().expect("stats");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(stats["residents"], 2);
    assert_eq!(stats["requests"], 0);
    assert_eq!(stats["volunteers"], 0);
    assert!(stats["ops_waiting"].as_u64().unwrap() > 0, "the import waits to be synced");
    assert_eq!(stats["conflicts"], 0);

    // What sqlite3 would read: no SQLite header, no phone.
    let bytes: Vec<u8> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .flat_map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    for needle in ["SQLite format 3", "13812345678", "13987654321"] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "{needle} in clear");
    }

    let wrong = common::jiayuan()
        .env("JIAYUAN_PASSPHRASE", "not the passphrase")
        .arg("--db")
        .arg(&db)
        .args(["stats", "--json"])
        .output()
        .expect("stats");
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("passphrase is wrong"), "{wrong:?}");
    let none = common::jiayuan()
        .env_remove("JIAYUAN_PASSPHRASE")
        .arg("--db")
        .arg(&db)
        .args(["stats"])
        .output()
        .expect("stats");
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("JIAYUAN_PASSPHRASE"), "{none:?}");
}
