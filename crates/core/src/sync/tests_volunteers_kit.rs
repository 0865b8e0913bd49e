//! What the volunteer sync tests (`tests_volunteers`, `tests_volunteers_gaps`) build on: a
//! server with three officials, two laptops logged in to it, volunteers, accepted requests,
//! tasks, a shop and the daily cap set through the commands, and what the server and the
//! laptops hold read back for the assertions.

use serde_json::Value;

use super::memhub::MemServer;
use super::tests::{snapshot, Device};
use super::wire::{entity, Role, Row};
use crate::clock::{Clock, ManualClock};
use crate::requests::{self, NewRequest, Step};
use crate::store::Store;
use crate::volunteers::assignment::{self, AssignInput, Move};
use crate::volunteers::points;
use crate::volunteers::refdata::{self, Shop, VolunteerSettings};
use crate::volunteers::{self, VolunteerDraft};

pub(super) fn server() -> MemServer {
    let mut s = MemServer::new("本区", ManualClock::fixed().now().timestamp_millis());
    for u in ["alice", "bob", "carol"] {
        s.add_user(u, Role::DistrictSupervisor, None);
    }
    s
}

pub(super) fn draft(name: &str, capacity: u32) -> VolunteerDraft {
    VolunteerDraft {
        name: name.into(),
        phone: Some("13912340001".into()),
        capacity,
        ..VolunteerDraft::default()
    }
}

pub(super) fn volunteer(d: &mut Device, name: &str, capacity: u32) -> String {
    d.ctx(|c| volunteers::create(c, draft(name, capacity))).expect("volunteer").id
}

pub(super) fn request_input() -> NewRequest {
    NewRequest {
        category: "medicine".into(),
        description: "需要买降压药".into(),
        ..NewRequest::default()
    }
}

/// A medicine run (worth 8 points), accepted.
pub(super) fn request(d: &mut Device) -> String {
    let id = d.ctx(|c| requests::create(c, request_input())).expect("request").id;
    d.ctx(|c| requests::act(c, &id, Step::Accept)).expect("accept");
    id
}

pub(super) fn assign(d: &mut Device, request: &str, volunteer: &str) -> crate::Result<String> {
    let input = AssignInput {
        request_id: request.into(),
        volunteer_id: volunteer.into(),
        slot: None,
        note: None,
    };
    d.ctx(|c| assignment::assign(c, input)).map(|a| a.id)
}

pub(super) fn record(d: &mut Device, id: &str, m: Move) -> crate::Result<()> {
    d.ctx(|c| assignment::record(c, id, m, Some("电话核实".into()))).map(|_| ())
}

/// The server's live rows of one entity.
pub(super) fn on_server(s: &MemServer, e: &str) -> Vec<Row> {
    s.hub.borrow().rows().iter().filter(|r| r.row.entity == e).map(|r| r.row.clone()).collect()
}

pub(super) fn state(s: &MemServer, volunteer: &str) -> serde_json::Map<String, Value> {
    s.hub
        .borrow()
        .rows()
        .iter()
        .find(|r| r.row.entity == entity::VOLUNTEER_STATE && r.row.id == volunteer)
        .map(|r| r.row.fields.clone())
        .unwrap_or_default()
}

/// Everything a laptop holds, volunteers, assignments and the ledger included.
pub(super) fn all(store: &Store) -> Vec<String> {
    let mut out = snapshot(store);
    out.extend(super::sim::volunteer_lines(store.conn()));
    out
}

pub(super) fn refused(store: &Store) -> Vec<(String, String)> {
    let mut stmt = store
        .conn()
        .prepare("SELECT kind, reason FROM sync_outcomes WHERE outcome = 'rejected' ORDER BY seq")
        .expect("prepare");
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("query");
    rows.collect::<Result<_, _>>().expect("rows")
}

pub(super) fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).expect("count")
}

/// The ledger's sum on the server, the server's own count and every laptop's balance agree,
/// and none is below zero; returns it.
pub(super) fn balances_agree(s: &MemServer, volunteer: &str, laptops: &[&Device]) -> i64 {
    let sum: i64 = on_server(s, entity::POINTS_ENTRY)
        .iter()
        .filter(|e| e.str("volunteer_id") == Some(volunteer))
        .map(|e| e.fields["amount"].as_i64().expect("amount"))
        .sum();
    assert_eq!(state(s, volunteer)["balance"].as_i64(), Some(sum), "the server counts its ledger");
    assert!(sum >= 0);
    for d in laptops {
        assert_eq!(points::balance(&d.store, volunteer).expect("balance"), sum);
        for e in points::ledger(&d.store, Some(volunteer)).expect("ledger") {
            assert!(e.balance >= 0, "a running balance below zero: {e:?}");
        }
    }
    sum
}

/// A server and two laptops logged in to it, alice's (`a`) and bob's (`b`).
pub(super) fn two_laptops() -> (MemServer, Device, Device) {
    let server = server();
    let a = Device::new(&server, "alice");
    let b = Device::new(&server, "bob");
    (server, a, b)
}

/// A syncs, then B: B holds what A recorded before.
pub(super) fn sync_both(server: &MemServer, a: &mut Device, b: &mut Device) {
    a.sync(server).expect("a");
    b.sync(server).expect("b");
}

/// A volunteer (one task at a time) sent to a new accepted request: (volunteer, request, task).
pub(super) fn one_task(d: &mut Device, name: &str) -> (String, String, String) {
    let vol = volunteer(d, name, 1);
    let r = request(d);
    let t = assign(d, &r, &vol).expect("assign");
    (vol, r, t)
}

/// `n` tasks of one volunteer, each on a new accepted request, each recorded done if `done`.
pub(super) fn tasks(d: &mut Device, vol: &str, n: usize, done: bool) -> Vec<String> {
    (0..n)
        .map(|_| {
            let r = request(d);
            let t = assign(d, &r, vol).expect("assign");
            if done {
                record(d, &t, Move::Done).expect("done");
            }
            t
        })
        .collect()
}

/// Points a volunteer may earn a day (`stale_minutes` as the default).
pub(super) fn daily_cap(d: &mut Device, cap: u32) {
    d.ctx(|c| {
        refdata::set_settings(c, VolunteerSettings { points_daily_cap: cap, stale_minutes: 120 })
    })
    .expect("cap");
}

/// A shop where points are redeemed; its id.
pub(super) fn shop(d: &mut Device, name: &str) -> String {
    let shop = Shop { id: String::new(), name: name.into(), address: String::new(), active: true };
    d.ctx(|c| refdata::set_shop(c, shop)).expect("shop").id
}
