//! `cargo xtask bench app [--runs N]`: the desktop app's cold start to first paint and its idle
//! memory, against a bare Tauri window built the same way (`src-tauri/bench/bare.rs`, release,
//! `custom-protocol`), N runs each, alternating, under Xvfb.
//!
//! Each run starts the binary on an empty temporary data folder (and empty XDG folders, so the
//! webview starts without caches either), measures from the spawn to the line
//! `first_paint_ms=…` the page's first painted frame makes the process print, waits 5 s idle,
//! then sums RSS and PSS (Linux `/proc`) over the process tree: the app and the WebKit
//! processes it starts. Linux only.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::setup::{self, Purpose};
use crate::{exe, root, run, run_cmd};

/// The hidden task `bench app` runs itself as inside Xvfb.
pub const INNER: &str = "__bench-app-inside-xvfb";
const IDLE: Duration = Duration::from_secs(5);

fn runs(args: &[String]) -> Result<usize, String> {
    match args {
        [] => Ok(10),
        [flag, n] if flag == "--runs" => n.parse().map_err(|_| format!("--runs {n}: not a number")),
        _ => Err("usage: cargo xtask bench app [--runs N]".into()),
    }
}

/// Builds both binaries, then measures them inside Xvfb and a private D-Bus session.
pub fn bench(args: &[String]) -> Result<(), String> {
    if !cfg!(target_os = "linux") {
        return Err("bench app measures through /proc under Xvfb: Linux only".into());
    }
    let n = runs(args)?;
    setup::system_packages(Purpose::Test)?;
    setup::npm_ci(&root().join("ui"))?;
    setup::ui("build")?;
    run(
        "cargo",
        &[
            "build",
            "--release",
            "-p",
            "jiayuan-desk",
            "--features",
            "custom-protocol",
            "--bin",
            "jiayuan-desk",
            "--example",
            "bare",
        ],
    )?;
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    run_cmd(
        Command::new("dbus-run-session")
            .args(["--", "xvfb-run", "-a", "-s", crate::test::XVFB_SCREEN])
            .arg(me)
            .args([INNER, "--runs", &n.to_string()]),
    )
}

/// One run's figures.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// From spawning the process to its first painted frame, as the harness sees it.
    paint_ms: f64,
    /// The same, as the process counts it from its `main`.
    paint_inside_ms: f64,
    rss_kib: u64,
    pss_kib: u64,
    processes: usize,
}

pub fn inner(args: &[String]) -> Result<(), String> {
    let n = runs(args)?;
    let release = root().join("target/release");
    let subjects = [
        ("Jiayuan Desk", release.join(exe("jiayuan-desk"))),
        ("bare Tauri window", release.join("examples").join(exe("bare"))),
    ];
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); subjects.len()];
    // One unmeasured start of each first: the first start after a build reads the binaries
    // from disk, which is not what an official's second morning looks like.
    for (_, binary) in &subjects {
        measure(binary, 0)?;
    }
    for i in 1..=n {
        for (k, (name, binary)) in subjects.iter().enumerate() {
            let s = measure(binary, i)?;
            eprintln!(
                "run {i:>2} {name:<18} first paint {:>5.0} ms  RSS {:>4} MiB  PSS {:>4} MiB  {} processes",
                s.paint_ms,
                s.rss_kib / 1024,
                s.pss_kib / 1024,
                s.processes
            );
            samples[k].push(s);
        }
    }
    println!(
        "\nCold start to first paint and memory after {} s idle, {n} runs each (release, Xvfb 1280×800, empty data folder):\n",
        IDLE.as_secs()
    );
    println!("| | first paint median | p95 | (in-process median) | RSS median | p95 | PSS median | p95 | processes |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for ((name, _), s) in subjects.iter().zip(&samples) {
        let ms = |f: fn(&Sample) -> f64| stats(s.iter().map(f).collect());
        let mib = |f: fn(&Sample) -> u64| stats(s.iter().map(|x| f(x) as f64 / 1024.0).collect());
        let (paint, paint95) = ms(|x| x.paint_ms);
        let (inside, _) = ms(|x| x.paint_inside_ms);
        let (rss, rss95) = mib(|x| x.rss_kib);
        let (pss, pss95) = mib(|x| x.pss_kib);
        let procs = s.iter().map(|x| x.processes).max().unwrap_or(0);
        println!(
            "| {name} | {paint:.0} ms | {paint95:.0} ms | {inside:.0} ms | {rss:.0} MiB | {rss95:.0} MiB | {pss:.0} MiB | {pss95:.0} MiB | {procs} |"
        );
    }
    Ok(())
}

/// Median and 95th percentile (nearest rank).
fn stats(mut v: Vec<f64>) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    v.sort_by(f64::total_cmp);
    let median =
        if v.len() % 2 == 1 { v[v.len() / 2] } else { (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0 };
    let rank = ((0.95 * v.len() as f64).ceil() as usize).clamp(1, v.len());
    (median, v[rank - 1])
}

fn measure(binary: &Path, run: usize) -> Result<Sample, String> {
    let tmp = std::env::temp_dir().join(format!("jiayuan-bench-app-{}-{run}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let dir = |name: &str| -> PathBuf { tmp.join(name) };
    for d in ["data", "xdg-data", "xdg-config", "xdg-cache"] {
        std::fs::create_dir_all(dir(d)).map_err(|e| format!("{}: {e}", tmp.display()))?;
    }
    let start = Instant::now();
    let mut child = Command::new(binary)
        .env("JIAYUAN_DATA_DIR", dir("data"))
        .env("JIAYUAN_BENCH_FIRST_PAINT", "1")
        .env("JIAYUAN_LOG", "warn")
        .env("XDG_DATA_HOME", dir("xdg-data"))
        .env("XDG_CONFIG_HOME", dir("xdg-config"))
        .env("XDG_CACHE_HOME", dir("xdg-cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(ms) = line.strip_prefix("first_paint_ms=") {
                let _ = tx.send((start.elapsed(), ms.trim().parse::<f64>().unwrap_or(f64::NAN)));
            }
        }
    });
    let painted = rx.recv_timeout(Duration::from_secs(60));
    let result = painted
        .map_err(|_| format!("{} painted nothing within 60 s", binary.display()))
        .map(|(seen, inside)| {
            std::thread::sleep(IDLE);
            let tree = process_tree(child.id());
            let (rss_kib, pss_kib) = tree.iter().fold((0, 0), |(r, p), pid| {
                (r + status_kib(*pid, "VmRSS:"), p + rollup_kib(*pid, "Pss:"))
            });
            Sample {
                paint_ms: seen.as_secs_f64() * 1000.0,
                paint_inside_ms: inside,
                rss_kib,
                pss_kib,
                processes: tree.len(),
            }
        });
    end_tree(&mut child);
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

/// The process and its descendants (WebKit's web and network processes, and any sandbox
/// helper between them), from the parent links in `/proc/*/stat`.
fn process_tree(pid: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().filter_map(Result::ok) {
        let Some(p) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // "pid (comm) state ppid …": the command may hold spaces and parentheses.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|s| s.parse::<u32>().ok()) {
            children.entry(ppid).or_default().push(p);
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        tree.extend(children.get(&tree[i]).into_iter().flatten());
        i += 1;
    }
    tree
}

fn kib(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn status_kib(pid: u32, key: &str) -> u64 {
    kib(&std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default(), key)
}

fn rollup_kib(pid: u32, key: &str) -> u64 {
    kib(&std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default(), key)
}

/// Ends the app and waits until every process it started is gone, so runs do not overlap.
fn end_tree(child: &mut std::process::Child) {
    let tree = process_tree(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(10);
    // A zombie (state Z) is gone for this purpose: its parent may be no one that reaps.
    let alive = |pid: &u32| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next());
        state.is_some_and(|s| s != "Z")
    };
    while tree[1..].iter().any(alive) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    for pid in tree[1..].iter().filter(|p| alive(p)) {
        let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
    }
}
