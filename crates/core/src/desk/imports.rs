//! The import wizard's steps: preview a file (sheets, detected columns, first rows), run a dry
//! run or the import with progress and cancel, the history with undo, saved mappings, and the
//! rejected rows written back to a spreadsheet the office can fix and import again.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use rust_xlsxwriter::{Format, Workbook};

use super::types::*;
use super::{lock, Desk};
use crate::context::Ctx;
use crate::error::{CoreError, Result};
use crate::export::defuse;
use crate::i18n::Lang;
use crate::import::header::{self, cell_text, Field, FieldSet, Mapping, SEARCH_ROWS};
use crate::import::source::{Limits, RawRow};
use crate::import::{self, BatchSummary, ImportOptions, ImportReport, Progress, UndoReport};

/// Data rows the wizard previews under the header.
const PREVIEW_ROWS: usize = 8;
/// The column the rejected-rows file adds; the header detector ignores it on the way back.
const PROBLEM_COLUMN: &str = "导入问题";
const MAPPING_PREFIX: &str = "mapping.";

fn texts(row: &RawRow, width: usize) -> Vec<String> {
    let mut cells: Vec<String> = row.cells.iter().map(cell_text).collect();
    cells.resize(width.max(cells.len()), String::new());
    cells
}

/// The first rows of one sheet: enough to find the header and show some data below it.
pub(super) fn head_rows(
    input: &mut dyn import::source::Input,
    index: usize,
    want: usize,
) -> Result<Vec<RawRow>> {
    let mut head = Vec::new();
    input.visit_rows(index, &mut |raw| {
        if !raw.is_blank() || head.len() < SEARCH_ROWS {
            head.push(raw);
        }
        if head.len() >= want {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    Ok(head)
}

/// One sheet as the wizard shows it, its columns read as fields of the set `F`.
pub(super) fn sheet_preview<F: FieldSet>(
    name: String,
    rows_hint: Option<u64>,
    head: &[RawRow],
) -> SheetPreview {
    let top = &head[..head.len().min(SEARCH_ROWS)];
    match header::detect_fields::<F>(top, None) {
        Some(h) => {
            let width = h.texts.len();
            let columns = h
                .texts
                .iter()
                .zip(&h.columns)
                .map(|(t, role)| ColumnPreview { header: t.clone(), field: role.key().into() })
                .collect();
            let rows = head
                .iter()
                .filter(|r| r.row > h.row && !r.is_blank())
                .take(PREVIEW_ROWS)
                .map(|r| PreviewRow { row: r.row, cells: texts(r, width) })
                .collect();
            SheetPreview { name, header_row: Some(h.row), columns, rows, rows_hint }
        }
        None => {
            // No header: show the rows as they are, so the official can see why and map the
            // columns by hand (a mapping's names count towards finding the header).
            let mut rows = head.iter().filter(|r| !r.is_blank());
            let first = rows.next();
            let width = head.iter().map(|r| r.cells.len()).max().unwrap_or(0);
            let columns = first
                .map(|r| texts(r, width))
                .unwrap_or_default()
                .into_iter()
                .map(|t| ColumnPreview { header: t, field: "attribute".into() })
                .collect();
            let rows = rows
                .take(PREVIEW_ROWS)
                .map(|r| PreviewRow { row: r.row, cells: texts(r, width) })
                .collect();
            SheetPreview { name, header_row: None, columns, rows, rows_hint }
        }
    }
}

/// What the wizard shows after a roster is chosen, its columns read as fields of the set `F`:
/// each sheet's detected header and first rows, and the fields a column can map to.
pub(super) fn file_preview<F: FieldSet>(path: &Path) -> Result<ImportPreview> {
    let mut input = import::read::open(path, &Limits::default())?;
    let infos = input.sheets().to_vec();
    let mut sheets = Vec::with_capacity(infos.len());
    for (index, info) in infos.into_iter().enumerate() {
        let head = head_rows(input.as_mut(), index, SEARCH_ROWS + PREVIEW_ROWS)?;
        sheets.push(sheet_preview::<F>(info.name, info.rows_hint, &head));
    }
    let mut fields: Vec<String> = F::all().iter().map(|f| f.key().to_owned()).collect();
    fields.extend(["attribute".to_owned(), "ignore".to_owned()]);
    Ok(ImportPreview {
        path: path.display().to_string(),
        file: path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
        format: input.format().as_str().to_owned(),
        encoding: input.encoding().map(str::to_owned),
        sheets,
        fields,
    })
}

/// An importer of one kind of roster (`import::import_file`, `import::import_volunteers`).
pub(super) type Importer<R> =
    fn(&mut Ctx<'_>, &Path, &ImportOptions, &mut dyn FnMut(Progress), &AtomicBool) -> Result<R>;

fn mapping_of(columns: &[(String, String)]) -> Result<Mapping> {
    let map: BTreeMap<&str, &str> = columns.iter().map(|(h, f)| (h.as_str(), f.as_str())).collect();
    serde_json::from_value(serde_json::json!({ "columns": map }))
        .map_err(|e| CoreError::Invalid(format!("column mapping: {e}")))
}

/// Clears the running import's cancel flag however the import ends.
pub(super) struct Running<'a>(&'a Desk);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        *lock(&self.0.cancel) = None;
    }
}

impl Desk {
    /// Claims the one import slot (residents or volunteers): the cancel flag
    /// [`Desk::import_cancel`] sets, cleared when the guard drops however the import ends.
    pub(super) fn claim_import(&self) -> Result<(Arc<AtomicBool>, Running<'_>)> {
        let cancel = Arc::new(AtomicBool::new(false));
        let mut slot = lock(&self.cancel);
        if slot.is_some() {
            return Err(CoreError::Invalid("another import is running".into()));
        }
        *slot = Some(cancel.clone());
        Ok((cancel, Running(self)))
    }

    /// What the wizard shows after a file is chosen.
    pub fn import_preview(&self, path: &Path) -> Result<ImportPreview> {
        file_preview::<Field>(path)
    }

    /// Runs a dry run or the import. One import at a time; [`Desk::import_cancel`] stops it
    /// and nothing is written.
    pub fn import_run(
        &self,
        req: &ImportRequest,
        on_event: &mut dyn FnMut(ImportEvent),
    ) -> Result<ImportReport> {
        let mapping = req.columns.as_deref().map(mapping_of).transpose()?;
        self.run_import(req, mapping, on_event, import::import_file)
    }

    /// The import of a roster of any kind (`import` is the importer of that kind), once its
    /// column mapping is read: claims the one import slot, announces the start, forwards the
    /// progress, and writes through the store (a dry run rolls back).
    pub(super) fn run_import<R>(
        &self,
        req: &ImportRequest,
        mapping: Option<Mapping>,
        on_event: &mut dyn FnMut(ImportEvent),
        import: Importer<R>,
    ) -> Result<R> {
        let (cancel, _running) = self.claim_import()?;
        let opts = ImportOptions {
            mapping,
            sheet: req.sheet.clone(),
            dry_run: req.dry_run,
            lang: Some(Lang::from_tag(&req.lang).unwrap_or(Lang::ZhCn)),
            limits: Limits::default(),
        };
        on_event(ImportEvent::Started { rows_expected: 0 });
        self.write(|ctx| {
            import(
                ctx,
                Path::new(&req.path),
                &opts,
                &mut |p| {
                    on_event(ImportEvent::Progress {
                        rows_done: p.rows_done,
                        rows_expected: p.rows_expected,
                    })
                },
                &cancel,
            )
        })
    }

    /// Asks the running import to stop; false when none runs.
    pub fn import_cancel(&self) -> bool {
        match lock(&self.cancel).as_ref() {
            Some(flag) => {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    pub fn import_history(&self) -> Result<Vec<BatchSummary>> {
        self.read(|store, _| import::batches(store))
    }

    pub fn import_undo(&self, batch_id: &str) -> Result<UndoReport> {
        self.write(|ctx| import::undo_batch(ctx, batch_id))
    }

    /// Mappings saved by name (the command line's `--save-mapping` saves the same ones).
    pub fn mappings(&self) -> Result<Vec<SavedMapping>> {
        self.saved_mappings(MAPPING_PREFIX, |json| serde_json::from_str::<Mapping>(json).ok())
    }

    pub fn save_mapping(&self, m: SavedMapping) -> Result<Vec<SavedMapping>> {
        self.store_mapping(MAPPING_PREFIX, &m, mapping_of)?;
        self.mappings()
    }

    /// The mappings saved under `prefix` (one kind of roster's), each read by `parse`. One
    /// saved by an older or newer program that no longer parses is left out of the list
    /// rather than breaking the wizard.
    pub(super) fn saved_mappings(
        &self,
        prefix: &str,
        parse: fn(&str) -> Option<Mapping>,
    ) -> Result<Vec<SavedMapping>> {
        self.read(|store, _| {
            let mut out = Vec::new();
            for (key, json) in store.settings_with_prefix(prefix)? {
                let Some(m) = parse(&json) else { continue };
                let name = key.trim_start_matches(prefix).to_owned();
                out.push(SavedMapping { name, columns: m.columns.into_iter().collect() });
            }
            Ok(out)
        })
    }

    /// Saves a named mapping under `prefix`, its columns checked by `check` first.
    pub(super) fn store_mapping(
        &self,
        prefix: &str,
        m: &SavedMapping,
        check: fn(&[(String, String)]) -> Result<Mapping>,
    ) -> Result<()> {
        let name = m.name.trim();
        if name.is_empty() {
            return Err(CoreError::Invalid("give the mapping a name".into()));
        }
        let mapping = check(&m.columns)?;
        let open = self.current()?;
        let store = lock(&open.writer);
        store.set_setting(&format!("{prefix}{name}"), &serde_json::to_string(&mapping)?)?;
        Ok(())
    }

    /// Writes the rows an import rejected, under their sheet's header and with the reasons in
    /// a last column, to an .xlsx the office can correct and import again. Reads the source
    /// file again: the store never held those rows.
    pub fn rejected_export(&self, source: &Path, report: &ImportReport, out: &Path) -> Result<u64> {
        let mut reasons: BTreeMap<(&str, u32), Vec<&str>> = BTreeMap::new();
        for p in &report.rejected {
            reasons.entry((p.sheet.as_str(), p.row)).or_default().push(p.message.as_str());
        }
        let wanted: BTreeSet<&str> = reasons.keys().map(|(s, _)| *s).collect();
        let mut input = import::read::open(source, &Limits::default())?;
        let xlsx = |e: rust_xlsxwriter::XlsxError| CoreError::Export(e.to_string());
        let mut book = Workbook::new();
        let text = Format::new().set_num_format("@");
        let bold = Format::new().set_bold();
        let mut written = 0u64;
        let infos = input.sheets().to_vec();
        for (index, info) in infos.iter().enumerate() {
            if !wanted.contains(info.name.as_str()) {
                continue;
            }
            let used = report.sheets.iter().find(|s| s.name == info.name);
            let mapping = used.map(|s| Mapping { columns: s.mapping.clone() });
            let head = head_rows(input.as_mut(), index, SEARCH_ROWS)?;
            let Some(h) = header::detect(&head, mapping.as_ref()) else { continue };
            let width = h.texts.len();
            let sheet = book.add_worksheet();
            let name: String = info.name.chars().take(31).collect();
            sheet.set_name(&name).map_err(xlsx)?;
            for (c, t) in h.texts.iter().chain([&PROBLEM_COLUMN.to_owned()]).enumerate() {
                sheet.write_string_with_format(0, c as u16, defuse(t), &bold).map_err(xlsx)?;
            }
            for c in 0..width {
                sheet.set_column_format(c as u16, &text).map_err(xlsx)?;
            }
            let mut at = 1u32;
            let mut failed = None;
            input.visit_rows(index, &mut |raw| {
                let Some(why) = reasons.get(&(info.name.as_str(), raw.row)) else {
                    return ControlFlow::Continue(());
                };
                let mut cells = texts(&raw, width);
                cells.truncate(width.max(1));
                cells.resize(width, String::new());
                cells.push(why.join("；"));
                for (c, v) in cells.iter().enumerate() {
                    if let Err(e) = sheet.write_string(at, c as u16, defuse(v)) {
                        failed = Some(e);
                        return ControlFlow::Break(());
                    }
                }
                at += 1;
                ControlFlow::Continue(())
            })?;
            if let Some(e) = failed {
                return Err(xlsx(e));
            }
            sheet.set_column_width(width as u16, 40).map_err(xlsx)?;
            written += u64::from(at - 1);
        }
        if written == 0 {
            return Err(CoreError::Invalid(
                "this import rejected no rows; there is nothing to export".into(),
            ));
        }
        book.save(out).map_err(xlsx)?;
        self.write(|ctx| crate::export::record_rejected_export(ctx, out, written))?;
        Ok(written)
    }
}
