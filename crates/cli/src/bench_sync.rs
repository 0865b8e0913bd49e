//! `jiayuan bench sync`: the sync server under load, on SQLite (default) or PostgreSQL
//! (`--postgres URL` of a server: a fresh database is made there and dropped after). A real
//! server on a loopback port, devices over HTTP, as in the field:
//! 1. a district of `--residents` residents and `--requests` requests pushed by one device;
//! 2. the first sync of that district to a new device (rows per second);
//! 3. push throughput: `--edits` small edits waiting on one device, pushed in batches;
//! 4. `--devices` grid officials' laptops reconnecting at once with `--ops` queued ops each:
//!    the time until every one has pushed and pulled.

use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use clap::Args;
use jiayuan_core::requests::bulk::{self, Historic};
use jiayuan_core::requests::{NewRequest, Priority, Satisfaction, Step};
use jiayuan_core::residents::{self, ResidentDraft, ResidentPatch};
use jiayuan_core::sync::client;
use jiayuan_core::sync::Role;
use jiayuan_core::{chrono, Actor, Clock, Ctx, Store, SystemClock};
use jiayuan_net::HttpClient;
use jiayuan_server::{Config, NewUser, Server};

use crate::bench_desk::in_dir;
use crate::cmd::Failure;

#[derive(Args, Debug)]
pub struct SyncBench {
    #[arg(long, default_value_t = 200_000)]
    pub residents: usize,
    #[arg(long, default_value_t = 50_000)]
    pub requests: usize,
    #[arg(long, default_value_t = 20_000)]
    pub edits: usize,
    #[arg(long, default_value_t = 200)]
    pub devices: usize,
    #[arg(long, default_value_t = 1_000)]
    pub ops: usize,
    /// Threads reconnecting the devices (the server sees this many at once).
    #[arg(long, default_value_t = 8)]
    pub parallel: usize,
    /// A PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres): the bench makes a
    /// fresh database on it and drops it after. Default: SQLite in the bench's folder.
    #[arg(long)]
    pub postgres: Option<String>,
    /// Keep the stores in this folder (default: a temporary folder).
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
}

const DISTRICT: &str = "基准区";
const PASSWORD: &str = "bench-password-1";

fn fail(e: impl std::fmt::Display) -> Failure {
    Failure { exit: 1, message: e.to_string() }
}

pub fn sync_bench(args: &SyncBench) -> Result<(), Failure> {
    in_dir("sync", args.dir.as_deref(), |dir| run(args, dir))
}

/// A fresh database on the given PostgreSQL server, dropped when this goes.
struct PgDb {
    admin: String,
    name: String,
}

impl PgDb {
    fn create(admin: &str) -> Result<(PgDb, String), Failure> {
        let name = format!("jiayuan_bench_{}", std::process::id());
        let pg = |e: postgres::Error| {
            fail(e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_owned()))
        };
        let mut c = postgres::Client::connect(admin, postgres::NoTls).map_err(pg)?;
        // One statement each: CREATE DATABASE cannot run in the implicit transaction of a batch.
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).map_err(pg)?;
        c.batch_execute(&format!("CREATE DATABASE {name}")).map_err(pg)?;
        let url = match admin.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => return Err(fail("the PostgreSQL URL must end with /DATABASE")),
        };
        Ok((PgDb { admin: admin.to_owned(), name }, url))
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

fn user(server: &Server, name: &str, role: Role, scope: &str) -> Result<(), Failure> {
    server
        .add_user(&NewUser {
            name: name.into(),
            display_name: name.into(),
            role,
            district: DISTRICT.into(),
            scope_path: scope.into(),
            password: PASSWORD.into(),
        })
        .map(|_| ())
        .map_err(fail)
}

fn login(store: &mut Store, url: &str, name: &str) -> Result<(), Failure> {
    client::login(store, &HttpClient::new(url), url, name, PASSWORD, "bench").map_err(fail)
}

fn run(args: &SyncBench, dir: &Path) -> Result<(), Failure> {
    // The server's stores start empty each run, so the figures are of a first sync.
    let server_dir = dir.join("server");
    let _ = std::fs::remove_dir_all(&server_dir);
    std::fs::create_dir_all(&server_dir).map_err(fail)?;
    let (_pg, url) = match &args.postgres {
        Some(admin) => {
            let (db, url) = PgDb::create(admin)?;
            (Some(db), Some(url))
        }
        None => (None, None),
    };
    let storage = jiayuan_server::open_storage(&server_dir, url.as_deref()).map_err(fail)?;
    println!("server: {} on a loopback port", storage.backend());
    let server = Arc::new(Server::new(storage, Arc::new(SystemClock), Config::default()));
    user(&server, "source", Role::DistrictSupervisor, "")?;
    user(&server, "fresh", Role::DistrictSupervisor, "")?;
    for i in 0..args.devices {
        user(
            &server,
            &format!("grid{i}"),
            Role::GridOfficial,
            &format!("基准街道/基准社区/{i}网格"),
        )?;
    }
    let (tx, rx) = mpsc::channel();
    let serving = Arc::clone(&server);
    std::thread::spawn(move || {
        let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let _ = jiayuan_server::run(serving, &[loopback], None, |addr| {
            let _ = tx.send(addr);
        });
    });
    let addr = rx.recv().map_err(|_| fail("the server did not start"))?;
    let url = format!("http://{addr}");

    // Devices' stores encrypted as the app's are.
    let key = crate::bench_desk::bench_key(dir)?;
    // 1. The district, made on one device and pushed.
    let mut source = Store::open(&dir.join("source.db"), Some(&key))?;
    for f in ["source.db-wal", "source.db-shm"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    if source.stats()?.residents > 0 {
        return Err(fail("the bench folder holds an old source store; use an empty --dir"));
    }
    source.set_district(DISTRICT, false)?;
    login(&mut source, &url, "source")?;
    let clock = SystemClock;
    let actor = Actor::current(&source);
    let t = Instant::now();
    let people = jiayuan_core::demo::people(21, args.residents, clock.now().date_naive());
    residents::create_many(&mut Ctx::new(&mut source, &clock, &actor), people, "bench")?;
    let now = clock.now();
    let history = (0..args.requests).map(|i| historic(i, now));
    bulk::create_many(&mut Ctx::new(&mut source, &clock, &actor), history, now)?;
    // One household in each reconnecting official's grid, so the server knows the grids and
    // their officials' work is applied, not refused as outside any known area.
    for i in 0..args.devices {
        let draft = ResidentDraft {
            name: format!("网格{i}户主"),
            phone: Some(format!("1380000{i:04}")),
            street: Some("基准街道".into()),
            community: Some("基准社区".into()),
            grid: Some(format!("{i}网格")),
            ..Default::default()
        };
        residents::create(&mut Ctx::new(&mut source, &clock, &actor), draft)?;
    }
    println!(
        "district: {} residents and {} requests made in {:.1} s",
        args.residents,
        args.requests,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let r = client::sync(&mut source, &clock, &HttpClient::new(&url), &mut |_| {}).map_err(fail)?;
    println!(
        "  pushed by the source device: {} ops in {:.1} s (and {} rows pulled back)",
        r.pushed,
        t.elapsed().as_secs_f64(),
        r.pulled
    );

    // 2. The first sync of the whole district to a new device.
    let _ = std::fs::remove_file(dir.join("fresh.db"));
    let mut fresh = Store::open(&dir.join("fresh.db"), Some(&key))?;
    login(&mut fresh, &url, "fresh")?;
    let t = Instant::now();
    let r = client::sync(&mut fresh, &clock, &HttpClient::new(&url), &mut |_| {}).map_err(fail)?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "first sync to a new device: {} rows in {:.1} s = {:.0} rows/s (goal ≥ 250,000)",
        r.pulled,
        secs,
        f64::from(r.pulled) / secs
    );

    drop(fresh);
    let floor = sqlite_floor(dir)?;
    println!(
        "  SQLite alone writing the same rows into an empty store (INSERT … SELECT, same schema, search index): {:.1} s = {:.0} rows/s",
        floor,
        f64::from(r.pulled) / floor
    );

    // 3. Push throughput: small edits waiting on one device.
    let mut ids: Vec<String> = Vec::with_capacity(args.edits);
    residents::for_each(&source, &residents::Filter::default(), &mut |r| {
        if ids.len() < args.edits {
            ids.push(r.id);
        }
        Ok(())
    })?;
    let t = Instant::now();
    for (i, id) in ids.iter().enumerate() {
        let patch =
            ResidentPatch { notes: Some(Some(format!("回访 {i}"))), ..Default::default() };
        residents::update(&mut Ctx::new(&mut source, &clock, &actor), id, patch)?;
    }
    println!("  {} edits made offline in {:.1} s", ids.len(), t.elapsed().as_secs_f64());
    let t = Instant::now();
    let pushed_at = Mutex::new(None);
    let r = client::sync(&mut source, &clock, &HttpClient::new(&url), &mut |p| {
        if p.phase == "push" && p.done == p.total {
            *pushed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(t.elapsed());
        }
    })
    .map_err(fail)?;
    let push =
        pushed_at.into_inner().unwrap_or_else(|e| e.into_inner()).unwrap_or_else(|| t.elapsed());
    println!(
        "push throughput: {} ops in {:.2} s = {:.0} ops/s in batches of up to 500 (goal ≥ 20,000); pull back {:.2} s",
        r.pushed,
        push.as_secs_f64(),
        f64::from(r.pushed) / push.as_secs_f64(),
        (t.elapsed() - push).as_secs_f64()
    );

    // 4. Grid officials' laptops, each with queued work, reconnecting at once.
    let t = Instant::now();
    let mut devices = Vec::with_capacity(args.devices);
    for i in 0..args.devices {
        let mut s = Store::open_in_memory()?;
        login(&mut s, &url, &format!("grid{i}"))?;
        client::sync(&mut s, &clock, &HttpClient::new(&url), &mut |_| {}).map_err(fail)?;
        let actor = Actor::current(&s);
        for k in 0..args.ops {
            let draft = ResidentDraft {
                name: format!("居民{i}-{k}"),
                phone: Some(format!("139{:04}{:04}", i % 10_000, k % 10_000)),
                street: Some("基准街道".into()),
                community: Some("基准社区".into()),
                grid: Some(format!("{i}网格")),
                ..Default::default()
            };
            residents::create(&mut Ctx::new(&mut s, &clock, &actor), draft)?;
        }
        devices.push(s);
    }
    println!(
        "{} devices with {} queued ops each made in {:.1} s",
        args.devices,
        args.ops,
        t.elapsed().as_secs_f64()
    );
    let queue = Mutex::new(devices);
    let done = Mutex::new(Vec::new());
    let t = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..args.parallel.max(1) {
            scope.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let Some(mut s) = next else { break };
                let r = client::sync(&mut s, &clock, &HttpClient::new(&url), &mut |_| {});
                done.lock().unwrap_or_else(|e| e.into_inner()).push((s, r));
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    let done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut ops = 0u64;
    for (s, r) in &done {
        let r = r.as_ref().map_err(|e| fail(format!("a device failed to sync: {e}")))?;
        ops += u64::from(r.pushed);
        if s.stats()?.outbox != 0 {
            return Err(fail("a device still has ops waiting"));
        }
    }
    println!(
        "{} devices reconnecting with {} ops each ({} in all, {} at a time): all converged in {:.1} s ({:.0} ops/s)",
        done.len(),
        args.ops,
        ops,
        args.parallel,
        secs,
        ops as f64 / secs
    );
    Ok(())
}

/// The least a first sync could cost on this machine: SQLite copying the synced tables of the
/// new device's store into another empty store with the same schema, then its search rows, as
/// the device writes them — no network, no JSON, no merge.
fn sqlite_floor(dir: &Path) -> Result<f64, Failure> {
    let path = dir.join("floor.db");
    for f in ["floor.db", "floor.db-wal", "floor.db-shm"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    // The floor is plain SQLite, as its name says.
    drop(Store::open(&path, None)?);
    let conn = rusqlite::Connection::open(&path).map_err(fail)?;
    conn.pragma_update(None, "journal_mode", "WAL").map_err(fail)?;
    conn.pragma_update(None, "synchronous", "NORMAL").map_err(fail)?;
    let from = dir.join("fresh.db");
    conn.execute("ATTACH ?1 AS f", [from.to_string_lossy()]).map_err(fail)?;
    let t = Instant::now();
    conn.execute_batch(
        "BEGIN;
         INSERT OR IGNORE INTO main.areas SELECT * FROM f.areas;
         INSERT OR IGNORE INTO main.tags SELECT * FROM f.tags;
         INSERT INTO main.residents SELECT * FROM f.residents;
         INSERT OR IGNORE INTO main.resident_tags SELECT * FROM f.resident_tags;
         INSERT INTO main.requests SELECT * FROM f.requests;
         INSERT INTO main.request_events SELECT * FROM f.request_events;
         INSERT INTO main.field_clocks SELECT * FROM f.field_clocks;
         INSERT INTO residents_fts (rowid, name, place, phone)
             SELECT rid, name, concat(building, unit, room, address), phone FROM residents WHERE deleted = 0;
         INSERT INTO requests_fts (rowid, description, place)
             SELECT q.rid, q.description, coalesce(q.address,
                 (SELECT concat(r.building, r.unit, r.room, r.address) FROM residents r WHERE r.id = q.resident_id), '')
             FROM requests q;
         COMMIT;",
    )
    .map_err(fail)?;
    let secs = t.elapsed().as_secs_f64();
    drop(conn);
    for f in ["floor.db", "floor.db-wal", "floor.db-shm"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    Ok(secs)
}

fn historic(i: usize, now: chrono::DateTime<chrono::Utc>) -> Historic {
    let created = now - chrono::Duration::minutes(10 + (i as i64 % 50_000));
    let at = |m: i64| created + chrono::Duration::minutes(m);
    let steps = match i % 4 {
        0 => vec![],
        1 => vec![(at(5), Step::Accept)],
        2 => vec![(at(5), Step::Accept), (at(9), Step::Assign { assignee: "志愿者".into() })],
        _ => vec![
            (at(5), Step::Accept),
            (at(9), Step::Start),
            (at(15), Step::Resolve { note: String::new() }),
            (at(20), Step::Close { satisfaction: Satisfaction::Satisfied, note: String::new() }),
        ],
    };
    let steps = steps.into_iter().filter(|(t, _)| *t < now).collect();
    Historic {
        request: NewRequest {
            category: "medicine".into(),
            description: format!("第{i}号诉求：代买药品"),
            ..NewRequest::default()
        },
        created_at: created,
        priority: Priority::Normal,
        steps,
    }
}
