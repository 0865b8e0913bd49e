//! `jiayuan backup` and `jiayuan restore` end to end: a store backed up and restored into
//! another data folder shows the same figures; a wrong passphrase, a file that is not a backup,
//! a weak passphrase and a store with work in it are refused with what to do.

mod common;

use std::path::Path;
use std::process::Output;

const BACKUP_PASS: &str = "the backup's own passphrase";

fn id_number() -> String {
    jiayuan_testkit::id_with_check("33040219800101001")
}

fn roster(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("roster.csv");
    std::fs::write(
        &path,
        format!(
            "姓名,身份证号,联系电话,社区,网格\n张三,{},13812345678,建设社区,1网格\n\
             李四,,13987654321,建设社区,2网格\n王五,,13700001111,新兴社区,1网格\n",
            id_number()
        ),
    )
    .expect("write roster");
    path
}

fn run(db: &Path, args: &[&str], pass: Option<&str>) -> Output {
    let mut cmd = common::jiayuan();
    cmd.args(["--lang", "en", "--db"]).arg(db).args(args);
    match pass {
        Some(p) => cmd.env("JIAYUAN_BACKUP_PASSPHRASE", p),
        None => cmd.env_remove("JIAYUAN_BACKUP_PASSPHRASE"),
    };
    cmd.stdin(std::process::Stdio::null()).output().expect("run jiayuan")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(out: &Output, says: &str) {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(says), "expected “{says}” in: {err}");
}

fn stats(db: &Path) -> serde_json::Value {
    serde_json::from_str(&ok(&run(db, &["stats", "--json"], None))).expect("one JSON object")
}

#[test]
fn a_backup_restored_into_another_folder_has_the_same_figures() {
    let tmp = tempfile::tempdir().expect("tmp");
    let old = tmp.path().join("old").join("jiayuan.db");
    let new = tmp.path().join("new").join("jiayuan.db");
    let file = tmp.path().join("usb").join("moving.jybackup");
    let r = roster(tmp.path());
    ok(&run(&old, &["import", "residents", r.to_str().unwrap()], None));
    let before = stats(&old);
    assert_eq!(before["residents"], 3);

    refused(&run(&old, &["backup", file.to_str().unwrap()], Some("short")), "too short");
    refused(&run(&old, &["backup", file.to_str().unwrap()], None), "no backup passphrase");
    assert!(!file.exists());
    let said = ok(&run(&old, &["backup", file.to_str().unwrap()], Some(BACKUP_PASS)));
    assert!(said.contains("3 residents"), "{said}");
    assert!(said.contains(&format!("{} operations waiting", before["ops_waiting"])), "{said}");
    let bytes = std::fs::read(&file).expect("the backup");
    for clear in ["SQLite format 3", "13812345678", &id_number(), "张三"] {
        assert!(!bytes.windows(clear.len()).any(|w| w == clear.as_bytes()), "{clear} in clear");
    }

    refused(
        &run(&new, &["restore", file.to_str().unwrap()], Some("not the passphrase")),
        "passphrase is wrong",
    );
    refused(
        &run(&new, &["restore", r.to_str().unwrap()], Some(BACKUP_PASS)),
        "not a Jiayuan Desk backup",
    );
    let said = ok(&run(&new, &["restore", file.to_str().unwrap()], Some(BACKUP_PASS)));
    assert!(said.contains("sign in again"), "{said}");
    let after = stats(&new);
    for figure in ["residents", "requests", "open_requests", "volunteers", "conflicts", "refused"] {
        assert_eq!(after[figure], before[figure], "{figure}");
    }
    assert_eq!(
        after["ops_waiting"].as_u64().unwrap(),
        before["ops_waiting"].as_u64().unwrap() + 1,
        "the work waiting, and the restore's record"
    );
    let found = ok(&run(&new, &["residents", "search", "张三"], None));
    assert!(found.contains("张三"), "{found}");

    // The new folder now holds work: a second restore would replace it.
    refused(&run(&new, &["restore", file.to_str().unwrap()], Some(BACKUP_PASS)), "new data folder");
    assert_eq!(stats(&new), after);
    // The old store recorded its backup.
    assert_eq!(
        stats(&old)["ops_waiting"].as_u64().unwrap(),
        before["ops_waiting"].as_u64().unwrap() + 1
    );
}
