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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
        let date = at.date_naive();
        let available = match self.exception_on(date) {
            Some(a) => a,
            None if self.slots.is_empty() => return Now::NotStated,
            None => {
                let minute = minute_of(&at);
                let day = weekday(date);
                self.slots.iter().any(|s| s.contains(day, minute))
            }
        };
        if available {
            Now::Available
        } else {
            Now::Unavailable { next_from_ms: self.next_from(&at) }
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
            match self.exception_on(date) {
                Some(true) => free.push((start, end)),
                Some(false) => {}
                None if self.slots.is_empty() => unknown.push((start, end)),
                None => {
                    let day = weekday(date);
                    for s in self.slots.iter().filter(|s| s.day == day) {
                        if let (Some(a), Some(b)) =
                            (instant(tz, date, s.from_min), instant(tz, date, s.to_min))
                        {
                            free.push((a, b));
                        }
                    }
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        if spans(&mut free.clone(), from_ms, to_ms) {
            return Some(true);
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

// ---------------------------------------------------------------------------------------------
// The text form.

const WEEKDAYS: u8 = 0b001_1111;
const WEEKEND: u8 = 0b110_0000;
const EVERY_DAY: u8 = 0b111_1111;

const MORNING: (u16, u16) = (8 * 60, 12 * 60);
const AFTERNOON: (u16, u16) = (14 * 60, 18 * 60);
const EVENING: (u16, u16) = (18 * 60, 21 * 60);

const ZH_DAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
const EN_DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The weekly hours in their canonical text: days with the same hours grouped (a run of three
/// or more consecutive days as a range), groups in the order of their first day. Invalid slots
/// are left out; [`parse_weekly`] reads the result back to the same normalised slots.
pub fn format_weekly(slots: &[Slot], zh: bool) -> String {
    let valid: Vec<Slot> = slots.iter().copied().filter(|s| s.check().is_ok()).collect();
    let mut per_day: [Vec<(u16, u16)>; 7] = Default::default();
    for s in merge_slots(valid) {
        per_day[usize::from(s.day - 1)].push((s.from_min, s.to_min));
    }
    let mut groups: Vec<(u8, &[(u16, u16)])> = Vec::new();
    for (i, hours) in per_day.iter().enumerate() {
        if hours.is_empty() {
            continue;
        }
        match groups.iter_mut().find(|(_, h)| *h == hours.as_slice()) {
            Some((mask, _)) => *mask |= 1 << i,
            None => groups.push((1 << i, hours)),
        }
    }
    let segments: Vec<String> = groups
        .iter()
        .map(|&(mask, hours)| format!("{} {}", days_text(mask, zh), hours_text(hours, zh)))
        .collect();
    segments.join(if zh { "；" } else { "; " })
}

fn days_text(mask: u8, zh: bool) -> String {
    if mask == EVERY_DAY {
        return if zh { "每天" } else { "Every day" }.to_owned();
    }
    let names = if zh { ZH_DAYS } else { EN_DAYS };
    let mut runs = Vec::new();
    let mut i = 0;
    while i < 7 {
        if mask & (1 << i) == 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i + 1 < 7 && mask & (1 << (i + 1)) != 0 {
            i += 1;
        }
        runs.push(match i - start {
            0 => names[start].to_owned(),
            1 => format!("{}{}{}", names[start], if zh { "、" } else { ", " }, names[i]),
            _ => format!("{}{}{}", names[start], if zh { "至" } else { "–" }, names[i]),
        });
        i += 1;
    }
    runs.join(if zh { "、" } else { ", " })
}

fn hours_text(hours: &[(u16, u16)], zh: bool) -> String {
    let parts: Vec<String> = hours
        .iter()
        .map(|&(from, to)| match (from, to, zh) {
            (0, DAY_END, true) => "全天".to_owned(),
            (0, DAY_END, false) => "all day".to_owned(),
            (_, _, true) => format!("{}-{}", hhmm(from), hhmm(to)),
            (_, _, false) => format!("{}–{}", hhmm(from), hhmm(to)),
        })
        .collect();
    parts.join(if zh { "、" } else { ", " })
}

/// Reads weekly hours typed in Chinese or English: segments split by `;`, `；`, `|`, `。` or a
/// new line, each one or more groups of days followed by hours (`周一至周五 18:00-21:00`,
/// `周一、周三 9:00-12:00`, `周末 全天`, `每天晚上`, `Mon-Fri 6-9pm`, `Sat, Sun all day`).
/// Full-width digits and punctuation, `点`/`半` times and the day periods 上午 (08–12),
/// 下午 (14–18) and 晚上 (18–21) are understood; 下午 or 晚上 before hours moves them past
/// noon (`晚上7点-9点` is 19:00–21:00). Empty text is no hours at all. The result is
/// normalised.
pub fn parse_weekly(text: &str) -> Result<Vec<Slot>, AvailabilityError> {
    let orig: Vec<char> = text.chars().collect();
    let norm: Vec<char> = orig.iter().map(|&c| fold(c)).collect();
    let mut slots = Vec::new();
    let mut start = 0;
    while start < norm.len() {
        let end = (start..norm.len()).find(|&i| is_segment_break(norm[i])).unwrap_or(norm.len());
        let toks = Scanner { orig: &orig, s: &norm, i: start, end, toks: Vec::new() }.run()?;
        read_groups(&orig, &toks, &mut slots)?;
        start = end + 1;
    }
    Ok(merge_slots(slots))
}

/// One character to the form the scanner reads: full-width forms to ASCII, every dash to `-`,
/// every wave to `~`, ASCII lower case. One character for one, so positions still point into
/// the text as typed, which is what an error quotes.
fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => '-',
        '\u{301C}' | '\u{223C}' => '~',
        '\u{FF64}' => '、',
        '\r' | '\n' => '\n',
        c if c.is_whitespace() => ' ',
        c => c,
    };
    c.to_ascii_lowercase()
}

fn is_segment_break(c: char) -> bool {
    matches!(c, ';' | '\n' | '|' | '。')
}

/// Characters that only separate: spaces, commas, and the colon after days (`周一至周五：`).
fn is_soft(c: char) -> bool {
    c == ' '
        || matches!(c, ',' | '、' | '/' | ':' | '.' | '&' | '+' | '和' | '及' | '与' | '(' | ')')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Day(u8),
    Days(u8),
    Through,
    Hours(u16, u16),
}

/// A token and the characters it came from.
#[derive(Debug, Clone, Copy)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Morning,
    Afternoon,
    Evening,
}

impl Period {
    fn hours(self) -> (u16, u16) {
        match self {
            Period::Morning => MORNING,
            Period::Afternoon => AFTERNOON,
            Period::Evening => EVENING,
        }
    }
}

fn zh_numeral(c: char) -> Option<u8> {
    Some(match c {
        '一' | '1' => 1,
        '二' | '2' => 2,
        '三' | '3' => 3,
        '四' | '4' => 4,
        '五' | '5' => 5,
        '六' | '6' => 6,
        '日' | '天' | '7' => 7,
        _ => return None,
    })
}

fn en_word(word: &str) -> Option<Tok> {
    let day = |d| Some(Tok::Day(d));
    match word {
        "mon" | "monday" => day(1),
        "tue" | "tues" | "tuesday" => day(2),
        "wed" | "weds" | "wednesday" => day(3),
        "thu" | "thur" | "thurs" | "thursday" => day(4),
        "fri" | "friday" => day(5),
        "sat" | "saturday" => day(6),
        "sun" | "sunday" => day(7),
        "daily" | "everyday" => Some(Tok::Days(EVERY_DAY)),
        "weekday" | "weekdays" | "workday" | "workdays" => Some(Tok::Days(WEEKDAYS)),
        "weekend" | "weekends" => Some(Tok::Days(WEEKEND)),
        "to" | "through" | "thru" | "till" | "until" => Some(Tok::Through),
        "allday" => Some(Tok::Hours(0, DAY_END)),
        _ => None,
    }
}

fn en_period(word: &str) -> Option<Period> {
    match word.strip_suffix('s').unwrap_or(word) {
        "morning" => Some(Period::Morning),
        "afternoon" => Some(Period::Afternoon),
        "evening" => Some(Period::Evening),
        _ => None,
    }
}

/// Chinese words that stand alone, longest first where one starts another.
const ZH_WORDS: &[(&str, Tok)] = &[
    ("每天", Tok::Days(EVERY_DAY)),
    ("每日", Tok::Days(EVERY_DAY)),
    ("天天", Tok::Days(EVERY_DAY)),
    ("全周", Tok::Days(EVERY_DAY)),
    ("工作日", Tok::Days(WEEKDAYS)),
    ("平日", Tok::Days(WEEKDAYS)),
    ("双休日", Tok::Days(WEEKEND)),
    ("周末", Tok::Days(WEEKEND)),
    ("全天", Tok::Hours(0, DAY_END)),
    ("整天", Tok::Hours(0, DAY_END)),
    ("全日", Tok::Hours(0, DAY_END)),
    ("二十四小时", Tok::Hours(0, DAY_END)),
    ("至", Tok::Through),
    ("到", Tok::Through),
];

const ZH_PERIODS: &[(&str, Period)] = &[
    ("上午", Period::Morning),
    ("早上", Period::Morning),
    ("下午", Period::Afternoon),
    ("晚上", Period::Evening),
];

struct Scanner<'a> {
    orig: &'a [char],
    s: &'a [char],
    i: usize,
    end: usize,
    toks: Vec<Token>,
}

impl Scanner<'_> {
    fn run(mut self) -> Result<Vec<Token>, AvailabilityError> {
        while self.i < self.end {
            let c = self.s[self.i];
            if is_soft(c) {
                self.i += 1;
            } else if c.is_ascii_digit() {
                let start = self.i;
                let (from, to) = self.time_range()?;
                self.push(Tok::Hours(from, to), start);
            } else if c.is_ascii_alphabetic() {
                self.word()?;
            } else if c == '-' || c == '~' {
                self.i += 1;
                self.push(Tok::Through, self.i - 1);
            } else {
                self.cjk()?;
            }
        }
        Ok(self.toks)
    }

    fn push(&mut self, tok: Tok, start: usize) {
        self.toks.push(Token { tok, start, end: self.i });
    }

    fn at(&self, word: &str) -> bool {
        let mut i = self.i;
        for w in word.chars() {
            if i >= self.end || self.s[i] != w {
                return false;
            }
            i += 1;
        }
        true
    }

    fn peek(&self) -> Option<char> {
        (self.i < self.end).then(|| self.s[self.i])
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(' ') {
            self.i += 1;
        }
    }

    /// The text as typed from `start` to the end of the current word, for an error.
    fn part_from(&self, start: usize) -> String {
        let mut end = self.i.max(start + 1).min(self.end);
        while end < self.end && !is_soft(self.s[end]) {
            end += 1;
        }
        self.orig[start..end].iter().collect::<String>().trim().to_owned()
    }

    fn not_understood(&self, start: usize) -> AvailabilityError {
        AvailabilityError::NotUnderstood { part: self.part_from(start) }
    }

    fn bad_time(&self, start: usize) -> AvailabilityError {
        AvailabilityError::BadTime { part: self.part_from(start) }
    }

    fn ascii_word(&mut self) -> String {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        self.s[start..self.i].iter().collect()
    }

    fn word(&mut self) -> Result<(), AvailabilityError> {
        let start = self.i;
        let word = self.ascii_word();
        let plural = word.strip_suffix('s').filter(|w| w.len() >= 3);
        if let Some(tok) = en_word(&word).or_else(|| plural.and_then(en_word)) {
            self.push(tok, start);
            return Ok(());
        }
        if let Some(p) = en_period(&word) {
            return self.period(p, start);
        }
        if word == "and" {
            return Ok(());
        }
        let tok = match word.as_str() {
            "every" | "each" => Tok::Days(EVERY_DAY),
            "all" | "whole" | "full" => Tok::Hours(0, DAY_END),
            _ => return Err(self.not_understood(start)),
        };
        self.skip_spaces();
        match self.ascii_word().as_str() {
            "day" | "days" => {
                self.push(tok, start);
                Ok(())
            }
            _ => Err(self.not_understood(start)),
        }
    }

    fn cjk(&mut self) -> Result<(), AvailabilityError> {
        let start = self.i;
        // 每周一 is every Monday, 每周末 every weekend: the 每 adds nothing.
        if self.at("每周") || self.at("每星期") || self.at("每礼拜") {
            self.i += 1;
        }
        for prefix in ["星期", "礼拜", "周"] {
            if self.at(prefix) {
                let after = self.i + prefix.chars().count();
                if let Some(d) =
                    self.s.get(after).filter(|_| after < self.end).and_then(|&c| zh_numeral(c))
                {
                    self.i = after + 1;
                    self.push(Tok::Day(d), start);
                    return Ok(());
                }
            }
        }
        for &(word, tok) in ZH_WORDS {
            if self.at(word) {
                self.i += word.chars().count();
                self.push(tok, start);
                return Ok(());
            }
        }
        for &(word, p) in ZH_PERIODS {
            if self.at(word) {
                self.i += word.chars().count();
                return self.period(p, start);
            }
        }
        // A bare numeral continues days already named: 周一至五, 周一、三、五.
        let after_day =
            matches!(self.toks.last(), Some(Token { tok: Tok::Day(_) | Tok::Through, .. }));
        if let Some(d) = zh_numeral(self.s[self.i]).filter(|_| after_day) {
            self.i += 1;
            self.push(Tok::Day(d), start);
            return Ok(());
        }
        Err(self.not_understood(start))
    }

    /// 上午, 下午, 晚上 (or morning, afternoon, evening): their hours, or, when hours follow,
    /// those hours, moved past noon after 下午 and 晚上 (`晚上7点-9点`).
    fn period(&mut self, p: Period, start: usize) -> Result<(), AvailabilityError> {
        let back = self.i;
        self.skip_spaces();
        if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i = back;
            let (from, to) = p.hours();
            self.push(Tok::Hours(from, to), start);
            return Ok(());
        }
        let times = self.time_points(start)?;
        let (mut a, mut b) = (times.0, times.1);
        if p != Period::Morning {
            for t in [&mut a, &mut b] {
                if t.ampm.is_none() && (1..12).contains(&t.hour) {
                    t.hour += 12;
                }
            }
            if b.ampm.is_none() && b.hour == 12 && b.minute == 0 {
                b.hour = 24;
            }
        }
        let (from, to) = finish_range(a, b).ok_or_else(|| self.bad_time(start))?;
        self.push(Tok::Hours(from, to), start);
        Ok(())
    }

    fn time_range(&mut self) -> Result<(u16, u16), AvailabilityError> {
        let start = self.i;
        if self.at("24") {
            let back = self.i;
            self.i += 2;
            self.skip_spaces();
            for word in ["小时", "hours", "hrs", "h"] {
                if self.at(word) {
                    self.i += word.chars().count();
                    return Ok((0, DAY_END));
                }
            }
            self.i = back;
        }
        let (a, b) = self.time_points(start)?;
        finish_range(a, b).ok_or_else(|| self.bad_time(start))
    }

    /// Two time points joined by a dash, a wave, 至, 到 or "to".
    fn time_points(&mut self, start: usize) -> Result<(Clock, Clock), AvailabilityError> {
        let a = self.time_point().ok_or_else(|| self.bad_time(start))?;
        self.skip_spaces();
        let joined = ["-", "~", "至", "到", "to", "till", "until"].into_iter().find(|w| {
            self.at(w)
                && !(w.is_ascii()
                    && w.len() > 1
                    && self.s.get(self.i + w.len()).is_some_and(|c| c.is_ascii_alphabetic()))
        });
        let Some(j) = joined else { return Err(self.bad_time(start)) };
        self.i += j.chars().count();
        self.skip_spaces();
        let b = self.time_point().ok_or_else(|| self.bad_time(start))?;
        Ok((a, b))
    }

    /// `18`, `18:30`, `18.30`, `18点`, `18点半`, `18点30(分)`, `18时`, each with am/pm.
    fn time_point(&mut self) -> Option<Clock> {
        let hour = self.number(2)?;
        let mut minute = 0;
        match self.peek() {
            Some(':' | '.') if self.s.get(self.i + 1).is_some_and(|c| c.is_ascii_digit()) => {
                self.i += 1;
                let start = self.i;
                minute = self.number(2)?;
                if self.i - start != 2 {
                    return None;
                }
            }
            Some('点' | '时') => {
                self.i += 1;
                if self.peek() == Some('半') {
                    self.i += 1;
                    minute = 30;
                } else if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    minute = self.number(2)?;
                    if self.peek() == Some('分') {
                        self.i += 1;
                    }
                }
            }
            _ => {}
        }
        let back = self.i;
        self.skip_spaces();
        let ampm = if self.at("am") || self.at("a.m.") {
            Some(false)
        } else if self.at("pm") || self.at("p.m.") {
            Some(true)
        } else {
            None
        };
        match ampm {
            Some(_) => self.i += if self.at("a.m.") || self.at("p.m.") { 4 } else { 2 },
            None => self.i = back,
        }
        Some(Clock { hour, minute, ampm })
    }

    /// Up to `max` ASCII digits; none when there are none, or more follow.
    fn number(&mut self, max: usize) -> Option<u16> {
        let start = self.i;
        let mut n: u16 = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            if self.i - start == max {
                return None;
            }
            n = n * 10 + d as u16;
            self.i += 1;
        }
        (self.i > start).then_some(n)
    }
}

/// A time as typed: hour, minute, and am (`Some(false)`) or pm (`Some(true)`) if said.
#[derive(Debug, Clone, Copy)]
struct Clock {
    hour: u16,
    minute: u16,
    ampm: Option<bool>,
}

impl Clock {
    fn with(self, pm: bool) -> Clock {
        let hour = match (pm, self.hour) {
            (false, 12) => 0,
            (true, h) if h < 12 => h + 12,
            (_, h) => h,
        };
        Clock { hour, ..self }
    }

    fn minutes(self) -> Option<u16> {
        let clock = match self.ampm {
            Some(pm) if (1..=12).contains(&self.hour) => self.with(pm),
            Some(_) => return None,
            None => self,
        };
        if clock.minute > 59 || clock.hour > 24 || (clock.hour == 24 && clock.minute > 0) {
            return None;
        }
        Some(clock.hour * 60 + clock.minute)
    }
}

/// The range in minutes: "6-9pm" is 18:00–21:00 but "10-2pm" 10:00–14:00, and an end at
/// midnight (`22:00-0:00`, `8pm-12am`) is 24:00. Anything not ending after it starts is refused.
fn finish_range(a: Clock, b: Clock) -> Option<(u16, u16)> {
    let to = b.minutes()?;
    let to = if to == 0 { DAY_END } else { to };
    let mut from = a.minutes()?;
    if let (None, Some(pm)) = (a.ampm, b.ampm) {
        if (1..=12).contains(&a.hour) {
            let shifted = a.with(pm).minutes()?;
            if shifted < to {
                from = shifted;
            }
        }
    }
    (from < to).then_some((from, to))
}

fn text_of(orig: &[char], start: usize, end: usize) -> String {
    orig[start..end].iter().collect::<String>().trim().to_owned()
}

/// Groups of days followed by hours.
fn read_groups(
    orig: &[char],
    toks: &[Token],
    slots: &mut Vec<Slot>,
) -> Result<(), AvailabilityError> {
    let mut i = 0;
    while i < toks.len() {
        let first = i;
        let mut days = 0u8;
        loop {
            match toks.get(i).map(|t| t.tok) {
                Some(Tok::Day(a)) => match (toks.get(i + 1), toks.get(i + 2)) {
                    (
                        Some(Token { tok: Tok::Through, .. }),
                        Some(Token { tok: Tok::Day(b), .. }),
                    ) => {
                        days |= day_range(a, *b);
                        i += 3;
                    }
                    _ => {
                        days |= 1 << (a - 1);
                        i += 1;
                    }
                },
                Some(Tok::Days(m)) => {
                    days |= m;
                    i += 1;
                }
                _ => break,
            }
        }
        if days == 0 {
            let t = toks[i];
            let part = text_of(orig, t.start, t.end);
            return Err(match t.tok {
                Tok::Hours(..) => AvailabilityError::NoDays { part },
                _ => AvailabilityError::NotUnderstood { part },
            });
        }
        let mut hours = Vec::new();
        while let Some(Token { tok: Tok::Hours(from, to), .. }) = toks.get(i) {
            hours.push((*from, *to));
            i += 1;
        }
        if hours.is_empty() {
            return Err(match toks.get(i) {
                Some(t) => AvailabilityError::NotUnderstood { part: text_of(orig, t.start, t.end) },
                None => AvailabilityError::NoHours {
                    part: text_of(orig, toks[first].start, toks[i - 1].end),
                },
            });
        }
        for day in 1..=7u8 {
            if days & (1 << (day - 1)) != 0 {
                slots.extend(hours.iter().map(|&(from_min, to_min)| Slot {
                    day,
                    from_min,
                    to_min,
                }));
            }
        }
    }
    Ok(())
}

/// Days `a` to `b` as a mask, round the week when `b` comes first (周五至周一).
fn day_range(a: u8, b: u8) -> u8 {
    let mut mask = 0;
    let mut d = a;
    loop {
        mask |= 1 << (d - 1);
        if d == b {
            return mask;
        }
        d = d % 7 + 1;
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Asia::Shanghai;
    use proptest::prelude::*;

    use super::*;

    /// A Shanghai wall-clock time. 2025-03-03 is a Monday.
    fn sh(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Tz> {
        Shanghai.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("valid")
    }

    fn ms(t: DateTime<Tz>) -> i64 {
        t.timestamp_millis()
    }

    fn slot(day: u8, from: &str, to: &str) -> Slot {
        let m = |s: &str| {
            let (h, m) = s.split_once(':').expect("hh:mm");
            h.parse::<u16>().expect("h") * 60 + m.parse::<u16>().expect("m")
        };
        Slot { day, from_min: m(from), to_min: m(to) }
    }

    fn away(from: &str, to: &str) -> Exception {
        Exception { from: from.into(), to: to.into(), available: false, note: "回老家".into() }
    }

    fn free(from: &str, to: &str) -> Exception {
        Exception { from: from.into(), to: to.into(), available: true, note: String::new() }
    }

    fn weekly(slots: Vec<Slot>) -> Availability {
        Availability { slots, exceptions: vec![] }
    }

    /// Monday evenings until midnight and Tuesday's small hours.
    fn night_owl() -> Availability {
        weekly(vec![slot(1, "20:00", "24:00"), slot(2, "00:00", "02:00")])
    }

    #[test]
    fn normalised_sorts_and_merges_touching_and_overlapping_slots() {
        let a = Availability {
            slots: vec![
                slot(3, "14:00", "17:00"),
                slot(1, "20:00", "21:00"),
                slot(1, "18:00", "20:00"),
                slot(1, "19:00", "19:30"),
                slot(3, "09:00", "12:00"),
                slot(1, "22:00", "23:00"),
            ],
            exceptions: vec![away("2025-5-1", "2025-05-05"), free("2025-03-08", "2025-03-08")],
        };
        let n = a.normalised().expect("valid");
        assert_eq!(
            n.slots,
            vec![
                slot(1, "18:00", "21:00"),
                slot(1, "22:00", "23:00"),
                slot(3, "09:00", "12:00"),
                slot(3, "14:00", "17:00"),
            ]
        );
        assert_eq!(n.exceptions[0].from, "2025-03-08");
        assert_eq!(n.exceptions[1].from, "2025-05-01", "dates are rewritten YYYY-MM-DD");
        assert_eq!(n.clone().normalised().expect("again"), n);
    }

    #[test]
    fn normalised_refuses_what_an_official_must_fix() {
        let bad = |slots: Vec<Slot>, exceptions: Vec<Exception>| {
            Availability { slots, exceptions }.normalised().expect_err("refused")
        };
        let e = bad(vec![Slot { day: 8, from_min: 0, to_min: 60 }], vec![]);
        assert_eq!(e.code(), "bad_day");
        assert!(e.to_string().contains("1 (Monday) to 7 (Sunday)"), "{e}");
        assert_eq!(bad(vec![Slot { day: 0, from_min: 0, to_min: 60 }], vec![]).code(), "bad_day");
        let e = bad(vec![slot(1, "21:00", "18:00")], vec![]);
        assert_eq!(e, AvailabilityError::EmptySlot { from: "21:00".into(), to: "18:00".into() });
        assert_eq!(bad(vec![slot(1, "18:00", "18:00")], vec![]).code(), "empty_slot");
        let e = bad(vec![Slot { day: 1, from_min: 1380, to_min: 1500 }], vec![]);
        assert_eq!(e.code(), "past_midnight");
        let e = bad(vec![], vec![away("2025-02-30", "2025-03-01")]);
        assert_eq!(e, AvailabilityError::BadDate { date: "2025-02-30".into() });
        assert_eq!(bad(vec![], vec![away("2025-03-01", "下周")]).code(), "bad_date");
        let e = bad(vec![], vec![away("2025-03-05", "2025-03-01")]);
        assert_eq!(e.code(), "reversed_dates");
        assert!(e.to_string().contains("2025-03-05"), "{e}");
        assert_eq!(Availability::default().normalised(), Ok(Availability::default()));
    }

    #[test]
    fn state_at_across_midnight() {
        let a = night_owl();
        assert_eq!(a.state_at(sh(2025, 3, 3, 20, 0)), Now::Available);
        assert_eq!(a.state_at(sh(2025, 3, 3, 23, 59)), Now::Available);
        assert_eq!(a.state_at(sh(2025, 3, 4, 0, 0)), Now::Available);
        assert_eq!(a.state_at(sh(2025, 3, 4, 1, 59)), Now::Available);
        // Tuesday 02:00 ends the stretch; the next one is the following Monday evening.
        assert_eq!(
            a.state_at(sh(2025, 3, 4, 2, 0)),
            Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 10, 20, 0))) }
        );
        assert_eq!(
            a.state_at(sh(2025, 3, 3, 19, 59)),
            Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 3, 20, 0))) }
        );
    }

    #[test]
    fn state_at_counts_seconds_within_the_minute() {
        let a = weekly(vec![slot(1, "08:00", "18:00")]);
        let t = |h, m, s| Shanghai.with_ymd_and_hms(2025, 3, 3, h, m, s).single().expect("t");
        assert_eq!(a.state_at(t(17, 59, 59)), Now::Available);
        assert!(matches!(a.state_at(t(18, 0, 0)), Now::Unavailable { .. }));
        assert_eq!(
            a.state_at(t(7, 59, 59)),
            Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 3, 8, 0))) }
        );
    }

    #[test]
    fn an_exception_day_wins_over_the_weekly_hours() {
        let mut a = night_owl();
        a.exceptions.push(away("2025-03-03", "2025-03-03"));
        // Away all Monday: the stretch that goes on after midnight still counts on Tuesday.
        assert_eq!(
            a.state_at(sh(2025, 3, 3, 21, 0)),
            Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 4, 0, 0))) }
        );
        assert_eq!(a.state_at(sh(2025, 3, 4, 0, 30)), Now::Available);
        // Free all Saturday, whatever the weekly hours say.
        a.exceptions.push(free("2025-03-08", "2025-03-08"));
        assert_eq!(a.state_at(sh(2025, 3, 8, 3, 0)), Now::Available);
        assert_eq!(
            a.state_at(sh(2025, 3, 7, 12, 0)),
            Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 8, 0, 0))) }
        );
        // When two exceptions disagree, away wins.
        a.exceptions.push(away("2025-03-08", "2025-03-09"));
        assert_eq!(
            a.state_at(sh(2025, 3, 8, 3, 0)),
            Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 10, 20, 0))) }
        );
    }

    #[test]
    fn next_from_looks_fourteen_days_ahead() {
        let mut a = night_owl();
        a.exceptions.push(away("2025-03-01", "2025-03-16"));
        assert_eq!(
            a.state_at(sh(2025, 3, 3, 21, 0)),
            Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 17, 20, 0))) }
        );
        a.exceptions[0].to = "2025-03-17".into();
        // Tuesday 18th 00:00 is 14 days and 3 hours after Monday 3rd 21:00: too far.
        assert_eq!(a.state_at(sh(2025, 3, 3, 21, 0)), Now::Unavailable { next_from_ms: None });
        // Exactly 14 days ahead still counts.
        assert_eq!(
            a.state_at(sh(2025, 3, 4, 0, 0)),
            Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 18, 0, 0))) }
        );
    }

    #[test]
    fn not_stated_unless_something_is_said_about_the_day() {
        assert_eq!(Availability::default().state_at(sh(2025, 3, 3, 9, 0)), Now::NotStated);
        let a = Availability { slots: vec![], exceptions: vec![away("2025-03-04", "2025-03-05")] };
        assert_eq!(a.state_at(sh(2025, 3, 3, 9, 0)), Now::NotStated);
        assert_eq!(
            a.state_at(sh(2025, 3, 4, 9, 0)),
            Now::Unavailable { next_from_ms: None },
            "no free time is ever stated"
        );
        let a = Availability { slots: vec![], exceptions: vec![free("2025-03-06", "2025-03-06")] };
        assert_eq!(a.state_at(sh(2025, 3, 6, 9, 0)), Now::Available);
        assert_eq!(
            a.covers(ms(sh(2025, 3, 6, 9, 0)), ms(sh(2025, 3, 6, 11, 0)), Shanghai),
            Some(true)
        );
    }

    #[test]
    fn covers_windows_across_touching_slots_and_midnight() {
        let a = weekly(vec![
            slot(1, "18:00", "20:00"),
            slot(1, "20:00", "24:00"),
            slot(2, "00:00", "02:00"),
            slot(3, "00:30", "02:00"),
            slot(2, "22:00", "24:00"),
        ]);
        let c = |from: DateTime<Tz>, to: DateTime<Tz>| a.covers(ms(from), ms(to), Shanghai);
        assert_eq!(c(sh(2025, 3, 3, 19, 0), sh(2025, 3, 3, 21, 0)), Some(true));
        assert_eq!(c(sh(2025, 3, 3, 18, 0), sh(2025, 3, 4, 2, 0)), Some(true));
        assert_eq!(c(sh(2025, 3, 3, 17, 59), sh(2025, 3, 3, 19, 0)), Some(false));
        assert_eq!(c(sh(2025, 3, 4, 1, 0), sh(2025, 3, 4, 2, 1)), Some(false));
        // Wednesday starts at 00:30, so Tuesday night does not run on.
        assert_eq!(c(sh(2025, 3, 4, 23, 0), sh(2025, 3, 5, 0, 30)), Some(false));
        assert_eq!(c(sh(2025, 3, 4, 23, 0), sh(2025, 3, 5, 0, 0)), Some(true));
        // An empty window asks about its start.
        assert_eq!(c(sh(2025, 3, 3, 19, 0), sh(2025, 3, 3, 19, 0)), Some(true));
        assert_eq!(c(sh(2025, 3, 3, 17, 0), sh(2025, 3, 3, 16, 0)), Some(false));
        assert_eq!(c(sh(2025, 3, 3, 19, 0), sh(2026, 6, 3, 19, 0)), Some(false));
    }

    #[test]
    fn covers_says_none_only_where_nothing_is_stated() {
        let t = |d, h| ms(sh(2025, 3, d, h, 0));
        assert_eq!(Availability::default().covers(t(3, 9), t(3, 10), Shanghai), None);
        let a = Availability {
            slots: vec![],
            exceptions: vec![free("2025-03-04", "2025-03-04"), away("2025-03-06", "2025-03-06")],
        };
        assert_eq!(a.covers(t(4, 9), t(4, 10), Shanghai), Some(true));
        assert_eq!(a.covers(t(3, 9), t(3, 10), Shanghai), None, "Monday: nothing said");
        assert_eq!(a.covers(t(3, 23), t(4, 1), Shanghai), None, "half unknown, half free");
        assert_eq!(a.covers(t(5, 23), t(6, 1), Shanghai), Some(false), "half on a day away");
        let mut w = night_owl();
        w.exceptions.push(away("2025-03-04", "2025-03-04"));
        assert_eq!(w.covers(t(3, 23), t(4, 1), Shanghai), Some(false));
        assert_eq!(w.covers(t(3, 21), t(3, 23), Shanghai), Some(true));
    }

    #[test]
    fn hours_that_a_clock_change_skips_begin_with_the_jump() {
        use chrono_tz::America::New_York;
        // 2025-03-09, a Sunday: New York skips 02:00–03:00.
        let a = weekly(vec![slot(7, "02:30", "04:00")]);
        let ny = |h, m| New_York.with_ymd_and_hms(2025, 3, 9, h, m, 0).single().expect("exists");
        assert_eq!(a.state_at(ny(3, 15)), Now::Available);
        assert_eq!(a.covers(ms(ny(3, 0)), ms(ny(3, 30)), New_York), Some(true));
        assert_eq!(
            a.state_at(ny(1, 59)),
            Now::Unavailable { next_from_ms: Some(ms(ny(3, 0))) },
            "free from the jump"
        );
        assert_eq!(ms(ny(3, 0)) - ms(ny(1, 59)), 60_000);
    }

    #[test]
    fn serde_forms() {
        let now = Now::Unavailable { next_from_ms: Some(5) };
        assert_eq!(
            serde_json::to_string(&now).expect("json"),
            r#"{"kind":"unavailable","next_from_ms":5}"#
        );
        assert_eq!(
            serde_json::to_string(&Now::NotStated).expect("json"),
            r#"{"kind":"not_stated"}"#
        );
        let a = night_owl();
        let back: Availability =
            serde_json::from_str(&serde_json::to_string(&a).expect("json")).expect("back");
        assert_eq!(back, a);
    }

    // --- the text form ---------------------------------------------------------------------

    fn read(text: &str) -> Vec<Slot> {
        parse_weekly(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn every(days: std::ops::RangeInclusive<u8>, from: &str, to: &str) -> Vec<Slot> {
        days.map(|d| slot(d, from, to)).collect()
    }

    #[test]
    fn reads_chinese_days_and_hours() {
        let evenings = every(1..=5, "18:00", "21:00");
        for text in [
            "周一至周五 18:00-21:00",
            "周一到周五 18:00-21:00",
            "周一-周五 18:00-21:00",
            "周一至五 18:00-21:00",
            "星期一至星期五 18:00-21:00",
            "礼拜一到礼拜五 18:00-21:00",
            "周一至周五18:00-21:00",
            "周一至周五：18:00-21:00",
            "工作日 18:00-21:00",
            "每周一至周五 18:00-21:00",
            "周一至周五 １８：００－２１：００",
            "周一至周五 18:00～21:00",
            "周一至周五 18:00—21:00",
            "周一至周五 18:00至21:00",
            "周一至周五 18点-21点",
            "周一至周五 18点到21点",
            "周一至周五 晚上",
            "周一至周五晚上",
            "周一至周五 晚上6点-9点",
            "周一至周五 下午6:00-9:00",
            "周一、周二、周三、周四、周五 18:00-21:00",
            "周一，周二,周三 周四/周五 18:00-21:00",
            "周一至周五 18:00-19:30, 19:30-21:00",
        ] {
            assert_eq!(read(text), evenings, "{text}");
        }
        assert_eq!(
            read("周一、周三 9:00-12:00"),
            vec![slot(1, "09:00", "12:00"), slot(3, "09:00", "12:00")]
        );
        assert_eq!(read("周一、三、五 9:00-12:00").len(), 3);
        assert_eq!(read("周六 全天"), vec![slot(6, "00:00", "24:00")]);
        assert_eq!(read("周末 全天"), every(6..=7, "00:00", "24:00"));
        assert_eq!(read("双休日全天"), every(6..=7, "00:00", "24:00"));
        for sunday in ["周日", "周天", "星期天", "星期日", "礼拜天", "礼拜日"] {
            assert_eq!(
                read(&format!("{sunday} 全天")),
                vec![slot(7, "00:00", "24:00")],
                "{sunday}"
            );
        }
        let mut daily = every(1..=7, "08:00", "12:00");
        daily.extend(every(1..=7, "14:00", "17:30"));
        daily.sort_by_key(|s| (s.day, s.from_min));
        assert_eq!(read("每天 8:00-12:00, 14:00-17:30"), daily);
        assert_eq!(read("每天 8:00-12:00，14:00-17:30"), daily);
        assert_eq!(read("每天 8点-12点、14点-17点半"), daily);
        assert_eq!(read("每天 上午、14:00-17:30"), daily);
        let mut mixed = evenings.clone();
        mixed.push(slot(6, "00:00", "24:00"));
        for text in [
            "周一至周五 18:00-21:00；周六 全天",
            "周一至周五 18:00-21:00;周六 全天",
            "周一至周五 18:00-21:00\n周六 全天",
            "周一至周五 18:00-21:00 | 周六 全天",
            "周一至周五 18:00-21:00。周六全天。",
            "周一至周五 18:00-21:00 周六 全天",
        ] {
            assert_eq!(read(text), mixed, "{text:?}");
        }
        assert_eq!(read("周六上午"), vec![slot(6, "08:00", "12:00")]);
        assert_eq!(read("周六下午"), vec![slot(6, "14:00", "18:00")]);
        assert_eq!(read("每天晚上"), every(1..=7, "18:00", "21:00"));
        assert_eq!(read("周日 18:30-21"), vec![slot(7, "18:30", "21:00")]);
        assert_eq!(read("周日 18点30分-21点"), vec![slot(7, "18:30", "21:00")]);
        assert_eq!(read("周五 20:00-24:00"), vec![slot(5, "20:00", "24:00")]);
        assert_eq!(read("周五 20:00-0:00"), vec![slot(5, "20:00", "24:00")]);
        assert_eq!(read("周五 晚上8点-12点"), vec![slot(5, "20:00", "24:00")]);
        assert_eq!(read("周五 24小时"), vec![slot(5, "00:00", "24:00")]);
        assert_eq!(read("周五至周一 全天").len(), 4, "round the weekend");
        assert_eq!(read(""), vec![]);
        assert_eq!(read(" ；\n "), vec![]);
    }

    #[test]
    fn reads_english_days_and_hours() {
        let evenings = every(1..=5, "18:00", "21:00");
        for text in [
            "Mon-Fri 18:00-21:00",
            "mon–fri 18:00–21:00",
            "Monday to Friday 18:00 to 21:00",
            "Mon through Fri 6pm-9pm",
            "Mon-Fri 6-9pm",
            "Mon-Fri 6 p.m. - 9 p.m.",
            "weekdays 18:00-21:00",
            "Weekdays evenings",
            "Mon, Tue, Wed, Thu and Fri 18:00-21:00",
            "Mondays to Fridays 18:00-21:00",
        ] {
            assert_eq!(read(text), evenings, "{text}");
        }
        assert_eq!(read("Sat, Sun all day"), every(6..=7, "00:00", "24:00"));
        assert_eq!(read("weekends all day"), every(6..=7, "00:00", "24:00"));
        assert_eq!(read("weekend whole day"), every(6..=7, "00:00", "24:00"));
        assert_eq!(read("daily 8-12"), every(1..=7, "08:00", "12:00"));
        assert_eq!(read("every day 8am-12pm"), every(1..=7, "08:00", "12:00"));
        assert_eq!(read("Every day morning"), every(1..=7, "08:00", "12:00"));
        assert_eq!(read("Sun 10-2pm"), vec![slot(7, "10:00", "14:00")]);
        assert_eq!(read("Sun 8pm-12am"), vec![slot(7, "20:00", "24:00")]);
        assert_eq!(read("Sat 24h"), vec![slot(6, "00:00", "24:00")]);
        assert_eq!(
            read("Mon-Fri 18:00-21:00; Sat, Sun all day"),
            [evenings, every(6..=7, "00:00", "24:00")].concat()
        );
    }

    #[test]
    fn names_the_part_not_understood() {
        let err = |text: &str| parse_weekly(text).expect_err(text);
        assert_eq!(err("周八 全天"), AvailabilityError::NotUnderstood { part: "周八".into() });
        assert_eq!(
            err("周一至周五 晚饭后"),
            AvailabilityError::NotUnderstood { part: "晚饭后".into() }
        );
        assert_eq!(err("周一至周五"), AvailabilityError::NoHours { part: "周一至周五".into() });
        assert_eq!(err("18:00-21:00"), AvailabilityError::NoDays { part: "18:00-21:00".into() });
        assert_eq!(
            err("周一至周五 18:00-21:00；周六 随时"),
            AvailabilityError::NotUnderstood { part: "随时".into() }
        );
        assert_eq!(
            err("周一 25:00-26:00"),
            AvailabilityError::BadTime { part: "25:00-26:00".into() }
        );
        assert_eq!(
            err("周一 21:00-18:00"),
            AvailabilityError::BadTime { part: "21:00-18:00".into() }
        );
        assert_eq!(err("周一 9-5"), AvailabilityError::BadTime { part: "9-5".into() });
        assert_eq!(err("周一 18:7-19:00").code(), "bad_time");
        assert_eq!(err("周一 1800-2100").code(), "bad_time");
        assert_eq!(err("周一 18:00"), AvailabilityError::BadTime { part: "18:00".into() });
        assert_eq!(err("Funday 9-12"), AvailabilityError::NotUnderstood { part: "Funday".into() });
        assert_eq!(err("every week 9-12").code(), "not_understood");
        assert_eq!(err("周一 至 全天").code(), "not_understood");
        assert_eq!(err("-"), AvailabilityError::NotUnderstood { part: "-".into() });
        let e = err("周一至周五 晚饭后");
        assert!(e.to_string().contains("“晚饭后”"), "{e}");
    }

    #[test]
    fn writes_the_canonical_form() {
        let mut s = every(1..=5, "18:00", "21:00");
        s.extend(every(6..=7, "00:00", "24:00"));
        assert_eq!(format_weekly(&s, true), "周一至周五 18:00-21:00；周六、周日 全天");
        assert_eq!(format_weekly(&s, false), "Mon–Fri 18:00–21:00; Sat, Sun all day");
        let s = vec![
            slot(3, "09:00", "12:00"),
            slot(1, "14:00", "17:30"),
            slot(1, "09:00", "12:00"),
            slot(3, "14:00", "17:30"),
            slot(5, "08:00", "09:00"),
        ];
        assert_eq!(
            format_weekly(&s, true),
            "周一、周三 09:00-12:00、14:00-17:30；周五 08:00-09:00"
        );
        assert_eq!(format_weekly(&s, false), "Mon, Wed 09:00–12:00, 14:00–17:30; Fri 08:00–09:00");
        let s = every(1..=7, "08:00", "12:00");
        assert_eq!(format_weekly(&s, true), "每天 08:00-12:00");
        assert_eq!(format_weekly(&s, false), "Every day 08:00–12:00");
        let mut s = every(1..=3, "18:00", "21:00");
        s.extend(every(5..=7, "18:00", "21:00"));
        assert_eq!(format_weekly(&s, true), "周一至周三、周五至周日 18:00-21:00");
        assert_eq!(format_weekly(&[], true), "");
        assert_eq!(format_weekly(&[Slot { day: 9, from_min: 0, to_min: 60 }], true), "");
    }

    fn slots() -> impl Strategy<Value = Vec<Slot>> {
        let one = (1u8..=7, 0u16..DAY_END).prop_flat_map(|(day, from_min)| {
            (from_min + 1..=DAY_END).prop_map(move |to_min| Slot { day, from_min, to_min })
        });
        // Whole hours and halves often, so slots touch and merge.
        let round = (1u8..=7, 0u16..=47, 1u16..=12).prop_map(|(day, h, n)| Slot {
            day,
            from_min: h * 30,
            to_min: (h * 30 + n * 30).min(DAY_END),
        });
        prop::collection::vec(prop_oneof![one, round], 0..10)
    }

    fn exceptions() -> impl Strategy<Value = Vec<Exception>> {
        let base = NaiveDate::from_ymd_opt(2025, 3, 1).expect("date");
        let one = (0u64..40, 0u64..4, any::<bool>()).prop_map(move |(start, len, available)| {
            let from = base + Days::new(start);
            Exception {
                from: from.to_string(),
                to: (from + Days::new(len)).to_string(),
                available,
                note: String::new(),
            }
        });
        prop::collection::vec(one, 0..3)
    }

    proptest! {
        #[test]
        fn format_then_parse_gives_the_normalised_slots(s in slots()) {
            let normal = weekly(s.clone()).normalised().expect("valid").slots;
            for zh in [true, false] {
                let text = format_weekly(&s, zh);
                prop_assert_eq!(parse_weekly(&text), Ok(normal.clone()), "{}", text);
                prop_assert_eq!(format_weekly(&normal, zh), text);
            }
        }

        #[test]
        fn normalising_twice_changes_nothing(s in slots(), e in exceptions()) {
            let once = Availability { slots: s, exceptions: e }.normalised().expect("valid");
            prop_assert_eq!(once.clone().normalised().expect("valid"), once);
        }

        #[test]
        fn parse_never_panics(text in "[周一二三五六日天至到全每晚上午点半:：\\-～ ,、;0-9a-z]{0,24}") {
            let _ = parse_weekly(&text);
        }

        /// state_at and covers agree on an instant, and next_from_ms is the end of the wait.
        #[test]
        fn state_at_agrees_with_covers(
            s in slots(), e in exceptions(), minutes in 0i64..45 * 1440, secs in 0i64..60,
        ) {
            let a = Availability { slots: s, exceptions: e };
            let t = ms(sh(2025, 2, 25, 0, 0)) + minutes * 60_000 + secs * 1000;
            let at = DateTime::from_timestamp_millis(t).expect("t").with_timezone(&Shanghai);
            let state = a.state_at(at);
            let covered = a.covers(t, t + 1, Shanghai);
            match &state {
                Now::NotStated => prop_assert_eq!(covered, None),
                Now::Available => prop_assert_eq!(covered, Some(true)),
                Now::Unavailable { next_from_ms } => {
                    prop_assert_eq!(covered, Some(false));
                    if let Some(next) = *next_from_ms {
                        prop_assert!(next > t && next <= t + LOOKAHEAD_DAYS as i64 * DAY_MS);
                        let next_at = DateTime::from_timestamp_millis(next).expect("n");
                        prop_assert_eq!(a.state_at(next_at.with_timezone(&Shanghai)), Now::Available);
                        let before = DateTime::from_timestamp_millis(next - 1).expect("b");
                        prop_assert_ne!(a.state_at(before.with_timezone(&Shanghai)), Now::Available);
                        prop_assert_ne!(a.covers(t, next, Shanghai), Some(true));
                    }
                }
            }
        }
    }
}
