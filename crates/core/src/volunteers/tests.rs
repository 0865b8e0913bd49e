//! Volunteers through the real store: dispatch with capacity and time, the official's records
//! (no-show back to the queue with its deadline running, done, confirmed), stale assignments,
//! points earned within the daily cap, redemption that never overdraws, and the ledger's rules
//! under any sequence of commands.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::assignment::{self, AssignInput, AssignmentStatus, Move};
use super::points;
use super::refdata::{self, Shop, VolunteerSettings};
use super::{Health, VolunteerDraft, VolunteerPatch};
use crate::clock::Clock;
use crate::requests::{self, NewRequest, Satisfaction, Status, Step};
use crate::residents::{self, ResidentDraft};
use crate::{Actor, CoreError, Ctx, ManualClock, Store};

/// Monday 2026-03-02 09:00 in Shanghai.
fn monday_morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).single().expect("valid")
}

pub(crate) struct World {
    pub store: Store,
    pub clock: ManualClock,
    pub actor: Actor,
    n: u32,
}

impl World {
    pub fn new() -> World {
        World {
            store: Store::open_in_memory().expect("store"),
            clock: ManualClock::at(monday_morning()),
            actor: Actor::new("official-1", "王主任"),
            n: 0,
        }
    }

    pub fn ctx(&mut self) -> Ctx<'_> {
        Ctx::new(&mut self.store, &self.clock, &self.actor)
    }

    fn phone(&mut self) -> String {
        self.n += 1;
        format!("1391234{:04}", self.n)
    }

    /// A request of `category` from a resident of 第1网格.
    pub fn request(&mut self, category: &str) -> String {
        let phone = self.phone();
        let draft = ResidentDraft {
            name: format!("居民{}", self.n),
            phone: Some(phone),
            community: Some("新兴社区".into()),
            grid: Some("第1网格".into()),
            ..ResidentDraft::default()
        };
        let who = residents::create(&mut self.ctx(), draft).expect("resident").id;
        let input = NewRequest {
            resident_id: Some(who),
            category: category.into(),
            description: "需要帮忙买药送到家".into(),
            ..NewRequest::default()
        };
        requests::create(&mut self.ctx(), input).expect("request").id
    }

    pub fn grid(&self) -> String {
        self.store
            .conn()
            .query_row("SELECT id FROM areas WHERE name = '第1网格'", [], |r| r.get(0))
            .expect("grid")
    }

    pub fn volunteer(&mut self, name: &str, capacity: u32) -> String {
        // The grid exists once a resident was placed in it.
        if self
            .store
            .conn()
            .query_row("SELECT count(*) FROM areas", [], |r| r.get::<_, i64>(0))
            .expect("n")
            == 0
        {
            self.request("other");
        }
        let phone = self.phone();
        let area = self.grid();
        super::create(
            &mut self.ctx(),
            VolunteerDraft {
                name: name.into(),
                phone: Some(phone),
                area_id: Some(area),
                skills: vec!["送药".into(), "driving".into()],
                capacity,
                ..VolunteerDraft::default()
            },
        )
        .expect("volunteer")
        .id
    }

    pub fn assign(
        &mut self,
        request: &str,
        volunteer: &str,
        slot: Option<(i64, i64)>,
    ) -> crate::Result<assignment::Assignment> {
        let input = AssignInput {
            request_id: request.into(),
            volunteer_id: volunteer.into(),
            slot,
            note: None,
        };
        assignment::assign(&mut self.ctx(), input)
    }

    fn status(&self, request: &str) -> (Status, u32, Option<i64>) {
        self.store
            .conn()
            .query_row("SELECT status, round, due_ms FROM requests WHERE id = ?1", [request], |r| {
                Ok((Status::parse(&r.get::<_, String>(0)?).expect("status"), r.get(1)?, r.get(2)?))
            })
            .expect("request")
    }
}

#[test]
fn a_volunteer_needs_a_name_a_phone_and_known_skills() {
    let mut w = World::new();
    let err =
        super::create(&mut w.ctx(), VolunteerDraft { name: "张三".into(), ..Default::default() })
            .expect_err("no phone");
    assert!(err.to_string().contains("phone"), "{err}");
    let err = super::create(
        &mut w.ctx(),
        VolunteerDraft {
            name: "张三".into(),
            phone: Some("13912345678".into()),
            skills: vec!["飞行".into()],
            ..Default::default()
        },
    )
    .expect_err("unknown skill");
    assert!(err.to_string().contains("飞行"), "{err}");
    let v = super::create(
        &mut w.ctx(),
        VolunteerDraft {
            name: " 张　三 ".into(),
            phone: Some("139 1234 5678".into()),
            skills: vec!["送药".into(), "Driving".into(), "medicine_run".into()],
            ..Default::default()
        },
    )
    .expect("volunteer");
    assert_eq!(v.skills, vec!["medicine_run", "driving"], "labels become keys, once each");
    assert_eq!(v.capacity, 1);
    let edited = super::update(
        &mut w.ctx(),
        &v.id,
        VolunteerPatch { capacity: Some(3), ..Default::default() },
    )
    .expect("edit");
    assert_eq!(edited.capacity, 3);
    let clocks: i64 = w
        .store
        .conn()
        .query_row(
            "SELECT count(*) FROM field_clocks WHERE entity = 'volunteer' AND field = 'capacity'",
            [],
            |r| r.get(0),
        )
        .expect("clock");
    assert_eq!(clocks, 1, "an edited field gets its own clock for sync");
}

#[test]
fn dispatch_assigns_a_new_request_in_one_step_and_capacity_holds() {
    let mut w = World::new();
    let vol = w.volunteer("李四", 1);
    let first = w.request("medicine");
    let a = w.assign(&first, &vol, None).expect("assign");
    assert_eq!(a.status, AssignmentStatus::Proposed);
    assert_eq!(w.status(&first).0, Status::Assigned, "accepted and assigned at once");
    let second = w.request("medicine");
    let err = w.assign(&second, &vol, None).expect_err("over capacity");
    assert!(matches!(err, CoreError::Refused(crate::Refusal::AtCapacity { active: 1 })), "{err}");
    assert!(err.to_string().contains("limit"), "{err}");
    assert_eq!(w.status(&second).0, Status::New, "a refused dispatch writes nothing");
    let detail = super::get(&w.store, &vol).expect("read").expect("volunteer");
    assert_eq!(detail.load, 1);
}

#[test]
fn planned_slots_never_overlap_even_below_capacity() {
    let mut w = World::new();
    let vol = w.volunteer("王五", 3);
    let t0 = w.clock.now().timestamp_millis() + 3_600_000;
    let a = w.request("supplies");
    w.assign(&a, &vol, Some((t0, t0 + 3_600_000))).expect("first slot");
    let b = w.request("supplies");
    let err = w.assign(&b, &vol, Some((t0 + 1_800_000, t0 + 5_400_000))).expect_err("clash");
    assert!(err.to_string().contains("already booked"), "{err}");
    w.assign(&b, &vol, Some((t0 + 3_600_000, t0 + 7_200_000)))
        .expect("touching slots do not clash");
    let c = w.request("supplies");
    // A task "from now" for an hour starts before the first slot: no clash, capacity allows.
    w.assign(&c, &vol, None).expect("from now");
}

#[test]
fn a_no_show_sends_the_request_back_to_the_queue_with_its_deadline_running() {
    let mut w = World::new();
    let vol = w.volunteer("赵六", 1);
    let req = w.request("medicine");
    let (_, round, due_before) = w.status(&req);
    let a = w.assign(&req, &vol, None).expect("assign");
    w.clock.advance_ms(30 * 60_000);
    let gone = assignment::record(&mut w.ctx(), &a.id, Move::NoShow, None).expect("no-show");
    assert_eq!(gone.status, AssignmentStatus::NoShow);
    let (status, round_after, due_after) = w.status(&req);
    assert_eq!(status, Status::Accepted);
    assert_eq!(round_after, round + 1, "a new round");
    assert!(due_after.is_some(), "the deadline is still running");
    assert!(due_before.is_some());
    let v = super::get(&w.store, &vol).expect("read").expect("volunteer");
    assert_eq!((v.load, v.track.no_show, v.track.last_no_show), (0, 1, true));
    let risk = super::report::at_risk(&w.store, w.clock.now()).expect("report");
    assert_eq!(risk.len(), 1);
    assert!(risk[0].missed_last);
    let pool = super::dispatch::Pool::load(&w.store).expect("pool");
    let now = w.clock.now().timestamp_millis();
    let s = pool.suggest(&w.store, &req, now, None, 10).expect("rank");
    assert!(
        s.volunteers.iter().all(|v| v.rank.id != vol),
        "not proposed again for the request they missed"
    );
    // The volunteer is free again and the request can go to someone else.
    let other = w.volunteer("钱七", 1);
    w.assign(&req, &other, None).expect("reassign");
    assert_eq!(w.status(&req).0, Status::Assigned);
}

#[test]
fn an_assignment_without_progress_turns_stale_and_can_be_released() {
    let mut w = World::new();
    let vol = w.volunteer("孙八", 1);
    let req = w.request("supplies");
    let a = w.assign(&req, &vol, None).expect("assign");
    assert!(!a.stale);
    w.clock.advance_ms((i64::from(refdata::DEFAULT_SETTINGS.stale_minutes) + 1) * 60_000);
    let now = w.clock.now();
    let open = assignment::open(&w.store, now).expect("open");
    assert!(open[0].stale);
    let err = assignment::record(&mut w.ctx(), &a.id, Move::Release, None).expect_err("needs why");
    assert!(matches!(err, CoreError::Invalid(_)));
    let r = assignment::record(&mut w.ctx(), &a.id, Move::Release, Some("两小时无进展".into()))
        .expect("release");
    assert_eq!(r.status, AssignmentStatus::Released);
    assert_eq!(w.status(&req).0, Status::Accepted);
}

#[test]
fn confirmed_service_earns_the_categorys_points_within_the_daily_cap() {
    let mut w = World::new();
    refdata::set_settings(
        &mut w.ctx(),
        VolunteerSettings { points_daily_cap: 10, stale_minutes: 120 },
    )
    .expect("cap");
    let vol = w.volunteer("周九", 3);
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let req = w.request("medicine");
        let a = w.assign(&req, &vol, None).expect("assign");
        assignment::record(&mut w.ctx(), &a.id, Move::Start, None).expect("start");
        let done = assignment::record(&mut w.ctx(), &a.id, Move::Done, None).expect("done");
        assert_eq!(done.status, AssignmentStatus::Done);
        assert_eq!(w.status(&req).0, Status::Resolved);
        tasks.push((req, a.id));
    }
    assert_eq!(points::balance(&w.store, &vol).expect("balance"), 0, "done is not confirmed");
    assignment::confirm(&mut w.ctx(), &tasks[0].1).expect("confirm");
    assert_eq!(points::balance(&w.store, &vol).expect("balance"), 8, "medicine is worth 8");
    // The second is confirmed by the resident at the callback: capped at 10 for the day.
    requests::act(
        &mut w.ctx(),
        &tasks[1].0,
        Step::Close { satisfaction: Satisfaction::Satisfied, note: String::new() },
    )
    .expect("close");
    let a = assignment::get(&w.store, w.clock.now(), &tasks[1].1).expect("read");
    assert_eq!(a.confirmed_by.as_deref(), Some("callback"));
    assert_eq!(a.points, 2);
    assert_eq!(points::balance(&w.store, &vol).expect("balance"), 10);
    let err = assignment::confirm(&mut w.ctx(), &tasks[0].1).expect_err("twice");
    assert!(err.to_string().contains("already"), "{err}");
}

#[test]
fn redemption_gives_a_voucher_and_never_overdraws() {
    let mut w = World::new();
    let vol = w.volunteer("吴十", 1);
    let shop = refdata::set_shop(
        &mut w.ctx(),
        Shop {
            id: String::new(),
            name: "惠民超市".into(),
            address: "中山路1号".into(),
            active: true,
        },
    )
    .expect("shop");
    let err = points::redeem(&mut w.ctx(), &vol, &shop.id, 5, "").expect_err("empty balance");
    assert!(err.to_string().contains("balance is 0"), "{err}");
    points::correct(&mut w.ctx(), &vol, 12, "补录三月服务").expect("correction");
    let e = points::redeem(&mut w.ctx(), &vol, &shop.id, 5, "").expect("redeem");
    assert_eq!(e.amount, -5);
    assert_eq!(e.balance, 7);
    let code = e.voucher.expect("voucher");
    assert_eq!(code.len(), 9);
    assert!(points::correct(&mut w.ctx(), &vol, -8, "录错").is_err(), "never below zero");
    let err = w
        .store
        .conn()
        .execute("UPDATE points_ledger SET amount = 100", [])
        .expect_err("append-only");
    assert!(err.to_string().contains("append-only"));
}

#[test]
fn a_quarantined_volunteer_is_never_sent() {
    let mut w = World::new();
    let vol = w.volunteer("郑一", 2);
    super::update(
        &mut w.ctx(),
        &vol,
        VolunteerPatch { health: Some(Health::Quarantined), ..Default::default() },
    )
    .expect("quarantine");
    let req = w.request("supplies");
    let err = w.assign(&req, &vol, None).expect_err("quarantined");
    assert!(err.to_string().contains("quarantined"), "{err}");
}

#[derive(Debug, Clone)]
enum Cmd {
    Task { day: u8 },
    Redeem(u32),
    Correct(i64),
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        (0u8..3).prop_map(|day| Cmd::Task { day }),
        (1u32..15).prop_map(Cmd::Redeem),
        (-12i64..12).prop_map(Cmd::Correct),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    /// Whatever the official does, the balance is the sum of the entries, never below zero,
    /// and no day earns more than the cap.
    #[test]
    fn the_ledger_balances_and_the_cap_holds(cmds in proptest::collection::vec(cmd(), 1..25)) {
        let mut w = World::new();
        refdata::set_settings(&mut w.ctx(), VolunteerSettings { points_daily_cap: 12, stale_minutes: 120 }).expect("cap");
        let vol = w.volunteer("冯二", 5);
        let shop = refdata::set_shop(&mut w.ctx(), Shop { id: String::new(), name: "便利店".into(), address: String::new(), active: true }).expect("shop");
        let start = w.clock.now();
        for c in cmds {
            match c {
                Cmd::Task { day } => {
                    w.clock.set(start + Duration::days(i64::from(day)));
                    let req = w.request("medicine");
                    let a = w.assign(&req, &vol, None).expect("assign");
                    assignment::record(&mut w.ctx(), &a.id, Move::Done, None).expect("done");
                    assignment::confirm(&mut w.ctx(), &a.id).expect("confirm");
                }
                Cmd::Redeem(n) => { let _ = points::redeem(&mut w.ctx(), &vol, &shop.id, n, ""); }
                Cmd::Correct(n) => { let _ = points::correct(&mut w.ctx(), &vol, n, "核对"); }
            }
            let conn = w.store.conn();
            let sum: i64 = conn.query_row("SELECT ifnull(sum(amount), 0) FROM points_ledger", [], |r| r.get(0)).expect("sum");
            let balance = points::balance(&w.store, &vol).expect("balance");
            prop_assert_eq!(sum, balance);
            prop_assert!(balance >= 0);
            let worst: i64 = conn.query_row(
                "SELECT ifnull(max(s), 0) FROM (SELECT sum(amount) s FROM points_ledger WHERE kind = 'earn' GROUP BY day)",
                [], |r| r.get(0)).expect("days");
            prop_assert!(worst <= 12, "a day earned {}", worst);
            // The running balance shown in the ledger never dips below zero either.
            for e in points::ledger(&w.store, Some(&vol)).expect("ledger") {
                prop_assert!(e.balance >= 0);
            }
        }
    }

    /// No sequence of moves leaves a status behind: the rank never decreases, and an ended
    /// assignment accepts no further move.
    #[test]
    fn assignment_moves_only_go_forward(moves in proptest::collection::vec(proptest::sample::select(Move::ALL.to_vec()), 0..30)) {
        let mut s = AssignmentStatus::Proposed;
        for m in moves {
            if let Ok(t) = assignment::next(s, m) {
                prop_assert!(t.rank() > s.rank(), "{:?} --{:?}--> {:?}", s, m, t);
                prop_assert!(s.is_active());
                s = t;
            }
        }
    }
}

#[test]
fn dated_exceptions_are_kept_checked_and_rank_the_volunteer_away() {
    use super::availability::{Availability, Exception, Slot};
    let mut w = World::new();
    let vol = w.volunteer("褚三", 1);
    let every_day: Vec<Slot> = (1..=7).map(|day| Slot { day, from_min: 0, to_min: 1440 }).collect();
    let today = "2026-03-02".to_owned();
    let away = Availability {
        slots: every_day.clone(),
        exceptions: vec![Exception {
            from: today.clone(),
            to: today.clone(),
            available: false,
            note: "隔离观察".into(),
        }],
    };
    let v = super::update(
        &mut w.ctx(),
        &vol,
        VolunteerPatch { availability: Some(away), ..Default::default() },
    )
    .expect("exception saved");
    assert_eq!(v.availability.exceptions.len(), 1);
    let bad = Availability {
        slots: every_day,
        exceptions: vec![Exception {
            from: "2026-03-05".into(),
            to: "2026-03-01".into(),
            available: false,
            note: String::new(),
        }],
    };
    let err = super::update(
        &mut w.ctx(),
        &vol,
        VolunteerPatch { availability: Some(bad), ..Default::default() },
    )
    .expect_err("reversed dates");
    assert!(
        matches!(
            err,
            CoreError::Refused(crate::Refusal::Availability(
                super::availability::AvailabilityError::ReversedDates { .. }
            ))
        ),
        "{err}"
    );
    let req = w.request("medicine");
    let pool = super::dispatch::Pool::load(&w.store).expect("pool");
    let s = pool.suggest(&w.store, &req, w.clock.now().timestamp_millis(), None, 5).expect("rank");
    let r = &s.volunteers[0].rank;
    assert!(
        r.reasons.iter().any(|x| matches!(x, super::rank::Reason::Unavailable { .. })),
        "away today by the exception: {:?}",
        r.reasons
    );
}
