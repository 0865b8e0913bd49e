//! Volunteers: who can help (skills, home grid, weekly availability, how many tasks at once,
//! health), their assignments to requests (`assignment`), the dispatch ranking (`rank`, pure,
//! and `dispatch`, which feeds it from the store), the points ledger (`points`) and the
//! at-risk report (`report`).
//!
//! Every change is a command through the one write path. What a volunteer is (name, skills,
//! availability…) merges field by field like a resident; what a volunteer is booked for and
//! holds in points is decided by the server (sync::rules::volunteer): never booked beyond
//! capacity or into a clashing planned slot, a balance that never goes negative and a daily
//! cap on earned points, whatever two laptops recorded offline.

pub mod assignment;
pub mod availability;
pub(crate) mod demo;
pub mod dispatch;
pub mod points;
pub mod rank;
mod read;
pub mod refdata;
pub mod report;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use serde_json::json;

pub use availability::Availability;
pub use rank::{Health, Track};
pub use read::{get, list, VolunteerFilter};

use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::write::{AuditEntry, Write};

/// The sync entity and field-clock name of a volunteer.
pub(crate) const ENTITY: &str = "volunteer";

/// A volunteer as the app shows one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Volunteer {
    pub id: String,
    pub resident_id: Option<String>,
    pub name: String,
    /// In full: officials phone volunteers to dispatch them.
    pub phone: Option<String>,
    pub id_number_masked: Option<String>,
    pub area_id: Option<String>,
    /// Names from the street down (东栅街道 / 建设社区 / 第3网格).
    pub area_path: Vec<String>,
    pub skills: Vec<String>,
    pub availability: Availability,
    pub capacity: u32,
    pub health: Health,
    pub vehicle: Option<String>,
    pub notes: Option<String>,
    pub active: bool,
    /// Assignments not yet done or ended.
    pub load: u32,
    pub track: Track,
    #[ts(type = "number")]
    pub balance: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// What the form or an import gives for a new volunteer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct VolunteerDraft {
    pub resident_id: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    pub area_id: Option<String>,
    pub skills: Vec<String>,
    pub availability: Availability,
    pub capacity: u32,
    pub health: Option<Health>,
    pub vehicle: Option<String>,
    pub notes: Option<String>,
}

/// An edit: `None` leaves a field, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct VolunteerPatch {
    pub name: Option<String>,
    pub phone: Option<Option<String>>,
    pub area_id: Option<Option<String>>,
    pub skills: Option<Vec<String>>,
    pub availability: Option<Availability>,
    pub capacity: Option<u32>,
    pub health: Option<Health>,
    pub vehicle: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub active: Option<bool>,
}

fn blank_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The rules a volunteer keeps, whoever typed or imported them.
pub(crate) fn validate(
    conn: &rusqlite::Connection,
    d: &mut VolunteerDraft,
    today: chrono::NaiveDate,
) -> Result<()> {
    d.name = crate::identity::clean_name(&d.name);
    if d.name.is_empty() {
        return Err(CoreError::Invalid("a volunteer needs a name".into()));
    }
    if let Some(raw) = blank_none(d.phone.take()) {
        let p = crate::identity::parse_phone(&raw)
            .map_err(|e| CoreError::Invalid(format!("phone: {e}")))?;
        d.phone = Some(p.number);
    }
    if d.phone.is_none() {
        return Err(CoreError::Invalid("a volunteer needs a phone: dispatch calls them".into()));
    }
    if let Some(raw) = blank_none(d.id_number.take()) {
        let p = crate::identity::parse_id_number(&raw, today)
            .map_err(|e| CoreError::Invalid(format!("identity number: {e}")))?;
        d.id_number = Some(p.number);
    }
    if d.capacity == 0 {
        d.capacity = 1;
    }
    if d.capacity > 20 {
        return Err(CoreError::Invalid("how many tasks at once must be between 1 and 20".into()));
    }
    d.skills = refdata::check_skills(conn, std::mem::take(&mut d.skills))?;
    d.availability =
        std::mem::take(&mut d.availability).normalised().map_err(crate::Refusal::Availability)?;
    d.vehicle = blank_none(d.vehicle.take());
    d.notes = blank_none(d.notes.take());
    Ok(())
}

/// A draft's values as the `volunteers` table stores them, where they differ from the draft:
/// the home area by its row, skills and weekly hours as JSON, the health by its key.
struct Columns {
    area_rid: Option<i64>,
    skills: String,
    availability: String,
    health: &'static str,
}

impl Columns {
    fn of(conn: &rusqlite::Connection, d: &VolunteerDraft) -> Result<Columns> {
        Ok(Columns {
            area_rid: d.area_id.as_deref().map(|a| read::area_rid(conn, a)).transpose()?,
            skills: serde_json::to_string(&d.skills)?,
            availability: serde_json::to_string(&d.availability)?,
            health: d.health.unwrap_or(Health::Well).as_str(),
        })
    }
}

/// Adds one volunteer.
pub fn create(ctx: &mut Ctx<'_>, mut draft: VolunteerDraft) -> Result<Volunteer> {
    validate(ctx.store.conn(), &mut draft, ctx.clock.now().date_naive())?;
    let id = ctx.write(|w| {
        let id = insert(w, &draft)?;
        let op = w.emit("volunteer.create", &json!({ "volunteer_ids": [id] }))?;
        w.audit(AuditEntry {
            after: Some(
                json!({ "name": draft.name, "skills": draft.skills, "area": draft.area_id }),
            ),
            ..AuditEntry::about("volunteer.create", ENTITY, &id, op.op_id)
        })?;
        Ok(id)
    })?;
    get(ctx.store, &id)?.ok_or_else(|| CoreError::Internal("created volunteer not found".into()))
}

/// The row of a new volunteer, inside a command (the form, an import chunk, the demo). The
/// draft is validated already; an identity number already held by a volunteer is refused.
pub(crate) fn insert(w: &mut Write<'_>, d: &VolunteerDraft) -> Result<String> {
    if let Some(idn) = &d.id_number {
        let taken: Option<String> = rusqlite::OptionalExtension::optional(
            w.tx()
                .prepare_cached("SELECT name FROM volunteers WHERE id_number = ?1 AND deleted = 0")?
                .query_row([idn], |r| r.get(0)),
        )?;
        if let Some(name) = taken {
            return Err(CoreError::Invalid(format!(
                "{name} is already a volunteer with this identity number"
            )));
        }
    }
    let c = Columns::of(w.tx(), d)?;
    let id = uuid::Uuid::now_v7().to_string();
    let hlc = w.stamp();
    let at = w.at_rfc3339();
    w.tx()
        .prepare_cached(
            "INSERT INTO volunteers (id, resident_id, name, phone, id_number, area_rid, skills,
                 availability, capacity, health, vehicle, notes, created_at, updated_at,
                 created_hlc, created_site)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15)",
        )?
        .execute(rusqlite::params![
            id,
            d.resident_id,
            d.name,
            d.phone,
            d.id_number,
            c.area_rid,
            c.skills,
            c.availability,
            d.capacity,
            c.health,
            d.vehicle,
            d.notes,
            at,
            hlc.0,
            w.site_id().to_owned(),
        ])?;
    Ok(id)
}

/// Edits one volunteer; only fields that really change get a clock, and the op lists them.
pub fn update(ctx: &mut Ctx<'_>, id: &str, patch: VolunteerPatch) -> Result<Volunteer> {
    let today = ctx.clock.now().date_naive();
    let before =
        get(ctx.store, id)?.ok_or_else(|| CoreError::NotFound(format!("volunteer {id}")))?;
    let mut d = VolunteerDraft {
        resident_id: before.resident_id.clone(),
        name: patch.name.clone().unwrap_or_else(|| before.name.clone()),
        phone: patch.phone.clone().unwrap_or_else(|| before.phone.clone()),
        id_number: None,
        // An empty choice clears the home area (JSON has no way to say Some(None)).
        area_id: match patch.area_id.clone() {
            Some(a) => a.filter(|a| !a.trim().is_empty()),
            None => before.area_id.clone(),
        },
        skills: patch.skills.clone().unwrap_or_else(|| before.skills.clone()),
        availability: patch.availability.clone().unwrap_or_else(|| before.availability.clone()),
        capacity: patch.capacity.unwrap_or(before.capacity),
        health: Some(patch.health.unwrap_or(before.health)),
        vehicle: patch.vehicle.clone().unwrap_or_else(|| before.vehicle.clone()),
        notes: patch.notes.clone().unwrap_or_else(|| before.notes.clone()),
    };
    validate(ctx.store.conn(), &mut d, today)?;
    let active = patch.active.unwrap_or(before.active);
    let mut changed: Vec<(&str, serde_json::Value, serde_json::Value)> = Vec::new();
    let mut diff = |f: &'static str, old: serde_json::Value, new: serde_json::Value| {
        if old != new {
            changed.push((f, old, new));
        }
    };
    diff("name", json!(before.name), json!(d.name));
    diff("phone", json!(before.phone), json!(d.phone));
    diff("area", json!(before.area_id), json!(d.area_id));
    diff("skills", json!(before.skills), json!(d.skills));
    diff("availability", json!(before.availability), json!(d.availability));
    diff("capacity", json!(before.capacity), json!(d.capacity));
    diff("health", json!(before.health), json!(d.health.unwrap_or(Health::Well)));
    diff("vehicle", json!(before.vehicle), json!(d.vehicle));
    diff("notes", json!(before.notes), json!(d.notes));
    diff("active", json!(before.active), json!(active));
    if changed.is_empty() {
        return Ok(before);
    }
    ctx.write(|w| {
        let c = Columns::of(w.tx(), &d)?;
        w.tx()
            .prepare_cached(
                "UPDATE volunteers SET name = ?2, phone = ?3, area_rid = ?4, skills = ?5,
                     availability = ?6, capacity = ?7, health = ?8, vehicle = ?9, notes = ?10,
                     active = ?11, updated_at = ?12
                 WHERE id = ?1",
            )?
            .execute(rusqlite::params![
                id,
                d.name,
                d.phone,
                c.area_rid,
                c.skills,
                c.availability,
                d.capacity,
                c.health,
                d.vehicle,
                d.notes,
                active,
                w.at_rfc3339(),
            ])?;
        let hlc = w.stamp();
        for (f, _, _) in &changed {
            w.field_clock(ENTITY, id, f, hlc)?;
        }
        w.field_clock(ENTITY, id, "updated_at", hlc)?;
        let fields: Vec<&str> = changed.iter().map(|c| c.0).collect();
        let op = w.emit("volunteer.update", &json!({ "volunteer_ids": [id], "fields": fields }))?;
        // A phone is personal data: the audit says it changed, not what to.
        let shown =
            |f: &str, v: &serde_json::Value| if f == "phone" { json!("…") } else { v.clone() };
        w.audit(AuditEntry {
            before: Some(changed.iter().map(|(f, o, _)| (f.to_string(), shown(f, o))).collect()),
            after: Some(changed.iter().map(|(f, _, n)| (f.to_string(), shown(f, n))).collect()),
            ..AuditEntry::about("volunteer.update", ENTITY, id, op.op_id)
        })?;
        Ok(())
    })?;
    get(ctx.store, id)?.ok_or_else(|| CoreError::NotFound(format!("volunteer {id}")))
}
