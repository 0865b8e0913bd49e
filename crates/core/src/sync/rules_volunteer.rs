//! What the server decides for volunteers, against its own state whatever laptops recorded
//! offline: a volunteer is never booked beyond capacity or into a clashing planned slot, an
//! assignment's status only moves forward, points are earned only with a confirmed task and
//! within the daily cap, and a balance never goes below zero.
//!
//! The server keeps, per volunteer, a `volunteer_state` row of what it decided (active
//! bookings, balance, points earned per recent day), and per request a `request_volunteer`
//! row naming the assignment last made for it, so each decision reads a row or two instead of
//! every assignment and entry; devices count from their own rows and skip both.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{lww_put, malformed, no, scope_of, within, Apply, Ctx, R};
use crate::refusal::Refusal;
use crate::sync::hub::HubTx;
use crate::sync::merge;
use crate::sync::wire::{entity, Row};
use crate::volunteers::assignment::{self, AssignmentStatus, Move};
use crate::volunteers::Health;

/// Fields of an assignment that only its moves set (never last-writer-wins).
const MOVED: [&str; 11] = [
    "status",
    "window_from",
    "window_to",
    "progress_at",
    "accepted_at",
    "started_at",
    "done_at",
    "ended_at",
    "late",
    "confirmed_by",
    "confirmed_at",
];

#[derive(Default)]
struct State {
    /// Active assignment id → (from, to, planned).
    bookings: BTreeMap<String, (i64, i64, bool)>,
    balance: i64,
    /// Local date → points earned that day (the latest `EARNED_DAYS` days with earnings).
    earned: BTreeMap<String, i64>,
    /// The latest day no longer counted in `earned`: what it earned is not known here, so
    /// nothing more is earned for it or any day before.
    forgotten: Option<String>,
}

/// Days of earnings the server counts per volunteer. The first cut kept a fortnight and then
/// counted a day it had dropped from zero: a task done on it and confirmed later (a laptop
/// offline for two weeks) could earn past the cap. A year of days is a few kilobytes.
const EARNED_DAYS: usize = 366;

fn state(tx: &mut dyn HubTx, volunteer: &str) -> R<State> {
    let Some(s) = tx.get(entity::VOLUNTEER_STATE, volunteer)? else { return Ok(State::default()) };
    let f = &s.row.fields;
    let bookings = f
        .get("bookings")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(id, b)| {
                    let n = |i: usize| b[i].as_i64().unwrap_or(0);
                    (id.clone(), (n(0), n(1), b[2].as_bool().unwrap_or(false)))
                })
                .collect()
        })
        .unwrap_or_default();
    let earned = f
        .get("earned")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(d, v)| (d.clone(), v.as_i64().unwrap_or(0))).collect())
        .unwrap_or_default();
    Ok(State {
        bookings,
        balance: f.get("balance").and_then(Value::as_i64).unwrap_or(0),
        earned,
        forgotten: f.get("forgotten").and_then(Value::as_str).map(str::to_owned),
    })
}

fn save(tx: &mut dyn HubTx, c: &Ctx<'_>, volunteer: &str, scope: &str, mut st: State) -> R<()> {
    while st.earned.len() > EARNED_DAYS {
        let first = st.earned.keys().next().cloned().unwrap_or_default();
        st.earned.remove(&first);
        st.forgotten = Some(first);
    }
    let mut row = Row::new(entity::VOLUNTEER_STATE, volunteer, c.stamp.clone());
    let bookings: serde_json::Map<String, Value> =
        st.bookings.iter().map(|(id, b)| (id.clone(), json!([b.0, b.1, b.2]))).collect();
    row.set("bookings", Value::Object(bookings));
    row.set("balance", json!(st.balance));
    row.set("earned", json!(st.earned));
    if let Some(day) = &st.forgotten {
        row.set("forgotten", json!(day));
    }
    tx.put(&row, scope, None)?;
    Ok(())
}

fn int(row: &Row, f: &str) -> i64 {
    row.fields.get(f).and_then(Value::as_i64).unwrap_or(0)
}

fn status(row: &Row) -> AssignmentStatus {
    row.str("status").and_then(AssignmentStatus::parse).unwrap_or(AssignmentStatus::Proposed)
}

pub(super) fn volunteer(tx: &mut dyn HubTx, c: &mut Ctx<'_>, row: &Row) -> R<()> {
    lww_put(tx, c, row, "", None, &[])?;
    Ok(())
}

pub(super) fn assignment(tx: &mut dyn HubTx, c: &mut Ctx<'_>, row: &Row) -> R<()> {
    let kind = c.op.kind.clone();
    let Some(vol_id) = row.str("volunteer_id").map(str::to_owned) else {
        return malformed("an assignment without its volunteer");
    };
    let Some(stored) = tx.get(entity::ASSIGNMENT, &row.id)? else {
        if kind.starts_with("request.") {
            // The request's step ends an assignment the server never took (its dispatch was
            // refused): nothing to end here; the device's copy goes.
            let mut t = Row::new(entity::ASSIGNMENT, row.id.clone(), row.created.clone());
            t.deleted = true;
            c.echo.push(t);
            return Ok(());
        }
        if kind != "assignment.make" {
            return no(Refusal::AssignmentUnknown);
        }
        return make(tx, c, row, &vol_id);
    };
    let from = status(&stored.row);
    if kind.starts_with("request.") && !from.is_active() {
        // The request's step frees a volunteer whose task already ended on the server (a
        // no-show or a release recorded on another laptop first): nothing left to end, and the
        // step itself (cancel, transfer…) still stands; the laptop takes the server's copy.
        if stored.row.fields != row.fields {
            c.echo.push(stored.row);
        }
        return Ok(());
    }
    let mut merged = stored.row.clone();
    let set = |m: &mut Row, f: &str, v: Value| {
        m.set(f, v);
        merge::set_stamp(m, f, c.stamp.clone());
    };
    if kind == "assignment.confirm" {
        if from != AssignmentStatus::Done {
            return no(Refusal::TaskNotDone { status: from.as_str().into() });
        }
        if stored.row.str("confirmed_by").is_none() {
            for f in ["confirmed_by", "confirmed_at"] {
                set(&mut merged, f, row.fields.get(f).cloned().unwrap_or(Value::Null));
            }
        }
    } else if kind != "assignment.make" {
        let m = match kind.strip_prefix("assignment.") {
            Some(m) => Move::parse(m),
            None if kind.starts_with("request.") => Some(Move::Cancel),
            None => None,
        };
        let Some(m) = m else {
            return malformed(format!("“{kind}” cannot change an assignment"));
        };
        let to = assignment::next(from, m).map_err(Apply::Rejected)?;
        set(&mut merged, "status", json!(to.as_str()));
        // The row is read when the laptop pushes: if the task has ended there since (done
        // after this accept), its window is the end's, not one this move would hold.
        let held = !to.is_active() || status(row).is_active();
        for f in &MOVED[1..9] {
            if let Some(v) = row.fields.get(*f).filter(|_| held || !f.starts_with("window_")) {
                set(&mut merged, f, v.clone());
            }
        }
        let mut st = state(tx, &vol_id)?;
        if to.is_active() {
            let window = (
                int(&merged, "window_from"),
                int(&merged, "window_to"),
                merged.fields.get("planned").and_then(Value::as_bool).unwrap_or(false),
            );
            // A task "from now" holds the volunteer from its acceptance: the window moved, and
            // must not run into a planned slot another laptop booked meanwhile (never
            // double-booked, whatever the order the laptops' work arrives in).
            if (window.0, window.1)
                != (int(&stored.row, "window_from"), int(&stored.row, "window_to"))
            {
                let others: Vec<(i64, i64, bool)> =
                    st.bookings.iter().filter(|(id, _)| **id != row.id).map(|(_, b)| *b).collect();
                if let Some(why) = assignment::clash_refusal(&others, window) {
                    return no(assignment::from_now(why));
                }
            }
            st.bookings.insert(row.id.clone(), window);
        } else {
            st.bookings.remove(&row.id);
        }
        let vscope =
            tx.get(entity::VOLUNTEER, &vol_id)?.map(|v| v.scope).unwrap_or(stored.scope.clone());
        save(tx, c, &vol_id, &vscope, st)?;
    }
    // A note and the like merge by last writer wins; what the moves set never does.
    let (mut out, _) = merge::lww(&merged, row, &MOVED);
    out.version = 0;
    // Stored as decided, like a request's step: merging it again by stamps would keep the
    // stored status whenever this op was stamped before the last move (a laptop that recorded
    // offline earlier), and the row would say "started" while the bookings say it ended.
    let scope = scope_of(tx, c, out.str("area"))?;
    if !within(c, &scope) || !within(c, &stored.scope) {
        return no(Refusal::OutsideGrant);
    }
    tx.put(&out, &scope, None)?;
    if out.fields != row.fields {
        c.echo.push(out);
    }
    Ok(())
}

/// A new assignment: the volunteer's capacity, health and time decided here, against every
/// booking any laptop made that reached the server first.
fn make(tx: &mut dyn HubTx, c: &mut Ctx<'_>, row: &Row, vol_id: &str) -> R<()> {
    let Some(vol) = tx.get(entity::VOLUNTEER, vol_id)? else {
        return no(Refusal::VolunteerNotOnServer);
    };
    if vol.row.deleted {
        return no(Refusal::VolunteerRemoved);
    }
    let capacity = vol.row.fields.get("capacity").and_then(Value::as_u64).unwrap_or(1) as u32;
    let health = vol.row.str("health").and_then(Health::parse).unwrap_or(Health::Well);
    let active = vol.row.fields.get("active").and_then(Value::as_bool).unwrap_or(true);
    let planned = row.fields.get("planned").and_then(Value::as_bool).unwrap_or(false);
    let window = (int(row, "window_from"), int(row, "window_to"), planned);
    let mut st = state(tx, vol_id)?;
    let booked: Vec<(i64, i64, bool)> = st.bookings.values().copied().collect();
    if let Some(why) = assignment::refusal(capacity, health, active, &booked, window) {
        return no(why);
    }
    // One volunteer at a time per request, as on the device: two laptops sending each their
    // volunteer to the same request offline would leave the first one booked (holding their
    // capacity) for work handed to the second.
    let request_id = row.str("request_id").unwrap_or_default().to_owned();
    if let Some(held) = tx.get(entity::REQUEST_VOLUNTEER, &request_id)? {
        let other = held.row.str("assignment").unwrap_or_default().to_owned();
        let busy = match tx.get(entity::ASSIGNMENT, &other)? {
            Some(a) => other != row.id && status(&a.row).is_active(),
            None => false,
        };
        if busy {
            return no(Refusal::RequestHasVolunteer);
        }
    }
    let mut r = row.clone();
    let proposed = r.str("status") != Some("proposed");
    if proposed {
        // Later moves are their own ops, decided one by one.
        r.set("status", json!("proposed"));
        for f in &MOVED[4..] {
            r.set(f, Value::Null);
        }
        r.set("late", json!(false));
    }
    let scope = lww_put(tx, c, &r, "", None, &[])?;
    if proposed {
        c.echo.push(r);
    }
    let held = Row::new(entity::REQUEST_VOLUNTEER, request_id, c.stamp.clone())
        .with("assignment", row.id.clone());
    tx.put(&held, &scope, None)?;
    st.bookings.insert(row.id.clone(), window);
    save(tx, c, vol_id, &vol.scope, st)
}

fn setting(tx: &mut dyn HubTx, key: &str, default: i64) -> R<i64> {
    Ok(tx
        .get(entity::DISTRICT_SETTING, key)?
        .and_then(|s| s.row.str("value").and_then(|v| v.parse().ok()))
        .unwrap_or(default))
}

pub(super) fn points_entry(tx: &mut dyn HubTx, c: &mut Ctx<'_>, row: &Row) -> R<()> {
    if let Some(kept) = tx.get(entity::POINTS_ENTRY, &row.id)? {
        // The same earning confirmed on two laptops (its id comes from the task): one entry.
        // The later laptop's copy differs (its time, its official, perhaps its amount under
        // its own count of the cap): it takes the server's, now. A pull would bring it only if
        // the laptop's cursor were still before it, and a pull made while this op waited
        // skipped it.
        if kept.row.fields != row.fields {
            c.echo.push(kept.row);
        }
        return Ok(());
    }
    let Some(vol_id) = row.str("volunteer_id").map(str::to_owned) else {
        return malformed("a points entry without its volunteer");
    };
    let Some(vol) = tx.get(entity::VOLUNTEER, &vol_id)? else {
        return no(Refusal::VolunteerNotOnServer);
    };
    let amount = int(row, "amount");
    let day = row.str("day").unwrap_or_default().to_owned();
    let mut st = state(tx, &vol_id)?;
    let mut stored = row.clone();
    match row.str("kind") {
        Some("earn") => {
            if c.op.kind != "assignment.confirm" {
                return no(Refusal::PointsOnlyForConfirmed);
            }
            let task = row.str("assignment_id").unwrap_or_default();
            let Some(a) = tx.get(entity::ASSIGNMENT, task)? else {
                return no(Refusal::PointsTaskUnknown);
            };
            if a.row.str("confirmed_by").is_none()
                || a.row.str("volunteer_id") != Some(vol_id.as_str())
            {
                return no(Refusal::PointsTaskUnconfirmed);
            }
            let category = match a.row.str("request_id") {
                Some(r) => tx
                    .get(entity::REQUEST, r)?
                    .and_then(|q| q.row.str("category").map(str::to_owned)),
                None => None,
            }
            .unwrap_or_default();
            let value = match tx.get(entity::CATEGORY_SERVICE, &category)? {
                Some(s) => s.row.fields.get("points").and_then(Value::as_i64).unwrap_or(0),
                None => i64::from(crate::volunteers::refdata::default_points(&category)),
            };
            let cap = setting(
                tx,
                "points_daily_cap",
                i64::from(crate::volunteers::refdata::DEFAULT_SETTINGS.points_daily_cap),
            )?;
            let counted = st.forgotten.as_ref().is_none_or(|f| day > *f);
            let room = if counted { cap - st.earned.get(&day).copied().unwrap_or(0) } else { 0 };
            let granted = amount.min(value).min(room);
            if granted <= 0 {
                // The cap was reached by tasks other laptops confirmed first (or the day is
                // older than the year counted): the task stays confirmed, this entry goes.
                let mut t = Row::new(entity::POINTS_ENTRY, row.id.clone(), row.created.clone());
                t.deleted = true;
                c.echo.push(t);
                return Ok(());
            }
            if granted < amount {
                stored.set("amount", json!(granted));
                stored.set(
                    "note",
                    json!(format!("capped at the daily limit of {cap} (on the server)")),
                );
                c.echo.push(stored.clone());
            }
            *st.earned.entry(day).or_default() += granted;
            st.balance += granted;
        }
        Some(k @ ("redeem" | "correct")) => {
            if k == "redeem" && amount >= 0 {
                return malformed("a redemption takes points");
            }
            if st.balance + amount < 0 {
                return no(Refusal::BalanceTooLow { balance: st.balance, amount: -amount });
            }
            st.balance += amount;
        }
        _ => return malformed("an unknown kind of points entry"),
    }
    let scope = vol.scope.clone();
    if !super::within(c, &scope) {
        return no(Refusal::OutsideGrant);
    }
    tx.put(&stored, &scope, None)?;
    save(tx, c, &vol_id, &scope, st)
}
