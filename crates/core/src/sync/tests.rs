//! Two and three devices against the in-memory server: the stories docs/sync.md promises.

use super::client::{self, Transport};
use super::memhub::MemServer;
use super::view;
use super::wire::{entity, Role};
use crate::clock::ManualClock;
use crate::context::{Actor, Ctx};
use crate::requests::{self, NewRequest, Satisfaction, Step};
use crate::residents::{self, ResidentDraft, ResidentPatch};
use crate::store::Store;

pub(crate) struct Device {
    pub store: Store,
    pub clock: ManualClock,
}

impl Device {
    pub fn new(server: &MemServer, user: &str) -> Device {
        let mut store = Store::open_in_memory().expect("store");
        client::login(&mut store, server, "mem://", user, user, "test laptop").expect("login");
        Device { store, clock: ManualClock::fixed() }
    }

    pub fn ctx<T>(&mut self, f: impl FnOnce(&mut Ctx<'_>) -> T) -> T {
        let actor = Actor::current(&self.store);
        let mut ctx = Ctx::new(&mut self.store, &self.clock, &actor);
        f(&mut ctx)
    }

    pub fn sync(&mut self, server: &dyn Transport) -> crate::Result<client::SyncReport> {
        client::sync(&mut self.store, &self.clock, server, &mut |_| {})
    }
}

pub(crate) fn person(name: &str, id_number: Option<&str>) -> ResidentDraft {
    ResidentDraft {
        name: name.into(),
        id_number: id_number.map(str::to_owned),
        phone: Some("13800138000".into()),
        community: Some("建设社区".into()),
        grid: Some("1网格".into()),
        ..Default::default()
    }
}

/// A valid identity number (the check character computed), different for each `n`.
pub(crate) fn idn(n: u32) -> String {
    jiayuan_testkit::id_with_check(&format!("33040219800101{:03}", n % 1000))
}

fn server() -> MemServer {
    let mut s =
        MemServer::new("本区", crate::clock::Clock::now(&ManualClock::fixed()).timestamp_millis());
    s.add_user("alice", Role::DistrictSupervisor, None);
    s.add_user("bob", Role::DistrictSupervisor, None);
    s
}

/// The rows a device holds, as comparable text (ids, names, statuses).
pub(crate) fn snapshot(store: &Store) -> Vec<String> {
    let conn = store.conn();
    let mut out = Vec::new();
    let mut q = |sql: &str| {
        let mut stmt = conn.prepare(sql).expect("prepare");
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        out.extend(rows);
    };
    q("SELECT id || '|' || name || '|' || ifnull(id_number,'') || '|' || ifnull(phone,'') || '|' || deleted FROM residents ORDER BY id");
    q("SELECT id || '|' || status || '|' || round || '|' || ifnull(assignee,'') || '|' || priority || '|' || paused FROM requests ORDER BY id");
    q("SELECT id || '|' || round FROM request_events ORDER BY id");
    out
}

#[test]
fn two_devices_converge_and_one_person_stays_one() {
    let server = server();
    let mut a = Device::new(&server, "alice");
    let mut b = Device::new(&server, "bob");
    let same = idn(7);
    let pa = a.ctx(|c| residents::create(c, person("王芳", Some(&same)))).expect("create a");
    let pb = b.ctx(|c| residents::create(c, person("王芳", Some(&same)))).expect("create b");
    b.ctx(|c| residents::create(c, person("李强", Some(&idn(8))))).expect("create b2");
    assert_ne!(pa.id, pb.id);
    a.sync(&server).expect("sync a");
    b.sync(&server).expect("sync b");
    a.sync(&server).expect("sync a again");
    assert_eq!(snapshot(&a.store), snapshot(&b.store));
    let alive: i64 = b
        .store
        .conn()
        .query_row(
            "SELECT count(*) FROM residents WHERE id_number = ?1 AND deleted = 0",
            [&same],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(alive, 1, "the same identity number on two devices ends as one person");
    assert_eq!(a.store.stats().expect("stats").outbox, 0);
    let aliases =
        server.hub.borrow().rows().iter().filter(|s| s.row.entity == entity::ALIAS).count();
    assert_eq!(aliases, 1);
}

#[test]
fn concurrent_edits_keep_the_later_and_list_the_other() {
    let server = server();
    let mut a = Device::new(&server, "alice");
    let mut b = Device::new(&server, "bob");
    let p = a.ctx(|c| residents::create(c, person("张伟", Some(&idn(9))))).expect("create");
    a.sync(&server).expect("sync");
    b.sync(&server).expect("sync");
    // Offline, both change the phone; bob's edit is the later one.
    a.ctx(|c| {
        residents::update(
            c,
            &p.id,
            ResidentPatch { phone: Some(Some("13911112222".into())), ..Default::default() },
        )
    })
    .expect("edit a");
    b.clock.advance_ms(60_000);
    b.ctx(|c| {
        residents::update(
            c,
            &p.id,
            ResidentPatch { phone: Some(Some("13733334444".into())), ..Default::default() },
        )
    })
    .expect("edit b");
    b.sync(&server).expect("sync b");
    a.sync(&server).expect("sync a");
    b.sync(&server).expect("sync b");
    assert_eq!(snapshot(&a.store), snapshot(&b.store));
    let phone: String = a
        .store
        .conn()
        .query_row("SELECT phone FROM residents WHERE id = ?1", [&p.id], |r| r.get(0))
        .expect("phone");
    assert_eq!(phone, "13733334444");
    for d in [&a, &b] {
        let c = view::conflicts(&d.store).expect("conflicts");
        assert_eq!(c.conflicts.len(), 1, "the overwritten phone is listed on both devices");
        assert_eq!(c.conflicts[0].field, "phone");
        assert_eq!(c.conflicts[0].lost_by, "alice");
        assert_eq!(c.conflicts[0].won_by, "bob");
    }
    // Alice applies hers again: it wins now, on both.
    let id = view::conflicts(&a.store).expect("c").conflicts[0].id.clone();
    a.clock.advance_ms(120_000);
    a.ctx(|c| view::reapply(c, &id)).expect("reapply");
    a.sync(&server).expect("sync");
    b.sync(&server).expect("sync");
    assert_eq!(snapshot(&a.store), snapshot(&b.store));
    let phone: String = b
        .store
        .conn()
        .query_row("SELECT phone FROM residents WHERE id = ?1", [&p.id], |r| r.get(0))
        .expect("phone");
    assert_eq!(phone, "13911112222");
}

fn new_request(d: &mut Device, resident: &str) -> String {
    d.ctx(|c| {
        requests::create(
            c,
            NewRequest {
                resident_id: Some(resident.to_owned()),
                category: "medicine".into(),
                description: "需要买降压药".into(),
                ..Default::default()
            },
        )
    })
    .expect("request")
    .id
}

#[test]
fn a_stale_assignment_never_reopens_a_closed_request() {
    let server = server();
    let mut a = Device::new(&server, "alice");
    let mut b = Device::new(&server, "bob");
    let p = a.ctx(|c| residents::create(c, person("赵敏", Some(&idn(11))))).expect("create");
    let r = new_request(&mut a, &p.id);
    a.ctx(|c| requests::act(c, &r, Step::Accept)).expect("accept");
    a.sync(&server).expect("sync");
    b.sync(&server).expect("sync");
    // A finishes it; B, offline and behind, assigns it.
    for step in [
        Step::Start,
        Step::Resolve { note: "送到".into() },
        Step::Close { satisfaction: Satisfaction::Satisfied, note: "回访满意".into() },
    ] {
        a.ctx(|c| requests::act(c, &r, step)).expect("step a");
    }
    b.clock.advance_ms(3_600_000);
    b.ctx(|c| requests::act(c, &r, Step::Assign { assignee: "志愿者 小刘".into() }))
        .expect("assign b");
    a.sync(&server).expect("sync a");
    let report = b.sync(&server).expect("sync b");
    assert_eq!(report.rejected, 1);
    a.sync(&server).expect("sync a");
    assert_eq!(snapshot(&a.store), snapshot(&b.store));
    let (status, assignee): (String, Option<String>) = b
        .store
        .conn()
        .query_row("SELECT status, assignee FROM requests WHERE id = ?1", [&r], |x| {
            Ok((x.get(0)?, x.get(1)?))
        })
        .expect("row");
    assert_eq!(status, "closed");
    assert_eq!(assignee, None);
    let c = view::conflicts(&b.store).expect("conflicts");
    assert_eq!(c.rejections.len(), 1);
    assert!(c.rejections[0].reason.contains("closed"), "{}", c.rejections[0].reason);
}

#[test]
fn a_replayed_push_changes_nothing() {
    let server = server();
    let mut a = Device::new(&server, "alice");
    a.ctx(|c| residents::create(c, person("钱进", Some(&idn(12))))).expect("create");
    let secret: String = a
        .store
        .conn()
        .query_row("SELECT device_secret FROM sync_state", [], |r| r.get(0))
        .expect("secret");
    let ops = super::outbox::batch(a.store.conn(), &secret, 0, 100, 1000).expect("batch");
    let req = super::wire::PushRequest {
        district: "本区".into(),
        site_id: a.store.device().site_id.clone(),
        seen_version: 0,
        ops,
    };
    let token = format!("alice@{}", a.store.device().site_id);
    let first = server.push(&token, &req).expect("push");
    let version = server.hub.borrow().version();
    let again = server.push(&token, &req).expect("push again");
    assert_eq!(server.hub.borrow().version(), version, "nothing applied twice");
    assert_eq!(
        first.results.iter().map(|r| &r.outcome).collect::<Vec<_>>(),
        again.results.iter().map(|r| &r.outcome).collect::<Vec<_>>()
    );
    // The same sequence number with another op id: the store was copied.
    let mut forged = req.clone();
    forged.ops[0].op_id = uuid::Uuid::now_v7().to_string();
    forged.ops[0].mac = super::wire::op_mac(&secret, &forged.ops[0]);
    assert_eq!(server.push(&token, &forged).expect_err("refused"), client::NetError::SiteReused);
    // A changed op is refused, never applied.
    let mut tampered = req;
    tampered.ops[0].seq = 99;
    tampered.ops[0].op_id = uuid::Uuid::now_v7().to_string();
    if let Some(r) = tampered.ops[0].rows.iter_mut().find(|r| r.entity == entity::RESIDENT) {
        r.set("name", serde_json::json!("改过的名字"));
    }
    let resp = server.push(&token, &tampered).expect("push");
    assert!(matches!(resp.results[0].outcome, super::wire::Outcome::Rejected { .. }));
}

#[test]
fn a_history_taken_in_bulk_arrives_whole() {
    use crate::requests::bulk::{self, Historic};
    let server = server();
    let mut a = Device::new(&server, "alice");
    let mut b = Device::new(&server, "bob");
    let now = crate::clock::Clock::now(&a.clock);
    let h = |steps: Vec<RStepAt>| Historic {
        request: NewRequest {
            category: "medicine".into(),
            description: "代买药品".into(),
            ..Default::default()
        },
        created_at: now - chrono::Duration::hours(5),
        priority: crate::requests::Priority::Normal,
        steps,
    };
    let t = |m: i64| now - chrono::Duration::hours(5) + chrono::Duration::minutes(m);
    let items = vec![
        h(vec![]),
        h(vec![(t(10), Step::Accept), (t(20), Step::Assign { assignee: "小刘".into() })]),
        h(vec![
            (t(10), Step::Accept),
            (t(30), Step::Start),
            (t(60), Step::Resolve { note: "送到".into() }),
            (t(90), Step::Close { satisfaction: Satisfaction::Satisfied, note: String::new() }),
        ]),
    ];
    a.ctx(|c| bulk::create_many(c, items, now)).expect("bulk");
    let report = a.sync(&server).expect("sync a");
    assert_eq!(report.rejected, 0);
    b.sync(&server).expect("sync b");
    assert_eq!(snapshot(&a.store), snapshot(&b.store));
    assert!(snapshot(&b.store).iter().any(|l| l.contains("|closed|")));
}

type RStepAt = (chrono::DateTime<chrono::Utc>, Step);

#[test]
fn two_offices_importing_overlapping_rosters_end_with_one_person_each() {
    use jiayuan_testkit::{write_roster_csv, RosterOptions};
    let server = server();
    let mut a = Device::new(&server, "alice");
    let mut b = Device::new(&server, "bob");
    let dir = tempfile::tempdir().expect("tmp");
    // The same seed gives the same people: bob's roster is alice's first 300 and 200 more.
    let path_a = dir.path().join("a.csv");
    let path_b = dir.path().join("b.csv");
    write_roster_csv(std::fs::File::create(&path_a).expect("a"), 300, 5, &RosterOptions::default())
        .expect("write a");
    write_roster_csv(std::fs::File::create(&path_b).expect("b"), 500, 5, &RosterOptions::default())
        .expect("write b");
    for (d, p) in [(&mut a, &path_a), (&mut b, &path_b)] {
        d.ctx(|c| {
            crate::import::import_file(
                c,
                p,
                &crate::import::ImportOptions::default(),
                &mut |_| {},
                &std::sync::atomic::AtomicBool::new(false),
            )
        })
        .expect("import");
    }
    a.sync(&server).expect("sync a");
    b.sync(&server).expect("sync b");
    a.sync(&server).expect("sync a");
    assert_eq!(snapshot(&a.store), snapshot(&b.store));
    let (live, distinct): (i64, i64) = a
        .store
        .conn()
        .query_row(
            "SELECT count(*), count(DISTINCT id_number) FROM residents WHERE deleted = 0 AND id_number IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count");
    assert_eq!(live, distinct, "one live resident per identity number");
    assert_eq!(live, 500, "the 300 both offices imported are there once");
    assert_eq!(distinct, b.store.stats().expect("stats").residents as i64);
}

/// A transport whose pulls fail: what a device holds right after its push is answered.
pub(crate) struct PushOnly<'a>(pub &'a MemServer);

impl Transport for PushOnly<'_> {
    fn login(
        &self,
        r: &super::wire::LoginRequest,
    ) -> Result<super::wire::LoginResponse, client::NetError> {
        self.0.login(r)
    }
    fn token(
        &self,
        r: &super::wire::TokenRequest,
    ) -> Result<super::wire::TokenResponse, client::NetError> {
        self.0.token(r)
    }
    fn push(
        &self,
        a: &str,
        r: &super::wire::PushRequest,
    ) -> Result<super::wire::PushResponse, client::NetError> {
        self.0.push(a, r)
    }
    fn pull(
        &self,
        _: &str,
        _: &super::wire::PullRequest,
    ) -> Result<super::wire::PullResponse, client::NetError> {
        Err(client::NetError::Offline("the pull was cut off".into()))
    }
}

#[test]
fn an_earlier_ops_echo_never_undoes_a_later_step_of_the_same_push() {
    let server = server();
    let mut a = Device::new(&server, "alice");
    let p = a.ctx(|c| residents::create(c, person("孙丽", Some(&idn(21))))).expect("create");
    let r = new_request(&mut a, &p.id);
    for step in [
        Step::Accept,
        Step::Assign { assignee: "小王".into() },
        Step::Start,
        Step::Resolve { note: "送到".into() },
    ] {
        a.ctx(|c| requests::act(c, &r, step)).expect("step");
    }
    a.sync(&PushOnly(&server)).expect_err("the pull fails");
    assert_eq!(a.store.stats().expect("stats").outbox, 0, "every op was acknowledged");
    let status: String = a
        .store
        .conn()
        .query_row("SELECT status FROM requests WHERE id = ?1", [&r], |x| x.get(0))
        .expect("status");
    assert_eq!(status, "resolved", "the device's own last step stands after its push");
}

#[test]
fn a_grid_official_gets_their_grid_and_the_areas_above_it() {
    let mut s = server();
    let mut a = Device::new(&s, "alice");
    a.ctx(|c| residents::create(c, person("张三", Some(&idn(1))))).expect("create");
    let mut elsewhere = person("李四", Some(&idn(2)));
    elsewhere.grid = Some("2网格".into());
    a.ctx(|c| residents::create(c, elsewhere)).expect("create");
    a.sync(&s).expect("the district office pushes");
    let grid: String = a
        .store
        .conn()
        .query_row("SELECT id FROM areas WHERE name = '1网格'", [], |r| r.get(0))
        .expect("the grid");
    s.add_user("gina", Role::GridOfficial, Some(grid));
    let mut g = Device::new(&s, "gina");
    // Her grid's area row names its community as parent: without the areas above it, the
    // device could not hold it.
    g.sync(&s).expect("a grid official's first sync");
    let q = |sql: &str| -> Vec<String> {
        let mut stmt = g.store.conn().prepare(sql).expect("prepare");
        let rows = stmt.query_map([], |r| r.get(0)).expect("query");
        rows.collect::<Result<_, _>>().expect("rows")
    };
    assert_eq!(q("SELECT name FROM residents ORDER BY name"), vec!["张三".to_owned()]);
    assert_eq!(
        q("SELECT name FROM areas ORDER BY name"),
        vec!["1网格".to_owned(), "建设社区".to_owned(), "本区".to_owned()]
    );
}

#[test]
fn a_cursor_older_than_the_servers_horizon_pulls_everything_again_and_forgets_what_went() {
    let s = server();
    let mut a = Device::new(&s, "alice");
    let mut b = Device::new(&s, "bob");
    let kept = a.ctx(|c| residents::create(c, person("张三", Some(&idn(1))))).expect("create").id;
    let purged = a.ctx(|c| residents::create(c, person("李四", Some(&idn(2))))).expect("create").id;
    a.sync(&s).expect("a pushes");
    b.sync(&s).expect("b pulls");
    assert_eq!(residents::count(&b.store).expect("count"), 2);
    // While b is away: a third person on the server, and one of the first two purged with
    // the horizon moved past b's cursor (as retention does).
    a.ctx(|c| residents::create(c, person("王五", Some(&idn(3))))).expect("create");
    a.sync(&s).expect("a pushes again");
    s.hub.borrow_mut().purge(&[(entity::RESIDENT, purged.as_str())]);
    // b's own work, not yet sent, must survive the resync.
    let mine = b.ctx(|c| residents::create(c, person("赵六", Some(&idn(4))))).expect("create").id;
    b.ctx(|c| {
        residents::update(
            c,
            &kept,
            ResidentPatch { notes: Some(Some("b 的回访".into())), ..Default::default() },
        )
    })
    .expect("b edits offline");

    b.sync(&s).expect("b resyncs");
    let names = |d: &Device| -> Vec<String> {
        let mut stmt =
            d.store.conn().prepare("SELECT name FROM residents ORDER BY name").expect("prepare");
        let rows = stmt.query_map([], |r| r.get(0)).expect("query");
        rows.collect::<Result<_, _>>().expect("rows")
    };
    assert_eq!(names(&b), vec!["张三".to_owned(), "王五".to_owned(), "赵六".to_owned()]);
    assert!(residents::get(&b.store, &mine).expect("get").is_some(), "b's new person was sent");
    let notes = residents::get(&b.store, &kept).expect("get").and_then(|r| r.notes);
    assert_eq!(notes.as_deref(), Some("b 的回访"), "b's offline edit survived and was sent");
    assert_eq!(b.store.stats().expect("stats").outbox, 0);
    // Search forgot the purged person too.
    assert!(residents::search(&b.store, "李四", 10).expect("search").is_empty());
    // b now holds exactly the server's residents.
    let mut on_server: Vec<String> = s
        .hub
        .borrow()
        .rows()
        .iter()
        .filter(|r| r.row.entity == entity::RESIDENT)
        .filter_map(|r| r.row.str("name").map(str::to_owned))
        .collect();
    on_server.sort();
    assert_eq!(names(&b), on_server);
}

#[test]
fn a_login_keeps_a_hash_of_the_password_for_the_lock_and_a_logout_forgets_it() {
    let server = server();
    let mut d = Device::new(&server, "alice");
    let hash = |d: &Device| -> Option<String> {
        d.store
            .conn()
            .query_row("SELECT password_hash FROM sync_state", [], |r| r.get(0))
            .expect("hash")
    };
    let kept = hash(&d).expect("kept at login");
    assert!(kept.starts_with("$argon2id$") && !kept.contains("alice"), "{kept}");
    client::logout(&mut d.store).expect("logout");
    assert_eq!(hash(&d), None);
}
