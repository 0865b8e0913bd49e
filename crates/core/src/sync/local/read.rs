//! Local rows read as the server will see them.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::{area_id, clocks, json_col, RESIDENT_SCALARS};
use crate::error::Result;
use crate::sync::wire::{entity, Row, Stamp};

/// The local copy of a row, as the device would push it.
pub(crate) fn read(conn: &Connection, ent: &str, id: &str) -> Result<Option<Row>> {
    if let Some(t) = super::tables::table(ent) {
        return super::tables::read(conn, t, id);
    }
    match ent {
        entity::AREA => Ok(conn
            .prepare_cached(
                "SELECT parent_id, level, name, created_hlc, created_site FROM areas WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Row::new(entity::AREA, id, Stamp(r.get(3)?, r.get(4)?))
                    .with("parent_id", json!(r.get::<_, Option<String>>(0)?))
                    .with("level", r.get::<_, String>(1)?)
                    .with("name", r.get::<_, String>(2)?))
            })
            .optional()?),
        entity::TAG => Ok(conn
            .prepare_cached("SELECT label_zh, label_en, vulnerability FROM tags WHERE key = ?1")?
            .query_row([id], |r| {
                Ok(Row::new(entity::TAG, id, Stamp(0, String::new()))
                    .with("label_zh", r.get::<_, String>(0)?)
                    .with("label_en", r.get::<_, String>(1)?)
                    .with("vulnerability", r.get::<_, bool>(2)?))
            })
            .optional()?),
        entity::RESIDENT => resident(conn, id),
        entity::REQUEST => request(conn, id),
        entity::REQUEST_EVENT => Ok(conn
            .prepare_cached(
                "SELECT request_id, at, hlc, site_id, actor, actor_name, kind, round, data
                 FROM request_events WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Row::new(entity::REQUEST_EVENT, id, Stamp(r.get(2)?, r.get(3)?))
                    .with("request_id", r.get::<_, String>(0)?)
                    .with("at", r.get::<_, String>(1)?)
                    .with("actor", r.get::<_, String>(4)?)
                    .with("actor_name", r.get::<_, String>(5)?)
                    .with("kind", r.get::<_, String>(6)?)
                    .with("round", r.get::<_, i64>(7)?)
                    .with("data", json_col(r.get(8)?)))
            })
            .optional()?),
        _ => reference(conn, ent, id),
    }
}

fn resident(conn: &Connection, id: &str) -> Result<Option<Row>> {
    let found = conn
        .prepare_cached(
            "SELECT rid, name, sex, birth_date, id_number, phone, building, unit, room, address, notes,
                    area_rid, attributes, created_hlc, created_site, deleted
             FROM residents WHERE id = ?1",
        )?
        .query_row([id], |r| {
            let mut row = Row::new(entity::RESIDENT, id, Stamp(r.get(13)?, r.get(14)?));
            for (i, f) in RESIDENT_SCALARS.iter().enumerate() {
                row.set(f, json!(r.get::<_, Option<String>>(1 + i)?));
            }
            row.deleted = r.get(15)?;
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(11)?, r.get::<_, Option<String>>(12)?, row))
        })
        .optional()?;
    let Some((rid, area, attributes, mut row)) = found else { return Ok(None) };
    row.set("area", json!(area_id(conn, area)?));
    if let Value::Object(attrs) = json_col(attributes) {
        for (k, v) in attrs {
            row.set(&format!("attributes.{k}"), v);
        }
    }
    let keys: Vec<String> = conn
        .prepare_cached(
            "SELECT t.key FROM resident_tags rt JOIN tags t ON t.id = rt.tag_id WHERE rt.resident_rid = ?1",
        )?
        .query_map([rid], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for k in &keys {
        row.set(&format!("tags.{k}"), json!(true));
    }
    row.stamps = clocks(conn, entity::RESIDENT, id)?;
    // A removed tag or attribute is known by its clock alone: it travels as false / null.
    for f in row.stamps.keys().cloned().collect::<Vec<_>>() {
        if (f.starts_with("tags.") || f.starts_with("attributes.")) && !row.fields.contains_key(&f)
        {
            let gone = if f.starts_with("tags.") { json!(false) } else { Value::Null };
            row.set(&f, gone);
        }
    }
    row.stamps.retain(|f, _| row.fields.contains_key(f) || f == "deleted");
    Ok(Some(row))
}

const REQUEST_TEXT: [&str; 11] = [
    "resident_id",
    "category",
    "channel",
    "description",
    "address",
    "priority",
    "proposed",
    "override_why",
    "status",
    "assignee",
    "merged_into",
];

fn request(conn: &Connection, id: &str) -> Result<Option<Row>> {
    let found = conn
        .prepare_cached(
            "SELECT resident_id, category, channel, description, address, priority, proposed,
                    override_why, status, assignee, merged_into,
                    answers, reasons, dup_hint, area_rid, round, paused, checkin_key, created_at,
                    updated_at, created_hlc, created_site
             FROM requests WHERE id = ?1",
        )?
        .query_row([id], |r| {
            let mut row = Row::new(entity::REQUEST, id, Stamp(r.get(20)?, r.get(21)?));
            for (i, f) in REQUEST_TEXT.iter().enumerate() {
                row.set(f, json!(r.get::<_, Option<String>>(i)?));
            }
            row.set("answers", json_col(r.get(11)?));
            row.set("reasons", json_col(r.get(12)?));
            row.set("dup_hint", json_col(r.get(13)?));
            row.set("round", json!(r.get::<_, i64>(15)?));
            row.set("paused", json!(r.get::<_, bool>(16)?));
            row.set("checkin_key", json!(r.get::<_, Option<String>>(17)?));
            row.set("created_at", json!(r.get::<_, String>(18)?));
            row.set("updated_at", json!(r.get::<_, String>(19)?));
            Ok((r.get::<_, Option<i64>>(14)?, row))
        })
        .optional()?;
    let Some((area, mut row)) = found else { return Ok(None) };
    row.set("area", json!(area_id(conn, area)?));
    row.stamps = clocks(conn, entity::REQUEST, id)?;
    Ok(Some(row))
}

/// Reference rows carry no clocks locally: they travel stamped by the op that set them.
fn reference(conn: &Connection, ent: &str, id: &str) -> Result<Option<Row>> {
    let stamp = Stamp(0, String::new());
    let row = match ent {
        entity::CATEGORY => conn
            .prepare_cached(
                "SELECT label_zh, label_en, base, questions, sort, active FROM categories WHERE key = ?1",
            )?
            .query_row([id], |r| {
                Ok(Row::new(ent, id, stamp.clone())
                    .with("label_zh", r.get::<_, String>(0)?)
                    .with("label_en", r.get::<_, String>(1)?)
                    .with("base", r.get::<_, String>(2)?)
                    .with("questions", json_col(r.get(3)?))
                    .with("sort", r.get::<_, i64>(4)?)
                    .with("active", r.get::<_, bool>(5)?))
            })
            .optional()?,
        entity::SLA_POLICY => {
            let mut parts = id.splitn(3, '|');
            let (c, p, m) = (parts.next(), parts.next(), parts.next());
            conn.prepare_cached(
                "SELECT policy FROM sla_policies WHERE category = ?1 AND priority = ?2 AND mode = ?3",
            )?
            .query_row(params![c, p, m], |r| {
                Ok(Row::new(ent, id, stamp.clone())
                    .with("category", c.unwrap_or_default())
                    .with("priority", p.unwrap_or_default())
                    .with("mode", m.unwrap_or_default())
                    .with("policy", json_col(r.get(0)?)))
            })
            .optional()?
        }
        entity::CALENDAR_DAY => conn
            .prepare_cached("SELECT kind, name, provisional FROM calendar_days WHERE date = ?1")?
            .query_row([id], |r| {
                Ok(Row::new(ent, id, stamp.clone())
                    .with("kind", r.get::<_, String>(0)?)
                    .with("name", r.get::<_, String>(1)?)
                    .with("provisional", r.get::<_, bool>(2)?))
            })
            .optional()?,
        entity::DISTRICT_SETTING => conn
            .prepare_cached("SELECT value FROM district_settings WHERE key = ?1")?
            .query_row([id], |r| Ok(Row::new(ent, id, stamp.clone()).with("value", r.get::<_, String>(0)?)))
            .optional()?,
        entity::CHECKIN_RULE => conn
            .prepare_cached(
                "SELECT tag, category, every, lockdown_only, description, active FROM checkin_rules WHERE key = ?1",
            )?
            .query_row([id], |r| {
                Ok(Row::new(ent, id, stamp.clone())
                    .with("tag", r.get::<_, String>(0)?)
                    .with("category", r.get::<_, String>(1)?)
                    .with("every", r.get::<_, String>(2)?)
                    .with("lockdown_only", r.get::<_, bool>(3)?)
                    .with("description", r.get::<_, String>(4)?)
                    .with("active", r.get::<_, bool>(5)?))
            })
            .optional()?,
        _ => None,
    };
    Ok(row)
}
