//! Judging one roster row: normalise its cells and apply the spec's rules in its order
//! (cell_too_long, missing_name, identity number, phone, missing_identity); the first failing
//! rule rejects the row. Sex and birth date that contradict the identity number only warn.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::header::{ColumnRole, Field, Header};
use super::issue::{IssueCode, RowIssue};
use super::source::{Cell, RawRow};
use crate::identity::{self, PhonePart};
use crate::residents::{ResidentDraft, Sex};

/// The longest cell a row may hold.
pub const MAX_CELL_BYTES: usize = 64 * 1024;
/// The attribute that keeps the phone column's further phones.
pub const OTHER_PHONES: &str = "其他电话";
/// The attribute that keeps a sex cell the rules could not read, as typed.
pub const SEX_AS_TYPED: &str = "性别(原文)";
/// The attribute that keeps a birth date cell the rules could not read (or only a year and
/// month, when no identity number gives the date), as typed.
pub const BIRTH_DATE_AS_TYPED: &str = "出生日期(原文)";

// Most rows are valid: boxing the large variant would add an allocation to nearly every row.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum RowOutcome {
    Blank,
    Rejected(RowIssue),
    Valid { draft: ResidentDraft, warnings: Vec<RowIssue> },
}

fn reject(field: &'static str, code: IssueCode, value: Option<String>) -> RowOutcome {
    RowOutcome::Rejected(RowIssue { field, code, value })
}

/// What offices type into a cell to say "nothing here" (无 in the phone column of someone
/// without a phone), or below the last entry of a printed form (以下空白).
const WORDS_FOR_NOTHING: &[&str] = &[
    "无",
    "暂无",
    "没有",
    "空",
    "/",
    "\\",
    "-",
    "--",
    "---",
    "—",
    "——",
    "none",
    "n/a",
    "null",
    "以下空白",
    "以下无内容",
];

pub(crate) fn means_nothing(t: &str) -> bool {
    t.len() <= 15 && WORDS_FOR_NOTHING.contains(&identity::to_halfwidth(t).to_lowercase().as_str())
}

/// A cell as text: numbers without a spurious `.0`, date cells as their date. Error cells
/// (`#N/A` of a formula dragged down an empty template) and words for nothing (无, 暂无, /) say nothing.
pub(crate) fn text_of(c: &Cell) -> Option<String> {
    let s = match c {
        Cell::Empty | Cell::Error(_) => return None,
        Cell::Text(s) => identity::clean_text(s),
        Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Cell::Number(n) => n.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Date(d) => d.split('T').next().unwrap_or(d).to_owned(),
    };
    (!s.is_empty() && !means_nothing(&s)).then_some(s)
}

/// The identity number cell, told apart from one a spreadsheet already rounded.
#[derive(Default)]
pub(crate) enum IdCell {
    #[default]
    Absent,
    /// An 18-digit number held as a spreadsheet *number* keeps 15 significant digits; the
    /// rest are gone and no rule can bring them back.
    Mangled(String),
    Text(String),
}

/// `3.30402E+17`: what Excel writes into a CSV for an identity number it held as a number.
fn is_scientific_id(s: &str) -> bool {
    s.contains(['e', 'E']) && s.parse::<f64>().is_ok_and(|n| n.is_finite() && n.abs() >= 1e15)
}

pub(crate) fn id_cell(c: &Cell) -> IdCell {
    match c {
        Cell::Number(n) if n.is_finite() && n.abs() >= 1e15 => IdCell::Mangled(format!("{n:.0}")),
        // An error cell where a number should be is something to fix, not an empty cell.
        Cell::Error(e) => IdCell::Text(e.clone()),
        other => match text_of(other) {
            Some(t) if is_scientific_id(&t) => IdCell::Mangled(t),
            Some(t) => IdCell::Text(t),
            None => IdCell::Absent,
        },
    }
}

/// A phone cell as text. A landline typed without a dash into a number cell lost its leading
/// 0 (`057381234567` became 57381234567); no mobile starts with anything but 1, so it is put
/// back.
pub(crate) fn phone_text(c: &Cell) -> Option<String> {
    match c {
        Cell::Number(n) if *n >= 1.0 && n.fract() == 0.0 && *n < 1e15 => {
            let digits = format!("{}", *n as i64);
            Some(if digits.starts_with('1') { digits } else { format!("0{digits}") })
        }
        Cell::Error(e) => Some(e.clone()),
        other => text_of(other),
    }
}

fn parse_sex(s: &str) -> Option<Sex> {
    match identity::to_halfwidth(s).trim().to_lowercase().as_str() {
        // 1 and 2 are the codes of GB/T 2261.1, which exported systems write.
        "男" | "男性" | "m" | "male" | "man" | "1" => Some(Sex::Male),
        "女" | "女性" | "f" | "female" | "woman" | "2" => Some(Sex::Female),
        _ => None,
    }
}

/// A birth date cell: a full date, or only a year and month (出生年月 columns often hold
/// `1985.03`), which can still be checked against the identity number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Birth {
    Day(NaiveDate),
    Month(i32, u32),
}

fn parse_birth(s: &str) -> Option<Birth> {
    let s = identity::to_halfwidth(s);
    let s = s.trim().trim_end_matches(['日', '号']);
    let parts: Vec<&str> = s
        .split(|c: char| matches!(c, '-' | '/' | '.' | '年' | '月') || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    if !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let year = |y: &str| (y.len() == 4).then(|| y.parse::<i32>().ok()).flatten();
    let num = |p: &str| p.parse::<u32>().ok();
    let month = |y: i32, m: u32| (1..=12).contains(&m).then_some(Birth::Month(y, m));
    match parts.as_slice() {
        [y, m, d] => NaiveDate::from_ymd_opt(year(y)?, num(m)?, num(d)?).map(Birth::Day),
        [y, m] => month(year(y)?, num(m)?),
        [ymd] if ymd.len() == 8 => {
            NaiveDate::from_ymd_opt(year(&ymd[..4])?, num(&ymd[4..6])?, num(&ymd[6..])?)
                .map(Birth::Day)
        }
        [ym] if ym.len() == 6 => month(year(&ym[..4])?, num(&ym[4..])?),
        _ => None,
    }
}

/// Birth dates as offices type them: 1985-03-12, 1985/3/12, 1985.03.12, 19850312,
/// 1985年3月12日 (a date cell arrives as ISO already).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    match parse_birth(s)? {
        Birth::Day(d) => Some(d),
        Birth::Month(..) => None,
    }
}

/// Tags as offices list them in one cell, trimmed, each once, in order.
pub fn split_tags(s: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for t in s.split(['、', ',', '，', ';', '；', '/', '／', '|', '｜', '\n']) {
        let t = identity::clean_text(t);
        if !t.is_empty() && !tags.contains(&t) {
            tags.push(t);
        }
    }
    tags
}

/// Adds to an attribute rather than replacing it: further phones from two places (the phone
/// column and a column named 其他电话) must both survive.
fn add_attribute(attrs: &mut BTreeMap<String, String>, key: &str, value: String) {
    match attrs.get_mut(key) {
        Some(v) if !v.is_empty() => {
            v.push('/');
            v.push_str(&value);
        }
        _ => {
            attrs.insert(key.to_owned(), value);
        }
    }
}

fn role_key(role: Option<&ColumnRole>) -> &'static str {
    match role {
        Some(ColumnRole::Field(f)) => f.key(),
        Some(ColumnRole::ExtraPhone(_)) => Field::Phone.key(),
        _ => "attributes",
    }
}

/// Judges one row under its sheet's header.
///
/// A row is blank when no cell says anything: empty, spaces, words for nothing, error cells, and
/// ignored columns (a pre-numbered template row holds only its 序号).
pub fn judge(row: &RawRow, header: &Header, today: NaiveDate) -> RowOutcome {
    if row.is_blank() {
        return RowOutcome::Blank;
    }
    let too_long = row.cells.iter().position(|c| match c {
        Cell::Text(s) | Cell::Date(s) | Cell::Error(s) => s.len() > MAX_CELL_BYTES,
        _ => false,
    });
    if let Some(i) = too_long {
        return reject(role_key(header.columns.get(i)), IssueCode::CellTooLong, None);
    }
    // Stops at the first cell that says something: the name, in nearly every row.
    let said = |(i, c): (usize, &Cell)| {
        !matches!(header.columns.get(i), Some(ColumnRole::Ignore)) && text_of(c).is_some()
    };
    if !row.cells.iter().enumerate().any(said) {
        return RowOutcome::Blank;
    }
    let mut d = ResidentDraft::default();
    let mut id_raw = IdCell::Absent;
    let mut sex_raw: Option<String> = None;
    let mut birth_raw: Option<String> = None;
    // Every place a phone may be, in order: the phone column first (under `OTHER_PHONES` for
    // what it holds beyond the phone), then further phone columns under their own names.
    let mut phones: Vec<(&str, String)> = Vec::new();
    for (i, cell) in row.cells.iter().enumerate() {
        let Some(role) = header.columns.get(i) else {
            // Cells beyond the header: kept, so nothing the office typed is lost.
            if let Some(t) = text_of(cell) {
                d.attributes.insert(format!("列{}", i + 1), t);
            }
            continue;
        };
        match role {
            ColumnRole::Field(Field::IdNumber) => id_raw = id_cell(cell),
            ColumnRole::Field(Field::Phone) => {
                if let Some(t) = phone_text(cell) {
                    phones.insert(0, (OTHER_PHONES, t));
                }
            }
            ColumnRole::ExtraPhone(h) => {
                if let Some(t) = phone_text(cell) {
                    phones.push((h, t));
                }
            }
            ColumnRole::Field(f) => {
                let Some(t) = text_of(cell) else { continue };
                match f {
                    Field::Name => d.name = identity::clean_name(&t),
                    Field::Sex => sex_raw = Some(t),
                    Field::Street => d.street = Some(t),
                    Field::Community => d.community = Some(t),
                    Field::Grid => d.grid = Some(t),
                    Field::Building => d.building = Some(t),
                    Field::Unit => d.unit = Some(t),
                    Field::Room => d.room = Some(t),
                    Field::Address => d.address = Some(t),
                    Field::Tags => d.tags = split_tags(&t),
                    Field::Notes => d.notes = Some(t),
                    Field::BirthDate => birth_raw = Some(t),
                    Field::IdNumber | Field::Phone => {}
                }
            }
            ColumnRole::Attribute(h) => {
                if let Some(t) = text_of(cell) {
                    d.attributes.insert(h.clone(), t);
                }
            }
            ColumnRole::Ignore => {}
        }
    }
    if d.name.is_empty() {
        return reject("name", IssueCode::MissingName, None);
    }
    let id = match id_raw {
        IdCell::Absent => None,
        IdCell::Mangled(v) => {
            return reject("id_number", IssueCode::IdNumberMangledByExcel, Some(v))
        }
        IdCell::Text(v) => match identity::parse_id_number(&v, today) {
            Ok(id) => Some(id),
            Err(_) => return reject("id_number", IssueCode::InvalidIdNumber, Some(v)),
        },
    };
    if let Some(first) = phones.first().map(|(_, raw)| raw.clone()) {
        if !take_phones(&mut d, phones) {
            return reject("phone", IssueCode::InvalidPhone, Some(first));
        }
    }
    if id.is_none() && d.phone.is_none() {
        return reject("id_number", IssueCode::MissingIdentity, None);
    }
    let warnings = settle_sex_and_birth(&mut d, id.as_ref(), sex_raw, birth_raw, today);
    RowOutcome::Valid { draft: d, warnings }
}

/// The first valid phone of all the row's phone cells becomes the phone; every other part
/// (further phones, and what is no phone at all) is kept as an attribute of its column.
/// Returns false when the row gives phones but none of them is valid.
fn take_phones(d: &mut ResidentDraft, phones: Vec<(&str, String)>) -> bool {
    for (key, raw) in phones {
        let mut rest: Vec<String> = Vec::new();
        for part in identity::parse_phones(&raw) {
            match part {
                PhonePart::Valid(p) if d.phone.is_none() => d.phone = Some(p.number),
                PhonePart::Valid(p) => rest.push(p.number),
                PhonePart::Invalid(text) if means_nothing(&text) => {}
                PhonePart::Invalid(text) => rest.push(text),
            }
        }
        if !rest.is_empty() {
            add_attribute(&mut d.attributes, key, rest.join("/"));
        }
    }
    d.phone.is_some()
}

/// Sex and birth date come from the identity number when there is one; a cell that says
/// otherwise earns a warning. Cells the rules cannot read are kept as typed.
fn settle_sex_and_birth(
    d: &mut ResidentDraft,
    id: Option<&identity::IdNumber>,
    sex_raw: Option<String>,
    birth_raw: Option<String>,
    today: NaiveDate,
) -> Vec<RowIssue> {
    let mut warnings = Vec::new();
    let sex = sex_raw.as_deref().and_then(parse_sex);
    let birth = birth_raw.as_deref().and_then(parse_birth);
    match id {
        Some(id) => {
            if sex.is_some_and(|s| s != id.sex) {
                warnings.push(RowIssue {
                    field: "sex",
                    code: IssueCode::SexConflictsWithId,
                    value: sex_raw.clone(),
                });
            }
            let agrees = match birth {
                Some(Birth::Day(b)) => b == id.birth_date,
                Some(Birth::Month(y, m)) => y == id.birth_date.year() && m == id.birth_date.month(),
                None => true,
            };
            if !agrees {
                warnings.push(RowIssue {
                    field: "birth_date",
                    code: IssueCode::BirthDateConflictsWithId,
                    value: birth_raw.clone(),
                });
            }
            d.sex = Some(id.sex);
            d.birth_date = Some(id.birth_date);
            d.id_number = Some(id.number.clone());
        }
        None => {
            d.sex = sex;
            d.birth_date = match birth {
                Some(Birth::Day(b)) if b <= today => Some(b),
                _ => None,
            };
        }
    }
    if let (None, Some(s)) = (sex, sex_raw) {
        d.attributes.insert(SEX_AS_TYPED.into(), s);
    }
    // A year and month alone is kept as typed when no identity number gives the full date.
    let read = match birth {
        Some(Birth::Day(_)) => d.birth_date.is_some(),
        Some(Birth::Month(..)) => id.is_some(),
        None => false,
    };
    if let (false, Some(b)) = (read, birth_raw) {
        d.attributes.insert(BIRTH_DATE_AS_TYPED.into(), b);
    }
    warnings
}

#[cfg(test)]
mod samples;
#[cfg(test)]
mod tests;
