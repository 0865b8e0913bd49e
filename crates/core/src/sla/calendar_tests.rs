//! Hand-worked deadlines across weekends, holidays, make-up days and the lunch break, and the
//! counting checked against a minute-by-minute reference.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use proptest::prelude::*;

use super::*;

fn cal() -> Calendar {
    Calendar::china_default()
}

/// A Shanghai wall-clock time as an instant.
fn sh(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

const DAY: i64 = 27_000; // 08:30–12:00 and 13:30–17:30: 7.5 hours

#[test]
fn one_working_day_lands_at_the_same_time_on_the_next_working_day() {
    let c = cal();
    let b = Counting::Business;
    // A plain weekend: Friday 16:00 → Monday 16:00.
    assert_eq!(c.add_open_secs(sh(2026, 3, 6, 16, 0), DAY, b), sh(2026, 3, 9, 16, 0));
    // Mid-autumn 2026 (Fri 25 – Sun 27 September off): Thursday 15:00 → Monday 28th 15:00.
    assert_eq!(c.add_open_secs(sh(2026, 9, 24, 15, 0), DAY, b), sh(2026, 9, 28, 15, 0));
    // National Day 2026 (1–7 October off): Wednesday 30 September 10:00 → Thursday 8 October.
    assert_eq!(c.add_open_secs(sh(2026, 9, 30, 10, 0), DAY, b), sh(2026, 10, 8, 10, 0));
    // Saturday 10 October is worked instead (调休): Friday 11:00 → Saturday 11:00.
    assert_eq!(c.add_open_secs(sh(2026, 10, 9, 11, 0), DAY, b), sh(2026, 10, 10, 11, 0));
    // Spring Festival 2026: Saturday 14 February is worked, 15–23 are off. Friday 17:00 has
    // half an hour left; Saturday gives 3.5 h in the morning and the last 3.5 h by 17:00.
    assert_eq!(c.add_open_secs(sh(2026, 2, 13, 17, 0), DAY, b), sh(2026, 2, 14, 17, 0));
    // New Year 2026: 1–3 January off, Sunday 4 January worked.
    assert_eq!(c.add_open_secs(sh(2025, 12, 31, 17, 0), DAY, b), sh(2026, 1, 4, 17, 0));
}

#[test]
fn business_hours_skip_lunch_and_a_budget_spent_at_closing_is_due_at_closing() {
    let c = cal();
    let b = Counting::Business;
    // 11:00 + 4 business hours: one before lunch, three after 13:30 → 16:30.
    assert_eq!(c.add_open_secs(sh(2026, 3, 2, 11, 0), 4 * 3600, b), sh(2026, 3, 2, 16, 30));
    // 13:30 + 4 hours is 17:30 the same day, not 08:30 the next.
    assert_eq!(c.add_open_secs(sh(2026, 3, 2, 13, 30), 4 * 3600, b), sh(2026, 3, 2, 17, 30));
    // Accepted at night: counting starts at 08:30.
    assert_eq!(c.add_open_secs(sh(2026, 3, 2, 22, 0), 3600, b), sh(2026, 3, 3, 9, 30));
    assert_eq!(c.open_secs_between(sh(2026, 3, 2, 11, 0), sh(2026, 3, 2, 14, 0), b), 3600 + 1800);
    // Seven working days from Monday 09:00 across a plain weekend: next Wednesday 09:00.
    assert_eq!(c.add_open_secs(sh(2026, 3, 2, 9, 0), 7 * DAY, b), sh(2026, 3, 11, 9, 0));
    assert_eq!(
        c.add_open_secs(sh(2026, 3, 2, 9, 0), 90, Counting::Continuous),
        sh(2026, 3, 2, 9, 0) + chrono::Duration::seconds(90)
    );
}

/// Whether `t` lies in office hours, worked out on its own for the reference below.
fn open_at(c: &Calendar, t: DateTime<Utc>) -> bool {
    let local = t.with_timezone(&chrono_tz::Asia::Shanghai);
    let m = local.hour() * 60 + local.minute();
    c.is_working_day(local.date_naive()) && ((510..720).contains(&m) || (810..1050).contains(&m))
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    // Minutes from 2025-12-20 to 2026-10-20: across New Year, Spring Festival and National Day.
    let start = sh(2025, 12, 20, 0, 0);
    (0i64..(304 * 24 * 60)).prop_map(move |m| start + chrono::Duration::minutes(m))
}

proptest! {
    #[test]
    fn counting_matches_a_minute_by_minute_walk(from in instant(), span in 0i64..(6 * 24 * 60)) {
        let c = cal();
        let to = from + chrono::Duration::minutes(span);
        let reference = (0..span).filter(|i| open_at(&c, from + chrono::Duration::minutes(*i))).count() as i64 * 60;
        prop_assert_eq!(c.open_secs_between(from, to, Counting::Business), reference);
        prop_assert_eq!(c.open_secs_between(from, to, Counting::Continuous), span * 60);
    }

    #[test]
    fn adding_then_counting_gives_back_the_same_seconds(from in instant(), secs in 0i64..(20 * DAY)) {
        let c = cal();
        for counting in [Counting::Business, Counting::Continuous] {
            let due = c.add_open_secs(from, secs, counting);
            prop_assert!(due >= from);
            prop_assert_eq!(c.open_secs_between(from, due, counting), secs);
            // Monotonic: one more second is never due earlier.
            prop_assert!(c.add_open_secs(from, secs + 1, counting) > due);
        }
    }
}

#[test]
fn a_broken_calendar_is_refused() {
    let hours = BusinessHours {
        open: NaiveTime::from_hms_opt(18, 0, 0).expect("t"),
        ..BusinessHours::default()
    };
    assert!(Calendar::new(chrono_tz::Asia::Shanghai, hours, &[]).is_err());
    let _ = NaiveDate::MIN;
}
