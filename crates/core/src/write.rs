//! The one write path. A command runs inside [`run`], which opens ONE SQLite transaction in
//! which the command writes its domain rows and, through [`Write`], the field clocks, the
//! outbox operation (op id, per-device sequence number) and the hash-chained audit entry.
//! A command that emits no operation or no audit entry is refused, so nothing reaches the
//! domain tables without reaching sync and audit too.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::context::Actor;
use crate::error::{CoreError, Result};
use crate::hlc::Hlc;
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Commit,
    /// Do everything, then roll back: the dry run of an import reports exactly what a real
    /// run would do because it is the real run, undone.
    RollBack,
}

/// The open transaction of one command, with the device's clock and sequence state.
pub struct Write<'s> {
    tx: Transaction<'s>,
    site_id: String,
    actor: Actor,
    at: DateTime<Utc>,
    now_ms: i64,
    last_hlc: Hlc,
    next_seq: i64,
    prev_hash: String,
    ops: u32,
    audits: u32,
}

/// The operation an outbox row carries, as [`Write::emit`] recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRef {
    pub op_id: String,
    pub seq: i64,
    pub hlc: Hlc,
}

/// One audit entry: who (from the context), when (the command's time), what, before and after.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditEntry {
    pub action: String,
    pub entity: String,
    pub entity_ids: Vec<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub op_id: Option<String>,
    pub batch_id: Option<String>,
    /// Entities to index for per-entity history (usually the edited ids; empty for bulk
    /// creations, which are found by batch).
    #[serde(skip)]
    pub subjects: Vec<String>,
}

impl AuditEntry {
    /// An entry about one record, for the operation `op_id` that carries the change: the
    /// record is also the subject its history is found by. `before`, `after` and `batch_id`
    /// are the caller's to add.
    pub fn about(action: &str, entity: &str, id: &str, op_id: String) -> AuditEntry {
        AuditEntry {
            action: action.to_owned(),
            entity: entity.to_owned(),
            entity_ids: vec![id.to_owned()],
            op_id: Some(op_id),
            subjects: vec![id.to_owned()],
            ..AuditEntry::default()
        }
    }
}

pub(crate) fn run<T>(
    store: &mut Store,
    clock: &dyn Clock,
    actor: &Actor,
    mode: Mode,
    f: impl FnOnce(&mut Write<'_>) -> Result<T>,
) -> Result<T> {
    let site_id = store.device().site_id.clone();
    let tx = store.conn_mut().transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (last_hlc, next_seq, offset_ms): (i64, i64, i64) = tx.query_row(
        "SELECT last_hlc, next_seq, clock_offset_ms FROM device WHERE singleton = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let prev_hash: Option<String> = tx
        .query_row("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |r| r.get(0))
        .optional()?;
    // A laptop whose clock is far off the server's (sync measured it) stamps and dates its
    // work by the server's time, so deadlines and last-writer-wins are not skewed by it.
    let at = clock.now() + chrono::Duration::milliseconds(offset_ms);
    let mut w = Write {
        tx,
        site_id,
        actor: actor.clone(),
        now_ms: at.timestamp_millis(),
        at,
        last_hlc: Hlc(last_hlc),
        next_seq,
        prev_hash: prev_hash.unwrap_or_else(genesis_hash),
        ops: 0,
        audits: 0,
    };
    let value = f(&mut w)?;
    if w.ops == 0 || w.audits == 0 {
        return Err(CoreError::Internal(format!(
            "a command must write an outbox operation and an audit entry (wrote {} and {})",
            w.ops, w.audits
        )));
    }
    w.tx.execute(
        "UPDATE device SET last_hlc = ?1, next_seq = ?2 WHERE singleton = 1",
        (w.last_hlc.0, w.next_seq),
    )?;
    match mode {
        Mode::Commit => w.tx.commit()?,
        Mode::RollBack => w.tx.rollback()?,
    }
    Ok(value)
}

/// The hash before the first entry: the chain starts from a known value.
fn genesis_hash() -> String {
    hex::encode(Sha256::digest(b"jiayuan audit genesis"))
}

impl Write<'_> {
    /// The transaction, for the domain module's own SQL.
    pub(crate) fn tx(&self) -> &Transaction<'_> {
        &self.tx
    }

    pub fn site_id(&self) -> &str {
        &self.site_id
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The command's time (one reading of the clock per command).
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    pub fn at_rfc3339(&self) -> String {
        self.at.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// A fresh HLC stamp, later than every stamp this store made before.
    pub fn stamp(&mut self) -> Hlc {
        self.last_hlc = Hlc::tick(self.last_hlc, self.now_ms);
        self.last_hlc
    }

    /// Records that `field` of `entity_id` was set at `hlc` by this device.
    pub(crate) fn field_clock(
        &self,
        entity: &str,
        entity_id: &str,
        field: &str,
        hlc: Hlc,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO field_clocks (entity, entity_id, field, hlc, site_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (entity, entity_id, field)
                 DO UPDATE SET hlc = excluded.hlc, site_id = excluded.site_id",
            )?
            .execute((entity, entity_id, field, hlc.0, &self.site_id))?;
        Ok(())
    }

    /// Appends an operation to the outbox with the next per-device sequence number.
    pub(crate) fn emit(&mut self, kind: &str, payload: &impl Serialize) -> Result<OpRef> {
        let op = OpRef {
            op_id: uuid::Uuid::now_v7().to_string(),
            seq: self.next_seq,
            hlc: self.stamp(),
        };
        let payload = serde_json::to_string(payload)?;
        self.tx
            .prepare_cached(
                "INSERT INTO outbox (seq, op_id, site_id, kind, hlc, actor, at, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute((
                op.seq,
                &op.op_id,
                &self.site_id,
                kind,
                op.hlc.0,
                &self.actor.id,
                self.at_rfc3339(),
                payload,
            ))?;
        self.next_seq += 1;
        self.ops += 1;
        Ok(op)
    }

    /// An operation that records something rather than changing rows (a reveal, an export, a
    /// setting set beside it): the op carries `payload`, and so does its audit entry, named
    /// after the op's kind, its entity the kind's first part (`export` of `export.print`).
    pub(crate) fn record(&mut self, kind: &str, payload: serde_json::Value) -> Result<()> {
        let op = self.emit(kind, &payload)?;
        self.audit(AuditEntry {
            action: kind.into(),
            entity: kind.split('.').next().unwrap_or(kind).into(),
            after: Some(payload),
            op_id: Some(op.op_id),
            ..AuditEntry::default()
        })?;
        Ok(())
    }

    /// Appends an audit entry, chained to the previous one by SHA-256.
    pub(crate) fn audit(&mut self, entry: AuditEntry) -> Result<String> {
        let id = uuid::Uuid::now_v7().to_string();
        let at = self.at_rfc3339();
        let ids = serde_json::to_string(&entry.entity_ids)?;
        let before = entry.before.as_ref().map(serde_json::to_string).transpose()?;
        let after = entry.after.as_ref().map(serde_json::to_string).transpose()?;
        let hash = chain_hash(
            &self.prev_hash,
            &[
                &id,
                &at,
                &self.actor.id,
                &entry.action,
                &entry.entity,
                &ids,
                before.as_deref().unwrap_or(""),
                after.as_deref().unwrap_or(""),
                entry.op_id.as_deref().unwrap_or(""),
                entry.batch_id.as_deref().unwrap_or(""),
            ],
        );
        self.tx
            .prepare_cached(
                "INSERT INTO audit_log (id, at, actor, action, entity, entity_ids, before, after,
                                        op_id, batch_id, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(rusqlite::params![
                id,
                at,
                self.actor.id,
                entry.action,
                entry.entity,
                ids,
                before,
                after,
                entry.op_id,
                entry.batch_id,
                self.prev_hash,
                hash
            ])?;
        let seq = self.tx.last_insert_rowid();
        let mut subject = self
            .tx
            .prepare_cached("INSERT INTO audit_subjects (entity_id, audit_seq) VALUES (?1, ?2)")?;
        for s in &entry.subjects {
            subject.execute((s, seq))?;
        }
        self.prev_hash = hash;
        self.audits += 1;
        Ok(id)
    }
}

/// SHA-256 over the previous hash and the entry's fields, each length-prefixed so no two
/// different entries can serialise to the same bytes.
pub(crate) fn chain_hash(prev: &str, fields: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    for f in fields {
        h.update((f.len() as u64).to_le_bytes());
        h.update(f.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Walks the audit chain and reports the first entry whose hash does not match.
pub fn verify_audit_chain(store: &Store) -> Result<AuditCheck> {
    let mut stmt = store.conn().prepare(
        "SELECT seq, id, at, actor, action, entity, entity_ids, before, after, op_id, batch_id,
                prev_hash, hash FROM audit_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = genesis_hash();
    let mut entries = 0u64;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let text = |i: usize| -> rusqlite::Result<String> {
            Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
        };
        let fields = [
            text(1)?,
            text(2)?,
            text(3)?,
            text(4)?,
            text(5)?,
            text(6)?,
            text(7)?,
            text(8)?,
            text(9)?,
            text(10)?,
        ];
        let stored_prev = text(11)?;
        let stored = text(12)?;
        let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
        if stored_prev != prev || chain_hash(&prev, &refs) != stored {
            return Ok(AuditCheck { entries, broken_at: Some(seq) });
        }
        prev = stored;
        entries += 1;
    }
    Ok(AuditCheck { entries, broken_at: None })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheck {
    pub entries: u64,
    /// The `seq` of the first entry that does not chain, if any.
    pub broken_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn one_command(store: &mut Store, clock: &ManualClock, n: i64) {
        let actor = Actor::new("p", "tester");
        run(store, clock, &actor, Mode::Commit, |w| {
            let op = w.emit("test.op", &n)?;
            w.audit(AuditEntry {
                action: "test".into(),
                entity: "test".into(),
                after: Some(serde_json::json!({ "n": n })),
                op_id: Some(op.op_id),
                ..AuditEntry::default()
            })?;
            Ok(())
        })
        .expect("command");
    }

    #[test]
    fn the_audit_log_refuses_edits_and_the_chain_shows_tampering() {
        let mut store = Store::open_in_memory().expect("store");
        let clock = ManualClock::fixed();
        for n in 0..3 {
            one_command(&mut store, &clock, n);
        }
        assert_eq!(
            verify_audit_chain(&store).expect("verify"),
            AuditCheck { entries: 3, broken_at: None }
        );
        let refused = store.conn().execute("UPDATE audit_log SET after = '{}' WHERE seq = 2", []);
        assert!(refused.is_err(), "the trigger keeps the log append-only");
        // Someone with the file and a SQLite shell drops the trigger and edits an entry.
        store
            .conn()
            .execute_batch("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET after = '{\"n\":9}' WHERE seq = 2;")
            .expect("tamper");
        assert_eq!(verify_audit_chain(&store).expect("verify").broken_at, Some(2));
    }

    #[test]
    fn sequence_numbers_and_stamps_only_increase_even_when_the_clock_steps_back() {
        let mut store = Store::open_in_memory().expect("store");
        let clock = ManualClock::fixed();
        one_command(&mut store, &clock, 1);
        clock.advance_ms(-60_000);
        one_command(&mut store, &clock, 2);
        let rows: Vec<(i64, i64)> = store
            .conn()
            .prepare("SELECT seq, hlc FROM outbox ORDER BY seq")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2]);
        assert!(rows[1].1 > rows[0].1, "a clock stepping back must not reorder stamps");
    }

    #[test]
    fn a_command_without_an_operation_or_audit_entry_is_refused() {
        let mut store = Store::open_in_memory().expect("store");
        let clock = ManualClock::fixed();
        let actor = Actor::new("p", "tester");
        let err = run(&mut store, &clock, &actor, Mode::Commit, |w| {
            w.tx().execute("UPDATE device SET district = 'x'", [])?;
            Ok(())
        })
        .expect_err("refused");
        assert_eq!(err.code(), "internal");
        assert_eq!(store.device().district, "本区");
        let district: String =
            store.conn().query_row("SELECT district FROM device", [], |r| r.get(0)).expect("read");
        assert_eq!(district, "本区", "the refused command rolled back");
    }
}
