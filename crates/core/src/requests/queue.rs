//! The triage queue: open requests by time left, with filters. Running clocks come first in
//! the order their time runs out (the partial index `requests_queue` walks them in that
//! order), then paused ones by the time they had left. Time left is computed now from the
//! cached due instant and the calendar, so it never goes stale between events.

use chrono::{DateTime, Utc};
use rusqlite::types::Value as Sql;
use serde::{Deserialize, Serialize};

use super::refdata::Env;
use super::{Priority, Status};
use crate::error::Result;
use crate::sla::{self, Counting, Escalation};
use crate::store::Store;

/// What the official narrowed the queue to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct QueueFilter {
    /// A grid or community id: the requests of that area and below.
    pub area_id: Option<String>,
    pub category: Option<String>,
    /// One status; open work (new to in progress) when not given.
    pub status: Option<Status>,
    /// Only work whose running clock is past its due.
    pub overdue: bool,
    /// Words of the description or the resident's name.
    pub text: Option<String>,
}

/// One line of the queue.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct QueueItem {
    pub id: String,
    pub category: String,
    pub priority: Priority,
    pub status: Status,
    pub round: u32,
    pub paused: bool,
    pub description: String,
    pub resident_name: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
    pub assignee: Option<String>,
    pub created_at: String,
    /// Which clock the request is waiting on: accept, first_response or resolution.
    pub clock: Option<String>,
    /// Counted seconds left on it now (negative when overdue); frozen while paused.
    #[ts(type = "number | null")]
    pub left_secs: Option<i64>,
    #[ts(type = "number | null")]
    pub budget_secs: Option<i64>,
    /// When a running clock runs out (RFC 3339).
    pub due_at: Option<String>,
    /// `continuous` or `business`: whether the clock stops outside office hours.
    pub counting: Option<String>,
    pub escalation: Escalation,
    pub transfers: u32,
    pub returns: u32,
    pub possible_duplicate: bool,
}

const SELECT: &str = "
    SELECT q.id, q.category, q.priority, q.status, q.round, q.paused, substr(q.description, 1, 200),
           (SELECT name FROM residents WHERE id = q.resident_id), q.area_rid, q.assignee, q.created_at,
           q.clock, q.left_secs, q.budget_secs, q.due_ms, q.counting, q.transfers, q.returns,
           q.dup_hint IS NOT NULL
    FROM requests q";

/// The areas under (and including) `area_id`, as local row numbers.
fn area_rids(store: &Store, area_id: &str) -> Result<Vec<i64>> {
    let mut stmt = store.conn().prepare_cached(
        "WITH RECURSIVE sub(id, rid) AS (
             SELECT id, rid FROM areas WHERE id = ?1
             UNION ALL SELECT a.id, a.rid FROM areas a JOIN sub ON a.parent_id = sub.id)
         SELECT rid FROM sub",
    )?;
    let rows = stmt.query_map([area_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn conditions(store: &Store, f: &QueueFilter, now_ms: i64) -> Result<(String, Vec<Sql>)> {
    let mut sql = String::new();
    let mut args: Vec<Sql> = Vec::new();
    match f.status {
        None => sql.push_str(" q.is_open = 1"),
        Some(s) => {
            sql.push_str(" q.status = ?");
            args.push(Sql::Text(s.as_str().to_owned()));
        }
    }
    if let Some(area) = &f.area_id {
        let rids = area_rids(store, area)?;
        let list = rids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        sql.push_str(&format!(" AND q.area_rid IN ({list})"));
    }
    if let Some(c) = &f.category {
        sql.push_str(" AND q.category = ?");
        args.push(Sql::Text(c.clone()));
    }
    if f.overdue {
        sql.push_str(" AND q.due_ms < ?");
        args.push(Sql::Integer(now_ms));
    }
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = format!("%{}%", text.replace(['%', '_'], ""));
        // The trigram index needs three characters; shorter words are looked for directly.
        if text.chars().count() >= 3 {
            sql.push_str(
                " AND (q.rid IN (SELECT rowid FROM requests_fts WHERE requests_fts MATCH ?)
                       OR EXISTS (SELECT 1 FROM residents r WHERE r.id = q.resident_id AND r.name LIKE ?))",
            );
            args.push(Sql::Text(format!("\"{}\"", text.replace('"', "\"\""))));
        } else {
            sql.push_str(
                " AND (q.description LIKE ?
                       OR EXISTS (SELECT 1 FROM residents r WHERE r.id = q.resident_id AND r.name LIKE ?))",
            );
            args.push(Sql::Text(like.clone()));
        }
        args.push(Sql::Text(like));
    }
    Ok((sql, args))
}

/// How many requests the store holds, finished ones included.
pub fn total(store: &Store) -> Result<u64> {
    let n: i64 = store.conn().query_row("SELECT count(*) FROM requests", [], |r| r.get(0))?;
    Ok(n as u64)
}

/// How many requests the filter selects.
pub fn count(store: &Store, f: &QueueFilter, now: DateTime<Utc>) -> Result<u64> {
    let (cond, args) = conditions(store, f, now.timestamp_millis())?;
    let n: i64 = store
        .conn()
        .prepare_cached(&format!("SELECT count(*) FROM requests q WHERE{cond}"))?
        .query_row(rusqlite::params_from_iter(args), |r| r.get(0))?;
    Ok(n as u64)
}

/// A window of the queue: `offset` and `limit` count lines in queue order.
pub fn page(
    store: &Store,
    env: &Env,
    f: &QueueFilter,
    offset: u64,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<Vec<QueueItem>> {
    let (cond, args) = conditions(store, f, now.timestamp_millis())?;
    let paths = crate::residents::list::area_paths(store)?;
    let mut out = Vec::with_capacity(limit as usize);
    // Finished work (a status filter on resolved, closed…) has no clock: newest first.
    let parts: &[&str] = if f.status.is_some_and(|s| !s.is_open()) {
        &[" ORDER BY q.updated_at DESC, q.rid DESC"]
    } else {
        &[
            " AND q.due_ms IS NOT NULL ORDER BY q.due_ms, q.rid",
            " AND q.due_ms IS NULL ORDER BY q.left_secs IS NULL, q.left_secs, q.rid",
        ]
    };
    let mut skip = offset;
    for (i, part) in parts.iter().enumerate() {
        if out.len() as u32 >= limit {
            break;
        }
        if i > 0 && skip > 0 {
            // The window starts past the running part: skip what it holds. Counted only here,
            // so the first page never pays for a count.
            let running: i64 = store
                .conn()
                .prepare_cached(&format!(
                    "SELECT count(*) FROM requests q WHERE{cond}{}",
                    parts[0].split(" ORDER BY").next().unwrap_or_default()
                ))?
                .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
            skip = skip.saturating_sub(running as u64);
        }
        let want = limit - out.len() as u32;
        let sql = format!("{SELECT} WHERE{cond}{part} LIMIT {want} OFFSET {skip}");
        let mut stmt = store.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
        while let Some(r) = rows.next()? {
            let area: Option<i64> = r.get(8)?;
            let path = area.and_then(|a| paths.get(&a));
            let due_ms: Option<i64> = r.get(14)?;
            let counting_name: Option<String> = r.get(15)?;
            let counting = match counting_name.as_deref() {
                Some("business") => Counting::Business,
                _ => Counting::Continuous,
            };
            let budget: Option<i64> = r.get(13)?;
            let frozen: Option<i64> = r.get(12)?;
            let left = match due_ms.and_then(DateTime::<Utc>::from_timestamp_millis) {
                Some(due) => Some(time_left(env, due, now, counting)),
                None => frozen,
            };
            let escalation = match (left, budget) {
                (Some(l), Some(b)) if b > 0 => sla::escalation((b - l) as f64 / b as f64),
                _ => Escalation::None,
            };
            out.push(QueueItem {
                id: r.get(0)?,
                category: r.get(1)?,
                priority: r.get::<_, String>(2)?.parse().unwrap_or(Priority::Normal),
                status: Status::parse(&r.get::<_, String>(3)?).unwrap_or(Status::New),
                round: r.get(4)?,
                paused: r.get(5)?,
                description: r.get(6)?,
                resident_name: r.get(7)?,
                community: path.and_then(|p| p.community.clone()),
                grid: path.and_then(|p| p.grid.clone()),
                assignee: r.get(9)?,
                created_at: r.get(10)?,
                clock: r.get(11)?,
                left_secs: left,
                budget_secs: budget,
                due_at: due_ms
                    .and_then(DateTime::<Utc>::from_timestamp_millis)
                    .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                counting: counting_name,
                escalation,
                transfers: r.get(16)?,
                returns: r.get(17)?,
                possible_duplicate: r.get(18)?,
            });
        }
        if !out.is_empty() {
            // The window began inside this part; the next part starts at its beginning.
            skip = 0;
        }
    }
    Ok(out)
}

/// Counted seconds from now until `due`; negative (at least one second) once it has passed.
pub fn time_left(env: &Env, due: DateTime<Utc>, now: DateTime<Utc>, counting: Counting) -> i64 {
    if now <= due {
        env.calendar.open_secs_between(now, due, counting)
    } else {
        // Past due is overdue even when no working second has passed since (a weekend).
        -env.calendar.open_secs_between(due, now, counting).max(1)
    }
}
