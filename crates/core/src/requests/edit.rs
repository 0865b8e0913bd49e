//! Editing the reference data requests depend on: categories with their questions, deadline
//! policies per category and priority, and the holiday calendar. Each edit is a command of the
//! write path (op and audit entry), and an edit that moves deadlines recomputes every open
//! request's clocks in the same transaction.

use chrono::NaiveDate;
use rusqlite::OptionalExtension;
use serde_json::json;

use super::derive;
use super::refdata::{self, Env};
use super::triage::{self, CategoryDef};
use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::sla::{self, DayKind, Mode, Policy, Priority};
use crate::write::{AuditEntry, Write};

fn record(
    w: &mut Write<'_>,
    action: &str,
    entity: &str,
    ids: Vec<String>,
    before: Option<serde_json::Value>,
    after: serde_json::Value,
) -> Result<()> {
    let op = w.emit(action, &after)?;
    w.audit(AuditEntry {
        action: action.into(),
        entity: entity.into(),
        entity_ids: ids,
        before,
        after: Some(after),
        op_id: Some(op.op_id),
        ..AuditEntry::default()
    })?;
    Ok(())
}

/// Adds a category or replaces one (same key), checked by the same rules as the shipped list.
pub fn set_category(ctx: &mut Ctx<'_>, def: CategoryDef, active: bool) -> Result<()> {
    ctx.write(|w| {
        let mut all: Vec<CategoryDef> = refdata::categories_in(w.tx())?
            .into_iter()
            .filter(|c| c.key != def.key)
            .map(|c| CategoryDef {
                key: c.key,
                label_zh: c.label_zh,
                label_en: c.label_en,
                base: refdata::level_of(c.base),
                questions: serde_json::from_value(c.questions).unwrap_or_default(),
                sort: 0,
            })
            .collect();
        all.push(def.clone());
        triage::validate_categories(&all).map_err(|e| CoreError::Invalid(e.to_string()))?;
        let before: Option<String> = w
            .tx()
            .query_row("SELECT questions FROM categories WHERE key = ?1", [&def.key], |r| r.get(0))
            .optional()?;
        w.tx().execute(
            "INSERT INTO categories (key, label_zh, label_en, base, questions, sort, active)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (key) DO UPDATE SET label_zh = excluded.label_zh, label_en = excluded.label_en,
                 base = excluded.base, questions = excluded.questions, sort = excluded.sort, active = excluded.active",
            rusqlite::params![
                def.key,
                def.label_zh,
                def.label_en,
                refdata::priority_of(def.base).as_str(),
                serde_json::to_string(&def.questions)?,
                def.sort,
                active
            ],
        )?;
        let after = json!({ "category": def, "active": active });
        record(w, "category.set", "category", vec![def.key.clone()], before.map(|q| json!({ "questions": q })), after)
    })
}

/// Sets (or, with `None`, removes) a category's deadline policy for a priority in a mode, and
/// recomputes every open request's clocks.
pub fn set_policy(
    ctx: &mut Ctx<'_>,
    category: &str,
    priority: Priority,
    mode: Mode,
    policy: Option<Policy>,
) -> Result<usize> {
    ctx.write(|w| {
        refdata::category(w.tx(), category)?;
        if let Some(p) = &policy {
            p.validate().map_err(|e| CoreError::Invalid(e.to_string()))?;
        }
        let mode_s = refdata::mode_str(mode);
        match &policy {
            Some(p) => {
                w.tx().execute(
                    "INSERT INTO sla_policies (category, priority, mode, policy) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (category, priority, mode) DO UPDATE SET policy = excluded.policy",
                    rusqlite::params![category, priority.as_str(), mode_s, serde_json::to_string(p)?],
                )?;
            }
            None => {
                w.tx().execute(
                    "DELETE FROM sla_policies WHERE category = ?1 AND priority = ?2 AND mode = ?3",
                    rusqlite::params![category, priority.as_str(), mode_s],
                )?;
            }
        }
        let env = Env::load(w.tx())?;
        let n = derive::recompute_open(w.tx(), &env, w.at())?;
        let after = json!({ "category": category, "priority": priority.as_str(), "mode": mode_s, "policy": policy, "recomputed": n });
        record(w, "policy.set", "policy", vec![format!("{category}/{}/{mode_s}", priority.as_str())], None, after)?;
        Ok(n)
    })
}

/// Marks a day as a holiday or a make-up working day (or, with `None`, an ordinary day) and
/// recomputes every open request's clocks.
pub fn set_calendar_day(
    ctx: &mut Ctx<'_>,
    date: NaiveDate,
    day: Option<(DayKind, &str)>,
) -> Result<usize> {
    ctx.write(|w| {
        let before: Option<(String, String)> = w
            .tx()
            .query_row("SELECT kind, name FROM calendar_days WHERE date = ?1", [date.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match day {
            Some((kind, name)) => {
                let name = name.trim();
                if name.is_empty() {
                    return Err(crate::Refusal::NameTheDay.into());
                }
                let kind = match kind {
                    DayKind::Holiday => "holiday",
                    DayKind::Workday => "workday",
                };
                w.tx().execute(
                    "INSERT INTO calendar_days (date, kind, name, provisional) VALUES (?1, ?2, ?3, 0)
                     ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, name = excluded.name, provisional = 0",
                    rusqlite::params![date.to_string(), kind, name],
                )?;
            }
            None => {
                w.tx().execute("DELETE FROM calendar_days WHERE date = ?1", [date.to_string()])?;
            }
        }
        let env = Env::load(w.tx())?;
        let n = derive::recompute_open(w.tx(), &env, w.at())?;
        let after = json!({ "date": date.to_string(), "day": day.map(|(k, n)| json!({ "kind": k, "name": n })), "recomputed": n });
        let before = before.map(|(k, n)| json!({ "kind": k, "name": n }));
        record(w, "calendar.set", "calendar", vec![date.to_string()], before, after)?;
        Ok(n)
    })
}

/// The calendar days of a year, as the store holds them.
pub fn calendar_days(store: &crate::Store, year: i32) -> Result<Vec<sla::CalendarDay>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT date, kind, name, provisional FROM calendar_days WHERE date >= ?1 AND date < ?2 ORDER BY date",
    )?;
    let rows = stmt.query_map([format!("{year}-01-01"), format!("{}-01-01", year + 1)], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, bool>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (date, kind, name, provisional) = row?;
        let Ok(date) = date.parse() else { continue };
        let kind = if kind == "workday" { DayKind::Workday } else { DayKind::Holiday };
        out.push(sla::CalendarDay { date, kind, name, provisional });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::requests::{self, NewRequest, Step};
    use crate::{Actor, ManualClock, Store};

    #[test]
    fn a_policy_or_a_holiday_moves_the_deadlines_of_open_work_at_once() {
        let mut store = Store::open_in_memory().expect("store");
        // Thursday 2026-03-05 09:00 in Shanghai.
        let clock =
            ManualClock::at(chrono::Utc.with_ymd_and_hms(2026, 3, 5, 1, 0, 0).single().expect("t"));
        let actor = Actor::new("o", "official");
        let mut ctx = Ctx::new(&mut store, &clock, &actor);
        let input = NewRequest {
            category: "community_service".into(),
            description: "楼道灯坏了".into(),
            ..NewRequest::default()
        };
        let id = requests::create(&mut ctx, input).expect("create").id;
        requests::act(&mut ctx, &id, Step::Accept).expect("accept");
        let due = |ctx: &Ctx<'_>| {
            requests::read::get(ctx.store, &id, clock_now(&clock))
                .expect("get")
                .sla
                .resolution
                .due_at
        };
        let before = due(&ctx);
        // Friday 6 March declared a day off: seven working days end one working day later.
        let date = NaiveDate::from_ymd_opt(2026, 3, 6).expect("date");
        assert_eq!(
            set_calendar_day(&mut ctx, date, Some((DayKind::Holiday, "临时休假"))).expect("day"),
            1
        );
        let later = due(&ctx);
        assert!(later > before, "{later:?} > {before:?}");
        set_calendar_day(&mut ctx, date, None).expect("undo the day");
        assert_eq!(due(&ctx), before);
        // A tighter policy for the category: two hours around the clock.
        let tight = Policy {
            accept: sla::Budget::Minutes { minutes: 30, counting: sla::Counting::Continuous },
            first_response: sla::Budget::Minutes {
                minutes: 60,
                counting: sla::Counting::Continuous,
            },
            resolution: sla::Budget::Minutes { minutes: 120, counting: sla::Counting::Continuous },
        };
        set_policy(&mut ctx, "community_service", Priority::Normal, Mode::Normal, Some(tight))
            .expect("policy");
        assert_eq!(due(&ctx), Some(clock_now(&clock) + chrono::Duration::hours(2)));
        let err = set_policy(&mut ctx, "nope", Priority::Normal, Mode::Normal, None)
            .expect_err("unknown");
        assert!(err.to_string().contains("nope"));
    }

    #[test]
    fn categories_are_edited_under_the_same_rules_as_the_shipped_list() {
        let mut store = Store::open_in_memory().expect("store");
        let clock = ManualClock::fixed();
        let actor = Actor::new("o", "official");
        let mut ctx = Ctx::new(&mut store, &clock, &actor);
        let def = CategoryDef {
            key: "heating".into(),
            label_zh: "供暖".into(),
            label_en: "Heating".into(),
            base: triage::Level::High,
            questions: vec![],
            sort: 70,
        };
        set_category(&mut ctx, def.clone(), true).expect("added");
        let cats = refdata::categories(ctx.store).expect("cats");
        assert!(cats.iter().any(|c| c.key == "heating" && c.base == Priority::High));
        let bad = CategoryDef { label_en: " ".into(), ..def };
        assert!(set_category(&mut ctx, bad, true).is_err(), "a label is required");
    }

    fn clock_now(c: &ManualClock) -> chrono::DateTime<chrono::Utc> {
        crate::Clock::now(c)
    }
}
