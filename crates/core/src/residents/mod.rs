//! Residents: the people of a district, their place in the address tree, tags and attributes.
//! Commands here (create, edit, delete) go through the one write path; the importer and the
//! demo use the same [`writer`] underneath.

mod bulk;
mod draft;
pub mod list;
mod read;
pub mod tags;
pub(crate) mod writer;

use serde::{Deserialize, Serialize};
use serde_json::json;

pub use bulk::create_many;
pub use draft::{ResidentDraft, Sex};
pub use read::{
    count, for_each, get, history, search, search_rids, Filter, HistoryEntry, Resident,
};

use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::write::AuditEntry;
use writer::{Change, Writer};

/// Validates what a person typed for a new or edited resident, with the importer's rules.
pub(crate) fn validate(d: &mut ResidentDraft, today: chrono::NaiveDate) -> Result<()> {
    // The same name rules as an import, so a typed-in 王　芳 matches an imported 王芳.
    d.name = crate::identity::clean_name(&d.name);
    if d.name.is_empty() {
        return Err(CoreError::Invalid("a resident needs a name".into()));
    }
    if let Some(raw) = d.id_number.take().filter(|s| !s.trim().is_empty()) {
        let parsed = crate::identity::parse_id_number(&raw, today)
            .map_err(|e| CoreError::Invalid(format!("identity number: {e}")))?;
        d.sex = Some(parsed.sex);
        d.birth_date = Some(parsed.birth_date);
        d.id_number = Some(parsed.number);
    }
    if let Some(raw) = d.phone.take().filter(|s| !s.trim().is_empty()) {
        let phone = crate::identity::parse_phone(&raw)
            .map_err(|e| CoreError::Invalid(format!("phone: {e}")))?;
        d.phone = Some(phone.number);
    }
    if d.id_number.is_none() && d.phone.is_none() {
        return Err(CoreError::Invalid(
            "a resident needs an identity number or a phone, so they can be found again".into(),
        ));
    }
    Ok(())
}

/// Adds one resident (typed in by an official).
pub fn create(ctx: &mut Ctx<'_>, mut draft: ResidentDraft) -> Result<Resident> {
    validate(&mut draft, ctx.clock.now().date_naive())?;
    let id = ctx.write(|w| create_in(w, &draft))?;
    get(ctx.store, &id)?.ok_or_else(|| CoreError::Internal("created resident not found".into()))
}

/// The resident creation inside another command's transaction (a request taken in for
/// someone not yet on the roster). `draft` is validated already.
pub(crate) fn create_in(w: &mut crate::write::Write<'_>, draft: &ResidentDraft) -> Result<String> {
    if writer::stored_by_key(w.tx(), draft)?.is_some() {
        return Err(CoreError::Invalid(
            "a resident with this identity number (or this name and phone) already exists".into(),
        ));
    }
    let mut wr = Writer::default();
    let id = wr.insert(w, draft, None)?;
    let row = writer::row_json(w.tx(), &id)?;
    let op = w.emit(
        "residents.create",
        &json!({ "residents": [row], "areas": wr.areas.created, "tags": wr.tags.created }),
    )?;
    w.audit(AuditEntry {
        after: Some(row),
        ..AuditEntry::about("resident.create", "resident", &id, op.op_id)
    })?;
    Ok(id)
}

/// An edit of one resident: `Some(None)` clears a field, `None` leaves it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentPatch {
    pub name: Option<String>,
    pub id_number: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub building: Option<Option<String>>,
    pub unit: Option<Option<String>>,
    pub room: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
}

/// Edits one resident; only the fields that really change get a clock, an op and an audit line.
pub fn update(ctx: &mut Ctx<'_>, id: &str, patch: ResidentPatch) -> Result<Resident> {
    let today = ctx.clock.now().date_naive();
    ctx.write(|w| {
        let stored = writer::stored_by_id(w.tx(), id)?
            .ok_or_else(|| CoreError::NotFound(format!("resident {id}")))?;
        // Validate the edited identity through the same rules as a new resident.
        let mut probe = ResidentDraft {
            name: patch
                .name
                .clone()
                .unwrap_or_else(|| stored.values[0].clone().unwrap_or_default()),
            id_number: patch.id_number.clone().unwrap_or_else(|| stored.values[3].clone()),
            phone: patch.phone.clone().unwrap_or_else(|| stored.values[4].clone()),
            ..ResidentDraft::default()
        };
        validate(&mut probe, today)?;
        let mut want = stored.values.clone();
        want[0] = Some(probe.name.clone());
        want[3] = probe.id_number.clone();
        want[4] = probe.phone.clone();
        if probe.id_number.is_some() {
            want[1] = probe.sex.map(|s| s.code().to_owned());
            want[2] = probe.birth_date.map(|b| b.to_string());
        }
        for (i, field) in [
            (6, &patch.building),
            (7, &patch.unit),
            (8, &patch.room),
            (9, &patch.address),
            (10, &patch.notes),
        ] {
            if let Some(v) = field {
                want[i] = v.as_deref().map(crate::identity::clean_text).filter(|s| !s.is_empty());
            }
        }
        if let Some(idn) = &want[3] {
            if stored.values[3].as_ref() != Some(idn)
                && writer::stored_by_key(
                    w.tx(),
                    &ResidentDraft { id_number: Some(idn.clone()), ..Default::default() },
                )?
                .is_some()
            {
                return Err(CoreError::Invalid(
                    "another resident already has this identity number".into(),
                ));
            }
        }
        let mut changes: Vec<Change> = Vec::new();
        for (i, (now, new)) in stored.values.iter().zip(want.iter()).enumerate() {
            if now != new {
                changes.push(Change {
                    field: writer::COLUMNS[i].into(),
                    before: now.clone(),
                    after: new.clone(),
                });
            }
        }
        let mut wr = Writer::default();
        let (mut add, mut remove) = (Vec::new(), Vec::new());
        for word in &patch.add_tags {
            let (tag, key) = wr.tags.resolve(w, word)?;
            if !stored.tag_ids.contains(&tag) && !add.contains(&tag) {
                add.push(tag);
                changes.push(Change { field: "tags".into(), before: None, after: Some(key) });
            }
        }
        for word in &patch.remove_tags {
            if let Some(tag) = tags::find_in(w.tx(), word)? {
                if stored.tag_ids.contains(&tag) && !remove.contains(&tag) {
                    remove.push(tag);
                    changes.push(Change {
                        field: "tags".into(),
                        before: Some(word.clone()),
                        after: None,
                    });
                }
            }
        }
        if changes.is_empty() {
            return Err(CoreError::Invalid("nothing to change".into()));
        }
        let hlc = wr.apply(w, &stored, &changes, &add, &remove)?;
        let op =
            w.emit("residents.update", &json!({ "id": id, "hlc": hlc.0, "changes": changes }))?;
        let before: serde_json::Map<_, _> =
            changes.iter().map(|c| (c.field.clone(), json!(c.before))).collect();
        let after: serde_json::Map<_, _> =
            changes.iter().map(|c| (c.field.clone(), json!(c.after))).collect();
        w.audit(AuditEntry {
            before: Some(before.into()),
            after: Some(after.into()),
            ..AuditEntry::about("resident.update", "resident", id, op.op_id)
        })?;
        Ok(())
    })?;
    get(ctx.store, id)?.ok_or_else(|| CoreError::NotFound(format!("resident {id}")))
}

/// Shows an official one masked value of a resident in full (`id_number` or `phone`). Lists
/// mask them; seeing one is recorded in the audit log and synced, like an export.
pub fn reveal(ctx: &mut Ctx<'_>, id: &str, field: &str) -> Result<Option<String>> {
    let column = match field {
        "id_number" => "id_number",
        "phone" => "phone",
        other => return Err(CoreError::Invalid(format!("{other} is not a masked field"))),
    };
    let (value, area): (Option<String>, Option<String>) = {
        let sql = format!(
            "SELECT r.{column}, a.id FROM residents r LEFT JOIN areas a ON a.rid = r.area_rid
             WHERE r.id = ?1 AND r.deleted = 0"
        );
        let mut stmt = ctx.store.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query([id])?;
        match rows.next()? {
            Some(row) => (row.get(0)?, row.get(1)?),
            None => return Err(CoreError::NotFound(format!("resident {id}"))),
        }
    };
    // The area as it is now: the district's access report places the reveal there even if
    // the resident later moves or is no longer held.
    let record = json!({ "id": id, "field": field, "area": area });
    ctx.write(|w| {
        let op = w.emit("residents.reveal", &record)?;
        w.audit(AuditEntry {
            after: Some(record.clone()),
            ..AuditEntry::about("resident.reveal", "resident", id, op.op_id)
        })?;
        Ok(())
    })?;
    Ok(value)
}
