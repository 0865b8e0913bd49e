//! All or nothing: an import killed with SIGKILL at any moment leaves a store that passes
//! `PRAGMA integrity_check` and holds all of the file or none of it.

#![cfg(unix)]

mod common;

use std::io::Write as _;
use std::path::Path;

use std::time::{Duration, Instant};

const ROWS: usize = 60_000;

fn write_roster(path: &Path) {
    let today = jiayuan_core::chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    writeln!(out, "姓名,身份证号码,联系电话,所属社区,网格,人员类别").expect("write");
    for p in jiayuan_core::demo::people(3, ROWS, today) {
        writeln!(
            out,
            "{},{},{},{},{},{}",
            p.name,
            p.id_number.unwrap_or_default(),
            p.phone.unwrap_or_default(),
            p.community.unwrap_or_default(),
            p.grid.unwrap_or_default(),
            p.tags.join("、")
        )
        .expect("write");
    }
    out.flush().expect("flush");
}

fn wal_bytes(db: &Path) -> u64 {
    std::fs::metadata(format!("{}-wal", db.display())).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn an_import_killed_mid_file_leaves_all_or_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let roster = tmp.path().join("big.csv");
    write_roster(&roster);
    let mut killed_before_commit = 0;
    // Kill at several depths into the file: early, middle, late.
    for (round, threshold) in [256 * 1024u64, 4 << 20, 12 << 20].into_iter().enumerate() {
        let db = tmp.path().join(format!("kill{round}.db"));
        drop(common::open_store(&db).expect("create store"));
        let mut child = common::jiayuan()
            .args(["import", "residents"])
            .arg(&roster)
            .arg("--db")
            .arg(&db)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn import");
        let started = Instant::now();
        let mut finished = false;
        while wal_bytes(&db) < threshold {
            if child.try_wait().expect("poll").is_some() {
                finished = true;
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(300), "the import never got going");
            std::thread::sleep(Duration::from_millis(5));
        }
        // Child::kill sends SIGKILL on Unix: no destructor, no rollback code runs.
        let _ = child.kill();
        let _ = child.wait();
        let store = common::open_store(&db).expect("the store opens after a kill");
        assert_eq!(store.integrity_check().expect("check"), "ok");
        let stats = store.stats().expect("stats");
        assert!(
            stats.residents == 0 || stats.residents == ROWS as u64,
            "round {round}: a killed import left {} of {ROWS} residents",
            stats.residents
        );
        if stats.residents == 0 {
            killed_before_commit += 1;
            assert_eq!((stats.outbox, stats.audit, stats.areas), (0, 0, 0), "nothing half-written");
        }
        eprintln!("round {round}: killed at {threshold} WAL bytes (finished first: {finished}), residents {}", stats.residents);
    }
    assert!(
        killed_before_commit > 0,
        "no round killed the import mid-file: the test proved nothing"
    );
}
