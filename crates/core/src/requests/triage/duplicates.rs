//! Likely duplicates: during a lockdown the same need arrives twice, by phone and again in the
//! WeChat group, or a neighbour and a daughter both call about one old man. A hit is a flag for
//! the official, who may merge; nothing is merged here.
//!
//! - the same resident and category within 24 hours, either side of the new request;
//! - or a similar description within 72 hours: Dice's coefficient over character bigrams at
//!   least 0.6, both texts at least 6 significant characters long (a bare 买菜 or "help" is too
//!   short to mean anything by itself).
//!
//! Bigrams of characters need no word segmentation, so Chinese (no spaces) and English compare
//! the same way; texts are folded as crisis words are (NFKC, lower case) and keep only letters
//! and digits, so punctuation, spaces and emoji do not count.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::crisis::fold_str;

/// The same resident asking in the same category this close is one need, not two.
const SAME_RESIDENT_HOURS: i64 = 24;
/// Similar descriptions further apart are more likely a new episode of the same trouble.
const SIMILAR_HOURS: i64 = 72;
const SIMILAR_AT_LEAST: f32 = 0.6;
const SIGNIFICANT_AT_LEAST: usize = 6;

/// A request as duplicate detection sees it.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub id: &'a str,
    pub resident_id: Option<&'a str>,
    pub category_key: &'a str,
    pub description: &'a str,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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

/// A text's significant characters and their bigrams, sorted for a merge count.
struct Grams {
    chars: Vec<char>,
    grams: Vec<(char, char)>,
}

impl Grams {
    fn of(s: &str) -> Grams {
        let chars: Vec<char> = fold_str(s).chars().filter(|c| c.is_alphanumeric()).collect();
        let mut grams: Vec<(char, char)> = chars.windows(2).map(|w| (w[0], w[1])).collect();
        grams.sort_unstable();
        Grams { chars, grams }
    }

    fn dice(&self, other: &Grams) -> f32 {
        if self.grams.is_empty() || other.grams.is_empty() {
            // One character or none: there is no bigram to compare.
            let same = !self.chars.is_empty() && self.chars == other.chars;
            return if same { 1.0 } else { 0.0 };
        }
        let (a, b) = (&self.grams, &other.grams);
        let (mut i, mut j, mut common) = (0, 0, 0usize);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Equal => {
                    common += 1;
                    i += 1;
                    j += 1;
                }
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
            }
        }
        (2 * common) as f32 / (a.len() + b.len()) as f32
    }
}

/// How alike two descriptions are, from 0 to 1: Dice's coefficient over the character bigrams
/// (counted with repetition) of their significant characters. Symmetric; 1 for the same text.
pub fn similarity(a: &str, b: &str) -> f32 {
    Grams::of(a).dice(&Grams::of(b))
}

/// Which comes first: the same resident, then the most similar.
fn strength(why: &DuplicateWhy) -> (bool, f32) {
    match *why {
        DuplicateWhy::SameResidentAndCategory => (true, 1.0),
        DuplicateWhy::SimilarDescription { similarity } => (false, similarity),
    }
}

fn stronger(a: &DuplicateWhy, b: &DuplicateWhy) -> std::cmp::Ordering {
    let ((a_same, a_sim), (b_same, b_sim)) = (strength(a), strength(b));
    b_same.cmp(&a_same).then(b_sim.total_cmp(&a_sim))
}

/// The requests among `others` that are likely the same need as `new` (rules in the module's
/// notes), never `new` itself: same-resident hits first, then by similarity, then by id. One
/// hit per id, whatever the order of `others`.
pub fn likely_duplicates<'a>(
    new: &Candidate<'_>,
    others: &[Candidate<'a>],
) -> Vec<DuplicateHit<'a>> {
    let within = |o: &Candidate<'_>, hours: i64| {
        (o.created_at - new.created_at).abs() <= TimeDelta::hours(hours)
    };
    let mine = Grams::of(new.description);
    let comparable = mine.chars.len() >= SIGNIFICANT_AT_LEAST;
    let mut hits: Vec<DuplicateHit<'a>> = Vec::new();
    for o in others.iter().filter(|o| o.id != new.id) {
        if new.resident_id.is_some()
            && o.resident_id == new.resident_id
            && o.category_key == new.category_key
            && within(o, SAME_RESIDENT_HOURS)
        {
            hits.push(DuplicateHit { id: o.id, why: DuplicateWhy::SameResidentAndCategory });
            continue;
        }
        if comparable && within(o, SIMILAR_HOURS) {
            let theirs = Grams::of(o.description);
            let similarity = mine.dice(&theirs);
            if theirs.chars.len() >= SIGNIFICANT_AT_LEAST && similarity >= SIMILAR_AT_LEAST {
                hits.push(DuplicateHit {
                    id: o.id,
                    why: DuplicateWhy::SimilarDescription { similarity },
                });
            }
        }
    }
    hits.sort_by(|a, b| a.id.cmp(b.id).then(stronger(&a.why, &b.why)));
    hits.dedup_by(|later, kept| later.id == kept.id);
    hits.sort_by(|a, b| stronger(&a.why, &b.why).then(a.id.cmp(b.id)));
    hits
}
