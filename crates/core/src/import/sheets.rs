//! What the resident and the volunteer import share around their rows: the file opened and
//! named, the sheets the options select handed over in order (the others reported
//! `not_selected`), and the checks that the sheet asked for exists and that some sheet was a
//! roster.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use super::report::{Progress, SheetReport, SkippedSheet};
use super::source::{Input, RawRow, ReadError};
use super::ImportOptions;
use crate::error::{CoreError, Result};
use crate::write::Write;

/// Opens a roster file, with the name its report gives it (the file name, else the path).
pub(super) fn open(path: &Path, opts: &ImportOptions) -> Result<(Box<dyn Input>, String)> {
    let input = super::read::open(path, &opts.limits)?;
    let file = path
        .file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    Ok((input, file))
}

/// Why a sheet whose first rows hold no header is skipped: `empty` or `no_header`.
pub(super) fn no_header_reason(head: &[RawRow]) -> &'static str {
    if head.iter().all(RawRow::is_blank) {
        "empty"
    } else {
        "no_header"
    }
}

impl SheetReport {
    /// A sheet whose header was found: its counts start at 0.
    pub(super) fn found(name: &str, header_row: u32, mapping: BTreeMap<String, String>) -> Self {
        SheetReport { name: name.to_owned(), header_row, mapping, ..SheetReport::default() }
    }
}

/// One kind of roster's import, as [`import_sheets`] drives it.
pub(super) trait SheetImport {
    /// The report's sheets skipped, where the sheets the options leave out are added.
    fn skipped_sheets(&mut self) -> &mut Vec<SkippedSheet>;
    /// How many sheets had a header (and were imported).
    fn sheets_found(&self) -> usize;
    /// Imports one sheet: reports it found or skipped, its rows, `progress` in rows done.
    #[allow(clippy::too_many_arguments)]
    fn sheet(
        &mut self,
        w: &mut Write<'_>,
        input: &mut dyn Input,
        index: usize,
        name: &str,
        opts: &ImportOptions,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(u64),
    ) -> Result<()>;
}

/// Imports each sheet the options select, in order, with `progress` counting rows done out of
/// the rows the sheets hint at. Errors when the options name a sheet the file does not have,
/// or when no sheet had a header (`not_a_roster` says what a header names).
pub(super) fn import_sheets(
    run: &mut impl SheetImport,
    w: &mut Write<'_>,
    input: &mut dyn Input,
    opts: &ImportOptions,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(Progress),
    not_a_roster: &str,
) -> Result<()> {
    let sheets = input.sheets().to_vec();
    let expected: u64 = sheets.iter().filter_map(|s| s.rows_hint).sum();
    let mut report_progress =
        |done: u64| progress(Progress { rows_done: done, rows_expected: expected.max(done) });
    for (index, info) in sheets.iter().enumerate() {
        if opts.sheet.as_ref().is_some_and(|only| only != &info.name) {
            let reason = "not_selected".to_owned();
            run.skipped_sheets().push(SkippedSheet { name: info.name.clone(), reason });
            continue;
        }
        run.sheet(w, input, index, &info.name, opts, cancel, &mut report_progress)?;
    }
    if let Some(only) = &opts.sheet {
        if !sheets.iter().any(|s| &s.name == only) {
            return Err(CoreError::Invalid(format!("the file has no sheet named “{only}”")));
        }
    }
    if run.sheets_found() == 0 {
        return Err(ReadError::NotARoster(not_a_roster.to_owned()).into());
    }
    Ok(())
}
