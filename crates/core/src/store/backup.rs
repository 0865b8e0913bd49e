//! Backups: one file that holds a whole store, encrypted under a passphrase of its own, so an
//! official can carry their work to a new laptop that has none of the old one's keychain.
//!
//! The file is a short header (what it is, the argon2id salt and a check value, never the
//! key), then a SQLCipher database keyed from the passphrase. `sqlcipher_export` copies the
//! store inside one read transaction, so the copy is one moment of it even while a sync writes
//! on another connection. The file is written under a temporary name beside its destination
//! and renamed when whole: a crash never leaves half a backup under the name asked for.
//!
//! A restored store continues the old one on a new computer: its rows, outbox (the unsynced
//! work), cursor and audit chain come along. It takes a new site id, because the old laptop
//! may still push under the old one and a sequence number must never be used twice (the
//! server knows the restored ops by their op ids and acknowledges them rather than applying
//! them again), and it forgets the old device's login: that device may be revoked, and a
//! revoked login would wipe the restored store at its first sync. The official signs in again
//! as a new device.

use std::collections::HashSet;
use std::io::{BufReader, BufWriter, Read, Write as _};
use std::path::{Path, PathBuf};

use rand::RngCore;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Counts, Store, StoreKey, APPLICATION_ID, LATEST_VERSION};
use crate::clock::Clock;
use crate::context::{Actor, Ctx};
use crate::error::{CoreError, Result};

/// The first bytes of every backup file.
const MAGIC: &[u8; 8] = b"JYBACKUP";
/// The layout this program writes and reads.
const FORMAT: u32 = 1;
/// The passphrase's key derivation, as [`StoreKey::from_passphrase`] does it; named in the
/// header so a later program can change it and still read older backups.
const KDF: &str = "argon2id(m=65536,t=3,p=1)";
const CHECK_LABEL: &[u8] = b"jiayuan backup key check";
/// A header is a few hundred bytes; anything longer is not ours.
const MAX_HEADER: u32 = 64 * 1024;
/// The shortest backup passphrase: a backup is carried on sticks and mailed, so it meets
/// guessing offline, with no keychain or login in the way.
pub const MIN_BACKUP_PASSPHRASE: usize = 10;
/// "aaaaaaaaaa" and "1212121212" are long and still guessed first.
const MIN_DISTINCT: usize = 5;

/// The header: nothing secret, nothing about the district.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: u32,
    kdf: String,
    salt: String,
    check: String,
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub file: PathBuf,
    pub bytes: u64,
    /// The store's figures at the moment copied.
    pub counts: Counts,
}

/// What a restore put in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    pub counts: Counts,
    /// The site id the backed-up store had, and the one the restored store took.
    pub old_site: String,
    pub new_site: String,
    /// The account the old laptop was logged in as (to sign in again), if any.
    pub user_name: Option<String>,
    pub server_url: Option<String>,
}

/// Refuses a passphrase too weak for a file that leaves the computer.
pub fn check_passphrase(passphrase: &str) -> Result<()> {
    let n = passphrase.chars().count();
    if passphrase.trim().is_empty() {
        return Err(CoreError::WeakPassphrase(
            "give the backup a passphrase; without it nobody can restore the file".into(),
        ));
    }
    if n < MIN_BACKUP_PASSPHRASE {
        return Err(CoreError::WeakPassphrase(format!(
            "the backup's passphrase is too short: use at least {MIN_BACKUP_PASSPHRASE} \
             characters (a backup can be lost with the stick it is on)"
        )));
    }
    if passphrase.chars().collect::<HashSet<_>>().len() < MIN_DISTINCT {
        return Err(CoreError::WeakPassphrase(format!(
            "the backup's passphrase repeats too few characters: use at least {MIN_DISTINCT} \
             different ones"
        )));
    }
    Ok(())
}

/// `path` with `suffix` appended to its name (temporary files beside it).
fn side(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The rename itself on disk (a directory cannot be synced on Windows, where a rename is
/// durable by itself).
fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| {
        let name = p.file_name().map(|n| n.to_owned());
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::canonicalize(dir).ok().zip(name).map(|(d, n)| d.join(n))
    };
    match (canon(a), canon(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// Writes a backup of the store to `file`, encrypted under `passphrase`, and records it (an
/// audited op: the district knows a copy of its residents left the store, as for an export).
pub fn backup(ctx: &mut Ctx<'_>, file: &Path, passphrase: &str) -> Result<BackupReport> {
    check_passphrase(passphrase)?;
    if let Some(store) = ctx.store.path() {
        let taken = ["", "-wal", "-shm"].iter().any(|s| same_file(file, &side(store, s)));
        if taken {
            return Err(CoreError::Invalid(
                "a backup cannot be written over the store itself: choose another file".into(),
            ));
        }
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let key = StoreKey::from_passphrase(passphrase, &salt)?;
    let header = Header {
        format: FORMAT,
        kdf: KDF.into(),
        salt: hex::encode(salt),
        check: key.check_for(CHECK_LABEL),
    };
    let db_tmp = side(file, ".partial-db");
    let out_tmp = side(file, ".partial");
    remove_if_there(&db_tmp)?;
    remove_if_there(&out_tmp)?;
    let written = (|| -> Result<(Counts, u64)> {
        let counts = snapshot(ctx.store, &db_tmp, &key)?;
        let bytes = write_container(&out_tmp, &header, &db_tmp)?;
        std::fs::rename(&out_tmp, file)?;
        sync_dir(file);
        Ok((counts, bytes))
    })();
    remove_if_there(&db_tmp)?;
    let (counts, bytes) = match written {
        Ok(w) => w,
        Err(e) => {
            remove_if_there(&out_tmp)?;
            return Err(e);
        }
    };
    let record = json!({
        "file": file.file_name().map(|f| f.to_string_lossy().into_owned()),
        "bytes": bytes,
        "residents": counts.residents,
        "requests": counts.requests,
        "volunteers": counts.volunteers,
        "ops_waiting": counts.ops_waiting,
        "schema": counts.schema_version,
    });
    ctx.write(|w| w.record("store.backup", record))?;
    tracing::info!(
        bytes,
        residents = counts.residents,
        ops_waiting = counts.ops_waiting,
        "backup written"
    );
    Ok(BackupReport { file: file.to_path_buf(), bytes, counts })
}

/// Copies the store into a new database at `to` keyed with `key`, in one read transaction,
/// and returns its figures as copied.
fn snapshot(store: &Store, to: &Path, key: &StoreKey) -> Result<Counts> {
    let conn = store.conn();
    conn.execute(
        "ATTACH DATABASE ?1 AS backup KEY ?2",
        rusqlite::params![to.to_string_lossy(), key.sql_literal().as_str()],
    )?;
    let copied = (|| -> Result<Counts> {
        // A read of the main database opens the transaction's snapshot before anything is
        // copied; every table is then read at that moment.
        conn.execute_batch("BEGIN")?;
        let run = || -> Result<Counts> {
            let counts = store.counts()?;
            conn.query_row("SELECT sqlcipher_export('backup')", [], |_| Ok(()))?;
            // sqlcipher_export copies tables, not the header's numbers.
            conn.execute_batch(&format!(
                "PRAGMA backup.user_version = {};
                 PRAGMA backup.application_id = {APPLICATION_ID};",
                counts.schema_version
            ))?;
            Ok(counts)
        };
        match run() {
            Ok(c) => {
                conn.execute_batch("COMMIT")?;
                Ok(c)
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    })();
    conn.execute_batch("DETACH DATABASE backup")?;
    copied
}

/// The backup file: magic, format, header length and header, then the encrypted database.
fn write_container(path: &Path, header: &Header, db: &Path) -> Result<u64> {
    let head = serde_json::to_vec(header)?;
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    out.write_all(MAGIC)?;
    out.write_all(&FORMAT.to_le_bytes())?;
    out.write_all(&(head.len() as u32).to_le_bytes())?;
    out.write_all(&head)?;
    let copied = std::io::copy(&mut BufReader::new(std::fs::File::open(db)?), &mut out)?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(16 + head.len() as u64 + copied)
}

/// Reads a backup's header, leaving `reader` at the start of the database.
fn read_header(file: &Path, reader: &mut impl Read) -> Result<Header> {
    let not_ours = || CoreError::NotABackup { path: file.display().to_string() };
    let mut fixed = [0u8; 16];
    reader.read_exact(&mut fixed).map_err(|_| not_ours())?;
    if &fixed[..8] != MAGIC {
        return Err(not_ours());
    }
    let format = u32::from_le_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]);
    let len = u32::from_le_bytes([fixed[12], fixed[13], fixed[14], fixed[15]]);
    if format > FORMAT {
        return Err(CoreError::Invalid(format!(
            "{} was written by a newer Jiayuan Desk (backup format {format}); update the program",
            file.display()
        )));
    }
    if format != FORMAT || len > MAX_HEADER {
        return Err(not_ours());
    }
    let mut head = vec![0u8; len as usize];
    reader.read_exact(&mut head).map_err(|_| not_ours())?;
    let header: Header = serde_json::from_slice(&head).map_err(|_| not_ours())?;
    if header.kdf != KDF {
        return Err(CoreError::Invalid(format!(
            "{} was written by a newer Jiayuan Desk (key derivation {}); update the program",
            file.display(),
            header.kdf
        )));
    }
    Ok(header)
}

/// A backup whose passphrase was checked, ready to restore: nothing has been written yet.
pub struct Opened {
    file: PathBuf,
    reader: BufReader<std::fs::File>,
    key: StoreKey,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened").field("file", &self.file).finish_non_exhaustive()
    }
}

/// Opens a backup's header and checks the passphrase, before anything is written.
pub fn open(file: &Path, passphrase: &str) -> Result<Opened> {
    let mut reader = BufReader::new(std::fs::File::open(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CoreError::NotFound(file.display().to_string()),
        _ => e.into(),
    })?);
    let header = read_header(file, &mut reader)?;
    let salt = hex::decode(&header.salt)
        .map_err(|_| CoreError::NotABackup { path: file.display().to_string() })?;
    let key = StoreKey::from_passphrase(passphrase, &salt)?;
    if key.check_for(CHECK_LABEL) != header.check {
        return Err(CoreError::WrongBackupPassphrase);
    }
    Ok(Opened { file: file.to_path_buf(), reader, key })
}

/// Why a store must not be replaced by a restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InUse {
    /// Work was done on this computer (every command leaves an audit entry).
    Work { audited: i64, waiting: i64 },
    /// Logged in: a sync may be writing to it, and its login would be lost.
    LoggedIn,
}

impl InUse {
    pub fn message(&self) -> String {
        match self {
            InUse::Work { audited, waiting } => format!(
                "this computer's store already holds work done here ({audited} audited actions, \
                 {waiting} waiting to sync); a restore would replace it. Restore into a new data \
                 folder instead"
            ),
            InUse::LoggedIn => {
                "this computer's store is logged in to a server; log out first, then restore".into()
            }
        }
    }
}

/// Whether the store may be replaced by a restore. A store that only holds what it pulled can
/// go: the server has all of it.
pub fn in_use(store: &Store) -> Result<Option<InUse>> {
    let (audited, waiting, logged_in): (i64, i64, bool) = store.conn().query_row(
        "SELECT (SELECT count(*) FROM audit_log), (SELECT count(*) FROM outbox),
                (SELECT device_token IS NOT NULL FROM sync_state WHERE singleton = 1)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, Option<bool>>(2)?.unwrap_or(false))),
    )?;
    Ok(if audited > 0 {
        Some(InUse::Work { audited, waiting })
    } else if logged_in {
        Some(InUse::LoggedIn)
    } else {
        None
    })
}

/// Restores the backup `file` as the store at `into`, encrypted with `key` (the destination
/// folder's): [`open`], then [`Opened::restore`].
pub fn restore(
    file: &Path,
    passphrase: &str,
    into: &Path,
    key: &StoreKey,
    clock: &dyn Clock,
) -> Result<RestoreReport> {
    open(file, passphrase)?.restore(into, key, clock)
}

impl Opened {
    /// Puts the backup in place as the store at `into` (absent, or a store [`in_use`] lets
    /// go), encrypted with `key`. The restored store takes a new site id and no login, keeps
    /// everything else, and records the restore.
    pub fn restore(
        mut self,
        into: &Path,
        key: &StoreKey,
        clock: &dyn Clock,
    ) -> Result<RestoreReport> {
        let file = self.file.clone();
        if into.exists() {
            let old = Store::open(into, Some(key))?;
            if let Some(why) = in_use(&old)? {
                return Err(CoreError::RestoreRefused(why.message()));
            }
            // Its log goes into the file: nothing of it is left beside the file replaced.
            old.conn().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        if let Some(dir) = into.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let src = side(into, ".restoring-src");
        let dst = side(into, ".restoring");
        let leftovers = [side(&dst, "-wal"), side(&dst, "-shm"), dst.clone(), src.clone()];
        for p in &leftovers {
            remove_if_there(p)?;
        }
        let done = (|| -> Result<RestoreReport> {
            // Still encrypted under the backup's key: nothing is in clear on this disk.
            std::io::copy(&mut self.reader, &mut std::fs::File::create(&src)?)?;
            copy_database(&file, &src, &self.key, &dst, key)?;
            let report = adopt(&dst, key, &file, clock)?;
            std::fs::File::open(&dst)?.sync_all()?;
            remove_if_there(&side(into, "-wal"))?;
            remove_if_there(&side(into, "-shm"))?;
            std::fs::rename(&dst, into)?;
            sync_dir(into);
            Ok(report)
        })();
        for p in &leftovers {
            remove_if_there(p)?;
        }
        let report = done?;
        tracing::info!(
            residents = report.counts.residents,
            ops_waiting = report.counts.ops_waiting,
            "backup restored under a new site id"
        );
        Ok(report)
    }
}

/// Re-encrypts the backup's database (`src`, under `from`) into `dst` under `to`.
fn copy_database(
    file: &Path,
    src: &Path,
    from: &StoreKey,
    dst: &Path,
    to: &StoreKey,
) -> Result<()> {
    let damaged =
        |reason: String| CoreError::BackupDamaged { path: file.display().to_string(), reason };
    let conn = Connection::open(src).map_err(|e| damaged(e.to_string()))?;
    from.apply(&conn)?;
    let (app_id, version): (i64, i64) = conn
        .query_row("SELECT * FROM pragma_application_id, pragma_user_version", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(|e| damaged(e.to_string()))?;
    if app_id != APPLICATION_ID {
        return Err(damaged("it holds no Jiayuan Desk store".into()));
    }
    if version > LATEST_VERSION {
        return Err(CoreError::SchemaTooNew { found: version, known: LATEST_VERSION });
    }
    // Every page's MAC, then every b-tree (indexes too, which the copy below does not read):
    // a cut or altered file stops here rather than becoming a store with holes.
    let mut stmt = conn.prepare("PRAGMA cipher_integrity_check")?;
    let problems: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| damaged(e.to_string()))?;
    drop(stmt);
    if let Some(first) = problems.first() {
        return Err(damaged(first.clone()));
    }
    let quick: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| damaged(e.to_string()))?;
    if quick != "ok" {
        return Err(damaged(quick));
    }
    conn.execute(
        "ATTACH DATABASE ?1 AS restored KEY ?2",
        rusqlite::params![dst.to_string_lossy(), to.sql_literal().as_str()],
    )?;
    conn.query_row("SELECT sqlcipher_export('restored')", [], |_| Ok(()))
        .map_err(|e| damaged(e.to_string()))?;
    conn.execute_batch(&format!(
        "PRAGMA restored.user_version = {version};
         PRAGMA restored.application_id = {APPLICATION_ID};
         DETACH DATABASE restored;"
    ))?;
    Ok(())
}

/// Makes the copy at `path` this computer's store: migrated, a new site id, no login, and the
/// restore recorded.
fn adopt(path: &Path, key: &StoreKey, file: &Path, clock: &dyn Clock) -> Result<RestoreReport> {
    let mut store = Store::open(path, Some(key))?;
    let old_site = store.device().site_id.clone();
    let (user_name, server_url): (Option<String>, Option<String>) = store.conn().query_row(
        "SELECT user_name, server_url FROM sync_state WHERE singleton = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let new_site = store.take_new_site_id()?;
    forget_login(&store)?;
    let counts = store.counts()?;
    let record = json!({
        "file": file.file_name().map(|f| f.to_string_lossy().into_owned()),
        "old_site": old_site,
        "new_site": new_site,
        "residents": counts.residents,
        "ops_waiting": counts.ops_waiting,
    });
    let actor = Actor::local_profile(&store);
    Ctx::new(&mut store, clock, &actor).write(|w| w.record("store.restore", record))?;
    let counts = store.counts()?;
    // Everything into the main file, so the renamed file is the whole store by itself.
    store.conn().query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    drop(store);
    Ok(RestoreReport { counts, old_site, new_site, user_name, server_url })
}

/// The old device's login goes (tokens, its secret, the lock's password hash); the server's
/// address, the account's name and the cursor stay, so signing in again to the same server
/// pulls on from where the backup was.
fn forget_login(store: &Store) -> Result<()> {
    store.conn().execute(
        "UPDATE sync_state SET device_token = NULL, device_secret = NULL, access_token = NULL,
             access_expires_ms = 0, user_id = NULL, display_name = NULL, device_id = NULL,
             password_hash = NULL, revoked = 0, last_error = NULL
         WHERE singleton = 1",
        [],
    )?;
    Ok(())
}

#[cfg(test)]
#[path = "backup_tests.rs"]
mod tests;
