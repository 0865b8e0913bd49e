//! Realistic rosters of any size: `n` residents an import creates, written as an office keeps
//! them, optionally with messy-but-valid rows (spaced phones, full-width digits, 15-digit
//! numbers…) and bad rows (each one rejected for a known reason, a duplicate or blank), and a
//! summary of exactly what a correct import reports. Streams: a million rows take one reused
//! line buffer, so the benchmark measures the importer, not the fixture.

use std::io::{self, BufWriter, Write};

use crate::csv::{push_field, Csv, LineEnd, TextEncoding, TextWriter};
use crate::generate::{put_digits, People, Person, TAG_NAMES};
use crate::model::{Sheet, Value};

/// The header row of every generated roster.
pub const ROSTER_HEADER: [&str; 12] = [
    "序号",
    "姓名",
    "性别",
    "身份证号码",
    "联系电话",
    "所属社区",
    "网格",
    "楼栋",
    "单元",
    "房号",
    "人员类别",
    "备注",
];
const COLUMNS: usize = ROSTER_HEADER.len();

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RosterOptions {
    pub csv: Csv,
    /// Fraction of the `n` valid rows written messily (still valid once normalised).
    pub messy: f64,
    /// After each valid row, the chance of one bad row (rejected, duplicate or blank), which
    /// comes on top of the `n`.
    pub bad: f64,
    /// The day the roster is as of: every birth date is before it.
    pub as_of: (i32, u32, u32),
}

impl Default for RosterOptions {
    /// Clean rows, UTF-8 with a BOM and CRLF: what an office's export usually is.
    fn default() -> RosterOptions {
        RosterOptions {
            csv: Csv { encoding: TextEncoding::Utf8Bom, delimiter: ',', line_end: LineEnd::Crlf },
            messy: 0.0,
            bad: 0.0,
            as_of: (2025, 12, 31),
        }
    }
}

/// What a correct import of the roster reports. Row numbers are as the official sees them:
/// the header is row 1.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterSummary {
    /// Data rows written, after the header.
    pub rows: u64,
    /// Residents created by importing the roster into an empty store.
    pub valid: u64,
    /// Of `valid`, rows written messily.
    pub messy: u64,
    pub blank: u64,
    pub rejected: Vec<(u64, &'static str)>,
    /// (row, the earlier row it repeats).
    pub duplicates: Vec<(u64, u64)>,
    pub warnings: Vec<(u64, &'static str)>,
}

/// Ways to write a valid row messily; each stays valid once normalised.
const MESSY: [Messy; 14] = [
    Messy::PhoneSpaced,
    Messy::PhoneDashed,
    Messy::PhonePlus86,
    Messy::Landline,
    Messy::IdFullWidth,
    Messy::IdLowerX,
    Messy::Id15,
    Messy::NamePadded,
    Messy::SexBlank,
    Messy::SexConflict,
    Messy::PhoneOnly,
    Messy::IdOnly,
    Messy::NoteMultiline,
    Messy::TagsSlashed,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Messy {
    PhoneSpaced,
    PhoneDashed,
    PhonePlus86,
    Landline,
    IdFullWidth,
    IdLowerX,
    Id15,
    NamePadded,
    SexBlank,
    SexConflict,
    PhoneOnly,
    IdOnly,
    NoteMultiline,
    TagsSlashed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bad {
    InvalidId,
    MissingName,
    InvalidPhone,
    MissingIdentity,
    Duplicate,
    Blank,
}
const BAD: [Bad; 6] = [
    Bad::InvalidId,
    Bad::MissingName,
    Bad::InvalidPhone,
    Bad::MissingIdentity,
    Bad::Duplicate,
    Bad::Blank,
];

/// One row's fields in one reused buffer.
#[derive(Clone)]
struct Fields {
    buf: String,
    ends: [usize; COLUMNS],
    done: usize,
}

impl Fields {
    fn new() -> Fields {
        Fields { buf: String::with_capacity(256), ends: [0; COLUMNS], done: 0 }
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.done = 0;
    }

    /// Ends the field being written.
    fn end(&mut self) {
        self.ends[self.done] = self.buf.len();
        self.done += 1;
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.buf[start..self.ends[i]]
    }

    fn copy_from(&mut self, other: &Fields) {
        self.buf.clear();
        self.buf.push_str(&other.buf);
        self.ends = other.ends;
        self.done = other.done;
    }
}

fn push_number(buf: &mut String, v: u64) {
    let mut digits = [0u8; 20];
    let len = if v == 0 { 1 } else { (v.ilog10() + 1) as usize };
    put_digits(&mut digits[..len], v);
    buf.push_str(std::str::from_utf8(&digits[..len]).expect("ASCII digits"));
}

/// Produces the rows one at a time.
struct Rows {
    people: People,
    person: Person,
    fields: Fields,
    last_clean: Fields,
    last_clean_row: u64,
    opts: RosterOptions,
    valid_left: u64,
    after_valid: bool,
    summary: RosterSummary,
}

impl Rows {
    fn new(n: u64, seed: u64, opts: &RosterOptions) -> Rows {
        let expected = n + (n as f64 * opts.bad) as u64;
        Rows {
            people: People::new(seed, expected, opts.as_of),
            person: Person::default(),
            fields: Fields::new(),
            last_clean: Fields::new(),
            last_clean_row: 0,
            opts: *opts,
            valid_left: n,
            after_valid: false,
            summary: RosterSummary::default(),
        }
    }

    /// Fills `self.fields` with the next row; false when the roster is complete.
    fn next_row(&mut self) -> bool {
        let row = self.summary.rows + 2;
        let bad = self.after_valid && self.people.rng().chance(self.opts.bad);
        if bad {
            self.after_valid = false;
            let kind = *self.people.rng().pick(&BAD);
            self.bad_row(kind, row);
        } else if self.valid_left > 0 {
            self.valid_left -= 1;
            self.after_valid = true;
            let messy = self.people.rng().chance(self.opts.messy);
            let kind = messy.then(|| *self.people.rng().pick(&MESSY));
            self.people.next(&mut self.person);
            self.render(row, kind);
            self.summary.valid += 1;
            if kind.is_some() {
                self.summary.messy += 1;
            } else {
                self.last_clean.copy_from(&self.fields);
                self.last_clean_row = row;
            }
        } else {
            return false;
        }
        self.summary.rows += 1;
        true
    }

    fn bad_row(&mut self, kind: Bad, row: u64) {
        let kind = match kind {
            Bad::Duplicate if self.last_clean_row == 0 => Bad::MissingIdentity,
            k => k,
        };
        match kind {
            Bad::Blank => {
                self.fields.clear();
                for _ in 0..COLUMNS {
                    self.fields.end();
                }
                self.summary.blank += 1;
            }
            Bad::Duplicate => {
                // The same person again under the next serial number, as a second entry.
                let serial = row - 1;
                self.fields.clear();
                push_number(&mut self.fields.buf, serial);
                self.fields.end();
                for i in 1..COLUMNS {
                    let start = if i == 1 { 0 } else { self.last_clean.ends[i - 1] };
                    let text = &self.last_clean.buf[start..self.last_clean.ends[i]];
                    self.fields.buf.push_str(text);
                    self.fields.end();
                }
                self.summary.duplicates.push((row, self.last_clean_row));
            }
            _ => {
                self.people.next(&mut self.person);
                self.render(row, None);
                let (field, code) = match kind {
                    Bad::InvalidId => (3, "invalid_id_number"),
                    Bad::MissingName => (1, "missing_name"),
                    Bad::InvalidPhone => (4, "invalid_phone"),
                    _ => (3, "missing_identity"),
                };
                let wrong_check = {
                    let right = b"10X98765432".iter().position(|&c| c == self.person.id[17]);
                    let right = right.expect("a check character");
                    let other = (right + 1 + self.people.rng().below(10) as usize) % 11;
                    b"10X98765432"[other]
                };
                self.replace(field, |buf, old| match kind {
                    Bad::InvalidId => {
                        buf.push_str(&old[..17]);
                        buf.push(char::from(wrong_check));
                    }
                    Bad::InvalidPhone => buf.push_str(&old[..7]),
                    _ => {}
                });
                if kind == Bad::MissingIdentity {
                    self.replace(4, |_, _| {});
                }
                self.summary.rejected.push((row, code));
            }
        }
    }

    /// Rewrites field `i` from its old text.
    fn replace(&mut self, i: usize, write: impl FnOnce(&mut String, &str)) {
        let old = self.fields.get(i).to_owned();
        let mut rebuilt = Fields::new();
        let mut write = Some(write);
        for j in 0..COLUMNS {
            if j == i {
                if let Some(write) = write.take() {
                    write(&mut rebuilt.buf, &old);
                }
            } else {
                rebuilt.buf.push_str(self.fields.get(j));
            }
            rebuilt.end();
        }
        self.fields = rebuilt;
    }

    fn render(&mut self, row: u64, kind: Option<Messy>) {
        let p = &self.person;
        let f = &mut self.fields;
        let born_1900s = (1900..2000).contains(&p.birth.0);
        let kind = match kind {
            Some(Messy::IdLowerX) if p.id[17] != b'X' => Some(Messy::IdFullWidth),
            Some(Messy::Id15) if !born_1900s => Some(Messy::IdFullWidth),
            k => k,
        };
        f.clear();
        push_number(&mut f.buf, row - 1);
        f.end();
        if kind == Some(Messy::NamePadded) {
            f.buf.push('\u{3000}');
        }
        f.buf.push_str(p.surname);
        for g in &p.given[..p.given_len] {
            f.buf.push_str(g);
        }
        if kind == Some(Messy::NamePadded) {
            f.buf.push(' ');
        }
        f.end();
        match kind {
            Some(Messy::SexBlank) => {}
            Some(Messy::SexConflict) => f.buf.push_str(if p.male { "女" } else { "男" }),
            _ => f.buf.push_str(if p.male { "男" } else { "女" }),
        }
        f.end();
        let id = std::str::from_utf8(&p.id).expect("ASCII identity number");
        match kind {
            Some(Messy::PhoneOnly) => {}
            Some(Messy::IdFullWidth) => {
                f.buf.extend(id.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)))
            }
            Some(Messy::IdLowerX) => {
                f.buf.push_str(&id[..17]);
                f.buf.push('x');
            }
            Some(Messy::Id15) => {
                f.buf.push_str(&id[..6]);
                f.buf.push_str(&id[8..17]);
            }
            _ => f.buf.push_str(id),
        }
        f.end();
        let mut phone = [0u8; 11];
        put_digits(&mut phone, p.phone);
        let phone = std::str::from_utf8(&phone).expect("ASCII phone");
        match kind {
            Some(Messy::IdOnly) => {}
            Some(Messy::PhoneSpaced | Messy::PhoneDashed) => {
                let sep = if kind == Some(Messy::PhoneSpaced) { " " } else { "-" };
                for (i, part) in [&phone[..3], &phone[3..7], &phone[7..]].into_iter().enumerate() {
                    if i > 0 {
                        f.buf.push_str(sep);
                    }
                    f.buf.push_str(part);
                }
            }
            Some(Messy::PhonePlus86) => {
                f.buf.push_str("+86 ");
                f.buf.push_str(phone);
            }
            Some(Messy::Landline) => {
                f.buf.push_str("0573-8");
                f.buf.push_str(&phone[4..]);
            }
            _ => f.buf.push_str(phone),
        }
        f.end();
        f.buf.push_str(p.community);
        f.end();
        f.buf.push('第');
        push_number(&mut f.buf, u64::from(p.grid));
        f.buf.push_str("网格");
        f.end();
        push_number(&mut f.buf, u64::from(p.building));
        f.buf.push('幢');
        f.end();
        push_number(&mut f.buf, u64::from(p.unit));
        f.buf.push_str("单元");
        f.end();
        push_number(&mut f.buf, u64::from(p.room));
        f.end();
        let sep = if kind == Some(Messy::TagsSlashed) { "/" } else { "、" };
        let mut first = true;
        for (bit, name) in TAG_NAMES {
            if p.tags & bit != 0 {
                if !first {
                    f.buf.push_str(sep);
                }
                f.buf.push_str(name);
                first = false;
            }
        }
        f.end();
        if kind == Some(Messy::NoteMultiline) {
            f.buf.push_str("子女在外地,\n每周电话联系");
        }
        f.end();
        if kind == Some(Messy::SexConflict) {
            self.summary.warnings.push((row, "sex_conflicts_with_id"));
        }
    }
}

/// Writes a roster of `n` residents (plus the bad rows `opts.bad` asks for) as CSV to `w`,
/// header first, and says what a correct import of it reports. Deterministic for a seed.
pub fn write_roster_csv(
    w: impl Write,
    n: u64,
    seed: u64,
    opts: &RosterOptions,
) -> io::Result<RosterSummary> {
    let mut out = TextWriter::new(BufWriter::with_capacity(1 << 16, w), opts.csv.encoding)?;
    let (delimiter, eol) = (opts.csv.delimiter, opts.csv.line_end.as_str());
    let mut line = String::with_capacity(512);
    for (i, h) in ROSTER_HEADER.iter().enumerate() {
        if i > 0 {
            line.push(delimiter);
        }
        push_field(&mut line, h, delimiter);
    }
    line.push_str(eol);
    out.write_str(&line)?;
    let mut rows = Rows::new(n, seed, opts);
    while rows.next_row() {
        line.clear();
        for i in 0..COLUMNS {
            if i > 0 {
                line.push(delimiter);
            }
            push_field(&mut line, rows.fields.get(i), delimiter);
        }
        line.push_str(eol);
        out.write_str(&line)?;
    }
    out.into_inner().flush()?;
    Ok(rows.summary)
}

/// The same roster as a sheet named "花名册" (serial numbers as numbers), for the spreadsheet
/// writers; `opts.csv` is not used.
pub fn realistic_roster(n: u64, seed: u64, opts: &RosterOptions) -> (Sheet, RosterSummary) {
    let mut sheet = Sheet::new("花名册").row(&ROSTER_HEADER);
    let mut rows = Rows::new(n, seed, opts);
    while rows.next_row() {
        let cells = (0..COLUMNS)
            .map(|i| match (i, rows.fields.get(i)) {
                (0, serial) if !serial.is_empty() => {
                    Value::Number(serial.parse().expect("a serial number"))
                }
                (_, text) => Value::from(text),
            })
            .collect();
        sheet.rows.push(cells);
    }
    (sheet, rows.summary)
}
