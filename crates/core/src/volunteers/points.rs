//! The points ledger: append-only entries (earned for confirmed service, redeemed at a partner
//! shop for a voucher, corrected by an official), a balance that is the sum of the entries and
//! never goes below zero, and a daily cap on what one volunteer earns. The device checks both
//! before it writes; the server checks again against every laptop's entries (sync::rules).

use chrono::TimeZone;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::refusal::Refusal;
use crate::write::{AuditEntry, Write};

pub(crate) const ENTITY: &str = "points_entry";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Earn,
    Redeem,
    Correct,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Earn => "earn",
            EntryKind::Redeem => "redeem",
            EntryKind::Correct => "correct",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        [EntryKind::Earn, EntryKind::Redeem, EntryKind::Correct]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Entry {
    pub id: String,
    pub volunteer_id: String,
    pub kind: EntryKind,
    #[ts(type = "number")]
    pub amount: i64,
    pub day: String,
    pub assignment_id: Option<String>,
    pub shop_id: Option<String>,
    pub shop_name: Option<String>,
    pub voucher: Option<String>,
    pub note: String,
    pub at: String,
    pub actor_name: String,
    /// The balance after this entry.
    #[ts(type = "number")]
    pub balance: i64,
}

/// One line of a grid's leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Leader {
    pub grid: String,
    pub volunteer_id: String,
    pub name: String,
    #[ts(type = "number")]
    pub earned: i64,
    pub tasks: u32,
}

/// The district's time zone, where "a day" of the cap is counted.
pub fn tz_of(store: &crate::Store) -> Result<chrono_tz::Tz> {
    tz(store.conn())
}

pub(crate) fn tz(conn: &Connection) -> Result<chrono_tz::Tz> {
    let name: Option<String> = conn
        .query_row("SELECT value FROM district_settings WHERE key = 'time_zone'", [], |r| r.get(0))
        .optional()?;
    Ok(name.and_then(|n| n.parse().ok()).unwrap_or(chrono_tz::Asia::Shanghai))
}

pub(crate) fn local_day(tz: chrono_tz::Tz, at: chrono::DateTime<chrono::Utc>) -> String {
    tz.from_utc_datetime(&at.naive_utc()).date_naive().to_string()
}

pub fn balance(store: &crate::Store, volunteer_id: &str) -> Result<i64> {
    balance_in(store.conn(), volunteer_id)
}

pub(crate) fn balance_in(conn: &Connection, volunteer_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT ifnull(sum(amount), 0) FROM points_ledger WHERE volunteer_id = ?1")?
        .query_row([volunteer_id], |r| r.get(0))?)
}

pub(crate) fn earned_on(conn: &Connection, volunteer_id: &str, day: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT ifnull(sum(amount), 0) FROM points_ledger
             WHERE volunteer_id = ?1 AND kind = 'earn' AND day = ?2",
        )?
        .query_row([volunteer_id, day], |r| r.get(0))?)
}

/// An entry's id: an earning is one per assignment wherever it is confirmed, so two laptops
/// confirming the same task write the same entry and the server keeps one.
fn earn_id(assignment_id: &str) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6a69_6179_7561_6e2d_706f_696e_7473_0001);
    uuid::Uuid::new_v5(&NAMESPACE, assignment_id.as_bytes()).to_string()
}

struct NewEntry<'a> {
    id: String,
    volunteer_id: &'a str,
    kind: EntryKind,
    amount: i64,
    day: String,
    assignment_id: Option<&'a str>,
    shop_id: Option<&'a str>,
    voucher: Option<String>,
    note: &'a str,
}

fn insert(w: &mut Write<'_>, e: &NewEntry<'_>) -> Result<()> {
    let hlc = w.stamp();
    let at = w.at_rfc3339();
    let area: Option<i64> = w
        .tx()
        .prepare_cached("SELECT area_rid FROM volunteers WHERE id = ?1")?
        .query_row([e.volunteer_id], |r| r.get(0))
        .optional()?
        .flatten();
    w.tx()
        .prepare_cached(
            "INSERT INTO points_ledger (id, volunteer_id, area_rid, kind, amount, day, assignment_id,
                 shop_id, voucher, note, at, actor_name, created_hlc, created_site)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?
        .execute(params![
            e.id,
            e.volunteer_id,
            area,
            e.kind.as_str(),
            e.amount,
            e.day,
            e.assignment_id,
            e.shop_id,
            e.voucher,
            e.note,
            at,
            w.actor().display,
            hlc.0,
            w.site_id().to_owned()
        ])?;
    Ok(())
}

/// Points for a confirmed task, by its category's value and within the daily cap of the day
/// it was done. `None`: nothing to earn (a category worth nothing, or the cap reached).
pub(crate) fn earn_in(
    w: &mut Write<'_>,
    volunteer_id: &str,
    assignment_id: &str,
    request_id: &str,
    done_at: Option<&str>,
) -> Result<Option<String>> {
    let category: String = w
        .tx()
        .prepare_cached("SELECT category FROM requests WHERE id = ?1")?
        .query_row([request_id], |r| r.get(0))?;
    let value = i64::from(super::refdata::service_of(w.tx(), &category)?.points);
    let cap = i64::from(super::refdata::settings_in(w.tx())?.points_daily_cap);
    let tz = tz(w.tx())?;
    let when = done_at
        .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
        .map(|d| d.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| w.at());
    let day = local_day(tz, when);
    let room = cap - earned_on(w.tx(), volunteer_id, &day)?;
    let amount = value.min(room);
    if amount <= 0 {
        return Ok(None);
    }
    let id = earn_id(assignment_id);
    let note =
        if amount < value { format!("capped at the daily limit of {cap}") } else { String::new() };
    insert(
        w,
        &NewEntry {
            id: id.clone(),
            volunteer_id,
            kind: EntryKind::Earn,
            amount,
            day,
            assignment_id: Some(assignment_id),
            shop_id: None,
            voucher: None,
            note: &note,
        },
    )?;
    Ok(Some(id))
}

/// A voucher code an official reads out to a shop: no 0/O or 1/I to confuse on the phone.
fn voucher_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let code: String = (0..8).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    format!("{}-{}", &code[..4], &code[4..])
}

fn emit(
    w: &mut Write<'_>,
    kind: &str,
    volunteer_id: &str,
    entry_id: &str,
    after: serde_json::Value,
) -> Result<()> {
    let op = w.emit(
        kind,
        &json!({ "volunteer_id": volunteer_id, "points": [entry_id], "id": volunteer_id }),
    )?;
    w.audit(AuditEntry {
        action: kind.into(),
        entity: ENTITY.into(),
        entity_ids: vec![entry_id.to_owned()],
        after: Some(after),
        op_id: Some(op.op_id),
        subjects: vec![volunteer_id.to_owned()],
        ..AuditEntry::default()
    })?;
    Ok(())
}

/// Spends points at a partner shop: a voucher code, and the balance reduced, never below zero.
pub fn redeem(
    ctx: &mut Ctx<'_>,
    volunteer_id: &str,
    shop_id: &str,
    amount: u32,
    note: &str,
) -> Result<Entry> {
    if amount == 0 {
        return Err(CoreError::Invalid("redeem at least one point".into()));
    }
    let id = ctx.write(|w| {
        let shop: Option<bool> = w
            .tx()
            .prepare_cached("SELECT active FROM shops WHERE id = ?1")?
            .query_row([shop_id], |r| r.get(0))
            .optional()?;
        match shop {
            Some(true) => {}
            Some(false) => return Err(Refusal::ShopClosed.into()),
            None => return Err(CoreError::NotFound("that shop is not on the partner list".into())),
        }
        let have = balance_in(w.tx(), volunteer_id)?;
        if have < i64::from(amount) {
            return Err(Refusal::BalanceTooLow { balance: have, amount: amount.into() }.into());
        }
        let id = uuid::Uuid::now_v7().to_string();
        let voucher = voucher_code();
        let day = local_day(tz(w.tx())?, w.at());
        insert(
            w,
            &NewEntry {
                id: id.clone(),
                volunteer_id,
                kind: EntryKind::Redeem,
                amount: -i64::from(amount),
                day,
                assignment_id: None,
                shop_id: Some(shop_id),
                voucher: Some(voucher.clone()),
                note: note.trim(),
            },
        )?;
        emit(
            w,
            "points.redeem",
            volunteer_id,
            &id,
            json!({ "amount": amount, "shop": shop_id, "voucher": voucher }),
        )?;
        Ok(id)
    })?;
    entry(ctx.store.conn(), &id)
}

/// A correction: a new entry with a reason, never an edit of an old one.
pub fn correct(ctx: &mut Ctx<'_>, volunteer_id: &str, amount: i64, reason: &str) -> Result<Entry> {
    let reason = reason.trim();
    if amount == 0 {
        return Err(CoreError::Invalid("a correction changes the balance by some points".into()));
    }
    if reason.is_empty() {
        return Err(CoreError::Invalid("say why the points are corrected".into()));
    }
    let id = ctx.write(|w| {
        super::read::get_in(w.tx(), volunteer_id)?
            .ok_or_else(|| CoreError::NotFound(format!("volunteer {volunteer_id}")))?;
        let have = balance_in(w.tx(), volunteer_id)?;
        if have + amount < 0 {
            return Err(Refusal::BalanceTooLow { balance: have, amount: -amount }.into());
        }
        let id = uuid::Uuid::now_v7().to_string();
        let day = local_day(tz(w.tx())?, w.at());
        insert(
            w,
            &NewEntry {
                id: id.clone(),
                volunteer_id,
                kind: EntryKind::Correct,
                amount,
                day,
                assignment_id: None,
                shop_id: None,
                voucher: None,
                note: reason,
            },
        )?;
        emit(
            w,
            "points.correct",
            volunteer_id,
            &id,
            json!({ "amount": amount, "reason": reason }),
        )?;
        Ok(id)
    })?;
    entry(ctx.store.conn(), &id)
}

const SELECT: &str = "
    SELECT p.id, p.volunteer_id, p.kind, p.amount, p.day, p.assignment_id, p.shop_id, s.name,
           p.voucher, p.note, p.at, p.actor_name,
           sum(p.amount) OVER (PARTITION BY p.volunteer_id ORDER BY p.rid), p.rid
    FROM points_ledger p LEFT JOIN shops s ON s.id = p.shop_id";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        volunteer_id: r.get(1)?,
        kind: EntryKind::parse(&r.get::<_, String>(2)?).unwrap_or(EntryKind::Correct),
        amount: r.get(3)?,
        day: r.get(4)?,
        assignment_id: r.get(5)?,
        shop_id: r.get(6)?,
        shop_name: r.get(7)?,
        voucher: r.get(8)?,
        note: r.get(9)?,
        at: r.get(10)?,
        actor_name: r.get(11)?,
        balance: r.get(12)?,
    })
}

fn entry(conn: &Connection, id: &str) -> Result<Entry> {
    let vol: String = conn
        .prepare_cached("SELECT volunteer_id FROM points_ledger WHERE id = ?1")?
        .query_row([id], |r| r.get(0))?;
    ledger_in(conn, Some(&vol))?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| CoreError::NotFound(format!("points entry {id}")))
}

/// The ledger, newest first: one volunteer's, or everyone's. "Newest" is the order entries
/// reached this store (the order the balance was checked in), not their dates: an entry
/// made offline on another laptop arrives later than its date.
pub fn ledger(store: &crate::Store, volunteer_id: Option<&str>) -> Result<Vec<Entry>> {
    ledger_in(store.conn(), volunteer_id)
}

pub(crate) fn ledger_in(conn: &Connection, volunteer_id: Option<&str>) -> Result<Vec<Entry>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT * FROM ({SELECT} WHERE ?1 IS NULL OR p.volunteer_id = ?1) ORDER BY 14 DESC"
    ))?;
    let rows = stmt.query_map([volunteer_id], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Each grid's volunteers by points earned since `since` (a date), best first, at most `top`
/// per grid.
pub(crate) fn leaderboard(conn: &Connection, since: &str, top: u32) -> Result<Vec<Leader>> {
    let tree = super::read::AreaTree::load(conn)?;
    let mut stmt = conn.prepare_cached(
        "SELECT v.area_rid, v.id, v.name, sum(p.amount), count(*)
         FROM points_ledger p JOIN volunteers v ON v.id = p.volunteer_id
         WHERE p.kind = 'earn' AND p.day >= ?1 AND v.deleted = 0
         GROUP BY v.id ORDER BY v.area_rid, sum(p.amount) DESC, v.name",
    )?;
    let mut out: Vec<Leader> = Vec::new();
    let mut per: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let rows = stmt.query_map([since], |r| {
        Ok((
            r.get::<_, Option<i64>>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get(3)?,
            r.get(4)?,
        ))
    })?;
    for x in rows {
        let (area, id, name, earned, tasks) = x?;
        let grid = tree.path_names(area).join(" / ");
        let n = per.entry(grid.clone()).or_default();
        if *n >= top {
            continue;
        }
        *n += 1;
        out.push(Leader { grid, volunteer_id: id, name, earned, tasks });
    }
    out.sort_by(|a, b| a.grid.cmp(&b.grid).then(b.earned.cmp(&a.earned)).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// The leaderboard of the last `days` days (today included) in the district's time zone.
pub fn leaderboard_days(
    store: &crate::Store,
    now: chrono::DateTime<chrono::Utc>,
    days: u32,
    top: u32,
) -> Result<Vec<Leader>> {
    let conn = store.conn();
    let since = local_day(tz(conn)?, now - chrono::Duration::days(i64::from(days.max(1)) - 1));
    leaderboard(conn, &since, top.max(1))
}
