//! A request's clocks, computed from its events: nothing is counted as it happens, so the
//! answer is the same after a sync delivers events late, or a policy changes.
//!
//! Three clocks per round: accept runs from intake (or the reopening) to acceptance (签收);
//! first response from acceptance to work started or resolved; resolution from acceptance to
//! resolved. A pause (waiting for the resident, for another agency) stops whichever of them
//! run until it is resumed; a second pause while paused and a resume while running change
//! nothing. Closing or cancelling (rejected, merged as a duplicate) stops every clock. A
//! transfer is not an event here: it never restarts a clock; only a reopen does.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::{Calendar, Counting};
use super::policy::{Budget, Mode, Policy};

/// What happened to a request, as far as its clocks care. Ordered only so that events of the
/// same instant and id still sort one way (see [`evaluate`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SlaEventKind {
    Created,
    Accepted,
    /// Work started: the first response to the resident.
    Started,
    Paused {
        reason: String,
    },
    Resumed,
    Resolved,
    /// Finished work taken up again: a new round, every clock starts again.
    Reopened,
    Closed,
    /// Rejected, merged as a duplicate or cancelled: the clocks stop.
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaEvent {
    pub at: DateTime<Utc>,
    /// A stable tiebreak between events of the same instant (the event's id).
    pub seq: String,
    pub kind: SlaEventKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    NotStarted,
    Running,
    Paused,
    /// Finished within its budget.
    Met,
    /// Finished after its budget.
    Breached,
    /// Still running, past its budget.
    Overdue,
    /// The request ended (cancelled, rejected, merged) before this clock finished.
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ClockState {
    pub status: ClockStatus,
    #[ts(type = "number")]
    pub budget_secs: i64,
    /// Counted seconds so far, pauses excluded.
    #[ts(type = "number")]
    pub used_secs: i64,
    /// When the budget runs out while the clock runs; for a finished clock, when it ran out or
    /// would have. `None` while paused or not started.
    #[ts(type = "string | null")]
    pub due_at: Option<DateTime<Utc>>,
    #[ts(type = "string | null")]
    pub finished_at: Option<DateTime<Utc>>,
    pub counting: Counting,
}

impl ClockState {
    /// The share of the budget used: 1.0 at the due time, above it when late. A budget of
    /// nothing is at its due until a second is used, then infinitely late.
    pub fn fraction(&self) -> f64 {
        if self.budget_secs <= 0 {
            return if self.used_secs > 0 { f64::INFINITY } else { 1.0 };
        }
        self.used_secs as f64 / self.budget_secs as f64
    }

    /// Counted seconds left; negative once overdue.
    pub fn left_secs(&self) -> i64 {
        self.budget_secs - self.used_secs
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Active {
    Accept,
    FirstResponse,
    Resolution,
    /// Nothing is waited on: resolved, closed or ended.
    None,
}

/// Who hears of a clock running late (issue 4): the assignee at 75 %, the grid lead at 100 %,
/// the community at 150 %, the street office at 200 %.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    None,
    WarnAssignee,
    GridLead,
    Community,
    Street,
}

/// The level for a share of the budget used; each threshold belongs to the higher level.
pub fn escalation(fraction: f64) -> Escalation {
    match fraction {
        f if f >= 2.0 => Escalation::Street,
        f if f >= 1.5 => Escalation::Community,
        f if f >= 1.0 => Escalation::GridLead,
        f if f >= 0.75 => Escalation::WarnAssignee,
        _ => Escalation::None,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SlaState {
    pub accept: ClockState,
    pub first_response: ClockState,
    pub resolution: ClockState,
    pub paused: bool,
    pub pause_reason: Option<String>,
    pub active: Active,
}

impl SlaState {
    pub fn active_clock(&self) -> Option<&ClockState> {
        match self.active {
            Active::Accept => Some(&self.accept),
            Active::FirstResponse => Some(&self.first_response),
            Active::Resolution => Some(&self.resolution),
            Active::None => None,
        }
    }

    /// The escalation of the clock the request waits on (none when it waits on nothing).
    pub fn escalation(&self) -> Escalation {
        self.active_clock().map_or(Escalation::None, |c| escalation(c.fraction()))
    }

    /// The queue's order: when the active clock runs out (in the past once overdue). `None`
    /// for a paused request, whose due moves as long as it waits (the store keeps those
    /// apart), and for one that waits on nothing.
    pub fn sort_key(&self) -> Option<DateTime<Utc>> {
        if self.paused {
            return None;
        }
        self.active_clock()
            .filter(|c| matches!(c.status, ClockStatus::Running | ClockStatus::Overdue))
            .and_then(|c| c.due_at)
    }
}

/// What one round's events say, in order.
#[derive(Default)]
struct Round {
    start: Option<DateTime<Utc>>,
    accepted: Option<DateTime<Utc>>,
    responded: Option<DateTime<Utc>>,
    resolved: Option<DateTime<Utc>>,
    ended: Option<DateTime<Utc>>,
    /// Paused intervals; the last may still be open.
    pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    pause_reason: Option<String>,
}

fn round_of(sorted: &[SlaEvent]) -> Round {
    // Only the current round counts: everything before the last reopen is history.
    let from = sorted.iter().rposition(|e| e.kind == SlaEventKind::Reopened).unwrap_or(0);
    let mut r = Round::default();
    for e in &sorted[from..] {
        if r.start.is_none() {
            r.start = Some(e.at);
        }
        if r.ended.is_some() {
            continue;
        }
        let paused = r.pauses.last().is_some_and(|p| p.1.is_none());
        match &e.kind {
            SlaEventKind::Created | SlaEventKind::Reopened => {}
            SlaEventKind::Accepted => {
                r.accepted.get_or_insert(e.at);
            }
            SlaEventKind::Started if r.accepted.is_some() => {
                r.responded.get_or_insert(e.at);
            }
            SlaEventKind::Resolved => {
                if r.accepted.is_some() {
                    r.responded.get_or_insert(e.at);
                    r.resolved.get_or_insert(e.at);
                }
                close_pause(&mut r, e.at);
            }
            // Once resolved there is nothing left to pause.
            SlaEventKind::Paused { reason } if !paused && r.resolved.is_none() => {
                r.pauses.push((e.at, None));
                r.pause_reason = Some(reason.clone());
            }
            SlaEventKind::Resumed if paused => close_pause(&mut r, e.at),
            SlaEventKind::Closed | SlaEventKind::Cancelled => {
                close_pause(&mut r, e.at);
                r.ended = Some(e.at);
            }
            _ => {}
        }
    }
    if r.pauses.last().is_none_or(|p| p.1.is_some()) {
        r.pause_reason = None;
    }
    r
}

fn close_pause(r: &mut Round, at: DateTime<Utc>) {
    if let Some(p) = r.pauses.last_mut().filter(|p| p.1.is_none()) {
        p.1 = Some(at);
    }
}

/// The running stretches of a clock from `begin` until `end` (or open-ended), with the pauses
/// cut out.
fn running(
    begin: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    pauses: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    let mut out = Vec::new();
    let mut cursor = Some(begin);
    for (ps, pe) in pauses {
        let Some(c) = cursor else { break };
        if pe.is_some_and(|pe| pe <= c) {
            continue;
        }
        if end.is_some_and(|e| *ps >= e) {
            break;
        }
        if *ps > c {
            out.push((c, Some(*ps)));
        }
        cursor = pe.map(|pe| pe.max(c));
    }
    if let Some(c) = cursor {
        match end {
            Some(e) if c < e => out.push((c, Some(e))),
            Some(_) => {}
            None => out.push((c, None)),
        }
    }
    out
}

/// What every clock of a round is evaluated against.
struct Frame<'a> {
    round: &'a Round,
    mode: Mode,
    calendar: &'a Calendar,
    now: DateTime<Utc>,
}

fn clock(
    f: &Frame<'_>,
    begin: Option<DateTime<Utc>>,
    finish: Option<DateTime<Utc>>,
    budget: Budget,
) -> ClockState {
    let Frame { round, mode, calendar, now } = *f;
    let ended = round.ended;
    let (budget_secs, counting) = budget.resolve(mode, calendar);
    let mut state = ClockState {
        status: ClockStatus::NotStarted,
        budget_secs,
        used_secs: 0,
        due_at: None,
        finished_at: finish,
        counting,
    };
    let Some(begin) = begin else {
        if ended.is_some() {
            state.status = ClockStatus::Stopped;
        }
        return state;
    };
    let stop = finish.or(ended).unwrap_or(now).min(now).max(begin);
    state.used_secs = running(begin, Some(stop), &round.pauses)
        .iter()
        .map(|(s, e)| calendar.open_secs_between(*s, e.unwrap_or(stop), counting))
        .sum();
    // The due instant: spend the budget over the running stretches. A live clock runs on past
    // now unless a pause has begun; a finished one is projected on from where it stopped, so
    // it keeps the due it had.
    let live = finish.is_none() && ended.is_none();
    let mut stretches = running(begin, if live { None } else { Some(stop) }, &round.pauses);
    if !live {
        stretches.push((stop, None));
    }
    let mut left = budget_secs;
    for (s, e) in &stretches {
        match e.map(|e| calendar.open_secs_between(*s, e, counting)) {
            Some(a) if a < left => left -= a,
            _ => {
                state.due_at = Some(calendar.add_open_secs(*s, left, counting));
                break;
            }
        }
    }
    let paused_now = live && round.pauses.last().is_some_and(|p| p.1.is_none());
    let late = state.used_secs > budget_secs;
    state.status = match (finish, ended) {
        (Some(_), _) if late => ClockStatus::Breached,
        (Some(_), _) => ClockStatus::Met,
        (None, Some(_)) => ClockStatus::Stopped,
        // Late stays late while paused, with the instant it ran out: that does not move.
        _ if late => ClockStatus::Overdue,
        _ if paused_now => ClockStatus::Paused,
        _ => ClockStatus::Running,
    };
    if state.status == ClockStatus::Paused {
        state.due_at = None;
    }
    state
}

/// The clocks of a request now. Events are sorted by (time, seq, kind) first, so the order
/// they arrived in does not matter. Only the current round counts: the last reopen starts
/// every clock again (its accept clock from the reopening). Pauses stop whichever clocks run;
/// closing or cancelling stops them all.
pub fn evaluate(
    events: &[SlaEvent],
    policy: &Policy,
    mode: Mode,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> SlaState {
    let mut sorted = events.to_vec();
    sorted.sort_by(|a, b| (a.at, &a.seq, &a.kind).cmp(&(b.at, &b.seq, &b.kind)));
    let r = round_of(&sorted);
    let f = Frame { round: &r, mode, calendar, now };
    let accept = clock(&f, r.start, r.accepted, policy.accept);
    let first_response = clock(&f, r.accepted, r.responded, policy.first_response);
    let resolution = clock(&f, r.accepted, r.resolved, policy.resolution);
    let paused = r.pauses.last().is_some_and(|p| p.1.is_none()) && r.ended.is_none();
    let active = if r.ended.is_some() || r.resolved.is_some() || r.start.is_none() {
        Active::None
    } else if r.accepted.is_none() {
        Active::Accept
    } else if r.responded.is_none() {
        Active::FirstResponse
    } else {
        Active::Resolution
    };
    SlaState {
        accept,
        first_response,
        resolution,
        paused,
        pause_reason: if paused { r.pause_reason } else { None },
        active,
    }
}

#[cfg(test)]
#[path = "clock_tests.rs"]
mod tests;
