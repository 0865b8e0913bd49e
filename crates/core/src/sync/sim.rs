//! The sync simulation: five devices and a server in one process, driven by a script of
//! commands, network partitions, server crashes, lost acknowledgements and clock skew. After
//! the script the network heals and every device syncs until quiet; then the promises of
//! docs/sync.md are checked. A script is plain data: proptest generates and shrinks them in
//! core's tests, and `jiayuan sync sim --seed S --scripts N` makes them from a seed, so any
//! failure replays. Volunteers, dispatch and points ride along (`sim_volunteers.rs`).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::client::{self, NetError, Transport};
use super::memhub::MemServer;
use super::wire::{self, entity, Role};
use crate::areas::{area_id, Level};
use crate::clock::{Clock, ManualClock};
use crate::context::{Actor, Ctx};
use crate::requests::lifecycle::{self, Action, Position, Status};
use crate::requests::{self, NewRequest, Priority, Satisfaction, Step as RStep};
use crate::residents::{self, ResidentDraft, ResidentPatch};
use crate::store::Store;

#[path = "sim_volunteers.rs"]
mod volunteers;
#[cfg(test)]
pub(crate) use volunteers::lines as volunteer_lines;
pub use volunteers::VolStep;

pub const DEVICES: usize = 5;
const DISTRICT: &str = "本区";

/// One step of a script. Indices pick among what exists (modulo), so any numbers are valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Creates (or, if the device knows the person, edits) one of six people; two devices
    /// creating the same person is the overlapping-rosters case.
    Person {
        dev: u8,
        person: u8,
    },
    EditPhone {
        dev: u8,
        resident: u8,
        value: u8,
    },
    Request {
        dev: u8,
        resident: u8,
    },
    Act {
        dev: u8,
        request: u8,
        action: u8,
    },
    Priority {
        dev: u8,
        request: u8,
        level: u8,
    },
    Sync {
        dev: u8,
    },
    /// Takes a device off the network, or puts it back.
    Partition {
        dev: u8,
        offline: bool,
    },
    ServerDown(bool),
    /// The server applies the next push, then dies before it answers (the device never hears).
    LoseAck {
        dev: u8,
    },
    /// The server dies inside the next push, before it commits.
    CrashServer,
    /// A device's clock jumps, up to two days either way.
    Skew {
        dev: u8,
        hours: i8,
    },
    Wait {
        minutes: u16,
    },
    /// A volunteer step on a device: add, dispatch, record, confirm, redeem, correct.
    Vol {
        dev: u8,
        step: VolStep,
    },
}

/// How a script ended when it kept every promise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub ops: usize,
    pub applied: usize,
    pub rejected: usize,
    pub residents: usize,
    pub requests: usize,
    pub volunteers: usize,
    pub assignments: usize,
    /// Points entries the server kept.
    pub entries: usize,
}

/// Makes a script of `len` steps from a seed (the command line's generator); about a third
/// of its steps are volunteers'.
pub fn script(seed: u64, len: usize) -> Vec<Step> {
    generate(seed, len, true)
}

/// A script as the generator made them before volunteers existed: seeds found then replay.
pub fn requests_script(seed: u64, len: usize) -> Vec<Step> {
    generate(seed, len, false)
}

fn generate(seed: u64, len: usize, volunteers: bool) -> Vec<Step> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(len);
    for _ in 0..len {
        let dev = rng.gen_range(0..DEVICES as u8);
        if volunteers && rng.gen_range(0..3) == 0 {
            out.push(Step::Vol { dev, step: VolStep::of(rng.gen(), rng.gen(), rng.gen()) });
            continue;
        }
        out.push(match rng.gen_range(0..100) {
            0..=11 => Step::Person { dev, person: rng.gen() },
            12..=19 => Step::EditPhone { dev, resident: rng.gen(), value: rng.gen() },
            20..=31 => Step::Request { dev, resident: rng.gen() },
            32..=54 => Step::Act { dev, request: rng.gen(), action: rng.gen() },
            55..=59 => Step::Priority { dev, request: rng.gen(), level: rng.gen() },
            60..=77 => Step::Sync { dev },
            78..=83 => Step::Partition { dev, offline: rng.gen() },
            84..=85 => Step::ServerDown(rng.gen()),
            86..=88 => Step::LoseAck { dev },
            89..=90 => Step::CrashServer,
            91..=93 => Step::Skew { dev, hours: rng.gen_range(-48..=48) },
            _ => Step::Wait { minutes: rng.gen_range(1..600) },
        });
    }
    out
}

/// The network as one device sees it.
struct Net<'a> {
    server: &'a MemServer,
    offline: &'a Cell<bool>,
    down: &'a Cell<bool>,
    lose_ack: &'a Cell<bool>,
    crash: &'a Cell<bool>,
    last_push: &'a RefCell<Option<(String, wire::PushRequest)>>,
}

impl Net<'_> {
    fn reach(&self) -> Result<(), NetError> {
        if self.offline.get() || self.down.get() {
            return Err(NetError::Offline("partitioned".into()));
        }
        Ok(())
    }
}

impl Transport for Net<'_> {
    fn login(&self, req: &wire::LoginRequest) -> Result<wire::LoginResponse, NetError> {
        self.reach()?;
        self.server.login(req)
    }
    fn token(&self, req: &wire::TokenRequest) -> Result<wire::TokenResponse, NetError> {
        self.reach()?;
        self.server.token(req)
    }
    fn push(&self, access: &str, req: &wire::PushRequest) -> Result<wire::PushResponse, NetError> {
        self.reach()?;
        if self.crash.replace(false) {
            self.server.crash_next.set(true);
            self.down.set(true);
        }
        let r = self.server.push(access, req)?;
        *self.last_push.borrow_mut() = Some((access.to_owned(), req.clone()));
        if self.lose_ack.replace(false) {
            self.down.set(true);
            return Err(NetError::Offline("the server died before it answered".into()));
        }
        Ok(r)
    }
    fn pull(&self, access: &str, req: &wire::PullRequest) -> Result<wire::PullResponse, NetError> {
        self.reach()?;
        self.server.pull(access, req)
    }
}

struct Dev {
    store: Store,
    clock: ManualClock,
    offline: Cell<bool>,
    lose_ack: Cell<bool>,
    crash: Cell<bool>,
    last_push: RefCell<Option<(String, wire::PushRequest)>>,
}

fn idn(person: u8) -> String {
    let first17 = format!("33040219800101{:03}", person % 6);
    let digits: Vec<u32> = first17.chars().filter_map(|c| c.to_digit(10)).collect();
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = digits.iter().zip(W).map(|(d, w)| d * w).sum();
    let check = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize];
    format!("{first17}{check}")
}

fn pick(store: &Store, table: &str, n: u8) -> Option<String> {
    let sql = format!(
        "SELECT id FROM {table} WHERE {} ORDER BY id",
        if table == "residents" { "deleted = 0" } else { "1" }
    );
    let ids: Vec<String> = store
        .conn()
        .prepare(&sql)
        .ok()?
        .query_map([], |r| r.get(0))
        .ok()?
        .filter_map(std::result::Result::ok)
        .collect();
    (!ids.is_empty()).then(|| ids[n as usize % ids.len()].clone())
}

fn step_of(action: u8, n: u8) -> RStep {
    let grid = area_id(
        Some(&area_id(
            Some(&area_id(None, Level::District, DISTRICT)),
            Level::Community,
            "建设社区",
        )),
        Level::Grid,
        if n.is_multiple_of(2) { "1网格" } else { "2网格" },
    );
    match action % 12 {
        0 => RStep::Accept,
        1 => RStep::Assign { assignee: format!("志愿者{}", n % 3) },
        2 => RStep::Start,
        3 => RStep::Resolve { note: "办结".into() },
        4 => RStep::Close { satisfaction: Satisfaction::Satisfied, note: "回访".into() },
        5 => RStep::Reopen { reason: "居民又来电".into() },
        6 => RStep::Transfer { area_id: grid, reason: "不属本网格".into() },
        7 => RStep::Return { reason: "退单".into() },
        8 => RStep::Pause { reason: "等药".into() },
        9 => RStep::Resume,
        10 => RStep::Cancel { reason: "居民撤回".into() },
        _ => RStep::Reject { reason: "不属受理范围".into() },
    }
}

/// Runs a script and checks every promise; the error says which broke and where.
pub fn run(script: &[Step]) -> Result<Report, String> {
    let start = ManualClock::fixed().now().timestamp_millis();
    let mut server = MemServer::new(DISTRICT, start);
    for i in 0..=DEVICES {
        server.add_user(&format!("u{i}"), Role::DistrictSupervisor, None);
    }
    volunteers::seed(&server, &area_id(None, Level::District, DISTRICT));
    let down = Cell::new(false);
    let mut devs: Vec<Dev> = Vec::new();
    for i in 0..DEVICES {
        let mut store = Store::open_in_memory().map_err(|e| e.to_string())?;
        client::login(&mut store, &server, "mem://", &format!("u{i}"), &format!("u{i}"), "sim")
            .map_err(|e| e.to_string())?;
        devs.push(Dev {
            store,
            clock: ManualClock::fixed(),
            offline: Cell::new(false),
            lose_ack: Cell::new(false),
            crash: Cell::new(false),
            last_push: RefCell::new(None),
        });
    }
    // Every laptop holds the district's data before the script (its volunteers above all).
    for dv in &mut devs {
        sync(dv, &server, &down).map_err(|e| format!("first sync: {e}"))?;
    }
    let mut orders: HashMap<String, (u32, u8)> = HashMap::new();
    for (at, s) in script.iter().enumerate() {
        let d = |dev: &u8| *dev as usize % DEVICES;
        match s {
            Step::Person { dev, person } => {
                let dv = &mut devs[d(dev)];
                let draft = ResidentDraft {
                    name: format!("居民{}", person % 6),
                    id_number: Some(idn(*person)),
                    phone: Some("13800138000".into()),
                    community: Some("建设社区".into()),
                    grid: Some(if person.is_multiple_of(2) { "1网格" } else { "2网格" }.into()),
                    ..Default::default()
                };
                let _ = command(dv, |c| residents::create(c, draft).map(|_| ()));
            }
            Step::EditPhone { dev, resident, value } => {
                let dv = &mut devs[d(dev)];
                if let Some(id) = pick(&dv.store, "residents", *resident) {
                    let patch = ResidentPatch {
                        phone: Some(Some(format!("139000000{:02}", value % 100))),
                        ..Default::default()
                    };
                    let _ = command(dv, |c| residents::update(c, &id, patch).map(|_| ()));
                }
            }
            Step::Request { dev, resident } => {
                let dv = &mut devs[d(dev)];
                let rid = pick(&dv.store, "residents", *resident);
                let _ = command(dv, |c| {
                    requests::create(
                        c,
                        NewRequest {
                            resident_id: rid,
                            category: "medicine".into(),
                            description: "需要买药".into(),
                            ..Default::default()
                        },
                    )
                    .map(|_| ())
                });
            }
            Step::Act { dev, request, action } => {
                let dv = &mut devs[d(dev)];
                if let Some(id) = pick(&dv.store, "requests", *request) {
                    let _ = command(dv, |c| {
                        requests::act(c, &id, step_of(*action, *request)).map(|_| ())
                    });
                }
            }
            Step::Priority { dev, request, level } => {
                let dv = &mut devs[d(dev)];
                if let Some(id) = pick(&dv.store, "requests", *request) {
                    let p = [Priority::Urgent, Priority::High, Priority::Normal, Priority::Low]
                        [*level as usize % 4];
                    let _ =
                        command(dv, |c| requests::set_priority(c, &id, p, "电话核实").map(|_| ()));
                }
            }
            Step::Sync { dev } => {
                let dv = &mut devs[d(dev)];
                let _ = sync(dv, &server, &down);
                check_orders(&server, &mut orders).map_err(|e| format!("step {at}: {e}"))?;
                volunteers::check_server(&server).map_err(|e| format!("step {at}: {e}"))?;
            }
            Step::Vol { dev, step } => volunteers::run(&mut devs[d(dev)], at, *step),
            Step::Partition { dev, offline } => devs[d(dev)].offline.set(*offline),
            Step::ServerDown(b) => down.set(*b),
            Step::LoseAck { dev } => devs[d(dev)].lose_ack.set(true),
            Step::CrashServer => devs.iter().for_each(|dv| dv.crash.set(true)),
            Step::Skew { dev, hours } => {
                devs[d(dev)].clock.advance_ms(i64::from(*hours) * 3_600_000)
            }
            Step::Wait { minutes } => {
                for dv in &devs {
                    dv.clock.advance_ms(i64::from(*minutes) * 60_000);
                }
                server.now_ms.set(server.now_ms.get() + i64::from(*minutes) * 60_000);
            }
        }
    }
    // Heal: everyone back, every device syncs until nothing moves.
    down.set(false);
    for dv in &devs {
        dv.offline.set(false);
        dv.lose_ack.set(false);
        dv.crash.set(false);
    }
    server.crash_next.set(false);
    for round in 0..4 {
        for (i, dv) in devs.iter_mut().enumerate() {
            sync(dv, &server, &down)
                .map_err(|e| format!("healing round {round}, device {i}: {e}"))?;
        }
        check_orders(&server, &mut orders)?;
    }
    volunteers::check_server(&server)?;
    verify(&server, &mut devs)
}

fn command(dv: &mut Dev, f: impl FnOnce(&mut Ctx<'_>) -> crate::Result<()>) -> crate::Result<()> {
    let actor = Actor::current(&dv.store);
    let mut ctx = Ctx::new(&mut dv.store, &dv.clock, &actor);
    f(&mut ctx)
}

fn sync(dv: &mut Dev, server: &MemServer, down: &Cell<bool>) -> crate::Result<client::SyncReport> {
    let net = Net {
        server,
        offline: &dv.offline,
        down,
        lose_ack: &dv.lose_ack,
        crash: &dv.crash,
        last_push: &dv.last_push,
    };
    client::sync(&mut dv.store, &dv.clock, &net, &mut |_| {})
}

/// No request's (round, rank) on the server ever goes down.
fn check_orders(server: &MemServer, seen: &mut HashMap<String, (u32, u8)>) -> Result<(), String> {
    let hub = server.hub.borrow();
    for s in hub.rows() {
        if s.row.entity != entity::REQUEST {
            continue;
        }
        let pos = position(&s.row.fields);
        let now = pos.order();
        if let Some(before) = seen.insert(s.row.id.clone(), now) {
            if now < before {
                return Err(format!("request {} went from {before:?} down to {now:?}", s.row.id));
            }
        }
    }
    Ok(())
}

fn position(f: &serde_json::Map<String, Value>) -> Position {
    Position {
        status: f
            .get("status")
            .and_then(Value::as_str)
            .and_then(Status::parse)
            .unwrap_or(Status::New),
        round: f.get("round").and_then(Value::as_u64).unwrap_or(1) as u32,
        paused: f.get("paused").and_then(Value::as_bool).unwrap_or(false),
    }
}

/// What a device holds, as comparable lines.
pub fn snapshot(store: &Store) -> Vec<String> {
    let conn = store.conn();
    let mut out = Vec::new();
    for sql in [
        "SELECT 'r|' || id || '|' || name || '|' || ifnull(id_number,'') || '|' || ifnull(phone,'') || '|' || deleted FROM residents ORDER BY id",
        "SELECT 'q|' || id || '|' || ifnull(resident_id,'') || '|' || status || '|' || round || '|' || ifnull(assignee,'') || '|' || priority || '|' || paused || '|' || ifnull((SELECT id FROM areas WHERE rid = area_rid),'') FROM requests ORDER BY id",
        "SELECT 'e|' || id || '|' || request_id || '|' || kind || '|' || round FROM request_events ORDER BY id",
    ] {
        let mut stmt = conn.prepare(sql).expect("snapshot query");
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).expect("snapshot rows");
        out.extend(rows.filter_map(std::result::Result::ok));
    }
    out.extend(volunteers::lines(conn));
    out
}

fn verify(server: &MemServer, devs: &mut [Dev]) -> Result<Report, String> {
    // The server's state as a new device receives it.
    let mut fresh = Store::open_in_memory().map_err(|e| e.to_string())?;
    let clock = ManualClock::fixed();
    client::login(
        &mut fresh,
        server,
        "mem://",
        &format!("u{DEVICES}"),
        &format!("u{DEVICES}"),
        "observer",
    )
    .map_err(|e| e.to_string())?;
    client::sync(&mut fresh, &clock, server, &mut |_| {}).map_err(|e| e.to_string())?;
    let truth = snapshot(&fresh);
    let mut made = 0usize;
    for (i, dv) in devs.iter().enumerate() {
        let mine = snapshot(&dv.store);
        if mine != truth {
            let diff: Vec<_> = mine.iter().filter(|l| !truth.contains(l)).take(3).collect();
            let missing: Vec<_> = truth.iter().filter(|l| !mine.contains(l)).take(3).collect();
            return Err(format!(
                "device {i} differs from the server: has {diff:?}, lacks {missing:?}"
            ));
        }
        let stats = dv.store.stats().map_err(|e| e.to_string())?;
        if stats.outbox != 0 {
            return Err(format!("device {i} still has {} ops waiting", stats.outbox));
        }
        volunteers::check_device(&dv.store).map_err(|e| format!("device {i}: {e}"))?;
        let check = crate::write::verify_audit_chain(&dv.store).map_err(|e| e.to_string())?;
        if check.broken_at.is_some() {
            return Err(format!("device {i}'s audit chain breaks at {:?}", check.broken_at));
        }
        made += dv
            .store
            .conn()
            .query_row("SELECT count(*) FROM sync_outcomes", [], |r| r.get::<_, i64>(0))
            .map_err(|e| e.to_string())? as usize;
    }
    let hub = server.hub.borrow();
    if !hub.chain_ok() {
        return Err("the server's audit chain does not verify".into());
    }
    let log = hub.log();
    let mut per_op: BTreeMap<&str, usize> = BTreeMap::new();
    for (id, _) in &log {
        *per_op.entry(id).or_default() += 1;
    }
    if let Some((id, n)) = per_op.iter().find(|(_, n)| **n != 1) {
        return Err(format!("op {id} has {n} outcomes"));
    }
    if per_op.len() != made {
        return Err(format!("devices made {made} ops, the server decided {}", per_op.len()));
    }
    // One person per identity number.
    let mut people: HashMap<String, usize> = HashMap::new();
    for s in hub.rows() {
        if s.row.entity == entity::RESIDENT && !s.row.deleted {
            if let Some(k) = s.row.str("id_number") {
                *people.entry(k.to_owned()).or_default() += 1;
            }
        }
    }
    if let Some((k, n)) = people.iter().find(|(_, n)| **n > 1) {
        return Err(format!(
            "{n} live residents share the identity number ending {}",
            &k[k.len().saturating_sub(4)..]
        ));
    }
    // Every request's history is a legal walk of the state machine in the server's order.
    let mut events: BTreeMap<String, Vec<(i64, String, u32)>> = BTreeMap::new();
    for s in hub.rows() {
        if s.row.entity == entity::REQUEST_EVENT {
            let r = s.row.str("request_id").unwrap_or_default().to_owned();
            let round = s.row.fields.get("round").and_then(Value::as_u64).unwrap_or(1) as u32;
            events.entry(r).or_default().push((
                s.row.version,
                s.row.str("kind").unwrap_or_default().to_owned(),
                round,
            ));
        }
    }
    let mut requests = 0;
    for s in hub.rows().into_iter().filter(|s| s.row.entity == entity::REQUEST) {
        requests += 1;
        let mut evs = events.remove(&s.row.id).unwrap_or_default();
        evs.sort();
        let mut pos = Position::START;
        for (_, kind, round) in &evs {
            let Some(action) = Action::parse(kind) else { continue };
            pos = lifecycle::next(pos, action).map_err(|e| {
                format!("request {}: the server let “{kind}” through illegally: {e}", s.row.id)
            })?;
            if pos.round != *round {
                return Err(format!(
                    "request {}: event {kind} says round {round}, the walk {}",
                    s.row.id, pos.round
                ));
            }
        }
        if pos != position(&s.row.fields) {
            return Err(format!(
                "request {}: the row says {:?}, its events {pos:?}",
                s.row.id,
                position(&s.row.fields)
            ));
        }
    }
    let rejected = log.iter().filter(|(_, o)| matches!(o, wire::Outcome::Rejected { .. })).count();
    drop(hub);
    let (volunteers, assignments, entries) = volunteers::figures(server);
    let report = Report {
        ops: made,
        applied: log.len() - rejected,
        rejected,
        residents: people.len(),
        requests,
        volunteers,
        assignments,
        entries,
    };
    // A replayed push changes nothing.
    for dv in devs.iter() {
        if let Some((access, req)) = dv.last_push.borrow().clone() {
            let before = server.hub.borrow().version();
            server.push(&access, &req).map_err(|e| format!("replayed push failed: {e}"))?;
            if server.hub.borrow().version() != before {
                return Err("a replayed push changed the server".into());
            }
        }
    }
    // A replayed pull changes nothing.
    if let Some(dv) = devs.first_mut() {
        let before = snapshot(&dv.store);
        dv.store
            .conn()
            .execute("UPDATE sync_state SET cursor = 0", [])
            .map_err(|e| e.to_string())?;
        client::sync(&mut dv.store, &dv.clock, server, &mut |_| {}).map_err(|e| e.to_string())?;
        if snapshot(&dv.store) != before {
            return Err("pulling everything again changed a device".into());
        }
    }
    Ok(report)
}
