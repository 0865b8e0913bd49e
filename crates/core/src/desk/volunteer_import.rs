//! The import wizard's volunteer path: the same steps as a resident roster (preview with the
//! detected columns, a dry run, the import with progress and cancel, saved mappings) over the
//! volunteer field set, through `import::volunteers`.

use std::collections::BTreeMap;
use std::path::Path;

use super::imports::{head_rows, sheet_preview};
use super::types::*;
use super::{lock, Desk};
use crate::error::{CoreError, Result};
use crate::i18n::Lang;
use crate::import::header::{FieldSet, Mapping, SEARCH_ROWS};
use crate::import::source::Limits;
use crate::import::volunteers::mapping_from_json;
use crate::import::{self, ImportOptions, VolunteerField, VolunteerImportReport};

/// Data rows the wizard previews under the header (as for residents).
const PREVIEW_ROWS: usize = 8;
/// Saved volunteer mappings, apart from the residents' (`mapping.`): their fields differ.
const MAPPING_PREFIX: &str = "volunteer_mapping.";

fn volunteer_mapping(columns: &[(String, String)]) -> Result<Mapping> {
    let map: BTreeMap<String, String> = columns.iter().cloned().collect();
    Mapping::checked::<VolunteerField>(map)
        .map_err(|e| CoreError::Invalid(format!("column mapping: {e}")))
}

impl Desk {
    /// What the wizard shows after a volunteer roster is chosen: each sheet's columns read as
    /// volunteer fields, and the fields a column can map to.
    pub fn volunteer_import_preview(&self, path: &Path) -> Result<ImportPreview> {
        let mut input = import::read::open(path, &Limits::default())?;
        let infos = input.sheets().to_vec();
        let mut sheets = Vec::with_capacity(infos.len());
        for (index, info) in infos.into_iter().enumerate() {
            let head = head_rows(input.as_mut(), index, SEARCH_ROWS + PREVIEW_ROWS)?;
            sheets.push(sheet_preview::<VolunteerField>(info.name, info.rows_hint, &head));
        }
        let mut fields: Vec<String> =
            VolunteerField::all().iter().map(|f| f.key().to_owned()).collect();
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

    /// A dry run or the import of a volunteer roster. It shares the one import slot with
    /// resident rosters, so [`Desk::import_cancel`] stops it and nothing is written.
    pub fn volunteer_import_run(
        &self,
        req: &ImportRequest,
        on_event: &mut dyn FnMut(ImportEvent),
    ) -> Result<VolunteerImportReport> {
        let mapping = req.columns.as_deref().map(volunteer_mapping).transpose()?;
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
            import::import_volunteers(
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

    /// Volunteer mappings saved by name.
    pub fn volunteer_mappings(&self) -> Result<Vec<SavedMapping>> {
        self.read(|store, _| {
            let mut out = Vec::new();
            for (key, json) in store.settings_with_prefix(MAPPING_PREFIX)? {
                // One that no longer parses is left out rather than breaking the wizard.
                let Ok(m) = mapping_from_json(&json) else { continue };
                let name = key.trim_start_matches(MAPPING_PREFIX).to_owned();
                out.push(SavedMapping { name, columns: m.columns.into_iter().collect() });
            }
            Ok(out)
        })
    }

    pub fn volunteer_mapping_save(&self, m: SavedMapping) -> Result<Vec<SavedMapping>> {
        let name = m.name.trim();
        if name.is_empty() {
            return Err(CoreError::Invalid("give the mapping a name".into()));
        }
        let mapping = volunteer_mapping(&m.columns)?;
        {
            let open = self.current()?;
            let store = lock(&open.writer);
            store.set_setting(
                &format!("{MAPPING_PREFIX}{name}"),
                &serde_json::to_string(&mapping)?,
            )?;
        }
        self.volunteer_mappings()
    }
}
