//! The clocks from events: hand-worked dues on the real calendar, pauses never count (against
//! a minute-by-minute replay), arrival order never matters, escalation thresholds.
//!
//! The default office day is 08:30–12:00 and 13:30–17:30: 7.5 hours (27,000 s).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use proptest::prelude::*;

use super::*;
use crate::sla::calendar::tests::sh;
use crate::sla::{china_days, default_policy, Calendar, Counting, DayKind, Mode, Priority};

fn ev(at: DateTime<Utc>, seq: &str, kind: SlaEventKind) -> SlaEvent {
    SlaEvent { at, seq: seq.into(), kind }
}

fn pause() -> SlaEventKind {
    SlaEventKind::Paused { reason: "等待居民".into() }
}

const DAY: i64 = 27_000;

fn normal(events: &[SlaEvent], now: DateTime<Utc>) -> SlaState {
    let policy = default_policy(Priority::Normal, Mode::Normal);
    evaluate(events, &policy, Mode::Normal, &Calendar::china_default(), now)
}

#[test]
fn a_normal_request_across_the_make_up_sunday_and_mid_autumn() {
    let events = vec![
        ev(sh(2026, 9, 18, 16, 0), "1", SlaEventKind::Created),
        ev(sh(2026, 9, 20, 9, 0), "2", SlaEventKind::Accepted),
        ev(sh(2026, 9, 21, 10, 0), "3", SlaEventKind::Started),
    ];
    let st = normal(&events, sh(2026, 9, 29, 9, 0));
    // Accept, 4 business hours from Friday 16:00: 1.5 h on Friday, Saturday off, Sunday 20th
    // worked (调休): 2.5 h from 08:30 → due Sunday 11:00; accepted 09:00 after 2 h.
    assert_eq!(st.accept.status, ClockStatus::Met);
    assert_eq!(st.accept.used_secs, 2 * 3600);
    assert_eq!(st.accept.due_at, Some(sh(2026, 9, 20, 11, 0)), "a met clock keeps its due");
    // First response, 1 working day from Sunday 09:00 → Monday 09:00. Started Monday 10:00:
    // Sunday 09:00–17:30 is 7 h (lunch out), Monday 08:30–10:00 1.5 h: 8.5 h, breached.
    assert_eq!(st.first_response.due_at, Some(sh(2026, 9, 21, 9, 0)));
    assert_eq!(st.first_response.used_secs, 8 * 3600 + 1800);
    assert_eq!(st.first_response.status, ClockStatus::Breached);
    // Resolution, 7 working days from Sunday 09:00: Mon 21 1, Tue 2, Wed 3, Thu 24 4,
    // (25–27 中秋), Mon 28 5, Tue 29 6, Wed 30 7 → Wednesday 30 September 09:00.
    assert_eq!(st.active, Active::Resolution);
    assert_eq!(st.resolution.due_at, Some(sh(2026, 9, 30, 9, 0)));
    assert_eq!(st.sort_key(), Some(sh(2026, 9, 30, 9, 0)));
    // Tuesday 29th 09:00: six working days used of seven, 86 %: the assignee is warned.
    assert_eq!((st.resolution.used_secs, st.resolution.left_secs()), (6 * DAY, DAY));
    assert_eq!(st.escalation(), Escalation::WarnAssignee);
    // Thursday 8 October 16:00, after 国庆: Wednesday 09:00–17:30 (7 h) and Thursday
    // 08:30–16:00 (6 h) late, 13 h over 52.5 h: the grid lead.
    let st = normal(&events, sh(2026, 10, 8, 16, 0));
    assert_eq!(st.resolution.status, ClockStatus::Overdue);
    assert_eq!(st.resolution.left_secs(), -13 * 3600);
    assert_eq!(st.escalation(), Escalation::GridLead);
    assert_eq!(st.sort_key(), Some(sh(2026, 9, 30, 9, 0)), "overdue sorts by when it ran out");
    // Monday 12 October 17:30: Wed 7 h, Thu 8, Fri 9, Sat 10 (调休), Mon 12 7.5 h each late:
    // 37 h over, 170 %: the community.
    let st = normal(&events, sh(2026, 10, 12, 17, 30));
    assert_eq!(st.resolution.left_secs(), -(7 * 3600 + 4 * DAY));
    assert_eq!(st.escalation(), Escalation::Community);
}

#[test]
fn accepting_across_the_new_year_waits_for_the_make_up_sunday() {
    let events = vec![ev(sh(2025, 12, 31, 15, 0), "1", SlaEventKind::Created)];
    // 4 business hours: 2.5 h on Wednesday 31 December, 1–3 January off, Sunday 4 January
    // worked: 1.5 h from 08:30 → 10:00.
    let st = normal(&events, sh(2026, 1, 2, 12, 0));
    assert_eq!(st.active, Active::Accept);
    assert_eq!(st.accept.due_at, Some(sh(2026, 1, 4, 10, 0)));
    assert_eq!((st.accept.status, st.accept.used_secs), (ClockStatus::Running, 9000));
    assert_eq!(st.escalation(), Escalation::None, "62.5 % on a holiday, as on 31 December");
}

#[test]
fn a_pause_across_the_spring_festival_moves_the_due_by_the_working_time_it_held() {
    let cal = Calendar::china_default();
    let policy = default_policy(Priority::Low, Mode::Normal);
    let mut events = vec![
        ev(sh(2026, 2, 12, 9, 0), "1", SlaEventKind::Created),
        ev(sh(2026, 2, 12, 10, 0), "2", SlaEventKind::Accepted),
        ev(sh(2026, 2, 12, 11, 0), "3", SlaEventKind::Started),
    ];
    // 15 working days from Thursday 12 February 10:00 is Wednesday 11 March 10:00 (see the
    // calendar's tests).
    let st = evaluate(&events, &policy, Mode::Normal, &cal, sh(2026, 2, 12, 11, 0));
    assert_eq!(st.resolution.due_at, Some(sh(2026, 3, 11, 10, 0)));
    // Waiting for another agency from Friday 13th 10:00 to Tuesday 24th 10:00 holds Friday
    // 10:00–17:30 (6 h), Saturday 14th (调休, 7.5 h) and Tuesday 08:30–10:00 (1.5 h): two
    // working days, so Friday 13 March 10:00.
    let why = SlaEventKind::Paused { reason: "等待其他部门".into() };
    events.push(ev(sh(2026, 2, 13, 10, 0), "4", why));
    let st = evaluate(&events, &policy, Mode::Normal, &cal, sh(2026, 2, 20, 10, 0));
    assert!(st.paused && st.sort_key().is_none());
    assert_eq!((st.resolution.status, st.resolution.due_at), (ClockStatus::Paused, None));
    assert_eq!(st.pause_reason.as_deref(), Some("等待其他部门"));
    events.push(ev(sh(2026, 2, 24, 10, 0), "5", SlaEventKind::Resumed));
    let st = evaluate(&events, &policy, Mode::Normal, &cal, sh(2026, 2, 24, 10, 0));
    assert_eq!(st.resolution.due_at, Some(sh(2026, 3, 13, 10, 0)));
    // Used: Thursday 10:00–17:30 less lunch (6 h) and Friday 08:30–10:00 (1.5 h).
    assert_eq!(st.resolution.used_secs, DAY);
    assert!(!st.paused && st.pause_reason.is_none());
}

#[test]
fn a_normal_request_paused_for_two_days_is_due_two_working_days_later() {
    let events = vec![
        ev(sh(2026, 3, 2, 8, 40), "1", SlaEventKind::Created),
        ev(sh(2026, 3, 2, 9, 0), "2", SlaEventKind::Accepted),
        ev(sh(2026, 3, 2, 10, 0), "3", pause()),
        ev(sh(2026, 3, 4, 10, 0), "4", SlaEventKind::Resumed),
    ];
    let st = normal(&events, sh(2026, 3, 4, 10, 0));
    assert_eq!(st.accept.status, ClockStatus::Met);
    assert_eq!(st.accept.used_secs, 20 * 60);
    assert_eq!(st.resolution.used_secs, 3600, "only the hour before the pause");
    // 7 working days from Monday 09:00 is Wednesday 11 March 09:00; two working days of pause
    // (Monday 10:00 to Wednesday 10:00) push it to Friday 13 March 09:00.
    assert_eq!(st.resolution.due_at, Some(sh(2026, 3, 13, 9, 0)));
    assert_eq!(st.active, Active::FirstResponse);
    assert_eq!(st.first_response.status, ClockStatus::Running, "the pause stopped this clock too");
    assert_eq!(st.first_response.used_secs, 3600);
}

#[test]
fn finished_clocks_keep_their_due_and_say_whether_they_were_met() {
    let t = sh(2026, 3, 2, 9, 0);
    let mut events = vec![
        ev(t, "1", SlaEventKind::Created),
        ev(t, "2", SlaEventKind::Accepted),
        ev(sh(2026, 3, 4, 9, 0), "3", SlaEventKind::Resolved),
    ];
    let st = normal(&events, sh(2026, 3, 20, 9, 0));
    assert_eq!(st.active, Active::None);
    assert_eq!(st.sort_key(), None);
    assert_eq!(st.escalation(), Escalation::None);
    assert_eq!(st.resolution.status, ClockStatus::Met);
    assert_eq!(st.resolution.due_at, Some(sh(2026, 3, 11, 9, 0)));
    assert_eq!(st.resolution.finished_at, Some(sh(2026, 3, 4, 9, 0)));
    assert_eq!(st.resolution.used_secs, 2 * DAY);
    // Resolving counts as the first response when work was never marked started.
    assert_eq!(st.first_response.status, ClockStatus::Breached);
    // A pause after resolution pauses nothing.
    events.push(ev(sh(2026, 3, 5, 9, 0), "4", pause()));
    assert!(!normal(&events, sh(2026, 3, 6, 9, 0)).paused);
    // Cancelled while running: stopped, with the due it had.
    let cancelled = [
        ev(t, "1", SlaEventKind::Created),
        ev(t, "2", SlaEventKind::Accepted),
        ev(sh(2026, 3, 3, 9, 0), "3", SlaEventKind::Cancelled),
    ];
    let st = normal(&cancelled, sh(2026, 3, 20, 9, 0));
    assert_eq!((st.resolution.status, st.resolution.used_secs), (ClockStatus::Stopped, DAY));
    assert_eq!(st.resolution.due_at, Some(sh(2026, 3, 11, 9, 0)));
    assert_eq!(st.active, Active::None);
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
    assert_eq!(at(30).first_response.status, ClockStatus::Running, "due now is not yet late");
    assert_eq!(at(31).first_response.status, ClockStatus::Overdue);
    assert_eq!(at(45).escalation(), Escalation::Community);
    assert_eq!(at(60).escalation(), Escalation::Street);
}

#[test]
fn escalation_thresholds_belong_to_the_higher_level() {
    let below = |f: f64| f - 1e-9;
    assert_eq!(escalation(0.0), Escalation::None);
    assert_eq!(escalation(below(0.75)), Escalation::None);
    assert_eq!(escalation(0.75), Escalation::WarnAssignee);
    assert_eq!(escalation(below(1.0)), Escalation::WarnAssignee);
    assert_eq!(escalation(1.0), Escalation::GridLead);
    assert_eq!(escalation(below(1.5)), Escalation::GridLead);
    assert_eq!(escalation(1.5), Escalation::Community);
    assert_eq!(escalation(below(2.0)), Escalation::Community);
    assert_eq!(escalation(2.0), Escalation::Street);
    assert_eq!(escalation(f64::INFINITY), Escalation::Street);
    assert_eq!(escalation(f64::NAN), Escalation::None);
    assert!(
        Escalation::Street > Escalation::Community && Escalation::WarnAssignee > Escalation::None
    );
    // Exactly 75 % of a clock, in seconds: 45 of 60 minutes.
    let c = ClockState {
        status: ClockStatus::Running,
        budget_secs: 3600,
        used_secs: 2700,
        due_at: None,
        finished_at: None,
        counting: Counting::Continuous,
    };
    assert_eq!(escalation(c.fraction()), Escalation::WarnAssignee);
    assert_eq!(
        escalation(ClockState { used_secs: 2699, ..c.clone() }.fraction()),
        Escalation::None
    );
    assert_eq!(escalation(ClockState { used_secs: 7200, ..c }.fraction()), Escalation::Street);
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
    let now = t + Duration::hours(40) + Duration::minutes(30);
    let st = evaluate(&events, &policy, Mode::Normal, &cal, now);
    assert_eq!(
        (st.active, st.accept.status, st.accept.used_secs),
        (Active::Accept, ClockStatus::Running, 1800)
    );
    assert_eq!(st.resolution.status, ClockStatus::NotStarted, "the first round is history");
    events.push(ev(t + Duration::hours(41), "5", SlaEventKind::Cancelled));
    let st = evaluate(&events, &policy, Mode::Normal, &cal, t + Duration::hours(50));
    assert_eq!((st.active, st.accept.status), (Active::None, ClockStatus::Stopped));
    assert_eq!(st.resolution.status, ClockStatus::Stopped);
}

#[test]
fn lockdown_runs_every_clock_around_the_clock_and_shorter() {
    let cal = Calendar::china_default();
    let t = sh(2026, 3, 6, 17, 0); // Friday evening
    let events = vec![ev(t, "1", SlaEventKind::Created), ev(t, "2", SlaEventKind::Accepted)];
    let usual = normal(&events, t);
    let lockdown = evaluate(
        &events,
        &default_policy(Priority::Normal, Mode::Lockdown),
        Mode::Lockdown,
        &cal,
        t,
    );
    assert_eq!(lockdown.resolution.due_at, Some(t + Duration::hours(48)));
    assert_eq!(lockdown.resolution.counting, Counting::Continuous);
    assert!(lockdown.resolution.due_at < usual.resolution.due_at);
    // No events, no clocks.
    let none =
        evaluate(&[], &default_policy(Priority::Normal, Mode::Normal), Mode::Normal, &cal, t);
    assert_eq!((none.active, none.accept.status), (Active::None, ClockStatus::NotStarted));
}

// ---- properties -------------------------------------------------------------------------

fn t0() -> DateTime<Utc> {
    // A Thursday morning, the day before 春节 2026's make-up Saturday: business time crosses
    // the festival within the spans below.
    sh(2026, 2, 12, 8, 0)
}

fn kind() -> impl Strategy<Value = SlaEventKind> {
    prop_oneof![
        2 => Just(SlaEventKind::Accepted),
        2 => Just(SlaEventKind::Started),
        4 => Just(pause()),
        1 => Just(SlaEventKind::Paused { reason: "等待其他部门".into() }),
        4 => Just(SlaEventKind::Resumed),
        1 => Just(SlaEventKind::Resolved),
        1 => Just(SlaEventKind::Reopened),
        1 => Just(SlaEventKind::Closed),
        1 => Just(SlaEventKind::Cancelled),
    ]
}

/// Events on a coarse grid (so several share an instant) with ids that may repeat.
fn events() -> impl Strategy<Value = Vec<SlaEvent>> {
    proptest::collection::vec((0i64..400, kind(), 0u8..6), 0..16).prop_map(|v| {
        let mut out = vec![ev(t0(), "000", SlaEventKind::Created)];
        out.extend(
            v.into_iter()
                .map(|(slot, k, id)| ev(t0() + Duration::minutes(slot * 30), &format!("{id}"), k)),
        );
        out
    })
}

fn policy_of(i: usize) -> (Policy, Mode) {
    let p = Priority::ALL[i % 4];
    let mode = if i >= 4 { Mode::Lockdown } else { Mode::Normal };
    (default_policy(p, mode), mode)
}

fn reference_days() -> HashMap<NaiveDate, DayKind> {
    china_days().into_iter().map(|d| (d.date, d.kind)).collect()
}

/// Whether the minute starting at `t` is counted, worked out apart from the calendar.
fn counted_minute(days: &HashMap<NaiveDate, DayKind>, t: DateTime<Utc>, c: Counting) -> bool {
    if c == Counting::Continuous {
        return true;
    }
    let local = t.with_timezone(&chrono_tz::Asia::Shanghai);
    let worked = match days.get(&local.date_naive()) {
        Some(DayKind::Holiday) => false,
        Some(DayKind::Workday) => true,
        None => local.weekday().num_days_from_monday() < 5,
    };
    let m = local.hour() * 60 + local.minute();
    worked && ((510..720).contains(&m) || (810..1050).contains(&m))
}

/// The used seconds of the three clocks by replaying the events minute by minute: at each
/// minute apply what happened then, and count the minute for every clock that runs.
fn replay(events: &[SlaEvent], now: DateTime<Utc>, countings: [Counting; 3]) -> [i64; 3] {
    let days = reference_days();
    let mut sorted = events.to_vec();
    sorted.sort_by(|a, b| (a.at, &a.seq, &a.kind).cmp(&(b.at, &b.seq, &b.kind)));
    let round = sorted.iter().rposition(|e| e.kind == SlaEventKind::Reopened).unwrap_or(0);
    let sorted = &sorted[round..];
    let (mut accepted, mut responded, mut resolved, mut ended, mut paused) =
        (false, false, false, false, false);
    let mut used = [0i64; 3];
    let mut next = 0;
    let mut t = sorted.first().map_or(now, |e| e.at);
    while t < now {
        while next < sorted.len() && sorted[next].at <= t {
            if !ended {
                match sorted[next].kind {
                    SlaEventKind::Accepted => accepted = true,
                    SlaEventKind::Started if accepted => responded = true,
                    SlaEventKind::Resolved => {
                        if accepted {
                            (responded, resolved) = (true, true);
                        }
                        paused = false;
                    }
                    SlaEventKind::Paused { .. } if !resolved => paused = true,
                    SlaEventKind::Resumed => paused = false,
                    SlaEventKind::Closed | SlaEventKind::Cancelled => {
                        (ended, paused) = (true, false)
                    }
                    _ => {}
                }
            }
            next += 1;
        }
        let running = [!accepted, accepted && !responded, accepted && !resolved];
        for i in 0..3 {
            if running[i] && !paused && !ended && counted_minute(&days, t, countings[i]) {
                used[i] += 60;
            }
        }
        t += Duration::minutes(1);
    }
    used
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_state_is_the_same_whatever_order_the_events_arrived_in(
        (evs, shuffled) in events().prop_flat_map(|e| (Just(e.clone()), Just(e).prop_shuffle())),
        p in 0usize..8,
        later in 0i64..(15 * 24 * 60),
    ) {
        let cal = Calendar::china_default();
        let (policy, mode) = policy_of(p);
        let now = t0() + Duration::minutes(later);
        prop_assert_eq!(evaluate(&evs, &policy, mode, &cal, now), evaluate(&shuffled, &policy, mode, &cal, now));
    }

    /// Paused time never counts: every clock's used time is what a minute-by-minute replay of
    /// the events counts, minutes in a pause left out.
    #[test]
    fn used_time_is_the_running_time_of_a_minute_by_minute_replay(evs in events(), p in 0usize..8, tail in 0i64..600) {
        let cal = Calendar::china_default();
        let (policy, mode) = policy_of(p);
        let last = evs.iter().map(|e| e.at).max().unwrap_or_else(t0);
        let now = last + Duration::minutes(tail);
        let st = evaluate(&evs, &policy, mode, &cal, now);
        let countings = [st.accept.counting, st.first_response.counting, st.resolution.counting];
        let used = replay(&evs, now, countings);
        prop_assert_eq!([st.accept.used_secs, st.first_response.used_secs, st.resolution.used_secs], used);
        // Whatever is not running has no due that moves.
        if st.paused {
            prop_assert_eq!(st.sort_key(), None);
        }
    }

    /// A pause taken before the due never brings it closer: the due moves later by exactly the
    /// counted time the pause held, and the time used is that much less.
    #[test]
    fn a_pause_before_the_due_moves_it_by_exactly_the_time_it_held(
        p in 0usize..8, accept_after in 0i64..(3 * 24 * 60), at_share in 0.0f64..1.0, held in 1i64..(20 * 24 * 60),
    ) {
        let cal = Calendar::china_default();
        let (policy, mode) = policy_of(p);
        let accepted = t0() + Duration::minutes(accept_after);
        let base = vec![ev(t0(), "1", SlaEventKind::Created), ev(accepted, "2", SlaEventKind::Accepted)];
        let before = evaluate(&base, &policy, mode, &cal, accepted);
        let due = before.resolution.due_at.expect("a running clock has a due");
        let counting = before.resolution.counting;
        let start = accepted + Duration::seconds(((due - accepted).num_seconds() as f64 * at_share) as i64);
        let resume = start + Duration::minutes(held);
        let mut paused = base.clone();
        paused.push(ev(start, "3", pause()));
        paused.push(ev(resume, "4", SlaEventKind::Resumed));
        let held_secs = cal.open_secs_between(start, resume, counting);
        let after = evaluate(&paused, &policy, mode, &cal, resume);
        let moved = after.resolution.due_at.expect("running again");
        prop_assert!(moved >= due);
        prop_assert_eq!(moved, cal.add_open_secs(due, held_secs, counting));
        prop_assert_eq!(cal.open_secs_between(due, moved, counting), held_secs);
        let unpaused = evaluate(&base, &policy, mode, &cal, resume);
        prop_assert_eq!(after.resolution.used_secs, unpaused.resolution.used_secs - held_secs);
        prop_assert!(after.resolution.fraction() <= unpaused.resolution.fraction());
    }

    #[test]
    fn escalation_only_rises_with_the_share_used(a in 0.0f64..3.0, b in 0.0f64..3.0) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(escalation(lo) <= escalation(hi));
    }
}
