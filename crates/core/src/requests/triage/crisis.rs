//! Crisis words: phrases in a description that raise the proposed priority, from the list in
//! `crisis_words.txt`, in Chinese and English.
//!
//! A description is folded before matching: NFKC (full-width letters and punctuation become
//! their ordinary forms), lower case, curly apostrophes straight. Each folded byte remembers the
//! character it came from, so a reason can quote the words exactly as the resident typed them.
//!
//! A phrase does not count when
//! - it lies inside an `ignore` expression of the list (跳楼价, "fire drill");
//! - it is negated: within its clause (text after the last `，。！？；：、,.!?;:` or line break),
//!   it is directly preceded by a Chinese negation (没有 没 无 未 不是 并非 从未 从没 不再 否认),
//!   or an English one (no, not, never, without, nor, don't, doesn't, isn't… and their forms
//!   without the apostrophe), possibly with a few filler words between (没有**出现**胸闷,
//!   无**明显**胸痛, "no **signs of a** stroke", "not **having** chest pain");
//! - it lies inside a negated phrase (the 高烧 of 没有发高烧).
//!
//! Deliberately not handled, so such descriptions still raise the priority (a false alarm is
//! cheaper than a missed crisis, and the official reads the description anyway):
//! - questions are not negations: 是不是心梗 and 有没有胸痛 count;
//! - a negation reaches one phrase only: in 没有发烧、胸痛 and "no fever or chest pain" the
//!   chest pain counts;
//! - a negation after the phrase (胸痛已经好了, "chest pain is gone"), double negations
//!   (不是不想活), irony and reported speech are beyond a word list;
//! - a negation word that ends another word (毫无 is fine, but 一无所有 before a phrase also
//!   negates it) is rare enough to accept.

use std::ops::Range;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

use super::Level;

/// A crisis word found in a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrisisHit {
    pub level: Level,
    /// The kind of crisis (`chest_pain`, `suicide`…), as the word list names it.
    pub code: String,
    /// The words as the resident typed them, full-width letters, capitals and all.
    pub typed: String,
    /// Where they are in the description, in bytes.
    pub at: Range<usize>,
}

/// Why a crisis word list cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WordListError {
    #[error("line {line}: expected `LEVEL | CODE | phrase` or `ignore | phrase`")]
    Shape { line: usize },
    #[error("line {line}: “{level}” is not a level that raises (urgent or high)")]
    Level { line: usize, level: String },
    #[error("line {line}: “{phrase}” is already listed")]
    Duplicate { line: usize, phrase: String },
    #[error("line {line}: code {code} has another level on an earlier line")]
    MixedLevel { line: usize, code: String },
}

#[derive(Debug)]
struct Phrase {
    level: Level,
    code: String,
    /// Folded, as descriptions are.
    text: String,
    /// Latin phrases match whole words only.
    whole_word: bool,
}

/// A parsed word list: the phrases and the expressions that contain one but are none.
#[derive(Debug)]
pub struct WordList {
    phrases: Vec<Phrase>,
    ignore: Vec<String>,
}

impl WordList {
    /// Parses the format of `crisis_words.txt` (described at its top).
    pub fn parse(text: &str) -> Result<WordList, WordListError> {
        let mut list = WordList { phrases: Vec::new(), ignore: Vec::new() };
        let mut seen = std::collections::HashSet::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let raw = raw.trim();
            if raw.is_empty() || raw.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = raw.split('|').map(str::trim).collect();
            let phrase = match parts.as_slice() {
                ["ignore", p] | [_, _, p] if !p.is_empty() => fold_str(p),
                _ => return Err(WordListError::Shape { line }),
            };
            if !seen.insert(phrase.clone()) {
                return Err(WordListError::Duplicate { line, phrase });
            }
            let (level, code) = match parts.as_slice() {
                ["ignore", _] => {
                    list.ignore.push(phrase);
                    continue;
                }
                ["urgent", code, _] => (Level::Urgent, *code),
                ["high", code, _] => (Level::High, *code),
                [level, _, _] => {
                    return Err(WordListError::Level { line, level: (*level).to_owned() })
                }
                _ => return Err(WordListError::Shape { line }),
            };
            if code.is_empty() || !code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return Err(WordListError::Shape { line });
            }
            if list.phrases.iter().any(|p| p.code == code && p.level != level) {
                return Err(WordListError::MixedLevel { line, code: code.to_owned() });
            }
            let whole_word = phrase.is_ascii();
            list.phrases.push(Phrase { level, code: code.to_owned(), text: phrase, whole_word });
        }
        Ok(list)
    }

    /// The phrases as (level, code, folded phrase), in list order.
    pub fn phrases(&self) -> impl Iterator<Item = (Level, &str, &str)> {
        self.phrases.iter().map(|p| (p.level, p.code.as_str(), p.text.as_str()))
    }

    /// The everyday expressions, folded.
    pub fn ignored(&self) -> impl Iterator<Item = &str> {
        self.ignore.iter().map(String::as_str)
    }

    /// The crisis words in `description`: one hit per code (its first occurrence, the longest
    /// phrase there), in the order they appear.
    pub fn scan(&self, description: &str) -> Vec<CrisisHit> {
        let folded = Folded::new(description);
        let text = folded.text.as_str();
        let ignored: Vec<Range<usize>> =
            self.ignore.iter().flat_map(|p| occurrences(text, p, p.is_ascii())).collect();
        // (phrase, where, negated) of every occurrence outside an everyday expression.
        let mut found: Vec<(&Phrase, Range<usize>, bool)> = Vec::new();
        for p in &self.phrases {
            for at in occurrences(text, &p.text, p.whole_word) {
                if !ignored.iter().any(|i| covers(i, &at)) {
                    let negated = negated(&text[..at.start]);
                    found.push((p, at, negated));
                }
            }
        }
        let silenced: Vec<Range<usize>> =
            found.iter().filter(|f| f.2).map(|f| f.1.clone()).collect();
        found.retain(|(_, at, negated)| !negated && !silenced.iter().any(|s| covers(s, at)));
        found.sort_by(|a, b| a.1.start.cmp(&b.1.start).then(b.1.end.cmp(&a.1.end)));
        let mut hits: Vec<CrisisHit> = Vec::new();
        for (p, at, _) in found {
            if hits.iter().all(|h| h.code != p.code) {
                let at = folded.origin(&at);
                let typed = description[at.clone()].to_owned();
                hits.push(CrisisHit { level: p.level, code: p.code.clone(), typed, at });
            }
        }
        hits
    }
}

/// The embedded word list, parsed once.
pub fn word_list() -> &'static WordList {
    static LIST: OnceLock<WordList> = OnceLock::new();
    LIST.get_or_init(|| {
        WordList::parse(include_str!("crisis_words.txt"))
            .expect("the embedded crisis words parse (tested)")
    })
}

/// The crisis words in `description` by the embedded list (see [`WordList::scan`]).
pub fn crisis_words(description: &str) -> Vec<CrisisHit> {
    word_list().scan(description)
}

fn covers(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// A text folded for matching, with where each folded byte came from in the original.
struct Folded {
    text: String,
    /// For each byte of `text`, the byte range of the original character that produced it.
    from: Vec<(usize, usize)>,
}

impl Folded {
    fn new(s: &str) -> Folded {
        let mut text = String::with_capacity(s.len());
        let mut from = Vec::with_capacity(s.len());
        for (i, c) in s.char_indices() {
            let before = text.len();
            fold_char(c, &mut text);
            from.extend(std::iter::repeat_n((i, i + c.len_utf8()), text.len() - before));
        }
        Folded { text, from }
    }

    /// The original range behind a non-empty folded range.
    fn origin(&self, r: &Range<usize>) -> Range<usize> {
        self.from[r.start].0..self.from[r.end - 1].1
    }
}

/// Character by character, so that positions map back. Composing across characters (a letter
/// and a separate combining accent) is lost, which no phrase of the list depends on.
fn fold_char(c: char, out: &mut String) {
    let c = match c {
        '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{2032}' | '`' | '\u{00B4}' => '\'',
        c => c,
    };
    for n in std::iter::once(c).nfkc() {
        out.extend(n.to_lowercase());
    }
}

/// A text folded as descriptions are (for phrases, and for comparing descriptions).
pub(super) fn fold_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    s.chars().for_each(|c| fold_char(c, &mut out));
    out
}

/// Where `needle` occurs in `text`; a whole-word needle must not touch Latin letters or digits
/// on either side, except a plural s after it.
fn occurrences<'t>(
    text: &'t str,
    needle: &'t str,
    whole_word: bool,
) -> impl Iterator<Item = Range<usize>> + 't {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    text.match_indices(needle).map(|(i, m)| i..i + m.len()).filter(move |r| {
        if !whole_word {
            return true;
        }
        let mut after = text[r.end..].chars();
        let right = match after.next() {
            Some('s') => word(after.next()),
            c => word(c),
        };
        !word(text[..r.start].chars().next_back()) && !right
    })
}

const CLAUSE_ENDS: &[char] =
    &['，', '。', '！', '？', '；', '：', '、', ',', '.', '!', '?', ';', ':', '\n', '\r', '…'];

/// Longest first, so that 没有 is tried before 没.
const NEGATIONS_ZH: &[&str] =
    &["没有", "不是", "并非", "从未", "从没", "不再", "否认", "没", "无", "未"];
/// Words allowed between a Chinese negation and the phrase it negates.
const FILLERS_ZH: &[&str] = &[
    "出现过",
    "出现",
    "发生过",
    "发生",
    "什么",
    "任何",
    "明显",
    "感到",
    "感觉",
    "觉得",
    "有",
    "再",
    "过",
    "发",
];
/// Forms that look negated but ask.
const QUESTIONS_ZH: &[&str] = &["有没有", "是不是", "有无"];

const NEGATIONS_EN: &[&str] = &[
    "no", "not", "never", "without", "nor", "don't", "dont", "doesn't", "doesnt", "didn't",
    "didnt", "isn't", "isnt", "wasn't", "wasnt", "aren't", "arent", "weren't", "werent", "haven't",
    "havent", "hasn't", "hasnt", "hadn't", "hadnt", "denies", "denied",
];
const FILLERS_EN: &[&str] = &[
    "a",
    "an",
    "any",
    "more",
    "longer",
    "sign",
    "signs",
    "of",
    "symptom",
    "symptoms",
    "history",
    "obvious",
    "have",
    "has",
    "had",
    "having",
    "been",
    "feel",
    "feels",
    "felt",
    "feeling",
    "experiencing",
    "show",
    "showing",
];

/// Whether the folded text just before a phrase negates it (see the module's notes).
fn negated(before: &str) -> bool {
    let clause = before.rfind(CLAUSE_ENDS).map_or(before, |i| {
        let end = before[i..].chars().next().map_or(0, char::len_utf8);
        &before[i + end..]
    });
    negated_zh(clause) || negated_en(clause)
}

fn negated_zh(clause: &str) -> bool {
    let mut rest = clause.trim_end();
    // A negation and at most three fillers.
    for _ in 0..4 {
        if QUESTIONS_ZH.iter().any(|q| rest.ends_with(q)) {
            return false;
        }
        if NEGATIONS_ZH.iter().any(|n| rest.ends_with(n)) {
            return true;
        }
        match FILLERS_ZH.iter().find(|f| rest.ends_with(*f)) {
            Some(f) => rest = rest[..rest.len() - f.len()].trim_end(),
            None => return false,
        }
    }
    false
}

fn negated_en(clause: &str) -> bool {
    let words = clause.split_whitespace().rev().take(5);
    for w in words.map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')) {
        if NEGATIONS_EN.contains(&w) {
            return true;
        }
        if !FILLERS_EN.contains(&w) {
            return false;
        }
    }
    false
}

#[cfg(test)]
#[path = "crisis_tests.rs"]
mod tests;
