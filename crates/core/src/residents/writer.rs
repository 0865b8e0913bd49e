//! How residents reach their tables, used by every resident command (create, edit, import,
//! undo, demo). It only runs inside a [`Write`], so the caller's command also writes the
//! outbox operation and the audit entry; this module writes rows, tags, search text and field
//! clocks, and returns what changed for the caller's operation.

use std::collections::BTreeMap;

use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::{json, Value};

use super::draft::ResidentDraft;
use super::tags::TagResolver;
use crate::areas::{AreaRef, Place, Resolver};
use crate::error::Result;
use crate::hlc::Hlc;
use crate::write::Write;

/// The scalar columns, in table order. Field clocks use these names (`area_id` as `area`).
pub(crate) const COLUMNS: [&str; 11] = [
    "name",
    "sex",
    "birth_date",
    "id_number",
    "phone",
    "area_id",
    "building",
    "unit",
    "room",
    "address",
    "notes",
];
/// Columns whose change rewrites the search row (name, phone, building, unit, room, address).
const SEARCHED: [usize; 6] = [0, 4, 6, 7, 8, 9];

/// A stored resident as the writer needs it: its scalar values, attributes and tags.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stored {
    pub rid: i64,
    pub id: String,
    pub values: [Option<String>; 11],
    pub attributes: BTreeMap<String, String>,
    pub tag_ids: Vec<i64>,
}

/// One changed field: `field` is a column name, `attributes.<key>` or `tags`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Change {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub areas: Resolver,
    pub tags: TagResolver,
    /// The local row number of the last inserted resident (bulk operations name rid ranges).
    pub last_rid: i64,
    /// Bulk mode: inserts skip the search row; the caller indexes the batch at the end with
    /// [`index_batch`], one statement instead of a million.
    pub defer_search: bool,
}

fn draft_values(d: &ResidentDraft, area: Option<String>) -> [Option<String>; 11] {
    [
        Some(d.name.clone()),
        d.sex.map(|s| s.code().to_owned()),
        d.birth_date.map(|b| b.to_string()),
        d.id_number.clone(),
        d.phone.clone(),
        area,
        d.building.clone(),
        d.unit.clone(),
        d.room.clone(),
        d.address.clone(),
        d.notes.clone(),
    ]
}

impl Writer {
    fn area_of(&mut self, w: &mut Write<'_>, d: &ResidentDraft) -> Result<Option<AreaRef>> {
        self.areas.resolve(
            w,
            &Place {
                street: d.street.as_deref(),
                community: d.community.as_deref(),
                grid: d.grid.as_deref(),
            },
        )
    }

    /// Inserts a new resident and returns its id. Bulk callers list ids in their operation;
    /// [`row_json`] gives the full row for a single creation.
    pub fn insert(
        &mut self,
        w: &mut Write<'_>,
        d: &ResidentDraft,
        batch: Option<i64>,
    ) -> Result<String> {
        let id = uuid::Uuid::now_v7().to_string();
        let hlc = w.stamp();
        let area_rid = self.area_of(w, d)?.map(|a| a.rid);
        let attributes = if d.attributes.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&d.attributes)?)
        };
        let tx = w.tx();
        // Bound by reference: a million-row import should not clone every cell once more.
        let mut insert = tx.prepare_cached(
            "INSERT INTO residents (id, name, sex, birth_date, id_number, phone, area_rid, building,
                                    unit, room, address, notes, attributes, created_hlc,
                                    created_site, batch_rid)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        insert.execute(rusqlite::params![
            id,
            d.name,
            d.sex.map(|s| s.code()),
            d.birth_date.map(|b| b.to_string()),
            d.id_number,
            d.phone,
            area_rid,
            d.building,
            d.unit,
            d.room,
            d.address,
            d.notes,
            attributes,
            hlc.0,
            w.site_id(),
            batch
        ])?;
        let rid = tx.last_insert_rowid();
        self.last_rid = rid;
        for word in &d.tags {
            let (tag_id, _) = self.tags.resolve(w, word)?;
            w.tx()
                .prepare_cached(
                    "INSERT OR IGNORE INTO resident_tags (resident_rid, tag_id) VALUES (?1, ?2)",
                )?
                .execute((rid, tag_id))?;
        }
        if !self.defer_search {
            index(w, rid, &d.name, [&d.building, &d.unit, &d.room, &d.address], &d.phone)?;
        }
        Ok(id)
    }

    /// The changes that applying `d` to `s` would make. Empty cells never erase; tags only add.
    pub fn diff(
        &mut self,
        w: &mut Write<'_>,
        s: &Stored,
        d: &ResidentDraft,
    ) -> Result<(Vec<Change>, Vec<i64>)> {
        let area = self.area_of(w, d)?;
        let wanted = draft_values(d, area.map(|a| a.id));
        let mut changes = Vec::new();
        for (i, (now, new)) in s.values.iter().zip(wanted.iter()).enumerate() {
            if let Some(new) = new {
                if now.as_deref() != Some(new.as_str()) {
                    changes.push(Change {
                        field: COLUMNS[i].to_owned(),
                        before: now.clone(),
                        after: Some(new.clone()),
                    });
                }
            }
        }
        for (k, v) in &d.attributes {
            if s.attributes.get(k) != Some(v) {
                changes.push(Change {
                    field: format!("attributes.{k}"),
                    before: s.attributes.get(k).cloned(),
                    after: Some(v.clone()),
                });
            }
        }
        let mut new_tags = Vec::new();
        for word in &d.tags {
            let (tag_id, key) = self.tags.resolve(w, word)?;
            if !s.tag_ids.contains(&tag_id) && !new_tags.contains(&tag_id) {
                new_tags.push(tag_id);
                changes.push(Change { field: "tags".into(), before: None, after: Some(key) });
            }
        }
        Ok((changes, new_tags))
    }

    /// Applies field changes (as from [`Writer::diff`] or an edit) with a clock per field.
    pub fn apply(
        &mut self,
        w: &mut Write<'_>,
        s: &Stored,
        changes: &[Change],
        add_tags: &[i64],
        remove_tags: &[i64],
    ) -> Result<Hlc> {
        let hlc = w.stamp();
        let mut values = s.values.clone();
        let mut attributes = s.attributes.clone();
        let mut reindex = false;
        for c in changes {
            if let Some(i) = COLUMNS.iter().position(|col| *col == c.field) {
                values[i] = c.after.clone();
                reindex |= SEARCHED.contains(&i);
            } else if let Some(key) = c.field.strip_prefix("attributes.") {
                match &c.after {
                    Some(v) => attributes.insert(key.to_owned(), v.clone()),
                    None => attributes.remove(key),
                };
            }
            let clock_field = if c.field == "tags" {
                format!("tags.{}", c.after.as_deref().or(c.before.as_deref()).unwrap_or(""))
            } else if c.field == "area_id" {
                "area".to_owned()
            } else {
                c.field.clone()
            };
            w.field_clock("resident", &s.id, &clock_field, hlc)?;
        }
        let attributes =
            if attributes.is_empty() { None } else { Some(serde_json::to_string(&attributes)?) };
        let area_rid = match &values[5] {
            Some(id) => Some(self.areas.rid_of(w, id)?),
            None => None,
        };
        w.tx()
            .prepare_cached(
                "UPDATE residents SET name = ?2, sex = ?3, birth_date = ?4, id_number = ?5,
                        phone = ?6, area_rid = ?7, building = ?8, unit = ?9, room = ?10,
                        address = ?11, notes = ?12, attributes = ?13
                 WHERE rid = ?1",
            )?
            .execute(rusqlite::params![
                s.rid, values[0], values[1], values[2], values[3], values[4], area_rid, values[6],
                values[7], values[8], values[9], values[10], attributes
            ])?;
        for t in add_tags {
            w.tx()
                .prepare_cached(
                    "INSERT OR IGNORE INTO resident_tags (resident_rid, tag_id) VALUES (?1, ?2)",
                )?
                .execute((s.rid, t))?;
        }
        for t in remove_tags {
            w.tx()
                .prepare_cached(
                    "DELETE FROM resident_tags WHERE resident_rid = ?1 AND tag_id = ?2",
                )?
                .execute((s.rid, t))?;
        }
        if reindex {
            w.tx()
                .prepare_cached("DELETE FROM residents_fts WHERE rowid = ?1")?
                .execute([s.rid])?;
            let name = values[0].as_deref().unwrap_or_default();
            index(w, s.rid, name, [&values[6], &values[7], &values[8], &values[9]], &values[4])?;
        }
        Ok(hlc)
    }

    /// Marks a resident deleted (a tombstone, so sync can carry the delete) and drops it from
    /// search.
    pub fn tombstone(&mut self, w: &mut Write<'_>, s: &Stored) -> Result<()> {
        let hlc = w.stamp();
        w.tx()
            .prepare_cached("UPDATE residents SET deleted = 1 WHERE rid = ?1")?
            .execute([s.rid])?;
        w.tx().prepare_cached("DELETE FROM residents_fts WHERE rowid = ?1")?.execute([s.rid])?;
        w.field_clock("resident", &s.id, "deleted", hlc)
    }
}

/// Writes the search row of a resident: name; place (building, unit, room, address, run
/// together as an address is written, so 3幢2单元301 finds it); phone. Area names are searched
/// through `areas` (see `read::search`).
fn index(
    w: &Write<'_>,
    rid: i64,
    name: &str,
    place: [&Option<String>; 4],
    phone: &Option<String>,
) -> Result<()> {
    let place = place.into_iter().filter_map(|s| s.as_deref()).collect::<String>();
    w.tx()
        .prepare_cached(
            "INSERT INTO residents_fts (rowid, name, place, phone) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute((rid, name, place, phone))?;
    Ok(())
}

/// Writes the search rows of every resident of a batch inserted with `defer_search`, in one
/// statement (the same text as [`Writer::index`] builds row by row).
pub(crate) fn index_batch(w: &Write<'_>, batch_rid: i64) -> Result<()> {
    w.tx().execute(
        "INSERT INTO residents_fts (rowid, name, place, phone)
         SELECT rid, name, concat(building, unit, room, address), phone
         FROM residents WHERE batch_rid = ?1 AND deleted = 0",
        [batch_rid],
    )?;
    Ok(())
}

/// The full row of a stored resident, as a creation operation carries it.
pub(crate) fn row_json(tx: &rusqlite::Connection, id: &str) -> Result<Value> {
    let s = stored_by_id(tx, id)?
        .ok_or_else(|| crate::error::CoreError::Internal(format!("resident {id} vanished")))?;
    let (hlc, tags): (i64, Option<String>) = tx.query_row(
        "SELECT created_hlc, (SELECT group_concat(t.key) FROM resident_tags rt JOIN tags t
                ON t.id = rt.tag_id WHERE rt.resident_rid = residents.rid)
         FROM residents WHERE rid = ?1",
        [s.rid],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut row = serde_json::Map::new();
    row.insert("id".into(), json!(s.id));
    row.insert("hlc".into(), json!(hlc));
    for (col, v) in COLUMNS.iter().zip(s.values.iter()) {
        row.insert((*col).into(), json!(v));
    }
    let tags: Vec<&str> = tags.as_deref().map(|t| t.split(',').collect()).unwrap_or_default();
    row.insert("tags".into(), json!(tags));
    row.insert("attributes".into(), json!(s.attributes));
    Ok(Value::Object(row))
}

const STORED_SQL: &str = "SELECT rid, id, name, sex, birth_date, id_number, phone,
        (SELECT a.id FROM areas a WHERE a.rid = residents.area_rid),
        building, unit, room, address, notes, attributes,
        (SELECT group_concat(tag_id) FROM resident_tags WHERE resident_rid = residents.rid)
    FROM residents";

fn stored_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    let mut values: [Option<String>; 11] = Default::default();
    for (i, v) in values.iter_mut().enumerate() {
        *v = r.get(2 + i)?;
    }
    let attributes: Option<String> = r.get(13)?;
    let tags: Option<String> = r.get(14)?;
    Ok(Stored {
        rid: r.get(0)?,
        id: r.get(1)?,
        values,
        attributes: attributes.and_then(|a| serde_json::from_str(&a).ok()).unwrap_or_default(),
        tag_ids: tags
            .map(|t| t.split(',').filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_default(),
    })
}

pub(crate) fn stored_by_id(tx: &rusqlite::Connection, id: &str) -> Result<Option<Stored>> {
    Ok(tx
        .prepare_cached(&format!("{STORED_SQL} WHERE id = ?1 AND deleted = 0"))?
        .query_row([id], stored_from_row)
        .optional()?)
}

/// The stored resident an imported row is: by identity number, else by (name, phone).
pub(crate) fn stored_by_key(
    tx: &rusqlite::Connection,
    d: &ResidentDraft,
) -> Result<Option<Stored>> {
    Ok(match &d.id_number {
        Some(idn) => tx
            .prepare_cached(&format!("{STORED_SQL} WHERE id_number = ?1 AND deleted = 0"))?
            .query_row([idn], stored_from_row)
            .optional()?,
        None => match &d.phone {
            Some(phone) => tx
                .prepare_cached(&format!(
                    "{STORED_SQL} WHERE name = ?1 AND phone = ?2 AND deleted = 0 LIMIT 1"
                ))?
                .query_row([&d.name, phone], stored_from_row)
                .optional()?,
            None => None,
        },
    })
}
