//! A volunteer sent to a request, and what the official records as it goes (most volunteers
//! are phoned, not in the app): accepted, declined, started, done, no-show, released when
//! stale, confirmed. Each is one command: the assignment row, the request's own step (assigned,
//! in progress, resolved, or back to the queue as accepted in a new round, its deadlines
//! still running), its event and clocks, any points earned, one op and one audit entry.
//!
//! The status only moves forward (`next`, property-tested), so two laptops' records of the
//! same assignment merge by taking the further one, and the server decides every move against
//! its own copy (sync::rules::volunteer).

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::refusal::Refusal;
use crate::requests::commands::{position_of, step_in};
use crate::requests::{Action, Status};
use crate::write::{AuditEntry, Write};

#[path = "assignment_view.rs"]
mod view;
pub(crate) use view::open_in;
pub use view::{for_request, for_volunteer, get, open, Assignment};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    Proposed,
    Accepted,
    Started,
    Done,
    Declined,
    NoShow,
    Released,
    Cancelled,
}

impl AssignmentStatus {
    pub const ALL: [AssignmentStatus; 8] = [
        AssignmentStatus::Proposed,
        AssignmentStatus::Accepted,
        AssignmentStatus::Started,
        AssignmentStatus::Done,
        AssignmentStatus::Declined,
        AssignmentStatus::NoShow,
        AssignmentStatus::Released,
        AssignmentStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentStatus::Proposed => "proposed",
            AssignmentStatus::Accepted => "accepted",
            AssignmentStatus::Started => "started",
            AssignmentStatus::Done => "done",
            AssignmentStatus::Declined => "declined",
            AssignmentStatus::NoShow => "no_show",
            AssignmentStatus::Released => "released",
            AssignmentStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<AssignmentStatus> {
        AssignmentStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Progress: the ends share the top rank with done (nothing follows any of them).
    pub fn rank(self) -> u8 {
        match self {
            AssignmentStatus::Proposed => 0,
            AssignmentStatus::Accepted => 1,
            AssignmentStatus::Started => 2,
            _ => 3,
        }
    }

    /// Still holding the volunteer: counts against capacity and time.
    pub fn is_active(self) -> bool {
        self.rank() < 3
    }
}

/// What the official records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Move {
    Accept,
    Decline,
    Start,
    Done,
    NoShow,
    Release,
    Cancel,
}

impl Move {
    pub const ALL: [Move; 7] = [
        Move::Accept,
        Move::Decline,
        Move::Start,
        Move::Done,
        Move::NoShow,
        Move::Release,
        Move::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Move::Accept => "accept",
            Move::Decline => "decline",
            Move::Start => "start",
            Move::Done => "done",
            Move::NoShow => "no_show",
            Move::Release => "release",
            Move::Cancel => "cancel",
        }
    }

    pub fn parse(s: &str) -> Option<Move> {
        Move::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Where a move leads, or what to do instead. Pure: commands, the server and property tests
/// all ask it.
pub fn next(from: AssignmentStatus, m: Move) -> std::result::Result<AssignmentStatus, Refusal> {
    use AssignmentStatus::*;
    match (m, from) {
        (Move::Accept, Proposed) => Ok(Accepted),
        (Move::Accept, _) => Err(Refusal::OnlyProposedAccepts),
        (Move::Decline, Proposed | Accepted) => Ok(Declined),
        (Move::Decline, _) => Err(Refusal::DeclineBeforeStart),
        (Move::Start, Proposed | Accepted) => Ok(Started),
        (Move::Start, _) => Err(Refusal::AlreadyStarted),
        (Move::Done, Proposed | Accepted | Started) => Ok(Done),
        (Move::Done, _) => Err(Refusal::TaskEnded),
        (Move::NoShow, Proposed | Accepted) => Ok(NoShow),
        (Move::NoShow, Started) => Err(Refusal::StartedNoShow),
        (Move::NoShow, _) => Err(Refusal::TaskEnded),
        (Move::Release, Proposed | Accepted | Started) => Ok(Released),
        (Move::Release, _) => Err(Refusal::TaskEnded),
        (Move::Cancel, s) if s.is_active() => Ok(Cancelled),
        (Move::Cancel, _) => Err(Refusal::TaskEnded),
    }
}

/// The request's step that goes with a move (`None`: the request stays where it is).
pub fn request_action(m: Move, request: Status) -> Option<Action> {
    match m {
        Move::Start if request == Status::Assigned => Some(Action::Start),
        Move::Done if matches!(request, Status::Assigned | Status::InProgress) => {
            Some(Action::Resolve)
        }
        Move::Decline | Move::NoShow | Move::Release
            if matches!(request, Status::Assigned | Status::InProgress) =>
        {
            Some(Action::Unassign)
        }
        _ => None,
    }
}

/// What dispatch sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AssignInput {
    pub request_id: String,
    pub volunteer_id: String,
    /// A planned slot (epoch ms); none: from now for the category's task length.
    #[ts(type = "[number, number] | null")]
    pub slot: Option<(i64, i64)>,
    pub note: Option<String>,
}

pub(crate) const ENTITY: &str = "assignment";

/// The active windows of a volunteer (from, to, planned), besides `except`.
pub(crate) fn bookings(
    conn: &Connection,
    volunteer_id: &str,
    except: &str,
) -> Result<Vec<(i64, i64, bool)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT window_from, window_to, planned FROM assignments
         WHERE volunteer_id = ?1 AND id <> ?2 AND status IN ('proposed', 'accepted', 'started')",
    )?;
    let rows = stmt.query_map([volunteer_id, except], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether two windows clash: a planned slot never shares time with anything, while two
/// tasks "from now" share the volunteer by capacity alone.
pub fn clash(a: (i64, i64, bool), b: (i64, i64, bool)) -> bool {
    (a.2 || b.2) && a.0 < b.1 && b.0 < a.1
}

/// Why a volunteer cannot take one more assignment with `window`, if they cannot: the rule
/// the device checks before it writes and the server checks again against its own state.
pub fn refusal(
    capacity: u32,
    health: super::Health,
    active: bool,
    booked: &[(i64, i64, bool)],
    window: (i64, i64, bool),
) -> Option<Refusal> {
    if !active {
        return Some(Refusal::VolunteerInactive);
    }
    if health != super::Health::Well {
        return Some(Refusal::VolunteerUnwell { health: health.as_str().into() });
    }
    if booked.len() as u32 >= capacity {
        return Some(Refusal::AtCapacity { active: booked.len() as u32 });
    }
    clash_refusal(booked, window)
}

/// Why `window` cannot be held beside the volunteer's other bookings, if it cannot: a new
/// assignment, or a task "from now" whose window moves to when it was accepted or started.
pub fn clash_refusal(booked: &[(i64, i64, bool)], window: (i64, i64, bool)) -> Option<Refusal> {
    let b = booked.iter().find(|b| clash(**b, window))?;
    let fmt = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.with_timezone(&chrono_tz::Asia::Shanghai).format("%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    Some(Refusal::Booked { from: fmt(b.0), to: fmt(b.1) })
}

/// A clash found when a task "from now" moves its window to its acceptance.
pub fn from_now(r: Refusal) -> Refusal {
    match r {
        Refusal::Booked { from, to } => Refusal::BookedFromNow { from, to },
        other => other,
    }
}

struct Loaded {
    status: AssignmentStatus,
    request_id: String,
    volunteer_id: String,
    planned: bool,
    window: (i64, i64),
}

fn load(w: &Write<'_>, id: &str) -> Result<Loaded> {
    w.tx()
        .prepare_cached(
            "SELECT status, request_id, volunteer_id, planned, window_from, window_to
             FROM assignments WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(Loaded {
                status: AssignmentStatus::parse(&r.get::<_, String>(0)?)
                    .unwrap_or(AssignmentStatus::Cancelled),
                request_id: r.get(1)?,
                volunteer_id: r.get(2)?,
                planned: r.get(3)?,
                window: (r.get(4)?, r.get(5)?),
            })
        })
        .optional()?
        .ok_or_else(|| CoreError::NotFound(format!("assignment {id}")))
}

fn emit(
    w: &mut Write<'_>,
    kind: &str,
    mut payload: Value,
    before: Option<Value>,
    after: Value,
) -> Result<()> {
    let subjects: Vec<String> = ["request_id", "volunteer_id", "assignment_id"]
        .iter()
        .filter_map(|k| payload[k].as_str().map(str::to_owned))
        .collect();
    if payload.get("events").is_none() {
        payload["events"] = json!([]);
    }
    let op = w.emit(kind, &payload)?;
    w.audit(AuditEntry {
        action: kind.into(),
        entity: ENTITY.into(),
        entity_ids: payload["assignment_id"].as_str().map(str::to_owned).into_iter().collect(),
        before,
        after: Some(after),
        op_id: Some(op.op_id),
        subjects,
        ..AuditEntry::default()
    })?;
    Ok(())
}

/// Sends a volunteer to a request: the assignment (holding its window), the request assigned
/// (accepted first when it was new: one key at 9 pm), one op.
pub fn assign(ctx: &mut Ctx<'_>, input: AssignInput) -> Result<Assignment> {
    let note = input.note.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if let Some((from, to)) = input.slot {
        if to <= from {
            return Err(CoreError::Invalid("a planned slot must end after it starts".into()));
        }
    }
    let id = ctx.write(|w| {
        let vol = super::read::get_in(w.tx(), &input.volunteer_id)?
            .ok_or_else(|| CoreError::NotFound(format!("volunteer {}", input.volunteer_id)))?;
        let category: String = w
            .tx()
            .prepare_cached("SELECT category FROM requests WHERE id = ?1")?
            .query_row([&input.request_id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| CoreError::NotFound(format!("request {}", input.request_id)))?;
        let active_here: i64 = w.tx().query_row(
            "SELECT count(*) FROM assignments WHERE request_id = ?1
             AND status IN ('proposed', 'accepted', 'started')",
            [&input.request_id],
            |r| r.get(0),
        )?;
        if active_here > 0 {
            return Err(Refusal::RequestHasVolunteer.into());
        }
        let now = w.at().timestamp_millis();
        let minutes = super::refdata::service_of(w.tx(), &category)?.task_minutes;
        let window = match input.slot {
            Some((a, b)) => (a, b, true),
            None => (now, now + i64::from(minutes) * 60_000, false),
        };
        let booked = bookings(w.tx(), &vol.id, "")?;
        if let Some(why) = refusal(vol.capacity, vol.health, vol.active, &booked, window) {
            return Err(why.into());
        }
        let mut steps = Vec::new();
        let mut events = Vec::new();
        if position_of(w, &input.request_id)?.status == Status::New {
            let (e, _) = step_in(w, &input.request_id, Action::Accept, None, json!({}))?;
            steps.push("accept");
            events.push(e);
        }
        let (e, _) = step_in(
            w,
            &input.request_id,
            Action::Assign,
            Some(Some(&vol.name)),
            json!({ "assignee": vol.name, "volunteer_id": vol.id }),
        )?;
        steps.push("assign");
        events.push(e);
        let id = uuid::Uuid::now_v7().to_string();
        let hlc = w.stamp();
        let at = w.at_rfc3339();
        let area: Option<i64> = w.tx().query_row(
            "SELECT area_rid FROM requests WHERE id = ?1",
            [&input.request_id],
            |r| r.get(0),
        )?;
        w.tx()
            .prepare_cached(
                "INSERT INTO assignments (id, request_id, volunteer_id, area_rid, status, planned,
                     window_from, window_to, assigned_at, assigned_by, progress_at, note,
                     created_hlc, created_site)
                 VALUES (?1, ?2, ?3, ?4, 'proposed', ?5, ?6, ?7, ?8, ?9, ?8, ?10, ?11, ?12)",
            )?
            .execute(params![
                id,
                input.request_id,
                vol.id,
                area,
                window.2,
                window.0,
                window.1,
                at,
                w.actor().display,
                note,
                hlc.0,
                w.site_id().to_owned()
            ])?;
        let payload = json!({
            "assignment_id": id, "request_id": input.request_id, "volunteer_id": vol.id,
            "steps": steps, "events": events,
        });
        let after =
            json!({ "volunteer": vol.name, "window": [window.0, window.1], "planned": window.2 });
        emit(w, "assignment.make", payload, None, after)?;
        Ok(id)
    })?;
    get(ctx.store, ctx.clock.now(), &id)
}

/// Records what happened with an assignment.
pub fn record(ctx: &mut Ctx<'_>, id: &str, m: Move, note: Option<String>) -> Result<Assignment> {
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if matches!(m, Move::Release | Move::Decline) && note.is_none() {
        return Err(CoreError::Invalid(format!(
            "say why the assignment is {} (the history keeps it)",
            if m == Move::Release { "released" } else { "declined" }
        )));
    }
    ctx.write(|w| {
        let a = load(w, id)?;
        let to = next(a.status, m)?;
        let now = w.at().timestamp_millis();
        let at = w.at_rfc3339();
        let request = position_of(w, &a.request_id)?;
        let mut steps = Vec::new();
        let mut events = Vec::new();
        let mut late = false;
        if let Some(action) = request_action(m, request.status) {
            if m == Move::Done {
                late = w
                    .tx()
                    .query_row("SELECT due_ms FROM requests WHERE id = ?1", [&a.request_id], |r| {
                        r.get::<_, Option<i64>>(0)
                    })?
                    .is_some_and(|due| now > due);
            }
            let data = json!({ "assignment": m.as_str(), "note": note });
            let assignee = (action == Action::Unassign).then_some(None);
            let (e, _) = step_in(w, &a.request_id, action, assignee, data)?;
            steps.push(action.as_str());
            events.push(e);
        }
        let minutes = {
            let cat: String = w.tx().query_row(
                "SELECT category FROM requests WHERE id = ?1",
                [&a.request_id],
                |r| r.get(0),
            )?;
            super::refdata::service_of(w.tx(), &cat)?.task_minutes
        };
        // The window follows what happened: a task "from now" holds from acceptance; done
        // frees the volunteer at once.
        let window = match to {
            AssignmentStatus::Accepted | AssignmentStatus::Started if !a.planned && a.status == AssignmentStatus::Proposed => {
                (now, now + i64::from(minutes) * 60_000)
            }
            AssignmentStatus::Done => (a.window.0.min(now), now.max(a.window.0)),
            _ => a.window,
        };
        // A task "from now" moved to now must not run into a planned slot booked since it was
        // made (the server checks the same against every laptop's bookings).
        if window != a.window && to.is_active() {
            let others = bookings(w.tx(), &a.volunteer_id, id)?;
            if let Some(why) = clash_refusal(&others, (window.0, window.1, a.planned)) {
                return Err(from_now(why).into());
            }
        }
        let ended = !to.is_active() && to != AssignmentStatus::Done;
        w.tx()
            .prepare_cached(
                "UPDATE assignments SET status = ?2, window_from = ?3, window_to = ?4, progress_at = ?5,
                     accepted_at = CASE WHEN ?2 = 'accepted' THEN ?5 ELSE accepted_at END,
                     started_at = CASE WHEN ?2 = 'started' THEN ?5 ELSE started_at END,
                     done_at = CASE WHEN ?2 = 'done' THEN ?5 ELSE done_at END,
                     ended_at = CASE WHEN ?6 THEN ?5 ELSE ended_at END,
                     late = ?7, note = coalesce(?8, note)
                 WHERE id = ?1",
            )?
            .execute(params![id, to.as_str(), window.0, window.1, at, ended, late, note])?;
        let hlc = w.stamp();
        for f in ["status", "window_from", "window_to", "progress_at", "late", "note"] {
            w.field_clock(ENTITY, id, f, hlc)?;
        }
        let payload = json!({
            "assignment_id": id, "request_id": a.request_id, "volunteer_id": a.volunteer_id,
            "move": m.as_str(), "steps": steps, "events": events,
        });
        emit(
            w,
            &format!("assignment.{}", m.as_str()),
            payload,
            Some(json!({ "status": a.status.as_str() })),
            json!({ "status": to.as_str(), "note": note, "late": late }),
        )
    })?;
    get(ctx.store, ctx.clock.now(), id)
}

/// Ends the active assignment of a request the official handed elsewhere or ended, inside that
/// command (requests::commands::act). Returns the ids it ended.
pub(crate) fn end_for_request(w: &mut Write<'_>, request_id: &str) -> Result<Vec<String>> {
    let ids: Vec<String> = w
        .tx()
        .prepare_cached(
            "SELECT id FROM assignments WHERE request_id = ?1
             AND status IN ('proposed', 'accepted', 'started')",
        )?
        .query_map([request_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let at = w.at_rfc3339();
    for id in &ids {
        w.tx()
            .prepare_cached(
                "UPDATE assignments SET status = 'cancelled', progress_at = ?2, ended_at = ?2 WHERE id = ?1",
            )?
            .execute([id, &at])?;
        let hlc = w.stamp();
        for f in ["status", "progress_at"] {
            w.field_clock(ENTITY, id, f, hlc)?;
        }
    }
    Ok(ids)
}

/// The official confirms the service was given: the assignment is confirmed and the points
/// of its category are earned (capped per day), in one command.
pub fn confirm(ctx: &mut Ctx<'_>, id: &str) -> Result<Assignment> {
    ctx.write(|w| confirm_in(w, id, "official").map(|_| ()))?;
    get(ctx.store, ctx.clock.now(), id)
}

/// The confirmation inside a command (the official's, or a callback's at the close of the
/// request). Returns the points entry written, if any.
pub(crate) fn confirm_in(w: &mut Write<'_>, id: &str, by: &str) -> Result<Option<String>> {
    let (status, confirmed, request_id, volunteer_id, done_at): (String, Option<String>, String, String, Option<String>) = w
        .tx()
        .prepare_cached(
            "SELECT status, confirmed_by, request_id, volunteer_id, done_at FROM assignments WHERE id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?
        .ok_or_else(|| CoreError::NotFound(format!("assignment {id}")))?;
    if status != "done" {
        return Err(Refusal::TaskNotDone { status }.into());
    }
    if confirmed.is_some() {
        return Err(Refusal::TaskAlreadyConfirmed.into());
    }
    let at = w.at_rfc3339();
    w.tx()
        .prepare_cached(
            "UPDATE assignments SET confirmed_by = ?2, confirmed_at = ?3 WHERE id = ?1",
        )?
        .execute([id, by, &at])?;
    let hlc = w.stamp();
    for f in ["confirmed_by", "confirmed_at"] {
        w.field_clock(ENTITY, id, f, hlc)?;
    }
    let entry = super::points::earn_in(w, &volunteer_id, id, &request_id, done_at.as_deref())?;
    let payload = json!({
        "assignment_id": id, "request_id": request_id, "volunteer_id": volunteer_id,
        "move": "confirm", "by": by, "points": entry.iter().collect::<Vec<_>>(),
    });
    emit(
        w,
        "assignment.confirm",
        payload,
        None,
        json!({ "confirmed_by": by, "points_entry": entry }),
    )?;
    Ok(entry)
}
