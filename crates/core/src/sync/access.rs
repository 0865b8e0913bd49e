//! Who saw residents' identity numbers and phones in full, and who exported or printed lists
//! of them: the report a district reads from its server's op log, per place.
//!
//! Reveals, exports and prints are audit-only ops: each device records them in its own chain
//! and pushes them like any other op, so the server's log holds every computer's. The report
//! places each one where the data lives: a reveal under the resident's area (as the server
//! holds it now), an export or print under the area its filter chose, recorded by the device
//! at the time (`area` in the payload); a list of the whole district, or an op recorded
//! before devices named the area, sits at the district's level. A reader sees only the places
//! within their own area, and an op whose place cannot be told only the whole district's
//! readers see.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{access_token, NetError, Transport};
use super::hub::{HubError, HubRead};
use super::wire::{entity, Role};
use crate::areas::{area_id, Level};
use crate::clock::Clock;
use crate::error::{CoreError, Result};
use crate::store::Store;

/// The op kinds the report lists.
pub const KINDS: [&str; 5] =
    ["residents.reveal", "export.residents", "export.print", "export.rejected", "store.backup"];

/// Whether a role may read the report: anyone who answers for an area's officials (a grid
/// lead and above). A grid official reads no one's access but their own, in their audit log.
pub fn may_read(role: Role) -> bool {
    role != Role::GridOfficial
}

/// What a reader without the right is told.
pub const NOT_ALLOWED: &str =
    "the access report is for grid leads and officials above them; ask your supervisor";

/// `POST /v1/audit/access`: the ops received from `from_ms` (inclusive) to `to_ms` (exclusive).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AccessRequest {
    #[ts(type = "number")]
    pub from_ms: i64,
    #[ts(type = "number")]
    pub to_ms: i64,
}

/// What an entry records.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AccessAction {
    /// A masked identity number or phone shown in full.
    Reveal,
    /// Residents written to a file (.csv, .xlsx).
    Export,
    /// A list printed (call lists carry phones in full).
    Print,
    /// The rows an import rejected written back to a spreadsheet.
    ExportRejected,
    /// The whole store written to an encrypted backup file (to move to a new laptop).
    Backup,
}

/// One reveal, export or print.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct AccessEntry {
    /// When the server received it (the device's own time is `at`).
    #[ts(type = "number")]
    pub received_ms: i64,
    pub at: String,
    /// The official's name as the server knows the account, and the computer.
    pub who: String,
    pub device: String,
    pub action: AccessAction,
    /// For a reveal: `id_number` or `phone`.
    pub field: Option<String>,
    /// For a reveal: the resident (their name, as the server holds it now; absent when the
    /// resident is no longer held).
    pub resident_id: Option<String>,
    pub resident: Option<String>,
    /// For an export: the file's name (never its folder) and what it held.
    pub file: Option<String>,
    /// How many residents or rows the export or print held.
    #[ts(type = "number | null")]
    pub count: Option<u64>,
    /// The list's filter as chosen: community, grid and tag, joined by " · ".
    pub detail: Option<String>,
    /// For a print: which list (`calls`, `doors`).
    pub list: Option<String>,
}

/// The entries of one place, newest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct AccessPlace {
    /// The area's names below the district ("东栅街道/建设社区/3网格"); empty for the district
    /// as a whole; for an op whose area cannot be told, its filter's names as recorded.
    pub place: String,
    /// False for ops the server cannot place in its address tree (recorded by an older app,
    /// or about a resident it no longer holds): their `place` is the filter's names as
    /// recorded, or empty.
    pub placed: bool,
    pub reveals: u32,
    /// Exports and prints.
    pub exports: u32,
    pub entries: Vec<AccessEntry>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct AccessReport {
    pub district: String,
    #[ts(type = "number")]
    pub from_ms: i64,
    #[ts(type = "number")]
    pub to_ms: i64,
    /// By place name, the district's own level first, then the ops that could not be placed.
    pub places: Vec<AccessPlace>,
}

/// One logged op as the report reads it, with the account and computer already named.
#[derive(Debug, Clone)]
pub struct AccessOp {
    pub kind: String,
    pub who: String,
    pub device: String,
    pub received_ms: i64,
    pub at: String,
    pub payload: Value,
}

/// Builds the report from the ops (any order) and the district's rows as they stand.
/// `scope_area` is the reader's area (`None`: the whole district).
pub fn report(
    read: &mut dyn HubRead,
    district: &str,
    req: AccessRequest,
    scope_area: Option<&str>,
    ops: Vec<AccessOp>,
) -> std::result::Result<AccessReport, HubError> {
    let mut areas = Areas::default();
    let prefix = match scope_area {
        Some(a) => Some(areas.path(read, a)?.unwrap_or_else(|| format!("/{a}/"))),
        None => None,
    };
    // Placed ones first, by name (the district's own level, "", first of all).
    let mut places: BTreeMap<(bool, String), AccessPlace> = BTreeMap::new();
    for op in ops {
        let Some(action) = action_of(&op.kind) else { continue };
        let p = &op.payload;
        let mut entry = AccessEntry {
            received_ms: op.received_ms,
            at: op.at,
            who: op.who,
            device: op.device,
            action,
            field: None,
            resident_id: None,
            resident: None,
            file: text(&p["file"]),
            count: p["residents"].as_u64().or_else(|| p["rows"].as_u64()),
            detail: None,
            list: None,
        };
        // Where the op's data lives: a path of area ids, when it can be told.
        let scope = match action {
            AccessAction::Reveal => {
                entry.field = text(&p["field"]);
                entry.resident_id = text(&p["id"]);
                let held = match &entry.resident_id {
                    Some(id) => read.get(entity::RESIDENT, id)?,
                    None => None,
                };
                entry.resident = held.as_ref().and_then(|s| s.row.str("name").map(str::to_owned));
                match (held, text(&p["area"])) {
                    (Some(s), _) => Some(s.scope),
                    (None, Some(area)) => areas.path(read, &area)?,
                    (None, None) => None,
                }
            }
            _ => {
                entry.detail = filter_words(p);
                entry.list = text(&p["kind"]);
                match text(&p["area"]) {
                    Some(area) => areas.path(read, &area)?,
                    // A list with no area chosen: the whole district, below no one's area.
                    None if is_whole_district(p) => {
                        Some(format!("/{}/", area_id(None, Level::District, district)))
                    }
                    None => None,
                }
            }
        };
        let visible = match (&prefix, &scope) {
            (None, _) => true,
            (Some(pre), Some(s)) => s.starts_with(pre.as_str()),
            (Some(_), None) => false,
        };
        if !visible {
            continue;
        }
        let place = match &scope {
            Some(s) => areas.names(read, s)?,
            None => legacy_place(p),
        };
        let placed = scope.is_some();
        let slot = places.entry((!placed, place.clone())).or_insert_with(|| AccessPlace {
            place,
            placed,
            reveals: 0,
            exports: 0,
            entries: Vec::new(),
        });
        if action == AccessAction::Reveal {
            slot.reveals += 1;
        } else {
            slot.exports += 1;
        }
        slot.entries.push(entry);
    }
    let mut places: Vec<AccessPlace> = places.into_values().collect();
    for p in &mut places {
        p.entries.sort_by(|a, b| b.received_ms.cmp(&a.received_ms).then(a.who.cmp(&b.who)));
    }
    Ok(AccessReport {
        district: district.to_owned(),
        from_ms: req.from_ms,
        to_ms: req.to_ms,
        places,
    })
}

fn action_of(kind: &str) -> Option<AccessAction> {
    Some(match kind {
        "residents.reveal" => AccessAction::Reveal,
        "export.residents" => AccessAction::Export,
        "export.print" => AccessAction::Print,
        "export.rejected" => AccessAction::ExportRejected,
        "store.backup" => AccessAction::Backup,
        _ => return None,
    })
}

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

fn is_whole_district(p: &Value) -> bool {
    let f = &p["filter"];
    text(&f["community"]).is_none() && text(&f["grid"]).is_none()
}

/// An op recorded before devices named the area: its filter's names, as they were.
fn legacy_place(p: &Value) -> String {
    let f = &p["filter"];
    [text(&f["community"]), text(&f["grid"])].into_iter().flatten().collect::<Vec<_>>().join("/")
}

/// The filter in words: community, grid and tag as chosen.
fn filter_words(p: &Value) -> Option<String> {
    let f = &p["filter"];
    let words: Vec<String> =
        [text(&f["community"]), text(&f["grid"]), text(&f["tag"])].into_iter().flatten().collect();
    (!words.is_empty()).then(|| words.join(" · "))
}

/// Area paths and names, each area read once.
#[derive(Default)]
struct Areas {
    rows: HashMap<String, Option<(String, String)>>,
}

impl Areas {
    /// An area's (scope path, name), if the server holds it.
    fn get(
        &mut self,
        read: &mut dyn HubRead,
        id: &str,
    ) -> std::result::Result<Option<(String, String)>, HubError> {
        if let Some(hit) = self.rows.get(id) {
            return Ok(hit.clone());
        }
        let found = read.get(entity::AREA, id)?.map(|s| {
            let name = s.row.str("name").unwrap_or(id).to_owned();
            (s.scope, name)
        });
        self.rows.insert(id.to_owned(), found.clone());
        Ok(found)
    }

    fn path(
        &mut self,
        read: &mut dyn HubRead,
        id: &str,
    ) -> std::result::Result<Option<String>, HubError> {
        Ok(self.get(read, id)?.map(|(path, _)| path))
    }

    /// The names along a scope path, below the district ("" for the district itself).
    fn names(
        &mut self,
        read: &mut dyn HubRead,
        path: &str,
    ) -> std::result::Result<String, HubError> {
        let ids: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).skip(1).collect();
        let mut names = Vec::with_capacity(ids.len());
        for id in ids {
            names.push(self.get(read, id)?.map_or_else(|| id.to_owned(), |(_, n)| n));
        }
        Ok(names.join("/"))
    }
}

/// Reads the report from the server this store is logged in to (it needs the network): a
/// device holds only its own reveals and exports, the server every computer's.
pub fn fetch(
    store: &Store,
    clock: &dyn Clock,
    net: &dyn Transport,
    req: AccessRequest,
) -> Result<AccessReport> {
    if req.to_ms <= req.from_ms {
        return Err(CoreError::Invalid("the report's period ends before it begins".into()));
    }
    let access = access_token(store, clock, net, false)?;
    match net.access_report(&access, &req) {
        Err(NetError::Unauthorized) => {
            let access = access_token(store, clock, net, true)?;
            net.access_report(&access, &req).map_err(CoreError::Sync)
        }
        other => other.map_err(CoreError::Sync),
    }
}
