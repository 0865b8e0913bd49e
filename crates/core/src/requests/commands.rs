//! The request commands: intake, each lifecycle step, priority overrides and merging. Each is
//! one transaction of the write path: the row, an event, the derived clocks, the outbox
//! operation and the audit entry.

use rusqlite::OptionalExtension;
use serde_json::{json, Value};

use super::derive::{self, EventRow};
use super::lifecycle::{self, Position};
use super::refdata::{self, Env};
use super::triage::{self, Candidate, TriageInput};
use super::{Action, NewRequest, Priority, Status, Step};
use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::refusal::{Refusal, TextField};
use crate::write::{AuditEntry, Write};

const MAX_TEXT: usize = 4000;

/// What a command did, for the caller to show.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct Outcome {
    pub id: String,
    pub status: Status,
    pub round: u32,
    pub priority: Priority,
    /// Likely duplicates found at intake (ids), for the official to look at and merge.
    pub duplicates: Vec<String>,
}

fn text(what: TextField, value: &str) -> Result<String> {
    let t = value.trim();
    if t.is_empty() {
        return Err(Refusal::EmptyText { what }.into());
    }
    if t.chars().count() > MAX_TEXT {
        return Err(Refusal::TextTooLong { what, max: MAX_TEXT as u32 }.into());
    }
    Ok(t.to_owned())
}

/// The request as it stands, for a step.
struct Current {
    rid: i64,
    pos: Position,
    priority: Priority,
    area_rid: Option<i64>,
    assignee: Option<String>,
}

fn current(w: &Write<'_>, id: &str) -> Result<Current> {
    w.tx()
        .prepare_cached(
            "SELECT rid, status, round, paused, priority, area_rid, assignee FROM requests WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(Current {
                rid: r.get(0)?,
                pos: Position {
                    status: Status::parse(&r.get::<_, String>(1)?).unwrap_or(Status::New),
                    round: r.get(2)?,
                    paused: r.get(3)?,
                },
                priority: r.get::<_, String>(4)?.parse().unwrap_or(Priority::Normal),
                area_rid: r.get(5)?,
                assignee: r.get(6)?,
            })
        })
        .optional()?
        .ok_or_else(|| CoreError::NotFound(format!("request {id}")))
}

fn insert_event(
    w: &mut Write<'_>,
    request_id: &str,
    kind: &str,
    round: u32,
    data: &Value,
) -> Result<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let hlc = w.stamp();
    w.tx()
        .prepare_cached(
            "INSERT INTO request_events (id, request_id, at, hlc, site_id, actor, actor_name, kind, round, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(rusqlite::params![
            id,
            request_id,
            w.at_rfc3339(),
            hlc.0,
            w.site_id(),
            w.actor().id,
            w.actor().display,
            kind,
            round,
            data.to_string()
        ])?;
    Ok(id)
}

/// Writes the op and the audit entry every request command ends with.
fn record(
    w: &mut Write<'_>,
    action: &str,
    id: &str,
    before: Option<Value>,
    after: Value,
    subjects: Vec<String>,
    events: &[String],
) -> Result<()> {
    // The events the command wrote travel with its op: the server decides each op's events
    // together with the step they record.
    let op = w.emit(
        &format!("request.{action}"),
        &json!({ "request_id": id, "change": after, "events": events }),
    )?;
    w.audit(AuditEntry {
        action: format!("request.{action}"),
        entity: "request".into(),
        entity_ids: vec![id.to_owned()],
        before,
        after: Some(after),
        op_id: Some(op.op_id),
        subjects,
        ..AuditEntry::default()
    })?;
    Ok(())
}

fn area_rid_of(w: &Write<'_>, area_id: &str) -> Result<i64> {
    let found: Option<(i64, String)> = w
        .tx()
        .prepare_cached("SELECT rid, level FROM areas WHERE id = ?1")?
        .query_row([area_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match found {
        Some((rid, level)) if level == "grid" || level == "community" => Ok(rid),
        Some(_) => Err(Refusal::GridOrCommunity.into()),
        None => Err(CoreError::NotFound(format!("area {area_id}"))),
    }
}

/// Takes a request in: triage proposes a priority with its reasons, likely duplicates are
/// flagged, and the accept clock starts.
pub fn create(ctx: &mut Ctx<'_>, mut input: NewRequest) -> Result<Outcome> {
    let description = text(TextField::Description, &input.description)?;
    let person = match input.new_person.take() {
        Some(p) if input.resident_id.is_some() => {
            return Err(Refusal::FoundOrNew { name: p.name.clone() }.into())
        }
        Some(p) => {
            let mut draft = crate::residents::ResidentDraft {
                name: p.name.trim().to_owned(),
                phone: p.phone,
                id_number: p.id_number,
                address: p.address.filter(|a| !a.trim().is_empty()),
                ..Default::default()
            };
            crate::residents::validate(&mut draft, ctx.clock.now().date_naive())?;
            Some(draft)
        }
        None => None,
    };
    ctx.write(|w| {
        if let Some(draft) = &person {
            input.resident_id = Some(crate::residents::create_in(w, draft)?);
        }
        let category = refdata::category(w.tx(), &input.category)?;
        let (resident_area, tags) = match &input.resident_id {
            Some(rid) => {
                let area: Option<Option<i64>> = w
                    .tx()
                    .prepare_cached("SELECT area_rid FROM residents WHERE id = ?1 AND deleted = 0")?
                    .query_row([rid], |r| r.get(0))
                    .optional()?;
                let Some(area) = area else {
                    return Err(CoreError::NotFound(format!("resident {rid}")));
                };
                let tags: Vec<String> = w
                    .tx()
                    .prepare_cached(
                        "SELECT t.key FROM residents r JOIN resident_tags rt ON rt.resident_rid = r.rid
                         JOIN tags t ON t.id = rt.tag_id WHERE r.id = ?1 AND t.vulnerability = 1",
                    )?
                    .query_map([rid], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                (area, tags)
            }
            None => (None, Vec::new()),
        };
        let area_rid = match &input.area_id {
            Some(a) => Some(area_rid_of(w, a)?),
            None => resident_area,
        };
        let env = Env::load(w.tx())?;
        let proposal = triage::propose(&TriageInput {
            category_base: refdata::level_of(category.base),
            category_key: &category.key,
            vulnerability_tags: &tags,
            description: &description,
            lockdown: env.mode == crate::sla::Mode::Lockdown,
        });
        let proposed = refdata::priority_of(proposal.level);
        let (priority, override_why) = match input.priority {
            Some(p) if p != proposed => {
                let why = input.override_reason.as_deref().unwrap_or_default();
                (p, Some(text(TextField::PriorityReason, why)?))
            }
            _ => (proposed, None),
        };
        let id = uuid::Uuid::now_v7().to_string();
        let duplicates = find_duplicates(w, &id, input.resident_id.as_deref(), &category.key, &description, area_rid)?;
        let hlc = w.stamp();
        let channel = input.channel.unwrap_or(super::Channel::Phone);
        w.tx()
            .prepare_cached(
                "INSERT INTO requests (id, resident_id, category, channel, description, answers, address,
                     area_rid, priority, proposed, reasons, override_why, status, round, created_at,
                     created_hlc, created_site, updated_at, is_open, dup_hint)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'new', 1, ?13, ?14, ?15, ?13, 1, ?16)",
            )?
            .execute(rusqlite::params![
                id,
                input.resident_id,
                category.key,
                channel.as_str(),
                description,
                serde_json::to_string(&input.answers)?,
                input.address.as_deref().map(str::trim).filter(|a| !a.is_empty()),
                area_rid,
                priority.as_str(),
                proposed.as_str(),
                serde_json::to_string(&proposal.reasons)?,
                override_why,
                w.at_rfc3339(),
                hlc.0,
                w.site_id(),
                (!duplicates.is_empty()).then(|| serde_json::to_string(&duplicates)).transpose()?,
            ])?;
        let rid = w.tx().last_insert_rowid();
        index_text(w, rid, &description, input.address.as_deref(), input.resident_id.as_deref())?;
        for path in &input.attachments {
            let name = std::path::Path::new(path)
                .file_name()
                .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
            w.tx()
                .prepare_cached(
                    "INSERT OR IGNORE INTO request_attachments (request_id, path, name, added_at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute((&id, path, name, w.at_rfc3339()))?;
        }
        let data = json!({
            "channel": channel.as_str(), "priority": priority.as_str(), "proposed": proposed.as_str(),
            "override_why": override_why, "duplicates": duplicates,
        });
        let event = insert_event(w, &id, "created", 1, &data)?;
        derive::recompute(w.tx(), &id, &env, w.at())?;
        let mut subjects = vec![id.clone()];
        subjects.extend(input.resident_id.clone());
        let after = json!({
            "id": id, "resident_id": input.resident_id, "category": category.key, "channel": channel.as_str(),
            "description": description, "answers": input.answers, "address": input.address,
            "priority": priority.as_str(), "proposed": proposed.as_str(), "reasons": proposal.reasons,
            "override_why": override_why, "attachments": input.attachments, "status": "new", "round": 1,
        });
        record(w, "create", &id, None, after, subjects, &[event])?;
        Ok(Outcome { id, status: Status::New, round: 1, priority, duplicates })
    })
}

/// The search row: the description and where (the given address, or the resident's home).
fn index_text(
    w: &Write<'_>,
    rid: i64,
    description: &str,
    address: Option<&str>,
    resident: Option<&str>,
) -> Result<()> {
    let home: Option<String> = match (address, resident) {
        (Some(a), _) => Some(a.to_owned()),
        (None, Some(r)) => w
            .tx()
            .prepare_cached(
                "SELECT ifnull(building, '') || ifnull(unit, '') || ifnull(room, '') || ifnull(address, '')
                 FROM residents WHERE id = ?1",
            )?
            .query_row([r], |r| r.get(0))
            .optional()?,
        _ => None,
    };
    w.tx()
        .prepare_cached("INSERT INTO requests_fts (rowid, description, place) VALUES (?1, ?2, ?3)")?
        .execute((rid, description, home.unwrap_or_default()))?;
    Ok(())
}

/// Requests that look like this one: the same resident and category within a day, or a
/// similar description nearby within three days (triage::likely_duplicates decides).
fn find_duplicates(
    w: &Write<'_>,
    id: &str,
    resident: Option<&str>,
    category: &str,
    description: &str,
    area_rid: Option<i64>,
) -> Result<Vec<String>> {
    let since =
        (w.at() - chrono::Duration::days(3)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut stmt = w.tx().prepare_cached(
        "SELECT id, resident_id, category, description, created_at FROM requests
         WHERE created_at >= ?1 AND status NOT IN ('duplicate', 'cancelled', 'rejected')
           AND ((?2 IS NOT NULL AND resident_id = ?2) OR (?3 IS NOT NULL AND area_rid = ?3))
         ORDER BY created_at DESC LIMIT 500",
    )?;
    let rows: Vec<(String, Option<String>, String, String, String)> = stmt
        .query_map(rusqlite::params![since, resident, area_rid], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let parse = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default()
    };
    let others: Vec<Candidate<'_>> = rows
        .iter()
        .map(|(id, res, cat, desc, at)| Candidate {
            id,
            resident_id: res.as_deref(),
            category_key: cat,
            description: desc,
            created_at: parse(at),
        })
        .collect();
    let new = Candidate {
        id,
        resident_id: resident,
        category_key: category,
        description,
        created_at: w.at(),
    };
    Ok(triage::likely_duplicates(&new, &others).into_iter().map(|h| h.id.to_owned()).collect())
}

/// One lifecycle step. The state machine decides whether it is possible now; the clocks are
/// recomputed from the events in the same transaction.
pub fn act(ctx: &mut Ctx<'_>, id: &str, step: Step) -> Result<Outcome> {
    let action = step.action();
    let note = match step.text() {
        Some(t) if action.needs_reason() => Some(text(TextField::Reason, t)?),
        Some(t) => Some(t.trim().to_owned()),
        None => None,
    };
    ctx.write(|w| {
        let cur = current(w, id)?;
        let next = lifecycle::next(cur.pos, action)?;
        let mut data = json!({ "from": cur.pos.status.as_str(), "to": next.status.as_str() });
        if let Some(n) = &note {
            data["note"] = json!(n);
        }
        let mut area_rid = cur.area_rid;
        let mut assignee = cur.assignee.clone();
        match &step {
            Step::Assign { assignee: who } => {
                let who = text(TextField::Assignee, who)?;
                data["assignee"] = json!(who);
                data["previous"] = json!(cur.assignee);
                assignee = Some(who);
            }
            Step::Close { satisfaction, .. } => {
                data["satisfaction"] = json!(satisfaction);
                // A resident satisfied at the callback confirms the volunteer's service: the
                // points follow (the official's own confirmation is the other way).
                if matches!(satisfaction, super::Satisfaction::Satisfied | super::Satisfaction::Basically) {
                    let done: Vec<String> = w
                        .tx()
                        .prepare_cached(
                            "SELECT id FROM assignments WHERE request_id = ?1 AND status = 'done'
                             AND confirmed_by IS NULL",
                        )?
                        .query_map([id], |r| r.get(0))?
                        .collect::<rusqlite::Result<_>>()?;
                    for a in done {
                        crate::volunteers::assignment::confirm_in(w, &a, "callback")?;
                    }
                }
            }
            Step::Transfer { area_id, .. } => {
                let to = area_rid_of(w, area_id)?;
                if Some(to) == cur.area_rid {
                    return Err(Refusal::SameArea.into());
                }
                data["from_area"] = json!(area_id_of(w, cur.area_rid)?);
                data["to_area"] = json!(area_id);
                area_rid = Some(to);
                assignee = None;
            }
            Step::Return { .. } => {
                // Back to whoever handed it on: the area of the last transfer, if any.
                let back = last_transfer_from(w, id)?;
                data["from_area"] = json!(area_id_of(w, cur.area_rid)?);
                if let Some(back) = &back {
                    area_rid = Some(area_rid_of(w, back)?);
                    data["to_area"] = json!(back);
                }
                assignee = None;
            }
            Step::Reopen { .. } => assignee = None,
            _ => {}
        }
        w.tx()
            .prepare_cached(
                "UPDATE requests SET status = ?2, round = ?3, paused = ?4, area_rid = ?5, assignee = ?6,
                     updated_at = ?7 WHERE rid = ?1",
            )?
            .execute(rusqlite::params![
                cur.rid,
                next.status.as_str(),
                next.round,
                next.paused,
                area_rid,
                assignee,
                w.at_rfc3339()
            ])?;
        // Work handed elsewhere or ended frees the volunteer sent to it (in this same op).
        if matches!(
            action,
            Action::Assign | Action::Cancel | Action::Reject | Action::Transfer | Action::Return
        ) {
            let ended = crate::volunteers::assignment::end_for_request(w, id)?;
            if !ended.is_empty() {
                data["assignments_ended"] = json!(ended);
            }
        }
        let event = insert_event(w, id, action.as_str(), next.round, &data)?;
        let env = Env::load(w.tx())?;
        derive::recompute(w.tx(), id, &env, w.at())?;
        let before = json!({ "status": cur.pos.status.as_str(), "round": cur.pos.round, "paused": cur.pos.paused });
        let mut after = data.clone();
        after["round"] = json!(next.round);
        after["paused"] = json!(next.paused);
        record(w, action.as_str(), id, Some(before), after, vec![id.to_owned()], &[event])?;
        Ok(Outcome { id: id.to_owned(), status: next.status, round: next.round, priority: cur.priority, duplicates: vec![] })
    })
}

/// A lifecycle step taken inside another command (a volunteer assigned, starting, done or
/// gone: `volunteers::assignment`): the request row, its event and its clocks, in the caller's
/// transaction and op. `assignee`: `Some(x)` sets it. Returns the event's id and where the
/// request stands after.
pub(crate) fn step_in(
    w: &mut Write<'_>,
    id: &str,
    action: Action,
    assignee: Option<Option<&str>>,
    mut data: Value,
) -> Result<(String, Position)> {
    let cur = current(w, id)?;
    let next = lifecycle::next(cur.pos, action)?;
    data["from"] = json!(cur.pos.status.as_str());
    data["to"] = json!(next.status.as_str());
    let assignee = match assignee {
        Some(a) => {
            data["previous"] = json!(cur.assignee);
            a.map(str::to_owned)
        }
        None => cur.assignee.clone(),
    };
    w.tx()
        .prepare_cached(
            "UPDATE requests SET status = ?2, round = ?3, paused = ?4, assignee = ?5, updated_at = ?6
             WHERE rid = ?1",
        )?
        .execute(rusqlite::params![
            cur.rid,
            next.status.as_str(),
            next.round,
            next.paused,
            assignee,
            w.at_rfc3339()
        ])?;
    let event = insert_event(w, id, action.as_str(), next.round, &data)?;
    let env = Env::load(w.tx())?;
    derive::recompute(w.tx(), id, &env, w.at())?;
    Ok((event, next))
}

/// Where a request stands, for a command about to take a step on it.
pub(crate) fn position_of(w: &Write<'_>, id: &str) -> Result<Position> {
    Ok(current(w, id)?.pos)
}

fn area_id_of(w: &Write<'_>, rid: Option<i64>) -> Result<Option<String>> {
    let Some(rid) = rid else { return Ok(None) };
    Ok(w.tx()
        .prepare_cached("SELECT id FROM areas WHERE rid = ?1")?
        .query_row([rid], |r| r.get(0))
        .optional()?)
}

fn last_transfer_from(w: &Write<'_>, id: &str) -> Result<Option<String>> {
    let rows: Vec<EventRow> = derive::events(w.tx(), id)?;
    Ok(rows
        .iter()
        .rev()
        .find(|e| e.kind == "transfer")
        .and_then(|e| e.data["from_area"].as_str().map(str::to_owned)))
}

/// The official's priority, with the reason it differs from triage's proposal. The deadlines
/// follow at once: they are computed from the events under the new priority's policy.
pub fn set_priority(
    ctx: &mut Ctx<'_>,
    id: &str,
    priority: Priority,
    reason: &str,
) -> Result<Outcome> {
    let reason = text(TextField::PriorityReason, reason)?;
    ctx.write(|w| {
        let cur = current(w, id)?;
        if cur.pos.status.is_final() {
            return Err(
                Refusal::FinishedKeepsPriority { status: cur.pos.status.as_str().into() }.into()
            );
        }
        if cur.priority == priority {
            return Err(Refusal::SamePriority { priority: priority.as_str().into() }.into());
        }
        w.tx().execute(
            "UPDATE requests SET priority = ?2, override_why = ?3, updated_at = ?4 WHERE rid = ?1",
            rusqlite::params![cur.rid, priority.as_str(), reason, w.at_rfc3339()],
        )?;
        let data =
            json!({ "from": cur.priority.as_str(), "to": priority.as_str(), "note": reason });
        let event = insert_event(w, id, "priority", cur.pos.round, &data)?;
        let env = Env::load(w.tx())?;
        derive::recompute(w.tx(), id, &env, w.at())?;
        record(
            w,
            "set_priority",
            id,
            Some(json!({ "priority": cur.priority.as_str() })),
            data,
            vec![id.to_owned()],
            &[event],
        )?;
        Ok(Outcome {
            id: id.to_owned(),
            status: cur.pos.status,
            round: cur.pos.round,
            priority,
            duplicates: vec![],
        })
    })
}

/// Merges `duplicate` into `keep`: the duplicate ends as `duplicate` pointing at `keep`, and
/// both keep their own events, so the kept request's timeline shows the merged one's history.
pub fn merge(ctx: &mut Ctx<'_>, duplicate: &str, keep: &str) -> Result<Outcome> {
    if duplicate == keep {
        return Err(Refusal::MergeIntoItself.into());
    }
    ctx.write(|w| {
        let dup = current(w, duplicate)?;
        let kept = current(w, keep)?;
        if kept.pos.status == Status::Duplicate {
            return Err(Refusal::MergeIntoKept.into());
        }
        let next = lifecycle::next(dup.pos, Action::MarkDuplicate)?;
        w.tx().execute(
            "UPDATE requests SET status = 'duplicate', paused = 0, merged_into = ?2, updated_at = ?3 WHERE rid = ?1",
            rusqlite::params![dup.rid, keep, w.at_rfc3339()],
        )?;
        // Requests merged into the duplicate earlier follow it.
        w.tx().execute(
            "UPDATE requests SET merged_into = ?2 WHERE merged_into = ?1",
            rusqlite::params![duplicate, keep],
        )?;
        let data = json!({ "from": dup.pos.status.as_str(), "to": "duplicate", "into": keep });
        let e1 = insert_event(w, duplicate, "mark_duplicate", next.round, &data)?;
        let e2 = insert_event(w, keep, "merged", kept.pos.round, &json!({ "from_request": duplicate }))?;
        let env = Env::load(w.tx())?;
        derive::recompute(w.tx(), duplicate, &env, w.at())?;
        derive::recompute(w.tx(), keep, &env, w.at())?;
        record(
            w,
            "merge",
            duplicate,
            Some(json!({ "status": dup.pos.status.as_str() })),
            data,
            vec![duplicate.to_owned(), keep.to_owned()],
            &[e1, e2],
        )?;
        Ok(Outcome { id: keep.to_owned(), status: kept.pos.status, round: kept.pos.round, priority: kept.priority, duplicates: vec![] })
    })
}
