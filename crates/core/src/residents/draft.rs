//! A resident as a roster row describes them, validated and normalised but not yet stored.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    #[serde(rename = "M")]
    Male,
    #[serde(rename = "F")]
    Female,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "M",
            Sex::Female => "F",
        }
    }
    pub fn from_code(s: &str) -> Option<Sex> {
        match s {
            "M" => Some(Sex::Male),
            "F" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// Every field is already normalised: trimmed, NFC, identity number upgraded to 18 characters,
/// phone stripped to digits (landlines keep `0AAA-NNNNNNNN`). `None` means "the row did not
/// say", which never erases a stored value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResidentDraft {
    pub name: String,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub street: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
    /// A free-text address when the roster keeps one column instead of building/unit/room.
    pub address: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    /// Columns the importer did not recognise, and extra phones, by header text.
    pub attributes: BTreeMap<String, String>,
}
