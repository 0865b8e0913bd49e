//! Reading residents: one by id, search (FTS5 trigram), filtered lists for exports, history.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::OptionalExtension;
use serde::Serialize;

use super::draft::Sex;
use crate::error::Result;
use crate::store::Store;

/// A resident as people see it: names of places resolved, tags as labels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resident {
    pub id: String,
    pub name: String,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub street: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub attributes: BTreeMap<String, String>,
    pub batch_id: Option<String>,
}

const SELECT: &str = "
    SELECT r.id, r.name, r.sex, r.birth_date, r.id_number, r.phone, p.street, p.community, p.grid,
           r.building, r.unit, r.room, r.address, r.notes,
           (SELECT group_concat(t.label_zh, '、') FROM resident_tags rt JOIN tags t ON t.id = rt.tag_id
            WHERE rt.resident_rid = r.rid),
           r.attributes, (SELECT b.id FROM batches b WHERE b.rid = r.batch_rid)
    FROM residents r LEFT JOIN paths p ON p.id = r.area_rid";

fn with_paths(sql: &str) -> String {
    format!("WITH paths AS ({}) {sql}", crate::areas::area_paths_sql(None))
}

/// [`with_paths`] for one resident, found by `which` (a condition on `residents`): only that
/// resident's area is walked.
fn with_path_of(which: &str, sql: &str) -> String {
    let area = format!("rid IN (SELECT area_rid FROM residents WHERE {which})");
    format!("WITH paths AS ({}) {sql}", crate::areas::area_paths_sql(Some(&area)))
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Resident> {
    let tags: Option<String> = r.get(14)?;
    let attributes: Option<String> = r.get(15)?;
    Ok(Resident {
        id: r.get(0)?,
        name: r.get(1)?,
        sex: r.get::<_, Option<String>>(2)?.as_deref().and_then(Sex::from_code),
        birth_date: r.get::<_, Option<String>>(3)?.and_then(|d| d.parse().ok()),
        id_number: r.get(4)?,
        phone: r.get(5)?,
        street: r.get(6)?,
        community: r.get(7)?,
        grid: r.get(8)?,
        building: r.get(9)?,
        unit: r.get(10)?,
        room: r.get(11)?,
        address: r.get(12)?,
        notes: r.get(13)?,
        tags: tags.map(|t| t.split('、').map(str::to_owned).collect()).unwrap_or_default(),
        attributes: attributes.and_then(|a| serde_json::from_str(&a).ok()).unwrap_or_default(),
        batch_id: r.get(16)?,
    })
}

pub fn get(store: &Store, id: &str) -> Result<Option<Resident>> {
    let sql = with_path_of("id = ?1", &format!("{SELECT} WHERE r.id = ?1 AND r.deleted = 0"));
    Ok(store.conn().prepare_cached(&sql)?.query_row([id], from_row).optional()?)
}

pub fn count(store: &Store) -> Result<u64> {
    let n: i64 =
        store
            .conn()
            .query_row("SELECT count(*) FROM residents WHERE deleted = 0", [], |r| r.get(0))?;
    Ok(n as u64)
}

/// Finds residents by part of a name, an address (building, unit, room, or the name of their
/// street, community or grid), part of a phone, or a whole identity number. Three or more
/// characters use the trigram index; shorter queries (a two-character name) scan names.
pub fn search(store: &Store, query: &str, limit: u32) -> Result<Vec<Resident>> {
    let by_rid = with_path_of("rid = ?1", &format!("{SELECT} WHERE r.rid = ?1"));
    let mut stmt = store.conn().prepare_cached(&by_rid)?;
    let mut out = Vec::new();
    for rid in search_rids(store, query, limit)? {
        if let Some(r) = stmt.query_row([rid], from_row).optional()? {
            out.push(r);
        }
    }
    Ok(out)
}

/// The full-text query for what was typed: the text as a phrase, or when it carries spaces or
/// dashes (3幢-2单元-301, 138 1234 5678) also the text without them, as the index holds
/// addresses and mobiles run together (landlines keep their dash, so both are asked).
fn fts_phrases(q: &str) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let joined: String = q.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if joined != q && joined.chars().count() >= 3 {
        format!("{} OR {}", quote(q), quote(&joined))
    } else {
        quote(q)
    }
}

/// What [`search`] finds, as local row numbers, best first.
pub fn search_rids(store: &Store, query: &str, limit: u32) -> Result<Vec<i64>> {
    let q = crate::identity::clean_text(query);
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let upper = q.to_ascii_uppercase();
    if upper.len() == 18 || upper.len() == 15 {
        let found: Option<i64> = store
            .conn()
            .prepare_cached("SELECT rid FROM residents WHERE id_number = ?1 AND deleted = 0")?
            .query_row([&upper], |r| r.get(0))
            .optional()?;
        if let Some(rid) = found {
            return Ok(vec![rid]);
        }
    }
    let rows = if q.chars().count() >= 3 {
        // Residents whose text matches, then residents of areas whose name matches (an area
        // name is stored once in `areas`, not once per resident).
        let mut stmt = store.conn().prepare_cached(
            "SELECT r.rid FROM residents r JOIN (
                 SELECT hit, min(score) AS score FROM (
                     SELECT rowid AS hit, rank AS score FROM residents_fts
                     WHERE residents_fts MATCH ?1 ORDER BY rank LIMIT ?2)
                 GROUP BY hit
                 UNION ALL
                 SELECT rr.rid, 1e9 FROM residents rr
                 WHERE rr.deleted = 0 AND rr.area_rid IN (
                     WITH RECURSIVE hits(rid, id) AS (
                         SELECT rid, id FROM areas WHERE instr(name, ?3) > 0
                         UNION SELECT a.rid, a.id FROM areas a JOIN hits ON a.parent_id = hits.id)
                     SELECT rid FROM hits)
                 LIMIT ?2) f ON f.hit = r.rid
             WHERE r.deleted = 0 ORDER BY f.score, r.rid LIMIT ?2",
        )?;
        let phrase = fts_phrases(&q);
        let rows = stmt.query_map((phrase, limit, &q), |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    } else {
        let mut stmt = store.conn().prepare_cached(
            "SELECT rid FROM residents WHERE deleted = 0 AND instr(name, ?1) > 0
             ORDER BY (name = ?1) DESC, length(name), rid LIMIT ?2",
        )?;
        let rows = stmt.query_map((&q, limit), |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    Ok(rows)
}

/// Which residents a list or export covers. Grid and community match by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub community: Option<String>,
    pub grid: Option<String>,
    pub tag: Option<String>,
}

/// Streams the residents a filter selects, in address order, to `visit`.
pub fn for_each(
    store: &Store,
    filter: &Filter,
    visit: &mut dyn FnMut(Resident) -> Result<()>,
) -> Result<u64> {
    let tag_id = match &filter.tag {
        Some(t) => match super::tags::find(store, t)? {
            Some(id) => Some(id),
            // An unknown tag selects nobody rather than everybody.
            None => return Ok(0),
        },
        None => None,
    };
    let sql = with_paths(&format!(
        "{SELECT} WHERE r.deleted = 0
           AND (?1 IS NULL OR p.community = ?1)
           AND (?2 IS NULL OR p.grid = ?2)
           AND (?3 IS NULL OR EXISTS (SELECT 1 FROM resident_tags rt
                                      WHERE rt.resident_rid = r.rid AND rt.tag_id = ?3))
         ORDER BY p.community, p.grid, r.building, r.unit, r.room, r.rid"
    ));
    let mut stmt = store.conn().prepare(&sql)?;
    let mut rows = stmt.query((&filter.community, &filter.grid, tag_id))?;
    let mut n = 0;
    while let Some(row) = rows.next()? {
        visit(from_row(row)?)?;
        n += 1;
    }
    Ok(n)
}

/// One line of a person's history, from the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A person's history: the batch that created them and every entry that names them.
pub fn history(store: &Store, id: &str) -> Result<Vec<HistoryEntry>> {
    let mut stmt = store.conn().prepare(
        "SELECT at, actor, action, before, after FROM audit_log
         WHERE seq IN (SELECT audit_seq FROM audit_subjects WHERE entity_id = ?1)
            OR (action IN ('import.create', 'resident.create_many')
                AND batch_id = (SELECT b.id FROM batches b JOIN residents r ON r.batch_rid = b.rid
                                WHERE r.id = ?1)
                AND instr(entity_ids, ?1) > 0)
         ORDER BY seq",
    )?;
    let rows = stmt.query_map([id], |r| {
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Ok(HistoryEntry {
            at: r.get(0)?,
            actor: r.get(1)?,
            action: r.get(2)?,
            before: json(r.get(3)?),
            after: json(r.get(4)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
