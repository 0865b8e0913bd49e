//! The device's typed tables seen as sync [`Row`]s: read for a push (with each field's stamp
//! from `field_clocks`, else the creation stamp; [`read`]) and written when the server's copy
//! arrives (search rows and tags kept in step; [`apply`]). `apply` is the one writer of domain
//! tables besides the write path: it records what the server decided, never a local command.

mod apply;
mod read;
pub(crate) mod tables;

pub(crate) use apply::{forget_synced, index_new, write, Touched};
pub(crate) use read::read;

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use super::wire::{Row, Stamp};
use crate::error::Result;

pub(super) const RESIDENT_SCALARS: [&str; 10] = [
    "name",
    "sex",
    "birth_date",
    "id_number",
    "phone",
    "building",
    "unit",
    "room",
    "address",
    "notes",
];

pub(super) fn clocks(conn: &Connection, ent: &str, id: &str) -> Result<BTreeMap<String, Stamp>> {
    let mut stmt = conn.prepare_cached(
        "SELECT field, hlc, site_id FROM field_clocks WHERE entity = ?1 AND entity_id = ?2",
    )?;
    let rows = stmt.query_map([ent, id], |r| Ok((r.get(0)?, Stamp(r.get(1)?, r.get(2)?))))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A row's field clocks as the server sent them. A row just inserted has none to clear (its
/// clocks go with it when it is purged), which saves a first sync one statement per row.
pub(super) fn put_clocks(conn: &Connection, ent: &str, row: &Row, inserted: bool) -> Result<()> {
    if !inserted {
        conn.prepare_cached("DELETE FROM field_clocks WHERE entity = ?1 AND entity_id = ?2")?
            .execute([ent, &row.id])?;
    }
    let mut ins = conn.prepare_cached(
        "INSERT OR REPLACE INTO field_clocks (entity, entity_id, field, hlc, site_id) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (f, s) in &row.stamps {
        ins.execute(params![ent, row.id, f, s.0, s.1])?;
    }
    Ok(())
}

pub(super) fn json_col(v: Option<String>) -> Value {
    v.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or(Value::Null)
}

pub(super) fn text_of(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    }
}

pub(super) fn json_text(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(other) => Some(other.to_string()),
    }
}

pub(super) fn area_id(conn: &Connection, rid: Option<i64>) -> Result<Option<String>> {
    let Some(rid) = rid else { return Ok(None) };
    Ok(conn
        .prepare_cached("SELECT id FROM areas WHERE rid = ?1")?
        .query_row([rid], |r| r.get(0))
        .optional()?)
}

pub(super) fn area_rid(conn: &Connection, id: Option<&str>) -> Result<Option<i64>> {
    let Some(id) = id else { return Ok(None) };
    Ok(conn
        .prepare_cached("SELECT rid FROM areas WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}
