//! Creating many residents in one command (the demo district, tests): one outbox operation
//! and one audit entry per chunk, as an import does. The operation lists the created ids; the
//! sync client reads the rows when it pushes (see ARCHITECTURE.md, "Bulk stays bulk").

use serde_json::json;

use super::draft::ResidentDraft;
use super::writer::{self, Writer};
use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::write::AuditEntry;

const CHUNK: usize = 1000;

/// Creates every draft (already valid and unique) in one transaction; returns how many.
pub fn create_many(
    ctx: &mut Ctx<'_>,
    drafts: impl IntoIterator<Item = ResidentDraft>,
    label: &str,
) -> Result<u64> {
    ctx.write(|w| {
        let batch = uuid::Uuid::now_v7().to_string();
        let hlc = w.stamp();
        w.tx().execute(
            "INSERT INTO batches (id, kind, file, format, at, actor, hlc) VALUES (?1, 'bulk', ?2, '', ?3, ?4, ?5)",
            (&batch, label, w.at_rfc3339(), &w.actor().id, hlc.0),
        )?;
        let batch_rid = w.tx().last_insert_rowid();
        let mut wr = Writer::default();
        let mut ids = Vec::with_capacity(CHUNK);
        let mut total = 0u64;
        let mut drafts = drafts.into_iter().peekable();
        while drafts.peek().is_some() {
            for d in drafts.by_ref().take(CHUNK) {
                // The store's index lets two devices' copies of one person meet until the
                // server's alias arrives, so a command here checks for itself.
                if d.id_number.is_some() && writer::stored_by_key(w.tx(), &d)?.is_some() {
                    return Err(CoreError::Invalid(format!(
                        "{}: a resident with this identity number already exists; nothing was created",
                        d.name
                    )));
                }
                ids.push(wr.insert(w, &d, Some(batch_rid))?);
            }
            total += ids.len() as u64;
            let op = w.emit(
                "residents.create_many",
                &json!({
                    "batch_id": batch,
                    "ids": &ids,
                    "areas": std::mem::take(&mut wr.areas.created),
                    "tags": std::mem::take(&mut wr.tags.created),
                }),
            )?;
            w.audit(AuditEntry {
                action: "resident.create_many".into(),
                entity: "resident".into(),
                after: Some(json!({ "label": label, "rows": ids.len() })),
                entity_ids: std::mem::take(&mut ids),
                op_id: Some(op.op_id),
                batch_id: Some(batch.clone()),
                ..AuditEntry::default()
            })?;
        }
        w.tx().execute("UPDATE batches SET created = ?2 WHERE rid = ?1", (batch_rid, total as i64))?;
        if total == 0 {
            let op = w.emit("residents.create_many", &json!({ "batch_id": batch, "ids": [] }))?;
            w.audit(AuditEntry {
                action: "resident.create_many".into(),
                entity: "resident".into(),
                after: Some(json!({ "label": label, "rows": 0 })),
                op_id: Some(op.op_id),
                ..AuditEntry::default()
            })?;
        }
        Ok(total)
    })
}
