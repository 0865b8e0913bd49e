//! The derived queue columns of a request, computed from its events by the deadline engine.
//! The columns are a cache: [`recompute`] gives the same answer from the same events, policy
//! and calendar, whichever order the events arrived in, so a sync or a policy change only
//! needs to call it again.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::refdata::Env;
use crate::error::Result;
use crate::sla::{self, Active, ClockStatus, Counting, SlaEvent, SlaEventKind, SlaState};

/// One row of `request_events`, as the engine and the timeline read it.
#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    pub id: String,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub data: serde_json::Value,
}

pub(crate) fn events(conn: &Connection, request_id: &str) -> Result<Vec<EventRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, kind, data FROM request_events WHERE request_id = ?1 ORDER BY at, id",
    )?;
    let rows = stmt.query_map([request_id], |r| {
        let at: String = r.get(1)?;
        let data: String = r.get(3)?;
        Ok(EventRow {
            id: r.get(0)?,
            at: DateTime::parse_from_rfc3339(&at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            kind: r.get(2)?,
            data: serde_json::from_str(&data).unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The events the deadline engine sees. A transfer or a return hands the work on without
/// restarting anything: the resolution clock keeps running from the first acceptance, so
/// bouncing a request between units never buys time (the helpdesks' failing the issue names).
/// Only a reopen, after the work was finished, starts the clocks again.
pub(crate) fn sla_events(rows: &[EventRow]) -> Vec<SlaEvent> {
    let mut accepted_this_round = false;
    let mut out = Vec::with_capacity(rows.len());
    for e in rows {
        let kind = match e.kind.as_str() {
            "created" => SlaEventKind::Created,
            "accept" if !accepted_this_round => {
                accepted_this_round = true;
                SlaEventKind::Accepted
            }
            "start" => SlaEventKind::Started,
            "pause" => SlaEventKind::Paused {
                reason: e.data["reason"].as_str().unwrap_or_default().to_owned(),
            },
            "resume" => SlaEventKind::Resumed,
            "resolve" => SlaEventKind::Resolved,
            "reopen" => {
                accepted_this_round = false;
                SlaEventKind::Reopened
            }
            "close" => SlaEventKind::Closed,
            "reject" | "cancel" | "mark_duplicate" => SlaEventKind::Cancelled,
            // Transfers, returns, assignments, priority changes and notes do not move a clock.
            _ => continue,
        };
        out.push(SlaEvent { at: e.at, seq: e.id.clone(), kind });
    }
    out
}

/// What the queue keeps of a request's clocks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Derived {
    pub due_ms: Option<i64>,
    pub budget_secs: Option<i64>,
    pub left_secs: Option<i64>,
    pub clock: Option<&'static str>,
    pub counting: Option<&'static str>,
    pub transfers: i64,
    pub returns: i64,
}

pub(crate) fn clock_name(active: Active) -> Option<&'static str> {
    match active {
        Active::Accept => Some("accept"),
        Active::FirstResponse => Some("first_response"),
        Active::Resolution => Some("resolution"),
        Active::None => None,
    }
}

pub(crate) fn counting_name(c: Counting) -> &'static str {
    match c {
        Counting::Continuous => "continuous",
        Counting::Business => "business",
    }
}

/// The clock the queue shows: the one the request is waiting on.
pub(crate) fn active_clock(st: &SlaState) -> Option<&sla::ClockState> {
    match st.active {
        Active::Accept => Some(&st.accept),
        Active::FirstResponse => Some(&st.first_response),
        Active::Resolution => Some(&st.resolution),
        Active::None => None,
    }
}

/// How the active clock counts time: working days and business minutes count business time,
/// except in lockdown, when every clock runs around the clock.
pub(crate) fn active_counting(st: &SlaState, policy: &sla::Policy, mode: sla::Mode) -> Counting {
    if mode == sla::Mode::Lockdown {
        return Counting::Continuous;
    }
    let budget = match st.active {
        Active::Accept => &policy.accept,
        Active::FirstResponse => &policy.first_response,
        Active::Resolution | Active::None => &policy.resolution,
    };
    match budget {
        sla::Budget::Minutes { counting, .. } => *counting,
        sla::Budget::WorkingDays(_) => Counting::Business,
    }
}

/// The state of a request's clocks now.
pub(crate) fn state(
    rows: &[EventRow],
    env: &Env,
    category: &str,
    priority: sla::Priority,
    now: DateTime<Utc>,
) -> SlaState {
    let policy = env.policy(category, priority);
    sla::evaluate(&sla_events(rows), &policy, env.mode, &env.calendar, now)
}

pub(crate) fn derive(
    rows: &[EventRow],
    env: &Env,
    category: &str,
    priority: sla::Priority,
    now: DateTime<Utc>,
) -> Derived {
    let st = state(rows, env, category, priority, now);
    let count = |k: &str| rows.iter().filter(|e| e.kind == k).count() as i64;
    let policy = env.policy(category, priority);
    let (due_ms, budget, left, counting) = match active_clock(&st) {
        Some(c) => (
            match c.status {
                ClockStatus::Running | ClockStatus::Overdue => {
                    c.due_at.map(|d| d.timestamp_millis())
                }
                _ => None,
            },
            Some(c.budget_secs),
            Some(c.left_secs()),
            Some(counting_name(active_counting(&st, &policy, env.mode))),
        ),
        None => (None, None, None, None),
    };
    Derived {
        due_ms,
        budget_secs: budget,
        left_secs: left,
        clock: clock_name(st.active),
        counting,
        transfers: count("transfer"),
        returns: count("return"),
    }
}

/// Recomputes one request's derived columns from its events.
pub(crate) fn recompute(
    conn: &Connection,
    request_id: &str,
    env: &Env,
    now: DateTime<Utc>,
) -> Result<()> {
    let (category, priority, status): (String, String, String) = conn
        .prepare_cached("SELECT category, priority, status FROM requests WHERE id = ?1")?
        .query_row([request_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let priority = priority.parse().unwrap_or(sla::Priority::Normal);
    let rows = events(conn, request_id)?;
    let d = derive(&rows, env, &category, priority, now);
    let open = super::Status::parse(&status).is_some_and(super::Status::is_open);
    conn.prepare_cached(
        "UPDATE requests SET is_open = ?2, due_ms = ?3, budget_secs = ?4, left_secs = ?5,
                             clock = ?6, counting = ?7, transfers = ?8, returns = ?9
         WHERE id = ?1",
    )?
    .execute(rusqlite::params![
        request_id,
        open,
        if open { d.due_ms } else { None },
        d.budget_secs,
        d.left_secs,
        d.clock,
        d.counting,
        d.transfers,
        d.returns
    ])?;
    Ok(())
}

/// Recomputes every open request (after a change of mode, policy or calendar).
pub(crate) fn recompute_open(conn: &Connection, env: &Env, now: DateTime<Utc>) -> Result<usize> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM requests WHERE is_open = 1")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &ids {
        recompute(conn, id, env, now)?;
    }
    Ok(ids.len())
}
