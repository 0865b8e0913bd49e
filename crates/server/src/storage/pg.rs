//! The server on PostgreSQL, for a city: several server instances share one database, so
//! everything lives in it (tokens, login attempts, the districts' counters). A push locks its
//! district's row (`SELECT … FOR UPDATE`), which orders the district's versions; pulls read one
//! snapshot (`REPEATABLE READ`). Plain connections without TLS: the database is expected on
//! the same machine or a private network.

use std::collections::HashMap;
use std::sync::Mutex;

use jiayuan_core::sync::hub::{HubError, HubRead, HubTx};
use jiayuan_core::sync::Role;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Statement};

use super::pg_hub::Hub;
use super::{hub_err, Device, Failures, LogEntry, Session, Storage, StorageError, User};

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/postgres/0001_init.sql"),
    include_str!("migrations/postgres/0002_op_ids_in_byte_order.sql"),
    include_str!("migrations/postgres/0003_device_wipe.sql"),
    include_str!("migrations/postgres/0004_op_log_by_kind.sql"),
];

/// Serialises migrations of several instances starting at once ("jiayuan" in ASCII).
const MIGRATION_LOCK: i64 = 0x006a_6961_7975_616e;

const POOL_KEEP: usize = 8;

/// A connection with the statements it has prepared (a push runs the same few statements
/// thousands of times; preparing each once per connection saves a round trip each).
pub(super) struct PgConn {
    client: Client,
    stmts: HashMap<&'static str, Statement>,
}

impl PgConn {
    pub(super) fn st(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.stmts.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.stmts.insert(sql, s.clone());
        Ok(s)
    }

    pub(super) fn query(
        &mut self,
        sql: &'static str,
        p: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, postgres::Error> {
        let s = self.st(sql)?;
        self.client.query(&s, p)
    }

    pub(super) fn query_opt(
        &mut self,
        sql: &'static str,
        p: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<postgres::Row>, postgres::Error> {
        let s = self.st(sql)?;
        self.client.query_opt(&s, p)
    }

    pub(super) fn execute(
        &mut self,
        sql: &'static str,
        p: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        let s = self.st(sql)?;
        self.client.execute(&s, p)
    }
}

pub struct PgStorage {
    url: String,
    pool: Mutex<Vec<PgConn>>,
}

impl std::fmt::Debug for PgStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password.
        f.debug_struct("PgStorage").finish_non_exhaustive()
    }
}

struct Pooled<'a> {
    conn: Option<PgConn>,
    pool: &'a Mutex<Vec<PgConn>>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = PgConn;
    fn deref(&self) -> &PgConn {
        self.conn.as_ref().unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut PgConn {
        self.conn.as_mut().unwrap_or_else(|| unreachable!("taken only on drop"))
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            if !c.client.is_closed() {
                let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
                if pool.len() < POOL_KEEP {
                    pool.push(c);
                }
            }
        }
    }
}

fn migrate(client: &mut Client) -> Result<(), StorageError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS jiayuan_schema (version INT NOT NULL)")?;
    let version: i32 =
        tx.query_one("SELECT coalesce(max(version), 0) FROM jiayuan_schema", &[])?.get(0);
    if version as usize > MIGRATIONS.len() {
        return Err(StorageError::Schema(format!(
            "the server database is at schema {version}, newer than this program knows ({}); run a newer jiayuan",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO jiayuan_schema (version) VALUES ($1)", &[&((i + 1) as i32)])?;
    }
    tx.commit()?;
    Ok(())
}

impl PgStorage {
    pub fn open(url: &str) -> Result<PgStorage, StorageError> {
        let mut client = Client::connect(url, NoTls)?;
        migrate(&mut client)?;
        Ok(PgStorage {
            url: url.to_owned(),
            pool: Mutex::new(vec![PgConn { client, stmts: HashMap::new() }]),
        })
    }

    fn conn(&self) -> Result<Pooled<'_>, StorageError> {
        let taken = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match taken {
            Some(c) => c,
            None => PgConn { client: Client::connect(&self.url, NoTls)?, stmts: HashMap::new() },
        };
        Ok(Pooled { conn: Some(conn), pool: &self.pool })
    }

    fn in_tx<T>(
        &self,
        begin: &str,
        f: impl FnOnce(&mut PgConn) -> Result<T, HubError>,
    ) -> Result<T, HubError> {
        let mut conn = self.conn().map_err(hub_err)?;
        conn.client.batch_execute(begin).map_err(hub_err)?;
        match f(&mut conn) {
            Ok(v) => match conn.client.batch_execute("COMMIT") {
                Ok(()) => Ok(v),
                Err(e) => {
                    let _ = conn.client.batch_execute("ROLLBACK");
                    Err(hub_err(e))
                }
            },
            Err(e) => {
                if conn.client.batch_execute("ROLLBACK").is_err() {
                    // Not returned to the pool in an unknown state.
                    drop(conn.conn.take());
                }
                Err(e)
            }
        }
    }

    /// A short statement outside any explicit transaction.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut PgConn) -> Result<T, postgres::Error>,
    ) -> Result<T, StorageError> {
        let mut conn = self.conn()?;
        Ok(f(&mut conn)?)
    }
}

fn log_entries(rows: &[postgres::Row]) -> Vec<LogEntry> {
    rows.iter()
        .map(|r| LogEntry {
            district: r.get(0),
            site_id: r.get(1),
            seq: r.get(2),
            op_id: r.get(3),
            kind: r.get(4),
            actor: r.get(5),
            user_id: r.get(6),
            device_id: r.get(7),
            hlc: r.get(8),
            at: r.get(9),
            received_ms: r.get(10),
            outcome: r.get(11),
            reason: r.get(12),
            overwritten: r.get(13),
            op: r.get(14),
            prev_hash: r.get(15),
            hash: r.get(16),
        })
        .collect()
}

fn user_at(r: &postgres::Row, at: usize) -> Result<User, StorageError> {
    let role: String = r.get(at + 4);
    Ok(User {
        id: r.get(at),
        name: r.get(at + 1),
        display_name: r.get(at + 2),
        password_hash: r.get(at + 3),
        role: Role::parse(&role)
            .ok_or_else(|| StorageError::Corrupt(format!("unknown role {role}")))?,
        district: r.get(at + 5),
        scope_path: r.get(at + 6),
        scope_area: r.get(at + 7),
        disabled: r.get(at + 8),
        created_ms: r.get(at + 9),
    })
}

fn device_at(r: &postgres::Row, at: usize) -> Device {
    Device {
        id: r.get(at),
        user_id: r.get(at + 1),
        name: r.get(at + 2),
        site_id: r.get(at + 3),
        secret: r.get(at + 4),
        created_ms: r.get(at + 5),
        last_seen_ms: r.get(at + 6),
        revoked_ms: r.get(at + 7),
        wiped_ms: r.get(at + 8),
    }
}

fn failures(r: &postgres::Row) -> Failures {
    Failures { count: u32::try_from(r.get::<_, i64>(0)).unwrap_or(u32::MAX), oldest_ms: r.get(1) }
}

impl Storage for PgStorage {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn push_tx(
        &self,
        district: &str,
        f: &mut dyn FnMut(&mut dyn HubTx) -> Result<(), HubError>,
    ) -> Result<(), HubError> {
        let t = std::time::Instant::now();
        let mut split = (0, 0, 0);
        let done = self.in_tx("BEGIN", |conn| {
            let mut hub = Hub::load(conn, district, true)?;
            split.0 = t.elapsed().as_millis() as u64;
            f(&mut hub)?;
            split.1 = t.elapsed().as_millis() as u64;
            hub.flush()?;
            split.2 = t.elapsed().as_millis() as u64;
            Ok(())
        });
        tracing::debug!(
            load_ms = split.0,
            apply_ms = split.1.saturating_sub(split.0),
            flush_ms = split.2.saturating_sub(split.1),
            commit_ms = (t.elapsed().as_millis() as u64).saturating_sub(split.2),
            "push transaction"
        );
        done
    }

    fn forget_tombstones(&self, district: &str) -> Result<(u64, i64), HubError> {
        self.in_tx("BEGIN", |conn| {
            const PURGED: &str = "district = $1 AND entity IN ('request', 'request_event', 'conflict')
                 AND (body::jsonb)->'deleted' = 'true'::jsonb AND (body::jsonb)->'fields' = '{}'::jsonb";
            // Held like a push holds it, so no push commits a version meanwhile.
            let Some(row) = conn
                .client
                .query_opt("SELECT horizon FROM districts WHERE name = $1 FOR UPDATE", &[&district])
                .map_err(hub_err)?
            else {
                return Ok((0, 0));
            };
            let before: i64 = row.get(0);
            let last: Option<i64> = conn
                .client
                .query_one(&format!("SELECT max(version) FROM rows WHERE {PURGED}"), &[&district])
                .map_err(hub_err)?
                .get(0);
            let gone = conn
                .client
                .execute(&format!("DELETE FROM rows WHERE {PURGED}"), &[&district])
                .map_err(hub_err)?;
            let horizon = before.max(last.unwrap_or(0));
            conn.client
                .execute("UPDATE districts SET horizon = $2 WHERE name = $1", &[&district, &horizon])
                .map_err(hub_err)?;
            Ok((gone, horizon))
        })
    }

    fn read_tx(
        &self,
        district: &str,
        f: &mut dyn FnMut(&mut dyn HubRead) -> Result<(), HubError>,
    ) -> Result<(), HubError> {
        self.in_tx("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", |conn| {
            let mut hub = Hub::load(conn, district, false)?;
            f(&mut hub)
        })
    }

    fn op_log(&self, district: &str) -> Result<Vec<LogEntry>, StorageError> {
        let rows = self.with(|c| {
            c.query(
                "SELECT district, site_id, seq, op_id, kind, actor, user_id, device_id, hlc, at, received_ms,
                        outcome, reason, overwritten, op, prev_hash, hash
                 FROM op_log WHERE district = $1 ORDER BY n",
                &[&district],
            )
        })?;
        Ok(log_entries(&rows))
    }

    fn op_log_of(
        &self,
        district: &str,
        kinds: &[&str],
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<LogEntry>, StorageError> {
        let rows = self.with(|c| {
            c.query(
                "SELECT district, site_id, seq, op_id, kind, actor, user_id, device_id, hlc, at, received_ms,
                        outcome, reason, overwritten, op, prev_hash, hash
                 FROM op_log WHERE district = $1 AND kind = ANY($2)
                   AND received_ms >= $3 AND received_ms < $4 ORDER BY n",
                &[&district, &kinds, &from_ms, &to_ms],
            )
        })?;
        Ok(log_entries(&rows))
    }

    fn chain_head(&self, district: &str) -> Result<String, StorageError> {
        let r = self
            .with(|c| c.query_opt("SELECT chain FROM districts WHERE name = $1", &[&district]))?;
        Ok(r.map(|r| r.get(0)).unwrap_or_default())
    }

    fn user_count(&self) -> Result<u64, StorageError> {
        let r = self.with(|c| c.query("SELECT count(*) FROM users", &[]))?;
        Ok(r.first().map_or(0, |r| r.get::<_, i64>(0)).try_into().unwrap_or(0))
    }

    fn insert_user(&self, u: &User) -> Result<(), StorageError> {
        let done = self.with(|c| {
            c.execute(
                "INSERT INTO users (id, name, display_name, password_hash, role, district, scope_path, scope_area, disabled, created_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (name) DO NOTHING",
                &[
                    &u.id, &u.name, &u.display_name, &u.password_hash, &u.role.as_str(), &u.district, &u.scope_path,
                    &u.scope_area, &u.disabled, &u.created_ms,
                ],
            )
        })?;
        if done == 0 {
            return Err(StorageError::Taken(format!("there is already a user named “{}”", u.name)));
        }
        Ok(())
    }

    fn user_by_name(&self, name: &str) -> Result<Option<User>, StorageError> {
        let r = self.with(|c| {
            c.query_opt(
                "SELECT u.id, u.name, u.display_name, u.password_hash, u.role, u.district, u.scope_path, u.scope_area, u.disabled, u.created_ms
                 FROM users u WHERE u.name = $1",
                &[&name],
            )
        })?;
        r.map(|r| user_at(&r, 0)).transpose()
    }

    fn users(&self) -> Result<Vec<User>, StorageError> {
        let rows = self.with(|c| {
            c.query(
                "SELECT u.id, u.name, u.display_name, u.password_hash, u.role, u.district, u.scope_path, u.scope_area, u.disabled, u.created_ms
                 FROM users u ORDER BY u.district, u.name",
                &[],
            )
        })?;
        rows.iter().map(|r| user_at(r, 0)).collect()
    }

    fn disable_user(&self, name: &str, now_ms: i64) -> Result<bool, StorageError> {
        let mut conn = self.conn()?;
        let mut tx = conn.client.transaction()?;
        let Some(id) = tx.query_opt("SELECT id FROM users WHERE name = $1 FOR UPDATE", &[&name])?
        else {
            return Ok(false);
        };
        let id: String = id.get(0);
        tx.execute("UPDATE users SET disabled = TRUE WHERE id = $1", &[&id])?;
        tx.execute(
            "UPDATE devices SET revoked_ms = $2 WHERE user_id = $1 AND revoked_ms IS NULL",
            &[&id, &now_ms],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn insert_device(&self, d: &Device, token_hash: &str) -> Result<(), StorageError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO devices (id, user_id, name, site_id, token_hash, secret, created_ms, last_seen_ms, revoked_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[&d.id, &d.user_id, &d.name, &d.site_id, &token_hash, &d.secret, &d.created_ms, &d.last_seen_ms, &d.revoked_ms],
            )
        })?;
        Ok(())
    }

    fn devices(&self) -> Result<Vec<Device>, StorageError> {
        let rows = self.with(|c| {
            c.query(
                "SELECT d.id, d.user_id, d.name, d.site_id, d.secret, d.created_ms, d.last_seen_ms, d.revoked_ms, d.wiped_ms
                 FROM devices d ORDER BY d.created_ms, d.id",
                &[],
            )
        })?;
        Ok(rows.iter().map(|r| device_at(r, 0)).collect())
    }

    fn revoke_device(&self, id: &str, now_ms: i64) -> Result<bool, StorageError> {
        let found = self.with(|c| {
            c.execute(
                "UPDATE devices SET revoked_ms = coalesce(revoked_ms, $2) WHERE id = $1",
                &[&id, &now_ms],
            )
        })?;
        Ok(found > 0)
    }

    fn mark_wiped(&self, id: &str, now_ms: i64) -> Result<bool, StorageError> {
        let first = self.with(|c| {
            c.execute(
                "UPDATE devices SET wiped_ms = $2 WHERE id = $1 AND wiped_ms IS NULL",
                &[&id, &now_ms],
            )
        })?;
        Ok(first > 0)
    }

    fn device_by_token(&self, token_hash: &str) -> Result<Option<Session>, StorageError> {
        let r = self.with(|c| {
            c.query_opt(
                "SELECT d.id, d.user_id, d.name, d.site_id, d.secret, d.created_ms, d.last_seen_ms, d.revoked_ms, d.wiped_ms,
                        u.id, u.name, u.display_name, u.password_hash, u.role, u.district, u.scope_path, u.scope_area, u.disabled, u.created_ms
                 FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = $1",
                &[&token_hash],
            )
        })?;
        r.map(|r| {
            Ok(Session { device: device_at(&r, 0), user: user_at(&r, 9)?, expires_ms: i64::MAX })
        })
        .transpose()
    }

    fn touch_device(&self, id: &str, now_ms: i64) -> Result<(), StorageError> {
        self.with(|c| {
            c.execute(
                "UPDATE devices SET last_seen_ms = greatest(coalesce(last_seen_ms, 0), $2) WHERE id = $1",
                &[&id, &now_ms],
            )
        })?;
        Ok(())
    }

    fn insert_access(
        &self,
        token_hash: &str,
        device_id: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM access_tokens WHERE device_id = $1 AND expires_ms <= $2",
                &[&device_id, &now_ms],
            )?;
            c.execute(
                "INSERT INTO access_tokens (token_hash, device_id, expires_ms) VALUES ($1, $2, $3)",
                &[&token_hash, &device_id, &expires_ms],
            )
        })?;
        Ok(())
    }

    fn session_by_access(&self, token_hash: &str) -> Result<Option<Session>, StorageError> {
        let r = self.with(|c| {
            c.query_opt(
                "SELECT d.id, d.user_id, d.name, d.site_id, d.secret, d.created_ms, d.last_seen_ms, d.revoked_ms, d.wiped_ms,
                        u.id, u.name, u.display_name, u.password_hash, u.role, u.district, u.scope_path, u.scope_area, u.disabled, u.created_ms,
                        a.expires_ms
                 FROM access_tokens a JOIN devices d ON d.id = a.device_id JOIN users u ON u.id = d.user_id
                 WHERE a.token_hash = $1",
                &[&token_hash],
            )
        })?;
        r.map(|r| {
            Ok(Session { device: device_at(&r, 0), user: user_at(&r, 9)?, expires_ms: r.get(19) })
        })
        .transpose()
    }

    fn record_login(
        &self,
        user_name: &str,
        ip: &str,
        ok: bool,
        at_ms: i64,
    ) -> Result<(), StorageError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO login_attempts (user_name, ip, ok, at_ms) VALUES ($1, $2, $3, $4)",
                &[&user_name, &ip, &ok, &at_ms],
            )?;
            // Attempts older than a day no longer count for anything.
            c.execute(
                "DELETE FROM login_attempts WHERE user_name = $1 AND at_ms < $2",
                &[&user_name, &(at_ms - 86_400_000)],
            )
        })?;
        Ok(())
    }

    fn login_failures(
        &self,
        user_name: &str,
        ip: &str,
        since_ms: i64,
    ) -> Result<(Failures, Failures), StorageError> {
        self.with(|c| {
            let by_name = c.query(
                "SELECT count(*), min(at_ms) FROM login_attempts WHERE user_name = $1 AND at_ms >= $2 AND NOT ok",
                &[&user_name, &since_ms],
            )?;
            let by_ip = c.query(
                "SELECT count(*), min(at_ms) FROM login_attempts WHERE ip = $1 AND at_ms >= $2 AND NOT ok",
                &[&ip, &since_ms],
            )?;
            Ok((
                by_name.first().map(failures).unwrap_or_default(),
                by_ip.first().map(failures).unwrap_or_default(),
            ))
        })
    }
}
