//! The clocks from events: pauses never count, arrival order never matters, hand-worked dues.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::*;
use crate::sla::{default_policy, Calendar, Counting, Mode, Priority};

fn sh(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

fn ev(at: DateTime<Utc>, seq: &str, kind: SlaEventKind) -> SlaEvent {
    SlaEvent { at, seq: seq.into(), kind }
}

fn pause() -> SlaEventKind {
    SlaEventKind::Paused { reason: "等待居民".into() }
}

#[test]
fn a_normal_request_paused_for_two_days_is_due_two_working_days_later() {
    let cal = Calendar::china_default();
    let policy = default_policy(Priority::Normal, Mode::Normal);
    let events = vec![
        ev(sh(2026, 3, 2, 8, 40), "1", SlaEventKind::Created),
        ev(sh(2026, 3, 2, 9, 0), "2", SlaEventKind::Accepted),
        ev(sh(2026, 3, 2, 10, 0), "3", pause()),
        ev(sh(2026, 3, 4, 10, 0), "4", SlaEventKind::Resumed),
    ];
    let st = evaluate(&events, &policy, Mode::Normal, &cal, sh(2026, 3, 4, 10, 0));
    assert_eq!(st.accept.status, ClockStatus::Met);
    assert_eq!(st.accept.used_secs, 20 * 60);
    assert_eq!(st.resolution.used_secs, 3600, "only the hour before the pause");
    // 7 working days from Monday 09:00 is Wednesday 11 March 09:00; two working days of pause
    // (Monday 10:00 to Wednesday 10:00) push it to Friday 13 March 09:00.
    assert_eq!(st.resolution.due_at, Some(sh(2026, 3, 13, 9, 0)));
    assert_eq!(st.active, Active::FirstResponse);
    assert_eq!(st.first_response.status, ClockStatus::Running, "the pause stopped this clock too");
    assert_eq!(st.first_response.used_secs, 3600);
    let paused = evaluate(&events[..3], &policy, Mode::Normal, &cal, sh(2026, 3, 3, 10, 0));
    assert!(paused.paused && paused.resolution.due_at.is_none());
    assert_eq!(paused.resolution.status, ClockStatus::Paused);
    assert_eq!(paused.pause_reason.as_deref(), Some("等待居民"));
}

#[test]
fn urgent_work_counts_around_the_clock_and_escalates_by_the_table() {
    let cal = Calendar::china_default();
    let policy = default_policy(Priority::Urgent, Mode::Normal);
    // Saturday night: urgent clocks do not wait for Monday.
    let t0 = sh(2026, 3, 7, 23, 0);
    let events = vec![
        ev(t0, "1", SlaEventKind::Created),
        ev(t0 + Duration::minutes(5), "2", SlaEventKind::Accepted),
    ];
    let at = |m: i64| evaluate(&events, &policy, Mode::Normal, &cal, t0 + Duration::minutes(5 + m));
    assert_eq!(at(0).resolution.due_at, Some(t0 + Duration::minutes(125)));
    assert_eq!(at(0).resolution.counting, Counting::Continuous);
    // First response: 30 minutes.
    assert_eq!(at(22).escalation(), Escalation::None);
    assert_eq!(at(23).escalation(), Escalation::WarnAssignee, "75 % of 30 min is 22.5 min");
    assert_eq!(at(30).escalation(), Escalation::GridLead);
    assert_eq!(at(45).escalation(), Escalation::Community);
    assert_eq!(at(60).escalation(), Escalation::Street);
    assert_eq!(escalation(0.75), Escalation::WarnAssignee);
    assert_eq!(escalation(0.7499), Escalation::None);
    assert_eq!(escalation(1.5), Escalation::Community);
    assert_eq!(escalation(2.0), Escalation::Street);
}

#[test]
fn a_reopen_starts_every_clock_again_and_cancelling_stops_them() {
    let cal = Calendar::china_default();
    let policy = default_policy(Priority::High, Mode::Normal);
    let t = sh(2026, 3, 2, 9, 0);
    let mut events = vec![
        ev(t, "1", SlaEventKind::Created),
        ev(t + Duration::minutes(10), "2", SlaEventKind::Accepted),
        ev(t + Duration::hours(30), "3", SlaEventKind::Resolved),
    ];
    let st = evaluate(&events, &policy, Mode::Normal, &cal, t + Duration::hours(31));
    assert_eq!(st.resolution.status, ClockStatus::Breached);
    assert_eq!(st.active, Active::None);
    events.push(ev(t + Duration::hours(40), "4", SlaEventKind::Reopened));
    let st = evaluate(
        &events,
        &policy,
        Mode::Normal,
        &cal,
        t + Duration::hours(40) + Duration::minutes(30),
    );
    assert_eq!(
        (st.active, st.accept.status, st.accept.used_secs),
        (Active::Accept, ClockStatus::Running, 1800)
    );
    events.push(ev(t + Duration::hours(41), "5", SlaEventKind::Cancelled));
    let st = evaluate(&events, &policy, Mode::Normal, &cal, t + Duration::hours(50));
    assert_eq!((st.active, st.accept.status), (Active::None, ClockStatus::Stopped));
}

#[test]
fn lockdown_runs_every_clock_around_the_clock_and_shorter() {
    let cal = Calendar::china_default();
    let t = sh(2026, 3, 6, 17, 0); // Friday evening
    let events = vec![ev(t, "1", SlaEventKind::Created), ev(t, "2", SlaEventKind::Accepted)];
    let normal =
        evaluate(&events, &default_policy(Priority::Normal, Mode::Normal), Mode::Normal, &cal, t);
    let lockdown = evaluate(
        &events,
        &default_policy(Priority::Normal, Mode::Lockdown),
        Mode::Lockdown,
        &cal,
        t,
    );
    assert_eq!(lockdown.resolution.due_at, Some(t + Duration::hours(48)));
    assert!(lockdown.resolution.due_at < normal.resolution.due_at);
}

fn kind() -> impl Strategy<Value = SlaEventKind> {
    prop_oneof![
        Just(SlaEventKind::Accepted),
        Just(SlaEventKind::Started),
        Just(pause()),
        Just(SlaEventKind::Resumed),
        Just(SlaEventKind::Resolved),
        Just(SlaEventKind::Reopened),
        Just(SlaEventKind::Closed),
        Just(SlaEventKind::Cancelled),
    ]
}

fn events() -> impl Strategy<Value = Vec<SlaEvent>> {
    proptest::collection::vec((0i64..20_000, kind()), 0..14).prop_map(|v| {
        let t0 = sh(2026, 2, 10, 9, 0);
        let mut out = vec![ev(t0, "000", SlaEventKind::Created)];
        out.extend(
            v.into_iter()
                .enumerate()
                .map(|(i, (m, k))| ev(t0 + Duration::minutes(m), &format!("{:03}", i + 1), k)),
        );
        out
    })
}

fn policy_of(i: usize) -> (Policy, Mode) {
    let p = Priority::ALL[i % 4];
    let mode = if i >= 4 { Mode::Lockdown } else { Mode::Normal };
    (default_policy(p, mode), mode)
}

proptest! {
    #[test]
    fn the_state_is_the_same_whatever_order_the_events_arrived_in(
        evs in events(), perm in any::<proptest::sample::Index>(), p in 0usize..8, later in 0i64..40_000
    ) {
        let cal = Calendar::china_default();
        let (policy, mode) = policy_of(p);
        let now = sh(2026, 2, 10, 9, 0) + Duration::minutes(later);
        let mut shuffled = evs.clone();
        let n = shuffled.len();
        shuffled.rotate_left(perm.index(n.max(1)) % n.max(1));
        shuffled.reverse();
        prop_assert_eq!(evaluate(&evs, &policy, mode, &cal, now), evaluate(&shuffled, &policy, mode, &cal, now));
    }

    /// Accepted, then any pauses: the resolution clock's used time is exactly the counted
    /// time from acceptance to now minus the counted time of the pauses.
    #[test]
    fn paused_time_never_counts(
        gaps in proptest::collection::vec((1i64..3000, 1i64..6000), 0..6), p in 0usize..8, tail in 0i64..3000
    ) {
        let cal = Calendar::china_default();
        let (policy, mode) = policy_of(p);
        let t0 = sh(2026, 2, 10, 9, 0);
        let accepted = t0 + Duration::minutes(3);
        let mut events = vec![ev(t0, "a", SlaEventKind::Created), ev(accepted, "b", SlaEventKind::Accepted)];
        let mut t = accepted;
        let mut paused_total = 0;
        let counting = policy.resolution.resolve(mode, &cal).1;
        for (i, (run, stop)) in gaps.iter().enumerate() {
            let ps = t + Duration::minutes(*run);
            let pe = ps + Duration::minutes(*stop);
            events.push(ev(ps, &format!("p{i:02}"), pause()));
            events.push(ev(pe, &format!("q{i:02}"), SlaEventKind::Resumed));
            paused_total += cal.open_secs_between(ps, pe, counting);
            t = pe;
        }
        let now = t + Duration::minutes(tail);
        let st = evaluate(&events, &policy, mode, &cal, now);
        prop_assert_eq!(st.resolution.used_secs, cal.open_secs_between(accepted, now, counting) - paused_total);
        // And the due instant spends exactly the budget on running time.
        if let Some(due) = st.resolution.due_at {
            let mut spent = cal.open_secs_between(accepted, due, counting);
            let mut t = accepted;
            for (run, stop) in &gaps {
                let ps = t + Duration::minutes(*run);
                let pe = ps + Duration::minutes(*stop);
                spent -= cal.open_secs_between(ps.min(due), pe.min(due), counting);
                t = pe;
            }
            prop_assert_eq!(spent, st.resolution.budget_secs);
        }
    }
}
