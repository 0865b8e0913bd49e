//! Encrypting a plain store in place: the stores of earlier versions, and a plain store copied
//! in. The plain file stays whole until the encrypted copy is complete and on disk; one rename
//! then puts the copy in its place, so a crash at any point leaves one of the two, whole.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::{StoreKey, APPLICATION_ID};
use crate::error::{CoreError, Result};

const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// True when `path` holds an unencrypted SQLite database (SQLCipher's files start with salt).
pub(super) fn is_plain(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut head = [0u8; 16];
    match std::fs::File::open(path) {
        Ok(mut f) => Ok(f.read_exact(&mut head).is_ok() && &head == PLAIN_HEADER),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn side(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Replaces the plain store at `path` with an encrypted copy holding every row.
pub(super) fn in_place(path: &Path, key: &StoreKey) -> Result<()> {
    let shown = path.display().to_string();
    let fail = |reason: String| CoreError::StoreOpen { path: shown.clone(), reason };
    let tmp = side(path, ".encrypting");
    // Left by a crash during an earlier attempt: the plain store is still the whole one.
    remove_if_there(&tmp)?;
    let conn = Connection::open(path).map_err(|e| fail(e.to_string()))?;
    let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    if app_id != APPLICATION_ID && (app_id != 0 || tables > 0) {
        return Err(fail("this SQLite file belongs to another program".into()));
    }
    // Everything in the write-ahead log goes into the main file first, so the copy has it.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    conn.execute(
        "ATTACH DATABASE ?1 AS encrypted KEY ?2",
        rusqlite::params![tmp.to_string_lossy(), key.sql_literal().as_str()],
    )?;
    conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    // sqlcipher_export copies tables, not the header's numbers.
    conn.execute_batch(&format!(
        "PRAGMA encrypted.user_version = {version};
         PRAGMA encrypted.application_id = {APPLICATION_ID};
         DETACH DATABASE encrypted;"
    ))?;
    drop(conn);
    std::fs::File::open(&tmp)?.sync_all()?;
    // The plain store's log and index would be read against the new file: gone first (their
    // content is in the main file since the checkpoint).
    remove_if_there(&side(path, "-wal"))?;
    remove_if_there(&side(path, "-shm"))?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename itself on disk (not possible on Windows, where a rename is durable).
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    tracing::info!(version, "a plain store was encrypted in place");
    Ok(())
}

fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}
