//! Residents in the app: windows of the table, filters, the detail panel with its history,
//! revealing a masked value, editing, printing and exporting lists.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use rustc_hash::FxHashMap;
use serde_json::Value;

use super::types::*;
use super::{area_paths, cached_total, filter_key, lock, Desk, Open};
use crate::error::{CoreError, Result};
use crate::identity::{mask_id_number, mask_phone};
use crate::residents::list::{self, AreaPath, Line, Selection};
use crate::residents::{self, tags, Filter, ResidentPatch};
use crate::store::Store;

/// Most hits a search lists; a search is for finding someone, not for reading a district.
pub const SEARCH_CAP: u32 = 1000;
/// Most rows one window of the table may ask for.
const MAX_WINDOW: u32 = 500;
/// Most rows a printed list holds: beyond that, a narrower filter makes a usable list.
const PRINT_CAP: usize = 5000;

/// The residents a query's filters select. An unknown tag selects nobody, not everybody.
pub(super) fn selection(store: &Store, q: &ResidentQuery) -> Result<Selection> {
    let mut sel = Selection::default();
    if q.community.is_some() || q.grid.is_some() {
        sel.by_area = true;
        sel.areas = list::areas_named(store, q.community.as_deref(), q.grid.as_deref())?;
    }
    if let Some(tag) = &q.tag {
        match tags::find(store, tag)? {
            Some(id) => sel.tag = Some(id),
            None => {
                sel.by_area = true;
                sel.areas.clear();
            }
        }
    }
    Ok(sel)
}

fn filter_of(q: &ResidentQuery) -> Filter {
    Filter { community: q.community.clone(), grid: q.grid.clone(), tag: q.tag.clone() }
}

fn age(birth: Option<&str>, today: NaiveDate) -> Option<u32> {
    let b: NaiveDate = birth?.parse().ok()?;
    let mut years = today.year() - b.year();
    if (today.month(), today.day()) < (b.month(), b.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// Building, unit and room as people write them (3-2-301), or the free address.
fn address_line(l: &Line) -> String {
    let parts: Vec<&str> =
        [&l.building, &l.unit, &l.room].into_iter().filter_map(|p| p.as_deref()).collect();
    if parts.is_empty() {
        return l.address.clone().unwrap_or_default();
    }
    parts.join("-")
}

fn row_of(l: Line, paths: &FxHashMap<i64, AreaPath>, today: NaiveDate) -> ResidentRow {
    let path = l.area_rid.and_then(|a| paths.get(&a));
    ResidentRow {
        address: address_line(&l),
        id: l.id,
        name: l.name,
        sex: l.sex,
        age: age(l.birth_date.as_deref(), today),
        id_number: l.id_number.as_deref().map(mask_id_number),
        phone: l.phone.as_deref().map(mask_phone),
        community: path.and_then(|p| p.community.clone()),
        grid: path.and_then(|p| p.grid.clone()),
        tags: l.tags,
    }
}

/// Search hits under the query's filters, cached until the next write so that scrolling
/// through them does not search again.
fn hits(store: &Store, open: &Open, q: &ResidentQuery) -> Result<Arc<Vec<i64>>> {
    let key = (open.generation.load(Ordering::SeqCst), format!("{}\u{2}{}", q.text, filter_key(q)));
    if let Some(h) = lock(&open.cache).hits.get(&key) {
        return Ok(h.clone());
    }
    let found = residents::search_rids(store, &q.text, SEARCH_CAP)?;
    let found = Arc::new(list::keep(store, &selection(store, q)?, &found)?);
    let mut cache = lock(&open.cache);
    if cache.hits.len() > 64 {
        cache.hits.clear();
    }
    cache.hits.insert(key, found.clone());
    Ok(found)
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(items.iter().filter_map(text).collect::<Vec<_>>().join("、"))
            .filter(|s| !s.is_empty()),
        other => Some(other.to_string()),
    }
}

fn masked(field: &str, value: Option<String>) -> Option<String> {
    match field {
        "id_number" => value.map(|v| mask_id_number(&v)),
        "phone" => value.map(|v| mask_phone(&v)),
        _ => value,
    }
}

/// The field changes an audit entry records for one resident. Bulk entries key their
/// before/after by resident id; single edits key them by field.
fn changes(
    id: &str,
    action: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Vec<FieldChange> {
    if action == "resident.reveal" {
        let field = after.and_then(|a| a.get("field")).and_then(text).unwrap_or_default();
        return vec![FieldChange { field, before: None, after: None }];
    }
    if !matches!(action, "resident.update" | "import.update" | "import.undo" | "resident.create") {
        return Vec::new();
    }
    let pick = |v: Option<&Value>| -> serde_json::Map<String, Value> {
        let v = match v {
            Some(v) if v.get(id).is_some() => v.get(id),
            other => other,
        };
        v.and_then(Value::as_object).cloned().unwrap_or_default()
    };
    let (b, a) = (pick(before), pick(after));
    let mut fields: Vec<&String> = b.keys().chain(a.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter(|f| f.as_str() != "id")
        .map(|f| FieldChange {
            field: f.clone(),
            before: masked(f, b.get(f).and_then(text)),
            after: masked(f, a.get(f).and_then(text)),
        })
        .collect()
}

fn edit_to_patch(store: &Store, rid: i64, edit: ResidentEdit) -> Result<ResidentPatch> {
    let clearable =
        |v: Option<String>| v.map(|s| Some(s.trim().to_owned()).filter(|s| !s.is_empty()));
    let mut patch = ResidentPatch {
        name: edit.name.map(|n| n.trim().to_owned()),
        id_number: clearable(edit.id_number),
        phone: clearable(edit.phone),
        building: clearable(edit.building),
        unit: clearable(edit.unit),
        room: clearable(edit.room),
        address: clearable(edit.address),
        notes: clearable(edit.notes),
        ..ResidentPatch::default()
    };
    if patch.name.as_deref() == Some("") {
        return Err(CoreError::Invalid("a resident needs a name".into()));
    }
    if let Some(wanted) = edit.tags {
        let current = list::tags_of(store, rid)?;
        let mut wanted_ids = Vec::new();
        for word in wanted.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            match tags::find(store, word)? {
                Some(id) => {
                    wanted_ids.push(id);
                    if !current.iter().any(|(c, _)| *c == id) {
                        patch.add_tags.push(word.to_owned());
                    }
                }
                None => patch.add_tags.push(word.to_owned()),
            }
        }
        patch.remove_tags = current
            .into_iter()
            .filter(|(id, _)| !wanted_ids.contains(id))
            .map(|(_, key)| key)
            .collect();
    }
    Ok(patch)
}

impl Desk {
    /// A window of the residents table, or of a search's hits.
    pub fn residents_page(&self, q: &ResidentQuery) -> Result<ResidentPage> {
        let limit = q.limit.clamp(1, MAX_WINDOW);
        let today = self.clock.now().date_naive();
        self.read(|store, open| {
            let (total, rids) = if q.text.trim().is_empty() {
                let total = cached_total(store, open, q)?;
                let rids = list::window(store, &selection(store, q)?, u64::from(q.offset), limit)?;
                (total, rids)
            } else {
                let hits = hits(store, open, q)?;
                let start = (q.offset as usize).min(hits.len());
                let end = (start + limit as usize).min(hits.len());
                (hits.len() as u64, hits[start..end].to_vec())
            };
            let paths = area_paths(store, open)?;
            let rows =
                list::lines(store, &rids)?.into_iter().map(|l| row_of(l, &paths, today)).collect();
            Ok(ResidentPage { total, offset: q.offset, rows })
        })
    }

    /// Communities with their grids, and tags with how many residents carry each.
    pub fn resident_facets(&self) -> Result<Facets> {
        self.read(|store, open| {
            let generation = open.generation.load(Ordering::SeqCst);
            if let Some((g, f)) = &lock(&open.cache).facets {
                if *g == generation {
                    return Ok(f.clone());
                }
            }
            let paths = area_paths(store, open)?;
            let mut per_community: FxHashMap<String, u64> = FxHashMap::default();
            for (area, n) in list::per_area(store)? {
                if let Some(c) = paths.get(&area).and_then(|p| p.community.clone()) {
                    *per_community.entry(c).or_default() += n;
                }
            }
            let communities = list::communities(store)?
                .into_iter()
                .map(|(name, grids)| CommunityFacet {
                    residents: per_community.get(&name).copied().unwrap_or(0),
                    name,
                    grids,
                })
                .collect();
            let tags = tags::all(store)?
                .into_iter()
                .map(|t| TagFacet {
                    key: t.key,
                    label_zh: t.label_zh,
                    label_en: t.label_en,
                    vulnerability: t.vulnerability,
                    residents: t.residents,
                })
                .collect();
            let facets = Facets { communities, tags };
            lock(&open.cache).facets = Some((generation, facets.clone()));
            Ok(facets)
        })
    }

    /// One resident, masked, with their history.
    pub fn resident_detail(&self, id: &str) -> Result<ResidentDetail> {
        let today = self.clock.now().date_naive();
        self.read(|store, open| {
            let r = residents::get(store, id)?
                .ok_or_else(|| CoreError::NotFound(format!("resident {id}")))?;
            let rid = list::rid_of(store, id)?.unwrap_or_default();
            let tag_keys = list::tags_of(store, rid)?.into_iter().map(|(_, k)| k).collect();
            let birth = r.birth_date.map(|d| d.to_string());
            let history = residents::history(store, id)?
                .into_iter()
                .map(|h| HistoryLine {
                    changes: changes(id, &h.action, h.before.as_ref(), h.after.as_ref()),
                    at: h.at,
                    // The audit log names the acting profile by id; this device's own profile
                    // reads as its display name (accounts get theirs with sync).
                    actor: if h.actor == open.actor.id {
                        open.actor.display.clone()
                    } else {
                        h.actor
                    },
                    action: h.action,
                })
                .collect();
            let resident = ResidentView {
                age: age(birth.as_deref(), today),
                birth_date: birth,
                id: r.id,
                name: r.name,
                sex: r.sex.map(|s| s.code().to_owned()),
                id_number: r.id_number.as_deref().map(mask_id_number),
                phone: r.phone.as_deref().map(mask_phone),
                street: r.street,
                community: r.community,
                grid: r.grid,
                building: r.building,
                unit: r.unit,
                room: r.room,
                address: r.address,
                notes: r.notes,
                tags: tag_keys,
                attributes: r.attributes.into_iter().collect(),
                batch_id: r.batch_id,
            };
            Ok(ResidentDetail { resident, history })
        })
    }

    /// A masked value in full; the reveal is audited.
    pub fn resident_reveal(&self, id: &str, field: RevealField) -> Result<String> {
        let field = match field {
            RevealField::IdNumber => "id_number",
            RevealField::Phone => "phone",
        };
        let value = self.write(|ctx| residents::reveal(ctx, id, field))?;
        Ok(value.unwrap_or_default())
    }

    /// Saves an edit from the detail panel through the write path.
    pub fn resident_update(&self, id: &str, edit: ResidentEdit) -> Result<ResidentDetail> {
        self.write(|ctx| {
            let rid = list::rid_of(ctx.store, id)?
                .ok_or_else(|| CoreError::NotFound(format!("resident {id}")))?;
            let patch = edit_to_patch(ctx.store, rid, edit)?;
            residents::update(ctx, id, patch)
        })?;
        self.resident_detail(id)
    }

    /// A call list or a door-to-door list for the query's filters, in address order. Phones
    /// are in full (the list is for ringing people), so printing is audited like an export.
    pub fn print_list(&self, q: &ResidentQuery, kind: PrintKind) -> Result<PrintList> {
        let today = self.clock.now().date_naive();
        let filter = filter_of(q);
        let (rows, truncated, district) = self.read(|store, _| {
            let mut rows = Vec::new();
            let mut truncated = false;
            residents::for_each(store, &filter, &mut |r| {
                if rows.len() == PRINT_CAP {
                    truncated = true;
                    return Ok(());
                }
                let birth = r.birth_date.map(|d| d.to_string());
                rows.push(PrintRow {
                    age: age(birth.as_deref(), today),
                    name: r.name,
                    sex: r.sex.map(|s| s.code().to_owned()),
                    phone: r.phone,
                    community: r.community,
                    grid: r.grid,
                    building: r.building,
                    unit: r.unit,
                    room: r.room,
                    address: r.address,
                    tags: r.tags,
                    notes: r.notes,
                });
                Ok(())
            })?;
            Ok((rows, truncated, store.device().district.clone()))
        })?;
        let kind_name = match kind {
            PrintKind::Calls => "calls",
            PrintKind::Doors => "doors",
        };
        self.write(|ctx| {
            crate::export::record_printed(ctx, kind_name, &filter, rows.len() as u64)
        })?;
        Ok(PrintList {
            kind,
            district,
            community: q.community.clone(),
            grid: q.grid.clone(),
            tag: q.tag.clone(),
            generated_at: self.clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            rows,
            truncated,
        })
    }

    /// Writes the residents the query's filters select to a .csv or .xlsx file (audited).
    pub fn residents_export(&self, q: &ResidentQuery, path: &Path) -> Result<u64> {
        let filter = filter_of(q);
        self.write(|ctx| crate::export::export_residents(ctx, path, &filter))
    }
}
