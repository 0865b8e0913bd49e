//! The server's half of the protocol, over a storage trait: the server crate implements
//! [`HubTx`] on SQLite and on PostgreSQL and calls [`push`] and [`pull`]; the rules an op is
//! checked against live in [`super::rules`]. Nothing here knows HTTP or a database.

use std::collections::HashMap;

use serde_json::Value;

use super::rules;
use super::wire::{
    entity, Op, OpResult, Outcome, Principal, PullRequest, PullResponse, PushRequest, PushResponse,
    RawPullResponse, Row,
};
use crate::hlc::Hlc;
use crate::refusal::Refusal;

/// How far ahead of the server a device's clock may run before its stamps are clamped.
pub const MAX_AHEAD_MS: i64 = 60_000;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The storage failed; the whole push is rolled back and the device retries.
    #[error("server storage: {0}")]
    Storage(String),
    /// A sequence number this site used before came with another op id: the store was copied
    /// or restored. The device takes a new site id and sends again.
    #[error("sequence number {seq} of this device was already used by another operation; the store was copied or restored and must take a new site id")]
    SiteReused { seq: i64 },
    #[error("{0}")]
    Forbidden(String),
}

/// Whether a row placed at `scope` is visible to a user whose rows live under `prefix`: rows
/// within it, reference data (an empty scope), and the areas above it (a grid's row names its
/// community as parent, and a device cannot hold a grid without its community).
pub fn visible(entity_name: &str, scope: &str, prefix: &str) -> bool {
    scope.is_empty()
        || scope.starts_with(prefix)
        || (entity_name == entity::AREA && prefix.starts_with(scope))
}

/// A row's stored JSON and its version (see [`HubRead::rows_since_raw`]).
#[derive(Debug)]
pub struct RawRow {
    pub json: Box<serde_json::value::RawValue>,
    pub version: i64,
}

impl RawRow {
    /// A row written out, for storages that keep rows parsed.
    pub fn of(row: &Row) -> Result<RawRow, HubError> {
        let json =
            serde_json::value::to_raw_value(row).map_err(|e| HubError::Storage(e.to_string()))?;
        Ok(RawRow { json, version: row.version })
    }
}

/// A row as the server keeps it: the row and the area path it is visible under.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub row: Row,
    /// `""` for reference data (every device of the district), else `/root/…/area/`.
    pub scope: String,
}

/// What the server's op log remembers of an op.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedOp {
    pub op_id: String,
    pub outcome: Outcome,
}

/// One op log entry, as the server records it (with the time it received the op).
#[derive(Debug, Clone)]
pub struct OpRecord<'a> {
    pub site_id: &'a str,
    pub op: &'a Op,
    pub principal: &'a Principal,
    pub received_ms: i64,
    pub outcome: &'a Outcome,
    /// The values this op overwrote or lost (JSON), kept with the log entry.
    pub overwritten: Value,
}

/// Reads of one district's rows.
pub trait HubRead {
    fn get(&mut self, entity: &str, id: &str) -> Result<Option<Stored>, HubError>;
    /// Rows with `cursor < version <= upto`, visible under `scope` (a path prefix; `None` is
    /// the whole district; see [`visible`]), in version order.
    fn rows_since(
        &mut self,
        cursor: i64,
        upto: i64,
        scope: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Row>, HubError>;
    /// The same rows as [`HubRead::rows_since`], each as its stored JSON (with its version),
    /// for a pull answered without parsing every row. Storages that keep rows as JSON
    /// override it.
    fn rows_since_raw(
        &mut self,
        cursor: i64,
        upto: i64,
        scope: Option<&str>,
        limit: u32,
    ) -> Result<Vec<RawRow>, HubError> {
        self.rows_since(cursor, upto, scope, limit)?.iter().map(RawRow::of).collect()
    }
    /// The district's version counter.
    fn head(&mut self) -> Result<i64, HubError>;
    /// Cursors below this are too old (tombstones before it were purged).
    fn horizon(&mut self) -> Result<i64, HubError>;
    /// The district's HLC: the latest stamp it accepted.
    fn clock(&mut self) -> Result<i64, HubError>;
}

/// One push transaction on one district (the implementation holds the district's row lock,
/// so versions commit in order).
pub trait HubTx: HubRead {
    /// The row with the given natural key (a resident's identity number).
    fn find_key(&mut self, entity: &str, key: &str) -> Result<Option<String>, HubError>;
    /// Writes a row, bumping the district's version; returns the row's new version.
    fn put(&mut self, row: &Row, scope: &str, key: Option<&str>) -> Result<i64, HubError>;
    fn op_by_seq(&mut self, site: &str, seq: i64) -> Result<Option<LoggedOp>, HubError>;
    fn op_by_id(&mut self, op_id: &str) -> Result<Option<LoggedOp>, HubError>;
    /// Appends to the op log and the district's audit chain.
    fn log_op(&mut self, rec: &OpRecord<'_>) -> Result<(), HubError>;
    fn set_clock(&mut self, hlc: i64) -> Result<(), HubError>;
    /// The display name of the user who owns a site (for "who replaced my edit": officials
    /// know each other by name, not by account), if known.
    fn site_owner(&mut self, site: &str) -> Result<Option<String>, HubError>;
    fn savepoint(&mut self) -> Result<(), HubError>;
    /// Told the whole batch before any op is applied, so a storage far away (PostgreSQL) can
    /// read every row the batch names in one round trip instead of one per row.
    fn prefetch(&mut self, _ops: &[Op]) -> Result<(), HubError> {
        Ok(())
    }
    fn rollback_to_savepoint(&mut self) -> Result<(), HubError>;
    fn release_savepoint(&mut self) -> Result<(), HubError>;
}

/// Applies a push: each op atomically under a savepoint, idempotently by (site, seq), with
/// the user's rights and the server's rules checked now, and an outcome recorded for each.
/// `verify` checks an op's MAC under the device's secret.
pub fn push(
    tx: &mut dyn HubTx,
    who: &Principal,
    req: &PushRequest,
    now_ms: i64,
    verify: &dyn Fn(&Op) -> bool,
) -> Result<PushResponse, HubError> {
    if req.district != who.district {
        return Err(HubError::Forbidden(format!(
            "this account works in {}, not {}",
            who.district, req.district
        )));
    }
    tx.prefetch(&req.ops)?;
    let mut clock = Hlc(tx.clock()?);
    let mut scopes = Scopes::default();
    let mut results = Vec::with_capacity(req.ops.len());
    for op in &req.ops {
        // Seen before under this site's sequence number, or (a restored store sending again
        // under a new site id) by its op id: acknowledged with its outcome, never applied twice.
        let seen = match tx.op_by_seq(&req.site_id, op.seq)? {
            Some(seen) if seen.op_id != op.op_id => {
                return Err(HubError::SiteReused { seq: op.seq })
            }
            Some(seen) => Some(seen),
            None => tx.op_by_id(&op.op_id)?,
        };
        if let Some(seen) = seen {
            let rows = undo_copies(tx, &seen.outcome, op)?;
            results.push(OpResult {
                seq: op.seq,
                op_id: op.op_id.clone(),
                outcome: seen.outcome,
                rows,
            });
            continue;
        }
        let mut op = op.clone();
        let verified = verify(&op);
        clamp(&mut op, &mut clock, now_ms);
        tx.savepoint()?;
        let applied = if verified {
            rules::apply(tx, who, &req.site_id, &op, req.seen_version, &mut scopes)
        } else {
            Err(rules::Apply::Rejected(Refusal::BadSignature))
        };
        let (outcome, rows, overwritten) = match applied {
            Ok(done) => {
                tx.release_savepoint()?;
                (Outcome::Applied, done.echo, done.overwritten)
            }
            Err(rules::Apply::Rejected(refusal)) => {
                tx.rollback_to_savepoint()?;
                tx.release_savepoint()?;
                tracing::info!(kind = %op.kind, code = %refusal.code(), "operation rejected");
                let rows = copies(tx, &op.rows)?;
                let reason = refusal.to_string();
                (Outcome::Rejected { reason, refusal: Some(refusal) }, rows, Value::Null)
            }
            Err(rules::Apply::Storage(e)) => return Err(e),
        };
        tx.log_op(&OpRecord {
            site_id: &req.site_id,
            op: &op,
            principal: who,
            received_ms: now_ms,
            outcome: &outcome,
            overwritten,
        })?;
        results.push(OpResult { seq: op.seq, op_id: op.op_id.clone(), outcome, rows });
    }
    tx.set_clock(clock.0)?;
    Ok(PushResponse { results, server_hlc: clock.0, server_time_ms: now_ms })
}

/// Stamps more than [`MAX_AHEAD_MS`] ahead of the server are replaced by the server's own
/// (a laptop whose clock is two days fast must not win every edit for two days).
fn clamp(op: &mut Op, clock: &mut Hlc, now_ms: i64) {
    let limit = Hlc::new(now_ms + MAX_AHEAD_MS, u16::MAX).0;
    let fix = |h: &mut i64, clock: &mut Hlc| {
        if *h > limit {
            *clock = Hlc::tick(*clock, now_ms);
            *h = clock.0;
        } else if *h > clock.0 {
            *clock = Hlc(*h);
        }
    };
    fix(&mut op.hlc, clock);
    for row in &mut op.rows {
        fix(&mut row.created.0, clock);
        for s in row.stamps.values_mut() {
            fix(&mut s.0, clock);
        }
    }
}

/// A refusal acknowledged again (its first answer was lost) carries the server's copies
/// again: nothing else would undo the refused op on the device, since the server's rows did
/// not change and no pull brings them. An applied op's rows came with a new version, which
/// the next pull brings, except those the server decided away (an earning dropped at the
/// daily cap, the end of a task whose dispatch it refused, the event of a check-in made
/// twice): it holds no row for them, so no pull ever tells the device, and their tombstones
/// go again. (A resident merged into another is not one of them: its alias row comes with
/// the pull.)
fn undo_copies(tx: &mut dyn HubTx, outcome: &Outcome, op: &Op) -> Result<Vec<Row>, HubError> {
    match outcome {
        Outcome::Rejected { .. } => copies(tx, &op.rows),
        Outcome::Applied => {
            let mut gone = Vec::new();
            for r in &op.rows {
                if tx.get(&r.entity, &r.id)?.is_none() && tx.get(entity::ALIAS, &r.id)?.is_none() {
                    let mut t = Row::new(&r.entity, r.id.clone(), r.created.clone());
                    t.deleted = true;
                    gone.push(t);
                }
            }
            Ok(gone)
        }
    }
}

/// The server's copies of rows, or tombstones for those it does not hold.
fn copies(tx: &mut dyn HubTx, rows: &[Row]) -> Result<Vec<Row>, HubError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        match tx.get(&r.entity, &r.id)? {
            Some(s) => out.push(s.row),
            None => {
                let mut t = Row::new(&r.entity, r.id.clone(), r.created.clone());
                t.deleted = true;
                out.push(t);
            }
        }
    }
    Ok(out)
}

/// A page of the district's changes the user may see, from `cursor`.
pub fn pull(
    read: &mut dyn HubRead,
    who: &Principal,
    req: &PullRequest,
    now_ms: i64,
) -> Result<PullResponse, HubError> {
    let p = page(read, who, req, &mut |read, cursor, head, scope, limit| {
        let rows = read.rows_since(cursor, head, scope, limit)?;
        let last = rows.last().map(|r| r.version);
        Ok((rows, last))
    })?;
    Ok(PullResponse {
        rows: p.rows,
        cursor: p.cursor,
        head: p.head,
        more: p.more,
        resync: p.resync,
        server_hlc: p.server_hlc,
        server_time_ms: now_ms,
    })
}

/// The same page as [`pull`], its rows as the storage keeps them (what the HTTP server sends).
pub fn pull_raw(
    read: &mut dyn HubRead,
    who: &Principal,
    req: &PullRequest,
    now_ms: i64,
) -> Result<RawPullResponse, HubError> {
    let p = page(read, who, req, &mut |read, cursor, head, scope, limit| {
        let rows = read.rows_since_raw(cursor, head, scope, limit)?;
        let last = rows.last().map(|r| r.version);
        Ok((rows.into_iter().map(|r| r.json).collect(), last))
    })?;
    Ok(RawPullResponse {
        rows: p.rows,
        cursor: p.cursor,
        head: p.head,
        more: p.more,
        resync: p.resync,
        server_hlc: p.server_hlc,
        server_time_ms: now_ms,
    })
}

struct Page<R> {
    rows: Vec<R>,
    cursor: i64,
    head: i64,
    more: bool,
    resync: bool,
    server_hlc: i64,
}

/// Rows of a page with the last one's version.
type Fetched<R> = (Vec<R>, Option<i64>);
/// Reads a page's rows: (cursor, upto, scope, limit) as [`HubRead::rows_since`] takes them.
type Fetch<'f, R> =
    dyn FnMut(&mut dyn HubRead, i64, i64, Option<&str>, u32) -> Result<Fetched<R>, HubError> + 'f;

fn page<R>(
    read: &mut dyn HubRead,
    who: &Principal,
    req: &PullRequest,
    fetch: &mut Fetch<'_, R>,
) -> Result<Page<R>, HubError> {
    if req.district != who.district {
        return Err(HubError::Forbidden(format!(
            "this account works in {}, not {}",
            who.district, req.district
        )));
    }
    let head = read.head()?;
    let server_hlc = read.clock()?;
    if req.cursor > 0 && req.cursor < read.horizon()? {
        return Ok(Page { rows: vec![], cursor: 0, head, more: true, resync: true, server_hlc });
    }
    // A grid the server has not heard of yet holds no rows (a row is placed by its area), so
    // its official gets the district's reference data and an empty page, not an error. (Paths
    // start with a UUID, so this prefix matches nothing.)
    let scope = match &who.scope_area {
        Some(area) => Some(
            Scopes::default()
                .path(read, area)?
                .unwrap_or_else(|| format!("/not-yet-known:{area}/")),
        ),
        None => None,
    };
    let limit = req.limit.clamp(1, MAX_PAGE);
    let (rows, last) = fetch(read, req.cursor, head, scope.as_deref(), limit)?;
    let (cursor, more) = if rows.len() as u32 >= limit {
        (last.unwrap_or(req.cursor), true)
    } else {
        (head.max(req.cursor), false)
    };
    Ok(Page { rows, cursor, head, more, resync: false, server_hlc })
}

/// The most rows one pull answers.
pub const MAX_PAGE: u32 = 20_000;

/// Area paths (`/root/street/community/grid/`), cached for one push or pull.
#[derive(Debug, Default)]
pub(crate) struct Scopes {
    paths: HashMap<String, Option<String>>,
}

impl Scopes {
    pub(crate) fn path(
        &mut self,
        read: &mut dyn HubRead,
        area: &str,
    ) -> Result<Option<String>, HubError> {
        if let Some(p) = self.paths.get(area) {
            return Ok(p.clone());
        }
        let mut chain = vec![area.to_owned()];
        let mut at = area.to_owned();
        let path = loop {
            let Some(s) = read.get(entity::AREA, &at)? else { break None };
            match s.row.str("parent_id") {
                Some(p) if chain.len() < 8 => {
                    chain.push(p.to_owned());
                    at = p.to_owned();
                }
                Some(_) => break None,
                None => {
                    chain.reverse();
                    break Some(format!("/{}/", chain.join("/")));
                }
            }
        };
        self.paths.insert(area.to_owned(), path.clone());
        Ok(path)
    }
}
