//! The dispatch ranking for one request, pure: every volunteer scored with the reasons an
//! official reads beside the name, best first. The ranking proposes; the official chooses.
//!
//! A volunteer is **not eligible** (listed after every eligible one, still with reasons, so the
//! official sees why) when they are:
//! - unwell, isolating or quarantined (`health`);
//! - inactive (`inactive`);
//! - at capacity: as many active tasks as they take, or more (`at_capacity`);
//! - booked at a clashing time: the request's window overlaps one of their active assignments
//!   and at least one of the two is a planned slot (`overlap`, one per clash). Two "from now"
//!   tasks share a volunteer by capacity alone.
//!
//! Everyone is scored by these points, one reason each, in this order:
//!
//! | reason | when | points |
//! |---|---|---|
//! | `skills` | the request's category asks for skills | +30 per skill the volunteer has, −20 per skill they lack |
//! | `same_grid` / `same_community` / `same_street` / `other_street` | how far down the address tree the volunteer's home and the request's place agree (district > street > community > grid; a path that stops at the community can at best be the same community); other street also when a place is unknown | +40 / +25 / +10 / 0 |
//! | `available_now` / `not_stated` / `unavailable` | a "from now" request: the volunteer's stated hours now (unavailable says when they are next free) | +20 / 0 / −25 |
//! | `available_then` / `not_stated` / `outside_hours` | a planned slot: whether the slot lies wholly within their stated hours | +20 / 0 / −25 |
//! | `load` | the volunteer has active tasks | −10 per task |
//! | `reliability` | at least 3 tasks done or missed: percent = done × 100 / (done + missed), rounded down | (percent − 70) / 2, rounded toward zero, then −5 per late task down to −20 |
//! | `new_volunteer` | fewer than 3 tasks done or missed | 0 |
//! | `missed_last_task` | they did not turn up for their last task | −30 |
//!
//! followed by the reasons that make a volunteer ineligible, in the order listed above.
//!
//! Order: eligible first; then the score, highest first; then fewer active tasks; then the name
//! and the id (by code point). The result does not depend on the order of the candidates given;
//! scores are whole numbers.

use std::cmp::Ordering;

use chrono::{DateTime, Datelike, Timelike};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::volunteers::availability::{Availability, Now};

const SKILL_MATCHED: i64 = 30;
const SKILL_MISSING: i64 = -20;
const SAME_GRID: i64 = 40;
const SAME_COMMUNITY: i64 = 25;
const SAME_STREET: i64 = 10;
const AVAILABLE: i64 = 20;
const UNAVAILABLE: i64 = -25;
const PER_TASK: i64 = -10;
/// Done-or-missed tasks below which a volunteer's record says too little to count.
const TRACK_MIN: u64 = 3;
const PERCENT_PAR: i64 = 70;
const PER_LATE: i64 = -5;
const LATE_FLOOR: i64 = -20;
const MISSED_LAST: i64 = -30;

/// Depth of each level in an area path: district 0, street 1, community 2, grid 3.
const STREET_DEPTH: usize = 2;
const COMMUNITY_DEPTH: usize = 3;
const GRID_DEPTH: usize = 4;

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS,
)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    #[default]
    Well,
    Isolating,
    Quarantined,
    Unwell,
}

impl Health {
    pub fn parse(s: &str) -> Option<Health> {
        [Health::Well, Health::Isolating, Health::Quarantined, Health::Unwell]
            .into_iter()
            .find(|h| h.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Health::Well => "well",
            Health::Isolating => "isolating",
            Health::Quarantined => "quarantined",
            Health::Unwell => "unwell",
        }
    }
}

/// A volunteer's record on past tasks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Track {
    pub done: u32,
    pub no_show: u32,
    pub late: u32,
    /// They did not turn up for their most recent task.
    pub last_no_show: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    pub skills: Vec<String>,
    /// Area ids from the district down to the volunteer's home grid (or community).
    pub area_path: Vec<String>,
    pub availability: Availability,
    /// How many tasks they take at once.
    pub capacity: u32,
    /// Active assignments now.
    pub load: u32,
    pub health: Health,
    pub active: bool,
    /// Windows (from_ms, to_ms, planned) of the volunteer's active assignments.
    pub bookings: Vec<(i64, i64, bool)>,
    pub track: Track,
}

/// What the request asks of a volunteer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// Skills the request's category asks for (may be empty).
    pub skills: Vec<String>,
    /// The request's area, district down.
    pub area_path: Vec<String>,
    pub now_ms: i64,
    /// The time the assignment would hold, `[from, to)` epoch ms.
    pub window: (i64, i64),
    /// A planned slot rather than "from now".
    pub planned: bool,
    /// The district's time zone, in which stated hours are read.
    pub tz: Tz,
}

/// One volunteer in the ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Ranked {
    pub id: String,
    pub name: String,
    pub score: i32,
    pub eligible: bool,
    pub reasons: Vec<Reason>,
}

/// Why a volunteer is where they are; see the module's table for the points.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    Skills {
        matched: Vec<String>,
        missing: Vec<String>,
    },
    SameGrid,
    SameCommunity,
    SameStreet,
    OtherStreet,
    /// Free now, by their stated hours (a "from now" request).
    AvailableNow,
    /// The planned slot lies within their stated hours.
    AvailableThen,
    NotStated,
    Unavailable {
        #[ts(type = "number | null")]
        next_from_ms: Option<i64>,
    },
    /// The planned slot is not wholly within their stated hours.
    OutsideHours,
    Load {
        current: u32,
        capacity: u32,
    },
    AtCapacity {
        capacity: u32,
    },
    /// Clashes with an active assignment; at least one of the two is a planned slot.
    Overlap {
        #[ts(type = "number")]
        from_ms: i64,
        #[ts(type = "number")]
        to_ms: i64,
    },
    Reliability {
        done: u32,
        no_show: u32,
        late: u32,
        percent: u32,
    },
    NewVolunteer,
    MissedLastTask,
    Health {
        status: Health,
    },
    Inactive,
}

/// The request, read once for all candidates.
struct Prepared<'a> {
    need: &'a Need,
    /// The skills asked for, each once, in the order asked.
    skills: Vec<&'a str>,
    now: Option<DateTime<Tz>>,
}

impl<'a> Prepared<'a> {
    fn new(need: &'a Need) -> Prepared<'a> {
        let mut skills: Vec<&str> = Vec::with_capacity(need.skills.len());
        for s in &need.skills {
            if !skills.contains(&s.as_str()) {
                skills.push(s);
            }
        }
        let now = DateTime::from_timestamp_millis(need.now_ms).map(|t| t.with_timezone(&need.tz));
        Prepared { need, skills, now }
    }

    fn clashes(&self, &(from, to, planned): &(i64, i64, bool)) -> bool {
        let (w_from, w_to) = self.need.window;
        (self.need.planned || planned) && from.max(w_from) < to.min(w_to)
    }
}

/// Where reasons go: nowhere while only the order is wanted, a list for the rows shown.
struct Notes<'a>(Option<&'a mut Vec<Reason>>);

impl Notes<'_> {
    fn add(&mut self, reason: impl FnOnce() -> Reason) {
        if let Some(out) = self.0.as_deref_mut() {
            out.push(reason());
        }
    }
}

/// The score and eligibility of one candidate, with its reasons noted in their fixed order.
fn assess(p: &Prepared, c: &Candidate, mut notes: Notes) -> (i32, bool) {
    let need = p.need;
    let mut score: i64 = 0;

    if !p.skills.is_empty() {
        let has = |k: &&str| c.skills.iter().any(|s| s == k);
        let matched = p.skills.iter().filter(|k| has(k)).count() as i64;
        let missing = p.skills.len() as i64 - matched;
        score += SKILL_MATCHED * matched + SKILL_MISSING * missing;
        notes.add(|| {
            let (matched, missing): (Vec<&&str>, Vec<&&str>) =
                p.skills.iter().partition(|k| has(k));
            Reason::Skills {
                matched: matched.into_iter().map(|s| s.to_string()).collect(),
                missing: missing.into_iter().map(|s| s.to_string()).collect(),
            }
        });
    }

    let common = need.area_path.iter().zip(&c.area_path).take_while(|(a, b)| a == b).count();
    let (points, place) = match common {
        GRID_DEPTH.. => (SAME_GRID, Reason::SameGrid),
        COMMUNITY_DEPTH => (SAME_COMMUNITY, Reason::SameCommunity),
        STREET_DEPTH => (SAME_STREET, Reason::SameStreet),
        _ => (0, Reason::OtherStreet),
    };
    score += points;
    notes.add(|| place);

    if need.planned {
        match c.availability.covers(need.window.0, need.window.1, need.tz) {
            Some(true) => {
                score += AVAILABLE;
                notes.add(|| Reason::AvailableThen);
            }
            Some(false) => {
                score += UNAVAILABLE;
                notes.add(|| Reason::OutsideHours);
            }
            None => notes.add(|| Reason::NotStated),
        }
    } else {
        let now = p.now.as_ref();
        match now.and_then(|now| c.availability.available_at(now)) {
            Some(true) => {
                score += AVAILABLE;
                notes.add(|| Reason::AvailableNow);
            }
            Some(false) => {
                score += UNAVAILABLE;
                notes.add(|| {
                    let next_from_ms = match now.map(|now| c.availability.state_at(*now)) {
                        Some(Now::Unavailable { next_from_ms }) => next_from_ms,
                        _ => None,
                    };
                    Reason::Unavailable { next_from_ms }
                });
            }
            None => notes.add(|| Reason::NotStated),
        }
    }

    if c.load > 0 {
        score += PER_TASK * i64::from(c.load);
        notes.add(|| Reason::Load { current: c.load, capacity: c.capacity });
    }

    let t = c.track;
    let counted = u64::from(t.done) + u64::from(t.no_show);
    if counted >= TRACK_MIN {
        let percent = (u64::from(t.done) * 100 / counted) as i64;
        score += (percent - PERCENT_PAR) / 2 + (PER_LATE * i64::from(t.late)).max(LATE_FLOOR);
        notes.add(|| Reason::Reliability {
            done: t.done,
            no_show: t.no_show,
            late: t.late,
            percent: percent as u32,
        });
    } else {
        notes.add(|| Reason::NewVolunteer);
    }
    if t.last_no_show {
        score += MISSED_LAST;
        notes.add(|| Reason::MissedLastTask);
    }

    let mut eligible = true;
    if c.health != Health::Well {
        eligible = false;
        notes.add(|| Reason::Health { status: c.health });
    }
    if !c.active {
        eligible = false;
        notes.add(|| Reason::Inactive);
    }
    if c.load >= c.capacity {
        eligible = false;
        notes.add(|| Reason::AtCapacity { capacity: c.capacity });
    }
    if c.bookings.iter().any(|b| p.clashes(b)) {
        eligible = false;
        if let Some(out) = notes.0.as_deref_mut() {
            let mut clashes: Vec<(i64, i64)> =
                c.bookings.iter().filter(|b| p.clashes(b)).map(|&(f, t, _)| (f, t)).collect();
            // The volunteer's own list order must not show through.
            clashes.sort_unstable();
            clashes.dedup();
            out.extend(
                clashes.into_iter().map(|(from_ms, to_ms)| Reason::Overlap { from_ms, to_ms }),
            );
        }
    }

    (score.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32, eligible)
}

/// What the order looks at, without the reasons.
struct Key<'a> {
    index: usize,
    c: &'a Candidate,
    score: i32,
    eligible: bool,
}

fn order(p: &Prepared, a: &Key, b: &Key) -> Ordering {
    b.eligible
        .cmp(&a.eligible)
        .then(b.score.cmp(&a.score))
        .then(a.c.load.cmp(&b.c.load))
        .then_with(|| a.c.name.cmp(&b.c.name))
        .then_with(|| a.c.id.cmp(&b.c.id))
        // Only two candidates sharing an id and a name come this far: their reasons settle it,
        // and when those agree too the two rows are identical, whichever comes first.
        .then_with(|| reasons_of(p, a.c).cmp(&reasons_of(p, b.c)))
}

fn reasons_of(p: &Prepared, c: &Candidate) -> Vec<Reason> {
    let mut out = Vec::new();
    assess(p, c, Notes(Some(&mut out)));
    out
}

/// Every candidate, best first, each with its reasons.
pub fn rank(need: &Need, candidates: &[Candidate]) -> Vec<Ranked> {
    rank_top(need, candidates, candidates.len())
}

/// The first `n` of [`rank`]'s order. Only those `n` are sorted and given reasons, so the top
/// 20 of 10,000 volunteers costs one scoring pass and a selection.
pub fn rank_top(need: &Need, candidates: &[Candidate], n: usize) -> Vec<Ranked> {
    let p = Prepared::new(need);
    let mut keys: Vec<Key> = candidates
        .iter()
        .enumerate()
        .map(|(index, c)| {
            let (score, eligible) = assess(&p, c, Notes(None));
            Key { index, c, score, eligible }
        })
        .collect();
    let n = n.min(keys.len());
    if n == 0 {
        return Vec::new();
    }
    if n < keys.len() {
        keys.select_nth_unstable_by(n - 1, |a, b| order(&p, a, b));
        keys.truncate(n);
    }
    keys.sort_unstable_by(|a, b| order(&p, a, b));
    keys.iter()
        .map(|k| {
            let mut reasons = Vec::new();
            let (score, eligible) = assess(&p, k.c, Notes(Some(&mut reasons)));
            debug_assert_eq!((score, eligible), (k.score, k.eligible), "candidate {}", k.index);
            Ranked { id: k.c.id.clone(), name: k.c.name.clone(), score, eligible, reasons }
        })
        .collect()
}

/// One short sentence per reason, times in China Standard Time (Asia/Shanghai), for the
/// command line. [`explain_in`] reads times in another zone.
pub fn explain(r: &Ranked, zh: bool) -> Vec<String> {
    explain_in(r, zh, chrono_tz::Asia::Shanghai)
}

/// [`explain`] with times read in `tz`.
pub fn explain_in(r: &Ranked, zh: bool, tz: Tz) -> Vec<String> {
    r.reasons.iter().map(|reason| sentence(reason, zh, tz)).collect()
}

fn sentence(reason: &Reason, zh: bool, tz: Tz) -> String {
    let pick = |zh_text: &str, en_text: &str| if zh { zh_text } else { en_text }.to_owned();
    match reason {
        Reason::Skills { matched, missing } => {
            let list = |v: &[String]| v.join(if zh { "、" } else { ", " });
            match (matched.is_empty(), missing.is_empty(), zh) {
                (false, true, true) => format!("技能匹配：{}", list(matched)),
                (false, true, false) => format!("skills: {}", list(matched)),
                (true, _, true) => format!("缺少技能：{}", list(missing)),
                (true, _, false) => format!("missing skills: {}", list(missing)),
                (false, false, true) => {
                    format!("技能匹配：{}；缺少：{}", list(matched), list(missing))
                }
                (false, false, false) => {
                    format!("skills: {}; missing: {}", list(matched), list(missing))
                }
            }
        }
        Reason::SameGrid => pick("同一网格", "same grid"),
        Reason::SameCommunity => pick("同一社区", "same community"),
        Reason::SameStreet => pick("同一街道", "same street"),
        Reason::OtherStreet => pick("其他街道", "another street"),
        Reason::AvailableNow => pick("现在有空", "available now"),
        Reason::AvailableThen => pick("该时段有空", "available at that time"),
        Reason::NotStated => pick("未登记空闲时间", "hours not stated"),
        Reason::Unavailable { next_from_ms: Some(ms) } => match (when(*ms, zh, tz), zh) {
            (at, true) => format!("现在没空，{at} 起有空"),
            (at, false) => format!("not available now; free from {at}"),
        },
        Reason::Unavailable { next_from_ms: None } => {
            pick("现在没空，14 天内无空闲时段", "not available now, nor in the next 14 days")
        }
        Reason::OutsideHours => pick("不在其空闲时段内", "outside their stated hours"),
        Reason::Load { current, capacity } if zh => format!("当前任务 {current}/{capacity}"),
        Reason::Load { current, capacity } => format!("current tasks {current}/{capacity}"),
        Reason::AtCapacity { capacity: 0 } => pick("暂不接任务", "not taking tasks"),
        Reason::AtCapacity { capacity } if zh => format!("任务已满（最多 {capacity} 项）"),
        Reason::AtCapacity { capacity } => format!("at capacity ({capacity} tasks)"),
        Reason::Overlap { from_ms, to_ms } => {
            let span = span(*from_ms, *to_ms, zh, tz);
            if zh {
                format!("与已排任务时间冲突（{span}）")
            } else {
                format!("clashes with a booked task ({span})")
            }
        }
        Reason::Reliability { done, no_show, late, percent } => {
            let late = match (*late, zh) {
                (0, _) => String::new(),
                (n, true) => format!("，{n} 次迟到"),
                (n, false) => format!(", {n} late"),
            };
            if zh {
                format!("完成率 {percent}%（{done} 次，{no_show} 次未到{late}）")
            } else {
                format!("{percent}% completed ({done} done, {no_show} no-show{late})")
            }
        }
        Reason::NewVolunteer => {
            pick("新志愿者（不足 3 次任务）", "new volunteer (fewer than 3 tasks)")
        }
        Reason::MissedLastTask => pick("上次任务未到", "missed their last task"),
        Reason::Health { status } => match status {
            Health::Well => pick("身体健康", "well"),
            Health::Isolating => pick("居家隔离中", "isolating at home"),
            Health::Quarantined => pick("集中隔离中", "in quarantine"),
            Health::Unwell => pick("身体不适", "unwell"),
        },
        Reason::Inactive => pick("已停用", "inactive"),
    }
}

const EN_MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn local(ms: i64, tz: Tz) -> Option<DateTime<Tz>> {
    DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&tz))
}

fn day_of(t: &DateTime<Tz>, zh: bool) -> String {
    if zh {
        format!("{}月{}日", t.month(), t.day())
    } else {
        format!("{} {}", t.day(), EN_MONTHS[t.month0() as usize])
    }
}

fn clock_of(t: &DateTime<Tz>) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn when(ms: i64, zh: bool, tz: Tz) -> String {
    match local(ms, tz) {
        Some(t) => format!("{} {}", day_of(&t, zh), clock_of(&t)),
        None => ms.to_string(),
    }
}

/// `3月5日 18:00–20:00`, or both dates when the span crosses midnight.
fn span(from_ms: i64, to_ms: i64, zh: bool, tz: Tz) -> String {
    match (local(from_ms, tz), local(to_ms, tz)) {
        (Some(a), Some(b)) if a.date_naive() == b.date_naive() => {
            format!("{} {}–{}", day_of(&a, zh), clock_of(&a), clock_of(&b))
        }
        _ => format!("{}–{}", when(from_ms, zh, tz), when(to_ms, zh, tz)),
    }
}

#[cfg(test)]
#[path = "rank_tests.rs"]
mod tests;
