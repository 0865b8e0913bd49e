//! When the clock counts: around the clock (emergency mode, urgent work), or in business hours
//! on working days of the district's time zone, skipping public holidays and counting the
//! weekend days worked instead (调休).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

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

impl Default for BusinessHours {
    fn default() -> Self {
        BusinessHours { open: hm(8, 30), close: hm(17, 30), lunch: Some((hm(12, 0), hm(13, 30))) }
    }
}

impl BusinessHours {
    fn validate(&self) -> Result<(), SlaError> {
        if self.open >= self.close {
            return Err(SlaError::Hours("opening must be before closing".into()));
        }
        if let Some((a, b)) = self.lunch {
            if !(self.open < a && a < b && b < self.close) {
                return Err(SlaError::Hours("the lunch break must lie inside office hours".into()));
            }
        }
        Ok(())
    }

    /// The open periods of a day, as times of day.
    fn periods(&self) -> Vec<(NaiveTime, NaiveTime)> {
        match self.lunch {
            Some((a, b)) => vec![(self.open, a), (b, self.close)],
            None => vec![(self.open, self.close)],
        }
    }

    /// Seconds counted in one working day.
    pub fn day_secs(&self) -> i64 {
        self.periods().iter().map(|(a, b)| (*b - *a).num_seconds()).sum()
    }
}

#[derive(Debug, Clone)]
pub struct Calendar {
    tz: chrono_tz::Tz,
    hours: BusinessHours,
    days: HashMap<NaiveDate, DayKind>,
}

/// A bound on how far the walks below go: ten years of days without one working day would be
/// a broken calendar, not a long deadline.
const MAX_DAYS: i64 = 3660;

impl Calendar {
    pub fn new(
        tz: chrono_tz::Tz,
        hours: BusinessHours,
        days: &[CalendarDay],
    ) -> Result<Calendar, SlaError> {
        hours.validate()?;
        let mut map = HashMap::with_capacity(days.len());
        for d in days {
            if map.insert(d.date, d.kind).is_some() {
                return Err(SlaError::Data(format!("{} is listed twice", d.date)));
            }
        }
        Ok(Calendar { tz, hours, days: map })
    }

    /// Asia/Shanghai, 08:30–17:30 with lunch 12:00–13:30, the published holidays.
    pub fn china_default() -> Calendar {
        Calendar::new(chrono_tz::Asia::Shanghai, BusinessHours::default(), &super::china_days())
            .expect("the embedded calendar is valid (tested)")
    }

    pub fn hours(&self) -> BusinessHours {
        self.hours
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.days.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    fn at(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        let local = date.and_time(time);
        // A time skipped by a daylight-saving jump opens an hour later; a repeated one counts
        // from its first occurrence.
        self.tz
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| self.tz.from_local_datetime(&(local + Duration::hours(1))).earliest())
            .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
    }

    /// The open periods of `date` as instants, empty on a day off.
    fn open_periods(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_working_day(date) {
            return Vec::new();
        }
        self.hours
            .periods()
            .into_iter()
            .map(|(a, b)| (self.at(date, a), self.at(date, b)))
            .collect()
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// Counted seconds in `[from, to)`.
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
            return (to - from).num_seconds();
        }
        let mut total = 0;
        let mut date = self.local_date(from);
        let last = self.local_date(to);
        while date <= last {
            for (a, b) in self.open_periods(date) {
                let (s, e) = (a.max(from), b.min(to));
                if s < e {
                    total += (e - s).num_seconds();
                }
            }
            date = date.succ_opt().unwrap_or(date);
            if date == NaiveDate::MAX {
                break;
            }
        }
        total
    }

    /// The instant at which `secs` counted seconds after `from` have passed. A budget that runs
    /// out exactly at closing time is due at closing, not the next morning.
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
            return from + Duration::seconds(secs);
        }
        let mut left = secs;
        let mut date = self.local_date(from);
        for _ in 0..MAX_DAYS {
            for (a, b) in self.open_periods(date) {
                let s = a.max(from);
                if s >= b {
                    continue;
                }
                let avail = (b - s).num_seconds();
                if left <= avail {
                    return s + Duration::seconds(left);
                }
                left -= avail;
            }
            date = match date.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        from + Duration::seconds(secs)
    }
}

#[cfg(test)]
#[path = "calendar_tests.rs"]
mod tests;
