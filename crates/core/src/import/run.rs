//! Running an import: read every recognised sheet, judge each row, find duplicates, and apply
//! creations and updates through the write path, all in ONE transaction (a dry run is the same
//! transaction rolled back). Writes are batched as the design brief says: one outbox operation
//! and one audit entry per chunk of rows, one creation stamp per created row.

use rustc_hash::FxHashMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde_json::json;

use super::header::{self, Header, Mapping};
use super::report::{Duplicate, ImportReport, Progress, RowProblem, SheetReport, SkippedSheet};
use super::row::{self, RowOutcome};
use super::sheets::{self, SheetImport};
use super::source::{Input, Limits, RawRow, ReadError};
use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::i18n::{self, Lang};
use crate::residents::writer::{self, Writer};
use crate::residents::ResidentDraft;
use crate::write::{AuditEntry, Write};

/// Rows per outbox operation and audit entry.
const CHUNK: usize = 1000;
/// How many rows between progress reports.
const PROGRESS_EVERY: u64 = 2000;

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub mapping: Option<Mapping>,
    /// Import only this sheet (by name).
    pub sheet: Option<String>,
    pub dry_run: bool,
    pub lang: Option<Lang>,
    pub limits: Limits,
}

/// Imports a roster file. Errors mean the file could not be imported at all and nothing was
/// written; rejected rows are in the report.
pub fn import_file(
    ctx: &mut Ctx<'_>,
    path: &Path,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<ImportReport> {
    let started = Instant::now();
    let (mut input, file) = sheets::open(path, opts)?;
    let today = ctx.clock.now().date_naive();
    let lang = opts.lang.unwrap_or_else(Lang::from_env);
    let dry_run = opts.dry_run;
    let body = |w: &mut Write<'_>| -> Result<ImportReport> {
        let mut run = Run::new(w, &file, input.as_ref(), lang, today)?;
        let outcome = sheets::import_sheets(
            &mut run,
            w,
            input.as_mut(),
            opts,
            cancel,
            progress,
            "no sheet has a header row naming at least 3 known columns (姓名, 身份证号码, 联系电话…); \
             give a column mapping with --mapping if the headers are unusual",
        );
        tracing::debug!(seconds = started.elapsed().as_secs_f64(), rows = run.done, "rows written");
        outcome?;
        run.finish(w)?;
        Ok(run.report)
    };
    let mut report = if dry_run { ctx.dry_run(body)? } else { ctx.write(body)? };
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "committed");
    report.dry_run = dry_run;
    report.seconds = started.elapsed().as_secs_f64();
    if dry_run {
        report.batch_id = None;
    }
    tracing::info!(
        file = %report.file, rows = report.rows_read, created = report.created,
        updated = report.updated, rejected = report.rejected.len(), dry_run,
        seconds = report.seconds, "roster import finished"
    );
    Ok(report)
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Id(String),
    NamePhone(String, String),
}

fn name_phone_hash(name: &str, phone: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    (name, phone).hash(&mut h);
    h.finish()
}

fn key_of(d: &ResidentDraft) -> Option<Key> {
    match (&d.id_number, &d.phone) {
        (Some(id), _) => Some(Key::Id(id.clone())),
        (None, Some(p)) => Some(Key::NamePhone(d.name.clone(), p.clone())),
        (None, None) => None,
    }
}

struct Run {
    report: ImportReport,
    lang: Lang,
    /// The day rows are judged on (ages, dates in the future).
    today: chrono::NaiveDate,
    batch_id: String,
    batch_rid: i64,
    /// The first local row number of the chunk being filled (the operation names the range).
    chunk_first_rid: Option<i64>,
    writer: Writer,
    /// First valid row of each person in this file: (sheet index in report, row).
    seen: FxHashMap<Key, (usize, u32)>,
    by_name_phone: FxHashMap<u64, (usize, u32, i64)>,
    /// A store empty at the start cannot hold a match, so a first import skips the lookups and
    /// builds the residents' secondary indexes once at the end (sorting beats a million
    /// random inserts). Holds their definitions, read from the schema, while they are away.
    store_was_empty: bool,
    dropped_indexes: Vec<(String, String)>,
    created_ids: Vec<String>,
    updates: Vec<(String, Vec<writer::Change>, i64)>,
    done: u64,
}

impl Run {
    fn new(
        w: &mut Write<'_>,
        file: &str,
        input: &dyn Input,
        lang: Lang,
        today: chrono::NaiveDate,
    ) -> Result<Run> {
        let live: i64 =
            w.tx()
                .query_row("SELECT count(*) FROM residents WHERE deleted = 0", [], |r| r.get(0))?;
        let batch_id = uuid::Uuid::now_v7().to_string();
        w.tx().execute(
            "INSERT INTO batches (id, kind, file, format, at, actor) VALUES (?1, 'import', ?2, ?3, ?4, ?5)",
            (&batch_id, file, input.format().as_str(), w.at_rfc3339(), &w.actor().id),
        )?;
        let batch_rid = w.tx().last_insert_rowid();
        let mut dropped_indexes = Vec::new();
        if live == 0 {
            let mut stmt = w.tx().prepare(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'residents'
                 AND sql IS NOT NULL",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            dropped_indexes = rows.collect::<rusqlite::Result<Vec<(String, String)>>>()?;
            drop(stmt);
            for (name, _) in &dropped_indexes {
                w.tx().execute_batch(&format!("DROP INDEX \"{name}\""))?;
            }
        }
        // Bulk mode for the search index: a larger in-memory buffer and no merging while rows
        // pour in (incremental merges were a third of a million-row import); `finish` restores
        // the defaults inside the same transaction, so a failed import leaves them untouched.
        w.tx().execute_batch(
            "INSERT INTO residents_fts (residents_fts, rank) VALUES ('hashsize', 67108864);
             INSERT INTO residents_fts (residents_fts, rank) VALUES ('automerge', 0);",
        )?;
        Ok(Run {
            report: ImportReport {
                file: file.to_owned(),
                format: input.format().as_str().to_owned(),
                encoding: input.encoding().map(str::to_owned),
                ..ImportReport::default()
            },
            lang,
            today,
            batch_id,
            batch_rid,
            chunk_first_rid: None,
            writer: Writer { defer_search: true, ..Writer::default() },
            seen: FxHashMap::default(),
            by_name_phone: FxHashMap::default(),
            store_was_empty: live == 0,
            dropped_indexes,
            created_ids: Vec::with_capacity(CHUNK),
            updates: Vec::new(),
            done: 0,
        })
    }

    fn row(
        &mut self,
        w: &mut Write<'_>,
        sheet: usize,
        name: &str,
        row: u32,
        outcome: RowOutcome,
    ) -> Result<()> {
        let problem = |issue: &super::issue::RowIssue, lang| RowProblem {
            sheet: name.to_owned(),
            row,
            field: issue.field.to_owned(),
            code: issue.code.as_str().to_owned(),
            message: i18n::issue_message(lang, issue),
        };
        let draft = match outcome {
            RowOutcome::Blank => {
                self.report.blank_rows += 1;
                return Ok(());
            }
            RowOutcome::Rejected(issue) => {
                self.report.rows_read += 1;
                self.report.sheets[sheet].rows += 1;
                self.done += 1;
                self.report.rejected.push(problem(&issue, self.lang));
                return Ok(());
            }
            RowOutcome::Valid { draft, warnings } => {
                for issue in &warnings {
                    self.report.warnings.push(problem(issue, self.lang));
                }
                draft
            }
        };
        self.report.rows_read += 1;
        self.report.sheets[sheet].rows += 1;
        self.done += 1;
        let Some(key) = key_of(&draft) else {
            return Err(CoreError::Internal("a valid row without identity".into()));
        };
        let first = match self.seen.get(&key) {
            Some(hit) => Some(*hit),
            None => self.same_name_and_phone(w, &draft)?,
        };
        if let Some((first_sheet, first_row)) = first {
            self.report.duplicates.push(Duplicate {
                sheet: name.to_owned(),
                row,
                same_as_row: first_row,
                same_as_sheet: self.report.sheets[first_sheet].name.clone(),
            });
            return Ok(());
        }
        self.seen.insert(key, (sheet, row));
        let stored =
            if self.store_was_empty { None } else { writer::stored_by_key(w.tx(), &draft)? };
        match stored {
            None => {
                self.created_ids.push(self.writer.insert(w, &draft, Some(self.batch_rid))?);
                self.chunk_first_rid.get_or_insert(self.writer.last_rid);
                self.remember_name_and_phone(&draft, sheet, row, self.writer.last_rid);
                self.report.created += 1;
                self.report.sheets[sheet].created += 1;
                if self.created_ids.len() >= CHUNK {
                    self.flush_created(w)?;
                }
            }
            Some(s) => {
                self.remember_name_and_phone(&draft, sheet, row, s.rid);
                let (changes, add_tags) = self.writer.diff(w, &s, &draft)?;
                if changes.is_empty() {
                    self.report.unchanged += 1;
                    self.report.sheets[sheet].unchanged += 1;
                } else {
                    let hlc = self.writer.apply(w, &s, &changes, &add_tags, &[])?;
                    self.updates.push((s.id.clone(), changes, hlc.0));
                    self.report.updated += 1;
                    self.report.sheets[sheet].updated += 1;
                    if self.updates.len() >= CHUNK {
                        self.flush_updates(w)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A row without an identity number is keyed by name and phone, and the spec has it match
    /// a person with that name and phone: rows with an identity number are remembered by a
    /// hash of theirs (no allocation on the million-row path), and a hit is confirmed against
    /// the stored row, so the answer is the same whether or not the store started empty.
    fn remember_name_and_phone(&mut self, d: &ResidentDraft, sheet: usize, row: u32, rid: i64) {
        if let (Some(_), Some(phone)) = (&d.id_number, &d.phone) {
            self.by_name_phone.entry(name_phone_hash(&d.name, phone)).or_insert((sheet, row, rid));
        }
    }

    fn same_name_and_phone(
        &self,
        w: &Write<'_>,
        d: &ResidentDraft,
    ) -> Result<Option<(usize, u32)>> {
        let (None, Some(phone)) = (&d.id_number, &d.phone) else { return Ok(None) };
        let Some(&(sheet, row, rid)) = self.by_name_phone.get(&name_phone_hash(&d.name, phone))
        else {
            return Ok(None);
        };
        let same: bool = w
            .tx()
            .prepare_cached("SELECT name = ?2 AND phone = ?3 FROM residents WHERE rid = ?1")?
            .query_row((rid, &d.name, phone), |r| r.get(0))?;
        Ok(same.then_some((sheet, row)))
    }

    fn flush_created(&mut self, w: &mut Write<'_>) -> Result<()> {
        if self.created_ids.is_empty() {
            return Ok(());
        }
        let ids = std::mem::take(&mut self.created_ids);
        let first = self.chunk_first_rid.take().unwrap_or(self.writer.last_rid);
        // The audit entry lists the created ids; the operation names them by their local row
        // range (one transaction, one writer: the range holds exactly this chunk). The rows
        // stay in `residents` and the sync client reads them when it pushes, so a bulk import
        // writes each row once.
        let op = w.emit(
            "residents.import",
            &json!({
                "batch_id": self.batch_id,
                "rids": [first, self.writer.last_rid],
                "count": ids.len(),
                "areas": std::mem::take(&mut self.writer.areas.created),
                "tags": std::mem::take(&mut self.writer.tags.created),
            }),
        )?;
        w.audit(AuditEntry {
            action: "import.create".into(),
            entity: "resident".into(),
            after: Some(json!({ "rows": ids.len() })),
            entity_ids: ids,
            op_id: Some(op.op_id),
            batch_id: Some(self.batch_id.clone()),
            ..AuditEntry::default()
        })?;
        Ok(())
    }

    fn flush_updates(&mut self, w: &mut Write<'_>) -> Result<()> {
        if self.updates.is_empty() {
            return Ok(());
        }
        let updates = std::mem::take(&mut self.updates);
        let mut before = serde_json::Map::new();
        let mut after = serde_json::Map::new();
        let mut ops = Vec::with_capacity(updates.len());
        for (id, changes, hlc) in &updates {
            let b: serde_json::Map<_, _> =
                changes.iter().map(|c| (c.field.clone(), json!(c.before))).collect();
            let a: serde_json::Map<_, _> =
                changes.iter().map(|c| (c.field.clone(), json!(c.after))).collect();
            before.insert(id.clone(), b.into());
            after.insert(id.clone(), a.into());
            ops.push(json!({ "id": id, "hlc": hlc, "changes": changes }));
        }
        let ids: Vec<String> = updates.into_iter().map(|(id, _, _)| id).collect();
        let op = w.emit(
            "residents.import_update",
            &json!({
                "batch_id": self.batch_id,
                "updates": ops,
                "areas": std::mem::take(&mut self.writer.areas.created),
                "tags": std::mem::take(&mut self.writer.tags.created),
            }),
        )?;
        w.audit(AuditEntry {
            action: "import.update".into(),
            entity: "resident".into(),
            entity_ids: ids.clone(),
            before: Some(before.into()),
            after: Some(after.into()),
            op_id: Some(op.op_id),
            batch_id: Some(self.batch_id.clone()),
            subjects: ids,
        })?;
        Ok(())
    }

    fn finish(&mut self, w: &mut Write<'_>) -> Result<()> {
        self.flush_created(w)?;
        self.flush_updates(w)?;
        let t = Instant::now();
        crate::residents::writer::index_batch(w, self.batch_rid)?;
        tracing::debug!(seconds = t.elapsed().as_secs_f64(), "search rows written");
        let t = Instant::now();
        for (_, sql) in std::mem::take(&mut self.dropped_indexes) {
            w.tx().execute_batch(&sql)?;
        }
        tracing::debug!(seconds = t.elapsed().as_secs_f64(), "secondary indexes rebuilt");
        w.tx().execute_batch(
            "INSERT INTO residents_fts (residents_fts, rank) VALUES ('automerge', 4);
             INSERT INTO residents_fts (residents_fts, rank) VALUES ('hashsize', 1048576);",
        )?;
        let r = &self.report;
        // Stamped after every change of the batch: undo tells later edits by a newer clock.
        let hlc = w.stamp();
        w.tx().execute(
            "UPDATE batches SET hlc = ?2, rows_read = ?3, created = ?4, updated = ?5,
                                unchanged = ?6, rejected = ?7
             WHERE rid = ?1",
            rusqlite::params![
                self.batch_rid,
                hlc.0,
                r.rows_read as i64,
                r.created as i64,
                r.updated as i64,
                r.unchanged as i64,
                r.rejected.len() as i64
            ],
        )?;
        let summary = json!({
            "file": r.file, "rows_read": r.rows_read, "created": r.created,
            "updated": r.updated, "unchanged": r.unchanged, "rejected": r.rejected.len(),
        });
        let op =
            w.emit("import.batch", &json!({ "batch_id": self.batch_id, "summary": summary }))?;
        w.audit(AuditEntry {
            action: "import.batch".into(),
            entity: "import_batch".into(),
            entity_ids: vec![self.batch_id.clone()],
            after: Some(summary),
            op_id: Some(op.op_id),
            batch_id: Some(self.batch_id.clone()),
            ..AuditEntry::default()
        })?;
        self.report.batch_id = Some(self.batch_id.clone());
        Ok(())
    }
}

impl SheetImport for Run {
    fn skipped_sheets(&mut self) -> &mut Vec<SkippedSheet> {
        &mut self.report.skipped_sheets
    }

    fn sheets_found(&self) -> usize {
        self.report.sheets.len()
    }

    /// One sheet, in two threads: the reader streams rows, finds the header and judges each
    /// row; this thread dedups and writes. The channel is bounded, so memory stays bounded
    /// whatever the file, and the two cores of an office laptop both work.
    fn sheet(
        &mut self,
        w: &mut Write<'_>,
        input: &mut dyn Input,
        index: usize,
        name: &str,
        opts: &ImportOptions,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(u64),
    ) -> Result<()> {
        let (mapping, today) = (opts.mapping.as_ref(), self.today);
        let (tx, rx) = std::sync::mpsc::sync_channel::<Message>(8);
        std::thread::scope(|scope| -> Result<()> {
            let reader = scope.spawn(move || read_sheet(input, index, mapping, today, cancel, tx));
            let mut outcome = Ok(());
            let mut sheet_no = None;
            for message in rx.iter() {
                if cancel.load(Ordering::Relaxed) {
                    outcome = Err(CoreError::Cancelled);
                    break;
                }
                match message {
                    Message::Header(h) => {
                        sheet_no = Some(self.report.sheets.len());
                        self.report.sheets.push(SheetReport::found(name, h.row, h.mapping));
                    }
                    Message::Skipped(reason) => {
                        self.report
                            .skipped_sheets
                            .push(SkippedSheet { name: name.to_owned(), reason: reason.into() });
                    }
                    Message::Rows(rows) => {
                        let Some(sheet) = sheet_no else { continue };
                        for (row, judged) in rows {
                            if let Err(e) = self.row(w, sheet, name, row, judged) {
                                outcome = Err(e);
                                break;
                            }
                            if self.done.is_multiple_of(PROGRESS_EVERY) {
                                progress(self.done);
                            }
                        }
                        if outcome.is_err() {
                            break;
                        }
                    }
                }
            }
            // Dropping the receiver stops a reader still sending (it sees the channel closed).
            drop(rx);
            let read = reader
                .join()
                .map_err(|_| CoreError::Internal("the roster reader panicked".into()))?;
            outcome?;
            if cancel.load(Ordering::Relaxed) {
                return Err(CoreError::Cancelled);
            }
            read?;
            progress(self.done);
            Ok(())
        })
    }
}

/// What the reader thread sends.
enum Message {
    Header(Header),
    Skipped(&'static str),
    Rows(Vec<(u32, RowOutcome)>),
}

const ROWS_PER_MESSAGE: usize = 512;

/// The reader thread: streams the sheet, finds its header among the first 10 rows, judges
/// every row below it. Stops when the writer hangs up or the import is cancelled.
fn read_sheet(
    input: &mut dyn Input,
    index: usize,
    mapping: Option<&Mapping>,
    today: chrono::NaiveDate,
    cancel: &AtomicBool,
    tx: std::sync::mpsc::SyncSender<Message>,
) -> Result<(), ReadError> {
    let mut head: Vec<RawRow> = Vec::with_capacity(10);
    let mut header: Option<Header> = None;
    let mut decided = false;
    let mut batch: Vec<(u32, RowOutcome)> = Vec::with_capacity(ROWS_PER_MESSAGE);
    let mut hung_up = false;
    let send = |m: Message, hung_up: &mut bool| {
        if tx.send(m).is_err() {
            *hung_up = true;
        }
    };
    let decide = |head: &mut Vec<RawRow>, header: &mut Option<Header>, hung_up: &mut bool| {
        match header::detect(head, mapping) {
            Some(h) => {
                send(Message::Header(h.clone()), hung_up);
                let below: Vec<(u32, RowOutcome)> = head
                    .iter()
                    .filter(|r| r.row > h.row)
                    .map(|r| (r.row, row::judge(r, &h, today)))
                    .collect();
                send(Message::Rows(below), hung_up);
                *header = Some(h);
            }
            None => {
                send(Message::Skipped(sheets::no_header_reason(head)), hung_up);
            }
        }
        head.clear();
    };
    input.visit_rows(index, &mut |raw: RawRow| {
        if hung_up || cancel.load(Ordering::Relaxed) {
            return ControlFlow::Break(());
        }
        match &header {
            Some(h) => {
                batch.push((raw.row, row::judge(&raw, h, today)));
                if batch.len() >= ROWS_PER_MESSAGE {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(ROWS_PER_MESSAGE));
                    if tx.send(Message::Rows(full)).is_err() {
                        hung_up = true;
                    }
                }
                ControlFlow::Continue(())
            }
            None => {
                head.push(raw);
                if head.len() < 10 {
                    return ControlFlow::Continue(());
                }
                decided = true;
                decide(&mut head, &mut header, &mut hung_up);
                if header.is_some() {
                    ControlFlow::Continue(())
                } else {
                    ControlFlow::Break(())
                }
            }
        }
    })?;
    if !decided {
        // A sheet shorter than 10 rows: look for its header now.
        decide(&mut head, &mut header, &mut hung_up);
    }
    if !batch.is_empty() {
        let _ = tx.send(Message::Rows(batch));
    }
    Ok(())
}
