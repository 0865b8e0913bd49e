//! Reading volunteers: one, or a list with each one's load, track record and points balance
//! computed from the assignments and the ledger in the same query (never counters that could
//! drift from the rows they count).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{Availability, Health, Track, Volunteer};
use crate::error::{CoreError, Result};
use crate::store::Store;

/// Which volunteers a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct VolunteerFilter {
    /// Name or phone digits; empty lists everyone.
    pub text: String,
    pub skill: Option<String>,
    /// An area id: volunteers at home there or below it.
    pub area_id: Option<String>,
    /// Include volunteers marked inactive.
    pub inactive: bool,
}

/// The address tree in memory: a district has hundreds to a few thousand areas, and dispatch
/// walks a path for each of thousands of volunteers.
pub(crate) struct AreaTree {
    by_rid: HashMap<i64, (String, Option<String>, String, String)>,
    rid_of: HashMap<String, i64>,
}

impl AreaTree {
    pub(crate) fn load(conn: &Connection) -> Result<AreaTree> {
        let mut stmt = conn.prepare_cached("SELECT rid, id, parent_id, level, name FROM areas")?;
        let mut by_rid = HashMap::new();
        let mut rid_of = HashMap::new();
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        for row in rows {
            let (rid, id, parent, level, name): (i64, String, Option<String>, String, String) =
                row?;
            rid_of.insert(id.clone(), rid);
            by_rid.insert(rid, (id, parent, level, name));
        }
        Ok(AreaTree { by_rid, rid_of })
    }

    pub(crate) fn id(&self, rid: i64) -> Option<&str> {
        self.by_rid.get(&rid).map(|a| a.0.as_str())
    }

    pub(crate) fn rid(&self, id: &str) -> Option<i64> {
        self.rid_of.get(id).copied()
    }

    /// Area ids from the district down to `rid`.
    pub(crate) fn path_ids(&self, rid: Option<i64>) -> Vec<String> {
        let mut out = Vec::new();
        let mut at = rid.and_then(|r| self.by_rid.get(&r));
        while let Some((id, parent, _, _)) = at {
            out.push(id.clone());
            at = parent.as_ref().and_then(|p| self.rid_of.get(p)).and_then(|r| self.by_rid.get(r));
            if out.len() > 8 {
                break;
            }
        }
        out.reverse();
        out
    }

    /// Names from the street down (the district is the store's own and goes without saying).
    pub(crate) fn path_names(&self, rid: Option<i64>) -> Vec<String> {
        self.path_ids(rid)
            .iter()
            .filter_map(|id| self.rid_of.get(id).and_then(|r| self.by_rid.get(r)))
            .filter(|a| a.2 != "district")
            .map(|a| a.3.clone())
            .collect()
    }
}

pub(crate) fn area_rid(conn: &Connection, id: &str) -> Result<i64> {
    conn.prepare_cached("SELECT rid FROM areas WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| CoreError::Invalid("that grid or community is not known here".into()))
}

/// The columns [`row`] reads, with each volunteer's aggregates.
pub(crate) const SELECT: &str = "
    SELECT v.id, v.resident_id, v.name, v.phone, v.id_number, v.area_rid, v.skills,
           v.availability, v.capacity, v.health, v.vehicle, v.notes, v.active, v.created_at,
           v.updated_at,
           (SELECT count(*) FROM assignments a WHERE a.volunteer_id = v.id
                AND a.status IN ('proposed', 'accepted', 'started')),
           (SELECT count(*) FROM assignments a WHERE a.volunteer_id = v.id AND a.status = 'done'),
           (SELECT count(*) FROM assignments a WHERE a.volunteer_id = v.id AND a.status = 'no_show'),
           (SELECT count(*) FROM assignments a WHERE a.volunteer_id = v.id AND a.late = 1),
           (SELECT a.status = 'no_show' FROM assignments a WHERE a.volunteer_id = v.id
                AND a.status IN ('done', 'no_show') ORDER BY a.assigned_at DESC LIMIT 1),
           (SELECT ifnull(sum(amount), 0) FROM points_ledger p WHERE p.volunteer_id = v.id)
    FROM volunteers v";

pub(crate) fn row(r: &rusqlite::Row<'_>, tree: &AreaTree) -> rusqlite::Result<Volunteer> {
    let area_rid: Option<i64> = r.get(5)?;
    let json = |i: usize| -> rusqlite::Result<String> { r.get(i) };
    Ok(Volunteer {
        id: r.get(0)?,
        resident_id: r.get(1)?,
        name: r.get(2)?,
        phone: r.get(3)?,
        id_number_masked: r
            .get::<_, Option<String>>(4)?
            .map(|n| crate::identity::mask_id_number(&n)),
        area_id: area_rid.and_then(|a| tree.id(a)).map(str::to_owned),
        area_path: tree.path_names(area_rid),
        skills: serde_json::from_str(&json(6)?).unwrap_or_default(),
        availability: serde_json::from_str::<Availability>(&json(7)?).unwrap_or_default(),
        capacity: r.get(8)?,
        health: Health::parse(&r.get::<_, String>(9)?).unwrap_or(Health::Well),
        vehicle: r.get(10)?,
        notes: r.get(11)?,
        active: r.get(12)?,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
        load: r.get(15)?,
        track: Track {
            done: r.get(16)?,
            no_show: r.get(17)?,
            late: r.get(18)?,
            last_no_show: r.get::<_, Option<bool>>(19)?.unwrap_or(false),
        },
        balance: r.get(20)?,
    })
}

pub fn get(store: &Store, id: &str) -> Result<Option<Volunteer>> {
    get_in(store.conn(), id)
}

pub(crate) fn get_in(conn: &Connection, id: &str) -> Result<Option<Volunteer>> {
    let tree = AreaTree::load(conn)?;
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE v.id = ?1 AND v.deleted = 0"))?
        .query_row([id], |r| row(r, &tree))
        .optional()?)
}

/// Volunteers under a filter, by name. A district has thousands, not millions: the list is
/// read whole and filtered here, where skills and area paths are at hand.
pub fn list(store: &Store, filter: &VolunteerFilter) -> Result<Vec<Volunteer>> {
    list_in(store.conn(), filter)
}

pub(crate) fn list_in(conn: &Connection, filter: &VolunteerFilter) -> Result<Vec<Volunteer>> {
    let tree = AreaTree::load(conn)?;
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE v.deleted = 0 AND (?1 OR v.active = 1) ORDER BY v.name, v.id"
    ))?;
    let text = filter.text.trim().to_lowercase();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let mut out = Vec::new();
    for v in stmt.query_map([filter.inactive], |r| row(r, &tree))? {
        let v = v?;
        if !text.is_empty() {
            let by_name = v.name.to_lowercase().contains(&text);
            let by_phone = digits.len() >= 3
                && digits.len() == text.len()
                && v.phone.as_deref().is_some_and(|p| p.contains(&digits));
            if !by_name && !by_phone {
                continue;
            }
        }
        if filter.skill.as_ref().is_some_and(|s| !v.skills.contains(s)) {
            continue;
        }
        if let Some(a) = &filter.area_id {
            let rid = v.area_id.as_deref().and_then(|id| tree.rid(id));
            if !tree.path_ids(rid).contains(a) {
                continue;
            }
        }
        out.push(v);
    }
    Ok(out)
}
