//! Crisis words on what residents really type, and the word list's own rules.

use proptest::prelude::*;

use super::*;

fn codes(text: &str) -> Vec<String> {
    crisis_words(text).into_iter().map(|h| h.code).collect()
}

fn typed(text: &str) -> Vec<String> {
    crisis_words(text).into_iter().map(|h| h.typed).collect()
}

#[test]
fn the_embedded_list_parses_and_every_entry_is_alive() {
    let list = WordList::parse(include_str!("crisis_words.txt")).expect("parses");
    let phrases: Vec<(Level, &str, &str)> = list.phrases().collect();
    assert!(phrases.len() > 250, "{}", phrases.len());
    for (level, code, phrase) in &phrases {
        // Alone, a phrase is found as itself (no ignore entry or negation swallows it)…
        let hits = list.scan(phrase);
        assert!(hits.iter().any(|h| h.code == *code && h.level == *level), "{phrase}: {hits:?}");
        // …and a plain negation in front of it silences it. (A phrase that itself begins with
        // the negation, like 没有心跳 in 没有心跳停了, is another phrase and may count.)
        let no = if phrase.is_ascii() { "no " } else { "没有" };
        let negated = format!("{no}{phrase}");
        let hits = list.scan(&negated);
        assert!(hits.iter().all(|h| h.at.start < no.len()), "{negated}: {hits:?}");
    }
    for ignored in list.ignored() {
        let inside = phrases.iter().any(|(_, _, p)| ignored.contains(p));
        assert!(inside, "ignore “{ignored}” contains no crisis word, so it does nothing");
        assert!(list.scan(ignored).is_empty(), "{ignored}");
    }
    let codes: std::collections::BTreeSet<&str> = phrases.iter().map(|p| p.1).collect();
    for needed in ["chest_pain", "breathing", "suicide", "stroke", "fire", "gas", "labour"] {
        assert!(codes.contains(needed), "{needed}");
    }
}

#[test]
fn a_broken_list_says_which_line() {
    assert_eq!(WordList::parse("urgent | x").err(), Some(WordListError::Shape { line: 1 }));
    assert_eq!(
        WordList::parse("# c\nsevere | x | 胸痛").err(),
        Some(WordListError::Level { line: 2, level: "severe".into() })
    );
    assert_eq!(
        WordList::parse("urgent | a | 胸痛\nhigh | b | 胸痛").err(),
        Some(WordListError::Duplicate { line: 2, phrase: "胸痛".into() })
    );
    assert_eq!(
        WordList::parse("urgent | a | 胸痛\nhigh | a | 胸闷").err(),
        Some(WordListError::MixedLevel { line: 2, code: "a".into() })
    );
    assert_eq!(
        WordList::parse("urgent | Bad Code | 胸痛").err(),
        Some(WordListError::Shape { line: 1 })
    );
    assert_eq!(WordList::parse("ignore | ").err(), Some(WordListError::Shape { line: 1 }));
}

#[test]
fn what_residents_type_in_a_wechat_group() {
    assert_eq!(codes("我爸胸口痛，喘不上气，快来人"), ["chest_pain", "breathing"]);
    assert_eq!(codes("@网格员 3栋502老人在家晕倒了，叫不醒！！"), ["unconscious"]);
    assert_eq!(codes("血氧只有85，血氧很低，怎么办"), ["breathing"]);
    assert_eq!(codes("我妈一直说活着没意思，今天说想死"), ["suicide"]);
    assert_eq!(codes("老婆羊水破了，救护车一直不来"), ["labour", "ambulance"]);
    assert_eq!(codes("楼下好像着火了，有很大的煤气味"), ["fire", "gas"]);
    assert_eq!(codes("高血压的药快吃完了，医院去不了"), ["medicine_out"]);
    assert_eq!(codes("封控在家没有米和油了"), ["food_out"]);
    assert_eq!(codes("父亲需要每周透析"), ["treatment"]);
    assert_eq!(codes("孩子发高烧39度"), ["fever"]);
    assert_eq!(
        codes("My father has chest pain and is short of breath"),
        ["chest_pain", "breathing"]
    );
    assert_eq!(codes("I CAN'T BREATHE"), ["breathing"]);
    assert_eq!(codes("i cant breath"), ["breathing"]);
    assert_eq!(codes("My mother is suicidal"), ["suicide"]);
    assert_eq!(codes("neighbour had a stroke, face drooping"), ["stroke"]);
    assert_eq!(codes("we ran out of food two days ago"), ["food_out"]);
    assert_eq!(codes("my wife is in labor"), ["labour"]);
    assert_eq!(codes("having seizures again"), ["seizure"], "a plural s is the same word");
}

#[test]
fn case_width_and_curly_apostrophes_fold_and_the_reason_quotes_what_was_typed() {
    assert_eq!(typed("ＣＨＥＳＴ　ＰＡＩＮ since this morning"), ["ＣＨＥＳＴ　ＰＡＩＮ"]);
    assert_eq!(typed("He can’t breathe"), ["can’t breathe"]);
    assert_eq!(typed("Heart Attack?"), ["Heart Attack"]);
    let hits = crisis_words("老人说胸闷");
    assert_eq!(hits[0].at, "老人说".len().."老人说胸闷".len());
    assert_eq!(hits[0].level, Level::Urgent);
}

#[test]
fn negations_silence_the_phrase_they_precede_and_nothing_else() {
    for calm in [
        "没有胸痛，只是想问问口罩什么时候发",
        "无明显胸闷，血压正常",
        "老人没有出现呼吸困难",
        "他没有自杀的念头，只是心情不好",
        "不是火灾，是邻居在烧纸",
        "孩子没有发高烧，只是咳嗽",
        "未昏迷，能说话",
        "no chest pain, just a question",
        "She is not suicidal, she just needs someone to talk to",
        "no signs of a stroke",
        "he doesn't have a high fever",
        "I'm not having chest pain",
    ] {
        assert_eq!(codes(calm), Vec::<String>::new(), "{calm}");
    }
    // The clause ends the negation; a negation elsewhere in it does not count.
    assert_eq!(codes("没有发烧，但是胸口痛"), ["chest_pain"]);
    assert_eq!(codes("家里没人，老人摔倒了"), ["fall"]);
    assert_eq!(codes("家里没人老人摔倒了"), ["fall"], "没人 is no negation of 老人摔倒");
    assert_eq!(codes("实在没办法了想死"), ["suicide"]);
    assert_eq!(codes("未成年孩子独自在家"), ["child_alone"]);
    assert_eq!(codes("I don't know why but he has chest pain"), ["chest_pain"]);
    assert_eq!(codes("no fever, but chest pain since noon"), ["chest_pain"]);
    // Questions ask, they do not deny: they keep the phrase (documented).
    assert_eq!(codes("是不是心梗？"), ["heart_attack"]);
    assert_eq!(codes("有没有胸痛不清楚"), ["chest_pain"]);
    // Negation reaches one phrase only (documented): the second one counts.
    assert_eq!(codes("没有发烧、胸痛"), ["chest_pain"]);
}

#[test]
fn whole_words_and_everyday_expressions_do_not_trigger() {
    for calm in [
        "need firewood for the stove",
        "he was fired from his job",
        "what a stroke of luck",
        "the fire extinguisher in the corridor is missing",
        "超市跳楼价清仓，大家去看看",
        "好久不见，想死你们了",
        "小区加装防跌倒扶手",
        "少吃高热量食品",
    ] {
        assert_eq!(codes(calm), Vec::<String>::new(), "{calm}");
    }
    // An everyday expression only covers what it contains.
    assert_eq!(codes("跳楼价的东西不要了，他说想跳楼"), ["suicide"]);
}

#[test]
fn one_hit_per_kind_of_crisis_at_its_first_and_longest_phrase() {
    let hits = crisis_words("胸闷，胸口痛，高烧不退，发高烧");
    let got: Vec<(&str, &str)> = hits.iter().map(|h| (h.code.as_str(), h.typed.as_str())).collect();
    assert_eq!(got, [("chest_pain", "胸闷"), ("fever", "高烧")]);
}

proptest! {
    #[test]
    fn scanning_never_panics_and_quotes_the_description(text in "\\PC{0,40}") {
        for h in crisis_words(&text) {
            prop_assert_eq!(&text[h.at.clone()], h.typed.as_str());
        }
    }

    #[test]
    fn a_crisis_sentence_is_found_whatever_surrounds_it(
        before in "[a-z 我家老人没有不是，。]{0,12}",
        after in "[a-z 我家老人没有不是，。]{0,12}",
        pick in 0usize..1000,
    ) {
        let phrases: Vec<(Level, &str, &str)> = word_list().phrases().collect();
        let (_, code, phrase) = phrases[pick % phrases.len()];
        let text = format!("{before}。{phrase}。{after}");
        prop_assert!(codes(&text).iter().any(|c| c == code), "{} in {:?}", code, text);
    }
}
