//! The server's rows written over the local ones, with search rows, tags and clocks in step.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

use super::{area_rid, json_text, put_clocks, text_of, RESIDENT_SCALARS};
use crate::error::Result;
use crate::sync::wire::{entity, Row, Stamp};

/// What a written page touched, for the work done once per page.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    pub requests: std::collections::BTreeSet<String>,
    pub reference: bool,
    /// Rows inserted above these row numbers get their search rows in one statement at the
    /// end of the page ([`index_new`]): a first sync writes 200,000 rows, and one FTS insert
    /// per row costs more than the rows themselves.
    pub resident_floor: i64,
    pub request_floor: i64,
    /// Area ids to row numbers, looked up once per page rather than once per row.
    areas: std::collections::HashMap<String, Option<i64>>,
}

impl Touched {
    fn area_rid(&mut self, conn: &Connection, id: Option<&str>) -> Result<Option<i64>> {
        let Some(id) = id else { return Ok(None) };
        if let Some(rid) = self.areas.get(id) {
            return Ok(*rid);
        }
        let rid = area_rid(conn, Some(id))?;
        self.areas.insert(id.to_owned(), rid);
        Ok(rid)
    }

    pub(crate) fn new(conn: &Connection) -> Result<Touched> {
        let max = |t: &str| -> Result<i64> {
            Ok(conn.query_row(&format!("SELECT ifnull(max(rid), 0) FROM {t}"), [], |r| r.get(0))?)
        };
        Ok(Touched {
            resident_floor: max("residents")?,
            request_floor: max("requests")?,
            ..Touched::default()
        })
    }
}

/// The search rows of the rows a page inserted (see [`Touched`]).
pub(crate) fn index_new(conn: &Connection, t: &Touched) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO residents_fts (rowid, name, place, phone)
         SELECT rid, name, concat(building, unit, room, address), phone
         FROM residents WHERE rid > ?1 AND deleted = 0",
    )?
    .execute([t.resident_floor])?;
    conn.prepare_cached(
        "INSERT INTO requests_fts (rowid, description, place)
         SELECT q.rid, q.description, coalesce(q.address,
                (SELECT concat(r.building, r.unit, r.room, r.address) FROM residents r WHERE r.id = q.resident_id), '')
         FROM requests q WHERE q.rid > ?1",
    )?
    .execute([t.request_floor])?;
    Ok(())
}

/// Writes the server's copy of a row over the local one. A tombstone without fields is a row
/// the server does not have (a rejected creation): it goes entirely.
pub(crate) fn write(conn: &Connection, row: &Row, touched: &mut Touched) -> Result<()> {
    let gone = row.deleted && row.fields.is_empty();
    if let Some(t) = super::tables::table(&row.entity) {
        super::tables::write(conn, t, row)?;
        // Counts of purged requests move no deadline; other reference data may.
        if !t.stamped && t.entity != entity::REQUEST_TALLY {
            touched.reference = true;
        }
        return Ok(());
    }
    match row.entity.as_str() {
        entity::AREA => {
            touched.areas.clear();
            write_area(conn, row)?
        }
        entity::TAG => {
            conn.prepare_cached(
                "INSERT INTO tags (key, label_zh, label_en, vulnerability) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO NOTHING",
            )?
            .execute(params![
                row.id,
                row.str("label_zh").unwrap_or(&row.id),
                row.str("label_en").unwrap_or(&row.id),
                row.fields.get("vulnerability").and_then(Value::as_bool).unwrap_or(false)
            ])?;
            conn.prepare_cached(
                "INSERT OR IGNORE INTO tag_aliases (alias, tag_id) SELECT ?1, id FROM tags WHERE key = ?1",
            )?
            .execute([&row.id])?;
        }
        entity::RESIDENT if gone => purge_resident(conn, &row.id)?,
        entity::RESIDENT => write_resident(conn, row, touched)?,
        entity::REQUEST if gone => purge_request(conn, &row.id)?,
        entity::REQUEST => {
            write_request(conn, row, touched)?;
            touched.requests.insert(row.id.clone());
        }
        entity::REQUEST_EVENT => {
            if gone {
                conn.prepare_cached("DELETE FROM request_events WHERE id = ?1")?
                    .execute([&row.id])?;
            } else {
                conn.prepare_cached(
                    "INSERT INTO request_events (id, request_id, at, hlc, site_id, actor, actor_name, kind, round, data)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT (id) DO UPDATE SET round = excluded.round, data = excluded.data",
                )?
                .execute(params![
                    row.id,
                    row.str("request_id"),
                    row.str("at"),
                    row.created.0,
                    row.created.1,
                    row.str("actor").unwrap_or_default(),
                    row.str("actor_name").unwrap_or_default(),
                    row.str("kind"),
                    row.fields.get("round").and_then(Value::as_i64).unwrap_or(1),
                    json_text(row.fields.get("data")).unwrap_or_else(|| "{}".into())
                ])?;
            }
            if let Some(r) = row.str("request_id") {
                touched.requests.insert(r.to_owned());
            }
        }
        entity::ALIAS => apply_alias(conn, row, touched)?,
        // A conflict the district's retention removed (it named a purged request or tag).
        entity::CONFLICT if gone => {
            conn.prepare_cached("DELETE FROM sync_conflicts WHERE id = ?1")?.execute([&row.id])?;
        }
        entity::CONFLICT => write_conflict(conn, row)?,
        e if entity::REFERENCE.contains(&e) => {
            write_reference(conn, row)?;
            touched.reference = true;
        }
        _ => {}
    }
    Ok(())
}

fn write_area(conn: &Connection, row: &Row) -> Result<()> {
    let (parent, level, name) = (row.str("parent_id"), row.str("level"), row.str("name"));
    // A node this store made before ids came from names: it takes the shared id.
    let old: Option<String> = conn
        .prepare_cached(
            "SELECT id FROM areas WHERE ifnull(parent_id, '') = ifnull(?1, '') AND level = ?2 AND name = ?3",
        )?
        .query_row(params![parent, level, name], |r| r.get(0))
        .optional()?;
    match old {
        Some(old) if old == row.id => {}
        Some(old) => {
            conn.execute("UPDATE areas SET id = ?2 WHERE id = ?1", [&old, &row.id])?;
            conn.execute("UPDATE areas SET parent_id = ?2 WHERE parent_id = ?1", [&old, &row.id])?;
        }
        None => {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO areas (id, parent_id, level, name, created_hlc, created_site)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![row.id, parent, level, name, row.created.0, row.created.1])?;
        }
    }
    Ok(())
}

/// A request the server no longer has (a refused creation, or the district's retention):
/// it goes with everything this store keeps of it, its events, search row, clocks, files
/// and the conflicts that quote it.
fn purge_request(conn: &Connection, id: &str) -> Result<()> {
    let rid: Option<i64> = conn
        .prepare_cached("SELECT rid FROM requests WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if let Some(rid) = rid {
        conn.execute("DELETE FROM requests_fts WHERE rowid = ?1", [rid])?;
        conn.execute("DELETE FROM requests WHERE rid = ?1", [rid])?;
    }
    conn.execute("DELETE FROM request_events WHERE request_id = ?1", [id])?;
    conn.execute("DELETE FROM field_clocks WHERE entity = 'request' AND entity_id = ?1", [id])?;
    conn.execute("DELETE FROM request_attachments WHERE request_id = ?1", [id])?;
    conn.execute("DELETE FROM sync_conflicts WHERE entity = 'request' AND entity_id = ?1", [id])?;
    Ok(())
}

fn purge_resident(conn: &Connection, id: &str) -> Result<()> {
    let rid: Option<i64> = conn
        .prepare_cached("SELECT rid FROM residents WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if let Some(rid) = rid {
        conn.execute("DELETE FROM residents_fts WHERE rowid = ?1", [rid])?;
        conn.execute("DELETE FROM resident_tags WHERE resident_rid = ?1", [rid])?;
        conn.execute("DELETE FROM residents WHERE rid = ?1", [rid])?;
        conn.execute(
            "DELETE FROM field_clocks WHERE entity = 'resident' AND entity_id = ?1",
            [id],
        )?;
    }
    Ok(())
}

fn write_resident(conn: &Connection, row: &Row, touched: &mut Touched) -> Result<()> {
    let vals: Vec<Option<String>> =
        RESIDENT_SCALARS.iter().map(|f| text_of(row.fields.get(*f))).collect();
    let area = touched.area_rid(conn, row.str("area"))?;
    let attrs: Map<String, Value> = row
        .fields
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("attributes.")
                .filter(|_| !v.is_null())
                .map(|k| (k.to_owned(), v.clone()))
        })
        .collect();
    let attrs = (!attrs.is_empty()).then(|| Value::Object(attrs).to_string());
    // The search row is rewritten only when its text changed: a device pulling back its own
    // import must not delete and re-add 200,000 search rows.
    let existing: Option<(i64, String, bool)> = conn
        .prepare_cached(
            "SELECT rid, concat(name, '|', building, unit, room, address, '|', phone), deleted FROM residents WHERE id = ?1",
        )?
        .query_row([&row.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let place: String =
        [&vals[5], &vals[6], &vals[7], &vals[8]].into_iter().filter_map(|s| s.as_deref()).collect();
    let name = vals[0].clone().unwrap_or_default();
    let text = format!("{name}|{place}|{}", vals[4].as_deref().unwrap_or_default());
    let mut index = !row.deleted;
    let inserted = existing.is_none();
    let rid = match existing {
        Some((rid, old_text, old_deleted)) => {
            conn.prepare_cached(
                "UPDATE residents SET name = ?2, sex = ?3, birth_date = ?4, id_number = ?5, phone = ?6,
                     building = ?7, unit = ?8, room = ?9, address = ?10, notes = ?11, area_rid = ?12,
                     attributes = ?13, deleted = ?14, created_hlc = ?15, created_site = ?16
                 WHERE rid = ?1",
            )?
            .execute(params![
                rid, vals[0].clone().unwrap_or_default(), vals[1], vals[2], vals[3], vals[4], vals[5], vals[6],
                vals[7], vals[8], vals[9], area, attrs, row.deleted, row.created.0, row.created.1
            ])?;
            if old_text == text && old_deleted == row.deleted {
                index = false;
            } else if !old_deleted {
                conn.prepare_cached("DELETE FROM residents_fts WHERE rowid = ?1")?
                    .execute([rid])?;
            }
            conn.prepare_cached("DELETE FROM resident_tags WHERE resident_rid = ?1")?
                .execute([rid])?;
            rid
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO residents (id, name, sex, birth_date, id_number, phone, building, unit, room,
                     address, notes, area_rid, attributes, deleted, created_hlc, created_site)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?
            .execute(params![
                row.id, vals[0].clone().unwrap_or_default(), vals[1], vals[2], vals[3], vals[4], vals[5], vals[6],
                vals[7], vals[8], vals[9], area, attrs, row.deleted, row.created.0, row.created.1
            ])?;
            index = false;
            conn.last_insert_rowid()
        }
    };
    for (k, v) in &row.fields {
        if let Some(key) = k.strip_prefix("tags.") {
            if v.as_bool() == Some(true) {
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO tags (key, label_zh, label_en) VALUES (?1, ?1, ?1)",
                )?
                .execute([key])?;
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO resident_tags (resident_rid, tag_id) SELECT ?1, id FROM tags WHERE key = ?2",
                )?
                .execute(params![rid, key])?;
            }
        }
    }
    if index {
        conn.prepare_cached(
            "INSERT INTO residents_fts (rowid, name, place, phone) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![rid, name, place, vals[4]])?;
    }
    put_clocks(conn, entity::RESIDENT, row, inserted)
}

fn write_request(conn: &Connection, row: &Row, touched: &mut Touched) -> Result<()> {
    let t = |f: &str| text_of(row.fields.get(f));
    let area = touched.area_rid(conn, row.str("area"))?;
    let status = t("status").unwrap_or_else(|| "new".into());
    let open =
        crate::requests::Status::parse(&status).is_some_and(crate::requests::Status::is_open);
    let existing: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT rid, description || '|' || ifnull(address, '') FROM requests WHERE id = ?1",
        )?
        .query_row([&row.id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let text =
        format!("{}|{}", t("description").unwrap_or_default(), t("address").unwrap_or_default());
    let p = params![
        row.id,
        t("resident_id"),
        t("category").unwrap_or_default(),
        t("channel").unwrap_or_else(|| "phone".into()),
        t("description").unwrap_or_default(),
        json_text(row.fields.get("answers")).unwrap_or_else(|| "{}".into()),
        t("address"),
        area,
        t("priority").unwrap_or_else(|| "normal".into()),
        t("proposed").unwrap_or_else(|| "normal".into()),
        json_text(row.fields.get("reasons")).unwrap_or_else(|| "[]".into()),
        t("override_why"),
        status,
        row.fields.get("round").and_then(Value::as_i64).unwrap_or(1),
        row.fields.get("paused").and_then(Value::as_bool).unwrap_or(false),
        t("assignee"),
        t("merged_into"),
        json_text(row.fields.get("dup_hint")),
        t("checkin_key"),
        t("created_at").unwrap_or_default(),
        row.created.0,
        row.created.1,
        t("updated_at").unwrap_or_default(),
        open
    ];
    let inserted = existing.is_none();
    let reindex = match existing {
        Some((rid, old_text)) => {
            conn.prepare_cached(
                "UPDATE requests SET resident_id = ?2, category = ?3, channel = ?4, description = ?5,
                     answers = ?6, address = ?7, area_rid = ?8, priority = ?9, proposed = ?10, reasons = ?11,
                     override_why = ?12, status = ?13, round = ?14, paused = ?15, assignee = ?16,
                     merged_into = ?17, dup_hint = ?18, checkin_key = ?19, created_at = ?20,
                     created_hlc = ?21, created_site = ?22, updated_at = ?23, is_open = ?24
                 WHERE id = ?1",
            )?
            .execute(p)?;
            // Search rows of new requests are written per page (`index_new`); an existing
            // one's only when its words changed.
            (old_text != text).then_some(rid)
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO requests (id, resident_id, category, channel, description, answers, address,
                     area_rid, priority, proposed, reasons, override_why, status, round, paused, assignee,
                     merged_into, dup_hint, checkin_key, created_at, created_hlc, created_site, updated_at, is_open)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
                         ?19, ?20, ?21, ?22, ?23, ?24)",
            )?
            .execute(p)?;
            None
        }
    };
    if let Some(rid) = reindex {
        conn.prepare_cached("DELETE FROM requests_fts WHERE rowid = ?1")?.execute([rid])?;
        let place: String = match t("address") {
        Some(a) => a,
        None => match t("resident_id") {
            Some(res) => conn
                .prepare_cached(
                    "SELECT ifnull(building, '') || ifnull(unit, '') || ifnull(room, '') || ifnull(address, '')
                     FROM residents WHERE id = ?1",
                )?
                .query_row([res], |r| r.get(0))
                .optional()?
                .unwrap_or_default(),
            None => String::new(),
        },
        };
        conn.prepare_cached(
            "INSERT INTO requests_fts (rowid, description, place) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![rid, t("description").unwrap_or_default(), place])?;
    }
    put_clocks(conn, entity::REQUEST, row, inserted)
}

fn apply_alias(conn: &Connection, row: &Row, touched: &mut Touched) -> Result<()> {
    if row.str("entity") != Some(entity::RESIDENT) {
        return Ok(());
    }
    let (from, Some(to)) = (&row.id, row.str("to")) else { return Ok(()) };
    let has = |id: &str| -> Result<bool> {
        Ok(conn
            .prepare_cached("SELECT 1 FROM residents WHERE id = ?1")?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    };
    if has(from)? {
        if has(to)? {
            purge_resident(conn, from)?;
        } else {
            conn.execute("UPDATE residents SET id = ?2 WHERE id = ?1", [from, to])?;
            conn.execute(
                "UPDATE field_clocks SET entity_id = ?2 WHERE entity = 'resident' AND entity_id = ?1",
                [from, to],
            )?;
        }
    }
    let mut stmt = conn.prepare_cached("SELECT id FROM requests WHERE resident_id = ?1")?;
    let ids: Vec<String> =
        stmt.query_map([from], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    conn.execute("UPDATE requests SET resident_id = ?2 WHERE resident_id = ?1", [from, to])?;
    touched.requests.extend(ids);
    Ok(())
}

fn write_conflict(conn: &Connection, row: &Row) -> Result<()> {
    let f = &row.fields;
    let stamp = |k: &str| -> (i64, String) {
        serde_json::from_value::<Stamp>(f.get(k).cloned().unwrap_or(Value::Null))
            .map(|s| (s.0, s.1))
            .unwrap_or_default()
    };
    let (lh, ls) = stamp("lost_stamp");
    let (wh, ws) = stamp("won_stamp");
    conn.prepare_cached(
        "INSERT OR IGNORE INTO sync_conflicts (id, entity, entity_id, field, lost, lost_by, lost_hlc,
             lost_site, won, won_by, won_hlc, won_site, op_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        row.id,
        row.str("entity").unwrap_or_default(),
        row.str("entity_id").unwrap_or_default(),
        row.str("field").unwrap_or_default(),
        json_text(f.get("lost")),
        row.str("lost_by").unwrap_or_default(),
        lh,
        ls,
        json_text(f.get("won")),
        row.str("won_by").unwrap_or_default(),
        wh,
        ws,
        row.str("op_id").unwrap_or_default()
    ])?;
    Ok(())
}

fn write_reference(conn: &Connection, row: &Row) -> Result<()> {
    let gone = row.deleted;
    let b = |f: &str| row.fields.get(f).and_then(Value::as_bool).unwrap_or(false);
    let s = |f: &str| row.str(f).unwrap_or_default().to_owned();
    match row.entity.as_str() {
        entity::CATEGORY if !gone => {
            conn.execute(
                "INSERT INTO categories (key, label_zh, label_en, base, questions, sort, active)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (key) DO UPDATE SET label_zh = excluded.label_zh, label_en = excluded.label_en,
                     base = excluded.base, questions = excluded.questions, sort = excluded.sort, active = excluded.active",
                params![
                    row.id, s("label_zh"), s("label_en"), s("base"),
                    json_text(row.fields.get("questions")).unwrap_or_else(|| "[]".into()),
                    row.fields.get("sort").and_then(Value::as_i64).unwrap_or(0), b("active")
                ],
            )?;
        }
        entity::SLA_POLICY => {
            if gone {
                conn.execute(
                    "DELETE FROM sla_policies WHERE category = ?1 AND priority = ?2 AND mode = ?3",
                    params![s("category"), s("priority"), s("mode")],
                )?;
            } else {
                conn.execute(
                    "INSERT INTO sla_policies (category, priority, mode, policy) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (category, priority, mode) DO UPDATE SET policy = excluded.policy",
                    params![s("category"), s("priority"), s("mode"), json_text(row.fields.get("policy"))],
                )?;
            }
        }
        entity::CALENDAR_DAY => {
            if gone {
                conn.execute("DELETE FROM calendar_days WHERE date = ?1", [&row.id])?;
            } else {
                conn.execute(
                    "INSERT INTO calendar_days (date, kind, name, provisional) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, name = excluded.name,
                         provisional = excluded.provisional",
                    params![row.id, s("kind"), s("name"), b("provisional")],
                )?;
            }
        }
        // A setting the server refused (a role that may not set it) comes back as a
        // tombstone: the device goes back to the default rather than show a rule not in force.
        entity::DISTRICT_SETTING if gone => {
            conn.execute("DELETE FROM district_settings WHERE key = ?1", [&row.id])?;
        }
        entity::DISTRICT_SETTING => {
            conn.execute(
                "INSERT INTO district_settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![row.id, s("value")],
            )?;
        }
        entity::CHECKIN_RULE if !gone => {
            conn.execute(
                "INSERT INTO checkin_rules (key, tag, category, every, lockdown_only, description, active)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (key) DO UPDATE SET tag = excluded.tag, category = excluded.category,
                     every = excluded.every, lockdown_only = excluded.lockdown_only,
                     description = excluded.description, active = excluded.active",
                params![row.id, s("tag"), s("category"), s("every"), b("lockdown_only"), s("description"), b("active")],
            )?;
        }
        _ => {}
    }
    Ok(())
}

/// Deletes the residents, requests and events this store holds from the server (with their
/// search rows, tags and clocks), keeping those in `keep` (rows with ops waiting) and what
/// they need: a kept request's resident and events. Returns how many rows went.
pub(crate) fn forget_synced(conn: &Connection, keep: &crate::sync::client::Keys) -> Result<usize> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS resync_keep (entity TEXT NOT NULL, id TEXT NOT NULL,
             PRIMARY KEY (entity, id)) WITHOUT ROWID;
         DELETE FROM temp.resync_keep;",
    )?;
    let mut ins =
        conn.prepare_cached("INSERT OR IGNORE INTO temp.resync_keep (entity, id) VALUES (?1, ?2)")?;
    for (e, id) in keep {
        ins.execute([e, id])?;
    }
    conn.execute_batch(
        "INSERT OR IGNORE INTO temp.resync_keep (entity, id)
             SELECT 'resident', q.resident_id FROM requests q
             JOIN temp.resync_keep k ON k.entity = 'request' AND k.id = q.id
             WHERE q.resident_id IS NOT NULL;
         CREATE TEMP TABLE resync_gone_residents AS
             SELECT rid, id FROM residents
             WHERE id NOT IN (SELECT id FROM temp.resync_keep WHERE entity = 'resident');
         CREATE TEMP TABLE resync_gone_requests AS
             SELECT rid, id FROM requests
             WHERE id NOT IN (SELECT id FROM temp.resync_keep WHERE entity = 'request');",
    )?;
    let volunteers = super::tables::forget(conn)? as i64;
    let gone: i64 = volunteers
        + conn.query_row(
            "SELECT (SELECT count(*) FROM temp.resync_gone_residents)
              + (SELECT count(*) FROM temp.resync_gone_requests)",
            [],
            |r| r.get::<_, i64>(0),
        )?;
    conn.execute_batch(
        "DELETE FROM residents_fts WHERE rowid IN (SELECT rid FROM temp.resync_gone_residents);
         DELETE FROM resident_tags WHERE resident_rid IN (SELECT rid FROM temp.resync_gone_residents);
         DELETE FROM field_clocks WHERE entity = 'resident'
             AND entity_id IN (SELECT id FROM temp.resync_gone_residents);
         DELETE FROM residents WHERE rid IN (SELECT rid FROM temp.resync_gone_residents);
         DELETE FROM requests_fts WHERE rowid IN (SELECT rid FROM temp.resync_gone_requests);
         DELETE FROM request_events WHERE request_id IN (SELECT id FROM temp.resync_gone_requests)
             AND id NOT IN (SELECT id FROM temp.resync_keep WHERE entity = 'request_event');
         DELETE FROM field_clocks WHERE entity = 'request'
             AND entity_id IN (SELECT id FROM temp.resync_gone_requests);
         DELETE FROM requests WHERE rid IN (SELECT rid FROM temp.resync_gone_requests);
         DROP TABLE temp.resync_gone_residents;
         DROP TABLE temp.resync_gone_requests;
         DELETE FROM temp.resync_keep;",
    )?;
    Ok(gone as usize)
}
