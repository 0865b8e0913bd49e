//! Where the server keeps its state, behind one trait with two implementations (SQLite, the
//! default on one machine; PostgreSQL, for several instances behind a load balancer). Each
//! implements core's [`HubRead`]/[`HubTx`] for one district inside one transaction, so the
//! protocol's logic lives in `jiayuan_core::sync::hub` once, and the accounts' reads and writes
//! the server needs. Nothing is kept in memory between requests.

mod pg;
mod pg_buffer;
mod pg_hub;
mod sqlite;
mod sqlite_hub;

use std::path::Path;

use jiayuan_core::sync::hub::{HubError, HubRead, HubTx, OpRecord, RawRow};
use jiayuan_core::sync::{Outcome, Role, Row};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

pub use pg::PgStorage;
pub use sqlite::SqliteStorage;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The server's message with its SQLSTATE (the driver's own text is only "db error").
    #[error("PostgreSQL: {}", pg_text(.0))]
    Postgres(#[from] postgres::Error),
    /// The database was made by a newer server, or by another program.
    #[error("{0}")]
    Schema(String),
    /// A unique name is taken (a user name).
    #[error("{0}")]
    Taken(String),
    #[error("a stored value is damaged: {0}")]
    Corrupt(String),
}

fn pg_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{} ({})", d.message(), d.code().code()),
        None => e.to_string(),
    }
}

/// A stored row's JSON as a [`Row`] at its version.
pub(crate) fn parse_row(body: &str, version: i64) -> Result<Row, HubError> {
    let mut row: Row = serde_json::from_str(body).map_err(corrupt_row)?;
    row.version = version;
    Ok(row)
}

/// A stored row's JSON as it is, to send without parsing (`put` stores it with its version).
pub(crate) fn raw_row(body: String, version: i64) -> Result<RawRow, HubError> {
    Ok(RawRow { json: RawValue::from_string(body).map_err(corrupt_row)?, version })
}

fn corrupt_row(e: serde_json::Error) -> HubError {
    hub_err(StorageError::Corrupt(format!("a stored row: {e}")))
}

impl From<StorageError> for HubError {
    fn from(e: StorageError) -> Self {
        HubError::Storage(e.to_string())
    }
}

/// Core's storage error from a driver's (core's `HubError` cannot implement `From` for the
/// drivers' types from this crate).
pub(crate) fn hub_err(e: impl Into<StorageError>) -> HubError {
    HubError::Storage(e.into().to_string())
}

/// An account. `scope_area` is the id of `scope_path` under the district (see
/// [`crate::accounts::scope_area`]), `None` for the whole district.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub district: String,
    pub scope_path: String,
    pub scope_area: Option<String>,
    pub disabled: bool,
    pub created_ms: i64,
}

/// A device a user logged in from. Its token is stored only as a hash; its secret is stored as
/// is, because the server needs it to check the MAC of every op the device signs.
#[derive(Clone, PartialEq)]
pub struct Device {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub site_id: String,
    pub secret: String,
    pub created_ms: i64,
    pub last_seen_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
    /// When the server told the revoked device, at its next contact, to wipe its store.
    pub wiped_ms: Option<i64>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret signs ops: it never goes to a log through a `{:?}`.
        f.debug_struct("Device")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("site_id", &self.site_id)
            .field("created_ms", &self.created_ms)
            .field("last_seen_ms", &self.last_seen_ms)
            .field("revoked_ms", &self.revoked_ms)
            .field("wiped_ms", &self.wiped_ms)
            .finish_non_exhaustive()
    }
}

/// A device with the user it belongs to (what a token resolves to).
#[derive(Debug, Clone)]
pub struct Session {
    pub device: Device,
    pub user: User,
    /// When the access token that found it expires (`i64::MAX` for a device token).
    pub expires_ms: i64,
}

/// Failed logins within the rate limit's window: how many, and the oldest (which says when
/// the window frees up again).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    pub oldest_ms: Option<i64>,
}

/// One entry of a district's op log, as stored: what was applied with its outcome, chained
/// by hash.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub district: String,
    pub site_id: String,
    pub seq: i64,
    pub op_id: String,
    pub kind: String,
    pub actor: String,
    pub user_id: String,
    pub device_id: String,
    pub hlc: i64,
    pub at: String,
    pub received_ms: i64,
    /// `applied` or `rejected`.
    pub outcome: String,
    /// A rejection's refusal as JSON (`Refusal::to_json`), or its English reason when it came
    /// without a code.
    pub reason: Option<String>,
    pub overwritten: String,
    /// The op as the server applied it (stamps clamped), JSON.
    pub op: String,
    pub prev_hash: String,
    pub hash: String,
}

impl LogEntry {
    pub(crate) fn new(district: &str, rec: &OpRecord<'_>, prev_hash: &str) -> LogEntry {
        let (outcome, reason) = match rec.outcome {
            Outcome::Applied => ("applied", None),
            // The refusal's code and values when there is one (the English is rebuilt from
            // them), so an op sent again gets the same worded answer.
            Outcome::Rejected { reason, refusal } => {
                ("rejected", Some(refusal.as_ref().map_or_else(|| reason.clone(), |r| r.to_json())))
            }
        };
        let mut e = LogEntry {
            district: district.to_owned(),
            site_id: rec.site_id.to_owned(),
            seq: rec.op.seq,
            op_id: rec.op.op_id.clone(),
            kind: rec.op.kind.clone(),
            actor: rec.op.actor.clone(),
            user_id: rec.principal.user_id.clone(),
            device_id: rec.principal.device_id.clone(),
            hlc: rec.op.hlc,
            at: rec.op.at.clone(),
            received_ms: rec.received_ms,
            outcome: outcome.to_owned(),
            reason,
            overwritten: rec.overwritten.to_string(),
            op: serde_json::to_string(rec.op).unwrap_or_default(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }

    /// SHA-256 over the previous hash and every field, each length-prefixed so no two
    /// different entries hash the same bytes.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let mut field = |b: &[u8]| {
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        };
        field(self.prev_hash.as_bytes());
        field(self.district.as_bytes());
        field(self.site_id.as_bytes());
        field(&self.seq.to_le_bytes());
        field(self.op_id.as_bytes());
        field(self.kind.as_bytes());
        field(self.actor.as_bytes());
        field(self.user_id.as_bytes());
        field(self.device_id.as_bytes());
        field(&self.hlc.to_le_bytes());
        field(self.at.as_bytes());
        field(&self.received_ms.to_le_bytes());
        field(self.outcome.as_bytes());
        field(self.reason.as_deref().unwrap_or("").as_bytes());
        field(self.overwritten.as_bytes());
        field(self.op.as_bytes());
        hex::encode(h.finalize())
    }

    pub(crate) fn logged_outcome(outcome: &str, reason: Option<String>) -> Outcome {
        match outcome {
            "applied" => Outcome::Applied,
            _ => {
                let reason = reason.unwrap_or_default();
                match jiayuan_core::Refusal::from_json(&reason) {
                    Some(r) => Outcome::Rejected { reason: r.to_string(), refusal: Some(r) },
                    None => Outcome::Rejected { reason, refusal: None },
                }
            }
        }
    }
}

/// Everything the server stores. Each method is one short transaction (or, for the two `*_tx`
/// methods, the transaction `f` runs in: committed when `f` returns `Ok`, rolled back
/// otherwise). Blocking: call it off the async runtime.
pub trait Storage: Send + Sync {
    /// `sqlite` or `postgres`, for logs.
    fn backend(&self) -> &'static str;

    /// One push transaction on `district`, holding the district's version row locked so
    /// versions commit in order.
    fn push_tx(
        &self,
        district: &str,
        f: &mut dyn FnMut(&mut dyn HubTx) -> Result<(), HubError>,
    ) -> Result<(), HubError>;
    /// A consistent read of `district` (one snapshot for the head and the rows).
    fn read_tx(
        &self,
        district: &str,
        f: &mut dyn FnMut(&mut dyn HubRead) -> Result<(), HubError>,
    ) -> Result<(), HubError>;
    /// Deletes the retention purge's tombstones of `district` (requests, events and conflicts
    /// kept as a row without fields) and moves its horizon past the last of them, in one
    /// transaction holding the district's row: a device whose cursor is older then pulls the
    /// district again. Returns how many went and the horizon.
    fn forget_tombstones(&self, district: &str) -> Result<(u64, i64), HubError>;
    /// A district's op log in order, for audits and tests.
    fn op_log(&self, district: &str) -> Result<Vec<LogEntry>, StorageError>;
    /// A district's op log entries of these kinds received in `[from_ms, to_ms)`, in order.
    fn op_log_of(
        &self,
        district: &str,
        kinds: &[&str],
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<LogEntry>, StorageError>;
    /// The chain's last hash as the district row records it (`""` before the first op).
    fn chain_head(&self, district: &str) -> Result<String, StorageError>;

    fn user_count(&self) -> Result<u64, StorageError>;
    /// Fails with [`StorageError::Taken`] when the name is in use.
    fn insert_user(&self, user: &User) -> Result<(), StorageError>;
    fn user_by_name(&self, name: &str) -> Result<Option<User>, StorageError>;
    fn users(&self) -> Result<Vec<User>, StorageError>;
    /// Blocks the user's logins and revokes all their devices in one transaction. Access tokens
    /// stay, so a revoked device's next push is told it was revoked (not merely logged out). `false` when there is no such user.
    fn disable_user(&self, name: &str, now_ms: i64) -> Result<bool, StorageError>;

    fn insert_device(&self, device: &Device, token_hash: &str) -> Result<(), StorageError>;
    fn devices(&self) -> Result<Vec<Device>, StorageError>;
    /// `false` when there is no such device.
    fn revoke_device(&self, id: &str, now_ms: i64) -> Result<bool, StorageError>;
    /// Records that the revoked device was told to wipe its store; true the first time.
    fn mark_wiped(&self, id: &str, now_ms: i64) -> Result<bool, StorageError>;
    fn device_by_token(&self, token_hash: &str) -> Result<Option<Session>, StorageError>;
    fn touch_device(&self, id: &str, now_ms: i64) -> Result<(), StorageError>;

    /// Stores an access token's hash (and drops the device's expired ones).
    fn insert_access(
        &self,
        token_hash: &str,
        device_id: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<(), StorageError>;
    fn session_by_access(&self, token_hash: &str) -> Result<Option<Session>, StorageError>;

    fn record_login(
        &self,
        user_name: &str,
        ip: &str,
        ok: bool,
        at_ms: i64,
    ) -> Result<(), StorageError>;
    /// Failed logins since `since_ms`, for this name and for this address.
    fn login_failures(
        &self,
        user_name: &str,
        ip: &str,
        since_ms: i64,
    ) -> Result<(Failures, Failures), StorageError>;
}

/// Opens the storage a URL names: `postgres://…` (or `postgresql://…`), `sqlite://PATH`, or,
/// with no URL, `server.db` in `data_dir`.
pub fn open(data_dir: &Path, database_url: Option<&str>) -> Result<Box<dyn Storage>, StorageError> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Box::new(PgStorage::open(url)?))
        }
        Some(url) if url.starts_with("sqlite://") => {
            Ok(Box::new(SqliteStorage::open(Path::new(&url["sqlite://".len()..]))?))
        }
        Some(url) => Err(StorageError::Schema(format!(
            "--database-url must start with postgres:// or sqlite://, not “{}”",
            url.split(':').next().unwrap_or(url)
        ))),
        None => {
            std::fs::create_dir_all(data_dir).map_err(|e| {
                StorageError::Schema(format!(
                    "cannot create the data folder {}: {e}",
                    data_dir.display()
                ))
            })?;
            Ok(Box::new(SqliteStorage::open(&data_dir.join("server.db"))?))
        }
    }
}

/// Keeps savepoints' in-memory state (the district's version and chain head) in step with the
/// database's, so a rolled-back op leaves no gap in versions and no link in the chain.
#[derive(Debug, Default)]
pub(crate) struct DistrictState {
    pub version: i64,
    pub horizon: i64,
    pub clock: i64,
    pub chain: String,
    saved: Vec<(i64, String)>,
}

impl DistrictState {
    pub fn save(&mut self) {
        self.saved.push((self.version, self.chain.clone()));
    }
    pub fn restore(&mut self) {
        if let Some((v, c)) = self.saved.last() {
            self.version = *v;
            self.chain = c.clone();
        }
    }
    pub fn release(&mut self) {
        self.saved.pop();
    }
}
