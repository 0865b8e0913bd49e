//! The volunteer roster importer: the residents' readers (any format, sniffed by bytes) and
//! header detection over the volunteer field set (`volunteer_fields`), each row judged
//! (`judge`), duplicates within the file and against the volunteers already stored skipped,
//! home areas resolved or created as the residents import does, and a volunteer linked to the
//! resident they also are. ONE write-path command: one `volunteer.import` operation and one
//! audit entry per chunk of 1,000 volunteers; a dry run is the same command rolled back.
//!
//! Rosters of volunteers are thousands of rows, so rows are judged and written on one thread
//! as they stream (memory still stays bounded whatever file is chosen).

mod judge;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use judge::{parse_health, MAX_CAPACITY};

use self::judge::{Judge, Judged};
use super::header::{self, Header, Mapping, SEARCH_ROWS};
use super::report::{Duplicate, Progress, RowProblem, SheetReport, SkippedSheet};
use super::sheets::{self, SheetImport};
use super::source::{Input, RawRow};
use super::volunteer_fields::VolunteerField;
use super::ImportOptions;
use crate::areas::{Place, Resolver};
use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::i18n::Lang;
use crate::volunteers::{self, VolunteerDraft};
use crate::write::{AuditEntry, Write};

/// Volunteers per outbox operation and audit entry.
pub const CHUNK: usize = 1000;
/// Rows between progress reports.
const PROGRESS_EVERY: u64 = 200;

/// What a volunteer import did (or, dry, would do), shaped as the residents' report: counts,
/// and each row's problem with its sheet and row number as the official sees them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct VolunteerImportReport {
    pub file: String,
    pub format: String,
    pub encoding: Option<String>,
    /// Per sheet imported (`updated` and `unchanged` stay 0: a volunteer import only creates).
    pub sheets: Vec<SheetReport>,
    pub skipped_sheets: Vec<SkippedSheet>,
    /// Data rows read below the header, blank rows not counted.
    #[ts(type = "number")]
    pub rows_read: u64,
    #[ts(type = "number")]
    pub created: u64,
    #[ts(type = "number")]
    pub blank_rows: u64,
    /// Rows not imported, each with its first failing rule.
    pub rejected: Vec<RowProblem>,
    /// Imported rows with something to check (linked to a resident of another name).
    pub warnings: Vec<RowProblem>,
    /// Rows naming a person an earlier row of the file named: skipped.
    pub duplicates: Vec<Duplicate>,
    /// Rows naming someone who is already a volunteer: skipped (edit them on their page).
    pub existing: Vec<KnownVolunteer>,
    /// Volunteers created who are also a resident of the store, by identity number, or by
    /// name and phone.
    #[ts(type = "number")]
    pub linked_residents: u64,
    /// Streets, communities and grids the roster named that did not exist yet.
    #[ts(type = "number")]
    pub areas_created: u64,
    /// The volunteers created, in row order (none after a dry run).
    pub volunteer_ids: Vec<String>,
    /// Groups the import's audit entries; none after a dry run.
    pub import_id: Option<String>,
    pub dry_run: bool,
    pub seconds: f64,
}

/// A row naming someone already on the volunteer list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct KnownVolunteer {
    pub sheet: String,
    pub row: u32,
    pub volunteer_id: String,
    pub name: String,
}

/// A volunteer mapping (`{"columns": {"header text": "field"}}`), checked against the
/// volunteer fields, `attribute` (kept in the notes) and `ignore`.
pub fn mapping_from_json(text: &str) -> std::result::Result<Mapping, String> {
    #[derive(Deserialize)]
    struct File {
        columns: BTreeMap<String, String>,
    }
    let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Mapping::checked::<VolunteerField>(file.columns)
}

/// Imports a volunteer roster. Errors mean the file could not be imported at all and nothing
/// was written; rejected rows are in the report.
pub fn import_volunteers(
    ctx: &mut Ctx<'_>,
    path: &Path,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<VolunteerImportReport> {
    let started = Instant::now();
    let (mut input, file) = sheets::open(path, opts)?;
    let lang = opts.lang.unwrap_or_else(Lang::from_env);
    let today = ctx.clock.now().date_naive();
    let body = |w: &mut Write<'_>| -> Result<VolunteerImportReport> {
        let judge = Judge { lang, today, skills: volunteers::refdata::skills_in(w.tx())? };
        let mut run = Run::new(judge, &file, input.as_ref());
        sheets::import_sheets(
            &mut run,
            w,
            input.as_mut(),
            opts,
            cancel,
            progress,
            "no sheet has a header row naming at least 3 volunteer columns (姓名, 手机, 技能, \
             可服务时间…); give a column mapping if the headers are unusual",
        )?;
        run.finish(w)?;
        Ok(run.report)
    };
    let dry_run = opts.dry_run;
    let mut report = if dry_run { ctx.dry_run(body)? } else { ctx.write(body)? };
    report.dry_run = dry_run;
    report.seconds = started.elapsed().as_secs_f64();
    if dry_run {
        report.import_id = None;
        report.volunteer_ids.clear();
    }
    tracing::info!(
        file = %report.file, rows = report.rows_read, created = report.created,
        rejected = report.rejected.len(), dry_run, seconds = report.seconds,
        "volunteer import finished"
    );
    Ok(report)
}

/// The first valid row of each person in the file: by identity number, and by name and phone.
#[derive(Default)]
struct Seen {
    by_id: HashMap<String, (usize, u32)>,
    by_name_phone: HashMap<(String, String), (usize, u32, bool)>,
}

impl Seen {
    /// The same person as an earlier row: the same identity number, else the same name and
    /// phone where one of the two rows gives no identity number (two numbers that differ are
    /// two people, whatever their names).
    fn earlier(&self, d: &VolunteerDraft) -> Option<(usize, u32)> {
        if let Some(hit) = d.id_number.as_ref().and_then(|id| self.by_id.get(id)) {
            return Some(*hit);
        }
        let key = (d.name.clone(), d.phone.clone().unwrap_or_default());
        match self.by_name_phone.get(&key) {
            Some(&(sheet, row, with_id)) if !with_id || d.id_number.is_none() => Some((sheet, row)),
            _ => None,
        }
    }

    fn remember(&mut self, d: &VolunteerDraft, sheet: usize, row: u32) {
        if let Some(id) = &d.id_number {
            self.by_id.entry(id.clone()).or_insert((sheet, row));
        }
        let key = (d.name.clone(), d.phone.clone().unwrap_or_default());
        self.by_name_phone.entry(key).or_insert((sheet, row, d.id_number.is_some()));
    }
}

/// The first live row of `table` (`volunteers` or `residents`) naming the person this draft
/// names, as (id, name): the same identity number, else the same name and phone where one of
/// the two gives no identity number, the rule [`Seen::earlier`] applies in the file (a phone
/// alone is often a household's, so it never matches two different names).
fn same_person(
    conn: &Connection,
    table: &'static str,
    d: &VolunteerDraft,
) -> Result<Option<(String, String)>> {
    if let Some(id) = &d.id_number {
        let hit = conn
            .prepare_cached(&format!(
                "SELECT id, name FROM {table} WHERE id_number = ?1 AND deleted = 0
                 ORDER BY rid LIMIT 1"
            ))?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if hit.is_some() {
            return Ok(hit);
        }
    }
    Ok(conn
        .prepare_cached(&format!(
            "SELECT id, name FROM {table} WHERE name = ?1 AND phone = ?2 AND deleted = 0
                 AND (id_number IS NULL OR ?3 IS NULL)
             ORDER BY rid LIMIT 1"
        ))?
        .query_row((&d.name, &d.phone, &d.id_number), |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

struct Run {
    report: VolunteerImportReport,
    judge: Judge,
    import_id: String,
    areas: Resolver,
    seen: Seen,
    /// Volunteers created since the last operation.
    chunk: Vec<String>,
    done: u64,
}

impl Run {
    fn new(judge: Judge, file: &str, input: &dyn Input) -> Run {
        Run {
            report: VolunteerImportReport {
                file: file.to_owned(),
                format: input.format().as_str().to_owned(),
                encoding: input.encoding().map(str::to_owned),
                ..VolunteerImportReport::default()
            },
            judge,
            import_id: uuid::Uuid::now_v7().to_string(),
            areas: Resolver::default(),
            seen: Seen::default(),
            chunk: Vec::with_capacity(CHUNK),
            done: 0,
        }
    }

    /// Finds the sheet's header among its first rows and judges the rows below it.
    fn start(
        &mut self,
        w: &mut Write<'_>,
        name: &str,
        head: Vec<RawRow>,
        mapping: Option<&Mapping>,
    ) -> Result<Option<Header<VolunteerField>>> {
        let Some(h) = header::detect_fields::<VolunteerField>(&head, mapping) else {
            let reason = sheets::no_header_reason(&head).into();
            let skipped = SkippedSheet { name: name.to_owned(), reason };
            self.report.skipped_sheets.push(skipped);
            return Ok(None);
        };
        self.report.sheets.push(SheetReport::found(name, h.row, h.mapping.clone()));
        for raw in head.iter().filter(|r| r.row > h.row) {
            self.row(w, raw, &h)?;
        }
        Ok(Some(h))
    }

    fn row(&mut self, w: &mut Write<'_>, raw: &RawRow, h: &Header<VolunteerField>) -> Result<()> {
        let sheet = self.report.sheets.len() - 1;
        let judged = self.judge.row(w.tx(), raw, h);
        if matches!(judged, Judged::Blank) {
            self.report.blank_rows += 1;
            return Ok(());
        }
        self.done += 1;
        self.report.rows_read += 1;
        self.report.sheets[sheet].rows += 1;
        match judged {
            Judged::Blank => Ok(()),
            Judged::Rejected(p) => {
                self.problem(sheet, raw.row, p.field, p.code, p.message, false);
                Ok(())
            }
            Judged::Valid(r) => {
                let place = (r.street, r.community, r.grid);
                self.valid(w, sheet, raw.row, r.draft, place)
            }
        }
    }

    fn problem(
        &mut self,
        sheet: usize,
        row: u32,
        field: &str,
        code: &str,
        message: String,
        warning: bool,
    ) {
        let p = RowProblem {
            sheet: self.report.sheets[sheet].name.clone(),
            row,
            field: field.to_owned(),
            code: code.to_owned(),
            message,
        };
        if warning {
            self.report.warnings.push(p);
        } else {
            self.report.rejected.push(p);
        }
    }

    fn valid(
        &mut self,
        w: &mut Write<'_>,
        sheet: usize,
        row: u32,
        mut d: VolunteerDraft,
        (street, community, grid): (Option<String>, Option<String>, Option<String>),
    ) -> Result<()> {
        if let Some((first_sheet, first_row)) = self.seen.earlier(&d) {
            self.report.duplicates.push(Duplicate {
                sheet: self.report.sheets[sheet].name.clone(),
                row,
                same_as_row: first_row,
                same_as_sheet: self.report.sheets[first_sheet].name.clone(),
            });
            return Ok(());
        }
        self.seen.remember(&d, sheet, row);
        if let Some((volunteer_id, name)) = same_person(w.tx(), "volunteers", &d)? {
            let sheet = self.report.sheets[sheet].name.clone();
            self.report.existing.push(KnownVolunteer { sheet, row, volunteer_id, name });
            return Ok(());
        }
        // The store's own rules, the net under the row rules: a row they refuse is rejected.
        if let Err(e) = volunteers::validate(w.tx(), &mut d, self.judge.today) {
            self.problem(sheet, row, "volunteer", "invalid", e.to_string(), false);
            return Ok(());
        }
        if self.chunk.len() >= CHUNK {
            self.flush(w, None)?;
        }
        let place = Place {
            street: street.as_deref(),
            community: community.as_deref(),
            grid: grid.as_deref(),
        };
        d.area_id = self.areas.resolve(w, &place)?.map(|a| a.id);
        if let Some((resident_id, resident_name)) = same_person(w.tx(), "residents", &d)? {
            if resident_name != d.name {
                let (zh, en) = (
                    format!(
                        "身份证号码与居民“{resident_name}”相同但姓名不同，已关联该居民，请核对"
                    ),
                    format!(
                        "the identity number is resident “{resident_name}”’s, under another \
                         name; linked to that resident: check which name is right"
                    ),
                );
                let message = if self.judge.lang == Lang::ZhCn { zh } else { en };
                self.problem(sheet, row, "id_number", "resident_name_differs", message, true);
            }
            d.resident_id = Some(resident_id);
            self.report.linked_residents += 1;
        }
        let id = volunteers::insert(w, &d)?;
        self.chunk.push(id.clone());
        self.report.volunteer_ids.push(id);
        self.report.created += 1;
        self.report.sheets[sheet].created += 1;
        Ok(())
    }

    /// One operation naming the chunk's volunteers and the areas created for them, and its
    /// audit entry (the last one also sums the import up).
    fn flush(&mut self, w: &mut Write<'_>, summary: Option<serde_json::Value>) -> Result<()> {
        let ids = std::mem::take(&mut self.chunk);
        let areas = std::mem::take(&mut self.areas.created);
        self.report.areas_created += areas.len() as u64;
        let op = w.emit("volunteer.import", &json!({ "volunteer_ids": ids, "areas": areas }))?;
        w.audit(AuditEntry {
            action: "volunteer.import".into(),
            entity: volunteers::ENTITY.into(),
            entity_ids: ids.clone(),
            after: Some(json!({ "rows": ids.len(), "summary": summary })),
            op_id: Some(op.op_id),
            batch_id: Some(self.import_id.clone()),
            subjects: ids,
            ..AuditEntry::default()
        })?;
        Ok(())
    }

    /// The last chunk, with the import's summary. An import that created no one still writes
    /// it (empty): the attempt is in the audit log, and every command writes an operation.
    fn finish(&mut self, w: &mut Write<'_>) -> Result<()> {
        let r = &self.report;
        let summary = json!({
            "file": r.file, "rows_read": r.rows_read, "created": r.created,
            "rejected": r.rejected.len(), "duplicates": r.duplicates.len(),
            "existing": r.existing.len(),
        });
        self.flush(w, Some(summary))?;
        self.report.import_id = Some(self.import_id.clone());
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

    /// One sheet, streamed: its header found among the first rows, then each row judged and
    /// written as it comes.
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
        let mapping = opts.mapping.as_ref();
        let mut head: Vec<RawRow> = Vec::with_capacity(SEARCH_ROWS);
        let mut header: Option<Header<VolunteerField>> = None;
        let mut decided = false;
        let mut failed: Option<CoreError> = None;
        let mut visit = |raw: RawRow| -> Result<ControlFlow<()>> {
            if cancel.load(Ordering::Relaxed) {
                return Err(CoreError::Cancelled);
            }
            if let Some(h) = &header {
                self.row(w, &raw, h)?;
                if self.done.is_multiple_of(PROGRESS_EVERY) {
                    progress(self.done);
                }
                return Ok(ControlFlow::Continue(()));
            }
            head.push(raw);
            if head.len() < SEARCH_ROWS {
                return Ok(ControlFlow::Continue(()));
            }
            decided = true;
            header = self.start(w, name, std::mem::take(&mut head), mapping)?;
            Ok(if header.is_some() { ControlFlow::Continue(()) } else { ControlFlow::Break(()) })
        };
        input.visit_rows(index, &mut |raw| {
            visit(raw).unwrap_or_else(|e| {
                failed = Some(e);
                ControlFlow::Break(())
            })
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        if !decided {
            // A sheet shorter than the rows the header is looked for in.
            self.start(w, name, head, mapping)?;
        }
        progress(self.done);
        Ok(())
    }
}
