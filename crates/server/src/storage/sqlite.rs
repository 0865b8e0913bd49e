//! The server on SQLite: one file in WAL mode, a few pooled connections (readers do not wait
//! for a push), pushes serialised by `BEGIN IMMEDIATE` (SQLite has one writer; taking the
//! write lock first means two pushes never deadlock upgrading a read lock).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiayuan_core::sync::hub::{HubError, HubRead, HubTx};
use jiayuan_core::sync::Role;
use rusqlite::{params, Connection, OptionalExtension};

use super::sqlite_hub::Hub;
use super::{hub_err, Device, Failures, LogEntry, Session, Storage, StorageError, User};

/// `PRAGMA application_id` of a server database ("JYSV"), so a device's store or another
/// program's file is refused rather than migrated.
const APPLICATION_ID: i32 = 0x4A59_5356;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/sqlite/0001_init.sql"),
    include_str!("migrations/sqlite/0002_device_wipe.sql"),
    include_str!("migrations/sqlite/0003_op_log_by_kind.sql"),
];

/// Connections kept open; more are opened under load and closed when returned to a full pool.
const POOL_KEEP: usize = 8;

pub struct SqliteStorage {
    path: PathBuf,
    pool: Mutex<Vec<Connection>>,
    /// Set when the storage goes, to end its checkpointer.
    closing: Arc<AtomicBool>,
}

impl Drop for SqliteStorage {
    fn drop(&mut self) {
        self.closing.store(true, Ordering::Relaxed);
    }
}

/// Copies the write-ahead log into the database file every so often on a thread of its own.
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so every
/// few pushes one waited for the copy and its fsync.
fn checkpointer(path: PathBuf, closing: Arc<AtomicBool>) {
    let spawned = std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn(move || {
        let Ok(conn) = connect(&path) else { return };
        let mut ticks = 0u32;
        while !closing.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            ticks += 1;
            if ticks.is_multiple_of(5) {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "checkpoint of the server database failed");
                }
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "no checkpoint thread: SQLite checkpoints in commits");
    }
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage").field("path", &self.path).finish_non_exhaustive()
    }
}

struct Pooled<'a> {
    conn: Option<Connection>,
    pool: &'a Mutex<Vec<Connection>>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            // A connection left inside a transaction (a panic mid-push) is not reused.
            if c.is_autocommit() {
                let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
                if pool.len() < POOL_KEEP {
                    pool.push(c);
                }
            }
        }
    }
}

fn connect(path: &Path) -> Result<Connection, StorageError> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // A push is acknowledged after its commit and the device then forgets the ops: the commit
    // must survive a power cut, so the log is synced at every commit (one fsync per push).
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // The checkpointer thread copies the log (see `checkpointer`).
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StorageError> {
    let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let has_tables: bool =
        conn.query_row("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table'", [], |r| {
            r.get(0)
        })?;
    if app != APPLICATION_ID && (app != 0 || has_tables) {
        return Err(StorageError::Schema(
            "this file is not a Jiayuan sync server database (a device's store, or another program's); give the server its own file".into(),
        ));
    }
    if version as usize > MIGRATIONS.len() {
        return Err(StorageError::Schema(format!(
            "the server database is at schema {version}, newer than this program knows ({}); run a newer jiayuan",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

impl SqliteStorage {
    pub fn open(path: &Path) -> Result<SqliteStorage, StorageError> {
        let mut conn = connect(path)?;
        migrate(&mut conn)?;
        let closing = Arc::new(AtomicBool::new(false));
        checkpointer(path.to_owned(), Arc::clone(&closing));
        Ok(SqliteStorage { path: path.to_owned(), pool: Mutex::new(vec![conn]), closing })
    }

    fn conn(&self) -> Result<Pooled<'_>, StorageError> {
        let taken = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match taken {
            Some(c) => c,
            None => connect(&self.path)?,
        };
        Ok(Pooled { conn: Some(conn), pool: &self.pool })
    }

    /// Runs `f` in a transaction begun with `begin`, committing when it succeeds.
    fn in_tx<T>(
        &self,
        begin: &str,
        f: impl FnOnce(&Connection) -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        let conn = self.conn().map_err(hub_err)?;
        conn.execute_batch(begin).map_err(hub_err)?;
        match f(&conn) {
            Ok(v) => match conn.execute_batch("COMMIT") {
                Ok(()) => Ok(v),
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    Err(hub_err(e))
                }
            },
            Err(e) => {
                // The error that matters is `e`; a failed rollback leaves the connection in a
                // transaction, and the pool drops it.
                let _ = conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

const USER_COLUMNS: &str =
    "u.id, u.name, u.display_name, u.password_hash, u.role, u.district, u.scope_path, u.scope_area, u.disabled, u.created_ms";
const DEVICE_COLUMNS: &str =
    "d.id, d.user_id, d.name, d.site_id, d.secret, d.created_ms, d.last_seen_ms, d.revoked_ms, d.wiped_ms";

fn user_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<User> {
    let role: String = r.get(at + 4)?;
    Ok(User {
        id: r.get(at)?,
        name: r.get(at + 1)?,
        display_name: r.get(at + 2)?,
        password_hash: r.get(at + 3)?,
        role: Role::parse(&role).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                at + 4,
                rusqlite::types::Type::Text,
                format!("unknown role {role}").into(),
            )
        })?,
        district: r.get(at + 5)?,
        scope_path: r.get(at + 6)?,
        scope_area: r.get(at + 7)?,
        disabled: r.get(at + 8)?,
        created_ms: r.get(at + 9)?,
    })
}

fn device_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Device> {
    Ok(Device {
        id: r.get(at)?,
        user_id: r.get(at + 1)?,
        name: r.get(at + 2)?,
        site_id: r.get(at + 3)?,
        secret: r.get(at + 4)?,
        created_ms: r.get(at + 5)?,
        last_seen_ms: r.get(at + 6)?,
        revoked_ms: r.get(at + 7)?,
        wiped_ms: r.get(at + 8)?,
    })
}

fn failures(
    conn: &Connection,
    sql: &str,
    who: &str,
    since_ms: i64,
) -> Result<Failures, StorageError> {
    Ok(conn.prepare_cached(sql)?.query_row(params![who, since_ms], |r| {
        Ok(Failures { count: r.get(0)?, oldest_ms: r.get(1)? })
    })?)
}

impl Storage for SqliteStorage {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn push_tx(
        &self,
        district: &str,
        f: &mut dyn FnMut(&mut dyn HubTx) -> Result<(), HubError>,
    ) -> Result<(), HubError> {
        self.in_tx("BEGIN IMMEDIATE", |conn| {
            conn.prepare_cached(
                "INSERT INTO districts (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
            )
            .and_then(|mut s| s.execute([district]))
            .map_err(hub_err)?;
            let mut hub = Hub::load(conn, district)?;
            f(&mut hub)?;
            hub.flush()
        })
    }

    fn forget_tombstones(&self, district: &str) -> Result<(u64, i64), HubError> {
        self.in_tx("BEGIN IMMEDIATE", |conn| {
            const PURGED: &str =
                "district = ?1 AND entity IN ('request', 'request_event', 'conflict')
                 AND json_extract(body, '$.deleted') = 1 AND json_extract(body, '$.fields') = '{}'";
            let last: Option<i64> = conn
                .query_row(
                    &format!("SELECT max(version) FROM rows WHERE {PURGED}"),
                    [district],
                    |r| r.get(0),
                )
                .map_err(hub_err)?;
            let gone = conn
                .execute(&format!("DELETE FROM rows WHERE {PURGED}"), [district])
                .map_err(hub_err)?;
            if let Some(last) = last {
                conn.execute(
                    "UPDATE districts SET horizon = max(horizon, ?2) WHERE name = ?1",
                    params![district, last],
                )
                .map_err(hub_err)?;
            }
            let horizon: Option<i64> = conn
                .query_row("SELECT horizon FROM districts WHERE name = ?1", [district], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(hub_err)?;
            Ok((gone as u64, horizon.unwrap_or(0)))
        })
    }

    fn read_tx(
        &self,
        district: &str,
        f: &mut dyn FnMut(&mut dyn HubRead) -> Result<(), HubError>,
    ) -> Result<(), HubError> {
        self.in_tx("BEGIN DEFERRED", |conn| {
            let mut hub = Hub::load(conn, district)?;
            f(&mut hub)
        })
    }

    fn op_log(&self, district: &str) -> Result<Vec<LogEntry>, StorageError> {
        self.log_where(district, "", &[])
    }

    fn op_log_of(
        &self,
        district: &str,
        kinds: &[&str],
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<LogEntry>, StorageError> {
        let kinds =
            serde_json::to_string(kinds).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        self.log_where(
            district,
            "AND kind IN (SELECT value FROM json_each(?2)) AND received_ms >= ?3 AND received_ms < ?4",
            &[&kinds, &from_ms, &to_ms],
        )
    }

    fn chain_head(&self, district: &str) -> Result<String, StorageError> {
        let conn = self.conn()?;
        let chain = conn
            .query_row("SELECT chain FROM districts WHERE name = ?1", [district], |r| r.get(0))
            .optional()?;
        Ok(chain.unwrap_or_default())
    }

    fn user_count(&self) -> Result<u64, StorageError> {
        let conn = self.conn()?;
        let n: i64 = conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn insert_user(&self, u: &User) -> Result<(), StorageError> {
        let conn = self.conn()?;
        let done = conn.execute(
            "INSERT INTO users (id, name, display_name, password_hash, role, district, scope_path, scope_area, disabled, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (name) DO NOTHING",
            params![
                u.id, u.name, u.display_name, u.password_hash, u.role.as_str(), u.district, u.scope_path,
                u.scope_area, u.disabled, u.created_ms
            ],
        )?;
        if done == 0 {
            return Err(StorageError::Taken(format!("there is already a user named “{}”", u.name)));
        }
        Ok(())
    }

    fn user_by_name(&self, name: &str) -> Result<Option<User>, StorageError> {
        let conn = self.conn()?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.name = ?1");
        let user = conn.prepare_cached(&sql)?.query_row([name], |r| user_at(r, 0)).optional()?;
        Ok(user)
    }

    fn users(&self) -> Result<Vec<User>, StorageError> {
        let conn = self.conn()?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.district, u.name");
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| user_at(r, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn disable_user(&self, name: &str, now_ms: i64) -> Result<bool, StorageError> {
        let mut conn = self.conn()?;
        let conn = conn.conn.as_mut().unwrap_or_else(|| unreachable!("taken only on drop"));
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let id: Option<String> = tx
            .query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0))
            .optional()?;
        let Some(id) = id else { return Ok(false) };
        tx.execute("UPDATE users SET disabled = 1 WHERE id = ?1", [&id])?;
        tx.execute(
            "UPDATE devices SET revoked_ms = ?2 WHERE user_id = ?1 AND revoked_ms IS NULL",
            params![id, now_ms],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn insert_device(&self, d: &Device, token_hash: &str) -> Result<(), StorageError> {
        let conn = self.conn()?;
        conn.execute(
            "INSERT INTO devices (id, user_id, name, site_id, token_hash, secret, created_ms, last_seen_ms, revoked_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![d.id, d.user_id, d.name, d.site_id, token_hash, d.secret, d.created_ms, d.last_seen_ms, d.revoked_ms],
        )?;
        Ok(())
    }

    fn devices(&self) -> Result<Vec<Device>, StorageError> {
        let conn = self.conn()?;
        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices d ORDER BY d.created_ms, d.id");
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| device_at(r, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn revoke_device(&self, id: &str, now_ms: i64) -> Result<bool, StorageError> {
        let conn = self.conn()?;
        let found = conn.execute(
            "UPDATE devices SET revoked_ms = coalesce(revoked_ms, ?2) WHERE id = ?1",
            params![id, now_ms],
        )?;
        Ok(found > 0)
    }

    fn mark_wiped(&self, id: &str, now_ms: i64) -> Result<bool, StorageError> {
        let conn = self.conn()?;
        let first = conn.execute(
            "UPDATE devices SET wiped_ms = ?2 WHERE id = ?1 AND wiped_ms IS NULL",
            params![id, now_ms],
        )?;
        Ok(first > 0)
    }

    fn device_by_token(&self, token_hash: &str) -> Result<Option<Session>, StorageError> {
        let conn = self.conn()?;
        let sql = format!(
            "SELECT {DEVICE_COLUMNS}, {USER_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = ?1"
        );
        let found = conn
            .prepare_cached(&sql)?
            .query_row([token_hash], |r| {
                Ok(Session { device: device_at(r, 0)?, user: user_at(r, 9)?, expires_ms: i64::MAX })
            })
            .optional()?;
        Ok(found)
    }

    fn touch_device(&self, id: &str, now_ms: i64) -> Result<(), StorageError> {
        let conn = self.conn()?;
        conn.prepare_cached(
            "UPDATE devices SET last_seen_ms = max(coalesce(last_seen_ms, 0), ?2) WHERE id = ?1",
        )?
        .execute(params![id, now_ms])?;
        Ok(())
    }

    fn insert_access(
        &self,
        token_hash: &str,
        device_id: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        let conn = self.conn()?;
        conn.prepare_cached("DELETE FROM access_tokens WHERE device_id = ?1 AND expires_ms <= ?2")?
            .execute(params![device_id, now_ms])?;
        conn.prepare_cached(
            "INSERT INTO access_tokens (token_hash, device_id, expires_ms) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![token_hash, device_id, expires_ms])?;
        Ok(())
    }

    fn session_by_access(&self, token_hash: &str) -> Result<Option<Session>, StorageError> {
        let conn = self.conn()?;
        let sql = format!(
            "SELECT {DEVICE_COLUMNS}, {USER_COLUMNS}, a.expires_ms FROM access_tokens a
             JOIN devices d ON d.id = a.device_id JOIN users u ON u.id = d.user_id WHERE a.token_hash = ?1"
        );
        let found = conn
            .prepare_cached(&sql)?
            .query_row([token_hash], |r| {
                Ok(Session {
                    device: device_at(r, 0)?,
                    user: user_at(r, 9)?,
                    expires_ms: r.get(19)?,
                })
            })
            .optional()?;
        Ok(found)
    }

    fn record_login(
        &self,
        user_name: &str,
        ip: &str,
        ok: bool,
        at_ms: i64,
    ) -> Result<(), StorageError> {
        let conn = self.conn()?;
        conn.prepare_cached(
            "INSERT INTO login_attempts (user_name, ip, ok, at_ms) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![user_name, ip, ok, at_ms])?;
        // Attempts older than a day no longer count for anything.
        conn.prepare_cached("DELETE FROM login_attempts WHERE user_name = ?1 AND at_ms < ?2")?
            .execute(params![user_name, at_ms - 86_400_000])?;
        Ok(())
    }

    fn login_failures(
        &self,
        user_name: &str,
        ip: &str,
        since_ms: i64,
    ) -> Result<(Failures, Failures), StorageError> {
        let conn = self.conn()?;
        let by_name = failures(
            &conn,
            "SELECT count(*), min(at_ms) FROM login_attempts WHERE user_name = ?1 AND at_ms >= ?2 AND ok = 0",
            user_name,
            since_ms,
        )?;
        let by_ip = failures(
            &conn,
            "SELECT count(*), min(at_ms) FROM login_attempts WHERE ip = ?1 AND at_ms >= ?2 AND ok = 0",
            ip,
            since_ms,
        )?;
        Ok((by_name, by_ip))
    }
}

impl SqliteStorage {
    /// Op log entries of `district` in order, narrowed by `more` (conditions on ?2…).
    fn log_where(
        &self,
        district: &str,
        more: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<LogEntry>, StorageError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!(
            "SELECT district, site_id, seq, op_id, kind, actor, user_id, device_id, hlc, at, received_ms,
                    outcome, reason, overwritten, op, prev_hash, hash
             FROM op_log WHERE district = ?1 {more} ORDER BY n"
        ))?;
        let all: Vec<&dyn rusqlite::ToSql> = std::iter::once(&district as &dyn rusqlite::ToSql)
            .chain(params.iter().copied())
            .collect();
        let rows = stmt.query_map(all.as_slice(), |r| {
            Ok(LogEntry {
                district: r.get(0)?,
                site_id: r.get(1)?,
                seq: r.get(2)?,
                op_id: r.get(3)?,
                kind: r.get(4)?,
                actor: r.get(5)?,
                user_id: r.get(6)?,
                device_id: r.get(7)?,
                hlc: r.get(8)?,
                at: r.get(9)?,
                received_ms: r.get(10)?,
                outcome: r.get(11)?,
                reason: r.get(12)?,
                overwritten: r.get(13)?,
                op: r.get(14)?,
                prev_hash: r.get(15)?,
                hash: r.get(16)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
