//! Retention through the real server, on SQLite and on PostgreSQL: two laptops (real stores,
//! the real sync client over HTTP), a district rule set from one of them, and the purge run
//! by `Server::purge` with the clock moved on. The purge removes exactly the expired requests
//! and health tags, on the server and, by the next pull, on both laptops; the reports still
//! add up; a dry run changes nothing; the op log records the purge and stays whole.

use std::collections::BTreeMap;

use jiayuan_core::requests::retention::{self, Retention, TallyLine};
use jiayuan_core::requests::{self, NewRequest, Satisfaction, Step};
use jiayuan_core::residents::{self, ResidentDraft};
use jiayuan_core::sync::wire::{entity, Role, Row};
use jiayuan_core::Clock;
use jiayuan_server::NewUser;

use crate::harness::{on_both, Backend, Laptop, TestServer, DISTRICT};

on_both!(
    retention_purges_on_the_server_and_on_devices_alike,
    a_dry_run_counts_and_changes_nothing,
    forgotten_tombstones_send_only_a_device_behind_them_to_pull_again,
);

const DAY_MS: i64 = 86_400_000;

impl Laptop {
    fn request(&mut self, resident: Option<&str>, steps: &[Step]) -> String {
        let id = self
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
            .unwrap()
            .id;
        for s in steps {
            self.ctx(|c| requests::act(c, &id, s.clone())).unwrap();
        }
        id
    }

    fn holds(&self, id: &str) -> bool {
        requests::read::get(&self.store, id, self.clock.now()).is_ok()
    }

    fn totals(&self) -> BTreeMap<(String, String), (u32, u32)> {
        totals(&retention::report(&self.store, self.clock.now()).unwrap())
    }
}

fn totals(lines: &[TallyLine]) -> BTreeMap<(String, String), (u32, u32)> {
    let mut out = BTreeMap::new();
    for l in lines {
        let e: &mut (u32, u32) = out.entry((l.month.clone(), l.outcome.clone())).or_default();
        e.0 += l.requests;
        e.1 += l.on_time;
    }
    out
}

fn done() -> Vec<Step> {
    vec![
        Step::Accept,
        Step::Start,
        Step::Resolve { note: "送到".into() },
        Step::Close { satisfaction: Satisfaction::Satisfied, note: "回访满意".into() },
    ]
}

fn stored(ts: &TestServer, entity_name: &str, id: &str) -> Option<Row> {
    let mut out = None;
    ts.server
        .storage()
        .read_tx(DISTRICT, &mut |r| {
            out = r.get(entity_name, id)?.map(|s| s.row);
            Ok(())
        })
        .unwrap();
    out
}

fn head(ts: &TestServer) -> i64 {
    let mut out = 0;
    ts.server
        .storage()
        .read_tx(DISTRICT, &mut |r| {
            out = r.head()?;
            Ok(())
        })
        .unwrap();
    out
}

struct District {
    ts: TestServer,
    a: Laptop,
    b: Laptop,
    resident: String,
    old: String,
    cancelled: String,
    recent: String,
    open: String,
}

/// Two laptops; a resident with a health tag and another tag; two requests finished 40 days
/// ago, one finished today and one open; the district keeps requests and health tags 30 days.
fn district(backend: Backend) -> District {
    let ts = TestServer::start(backend);
    let pw = ts.admin_password();
    ts.server
        .add_user(&NewUser {
            name: "bob".into(),
            display_name: "Bob".into(),
            role: Role::DistrictSupervisor,
            district: DISTRICT.into(),
            scope_path: String::new(),
            password: "bob-password-1".into(),
        })
        .unwrap();
    let mut a = Laptop::new(&ts, "admin", &pw);
    let mut b = Laptop::new(&ts, "bob", "bob-password-1");
    let resident = a
        .ctx(|c| {
            residents::create(
                c,
                ResidentDraft {
                    name: "王芳".into(),
                    phone: Some("13800138000".into()),
                    community: Some("建设社区".into()),
                    grid: Some("1网格".into()),
                    tags: vec!["慢性病".into(), "独居老人".into()],
                    ..Default::default()
                },
            )
        })
        .unwrap()
        .id;
    let old = a.request(Some(&resident), &done());
    let cancelled = a.request(None, &[Step::Cancel { reason: "重复来电".into() }]);
    a.ctx(|c| {
        retention::set(
            c,
            &Retention {
                request_days: Some(30),
                health_days: Some(30),
                health_tags: vec!["chronic_illness".into()],
            },
        )
    })
    .unwrap();
    a.sync();
    b.sync();
    for c in [&ts.clock, &a.clock, &b.clock] {
        c.advance_ms(40 * DAY_MS);
    }
    let recent = a.request(Some(&resident), &done());
    let open = a.request(Some(&resident), &[Step::Accept]);
    a.sync();
    b.sync();
    District { ts, a, b, resident, old, cancelled, recent, open }
}

fn retention_purges_on_the_server_and_on_devices_alike(backend: Backend) {
    let District { ts, mut a, mut b, resident, old, cancelled, recent, open } = district(backend);
    let before = a.totals();
    assert_eq!(before.values().map(|t| t.0).sum::<u32>(), 4);
    // Offline, b adds a step to the old request: refused after the purge, never brought back.
    b.ctx(|c| requests::act(c, &old, Step::Reopen { reason: "又来电".into() })).unwrap();

    let now = ts.clock.now().timestamp_millis();
    let purged = ts.server.purge(Some(DISTRICT), now, false).unwrap();
    let (_, r) = &purged[0];
    assert_eq!((r.requests, r.residents, r.tags), (2, 1, 1), "{r:?}");
    for id in [&old, &cancelled] {
        let row = stored(&ts, entity::REQUEST, id).expect("a tombstone stays");
        assert!(row.deleted && row.fields.is_empty(), "nothing of the request stays: {row:?}");
    }
    for id in [&recent, &open] {
        assert!(!stored(&ts, entity::REQUEST, id).unwrap().deleted);
    }
    let person = stored(&ts, entity::RESIDENT, &resident).unwrap();
    assert_eq!(person.fields["tags.chronic_illness"], serde_json::json!(false));
    assert_eq!(person.fields["tags.elderly_alone"], serde_json::json!(true));
    assert_eq!(
        ts.server.verify_op_log(DISTRICT).unwrap(),
        ts.server.storage().op_log(DISTRICT).unwrap().len()
    );
    let log = ts.server.storage().op_log(DISTRICT).unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.kind, "retention.purge");
    assert!(
        !last.op.contains("王芳") && !last.op.contains(&old),
        "the log says how much, not what"
    );

    assert!(a.sync().pulled < 20, "the purge arrives as a few rows");
    assert_eq!(b.sync().rejected, 1, "b's step on a purged request is refused");
    for d in [&a, &b] {
        assert!(!d.holds(&old) && !d.holds(&cancelled));
        assert!(d.holds(&recent) && d.holds(&open));
        let tags = residents::get(&d.store, &resident).unwrap().unwrap().tags;
        assert_eq!(tags, vec!["独居老人".to_owned()]);
        assert_eq!(d.totals(), before, "the reports still add up");
    }
    // Nothing more to purge the same day.
    let again = ts.server.purge(None, now, false).unwrap();
    assert!(again.iter().all(|(_, r)| r.is_empty()), "{again:?}");
}

fn a_dry_run_counts_and_changes_nothing(backend: Backend) {
    let District { ts, mut a, .. } = district(backend);
    let now = ts.clock.now().timestamp_millis();
    let (head_before, log_before) =
        (head(&ts), ts.server.storage().op_log(DISTRICT).unwrap().len());
    let dry = ts.server.purge(None, now, true).unwrap();
    assert_eq!(dry.len(), 1);
    assert_eq!((dry[0].1.requests, dry[0].1.tags), (2, 1));
    assert_eq!(head(&ts), head_before, "no version moved");
    assert_eq!(ts.server.storage().op_log(DISTRICT).unwrap().len(), log_before);
    assert_eq!(a.sync().pulled, 0, "nothing to pull after a dry run");
    let real = ts.server.purge(None, now, false).unwrap();
    assert_eq!(real, dry, "the dry run counted what the purge removed");
}

fn forgotten_tombstones_send_only_a_device_behind_them_to_pull_again(backend: Backend) {
    let District { ts, mut a, mut b, old, cancelled, recent, .. } = district(backend);
    let now = ts.clock.now().timestamp_millis();
    ts.server.purge(None, now, false).unwrap();
    a.sync();
    // b stays away while the purge's tombstones are forgotten.
    let forgot = ts.server.forget_tombstones(Some(DISTRICT)).unwrap();
    let (_, gone, horizon) = &forgot[0];
    assert!(*gone >= 7, "two requests and their events: {gone}");
    assert!(*horizon > 0 && *horizon <= head(&ts));
    for id in [&old, &cancelled] {
        assert!(stored(&ts, entity::REQUEST, id).is_none(), "the tombstone is gone");
    }
    assert!(stored(&ts, entity::REQUEST, &recent).is_some());
    assert_eq!(a.sync().pulled, 0, "a laptop that pulled the purge goes on from its cursor");
    let again = b.sync();
    assert!(again.pulled >= 5, "b pulls the district again: {again:?}");
    assert!(!b.holds(&old) && !b.holds(&cancelled) && b.holds(&recent));
    assert_eq!(b.totals(), a.totals(), "the tallies came with it");
    let twice = ts.server.forget_tombstones(None).unwrap();
    assert_eq!(twice, vec![(DISTRICT.to_owned(), 0, *horizon)], "nothing left to forget");
}
