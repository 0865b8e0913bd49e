//! Welfare check-ins: recurring requests generated from residents' tags (a daily call to each
//! elderly person living alone during a lockdown). A check-in's id derives from (rule,
//! resident, period) as a UUIDv5, so two laptops generating the same day offline make the same
//! request, and generating twice on one laptop makes nothing new.

use chrono::{Datelike, NaiveDate};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::derive;
use super::refdata::Env;
use crate::context::Ctx;
use crate::error::Result;
use crate::sla::Mode;
use crate::store::Store;
use crate::write::AuditEntry;

/// The namespace of check-in ids (a fixed random UUID: changing it would duplicate every
/// check-in made before).
const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6f1c_2a7e_4b0d_4c55_9a3e_8d21_7c4f_0b19);
const CHUNK: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    Day,
    Week,
}

/// A rule: who (a tag), how often, in which mode, what to ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Rule {
    pub key: String,
    pub tag: String,
    pub category: String,
    pub every: Every,
    /// Only while the district is in lockdown.
    pub lockdown_only: bool,
    pub description: String,
    pub active: bool,
}

/// What a run of the rules made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct CheckinReport {
    /// Check-ins made now.
    pub created: u32,
    /// Check-ins of this period that already existed (made earlier, here or synced).
    pub existing: u32,
    /// Rules skipped because they apply in lockdown only.
    pub skipped_rules: Vec<String>,
}

pub fn rules(store: &Store) -> Result<Vec<Rule>> {
    rules_in(store.conn())
}

fn rules_in(conn: &rusqlite::Connection) -> Result<Vec<Rule>> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, tag, category, every, lockdown_only, description, active FROM checkin_rules ORDER BY key",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Rule {
            key: r.get(0)?,
            tag: r.get(1)?,
            category: r.get(2)?,
            every: if r.get::<_, String>(3)? == "week" { Every::Week } else { Every::Day },
            lockdown_only: r.get(4)?,
            description: r.get(5)?,
            active: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The period a date falls in: the day itself, or its ISO week.
pub fn period(every: Every, date: NaiveDate) -> String {
    match every {
        Every::Day => date.to_string(),
        Every::Week => {
            let w = date.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
    }
}

/// The id every device gives the check-in of `rule` for `resident` in `period`.
pub fn checkin_id(rule: &str, resident: &str, period: &str) -> String {
    uuid::Uuid::new_v5(&NAMESPACE, format!("{rule}|{resident}|{period}").as_bytes()).to_string()
}

/// How many check-ins of `date` are still to be made: the app asks before it writes, so a
/// day already done costs no operation.
pub fn missing(store: &Store, date: NaiveDate) -> Result<u64> {
    let env = Env::of(store)?;
    let mut n = 0u64;
    for rule in rules_in(store.conn())?.into_iter().filter(|r| r.active) {
        if rule.lockdown_only && env.mode != Mode::Lockdown {
            continue;
        }
        let prefix = format!("{}|", rule.key);
        let suffix = format!("|{}", period(rule.every, date));
        let count: i64 = store.conn().query_row(
            "SELECT count(*) FROM residents r
             JOIN resident_tags rt ON rt.resident_rid = r.rid JOIN tags t ON t.id = rt.tag_id
             WHERE t.key = ?1 AND r.deleted = 0
               AND NOT EXISTS (SELECT 1 FROM requests q WHERE q.checkin_key = ?2 || r.id || ?3)",
            rusqlite::params![rule.tag, prefix, suffix],
            |r| r.get(0),
        )?;
        n += count as u64;
    }
    Ok(n)
}

/// Makes the check-ins due on `date` (in the district's calendar) for every active rule.
pub fn generate(ctx: &mut Ctx<'_>, date: NaiveDate) -> Result<CheckinReport> {
    ctx.write(|w| {
        let env = Env::load(w.tx())?;
        let mut report = CheckinReport::default();
        let mut chunk: Vec<String> = Vec::new();
        let mut ops = 0;
        for rule in rules_in(w.tx())?.into_iter().filter(|r| r.active) {
            if rule.lockdown_only && env.mode != Mode::Lockdown {
                report.skipped_rules.push(rule.key.clone());
                continue;
            }
            let period = period(rule.every, date);
            let people: Vec<(String, Option<i64>)> = w
                .tx()
                .prepare_cached(
                    "SELECT r.id, r.area_rid FROM residents r
                     JOIN resident_tags rt ON rt.resident_rid = r.rid JOIN tags t ON t.id = rt.tag_id
                     WHERE t.key = ?1 AND r.deleted = 0 ORDER BY r.rid",
                )?
                .query_map([&rule.tag], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (resident, area) in people {
                let key = format!("{}|{resident}|{period}", rule.key);
                let exists: Option<i64> = w
                    .tx()
                    .prepare_cached("SELECT 1 FROM requests WHERE checkin_key = ?1")?
                    .query_row([&key], |r| r.get(0))
                    .optional()?;
                if exists.is_some() {
                    report.existing += 1;
                    continue;
                }
                let id = checkin_id(&rule.key, &resident, &period);
                let hlc = w.stamp();
                w.tx()
                    .prepare_cached(
                        "INSERT INTO requests (id, resident_id, category, channel, description, area_rid, priority,
                             proposed, reasons, status, round, created_at, created_hlc, created_site, updated_at,
                             is_open, checkin_key)
                         VALUES (?1, ?2, ?3, 'api', ?4, ?5, 'normal', 'normal', ?6, 'new', 1, ?7, ?8, ?9, ?7, 1, ?10)",
                    )?
                    .execute(rusqlite::params![
                        id,
                        resident,
                        rule.category,
                        rule.description,
                        area,
                        json!([{ "code": "checkin", "level": "normal", "detail": rule.key }]).to_string(),
                        w.at_rfc3339(),
                        hlc.0,
                        w.site_id(),
                        key
                    ])?;
                let rid = w.tx().last_insert_rowid();
                w.tx()
                    .prepare_cached("INSERT INTO requests_fts (rowid, description, place) VALUES (?1, ?2, '')")?
                    .execute((rid, &rule.description))?;
                let event = uuid::Uuid::now_v7().to_string();
                w.tx()
                    .prepare_cached(
                        "INSERT INTO request_events (id, request_id, at, hlc, site_id, actor, actor_name, kind, round, data)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'created', 1, ?8)",
                    )?
                    .execute(rusqlite::params![
                        event,
                        id,
                        w.at_rfc3339(),
                        hlc.0,
                        w.site_id(),
                        w.actor().id,
                        w.actor().display,
                        json!({ "checkin": rule.key, "period": period }).to_string()
                    ])?;
                derive::recompute(w.tx(), &id, &env, w.at())?;
                chunk.push(id);
                report.created += 1;
                if chunk.len() == CHUNK {
                    flush(w, &mut chunk, date)?;
                    ops += 1;
                }
            }
        }
        if !chunk.is_empty() || ops == 0 {
            flush(w, &mut chunk, date)?;
        }
        Ok(report)
    })
}

fn flush(w: &mut crate::write::Write<'_>, chunk: &mut Vec<String>, date: NaiveDate) -> Result<()> {
    let op =
        w.emit("request.checkins", &json!({ "date": date.to_string(), "request_ids": chunk }))?;
    w.audit(AuditEntry {
        action: "request.checkins".into(),
        entity: "request".into(),
        after: Some(json!({ "date": date.to_string(), "created": chunk.len() })),
        entity_ids: std::mem::take(chunk),
        op_id: Some(op.op_id),
        ..AuditEntry::default()
    })?;
    Ok(())
}

/// Today in the district's time zone, for callers holding only the clock.
pub fn today(store: &Store, now: chrono::DateTime<chrono::Utc>) -> Result<NaiveDate> {
    let tz: chrono_tz::Tz = store
        .conn()
        .query_row("SELECT value FROM district_settings WHERE key = 'time_zone'", [], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
        .and_then(|t| t.parse().ok())
        .unwrap_or(chrono_tz::Asia::Shanghai);
    Ok(now.with_timezone(&tz).date_naive())
}

/// Refuses a date too far from today: generating a year of check-ins by a typo helps nobody.
pub fn check_date(date: NaiveDate, today: NaiveDate) -> Result<()> {
    if (date - today).num_days().abs() > 31 {
        return Err(crate::Refusal::CheckinTooFar {
            date: date.to_string(),
            today: today.to_string(),
        }
        .into());
    }
    Ok(())
}
