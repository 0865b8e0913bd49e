//! The volunteer half of the sync simulation (`sim`): steps that add volunteers, dispatch them,
//! record how it went, confirm, redeem and correct points on any device, and the promises of
//! docs/sync.md for volunteers, checked on the server after every sync and on every device once
//! the network healed: nobody is booked beyond capacity or into a clashing planned slot, one
//! volunteer at a time per request, a balance that is the sum of its entries and never below
//! zero, no day earning more than the cap, and the server's own counts (`volunteer_state`)
//! equal to its rows.

use std::collections::{BTreeMap, HashMap};

use rusqlite::Connection;
use serde_json::{json, Value};

use super::Dev;
use crate::clock::Clock;
use crate::store::Store;
use crate::sync::hub::HubTx;
use crate::sync::memhub::MemServer;
use crate::sync::wire::{entity, Row, Stamp};
use crate::volunteers::assignment::{self, AssignInput, AssignmentStatus, Move};
use crate::volunteers::{self, points, Health, VolunteerDraft, VolunteerPatch};

/// The district's daily cap in every script: low, so a second task of a day is clamped and a
/// third dropped (a medicine run is worth 8).
pub const CAP: i64 = 12;
const SHOP: &str = "sim-shop";

/// One volunteer step. Indices pick among what the device holds (modulo), as in `sim::Step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolStep {
    Create {
        capacity: u8,
    },
    /// Health between well and isolating: a volunteer's own field, merged by last writer.
    Health {
        volunteer: u8,
        well: bool,
    },
    /// `slot` 0: a task from now; otherwise a planned slot of 1–2 hours within the next few.
    Assign {
        request: u8,
        volunteer: u8,
        slot: u8,
    },
    Record {
        assignment: u8,
        what: u8,
    },
    Confirm {
        assignment: u8,
    },
    Redeem {
        volunteer: u8,
        amount: u8,
    },
    Correct {
        volunteer: u8,
        amount: i8,
    },
}

impl VolStep {
    /// Any three numbers make a step: the seeded generator and proptest both draw them.
    pub fn of(kind: u8, a: u8, b: u8) -> VolStep {
        match kind % 16 {
            0 | 1 => VolStep::Create { capacity: a % 3 + 1 },
            2 => VolStep::Health { volunteer: a, well: !b.is_multiple_of(3) },
            3..=7 => VolStep::Assign { request: a, volunteer: b, slot: kind / 16 },
            8..=11 => VolStep::Record { assignment: a, what: b },
            12 | 13 => VolStep::Confirm { assignment: a },
            14 => VolStep::Redeem { volunteer: a, amount: b % 12 + 1 },
            _ => VolStep::Correct { volunteer: a, amount: (b % 21) as i8 - 6 },
        }
    }
}

/// What the district office set up before the lockdown, on the server (every device pulls it
/// before the script starts): the daily cap, a partner shop and four volunteers, one or two
/// tasks at a time.
pub(super) fn seed(server: &MemServer, root: &str) {
    let stamp = Stamp(1, "district-office".into());
    let mut hub = server.hub.borrow_mut();
    let cap = Row::new(entity::DISTRICT_SETTING, "points_daily_cap", stamp.clone())
        .with("value", CAP.to_string());
    let shop = Row::new(entity::SHOP, SHOP, stamp.clone())
        .with("name", "惠民超市")
        .with("address", "")
        .with("active", true);
    for row in [cap, shop] {
        hub.put(&row, "", None).expect("seed the district's settings");
    }
    for (n, capacity) in [1, 1, 2, 3].into_iter().enumerate() {
        let v = Row::new(
            entity::VOLUNTEER,
            format!("00000000-0000-7000-8000-00000000000{n}"),
            stamp.clone(),
        )
        .with("name", format!("老志愿者{n}"))
        .with("phone", format!("1380000000{n}"))
        .with("skills", json!([]))
        .with("availability", json!({ "slots": [], "exceptions": [] }))
        .with("capacity", capacity)
        .with("health", "well")
        .with("active", true)
        .with("created_at", "2026-02-01T00:00:00.000Z")
        .with("updated_at", "2026-02-01T00:00:00.000Z");
        hub.put(&v, &format!("/{root}/"), None).expect("seed a volunteer");
    }
}

fn ids(store: &Store, sql: &str) -> Vec<String> {
    let Ok(mut stmt) = store.conn().prepare(sql) else { return Vec::new() };
    let Ok(rows) = stmt.query_map([], |r| r.get(0)) else { return Vec::new() };
    rows.filter_map(std::result::Result::ok).collect()
}

fn pick(store: &Store, sql: &str, n: u8) -> Option<String> {
    let all = ids(store, sql);
    (!all.is_empty()).then(|| all[n as usize % all.len()].clone())
}

const VOLUNTEERS: &str = "SELECT id FROM volunteers WHERE deleted = 0 ORDER BY id";
/// Requests a volunteer can be sent to, as the device sees them (others would only be
/// refused by the device itself, which tests nothing of sync).
const OPEN: &str = "SELECT id FROM requests WHERE status IN ('new', 'accepted') ORDER BY id";
const ACTIVE: &str =
    "SELECT id FROM assignments WHERE status IN ('proposed', 'accepted', 'started') ORDER BY id";
const UNCONFIRMED: &str =
    "SELECT id FROM assignments WHERE status = 'done' AND confirmed_by IS NULL ORDER BY id";
/// What officials record, done the most often (points follow only a task done).
const MOVES: [Move; 8] = [
    Move::Accept,
    Move::Start,
    Move::Done,
    Move::Done,
    Move::NoShow,
    Move::Decline,
    Move::Release,
    Move::Cancel,
];

/// Runs one step on a device; a command the device refuses is simply not done.
pub(super) fn run(dv: &mut Dev, n: usize, step: VolStep) {
    let vol = |dv: &Dev, k: u8| pick(&dv.store, VOLUNTEERS, k);
    match step {
        VolStep::Create { capacity } => {
            let draft = VolunteerDraft {
                name: format!("志愿者{n}"),
                phone: Some(format!("1391234{:04}", n % 10_000)),
                capacity: u32::from(capacity),
                ..VolunteerDraft::default()
            };
            let _ = super::command(dv, |c| volunteers::create(c, draft).map(|_| ()));
        }
        VolStep::Health { volunteer, well } => {
            if let Some(id) = vol(dv, volunteer) {
                let health = if well { Health::Well } else { Health::Isolating };
                let patch = VolunteerPatch { health: Some(health), ..VolunteerPatch::default() };
                let _ = super::command(dv, |c| volunteers::update(c, &id, patch).map(|_| ()));
            }
        }
        VolStep::Assign { request, volunteer, slot } => {
            let (Some(request_id), Some(volunteer_id)) =
                (pick(&dv.store, OPEN, request), vol(dv, volunteer))
            else {
                return;
            };
            // Planned slots within the next few hours, often overlapping each other and the
            // tasks "from now" (1 h 30 for a medicine run).
            let hour = 3_600_000;
            let now = dv.clock.now().timestamp_millis();
            let slot = (slot % 4 != 0).then(|| {
                let from = now - now % hour + i64::from(slot / 4 % 3) * hour;
                (from, from + i64::from(slot % 4) * hour / 2 + hour / 2)
            });
            let input = AssignInput { request_id, volunteer_id, slot, note: None };
            let _ = super::command(dv, |c| assignment::assign(c, input).map(|_| ()));
        }
        VolStep::Record { assignment: a, what } => {
            if let Some(id) = pick(&dv.store, ACTIVE, a) {
                let m = MOVES[what as usize % MOVES.len()];
                let note = Some(format!("sim {n}"));
                let _ = super::command(dv, |c| assignment::record(c, &id, m, note).map(|_| ()));
            }
        }
        VolStep::Confirm { assignment: a } => {
            if let Some(id) = pick(&dv.store, UNCONFIRMED, a) {
                let _ = super::command(dv, |c| assignment::confirm(c, &id).map(|_| ()));
            }
        }
        VolStep::Redeem { volunteer, amount } => {
            if let Some(id) = vol(dv, volunteer) {
                let amount = u32::from(amount);
                let _ =
                    super::command(dv, |c| points::redeem(c, &id, SHOP, amount, "").map(|_| ()));
            }
        }
        VolStep::Correct { volunteer, amount } => {
            if let Some(id) = vol(dv, volunteer) {
                let _ = super::command(dv, |c| {
                    points::correct(c, &id, i64::from(amount), "核对").map(|_| ())
                });
            }
        }
    }
}

/// A device's volunteers, assignments and ledger as comparable lines (every synced field).
pub(crate) fn lines(conn: &Connection) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT 'v|' || id || '|' || name || '|' || ifnull(phone,'') || '|' || capacity || '|' || health || '|' || active || '|' || deleted || '|' || skills || '|' || availability || '|' || ifnull((SELECT id FROM areas WHERE rid = area_rid),'') FROM volunteers ORDER BY id",
        "SELECT 'a|' || id || '|' || request_id || '|' || volunteer_id || '|' || status || '|' || planned || '|' || window_from || '|' || window_to || '|' || assigned_at || '|' || assigned_by || '|' || progress_at || '|' || ifnull(accepted_at,'') || '|' || ifnull(started_at,'') || '|' || ifnull(done_at,'') || '|' || ifnull(ended_at,'') || '|' || late || '|' || ifnull(confirmed_by,'') || '|' || ifnull(confirmed_at,'') || '|' || ifnull(note,'') FROM assignments ORDER BY id",
        "SELECT 'p|' || id || '|' || volunteer_id || '|' || kind || '|' || amount || '|' || day || '|' || ifnull(assignment_id,'') || '|' || ifnull(shop_id,'') || '|' || ifnull(voucher,'') || '|' || note || '|' || at || '|' || actor_name FROM points_ledger ORDER BY id",
    ] {
        let mut stmt = conn.prepare(sql).expect("volunteer snapshot query");
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).expect("volunteer snapshot rows");
        out.extend(rows.filter_map(std::result::Result::ok));
    }
    out
}

/// An active assignment: (id, request, window from, to, planned).
type Booking = (String, String, i64, i64, bool);

/// What the promises are checked on, from the server's rows or a device's tables.
#[derive(Default)]
struct Book {
    capacity: BTreeMap<String, i64>,
    active: BTreeMap<String, Vec<Booking>>,
    /// Volunteer → entries (order, kind, amount, day) in the order they were decided.
    ledger: BTreeMap<String, Vec<(i64, String, i64, String)>>,
}

impl Book {
    /// Every promise but the server's own counts; `cap` is the district's daily cap.
    fn check(&self, cap: i64) -> Result<(), String> {
        let mut per_request: HashMap<&str, usize> = HashMap::new();
        for (vol, active) in &self.active {
            let capacity = self.capacity.get(vol).copied().unwrap_or(1);
            if active.len() as i64 > capacity {
                return Err(format!(
                    "volunteer {vol} holds {} active assignments, capacity {capacity}",
                    active.len()
                ));
            }
            for (i, a) in active.iter().enumerate() {
                *per_request.entry(&a.1).or_default() += 1;
                for b in &active[i + 1..] {
                    if assignment::clash((a.2, a.3, a.4), (b.2, b.3, b.4)) {
                        return Err(format!(
                            "volunteer {vol} is double-booked: {} {:?} and {} {:?}",
                            a.0,
                            (a.2, a.3, a.4),
                            b.0,
                            (b.2, b.3, b.4)
                        ));
                    }
                }
            }
        }
        if let Some((r, n)) = per_request.iter().find(|(_, n)| **n > 1) {
            return Err(format!("request {r} has {n} volunteers on it at once"));
        }
        for (vol, entries) in &self.ledger {
            let mut sorted = entries.clone();
            sorted.sort();
            let mut balance = 0;
            let mut days: BTreeMap<&str, i64> = BTreeMap::new();
            for (_, kind, amount, day) in &sorted {
                balance += amount;
                if balance < 0 {
                    return Err(format!("volunteer {vol}'s balance went down to {balance}"));
                }
                if kind == "earn" {
                    let d = days.entry(day).or_default();
                    *d += amount;
                    if *d > cap {
                        return Err(format!("volunteer {vol} earned {d} points on {day}"));
                    }
                }
            }
        }
        Ok(())
    }
}

fn int(f: &serde_json::Map<String, Value>, k: &str) -> i64 {
    f.get(k).and_then(Value::as_i64).unwrap_or(0)
}

fn text(f: &serde_json::Map<String, Value>, k: &str) -> String {
    f.get(k).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// The promises on the server's rows, and its `volunteer_state` rows equal to what they count.
pub(super) fn check_server(server: &MemServer) -> Result<(), String> {
    let hub = server.hub.borrow();
    let mut book = Book::default();
    let mut states = BTreeMap::new();
    for s in hub.rows() {
        let f = &s.row.fields;
        match s.row.entity.as_str() {
            entity::VOLUNTEER => {
                book.capacity.insert(s.row.id.clone(), int(f, "capacity").max(1));
            }
            entity::ASSIGNMENT => {
                let status = AssignmentStatus::parse(&text(f, "status"));
                if status.is_some_and(AssignmentStatus::is_active) {
                    book.active.entry(text(f, "volunteer_id")).or_default().push((
                        s.row.id.clone(),
                        text(f, "request_id"),
                        int(f, "window_from"),
                        int(f, "window_to"),
                        f.get("planned").and_then(Value::as_bool).unwrap_or(false),
                    ));
                }
            }
            entity::POINTS_ENTRY => {
                book.ledger.entry(text(f, "volunteer_id")).or_default().push((
                    s.row.version,
                    text(f, "kind"),
                    int(f, "amount"),
                    text(f, "day"),
                ));
            }
            entity::VOLUNTEER_STATE => {
                states.insert(s.row.id.clone(), f.clone());
            }
            _ => {}
        }
    }
    book.check(CAP).map_err(|e| format!("on the server: {e}"))?;
    // The server decides from its counts: they must be what its rows say.
    let vols: std::collections::BTreeSet<&String> =
        book.active.keys().chain(book.ledger.keys()).chain(states.keys()).collect();
    for vol in vols {
        let empty = serde_json::Map::new();
        let st = states.get(vol).unwrap_or(&empty);
        let mut booked: Vec<(String, Value)> = st
            .get("bookings")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        booked.sort_by(|a, b| a.0.cmp(&b.0));
        let mut rows: Vec<(String, Value)> = book
            .active
            .get(vol)
            .map(|v| v.iter().map(|b| (b.0.clone(), json!([b.2, b.3, b.4]))).collect())
            .unwrap_or_default();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        if booked != rows {
            return Err(format!(
                "the server counts volunteer {vol} booked for {booked:?}, its assignments say {rows:?}"
            ));
        }
        let entries = book.ledger.get(vol).cloned().unwrap_or_default();
        let sum: i64 = entries.iter().map(|e| e.2).sum();
        if int(st, "balance") != sum {
            return Err(format!(
                "the server counts volunteer {vol}'s balance {}, the ledger sums to {sum}",
                int(st, "balance")
            ));
        }
        let mut per_day: BTreeMap<String, i64> = BTreeMap::new();
        for (_, kind, amount, day) in &entries {
            if kind == "earn" {
                *per_day.entry(day.clone()).or_default() += amount;
            }
        }
        if let Some(earned) = st.get("earned").and_then(Value::as_object) {
            for (day, n) in earned {
                let rows = per_day.get(day).copied().unwrap_or(0);
                if n.as_i64() != Some(rows) {
                    return Err(format!(
                        "the server counts volunteer {vol} earning {n} on {day}, the ledger {rows}"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The promises on a device's tables (once it converged: before, its own unsent work and the
/// server's may add up to what the server will refuse).
pub(super) fn check_device(store: &Store) -> Result<(), String> {
    let conn = store.conn();
    let mut book = Book::default();
    let q = |sql: &str| -> rusqlite::Result<Vec<Vec<rusqlite::types::Value>>> {
        let mut stmt = conn.prepare(sql)?;
        let n = stmt.column_count();
        let rows = stmt.query_map([], |r| (0..n).map(|i| r.get(i)).collect())?;
        rows.collect()
    };
    use rusqlite::types::Value as V;
    let s = |v: &V| match v {
        V::Text(t) => t.clone(),
        V::Integer(i) => i.to_string(),
        _ => String::new(),
    };
    let i = |v: &V| match v {
        V::Integer(i) => *i,
        _ => 0,
    };
    let err = |e: rusqlite::Error| e.to_string();
    for r in q("SELECT id, capacity FROM volunteers WHERE deleted = 0").map_err(err)? {
        book.capacity.insert(s(&r[0]), i(&r[1]));
    }
    for r in
        q("SELECT id, request_id, volunteer_id, window_from, window_to, planned FROM assignments
                WHERE status IN ('proposed', 'accepted', 'started')")
        .map_err(err)?
    {
        book.active.entry(s(&r[2])).or_default().push((
            s(&r[0]),
            s(&r[1]),
            i(&r[3]),
            i(&r[4]),
            i(&r[5]) != 0,
        ));
    }
    for r in q("SELECT volunteer_id, rid, kind, amount, day FROM points_ledger").map_err(err)? {
        book.ledger.entry(s(&r[0])).or_default().push((i(&r[1]), s(&r[2]), i(&r[3]), s(&r[4])));
    }
    let cap = i64::from(
        crate::volunteers::refdata::settings_in(conn).map_err(|e| e.to_string())?.points_daily_cap,
    );
    book.check(cap)?;
    // The balance a volunteer's page shows is the sum of the ledger's entries.
    for (vol, entries) in &book.ledger {
        let shown = points::balance_in(conn, vol).map_err(|e| e.to_string())?;
        if shown != entries.iter().map(|e| e.2).sum::<i64>() {
            return Err(format!("volunteer {vol}'s balance {shown} is not its ledger's sum"));
        }
    }
    Ok(())
}

/// Volunteer figures for the report: (volunteers, assignments, ledger entries) on the server.
pub(super) fn figures(server: &MemServer) -> (usize, usize, usize) {
    let hub = server.hub.borrow();
    let count = |e: &str| hub.rows().iter().filter(|s| s.row.entity == e).count();
    (count(entity::VOLUNTEER), count(entity::ASSIGNMENT), count(entity::POINTS_ENTRY))
}
