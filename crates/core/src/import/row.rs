//! Judging one roster row: normalise its cells and apply the spec's rules in its order
//! (cell_too_long, missing_name, identity number, phone, missing_identity); the first failing
//! rule rejects the row. Sex and birth date that contradict the identity number only warn.

use chrono::NaiveDate;

use super::header::{ColumnRole, Field, Header};
use super::issue::{IssueCode, RowIssue};
use super::source::{Cell, RawRow};
use crate::identity::{self, IdError};
use crate::residents::{ResidentDraft, Sex};

/// The longest cell a row may hold.
pub const MAX_CELL_BYTES: usize = 64 * 1024;

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

/// A cell as text: numbers without a spurious `.0`, dates as written.
fn text_of(c: &Cell) -> Option<String> {
    let s = match c {
        Cell::Empty => return None,
        Cell::Text(s) => identity::clean_text(s),
        Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Cell::Number(n) => n.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Date(d) => d.split('T').next().unwrap_or(d).to_owned(),
        Cell::Error(_) => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// The identity number cell: an 18-digit number stored as a spreadsheet *number* has lost its
/// last digits (a double holds 15 to 17), which no rule can repair.
enum IdCell {
    Absent,
    Mangled(String),
    Text(String),
}

fn id_cell(c: &Cell) -> IdCell {
    match c {
        Cell::Number(n) if n.is_finite() && n.abs() >= 1e15 => IdCell::Mangled(format!("{n:.0}")),
        other => match text_of(other) {
            Some(t) => IdCell::Text(t),
            None => IdCell::Absent,
        },
    }
}

fn parse_sex(s: &str) -> Option<Sex> {
    match s.trim().to_lowercase().as_str() {
        "男" | "m" | "male" | "男性" | "1" => Some(Sex::Male),
        "女" | "f" | "female" | "女性" | "2" => Some(Sex::Female),
        _ => None,
    }
}

/// Birth dates as offices type them: 1985-03-12, 1985/3/12, 1985.03.12, 19850312,
/// 1985年3月12日 (a date cell arrives as ISO already).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = identity::to_halfwidth(s);
    let s = s.trim().trim_end_matches('日');
    let parts: Vec<&str> = s.split(['-', '/', '.', '年', '月']).filter(|p| !p.is_empty()).collect();
    let num = |p: &str| p.trim().parse::<u32>().ok();
    match parts.as_slice() {
        [y, m, d] => NaiveDate::from_ymd_opt(num(y)? as i32, num(m)?, num(d)?),
        [ymd] if ymd.len() == 8 => {
            NaiveDate::from_ymd_opt(num(&ymd[..4])? as i32, num(&ymd[4..6])?, num(&ymd[6..])?)
        }
        _ => None,
    }
}

fn split_tags(s: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for t in s.split(['、', ',', '，', ';', '；', '/']) {
        let t = identity::clean_text(t);
        if !t.is_empty() && !tags.contains(&t) {
            tags.push(t);
        }
    }
    tags
}

/// Judges one row under its sheet's header.
pub fn judge(row: &RawRow, header: &Header, today: NaiveDate) -> RowOutcome {
    if row.is_blank() {
        return RowOutcome::Blank;
    }
    if let Some(long) =
        row.cells.iter().find(|c| matches!(c, Cell::Text(s) if s.len() > MAX_CELL_BYTES))
    {
        let field =
            match row.cells.iter().position(|c| c == long).and_then(|i| header.columns.get(i)) {
                Some(ColumnRole::Field(f)) => f.key(),
                _ => "attributes",
            };
        return reject(field, IssueCode::CellTooLong, None);
    }
    let mut d = ResidentDraft::default();
    let mut id_raw = IdCell::Absent;
    let mut phone_raw: Option<String> = None;
    let mut sex_raw: Option<String> = None;
    let mut birth_raw: Option<String> = None;
    let mut extra_phones: Vec<(String, String)> = Vec::new();
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
            ColumnRole::Field(f) => {
                let Some(t) = text_of(cell) else { continue };
                match f {
                    Field::Name => d.name = t,
                    Field::Sex => sex_raw = Some(t),
                    Field::Phone => phone_raw = Some(t),
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
                    Field::IdNumber => {}
                }
            }
            ColumnRole::ExtraPhone(h) => {
                if let Some(t) = text_of(cell) {
                    extra_phones.push((h.clone(), t));
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
            Err(
                IdError::Length
                | IdError::Characters
                | IdError::BirthDate
                | IdError::Future
                | IdError::Checksum,
            ) => return reject("id_number", IssueCode::InvalidIdNumber, Some(v)),
        },
    };
    // Phones: the phone column may hold several; the first valid one is the phone, the rest
    // (and any second phone column) are kept as attributes.
    let mut others: Vec<String> = Vec::new();
    if let Some(raw) = &phone_raw {
        let parsed = identity::parse_phones(raw);
        if parsed.is_empty() || parsed.iter().all(Result::is_err) {
            return reject("phone", IssueCode::InvalidPhone, Some(raw.clone()));
        }
        for p in parsed.into_iter().flatten() {
            if d.phone.is_none() {
                d.phone = Some(p.number);
            } else {
                others.push(p.number);
            }
        }
    }
    for (h, raw) in extra_phones {
        let parsed: Vec<String> =
            identity::parse_phones(&raw).into_iter().flatten().map(|p| p.number).collect();
        if d.phone.is_none() && phone_raw.is_none() && !parsed.is_empty() {
            d.phone = Some(parsed[0].clone());
            if parsed.len() > 1 {
                d.attributes.insert(h, parsed[1..].join("/"));
            }
        } else {
            d.attributes.insert(h, if parsed.is_empty() { raw } else { parsed.join("/") });
        }
    }
    if !others.is_empty() {
        d.attributes.insert("其他电话".into(), others.join("/"));
    }
    if id.is_none() && d.phone.is_none() {
        return reject("id_number", IssueCode::MissingIdentity, None);
    }
    let mut warnings = Vec::new();
    let sex = sex_raw.as_deref().and_then(parse_sex);
    let birth = birth_raw.as_deref().and_then(parse_date);
    match &id {
        Some(id) => {
            if let Some(s) = sex {
                if s != id.sex {
                    warnings.push(RowIssue {
                        field: "sex",
                        code: IssueCode::SexConflictsWithId,
                        value: sex_raw.clone(),
                    });
                }
            }
            if let Some(b) = birth {
                if b != id.birth_date {
                    warnings.push(RowIssue {
                        field: "birth_date",
                        code: IssueCode::BirthDateConflictsWithId,
                        value: birth_raw.clone(),
                    });
                }
            }
            d.sex = Some(id.sex);
            d.birth_date = Some(id.birth_date);
            d.id_number = Some(id.number.clone());
        }
        None => {
            d.sex = sex;
            d.birth_date = birth.filter(|b| *b <= today);
        }
    }
    // Unreadable sex or birth date cells are not lost: they stay as attributes.
    if sex.is_none() {
        if let Some(s) = sex_raw {
            d.attributes.insert("性别(原文)".into(), s);
        }
    }
    if birth.is_none() {
        if let Some(b) = birth_raw {
            d.attributes.insert("出生日期(原文)".into(), b);
        }
    }
    RowOutcome::Valid { draft: d, warnings }
}

#[cfg(test)]
mod tests;
