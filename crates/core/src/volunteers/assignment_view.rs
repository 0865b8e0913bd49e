//! Reading assignments as the app shows them: with the request they serve, the volunteer's
//! name, the points they earned, whether the server has confirmed them yet (pending while an
//! op about them waits in the outbox of a store that syncs) and whether they went stale.

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use super::AssignmentStatus;
use crate::error::{CoreError, Result};

/// An assignment as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Assignment {
    pub id: String,
    pub request_id: String,
    /// The request's category and the start of its description.
    pub request_label: String,
    pub volunteer_id: String,
    pub volunteer_name: String,
    pub status: AssignmentStatus,
    pub planned: bool,
    #[ts(type = "number")]
    pub window_from_ms: i64,
    #[ts(type = "number")]
    pub window_to_ms: i64,
    pub assigned_at: String,
    pub assigned_by: String,
    pub progress_at: String,
    pub done_at: Option<String>,
    pub ended_at: Option<String>,
    pub late: bool,
    pub confirmed_by: Option<String>,
    pub note: Option<String>,
    /// Made or changed here and not yet confirmed by the server.
    pub pending: bool,
    /// No progress for longer than the district allows: it can be released.
    pub stale: bool,
    /// Points this assignment earned.
    pub points: u32,
}

const SELECT: &str = "
    SELECT a.id, a.request_id, r.category || ' · ' || substr(r.description, 1, 30), a.volunteer_id,
           ifnull(v.name, ''), a.status, a.planned, a.window_from, a.window_to, a.assigned_at,
           a.assigned_by, a.progress_at, a.done_at, a.ended_at, a.late, a.confirmed_by, a.note,
           (SELECT ifnull(sum(p.amount), 0) FROM points_ledger p
             WHERE p.assignment_id = a.id AND p.kind = 'earn')
    FROM assignments a
    LEFT JOIN requests r ON r.id = a.request_id
    LEFT JOIN volunteers v ON v.id = a.volunteer_id";

struct View {
    pending: std::collections::HashSet<String>,
    stale_before: String,
}

impl View {
    fn load(conn: &Connection, now: chrono::DateTime<chrono::Utc>) -> Result<View> {
        // Pending means "the server has not said yet": only a store that syncs has a server.
        let syncs: bool = conn.query_row(
            "SELECT server_url IS NOT NULL FROM sync_state WHERE singleton = 1",
            [],
            |r| r.get(0),
        )?;
        let mut pending = std::collections::HashSet::new();
        if syncs {
            let mut stmt = conn.prepare_cached(
                "SELECT payload ->> 'assignment_id' FROM outbox WHERE kind LIKE 'assignment.%'",
            )?;
            for id in stmt.query_map([], |r| r.get::<_, Option<String>>(0))? {
                pending.extend(id?);
            }
        }
        let stale = crate::volunteers::refdata::settings_in(conn)?.stale_minutes;
        let before = now - chrono::Duration::minutes(i64::from(stale));
        Ok(View {
            pending,
            stale_before: before.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })
    }

    fn row(&self, r: &rusqlite::Row<'_>) -> rusqlite::Result<Assignment> {
        let id: String = r.get(0)?;
        let status =
            AssignmentStatus::parse(&r.get::<_, String>(5)?).unwrap_or(AssignmentStatus::Cancelled);
        let progress_at: String = r.get(11)?;
        Ok(Assignment {
            pending: self.pending.contains(&id),
            stale: status.is_active() && progress_at < self.stale_before,
            id,
            request_id: r.get(1)?,
            request_label: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            volunteer_id: r.get(3)?,
            volunteer_name: r.get(4)?,
            status,
            planned: r.get(6)?,
            window_from_ms: r.get(7)?,
            window_to_ms: r.get(8)?,
            assigned_at: r.get(9)?,
            assigned_by: r.get(10)?,
            progress_at,
            done_at: r.get(12)?,
            ended_at: r.get(13)?,
            late: r.get(14)?,
            confirmed_by: r.get(15)?,
            note: r.get(16)?,
            points: r.get(17)?,
        })
    }
}

fn query(
    conn: &Connection,
    now: chrono::DateTime<chrono::Utc>,
    sql: &str,
    p: impl rusqlite::Params,
) -> Result<Vec<Assignment>> {
    let view = View::load(conn, now)?;
    let mut stmt = conn.prepare_cached(&format!("{SELECT} {sql}"))?;
    let rows = stmt.query_map(p, |r| view.row(r))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(
    store: &crate::Store,
    now: chrono::DateTime<chrono::Utc>,
    id: &str,
) -> Result<Assignment> {
    query(store.conn(), now, "WHERE a.id = ?1", [id])?
        .pop()
        .ok_or_else(|| CoreError::NotFound(format!("assignment {id}")))
}

/// A request's assignments, latest first.
pub fn for_request(
    store: &crate::Store,
    now: chrono::DateTime<chrono::Utc>,
    request_id: &str,
) -> Result<Vec<Assignment>> {
    query(
        store.conn(),
        now,
        "WHERE a.request_id = ?1 ORDER BY a.assigned_at DESC, a.id DESC",
        [request_id],
    )
}

/// A volunteer's assignments, latest first.
pub fn for_volunteer(
    store: &crate::Store,
    now: chrono::DateTime<chrono::Utc>,
    volunteer_id: &str,
    limit: u32,
) -> Result<Vec<Assignment>> {
    query(
        store.conn(),
        now,
        "WHERE a.volunteer_id = ?1 ORDER BY a.assigned_at DESC, a.id DESC LIMIT ?2",
        params![volunteer_id, limit],
    )
}

/// Every assignment still holding a volunteer, oldest progress first.
pub fn open(store: &crate::Store, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<Assignment>> {
    open_in(store.conn(), now)
}

pub(crate) fn open_in(
    conn: &Connection,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Assignment>> {
    query(
        conn,
        now,
        "WHERE a.status IN ('proposed', 'accepted', 'started') ORDER BY a.progress_at, a.id",
        [],
    )
}
