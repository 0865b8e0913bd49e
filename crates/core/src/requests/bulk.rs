//! Requests that already happened, taken in all at once: a hotline system's export, or the
//! benchmark's million. One transaction; every history is checked against the state machine;
//! one outbox operation and one audit entry per chunk, listing the requests (as roster imports
//! do), so a big history does not write a million operations.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use super::derive::{self, EventRow};
use super::lifecycle::{self, Position};
use super::refdata::{self, Env};
use super::{NewRequest, Priority, Step};
use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::write::AuditEntry;

const CHUNK: usize = 10_000;

/// A request with what happened to it, in order.
#[derive(Debug, Clone)]
pub struct Historic {
    pub request: NewRequest,
    pub created_at: DateTime<Utc>,
    pub priority: Priority,
    pub steps: Vec<(DateTime<Utc>, Step)>,
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Takes `items` in; refuses the whole batch, writing nothing, when one history breaks the
/// lifecycle (the message names it). Histories that move areas (transfer, return) are not
/// taken in bulk: they are commands of their own.
pub fn create_many(
    ctx: &mut Ctx<'_>,
    items: impl IntoIterator<Item = Historic>,
    now: DateTime<Utc>,
) -> Result<usize> {
    ctx.write(|w| {
        let env = Env::load(w.tx())?;
        let categories: Vec<String> = refdata::categories_in(w.tx())?.into_iter().map(|c| c.key).collect();
        let mut chunk: Vec<String> = Vec::with_capacity(CHUNK);
        let mut n = 0usize;
        let site = w.site_id().to_owned();
        let actor = w.actor().clone();
        for (index, h) in items.into_iter().enumerate() {
            if !categories.contains(&h.request.category) {
                return Err(CoreError::Invalid(format!("request {}: no category “{}”", index + 1, h.request.category)));
            }
            let id = uuid::Uuid::now_v7().to_string();
            let mut pos = Position::START;
            let mut rows = vec![EventRow { id: uuid::Uuid::now_v7().to_string(), at: h.created_at, kind: "created".into(), data: json!({}) }];
            let mut assignee = None;
            for (at, step) in &h.steps {
                if matches!(step, Step::Transfer { .. } | Step::Return { .. }) {
                    return Err(CoreError::NotAllowed(format!(
                        "request {}: transfers and returns are recorded one by one, not in bulk",
                        index + 1
                    )));
                }
                let action = step.action();
                pos = lifecycle::next(pos, action)
                    .map_err(|e| CoreError::NotAllowed(format!("request {}: {e}", index + 1)))?;
                if let Step::Assign { assignee: a } = step {
                    assignee = Some(a.clone());
                }
                let mut data = json!({});
                if let Step::Pause { reason } = step {
                    data["reason"] = json!(reason);
                }
                rows.push(EventRow { id: uuid::Uuid::now_v7().to_string(), at: *at, kind: action.as_str().into(), data });
            }
            let d = derive::derive(&rows, &env, &h.request.category, h.priority, now);
            let open = pos.status.is_open();
            let hlc = w.stamp();
            let updated = rows.last().map_or(h.created_at, |e| e.at);
            w.tx()
                .prepare_cached(
                    "INSERT INTO requests (id, resident_id, category, channel, description, address, area_rid,
                         priority, proposed, status, round, paused, assignee, created_at, created_hlc, created_site,
                         updated_at, is_open, due_ms, budget_secs, left_secs, clock, counting)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6,
                         (SELECT rid FROM areas WHERE id = ?7), ?8, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                         ?18, ?19, ?20, ?21, ?22)",
                )?
                .execute(rusqlite::params![
                    id,
                    h.request.resident_id,
                    h.request.category,
                    h.request.channel.unwrap_or(super::Channel::Phone).as_str(),
                    h.request.description,
                    h.request.address,
                    h.request.area_id,
                    h.priority.as_str(),
                    pos.status.as_str(),
                    pos.round,
                    pos.paused,
                    assignee,
                    rfc(h.created_at),
                    hlc.0,
                    site,
                    rfc(updated),
                    open,
                    if open { d.due_ms } else { None },
                    d.budget_secs,
                    d.left_secs,
                    d.clock,
                    d.counting
                ])?;
            let rid = w.tx().last_insert_rowid();
            w.tx()
                .prepare_cached("INSERT INTO requests_fts (rowid, description, place) VALUES (?1, ?2, ?3)")?
                .execute((rid, &h.request.description, h.request.address.as_deref().unwrap_or_default()))?;
            let mut ev = w.tx().prepare_cached(
                "INSERT INTO request_events (id, request_id, at, hlc, site_id, actor, actor_name, kind, round, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9)",
            )?;
            for e in &rows {
                ev.execute(rusqlite::params![e.id, id, rfc(e.at), hlc.0, site, actor.id, actor.display, e.kind, e.data.to_string()])?;
            }
            drop(ev);
            chunk.push(id);
            n += 1;
            if chunk.len() == CHUNK {
                flush(w, &mut chunk)?;
            }
        }
        if !chunk.is_empty() || n == 0 {
            flush(w, &mut chunk)?;
        }
        Ok(n)
    })
}

fn flush(w: &mut crate::write::Write<'_>, chunk: &mut Vec<String>) -> Result<()> {
    let op = w.emit("request.bulk_create", &json!({ "request_ids": chunk }))?;
    w.audit(AuditEntry {
        action: "request.bulk_create".into(),
        entity: "request".into(),
        entity_ids: std::mem::take(chunk),
        op_id: Some(op.op_id),
        ..AuditEntry::default()
    })?;
    Ok(())
}
