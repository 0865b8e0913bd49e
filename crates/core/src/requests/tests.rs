//! Requests through the real store: intake with triage, the lifecycle through the write path,
//! clocks that stop while paused and survive hand-backs, merging, the queue's order, and the
//! derived columns equal to a recomputation from the events in any order.

use crate::requests::queue::{self, QueueFilter};
use crate::requests::refdata::{self, Env};
use crate::requests::{self, NewRequest, Priority, Satisfaction, Status, Step};
use crate::residents::{self, ResidentDraft};
use crate::sla::Mode;
use crate::{Actor, CoreError, Ctx, ManualClock, Store};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

/// Monday 2026-03-02 09:00 in Shanghai (01:00 UTC): an ordinary working morning.
fn monday_morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).single().expect("valid")
}

struct World {
    store: Store,
    clock: ManualClock,
    actor: Actor,
    people: u32,
}

impl World {
    fn new() -> World {
        World {
            store: Store::open_in_memory().expect("store"),
            clock: ManualClock::at(monday_morning()),
            actor: Actor::new("official-1", "王主任"),
            people: 0,
        }
    }

    fn ctx(&mut self) -> Ctx<'_> {
        Ctx::new(&mut self.store, &self.clock, &self.actor)
    }

    fn phone(&mut self) -> Option<String> {
        self.people += 1;
        Some(format!("1381234{:04}", self.people))
    }

    fn resident(&mut self, name: &str, tags: &[&str]) -> String {
        let draft = ResidentDraft {
            name: name.into(),
            phone: self.phone(),
            community: Some("新兴社区".into()),
            grid: Some("第1网格".into()),
            building: Some("3幢".into()),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            ..ResidentDraft::default()
        };
        residents::create(&mut self.ctx(), draft).expect("resident").id
    }

    fn ask(
        &mut self,
        resident: Option<&str>,
        category: &str,
        text: &str,
    ) -> requests::commands::Outcome {
        let input = NewRequest {
            resident_id: resident.map(str::to_owned),
            category: category.into(),
            description: text.into(),
            ..NewRequest::default()
        };
        requests::create(&mut self.ctx(), input).expect("create")
    }

    fn step(&mut self, id: &str, s: Step) -> Result<requests::commands::Outcome, CoreError> {
        requests::act(&mut self.ctx(), id, s)
    }

    fn detail(&self, id: &str) -> requests::read::RequestDetail {
        requests::read::get(&self.store, id, self.clock_now()).expect("detail")
    }

    fn clock_now(&self) -> DateTime<Utc> {
        use crate::Clock;
        self.clock.now()
    }
}

fn ops_and_audits(store: &Store) -> (i64, i64) {
    let c = |sql: &str| store.conn().query_row(sql, [], |r| r.get(0)).expect("count");
    (c("SELECT count(*) FROM outbox"), c("SELECT count(*) FROM audit_log"))
}

#[test]
fn intake_proposes_a_priority_with_reasons_and_every_step_goes_through_the_write_path() {
    let mut w = World::new();
    let grandma = w.resident("李秀英", &["独居老人"]);
    let before = ops_and_audits(&w.store);
    let o = w.ask(Some(&grandma), "medicine", "我胸口痛，喘不上气");
    assert_eq!(o.priority, Priority::Urgent);
    let d = w.detail(&o.id);
    assert_eq!(d.proposed, Priority::Urgent);
    let codes: Vec<&str> =
        d.reasons.as_array().expect("reasons").iter().filter_map(|r| r["code"].as_str()).collect();
    assert!(codes.contains(&"crisis_word"), "{codes:?}");
    assert_eq!(d.status, Status::New);
    assert_eq!(d.grid.as_deref(), Some("第1网格"), "the resident's grid answers for it");
    for s in [
        Step::Accept,
        Step::Assign { assignee: "张伟".into() },
        Step::Start,
        Step::Resolve { note: "送医".into() },
    ] {
        w.clock.advance_ms(60_000);
        w.step(&o.id, s).expect("step");
    }
    w.step(&o.id, Step::Close { satisfaction: Satisfaction::Satisfied, note: String::new() })
        .expect("close");
    let after = ops_and_audits(&w.store);
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        (6, 6),
        "one op and one audit entry per command"
    );
    let d = w.detail(&o.id);
    assert_eq!(d.status, Status::Closed);
    let kinds: Vec<&str> = d.timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["created", "accept", "assign", "start", "resolve", "close"]);
    assert!(d.timeline.iter().all(|e| e.actor == "王主任"));
    // A closed request is not assignable by anyone: the state machine refuses, nothing written.
    let err = w.step(&o.id, Step::Assign { assignee: "x".into() }).expect_err("refused");
    assert_eq!(err.code(), "not_allowed");
    assert_eq!(ops_and_audits(&w.store), after);
}

#[test]
fn an_override_needs_a_reason_and_bad_input_writes_nothing() {
    let mut w = World::new();
    let before = ops_and_audits(&w.store);
    let input = NewRequest {
        category: "consultation".into(),
        description: "核酸检测点几点开门".into(),
        priority: Some(Priority::Urgent),
        ..NewRequest::default()
    };
    let err = requests::create(&mut w.ctx(), input.clone()).expect_err("no reason");
    assert_eq!(err.code(), "not_allowed");
    let err =
        requests::create(&mut w.ctx(), NewRequest { category: "nope".into(), ..input.clone() })
            .expect_err("unknown category");
    assert!(err.to_string().contains("nope"), "{err}");
    let err =
        requests::create(&mut w.ctx(), NewRequest { description: "  ".into(), ..input.clone() })
            .expect_err("empty");
    assert_eq!(err.code(), "not_allowed");
    assert_eq!(ops_and_audits(&w.store), before, "nothing written by refused commands");
    let ok = requests::create(
        &mut w.ctx(),
        NewRequest { override_reason: Some("居民在检测点排队时晕倒".into()), ..input },
    )
    .expect("with a reason");
    assert_eq!(ok.priority, Priority::Urgent);
    assert_eq!(w.detail(&ok.id).proposed, Priority::Low);
}

#[test]
fn paused_time_never_counts_and_hand_backs_do_not_reset_the_clock() {
    let mut w = World::new();
    let r = w.resident("周强", &[]);
    let o = w.ask(Some(&r), "community_service", "楼道灯坏了");
    w.step(&o.id, Step::Accept).expect("accept");
    let due0 = w.detail(&o.id).sla.resolution.due_at;
    assert!(due0.is_some(), "the resolution clock runs from acceptance: {:?}", w.detail(&o.id).sla);
    w.clock.advance_ms(3_600_000);
    w.step(&o.id, Step::Pause { reason: "等待居民回电".into() }).expect("pause");
    // Two days waiting on the resident.
    w.clock.advance_ms(2 * 86_400_000);
    w.step(&o.id, Step::Resume).expect("resume");
    let d = w.detail(&o.id);
    let used = d.sla.resolution.used_secs;
    assert_eq!(used, 3600, "only the hour before the pause counts: {:?}", d.sla);
    // A transfer and a return hand the work on; the resolution clock keeps its time.
    let other = grid_id(&mut w, "第2网格");
    w.step(&o.id, Step::Transfer { area_id: other, reason: "属于相邻网格".into() })
        .expect("transfer");
    w.step(&o.id, Step::Accept).expect("accept again");
    w.step(&o.id, Step::Return { reason: "不在本网格".into() }).expect("return");
    let d = w.detail(&o.id);
    assert_eq!((d.transfers, d.returns, d.round, d.status), (1, 1, 3, Status::New));
    assert_eq!(d.grid.as_deref(), Some("第1网格"), "returned to the grid that handed it on");
    assert_eq!(d.sla.resolution.used_secs, 3600, "{:?}", d.sla);
}

fn grid_id(w: &mut World, name: &str) -> String {
    let found: Option<String> = w
        .store
        .conn()
        .query_row("SELECT id FROM areas WHERE level = 'grid' AND name = ?1", [name], |r| r.get(0))
        .ok();
    match found {
        Some(id) => id,
        None => {
            let draft = ResidentDraft {
                name: "占位".into(),
                phone: w.phone(),
                community: Some("新兴社区".into()),
                grid: Some(name.into()),
                ..ResidentDraft::default()
            };
            residents::create(&mut w.ctx(), draft).expect("resident");
            w.store
                .conn()
                .query_row("SELECT id FROM areas WHERE level = 'grid' AND name = ?1", [name], |r| {
                    r.get(0)
                })
                .expect("grid")
        }
    }
}

#[test]
fn duplicates_are_flagged_and_merging_keeps_both_histories() {
    let mut w = World::new();
    let r = w.resident("陈伟", &[]);
    let a = w.ask(Some(&r), "mutual_aid", "家里没有米和油了，想请志愿者帮忙代买");
    w.clock.advance_ms(3_600_000);
    let b = w.ask(Some(&r), "mutual_aid", "没米没油了，能不能帮忙买一点");
    assert_eq!(b.duplicates, vec![a.id.clone()]);
    w.step(&a.id, Step::Accept).expect("accept");
    requests::merge(&mut w.ctx(), &b.id, &a.id).expect("merge");
    let kept = w.detail(&a.id);
    assert!(
        kept.timeline.iter().any(|e| e.request_id == b.id && e.kind == "created"),
        "the merged request's history shows"
    );
    assert!(kept.timeline.iter().any(|e| e.kind == "merged"));
    let dup = w.detail(&b.id);
    assert_eq!((dup.status, dup.merged_into.as_deref()), (Status::Duplicate, Some(a.id.as_str())));
}

#[test]
fn the_queue_orders_by_time_left_and_lockdown_tightens_every_open_clock() {
    let mut w = World::new();
    let low = w.ask(None, "consultation", "低保申请需要哪些材料");
    let urgent = w.ask(None, "medicine", "老人晕倒了，不省人事");
    let normal = w.ask(None, "community_service", "垃圾两天没人清运");
    for id in [&low.id, &urgent.id, &normal.id] {
        w.step(id, Step::Accept).expect("accept");
    }
    w.step(&normal.id, Step::Pause { reason: "等待物业".into() }).expect("pause");
    let env = Env::of(&w.store).expect("env");
    let now = w.clock_now();
    let page = queue::page(&w.store, &env, &QueueFilter::default(), 0, 10, now).expect("page");
    let order: Vec<&str> = page.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        order,
        [urgent.id.as_str(), low.id.as_str(), normal.id.as_str()],
        "running by due, paused last"
    );
    assert!(page[2].paused && page[2].due_at.is_none());
    // Windows past the first part still line up.
    let second = queue::page(&w.store, &env, &QueueFilter::default(), 2, 10, now).expect("page");
    assert_eq!(second.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), [normal.id.as_str()]);
    let low_due = page[1].due_at.clone().expect("due");
    refdata::set_mode(&mut w.ctx(), Mode::Lockdown).expect("lockdown");
    let env = Env::of(&w.store).expect("env");
    let page = queue::page(&w.store, &env, &QueueFilter::default(), 0, 10, now).expect("page");
    let low_now = page.iter().find(|i| i.id == low.id).and_then(|i| i.due_at.clone()).expect("due");
    assert!(low_now < low_due, "lockdown tightens: {low_now} < {low_due}");
    // Overdue view: two days later nothing urgent is left in time.
    w.clock.advance_ms(2 * 86_400_000);
    let later = w.clock_now();
    let overdue = QueueFilter { overdue: true, ..QueueFilter::default() };
    let late = queue::page(&w.store, &env, &overdue, 0, 10, later).expect("page");
    assert!(late.iter().any(|i| i.id == urgent.id && i.left_secs.is_some_and(|l| l < 0)));
    assert_eq!(queue::count(&w.store, &overdue, later).expect("count"), late.len() as u64);
    // Searching the queue: words of the description (trigram index), or two characters.
    let find = |text: &str| {
        let f = QueueFilter { text: Some(text.into()), ..QueueFilter::default() };
        queue::page(&w.store, &env, &f, 0, 10, later)
            .expect("page")
            .into_iter()
            .map(|i| i.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(find("不省人事"), vec![urgent.id]);
    assert_eq!(find("垃圾"), vec![normal.id]);
    assert!(find("查无此事").is_empty());
}

#[test]
fn the_demo_month_is_made_by_the_real_commands() {
    let mut w = World::new();
    let people = crate::demo::people(7, 300, monday_morning().date_naive());
    residents::create_many(&mut w.ctx(), people, "demo").expect("people");
    let n = requests::demo::month(&mut w.store, &w.actor, 7, monday_morning(), 6).expect("month");
    assert!(n > 150, "{n}");
    let statuses: Vec<(String, i64)> = w
        .store
        .conn()
        .prepare("SELECT status, count(*) FROM requests GROUP BY status")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let has = |s: &str| statuses.iter().any(|(k, n)| k == s && *n > 0);
    let open: i64 = statuses
        .iter()
        .filter(|(k, _)| ["new", "accepted", "assigned", "in_progress"].contains(&k.as_str()))
        .map(|(_, n)| n)
        .sum();
    assert!(has("closed") && has("rejected") && open > 0, "{statuses:?}");
    let audit = crate::write::verify_audit_chain(&w.store).expect("verify");
    assert_eq!(audit.broken_at, None);
}

fn any_step() -> impl Strategy<Value = u8> {
    0u8..13
}

fn step_of(k: u8, grid: &str) -> Step {
    match k {
        0 => Step::Accept,
        1 => Step::Assign { assignee: "张伟".into() },
        2 => Step::Start,
        3 => Step::Resolve { note: "好了".into() },
        4 => Step::Close { satisfaction: Satisfaction::Satisfied, note: String::new() },
        5 => Step::Reject { reason: "重复来电".into() },
        6 => Step::Cancel { reason: "居民撤回".into() },
        7 => Step::Reopen { reason: "居民不满意".into() },
        8 => Step::Transfer { area_id: grid.into(), reason: "相邻网格".into() },
        9 => Step::Return { reason: "不在本网格".into() },
        10 => Step::Pause { reason: "等待居民".into() },
        11 => Step::Resume,
        _ => Step::Accept,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Through the real store: whatever commands an official (or a script) sends, the stored
    /// status only follows the state machine, (round, rank) never decreases, refused commands
    /// write nothing, and the cached queue columns equal a fresh computation from the events.
    #[test]
    fn no_sequence_of_commands_breaks_the_lifecycle_or_the_cache(
        steps in proptest::collection::vec((any_step(), 1u32..600), 1..30)
    ) {
        let mut w = World::new();
        let r = w.resident("赵敏", &[]);
        let second = grid_id(&mut w, "第2网格");
        let o = w.ask(Some(&r), "mutual_aid", "需要帮忙买菜");
        let mut last = (1u32, 0u8);
        for (k, minutes) in steps {
            w.clock.advance_ms(i64::from(minutes) * 60_000);
            let before = ops_and_audits(&w.store);
            let d0 = w.detail(&o.id);
            let target = if d0.grid.as_deref() == Some("第2网格") { grid_id(&mut w, "第1网格") } else { second.clone() };
            match w.step(&o.id, step_of(k, &target)) {
                Ok(_) => {
                    let d = w.detail(&o.id);
                    let order = (d.round, crate::requests::lifecycle::Position { status: d.status, round: d.round, paused: d.paused }.order().1);
                    prop_assert!(order >= last, "{:?} then {:?}", last, order);
                    last = order;
                }
                Err(e) => {
                    prop_assert_eq!(e.code(), "not_allowed", "{}", e);
                    prop_assert_eq!(ops_and_audits(&w.store), before);
                }
            }
        }
        let now = w.clock_now();
        let cached: (Option<i64>, Option<i64>) = w.store.conn().query_row(
            "SELECT due_ms, budget_secs FROM requests WHERE id = ?1", [&o.id], |r| Ok((r.get(0)?, r.get(1)?))).expect("row");
        refdata::set_mode(&mut w.ctx(), Mode::Normal).expect("recompute");
        let fresh: (Option<i64>, Option<i64>) = w.store.conn().query_row(
            "SELECT due_ms, budget_secs FROM requests WHERE id = ?1", [&o.id], |r| Ok((r.get(0)?, r.get(1)?))).expect("row");
        prop_assert_eq!(cached, fresh, "recomputed at {}", now);
    }
}

#[test]
fn check_ins_are_made_once_per_resident_and_period_with_the_same_id_on_every_device() {
    let mut a = World::new();
    let alone = a.resident("孙桂英", &["独居老人"]);
    a.resident("周明", &[]);
    let day = monday_morning().date_naive();
    let normal = Env::of(&a.store).expect("env").policy("welfare_check", Priority::Normal);
    assert_eq!(
        normal.resolution,
        crate::sla::Budget::WorkingDays(1),
        "the seeded welfare policy parses"
    );
    // Lockdown only: nothing in normal working.
    let r = requests::checkins::generate(&mut a.ctx(), day).expect("generate");
    assert_eq!((r.created, r.skipped_rules.len()), (0, 1));
    assert_eq!(requests::checkins::missing(&a.store, day).expect("missing"), 0);
    refdata::set_mode(&mut a.ctx(), Mode::Lockdown).expect("lockdown");
    assert_eq!(requests::checkins::missing(&a.store, day).expect("missing"), 1);
    let r = requests::checkins::generate(&mut a.ctx(), day).expect("generate");
    assert_eq!(r.created, 1);
    assert_eq!(requests::checkins::missing(&a.store, day).expect("missing"), 0);
    let again = requests::checkins::generate(&mut a.ctx(), day).expect("again");
    assert_eq!((again.created, again.existing), (0, 1), "generating twice makes nothing new");
    let id = requests::checkins::checkin_id("elderly_alone_daily", &alone, &day.to_string());
    let d = a.detail(&id);
    assert_eq!((d.category.as_str(), d.status), ("welfare_check", Status::New));
    // Its own deadline: the welfare policy (8 hours in lockdown), not the general 48 hours.
    assert_eq!(d.sla.resolution.budget_secs, 8 * 3600, "{:?}", d.sla.resolution);
    assert_eq!(d.sla.resolution.status, crate::sla::ClockStatus::NotStarted);
    requests::act(&mut a.ctx(), &id, Step::Accept).expect("accept");
    assert_eq!(a.detail(&id).sla.resolution.status, crate::sla::ClockStatus::Running);
    // Another laptop, same resident id (synced roster), same day: the same request id.
    assert_eq!(id, requests::checkins::checkin_id("elderly_alone_daily", &alone, &day.to_string()));
    let next =
        requests::checkins::generate(&mut a.ctx(), day.succ_opt().expect("day")).expect("next day");
    assert_eq!(next.created, 1, "a new day, a new call");
}

#[test]
fn someone_not_on_the_roster_is_added_with_their_request_in_one_transaction() {
    let mut w = World::new();
    let before = ops_and_audits(&w.store);
    let person = |phone: Option<&str>| requests::NewPerson {
        name: "马大爷".into(),
        phone: phone.map(str::to_owned),
        id_number: None,
        address: Some("5幢1单元402".into()),
    };
    let input = |phone| NewRequest {
        category: "medicine".into(),
        description: "降压药吃完了".into(),
        new_person: Some(person(phone)),
        ..NewRequest::default()
    };
    let err = requests::create(&mut w.ctx(), input(None)).expect_err("no way to find him again");
    assert!(err.to_string().contains("phone"), "{err}");
    assert_eq!(ops_and_audits(&w.store), before, "nothing written");
    let o = requests::create(&mut w.ctx(), input(Some("13912345678"))).expect("created");
    let d = w.detail(&o.id);
    assert_eq!(d.resident_name.as_deref(), Some("马大爷"));
    let found = crate::residents::search(&w.store, "马大爷", 5).expect("search");
    assert_eq!(found.len(), 1, "he is on the roster now");
    let after = ops_and_audits(&w.store);
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        (2, 2),
        "the resident's and the request's"
    );
}
