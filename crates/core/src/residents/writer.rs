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
use crate::areas::{Place, Resolver};
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
const SEARCHED: [usize; 8] = [0, 3, 4, 5, 6, 7, 8, 9];

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
    place_cache: BTreeMap<String, String>,
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
    fn area_of(&mut self, w: &mut Write<'_>, d: &ResidentDraft) -> Result<Option<String>> {
        self.areas.resolve(
            w,
            &Place {
                street: d.street.as_deref(),
                community: d.community.as_deref(),
                grid: d.grid.as_deref(),
            },
        )
    }

    /// Inserts a new resident and returns its id and the row for the caller's operation.
    pub fn insert(
        &mut self,
        w: &mut Write<'_>,
        d: &ResidentDraft,
        batch: Option<&str>,
    ) -> Result<(String, Value)> {
        let id = uuid::Uuid::now_v7().to_string();
        let hlc = w.stamp();
        let area = self.area_of(w, d)?;
        let values = draft_values(d, area);
        let attributes = if d.attributes.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&d.attributes)?)
        };
        let tx = w.tx();
        let mut insert = tx.prepare_cached(
            "INSERT INTO residents (id, name, sex, birth_date, id_number, phone, area_id, building,
                                    unit, room, address, notes, attributes, created_hlc,
                                    created_site, batch_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        insert.execute(rusqlite::params![
            id,
            values[0],
            values[1],
            values[2],
            values[3],
            values[4],
            values[5],
            values[6],
            values[7],
            values[8],
            values[9],
            values[10],
            attributes,
            hlc.0,
            w.site_id(),
            batch
        ])?;
        let rid = tx.last_insert_rowid();
        let mut tag_keys = Vec::with_capacity(d.tags.len());
        for word in &d.tags {
            let (tag_id, key) = self.tags.resolve(w, word)?;
            w.tx()
                .prepare_cached(
                    "INSERT OR IGNORE INTO resident_tags (resident_rid, tag_id) VALUES (?1, ?2)",
                )?
                .execute((rid, tag_id))?;
            tag_keys.push(key);
        }
        self.index(w, rid, &values, false)?;
        let row = json!({
            "id": id,
            "hlc": hlc.0,
            "name": values[0], "sex": values[1], "birth_date": values[2],
            "id_number": values[3], "phone": values[4], "area_id": values[5],
            "building": values[6], "unit": values[7], "room": values[8],
            "address": values[9], "notes": values[10],
            "tags": tag_keys, "attributes": d.attributes,
        });
        Ok((id, row))
    }

    /// The changes that applying `d` to `s` would make. Empty cells never erase; tags only add.
    pub fn diff(
        &mut self,
        w: &mut Write<'_>,
        s: &Stored,
        d: &ResidentDraft,
    ) -> Result<(Vec<Change>, Vec<i64>)> {
        let area = self.area_of(w, d)?;
        let wanted = draft_values(d, area);
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
        w.tx()
            .prepare_cached(
                "UPDATE residents SET name = ?2, sex = ?3, birth_date = ?4, id_number = ?5,
                        phone = ?6, area_id = ?7, building = ?8, unit = ?9, room = ?10,
                        address = ?11, notes = ?12, attributes = ?13
                 WHERE rid = ?1",
            )?
            .execute(rusqlite::params![
                s.rid, values[0], values[1], values[2], values[3], values[4], values[5],
                values[6], values[7], values[8], values[9], values[10], attributes
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
                .prepare_cached("DELETE FROM resident_tags WHERE resident_rid = ?1 AND tag_id = ?2")?
                .execute((s.rid, t))?;
        }
        if reindex {
            self.index(w, s.rid, &values, true)?;
        }
        Ok(hlc)
    }

    /// Marks a resident deleted (a tombstone, so sync can carry the delete) and drops it from
    /// search.
    pub fn tombstone(&mut self, w: &mut Write<'_>, s: &Stored) -> Result<()> {
        let hlc = w.stamp();
        w.tx().prepare_cached("UPDATE residents SET deleted = 1 WHERE rid = ?1")?.execute([s.rid])?;
        w.tx().prepare_cached("DELETE FROM residents_fts WHERE rowid = ?1")?.execute([s.rid])?;
        w.field_clock("resident", &s.id, "deleted", hlc)
    }

    /// Writes the search text of a resident: name; place (community, grid, building, unit,
    /// room, address); contact (phone and identity number).
    fn index(
        &mut self,
        w: &Write<'_>,
        rid: i64,
        v: &[Option<String>; 11],
        replace: bool,
    ) -> Result<()> {
        let tx = w.tx();
        if replace {
            tx.prepare_cached("DELETE FROM residents_fts WHERE rowid = ?1")?.execute([rid])?;
        }
        let area_names = match &v[5] {
            Some(area) => match self.place_cache.get(area) {
                Some(names) => names.clone(),
                None => {
                    let names: String = tx
                        .prepare_cached(
                            "WITH RECURSIVE up(id, name, parent) AS (
                                 SELECT id, name, parent_id FROM areas WHERE id = ?1
                                 UNION ALL
                                 SELECT a.id, a.name, a.parent_id FROM areas a JOIN up ON a.id = up.parent)
                             SELECT group_concat(name, ' ') FROM up",
                        )?
                        .query_row([area], |r| r.get::<_, Option<String>>(0))?
                        .unwrap_or_default();
                    self.place_cache.insert(area.clone(), names.clone());
                    names
                }
            },
            None => String::new(),
        };
        let place = [Some(area_names), v[6].clone(), v[7].clone(), v[8].clone(), v[9].clone()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let contact = [v[4].as_deref(), v[3].as_deref()].into_iter().flatten().collect::<Vec<_>>();
        tx.prepare_cached(
            "INSERT INTO residents_fts (rowid, name, place, contact) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute((rid, &v[0], place, contact.join(" ")))?;
        Ok(())
    }
}

const STORED_SQL: &str = "SELECT rid, id, name, sex, birth_date, id_number, phone, area_id,
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
