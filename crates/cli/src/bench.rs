//! `jiayuan bench import`: generates a roster, imports it with this program and with
//! `sqlite3 .import` into a plain table, and prints both times, the ratio and peak memory.
//! Both run as child processes, so each figure covers a whole run as an official would see it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::Args;

use crate::cmd::Failure;

#[derive(Args, Debug)]
pub struct ImportBench {
    /// Rows in the generated roster.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Work in this folder (default: a new temporary one, removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The sqlite3 program to compare with.
    #[arg(long, default_value = "sqlite3")]
    pub sqlite3: String,
}

fn fail(message: impl Into<String>) -> Failure {
    Failure { exit: 1, message: message.into() }
}

/// Writes the roster as an office would: UTF-8 with a BOM, Chinese headers, one row a person.
pub(crate) fn write_roster(path: &Path, rows: usize, seed: u64) -> Result<(), Failure> {
    let today =
        jiayuan_core::chrono::NaiveDate::from_ymd_opt(2026, 11, 1).ok_or_else(|| fail("date"))?;
    let file = std::fs::File::create(path).map_err(|e| fail(e.to_string()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let err = |e: std::io::Error| fail(e.to_string());
    out.write_all(
        "姓名,性别,身份证号码,联系电话,所属社区,网格,楼栋,单元,房号,人员类别,备注\n".as_bytes(),
    )
    .map_err(err)?;
    for p in jiayuan_core::demo::people(seed, rows, today) {
        let sex = match p.sex {
            Some(jiayuan_core::residents::Sex::Male) => "男",
            Some(jiayuan_core::residents::Sex::Female) => "女",
            None => "",
        };
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            p.name,
            sex,
            o(&p.id_number),
            o(&p.phone),
            o(&p.community),
            o(&p.grid),
            o(&p.building),
            o(&p.unit),
            o(&p.room),
            p.tags.join("、"),
            o(&p.notes)
        )
        .map_err(err)?;
    }
    out.flush().map_err(err)
}

/// Runs a child to completion and returns its wall time in seconds.
fn timed(cmd: &mut Command) -> Result<f64, Failure> {
    let started = Instant::now();
    let out = cmd.output().map_err(|e| fail(format!("cannot run {cmd:?}: {e}")))?;
    let secs = started.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(fail(format!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(secs)
}

/// The largest resident set of any child waited for so far, in MiB.
#[allow(unsafe_code)]
fn children_peak_mib() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass; no other invariant.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    if rc != 0 {
        return f64::NAN;
    }
    // Linux reports kilobytes.
    usage.ru_maxrss as f64 / 1024.0
}

pub fn import(args: &ImportBench) -> Result<(), Failure> {
    let temp;
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| fail(e.to_string()))?;
            d.clone()
        }
        None => {
            temp = tempdir()?;
            temp.0.clone()
        }
    };
    let roster = dir.join("bench_roster.csv");
    // Each in its own folder: a folder's stores share one key.
    let ours_db = dir.join("encrypted").join("bench_ours.db");
    let unencrypted_db = dir.join("unencrypted").join("bench_ours.db");
    let plain_db = dir.join("bench_plain.db");
    for p in [&ours_db, &unencrypted_db, &plain_db] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
        }
    }
    let started = Instant::now();
    write_roster(&roster, args.rows, args.seed)?;
    let size = std::fs::metadata(&roster).map(|m| m.len()).unwrap_or(0);
    println!(
        "roster: {} rows, {:.1} MiB, generated in {:.1} s",
        args.rows,
        size as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );

    // Ours first: RUSAGE_CHILDREN keeps the maximum over children, so reading it right after
    // our run gives our peak alone.
    let exe = std::env::current_exe().map_err(|e| fail(e.to_string()))?;
    let ours = timed(
        Command::new(&exe)
            .args(["--lang", "en", "import", "residents"])
            .arg(&roster)
            .arg("--db")
            .arg(&ours_db)
            .arg("--report")
            .arg(dir.join("bench_report.json"))
            // The store encrypted as the app's is, keyed without the keychain.
            .env("JIAYUAN_PASSPHRASE", "jiayuan benchmark store"),
    )?;
    let ours_peak = children_peak_mib();
    // The same import into an unencrypted store: what encryption costs.
    let unencrypted = timed(
        Command::new(&exe)
            .args(["--lang", "en", "--unencrypted", "import", "residents"])
            .arg(&roster)
            .arg("--db")
            .arg(&unencrypted_db)
            .arg("--report")
            .arg(dir.join("bench_report_unencrypted.json")),
    )?;
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("bench_report.json")).map_err(|e| fail(e.to_string()))?,
    )
    .map_err(|e| fail(e.to_string()))?;

    let script = format!(".mode csv\n.import '{}' plain\n", roster.display());
    let sqlite =
        timed(Command::new(&args.sqlite3).arg(&plain_db).arg(script.clone()).env("LC_ALL", "C"))
            .or_else(|_| {
                // Older sqlite3 builds take dot-commands only on stdin.
                let mut child = Command::new(&args.sqlite3)
                    .arg(&plain_db)
                    .stdin(std::process::Stdio::piped())
                    .spawn()
                    .map_err(|e| fail(format!("cannot run {}: {e}", args.sqlite3)))?;
                let t = Instant::now();
                child.stdin.take().map(|mut s| s.write_all(script.as_bytes()));
                child.wait().map_err(|e| fail(e.to_string()))?;
                Ok::<f64, Failure>(t.elapsed().as_secs_f64())
            })?;

    let created = report["created"].as_u64().unwrap_or(0);
    println!("jiayuan import: {ours:.2} s ({created} residents created, {:.0} rows/s), peak memory {ours_peak:.0} MiB", args.rows as f64 / ours);
    println!(
        "jiayuan import, store not encrypted: {unencrypted:.2} s; encryption costs {:.2}x",
        ours / unencrypted
    );
    println!("sqlite3 .import: {sqlite:.2} s (plain table, no validation or indexes)");
    println!("ratio: {:.2}x (goal 3.0x, stretch 2.0x)", ours / sqlite);
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// A temporary folder removed on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir() -> Result<TempDir, Failure> {
    let dir = std::env::temp_dir().join(format!("jiayuan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| fail(e.to_string()))?;
    Ok(TempDir(dir))
}
