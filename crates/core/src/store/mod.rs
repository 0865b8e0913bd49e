//! The local store: one function opens SQLite the same way everywhere (SQLCipher's key, WAL,
//! foreign keys, busy timeout, `synchronous=NORMAL`), encrypts a plain store it finds in place,
//! applies the embedded migrations atomically, and refuses a database written by a newer
//! program. `open_in_memory` is its twin for tests.

pub mod backup;
mod encrypt;
pub mod keying;
mod migrations;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::error::{CoreError, Result};

pub use keying::StoreKey;
pub use migrations::LATEST_VERSION;

/// `PRAGMA application_id` of a Jiayuan store ("JYDS"), so another program's SQLite file is
/// refused instead of being migrated into ours.
const APPLICATION_ID: i64 = 0x4A59_4453;

/// What a store knows about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub site_id: String,
    pub profile_id: String,
    pub district: String,
    pub is_demo: bool,
}

/// Row counts of a store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Residents not deleted.
    pub residents: u64,
    /// Every resident row, tombstones included.
    pub resident_rows: u64,
    pub areas: u64,
    pub tags: u64,
    pub field_clocks: u64,
    /// Operations waiting to be pushed.
    pub outbox: u64,
    pub audit: u64,
    pub import_batches: u64,
    /// Rows in the full-text index.
    pub searchable: u64,
}

/// What scripts ask of a store (`jiayuan stats --json`), now that they cannot open it with
/// `sqlite3`: the figures, never a row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub residents: u64,
    pub requests: u64,
    /// Requests not yet resolved, closed, rejected, merged or cancelled.
    pub open_requests: u64,
    pub volunteers: u64,
    /// Operations recorded here and not yet acknowledged by the server.
    pub ops_waiting: u64,
    /// Values overwritten by sync that nobody has looked at yet.
    pub conflicts: u64,
    /// Operations the server refused, not yet looked at.
    pub refused: u64,
    pub schema_version: i64,
}

pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    device: Device,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).field("device", &self.device).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the store at `path`, encrypted with `key`. A plain store
    /// found there (written before encryption, or by `None`) is encrypted first, in place and
    /// atomically. `None` opens a plain store: for measuring what encryption costs, and tests.
    pub fn open(path: &Path, key: Option<&StoreKey>) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| CoreError::StoreOpen {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        }
        if let Some(key) = key {
            if encrypt::is_plain(path)? {
                encrypt::in_place(path, key)?;
            }
        }
        let conn = open_connection(path, key)?;
        Self::init(conn, Some(path.to_path_buf()))
    }

    /// The same store in memory, for tests.
    pub fn open_in_memory() -> Result<Store> {
        Self::init(Connection::open_in_memory()?, None)
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<Store> {
        let describe = |reason: String| CoreError::StoreOpen {
            path: path.as_ref().map_or_else(|| ":memory:".into(), |p| p.display().to_string()),
            reason,
        };
        conn.busy_timeout(Duration::from_secs(10))?;
        // A file that is not SQLite fails here, on the first read of its header.
        let app_id: i64 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| describe(format!("not a Jiayuan store ({e})")))?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        if app_id != APPLICATION_ID && (app_id != 0 || tables > 0) {
            return Err(describe("this SQLite file belongs to another program".into()));
        }
        if path.is_some() {
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(describe(format!("cannot use write-ahead logging (got {mode})")));
            }
        }
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             PRAGMA synchronous = NORMAL;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -65536;",
        )?;
        migrations::apply(&mut conn)?;
        crate::requests::refdata::seed_defaults(&conn)?;
        crate::volunteers::refdata::seed_defaults(&conn)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        let device = load_or_create_device(&conn)?;
        Ok(Store { conn, path, device })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// `PRAGMA integrity_check`: `"ok"` for a healthy store.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Sets the district this store serves (shown in the UI, root of the address tree).
    /// A device setting, not domain data: it is replaced by the login's scope once sync exists.
    pub fn set_district(&mut self, name: &str, is_demo: bool) -> Result<()> {
        self.conn.execute(
            "UPDATE device SET district = ?1, is_demo = ?2 WHERE singleton = 1",
            (name, is_demo),
        )?;
        self.device.district = name.to_owned();
        self.device.is_demo = is_demo;
        Ok(())
    }

    /// Re-reads the device row (another connection to the same file may have changed it).
    pub(crate) fn reload_device(&mut self) -> Result<()> {
        self.device = load_or_create_device(&self.conn)?;
        Ok(())
    }

    /// A new site id, for a store the server found copied or restored (its sequence numbers
    /// were used before): its pending ops are sent again under the new id.
    pub(crate) fn take_new_site_id(&mut self) -> Result<String> {
        let site = new_site_id();
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE device SET site_id = ?1 WHERE singleton = 1", [&site])?;
        tx.execute("UPDATE outbox SET site_id = ?1", [&site])?;
        tx.commit()?;
        self.device.site_id = site.clone();
        Ok(site)
    }

    /// How many rows each part of the store holds: for scripts (`jiayuan stats`) and tests.
    pub fn stats(&self) -> Result<Stats> {
        let n = |sql: &str| -> Result<u64> {
            Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        Ok(Stats {
            residents: n("SELECT count(*) FROM residents WHERE deleted = 0")?,
            resident_rows: n("SELECT count(*) FROM residents")?,
            areas: n("SELECT count(*) FROM areas")?,
            tags: n("SELECT count(*) FROM tags")?,
            field_clocks: n("SELECT count(*) FROM field_clocks")?,
            outbox: n("SELECT count(*) FROM outbox")?,
            audit: n("SELECT count(*) FROM audit_log")?,
            import_batches: n("SELECT count(*) FROM batches WHERE kind = 'import'")?,
            searchable: n("SELECT count(*) FROM residents_fts")?,
        })
    }

    /// The figures of [`Counts`].
    pub fn counts(&self) -> Result<Counts> {
        let n = |sql: &str| -> Result<u64> {
            Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        Ok(Counts {
            residents: n("SELECT count(*) FROM residents WHERE deleted = 0")?,
            requests: n("SELECT count(*) FROM requests")?,
            open_requests: n(
                "SELECT count(*) FROM requests WHERE status IN ('new', 'accepted', 'assigned', 'in_progress')",
            )?,
            volunteers: n("SELECT count(*) FROM volunteers WHERE deleted = 0")?,
            ops_waiting: n("SELECT count(*) FROM outbox")?,
            conflicts: n("SELECT count(*) FROM sync_conflicts WHERE resolved = 0")?,
            refused: n("SELECT count(*) FROM sync_outcomes WHERE outcome = 'rejected' AND seen = 0")?,
            schema_version: self.schema_version()?,
        })
    }

    /// Reads go through core's query functions; only the write path may change domain rows.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// A saved local preference (e.g. a column mapping).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )?;
        Ok(())
    }

    /// Settings whose key starts with `prefix`, in key order.
    pub fn settings_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT key, value FROM settings WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
        )?;
        let rows = stmt.query_map([prefix], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// 64 random bits in hex: unique enough among a city's devices, and short, since every row a
/// device creates carries it.
/// Removes the store at `path` with its write-ahead log and index: what a revoked device does.
/// Encrypted, its pages are unreadable without the key, which the caller forgets too.
pub fn wipe_files(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", ".encrypting", ".restoring", ".restoring-src"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// A connection to the file at `path`, keyed; the key is checked on the first read.
fn open_connection(path: &Path, key: Option<&StoreKey>) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| CoreError::StoreOpen {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    if let Some(key) = key {
        key.apply(&conn)?;
        if let Err(e) =
            conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0))
        {
            return Err(match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase) => {
                    CoreError::WrongKey { path: path.display().to_string() }
                }
                _ => {
                    CoreError::StoreOpen { path: path.display().to_string(), reason: e.to_string() }
                }
            });
        }
    }
    Ok(conn)
}

pub(crate) fn new_site_id() -> String {
    let b = uuid::Uuid::new_v4();
    hex::encode(&b.as_bytes()[..8])
}

fn load_or_create_device(conn: &Connection) -> Result<Device> {
    let read = |conn: &Connection| {
        conn.query_row(
            "SELECT site_id, profile_id, district, is_demo FROM device WHERE singleton = 1",
            [],
            |r| {
                Ok(Device {
                    site_id: r.get(0)?,
                    profile_id: r.get(1)?,
                    district: r.get(2)?,
                    is_demo: r.get(3)?,
                })
            },
        )
        .optional()
    };
    if let Some(d) = read(conn)? {
        return Ok(d);
    }
    // The wall clock here only dates the store's creation for people; nothing orders by it.
    let created = chrono::Utc::now().to_rfc3339();
    conn.execute(
        "INSERT OR IGNORE INTO device (singleton, site_id, profile_id, created_at)
         VALUES (1, ?1, ?2, ?3)",
        (new_site_id(), uuid::Uuid::now_v7().to_string(), created),
    )?;
    read(conn)?.ok_or_else(|| CoreError::Internal("device row missing after insert".into()))
}

#[cfg(test)]
mod tests;

/// The bundle identifier of the desktop app; its data folder is named after it, so the
/// command line and the app find the same store.
pub const APP_IDENTIFIER: &str = "org.jiayuan.desk";

/// The per-user data folder: `JIAYUAN_DATA_DIR` if set, else the platform's data folder
/// (`~/.local/share/org.jiayuan.desk` on Linux, `%APPDATA%\org.jiayuan.desk` on Windows,
/// `~/Library/Application Support/org.jiayuan.desk` on macOS), as Tauri's `app_data_dir`.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("JIAYUAN_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::BaseDirs::new()
        .map(|b| b.data_dir().join(APP_IDENTIFIER))
        .unwrap_or_else(|| PathBuf::from(".").join(APP_IDENTIFIER))
}

/// The working store, `jiayuan.db` in the data folder.
pub fn default_store_path() -> PathBuf {
    default_data_dir().join("jiayuan.db")
}

/// The demo district's store, kept apart so demo data never mixes with real residents.
pub fn demo_store_path() -> PathBuf {
    default_data_dir().join("demo.db")
}
