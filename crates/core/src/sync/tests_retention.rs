//! Retention on two devices against the in-memory server: the purge removes the same rows on
//! the server and, by the ordinary pull, on every device; reports still add up; an edit
//! queued offline on a purged request is refused, not brought back.

use proptest::prelude::*;

use super::hub::HubRead;
use super::memhub::MemServer;
use super::purge::{self, PurgeReport};
use super::tests::{idn, person, Device};
use super::wire::{entity, Outcome, Role};
use crate::clock::{Clock, ManualClock};
use crate::requests::retention::{self, Retention, TallyLine};
use crate::requests::{self, NewRequest, Satisfaction, Step};
use crate::residents::{self, ResidentDraft};
use crate::store::Store;

const DAY_MS: i64 = 86_400_000;
const DISTRICT: &str = "本区";

fn server() -> MemServer {
    let mut s = MemServer::new(DISTRICT, ManualClock::fixed().now().timestamp_millis());
    s.add_user("alice", Role::DistrictSupervisor, None);
    s.add_user("bob", Role::DistrictSupervisor, None);
    s.add_user("grid", Role::GridOfficial, None);
    s
}

/// Moves the devices' and the server's clocks on together.
fn later(s: &MemServer, devices: &mut [&mut Device], days: i64) {
    for d in devices.iter_mut() {
        d.clock.advance_ms(days * DAY_MS);
    }
    s.now_ms.set(s.now_ms.get() + days * DAY_MS);
}

fn run_purge(s: &MemServer, dry_run: bool) -> PurgeReport {
    let mut hub = s.hub.borrow_mut();
    hub.begin();
    let r = purge::purge(&mut *hub, DISTRICT, s.now_ms.get(), dry_run).expect("purge");
    hub.commit();
    r
}

fn request(d: &mut Device, resident: Option<&str>, steps: &[Step]) -> String {
    let id = d
        .ctx(|c| {
            requests::create(
                c,
                NewRequest {
                    resident_id: resident.map(str::to_owned),
                    category: "medicine".into(),
                    description: "需要买降压药".into(),
                    ..Default::default()
                },
            )
        })
        .expect("request")
        .id;
    for s in steps {
        d.ctx(|c| requests::act(c, &id, s.clone())).expect("step");
    }
    id
}

fn done() -> Vec<Step> {
    vec![
        Step::Accept,
        Step::Start,
        Step::Resolve { note: "送到".into() },
        Step::Close { satisfaction: Satisfaction::Satisfied, note: "回访满意".into() },
    ]
}

fn count(store: &Store, sql: &str, id: &str) -> i64 {
    store.conn().query_row(sql, [id], |r| r.get(0)).expect("count")
}

/// Total requests and requests on time, per month and outcome.
fn totals(lines: &[TallyLine]) -> std::collections::BTreeMap<(String, String), (u32, u32)> {
    let mut out = std::collections::BTreeMap::new();
    for l in lines {
        let e: &mut (u32, u32) = out.entry((l.month.clone(), l.outcome.clone())).or_default();
        e.0 += l.requests;
        e.1 += l.on_time;
    }
    out
}

fn set_rule(d: &mut Device, request_days: Option<u32>, health_days: Option<u32>) {
    d.ctx(|c| {
        retention::set(
            c,
            &Retention {
                request_days,
                health_days,
                health_tags: vec!["chronic_illness".into(), "pregnant".into()],
            },
        )
    })
    .expect("set retention");
}

#[test]
fn retention_purges_on_server_and_devices_alike() {
    let s = server();
    let mut a = Device::new(&s, "alice");
    let mut b = Device::new(&s, "bob");
    let resident = a
        .ctx(|c| {
            residents::create(
                c,
                ResidentDraft {
                    tags: vec!["慢性病".into(), "独居老人".into()],
                    ..person("王芳", Some(&idn(1)))
                },
            )
        })
        .expect("resident")
        .id;
    let old = request(&mut a, Some(&resident), &done());
    let cancelled = request(&mut a, None, &[Step::Cancel { reason: "重复来电".into() }]);
    set_rule(&mut a, Some(30), Some(30));
    a.sync(&s).expect("a syncs");
    b.sync(&s).expect("b syncs");
    later(&s, &mut [&mut a, &mut b], 40);
    let recent = request(&mut a, Some(&resident), &done());
    let open = request(&mut a, Some(&resident), &[Step::Accept]);
    a.sync(&s).expect("a syncs");
    b.sync(&s).expect("b syncs");
    // Offline, b reopens the old request: the server must not take it back after the purge.
    b.ctx(|c| requests::act(c, &old, Step::Reopen { reason: "居民又来电".into() }))
        .expect("b reopens offline");
    let before_a = retention::report(&a.store, a.clock.now()).expect("report");
    assert_eq!(totals(&before_a).values().map(|t| t.0).sum::<u32>(), 4);

    let dry = run_purge(&s, true);
    let version = s.hub.borrow().version();
    assert_eq!((dry.requests, dry.residents, dry.tags), (2, 1, 1), "{dry:?}");
    assert_eq!(s.hub.borrow().version(), version, "a dry run writes nothing");
    let done_report = run_purge(&s, false);
    assert_eq!(done_report, dry, "the dry run counts what the purge does");
    assert!(done_report.events >= 5, "{done_report:?}");
    assert!(s.hub.borrow().chain_ok());
    assert!(s.hub.borrow().log().iter().any(|(_, o)| *o == Outcome::Applied));
    // The server keeps no field of the purged requests; the others stand.
    for id in [&old, &cancelled] {
        let stored = s.hub.borrow_mut().get(entity::REQUEST, id).expect("get").expect("row").row;
        assert!(stored.deleted && stored.fields.is_empty());
    }
    for id in [&recent, &open] {
        assert!(
            !s.hub.borrow_mut().get(entity::REQUEST, id).expect("get").expect("row").row.deleted
        );
    }

    let pulled_a = a.sync(&s).expect("a pulls the purge").pulled;
    let report_b = b.sync(&s).expect("b pushes and pulls the purge");
    assert!(pulled_a < 20, "the purge comes as a few rows, not the district again: {pulled_a}");
    assert_eq!(report_b.rejected, 1, "b's reopen of a purged request is refused");
    let refusal: String = b
        .store
        .conn()
        .query_row("SELECT refusal FROM sync_outcomes WHERE outcome = 'rejected'", [], |r| r.get(0))
        .expect("refusal");
    assert!(refusal.contains("request_purged"), "{refusal}");
    for d in [&a, &b] {
        for id in [&old, &cancelled] {
            assert_eq!(count(&d.store, "SELECT count(*) FROM requests WHERE id = ?1", id), 0);
            assert_eq!(
                count(&d.store, "SELECT count(*) FROM request_events WHERE request_id = ?1", id),
                0
            );
            assert_eq!(
                count(&d.store, "SELECT count(*) FROM field_clocks WHERE entity_id = ?1", id),
                0
            );
        }
        for id in [&recent, &open] {
            assert_eq!(count(&d.store, "SELECT count(*) FROM requests WHERE id = ?1", id), 1);
        }
        let tags = residents::get(&d.store, &resident).expect("get").expect("resident").tags;
        assert_eq!(tags, vec!["独居老人".to_owned()], "the health tag went, the other stayed");
        let after = retention::report(&d.store, a.clock.now()).expect("report");
        assert_eq!(totals(&after), totals(&before_a), "the report still adds up");
        assert_eq!(d.store.stats().expect("stats").outbox, 0);
    }
    assert_eq!(super::tests::snapshot(&a.store), super::tests::snapshot(&b.store));
    // A second purge the same day finds nothing more.
    assert!(run_purge(&s, false).is_empty());
}

#[test]
fn a_retention_rule_is_the_districts_and_off_keeps_everything() {
    let s = server();
    let mut g = Device::new(&s, "grid");
    set_rule(&mut g, Some(30), None);
    let r = g.sync(&s).expect("sync");
    assert_eq!(r.rejected, 1, "a grid official cannot set the district's retention");
    assert_eq!(
        retention::get(&g.store).expect("rule").request_days,
        None,
        "the refused rule is undone on the laptop"
    );
    let mut a = Device::new(&s, "alice");
    request(&mut a, None, &done());
    a.sync(&s).expect("sync");
    later(&s, &mut [&mut a], 400);
    assert!(run_purge(&s, false).is_empty(), "no rule: nothing goes");
    assert!(matches!(
        a.ctx(|c| retention::set(
            c,
            &Retention { request_days: Some(3), health_days: None, health_tags: vec![] }
        )),
        Err(crate::CoreError::Refused(crate::Refusal::RetentionRange { .. }))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Whatever requests a district has and however old, what a report counts before a purge
    /// is what it counts after: the live requests plus the tallied ones.
    #[test]
    fn counts_before_equal_live_plus_tallied_after(
        reqs in prop::collection::vec((0u8..4, 0i64..60), 1..7),
        keep in 7u32..45,
    ) {
        let s = server();
        let mut a = Device::new(&s, "alice");
        set_rule(&mut a, Some(keep), None);
        let mut ages = Vec::new();
        for (end, gap) in &reqs {
            let steps = match end {
                0 => vec![Step::Accept],
                1 => done(),
                2 => vec![Step::Reject { reason: "不属实".into() }],
                _ => vec![Step::Cancel { reason: "撤回".into() }],
            };
            later(&s, &mut [&mut a], *gap);
            request(&mut a, None, &steps);
            ages.push((*end, *gap));
        }
        a.sync(&s).expect("sync");
        later(&s, &mut [&mut a], 10);
        let before = retention::report(&a.store, a.clock.now()).expect("report");
        let r = run_purge(&s, false);
        a.sync(&s).expect("sync");
        let after = retention::report(&a.store, a.clock.now()).expect("report");
        prop_assert_eq!(totals(&after), totals(&before));
        let live: i64 =
            a.store.conn().query_row("SELECT count(*) FROM requests", [], |r| r.get(0)).expect("n");
        prop_assert_eq!(live as u64 + r.requests, reqs.len() as u64);
        let open: i64 = a
            .store
            .conn()
            .query_row("SELECT count(*) FROM requests WHERE is_open = 1", [], |r| r.get(0))
            .expect("open");
        prop_assert_eq!(open as usize, ages.iter().filter(|(e, _)| *e == 0).count());
    }
}
