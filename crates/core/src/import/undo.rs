//! Undoing an import batch: remove the residents it created and restore the fields it
//! updated, except fields edited since (their clock is newer than the batch), which are kept
//! and listed. One command, one transaction, like any other.

use rusqlite::OptionalExtension;
use serde::Serialize;
use serde_json::{json, Value};

use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::residents::writer::{self, Change, Writer};
use crate::write::AuditEntry;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UndoReport {
    pub batch_id: String,
    #[ts(type = "number")]
    pub removed: u64,
    #[ts(type = "number")]
    pub restored_fields: u64,
    /// Fields edited after the import, left as they are now.
    pub kept: Vec<KeptField>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct KeptField {
    pub resident_id: String,
    pub name: String,
    pub field: String,
}

/// An import batch as the history lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BatchSummary {
    pub id: String,
    pub file: String,
    pub format: String,
    pub at: String,
    #[ts(type = "number")]
    pub rows_read: u64,
    #[ts(type = "number")]
    pub created: u64,
    #[ts(type = "number")]
    pub updated: u64,
    #[ts(type = "number")]
    pub unchanged: u64,
    #[ts(type = "number")]
    pub rejected: u64,
    pub undone_at: Option<String>,
}

pub fn batches(store: &crate::Store) -> Result<Vec<BatchSummary>> {
    let mut stmt = store.conn().prepare(
        "SELECT id, file, format, at, rows_read, created, updated, unchanged, rejected, undone_at
         FROM batches WHERE kind = 'import' ORDER BY rid DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(BatchSummary {
            id: r.get(0)?,
            file: r.get(1)?,
            format: r.get(2)?,
            at: r.get(3)?,
            rows_read: r.get::<_, i64>(4)? as u64,
            created: r.get::<_, i64>(5)? as u64,
            updated: r.get::<_, i64>(6)? as u64,
            unchanged: r.get::<_, i64>(7)? as u64,
            rejected: r.get::<_, i64>(8)? as u64,
            undone_at: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn undo_batch(ctx: &mut Ctx<'_>, batch_id: &str) -> Result<UndoReport> {
    ctx.write(|w| {
        let batch: Option<(i64, Option<String>)> = w
            .tx()
            .query_row(
                "SELECT hlc, undone_at FROM batches WHERE id = ?1 AND kind = 'import'",
                [batch_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (batch_hlc, undone) =
            batch.ok_or_else(|| CoreError::NotFound(format!("import batch {batch_id}")))?;
        if let Some(at) = undone {
            return Err(CoreError::Invalid(format!("this import was already undone at {at}")));
        }
        let mut report = UndoReport { batch_id: batch_id.to_owned(), ..UndoReport::default() };
        let mut wr = Writer::default();

        let created: Vec<String> = {
            let mut stmt = w.tx().prepare(
                "SELECT id FROM residents WHERE deleted = 0
                     AND batch_rid = (SELECT rid FROM batches WHERE id = ?1) ORDER BY rid",
            )?;
            let ids = stmt.query_map([batch_id], |r| r.get(0))?;
            ids.collect::<rusqlite::Result<_>>()?
        };
        for id in &created {
            if let Some(s) = writer::stored_by_id(w.tx(), id)? {
                wr.tombstone(w, &s)?;
                report.removed += 1;
            }
        }

        // What the batch changed, from its audit entries: before/after maps keyed by id.
        let entries: Vec<(String, String)> = {
            let mut stmt = w.tx().prepare(
                "SELECT before, after FROM audit_log
                 WHERE batch_id = ?1 AND action = 'import.update' ORDER BY seq",
            )?;
            let rows = stmt.query_map([batch_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut restored = Vec::new();
        for (before, after) in entries {
            let before: Value = serde_json::from_str(&before)?;
            let after: Value = serde_json::from_str(&after)?;
            let Some(after) = after.as_object() else { continue };
            for (id, fields) in after {
                let Some(s) = writer::stored_by_id(w.tx(), id)? else { continue };
                let Some(fields) = fields.as_object() else { continue };
                let mut changes = Vec::new();
                let mut remove_tags = Vec::new();
                for (field, set_to) in fields {
                    let clock_field = match field.as_str() {
                        "tags" => format!("tags.{}", set_to.as_str().unwrap_or_default()),
                        "area_id" => "area".to_owned(),
                        f => f.to_owned(),
                    };
                    let newer: Option<i64> = w
                        .tx()
                        .query_row(
                            "SELECT hlc FROM field_clocks WHERE entity = 'resident'
                             AND entity_id = ?1 AND field = ?2 AND hlc > ?3",
                            (id, &clock_field, batch_hlc),
                            |r| r.get(0),
                        )
                        .optional()?;
                    if newer.is_some() {
                        report.kept.push(KeptField {
                            resident_id: id.clone(),
                            name: s.values[0].clone().unwrap_or_default(),
                            field: field.clone(),
                        });
                        continue;
                    }
                    if field == "tags" {
                        if let Some(key) = set_to.as_str() {
                            if let Some(tag) = crate::residents::tags::find_in(w.tx(), key)? {
                                remove_tags.push(tag);
                                changes.push(Change {
                                    field: "tags".into(),
                                    before: Some(key.to_owned()),
                                    after: None,
                                });
                            }
                        }
                        continue;
                    }
                    let old = before.get(id).and_then(|b| b.get(field)).and_then(Value::as_str);
                    changes.push(Change {
                        field: field.clone(),
                        before: set_to.as_str().map(str::to_owned),
                        after: old.map(str::to_owned),
                    });
                }
                if !changes.is_empty() {
                    report.restored_fields += changes.len() as u64;
                    let hlc = wr.apply(w, &s, &changes, &[], &remove_tags)?;
                    restored.push(json!({ "id": id, "hlc": hlc.0, "changes": changes }));
                }
            }
        }
        w.tx().execute(
            "UPDATE batches SET undone_at = ?2 WHERE id = ?1",
            (batch_id, w.at_rfc3339()),
        )?;
        let op = w.emit(
            "import.undo",
            &json!({ "batch_id": batch_id, "removed": created, "restored": restored }),
        )?;
        w.audit(AuditEntry {
            action: "import.undo".into(),
            entity: "import_batch".into(),
            entity_ids: vec![batch_id.to_owned()],
            after: Some(json!({
                "removed": report.removed,
                "restored_fields": report.restored_fields,
                "kept": report.kept,
            })),
            op_id: Some(op.op_id),
            batch_id: Some(batch_id.to_owned()),
            subjects: restored.iter().filter_map(|r| r["id"].as_str().map(str::to_owned)).collect(),
            ..AuditEntry::default()
        })?;
        Ok(report)
    })
}
