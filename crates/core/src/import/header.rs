//! Header detection: which row names the columns, and which known field each column is.
//! Offices name columns in many ways; the synonym table (`names.rs`) is matched after trimming,
//! case-folding, removing spaces and the decorations templates add ("姓名*", "身份证号码(必填)").

mod names;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::source::{Cell, RawRow};

/// The fields the importer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Sex,
    IdNumber,
    Phone,
    Street,
    Community,
    Grid,
    Building,
    Unit,
    Room,
    Address,
    Tags,
    Notes,
    BirthDate,
}

impl Field {
    pub const ALL: [Field; 14] = [
        Field::Name,
        Field::Sex,
        Field::IdNumber,
        Field::Phone,
        Field::Street,
        Field::Community,
        Field::Grid,
        Field::Building,
        Field::Unit,
        Field::Room,
        Field::Address,
        Field::Tags,
        Field::Notes,
        Field::BirthDate,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Sex => "sex",
            Field::IdNumber => "id_number",
            Field::Phone => "phone",
            Field::Street => "street",
            Field::Community => "community",
            Field::Grid => "grid",
            Field::Building => "building",
            Field::Unit => "unit",
            Field::Room => "room",
            Field::Address => "address",
            Field::Tags => "tags",
            Field::Notes => "notes",
            Field::BirthDate => "birth_date",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }
}

/// The known fields of one kind of roster (residents, volunteers): each field's key and the
/// header names that mean it. Detection, mappings and column roles work over any such set.
pub trait FieldSet: Copy + Eq + Ord + std::fmt::Debug + Send + Sync + 'static {
    /// Every field, in the order a wizard lists them.
    fn all() -> &'static [Self];
    /// The key a mapping, a report and the UI use.
    fn key(self) -> &'static str;
    /// Header names (in matching form) that mean the field outright.
    fn primary_names() -> &'static [(Self, &'static [&'static str])];
    /// Names that mean the field only when no column names it outright.
    fn fallback_names() -> &'static [(Self, &'static [&'static str])];
    /// The field whose further columns are further phones ([`ColumnRole::ExtraPhone`]).
    fn phone() -> Option<Self>;

    fn from_key(key: &str) -> Option<Self> {
        Self::all().iter().copied().find(|f| f.key() == key)
    }
}

impl FieldSet for Field {
    fn all() -> &'static [Field] {
        &Field::ALL
    }
    fn key(self) -> &'static str {
        Field::key(self)
    }
    fn primary_names() -> &'static [(Field, &'static [&'static str])] {
        names::PRIMARY
    }
    fn fallback_names() -> &'static [(Field, &'static [&'static str])] {
        names::FALLBACK
    }
    fn phone() -> Option<Field> {
        Some(Field::Phone)
    }
}

/// The header is looked for among this many rows at the top of a sheet.
pub const SEARCH_ROWS: usize = 10;
/// A header row names at least this many different known fields.
pub const MIN_FIELDS: usize = 3;

/// Characters templates put around a header name: required-field stars, colons, marks.
const DECORATION: &[char] = &['*', ':', '※', '★', '☆', '▲', '?', '!'];

/// Bracket pairs (after full-width forms became ASCII) around a hint such as `(必填)`.
const BRACKETS: [(char, char); 7] =
    [('(', ')'), ('[', ']'), ('{', '}'), ('<', '>'), ('【', '】'), ('〔', '〕'), ('《', '》')];

/// The matching form of a header cell: full-width forms made ASCII, case-folded, spaces and
/// the `_` `-` `.` of English names removed, decorations at either end dropped.
pub fn normalise_header(text: &str) -> String {
    let half = crate::identity::to_halfwidth(text);
    let s: String = half
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{feff}' | '\u{200b}' | '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    s.trim_matches(DECORATION).to_owned()
}

/// The name without one bracketed hint at its end or start (`身份证号码(18位)`,
/// `【必填】姓名`), or `None` when it has none.
fn without_hint(s: &str) -> Option<&str> {
    for (open, close) in BRACKETS {
        if s.ends_with(close) {
            if let Some(at) = s.rfind(open).filter(|at| *at > 0) {
                return Some(&s[..at]);
            }
        }
        if s.starts_with(open) {
            if let Some(at) = s.find(close).filter(|at| at + close.len_utf8() < s.len()) {
                return Some(&s[at + close.len_utf8()..]);
            }
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strength {
    Primary,
    Fallback,
}

fn lookup<F: FieldSet>(s: &str) -> Option<(F, Strength)> {
    let find = |table: &[(F, &[&str])], strength| {
        table.iter().find(|(_, ns)| ns.contains(&s)).map(|(f, _)| (*f, strength))
    };
    find(F::primary_names(), Strength::Primary)
        .or_else(|| find(F::fallback_names(), Strength::Fallback))
}

/// `手机/电话`, `联系电话、手机`: several names of one field in one header.
fn lookup_alternatives<F: FieldSet>(s: &str) -> Option<(F, Strength)> {
    if !s.contains(['/', '、', '|']) {
        return None;
    }
    let mut found: Option<(F, Strength)> = None;
    for part in s.split(['/', '、', '|']) {
        let (f, st) = lookup(part)?;
        found = match found {
            Some((g, _)) if g != f => return None,
            Some((g, gs)) => Some((g, gs.min(st))),
            None => Some((f, st)),
        };
    }
    found
}

/// Longer header texts are titles or notes, not column names; the cap also keeps hint
/// stripping from working through a pasted essay.
const MAX_HEADER_BYTES: usize = 120;

fn recognise<F: FieldSet>(text: &str) -> Option<(F, Strength)> {
    if text.len() > MAX_HEADER_BYTES {
        return None;
    }
    let mut s = normalise_header(text);
    loop {
        if s.is_empty() {
            return None;
        }
        if let Some(hit) = lookup(&s).or_else(|| lookup_alternatives(&s)) {
            return Some(hit);
        }
        s = without_hint(&s)?.trim_matches(DECORATION).to_owned();
    }
}

/// The known field a header text names, if any (for a UI that suggests a mapping).
pub fn field_for(text: &str) -> Option<Field> {
    recognise::<Field>(text).map(|(f, _)| f)
}

/// What a mapping may make of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target<F> {
    Field(F),
    Attribute,
    Ignore,
}

impl<F: FieldSet> Target<F> {
    fn parse(s: &str) -> Option<Target<F>> {
        match s.trim() {
            "ignore" => Some(Target::Ignore),
            "attribute" => Some(Target::Attribute),
            key => F::from_key(key).map(Target::Field),
        }
    }
}

/// A user's override of the detected columns, saved and reused:
/// `{"columns": {"header text": "field"}}`, where field is a key of [`Field`], `attribute`
/// (keep the column under its header text) or `ignore`. Header texts match as the detector
/// matches them (case, spaces and decorations aside). Reading a mapping with an unknown field
/// fails with a message naming it, rather than importing a column somewhere unexpected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MappingFile")]
pub struct Mapping {
    pub columns: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct MappingFile {
    columns: BTreeMap<String, String>,
}

impl TryFrom<MappingFile> for Mapping {
    type Error = String;

    fn try_from(file: MappingFile) -> Result<Mapping, String> {
        Mapping::checked::<Field>(file.columns)
    }
}

impl Mapping {
    /// A mapping for rosters of the field set `F`, refused with a message naming the unknown
    /// fields (the serde form checks against the residents' fields this way).
    pub fn checked<F: FieldSet>(columns: BTreeMap<String, String>) -> Result<Mapping, String> {
        let bad: Vec<String> = columns
            .iter()
            .filter(|(_, field)| Target::<F>::parse(field).is_none())
            .map(|(header, field)| format!("\"{header}\": \"{field}\""))
            .collect();
        if bad.is_empty() {
            return Ok(Mapping { columns });
        }
        let keys: Vec<&str> = F::all().iter().map(|f| f.key()).collect();
        Err(format!(
            "unknown field in {}; a column maps to one of {}, attribute or ignore",
            bad.join(", "),
            keys.join(", ")
        ))
    }

    /// The mapping a detected header used, to save and reuse for the next file of the kind.
    pub fn from_header<F>(header: &Header<F>) -> Mapping {
        Mapping { columns: header.mapping.clone() }
    }

    fn targets<F: FieldSet>(&self) -> Vec<(String, Target<F>)> {
        self.columns
            .iter()
            .map(|(h, f)| (normalise_header(h), Target::parse(f).unwrap_or(Target::Attribute)))
            .collect()
    }
}

/// What a column is read as. `F` is the roster's field set (residents by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRole<F = Field> {
    Field(F),
    /// A further phone column (固定电话 beside 手机): its phones are kept as an attribute under
    /// this name, and its first valid phone is the phone when the phone column has none.
    ExtraPhone(String),
    /// Kept as an attribute under this name.
    Attribute(String),
    Ignore,
}

impl<F: FieldSet> ColumnRole<F> {
    /// The field key, `attribute` or `ignore`, as a report and a saved mapping name the column.
    /// A further phone column is `phone` again, so a reused mapping makes it a further phone.
    pub fn key(&self) -> &'static str {
        match self {
            ColumnRole::Field(f) => f.key(),
            ColumnRole::ExtraPhone(_) => F::phone().map_or("attribute", |p| p.key()),
            ColumnRole::Attribute(_) => "attribute",
            ColumnRole::Ignore => "ignore",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<F = Field> {
    /// The sheet row number of the header row (of its last row when the header spans two).
    pub row: u32,
    pub columns: Vec<ColumnRole<F>>,
    /// Header text → the field key it was read as, or `attribute` / `ignore`, for the report.
    pub mapping: BTreeMap<String, String>,
    /// Each column's header text (two rows merged when the header spans two), for previews.
    pub texts: Vec<String>,
}

impl<F: FieldSet> Header<F> {
    pub fn has(&self, field: F) -> bool {
        self.columns.contains(&ColumnRole::Field(field))
    }
}

pub(crate) fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => crate::identity::clean_text(s),
        Cell::Number(n) => n.to_string(),
        Cell::Date(d) | Cell::Error(d) => d.clone(),
        Cell::Bool(b) => b.to_string(),
        Cell::Empty => String::new(),
    }
}

/// What one header cell asks for before columns compete for fields.
#[derive(Debug, Clone, Copy)]
enum Claim<F> {
    Mapped(Target<F>),
    Named(F, Strength),
    Sequence,
    Unknown,
}

fn claim<F: FieldSet>(text: &str, mapped: &[(String, Target<F>)]) -> Claim<F> {
    if text.is_empty() {
        return Claim::Unknown;
    }
    let norm = normalise_header(text);
    if let Some((_, t)) = mapped.iter().find(|(h, _)| *h == norm) {
        return Claim::Mapped(*t);
    }
    match recognise(text) {
        Some((f, s)) => Claim::Named(f, s),
        None if names::SEQUENCE.contains(&norm.as_str())
            || names::OURS.contains(&norm.as_str()) =>
        {
            Claim::Sequence
        }
        None => Claim::Unknown,
    }
}

/// The header is the first row among the first [`SEARCH_ROWS`] whose cells name at least
/// [`MIN_FIELDS`] different known fields (counting the fields the user's mapping names). When
/// the row below it names only fields (楼栋 单元 房号 under a merged 住址), the header spans both.
pub fn detect(rows: &[RawRow], mapping: Option<&Mapping>) -> Option<Header> {
    detect_fields::<Field>(rows, mapping)
}

/// [`detect`] for a roster of the field set `F` (a volunteer roster, say).
pub fn detect_fields<F: FieldSet>(rows: &[RawRow], mapping: Option<&Mapping>) -> Option<Header<F>> {
    let mapped = mapping.map(Mapping::targets::<F>).unwrap_or_default();
    let rows = &rows[..rows.len().min(SEARCH_ROWS)];
    let (at, header) = rows.iter().enumerate().find_map(|(i, row)| {
        let texts: Vec<String> = row.cells.iter().map(cell_text).collect();
        header_of(row.row, &texts, &mapped).map(|h| (i, h))
    })?;
    let upper: Vec<String> = rows[at].cells.iter().map(cell_text).collect();
    let Some(below) = rows.get(at + 1) else { return Some(header) };
    let lower: Vec<String> = below.cells.iter().map(cell_text).collect();
    let named = lower.iter().filter(|t| !t.is_empty());
    let all_fields = named
        .clone()
        .all(|t| matches!(claim(t, &mapped), Claim::Named(..) | Claim::Mapped(Target::Field(_))));
    if named.count() < 2 || !all_fields {
        return Some(header);
    }
    let merged: Vec<String> = (0..upper.len().max(lower.len()))
        .map(|i| match lower.get(i).filter(|t| !t.is_empty()) {
            Some(t) => t.clone(),
            None => upper.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    Some(header_of(below.row, &merged, &mapped).unwrap_or(header))
}

fn header_of<F: FieldSet>(
    row: u32,
    texts: &[String],
    mapped: &[(String, Target<F>)],
) -> Option<Header<F>> {
    let claims: Vec<Claim<F>> = texts.iter().map(|t| claim(t, mapped)).collect();
    let mut roles: Vec<Option<ColumnRole<F>>> = vec![None; texts.len()];
    let mut taken: BTreeSet<F> = BTreeSet::new();
    // Columns compete for a field by rank: the user's mapping, then outright names, then
    // fallback names; within a rank the leftmost column wins. Losers keep their data.
    for rank in 0..3 {
        for (i, c) in claims.iter().enumerate() {
            let field = match (rank, c) {
                (0, Claim::Mapped(Target::Field(f))) => *f,
                (1, Claim::Named(f, Strength::Primary)) => *f,
                (2, Claim::Named(f, Strength::Fallback)) => *f,
                _ => continue,
            };
            roles[i] = Some(if taken.insert(field) {
                ColumnRole::Field(field)
            } else if Some(field) == F::phone() {
                ColumnRole::ExtraPhone(texts[i].clone())
            } else {
                ColumnRole::Attribute(texts[i].clone())
            });
        }
    }
    if taken.len() < MIN_FIELDS {
        return None;
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut columns = Vec::with_capacity(texts.len());
    let mut mapping = BTreeMap::new();
    for (i, (role, text)) in roles.into_iter().zip(texts).enumerate() {
        let role = match (role, claims[i]) {
            (Some(r), _) => r,
            (None, Claim::Mapped(Target::Ignore) | Claim::Sequence) => ColumnRole::Ignore,
            // A column with no header still keeps its data, under its position.
            (None, _) if text.is_empty() => ColumnRole::Attribute(format!("列{}", i + 1)),
            (None, _) => ColumnRole::Attribute(text.clone()),
        };
        // Two columns under one name must not overwrite each other's values.
        let role = match role {
            ColumnRole::Attribute(name) => ColumnRole::Attribute(unique(name, &mut used)),
            ColumnRole::ExtraPhone(name) => ColumnRole::ExtraPhone(unique(name, &mut used)),
            r => r,
        };
        if !text.is_empty() {
            mapping.entry(text.clone()).or_insert_with(|| role.key().to_owned());
        }
        columns.push(role);
    }
    Some(Header { row, columns, mapping, texts: texts.to_vec() })
}

fn unique(name: String, used: &mut BTreeSet<String>) -> String {
    if used.insert(name.clone()) {
        return name;
    }
    let free = (2..).map(|k| format!("{name}({k})")).find(|n| !used.contains(n));
    let free = free.unwrap_or(name);
    used.insert(free.clone());
    free
}
