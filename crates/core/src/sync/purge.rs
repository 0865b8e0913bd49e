//! The district's retention, applied on the server (docs/sync.md, Retention): finished
//! requests older than the district keeps them, and health tags older than it keeps those,
//! removed inside one district transaction over the hub's storage traits, so SQLite,
//! PostgreSQL and the in-memory hub run the same code.
//!
//! What a purge writes reaches devices by the ordinary pull: a request becomes a tombstone
//! without fields (which every device version already applies by deleting the request, its
//! events and search row), its events the same, an assignment of it loses its note, a
//! conflict that quotes it becomes a tombstone, a resident's expired health tag is set
//! `false` under the purge's own stamp, and what went is added to `request_tally` rows so
//! reports still add up. No device re-downloads the district. The purge is itself an entry
//! of the op log and its audit chain.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use super::hub::{HubError, HubTx, OpRecord};
use super::wire::{entity, Op, Outcome, Principal, Role, Row, Stamp};
use crate::hlc::Hlc;
use crate::requests::derive::EventRow;
use crate::requests::refdata::Env;
use crate::requests::retention::{self, Retention, TallyKey};
use crate::requests::Status;
use crate::sla::{CalendarDay, DayKind};

/// The site of the stamps a purge makes: a value it wrote is not an official's, so the rules
/// list no conflict over it.
pub const PURGE_SITE: &str = "retention";
/// Rows read per page while the purge looks through the district.
const PAGE: u32 = 5_000;

/// What a purge removed (or, dry, would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub requests: u64,
    pub events: u64,
    /// Assignments of purged requests whose note was cleared (the task itself stays: it is a
    /// volunteer's track record and what their points were earned for).
    pub assignments: u64,
    pub conflicts: u64,
    pub residents: u64,
    pub tags: u64,
    /// Tally rows written.
    pub tallies: u64,
}

impl PurgeReport {
    pub fn is_empty(&self) -> bool {
        self == &PurgeReport::default()
    }
}

/// What the purge found to remove, before it writes anything.
#[derive(Default)]
struct Plan {
    requests: BTreeMap<String, Row>,
    events: HashMap<String, Vec<Row>>,
    assignments: Vec<String>,
    conflicts: Vec<String>,
    /// Resident id → the health tags that expire.
    tags: BTreeMap<String, Vec<String>>,
    days: BTreeMap<String, Option<CalendarDay>>,
    policies: Vec<(String, String, String, String)>,
}

/// Purges the district's expired requests and health tags as of `now_ms`. A dry run reads
/// and counts exactly what a purge would, and writes nothing.
pub fn purge(
    tx: &mut dyn HubTx,
    district: &str,
    now_ms: i64,
    dry_run: bool,
) -> Result<PurgeReport, HubError> {
    let mut settings = HashMap::new();
    for k in [
        retention::REQUEST_DAYS,
        retention::HEALTH_DAYS,
        retention::HEALTH_TAGS,
        "sla_mode",
        "time_zone",
        "business_hours",
    ] {
        if let Some(s) = tx.get(entity::DISTRICT_SETTING, k)? {
            if let Some(v) = s.row.str("value").filter(|_| !s.row.deleted) {
                settings.insert(k, v.to_owned());
            }
        }
    }
    let rule = Retention::from_settings(|k| settings.get(k).cloned());
    if rule.is_off() {
        return Ok(PurgeReport::default());
    }
    let plan = plan(tx, &rule, now_ms)?;
    let days: Vec<CalendarDay> = plan.days.values().flatten().cloned().collect();
    let env = Env::from_parts(
        settings.get("sla_mode").map(String::as_str),
        settings.get("time_zone").map(String::as_str),
        settings.get("business_hours").map(String::as_str),
        &days,
        &plan.policies,
    )
    .map_err(|e| HubError::Storage(e.to_string()))?;
    let now = DateTime::<Utc>::from_timestamp_millis(now_ms).unwrap_or_default();
    let mut tallies: BTreeMap<TallyKey, (i64, i64)> = BTreeMap::new();
    for (id, r) in &plan.requests {
        let events = event_rows(plan.events.get(id).map(Vec::as_slice).unwrap_or_default());
        let (category, priority) =
            (r.str("category").unwrap_or_default(), r.str("priority").unwrap_or("normal"));
        let kept = retention::on_time(&events, &env, category, priority, now);
        let key = TallyKey {
            month: retention::month_of(r.str("created_at").unwrap_or_default(), &env),
            category: category.to_owned(),
            priority: priority.to_owned(),
            outcome: r.str("status").unwrap_or_default().to_owned(),
            area: r.str("area").map(str::to_owned),
        };
        let t = tallies.entry(key).or_default();
        t.0 += 1;
        t.1 += i64::from(kept);
    }
    let report = PurgeReport {
        requests: plan.requests.len() as u64,
        events: plan.events.values().map(|e| e.len() as u64).sum(),
        assignments: plan.assignments.len() as u64,
        conflicts: plan.conflicts.len() as u64,
        residents: plan.tags.len() as u64,
        tags: plan.tags.values().map(|t| t.len() as u64).sum(),
        tallies: tallies.len() as u64,
    };
    if dry_run || report.is_empty() {
        return Ok(report);
    }
    let clock = Hlc::tick(Hlc(tx.clock()?), now_ms);
    let stamp = Stamp(clock.0, PURGE_SITE.to_owned());
    write(tx, &plan, &tallies, &stamp)?;
    tx.set_clock(clock.0)?;
    log(tx, district, &rule, &report, now_ms, clock)?;
    tracing::info!(
        district = %district,
        requests = report.requests,
        tags = report.tags,
        "retention purge"
    );
    Ok(report)
}

/// Two reads of the district page by page: the expired requests and tags, then what hangs
/// off those requests (their events and assignments, the conflicts quoting them).
fn plan(tx: &mut dyn HubTx, rule: &Retention, now_ms: i64) -> Result<Plan, HubError> {
    let head = tx.head()?;
    let requests_before = rule.request_cutoff_ms(now_ms);
    let tags_before = rule.health_cutoff_ms(now_ms);
    let health: BTreeSet<&str> = rule.health_tags.iter().map(String::as_str).collect();
    let mut p = Plan::default();
    for d in crate::sla::china_days() {
        p.days.insert(d.date.to_string(), Some(d));
    }
    pages(tx, head, &mut |r| match r.entity.as_str() {
        entity::REQUEST if !r.deleted => {
            let finished = r.str("status").and_then(Status::parse).is_some_and(|s| !s.is_open());
            let last = r
                .str("updated_at")
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.timestamp_millis());
            if let (true, Some(before), Some(last)) = (finished, requests_before, last) {
                if last < before {
                    p.requests.insert(r.id.clone(), r);
                }
            }
        }
        entity::RESIDENT if !r.deleted => {
            let Some(before) = tags_before else { return };
            let expired: Vec<String> = r
                .fields
                .iter()
                .filter(|(k, v)| {
                    k.strip_prefix("tags.").is_some_and(|t| health.contains(t))
                        && v.as_bool() == Some(true)
                        && Hlc(r.stamp(k).hlc()).millis() < before
                })
                .map(|(k, _)| k.clone())
                .collect();
            if !expired.is_empty() {
                p.tags.insert(r.id.clone(), expired);
            }
        }
        entity::CALENDAR_DAY => {
            let day = (|| {
                let kind = match r.str("kind")? {
                    "workday" => DayKind::Workday,
                    _ => DayKind::Holiday,
                };
                Some(CalendarDay {
                    date: r.id.parse().ok()?,
                    kind,
                    name: r.str("name").unwrap_or_default().to_owned(),
                    provisional: r.fields.get("provisional").and_then(Value::as_bool)?,
                })
            })();
            p.days.insert(r.id.clone(), day.filter(|_| !r.deleted));
        }
        entity::SLA_POLICY if !r.deleted => {
            let s = |f: &str| r.str(f).unwrap_or_default().to_owned();
            let policy = r.fields.get("policy").map(Value::to_string).unwrap_or_default();
            p.policies.push((s("category"), s("priority"), s("mode"), policy));
        }
        _ => {}
    })?;
    if p.requests.is_empty() && p.tags.is_empty() {
        return Ok(p);
    }
    let Plan { requests, tags, events, assignments, conflicts, .. } = &mut p;
    pages(tx, head, &mut |r| {
        if r.deleted {
            return;
        }
        let of_purged = r.str("request_id").is_some_and(|q| requests.contains_key(q));
        match r.entity.as_str() {
            entity::REQUEST_EVENT if of_purged => {
                let q = r.str("request_id").unwrap_or_default().to_owned();
                events.entry(q).or_default().push(r);
            }
            entity::ASSIGNMENT
                if of_purged && r.fields.get("note").is_some_and(|n| !n.is_null()) =>
            {
                assignments.push(r.id);
            }
            entity::CONFLICT => {
                let on = r.str("entity_id").unwrap_or_default();
                let quotes = match r.str("entity") {
                    Some(entity::REQUEST) => requests.contains_key(on),
                    Some(entity::RESIDENT) => tags
                        .get(on)
                        .is_some_and(|t| t.iter().any(|f| Some(f.as_str()) == r.str("field"))),
                    _ => false,
                };
                if quotes {
                    conflicts.push(r.id);
                }
            }
            _ => {}
        }
    })?;
    Ok(p)
}

/// Every row of the district up to `head`, in pages (a district of a million residents is
/// never held in memory at once).
fn pages(tx: &mut dyn HubTx, head: i64, each: &mut dyn FnMut(Row)) -> Result<(), HubError> {
    let mut cursor = 0;
    loop {
        let rows = tx.rows_since(cursor, head, None, PAGE)?;
        let full = rows.len() as u32 >= PAGE;
        cursor = rows.last().map_or(cursor, |r| r.version);
        rows.into_iter().for_each(&mut *each);
        if !full {
            return Ok(());
        }
    }
}

fn event_rows(rows: &[Row]) -> Vec<EventRow> {
    let mut out: Vec<EventRow> = rows
        .iter()
        .map(|r| EventRow {
            id: r.id.clone(),
            at: r
                .str("at")
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            kind: r.str("kind").unwrap_or_default().to_owned(),
            data: r.fields.get("data").cloned().unwrap_or(Value::Null),
        })
        .collect();
    out.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    out
}

/// A tombstone without fields: what every device applies by deleting its copy.
fn tombstone(entity_name: &str, id: &str, created: &Stamp) -> Row {
    let mut t = Row::new(entity_name, id, created.clone());
    t.deleted = true;
    t
}

fn write(
    tx: &mut dyn HubTx,
    plan: &Plan,
    tallies: &BTreeMap<TallyKey, (i64, i64)>,
    stamp: &Stamp,
) -> Result<(), HubError> {
    // Every row read again below, named at once: a storage far away (PostgreSQL) reads them
    // in a few round trips instead of one each.
    let named = |e: &str, ids: &mut dyn Iterator<Item = &String>| -> Vec<Row> {
        ids.map(|id| Row::new(e, id.clone(), Stamp::default())).collect()
    };
    let tally_ids: Vec<String> = tallies.keys().map(TallyKey::id).collect();
    let rows = [
        named(entity::REQUEST, &mut plan.requests.keys()),
        named(entity::ASSIGNMENT, &mut plan.assignments.iter()),
        named(entity::CONFLICT, &mut plan.conflicts.iter()),
        named(entity::RESIDENT, &mut plan.tags.keys()),
        named(entity::REQUEST_TALLY, &mut tally_ids.iter()),
    ]
    .concat();
    let batch = Op {
        op_id: String::new(),
        seq: 0,
        kind: "retention.purge".into(),
        hlc: stamp.0,
        actor: PURGE_SITE.into(),
        at: String::new(),
        payload: Value::Null,
        rows,
        mac: String::new(),
    };
    tx.prefetch(std::slice::from_ref(&batch))?;
    for (id, r) in &plan.requests {
        let scope = tx.get(entity::REQUEST, id)?.map(|s| s.scope).unwrap_or_default();
        tx.put(&tombstone(entity::REQUEST, id, &r.created), &scope, None)?;
        // Events live under their request's scope (`rules::event`).
        for e in plan.events.get(id).into_iter().flatten() {
            tx.put(&tombstone(entity::REQUEST_EVENT, &e.id, &e.created), &scope, None)?;
        }
    }
    for id in &plan.assignments {
        if let Some(s) = tx.get(entity::ASSIGNMENT, id)? {
            let mut row = s.row;
            row.set("note", Value::Null);
            row.stamps.insert("note".into(), stamp.clone());
            tx.put(&row, &s.scope, None)?;
        }
    }
    for id in &plan.conflicts {
        if let Some(s) = tx.get(entity::CONFLICT, id)? {
            tx.put(&tombstone(entity::CONFLICT, id, &s.row.created), &s.scope, None)?;
        }
    }
    for (id, fields) in &plan.tags {
        if let Some(s) = tx.get(entity::RESIDENT, id)? {
            let mut row = s.row;
            for f in fields {
                row.set(f, json!(false));
                row.stamps.insert(f.clone(), stamp.clone());
            }
            let key = row.str("id_number").map(str::to_owned);
            tx.put(&row, &s.scope, key.as_deref())?;
        }
    }
    for (key, (n, kept)) in tallies {
        let id = key.id();
        let (before_n, before_kept) = match tx.get(entity::REQUEST_TALLY, &id)? {
            Some(s) => (
                s.row.fields.get("requests").and_then(Value::as_i64).unwrap_or(0),
                s.row.fields.get("on_time").and_then(Value::as_i64).unwrap_or(0),
            ),
            None => (0, 0),
        };
        let row = Row::new(entity::REQUEST_TALLY, id, stamp.clone())
            .with("month", key.month.clone())
            .with("category", key.category.clone())
            .with("priority", key.priority.clone())
            .with("outcome", key.outcome.clone())
            .with("area", key.area.clone())
            .with("requests", before_n + n)
            .with("on_time", before_kept + kept);
        tx.put(&row, "", None)?;
    }
    Ok(())
}

/// The purge as an entry of the op log and the district's audit chain: when, under which
/// rule, and how much went (counts only: the log must not keep what the purge removed).
fn log(
    tx: &mut dyn HubTx,
    district: &str,
    rule: &Retention,
    report: &PurgeReport,
    now_ms: i64,
    clock: Hlc,
) -> Result<(), HubError> {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6a69_6179_7561_6e2d_7075_7267_6500_0001);
    let head = tx.head()?;
    let at = DateTime::<Utc>::from_timestamp_millis(now_ms).unwrap_or_default();
    let op = Op {
        op_id: uuid::Uuid::new_v5(&NAMESPACE, format!("{district}|{head}|{now_ms}").as_bytes())
            .to_string(),
        // The district's version after the purge: a later purge that writes has a larger one.
        seq: head,
        kind: "retention.purge".into(),
        hlc: clock.0,
        actor: PURGE_SITE.into(),
        at: at.to_rfc3339(),
        payload: json!({ "rule": rule, "removed": report }),
        rows: Vec::new(),
        mac: String::new(),
    };
    let who = Principal {
        user_id: PURGE_SITE.into(),
        user_name: PURGE_SITE.into(),
        role: Role::CityAdmin,
        district: district.to_owned(),
        scope_area: None,
        device_id: "server".into(),
    };
    tx.log_op(&OpRecord {
        site_id: PURGE_SITE,
        op: &op,
        principal: &who,
        received_ms: now_ms,
        outcome: &Outcome::Applied,
        overwritten: Value::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::hub::HubRead;
    use crate::sync::memhub::MemHub;

    const DAY: i64 = 86_400_000;
    const NOW: i64 = 1_800_000_000_000;

    fn at(ms: i64) -> String {
        DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339()
    }

    fn hub(rule: &[(&str, &str)]) -> MemHub {
        let mut h = MemHub::new();
        for (k, v) in rule {
            h.put(
                &Row::new(entity::DISTRICT_SETTING, *k, Stamp(1, "s".into())).with("value", *v),
                "",
                None,
            )
            .expect("put");
        }
        h
    }

    fn request(h: &mut MemHub, id: &str, status: &str, last_ms: i64) {
        let r = Row::new(entity::REQUEST, id, Stamp(Hlc::new(last_ms, 0).0, "s".into()))
            .with("status", status)
            .with("category", "medicine")
            .with("priority", "normal")
            .with("created_at", at(last_ms - DAY))
            .with("updated_at", at(last_ms));
        h.put(&r, "/d/", None).expect("put");
    }

    #[test]
    fn only_finished_requests_past_the_period_go_and_an_open_one_stays_however_old() {
        let mut h = hub(&[(retention::REQUEST_DAYS, "30")]);
        request(&mut h, "old-closed", "closed", NOW - 31 * DAY);
        request(&mut h, "old-resolved", "resolved", NOW - 90 * DAY);
        request(&mut h, "old-open", "in_progress", NOW - 400 * DAY);
        request(&mut h, "young-closed", "closed", NOW - 29 * DAY);
        let r = purge(&mut h, "d", NOW, false).expect("purge");
        assert_eq!(r.requests, 2);
        let gone = |h: &mut MemHub, id: &str| {
            h.get(entity::REQUEST, id).expect("get").is_some_and(|s| s.row.fields.is_empty())
        };
        assert!(gone(&mut h, "old-closed") && gone(&mut h, "old-resolved"));
        assert!(!gone(&mut h, "old-open") && !gone(&mut h, "young-closed"));
        let tallied: i64 = h
            .rows()
            .iter()
            .filter(|s| s.row.entity == entity::REQUEST_TALLY)
            .filter_map(|s| s.row.fields.get("requests").and_then(Value::as_i64))
            .sum();
        assert_eq!(tallied, 2);
        // A tombstone is not purged again, and the tally is not counted twice.
        assert!(purge(&mut h, "d", NOW + DAY, false).expect("again").is_empty());
    }

    #[test]
    fn a_health_tag_goes_when_it_was_set_before_the_period_and_other_tags_stay() {
        let mut h = hub(&[(retention::HEALTH_DAYS, "30")]);
        let old = Stamp(Hlc::new(NOW - 60 * DAY, 0).0, "s".into());
        let mut r = Row::new(entity::RESIDENT, "p1", old)
            .with("tags.chronic_illness", true)
            .with("tags.pregnant", true)
            .with("tags.elderly_alone", true);
        // Set again ten days ago: the period starts again.
        r.stamps.insert("tags.pregnant".into(), Stamp(Hlc::new(NOW - 10 * DAY, 0).0, "s".into()));
        h.put(&r, "/d/", Some("idn")).expect("put");
        let dry = purge(&mut h, "d", NOW, true).expect("dry");
        assert_eq!((dry.residents, dry.tags), (1, 1));
        let done = purge(&mut h, "d", NOW, false).expect("purge");
        assert_eq!(done, dry);
        let p = h.get(entity::RESIDENT, "p1").expect("get").expect("row").row;
        assert_eq!(p.fields["tags.chronic_illness"], json!(false));
        assert_eq!(p.stamp("tags.chronic_illness").site(), PURGE_SITE);
        assert_eq!(p.fields["tags.pregnant"], json!(true));
        assert_eq!(p.fields["tags.elderly_alone"], json!(true));
        assert_eq!(h.find_key(entity::RESIDENT, "idn").expect("key"), Some("p1".into()));
    }
}
