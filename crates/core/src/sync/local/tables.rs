//! Tables whose columns are their row's fields one to one (volunteers, assignments, the
//! points ledger and their reference data): one description each, one reader and one writer
//! for all of them, instead of hand-written SQL per entity that could drift from the schema.

use rusqlite::{params_from_iter, types::Value as Sql, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::{clocks, json_col, put_clocks};
use crate::error::Result;
use crate::sync::wire::{entity, Row, Stamp};

#[derive(Clone, Copy)]
pub(crate) enum Col {
    Text,
    Int,
    Bool,
    Json,
}

pub(crate) struct Table {
    pub entity: &'static str,
    pub table: &'static str,
    pub key: &'static str,
    /// Fields, named as their columns.
    pub cols: &'static [(&'static str, Col)],
    /// The row's `area` (an area id) is the column `area_rid`.
    pub area: bool,
    /// Created stamp columns and field clocks: a domain row, not reference data set whole.
    pub stamped: bool,
    /// A `deleted` column keeps tombstones; otherwise a tombstone deletes the row.
    pub soft_delete: bool,
    /// Rows never change once written (the points ledger): a differing copy replaces it.
    pub append_only: bool,
}

use Col::*;

pub(crate) const TABLES: [Table; 7] = [
    Table {
        entity: entity::VOLUNTEER,
        table: "volunteers",
        key: "id",
        cols: &[
            ("resident_id", Text),
            ("name", Text),
            ("phone", Text),
            ("id_number", Text),
            ("skills", Json),
            ("availability", Json),
            ("capacity", Int),
            ("health", Text),
            ("vehicle", Text),
            ("notes", Text),
            ("active", Bool),
            ("created_at", Text),
            ("updated_at", Text),
        ],
        area: true,
        stamped: true,
        soft_delete: true,
        append_only: false,
    },
    Table {
        entity: entity::ASSIGNMENT,
        table: "assignments",
        key: "id",
        cols: &[
            ("request_id", Text),
            ("volunteer_id", Text),
            ("status", Text),
            ("planned", Bool),
            ("window_from", Int),
            ("window_to", Int),
            ("assigned_at", Text),
            ("assigned_by", Text),
            ("progress_at", Text),
            ("accepted_at", Text),
            ("started_at", Text),
            ("done_at", Text),
            ("ended_at", Text),
            ("late", Bool),
            ("confirmed_by", Text),
            ("confirmed_at", Text),
            ("note", Text),
        ],
        area: true,
        stamped: true,
        soft_delete: false,
        append_only: false,
    },
    Table {
        entity: entity::POINTS_ENTRY,
        table: "points_ledger",
        key: "id",
        cols: &[
            ("volunteer_id", Text),
            ("kind", Text),
            ("amount", Int),
            ("day", Text),
            ("assignment_id", Text),
            ("shop_id", Text),
            ("voucher", Text),
            ("note", Text),
            ("at", Text),
            ("actor_name", Text),
        ],
        area: true,
        stamped: true,
        soft_delete: false,
        append_only: true,
    },
    Table {
        entity: entity::SKILL,
        table: "skills",
        key: "key",
        cols: &[("label_zh", Text), ("label_en", Text), ("sort", Int), ("active", Bool)],
        area: false,
        stamped: false,
        soft_delete: false,
        append_only: false,
    },
    Table {
        entity: entity::CATEGORY_SERVICE,
        table: "category_service",
        key: "category",
        cols: &[("skills", Json), ("points", Int), ("task_minutes", Int)],
        area: false,
        stamped: false,
        soft_delete: false,
        append_only: false,
    },
    Table {
        entity: entity::SHOP,
        table: "shops",
        key: "id",
        cols: &[("name", Text), ("address", Text), ("active", Bool)],
        area: false,
        stamped: false,
        soft_delete: false,
        append_only: false,
    },
    Table {
        entity: entity::REQUEST_TALLY,
        table: "request_tallies",
        key: "id",
        cols: &[
            ("month", Text),
            ("category", Text),
            ("priority", Text),
            ("outcome", Text),
            ("area", Text),
            ("requests", Int),
            ("on_time", Int),
        ],
        area: false,
        stamped: false,
        soft_delete: false,
        append_only: false,
    },
];

pub(crate) fn table(entity_name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.entity == entity_name)
}

fn columns(t: &Table) -> Vec<&'static str> {
    let mut c: Vec<&str> = t.cols.iter().map(|(f, _)| *f).collect();
    if t.area {
        c.push("area_rid");
    }
    if t.stamped {
        c.extend(["created_hlc", "created_site"]);
    }
    if t.soft_delete {
        c.push("deleted");
    }
    c
}

/// The local copy of a row, as the device pushes it.
pub(crate) fn read(conn: &Connection, t: &Table, id: &str) -> Result<Option<Row>> {
    let cols = columns(t);
    let sql = format!("SELECT {} FROM {} WHERE {} = ?1", cols.join(", "), t.table, t.key);
    let found: Option<Vec<Sql>> = conn
        .prepare_cached(&sql)?
        .query_row([id], |r| (0..cols.len()).map(|i| r.get::<_, Sql>(i)).collect())
        .optional()?;
    let Some(vals) = found else { return Ok(None) };
    let stamp = if t.stamped {
        let at = t.cols.len() + usize::from(t.area);
        let hlc = match &vals[at] {
            Sql::Integer(i) => *i,
            _ => 0,
        };
        let site = match &vals[at + 1] {
            Sql::Text(s) => s.clone(),
            _ => String::new(),
        };
        Stamp(hlc, site)
    } else {
        Stamp(0, String::new())
    };
    let mut row = Row::new(t.entity, id, stamp);
    for ((f, kind), v) in t.cols.iter().zip(&vals) {
        let value = match (kind, v) {
            (_, Sql::Null) => Value::Null,
            (Bool, Sql::Integer(i)) => json!(*i != 0),
            (Int, Sql::Integer(i)) => json!(*i),
            (Json, Sql::Text(s)) => json_col(Some(s.clone())),
            (_, Sql::Text(s)) => json!(s),
            (_, Sql::Integer(i)) => json!(*i),
            (_, Sql::Real(r)) => json!(*r),
            (_, Sql::Blob(_)) => Value::Null,
        };
        row.set(f, value);
    }
    if t.area {
        let rid = match &vals[t.cols.len()] {
            Sql::Integer(i) => Some(*i),
            _ => None,
        };
        row.set("area", json!(super::area_id(conn, rid)?));
    }
    if t.soft_delete {
        row.deleted = matches!(vals[cols.len() - 1], Sql::Integer(1));
    }
    if t.stamped {
        row.stamps = clocks(conn, t.entity, id)?;
        row.stamps.retain(|f, _| row.fields.contains_key(f) || f == "deleted");
    }
    Ok(Some(row))
}

fn sql_of(kind: Col, v: Option<&Value>) -> Sql {
    match (kind, v) {
        (_, None | Some(Value::Null)) => Sql::Null,
        (Bool, Some(v)) => Sql::Integer(i64::from(v.as_bool().unwrap_or(false))),
        (Int, Some(v)) => v.as_i64().map(Sql::Integer).unwrap_or(Sql::Null),
        (Json, Some(v)) => Sql::Text(v.to_string()),
        (Text, Some(Value::String(s))) => Sql::Text(s.clone()),
        (Text, Some(v)) => Sql::Text(v.to_string()),
    }
}

/// Writes the server's copy of a row over the local one.
pub(crate) fn write(conn: &Connection, t: &Table, row: &Row) -> Result<()> {
    let gone = row.deleted && (row.fields.is_empty() || !t.soft_delete);
    if gone {
        conn.prepare_cached(&format!("DELETE FROM {} WHERE {} = ?1", t.table, t.key))?
            .execute([&row.id])?;
        if t.stamped {
            conn.prepare_cached("DELETE FROM field_clocks WHERE entity = ?1 AND entity_id = ?2")?
                .execute([t.entity, &row.id])?;
        }
        return Ok(());
    }
    let cols = columns(t);
    let mut vals: Vec<Sql> = t.cols.iter().map(|(f, k)| sql_of(*k, row.fields.get(*f))).collect();
    if t.area {
        let rid: Option<i64> = match row.str("area") {
            Some(a) => conn
                .prepare_cached("SELECT rid FROM areas WHERE id = ?1")?
                .query_row([a], |r| r.get(0))
                .optional()?,
            None => None,
        };
        vals.push(rid.map(Sql::Integer).unwrap_or(Sql::Null));
    }
    if t.stamped {
        vals.push(Sql::Integer(row.created.0));
        vals.push(Sql::Text(row.created.1.clone()));
    }
    if t.soft_delete {
        vals.push(Sql::Integer(i64::from(row.deleted)));
    }
    let exists: bool = conn
        .prepare_cached(&format!("SELECT count(*) FROM {} WHERE {} = ?1", t.table, t.key))?
        .query_row([&row.id], |r| r.get::<_, i64>(0))?
        > 0;
    if t.append_only && exists {
        // An entry never changes; the server's copy differs only when it decided otherwise
        // (an earning capped): it replaces the device's, which is not an edit of the ledger.
        // It goes in again even when the same: entries stand in the order the laptop learned
        // the server's decisions (a pull brings them in the server's order), so the running
        // balance the ledger shows is the server's, never below zero, and not the order they
        // were made offline in (a redemption made here before another laptop's earning that
        // the server took first would read as overdrawn).
        conn.prepare_cached(&format!("DELETE FROM {} WHERE {} = ?1", t.table, t.key))?
            .execute([&row.id])?;
    }
    let placeholders: Vec<String> = (2..=cols.len() + 1).map(|i| format!("?{i}")).collect();
    let updates: Vec<String> = cols.iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let sql = format!(
        "INSERT INTO {table} ({key}, {cols}) VALUES (?1, {ph}) ON CONFLICT ({key}) DO UPDATE SET {up}",
        table = t.table,
        key = t.key,
        cols = cols.join(", "),
        ph = placeholders.join(", "),
        up = updates.join(", "),
    );
    let mut all = vec![Sql::Text(row.id.clone())];
    all.extend(vals);
    conn.prepare_cached(&sql)?.execute(params_from_iter(all))?;
    if t.stamped {
        put_clocks(conn, t.entity, row, !exists)?;
    }
    Ok(())
}

/// A full resync: drops the rows of these tables the device holds from the server, keeping
/// those listed in `temp.resync_keep` (rows with ops waiting).
pub(crate) fn forget(conn: &Connection) -> Result<usize> {
    let mut gone = 0;
    for t in TABLES.iter().filter(|t| t.stamped) {
        gone += conn.execute(
            &format!(
                "DELETE FROM {} WHERE {key} NOT IN
                     (SELECT id FROM temp.resync_keep WHERE entity = ?1)",
                t.table,
                key = t.key
            ),
            [t.entity],
        )?;
        conn.execute(
            "DELETE FROM field_clocks WHERE entity = ?1 AND entity_id NOT IN
                 (SELECT id FROM temp.resync_keep WHERE entity = ?1)",
            [t.entity],
        )?;
    }
    Ok(gone)
}
