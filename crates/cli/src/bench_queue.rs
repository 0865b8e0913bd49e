//! `jiayuan bench queue`: the triage queue of a big district. Builds a store holding
//! `--requests` requests (a year of history, `--open` of them still open) once, through the
//! bulk history path, then measures the queue's first page sorted by time left in core
//! (p50/p95 over many calls, with and without filters) and the time from opening the store to
//! the first page, as the app does it through the desk.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use jiayuan_core::chrono::{self, Duration, Utc};
use jiayuan_core::requests::bulk::{self, Historic};
use jiayuan_core::requests::queue::{self, QueueFilter};
use jiayuan_core::requests::refdata::Env;
use jiayuan_core::requests::{NewRequest, Priority, Satisfaction, Step};
use jiayuan_core::{Actor, Clock, Ctx, Store, SystemClock};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::bench_desk::{in_dir, percentile};
use crate::cmd::Failure;

#[derive(Args, Debug)]
pub struct QueueBench {
    #[arg(long, default_value_t = 1_000_000)]
    pub requests: usize,
    #[arg(long, default_value_t = 100_000)]
    pub open: usize,
    /// Calls of each kind.
    #[arg(long, default_value_t = 200)]
    pub calls: usize,
    /// Keep the store in this folder and reuse it next time (default: a temporary folder).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

const CATEGORIES: [&str; 7] = [
    "supplies",
    "mutual_aid",
    "community_service",
    "psychological",
    "consultation",
    "medicine",
    "other",
];

fn history(
    rng: &mut StdRng,
    i: usize,
    total: usize,
    open: usize,
    now: chrono::DateTime<Utc>,
) -> Historic {
    let category = CATEGORIES[rng.gen_range(0..CATEGORIES.len())];
    let priority =
        [Priority::Urgent, Priority::High, Priority::Normal, Priority::Normal, Priority::Low]
            [rng.gen_range(0..5)];
    let still_open = i >= total - open;
    // Closed history spreads over the year before; open work arrived in the last fortnight.
    let created = if still_open {
        now - Duration::minutes(rng.gen_range(1..14 * 24 * 60))
    } else {
        now - Duration::minutes(rng.gen_range(14 * 24 * 60..365 * 24 * 60))
    };
    let mut t = created;
    let mut next = |rng: &mut StdRng| {
        t += Duration::minutes(rng.gen_range(5..240));
        t
    };
    let mut steps = Vec::new();
    let stage = if still_open { rng.gen_range(0..5) } else { 7 };
    let plan = [
        Step::Accept,
        Step::Assign { assignee: "志愿者".into() },
        Step::Start,
        Step::Resolve { note: String::new() },
        Step::Close { satisfaction: Satisfaction::Satisfied, note: String::new() },
    ];
    for s in plan.into_iter().take(stage.min(5)) {
        if still_open && matches!(s, Step::Resolve { .. }) {
            break;
        }
        steps.push((next(rng), s));
    }
    if still_open && stage == 4 && rng.gen_bool(0.3) {
        steps.push((next(rng), Step::Pause { reason: "等待居民".into() }));
    }
    let steps = steps.into_iter().filter(|(at, _)| *at < now).collect();
    Historic {
        request: NewRequest {
            category: category.into(),
            description: format!("第{i}号诉求：需要帮忙代买药品和生活物资"),
            ..NewRequest::default()
        },
        created_at: created,
        priority,
        steps,
    }
}

pub fn queue_bench(args: &QueueBench) -> Result<(), Failure> {
    in_dir("queue", args.dir.as_deref(), |dir| run(args, dir))
}

fn run(args: &QueueBench, dir: &std::path::Path) -> Result<(), Failure> {
    let now = SystemClock.now();
    let key = crate::bench_desk::bench_key(dir)?;
    // The app's encrypted store, and the same requests in an unencrypted one beside it, in
    // the same run: what encryption costs the queue.
    let encrypted = measure(args, &dir.join("jiayuan.db"), Some(&key), now, "encrypted store")?;
    let plain = measure(args, &dir.join("unencrypted.db"), None, now, "unencrypted store")?;
    println!("encryption's cost, encrypted / unencrypted:");
    for ((name, e50, e95), (_, p50, p95)) in encrypted.iter().zip(&plain) {
        println!("  {name:<14} p50 {:>5.2}x  p95 {:>5.2}x", e50 / p50, e95 / p95);
    }
    // What the app does when it starts on this store: open it, count and show the first page.
    let t = Instant::now();
    let desk = crate::bench_desk::bench_desk(dir, Arc::new(SystemClock))?;
    desk.open_store(jiayuan_core::desk::StoreKind::Main)?;
    let opened = t.elapsed().as_secs_f64() * 1000.0;
    let page = desk.requests_queue(&QueueFilter::default(), 0, 50)?;
    println!(
        "app: first page of the queue {:.1} ms from opening the store (open {:.1} ms; {} of {} lines)",
        t.elapsed().as_secs_f64() * 1000.0,
        opened,
        page.items.len(),
        page.total
    );
    Ok(())
}

/// Builds (once) and measures the queue of the store at `path`: (name, p50, p95) per query.
fn measure(
    args: &QueueBench,
    path: &std::path::Path,
    key: Option<&jiayuan_core::store::StoreKey>,
    now: chrono::DateTime<Utc>,
    label: &str,
) -> Result<Vec<(&'static str, f64, f64)>, Failure> {
    {
        let mut store = Store::open(path, key)?;
        let have = queue::total(&store)?;
        if have < args.requests as u64 {
            let t = Instant::now();
            let actor = Actor::local_profile(&store);
            let mut rng = StdRng::seed_from_u64(11);
            let (total, open) = (args.requests, args.open.min(args.requests));
            let items = (0..total).map(move |i| history(&mut rng, i, total, open, now));
            let n = bulk::create_many(&mut Ctx::new(&mut store, &SystemClock, &actor), items, now)?;
            println!(
                "store: {n} requests ({open} open) written in {:.1} s",
                t.elapsed().as_secs_f64()
            );
        }
    }
    let store = Store::open(path, key)?;
    let open = queue::count(&store, &QueueFilter::default(), now)?;
    let all = queue::total(&store)?;
    println!("{label}: {all} requests, {open} open");
    let env = Env::of(&store)?;
    let mut out = Vec::new();
    let filters = [
        ("all open work", QueueFilter::default()),
        ("overdue", QueueFilter { overdue: true, ..QueueFilter::default() }),
        (
            "one category",
            QueueFilter { category: Some("medicine".into()), ..QueueFilter::default() },
        ),
    ];
    println!("queue, first page of 50 sorted by time left ({} calls each, core):", args.calls);
    for (name, f) in &filters {
        let mut times = Vec::with_capacity(args.calls);
        for _ in 0..args.calls {
            let t = Instant::now();
            let page = queue::page(&store, &env, f, 0, 50, SystemClock.now())?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(page);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "  {name:<14} p50 {:>6.2} ms  p95 {:>6.2} ms  max {:>6.2} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            times.last().copied().unwrap_or(0.0)
        );
        out.push((*name, percentile(&times, 0.5), percentile(&times, 0.95)));
    }
    let mut times = Vec::new();
    for i in 0..args.calls.min(100) {
        let t = Instant::now();
        let page = queue::page(
            &store,
            &env,
            &QueueFilter::default(),
            (i as u64 * 997) % open.max(1),
            50,
            SystemClock.now(),
        )?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(page);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "  deep windows   p50 {:>6.2} ms  p95 {:>6.2} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.95)
    );
    out.push(("deep windows", percentile(&times, 0.5), percentile(&times, 0.95)));
    Ok(out)
}
