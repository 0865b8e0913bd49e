//! Hand-worked deadlines across weekends, holidays, make-up days and the lunch break (the real
//! 2025–2027 data), and the arithmetic checked against a minute-by-minute walk.
//!
//! The default office day is 08:30–12:00 and 13:30–17:30: 3.5 + 4 = 7.5 hours (27,000 s).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use proptest::prelude::*;

use super::*;
use crate::sla::china_days;

fn cal() -> Calendar {
    Calendar::china_default()
}

/// A Shanghai wall-clock time as an instant.
pub(crate) fn sh(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

const DAY: i64 = 27_000;
const B: Counting = Counting::Business;

#[test]
fn working_days_follow_the_published_calendar() {
    let c = cal();
    assert!(c.is_working_day(date(2026, 2, 14)), "Saturday, worked before 春节");
    assert!(!c.is_working_day(date(2026, 2, 16)), "Monday in 春节");
    assert!(c.is_working_day(date(2026, 9, 20)), "Sunday, worked before 国庆");
    assert!(c.is_working_day(date(2026, 10, 10)), "Saturday, worked after 国庆");
    assert!(!c.is_working_day(date(2026, 10, 11)), "a plain Sunday");
    assert!(!c.is_working_day(date(2027, 2, 8)), "初三 2027, provisional but off");
    assert!(c.is_working_day(date(2026, 3, 4)), "a plain Wednesday");
    // 2026: 261 weekdays, 19 of them holidays, 6 weekend days worked.
    assert_eq!(c.working_days_between(date(2026, 1, 1), date(2027, 1, 1)), 248);
    assert_eq!(c.working_days_between(date(2026, 1, 1), date(2026, 1, 1)), 0);
    let year = c.open_secs_between(sh(2026, 1, 1, 0, 0), sh(2027, 1, 1, 0, 0), B);
    assert_eq!(year, 248 * DAY);
}

#[test]
fn one_working_day_lands_at_the_same_time_on_the_next_working_day() {
    let c = cal();
    // A plain weekend: Friday 16:00 → Monday 16:00.
    assert_eq!(c.add_open_secs(sh(2026, 3, 6, 16, 0), DAY, B), sh(2026, 3, 9, 16, 0));
    // 中秋 2026 (Fri 25 – Sun 27 September off): Thursday 15:00 → Monday 28th 15:00.
    assert_eq!(c.add_open_secs(sh(2026, 9, 24, 15, 0), DAY, B), sh(2026, 9, 28, 15, 0));
    // 国庆 2026 (1–7 October off): Wednesday 30 September 10:00 → Thursday 8 October.
    assert_eq!(c.add_open_secs(sh(2026, 9, 30, 10, 0), DAY, B), sh(2026, 10, 8, 10, 0));
    // Saturday 10 October is worked instead (调休): Friday 11:00 → Saturday 11:00.
    assert_eq!(c.add_open_secs(sh(2026, 10, 9, 11, 0), DAY, B), sh(2026, 10, 10, 11, 0));
    // Saturday 19 September is off, Sunday 20 worked: Friday 18th 16:00 → Sunday 16:00.
    assert_eq!(c.add_open_secs(sh(2026, 9, 18, 16, 0), DAY, B), sh(2026, 9, 20, 16, 0));
    // 春节 2026: Saturday 14 February worked, 15–23 off. Friday 17:00 has half an hour
    // left; Saturday gives 3.5 h in the morning and the last 3.5 h by 17:00.
    assert_eq!(c.add_open_secs(sh(2026, 2, 13, 17, 0), DAY, B), sh(2026, 2, 14, 17, 0));
    // New Year 2026: 1–3 January off, Sunday 4 January worked. Wednesday 31 December
    // 2025 17:00 → Sunday 4 January 17:00.
    assert_eq!(c.add_open_secs(sh(2025, 12, 31, 17, 0), DAY, B), sh(2026, 1, 4, 17, 0));
}

#[test]
fn long_budgets_cross_several_holidays() {
    let c = cal();
    // 7 working days from Friday 18 September 2026 16:00: Sun 20 (调休) 1, Mon 21 2, Tue 3,
    // Wed 4, Thu 24 5, (25–27 中秋), Mon 28 6, Tue 29 7 → Tuesday 29 September 16:00.
    assert_eq!(c.end_of_working_day_n(sh(2026, 9, 18, 16, 0), 7), sh(2026, 9, 29, 16, 0));
    // 15: Wed 30 8, (1–7 October 国庆), Thu 8 9, Fri 9 10, Sat 10 (调休) 11, Mon 12 12,
    // Tue 13, Wed 14, Thu 15 October 15 → 15 October 16:00.
    assert_eq!(c.end_of_working_day_n(sh(2026, 9, 18, 16, 0), 15), sh(2026, 10, 15, 16, 0));
    // 15 from Thursday 12 February 2026 10:00: Fri 13 1, Sat 14 (调休) 2, (15–23 春节),
    // Tue 24 3 … Fri 27 6, Sat 28 (调休) 7, Mon 2 March 8 … Fri 6 12, Mon 9 13, Tue 10 14,
    // Wed 11 March 15 → 11 March 10:00.
    assert_eq!(c.end_of_working_day_n(sh(2026, 2, 12, 10, 0), 15), sh(2026, 3, 11, 10, 0));
    // 5 from Thursday 30 April 17:00: (1–5 May 劳动节), Wed 6 1, Thu 7 2, Fri 8 3,
    // Sat 9 (调休) 4, Mon 11 5 → 11 May 17:00.
    assert_eq!(c.end_of_working_day_n(sh(2026, 4, 30, 17, 0), 5), sh(2026, 5, 11, 17, 0));
    // And back: the counted time between is exactly the budget.
    assert_eq!(c.open_secs_between(sh(2026, 9, 18, 16, 0), sh(2026, 10, 15, 16, 0), B), 15 * DAY);
    // 2027's provisional 春节 (5–8 February) counts too: Thursday 4th 09:00 + 1 → Tue 9th.
    assert_eq!(c.end_of_working_day_n(sh(2027, 2, 4, 9, 0), 1), sh(2027, 2, 9, 9, 0));
}

#[test]
fn working_days_started_outside_office_hours_end_at_a_close() {
    let c = cal();
    // Tuesday 20:00 → Wednesday's close; Saturday → Monday's close; Tuesday 07:00 counts
    // Tuesday as the first day.
    assert_eq!(c.end_of_working_day_n(sh(2026, 3, 3, 20, 0), 1), sh(2026, 3, 4, 17, 30));
    assert_eq!(c.end_of_working_day_n(sh(2026, 3, 7, 10, 0), 1), sh(2026, 3, 9, 17, 30));
    assert_eq!(c.end_of_working_day_n(sh(2026, 3, 3, 7, 0), 1), sh(2026, 3, 3, 17, 30));
    assert_eq!(c.end_of_working_day_n(sh(2026, 3, 3, 7, 0), 0), sh(2026, 3, 3, 7, 0));
}

#[test]
fn business_hours_skip_lunch_and_a_budget_spent_at_closing_is_due_at_closing() {
    let c = cal();
    // 11:00 + 4 business hours: one before lunch, three after 13:30 → 16:30.
    assert_eq!(c.add_open_secs(sh(2026, 3, 2, 11, 0), 4 * 3600, B), sh(2026, 3, 2, 16, 30));
    // 13:30 + 4 hours is 17:30 the same day, not 08:30 the next.
    assert_eq!(c.add_open_secs(sh(2026, 3, 2, 13, 30), 4 * 3600, B), sh(2026, 3, 2, 17, 30));
    // 10:00 + 2 hours is noon, the start of lunch, not 13:30.
    assert_eq!(c.add_open_secs(sh(2026, 3, 2, 10, 0), 2 * 3600, B), sh(2026, 3, 2, 12, 0));
    // Taken in during lunch: counting starts at 13:30.
    assert_eq!(c.add_open_secs(sh(2026, 3, 2, 12, 40), 60, B), sh(2026, 3, 2, 13, 31));
    // Accepted at night: counting starts at 08:30.
    assert_eq!(c.add_open_secs(sh(2026, 3, 2, 22, 0), 3600, B), sh(2026, 3, 3, 9, 30));
    assert_eq!(c.open_secs_between(sh(2026, 3, 2, 11, 0), sh(2026, 3, 2, 14, 0), B), 3600 + 1800);
    // Seven working days from Monday 09:00 across a plain weekend: next Wednesday 09:00.
    assert_eq!(c.add_open_secs(sh(2026, 3, 2, 9, 0), 7 * DAY, B), sh(2026, 3, 11, 9, 0));
    // Zero or less is the start itself, even at night.
    assert_eq!(c.add_open_secs(sh(2026, 3, 2, 22, 0), 0, B), sh(2026, 3, 2, 22, 0));
    assert_eq!(
        c.add_open_secs(sh(2026, 3, 2, 9, 0), 90, Counting::Continuous),
        sh(2026, 3, 2, 9, 0) + Duration::seconds(90)
    );
    assert_eq!(c.open_secs_between(sh(2026, 3, 3, 0, 0), sh(2026, 3, 2, 0, 0), B), 0);
}

#[test]
fn absurd_budgets_give_a_far_instant_instead_of_a_panic() {
    let c = cal();
    let t = sh(2026, 3, 2, 9, 0);
    for counting in [B, Counting::Continuous] {
        assert!(c.add_open_secs(t, i64::MAX, counting) > sh(2999, 1, 1, 0, 0));
    }
    assert!(c.end_of_working_day_n(t, u32::MAX) > sh(2999, 1, 1, 0, 0));
}

#[test]
fn a_zone_with_daylight_saving_counts_by_its_wall_clock() {
    let berlin = chrono_tz::Europe::Berlin;
    let c = Calendar::new(berlin, BusinessHours::default(), &[]).expect("calendar");
    let at = |d: u32, h: u32, m: u32| {
        berlin.with_ymd_and_hms(2026, 3, d, h, m, 0).single().expect("t").with_timezone(&Utc)
    };
    // Clocks go forward on Sunday 29 March 2026: Friday 16:00 (+01:00) plus one working day
    // is Monday 16:00 (+02:00), 71 real hours later, not 72.
    assert_eq!(c.end_of_working_day_n(at(27, 16, 0), 1), at(30, 16, 0));
    assert_eq!((at(30, 16, 0) - at(27, 16, 0)).num_hours(), 71);
    assert_eq!(c.open_secs_between(at(27, 16, 0), at(30, 16, 0), B), DAY);
    assert_eq!(c.open_secs_between(at(27, 16, 0), at(30, 16, 0), Counting::Continuous), 71 * 3600);
}

#[test]
fn broken_office_hours_are_refused_with_what_to_fix() {
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("t");
    let late = BusinessHours { open: t(18, 0), ..BusinessHours::default() };
    let err = Calendar::new(chrono_tz::Asia::Shanghai, late, &[]).expect_err("refused");
    assert!(matches!(err, SlaError::HoursOrder { .. }));
    assert!(err.to_string().contains("18:00"), "{err}");
    let lunch = BusinessHours { lunch: Some((t(12, 0), t(18, 0))), ..BusinessHours::default() };
    let err = Calendar::new(chrono_tz::Asia::Shanghai, lunch, &[]).expect_err("refused");
    assert!(matches!(err, SlaError::LunchOutside { .. }), "{err}");
    // Without a lunch break the day is 9 hours.
    let plain = BusinessHours { lunch: None, ..BusinessHours::default() };
    let c = Calendar::new(chrono_tz::Asia::Shanghai, plain, &[]).expect("calendar");
    assert_eq!(c.day_secs(), 9 * 3600);
    assert_eq!(c.add_open_secs(sh(2026, 3, 2, 11, 0), 3600, B), sh(2026, 3, 2, 12, 0));
    assert_eq!(c.add_open_secs(sh(2026, 3, 2, 17, 0), 3600, B), sh(2026, 3, 3, 9, 0));
    // Office hours round-trip through the JSON the store keeps.
    let json = serde_json::to_string(&BusinessHours::default()).expect("json");
    assert_eq!(
        serde_json::from_str::<BusinessHours>(&json).expect("back"),
        BusinessHours::default()
    );
}

/// Whether a date is worked, read straight from the data, apart from the calendar's lookups.
fn reference_days() -> HashMap<NaiveDate, DayKind> {
    china_days().into_iter().map(|d| (d.date, d.kind)).collect()
}

fn reference_working(days: &HashMap<NaiveDate, DayKind>, d: NaiveDate) -> bool {
    use chrono::Datelike;
    match days.get(&d) {
        Some(DayKind::Holiday) => false,
        Some(DayKind::Workday) => true,
        None => d.weekday().num_days_from_monday() < 5,
    }
}

/// Whether the minute starting at `t` lies in office hours, worked out on its own.
fn open_at(days: &HashMap<NaiveDate, DayKind>, t: DateTime<Utc>) -> bool {
    let local = t.with_timezone(&chrono_tz::Asia::Shanghai);
    let m = local.hour() * 60 + local.minute();
    reference_working(days, local.date_naive())
        && ((510..720).contains(&m) || (810..1050).contains(&m))
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // Minutes from 2025-09-20 to 2027-03-01: across 国庆 2025, New Year, 春节, 国庆 2026 and
    // 2027's provisional days.
    let start = sh(2025, 9, 20, 0, 0);
    (0i64..(527 * 24 * 60)).prop_map(move |m| start + Duration::minutes(m))
}

proptest! {
    #[test]
    fn counting_matches_a_minute_by_minute_walk(from in instant(), span in 0i64..(10 * 24 * 60)) {
        let (c, days) = (cal(), reference_days());
        let to = from + Duration::minutes(span);
        let reference = (0..span).filter(|i| open_at(&days, from + Duration::minutes(*i))).count() as i64 * 60;
        prop_assert_eq!(c.open_secs_between(from, to, B), reference);
        prop_assert_eq!(c.open_secs_between(from, to, Counting::Continuous), span * 60);
    }

    #[test]
    fn working_days_match_a_day_by_day_count(from in instant(), span in 0i64..400) {
        let (c, days) = (cal(), reference_days());
        let a = from.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
        let b = a + Duration::days(span);
        let reference = (0..span).filter(|i| reference_working(&days, a + Duration::days(*i))).count() as i64;
        prop_assert_eq!(c.working_days_between(a, b), reference);
        prop_assert_eq!(c.is_working_day(b), reference_working(&days, b));
    }

    #[test]
    fn adding_then_counting_gives_back_the_same_seconds(from in instant(), secs in 0i64..(60 * DAY)) {
        let c = cal();
        for counting in [B, Counting::Continuous] {
            let due = c.add_open_secs(from, secs, counting);
            prop_assert!(due >= from);
            prop_assert_eq!(c.open_secs_between(from, due, counting), secs);
            // The earliest such instant: a second before, one counted second is missing.
            if secs > 0 {
                prop_assert_eq!(c.open_secs_between(from, due - Duration::seconds(1), counting), secs - 1);
            }
            // Monotonic: one more second is never due earlier.
            prop_assert!(c.add_open_secs(from, secs + 1, counting) > due);
        }
    }

    #[test]
    fn counting_adds_up_over_any_split(a in instant(), x in 0i64..(20 * 24 * 60), y in 0i64..(20 * 24 * 60)) {
        let c = cal();
        let (b, e) = (a + Duration::minutes(x), a + Duration::minutes(x + y));
        prop_assert_eq!(c.open_secs_between(a, e, B), c.open_secs_between(a, b, B) + c.open_secs_between(b, e, B));
    }
}
