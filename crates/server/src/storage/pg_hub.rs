//! The push and pull transactions of one district on PostgreSQL (see pg.rs for the storage).

use jiayuan_core::sync::hub::{HubError, HubRead, HubTx, LoggedOp, OpRecord, RawRow, Stored};
use jiayuan_core::sync::wire::entity;
use jiayuan_core::sync::{Op, Row};

use super::pg::PgConn;
use super::pg_buffer::{pair, Buffer, Pending, Seen};
use super::{hub_err, parse_row, raw_row, DistrictState, LogEntry};

/// The push's transaction on one district. Writes wait in [`Buffer`] until [`Hub::flush`];
/// every read looks there first, then at what this transaction read before ([`Seen`]), and
/// only then asks the database.
pub(super) struct Hub<'c> {
    conn: &'c mut PgConn,
    district: String,
    state: DistrictState,
    buf: Buffer,
    seen: Seen,
}

/// Rows per multi-row statement at the flush (arrays of this many bodies stay a few MB).
const FLUSH_CHUNK: usize = 5_000;
/// Op log entries per range read (see `pg_buffer::Known`).
const OPS_READ: usize = 1_000;

impl<'c> Hub<'c> {
    pub(super) fn load(
        conn: &'c mut PgConn,
        district: &str,
        lock: bool,
    ) -> Result<Hub<'c>, HubError> {
        let row = if lock {
            // Creating the district's row and locking it in one round trip.
            conn.query_opt(
                "INSERT INTO districts (name) VALUES ($1)
                 ON CONFLICT (name) DO UPDATE SET name = excluded.name
                 RETURNING version, horizon, clock, chain",
                &[&district],
            )
        } else {
            conn.query_opt(
                "SELECT version, horizon, clock, chain FROM districts WHERE name = $1",
                &[&district],
            )
        }
        .map_err(hub_err)?;
        let state = match row {
            Some(r) => DistrictState {
                version: r.get(0),
                horizon: r.get(1),
                clock: r.get(2),
                chain: r.get(3),
                ..Default::default()
            },
            None => DistrictState::default(),
        };
        Ok(Hub {
            conn,
            district: district.to_owned(),
            state,
            buf: Buffer::default(),
            seen: Seen::default(),
        })
    }

    /// Writes the buffered rows and op log entries and the district's counters.
    pub(super) fn flush(&mut self) -> Result<(), HubError> {
        let mut rows: Vec<&Pending> = self.buf.rows().collect();
        // Versions ascending, so the table's pages fill in the order pulls read them.
        rows.sort_by_key(|p| p.stored.row.version);
        for chunk in rows.chunks(FLUSH_CHUNK) {
            let mut bodies = Vec::with_capacity(chunk.len());
            for p in chunk {
                bodies.push(
                    serde_json::to_string(&p.stored.row)
                        .map_err(|e| HubError::Storage(e.to_string()))?,
                );
            }
            let entity: Vec<&str> = chunk.iter().map(|p| p.stored.row.entity.as_str()).collect();
            let id: Vec<&str> = chunk.iter().map(|p| p.stored.row.id.as_str()).collect();
            let scope: Vec<&str> = chunk.iter().map(|p| p.stored.scope.as_str()).collect();
            let key: Vec<Option<&str>> = chunk.iter().map(|p| p.key.as_deref()).collect();
            let version: Vec<i64> = chunk.iter().map(|p| p.stored.row.version).collect();
            self.conn
                .execute(
                    "INSERT INTO rows (district, entity, id, body, scope, key, version)
                     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[])
                     ON CONFLICT (district, entity, id) DO UPDATE
                     SET body = excluded.body, scope = excluded.scope, key = excluded.key, version = excluded.version",
                    &[&self.district, &entity, &id, &bodies, &scope, &key, &version],
                )
                .map_err(hub_err)?;
        }
        for chunk in self.buf.entries().chunks(FLUSH_CHUNK / 5) {
            let col = |f: fn(&LogEntry) -> &str| chunk.iter().map(f).collect::<Vec<&str>>();
            let num = |f: fn(&LogEntry) -> i64| chunk.iter().map(f).collect::<Vec<i64>>();
            let reason: Vec<Option<&str>> = chunk.iter().map(|e| e.reason.as_deref()).collect();
            self.conn
                .execute(
                    "INSERT INTO op_log (district, site_id, seq, op_id, kind, actor, user_id, device_id, hlc, at,
                                         received_ms, outcome, reason, overwritten, op, prev_hash, hash)
                     SELECT $1, site_id, seq, op_id, kind, actor, user_id, device_id, hlc, at,
                            received_ms, outcome, reason, overwritten, op, prev_hash, hash
                     FROM unnest($2::text[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                                 $9::int8[], $10::text[], $11::int8[], $12::text[], $13::text[], $14::text[],
                                 $15::text[], $16::text[], $17::text[])
                          WITH ORDINALITY AS e(site_id, seq, op_id, kind, actor, user_id, device_id, hlc, at,
                                               received_ms, outcome, reason, overwritten, op, prev_hash, hash, n)
                     ORDER BY n",
                    &[
                        &self.district,
                        &col(|e| &e.site_id),
                        &num(|e| e.seq),
                        &col(|e| &e.op_id),
                        &col(|e| &e.kind),
                        &col(|e| &e.actor),
                        &col(|e| &e.user_id),
                        &col(|e| &e.device_id),
                        &num(|e| e.hlc),
                        &col(|e| &e.at),
                        &num(|e| e.received_ms),
                        &col(|e| &e.outcome),
                        &reason,
                        &col(|e| &e.overwritten),
                        &col(|e| &e.op),
                        &col(|e| &e.prev_hash),
                        &col(|e| &e.hash),
                    ],
                )
                .map_err(hub_err)?;
        }
        self.conn
            .execute(
                "UPDATE districts SET version = $2, clock = $3, chain = $4 WHERE name = $1",
                &[&self.district, &self.state.version, &self.state.clock, &self.state.chain],
            )
            .map_err(hub_err)?;
        Ok(())
    }

    /// Reads the given (entity, id) rows into [`Seen`], misses included, in statements of up
    /// to [`OPS_READ`] keys. The lateral join looks each key up by the primary key: its
    /// `LIMIT 1` keeps the planner from flattening it into a join against the arrays, which it
    /// ran as a scan of the whole table (60 ms a batch at 100,000 residents).
    fn read_many(&mut self, keys: &[(String, String)]) -> Result<(), HubError> {
        for chunk in keys.chunks(OPS_READ) {
            let entities: Vec<&str> = chunk.iter().map(|k| k.0.as_str()).collect();
            let ids: Vec<&str> = chunk.iter().map(|k| k.1.as_str()).collect();
            let found = self
                .conn
                .query(
                    "SELECT r.entity, r.id, r.body, r.scope, r.version
                     FROM unnest($2::text[], $3::text[]) AS k(entity, id)
                     CROSS JOIN LATERAL (
                         SELECT entity, id, body, scope, version FROM rows
                         WHERE district = $1 AND entity = k.entity AND id = k.id LIMIT 1) r",
                    &[&self.district, &entities, &ids],
                )
                .map_err(hub_err)?;
            for k in chunk {
                self.seen.rows.insert(k.clone(), None);
            }
            for r in &found {
                let stored = Stored { row: parse_row(r.get(2), r.get(4))?, scope: r.get(3) };
                self.seen.rows.insert(pair(r.get(0), r.get(1)), Some(stored));
            }
        }
        Ok(())
    }

    /// Which residents hold each of these identity numbers, into [`Seen`] (none included).
    fn read_keys(&mut self, numbers: &[&str]) -> Result<(), HubError> {
        for chunk in numbers.chunks(OPS_READ) {
            // OFFSET 0 keeps the lookup per key on the key index (see `read_many`).
            let found = self
                .conn
                .query(
                    "SELECT k.key, r.id FROM unnest($2::text[]) AS k(key)
                     CROSS JOIN LATERAL (
                         SELECT id FROM rows
                         WHERE district = $1 AND entity = $3 AND key = k.key OFFSET 0) r",
                    &[&self.district, &chunk, &entity::RESIDENT],
                )
                .map_err(hub_err)?;
            for n in chunk {
                self.seen.keys.insert(pair(entity::RESIDENT, n), Vec::new());
            }
            for r in &found {
                let key: &str = r.get(0);
                if let Some(ids) = self.seen.keys.get_mut(&pair(entity::RESIDENT, key)) {
                    ids.push(r.get(1));
                }
            }
        }
        Ok(())
    }

    /// Every area row of the district into [`Seen`]: rights and scopes walk each row's area up
    /// to the district, and a batch of residents names hundreds of areas (a district has a
    /// few thousand at most).
    fn read_areas(&mut self) -> Result<(), HubError> {
        let found = self
            .conn
            .query(
                "SELECT id, body, scope, version FROM rows WHERE district = $1 AND entity = $2",
                &[&self.district, &entity::AREA],
            )
            .map_err(hub_err)?;
        for r in &found {
            let stored = Stored { row: parse_row(r.get(1), r.get(3))?, scope: r.get(2) };
            self.seen.rows.insert(pair(entity::AREA, r.get(0)), Some(stored));
        }
        Ok(())
    }

    /// Reads `id` as `entity` (and as `also`) into [`Seen`], misses included.
    fn read_rows(&mut self, entity: &str, also: Option<&str>, id: &str) -> Result<(), HubError> {
        // Each branch names the whole primary key: the planner never has a choice to get wrong.
        let found = match also {
            None => self.conn.query(
                "SELECT entity, body, scope, version FROM rows
                 WHERE district = $1 AND entity = $2 AND id = $3",
                &[&self.district, &entity, &id],
            ),
            Some(also) => self.conn.query(
                "SELECT entity, body, scope, version FROM rows
                 WHERE district = $1 AND entity = $2 AND id = $4
                 UNION ALL
                 SELECT entity, body, scope, version FROM rows
                 WHERE district = $1 AND entity = $3 AND id = $4",
                &[&self.district, &entity, &also, &id],
            ),
        }
        .map_err(hub_err)?;
        for e in std::iter::once(entity).chain(also) {
            self.seen.rows.insert(pair(e, id), None);
        }
        for r in &found {
            let stored = Stored { row: parse_row(r.get(1), r.get(3))?, scope: r.get(2) };
            self.seen.rows.insert(pair(r.get(0), id), Some(stored));
        }
        Ok(())
    }

    /// Stored rows (body, version) in version order, visible as `hub::visible` says.
    fn stored_since(
        &mut self,
        cursor: i64,
        upto: i64,
        scope: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(String, i64)>, HubError> {
        let rows = self
            .conn
            .query(
                "SELECT body, version FROM rows
                 WHERE district = $1 AND version > $2 AND version <= $3
                   AND ($4::text IS NULL OR scope = '' OR starts_with(scope, $4::text)
                        OR (entity = 'area' AND starts_with($4::text, scope)))
                 ORDER BY version LIMIT $5",
                &[&self.district, &cursor, &upto, &scope, &limit],
            )
            .map_err(hub_err)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The users named by a site's logged ops and by its device, in the database.
    fn db_owners(&mut self, site: &str) -> Result<(Option<String>, Option<String>), HubError> {
        if let Some(o) = self.seen.owners.get(site) {
            return Ok(o.clone());
        }
        let r = self
            .conn
            .query_opt(
                "SELECT (SELECT u.display_name FROM op_log o JOIN users u ON u.id = o.user_id
                         WHERE o.district = $1 AND o.site_id = $2 LIMIT 1),
                        (SELECT u.display_name FROM devices d JOIN users u ON u.id = d.user_id
                         WHERE d.site_id = $2 LIMIT 1)",
                &[&self.district, &site],
            )
            .map_err(hub_err)?;
        let o = r.map_or((None, None), |r| (r.get(0), r.get(1)));
        self.seen.owners.insert(site.to_owned(), o.clone());
        Ok(o)
    }

    fn display_name(&mut self, user_id: &str) -> Result<Option<String>, HubError> {
        if let Some(n) = self.seen.users.get(user_id) {
            return Ok(n.clone());
        }
        let n: Option<String> = self
            .conn
            .query_opt("SELECT display_name FROM users WHERE id = $1", &[&user_id])
            .map_err(hub_err)?
            .map(|r| r.get(0));
        self.seen.users.insert(user_id.to_owned(), n.clone());
        Ok(n)
    }
}

fn logged(r: &postgres::Row, at: usize) -> LoggedOp {
    LoggedOp { op_id: r.get(at), outcome: LogEntry::logged_outcome(r.get(at + 1), r.get(at + 2)) }
}

impl HubRead for Hub<'_> {
    fn get(&mut self, entity: &str, id: &str) -> Result<Option<Stored>, HubError> {
        if let Some(p) = self.buf.row(entity, id) {
            return Ok(Some(p.stored.clone()));
        }
        let k = pair(entity, id);
        if let Some(s) = self.seen.rows.get(&k) {
            return Ok(s.clone());
        }
        // The rules look a resident's id up as an alias first: both in one round trip.
        let also = match entity {
            entity::ALIAS => Some(entity::RESIDENT),
            entity::RESIDENT => Some(entity::ALIAS),
            _ => None,
        };
        self.read_rows(entity, also, id)?;
        Ok(self.seen.rows.get(&k).cloned().flatten())
    }

    fn rows_since(
        &mut self,
        cursor: i64,
        upto: i64,
        scope: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Row>, HubError> {
        // A row this transaction rewrote is read from the buffer, so the database is asked
        // for as many more as could be set aside.
        let shadowed = self.buf.rows().count() as i64;
        let rows = self.stored_since(cursor, upto, scope, i64::from(limit) + shadowed)?;
        let mut out = Vec::with_capacity(rows.len());
        for (body, version) in rows {
            let row = parse_row(&body, version)?;
            if self.buf.row(&row.entity, &row.id).is_none() {
                out.push(row);
            }
        }
        out.extend(self.buf.rows_between(cursor, upto, scope));
        out.sort_by_key(|r| r.version);
        out.truncate(limit as usize);
        Ok(out)
    }

    fn rows_since_raw(
        &mut self,
        cursor: i64,
        upto: i64,
        scope: Option<&str>,
        limit: u32,
    ) -> Result<Vec<RawRow>, HubError> {
        if self.buf.rows().next().is_some() {
            let rows = self.rows_since(cursor, upto, scope, limit)?;
            return rows.iter().map(RawRow::of).collect();
        }
        // `flush` stores each row with its version in it: sent as stored, unparsed.
        self.stored_since(cursor, upto, scope, i64::from(limit))?
            .into_iter()
            .map(|(body, version)| raw_row(body, version))
            .collect()
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
    fn prefetch(&mut self, ops: &[Op]) -> Result<(), HubError> {
        let mut keys: Vec<(String, String)> = Vec::new();
        let mut want = |e: &str, id: &str| {
            let k = pair(e, id);
            if self.buf.row(e, id).is_none() && !self.seen.rows.contains_key(&k) {
                keys.push(k);
            }
        };
        for row in ops.iter().flat_map(|o| &o.rows) {
            want(&row.entity, &row.id);
            // What the rules look up beside a row: a resident's id as an alias, a request's
            // resident as an alias, an event's request.
            match row.entity.as_str() {
                entity::RESIDENT => want(entity::ALIAS, &row.id),
                entity::REQUEST => {
                    if let Some(res) = row.str("resident_id") {
                        want(entity::ALIAS, res);
                    }
                }
                entity::REQUEST_EVENT => {
                    if let Some(req) = row.str("request_id") {
                        want(entity::REQUEST, req);
                    }
                }
                // A volunteer's booking or points are decided against the volunteer and the
                // server's count of them (and a dispatch against its request's volunteer, an
                // earning against the cap): read with the batch, not one round trip each.
                // (Without these `get` reads them one by one, as it did in the first cut.)
                entity::ASSIGNMENT | entity::POINTS_ENTRY => {
                    if let Some(v) = row.str("volunteer_id") {
                        want(entity::VOLUNTEER, v);
                        want(entity::VOLUNTEER_STATE, v);
                    }
                    if let Some(req) = row.str("request_id") {
                        want(entity::REQUEST, req);
                        want(entity::REQUEST_VOLUNTEER, req);
                    }
                    if let Some(a) = row.str("assignment_id") {
                        want(entity::ASSIGNMENT, a);
                    }
                    if row.str("kind") == Some("earn") {
                        want(entity::DISTRICT_SETTING, "points_daily_cap");
                    }
                }
                _ => {}
            }
        }
        keys.sort();
        keys.dedup();
        self.read_many(&keys)?;
        // A new resident's identity number is looked up to merge the same person made twice.
        let mut numbers: Vec<&str> = ops
            .iter()
            .flat_map(|o| &o.rows)
            .filter(|r| r.entity == entity::RESIDENT)
            .filter_map(|r| r.str("id_number"))
            .filter(|n| !self.seen.keys.contains_key(&pair(entity::RESIDENT, n)))
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        self.read_keys(&numbers)?;
        self.read_areas()
    }

    fn find_key(&mut self, entity: &str, key: &str) -> Result<Option<String>, HubError> {
        if let Some(id) = self.buf.holder(entity, key) {
            return Ok(Some(id.to_owned()));
        }
        let k = pair(entity, key);
        if !self.seen.keys.contains_key(&k) {
            let ids = self
                .conn
                .query(
                    "SELECT id FROM rows WHERE district = $1 AND entity = $2 AND key = $3",
                    &[&self.district, &entity, &key],
                )
                .map_err(hub_err)?
                .iter()
                .map(|r| r.get(0))
                .collect();
            self.seen.keys.insert(k.clone(), ids);
        }
        // A row rewritten by this push holds the key only if the buffer says so (above).
        let ids = self.seen.keys.get(&k).map(Vec::as_slice).unwrap_or_default();
        Ok(ids.iter().find(|id| self.buf.row(entity, id).is_none()).cloned())
    }

    fn put(&mut self, row: &Row, scope: &str, key: Option<&str>) -> Result<i64, HubError> {
        let version = self.state.version + 1;
        let mut stored = row.clone();
        stored.version = version;
        self.buf.put(Stored { row: stored, scope: scope.to_owned() }, key.map(str::to_owned));
        self.state.version = version;
        Ok(version)
    }

    fn op_by_seq(&mut self, site: &str, seq: i64) -> Result<Option<LoggedOp>, HubError> {
        if let Some(l) = self.buf.logged_seq(site, seq) {
            return Ok(Some(l));
        }
        if let Some(known) = self.seen.seqs.get(site).and_then(|k| k.get(&seq)) {
            return Ok(known);
        }
        let rows = self
            .conn
            .query(
                "SELECT seq, op_id, outcome, reason FROM op_log
                 WHERE district = $1 AND site_id = $2 AND seq >= $3 ORDER BY seq LIMIT $4",
                &[&self.district, &site, &seq, &(OPS_READ as i64)],
            )
            .map_err(hub_err)?;
        let read = rows.iter().map(|r| (r.get(0), logged(r, 1))).collect();
        let known = self.seen.seqs.entry(site.to_owned()).or_default();
        known.read(seq, read, OPS_READ);
        Ok(known.get(&seq).flatten())
    }

    fn op_by_id(&mut self, op_id: &str) -> Result<Option<LoggedOp>, HubError> {
        if let Some(l) = self.buf.logged_id(op_id) {
            return Ok(Some(l));
        }
        let k = op_id.to_owned();
        if let Some(known) = self.seen.ids.get(&k) {
            return Ok(known);
        }
        // Byte order (COLLATE "C", migration 0002), the order Rust compares the ids in.
        let rows = self
            .conn
            .query(
                r#"SELECT op_id, outcome, reason FROM op_log
                   WHERE district = $1 AND op_id COLLATE "C" >= $2
                   ORDER BY op_id COLLATE "C" LIMIT $3"#,
                &[&self.district, &op_id, &(OPS_READ as i64)],
            )
            .map_err(hub_err)?;
        let read = rows.iter().map(|r| (r.get(0), logged(r, 0))).collect();
        self.seen.ids.read(k.clone(), read, OPS_READ);
        Ok(self.seen.ids.get(&k).flatten())
    }

    fn log_op(&mut self, rec: &OpRecord<'_>) -> Result<(), HubError> {
        let e = LogEntry::new(&self.district, rec, &self.state.chain);
        self.state.chain.clone_from(&e.hash);
        self.buf.log(e);
        Ok(())
    }

    fn set_clock(&mut self, hlc: i64) -> Result<(), HubError> {
        self.state.clock = hlc;
        Ok(())
    }

    fn site_owner(&mut self, site: &str) -> Result<Option<String>, HubError> {
        // A logged op's user first (the database's or this push's), then the device's.
        let (logged, device) = self.db_owners(site)?;
        if logged.is_some() {
            return Ok(logged);
        }
        if let Some(user) = self.buf.site_user(site).map(str::to_owned) {
            if let Some(name) = self.display_name(&user)? {
                return Ok(Some(name));
            }
        }
        Ok(device)
    }

    fn savepoint(&mut self) -> Result<(), HubError> {
        self.buf.savepoint();
        self.state.save();
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), HubError> {
        self.buf.rollback();
        self.state.restore();
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<(), HubError> {
        self.buf.release();
        self.state.release();
        Ok(())
    }
}
