//! `jiayuan bench desk`: what an official waits for in the residents screen of a big store:
//! opening it and showing the first page, windows deep in the list, filtered windows, and
//! search latency (p50/p95) by kind of query. Builds the store once by importing a generated
//! roster (as `bench import` does), and reuses it when `--dir` already holds one.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use jiayuan_core::desk::{Desk, ResidentQuery};
use jiayuan_core::SystemClock;

use crate::cmd::Failure;

#[derive(Args, Debug)]
pub struct DeskBench {
    /// Residents in the store.
    #[arg(long, default_value_t = 1_000_000)]
    pub residents: usize,
    /// Searches of each kind.
    #[arg(long, default_value_t = 100)]
    pub searches: usize,
    /// Keep the store in this folder and reuse it next time (default: a temporary folder).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// The passphrase of benchmark folders: their stores are encrypted as the app's are, without
/// touching the keychain (a benchmark folder kept with `--dir` opens again next run).
const BENCH_PASSPHRASE: &str = "jiayuan benchmark store";

/// A desk on a benchmark folder, unlocked.
pub(crate) fn bench_desk(
    dir: &std::path::Path,
    clock: Arc<dyn jiayuan_core::Clock>,
) -> Result<Desk, Failure> {
    let keychain = Arc::new(jiayuan_core::store::keying::MemoryKeychain::none());
    let desk = Desk::with_keychain(dir.to_path_buf(), clock, keychain);
    desk.give_passphrase(BENCH_PASSPHRASE)?;
    Ok(desk)
}

/// The key of a benchmark folder's stores (`--plain`: none, to measure what encryption costs).
pub(crate) fn bench_key(dir: &std::path::Path) -> Result<jiayuan_core::store::StoreKey, Failure> {
    use jiayuan_core::store::keying::{unlock, MemoryKeychain, Unlock};
    match unlock(dir, &MemoryKeychain::none(), Some(BENCH_PASSPHRASE))? {
        Unlock::Key(k) => Ok(k),
        Unlock::NeedsPassphrase { .. } => Err(fail("the benchmark folder has no key")),
    }
}

pub(crate) fn fail(message: impl std::fmt::Display) -> Failure {
    Failure { exit: 1, message: message.to_string() }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at]
}

/// Makes a search text from a listed resident (and its position, for variety).
type MakeQuery = fn(&jiayuan_core::desk::ResidentRow, usize) -> String;

fn query(text: &str, offset: u32) -> ResidentQuery {
    ResidentQuery { text: text.into(), offset, limit: 100, ..ResidentQuery::default() }
}

pub fn desk(args: &DeskBench) -> Result<(), Failure> {
    in_dir("desk", args.dir.as_deref(), |dir| run(args, dir))
}

/// Runs a benchmark in `dir`, kept for the next run, or in a temporary folder removed after.
pub(crate) fn in_dir(
    name: &str,
    dir: Option<&std::path::Path>,
    run: impl FnOnce(&std::path::Path) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let temp = dir.is_none();
    let dir = dir.map(std::path::Path::to_path_buf).unwrap_or_else(|| {
        std::env::temp_dir().join(format!("jiayuan-bench-{name}-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).map_err(fail)?;
    let result = run(&dir);
    if temp {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn run(args: &DeskBench, dir: &std::path::Path) -> Result<(), Failure> {
    let clock: Arc<dyn jiayuan_core::Clock> = Arc::new(SystemClock);
    let have = {
        let d = bench_desk(dir, clock.clone())?;
        d.open_last()?.residents
    };
    if have < args.residents as u64 {
        let roster = dir.join("bench_roster.csv");
        let t = Instant::now();
        crate::bench::write_roster(&roster, args.residents, 7)?;
        let d = bench_desk(dir, clock.clone())?;
        d.open_last()?;
        let req = jiayuan_core::desk::ImportRequest {
            path: roster.display().to_string(),
            sheet: None,
            columns: None,
            dry_run: false,
            lang: "en".into(),
        };
        let report = d.import_run(&req, &mut |_| {})?;
        let _ = std::fs::remove_file(&roster);
        println!(
            "store: {} residents imported in {:.1} s",
            report.created,
            t.elapsed().as_secs_f64()
        );
    }

    // What the app does from start to the first page of the residents screen: open the store
    // (with the status bar's counts), then the first window. The filters' tag counts load
    // beside it and do not hold the table up.
    let t = Instant::now();
    let d = bench_desk(dir, clock.clone())?;
    let info = d.open_last()?;
    let t_open = ms(t);
    let first = d.residents_page(&query("", 0))?;
    let t_first = ms(t);
    let t = Instant::now();
    let facets = d.resident_facets()?;
    let t_facets = ms(t);
    let t = Instant::now();
    d.resident_facets()?;
    let t_facets_again = ms(t);
    println!(
        "first page of {} residents: {t_first:.1} ms from opening the store ({t_open:.1} ms to \
         open and count, {} rows)",
        info.residents,
        first.rows.len()
    );
    println!(
        "filters (communities, grids, tag counts): {t_facets:.1} ms the first time, \
         {t_facets_again:.2} ms until the next write"
    );

    let total = info.residents.max(1);
    let mut windows = Vec::new();
    for i in 0..50u64 {
        // Spread over the whole list, deep windows included.
        let offset =
            ((total * (i * 2 + 1) / 100) / 100 * 100).min(total.saturating_sub(100)) as u32;
        let t = Instant::now();
        d.residents_page(&query("", offset))?;
        windows.push(ms(t));
    }
    windows.sort_by(f64::total_cmp);
    println!(
        "window of 100 anywhere in the list (scrolling): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        percentile(&windows, 0.5),
        percentile(&windows, 0.95),
        windows.last().copied().unwrap_or(f64::NAN)
    );
    if let Some(c) = facets.communities.first() {
        let q = ResidentQuery { community: Some(c.name.clone()), ..query("", 0) };
        let t = Instant::now();
        let page = d.residents_page(&q)?;
        println!("first page filtered by community ({} residents): {:.1} ms", page.total, ms(t));
    }

    // Queries from real rows spread through the store, each asked once (no cache helps).
    let mut people = Vec::new();
    let step = (total / args.searches.max(1) as u64).max(1);
    for k in 0..args.searches as u64 {
        let offset = ((k * step) / 100 * 100).min(total.saturating_sub(1)) as u32;
        let page = d.residents_page(&ResidentQuery { limit: 1, ..query("", offset) })?;
        people.extend(page.rows);
    }
    let kinds: [(&str, MakeQuery); 4] = [
        ("full name", |r, _| r.name.clone()),
        ("two characters of a name", |r, _| r.name.chars().take(2).collect()),
        ("last 4 digits of a phone", |r, i| {
            let p = r.phone.clone().unwrap_or_default();
            let tail: String =
                p.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            if tail.contains('*') {
                format!("{i:04}")
            } else {
                tail
            }
        }),
        ("building, unit and room", |r, _| r.address.clone()),
    ];
    println!("search, first window of hits ({} queries each):", people.len());
    for (label, make) in kinds {
        let mut times = Vec::new();
        let mut hits = 0u64;
        for (i, r) in people.iter().enumerate() {
            let text = make(r, i);
            if text.is_empty() {
                continue;
            }
            let t = Instant::now();
            hits += d.residents_page(&query(&text, 0))?.total;
            times.push(ms(t));
        }
        times.sort_by(f64::total_cmp);
        println!(
            "  {label:<26} p50 {:>6.1} ms  p95 {:>6.1} ms  max {:>6.1} ms  ({:.0} hits on average)",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            times.last().copied().unwrap_or(f64::NAN),
            hits as f64 / times.len().max(1) as f64
        );
    }
    Ok(())
}
