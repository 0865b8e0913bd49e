//! Triage on realistic descriptions in both languages, and its rules as properties.

use chrono::TimeZone;
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

#[test]
fn the_embedded_data_is_valid() {
    let cats = default_categories();
    let keys: Vec<&str> = cats.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "supplies",
            "mutual_aid",
            "community_service",
            "psychological",
            "consultation",
            "medicine",
            "other"
        ]
    );
    for c in &cats {
        assert!(!c.label_zh.is_empty() && !c.label_en.is_empty());
        let mut q: Vec<&str> = c.questions.iter().map(|q| q.key.as_str()).collect();
        q.sort_unstable();
        let n = q.len();
        q.dedup();
        assert_eq!(q.len(), n, "question keys unique in {}", c.key);
    }
    assert!(phrases().len() > 80);
}

#[test]
fn crisis_words_raise_the_priority_in_both_languages() {
    let p = propose(&input("medicine", Level::High, &[], "我爸胸口痛，喘不上气，快来人"));
    assert_eq!(p.level, Level::Urgent);
    let words: Vec<&str> =
        p.reasons.iter().filter(|r| r.code == "crisis_word").map(|r| r.detail.as_str()).collect();
    assert_eq!(words, ["喘不上气", "胸口痛"]);
    assert_eq!(
        propose(&input("other", Level::Normal, &[], "I CAN'T BREATHE")).level,
        Level::Urgent
    );
    assert_eq!(
        propose(&input("other", Level::Normal, &[], "My mother is suicidal")).level,
        Level::Urgent
    );
    // Full-width letters are the same letters.
    assert_eq!(
        propose(&input("other", Level::Normal, &[], "ｃｈｅｓｔ ｐａｉｎ")).level,
        Level::Urgent
    );
}

#[test]
fn negations_and_parts_of_words_do_not_trigger() {
    assert_eq!(
        propose(&input("consultation", Level::Low, &[], "没有胸痛，只是想问问口罩什么时候发"))
            .level,
        Level::Low
    );
    assert_eq!(
        propose(&input("other", Level::Normal, &[], "no chest pain, just a question")).level,
        Level::Normal
    );
    assert_eq!(
        propose(&input("community_service", Level::Normal, &[], "need firewood for the stove"))
            .level,
        Level::Normal
    );
}

#[test]
fn vulnerability_raises_one_step_and_medicine_for_the_vulnerable_is_high() {
    let alone = vec!["elderly_alone".to_owned()];
    let p = propose(&input("mutual_aid", Level::Normal, &alone, "需要买菜，家里有独居老人"));
    assert_eq!(p.level, Level::High);
    assert!(p.reasons.iter().any(|r| r.code == "vulnerable"));
    let low = propose(&input("consultation", Level::Low, &alone, "低保怎么申请"));
    assert_eq!(low.level, Level::Normal, "one step, not two");
    let chronic = vec!["chronic_illness".to_owned()];
    let p = propose(&input("medicine", Level::Normal, &chronic, "帮忙配药"));
    assert_eq!(p.level, Level::High);
    assert!(p.reasons.iter().any(|r| r.code == "vulnerable_medical"));
    assert!(!reason_text(&p.reasons[0], "en").is_empty());
    assert!(reason_text(
        &Reason { code: "crisis_word".into(), level: Level::Urgent, detail: "胸痛".into() },
        "zh-CN"
    )
    .contains("胸痛"));
}

#[test]
fn duplicates_same_resident_first_then_similar_text() {
    let t = |h: i64| {
        chrono::Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).single().expect("t")
            + chrono::Duration::hours(h)
    };
    let new = Candidate {
        id: "n",
        resident_id: Some("r1"),
        category_key: "mutual_aid",
        description: "家里没有米和油了，想请志愿者帮忙代买",
        created_at: t(10),
    };
    let others = [
        Candidate {
            id: "a",
            resident_id: Some("r1"),
            category_key: "mutual_aid",
            description: "买菜",
            created_at: t(0),
        },
        Candidate {
            id: "b",
            resident_id: Some("r2"),
            category_key: "mutual_aid",
            description: "家里没有米和油了，想请志愿者帮忙代买一下",
            created_at: t(20),
        },
        Candidate {
            id: "c",
            resident_id: Some("r1"),
            category_key: "mutual_aid",
            description: "买菜",
            created_at: t(40),
        },
        Candidate {
            id: "d",
            resident_id: None,
            category_key: "other",
            description: "楼道灯坏了",
            created_at: t(11),
        },
        Candidate {
            id: "n",
            resident_id: Some("r1"),
            category_key: "mutual_aid",
            description: "x",
            created_at: t(10),
        },
    ];
    let hits = likely_duplicates(&new, &others);
    let ids: Vec<&str> = hits.iter().map(|h| h.id).collect();
    assert_eq!(ids, ["a", "b"]);
}

proptest! {
    #[test]
    fn propose_is_deterministic_monotonic_and_its_level_is_its_most_urgent_reason(
        text in "[a-z 胸痛没有喘不上气买菜]{0,24}",
        tags in proptest::collection::vec(proptest::sample::select(vec!["elderly_alone", "disabled", "chronic_illness", "pregnant", "home_quarantine"]), 0..3),
        base in proptest::sample::select(vec![Level::Urgent, Level::High, Level::Normal, Level::Low]),
        medicine in any::<bool>(),
    ) {
        let tags: Vec<String> = tags.into_iter().map(str::to_owned).collect();
        let cat = if medicine { "medicine" } else { "other" };
        let p = propose(&input(cat, base, &tags, &text));
        prop_assert_eq!(&p, &propose(&input(cat, base, &tags, &text)));
        prop_assert_eq!(Some(p.level), p.reasons.iter().map(|r| r.level).min());
        let more_tags: Vec<String> = tags.iter().cloned().chain(["disabled".to_owned()]).collect();
        prop_assert!(propose(&input(cat, base, &more_tags, &text)).level <= p.level);
        let louder = format!("{text}。胸口痛");
        prop_assert_eq!(propose(&input(cat, base, &tags, &louder)).level, Level::Urgent);
    }

    #[test]
    fn similarity_is_symmetric_bounded_and_one_for_the_same_text(a in "\\PC{0,30}", b in "\\PC{0,30}") {
        let s = similarity(&a, &b);
        prop_assert!((0.0..=1.0).contains(&s));
        prop_assert!((s - similarity(&b, &a)).abs() < 1e-6);
        if significant(&a).len() >= 2 {
            prop_assert!((similarity(&a, &a) - 1.0).abs() < 1e-6);
        }
    }
}
