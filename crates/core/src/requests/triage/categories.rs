//! The request categories a new store starts with, and the rules any category list keeps.
//!
//! The defaults follow the seed platform's programmes (Weijiayuan of Jiaxing: mask and supplies
//! appointments, neighbourhood mutual assistance, community service needs, psychological
//! consultation, service consultation), plus medicine and medical transport, and other. They
//! live in `categories.json` rather than in Rust because they seed a table officials edit:
//! the file reads like the rows it becomes.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::Level;

/// How a category's question is answered on the intake form.
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
    /// Stable within its category: answers are stored under it.
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub kind: QuestionKind,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryDef {
    /// Stable: requests refer to their category by it.
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    /// Where triage starts before the description and the resident are considered.
    pub base: Level,
    pub questions: Vec<Question>,
    /// Position on the intake form, smallest first.
    pub sort: i32,
}

/// Why a category list cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CategoryError {
    #[error("the category list is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("a category has an empty key")]
    EmptyKey,
    #[error("the category key “{0}” is used twice")]
    DuplicateKey(String),
    #[error("category “{0}” needs both a Chinese and an English label")]
    MissingLabel(String),
    #[error("category “{category}”: question “{question}” is asked twice")]
    DuplicateQuestion { category: String, question: String },
    #[error("category “{category}”: question “{question}” needs a key and both labels")]
    IncompleteQuestion { category: String, question: String },
    #[error("category “{category}”: question “{question}” offers no choices or an unlabelled one")]
    BadChoices { category: String, question: String },
}

/// The categories a new store starts with.
pub fn default_categories() -> Vec<CategoryDef> {
    parse_categories(include_str!("categories.json"))
        .expect("the embedded categories are valid (tested)")
}

/// A category list from JSON (the shape of `categories.json`), checked by
/// [`validate_categories`].
pub fn parse_categories(json: &str) -> Result<Vec<CategoryDef>, CategoryError> {
    let cats: Vec<CategoryDef> = serde_json::from_str(json)?;
    validate_categories(&cats)?;
    Ok(cats)
}

/// The rules a category list keeps, whoever edited it: keys unique and non-empty, both labels
/// present, question keys unique within their category, every choice labelled.
pub fn validate_categories(cats: &[CategoryDef]) -> Result<(), CategoryError> {
    let blank = |s: &str| s.trim().is_empty();
    let mut keys = HashSet::new();
    for c in cats {
        if blank(&c.key) {
            return Err(CategoryError::EmptyKey);
        }
        if !keys.insert(c.key.as_str()) {
            return Err(CategoryError::DuplicateKey(c.key.clone()));
        }
        if blank(&c.label_zh) || blank(&c.label_en) {
            return Err(CategoryError::MissingLabel(c.key.clone()));
        }
        let mut asked = HashSet::new();
        for q in &c.questions {
            let (category, question) = (c.key.clone(), q.key.clone());
            if blank(&q.key) || blank(&q.label_zh) || blank(&q.label_en) {
                return Err(CategoryError::IncompleteQuestion { category, question });
            }
            if !asked.insert(q.key.as_str()) {
                return Err(CategoryError::DuplicateQuestion { category, question });
            }
            if let QuestionKind::Choice(choices) = &q.kind {
                if choices.is_empty() || choices.iter().any(|(zh, en)| blank(zh) || blank(en)) {
                    return Err(CategoryError::BadChoices { category, question });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_categories_are_the_programmes_with_their_levels() {
        let cats = parse_categories(include_str!("categories.json")).expect("valid");
        let got: Vec<(&str, Level)> = cats.iter().map(|c| (c.key.as_str(), c.base)).collect();
        assert_eq!(
            got,
            [
                ("supplies", Level::Normal),
                ("mutual_aid", Level::Normal),
                ("community_service", Level::Normal),
                ("psychological", Level::High),
                ("consultation", Level::Low),
                ("medicine", Level::High),
                ("welfare_check", Level::Normal),
                ("other", Level::Normal),
            ]
        );
        let mut sorts: Vec<i32> = cats.iter().map(|c| c.sort).collect();
        let listed = sorts.clone();
        sorts.sort_unstable();
        assert_eq!(sorts, listed, "the file lists them in form order");
        let medicine = cats.iter().find(|c| c.key == "medicine").expect("medicine");
        let asks: Vec<&str> = medicine.questions.iter().map(|q| q.key.as_str()).collect();
        assert!(asks.contains(&"prescription") && asks.contains(&"transport"), "{asks:?}");
    }

    #[test]
    fn a_broken_list_says_what_is_wrong() {
        let mut cats = default_categories();
        cats[1].key = "supplies".into();
        assert!(
            matches!(validate_categories(&cats), Err(CategoryError::DuplicateKey(k)) if k == "supplies")
        );
        let mut cats = default_categories();
        cats[0].label_en = " ".into();
        assert!(matches!(validate_categories(&cats), Err(CategoryError::MissingLabel(_))));
        let mut cats = default_categories();
        let q = cats[0].questions[0].clone();
        cats[0].questions.push(q);
        assert!(matches!(
            validate_categories(&cats),
            Err(CategoryError::DuplicateQuestion { question, .. }) if question == "items"
        ));
        let mut cats = default_categories();
        cats[0].questions[0].kind = QuestionKind::Choice(vec![]);
        assert!(matches!(validate_categories(&cats), Err(CategoryError::BadChoices { .. })));
        assert!(matches!(parse_categories("[{]"), Err(CategoryError::Json(_))));
    }

    #[test]
    fn question_kinds_keep_the_stored_shape() {
        // Stored rows and the intake form read this JSON: the shape is a contract.
        let choice = QuestionKind::Choice(vec![("口罩".into(), "Masks".into())]);
        assert_eq!(
            serde_json::to_string(&choice).expect("json"),
            r#"{"choice":[["口罩","Masks"]]}"#
        );
        assert_eq!(serde_json::to_string(&QuestionKind::YesNo).expect("json"), r#""yes_no""#);
    }
}
