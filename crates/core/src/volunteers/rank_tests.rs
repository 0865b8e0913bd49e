//! Hand-built dispatch scenes, and properties over random ones: determinism whatever the order
//! of the candidates, top-n equal to the head of the full order, ineligible ones last and
//! saying why, and a score that the reasons alone account for.

use chrono::TimeZone;
use chrono_tz::Asia::Shanghai;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

use super::*;
use crate::volunteers::availability::{Exception, Slot};

/// A Shanghai wall-clock time in epoch ms. 2025-03-03 is a Monday.
fn sh(d: u32, h: u32, min: u32) -> i64 {
    Shanghai.with_ymd_and_hms(2025, 3, d, h, min, 0).single().expect("valid").timestamp_millis()
}

const HOUR: i64 = 3_600_000;

fn path(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

/// 翠苑街道 > 一社区 > 3 号网格, in the 西湖区.
fn grid3() -> Vec<String> {
    path(&["xihu", "cuiyuan", "cuiyuan-1", "cuiyuan-1-g3"])
}

fn evenings() -> Availability {
    Availability {
        slots: (1..=5).map(|day| Slot { day, from_min: 18 * 60, to_min: 21 * 60 }).collect(),
        exceptions: vec![],
    }
}

fn volunteer(id: &str, name: &str) -> Candidate {
    Candidate {
        id: id.into(),
        name: name.into(),
        skills: vec![],
        area_path: grid3(),
        availability: Availability::default(),
        capacity: 2,
        load: 0,
        health: Health::Well,
        active: true,
        bookings: vec![],
        track: Track { done: 12, no_show: 1, late: 0, last_no_show: false },
    }
}

/// A medicine run from now, Monday 19:00, in grid 3.
fn medicine_now() -> Need {
    Need {
        skills: vec!["送药".into()],
        area_path: grid3(),
        now_ms: sh(3, 19, 0),
        window: (sh(3, 19, 0), sh(3, 21, 0)),
        planned: false,
        tz: Shanghai,
    }
}

fn ids(ranked: &[Ranked]) -> Vec<&str> {
    ranked.iter().map(|r| r.id.as_str()).collect()
}

#[test]
fn the_same_grid_medicine_runner_beats_the_far_driver() {
    let runner = Candidate {
        skills: vec!["送药".into(), "买菜".into()],
        availability: evenings(),
        load: 1,
        ..volunteer("v1", "王芳")
    };
    let driver = Candidate {
        skills: vec!["驾驶".into()],
        area_path: path(&["xihu", "wenxin", "wenxin-2", "wenxin-2-g1"]),
        availability: evenings(),
        ..volunteer("v2", "李伟")
    };
    let ranked = rank(&medicine_now(), &[driver, runner]);
    assert_eq!(ids(&ranked), ["v1", "v2"]);
    let first = &ranked[0];
    assert!(first.eligible);
    assert_eq!(
        first.reasons,
        vec![
            Reason::Skills { matched: vec!["送药".into()], missing: vec![] },
            Reason::SameGrid,
            Reason::AvailableNow,
            Reason::Load { current: 1, capacity: 2 },
            Reason::Reliability { done: 12, no_show: 1, late: 0, percent: 92 },
        ]
    );
    // 30 + 40 + 20 − 10 + (92 − 70) / 2
    assert_eq!(first.score, 91);
    assert_eq!(
        explain(first, true),
        ["技能匹配：送药", "同一网格", "现在有空", "当前任务 1/2", "完成率 92%（12 次，1 次未到）"]
    );
    assert_eq!(
        explain(first, false),
        [
            "skills: 送药",
            "same grid",
            "available now",
            "current tasks 1/2",
            "92% completed (12 done, 1 no-show)"
        ]
    );
    // −20 + 0 + 20 + 11
    assert_eq!(ranked[1].score, 11);
    assert_eq!(ranked[1].reasons[1], Reason::OtherStreet);
    assert_eq!(explain(&ranked[1], true)[0], "缺少技能：送药");
}

#[test]
fn the_one_who_missed_their_last_task_drops_below() {
    let steady = volunteer("v1", "张敏");
    let missed = Candidate {
        track: Track { last_no_show: true, ..steady.track },
        name: "刘洋".into(),
        id: "v0".into(),
        ..steady.clone()
    };
    let ranked = rank(&medicine_now(), &[missed, steady]);
    assert_eq!(ids(&ranked), ["v1", "v0"]);
    assert_eq!(ranked[0].score - ranked[1].score, 30);
    assert_eq!(ranked[1].reasons.last(), Some(&Reason::MissedLastTask));
    assert!(ranked[1].eligible, "a missed task lowers, it does not exclude");
    assert_eq!(explain(&ranked[1], true).last().map(String::as_str), Some("上次任务未到"));
}

#[test]
fn quarantined_is_listed_last_with_its_reason() {
    let best = Candidate {
        skills: vec!["送药".into()],
        availability: evenings(),
        health: Health::Quarantined,
        ..volunteer("v1", "陈静")
    };
    let far = Candidate {
        area_path: path(&["binjiang", "changhe", "changhe-1"]),
        track: Track::default(),
        load: 1,
        ..volunteer("v2", "赵磊")
    };
    let ranked = rank(&medicine_now(), &[best, far]);
    assert_eq!(ids(&ranked), ["v2", "v1"]);
    assert!(ranked[1].score > ranked[0].score, "ineligible however well it scores");
    assert!(!ranked[1].eligible);
    assert_eq!(ranked[1].reasons.last(), Some(&Reason::Health { status: Health::Quarantined }));
    assert_eq!(explain(&ranked[1], true).last().map(String::as_str), Some("集中隔离中"));
    assert_eq!(explain(&ranked[1], false).last().map(String::as_str), Some("in quarantine"));
    assert_eq!(
        ranked[0].reasons,
        vec![
            Reason::Skills { matched: vec![], missing: vec!["送药".into()] },
            Reason::OtherStreet,
            Reason::NotStated,
            Reason::Load { current: 1, capacity: 2 },
            Reason::NewVolunteer,
        ]
    );
}

#[test]
fn every_ineligibility_is_listed_in_a_fixed_order() {
    let mut need = medicine_now();
    need.planned = true;
    let c = Candidate {
        health: Health::Unwell,
        active: false,
        load: 2,
        bookings: vec![
            (sh(3, 20, 0), sh(3, 22, 0), false),
            (sh(3, 18, 0), sh(3, 19, 30), true),
            (sh(3, 21, 0), sh(3, 22, 0), true),
        ],
        ..volunteer("v1", "王芳")
    };
    let r = &rank(&need, &[c])[0];
    assert!(!r.eligible);
    assert_eq!(
        r.reasons[r.reasons.len() - 5..],
        [
            Reason::Health { status: Health::Unwell },
            Reason::Inactive,
            Reason::AtCapacity { capacity: 2 },
            Reason::Overlap { from_ms: sh(3, 18, 0), to_ms: sh(3, 19, 30) },
            Reason::Overlap { from_ms: sh(3, 20, 0), to_ms: sh(3, 22, 0) },
        ]
    );
    let text = explain(r, true);
    assert_eq!(
        text[text.len() - 5..],
        [
            "身体不适",
            "已停用",
            "任务已满（最多 2 项）",
            "与已排任务时间冲突（3月3日 18:00–19:30）",
            "与已排任务时间冲突（3月3日 20:00–22:00）"
        ]
    );
    assert_eq!(
        explain(r, false).last().map(String::as_str),
        Some("clashes with a booked task (3 Mar 20:00–22:00)")
    );
}

#[test]
fn only_a_planned_slot_clashes() {
    let booking = |planned| Candidate {
        bookings: vec![(sh(3, 18, 0), sh(3, 20, 0), planned)],
        load: 1,
        ..volunteer("v1", "王芳")
    };
    let now = medicine_now();
    let planned = Need { planned: true, ..medicine_now() };
    assert!(rank(&now, &[booking(false)])[0].eligible, "two from-now tasks share by capacity");
    assert!(!rank(&now, &[booking(true)])[0].eligible);
    assert!(!rank(&planned, &[booking(false)])[0].eligible);
    assert!(!rank(&planned, &[booking(true)])[0].eligible);
    // Windows that only touch do not clash.
    let touching =
        Candidate { bookings: vec![(sh(3, 17, 0), sh(3, 19, 0), true)], ..booking(true) };
    assert!(rank(&planned, &[touching])[0].eligible);
}

#[test]
fn a_planned_slot_is_judged_by_the_stated_hours_over_the_whole_window() {
    let mut need = Need { planned: true, ..medicine_now() };
    let c = Candidate { availability: evenings(), ..volunteer("v1", "王芳") };
    assert_eq!(rank(&need, std::slice::from_ref(&c))[0].reasons[2], Reason::AvailableThen);
    need.window = (sh(3, 20, 0), sh(3, 22, 0));
    let r = &rank(&need, &[c])[0];
    assert_eq!(r.reasons[2], Reason::OutsideHours);
    assert_eq!(explain(r, true)[2], "不在其空闲时段内");
    // no 送药 −20, same grid +40, −25, 92% +11
    assert_eq!(r.score, 6);
    let r = &rank(&need, &[volunteer("v2", "李伟")])[0];
    assert_eq!(r.reasons[2], Reason::NotStated);
}

#[test]
fn unavailable_now_says_when_they_are_next_free() {
    let need = Need { now_ms: sh(3, 9, 0), window: (sh(3, 9, 0), sh(3, 11, 0)), ..medicine_now() };
    let c = Candidate { availability: evenings(), ..volunteer("v1", "王芳") };
    let r = &rank(&need, &[c])[0];
    assert_eq!(r.reasons[2], Reason::Unavailable { next_from_ms: Some(sh(3, 18, 0)) });
    assert_eq!(explain(r, true)[2], "现在没空，3月3日 18:00 起有空");
    assert_eq!(explain(r, false)[2], "not available now; free from 3 Mar 18:00");
    // no 送药 −20, same grid +40, −25, 92% +11
    assert_eq!(r.score, 6);
    let away = Availability {
        exceptions: vec![Exception {
            from: "2025-03-01".into(),
            to: "2025-03-31".into(),
            available: false,
            note: "住院".into(),
        }],
        ..evenings()
    };
    let r = &rank(&need, &[Candidate { availability: away, ..volunteer("v1", "王芳") }])[0];
    assert_eq!(r.reasons[2], Reason::Unavailable { next_from_ms: None });
    assert_eq!(explain(r, true)[2], "现在没空，14 天内无空闲时段");
}

#[test]
fn reliability_arithmetic() {
    let score_of = |track: Track| {
        let need = Need { skills: vec![], ..medicine_now() };
        let c = Candidate { track, area_path: vec![], ..volunteer("v1", "王芳") };
        let r = rank(&need, &[c]).remove(0);
        (r.score, r.reasons)
    };
    let t = |done, no_show, late| Track { done, no_show, late, last_no_show: false };
    assert_eq!(score_of(t(12, 1, 0)).0, 11);
    assert_eq!(score_of(t(12, 1, 2)).0, 1);
    assert_eq!(score_of(t(12, 1, 9)).0, 11 - 20, "late tasks cost at most 20");
    assert_eq!(score_of(t(2, 2, 0)).0, (50 - 70) / 2);
    assert_eq!(score_of(t(1, 1, 0)).0, 0, "two tasks say too little");
    assert_eq!(score_of(t(2, 1, 0)).0, -2, "66%: (66 − 70) / 2");
    assert_eq!(score_of(t(0, 3, 0)).0, -35);
    assert_eq!(score_of(t(2, 0, 5)).0, 0, "new volunteers are not judged on lateness");
    assert_eq!(score_of(t(2, 0, 5)).1.last(), Some(&Reason::NewVolunteer));
    assert_eq!(score_of(t(u32::MAX, u32::MAX, u32::MAX)).0, (50 - 70) / 2 - 20);
    let r = Ranked {
        id: "v".into(),
        name: "王芳".into(),
        score: 1,
        eligible: true,
        reasons: vec![
            Reason::Reliability { done: 12, no_show: 1, late: 2, percent: 92 },
            Reason::NewVolunteer,
        ],
    };
    assert_eq!(
        explain(&r, true),
        ["完成率 92%（12 次，1 次未到，2 次迟到）", "新志愿者（不足 3 次任务）"]
    );
    assert_eq!(explain(&r, false)[0], "92% completed (12 done, 1 no-show, 2 late)");
}

#[test]
fn place_follows_the_longest_common_prefix() {
    let place = |need_path: &[&str], own: &[&str]| {
        let need = Need { area_path: path(need_path), ..medicine_now() };
        let c = Candidate { area_path: path(own), ..volunteer("v1", "王芳") };
        rank(&need, &[c]).remove(0).reasons[1].clone()
    };
    let g = ["d", "s", "c", "g"];
    assert_eq!(place(&g, &g), Reason::SameGrid);
    assert_eq!(place(&g, &["d", "s", "c", "g2"]), Reason::SameCommunity);
    assert_eq!(place(&g, &["d", "s", "c"]), Reason::SameCommunity, "home known to the community");
    assert_eq!(place(&["d", "s", "c"], &["d", "s", "c"]), Reason::SameCommunity);
    assert_eq!(place(&g, &["d", "s", "c2", "g"]), Reason::SameStreet);
    assert_eq!(place(&g, &["d", "s2", "c", "g"]), Reason::OtherStreet);
    assert_eq!(place(&g, &[]), Reason::OtherStreet);
}

#[test]
fn skills_asked_twice_count_once_in_the_order_asked() {
    let need = Need {
        skills: vec!["陪诊".into(), "送药".into(), "陪诊".into(), "驾驶".into()],
        ..medicine_now()
    };
    let c =
        Candidate { skills: vec!["驾驶".into(), "陪诊".into()], ..volunteer("v1", "王芳") };
    let r = rank(&need, &[c]).remove(0);
    assert_eq!(
        r.reasons[0],
        Reason::Skills {
            matched: vec!["陪诊".into(), "驾驶".into()],
            missing: vec!["送药".into()]
        }
    );
    assert_eq!(explain(&r, true)[0], "技能匹配：陪诊、驾驶；缺少：送药");
    assert_eq!(explain(&r, false)[0], "skills: 陪诊, 驾驶; missing: 送药");
}

#[test]
fn ties_go_to_fewer_tasks_then_name_then_id() {
    // Equal scores: one task in hand (−10) against a record of 72% rather than 92% (+1, not +11).
    let busy = Candidate { load: 1, ..volunteer("a", "甲") };
    let idle = Candidate {
        track: Track { done: 18, no_show: 7, late: 0, last_no_show: false },
        ..volunteer("b", "乙")
    };
    let need = medicine_now();
    let r = rank(&need, &[busy, idle]);
    assert_eq!(r[0].score, r[1].score);
    assert_eq!(ids(&r), ["b", "a"]);
    let same = |id: &str, name: &str| volunteer(id, name);
    let r = rank(&need, &[same("3", "B"), same("2", "A"), same("1", "B")]);
    assert_eq!(ids(&r), ["2", "1", "3"]);
}

#[test]
fn serde_forms_for_the_ui() {
    let json = |r: &Reason| serde_json::to_string(r).expect("json");
    assert_eq!(json(&Reason::SameGrid), r#"{"code":"same_grid"}"#);
    assert_eq!(
        json(&Reason::Skills { matched: vec!["送药".into()], missing: vec![] }),
        r#"{"code":"skills","matched":["送药"],"missing":[]}"#
    );
    assert_eq!(
        json(&Reason::Health { status: Health::Quarantined }),
        r#"{"code":"health","status":"quarantined"}"#
    );
    assert_eq!(
        json(&Reason::Unavailable { next_from_ms: None }),
        r#"{"code":"unavailable","next_from_ms":null}"#
    );
    for h in [Health::Well, Health::Isolating, Health::Quarantined, Health::Unwell] {
        assert_eq!(Health::parse(h.as_str()), Some(h));
        assert_eq!(
            json(&Reason::Health { status: h }),
            format!(r#"{{"code":"health","status":"{}"}}"#, h.as_str())
        );
    }
    assert_eq!(Health::parse("sick"), None);
}

// --- random scenes -------------------------------------------------------------------------

const SKILLS: [&str; 5] = ["送药", "买菜", "驾驶", "陪诊", "心理"];
const NAMES: [&str; 5] = ["王芳", "李伟", "张敏", "刘洋", "陈静"];

/// A path in a small tree: 2 districts × 2 streets × 2 communities × 2 grids, cut at any depth.
fn area() -> impl Strategy<Value = Vec<String>> {
    (0..2u8, 0..2u8, 0..2u8, 0..2u8, 0..=4usize).prop_map(|(d, s, c, g, depth)| {
        let parts = [
            format!("d{d}"),
            format!("d{d}s{s}"),
            format!("d{d}s{s}c{c}"),
            format!("d{d}s{s}c{c}g{g}"),
        ];
        parts[..depth].to_vec()
    })
}

fn skills() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(SKILLS.to_vec()).prop_map(str::to_owned), 0..3)
}

fn availability() -> impl Strategy<Value = Availability> {
    let slot = (1u8..=7, 0u16..24, 1u16..=8).prop_map(|(day, h, len)| Slot {
        day,
        from_min: h * 60,
        to_min: ((h + len) * 60).min(1440),
    });
    let exception = (0u64..10, any::<bool>()).prop_map(|(k, available)| {
        let d = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).expect("date") + chrono::Days::new(k);
        Exception { from: d.to_string(), to: d.to_string(), available, note: String::new() }
    });
    (prop::collection::vec(slot, 0..4), prop::collection::vec(exception, 0..2))
        .prop_map(|(slots, exceptions)| Availability { slots, exceptions })
}

fn base() -> i64 {
    sh(3, 8, 0)
}

fn booking() -> impl Strategy<Value = (i64, i64, bool)> {
    (-24i64..72, 1i64..6, any::<bool>()).prop_map(|(start, len, planned)| {
        (base() + start * HOUR, base() + (start + len) * HOUR, planned)
    })
}

fn health() -> impl Strategy<Value = Health> {
    prop_oneof![
        6 => Just(Health::Well),
        1 => Just(Health::Isolating),
        1 => Just(Health::Quarantined),
        1 => Just(Health::Unwell),
    ]
}

fn track() -> impl Strategy<Value = Track> {
    (0u32..20, 0u32..5, 0u32..6, prop::bool::weighted(0.2))
        .prop_map(|(done, no_show, late, last_no_show)| Track { done, no_show, late, last_no_show })
}

fn candidate() -> impl Strategy<Value = Candidate> {
    let who = (prop::sample::select(NAMES.to_vec()), skills(), area(), availability());
    let state = (0u32..4, 0u32..5, health(), prop::bool::weighted(0.9));
    (who, state, prop::collection::vec(booking(), 0..3), track()).prop_map(
        |(who, state, bookings, track)| {
            let (name, skills, area_path, availability) = who;
            let (capacity, load, health, active) = state;
            let id = String::new();
            let name = name.to_owned();
            Candidate {
                id,
                name,
                skills,
                area_path,
                availability,
                capacity,
                load,
                health,
                active,
                bookings,
                track,
            }
        },
    )
}

fn candidates() -> impl Strategy<Value = Vec<Candidate>> {
    prop::collection::vec(candidate(), 0..60).prop_map(|mut v| {
        for (i, c) in v.iter_mut().enumerate() {
            c.id = format!("v{i:02}");
        }
        v
    })
}

fn need() -> impl Strategy<Value = Need> {
    (skills(), area(), 0i64..96, 0i64..48, 1i64..5, any::<bool>()).prop_map(
        |(skills, area_path, now, start, len, planned)| {
            let now_ms = base() + now * HOUR / 2;
            let from = if planned { now_ms + start * HOUR } else { now_ms };
            let window = (from, from + len * HOUR);
            Need { skills, area_path, now_ms, window, planned, tz: Shanghai }
        },
    )
}

/// The points of the module's table, read back from the reasons alone.
fn points(reasons: &[Reason]) -> i64 {
    reasons
        .iter()
        .map(|r| match r {
            Reason::Skills { matched, missing } => {
                30 * matched.len() as i64 - 20 * missing.len() as i64
            }
            Reason::SameGrid => 40,
            Reason::SameCommunity => 25,
            Reason::SameStreet => 10,
            Reason::AvailableNow | Reason::AvailableThen => 20,
            Reason::Unavailable { .. } | Reason::OutsideHours => -25,
            Reason::Load { current, .. } => -10 * i64::from(*current),
            Reason::Reliability { percent, late, .. } => {
                (i64::from(*percent) - 70) / 2 - (5 * i64::from(*late)).min(20)
            }
            Reason::MissedLastTask => -30,
            _ => 0,
        })
        .sum()
}

/// Where each reason may stand in the list.
fn slot_of(r: &Reason) -> u8 {
    match r {
        Reason::Skills { .. } => 0,
        Reason::SameGrid | Reason::SameCommunity | Reason::SameStreet | Reason::OtherStreet => 1,
        Reason::AvailableNow
        | Reason::AvailableThen
        | Reason::NotStated
        | Reason::Unavailable { .. }
        | Reason::OutsideHours => 2,
        Reason::Load { .. } => 3,
        Reason::Reliability { .. } | Reason::NewVolunteer => 4,
        Reason::MissedLastTask => 5,
        Reason::Health { .. } => 6,
        Reason::Inactive => 7,
        Reason::AtCapacity { .. } => 8,
        Reason::Overlap { .. } => 9,
    }
}

fn excludes(r: &Reason) -> bool {
    matches!(
        r,
        Reason::Inactive
            | Reason::Health { .. }
            | Reason::AtCapacity { .. }
            | Reason::Overlap { .. }
    )
}

fn clashes(need: &Need, c: &Candidate) -> bool {
    c.bookings.iter().any(|&(from, to, planned)| {
        (need.planned || planned) && from < need.window.1 && need.window.0 < to && from < to
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_order_does_not_depend_on_the_order_given(
        (cands, shuffled) in candidates().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        need in need(),
    ) {
        prop_assert_eq!(rank(&need, &cands), rank(&need, &shuffled));
    }

    /// n runs past the number of candidates, and there may be none.
    #[test]
    fn the_top_n_is_the_head_of_the_whole_order(cands in candidates(), need in need(), n in 0usize..70) {
        let all = rank(&need, &cands);
        prop_assert_eq!(rank_top(&need, &cands, n), all[..n.min(all.len())].to_vec());
    }

    #[test]
    fn the_ranking_holds_its_promises(cands in candidates(), need in need()) {
        let ranked = rank(&need, &cands);
        prop_assert_eq!(ranked.len(), cands.len());
        // (c) eligible first.
        let eligible = ranked.iter().take_while(|r| r.eligible).count();
        prop_assert!(ranked[eligible..].iter().all(|r| !r.eligible));
        // (e) scores do not rise down either part.
        for part in [&ranked[..eligible], &ranked[eligible..]] {
            prop_assert!(part.windows(2).all(|w| w[0].score >= w[1].score));
        }
        for r in &ranked {
            let c = cands.iter().find(|c| c.id == r.id).expect("candidate");
            // (d) an ineligible one says why, and only an ineligible one does.
            prop_assert_eq!(r.eligible, !r.reasons.iter().any(excludes), "{:?}", r);
            // (f) at capacity is never eligible.
            if c.load >= c.capacity {
                prop_assert!(!r.eligible);
            }
            // (g) a clash with a planned slot is never eligible.
            if clashes(&need, c) {
                prop_assert!(!r.eligible);
            }
            prop_assert_eq!(i64::from(r.score), points(&r.reasons), "{:?}", r);
            prop_assert!(r.reasons.windows(2).all(|w| slot_of(&w[0]) <= slot_of(&w[1])), "{:?}", r);
            prop_assert_eq!(explain(r, true).len(), r.reasons.len());
            prop_assert_eq!(explain(r, false).len(), r.reasons.len());
        }
    }

    /// Duplicate ids and names must not let the input order show through either.
    #[test]
    fn duplicates_cannot_break_the_determinism(
        (cands, shuffled) in prop::collection::vec(candidate(), 0..12)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        need in need(),
    ) {
        prop_assert_eq!(rank(&need, &cands), rank(&need, &shuffled));
        prop_assert_eq!(rank_top(&need, &cands, 3), rank_top(&need, &shuffled, 3));
    }
}

/// The app shows the top 20 of a district's volunteers; the order must hold at that size.
#[test]
fn ranks_ten_thousand_volunteers() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = candidate();
    let cands: Vec<Candidate> = (0..10_000)
        .map(|i| {
            let mut c = strategy.new_tree(&mut runner).expect("candidate").current();
            c.id = format!("v{i:05}");
            c
        })
        .collect();
    let need = Need {
        skills: vec!["送药".into()],
        area_path: path(&["d0", "d0s1", "d0s1c0", "d0s1c0g1"]),
        now_ms: base() + 11 * HOUR,
        window: (base() + 11 * HOUR, base() + 13 * HOUR),
        planned: false,
        tz: Shanghai,
    };
    let top = rank_top(&need, &cands, 20);
    assert_eq!(top.len(), 20);
    let all = rank(&need, &cands);
    assert_eq!(all.len(), 10_000);
    assert_eq!(top, all[..20]);
    let eligible = all.iter().take_while(|r| r.eligible).count();
    assert!(eligible > 20 && eligible < 10_000, "{eligible} eligible");
    assert!(all[eligible..].iter().all(|r| !r.eligible));
    assert!(all[..eligible].windows(2).all(|w| w[0].score >= w[1].score));
}
