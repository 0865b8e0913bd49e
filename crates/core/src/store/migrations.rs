//! Embedded, ordered migrations. Each runs in its own transaction together with the
//! `user_version` bump, so a crash leaves the schema at a whole version, never between two.

use rusqlite::Connection;

use crate::error::{CoreError, Result};

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_listing.sql"),
    include_str!("migrations/0003_requests.sql"),
    include_str!("migrations/0004_checkins.sql"),
    include_str!("migrations/0005_sync.sql"),
    include_str!("migrations/0006_volunteers.sql"),
    include_str!("migrations/0007_refusal_codes.sql"),
    include_str!("migrations/0008_app_lock.sql"),
    include_str!("migrations/0009_retention.sql"),
    include_str!("migrations/0010_sync_error_code.sql"),
];

/// The schema version this program writes. A store with a larger version is refused.
pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) fn apply(conn: &mut Connection) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST_VERSION {
        return Err(CoreError::SchemaTooNew { found: current, known: LATEST_VERSION });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i64 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .map_err(|e| CoreError::Internal(format!("migration {version} failed: {e}")))?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "applied store migration");
    }
    Ok(())
}
