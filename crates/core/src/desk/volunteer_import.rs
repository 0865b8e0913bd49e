//! The import wizard's volunteer path: the same steps as a resident roster (preview with the
//! detected columns, a dry run, the import with progress and cancel, saved mappings) over the
//! volunteer field set, through `import::volunteers`.

use std::collections::BTreeMap;
use std::path::Path;

use super::imports::file_preview;
use super::types::*;
use super::Desk;
use crate::error::{CoreError, Result};
use crate::import::header::Mapping;
use crate::import::volunteers::mapping_from_json;
use crate::import::{self, VolunteerField, VolunteerImportReport};

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
        file_preview::<VolunteerField>(path)
    }

    /// A dry run or the import of a volunteer roster. It shares the one import slot with
    /// resident rosters, so [`Desk::import_cancel`] stops it and nothing is written.
    pub fn volunteer_import_run(
        &self,
        req: &ImportRequest,
        on_event: &mut dyn FnMut(ImportEvent),
    ) -> Result<VolunteerImportReport> {
        let mapping = req.columns.as_deref().map(volunteer_mapping).transpose()?;
        self.run_import(req, mapping, on_event, import::import_volunteers)
    }

    /// Volunteer mappings saved by name.
    pub fn volunteer_mappings(&self) -> Result<Vec<SavedMapping>> {
        self.saved_mappings(MAPPING_PREFIX, |json| mapping_from_json(json).ok())
    }

    pub fn volunteer_mapping_save(&self, m: SavedMapping) -> Result<Vec<SavedMapping>> {
        self.store_mapping(MAPPING_PREFIX, &m, volunteer_mapping)?;
        self.volunteer_mappings()
    }
}
