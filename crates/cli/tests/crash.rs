//! Real processes, real kills (issue 5): a sync server and device stores, each a `jiayuan`
//! process, killed with SIGKILL at random moments of a sync, 20 times: the device, the server
//! or both. Afterwards everything is restarted cleanly and synced until quiet, and the test
//! checks that nothing was lost (every resident, request and event each device made is on
//! every store, and on a fresh store that pulls everything) and nothing was doubled (one live
//! resident per identity number, each op once in the server's op log, as many op-log entries as
//! the devices made ops, empty outboxes), and that the audit chains verify.
//!
//! The kills are placed by a seeded RNG (`JIAYUAN_CRASH_SEED=N` replays the choices; the
//! moments still depend on the machine's speed). Each round prints where the kill landed, read
//! from the stores afterwards: before the first push reply, with a push committed on the server
//! and its reply lost, between push batches, before the first pull page, between pull pages,
//! or after the sync had finished.

#![cfg(unix)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiayuan_testkit::{write_roster_csv, RosterOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// The demo's district, so an office can fill its store with `jiayuan demo` (a month of
/// requests made by the real commands: over a thousand ops, several push batches).
const DISTRICT: &str = jiayuan_core::demo::DEMO_DISTRICT;
const PASSWORD: &str = "crash-test-password-1";
const ROUNDS: usize = 20;
const CATEGORIES: [&str; 5] = ["supplies", "mutual_aid", "medicine", "community_service", "other"];

/// A child process killed (SIGKILL) and reaped when dropped, whatever path the test takes.
struct Proc(Option<Child>);

impl Proc {
    fn spawn(cmd: &mut Command) -> Proc {
        Proc(Some(cmd.spawn().expect("spawn jiayuan")))
    }

    /// Has it exited by itself? (Some(success))
    fn exited(&mut self) -> Option<bool> {
        let c = self.0.as_mut()?;
        c.try_wait().expect("poll child").map(|s| s.success())
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reap.
    fn kill(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Waits for it to exit by itself (bounded); `Some(success)`.
    fn wait_for(&mut self, limit: Duration) -> Option<bool> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(ok) = self.exited() {
                self.0 = None;
                return Some(ok);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The `jiayuan server` process on a fixed port and data folder, restarted on the same ones.
struct Server {
    dir: PathBuf,
    port: u16,
    proc: Proc,
    starts: u32,
}

impl Server {
    fn new(dir: PathBuf) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Server { dir, port, proc: Proc(None), starts: 0 }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    fn db(&self) -> PathBuf {
        self.dir.join("server.db")
    }

    fn running(&mut self) -> bool {
        self.proc.0.is_some() && self.proc.exited().is_none()
    }

    fn start(&mut self) {
        assert!(self.proc.0.is_none(), "the server is running already");
        let log = File::options().create(true).append(true).open(self.log()).expect("server log");
        let addr = format!("127.0.0.1:{}", self.port);
        self.proc = Proc::spawn(
            common::jiayuan()
                .args(["server", "--listen", &addr, "--district", DISTRICT, "--data"])
                .arg(&self.dir)
                .env("JIAYUAN_LOG", "info")
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log),
        );
        self.starts += 1;
        let started = Instant::now();
        while !healthy(self.port) {
            if let Some(ok) = self.proc.exited() {
                panic!(
                    "the server exited (success {ok}) at start {}:\n{}",
                    self.starts,
                    tail(&self.log())
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the server did not answer /health within 30 s:\n{}",
                tail(&self.log())
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn kill(&mut self) {
        self.proc.kill();
    }

    /// Read-only look at the server's SQLite file (the server may be running: WAL).
    fn ro(&self) -> Connection {
        ro(&self.db())
    }
}

fn healthy(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn ro(path: &Path) -> Connection {
    let c = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap_or_else(|e| panic!("open {} read-only: {e}", path.display()));
    // Devices' stores are encrypted; the server's is plain SQLite.
    if !std::fs::read(path).unwrap_or_default().starts_with(b"SQLite format 3\0") {
        common::key(path).apply(&c).expect("keyed");
    }
    c.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
    c
}

/// Runs `jiayuan --db DB ARGS…` to the end; its standard output.
fn cli(db: &Path, args: &[&str]) -> String {
    let out = common::jiayuan()
        .arg("--db")
        .arg(db)
        .args(args)
        .env("JIAYUAN_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .output()
        .expect("run jiayuan");
    assert!(
        out.status.success(),
        "jiayuan --db {} {} failed ({}):\n{}{}",
        db.display(),
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// What a request should look like everywhere once synced: as its device left it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expect {
    status: String,
    round: i64,
    assignee: Option<String>,
    paused: bool,
    /// The identity number of the resident it is for: the resident's id may change when the
    /// server merges two devices' copies of one person, the person may not.
    resident: Option<String>,
}

/// What one device made, recorded as it made it (not read back from the stores at the end).
#[derive(Debug, Default)]
struct Ledger {
    id_numbers: BTreeSet<String>,
    /// Residents without an identity number, by id (never merged).
    plain: BTreeSet<String>,
    requests: BTreeMap<String, Expect>,
    events: BTreeSet<String>,
}

struct Device {
    name: String,
    db: PathBuf,
    made: Ledger,
    requests_added: u32,
}

impl Device {
    fn new(dir: &Path, name: &str) -> Device {
        Device {
            name: name.to_owned(),
            db: dir.join(format!("{name}.db")),
            made: Ledger::default(),
            requests_added: 0,
        }
    }

    fn login(&self, server: &Server, user: &str) {
        cli(
            &self.db,
            &[
                "sync",
                "login",
                "--server",
                &server.url(),
                "--user",
                user,
                "--device-name",
                &self.name,
            ],
        );
    }

    fn ro(&self) -> Connection {
        ro(&self.db)
    }

    fn import(&mut self, roster: &Path) {
        cli(&self.db, &["import", "residents", roster.to_str().expect("utf-8 path")]);
        let ids = roster_ids(roster);
        let c = self.ro();
        for id in &ids {
            let live: i64 = c
                .query_row(
                    "SELECT count(*) FROM residents WHERE id_number = ?1 AND deleted = 0",
                    [id],
                    |r| r.get(0),
                )
                .expect("count");
            assert_eq!(
                live, 1,
                "{}: the import left {live} residents with one of its numbers",
                self.name
            );
        }
        self.made.id_numbers.extend(ids);
    }

    /// A new request for one of the residents this store holds (often one the other device
    /// imported too, so the server's merge of the two copies re-points it).
    fn add_request(&mut self, rng: &mut StdRng) {
        let c = self.ro();
        let live: i64 = c
            .query_row(
                "SELECT count(*) FROM residents WHERE deleted = 0 AND id_number IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .expect("count");
        let (resident, number): (String, String) = c
            .query_row(
                "SELECT id, id_number FROM residents WHERE deleted = 0 AND id_number IS NOT NULL
                 ORDER BY rid LIMIT 1 OFFSET ?1",
                [rng.gen_range(0..live.max(1))],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("a resident");
        drop(c);
        self.requests_added += 1;
        let category = CATEGORIES[rng.gen_range(0..CATEGORIES.len())];
        let description = format!("{} 求助 {}: 需要帮忙", self.name, self.requests_added);
        let out = cli(
            &self.db,
            &[
                "requests",
                "add",
                "--category",
                category,
                "--description",
                &description,
                "--resident",
                &resident,
                "--json",
            ],
        );
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect("requests add --json");
        let id = v["id"].as_str().expect("request id").to_owned();
        self.note_request(&id, Some(number));
    }

    /// The next step of the request's life: accept, assign, start, resolve, close, reopen, …
    fn step(&mut self, rng: &mut StdRng) {
        if self.made.requests.is_empty() {
            return self.add_request(rng);
        }
        // Paused work and merged duplicates take other steps; leave them be.
        let ids: Vec<String> = self
            .made
            .requests
            .iter()
            .filter(|(_, e)| !e.paused && e.status != "duplicate")
            .map(|(id, _)| id.clone())
            .collect();
        if ids.is_empty() {
            return self.add_request(rng);
        }
        let id = ids[rng.gen_range(0..ids.len())].clone();
        let e = self.made.requests[&id].clone();
        let who = format!("志愿者{}", rng.gen_range(1..=9));
        let args: Vec<&str> = match e.status.as_str() {
            "new" => vec!["accept", &id],
            "accepted" => vec!["assign", &id, &who],
            "assigned" => vec!["start", &id],
            "in_progress" => vec!["resolve", &id, "--note", "办好了"],
            "resolved" => vec!["close", &id, "--satisfaction", "satisfied"],
            _ => vec!["reopen", &id, "--reason", "居民又来电"],
        };
        let mut full = vec!["requests"];
        full.extend(args);
        cli(&self.db, &full);
        self.note_request(&id, e.resident);
    }

    fn note_request(&mut self, id: &str, resident: Option<String>) {
        let c = self.ro();
        let (status, round, assignee, paused): (String, i64, Option<String>, bool) = c
            .query_row(
                "SELECT status, round, assignee, paused FROM requests WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("the request just written");
        let mut stmt =
            c.prepare("SELECT id FROM request_events WHERE request_id = ?1").expect("sql");
        let events: Vec<String> = stmt
            .query_map([id], |r| r.get(0))
            .expect("events")
            .collect::<Result<_, _>>()
            .expect("events");
        self.made.events.extend(events);
        self.made
            .requests
            .insert(id.to_owned(), Expect { status, round, assignee, paused, resident });
    }

    /// Records everything in the store as made here (a demo district, before any sync).
    fn made_all_here(&mut self) {
        let c = self.ro();
        assert_eq!(count(&c, "SELECT cursor FROM sync_state"), 0, "{}: synced already", self.name);
        self.made.id_numbers.extend(rows(
            &c,
            "SELECT id_number FROM residents WHERE deleted = 0 AND id_number IS NOT NULL",
        ));
        self.made
            .plain
            .extend(rows(&c, "SELECT id FROM residents WHERE deleted = 0 AND id_number IS NULL"));
        let requests: Vec<(String, Option<String>)> = c
            .prepare(
                "SELECT q.id, r.id_number FROM requests q
                 LEFT JOIN residents r ON r.id = q.resident_id AND r.deleted = 0",
            )
            .expect("sql")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("requests")
            .collect::<Result<_, _>>()
            .expect("requests");
        drop(c);
        for (id, number) in requests {
            self.note_request(&id, number);
        }
    }

    /// Some work between rounds.
    fn work(&mut self, rng: &mut StdRng) {
        for _ in 0..rng.gen_range(1..=3) {
            if rng.gen_bool(0.4) {
                self.add_request(rng);
            } else {
                self.step(rng);
            }
        }
    }

    fn sync_state(&self, server: &Server) -> SyncState {
        let c = self.ro();
        let site: String =
            c.query_row("SELECT site_id FROM device", [], |r| r.get(0)).expect("site");
        let q = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).expect(sql) };
        let s = server.ro();
        SyncState {
            outbox: q("SELECT count(*) FROM outbox"),
            outbox_rows: q("SELECT ifnull(sum(CASE WHEN kind = 'residents.import'
                 THEN json_extract(payload, '$.rids[1]') - json_extract(payload, '$.rids[0]') + 1
                 ELSE 1 END), 0) FROM outbox"),
            acked: q("SELECT count(*) FROM sync_outcomes"),
            cursor: q("SELECT cursor FROM sync_state"),
            logged: s
                .query_row("SELECT count(*) FROM op_log WHERE site_id = ?1", [&site], |r| r.get(0))
                .expect("op log"),
            head: s
                .query_row("SELECT version FROM districts WHERE name = ?1", [DISTRICT], |r| {
                    r.get(0)
                })
                .optional()
                .expect("head")
                .unwrap_or(0),
        }
    }

    /// `sync now` to the end; (pushed, pulled).
    fn sync(&self) -> (u64, u64) {
        let out = cli(&self.db, &["sync", "now"]);
        eprintln!("  {}: {}", self.name, out.trim());
        // "pushed N (R refused), pulled M rows, at …"
        let num = |after: &str| -> u64 {
            let rest = &out[out.find(after).unwrap_or_else(|| panic!("no “{after}” in {out}"))
                + after.len()..];
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .expect("a number")
        };
        (num("pushed "), num("pulled "))
    }
}

#[derive(Debug, Clone, Copy)]
struct SyncState {
    outbox: i64,
    /// Rows the ops waiting will carry, about (an import's chunk is a thousand).
    outbox_rows: i64,
    acked: i64,
    cursor: i64,
    /// This device's ops in the server's op log.
    logged: i64,
    /// The district's version on the server.
    head: i64,
}

/// The identity numbers of a generated roster (the fourth column; clean rows need no
/// unquoting before it).
fn roster_ids(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("roster");
    text.lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(3))
        .filter(|id| !id.is_empty())
        .map(|id| id.to_uppercase())
        .collect()
}

fn write_roster(dir: &Path, name: &str, n: u64, seed: u64) -> PathBuf {
    let path = dir.join(format!("{name}.csv"));
    write_roster_csv(File::create(&path).expect("roster"), n, seed, &RosterOptions::default())
        .expect("write roster");
    path
}

impl SyncState {
    /// About how long a `sync now` from here takes in a debug build on a small machine (the
    /// rounds scale it by what they measure); the kill's moment is drawn from within it.
    fn estimate(&self) -> Duration {
        let pull = (self.head - self.cursor).max(0) + self.outbox_rows;
        Duration::from_millis((100 + self.outbox_rows + pull / 6).min(4_000) as u64)
    }
}

/// Where a kill landed, read from the stores afterwards.
fn landed(before: SyncState, after: SyncState, finished: bool) -> &'static str {
    if after.logged > before.logged && after.acked < after.logged {
        "push: committed on the server, reply lost"
    } else if finished && after.outbox == 0 && after.cursor == after.head {
        "after the sync finished"
    } else if after.outbox > 0 && after.acked == before.acked {
        "push: before the first reply"
    } else if after.outbox > 0 {
        "push: between batches"
    } else if after.cursor == before.cursor && after.cursor < after.head {
        "between push and pull, or before the first page"
    } else if after.cursor < after.head {
        "pull: between pages"
    } else {
        "pull: after the last page"
    }
}

fn rows(c: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = c.prepare(sql).expect(sql);
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        let mut parts = Vec::with_capacity(n);
        for i in 0..n {
            let v: rusqlite::types::Value = r.get(i)?;
            parts.push(match v {
                rusqlite::types::Value::Null => "∅".to_owned(),
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Real(f) => f.to_string(),
                rusqlite::types::Value::Text(t) => t,
                rusqlite::types::Value::Blob(b) => format!("{b:?}"),
            });
        }
        Ok(parts.join("|"))
    })
    .expect(sql)
    .collect::<Result<_, _>>()
    .expect(sql)
}

fn count(c: &Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0)).expect(sql)
}

/// What must be equal on every store once synced.
fn snapshot(db: &Path) -> BTreeMap<&'static str, Vec<String>> {
    let c = ro(db);
    let mut s = BTreeMap::new();
    s.insert(
        "residents",
        rows(&c, "SELECT id, name, id_number, phone FROM residents WHERE deleted = 0 ORDER BY id"),
    );
    s.insert(
        "requests",
        rows(
            &c,
            "SELECT id, status, round, assignee, resident_id, merged_into, paused FROM requests ORDER BY id",
        ),
    );
    s.insert(
        "request_events",
        rows(&c, "SELECT id, request_id, kind, round FROM request_events ORDER BY id"),
    );
    s
}

fn first_difference(a: &[String], b: &[String]) -> String {
    let (sa, sb): (BTreeSet<&String>, BTreeSet<&String>) = (a.iter().collect(), b.iter().collect());
    let only_a: Vec<_> = sa.difference(&sb).take(3).collect();
    let only_b: Vec<_> = sb.difference(&sa).take(3).collect();
    format!(
        "{} vs {} rows; only in the first: {only_a:?}; only in the second: {only_b:?}",
        a.len(),
        b.len()
    )
}

#[test]
fn killing_the_server_and_devices_mid_sync_loses_and_doubles_nothing() {
    let seed = std::env::var("JIAYUAN_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64 % 1_000_000)
                .unwrap_or(1)
        });
    eprintln!("crash test seed {seed} (JIAYUAN_CRASH_SEED={seed} replays the choices)");
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();

    // The server, with officials of the whole district.
    let server_dir = dir.join("server");
    std::fs::create_dir_all(&server_dir).expect("server dir");
    let mut server = Server::new(server_dir.clone());
    for user in ["alice", "bob", "carol", "dave"] {
        let out = common::jiayuan()
            .args(["server", "--data"])
            .arg(&server_dir)
            .args(["user", "add", user, "--role", "district_supervisor", "--district", DISTRICT])
            .args(["--password", PASSWORD])
            .output()
            .expect("user add");
        assert!(out.status.success(), "user add {user}: {}", String::from_utf8_lossy(&out.stderr));
    }
    server.start();

    // Three offices. a and b import overlapping rosters (the same seed: b's first 1,500 people
    // are a's), so the server merges the people both have; a syncs first. d makes a month of
    // requests with the demo before it ever logs in: over a thousand small ops.
    let mut a = Device::new(dir, "a");
    let mut b = Device::new(dir, "b");
    let mut d = Device::new(dir, "d");
    let rosters = [
        (write_roster(dir, "a1", 1_500, seed), write_roster(dir, "b1", 2_500, seed)),
        (write_roster(dir, "a2", 600, seed + 1), write_roster(dir, "b2", 900, seed + 1)),
    ];
    let demo_seed = (seed % 1_000).to_string();
    cli(&d.db, &["demo", "--residents", "300", "--requests-per-day", "6", "--seed", &demo_seed]);
    d.made_all_here();
    d.login(&server, "dave");
    a.login(&server, "alice");
    b.login(&server, "bob");
    a.import(&rosters[0].0);
    b.import(&rosters[0].1);
    for _ in 0..3 {
        a.add_request(&mut rng);
        b.add_request(&mut rng);
    }
    for _ in 0..3 {
        a.step(&mut rng);
        b.step(&mut rng);
    }
    a.sync();
    eprintln!("set-up: {:.1} s", started.elapsed().as_secs_f64());

    // Newcomers: fresh stores that log in and pull the whole district, page by page.
    let mut newcomers: Vec<Device> = Vec::new();
    let mut landings: BTreeMap<&'static str, u32> = BTreeMap::new();
    let mut victims: BTreeMap<&'static str, u32> = BTreeMap::new();
    // Measured durations over estimated ones, from the syncs that finished before their kill.
    let mut speed = 1.0f64;
    for round in 0..ROUNDS {
        // More work now and then, and a second pair of overlapping rosters.
        if round == 7 {
            a.import(&rosters[1].0);
        } else if round == 11 {
            b.import(&rosters[1].1);
        }
        let head: i64 = count(&server.ro(), "SELECT ifnull(max(version), 0) FROM districts");
        let pick = rng.gen_range(0..20);
        // 0..=2: an office (a, b, d); 3: a newcomer.
        let target = if pick < 3 && newcomers.len() < 2 && head > 5_000 {
            3
        } else if pick < 9 {
            2
        } else if pick < 14 {
            1
        } else {
            0
        };
        // The office whose sync is killed always has something new to push; the others
        // sometimes (then it has something to pull).
        for (i, dev) in [&mut a, &mut b, &mut d].into_iter().enumerate() {
            if i == target || rng.gen_bool(0.25) {
                dev.work(&mut rng);
            }
        }
        let dev: &Device = match target {
            0 => &a,
            1 => &b,
            2 => &d,
            _ => {
                let n = Device::new(dir, &format!("new{}", newcomers.len() + 1));
                n.login(&server, "carol");
                newcomers.push(n);
                newcomers.last().expect("just pushed")
            }
        };
        let victim = ["device", "device", "server", "both"][rng.gen_range(0..4)];
        let before = dev.sync_state(&server);
        let raw = before.estimate();
        let estimate = raw.mul_f64(speed.clamp(0.2, 3.0));
        let delay = Duration::from_millis(rng.gen_range(0..=estimate.as_millis() as u64));
        let t0 = Instant::now();
        let mut sync = Proc::spawn(
            common::jiayuan()
                .arg("--db")
                .arg(&dev.db)
                .args(["sync", "now"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let mut finished = false;
        while t0.elapsed() < delay {
            if sync.exited().is_some() {
                finished = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let at = t0.elapsed();
        if finished {
            // Learn how fast this machine is against the estimates (debug, two cores).
            if raw > Duration::from_millis(500) {
                speed = (speed + at.as_secs_f64() / raw.as_secs_f64()) / 2.0;
            }
        } else if sync.exited().is_some() {
            finished = true;
        }
        match victim {
            "device" => sync.kill(),
            "server" => {
                server.kill();
                // The device finds the server gone and gives up by itself (or had finished).
                match sync.wait_for(Duration::from_secs(30)) {
                    None => panic!("the device did not give up on a dead server within 30 s"),
                    Some(ok) => finished |= ok,
                }
            }
            _ => {
                if rng.gen_bool(0.5) {
                    server.kill();
                    sync.kill();
                } else {
                    sync.kill();
                    server.kill();
                }
            }
        }
        if !server.running() {
            server.kill();
            server.start();
        }
        let after = dev.sync_state(&server);
        let where_ = landed(before, after, finished);
        *landings.entry(where_).or_default() += 1;
        *victims.entry(victim).or_default() += 1;
        eprintln!(
            "round {round:2}: {:4} killed ({victim:6}) at {:4} of ~{:4} ms: {where_}  [outbox {}→{}, acked {}→{}, cursor {}→{} of {}]",
            dev.name,
            at.as_millis(),
            estimate.as_millis(),
            before.outbox,
            after.outbox,
            before.acked,
            after.acked,
            before.cursor,
            after.cursor,
            after.head
        );
    }
    eprintln!("kills: {victims:?}; landed: {landings:#?}; speed against the estimates {speed:.2}");
    eprintln!("rounds done: {:.1} s", started.elapsed().as_secs_f64());

    // Clean restart, then sync until nothing moves.
    server.kill();
    server.start();
    let mut quiet = false;
    for _ in 0..8 {
        let moved: u64 = [&a, &b, &d].iter().map(|x| x.sync()).map(|(p, l)| p + l).sum();
        if moved == 0 {
            quiet = true;
            break;
        }
    }
    assert!(quiet, "the offices never stopped pushing or pulling");
    for n in &newcomers {
        n.sync();
    }
    let c = Device::new(dir, "c");
    c.login(&server, "carol");
    c.sync();
    server.kill();
    eprintln!("converged: {:.1} s", started.elapsed().as_secs_f64());

    // Nothing lost, nothing doubled.
    let mut stores: Vec<&Device> = vec![&a, &b, &d, &c];
    stores.extend(newcomers.iter());
    let reference = snapshot(&c.db);
    let mut all = Ledger::default();
    for x in [&a, &b, &d] {
        all.id_numbers.extend(x.made.id_numbers.iter().cloned());
        all.plain.extend(x.made.plain.iter().cloned());
        all.requests.extend(x.made.requests.clone());
        all.events.extend(x.made.events.iter().cloned());
    }
    eprintln!(
        "made: {} people with identity numbers ({} + {} + {}), {} without, {} requests, {} events",
        all.id_numbers.len(),
        a.made.id_numbers.len(),
        b.made.id_numbers.len(),
        d.made.id_numbers.len(),
        all.plain.len(),
        all.requests.len(),
        all.events.len()
    );
    for x in &stores {
        let store = common::open_store(&x.db).expect("open store");
        assert_eq!(store.integrity_check().expect("check"), "ok", "{}: integrity", x.name);
        jiayuan_core::write::verify_audit_chain(&store)
            .unwrap_or_else(|e| panic!("{}: the audit chain does not verify: {e}", x.name));
        drop(store);
        check_store(x, &all, &reference, &server.db());
    }

    // The server's op log: each op once, as many as the devices made, and its chain whole.
    let log = server.ro();
    let logged = rows(&log, "SELECT op_id FROM op_log ORDER BY n");
    let logged_set: BTreeSet<String> = logged.iter().cloned().collect();
    assert_eq!(logged.len(), logged_set.len(), "an op in the op log twice");
    assert_eq!(
        count(&log, "SELECT count(*) FROM (SELECT DISTINCT site_id, seq FROM op_log)") as usize,
        logged.len(),
        "a (site, seq) in the op log twice"
    );
    let mut acked: BTreeSet<String> = BTreeSet::new();
    let mut made_ops = 0usize;
    for x in &stores {
        let conn = x.ro();
        made_ops += count(&conn, "SELECT next_seq - 1 FROM device") as usize;
        acked.extend(rows(&conn, "SELECT op_id FROM sync_outcomes"));
    }
    assert_eq!(logged.len(), made_ops, "op-log entries vs ops the devices made");
    assert_eq!(logged_set, acked, "the op log and the devices' acknowledgements");
    drop(log);
    let storage = jiayuan_server::open_storage(&server.dir, None).expect("server storage");
    let verified = jiayuan_server::Server::new(
        storage,
        Arc::new(jiayuan_core::SystemClock),
        jiayuan_server::Config::default(),
    )
    .verify_op_log(DISTRICT)
    .expect("the server's op log chain verifies");
    assert_eq!(verified, logged.len());

    let mid_sync = landings
        .iter()
        .filter(|(k, _)| !k.starts_with("after the sync"))
        .map(|(_, n)| n)
        .sum::<u32>();
    eprintln!(
        "{} ops, {} people, {} requests, {} events on {} stores; {mid_sync} of {ROUNDS} kills mid-sync; {:.1} s",
        logged.len(),
        all.id_numbers.len() + all.plain.len(),
        all.requests.len(),
        all.events.len(),
        stores.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(mid_sync >= ROUNDS as u32 / 4, "too few kills landed mid-sync: the test proved little");
}

/// A request as a store holds it: status, round, assignee, paused, and its resident's
/// identity number.
type RequestSeen = (String, i64, Option<String>, bool, Option<String>);

/// A request's story for a failure message: its events on the store, and what the server's
/// op log says of the ops that named it.
fn explain(x: &Device, server_db: &Path, id: &str) -> String {
    let conn = x.ro();
    let events = rows(
        &conn,
        &format!("SELECT at, kind, round, data FROM request_events WHERE request_id = '{id}' ORDER BY at, id"),
    );
    let outcomes =
        rows(&conn, &format!("SELECT seq, kind, outcome, reason, acked_at FROM sync_outcomes WHERE subject = '{id}' ORDER BY seq"));
    let log = rows(
        &ro(server_db),
        &format!(
            "SELECT n, site_id, seq, kind, outcome, reason, received_ms FROM op_log
             WHERE json_extract(op, '$.payload.request_id') = '{id}' ORDER BY n"
        ),
    );
    format!(
        "events on {}:\n  {}\nits outcomes:\n  {}\nthe server's op log:\n  {}",
        x.name,
        events.join("\n  "),
        outcomes.join("\n  "),
        log.join("\n  ")
    )
}

/// One store after convergence: equal to the fresh store's, everything made is there as made,
/// nothing twice, every op acknowledged once and nothing waiting.
fn check_store(
    x: &Device,
    all: &Ledger,
    reference: &BTreeMap<&'static str, Vec<String>>,
    server_db: &Path,
) {
    let conn = x.ro();
    let snap = snapshot(&x.db);
    for (table, rows) in reference {
        assert!(
            &snap[table] == rows,
            "{}: {table} differs from the fresh store's: {}",
            x.name,
            first_difference(&snap[table], rows)
        );
    }
    // One live resident per identity number, and every person any office had.
    let doubled = rows(
        &conn,
        "SELECT id_number, count(*) FROM residents WHERE deleted = 0 AND id_number IS NOT NULL
         GROUP BY id_number HAVING count(*) > 1",
    );
    assert!(doubled.is_empty(), "{}: doubled people: {doubled:?}", x.name);
    let numbers: BTreeSet<String> =
        rows(&conn, "SELECT id_number FROM residents WHERE deleted = 0 AND id_number IS NOT NULL")
            .into_iter()
            .collect();
    let lost: Vec<_> = all.id_numbers.difference(&numbers).take(5).collect();
    assert!(lost.is_empty(), "{}: lost people: {lost:?}", x.name);
    let extra: Vec<_> = numbers.difference(&all.id_numbers).take(5).collect();
    assert!(extra.is_empty(), "{}: people nobody made: {extra:?}", x.name);
    let plain: BTreeSet<String> =
        rows(&conn, "SELECT id FROM residents WHERE deleted = 0 AND id_number IS NULL")
            .into_iter()
            .collect();
    assert_eq!(plain, all.plain, "{}: residents without an identity number", x.name);
    // Every request as its device left it, for the same person; no other requests.
    for (id, e) in &all.requests {
        let got: Option<RequestSeen> = conn
            .query_row(
                "SELECT q.status, q.round, q.assignee, q.paused, r.id_number FROM requests q
                 LEFT JOIN residents r ON r.id = q.resident_id AND r.deleted = 0
                 WHERE q.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .expect("request");
        let Some((status, round, assignee, paused, number)) = got else {
            panic!("{}: lost request {id}", x.name)
        };
        assert_eq!(
            (&status, round, &assignee, paused),
            (&e.status, e.round, &e.assignee, e.paused),
            "{}: request {id} is not as its device left it\n{}",
            x.name,
            explain(x, server_db, id)
        );
        assert_eq!(
            number, e.resident,
            "{}: request {id} lost its resident (a live one with the same identity number)",
            x.name
        );
    }
    let requests: BTreeSet<String> = rows(&conn, "SELECT id FROM requests").into_iter().collect();
    let made: BTreeSet<String> = all.requests.keys().cloned().collect();
    assert_eq!(requests, made, "{}: requests", x.name);
    let events = rows(&conn, "SELECT id FROM request_events");
    let distinct: BTreeSet<String> = events.iter().cloned().collect();
    assert_eq!(events.len(), distinct.len(), "{}: doubled events", x.name);
    let lost: Vec<_> = all.events.difference(&distinct).take(5).collect();
    assert!(lost.is_empty(), "{}: lost events: {lost:?}", x.name);
    let extra: Vec<_> = distinct.difference(&all.events).take(5).collect();
    assert!(extra.is_empty(), "{}: events nobody made: {extra:?}", x.name);
    // Every op it made was acknowledged once, and nothing waits.
    assert_eq!(count(&conn, "SELECT count(*) FROM outbox"), 0, "{}: outbox", x.name);
    let made_ops = count(&conn, "SELECT next_seq - 1 FROM device");
    assert_eq!(
        count(&conn, "SELECT count(*) FROM sync_outcomes"),
        made_ops,
        "{}: ops acknowledged vs made",
        x.name
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM sync_outcomes WHERE outcome <> 'applied'"),
        0,
        "{}: refused ops: {:?}",
        x.name,
        rows(&conn, "SELECT kind, reason FROM sync_outcomes WHERE outcome <> 'applied'")
    );
}

/// A proxy in front of the server that forwards every call except pulls while `block_pulls`
/// is set: those get a 503, as when the network drops between a sync's push and its pull.
/// One request per connection (it answers `Connection: close`).
fn proxy(server_port: u16, block_pulls: Arc<std::sync::atomic::AtomicBool>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("proxy port");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let block = block_pulls.clone();
            std::thread::spawn(move || {
                let _ = forward(client, server_port, &block);
            });
        }
    });
    port
}

fn forward(
    mut client: TcpStream,
    server_port: u16,
    block_pulls: &std::sync::atomic::AtomicBool,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    client.read_exact(&mut body)?;
    if head.starts_with("POST /v1/pull") && block_pulls.load(std::sync::atomic::Ordering::SeqCst) {
        let msg = br#"{"code":"unavailable","message":"the network dropped"}"#;
        write!(
            client,
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            msg.len()
        )?;
        return client.write_all(msg);
    }
    let mut upstream = TcpStream::connect(("127.0.0.1", server_port))?;
    let mut lines: Vec<&str> = head
        .trim_end()
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("Connection: close");
    upstream.write_all(format!("{}\r\n\r\n", lines.join("\r\n")).as_bytes())?;
    upstream.write_all(&body)?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer)?;
    client.write_all(&answer)
}

/// Found by the crash test: a request taken through several steps offline, pushed in one
/// batch, and the sync's pull fails (or the device dies before it). The push's reply echoes
/// the server's copy of the request after each op whose result differed from what the device
/// sent (the create is made `new` on the server, the accept `accepted`, …), the device writes
/// those echoes in order, and the last op (whose result matched the device's row, so it
/// echoed nothing) does not correct them: the device shows the request as it was some steps
/// ago, and the official's next step acts on that (a close of resolved work is refused as
/// "in_progress"). The next successful pull repairs the row.
#[test]
fn a_push_whose_pull_fails_leaves_the_devices_own_steps_in_place() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let server_dir = dir.join("server");
    std::fs::create_dir_all(&server_dir).expect("server dir");
    add_alice(&server_dir);
    let mut server = Server::new(server_dir);
    server.start();
    let block = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let port = proxy(server.port, block.clone());
    let url = format!("http://127.0.0.1:{port}");
    let db = dir.join("a.db");
    cli(&db, &["sync", "login", "--server", &url, "--user", "alice"]);
    let id = add_request(&db, "缺口罩", "张三", "13800138000");
    for step in [
        vec!["accept", id.as_str()],
        vec!["assign", id.as_str(), "志愿者1"],
        vec!["start", id.as_str()],
        vec!["resolve", id.as_str(), "--note", "送到了"],
    ] {
        let mut args = vec!["requests"];
        args.extend(step);
        cli(&db, &args);
    }
    let state = |db: &Path| -> (String, Option<String>) {
        ro(db)
            .query_row("SELECT status, assignee FROM requests WHERE id = ?1", [&id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("request")
    };
    let mine = ("resolved".to_owned(), Some("志愿者1".to_owned()));
    assert_eq!(state(&db), mine);

    block.store(true, std::sync::atomic::Ordering::SeqCst);
    let out = common::jiayuan().arg("--db").arg(&db).args(["sync", "now"]).output().expect("sync");
    assert!(!out.status.success(), "the pull was meant to fail");
    let c = ro(&db);
    assert_eq!(count(&c, "SELECT count(*) FROM outbox"), 0, "the push went through");
    assert_eq!(
        count(&c, "SELECT count(*) FROM sync_outcomes WHERE outcome = 'applied'"),
        count(&c, "SELECT next_seq - 1 FROM device"),
        "every op applied"
    );
    drop(c);
    assert_eq!(
        state(&db),
        mine,
        "after a push whose pull failed, the device no longer shows its own last step"
    );

    // And once the pull goes through, everything agrees.
    block.store(false, std::sync::atomic::Ordering::SeqCst);
    cli(&db, &["sync", "now"]);
    assert_eq!(state(&db), mine);
}

/// Revocation, end to end over HTTP: the district revokes a laptop; at its next sync the
/// laptop pushes nothing more (its offline work stays off the server), wipes its store, and the
/// server lists the device as told to wipe.
#[test]
fn a_revoked_laptop_wipes_its_store_at_its_next_sync_and_the_server_notes_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let (server_dir, server) = alices_server(dir);
    let url = server.url();
    let db = dir.join("laptop").join("jiayuan.db");
    cli(&db, &["sync", "login", "--server", &url, "--user", "alice"]);
    add_request(&db, "缺口罩", "张三", "13800138000");
    cli(&db, &["sync", "now"]);
    let requests_on_server = || {
        count(
            &ro(&server_dir.join("server.db")),
            "SELECT count(*) FROM rows WHERE entity = 'request'",
        )
    };
    assert_eq!(requests_on_server(), 1);

    let listed = admin(&server_dir, &["device", "list"]);
    let device = listed.split('\t').next().expect("one device").trim().to_owned();
    admin(&server_dir, &["device", "revoke", &device]);
    add_request(&db, "缺退烧药", "李四", "13900139000"); // offline work after the revocation
    let out = common::jiayuan().arg("--db").arg(&db).args(["sync", "now"]).output().expect("sync");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("wiped"), "{out:?}");
    for suffix in ["", "-wal", "-shm"] {
        let f = format!("{}{suffix}", db.display());
        assert!(!Path::new(&f).exists(), "{f} is gone");
    }
    assert_eq!(requests_on_server(), 1, "nothing more was pushed");
    assert!(
        admin(&server_dir, &["device", "list"]).contains("told to wipe"),
        "the server notes it"
    );
}

/// The access report, end to end over HTTP: a laptop exports residents and syncs; the server's
/// `jiayuan server audit` lists who exported what, and prints the same as JSON.
#[test]
fn an_export_on_a_laptop_reaches_the_servers_access_report() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let (server_dir, server) = alices_server(dir);
    let url = server.url();
    let db = dir.join("laptop").join("jiayuan.db");
    cli(&db, &["sync", "login", "--server", &url, "--user", "alice"]);
    add_request(&db, "缺口罩", "张三", "13800138000");
    let file = dir.join("全区名单.csv");
    cli(&db, &["export", "residents", file.to_str().expect("path")]);
    let empty = admin(&server_dir, &["audit", "--district", DISTRICT]);
    assert!(empty.contains("nothing was exported"), "not synced yet: {empty}");
    cli(&db, &["sync", "now"]);

    let text = admin(&server_dir, &["audit", "--district", DISTRICT, "--days", "1"]);
    assert!(text.contains("(the whole district): 0 revealed, 1 exported or printed"), "{text}");
    assert!(
        text.contains("alice") && text.contains("exported 1 residents to 全区名单.csv"),
        "{text}"
    );
    let json = admin(&server_dir, &["audit", "--district", DISTRICT, "--json"]);
    let report: serde_json::Value = serde_json::from_str(&json).expect("json");
    let entry = &report["places"][0]["entries"][0];
    assert_eq!(entry["action"], "export", "{json}");
    assert_eq!(entry["file"], "全区名单.csv", "the file's name, not its folder: {json}");
    let old = admin(&server_dir, &["audit", "--district", DISTRICT, "--since", "2020-01-01"]);
    assert!(old.contains("1 exported"), "{old}");
    let bad = common::jiayuan()
        .args(["server", "--data"])
        .arg(&server_dir)
        .args(["audit", "--since", "yesterday"])
        .output()
        .expect("audit");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("YYYY-MM-DD"), "{bad:?}");
}

/// Moving to a new laptop, end to end over HTTP: a laptop backs up with work not yet synced,
/// then sends that work itself and is revoked (it is being replaced); the backup restored on a
/// new laptop signs in as a new device, is not wiped, and its sync applies nothing twice: the
/// server holds each request once and each op once, and the new laptop holds them all.
#[test]
fn a_backup_restored_on_a_new_laptop_converges_with_nothing_lost_or_doubled() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let (server_dir, server) = alices_server(dir);
    let old = dir.join("old-laptop").join("jiayuan.db");
    let new = dir.join("new-laptop").join("jiayuan.db");
    cli(&old, &["sync", "login", "--server", &server.url(), "--user", "alice"]);
    add_request(&old, "缺口罩", "张三", "13800138000");
    cli(&old, &["sync", "now"]);
    add_request(&old, "缺退烧药", "李四", "13900139000");
    add_request(&old, "需要代买米面", "王五", "13700137000");
    let file = dir.join("usb").join("moving.jybackup");
    let restore_or_backup = |db: &Path, what: &str| {
        let out = common::jiayuan()
            .arg("--db")
            .arg(db)
            .args([what, file.to_str().expect("utf-8 path")])
            .env("JIAYUAN_BACKUP_PASSPHRASE", "moving day passphrase")
            .stdin(Stdio::null())
            .output()
            .expect("run jiayuan");
        assert!(out.status.success(), "{what}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let waiting = count(&ro(&old), "SELECT count(*) FROM outbox");
    assert!(waiting >= 2, "two requests wait");
    let said = restore_or_backup(&old, "backup");
    assert!(said.contains(&format!("{waiting} operations waiting")), "{said}");
    // The old laptop sends the work the backup holds, then the district revokes it.
    cli(&old, &["sync", "now"]);
    let listed = admin(&server_dir, &["device", "list"]);
    let device = listed.split('\t').next().expect("one device").trim().to_owned();
    admin(&server_dir, &["device", "revoke", &device]);

    let said = restore_or_backup(&new, "restore");
    assert!(said.contains(&format!("--server {} --user alice", server.url())), "{said}");
    let site = |db: &Path| rows(&ro(db), "SELECT site_id FROM device").remove(0);
    assert_ne!(site(&new), site(&old), "a new site id");
    // The old laptop's login did not come along: a sync asks for a login instead of presenting
    // the revoked device's token (which would wipe the restored store).
    let out = common::jiayuan().arg("--db").arg(&new).args(["sync", "now"]).output().expect("sync");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("log in"), "{out:?}");
    assert!(new.exists(), "not wiped");
    cli(&new, &["sync", "login", "--server", &server.url(), "--user", "alice"]);
    cli(&new, &["sync", "now"]);
    assert!(new.exists(), "the new laptop is not wiped for the old one's revocation");
    add_request(&new, "独居老人需要探访", "赵六", "13600136000");
    cli(&new, &["sync", "now"]);

    let log = server.ro();
    assert_eq!(count(&log, "SELECT count(*) FROM rows WHERE entity = 'request'"), 4);
    let logged = rows(&log, "SELECT op_id FROM op_log ORDER BY n");
    let logged_set: BTreeSet<String> = logged.iter().cloned().collect();
    assert_eq!(logged.len(), logged_set.len(), "an op in the op log twice");
    let mut made: BTreeSet<String> = BTreeSet::new();
    for db in [&old, &new] {
        made.extend(rows(&ro(db), "SELECT op_id FROM audit_log WHERE op_id IS NOT NULL"));
    }
    assert_eq!(logged_set, made, "every op either laptop made, on the server once");
    let c = ro(&new);
    assert_eq!(count(&c, "SELECT count(*) FROM requests"), 4, "the new laptop holds them all");
    assert_eq!(count(&c, "SELECT count(*) FROM outbox"), 0);
    assert_eq!(
        count(&c, "SELECT count(*) FROM sync_outcomes WHERE outcome = 'rejected'"),
        0,
        "nothing refused"
    );
}

/// A server running in `dir/server`, with alice, the district supervisor, on it.
fn alices_server(dir: &Path) -> (PathBuf, Server) {
    let server_dir = dir.join("server");
    std::fs::create_dir_all(&server_dir).expect("server dir");
    add_alice(&server_dir);
    let mut server = Server::new(server_dir.clone());
    server.start();
    (server_dir, server)
}

/// `jiayuan server --data DIR ARGS`, which must succeed; its output.
fn admin(server_dir: &Path, args: &[&str]) -> String {
    let out = common::jiayuan()
        .args(["server", "--data"])
        .arg(server_dir)
        .args(args)
        .output()
        .expect("server command");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The district supervisor the two-step tests log in as.
fn add_alice(server_dir: &Path) {
    admin(
        server_dir,
        &[
            "user",
            "add",
            "alice",
            "--role",
            "district_supervisor",
            "--district",
            DISTRICT,
            "--password",
            PASSWORD,
        ],
    );
}

/// A request taken in on the laptop at `db`; its id.
fn add_request(db: &Path, what: &str, name: &str, phone: &str) -> String {
    let args = ["requests", "add", "--category", "supplies", "--description", what];
    let made = cli(db, &[&args[..], &["--name", name, "--phone", phone, "--json"]].concat());
    let v: serde_json::Value = serde_json::from_str(made.trim()).expect("json");
    v["id"].as_str().expect("id").to_owned()
}
