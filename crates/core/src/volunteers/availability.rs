//! A volunteer's availability, pure: weekly hours plus dated exceptions, what they mean at an
//! instant or over an assignment's window, and the short text form the import wizard reads and
//! the edit form writes (`周一至周五 18:00-21:00；周六、周日 全天`, `Mon–Fri 18:00–21:00`).
//!
//! Rules, as an official reads them:
//! - Weekly hours are slots of local wall-clock time, `[from, to)` minutes after midnight, on
//!   days 1 (Monday) to 7 (Sunday). A slot may end at 24:00; slots that touch (18:00–20:00 and
//!   20:00–21:00, or Monday until 24:00 and Tuesday from 00:00) are one stretch of time.
//! - An exception covers whole local dates, both ends included. `available: false` means away
//!   all those days, whatever the weekly hours say; `available: true` means free all day. When
//!   two exceptions disagree about a date, "away" wins: sending someone who said they are away
//!   is worse than missing someone who offered.
//! - No weekly hours means "not stated" (not "never"): a date no exception covers says nothing.
//! - Exceptions whose dates cannot be read are ignored when asking about a time;
//!   [`Availability::normalised`] rejects them before they are saved.
//! - Wall-clock times are read in the district's time zone. Hours that include a time skipped
//!   when clocks go forward begin with the jump (from 02:30 on a night that skips 02:00–03:00
//!   is from 03:00 new time); a time repeated when they go back counts from its first
//!   occurrence.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[path = "availability_text.rs"]
mod text;

pub use text::{format_weekly, parse_weekly};

/// Minutes in a day: the latest a slot may end (24:00).
pub const DAY_END: u16 = 1440;

/// How far ahead [`Now::Unavailable`] looks for the next free time.
pub const LOOKAHEAD_DAYS: u64 = 14;

/// Windows spanning more local dates than this are never covered: no assignment lasts a year,
/// and walking day by day through a nonsense window must stay cheap.
const MAX_WINDOW_DAYS: i64 = 400;

const DAY_MS: i64 = 86_400_000;

/// Weekly hours on one day: `[from_min, to_min)` minutes after local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub struct Slot {
    /// 1 = Monday … 7 = Sunday.
    pub day: u8,
    pub from_min: u16,
    /// At most 1440 (24:00), later than `from_min`.
    pub to_min: u16,
}

/// Dates on which the weekly hours do not hold: away (travel, illness) or free all day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Exception {
    /// YYYY-MM-DD, local.
    pub from: String,
    /// YYYY-MM-DD, included.
    pub to: String,
    pub available: bool,
    pub note: String,
}

/// Weekly hours with exceptions. The default (no slots) is "not stated".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Availability {
    pub slots: Vec<Slot>,
    pub exceptions: Vec<Exception>,
}

/// What the availability says about one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Now {
    NotStated,
    Available,
    Unavailable {
        /// When free time next begins (epoch ms), if within [`LOOKAHEAD_DAYS`].
        #[ts(type = "number | null")]
        next_from_ms: Option<i64>,
    },
}

/// Why availability text or slots were refused; crosses to the UI inside
/// [`crate::Refusal::Availability`], tagged by `problem`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize, TS)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum AvailabilityError {
    #[error("day {day} is not a day of the week: use 1 (Monday) to 7 (Sunday)")]
    BadDay { day: u8 },
    #[error("the time slot {from}–{to} does not end after it starts: give a later end time")]
    EmptySlot { from: String, to: String },
    #[error(
        "a time slot cannot end after 24:00 (it ends {to_min} minutes after midnight): \
         split a night into two days"
    )]
    PastMidnight { to_min: u16 },
    #[error("“{date}” is not a date: write it as YYYY-MM-DD, e.g. 2025-03-01")]
    BadDate { date: String },
    #[error("the exception from {from} to {to} ends before it starts: swap the two dates")]
    ReversedDates { from: String, to: String },
    #[error(
        "“{part}” was not understood: write days and hours like 周一至周五 18:00-21:00, \
         周六 全天 or Mon-Fri 18:00-21:00"
    )]
    NotUnderstood { part: String },
    #[error("“{part}” names days but no hours: add hours like 18:00-21:00 or 全天 (all day)")]
    NoHours { part: String },
    #[error("“{part}” gives hours but no days: put days before them, like 周一至周五 or 每天")]
    NoDays { part: String },
    #[error(
        "“{part}” is not a time range: hours run from 0 to 24, minutes from 0 to 59, and the \
         end must come after the start (write a night as two days: 周五 22:00-24:00；周六 0:00-2:00)"
    )]
    BadTime { part: String },
}

impl AvailabilityError {
    /// A stable code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            AvailabilityError::BadDay { .. } => "bad_day",
            AvailabilityError::EmptySlot { .. } => "empty_slot",
            AvailabilityError::PastMidnight { .. } => "past_midnight",
            AvailabilityError::BadDate { .. } => "bad_date",
            AvailabilityError::ReversedDates { .. } => "reversed_dates",
            AvailabilityError::NotUnderstood { .. } => "not_understood",
            AvailabilityError::NoHours { .. } => "no_hours",
            AvailabilityError::NoDays { .. } => "no_days",
            AvailabilityError::BadTime { .. } => "bad_time",
        }
    }
}

impl Slot {
    fn check(&self) -> Result<(), AvailabilityError> {
        if !(1..=7).contains(&self.day) {
            return Err(AvailabilityError::BadDay { day: self.day });
        }
        if self.to_min > DAY_END {
            return Err(AvailabilityError::PastMidnight { to_min: self.to_min });
        }
        if self.from_min >= self.to_min {
            return Err(AvailabilityError::EmptySlot {
                from: hhmm(self.from_min),
                to: hhmm(self.to_min),
            });
        }
        Ok(())
    }

    fn contains(&self, day: u8, minute: u16) -> bool {
        self.day == day && self.from_min <= minute && minute < self.to_min
    }
}

impl Exception {
    /// The two dates, when both can be read.
    fn dates(&self) -> Option<(NaiveDate, NaiveDate)> {
        Some((parse_date(&self.from)?, parse_date(&self.to)?))
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Valid slots sorted by (day, from), overlapping or touching slots of a day merged.
fn merge_slots(mut slots: Vec<Slot>) -> Vec<Slot> {
    slots.sort_unstable_by_key(|s| (s.day, s.from_min, s.to_min));
    let mut out: Vec<Slot> = Vec::with_capacity(slots.len());
    for s in slots {
        match out.last_mut() {
            Some(last) if last.day == s.day && s.from_min <= last.to_min => {
                last.to_min = last.to_min.max(s.to_min);
            }
            _ => out.push(s),
        }
    }
    out
}

impl Availability {
    /// Whether anything at all was said (weekly hours or an exception).
    pub fn is_stated(&self) -> bool {
        !self.slots.is_empty() || !self.exceptions.is_empty()
    }

    /// The form that is saved: every slot and date checked, slots sorted by (day, from) with
    /// overlapping or touching ones merged, dates written YYYY-MM-DD, exceptions by start date.
    pub fn normalised(self) -> Result<Availability, AvailabilityError> {
        for s in &self.slots {
            s.check()?;
        }
        let mut dated = Vec::with_capacity(self.exceptions.len());
        for e in self.exceptions {
            let from = parse_date(&e.from)
                .ok_or_else(|| AvailabilityError::BadDate { date: e.from.clone() })?;
            let to = parse_date(&e.to)
                .ok_or_else(|| AvailabilityError::BadDate { date: e.to.clone() })?;
            if to < from {
                return Err(AvailabilityError::ReversedDates {
                    from: from.to_string(),
                    to: to.to_string(),
                });
            }
            let e = Exception { from: from.to_string(), to: to.to_string(), ..e };
            dated.push((from, to, e));
        }
        // Every field takes part so that the saved order never depends on the order typed.
        dated.sort_by(|a, b| {
            (a.0, a.1, a.2.available, &a.2.note).cmp(&(b.0, b.1, b.2.available, &b.2.note))
        });
        Ok(Availability {
            slots: merge_slots(self.slots),
            exceptions: dated.into_iter().map(|(_, _, e)| e).collect(),
        })
    }

    /// What exceptions say about a local date: `Some(false)` away, `Some(true)` free all day.
    fn exception_on(&self, date: NaiveDate) -> Option<bool> {
        let mut said = None;
        for e in &self.exceptions {
            match e.dates() {
                Some((from, to)) if from <= date && date <= to => {
                    if !e.available {
                        return Some(false);
                    }
                    said = Some(true);
                }
                _ => {}
            }
        }
        said
    }

    /// Available, unavailable (with when that ends) or not stated at `at`.
    pub fn state_at(&self, at: DateTime<Tz>) -> Now {
        match self.available_at(&at) {
            None => Now::NotStated,
            Some(true) => Now::Available,
            Some(false) => Now::Unavailable { next_from_ms: self.next_from(&at) },
        }
    }

    /// [`Availability::state_at`] without looking ahead: `None` when not stated. What a ranking
    /// of thousands needs, where only the rows shown say when someone is next free.
    pub fn available_at(&self, at: &DateTime<Tz>) -> Option<bool> {
        let date = at.date_naive();
        match self.exception_on(date) {
            Some(a) => Some(a),
            None if self.slots.is_empty() => None,
            None => {
                let minute = minute_of(at);
                let day = weekday(date);
                Some(self.slots.iter().any(|s| s.contains(day, minute)))
            }
        }
    }

    /// The first start of free time after `at` (which is not free), within the lookahead.
    ///
    /// Dates are walked in order and each date's starts in order, so the first start later
    /// than `at` is the answer; a slot that starts inside another one cannot come first, since
    /// that other one would have started later than `at` too, or `at` would be free.
    fn next_from(&self, at: &DateTime<Tz>) -> Option<i64> {
        let tz = at.timezone();
        let at_ms = at.timestamp_millis();
        let limit = at_ms.saturating_add(LOOKAHEAD_DAYS as i64 * DAY_MS);
        let today = at.date_naive();
        let mut starts = Vec::new();
        for k in 0..=LOOKAHEAD_DAYS {
            let date = today.checked_add_days(Days::new(k))?;
            starts.clear();
            match self.exception_on(date) {
                Some(false) => continue,
                Some(true) => starts.push(0),
                None => {
                    let day = weekday(date);
                    starts.extend(self.slots.iter().filter(|s| s.day == day).map(|s| s.from_min));
                    starts.sort_unstable();
                }
            }
            for &m in &starts {
                let Some(t) = instant(tz, date, m) else { continue };
                if t > limit {
                    return None;
                }
                if t > at_ms {
                    return Some(t);
                }
            }
        }
        None
    }

    /// Whether the whole window `[from_ms, to_ms)` lies in free time: `Some(true)` when it
    /// does, `Some(false)` when some of it is known not to (outside the weekly hours or on a
    /// date away), `None` when some of it falls where nothing is stated and none of it is
    /// known not to be free. An empty window asks about its start instant.
    pub fn covers(&self, from_ms: i64, to_ms: i64, tz: Tz) -> Option<bool> {
        if !self.is_stated() {
            return None;
        }
        let to_ms = to_ms.max(from_ms.saturating_add(1));
        let (Some(first), Some(last)) = (local_date(from_ms, tz), local_date(to_ms - 1, tz)) else {
            return Some(false);
        };
        if (last - first).num_days() > MAX_WINDOW_DAYS {
            return Some(false);
        }
        let mut free = Vec::new();
        let mut unknown = Vec::new();
        let mut date = first;
        while date <= last {
            let (Some(start), Some(end)) = (instant(tz, date, 0), instant(tz, date, DAY_END))
            else {
                return Some(false);
            };
            // Without a clock change that day, a wall-clock minute is a fixed step from midnight.
            let at = |m: u16| {
                if end - start == DAY_MS {
                    Some(start + i64::from(m) * 60_000)
                } else {
                    instant(tz, date, m)
                }
            };
            match self.exception_on(date) {
                Some(true) => free.push((start, end)),
                Some(false) => {}
                None if self.slots.is_empty() => unknown.push((start, end)),
                None => {
                    let day = weekday(date);
                    for s in self.slots.iter().filter(|s| s.day == day) {
                        if let (Some(a), Some(b)) = (at(s.from_min), at(s.to_min)) {
                            free.push((a, b));
                        }
                    }
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        if spans(&mut free, from_ms, to_ms) {
            return Some(true);
        }
        if unknown.is_empty() {
            return Some(false);
        }
        free.append(&mut unknown);
        if spans(&mut free, from_ms, to_ms) {
            None
        } else {
            Some(false)
        }
    }
}

/// Whether one stretch of the intervals, touching ones joined, holds all of `[from, to)`.
fn spans(intervals: &mut [(i64, i64)], from: i64, to: i64) -> bool {
    intervals.sort_unstable();
    let mut current: Option<(i64, i64)> = None;
    for &(a, b) in intervals.iter() {
        current = match current {
            Some((s, e)) if a <= e => Some((s, e.max(b))),
            _ => Some((a, b)),
        };
        if let Some((s, e)) = current {
            if s <= from && to <= e {
                return true;
            }
        }
    }
    false
}

fn weekday(date: NaiveDate) -> u8 {
    date.weekday().number_from_monday() as u8
}

fn minute_of(at: &DateTime<Tz>) -> u16 {
    (at.num_seconds_from_midnight() / 60) as u16
}

fn local_date(ms: i64, tz: Tz) -> Option<NaiveDate> {
    Some(DateTime::<Utc>::from_timestamp_millis(ms)?.with_timezone(&tz).date_naive())
}

/// The instant (epoch ms) of a local wall-clock minute; minute 1440 is the next midnight.
fn instant(tz: Tz, date: NaiveDate, minute: u16) -> Option<i64> {
    let (date, minute) =
        if minute >= DAY_END { (date.succ_opt()?, minute - DAY_END) } else { (date, minute) };
    let time = NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)?;
    let local = date.and_time(time);
    if let Some(t) = tz.from_local_datetime(&local).earliest() {
        return Some(t.timestamp_millis());
    }
    // Skipped by a clock change: the time begins with the jump, at the first wall-clock minute
    // that exists after it. Gaps are an hour or so, but a few zones once skipped a whole day.
    let mut probe = local;
    for _ in 0..2 * DAY_END {
        probe = probe.checked_add_signed(TimeDelta::minutes(1))?;
        if let Some(t) = tz.from_local_datetime(&probe).earliest() {
            return Some(t.timestamp_millis());
        }
    }
    None
}

fn hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

#[cfg(test)]
#[path = "availability_tests.rs"]
mod tests;
