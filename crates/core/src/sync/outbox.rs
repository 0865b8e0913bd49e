//! The outbox as the server sees it: each op with the rows it wrote, read from the store at
//! push time (an import's op names its rows by their local range, so a bulk import writes
//! each row once), and the set of rows that still have ops waiting.

use rusqlite::Connection;
use serde_json::Value;

use super::client::{sign, Keys};
use super::local;
use super::merge::set_stamp;
use super::wire::{entity, Op, Row, Stamp};
use crate::error::Result;

/// The fields a request step sets: the op's stamp goes on them.
const STEP_FIELDS: [&str; 7] =
    ["status", "round", "paused", "assignee", "area", "merged_into", "updated_at"];

/// The next ops to push after sequence number `after`, oldest first, signed, up to `max_ops`
/// ops or about `max_rows` rows.
pub(crate) fn batch(
    conn: &Connection,
    secret: &str,
    after: i64,
    max_ops: usize,
    max_rows: usize,
) -> Result<Vec<Op>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, op_id, site_id, kind, hlc, actor, at, payload FROM outbox WHERE seq > ?2
         ORDER BY seq LIMIT ?1",
    )?;
    // Read whole first: materialising an op queries the store again.
    let raw: Vec<(Op, String)> = stmt
        .query_map([max_ops as i64, after], |r| {
            let op = Op {
                seq: r.get(0)?,
                op_id: r.get(1)?,
                kind: r.get(3)?,
                hlc: r.get(4)?,
                actor: r.get(5)?,
                at: r.get(6)?,
                payload: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or(Value::Null),
                rows: Vec::new(),
                mac: String::new(),
            };
            Ok((op, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut ops = Vec::with_capacity(raw.len());
    let mut rows_total = 0usize;
    for (mut op, site) in raw {
        let stamp = Stamp(op.hlc, site);
        op.rows = rows_of(conn, &op.kind, &op.payload, &stamp)?;
        rows_total += op.rows.len();
        sign(secret, &mut op);
        ops.push(op);
        if rows_total >= max_rows {
            break;
        }
    }
    Ok(ops)
}

/// Every (entity, id) an op still waiting in the outbox wrote.
pub(crate) fn pending(conn: &Connection) -> Result<Keys> {
    let mut stmt = conn.prepare_cached("SELECT kind, payload FROM outbox ORDER BY seq")?;
    let raw: Vec<(String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    let mut keys = Keys::new();
    for (kind, payload) in raw {
        let payload: Value = serde_json::from_str(&payload)?;
        for (e, id) in touched(conn, &kind, &payload)? {
            keys.insert((e.to_owned(), id));
        }
    }
    Ok(keys)
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn ids_of(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(|x| x["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// The rows an op wrote, by kind, in the order the server must see them (areas and tags
/// before the residents placed in them, requests before their events).
fn touched(conn: &Connection, kind: &str, p: &Value) -> Result<Vec<(&'static str, String)>> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let created = |out: &mut Vec<(&'static str, String)>| {
        out.extend(ids_of(&p["areas"]).into_iter().map(|id| (entity::AREA, id)));
        out.extend(strs(&p["tags"]).into_iter().map(|id| (entity::TAG, id)));
    };
    match kind {
        "residents.create" => {
            created(&mut out);
            out.extend(ids_of(&p["residents"]).into_iter().map(|id| (entity::RESIDENT, id)));
        }
        "residents.create_many" => {
            created(&mut out);
            out.extend(strs(&p["ids"]).into_iter().map(|id| (entity::RESIDENT, id)));
        }
        "residents.import" => {
            created(&mut out);
            let (a, b) = (p["rids"][0].as_i64().unwrap_or(0), p["rids"][1].as_i64().unwrap_or(-1));
            let mut stmt = conn.prepare_cached(
                "SELECT id FROM residents WHERE rid BETWEEN ?1 AND ?2 ORDER BY rid",
            )?;
            let ids: Vec<String> =
                stmt.query_map([a, b], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            out.extend(ids.into_iter().map(|id| (entity::RESIDENT, id)));
        }
        "residents.import_update" => {
            created(&mut out);
            out.extend(ids_of(&p["updates"]).into_iter().map(|id| (entity::RESIDENT, id)));
        }
        "residents.update" => {
            out.extend(p["id"].as_str().map(|id| (entity::RESIDENT, id.to_owned())))
        }
        "import.undo" => {
            out.extend(strs(&p["removed"]).into_iter().map(|id| (entity::RESIDENT, id)));
            out.extend(ids_of(&p["restored"]).into_iter().map(|id| (entity::RESIDENT, id)));
        }
        "request.bulk_create" | "request.checkins" => {
            let ids = strs(&p["request_ids"]);
            // A check-in is created and nothing more; a history taken in bulk carries every
            // step it already went through, which the server walks through the state machine.
            let sql = if kind == "request.checkins" {
                "SELECT id FROM request_events WHERE request_id = ?1 AND kind = 'created'"
            } else {
                "SELECT id FROM request_events WHERE request_id = ?1 ORDER BY at, id"
            };
            let mut stmt = conn.prepare_cached(sql)?;
            let mut events = Vec::new();
            for id in &ids {
                let e: Vec<String> =
                    stmt.query_map([id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
                events.extend(e);
            }
            out.extend(ids.into_iter().map(|id| (entity::REQUEST, id)));
            out.extend(events.into_iter().map(|id| (entity::REQUEST_EVENT, id)));
        }
        "request.merge" => {
            out.extend(p["request_id"].as_str().map(|id| (entity::REQUEST, id.to_owned())));
            if let Some(keep) = p["change"]["into"].as_str() {
                out.push((entity::REQUEST, keep.to_owned()));
                let mut stmt = conn.prepare_cached(
                    "SELECT id FROM requests WHERE merged_into = ?1 AND id <> ?2 ORDER BY rid",
                )?;
                let dup = p["request_id"].as_str().unwrap_or_default();
                let followers: Vec<String> =
                    stmt.query_map([keep, dup], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
                out.extend(followers.into_iter().map(|id| (entity::REQUEST, id)));
            }
            out.extend(strs(&p["events"]).into_iter().map(|id| (entity::REQUEST_EVENT, id)));
        }
        k if k.starts_with("request.") => {
            out.extend(p["request_id"].as_str().map(|id| (entity::REQUEST, id.to_owned())));
            out.extend(strs(&p["events"]).into_iter().map(|id| (entity::REQUEST_EVENT, id)));
            // The volunteer freed by a hand-back or an end travels with the step.
            out.extend(
                strs(&p["change"]["assignments_ended"])
                    .into_iter()
                    .map(|id| (entity::ASSIGNMENT, id)),
            );
        }
        "volunteer.create" | "volunteer.update" | "volunteer.import" => {
            created(&mut out);
            out.extend(strs(&p["volunteer_ids"]).into_iter().map(|id| (entity::VOLUNTEER, id)));
        }
        // The assignment first: the server decides capacity and time before the request's
        // step (assigned, started, resolved, back to the queue) and the points that follow.
        k if k.starts_with("assignment.") => {
            out.extend(p["assignment_id"].as_str().map(|id| (entity::ASSIGNMENT, id.to_owned())));
            if p["steps"].as_array().is_some_and(|s| !s.is_empty()) {
                out.extend(p["request_id"].as_str().map(|id| (entity::REQUEST, id.to_owned())));
                out.extend(strs(&p["events"]).into_iter().map(|id| (entity::REQUEST_EVENT, id)));
            }
            out.extend(strs(&p["points"]).into_iter().map(|id| (entity::POINTS_ENTRY, id)));
        }
        "points.redeem" | "points.correct" => {
            out.extend(strs(&p["points"]).into_iter().map(|id| (entity::POINTS_ENTRY, id)));
        }
        "skill.set" => out.extend(p["key"].as_str().map(|k| (entity::SKILL, k.to_owned()))),
        "shop.set" => out.extend(p["id"].as_str().map(|k| (entity::SHOP, k.to_owned()))),
        "category_service.set" => {
            out.extend(p["category"].as_str().map(|k| (entity::CATEGORY_SERVICE, k.to_owned())))
        }
        "district.set" => {
            out.extend(strs(&p["keys"]).into_iter().map(|k| (entity::DISTRICT_SETTING, k)))
        }
        "category.set" => {
            out.extend(p["category"]["key"].as_str().map(|k| (entity::CATEGORY, k.to_owned())));
        }
        "policy.set" => {
            if let (Some(c), Some(pr), Some(m)) =
                (p["category"].as_str(), p["priority"].as_str(), p["mode"].as_str())
            {
                out.push((entity::SLA_POLICY, format!("{c}|{pr}|{m}")));
            }
        }
        "calendar.set" => {
            out.extend(p["date"].as_str().map(|d| (entity::CALENDAR_DAY, d.to_owned())))
        }
        "district.set_mode" => out.push((entity::DISTRICT_SETTING, "sla_mode".to_owned())),
        // Audit-only ops (reveals, exports, an import's summary) carry no rows.
        _ => {}
    }
    Ok(out)
}

fn rows_of(conn: &Connection, kind: &str, p: &Value, stamp: &Stamp) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (ent, id) in touched(conn, kind, p)? {
        let row = match local::read(conn, ent, &id)? {
            Some(r) => r,
            None if entity::is_reference(ent) && ent != entity::TAG => {
                // Removed by the op (a policy back to the default, an ordinary day again).
                let mut t = Row::new(ent, id.clone(), stamp.clone());
                if let Some(parts) =
                    (ent == entity::SLA_POLICY).then(|| id.split('|').collect::<Vec<_>>())
                {
                    for (f, v) in ["category", "priority", "mode"].iter().zip(parts) {
                        t.set(f, Value::from(v));
                    }
                }
                t.deleted = true;
                t
            }
            // Gone since (a later op removed it): nothing of it to send.
            None => continue,
        };
        rows.push(stamp_row(row, kind, stamp));
    }
    Ok(rows)
}

/// Puts the op's stamp on what the op set: reference rows whole, a request's step fields or
/// priority. Residents carry their own field clocks already.
fn stamp_row(mut row: Row, kind: &str, stamp: &Stamp) -> Row {
    if entity::is_reference(&row.entity) && row.entity != entity::TAG {
        row.created = stamp.clone();
        row.stamps.clear();
        return row;
    }
    if row.entity == entity::REQUEST {
        let fields: &[&str] = match kind {
            "request.create" | "request.bulk_create" | "request.checkins" => &[],
            "request.set_priority" => &["priority", "override_why", "updated_at"],
            _ => &STEP_FIELDS,
        };
        for f in fields {
            if stamp > row.stamp(f) {
                set_stamp(&mut row, f, stamp.clone());
            }
        }
    }
    row
}
