//! One row of a volunteer roster, judged: its cells read by the column roles, then the rules in
//! order (cell too long, name, identity number, phone, skills, availability, tasks at once,
//! health); the first failing rule rejects the row with a message an official can act on.
//! The cell readers and the identity rules are the residents' own (`import::row`).

use chrono::NaiveDate;
use rusqlite::Connection;

use crate::i18n::{self, Lang};
use crate::identity::{self, PhonePart};
use crate::import::header::{ColumnRole, Header};
use crate::import::issue::{IssueCode, RowIssue};
use crate::import::row::{self, IdCell, MAX_CELL_BYTES, OTHER_PHONES};
use crate::import::source::{Cell, RawRow};
use crate::import::volunteer_fields::VolunteerField as F;
use crate::volunteers::availability::{self, Availability, AvailabilityError};
use crate::volunteers::refdata::{self, Skill};
use crate::volunteers::{Health, VolunteerDraft};

/// Most tasks a volunteer may hold at once (the store's own check).
pub const MAX_CAPACITY: u32 = 20;

/// A row that passed every rule: the volunteer to create and where they live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub draft: VolunteerDraft,
    pub street: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
}

/// Why a row was rejected: the field, a stable code, the message in the report's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

// Most rows are valid: boxing the large variant would add an allocation to nearly every row.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    Blank,
    Rejected(Problem),
    Valid(Row),
}

/// What judging needs beyond the row: the language, today (identity numbers born in the
/// future are wrong) and the district's skills list.
pub struct Judge {
    pub lang: Lang,
    pub today: NaiveDate,
    pub skills: Vec<Skill>,
}

/// The rules the residents' importer shares, with its messages.
fn shared(lang: Lang, field: &'static str, code: IssueCode, value: Option<String>) -> Judged {
    let message = i18n::issue_message(lang, &RowIssue { field, code, value });
    Judged::Rejected(Problem { field, code: code.as_str(), message })
}

/// A value as a message quotes it: one line, at most 40 characters.
fn shown(v: &str) -> String {
    v.chars().take(40).map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Cells of a vehicle column that say "none" beyond the importer's words for nothing.
const NO_VEHICLE: &[&str] = &["否", "无车", "没车", "没有车", "不是", "no", "n", "false", "×", "x"];

/// Separators between skills in one cell; within a piece that is no skill, spaces separate.
const SKILL_SEPARATORS: [char; 11] = ['、', ',', '，', ';', '；', '/', '／', '|', '｜', '\n', '+'];

impl Judge {
    fn problem(&self, field: &'static str, code: &'static str, zh: String, en: String) -> Problem {
        let message = match self.lang {
            Lang::ZhCn => zh,
            Lang::En => en,
        };
        Problem { field, code, message }
    }

    fn reject(&self, field: &'static str, code: &'static str, zh: String, en: String) -> Judged {
        Judged::Rejected(self.problem(field, code, zh, en))
    }

    /// Judges one row under its sheet's header.
    pub fn row(&self, conn: &Connection, raw: &RawRow, header: &Header<F>) -> Judged {
        if raw.is_blank() {
            return Judged::Blank;
        }
        let said = |(i, c): (usize, &Cell)| {
            !matches!(header.columns.get(i), Some(ColumnRole::Ignore)) && row::text_of(c).is_some()
        };
        if !raw.cells.iter().enumerate().any(said) {
            return Judged::Blank;
        }
        let too_long = raw.cells.iter().position(|c| match c {
            Cell::Text(s) | Cell::Date(s) | Cell::Error(s) => s.len() > MAX_CELL_BYTES,
            _ => false,
        });
        if let Some(i) = too_long {
            let field = header.columns.get(i).map_or("notes", |r| r.key());
            return shared(self.lang, field, IssueCode::CellTooLong, None);
        }
        let mut cells = Cells::default();
        for (i, cell) in raw.cells.iter().enumerate() {
            cells.take(header.columns.get(i), i, cell);
        }
        self.settle(conn, cells)
    }

    fn settle(&self, conn: &Connection, c: Cells) -> Judged {
        let lang = self.lang;
        let name = identity::clean_name(c.name.as_deref().unwrap_or_default());
        if name.is_empty() {
            return shared(lang, "name", IssueCode::MissingName, None);
        }
        let id_number = match c.id {
            IdCell::Absent => None,
            IdCell::Mangled(v) => {
                return shared(lang, "id_number", IssueCode::IdNumberMangledByExcel, Some(v))
            }
            IdCell::Text(v) => match identity::parse_id_number(&v, self.today) {
                Ok(id) => Some(id.number),
                Err(_) => return shared(lang, "id_number", IssueCode::InvalidIdNumber, Some(v)),
            },
        };
        let mut notes: Vec<String> = c.notes.into_iter().collect();
        let Some(first) = c.phones.first().map(|(_, raw)| raw.clone()) else {
            return self.reject(
                "phone",
                "missing_phone",
                "联系电话为空：派单要打电话给志愿者，请补填手机号后重新导入".into(),
                "the phone is empty: dispatch calls the volunteer; fill it in and import again"
                    .into(),
            );
        };
        let Some(phone) = take_phones(c.phones, &mut notes) else {
            return shared(lang, "phone", IssueCode::InvalidPhone, Some(first));
        };
        let skills = match c.skills.as_deref().map(|t| self.skills(conn, t)).transpose() {
            Ok(s) => s.unwrap_or_default(),
            Err(problem) => return Judged::Rejected(problem),
        };
        let availability = match c.availability.as_deref().map(availability::parse_weekly) {
            None => Availability::default(),
            Some(Ok(slots)) => Availability { slots, exceptions: vec![] },
            Some(Err(e)) => return self.availability_problem(&e),
        };
        let capacity = match &c.capacity {
            None => 1,
            Some(cell) => match capacity_of(cell) {
                Some(n) if (1..=MAX_CAPACITY).contains(&n) => n,
                _ => {
                    let v = shown(&row::text_of(cell).unwrap_or_default());
                    return self.reject(
                        "capacity",
                        "capacity_out_of_range",
                        format!("同时任务数“{v}”超出范围：应为 1 到 {MAX_CAPACITY} 之间的整数"),
                        format!(
                            "tasks at once “{v}” is out of range: give a whole number from 1 \
                             to {MAX_CAPACITY}"
                        ),
                    );
                }
            },
        };
        let health = match c.health.as_deref() {
            None => None,
            Some(t) => match parse_health(t) {
                Some(h) => Some(h),
                None => {
                    let v = shown(t);
                    return self.reject(
                        "health",
                        "unknown_health",
                        format!(
                            "健康状况“{v}”无法识别：请填写 绿码/正常/健康、黄码、\
                             隔离/居家隔离/集中隔离 或 生病/不适"
                        ),
                        format!(
                            "the health status “{v}” was not understood: write well (绿码, \
                             正常, 健康), isolating (黄码), quarantined (隔离, 居家隔离, \
                             集中隔离) or unwell (生病, 不适)"
                        ),
                    );
                }
            },
        };
        let vehicle = c.vehicle.filter(|v| !NO_VEHICLE.contains(&v.to_lowercase().as_str()));
        notes.extend(c.kept);
        let notes = (!notes.is_empty()).then(|| notes.join("；"));
        Judged::Valid(Row {
            draft: VolunteerDraft {
                resident_id: None,
                name,
                phone: Some(phone),
                id_number,
                area_id: None,
                skills,
                availability,
                capacity,
                health,
                vehicle,
                notes,
            },
            street: c.street,
            community: c.community,
            grid: c.grid,
        })
    }

    /// The skills a cell names, as keys: split on the separators offices use, each piece a key,
    /// a label or a word of one label (`refdata::check_skills`), else split again on spaces.
    /// Unknown skills reject the row, naming them and the skills that exist.
    fn skills(&self, conn: &Connection, text: &str) -> Result<Vec<String>, Problem> {
        let known = |piece: &str| {
            refdata::check_skills(conn, vec![piece.to_owned()]).ok().filter(|k| !k.is_empty())
        };
        let mut keys: Vec<String> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        for piece in identity::to_halfwidth(text).split(SKILL_SEPARATORS) {
            let piece = piece.trim();
            if piece.is_empty() || row::means_nothing(piece) {
                continue;
            }
            let found = known(piece).or_else(|| {
                let words: Vec<&str> = piece.split_whitespace().collect();
                let each: Option<Vec<Vec<String>>> =
                    (words.len() > 1).then(|| words.iter().map(|w| known(w)).collect()).flatten();
                each.map(|k| k.concat())
            });
            match found {
                Some(k) => keys.extend(k),
                None => unknown.push(piece.to_owned()),
            }
        }
        if unknown.is_empty() {
            let mut out: Vec<String> = Vec::new();
            for k in keys {
                if !out.contains(&k) {
                    out.push(k);
                }
            }
            return Ok(out);
        }
        let v = shown(&unknown.join("、"));
        let active = self.skills.iter().filter(|s| s.active);
        let zh: Vec<&str> = active.clone().map(|s| s.label_zh.as_str()).collect();
        let en: Vec<&str> = active.map(|s| s.label_en.as_str()).collect();
        Err(self.problem(
            "skills",
            "unknown_skill",
            format!(
                "技能“{v}”不在技能列表中：请改用列表中的技能，或先在设置中添加。现有技能：{}",
                zh.join("、")
            ),
            format!(
                "the skill “{v}” is not on the skills list: use one of the list, or add it in \
                 Settings first. The skills are: {}",
                en.join(", ")
            ),
        ))
    }

    fn availability_problem(&self, e: &AvailabilityError) -> Judged {
        let zh = match e {
            AvailabilityError::NotUnderstood { part } => format!(
                "可服务时间中“{}”无法识别：请写成“周一至周五 18:00-21:00”“周六 全天”或“每天晚上”这样的形式",
                shown(part)
            ),
            AvailabilityError::NoHours { part } => format!(
                "可服务时间中“{}”只有日期没有时段：请补上时段，如 18:00-21:00 或“全天”",
                shown(part)
            ),
            AvailabilityError::NoDays { part } => format!(
                "可服务时间中“{}”只有时段没有日期：请在前面写上日期，如“周一至周五”或“每天”",
                shown(part)
            ),
            AvailabilityError::BadTime { part } => format!(
                "可服务时间中“{}”不是有效的时段：小时为 0–24，分钟为 0–59，结束须晚于开始（跨夜请分两天写）",
                shown(part)
            ),
            other => format!("可服务时间无法识别：{other}"),
        };
        self.reject("availability", "availability_not_understood", zh, format!("availability: {e}"))
    }
}

/// A row's cells by the field they hold.
#[derive(Default)]
struct Cells {
    name: Option<String>,
    id: IdCell,
    /// Every phone cell, the phone column first, with the label its extras go under.
    phones: Vec<(String, String)>,
    street: Option<String>,
    community: Option<String>,
    grid: Option<String>,
    skills: Option<String>,
    availability: Option<String>,
    capacity: Option<Cell>,
    health: Option<String>,
    vehicle: Option<String>,
    notes: Option<String>,
    /// Columns of no volunteer field, kept in the notes as `header：value`.
    kept: Vec<String>,
}

impl Cells {
    fn take(&mut self, role: Option<&ColumnRole<F>>, at: usize, cell: &Cell) {
        let text = || row::text_of(cell);
        match role {
            Some(ColumnRole::Field(F::IdNumber)) => self.id = row::id_cell(cell),
            Some(ColumnRole::Field(F::Phone)) => {
                if let Some(t) = row::phone_text(cell) {
                    self.phones.insert(0, (OTHER_PHONES.to_owned(), t));
                }
            }
            Some(ColumnRole::ExtraPhone(h)) => {
                if let Some(t) = row::phone_text(cell) {
                    self.phones.push((h.clone(), t));
                }
            }
            Some(ColumnRole::Field(F::Capacity)) => {
                self.capacity = text().is_some().then(|| cell.clone());
            }
            Some(ColumnRole::Field(f)) => {
                let slot = match f {
                    F::Name => &mut self.name,
                    F::Street => &mut self.street,
                    F::Community => &mut self.community,
                    F::Grid => &mut self.grid,
                    F::Skills => &mut self.skills,
                    F::Availability => &mut self.availability,
                    F::Health => &mut self.health,
                    F::Vehicle => &mut self.vehicle,
                    F::Notes => &mut self.notes,
                    F::IdNumber | F::Phone | F::Capacity => return,
                };
                *slot = text();
            }
            Some(ColumnRole::Attribute(h)) => {
                if let Some(t) = text() {
                    self.kept.push(format!("{h}：{t}"));
                }
            }
            Some(ColumnRole::Ignore) => {}
            // Cells beyond the header: kept, so nothing the office typed is lost.
            None => {
                if let Some(t) = text() {
                    self.kept.push(format!("列{}：{t}", at + 1));
                }
            }
        }
    }
}

/// The first valid phone of all the row's phone cells; every other part is kept in the notes
/// under its column's name. `None` when the row gives phones but none is valid.
fn take_phones(phones: Vec<(String, String)>, notes: &mut Vec<String>) -> Option<String> {
    let mut phone: Option<String> = None;
    for (label, raw) in phones {
        let mut rest: Vec<String> = Vec::new();
        for part in identity::parse_phones(&raw) {
            match part {
                PhonePart::Valid(p) if phone.is_none() => phone = Some(p.number),
                PhonePart::Valid(p) => rest.push(p.number),
                PhonePart::Invalid(text) if row::means_nothing(&text) => {}
                PhonePart::Invalid(text) => rest.push(text),
            }
        }
        if !rest.is_empty() {
            notes.push(format!("{label}：{}", rest.join("/")));
        }
    }
    phone
}

/// Tasks at once: a whole number, as a number cell or text (`2`, `２个`, `3单`, `两`).
fn capacity_of(cell: &Cell) -> Option<u32> {
    if let Cell::Number(n) = cell {
        return (n.fract() == 0.0 && *n >= 0.0 && *n <= 1e6).then_some(*n as u32);
    }
    let t = identity::to_halfwidth(&row::text_of(cell)?);
    let t = t.trim().trim_end_matches(['个', '单', '件', '项', '次', '人']).trim();
    if let Ok(n) = t.parse::<u32>() {
        return Some(n);
    }
    const ZH: [&str; 11] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    match t {
        "两" => Some(2),
        _ => ZH.iter().position(|z| *z == t).map(|n| n as u32),
    }
}

/// Health as offices write it: health-code colours, quarantine words, or (under 是否隔离) a yes
/// or a no. `None` when the words are not understood (the row is rejected rather than a
/// volunteer sent out who said they were not well).
pub fn parse_health(text: &str) -> Option<Health> {
    let t: String = identity::to_halfwidth(text)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_' | '(' | ')' | '（' | '）'))
        .flat_map(char::to_lowercase)
        .collect();
    const WELL: &[&str] = &[
        "绿码",
        "绿",
        "正常",
        "健康",
        "良好",
        "身体健康",
        "阴性",
        "无异常",
        "否",
        "未隔离",
        "无需隔离",
        "不需隔离",
        "解除隔离",
        "已解除隔离",
        "green",
        "greencode",
        "well",
        "healthy",
        "normal",
        "fine",
        "ok",
        "no",
    ];
    const ISOLATING: &[&str] = &[
        "黄码",
        "黄",
        "居家观察",
        "健康监测",
        "居家健康监测",
        "yellow",
        "yellowcode",
        "isolating",
        "selfisolating",
    ];
    const QUARANTINED: &[&str] = &[
        "隔离",
        "居家隔离",
        "集中隔离",
        "隔离中",
        "是",
        "红码",
        "红",
        "red",
        "redcode",
        "quarantine",
        "quarantined",
        "yes",
    ];
    const UNWELL: &[&str] = &[
        "生病",
        "不适",
        "身体不适",
        "患病",
        "发热",
        "发烧",
        "病假",
        "住院",
        "sick",
        "ill",
        "unwell",
    ];
    let exact = [
        (WELL, Health::Well),
        (ISOLATING, Health::Isolating),
        (QUARANTINED, Health::Quarantined),
        (UNWELL, Health::Unwell),
    ];
    if let Some((_, h)) = exact.iter().find(|(words, _)| words.contains(&t.as_str())) {
        return Some(*h);
    }
    // Longer phrases (居家隔离中, 绿码正常) by their key word, unless something negates it.
    if ["未", "无需", "不需", "解除", "没有", "无", "非"].iter().any(|n| t.contains(n)) {
        return None;
    }
    let words: [(&[&str], Health); 4] = [
        (&["隔离", "红码"], Health::Quarantined),
        (&["黄码"], Health::Isolating),
        (&["不适", "生病", "发热", "发烧"], Health::Unwell),
        (&["绿码", "健康", "正常"], Health::Well),
    ];
    words.iter().find(|(ws, _)| ws.iter().any(|w| t.contains(w))).map(|(_, h)| *h)
}
