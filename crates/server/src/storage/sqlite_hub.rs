//! The push and pull transactions of one district on SQLite (see sqlite.rs for the storage).

use jiayuan_core::sync::hub::{HubError, HubRead, HubTx, LoggedOp, OpRecord, RawRow, Stored};
use jiayuan_core::sync::Row;
use rusqlite::{params, Connection, OptionalExtension};

use super::{hub_err, parse_row, raw_row, DistrictState, LogEntry};

/// One district inside one transaction.
pub(super) struct Hub<'c> {
    conn: &'c Connection,
    district: String,
    state: DistrictState,
}

impl<'c> Hub<'c> {
    pub(super) fn load(conn: &'c Connection, district: &str) -> Result<Hub<'c>, HubError> {
        let row = conn
            .prepare_cached("SELECT version, horizon, clock, chain FROM districts WHERE name = ?1")
            .and_then(|mut s| {
                s.query_row([district], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .optional()
            })
            .map_err(hub_err)?;
        let (version, horizon, clock, chain) = row.unwrap_or((0, 0, 0, String::new()));
        Ok(Hub {
            conn,
            district: district.to_owned(),
            state: DistrictState { version, horizon, clock, chain, ..Default::default() },
        })
    }

    pub(super) fn flush(&self) -> Result<(), HubError> {
        self.conn
            .prepare_cached(
                "UPDATE districts SET version = ?2, clock = ?3, chain = ?4 WHERE name = ?1",
            )
            .and_then(|mut s| {
                s.execute(params![
                    self.district,
                    self.state.version,
                    self.state.clock,
                    self.state.chain
                ])
            })
            .map_err(hub_err)?;
        Ok(())
    }
}

const ROWS_SINCE: &str = "SELECT body, version FROM rows
     WHERE district = ?1 AND version > ?2 AND version <= ?3
       AND (?4 IS NULL OR scope = '' OR substr(scope, 1, length(?4)) = ?4
            OR (entity = 'area' AND substr(?4, 1, length(scope)) = scope))
     ORDER BY version LIMIT ?5";

impl HubRead for Hub<'_> {
    fn get(&mut self, entity: &str, id: &str) -> Result<Option<Stored>, HubError> {
        let found: Option<(String, String, i64)> = self
            .conn
            .prepare_cached("SELECT body, scope, version FROM rows WHERE district = ?1 AND entity = ?2 AND id = ?3")
            .and_then(|mut s| {
                s.query_row([&self.district, entity, id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()
            })
            .map_err(hub_err)?;
        found.map(|(body, scope, v)| Ok(Stored { row: parse_row(&body, v)?, scope })).transpose()
    }

    fn rows_since(
        &mut self,
        cursor: i64,
        upto: i64,
        scope: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Row>, HubError> {
        self.rows_since_raw(cursor, upto, scope, limit)?
            .into_iter()
            .map(|r| parse_row(r.json.get(), r.version))
            .collect()
    }

    fn rows_since_raw(
        &mut self,
        cursor: i64,
        upto: i64,
        scope: Option<&str>,
        limit: u32,
    ) -> Result<Vec<RawRow>, HubError> {
        let mut stmt = self.conn.prepare_cached(ROWS_SINCE).map_err(hub_err)?;
        let rows = stmt
            .query_map(params![self.district, cursor, upto, scope, limit], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(hub_err)?;
        let mut out = Vec::new();
        for r in rows {
            let (body, version) = r.map_err(hub_err)?;
            out.push(raw_row(body, version)?);
        }
        Ok(out)
    }

    fn head(&mut self) -> Result<i64, HubError> {
        Ok(self.state.version)
    }

    fn horizon(&mut self) -> Result<i64, HubError> {
        Ok(self.state.horizon)
    }

    fn clock(&mut self) -> Result<i64, HubError> {
        Ok(self.state.clock)
    }
}

impl HubTx for Hub<'_> {
    fn find_key(&mut self, entity: &str, key: &str) -> Result<Option<String>, HubError> {
        self.conn
            .prepare_cached(
                "SELECT id FROM rows WHERE district = ?1 AND entity = ?2 AND key = ?3 LIMIT 1",
            )
            .and_then(|mut s| s.query_row([&self.district, entity, key], |r| r.get(0)).optional())
            .map_err(hub_err)
    }

    fn put(&mut self, row: &Row, scope: &str, key: Option<&str>) -> Result<i64, HubError> {
        let version = self.state.version + 1;
        let mut stored = row.clone();
        stored.version = version;
        let body = serde_json::to_string(&stored).map_err(|e| HubError::Storage(e.to_string()))?;
        self.conn
            .prepare_cached(
                "INSERT INTO rows (district, entity, id, body, scope, key, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (district, entity, id) DO UPDATE
                 SET body = excluded.body, scope = excluded.scope, key = excluded.key, version = excluded.version",
            )
            .and_then(|mut s| s.execute(params![self.district, row.entity, row.id, body, scope, key, version]))
            .map_err(hub_err)?;
        self.state.version = version;
        Ok(version)
    }

    fn op_by_seq(&mut self, site: &str, seq: i64) -> Result<Option<LoggedOp>, HubError> {
        self.conn
            .prepare_cached("SELECT op_id, outcome, reason FROM op_log WHERE district = ?1 AND site_id = ?2 AND seq = ?3")
            .and_then(|mut s| {
                s.query_row(params![self.district, site, seq], |r| {
                    Ok(LoggedOp {
                        op_id: r.get(0)?,
                        outcome: LogEntry::logged_outcome(&r.get::<_, String>(1)?, r.get(2)?),
                    })
                })
                .optional()
            })
            .map_err(hub_err)
    }

    fn op_by_id(&mut self, op_id: &str) -> Result<Option<LoggedOp>, HubError> {
        self.conn
            .prepare_cached(
                "SELECT op_id, outcome, reason FROM op_log WHERE district = ?1 AND op_id = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![self.district, op_id], |r| {
                    Ok(LoggedOp {
                        op_id: r.get(0)?,
                        outcome: LogEntry::logged_outcome(&r.get::<_, String>(1)?, r.get(2)?),
                    })
                })
                .optional()
            })
            .map_err(hub_err)
    }

    fn log_op(&mut self, rec: &OpRecord<'_>) -> Result<(), HubError> {
        let e = LogEntry::new(&self.district, rec, &self.state.chain);
        self.conn
            .prepare_cached(
                "INSERT INTO op_log (district, site_id, seq, op_id, kind, actor, user_id, device_id, hlc, at,
                                     received_ms, outcome, reason, overwritten, op, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    e.district, e.site_id, e.seq, e.op_id, e.kind, e.actor, e.user_id, e.device_id, e.hlc, e.at,
                    e.received_ms, e.outcome, e.reason, e.overwritten, e.op, e.prev_hash, e.hash
                ])
            })
            .map_err(hub_err)?;
        self.state.chain = e.hash;
        Ok(())
    }

    fn set_clock(&mut self, hlc: i64) -> Result<(), HubError> {
        self.state.clock = hlc;
        Ok(())
    }

    fn site_owner(&mut self, site: &str) -> Result<Option<String>, HubError> {
        // A logged op's user first, then the device's. Each sub-select stops at its first
        // match: a union ordered by preference read the site's whole op log.
        self.conn
            .prepare_cached(
                "SELECT coalesce(
                     (SELECT u.display_name FROM op_log o JOIN users u ON u.id = o.user_id
                      WHERE o.district = ?1 AND o.site_id = ?2 LIMIT 1),
                     (SELECT u.display_name FROM devices d JOIN users u ON u.id = d.user_id
                      WHERE d.site_id = ?2 LIMIT 1))",
            )
            .and_then(|mut s| s.query_row([&self.district, site], |r| r.get(0)))
            .map_err(hub_err)
    }

    fn savepoint(&mut self) -> Result<(), HubError> {
        self.conn
            .prepare_cached("SAVEPOINT op")
            .and_then(|mut s| s.execute([]))
            .map_err(hub_err)?;
        self.state.save();
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), HubError> {
        self.conn
            .prepare_cached("ROLLBACK TO op")
            .and_then(|mut s| s.execute([]))
            .map_err(hub_err)?;
        self.state.restore();
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<(), HubError> {
        self.conn.prepare_cached("RELEASE op").and_then(|mut s| s.execute([])).map_err(hub_err)?;
        self.state.release();
        Ok(())
    }
}
