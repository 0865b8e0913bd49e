//! Triage, pure: the priority proposed for a request with every reason considered, and likely
//! duplicates. The official sees the reasons and may override the proposal with one of their
//! own; nothing here decides for them.
//!
//! | rule | when | the reason's level | code | detail |
//! |---|---|---|---|---|
//! | category | always | the category's base (`triage/categories.json`, editable) | `category` | the category key |
//! | crisis word | a phrase of `triage/crisis_words.txt` in the description, not negated | the phrase's level (urgent or high) | `crisis_word` | the phrase as typed |
//! | vulnerable | each vulnerability tag of the resident | the base one step up: low → normal, normal → high, high stays high (a tag alone never makes a request urgent) | `vulnerable` | the tag key |
//! | vulnerable medical | category `medicine` and the tag `chronic_illness`, `pregnant` or `disabled`; or, in lockdown, `elderly_alone` or `home_quarantine` | high | `vulnerable_medical` | the tag key |
//!
//! The proposal is the most urgent of its reasons. Every reason considered is listed, also
//! those that did not change the outcome, most urgent first, then in the order of the table
//! (crisis words in the order they appear, tags by key). Several tags still raise by one step
//! only: they say the same thing, that this resident copes less well with waiting. One reason
//! per kind of crisis (胸痛 and 胸闷 are one), so a long description does not outweigh a short
//! one. What counts as a crisis word and as a negation is described in [`crisis`].

mod categories;
pub mod crisis;
mod duplicates;

use serde::{Deserialize, Serialize};

pub use categories::{
    default_categories, parse_categories, validate_categories, CategoryDef, CategoryError,
    Question, QuestionKind,
};
pub use crisis::{crisis_words, CrisisHit};
pub use duplicates::{likely_duplicates, similarity, Candidate, DuplicateHit, DuplicateWhy};

/// A priority as triage reasons about it (the lead maps it to `sla::Priority`). Ordered from
/// the most urgent: `min` is the most urgent of several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Urgent,
    High,
    Normal,
    Low,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Urgent, Level::High, Level::Normal, Level::Low];

    /// One step more urgent, but never urgent: that takes words, not circumstances.
    fn raised(self) -> Level {
        match self {
            Level::Low => Level::Normal,
            Level::Normal | Level::High => Level::High,
            Level::Urgent => Level::Urgent,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TriageInput<'a> {
    pub category_base: Level,
    pub category_key: &'a str,
    /// The resident's vulnerability tag keys (`elderly_alone`, `disabled`, `chronic_illness`,
    /// `pregnant`, `low_income`, `home_quarantine`, or an office's own).
    pub vulnerability_tags: &'a [String],
    pub description: &'a str,
    /// The district runs in lockdown mode.
    pub lockdown: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable: `category`, `crisis_word`, `vulnerable`, `vulnerable_medical`.
    pub code: String,
    pub level: Level,
    /// What is behind it, for display: the category key, the phrase as typed, the tag key.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub level: Level,
    pub reasons: Vec<Reason>,
}

/// The codes in the order of the rule table, which orders reasons of the same level.
const CODES: [&str; 4] = ["category", "crisis_word", "vulnerable", "vulnerable_medical"];

/// The proposed priority and everything considered (the rules are in the module's table).
pub fn propose(input: &TriageInput<'_>) -> Proposal {
    let reason = |code: &str, level: Level, detail: &str| Reason {
        code: code.to_owned(),
        level,
        detail: detail.to_owned(),
    };
    let mut reasons = vec![reason("category", input.category_base, input.category_key)];
    for hit in crisis_words(input.description) {
        reasons.push(reason("crisis_word", hit.level, &hit.typed));
    }
    let mut tags: Vec<&str> =
        input.vulnerability_tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).collect();
    tags.sort_unstable();
    tags.dedup();
    let medicine = input.category_key == "medicine";
    for tag in tags {
        reasons.push(reason("vulnerable", input.category_base.raised(), tag));
        let medical = match tag {
            "chronic_illness" | "pregnant" | "disabled" => true,
            "elderly_alone" | "home_quarantine" => input.lockdown,
            _ => false,
        };
        if medicine && medical {
            reasons.push(reason("vulnerable_medical", Level::High, tag));
        }
    }
    let rank = |r: &Reason| CODES.iter().position(|c| *c == r.code);
    // Stable: crisis words keep the order they appear in, tags their key order.
    reasons.sort_by_key(|r| (r.level, rank(r)));
    let level = reasons.iter().map(|r| r.level).min().unwrap_or(input.category_base);
    Proposal { level, reasons }
}

fn tag_label(key: &str, zh: bool) -> &str {
    let (z, e) = match key {
        "elderly_alone" => ("独居老人", "Elderly living alone"),
        "disabled" => ("残疾人", "Disabled"),
        "chronic_illness" => ("慢性病", "Chronic illness"),
        "pregnant" => ("孕产妇", "Pregnant"),
        "low_income" => ("低保户", "Low income"),
        "home_quarantine" => ("居家隔离", "Home quarantine"),
        other => (other, other),
    };
    if zh {
        z
    } else {
        e
    }
}

fn level_label(level: Level, zh: bool) -> &'static str {
    match (level, zh) {
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

/// A reason as the official reads it, in `zh-CN` or `en` (any `en-*` is English, anything
/// else Chinese, the office's language).
pub fn reason_text(reason: &Reason, lang: &str) -> String {
    let zh = !lang.starts_with("en");
    let level = level_label(reason.level, zh);
    let detail = reason.detail.as_str();
    match (reason.code.as_str(), zh) {
        ("category", true) => format!("该类别的默认优先级：{level}"),
        ("category", false) => format!("The category's default priority: {level}"),
        ("crisis_word", true) => format!("描述中提到“{detail}”：{level}"),
        ("crisis_word", false) => format!("The description mentions “{detail}”: {level}"),
        ("vulnerable", true) => format!("{}：优先级上调一级（{level}）", tag_label(detail, true)),
        ("vulnerable", false) => {
            format!("{}: priority one step up ({level})", tag_label(detail, false))
        }
        ("vulnerable_medical", true) => {
            format!("{}，需要药品或就医：至少{level}", tag_label(detail, true))
        }
        ("vulnerable_medical", false) => {
            format!("{}, needs medicine or care: at least {level}", tag_label(detail, false))
        }
        (code, true) => format!("{code}（{detail}）：{level}"),
        (code, false) => format!("{code} ({detail}): {level}"),
    }
}

#[cfg(test)]
mod tests;
