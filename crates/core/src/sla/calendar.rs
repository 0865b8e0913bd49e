//! When the clock counts: around the clock (emergency mode, urgent work), or in office hours
//! on working days of the district's time zone, skipping public holidays and counting the
//! weekend days worked instead (调休).
//!
//! Business time is measured on the district's wall clock: a working day holds
//! [`BusinessHours::day_secs`] office seconds whatever the time zone's rules, and a local time
//! becomes an instant only at the end. So whole days are skipped arithmetically (a count of
//! weekdays plus the make-up days minus the weekday holidays, each a binary search), and a
//! deadline months away costs a handful of operations, not a walk.

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveTime, TimeDelta, TimeZone, Timelike,
    Utc, Weekday,
};
use serde::{Deserialize, Serialize};

use super::holidays::validate_days;
use super::SlaError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Every second counts (24/7).
    Continuous,
    /// Only business hours of working days count.
    Business,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A day off that would otherwise be worked.
    Holiday,
    /// A weekend day worked to make up for a holiday (调休).
    Workday,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// The holiday the day belongs to, e.g. 春节 (a make-up day names the holiday it pays for).
    pub name: String,
    /// Statutory dates not yet confirmed by the year's announcement.
    pub provisional: bool,
}

/// Office hours, with the lunch break Chinese government offices keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessHours {
    pub open: NaiveTime,
    pub close: NaiveTime,
    pub lunch: Option<(NaiveTime, NaiveTime)>,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

fn secs_of(t: NaiveTime) -> i64 {
    i64::from(t.num_seconds_from_midnight())
}

impl Default for BusinessHours {
    /// 08:30–17:30 with lunch 12:00–13:30: 7.5 office hours a day.
    fn default() -> Self {
        BusinessHours { open: hm(8, 30), close: hm(17, 30), lunch: Some((hm(12, 0), hm(13, 30))) }
    }
}

impl BusinessHours {
    /// Opening before closing, and the lunch break strictly inside office hours.
    pub fn validate(&self) -> Result<(), SlaError> {
        let (open, close) = (self.open, self.close);
        if secs_of(open) >= secs_of(close) {
            return Err(SlaError::HoursOrder { open, close });
        }
        if let Some((start, end)) = self.lunch {
            let (a, b) = (secs_of(start), secs_of(end));
            if !(secs_of(open) < a && a < b && b < secs_of(close)) {
                return Err(SlaError::LunchOutside { start, end, open, close });
            }
        }
        Ok(())
    }

    /// The open periods of a working day, in seconds from midnight. Without a lunch break the
    /// second period is empty, which keeps this a fixed-size array (no allocation per day).
    fn periods(&self) -> [(i64, i64); 2] {
        let (open, close) = (secs_of(self.open), secs_of(self.close));
        match self.lunch {
            Some((a, b)) => [(open, secs_of(a)), (secs_of(b), close)],
            None => [(open, close), (close, close)],
        }
    }

    /// Office seconds in one working day.
    pub fn day_secs(&self) -> i64 {
        self.periods().iter().map(|(a, b)| b - a).sum()
    }

    /// Office seconds of a working day before the wall-clock second `s`.
    fn counted_before(&self, s: i64) -> i64 {
        self.periods().iter().map(|&(a, b)| s.clamp(a, b) - a).sum()
    }

    /// The earliest second of the day by which `x` office seconds have passed, for
    /// `0 < x <= day_secs`. Earliest, so a budget spent at closing is due at closing and one
    /// spent at noon is due at the start of lunch, not when the office opens again.
    fn second_when(&self, mut x: i64) -> i64 {
        for (a, b) in self.periods() {
            if x <= b - a {
                return a + x;
            }
            x -= b - a;
        }
        secs_of(self.close)
    }
}

#[derive(Debug, Clone)]
pub struct Calendar {
    tz: chrono_tz::Tz,
    hours: BusinessHours,
    /// Holidays falling on Monday to Friday, sorted: the only holidays that change a count
    /// (one on a weekend is off anyway).
    off: Vec<NaiveDate>,
    /// Make-up working days (all on weekends, validated), sorted.
    extra: Vec<NaiveDate>,
}

/// How far a business deadline may reach before the answer is "never" ([`far_future`]): a
/// thousand years. Budgets are clamped far below this; it only keeps arithmetic in range.
const MAX_SPAN_DAYS: i64 = 366_000;

/// The instant standing for "not within any horizon that matters" when a budget is absurd.
fn far_future() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .unwrap_or(NaiveDate::MAX)
        .and_time(NaiveTime::MIN)
        .and_utc()
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// How many of `sorted` lie in `[a, b)`.
fn count_in(sorted: &[NaiveDate], a: NaiveDate, b: NaiveDate) -> i64 {
    (sorted.partition_point(|d| *d < b) - sorted.partition_point(|d| *d < a)) as i64
}

impl Calendar {
    /// A calendar of `tz` with `hours` and the holidays and make-up days of `days` (validated
    /// as [`validate_days`] says).
    pub fn new(
        tz: chrono_tz::Tz,
        hours: BusinessHours,
        days: &[CalendarDay],
    ) -> Result<Calendar, SlaError> {
        hours.validate()?;
        validate_days(days)?;
        let pick = |kind: DayKind, keep: fn(NaiveDate) -> bool| {
            let mut v: Vec<NaiveDate> =
                days.iter().filter(|d| d.kind == kind && keep(d.date)).map(|d| d.date).collect();
            v.sort_unstable();
            v
        };
        let off = pick(DayKind::Holiday, |d| !is_weekend(d));
        let extra = pick(DayKind::Workday, is_weekend);
        Ok(Calendar { tz, hours, off, extra })
    }

    /// Asia/Shanghai, 08:30–17:30 with lunch 12:00–13:30, the published holidays.
    pub fn china_default() -> Calendar {
        Calendar::new(chrono_tz::Asia::Shanghai, BusinessHours::default(), &super::china_days())
            .expect("the embedded calendar is valid (tested)")
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.tz
    }

    pub fn hours(&self) -> BusinessHours {
        self.hours
    }

    /// Office seconds in one working day (27,000 for the default hours).
    pub fn day_secs(&self) -> i64 {
        self.hours.day_secs()
    }

    /// Monday to Friday and not a holiday, or a make-up working day.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if is_weekend(date) {
            self.extra.binary_search(&date).is_ok()
        } else {
            self.off.binary_search(&date).is_err()
        }
    }

    /// Working days in `[a, b)`, by arithmetic: weekdays, plus make-up days, minus weekday
    /// holidays.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        if b <= a {
            return 0;
        }
        let n = (b - a).num_days();
        let first = i64::from(a.weekday().num_days_from_monday());
        let rest = (0..n % 7).filter(|i| (first + i) % 7 < 5).count() as i64;
        n / 7 * 5 + rest + count_in(&self.extra, a, b) - count_in(&self.off, a, b)
    }

    /// The `(q + 1)`-th working day after `d` (so `q = 0` is the next working day), found by a
    /// binary search over the arithmetic count; `None` beyond any sensible horizon.
    fn nth_working_day_after(&self, d: NaiveDate, q: i64) -> Option<NaiveDate> {
        if !(0..=MAX_SPAN_DAYS).contains(&q) {
            return None;
        }
        let first = d.succ_opt()?;
        // Any 7 days hold 5 weekdays and only the listed holidays take weekdays away, so this
        // span surely holds q + 1 working days.
        let span = (q + self.off.len() as i64) / 5 * 7 + 14;
        first.checked_add_days(Days::new(span as u64))?;
        let at = |k: i64| first + Days::new(k as u64);
        let (mut lo, mut hi) = (0, span - 1);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.working_days_between(first, at(mid + 1)) > q {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(at(lo))
    }

    /// The wall-clock date and second of an instant in the calendar's time zone.
    fn local(&self, t: DateTime<Utc>) -> (NaiveDate, i64) {
        let l = t.with_timezone(&self.tz).naive_local();
        (l.date(), i64::from(l.num_seconds_from_midnight()))
    }

    /// The instant of a wall-clock second. A time repeated when clocks go back counts from its
    /// first occurrence; a time skipped when they go forward is read with the offset before the
    /// jump (so 02:30 in a skipped hour is 03:30 new time), as an office clock on the wall would.
    fn instant(&self, date: NaiveDate, second: i64) -> DateTime<Utc> {
        let time = u32::try_from(second)
            .ok()
            .and_then(|s| NaiveTime::from_num_seconds_from_midnight_opt(s, 0))
            .unwrap_or(NaiveTime::MIN);
        let local = date.and_time(time);
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            LocalResult::None => [TimeDelta::hours(3), TimeDelta::days(1), TimeDelta::days(2)]
                .into_iter()
                .find_map(|back| {
                    let before = self.tz.from_local_datetime(&(local - back)).earliest()?;
                    Some(before.with_timezone(&Utc) + back)
                })
                .unwrap_or_else(|| local.and_utc()),
        }
    }

    /// Office seconds of `date` before its wall-clock `second` (0 on a day off).
    fn counted_on(&self, date: NaiveDate, second: i64) -> i64 {
        if self.is_working_day(date) {
            self.hours.counted_before(second)
        } else {
            0
        }
    }

    /// Counted seconds in `[from, to)`; 0 when `to` is not after `from`. Instants count by
    /// whole seconds, so sub-second parts never make the two counts disagree.
    pub fn open_secs_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        counting: Counting,
    ) -> i64 {
        if to <= from {
            return 0;
        }
        if counting == Counting::Continuous {
            return to.timestamp() - from.timestamp();
        }
        let ((d1, s1), (d2, s2)) = (self.local(from), self.local(to));
        if (d2, s2) <= (d1, s1) {
            // Clocks went back between the two (never inside office hours in any zone in use).
            return 0;
        }
        self.working_days_between(d1, d2) * self.day_secs() - self.counted_on(d1, s1)
            + self.counted_on(d2, s2)
    }

    /// The instant at which `secs` counted seconds after `from` have passed; `from` itself when
    /// `secs <= 0`. Business time: the earliest such instant, so a budget that runs out exactly
    /// at closing is due at closing, not the next morning.
    pub fn add_open_secs(
        &self,
        from: DateTime<Utc>,
        secs: i64,
        counting: Counting,
    ) -> DateTime<Utc> {
        if secs <= 0 {
            return from;
        }
        if counting == Counting::Continuous {
            return TimeDelta::try_seconds(secs)
                .and_then(|d| from.checked_add_signed(d))
                .unwrap_or_else(far_future);
        }
        let day = self.day_secs();
        let (date, second) = self.local(from);
        let used = if self.is_working_day(date) { self.hours.counted_before(second) } else { day };
        if secs <= day - used {
            return self.instant(date, self.hours.second_when(used + secs));
        }
        // What is left after today, spread over whole working days and a part of one more.
        let rest = secs - (day - used);
        let whole = (rest - 1) / day;
        match self.nth_working_day_after(date, whole) {
            Some(d) => self.instant(d, self.hours.second_when(rest - whole * day)),
            None => far_future(),
        }
    }

    /// The end of a budget of `n` working days started at `from`: `n` times a working day's
    /// office seconds of business time. Started in office hours, that is the same time of day
    /// on the `n`-th working day after (accepted Tuesday 15:00, one working day: Wednesday
    /// 15:00); started after closing or on a day off, the close of the `n`-th working day
    /// after (accepted Tuesday 20:00 or Saturday, one working day: Wednesday's, or Monday's,
    /// 17:30); started before opening, that day is the first. `n = 0` is `from`.
    pub fn end_of_working_day_n(&self, from: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        self.add_open_secs(from, i64::from(n).saturating_mul(self.day_secs()), Counting::Business)
    }
}

#[cfg(test)]
#[path = "calendar_tests.rs"]
pub(crate) mod tests;
