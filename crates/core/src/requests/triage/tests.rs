//! Triage on realistic requests in both languages, and its rules as properties.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use super::*;

fn input<'a>(category: &'a str, base: Level, tags: &'a [String], text: &'a str) -> TriageInput<'a> {
    TriageInput {
        category_base: base,
        category_key: category,
        vulnerability_tags: tags,
        description: text,
        lockdown: false,
    }
}

fn tags(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

fn summary(p: &Proposal) -> Vec<(&str, Level, &str)> {
    p.reasons.iter().map(|r| (r.code.as_str(), r.level, r.detail.as_str())).collect()
}

#[test]
fn crisis_words_make_it_urgent_and_every_reason_is_listed() {
    let p = propose(&input("medicine", Level::High, &[], "我爸胸口痛，喘不上气，快来人"));
    assert_eq!(p.level, Level::Urgent);
    assert_eq!(
        summary(&p),
        [
            ("crisis_word", Level::Urgent, "胸口痛"),
            ("crisis_word", Level::Urgent, "喘不上气"),
            ("category", Level::High, "medicine"),
        ]
    );
    let p = propose(&input("other", Level::Normal, &[], "I can't breathe"));
    assert_eq!((p.level, p.reasons[0].detail.as_str()), (Level::Urgent, "can't breathe"));
    let p = propose(&input("psychological", Level::High, &[], "母亲最近总说活着没意思"));
    assert_eq!(p.level, Level::Urgent);
    let p = propose(&input("mutual_aid", Level::Normal, &[], "孩子的奶粉快喝完了，超市买不到"));
    assert_eq!(p.level, Level::High, "a high crisis word is not urgent");
}

#[test]
fn a_negated_crisis_word_changes_nothing() {
    let p = propose(&input("consultation", Level::Low, &[], "没有胸痛，只是想问问口罩什么时候发"));
    assert_eq!(summary(&p), [("category", Level::Low, "consultation")]);
    let p = propose(&input("other", Level::Normal, &[], "no chest pain, just a question"));
    assert_eq!(p.level, Level::Normal);
}

#[test]
fn a_vulnerability_tag_raises_one_step_and_never_to_urgent() {
    let alone = tags(&["elderly_alone"]);
    let p = propose(&input("mutual_aid", Level::Normal, &alone, "需要买菜，家里有独居老人"));
    assert_eq!(p.level, Level::High);
    assert_eq!(
        summary(&p),
        [("vulnerable", Level::High, "elderly_alone"), ("category", Level::Normal, "mutual_aid")]
    );
    let two = tags(&["low_income", "elderly_alone", "disabled"]);
    let p = propose(&input("consultation", Level::Low, &two, "低保怎么申请"));
    assert_eq!(p.level, Level::Normal, "one step, however many tags");
    let p = propose(&input("psychological", Level::High, &two, "想找人聊聊"));
    assert_eq!(p.level, Level::High, "a tag alone never makes it urgent");
    let order: Vec<&str> = p.reasons.iter().map(|r| r.detail.as_str()).collect();
    assert_eq!(order, ["psychological", "disabled", "elderly_alone", "low_income"]);
}

#[test]
fn medicine_for_the_vulnerable_is_high_at_least() {
    let low_medicine = |tag: &str, lockdown: bool| {
        let t = tags(&[tag]);
        let i =
            TriageInput { lockdown, ..input("medicine", Level::Low, &t, "帮忙代配降压药") };
        let p = propose(&i);
        (p.level, p.reasons.iter().any(|r| r.code == "vulnerable_medical"))
    };
    for tag in ["chronic_illness", "pregnant", "disabled"] {
        assert_eq!(low_medicine(tag, false), (Level::High, true), "{tag}");
    }
    for tag in ["elderly_alone", "home_quarantine"] {
        assert_eq!(low_medicine(tag, false), (Level::Normal, false), "{tag}, no lockdown");
        assert_eq!(low_medicine(tag, true), (Level::High, true), "{tag} in lockdown");
    }
    assert_eq!(low_medicine("low_income", true), (Level::Normal, false));
    let t = tags(&["chronic_illness"]);
    let p = propose(&input("mutual_aid", Level::Low, &t, "帮忙代配降压药"));
    assert_eq!(p.level, Level::Normal, "only the medicine category");
}

#[test]
fn tags_are_taken_once_and_blank_ones_ignored() {
    let t = tags(&["disabled", " ", "disabled", ""]);
    let p = propose(&input("other", Level::Normal, &t, ""));
    assert_eq!(p.reasons.iter().filter(|r| r.code == "vulnerable").count(), 1);
}

#[test]
fn reasons_read_well_in_both_languages() {
    let r = |code: &str, level: Level, detail: &str| Reason {
        code: code.into(),
        level,
        detail: detail.into(),
    };
    let cases = [
        (
            r("crisis_word", Level::Urgent, "胸痛"),
            "描述中提到“胸痛”：紧急",
            "The description mentions “胸痛”: urgent",
        ),
        (
            r("vulnerable", Level::High, "elderly_alone"),
            "独居老人：优先级上调一级（较急）",
            "Elderly living alone: priority one step up (high)",
        ),
        (
            r("vulnerable_medical", Level::High, "pregnant"),
            "孕产妇，需要药品或就医：至少较急",
            "Pregnant, needs medicine or care: at least high",
        ),
        (
            r("category", Level::Low, "consultation"),
            "该类别的默认优先级：不急",
            "The category's default priority: low",
        ),
        (
            r("vulnerable", Level::Normal, "独居"),
            "独居：优先级上调一级（一般）",
            "独居: priority one step up (normal)",
        ),
    ];
    for (reason, zh, en) in cases {
        assert_eq!(reason_text(&reason, "zh-CN"), zh);
        assert_eq!(reason_text(&reason, "en"), en);
    }
    assert_eq!(reason_text(&r("later", Level::High, "x"), "en-GB"), "later (x): high");
}

fn at(hours: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2022, 4, 2, 1, 0, 0).single().expect("a time")
        + chrono::TimeDelta::hours(hours)
}

fn cand<'a>(
    id: &'a str,
    res: Option<&'a str>,
    cat: &'a str,
    text: &'a str,
    h: i64,
) -> Candidate<'a> {
    Candidate { id, resident_id: res, category_key: cat, description: text, created_at: at(h) }
}

#[test]
fn duplicates_same_resident_first_then_similar_descriptions() {
    let new = cand("n", Some("r1"), "mutual_aid", "家里没有米和油了，想请志愿者帮忙代买", 30);
    let others = [
        cand("a", Some("r1"), "mutual_aid", "买菜", 10),
        cand("b", Some("r2"), "mutual_aid", "家里没有米和油了，想请志愿者帮忙代买一下", 40),
        cand("c", Some("r1"), "mutual_aid", "买菜", 55),
        cand("d", None, "other", "楼道灯坏了", 31),
        cand("e", None, "mutual_aid", "家里没有米和油了！！想请志愿者帮忙代买", 100),
        cand("f", Some("r1"), "medicine", "降压药快吃完了", 30),
        cand("g", None, "mutual_aid", "家里没有油了，想请邻居帮忙代买", 29),
        cand("n", Some("r1"), "mutual_aid", "家里没有米和油了，想请志愿者帮忙代买", 30),
    ];
    let hits = likely_duplicates(&new, &others);
    let got: Vec<(&str, bool)> = hits
        .iter()
        .map(|h| (h.id, matches!(h.why, DuplicateWhy::SameResidentAndCategory)))
        .collect();
    // a: same resident and category 20 h before; c: 25 h after, too far; e: 70 h after, alike.
    assert_eq!(got, [("a", true), ("e", false), ("b", false), ("g", false)]);
    match hits[1].why {
        DuplicateWhy::SimilarDescription { similarity } => assert_eq!(similarity, 1.0),
        _ => panic!("similar"),
    }
}

#[test]
fn short_descriptions_never_match_by_similarity_alone() {
    let new = cand("n", None, "mutual_aid", "帮忙买菜", 0);
    assert!(likely_duplicates(&new, &[cand("a", None, "mutual_aid", "帮忙买菜", 1)]).is_empty());
    let new = cand("n", None, "mutual_aid", "需要帮忙买菜送上门", 0);
    // Alike enough (0.67), but the other one is too short to say so.
    assert!(similarity("需要帮忙买菜送上门", "买菜送上门") >= 0.6);
    assert!(likely_duplicates(&new, &[cand("a", None, "x", "买菜送上门", 1)]).is_empty());
}

#[test]
fn similarity_works_for_chinese_and_english_alike() {
    assert_eq!(similarity("Need groceries, please!", "need GROCERIES please"), 1.0);
    assert_eq!(similarity("家里没有米了。", "家里没有米了"), 1.0);
    assert!(similarity("家里老人独居，需要有人帮忙买菜", "家里老人独居，想找人帮忙买菜") > 0.7);
    assert!(similarity("楼道灯坏了", "需要买菜") < 0.1);
    assert_eq!(similarity("", ""), 0.0);
    assert_eq!(similarity("菜", "菜"), 1.0);
}

const WORDS: &[&str] = &[
    "胸口痛",
    "喘不上气",
    "买菜",
    "没有",
    "不是",
    "no ",
    "chest pain",
    "，",
    "。",
    "口罩",
    "高烧",
    "想死",
    "fire",
];
const TAGS: &[&str] = &[
    "elderly_alone",
    "disabled",
    "chronic_illness",
    "pregnant",
    "low_income",
    "home_quarantine",
    "own_tag",
];

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(WORDS), 0..8).prop_map(|w| w.concat())
}

fn candidates() -> impl Strategy<Value = Vec<(usize, Option<usize>, bool, usize, i64)>> {
    proptest::collection::vec(
        (0..6usize, proptest::option::of(0..3usize), any::<bool>(), 0..4usize, -100..100i64),
        0..12,
    )
}

proptest! {
    #[test]
    fn propose_is_deterministic_and_its_level_is_its_most_urgent_reason(
        text in text(),
        tags in proptest::collection::vec(proptest::sample::select(TAGS), 0..4),
        base in proptest::sample::select(Level::ALL.to_vec()),
        medicine in any::<bool>(),
        lockdown in any::<bool>(),
    ) {
        let tags: Vec<String> = tags.into_iter().map(str::to_owned).collect();
        let cat = if medicine { "medicine" } else { "other" };
        let i = TriageInput { lockdown, ..input(cat, base, &tags, &text) };
        let p = propose(&i);
        prop_assert_eq!(&p, &propose(&i.clone()));
        prop_assert_eq!(Some(p.level), p.reasons.iter().map(|r| r.level).min());
        prop_assert!(p.reasons.windows(2).all(|w| w[0].level <= w[1].level), "most urgent first");
        prop_assert_eq!(p.reasons.iter().filter(|r| r.code == "category").count(), 1);
        if !p.reasons.iter().any(|r| r.code == "crisis_word") {
            prop_assert!(p.level >= Level::High.min(base), "tags alone never make it urgent");
        }
    }

    #[test]
    fn more_tags_or_another_crisis_sentence_never_lower_the_level(
        text in text(),
        tags in proptest::collection::vec(proptest::sample::select(TAGS), 0..3),
        extra in proptest::sample::select(TAGS),
        base in proptest::sample::select(Level::ALL.to_vec()),
        medicine in any::<bool>(),
        lockdown in any::<bool>(),
        pick in 0usize..1000,
    ) {
        let tags: Vec<String> = tags.into_iter().map(str::to_owned).collect();
        let cat = if medicine { "medicine" } else { "other" };
        let level = |tags: &[String], text: &str| {
            propose(&TriageInput { lockdown, ..input(cat, base, tags, text) }).level
        };
        let before = level(&tags, &text);
        let more: Vec<String> = tags.iter().cloned().chain([extra.to_owned()]).collect();
        prop_assert!(level(&more, &text) <= before);
        let phrases: Vec<(Level, &str, &str)> = crisis::word_list().phrases().collect();
        let (word_level, _, phrase) = phrases[pick % phrases.len()];
        let after = level(&tags, &format!("{text}。{phrase}。"));
        prop_assert!(after <= before && after <= word_level, "{} after {:?}", phrase, text);
        let first = level(&tags, &format!("{phrase}。{text}"));
        prop_assert!(first <= before);
    }

    #[test]
    fn similarity_is_symmetric_bounded_and_one_for_the_same_text(a in "\\PC{0,30}", b in "\\PC{0,30}") {
        let s = similarity(&a, &b);
        prop_assert!((0.0..=1.0).contains(&s));
        prop_assert_eq!(s, similarity(&b, &a));
        if crisis::fold_str(&a).chars().any(char::is_alphanumeric) {
            prop_assert_eq!(similarity(&a, &a), 1.0);
        }
    }

    #[test]
    fn duplicates_never_include_the_request_itself_and_ignore_input_order(
        rows in candidates(),
        seed in any::<u64>(),
    ) {
        const IDS: [&str; 6] = ["n", "a", "b", "c", "d", "e"];
        const RES: [&str; 3] = ["r1", "r2", "r3"];
        const TEXTS: [&str; 4] = ["家里没有米和油了，想请志愿者帮忙代买", "家里没有米和油了想请人帮忙代买", "买菜", "楼道灯坏了好几天，晚上很危险"];
        let others: Vec<Candidate<'_>> = rows
            .iter()
            .map(|&(id, res, med, text, h)| {
                let cat = if med { "medicine" } else { "mutual_aid" };
                cand(IDS[id], res.map(|r| RES[r]), cat, TEXTS[text], h)
            })
            .collect();
        let new = cand("n", Some("r1"), "mutual_aid", TEXTS[0], 0);
        let hits = likely_duplicates(&new, &others);
        prop_assert!(hits.iter().all(|h| h.id != "n"));
        let mut ids: Vec<&str> = hits.iter().map(|h| h.id).collect();
        ids.sort_unstable();
        ids.dedup();
        prop_assert_eq!(ids.len(), hits.len(), "one hit per id");
        let mut shuffled = others.clone();
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        prop_assert_eq!(likely_duplicates(&new, &shuffled), hits);
    }
}
