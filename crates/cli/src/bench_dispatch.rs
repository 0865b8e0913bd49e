//! `jiayuan bench dispatch`: ranking the volunteers of a big district for one request. Builds
//! a store with `--volunteers` volunteers spread over 60 grids (skills, weekly availability,
//! capacity, a track record of done and missed tasks, some busy now) through the real
//! commands, then times, for requests of every category and grid: the ranking alone (the
//! candidates in memory, as the app keeps them between writes), and the call the app makes
//! (`Desk::dispatch_suggest`), warm and right after a write (candidates read again).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use jiayuan_core::desk::volunteers::DispatchQuery;
use jiayuan_core::desk::StoreKind;
use jiayuan_core::requests::{self, NewRequest, Step};
use jiayuan_core::residents::{self, ResidentDraft};
use jiayuan_core::volunteers::assignment::{self, AssignInput, Move};
use jiayuan_core::volunteers::availability::{Availability, Slot};
use jiayuan_core::volunteers::dispatch::Pool;
use jiayuan_core::volunteers::{self, VolunteerDraft};
use jiayuan_core::{Actor, Clock, Ctx, Store, SystemClock};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::bench_desk::{in_dir, percentile};
use crate::cmd::Failure;

#[derive(Args, Debug)]
pub struct DispatchBench {
    #[arg(long, default_value_t = 10_000)]
    pub volunteers: usize,
    /// Requests ranked (each a separate call).
    #[arg(long, default_value_t = 300)]
    pub calls: usize,
    /// Keep the store in this folder (default: a temporary folder).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

const CATEGORIES: [&str; 6] =
    ["supplies", "mutual_aid", "medicine", "welfare_check", "psychological", "community_service"];
const SKILLS: [&str; 9] = [
    "delivery",
    "medicine_run",
    "driving",
    "elderly_care",
    "psychological_support",
    "translation",
    "medical",
    "repair",
    "paperwork",
];
const GRIDS: usize = 60;

fn fail(e: impl std::fmt::Display) -> Failure {
    Failure { exit: 1, message: e.to_string() }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn line(label: &str, mut t: Vec<f64>) {
    t.sort_by(|a, b| a.total_cmp(b));
    println!(
        "  {label:<44} p50 {:>7.3} ms   p95 {:>7.3} ms   max {:>7.3} ms   ({} calls)",
        percentile(&t, 0.5),
        percentile(&t, 0.95),
        t.last().copied().unwrap_or(f64::NAN),
        t.len()
    );
}

/// The district: one resident and one open request per grid and category, and the volunteers.
fn build(path: &std::path::Path, n: usize) -> Result<(), Failure> {
    let key = crate::bench_desk::bench_key(path.parent().unwrap_or(path))?;
    let mut store = Store::open(path, Some(&key)).map_err(fail)?;
    let actor = Actor::new("bench", "bench");
    let clock = SystemClock;
    let mut ctx = Ctx::new(&mut store, &clock, &actor);
    let mut rng = StdRng::seed_from_u64(6);
    let drafts = (0..GRIDS).map(|g| ResidentDraft {
        name: format!("居民{g}"),
        phone: Some(format!("1380000{g:04}")),
        street: Some(format!("第{}街道", g / 20 + 1)),
        community: Some(format!("第{}社区", g / 5 + 1)),
        grid: Some(format!("第{}网格", g % 5 + 1)),
        ..ResidentDraft::default()
    });
    residents::create_many(&mut ctx, drafts, "bench").map_err(fail)?;
    let people: Vec<String> = residents::search(ctx.store, "居民", 1000)
        .map_err(fail)?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let grids: Vec<String> = {
        let desk =
            crate::bench_desk::bench_desk(path.parent().unwrap_or(path), Arc::new(SystemClock))?;
        desk.open_store(StoreKind::Main).map_err(fail)?;
        desk.areas()
            .map_err(fail)?
            .into_iter()
            .filter(|a| a.level == "grid")
            .map(|a| a.id)
            .collect()
    };
    let mut requests = Vec::new();
    for (i, who) in people.iter().enumerate() {
        for c in CATEGORIES {
            let o = requests::create(
                &mut ctx,
                NewRequest {
                    resident_id: Some(who.clone()),
                    category: c.into(),
                    description: format!("基准请求 {i} {c}"),
                    ..NewRequest::default()
                },
            )
            .map_err(fail)?;
            requests::act(&mut ctx, &o.id, Step::Accept).map_err(fail)?;
            requests.push(o.id);
        }
    }
    let started = Instant::now();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let slots: Vec<Slot> = match i % 3 {
            0 => (1..=5).map(|day| Slot { day, from_min: 18 * 60, to_min: 21 * 60 }).collect(),
            1 => (1..=7).map(|day| Slot { day, from_min: 8 * 60, to_min: 20 * 60 }).collect(),
            _ => vec![],
        };
        let skills: Vec<String> = (0..rng.gen_range(1..=3))
            .map(|_| SKILLS[rng.gen_range(0..SKILLS.len())].to_owned())
            .collect();
        let v = volunteers::create(
            &mut ctx,
            VolunteerDraft {
                name: format!("志愿者{i:05}"),
                phone: Some(format!("139{:08}", i)),
                area_id: Some(grids[i % grids.len()].clone()),
                skills,
                availability: Availability { slots, exceptions: vec![] },
                capacity: rng.gen_range(1..=3),
                ..VolunteerDraft::default()
            },
        )
        .map_err(fail)?;
        ids.push(v.id);
    }
    // A track record and some current load: a task done or missed for a tenth of them.
    for (k, v) in ids.iter().enumerate().filter(|(k, _)| k.is_multiple_of(10)) {
        let req = &requests[k % requests.len()];
        let Ok(a) = assignment::assign(
            &mut ctx,
            AssignInput {
                request_id: req.clone(),
                volunteer_id: v.clone(),
                slot: None,
                note: None,
            },
        ) else {
            continue;
        };
        let m = if k.is_multiple_of(30) { Move::NoShow } else { Move::Done };
        assignment::record(&mut ctx, &a.id, m, None).map_err(fail)?;
        if m == Move::Done {
            // Back to the queue for the benchmark's rankings.
            let _ = requests::act(&mut ctx, req, Step::Reopen { reason: "bench".into() });
            let _ = requests::act(&mut ctx, req, Step::Accept);
        }
    }
    eprintln!("  built {} volunteers in {:.1} s", ids.len(), started.elapsed().as_secs_f64());
    Ok(())
}

pub fn dispatch_bench(args: &DispatchBench) -> Result<(), Failure> {
    in_dir("dispatch", args.dir.as_deref(), |dir| {
        let path = dir.join("jiayuan.db");
        if !path.exists() {
            build(&path, args.volunteers)?;
        }
        let desk = crate::bench_desk::bench_desk(dir, Arc::new(SystemClock))?;
        desk.open_store(StoreKind::Main).map_err(fail)?;
        let requests: Vec<String> = desk
            .requests_queue(&Default::default(), 0, 1000)
            .map_err(fail)?
            .items
            .into_iter()
            .map(|i| i.id)
            .collect();
        let store = Store::open(&path, Some(&crate::bench_desk::bench_key(dir)?)).map_err(fail)?;
        println!("dispatch: ranking volunteers for one request");
        let t = Instant::now();
        let pool = Pool::load(&store).map_err(fail)?;
        println!("  {} volunteers read into memory in {:.1} ms", pool.len(), ms(t.elapsed()));
        let now = SystemClock.now().timestamp_millis();
        let mut rank = Vec::new();
        for i in 0..args.calls {
            let req = &requests[i % requests.len()];
            let t = Instant::now();
            let s = pool.suggest(&store, req, now, None, 20).map_err(fail)?;
            rank.push(ms(t.elapsed()));
            if s.volunteers.is_empty() {
                return Err(fail("no volunteer was ranked"));
            }
        }
        line("rank one request, candidates in memory", rank);
        let q = |i: usize| DispatchQuery {
            request_id: requests[i % requests.len()].clone(),
            slot: None,
            top: 20,
        };
        let mut warm = Vec::new();
        desk.dispatch_suggest(&q(0)).map_err(fail)?;
        for i in 0..args.calls {
            let t = Instant::now();
            desk.dispatch_suggest(&q(i)).map_err(fail)?;
            warm.push(ms(t.elapsed()));
        }
        line("the app's call (desk), between writes", warm);
        let mut cold = Vec::new();
        for i in 0..args.calls.min(40) {
            // A write (a volunteer's note, new on every run: a --dir store is reused) makes the
            // desk read the candidates again.
            let v = desk.volunteers_list(&Default::default()).map_err(fail)?;
            let id = v[i % v.len()].id.clone();
            desk.volunteer_update(
                &id,
                volunteers::VolunteerPatch {
                    notes: Some(Some(format!(
                        "bench {i} {}",
                        SystemClock.now().timestamp_millis()
                    ))),
                    ..Default::default()
                },
            )
            .map_err(fail)?;
            let t = Instant::now();
            desk.dispatch_suggest(&q(i)).map_err(fail)?;
            cold.push(ms(t.elapsed()));
        }
        line("the app's call right after a volunteer changed", cold);
        let mut stepped = Vec::new();
        for i in 0..args.calls.min(40) {
            // A request's step (the commonest write) leaves the candidates as they were.
            let id = &requests[(i * 7) % requests.len()];
            desk.request_step_many(
                std::slice::from_ref(id),
                &Step::Pause { reason: "bench".into() },
            )
            .map_err(fail)?;
            desk.request_step_many(std::slice::from_ref(id), &Step::Resume).map_err(fail)?;
            let t = Instant::now();
            desk.dispatch_suggest(&q(i)).map_err(fail)?;
            stepped.push(ms(t.elapsed()));
        }
        line("the app's call right after a request step", stepped);
        Ok(())
    })
}
