//! How long the district keeps crisis data, and the counts that outlive it. Three district
//! settings (synced like the mode): days a request is kept once it is finished, days a
//! resident keeps a health tag, and which tags are health data. The server's purge
//! (`sync::purge`) removes what is older and adds what it removed to `request_tally` rows, so
//! a report counts live requests plus tallied ones and its figures do not drop. The judging
//! of a request (its month, its outcome, on time or not) lives here once, for both sides.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::derive::{self, EventRow};
use super::refdata::Env;
use crate::context::Ctx;
use crate::error::Result;
use crate::refusal::Refusal;
use crate::sla::{self, ClockStatus};
use crate::write::AuditEntry;

/// Days a finished request is kept (absent or 0: for good).
pub const REQUEST_DAYS: &str = "retention_request_days";
/// Days a resident's health tag is kept after it was last set (absent or 0: for good).
pub const HEALTH_DAYS: &str = "retention_health_days";
/// The tags that are health data (a JSON array of tag keys).
pub const HEALTH_TAGS: &str = "retention_health_tags";
/// Health data among the tags the roster template and the demo use; `elderly_alone` and
/// `low_income` say how someone lives, not how they are, and stay.
pub const DEFAULT_HEALTH_TAGS: [&str; 4] =
    ["chronic_illness", "disabled", "pregnant", "home_quarantine"];
/// A week at least, so a slip of the finger cannot erase the month's work at the next purge.
pub const DAYS_MIN: u32 = 7;
pub const DAYS_MAX: u32 = 3650;
const DAY_MS: i64 = 86_400_000;

/// The district's retention rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Retention {
    /// Days a resolved, closed, rejected, cancelled or merged request is kept after its last
    /// step; `None` keeps it for good.
    pub request_days: Option<u32>,
    /// Days a health tag is kept after it was last set; `None` keeps it for good.
    pub health_days: Option<u32>,
    /// The tag keys that are health data.
    pub health_tags: Vec<String>,
}

impl Retention {
    /// From the district's settings by key (on the device its table, on the server its rows).
    pub fn from_settings(get: impl Fn(&str) -> Option<String>) -> Retention {
        let days = |k: &str| get(k).and_then(|v| v.parse::<u32>().ok()).filter(|d| *d > 0);
        let health_tags = get(HEALTH_TAGS)
            .and_then(|v| serde_json::from_str::<Vec<String>>(&v).ok())
            .unwrap_or_else(|| DEFAULT_HEALTH_TAGS.iter().map(|s| (*s).to_owned()).collect());
        Retention { request_days: days(REQUEST_DAYS), health_days: days(HEALTH_DAYS), health_tags }
    }

    pub fn is_off(&self) -> bool {
        self.request_days.is_none() && (self.health_days.is_none() || self.health_tags.is_empty())
    }

    /// Requests whose last step is before this instant (ms) go; `None` when kept for good.
    pub fn request_cutoff_ms(&self, now_ms: i64) -> Option<i64> {
        self.request_days.map(|d| now_ms - i64::from(d) * DAY_MS)
    }

    pub fn health_cutoff_ms(&self, now_ms: i64) -> Option<i64> {
        self.health_days.map(|d| now_ms - i64::from(d) * DAY_MS)
    }

    /// The settings as stored: `0` for kept for good.
    fn values(&self) -> [(&'static str, String); 3] {
        [
            (REQUEST_DAYS, self.request_days.unwrap_or(0).to_string()),
            (HEALTH_DAYS, self.health_days.unwrap_or(0).to_string()),
            (HEALTH_TAGS, serde_json::to_string(&self.health_tags).unwrap_or_default()),
        ]
    }
}

/// The district's rule as this store holds it.
pub fn get(store: &crate::Store) -> Result<Retention> {
    get_in(store.conn())
}

pub(crate) fn get_in(conn: &Connection) -> Result<Retention> {
    let vals: Vec<Option<String>> = [REQUEST_DAYS, HEALTH_DAYS, HEALTH_TAGS]
        .iter()
        .map(|k| super::refdata::setting(conn, k))
        .collect::<Result<_>>()?;
    Ok(Retention::from_settings(|k| match k {
        REQUEST_DAYS => vals[0].clone(),
        HEALTH_DAYS => vals[1].clone(),
        _ => vals[2].clone(),
    }))
}

/// Sets the district's rule (a district setting: the server takes it only from a district
/// supervisor or a city admin). Days are checked against [`DAYS_MIN`]..=[`DAYS_MAX`].
pub fn set(ctx: &mut Ctx<'_>, rule: &Retention) -> Result<Retention> {
    for d in [rule.request_days, rule.health_days].into_iter().flatten() {
        if !(DAYS_MIN..=DAYS_MAX).contains(&d) {
            return Err(Refusal::RetentionRange { min: DAYS_MIN, max: DAYS_MAX }.into());
        }
    }
    let mut tags: Vec<String> =
        rule.health_tags.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    tags.sort();
    tags.dedup();
    let rule = Retention { health_tags: tags, ..rule.clone() };
    ctx.write(|w| {
        let before = get_in(w.tx())?;
        for (k, v) in rule.values() {
            super::refdata::put_setting(w.tx(), k, &v)?;
        }
        let keys = serde_json::json!({ "keys": [REQUEST_DAYS, HEALTH_DAYS, HEALTH_TAGS] });
        let op = w.emit("district.set", &keys)?;
        w.audit(AuditEntry {
            action: "district.set".into(),
            entity: "district".into(),
            before: Some(serde_json::to_value(&before)?),
            after: Some(serde_json::to_value(&rule)?),
            op_id: Some(op.op_id),
            ..AuditEntry::default()
        })?;
        Ok(())
    })?;
    Ok(rule)
}

/// What a report groups requests by: the month they came in (in the district's time zone),
/// category, priority, where they ended (their status) and their area.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TallyKey {
    pub month: String,
    pub category: String,
    pub priority: String,
    pub outcome: String,
    pub area: Option<String>,
}

impl TallyKey {
    /// The `request_tally` row's id: the key itself, so every purge adds to the same row.
    pub fn id(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.month,
            self.category,
            self.priority,
            self.outcome,
            self.area.as_deref().unwrap_or("")
        )
    }
}

/// A line of the requests report: how many requests, and how many kept every deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TallyLine {
    /// `YYYY-MM`.
    pub month: String,
    pub category: String,
    pub priority: String,
    /// The status the request is in (or ended in, for tallied ones).
    pub outcome: String,
    pub area: Option<String>,
    pub requests: u32,
    pub on_time: u32,
}

/// The month an instant falls in, in the district's time zone.
pub fn month_of(created_at: &str, env: &Env) -> String {
    DateTime::parse_from_rfc3339(created_at)
        .map(|t| t.with_timezone(&env.calendar.tz()).format("%Y-%m").to_string())
        .unwrap_or_else(|_| created_at.chars().take(7).collect())
}

/// Whether a request kept every deadline so far: no clock finished late or runs overdue.
pub(crate) fn on_time(
    events: &[EventRow],
    env: &Env,
    category: &str,
    priority: &str,
    now: DateTime<Utc>,
) -> bool {
    let p = priority.parse().unwrap_or(sla::Priority::Normal);
    let st = derive::state(events, env, category, p, now);
    [&st.accept, &st.first_response, &st.resolution]
        .iter()
        .all(|c| !matches!(c.status, ClockStatus::Breached | ClockStatus::Overdue))
}

/// The requests report of this store: every request it holds, by [`TallyKey`], plus what the
/// district's purges tallied, so the figures stay whole after a purge.
pub fn report(store: &crate::Store, now: DateTime<Utc>) -> Result<Vec<TallyLine>> {
    report_in(store.conn(), now)
}

pub(crate) fn report_in(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<TallyLine>> {
    let env = Env::load(conn)?;
    let mut lines: BTreeMap<TallyKey, (u32, u32)> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT q.id, q.created_at, q.category, q.priority, q.status, a.id
         FROM requests q LEFT JOIN areas a ON a.rid = q.area_rid",
    )?;
    let requests: Vec<(String, String, String, String, String, Option<String>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, created_at, category, priority, status, area) in requests {
        let events = derive::events(conn, &id)?;
        let kept = on_time(&events, &env, &category, &priority, now);
        let key = TallyKey {
            month: month_of(&created_at, &env),
            category,
            priority,
            outcome: status,
            area,
        };
        let e = lines.entry(key).or_default();
        e.0 += 1;
        e.1 += u32::from(kept);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT month, category, priority, outcome, area, requests, on_time FROM request_tallies",
    )?;
    let tallied = stmt.query_map([], |r| {
        Ok((
            TallyKey {
                month: r.get(0)?,
                category: r.get(1)?,
                priority: r.get(2)?,
                outcome: r.get(3)?,
                area: r.get(4)?,
            },
            r.get::<_, u32>(5)?,
            r.get::<_, u32>(6)?,
        ))
    })?;
    for t in tallied {
        let (key, n, kept) = t?;
        let e = lines.entry(key).or_default();
        e.0 += n;
        e.1 += kept;
    }
    Ok(lines
        .into_iter()
        .map(|(k, (requests, on_time))| TallyLine {
            month: k.month,
            category: k.category,
            priority: k.priority,
            outcome: k.outcome,
            area: k.area,
            requests,
            on_time,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Retention {
        let map: std::collections::HashMap<String, String> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Retention::from_settings(|k| map.get(k).cloned())
    }

    #[test]
    fn nothing_set_keeps_everything_and_knows_the_health_tags() {
        let r = settings(&[]);
        assert!(r.is_off());
        assert_eq!(r.request_cutoff_ms(1_000), None);
        assert!(r.health_tags.contains(&"chronic_illness".to_owned()));
        assert!(!r.health_tags.contains(&"elderly_alone".to_owned()));
        assert!(settings(&[(REQUEST_DAYS, "0"), (HEALTH_DAYS, "x")]).is_off());
        // Health days without any health tag remove nothing either.
        assert!(settings(&[(HEALTH_DAYS, "30"), (HEALTH_TAGS, "[]")]).is_off());
    }

    #[test]
    fn days_become_cutoffs_before_now() {
        let r = settings(&[(REQUEST_DAYS, "30"), (HEALTH_DAYS, "7")]);
        assert!(!r.is_off());
        assert_eq!(r.request_cutoff_ms(40 * DAY_MS), Some(10 * DAY_MS));
        assert_eq!(r.health_cutoff_ms(40 * DAY_MS), Some(33 * DAY_MS));
    }

    #[test]
    fn a_month_is_the_districts_and_a_tally_id_names_its_key() {
        let env = Env::from_parts(None, None, None, &[], &[]).expect("env");
        // 20:00 UTC on 31 January is 04:00 on 1 February in Shanghai.
        assert_eq!(month_of("2026-01-31T20:00:00+00:00", &env), "2026-02");
        assert_eq!(month_of("2026-01-31T10:00:00Z", &env), "2026-01");
        let key = TallyKey {
            month: "2026-02".into(),
            category: "medicine".into(),
            priority: "high".into(),
            outcome: "closed".into(),
            area: None,
        };
        assert_eq!(key.id(), "2026-02|medicine|high|closed|");
    }
}
