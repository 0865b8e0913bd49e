//! What the official sees of sync: the status bar's figures, the conflicts page (each
//! overwritten value, who replaced it and when, and the ops the server refused), and
//! "apply mine again", which is an ordinary edit through the write path.

use rusqlite::params;
use serde::Serialize;
use serde_json::Value;

use super::wire::entity;
use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::hlc::Hlc;
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct SyncStatus {
    pub logged_in: bool,
    /// Logged in and the last attempt (or the login) reached the server (the status bar's dot).
    pub online: bool,
    pub server_url: Option<String>,
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<String>,
    /// The area the account is granted, as names ("" for the whole district).
    pub scope_path: Option<String>,
    pub district: String,
    /// The server revoked this device: it stops syncing until someone logs in again.
    pub revoked: bool,
    /// Ops made here and not yet acknowledged by the server.
    #[ts(type = "number")]
    pub waiting: u64,
    /// Overwritten values not looked at yet, plus refused ops.
    #[ts(type = "number")]
    pub conflicts: u64,
    pub last_sync_at: Option<String>,
    pub last_attempt_at: Option<String>,
    pub last_error: Option<String>,
    /// The last failure's kind (`offline`, `untrusted`, `server`, …), when the last attempt failed.
    pub last_error_code: Option<String>,
    /// Where this device is in the district's stream, and the stream's end when last seen.
    #[ts(type = "number")]
    pub cursor: i64,
    #[ts(type = "number")]
    pub head: i64,
}

pub fn status(store: &Store) -> Result<SyncStatus> {
    let conn = store.conn();
    let waiting = conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0))? as u64;
    let conflicts = conn.query_row(
        "SELECT (SELECT count(*) FROM sync_conflicts WHERE resolved = 0)
              + (SELECT count(*) FROM sync_outcomes WHERE outcome = 'rejected' AND seen = 0)",
        [],
        |r| r.get::<_, i64>(0),
    )? as u64;
    Ok(conn.query_row(
        "SELECT device_token IS NOT NULL, server_url, user_name, display_name, role, scope_path, revoked,
                last_sync_at, last_attempt_at, last_error, cursor, head, last_error_code
         FROM sync_state WHERE singleton = 1",
        [],
        |r| {
            let logged_in: bool = r.get(0)?;
            let attempted: Option<String> = r.get(8)?;
            let error: Option<String> = r.get(9)?;
            Ok(SyncStatus {
                online: logged_in && error.is_none(),
                logged_in,
                server_url: r.get(1)?,
                user_name: r.get(2)?,
                display_name: r.get(3)?,
                role: r.get(4)?,
                scope_path: r.get(5)?,
                district: store.device().district.clone(),
                revoked: r.get(6)?,
                waiting,
                conflicts,
                last_sync_at: r.get(7)?,
                last_attempt_at: attempted,
                last_error: error,
                last_error_code: r.get(12)?,
                cursor: r.get(10)?,
                head: r.get(11)?,
            })
        },
    )?)
}

/// One overwritten value, as the conflicts page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ConflictView {
    pub id: String,
    /// `resident` or `request`.
    pub entity: String,
    pub entity_id: String,
    /// Whose record: the resident's name, the request's first words.
    pub label: String,
    pub field: String,
    /// The value that lost, as shown (identity numbers and phones masked).
    pub lost: String,
    pub lost_by: String,
    pub lost_at: String,
    pub won: String,
    pub won_by: String,
    pub won_at: String,
    /// The lost value was written on this device.
    pub mine: bool,
    /// "Apply mine again" can set it back.
    pub can_reapply: bool,
}

/// An op the server refused, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RejectionView {
    pub op_id: String,
    pub kind: String,
    /// The record the op was about (the request's first words, the resident's name), if any.
    pub label: String,
    pub at: String,
    /// In English, as the server sent it; `refusal` is what the UI words.
    pub reason: String,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<crate::Refusal>,
}

/// A stored refusal (`sync_outcomes.refusal`), `None` when absent or from a newer version.
pub fn refusal_col(text: Option<String>) -> Option<crate::Refusal> {
    text.as_deref().and_then(crate::Refusal::from_json)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Conflicts {
    pub conflicts: Vec<ConflictView>,
    pub rejections: Vec<RejectionView>,
}

const REAPPLY: [&str; 8] =
    ["name", "phone", "id_number", "building", "unit", "room", "address", "notes"];

fn shown(field: &str, text: Option<String>) -> String {
    let v: Value = text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null);
    let s = match v {
        Value::Null => return "—".into(),
        Value::String(s) => s,
        other => other.to_string(),
    };
    match field {
        "id_number" => crate::identity::mask_id_number(&s),
        "phone" => crate::identity::mask_phone(&s),
        _ => s,
    }
}

fn when(hlc: i64) -> String {
    chrono::DateTime::from_timestamp_millis(Hlc(hlc).millis())
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

pub fn conflicts(store: &Store) -> Result<Conflicts> {
    let conn = store.conn();
    let site = store.device().site_id.clone();
    let mut stmt = conn.prepare(
        "SELECT c.id, c.entity, c.entity_id, c.field, c.lost, c.lost_by, c.lost_hlc, c.lost_site,
                c.won, c.won_by, c.won_hlc,
                coalesce((SELECT name FROM residents WHERE id = c.entity_id),
                         (SELECT substr(description, 1, 40) FROM requests WHERE id = c.entity_id), '')
         FROM sync_conflicts c WHERE c.resolved = 0 ORDER BY c.won_hlc DESC LIMIT 500",
    )?;
    let conflicts = stmt
        .query_map([], |r| {
            let entity: String = r.get(1)?;
            let field: String = r.get(3)?;
            let lost_site: String = r.get(7)?;
            let can = (entity == entity::RESIDENT && REAPPLY.contains(&field.as_str()))
                || (entity == entity::REQUEST && field == "priority");
            Ok(ConflictView {
                id: r.get(0)?,
                entity_id: r.get(2)?,
                lost: shown(&field, r.get(4)?),
                lost_by: r.get(5)?,
                lost_at: when(r.get(6)?),
                mine: lost_site == site,
                won: shown(&field, r.get(8)?),
                won_by: r.get(9)?,
                won_at: when(r.get(10)?),
                label: r.get(11)?,
                can_reapply: can,
                entity,
                field,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare(
        "SELECT o.op_id, o.kind, o.at, ifnull(o.reason, ''), o.refusal,
                coalesce((SELECT substr(description, 1, 40) FROM requests WHERE id = o.subject),
                         (SELECT name FROM residents WHERE id = o.subject), '')
         FROM sync_outcomes o WHERE o.outcome = 'rejected' AND o.seen = 0 ORDER BY o.seq DESC LIMIT 500",
    )?;
    let rejections = stmt
        .query_map([], |r| {
            Ok(RejectionView {
                op_id: r.get(0)?,
                kind: r.get(1)?,
                at: r.get(2)?,
                reason: r.get(3)?,
                refusal: refusal_col(r.get(4)?),
                label: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Conflicts { conflicts, rejections })
}

/// Marks a conflict or a refusal as looked at (this device's view only; nothing syncs).
pub fn dismiss(store: &mut Store, id: &str) -> Result<()> {
    let n = store.conn().execute("UPDATE sync_conflicts SET resolved = 1 WHERE id = ?1", [id])?
        + store.conn().execute("UPDATE sync_outcomes SET seen = 1 WHERE op_id = ?1", [id])?;
    if n == 0 {
        return Err(CoreError::NotFound(format!("conflict {id}")));
    }
    Ok(())
}

/// Sets the lost value again, as a new edit by the official (so it wins now, and the
/// history shows both).
pub fn reapply(ctx: &mut Ctx<'_>, id: &str) -> Result<()> {
    let found: Option<(String, String, String, Option<String>)> = ctx
        .store
        .conn()
        .query_row(
            "SELECT entity, entity_id, field, lost FROM sync_conflicts WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .ok();
    let Some((ent, entity_id, field, lost)) = found else {
        return Err(CoreError::NotFound(format!("conflict {id}")));
    };
    let value: Value = lost.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null);
    let text = value.as_str().map(str::to_owned);
    match (ent.as_str(), field.as_str()) {
        (entity::RESIDENT, f) if REAPPLY.contains(&f) => {
            let mut patch = crate::residents::ResidentPatch::default();
            match f {
                "name" => patch.name = Some(text.unwrap_or_default()),
                "phone" => patch.phone = Some(text),
                "id_number" => patch.id_number = Some(text),
                "building" => patch.building = Some(text),
                "unit" => patch.unit = Some(text),
                "room" => patch.room = Some(text),
                "address" => patch.address = Some(text),
                _ => patch.notes = Some(text),
            }
            crate::residents::update(ctx, &entity_id, patch)?;
        }
        (entity::REQUEST, "priority") => {
            let p: crate::requests::Priority = text
                .as_deref()
                .and_then(|t| t.parse().ok())
                .ok_or_else(|| CoreError::Invalid("the lost priority is not readable".into()))?;
            crate::requests::set_priority(
                ctx,
                &entity_id,
                p,
                "再次应用被覆盖的修改 (applied again after a sync conflict)",
            )?;
        }
        _ => return Err(crate::Refusal::CannotReapply { field: field.to_string() }.into()),
    }
    ctx.store
        .conn()
        .execute("UPDATE sync_conflicts SET resolved = 1 WHERE id = ?1", params![id])?;
    Ok(())
}
