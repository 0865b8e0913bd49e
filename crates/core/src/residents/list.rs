//! Listing residents by position for a table that scrolls through a million of them: ids of a
//! window in list order (grouped by grid, then roster order), counts, and the rows of a window
//! with their tags as keys. Reads only; every query is served by `residents_listed`.

use rusqlite::params_from_iter;

use crate::error::Result;
use crate::store::Store;

/// Which living residents a list covers. Areas are given as local area row numbers (a
/// community's grids included by the caller); an empty `areas` with `by_area` set selects
/// nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub by_area: bool,
    pub areas: Vec<i64>,
    pub tag: Option<i64>,
}

impl Selection {
    /// True when the selection cannot hold anyone (an area filter that matched no area).
    fn is_empty(&self) -> bool {
        self.by_area && self.areas.is_empty()
    }
}

fn where_clause(sel: &Selection) -> (String, Vec<i64>) {
    let mut sql = String::from("deleted = 0");
    let mut args = Vec::new();
    if sel.by_area {
        let marks = vec!["?"; sel.areas.len()].join(",");
        sql.push_str(&format!(" AND area_rid IN ({marks})"));
        args.extend(&sel.areas);
    }
    if let Some(tag) = sel.tag {
        sql.push_str(" AND rid IN (SELECT resident_rid FROM resident_tags WHERE tag_id = ?)");
        args.push(tag);
    }
    (sql, args)
}

pub fn count(store: &Store, sel: &Selection) -> Result<u64> {
    if sel.is_empty() {
        return Ok(0);
    }
    let (cond, args) = where_clause(sel);
    let sql = format!("SELECT count(*) FROM residents INDEXED BY residents_listed WHERE {cond}");
    let n: i64 =
        store.conn().prepare_cached(&sql)?.query_row(params_from_iter(args), |r| r.get(0))?;
    Ok(n as u64)
}

/// Row numbers of the window `[offset, offset + limit)` in list order.
pub fn window(store: &Store, sel: &Selection, offset: u64, limit: u32) -> Result<Vec<i64>> {
    if sel.is_empty() {
        return Ok(Vec::new());
    }
    let (cond, mut args) = where_clause(sel);
    let sql = format!(
        "SELECT rid FROM residents INDEXED BY residents_listed WHERE {cond}
         ORDER BY area_rid, rid LIMIT ? OFFSET ?"
    );
    args.push(i64::from(limit));
    args.push(offset as i64);
    let mut stmt = store.conn().prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A resident as a list line needs it: area as its row number (names come from a cache of
/// area paths), tags as keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub rid: i64,
    pub id: String,
    pub name: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub area_rid: Option<i64>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
}

/// The lines of the given residents, in the order given (missing or deleted ones left out).
pub fn lines(store: &Store, rids: &[i64]) -> Result<Vec<Line>> {
    if rids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; rids.len()].join(",");
    let sql = format!(
        "SELECT r.rid, r.id, r.name, r.sex, r.birth_date, r.id_number, r.phone, r.area_rid,
                r.building, r.unit, r.room, r.address, r.notes,
                (SELECT group_concat(t.key, ' ') FROM resident_tags rt JOIN tags t ON t.id = rt.tag_id
                 WHERE rt.resident_rid = r.rid)
         FROM residents r WHERE r.rid IN ({marks}) AND r.deleted = 0"
    );
    let mut stmt = store.conn().prepare(&sql)?;
    let found = stmt.query_map(params_from_iter(rids), |r| {
        let tags: Option<String> = r.get(13)?;
        Ok(Line {
            rid: r.get(0)?,
            id: r.get(1)?,
            name: r.get(2)?,
            sex: r.get(3)?,
            birth_date: r.get(4)?,
            id_number: r.get(5)?,
            phone: r.get(6)?,
            area_rid: r.get(7)?,
            building: r.get(8)?,
            unit: r.get(9)?,
            room: r.get(10)?,
            address: r.get(11)?,
            notes: r.get(12)?,
            tags: tags.map(|t| t.split(' ').map(str::to_owned).collect()).unwrap_or_default(),
        })
    })?;
    let mut by_rid: rustc_hash::FxHashMap<i64, Line> =
        found.map(|l| l.map(|l| (l.rid, l))).collect::<rusqlite::Result<_>>()?;
    Ok(rids.iter().filter_map(|rid| by_rid.remove(rid)).collect())
}

/// Street, community and grid names of every area, by area row number.
pub fn area_paths(store: &Store) -> Result<rustc_hash::FxHashMap<i64, AreaPath>> {
    let sql =
        format!("SELECT id, street, community, grid FROM ({})", crate::areas::area_paths_sql(None));
    let mut stmt = store.conn().prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get(0)?, AreaPath { street: r.get(1)?, community: r.get(2)?, grid: r.get(3)? }))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AreaPath {
    pub street: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
}

/// A number that changes whenever areas are added, so a cache of [`area_paths`] knows when to
/// reload (areas are never renamed or removed by this version).
pub fn areas_generation(store: &Store) -> Result<(i64, i64)> {
    Ok(store.conn().query_row("SELECT count(*), ifnull(max(rid), 0) FROM areas", [], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?)
}

/// Local row numbers of the areas named `community` (and optionally one of its grids named
/// `grid`), with every area below them. Names, because filters are chosen by name.
pub fn areas_named(store: &Store, community: Option<&str>, grid: Option<&str>) -> Result<Vec<i64>> {
    let mut stmt = store.conn().prepare_cached(
        "WITH RECURSIVE
           start(rid, id) AS (
             SELECT c.rid, c.id FROM areas c WHERE c.level = 'community' AND (?1 IS NULL OR c.name = ?1)
               AND ?2 IS NULL
             UNION ALL
             SELECT g.rid, g.id FROM areas g LEFT JOIN areas c ON c.id = g.parent_id
             WHERE g.level = 'grid' AND g.name = ?2 AND (?1 IS NULL OR c.name = ?1)),
           below(rid, id) AS (
             SELECT rid, id FROM start
             UNION SELECT a.rid, a.id FROM areas a JOIN below ON a.parent_id = below.id)
         SELECT rid FROM below ORDER BY rid",
    )?;
    let rows = stmt.query_map((community, grid), |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Living residents per area row number, from the listing index alone.
pub fn per_area(store: &Store) -> Result<rustc_hash::FxHashMap<i64, u64>> {
    let mut stmt = store.conn().prepare(
        "SELECT area_rid, count(*) FROM residents INDEXED BY residents_listed
         WHERE deleted = 0 AND area_rid IS NOT NULL GROUP BY area_rid",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Communities with their grids, in the order they were first seen.
pub fn communities(store: &Store) -> Result<Vec<(String, Vec<String>)>> {
    let mut stmt = store.conn().prepare(
        "SELECT c.name, g.name FROM areas c
         LEFT JOIN areas g ON g.parent_id = c.id AND g.level = 'grid'
         WHERE c.level = 'community' ORDER BY c.rid, g.rid",
    )?;
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let rows =
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?;
    for row in rows {
        let (community, grid) = row?;
        let at = match out.iter().position(|(c, _)| *c == community) {
            Some(i) => i,
            None => {
                out.push((community, Vec::new()));
                out.len() - 1
            }
        };
        if let Some(g) = grid {
            if !out[at].1.contains(&g) {
                out[at].1.push(g);
            }
        }
    }
    Ok(out)
}

/// The residents among `rids` that a selection covers, in the order given.
pub fn keep(store: &Store, sel: &Selection, rids: &[i64]) -> Result<Vec<i64>> {
    if sel.is_empty() {
        return Ok(Vec::new());
    }
    if rids.is_empty() || (!sel.by_area && sel.tag.is_none()) {
        return Ok(rids.to_vec());
    }
    let (cond, mut args) = where_clause(sel);
    let marks = vec!["?"; rids.len()].join(",");
    let sql = format!("SELECT rid FROM residents WHERE rid IN ({marks}) AND {cond}");
    let mut all: Vec<i64> = rids.to_vec();
    all.append(&mut args);
    let mut stmt = store.conn().prepare(&sql)?;
    let found: rustc_hash::FxHashSet<i64> =
        stmt.query_map(params_from_iter(all), |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(rids.iter().copied().filter(|r| found.contains(r)).collect())
}

/// The local row number of a living resident.
pub fn rid_of(store: &Store, id: &str) -> Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    Ok(store
        .conn()
        .prepare_cached("SELECT rid FROM residents WHERE id = ?1 AND deleted = 0")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// A resident's tags as (tag row id, key).
pub fn tags_of(store: &Store, rid: i64) -> Result<Vec<(i64, String)>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT t.id, t.key FROM resident_tags rt JOIN tags t ON t.id = rt.tag_id
         WHERE rt.resident_rid = ?1 ORDER BY t.id",
    )?;
    let rows = stmt.query_map([rid], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
