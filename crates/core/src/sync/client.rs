//! The device's half of sync: log in, then push the outbox in order and pull the district's
//! changes, each response applied in one transaction (docs/sync.md). The network is behind
//! [`Transport`], so the same code runs over HTTP (jiayuan-net), in process (the simulation)
//! and in tests.

use std::collections::HashSet;

use rusqlite::{params, Connection, OptionalExtension};

use super::local::{self, Touched};
use super::outbox;
use super::pull::{pull_ahead, pull_pages, resync, Stop};
use super::wire::{
    op_mac, LoginRequest, LoginResponse, Op, Outcome, PullRequest, PullResponse, PushRequest,
    PushResponse, TokenRequest, TokenResponse,
};
use crate::clock::Clock;
use crate::error::{CoreError, Result};
use crate::hlc::Hlc;
use crate::requests::{derive, refdata::Env};
use crate::store::Store;

/// Why a call to the server did not go through, as the device must react to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("the server cannot be reached ({0}); work goes on here and is sent when it is back")]
    Offline(String),
    #[error("the session has expired")]
    Unauthorized,
    #[error("this device was revoked on the server; ask the district office, then log in again")]
    Revoked,
    #[error("{0}")]
    Forbidden(String),
    #[error("this store was copied or restored; it takes a new identity and sends again")]
    SiteReused,
    #[error("{0}")]
    RateLimited(String),
    /// The server refused the request (a wrong password, a malformed call).
    #[error("{0}")]
    Refused(String),
    #[error("the server failed: {0}")]
    Server(String),
    /// The device does not trust the server's identity (over HTTP, its certificate): nothing
    /// was sent, and trying again changes nothing until the device or the server is fixed.
    #[error("{0}")]
    Untrusted(String),
}

impl NetError {
    pub fn code(&self) -> &'static str {
        match self {
            NetError::Offline(_) => "offline",
            NetError::Unauthorized => "unauthorized",
            NetError::Revoked => "revoked",
            NetError::Forbidden(_) => "forbidden",
            NetError::SiteReused => "site_reused",
            NetError::RateLimited(_) => "rate_limited",
            NetError::Refused(_) => "refused",
            NetError::Server(_) => "server",
            NetError::Untrusted(_) => "untrusted",
        }
    }
}

/// The server, as the device calls it.
pub trait Transport {
    fn login(&self, req: &LoginRequest) -> std::result::Result<LoginResponse, NetError>;
    fn token(&self, req: &TokenRequest) -> std::result::Result<TokenResponse, NetError>;
    fn push(&self, access: &str, req: &PushRequest) -> std::result::Result<PushResponse, NetError>;
    fn pull(&self, access: &str, req: &PullRequest) -> std::result::Result<PullResponse, NetError>;
    /// The same server, callable from another thread: pull then fetches (and parses) the next
    /// page while this one is written. Transports that cannot be shared pull page by page.
    fn shared(&self) -> Option<&(dyn Transport + Sync)> {
        None
    }
    /// The district's access report (who revealed or exported residents' data, per place).
    /// A server that predates it answers as this default does.
    fn access_report(
        &self,
        _access: &str,
        _req: &super::access::AccessRequest,
    ) -> std::result::Result<super::access::AccessReport, NetError> {
        Err(NetError::Refused("this server does not keep the access report; update it".into()))
    }
}

/// Ops per push, and rows per push (an import's chunks are large).
const PUSH_OPS: usize = 500;
const PUSH_ROWS: usize = 20_000;

/// The device's login and position in the district's stream.
#[derive(Debug, Clone, Default)]
#[allow(dead_code)] // read whole for the status and tests; not every caller uses every field
pub(crate) struct State {
    pub server_url: Option<String>,
    pub user_id: Option<String>,
    pub display_name: Option<String>,
    pub device_token: Option<String>,
    pub device_secret: Option<String>,
    pub access_token: Option<String>,
    pub access_expires_ms: i64,
    pub cursor: i64,
    pub revoked: bool,
}

pub(crate) fn state(conn: &Connection) -> Result<State> {
    Ok(conn.query_row(
        "SELECT server_url, user_id, display_name, device_token, device_secret, access_token,
                access_expires_ms, cursor, revoked FROM sync_state WHERE singleton = 1",
        [],
        |r| {
            Ok(State {
                server_url: r.get(0)?,
                user_id: r.get(1)?,
                display_name: r.get(2)?,
                device_token: r.get(3)?,
                device_secret: r.get(4)?,
                access_token: r.get(5)?,
                access_expires_ms: r.get(6)?,
                cursor: r.get(7)?,
                revoked: r.get(8)?,
            })
        },
    )?)
}

/// Logs this store in as `username`. The store takes the account's district when it holds no
/// residents or requests yet; a store of another district is refused rather than mixed.
pub fn login(
    store: &mut Store,
    net: &dyn Transport,
    server_url: &str,
    username: &str,
    password: &str,
    device_name: &str,
) -> Result<()> {
    let resp = net
        .login(&LoginRequest {
            username: username.trim().to_owned(),
            password: password.to_owned(),
            device_name: device_name.to_owned(),
            site_id: store.device().site_id.clone(),
        })
        .map_err(CoreError::Sync)?;
    if resp.district != store.device().district {
        let used: i64 = store.conn().query_row(
            "SELECT (SELECT count(*) FROM residents) + (SELECT count(*) FROM requests)",
            [],
            |r| r.get(0),
        )?;
        if used > 0 {
            return Err(CoreError::NotAllowed(format!(
                "this store holds the district “{}”, and the account {} works in “{}”; log in on a new store",
                store.device().district,
                username,
                resp.district
            )));
        }
        store.set_district(&resp.district, false)?;
    }
    let same_server: bool = store.conn().query_row(
        "SELECT ifnull(server_url, '') = ?1 FROM sync_state WHERE singleton = 1",
        [server_url],
        |r| r.get(0),
    )?;
    store.conn().execute(
        "UPDATE sync_state SET server_url = ?1, user_id = ?2, user_name = ?3, display_name = ?4, role = ?5,
             scope_path = ?6, scope_area = ?7, device_id = ?8, device_token = ?9, device_secret = ?10,
             access_token = ?11, access_expires_ms = ?12, revoked = 0, last_error = NULL, last_error_code = NULL,
             cursor = CASE WHEN ?13 THEN cursor ELSE 0 END
         WHERE singleton = 1",
        params![
            server_url,
            resp.user_id,
            resp.user_name,
            resp.display_name,
            resp.role.as_str(),
            resp.scope_path,
            resp.scope_area,
            resp.device_id,
            resp.device_token,
            resp.device_secret,
            resp.access_token,
            resp.access_expires_ms,
            same_server
        ],
    )?;
    // Remembered for the app lock, which must open offline: a hash, never the password.
    store.conn().execute(
        "UPDATE sync_state SET password_hash = ?1 WHERE singleton = 1",
        [crate::desk::lock::hash_password(password)?],
    )?;
    tracing::info!(user = %resp.user_name, role = resp.role.as_str(), "logged in");
    Ok(())
}

/// Forgets the login (the work stays, and waits in the outbox for the next login).
pub fn logout(store: &mut Store) -> Result<()> {
    store.conn().execute(
        "UPDATE sync_state SET device_token = NULL, device_secret = NULL, access_token = NULL,
             access_expires_ms = 0, user_id = NULL, display_name = NULL, password_hash = NULL
         WHERE singleton = 1",
        [],
    )?;
    Ok(())
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct SyncReport {
    pub pushed: u32,
    pub rejected: u32,
    pub pulled: u32,
    #[ts(type = "number")]
    pub cursor: i64,
    #[ts(type = "number")]
    pub head: i64,
}

/// Where a sync is, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct SyncProgress {
    /// `push` or `pull`.
    pub phase: String,
    #[ts(type = "number")]
    pub done: u64,
    #[ts(type = "number")]
    pub total: u64,
}

/// Pushes everything waiting, then pulls until caught up. Every response is applied in one
/// transaction, so a crash between any two steps loses nothing: an op whose ack was lost is
/// sent again and acknowledged, never applied twice; a page whose cursor was not saved is
/// pulled again and overwrites the same rows.
pub fn sync(
    store: &mut Store,
    clock: &dyn Clock,
    net: &dyn Transport,
    progress: &mut dyn FnMut(SyncProgress),
) -> Result<SyncReport> {
    let outcome = run(store, clock, net, progress);
    let now = clock.now().to_rfc3339();
    match &outcome {
        Ok(_) => store.conn().execute(
            "UPDATE sync_state SET last_sync_at = ?1, last_attempt_at = ?1, last_error = NULL, last_error_code = NULL
             WHERE singleton = 1",
            [&now],
        )?,
        Err(e) => {
            let revoked = matches!(e, CoreError::Sync(NetError::Revoked));
            store.conn().execute(
                "UPDATE sync_state SET last_attempt_at = ?1, last_error = ?2, last_error_code = ?4,
                     revoked = revoked OR ?3 WHERE singleton = 1",
                params![now, e.to_string(), revoked, e.code()],
            )?
        }
    };
    outcome
}

fn run(
    store: &mut Store,
    clock: &dyn Clock,
    net: &dyn Transport,
    progress: &mut dyn FnMut(SyncProgress),
) -> Result<SyncReport> {
    let st = state(store.conn())?;
    if st.revoked {
        return Err(CoreError::Sync(NetError::Revoked));
    }
    let (Some(secret), Some(_)) = (st.device_secret.clone(), st.device_token.clone()) else {
        return Err(CoreError::NotAllowed(
            "log in to the server first; until then work stays on this computer".into(),
        ));
    };
    let mut access = access_token(store, clock, net, false)?;
    let district = store.device().district.clone();
    let mut report = SyncReport::default();
    let total =
        store.conn().query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0))? as u64;
    let mut sent_ops = 0u64;
    let mut refreshed = false;
    // The next batch, read and signed while the previous one was at the server.
    let mut ahead: Option<Vec<Op>> = None;
    loop {
        let ops = match ahead.take() {
            Some(ops) => ops,
            None => read_batch(store.conn(), &secret, 0)?,
        };
        let Some(last) = ops.last().map(|o| o.seq) else { break };
        let req = PushRequest {
            district: district.clone(),
            site_id: store.device().site_id.clone(),
            seen_version: state(store.conn())?.cursor,
            ops,
        };
        let asked = std::time::Instant::now();
        let (answer, next) = match net.shared() {
            Some(shared) => std::thread::scope(|scope| {
                let sending = scope.spawn(|| shared.push(&access, &req));
                let next = read_batch(store.conn(), &secret, last);
                let answer = sending.join().unwrap_or_else(|_| {
                    Err(NetError::Server("sending the push failed unexpectedly".into()))
                });
                (answer, Some(next))
            }),
            None => (net.push(&access, &req), None),
        };
        let resp = match answer {
            Ok(r) => r,
            Err(NetError::Unauthorized) if !refreshed => {
                refreshed = true;
                access = access_token(store, clock, net, true)?;
                continue;
            }
            Err(NetError::SiteReused) => {
                let site = store.take_new_site_id()?;
                tracing::warn!(site = %site, "the server knew this store's sequence numbers: new site id");
                continue;
            }
            Err(e) => return Err(CoreError::Sync(e)),
        };
        let n = resp.results.len();
        report.rejected +=
            resp.results.iter().filter(|r| matches!(r.outcome, Outcome::Rejected { .. })).count()
                as u32;
        let answered = asked.elapsed();
        apply_push(store, clock, &resp, &req.ops)?;
        tracing::debug!(
            ops = n,
            rows = req.ops.iter().map(|o| o.rows.len()).sum::<usize>(),
            push_ms = answered.as_millis() as u64,
            apply_ms = (asked.elapsed() - answered).as_millis() as u64,
            "pushed a batch"
        );
        report.pushed += n as u32;
        sent_ops += n as u64;
        progress(SyncProgress { phase: "push".into(), done: sent_ops, total: total.max(sent_ops) });
        if n == 0 {
            return Err(CoreError::Internal("the server acknowledged none of the ops sent".into()));
        }
        // The batch read ahead follows on only when the server answered every op sent.
        if resp.results.last().map(|r| r.seq) == Some(last) {
            ahead = next.transpose()?;
        }
    }
    let start = state(store.conn())?.cursor;
    loop {
        let pulled = match net.shared() {
            Some(shared) => {
                pull_ahead(store, clock, shared, &access, &district, start, &mut report, progress)
            }
            None => pull_pages(store, clock, net, &access, &district, start, &mut report, progress),
        };
        match pulled {
            Ok(()) => break,
            Err(Stop::Net(NetError::Unauthorized)) if !refreshed => {
                refreshed = true;
                access = access_token(store, clock, net, true)?;
            }
            Err(Stop::Resync) => resync(store)?,
            Err(Stop::Net(e)) => return Err(CoreError::Sync(e)),
            Err(Stop::Local(e)) => return Err(e),
        }
    }
    Ok(report)
}

/// The outbox's next batch after sequence number `after`.
fn read_batch(conn: &Connection, secret: &str, after: i64) -> Result<Vec<Op>> {
    let read = std::time::Instant::now();
    let ops = outbox::batch(conn, secret, after, PUSH_OPS, PUSH_ROWS)?;
    tracing::debug!(ops = ops.len(), read_ms = read.elapsed().as_millis() as u64, "read a batch");
    Ok(ops)
}

/// A valid access token: the stored one, or a fresh one for the device token.
pub(super) fn access_token(
    store: &Store,
    clock: &dyn Clock,
    net: &dyn Transport,
    force: bool,
) -> Result<String> {
    let st = state(store.conn())?;
    let now = clock.now().timestamp_millis();
    if let Some(t) = st.access_token.filter(|_| !force && st.access_expires_ms > now + 30_000) {
        return Ok(t);
    }
    let device_token = st
        .device_token
        .ok_or_else(|| CoreError::NotAllowed("log in to the server first".into()))?;
    let fresh = net.token(&TokenRequest { device_token }).map_err(CoreError::Sync)?;
    store.conn().execute(
        "UPDATE sync_state SET access_token = ?1, access_expires_ms = ?2 WHERE singleton = 1",
        params![fresh.access_token, fresh.access_expires_ms],
    )?;
    Ok(fresh.access_token)
}

/// The receive rule of the HLC, and the laptop's clock error against the server's.
pub(super) fn follow_server_clock(
    conn: &Connection,
    clock: &dyn Clock,
    server_hlc: i64,
    server_ms: i64,
) -> Result<()> {
    let local_ms = clock.now().timestamp_millis();
    let off = server_ms - local_ms;
    let offset = if off.abs() > super::hub::MAX_AHEAD_MS { off } else { 0 };
    let bound = Hlc::new(server_ms + super::hub::MAX_AHEAD_MS, 0).0;
    conn.execute(
        "UPDATE device SET last_hlc = max(last_hlc, min(?1, ?2)), clock_offset_ms = ?3 WHERE singleton = 1",
        params![server_hlc, bound, offset],
    )?;
    Ok(())
}

fn apply_push(
    store: &mut Store,
    clock: &dyn Clock,
    resp: &PushResponse,
    sent: &[Op],
) -> Result<()> {
    let now = clock.now().to_rfc3339();
    // An op's echo is the server's copy after that op: a later op of the batch that carried
    // the same row supersedes it (with its own echo, or with the device's row when the
    // server's result matched it and nothing was echoed).
    let last_sent: std::collections::HashMap<(&str, &str), i64> = sent
        .iter()
        .flat_map(|o| o.rows.iter().map(move |r| ((r.entity.as_str(), r.id.as_str()), o.seq)))
        .collect();
    let tx = store.conn_mut().transaction()?;
    let mut echoed = Vec::new();
    for r in &resp.results {
        let row: Option<(String, String, String)> = tx
            .prepare_cached("SELECT kind, at, payload FROM outbox WHERE seq = ?1 AND op_id = ?2")?
            .query_row(params![r.seq, r.op_id], |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?)))
            .optional()?;
        let Some((kind, at, payload)) = row else { continue };
        // What the op was about, so a refusal can name it.
        let subject = serde_json::from_str::<serde_json::Value>(&payload)
            .ok()
            .and_then(|p| p["request_id"].as_str().or_else(|| p["id"].as_str()).map(str::to_owned));
        let (outcome, reason, refusal) = match &r.outcome {
            Outcome::Applied => ("applied", None, None),
            Outcome::Rejected { reason, refusal } => {
                ("rejected", Some(reason.as_str()), refusal.as_ref().map(|r| r.to_json()))
            }
        };
        tx.prepare_cached(
            "INSERT OR REPLACE INTO sync_outcomes
                (op_id, seq, kind, at, outcome, reason, refusal, acked_at, subject)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![r.op_id, r.seq, kind, at, outcome, reason, refusal, now, subject])?;
        tx.prepare_cached("DELETE FROM outbox WHERE seq = ?1")?.execute([r.seq])?;
        echoed.extend(
            r.rows
                .iter()
                .filter(|row| {
                    last_sent
                        .get(&(row.entity.as_str(), row.id.as_str()))
                        .is_none_or(|&seq| seq <= r.seq)
                })
                .cloned(),
        );
    }
    // Parsing every waiting op's payload is the costly part of a push of thousands: only
    // when the server sent copies back.
    let pending = if echoed.is_empty() { Keys::new() } else { outbox::pending(&tx)? };
    let mut touched = Touched::new(&tx)?;
    for row in &echoed {
        if !pending.contains(&(row.entity.clone(), row.id.clone())) {
            local::write(&tx, row, &mut touched)?;
        }
    }
    finish(&tx, clock, &touched)?;
    follow_server_clock(&tx, clock, resp.server_hlc, resp.server_time_ms)?;
    tx.commit()?;
    Ok(())
}

/// The once-per-page work: derived request columns from their events, every open request's
/// when reference data (a policy, the calendar, the mode) changed.
pub(super) fn finish(conn: &Connection, clock: &dyn Clock, touched: &Touched) -> Result<()> {
    local::index_new(conn, touched)?;
    if touched.requests.is_empty() && !touched.reference {
        return Ok(());
    }
    let env = Env::load(conn)?;
    let now = clock.now();
    for id in &touched.requests {
        let exists: Option<i64> = conn
            .prepare_cached("SELECT 1 FROM requests WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        if exists.is_some() {
            derive::recompute(conn, id, &env, now)?;
        }
    }
    if touched.reference {
        derive::recompute_open(conn, &env, now)?;
    }
    Ok(())
}

/// The ops' MAC under the device secret (the server checks it).
pub(crate) fn sign(secret: &str, op: &mut super::wire::Op) {
    op.mac = op_mac(secret, op);
}

/// The set of (entity, id) pairs used for pending checks.
pub(crate) type Keys = HashSet<(String, String)>;
