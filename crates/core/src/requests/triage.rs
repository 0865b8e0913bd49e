//! Triage, pure: the priority proposed for a request with every reason considered, and likely
//! duplicates. The official sees the reasons and may override with one of their own.
//!
//! | rule | effect | reason code |
//! |---|---|---|
//! | the category's base priority (`triage/categories.json`) | the starting level | `category` |
//! | a crisis word in the description (`triage/crisis_words.txt`, Chinese and English) | at least the word's level (urgent or high) | `crisis_word` |
//! | a vulnerability tag of the resident (elderly living alone, disabled, chronic illness, pregnant, low income, home quarantine) | one step up from the category, never to urgent by a tag alone | `vulnerable` |
//! | medicine for someone chronically ill, pregnant or disabled; or, in lockdown, living alone or in home quarantine | at least high | `vulnerable_medical` |
//!
//! The proposal is the most urgent of its reasons; reasons that did not change it are listed
//! too. A negation just before a crisis word (没有胸痛, "no chest pain") cancels it; double
//! negations and sarcasm are beyond a word list, which is why the official decides.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Urgent,
    High,
    Normal,
    Low,
}

impl Level {
    fn up(self) -> Level {
        match self {
            Level::Low => Level::Normal,
            Level::Normal | Level::High => Level::High,
            Level::Urgent => Level::Urgent,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    Text,
    YesNo,
    Number,
    /// Choices as (Chinese, English).
    Choice(Vec<(String, String)>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub kind: QuestionKind,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryDef {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub base: Level,
    pub questions: Vec<Question>,
    pub sort: i32,
}

/// The categories a new store starts with: the seed platform's programmes, medicine and
/// medical transport, and other. The store keeps them as editable data.
pub fn default_categories() -> Vec<CategoryDef> {
    serde_json::from_str(include_str!("triage/categories.json"))
        .expect("the embedded categories parse (tested)")
}

#[derive(Debug, Clone)]
struct Phrase {
    level: Level,
    code: String,
    /// Normalised for matching.
    text: String,
    /// Latin phrases match whole words only ("fire" is not in "firewood").
    ascii: bool,
}

fn norm(s: &str) -> String {
    s.nfkc().flat_map(char::to_lowercase).map(|c| if c == '’' { '\'' } else { c }).collect()
}

fn phrases() -> &'static [Phrase] {
    static PHRASES: OnceLock<Vec<Phrase>> = OnceLock::new();
    PHRASES.get_or_init(|| {
        include_str!("triage/crisis_words.txt")
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut parts = l.split('|').map(str::trim);
                let level = match parts.next()? {
                    "urgent" => Level::Urgent,
                    "high" => Level::High,
                    _ => return None,
                };
                let code = parts.next()?.to_owned();
                let text = norm(parts.next()?);
                let ascii = text.is_ascii();
                Some(Phrase { level, code, text, ascii })
            })
            .collect()
    })
}

const NEGATIONS_ZH: [&str; 6] = ["没有", "并非", "不是", "没", "无", "未"];
const NEGATIONS_EN: [&str; 5] = ["no ", "not ", "never ", "without ", "don't have "];

/// Whether the text just before a match, within its clause, negates it.
fn negated(before: &str) -> bool {
    let before =
        before.rfind(|c: char| "，。！？；,.!?;\n".contains(c)).map_or(before, |i| &before[i..]);
    let tail: String = before.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    if NEGATIONS_ZH.iter().any(|n| tail.contains(n)) {
        return true;
    }
    let tail_en: String =
        before.chars().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect();
    NEGATIONS_EN.iter().any(|n| tail_en.ends_with(n) || tail_en.ends_with(&format!("{}any ", n)))
}

/// The crisis words in `description`, as (level, code, the phrase as written), once each.
pub fn crisis_words(description: &str) -> Vec<(Level, String, String)> {
    let text = norm(description);
    let mut out: Vec<(Level, String, String)> = Vec::new();
    for p in phrases() {
        let mut from = 0;
        while let Some(i) = text[from..].find(&p.text) {
            let at = from + i;
            let end = at + p.text.len();
            from = end;
            if p.ascii {
                let left = text[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() && c.is_ascii());
                let right =
                    text[end..].chars().next().is_some_and(|c| c.is_alphanumeric() && c.is_ascii());
                if left || right {
                    continue;
                }
            }
            if negated(&text[..at]) {
                continue;
            }
            if !out.iter().any(|(_, code, _)| *code == p.code) {
                out.push((p.level, p.code.clone(), p.text.clone()));
            }
            break;
        }
    }
    out
}

#[derive(Debug, Clone)]
pub struct TriageInput<'a> {
    pub category_base: Level,
    pub category_key: &'a str,
    /// Vulnerability tag keys of the resident.
    pub vulnerability_tags: &'a [String],
    pub description: &'a str,
    pub lockdown: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub level: Level,
    /// The phrase, tag or category behind it.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub level: Level,
    pub reasons: Vec<Reason>,
}

pub fn propose(input: &TriageInput<'_>) -> Proposal {
    let mut reasons = vec![Reason {
        code: "category".into(),
        level: input.category_base,
        detail: input.category_key.to_owned(),
    }];
    for (level, _, phrase) in crisis_words(input.description) {
        reasons.push(Reason { code: "crisis_word".into(), level, detail: phrase });
    }
    let mut tags: Vec<&String> = input.vulnerability_tags.iter().collect();
    tags.sort();
    tags.dedup();
    for tag in tags {
        reasons.push(Reason {
            code: "vulnerable".into(),
            level: input.category_base.up(),
            detail: tag.clone(),
        });
        let medical = matches!(tag.as_str(), "chronic_illness" | "pregnant" | "disabled")
            || (input.lockdown && matches!(tag.as_str(), "elderly_alone" | "home_quarantine"));
        if input.category_key == "medicine" && medical {
            reasons.push(Reason {
                code: "vulnerable_medical".into(),
                level: Level::High,
                detail: tag.clone(),
            });
        }
    }
    reasons.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.detail.cmp(&b.detail))
    });
    let level = reasons.iter().map(|r| r.level).min().unwrap_or(input.category_base);
    Proposal { level, reasons }
}

fn tag_label(key: &str, zh: bool) -> &str {
    let (z, e) = match key {
        "elderly_alone" => ("独居老人", "elderly living alone"),
        "disabled" => ("残疾人", "disabled"),
        "chronic_illness" => ("慢性病", "chronic illness"),
        "pregnant" => ("孕产妇", "pregnant"),
        "low_income" => ("低保户", "low income"),
        "home_quarantine" => ("居家隔离", "home quarantine"),
        other => (other, other),
    };
    if zh {
        z
    } else {
        e
    }
}

fn level_label(l: Level, zh: bool) -> &'static str {
    match (l, zh) {
        (Level::Urgent, true) => "紧急",
        (Level::High, true) => "较急",
        (Level::Normal, true) => "一般",
        (Level::Low, true) => "不急",
        (Level::Urgent, false) => "urgent",
        (Level::High, false) => "high",
        (Level::Normal, false) => "normal",
        (Level::Low, false) => "low",
    }
}

/// A reason in the official's language (`zh-CN` or `en`).
pub fn reason_text(reason: &Reason, lang: &str) -> String {
    let zh = !lang.starts_with("en");
    let level = level_label(reason.level, zh);
    match (reason.code.as_str(), zh) {
        ("category", true) => format!("类别默认：{level}"),
        ("category", false) => format!("Category default: {level}"),
        ("crisis_word", true) => format!("描述中提到“{}”：{level}", reason.detail),
        ("crisis_word", false) => format!("The description mentions “{}”: {level}", reason.detail),
        ("vulnerable", true) => format!("{}：上调一级（{level}）", tag_label(&reason.detail, true)),
        ("vulnerable", false) => {
            format!("{}: one step up ({level})", tag_label(&reason.detail, false))
        }
        ("vulnerable_medical", true) => {
            format!("{}需要药品或就医：至少{level}", tag_label(&reason.detail, true))
        }
        ("vulnerable_medical", false) => {
            format!("Medicine for someone {}: at least {level}", tag_label(&reason.detail, false))
        }
        (code, _) => format!("{code}: {level}"),
    }
}

/// A request as duplicate detection sees it.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub id: &'a str,
    pub resident_id: Option<&'a str>,
    pub category_key: &'a str,
    pub description: &'a str,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum DuplicateWhy {
    SameResidentAndCategory,
    SimilarDescription { similarity: f32 },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicateHit<'a> {
    pub id: &'a str,
    pub why: DuplicateWhy,
}

/// The significant characters of a text: letters and digits, normalised.
fn significant(s: &str) -> Vec<char> {
    norm(s).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Dice's coefficient over character bigrams: works for Chinese (no spaces) and English alike.
pub fn similarity(a: &str, b: &str) -> f32 {
    let (a, b) = (significant(a), significant(b));
    if a.len() < 2 || b.len() < 2 {
        return if !a.is_empty() && a == b { 1.0 } else { 0.0 };
    }
    let grams = |v: &[char]| {
        let mut g: Vec<(char, char)> = v.windows(2).map(|w| (w[0], w[1])).collect();
        g.sort_unstable();
        g
    };
    let (ga, gb) = (grams(&a), grams(&b));
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < ga.len() && j < gb.len() {
        match ga[i].cmp(&gb[j]) {
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    (2 * common) as f32 / (ga.len() + gb.len()) as f32
}

/// Likely duplicates of `new` among `others`: the same resident and category within a day, or
/// a similar description (Dice ≥ 0.6 over at least 6 significant characters) within three days.
pub fn likely_duplicates<'a>(
    new: &Candidate<'_>,
    others: &[Candidate<'a>],
) -> Vec<DuplicateHit<'a>> {
    let mut hits: Vec<DuplicateHit<'a>> = Vec::new();
    let close = |o: &Candidate<'_>, d: Duration| (o.created_at - new.created_at).abs() <= d;
    for o in others {
        if o.id == new.id {
            continue;
        }
        if new.resident_id.is_some()
            && o.resident_id == new.resident_id
            && o.category_key == new.category_key
            && close(o, Duration::hours(24))
        {
            hits.push(DuplicateHit { id: o.id, why: DuplicateWhy::SameResidentAndCategory });
            continue;
        }
        if significant(new.description).len() >= 6 && close(o, Duration::hours(72)) {
            let s = similarity(new.description, o.description);
            if s >= 0.6 {
                hits.push(DuplicateHit {
                    id: o.id,
                    why: DuplicateWhy::SimilarDescription { similarity: s },
                });
            }
        }
    }
    let rank = |h: &DuplicateHit<'_>| match h.why {
        DuplicateWhy::SameResidentAndCategory => 2.0,
        DuplicateWhy::SimilarDescription { similarity } => similarity,
    };
    hits.sort_by(|a, b| rank(b).total_cmp(&rank(a)).then_with(|| a.id.cmp(b.id)));
    hits.dedup_by(|a, b| a.id == b.id);
    hits
}

#[cfg(test)]
#[path = "triage/tests.rs"]
mod tests;
