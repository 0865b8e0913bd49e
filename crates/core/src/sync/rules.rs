//! What the server decides when it applies an op: the user's rights over the rows' areas,
//! status moves by the lifecycle's state machine against the server's current state (so a
//! stale edit never reassigns a closed request), one person per identity number (a second
//! create becomes an alias), tombstones that stay, and field-level last writer wins for the
//! rest, with every overwritten value kept as a conflict row.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::hub::{HubError, HubTx, Scopes};
use super::merge::{self, Overwrite};
use super::wire::{entity, Op, Principal, Row, Stamp};
use crate::areas::{area_id, Level};
use crate::refusal::Refusal;
use crate::requests::lifecycle::{self, Action, Position, Status};

pub(crate) enum Apply {
    Rejected(Refusal),
    Storage(HubError),
}

impl From<HubError> for Apply {
    fn from(e: HubError) -> Self {
        Apply::Storage(e)
    }
}

pub(crate) struct Done {
    /// Server copies the device must take instead of its own (see `OpResult::rows`).
    pub echo: Vec<Row>,
    pub overwritten: Value,
}

type R<T> = Result<T, Apply>;

#[path = "rules_volunteer.rs"]
mod volunteer;

fn no<T>(refusal: Refusal) -> R<T> {
    Err(Apply::Rejected(refusal))
}

fn malformed<T>(detail: impl Into<String>) -> R<T> {
    no(Refusal::Malformed { detail: detail.into() })
}

/// The fields of a request that only the lifecycle moves (never last-writer-wins).
const LIFECYCLE: [&str; 6] = ["status", "round", "paused", "assignee", "area", "merged_into"];

struct Ctx<'a> {
    op: &'a Op,
    stamp: Stamp,
    seen_version: i64,
    scopes: &'a mut Scopes,
    /// The path every row of the user's is visible under.
    prefix: Option<String>,
    root: String,
    echo: Vec<Row>,
    overwritten: Vec<Value>,
    /// The round the server put a request in, which its event takes.
    round: Option<u32>,
    /// Where each request of a bulk history walks to (see [`walks`]).
    walks: HashMap<&'a str, Option<Position>>,
}

pub(crate) fn apply(
    tx: &mut dyn HubTx,
    who: &Principal,
    site: &str,
    op: &Op,
    seen_version: i64,
    scopes: &mut Scopes,
) -> R<Done> {
    let root = area_id(None, Level::District, &who.district);
    let prefix = match &who.scope_area {
        Some(a) => match scopes.path(tx, a)? {
            Some(p) => Some(p),
            None => return no(Refusal::AreaNotOnServer),
        },
        None => None,
    };
    let mut c = Ctx {
        op,
        stamp: Stamp(op.hlc, site.to_owned()),
        seen_version,
        scopes,
        prefix,
        root,
        echo: Vec::new(),
        overwritten: Vec::new(),
        round: None,
        walks: if op.kind == "request.bulk_create" { walks(op) } else { HashMap::new() },
    };
    let kind = op.kind.as_str();
    let reference = matches!(
        kind,
        "category.set"
            | "policy.set"
            | "calendar.set"
            | "calendar.unset"
            | "district.set_mode"
            | "district.set"
            | "skill.set"
            | "shop.set"
            | "category_service.set"
    );
    if reference && !who.role.edits_reference_data() {
        return no(Refusal::ReferenceData { role: who.role.as_str().into() });
    }
    // Nothing more is recorded on a request the district's retention removed: an edit queued
    // offline would bring back what the purge took away.
    for row in &op.rows {
        let request = match row.entity.as_str() {
            entity::REQUEST => Some(row.id.as_str()),
            entity::REQUEST_EVENT | entity::ASSIGNMENT => row.str("request_id"),
            _ => None,
        };
        if let Some(id) = request {
            if purged(tx, id)? {
                return no(Refusal::RequestPurged);
            }
        }
    }
    for row in &op.rows {
        match row.entity.as_str() {
            entity::AREA => area(tx, &mut c, row)?,
            entity::TAG => insert_once(tx, &mut c, row, "")?,
            entity::RESIDENT => resident(tx, &mut c, row)?,
            entity::REQUEST => request(tx, &mut c, row)?,
            entity::REQUEST_EVENT => event(tx, &mut c, row)?,
            entity::VOLUNTEER => volunteer::volunteer(tx, &mut c, row)?,
            entity::ASSIGNMENT => volunteer::assignment(tx, &mut c, row)?,
            entity::POINTS_ENTRY => volunteer::points_entry(tx, &mut c, row)?,
            e if entity::REFERENCE.contains(&e) => {
                if !who.role.edits_reference_data() {
                    return no(Refusal::ReferenceData { role: who.role.as_str().into() });
                }
                // A reference row is set whole (a policy, a calendar day): the later op wins,
                // and a removal can be undone by setting it again.
                let newer = match tx.get(e, &row.id)? {
                    Some(s) => row.created > s.row.created,
                    None => true,
                };
                if newer {
                    tx.put(row, "", None)?;
                }
            }
            other => return malformed(format!("“{other}” rows cannot be written by a device")),
        }
    }
    Ok(Done { echo: c.echo, overwritten: Value::Array(c.overwritten) })
}

/// Whether the server holds only a purge's tombstone of the request (no other tombstone of a
/// request is ever stored: a refused creation leaves nothing).
fn purged(tx: &mut dyn HubTx, id: &str) -> R<bool> {
    Ok(tx.get(entity::REQUEST, id)?.is_some_and(|s| s.row.deleted && s.row.fields.is_empty()))
}

fn within(c: &Ctx<'_>, scope: &str) -> bool {
    match &c.prefix {
        None => true,
        Some(p) => scope.starts_with(p.as_str()),
    }
}

/// The scope of a row placed in `area` (or, with none, where its creator works).
fn scope_of(tx: &mut dyn HubTx, c: &mut Ctx<'_>, area: Option<&str>) -> R<String> {
    match area {
        Some(a) => match c.scopes.path(tx, a)? {
            Some(p) if p.starts_with(&format!("/{}/", c.root)) => Ok(p),
            Some(_) => no(Refusal::AreaOtherDistrict),
            None => no(Refusal::AreaUnknown { area: a.to_string() }),
        },
        None => Ok(c.prefix.clone().unwrap_or_else(|| format!("/{}/", c.root))),
    }
}

fn area(tx: &mut dyn HubTx, c: &mut Ctx<'_>, row: &Row) -> R<()> {
    if tx.get(entity::AREA, &row.id)?.is_some() {
        return Ok(());
    }
    let scope = match row.str("parent_id") {
        None if row.id == c.root => format!("/{}/", row.id),
        None => return no(Refusal::DistrictNotYours),
        Some(parent) => format!("{}{}/", scope_of(tx, c, Some(parent))?, row.id),
    };
    tx.put(row, &scope, None)?;
    Ok(())
}

fn insert_once(tx: &mut dyn HubTx, _c: &mut Ctx<'_>, row: &Row, scope: &str) -> R<()> {
    if tx.get(&row.entity, &row.id)?.is_none() {
        tx.put(row, scope, None)?;
    }
    Ok(())
}

fn alias_of(tx: &mut dyn HubTx, entity_name: &str, id: &str) -> R<Option<String>> {
    Ok(tx
        .get(entity::ALIAS, id)?
        .filter(|a| a.row.str("entity") == Some(entity_name))
        .and_then(|a| a.row.str("to").map(str::to_owned)))
}

fn resident(tx: &mut dyn HubTx, c: &mut Ctx<'_>, row: &Row) -> R<()> {
    let mut row = row.clone();
    if let Some(to) = alias_of(tx, entity::RESIDENT, &row.id)? {
        row.id = to;
    }
    let idn = row.str("id_number").map(str::to_owned);
    let stored = tx.get(entity::RESIDENT, &row.id)?;
    if stored.is_none() {
        if let Some(other) = match &idn {
            Some(k) => tx.find_key(entity::RESIDENT, k)?,
            None => None,
        } {
            // The same person created on two devices: one row, and an alias for the other id.
            let mut alias = Row::new(entity::ALIAS, row.id.clone(), c.stamp.clone());
            alias.set("entity", json!(entity::RESIDENT));
            alias.set("to", json!(other));
            let from = row.id.clone();
            row.id = other;
            let scope = lww_put(tx, c, &row, "", idn.as_deref(), &[])?;
            tx.put(&alias, &scope, None)?;
            c.echo.push(alias);
            c.echo.push(tx.get(entity::RESIDENT, &row.id)?.map(|s| s.row).unwrap_or(row));
            tracing::info!(from = %from, "identity merged into an existing resident");
            return Ok(());
        }
    }
    if let (Some(k), Some(s)) = (&idn, &stored) {
        if s.row.str("id_number") != Some(k.as_str()) {
            if let Some(other) = tx.find_key(entity::RESIDENT, k)? {
                if other != row.id && row.stamp("id_number") > s.row.stamp("id_number") {
                    return no(Refusal::IdentityTaken);
                }
            }
        }
    }
    lww_put(tx, c, &row, "", idn.as_deref(), &[])?;
    Ok(())
}

/// Merges a row by last writer wins and stores it; returns its scope.
fn lww_put(
    tx: &mut dyn HubTx,
    c: &mut Ctx<'_>,
    row: &Row,
    fixed_scope: &str,
    key: Option<&str>,
    skip: &[&str],
) -> R<String> {
    let reference = entity::is_reference(&row.entity);
    let stored = tx.get(&row.entity, &row.id)?;
    let scope = if reference {
        fixed_scope.to_owned()
    } else {
        scope_of(
            tx,
            c,
            row.str("area").or_else(|| stored.as_ref().and_then(|s| s.row.str("area"))),
        )?
    };
    if !reference && !within(c, &scope) {
        return no(Refusal::OutsideGrant);
    }
    let (merged, lost, version) = match &stored {
        Some(s) => {
            if !reference && !within(c, &s.scope) {
                return no(Refusal::OutsideGrant);
            }
            let (m, lost) = merge::lww(&s.row, row, skip);
            (m, lost, s.row.version)
        }
        None => {
            let mut r = row.clone();
            for f in skip {
                r.fields.remove(*f);
            }
            (r, vec![], 0)
        }
    };
    let key = key.or_else(|| merged.str("id_number")).map(str::to_owned);
    tx.put(&merged, &scope, key.as_deref())?;
    for o in lost {
        // When a row last changed is bookkeeping, not an official's value (see `request`);
        // a health tag the district's retention removed is not an official's edit either,
        // and a conflict row would keep what the purge took away.
        if o.field == "updated_at"
            || o.won_stamp.site() == super::purge::PURGE_SITE
            || o.lost_stamp.site() == super::purge::PURGE_SITE
        {
            continue;
        }
        if o.incoming_lost || version > c.seen_version {
            conflict(tx, c, &merged, &scope, &o)?;
        }
    }
    Ok(scope)
}

fn conflict(tx: &mut dyn HubTx, c: &mut Ctx<'_>, row: &Row, scope: &str, o: &Overwrite) -> R<()> {
    let lost_by = tx.site_owner(o.lost_stamp.site())?.unwrap_or_default();
    let won_by = tx.site_owner(o.won_stamp.site())?.unwrap_or_default();
    // One row per lost value: an op re-sending a field it did not change (a row read whole at
    // push time) must not list the same loss again.
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6a69_6179_7561_6e2d_636f_6e66_6c69_6374);
    let key =
        format!("{}|{}|{}|{}|{}", row.entity, row.id, o.field, o.lost_stamp.0, o.lost_stamp.1);
    let id = uuid::Uuid::new_v5(&NAMESPACE, key.as_bytes()).to_string();
    if tx.get(entity::CONFLICT, &id)?.is_some() {
        return Ok(());
    }
    let mut r = Row::new(entity::CONFLICT, id, c.stamp.clone());
    r.fields = json!({
        "entity": row.entity, "entity_id": row.id, "field": o.field,
        "lost": o.lost, "lost_stamp": o.lost_stamp, "lost_by": lost_by,
        "won": o.won, "won_stamp": o.won_stamp, "won_by": won_by,
        "op_id": c.op.op_id,
    })
    .as_object()
    .cloned()
    .unwrap_or_default();
    tx.put(&r, scope, None)?;
    c.overwritten.push(json!({ "entity": row.entity, "id": row.id, "field": o.field, "incoming_lost": o.incoming_lost }));
    Ok(())
}

fn position(row: &Row) -> Position {
    Position {
        status: row.str("status").and_then(Status::parse).unwrap_or(Status::New),
        round: row.fields.get("round").and_then(Value::as_u64).unwrap_or(1) as u32,
        paused: row.fields.get("paused").and_then(Value::as_bool).unwrap_or(false),
    }
}

fn request(tx: &mut dyn HubTx, c: &mut Ctx<'_>, row: &Row) -> R<()> {
    let mut row = row.clone();
    if let Some(res) = row.str("resident_id").map(str::to_owned) {
        if let Some(to) = alias_of(tx, entity::RESIDENT, &res)? {
            row.set("resident_id", json!(to));
        }
    }
    let stored = tx.get(entity::REQUEST, &row.id)?;
    let kind = c.op.kind.as_str();
    let creates = matches!(kind, "request.create" | "request.bulk_create" | "request.checkins");
    let Some(stored) = stored else {
        if !creates {
            return no(Refusal::RequestUnknown);
        }
        if kind == "request.bulk_create" {
            // A history taken in bulk arrives with its steps: they must be a legal walk of the
            // state machine ending where the row says.
            let walked = c.walks.get(row.id.as_str()).copied().unwrap_or(Some(Position::START));
            match walked {
                Some(p) if p == position(&row) => {}
                _ => return no(Refusal::HistoryNotLifecycle),
            }
        } else {
            // Created as new, whatever later steps the device took before it pushed: those
            // steps are their own ops and are decided one by one.
            row.set("status", json!("new"));
            row.set("round", json!(1));
            row.set("paused", json!(false));
            row.set("assignee", Value::Null);
            row.set("merged_into", Value::Null);
        }
        lww_put(tx, c, &row, "", None, &[])?;
        return Ok(());
    };
    if creates {
        // Made on two devices (a check-in's id is the same everywhere): the first stands.
        c.echo.push(stored.row);
        return Ok(());
    }
    let target = c.op.payload["request_id"].as_str().unwrap_or_default();
    let pos = position(&stored.row);
    let mut merged = stored.row.clone();
    let set = |m: &mut Row, f: &str, v: Value| {
        m.set(f, v);
        merge::set_stamp(m, f, c.stamp.clone());
    };
    let change = &c.op.payload["change"];
    // A volunteer's assignment carries the request's steps with it (accept and assign, start,
    // resolve, back to the queue); a request's own op is one step.
    let steps: Vec<Action> = match kind.strip_prefix("assignment.") {
        Some(_) => c.op.payload["steps"]
            .as_array()
            .map(|s| s.iter().filter_map(|a| a.as_str().and_then(Action::parse)).collect())
            .unwrap_or_default(),
        None => kind.strip_prefix("request.").and_then(Action::parse).into_iter().collect(),
    };
    match steps.first().copied() {
        Some(_) if row.id == target => {
            let mut pos = pos;
            for action in steps {
                let next = lifecycle::next(pos, action).map_err(|e| Apply::Rejected(e.into()))?;
                pos = next;
                set(&mut merged, "status", json!(next.status.as_str()));
                set(&mut merged, "round", json!(next.round));
                set(&mut merged, "paused", json!(next.paused));
                match action {
                    Action::Assign => set(
                        &mut merged,
                        "assignee",
                        match change.get("assignee") {
                            Some(a) => a.clone(),
                            None => row.fields.get("assignee").cloned().unwrap_or(Value::Null),
                        },
                    ),
                    Action::Unassign => set(&mut merged, "assignee", Value::Null),
                    Action::Transfer | Action::Return => {
                        if let Some(to) = change["to_area"].as_str() {
                            set(&mut merged, "area", json!(to));
                        }
                        set(&mut merged, "assignee", Value::Null);
                    }
                    Action::Reopen => set(&mut merged, "assignee", Value::Null),
                    Action::MarkDuplicate => {}
                    _ => {}
                }
                c.round = Some(next.round);
            }
        }
        _ if kind == "request.merge" && row.id == target => {
            let next = lifecycle::next(pos, Action::MarkDuplicate)
                .map_err(|e| Apply::Rejected(e.into()))?;
            let into = change["into"].as_str().unwrap_or_default().to_owned();
            match tx.get(entity::REQUEST, &into)? {
                Some(k) if k.row.deleted && k.row.fields.is_empty() => {
                    return no(Refusal::RequestPurged);
                }
                Some(k) if k.row.str("status") == Some("duplicate") => {
                    return no(Refusal::MergeIntoKept);
                }
                Some(_) => {}
                None => return no(Refusal::MergeTargetMissing),
            }
            set(&mut merged, "status", json!("duplicate"));
            set(&mut merged, "paused", json!(false));
            set(&mut merged, "merged_into", json!(into));
            c.round = Some(next.round);
        }
        _ if kind == "request.merge" => {
            // The kept request, or one merged into the duplicate earlier that follows it.
            if row.str("status") == Some("duplicate") && pos.status == Status::Duplicate {
                set(
                    &mut merged,
                    "merged_into",
                    row.fields.get("merged_into").cloned().unwrap_or(Value::Null),
                );
            }
        }
        _ if kind == "request.set_priority" => {
            if pos.status.is_final() {
                return no(Refusal::FinishedKeepsPriority { status: pos.status.as_str().into() });
            }
        }
        _ => return malformed(format!("“{kind}” cannot change a request")),
    }
    let scope_before = stored.scope.clone();
    if !within(c, &scope_before) {
        return no(Refusal::OutsideGrant);
    }
    // Ordinary fields (priority, notes…) merge by last writer wins; the lifecycle's are set
    // above and never taken from the device's copy.
    let (mut out, lost) = merge::lww(&merged, &row, &LIFECYCLE);
    out.version = 0;
    let area = out.str("area").map(str::to_owned);
    let scope = scope_of(tx, c, area.as_deref())?;
    tx.put(&out, &scope, None)?;
    for o in lost {
        // When the request last changed is bookkeeping every step stamps, not an official's
        // value: it follows the last writer without being listed as a conflict.
        if o.field == "updated_at" {
            continue;
        }
        if o.incoming_lost || stored.row.version > c.seen_version {
            conflict(tx, c, &out, &scope, &o)?;
        }
    }
    if out.fields != row.fields {
        c.echo.push(out);
    }
    Ok(())
}

/// The positions each request's events in this op lead to, walked from the start in time
/// order (`None`: an illegal step). One pass over the op: a bulk history carries 10,000
/// requests and their events.
fn walks(op: &Op) -> HashMap<&str, Option<Position>> {
    let mut events: HashMap<&str, Vec<&Row>> = HashMap::new();
    for r in &op.rows {
        if r.entity == entity::REQUEST_EVENT {
            if let Some(req) = r.str("request_id") {
                events.entry(req).or_default().push(r);
            }
        }
    }
    events
        .into_iter()
        .map(|(req, mut evs)| {
            evs.sort_by(|a, b| (a.str("at"), &a.id).cmp(&(b.str("at"), &b.id)));
            let mut pos = Some(Position::START);
            for e in evs {
                if let (Some(p), Some(action)) = (pos, e.str("kind").and_then(Action::parse)) {
                    pos = lifecycle::next(p, action).ok();
                }
            }
            (req, pos)
        })
        .collect()
}

fn event(tx: &mut dyn HubTx, c: &mut Ctx<'_>, row: &Row) -> R<()> {
    if tx.get(entity::REQUEST_EVENT, &row.id)?.is_some() {
        return Ok(());
    }
    let Some(request_id) = row.str("request_id") else {
        return malformed("an event without its request");
    };
    let Some(req) = tx.get(entity::REQUEST, request_id)? else {
        return no(Refusal::RequestUnknown);
    };
    let mut row = row.clone();
    if row.str("kind") == Some("created")
        && req.row.created.site() != c.stamp.site()
        && matches!(
            c.op.kind.as_str(),
            "request.bulk_create" | "request.checkins" | "request.create"
        )
    {
        // Another device's creation of the same check-in stands; this one's event goes.
        let mut t = Row::new(entity::REQUEST_EVENT, row.id.clone(), row.created.clone());
        t.deleted = true;
        c.echo.push(t);
        return Ok(());
    }
    if let Some(round) = c.round {
        if row.fields.get("round").and_then(Value::as_u64) != Some(u64::from(round)) {
            row.set("round", json!(round));
            c.echo.push(row.clone());
        }
    }
    tx.put(&row, &req.scope, None)?;
    Ok(())
}
