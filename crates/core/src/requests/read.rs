//! A request's page: the request, its clocks now, the actions open to it and its timeline
//! (its own events and those of the requests merged into it).

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use serde::Serialize;

use super::derive;
use super::lifecycle::{self, Action, Position};
use super::refdata::Env;
use super::{Priority, Status};
use crate::error::{CoreError, Result};
use crate::sla::SlaState;
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct RequestDetail {
    pub id: String,
    pub resident_id: Option<String>,
    pub resident_name: Option<String>,
    pub category: String,
    pub channel: String,
    pub description: String,
    #[ts(type = "Record<string, string>")]
    pub answers: serde_json::Value,
    pub address: Option<String>,
    pub area_id: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
    pub priority: Priority,
    pub proposed: Priority,
    /// Triage's reasons (code, level, detail), most urgent first.
    #[ts(type = "Array<{ code: string, level: string, detail: string }>")]
    pub reasons: serde_json::Value,
    pub override_why: Option<String>,
    pub status: Status,
    pub round: u32,
    pub paused: bool,
    pub assignee: Option<String>,
    pub merged_into: Option<String>,
    pub possible_duplicates: Vec<String>,
    pub attachments: Vec<String>,
    pub created_at: String,
    pub transfers: u32,
    pub returns: u32,
    /// The clocks now, computed from the events.
    pub sla: SlaState,
    pub allowed: Vec<Action>,
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct TimelineEntry {
    pub at: String,
    pub kind: String,
    pub actor: String,
    pub round: u32,
    /// The request the event belongs to (differs for events of a merged request).
    pub request_id: String,
    #[ts(type = "Record<string, unknown>")]
    pub data: serde_json::Value,
}

pub fn get(store: &Store, id: &str, now: DateTime<Utc>) -> Result<RequestDetail> {
    let conn = store.conn();
    let env = Env::load(conn)?;
    let paths = crate::residents::list::area_paths(store)?;
    let row = conn
        .prepare_cached(
            "SELECT q.id, q.resident_id, (SELECT name FROM residents WHERE id = q.resident_id), q.category,
                    q.channel, q.description, q.answers, q.address, q.area_rid,
                    (SELECT id FROM areas WHERE rid = q.area_rid), q.priority, q.proposed, q.reasons,
                    q.override_why, q.status, q.round, q.paused, q.assignee, q.merged_into, q.dup_hint,
                    q.created_at, q.transfers, q.returns
             FROM requests q WHERE q.id = ?1",
        )?
        .query_row([id], |r| {
            let area: Option<i64> = r.get(8)?;
            let path = area.and_then(|a| paths.get(&a));
            let json = |i: usize| -> rusqlite::Result<serde_json::Value> {
                Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or_default())
            };
            let status = Status::parse(&r.get::<_, String>(14)?).unwrap_or(Status::New);
            let round: u32 = r.get(15)?;
            let paused: bool = r.get(16)?;
            Ok(RequestDetail {
                id: r.get(0)?,
                resident_id: r.get(1)?,
                resident_name: r.get(2)?,
                category: r.get(3)?,
                channel: r.get(4)?,
                description: r.get(5)?,
                answers: json(6)?,
                address: r.get(7)?,
                area_id: r.get(9)?,
                community: path.and_then(|p| p.community.clone()),
                grid: path.and_then(|p| p.grid.clone()),
                priority: r.get::<_, String>(10)?.parse().unwrap_or(Priority::Normal),
                proposed: r.get::<_, String>(11)?.parse().unwrap_or(Priority::Normal),
                reasons: json(12)?,
                override_why: r.get(13)?,
                status,
                round,
                paused,
                assignee: r.get(17)?,
                merged_into: r.get(18)?,
                possible_duplicates: r
                    .get::<_, Option<String>>(19)?
                    .and_then(|d| serde_json::from_str(&d).ok())
                    .unwrap_or_default(),
                attachments: Vec::new(),
                created_at: r.get(20)?,
                transfers: r.get(21)?,
                returns: r.get(22)?,
                // Replaced below by the clocks computed from the events.
                sla: crate::sla::evaluate(&[], &env.policy("", crate::sla::Priority::Normal), env.mode, &env.calendar, now),
                allowed: lifecycle::allowed(Position { status, round, paused }),
                timeline: Vec::new(),
            })
        })
        .optional()?
        .ok_or_else(|| CoreError::NotFound(format!("request {id}")))?;
    let mut d = row;
    let events = derive::events(conn, id)?;
    let st: SlaState = derive::state(&events, &env, &d.category, d.priority, now);
    d.sla = st;
    d.attachments = conn
        .prepare_cached(
            "SELECT path FROM request_attachments WHERE request_id = ?1 ORDER BY added_at, path",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    d.timeline = timeline(store, id)?;
    Ok(d)
}

/// The events of the request and of every request merged into it, oldest first.
pub fn timeline(store: &Store, id: &str) -> Result<Vec<TimelineEntry>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT e.at, e.kind, e.actor_name, e.round, e.request_id, e.data FROM request_events e
         WHERE e.request_id = ?1 OR e.request_id IN (SELECT id FROM requests WHERE merged_into = ?1)
         ORDER BY e.at, e.id",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(TimelineEntry {
            at: r.get(0)?,
            kind: r.get(1)?,
            actor: r.get(2)?,
            round: r.get(3)?,
            request_id: r.get(4)?,
            data: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
