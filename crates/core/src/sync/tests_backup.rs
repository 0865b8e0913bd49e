//! A laptop's backup restored on another store (issue 7): the restored store sends the work
//! the backup held under a new site id, the server applies each op once whoever sends it
//! first, and both stores end with the server's rows.

use std::collections::HashSet;
use std::path::Path;

use super::client;
use super::memhub::MemServer;
use super::tests::{person, snapshot};
use super::wire::{entity, Outcome, Role};
use crate::clock::{Clock, ManualClock};
use crate::context::{Actor, Ctx};
use crate::requests::{self, NewRequest};
use crate::residents;
use crate::store::{backup, Store, StoreKey};

const PASS: &str = "passphrase for moving laptops";

fn ctx<T>(store: &mut Store, clock: &ManualClock, f: impl FnOnce(&mut Ctx<'_>) -> T) -> T {
    let actor = Actor::current(store);
    f(&mut Ctx::new(store, clock, &actor))
}

fn add_people(store: &mut Store, clock: &ManualClock, from: u32, n: u32) -> Vec<String> {
    (from..from + n)
        .map(|i| {
            ctx(store, clock, |c| residents::create(c, person(&format!("居民{i}"), None)))
                .expect("resident")
                .id
        })
        .collect()
}

fn add_request(store: &mut Store, clock: &ManualClock, resident: &str) {
    ctx(store, clock, |c| {
        requests::create(
            c,
            NewRequest {
                resident_id: Some(resident.to_owned()),
                category: "supplies".into(),
                description: "封控期间需要代买米面".into(),
                ..Default::default()
            },
        )
    })
    .expect("request");
}

/// Every op id this store's own audit log names (each command audits its op).
fn audited_ops(store: &Store) -> HashSet<String> {
    let mut stmt =
        store.conn().prepare("SELECT op_id FROM audit_log WHERE op_id IS NOT NULL").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
}

fn open(dir: &Path, key: &StoreKey) -> Store {
    Store::open(&dir.join("jiayuan.db"), Some(key)).expect("store")
}

#[test]
fn a_restored_backup_converges_with_the_server_with_nothing_lost_or_doubled() {
    let clock = ManualClock::fixed();
    let mut server = MemServer::new("本区", clock.now().timestamp_millis());
    server.add_user("alice", Role::DistrictSupervisor, None);
    let (dir_a, key_a) = (tempfile::tempdir().unwrap(), StoreKey::random());
    let mut a = open(dir_a.path(), &key_a);
    client::login(&mut a, &server, "mem://", "alice", "alice", "old laptop").expect("login");

    // Synced work, then a lockdown's worth offline: more ops than one push carries.
    let synced = add_people(&mut a, &clock, 0, 3);
    add_request(&mut a, &clock, &synced[0]);
    client::sync(&mut a, &clock, &server, &mut |_| {}).expect("first sync");
    let offline = add_people(&mut a, &clock, 100, 520);
    add_request(&mut a, &clock, &offline[0]);
    add_request(&mut a, &clock, &offline[519]);
    ctx(&mut a, &clock, |c| {
        let phone = residents::ResidentPatch {
            phone: Some(Some("13900001111".into())),
            ..Default::default()
        };
        residents::update(c, &synced[1], phone)
    })
    .expect("an edit of a synced resident");
    let file = dir_a.path().join("moving.jybackup");
    let taken = ctx(&mut a, &clock, |c| backup::backup(c, &file, PASS)).expect("backup");
    assert_eq!(taken.counts.ops_waiting, 523);

    // After the backup the old laptop does more, then reaches the server for one push batch
    // only (the network drops again): some of the backed-up work is on the server, some not.
    add_people(&mut a, &clock, 700, 2);
    let mut batches = 0;
    let partial = client::sync(&mut a, &clock, &server, &mut |p| {
        if p.phase == "push" {
            batches += 1;
            server.online.set(false);
        }
    });
    assert!(partial.is_err(), "the network dropped after the first batch");
    assert_eq!(batches, 1);
    let on_server_before = server.hub.borrow().log().len();
    assert!(on_server_before >= 500, "a whole first batch arrived: {on_server_before}");
    server.online.set(true);

    // The new laptop: its own folder and key, the backup restored, signed in as a new device.
    let (dir_b, key_b) = (tempfile::tempdir().unwrap(), StoreKey::random());
    let restored = backup::restore(&file, PASS, &dir_b.path().join("jiayuan.db"), &key_b, &clock)
        .expect("restore");
    let mut b = open(dir_b.path(), &key_b);
    assert_ne!(b.device().site_id, a.device().site_id);
    assert_eq!(b.device().site_id, restored.new_site);
    assert!(client::sync(&mut b, &clock, &server, &mut |_| {}).is_err(), "not signed in yet");
    client::login(&mut b, &server, "mem://", "alice", "alice", "new laptop").expect("login b");
    let report = client::sync(&mut b, &clock, &server, &mut |_| {}).expect("b syncs");
    assert_eq!(report.rejected, 0);
    assert_eq!(report.pushed, 524, "the backed-up work and the restore's record");

    // The old laptop comes back too; then everyone catches up.
    client::sync(&mut a, &clock, &server, &mut |_| {}).expect("a syncs");
    client::sync(&mut b, &clock, &server, &mut |_| {}).expect("b catches up");

    // Nothing doubled: every op in the server's log once, and as many as the two laptops made.
    let log = server.hub.borrow().log();
    let ids: HashSet<&str> = log.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), log.len(), "an op applied twice");
    let mut made = audited_ops(&a);
    made.extend(audited_ops(&b));
    assert_eq!(ids, made.iter().map(String::as_str).collect(), "every op made reached the server");
    assert!(log.iter().all(|(_, o)| *o == Outcome::Applied), "{log:?}");
    assert!(server.hub.borrow().chain_ok());
    // Nothing lost: every resident once, and both laptops hold the server's rows.
    let hub = server.hub.borrow();
    let people = hub.rows().iter().filter(|s| s.row.entity == entity::RESIDENT).count();
    assert_eq!(people, 3 + 520 + 2);
    let requests = hub.rows().iter().filter(|s| s.row.entity == entity::REQUEST).count();
    assert_eq!(requests, 3);
    drop(hub);
    assert_eq!(a.stats().unwrap().outbox, 0);
    assert_eq!(b.stats().unwrap().outbox, 0);
    assert_eq!(b.counts().unwrap().residents, 525);
    assert_eq!(snapshot(&a), snapshot(&b), "the two laptops converge");
    let phone: String = b
        .conn()
        .query_row("SELECT phone FROM residents WHERE id = ?1", [&synced[1]], |r| r.get(0))
        .unwrap();
    assert_eq!(phone, "13900001111", "an offline edit in the backup arrived");
}
