//! Reference data requests depend on: categories with their questions, deadline policies, the
//! holiday calendar and the district's mode. All of it is data in the store (editable, and a
//! separate sync stream later), seeded from the embedded defaults the first time a store
//! opens with this schema.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::triage::{self, Level};
use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::sla::{self, BusinessHours, Calendar, CalendarDay, DayKind, Mode, Policy, Priority};
use crate::write::AuditEntry;

/// A category as the intake form shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Category {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub base: Priority,
    /// The category's questions (JSON as `triage::Question` writes it).
    #[ts(
        type = "Array<{ key: string, label_zh: string, label_en: string, kind: unknown, required: boolean }>"
    )]
    pub questions: serde_json::Value,
    pub active: bool,
}

/// A district setting as stored (they sync as `district_setting` rows), if it is set.
pub(crate) fn setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM district_settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Sets a district setting; the caller's op names the key, so the setting syncs.
pub(crate) fn put_setting(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO district_settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute((key, value))?;
    Ok(())
}

pub(crate) fn priority_of(level: Level) -> Priority {
    match level {
        Level::Urgent => Priority::Urgent,
        Level::High => Priority::High,
        Level::Normal => Priority::Normal,
        Level::Low => Priority::Low,
    }
}

pub(crate) fn level_of(p: Priority) -> Level {
    match p {
        Priority::Urgent => Level::Urgent,
        Priority::High => Level::High,
        Priority::Normal => Level::Normal,
        Priority::Low => Level::Low,
    }
}

/// Seeds what a store without reference data needs. Runs at open, inside the migration's
/// aftermath, before any command: the rows are the program's defaults, not anyone's edit, so
/// they are not operations (every device seeds the same).
pub(crate) fn seed_defaults(conn: &Connection) -> Result<()> {
    let tx = conn.unchecked_transaction()?;
    let have: i64 = tx.query_row("SELECT count(*) FROM categories", [], |r| r.get(0))?;
    if have == 0 {
        let mut ins = tx.prepare(
            "INSERT INTO categories (key, label_zh, label_en, base, questions, sort)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for c in triage::default_categories() {
            ins.execute((
                &c.key,
                &c.label_zh,
                &c.label_en,
                priority_of(c.base).as_str(),
                serde_json::to_string(&c.questions)?,
                c.sort,
            ))?;
        }
    }
    // New years of the published calendar arrive with program updates; an official's edit of
    // a day already present is kept.
    let mut day = tx.prepare(
        "INSERT OR IGNORE INTO calendar_days (date, kind, name, provisional) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for d in sla::china_days() {
        let kind = match d.kind {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        };
        day.execute((d.date.to_string(), kind, &d.name, d.provisional))?;
    }
    drop((day,));
    tx.execute(
        "INSERT OR IGNORE INTO district_settings (key, value) VALUES
         ('sla_mode', 'normal'), ('time_zone', 'Asia/Shanghai')",
        [],
    )?;
    tx.commit()?;
    Ok(())
}

/// The categories, in the order the intake form lists them.
pub fn categories(store: &crate::Store) -> Result<Vec<Category>> {
    categories_in(store.conn())
}

pub(crate) fn categories_in(conn: &Connection) -> Result<Vec<Category>> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, label_zh, label_en, base, questions, active FROM categories ORDER BY sort, key",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Category {
            key: r.get(0)?,
            label_zh: r.get(1)?,
            label_en: r.get(2)?,
            base: r.get::<_, String>(3)?.parse().unwrap_or(Priority::Normal),
            questions: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or_default(),
            active: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn category(conn: &Connection, key: &str) -> Result<Category> {
    categories_in(conn)?.into_iter().find(|c| c.key == key && c.active).ok_or_else(|| {
        CoreError::Invalid(format!("there is no category “{key}”; choose one from the list"))
    })
}

/// What deadlines are computed against: the calendar, the mode and the policy table.
#[derive(Debug, Clone)]
pub struct Env {
    pub calendar: Calendar,
    pub mode: Mode,
    overrides: HashMap<(String, Priority), Policy>,
}

impl Env {
    /// The district's calendar, mode and policies as the store holds them now.
    pub fn of(store: &crate::Store) -> Result<Env> {
        Env::load(store.conn())
    }

    pub(crate) fn load(conn: &Connection) -> Result<Env> {
        let setting = |key: &str| setting(conn, key);
        let (mode, tz, hours) =
            (setting("sla_mode")?, setting("time_zone")?, setting("business_hours")?);
        let mut days = Vec::new();
        let mut stmt =
            conn.prepare_cached("SELECT date, kind, name, provisional FROM calendar_days")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let date: String = r.get(0)?;
            let Ok(date) = date.parse() else { continue };
            let kind = if r.get::<_, String>(1)? == "workday" {
                DayKind::Workday
            } else {
                DayKind::Holiday
            };
            days.push(CalendarDay { date, kind, name: r.get(2)?, provisional: r.get(3)? });
        }
        let mut policies = Vec::new();
        let mut stmt =
            conn.prepare_cached("SELECT category, priority, mode, policy FROM sla_policies")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            policies.push((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
        }
        Env::from_parts(mode.as_deref(), tz.as_deref(), hours.as_deref(), &days, &policies)
    }

    /// The same from the district's settings, calendar days and policy rows as text (the
    /// server builds it from its rows to judge requests it purges, so both sides agree).
    /// `policies` are (category, priority, mode, policy JSON); those of other modes are skipped.
    pub fn from_parts(
        mode: Option<&str>,
        tz: Option<&str>,
        hours: Option<&str>,
        days: &[CalendarDay],
        policies: &[(String, String, String, String)],
    ) -> Result<Env> {
        let mode = match mode {
            Some("lockdown") => Mode::Lockdown,
            _ => Mode::Normal,
        };
        let tz: chrono_tz::Tz =
            tz.and_then(|t| t.parse().ok()).unwrap_or(chrono_tz::Asia::Shanghai);
        let hours: BusinessHours =
            hours.and_then(|h| serde_json::from_str(h).ok()).unwrap_or_default();
        let calendar = Calendar::new(tz, hours, days)
            .map_err(|e| CoreError::Invalid(format!("the district's calendar: {e}")))?;
        let mut overrides = HashMap::new();
        for (category, priority, m, policy) in policies {
            if m != mode_str(mode) {
                continue;
            }
            let (Ok(p), Ok(policy)) =
                (priority.parse::<Priority>(), serde_json::from_str::<Policy>(policy))
            else {
                continue;
            };
            overrides.insert((category.clone(), p), policy);
        }
        Ok(Env { calendar, mode, overrides })
    }

    /// The policy for a category and priority in the current mode.
    pub fn policy(&self, category: &str, priority: Priority) -> Policy {
        self.overrides
            .get(&(category.to_owned(), priority))
            .cloned()
            .unwrap_or_else(|| sla::default_policy(priority, self.mode))
    }
}

pub fn mode_str(mode: Mode) -> &'static str {
    match mode {
        Mode::Normal => "normal",
        Mode::Lockdown => "lockdown",
    }
}

/// Switches the district between normal working and lockdown (24/7, tighter deadlines), and
/// recomputes every open request's clocks under the new mode in the same transaction.
pub fn set_mode(ctx: &mut Ctx<'_>, mode: Mode) -> Result<usize> {
    ctx.write(|w| {
        let before: Option<String> = w
            .tx()
            .query_row("SELECT value FROM district_settings WHERE key = 'sla_mode'", [], |r| {
                r.get(0)
            })
            .optional()?;
        put_setting(w.tx(), "sla_mode", mode_str(mode))?;
        let env = Env::load(w.tx())?;
        let n = super::derive::recompute_open(w.tx(), &env, w.at())?;
        let op = w.emit("district.set_mode", &serde_json::json!({ "mode": mode_str(mode) }))?;
        w.audit(AuditEntry {
            action: "district.set_mode".into(),
            entity: "district".into(),
            before: before.map(|b| serde_json::json!({ "sla_mode": b })),
            after: Some(serde_json::json!({ "sla_mode": mode_str(mode), "recomputed": n })),
            op_id: Some(op.op_id),
            ..AuditEntry::default()
        })?;
        Ok(n)
    })
}

/// The district's current mode.
pub fn mode(store: &crate::Store) -> Result<Mode> {
    Ok(Env::of(store)?.mode)
}
