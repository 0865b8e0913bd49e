//! Instants across midnight, exception days and clock changes, windows over touching slots,
//! and the text form read and written both ways, in Asia/Shanghai unless a test says otherwise.

use chrono_tz::Asia::Shanghai;
use proptest::prelude::*;

use super::*;

/// A Shanghai wall-clock time. 2025-03-03 is a Monday.
fn sh(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Tz> {
    Shanghai.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("valid")
}

fn ms(t: DateTime<Tz>) -> i64 {
    t.timestamp_millis()
}

fn slot(day: u8, from: &str, to: &str) -> Slot {
    let m = |s: &str| {
        let (h, m) = s.split_once(':').expect("hh:mm");
        h.parse::<u16>().expect("h") * 60 + m.parse::<u16>().expect("m")
    };
    Slot { day, from_min: m(from), to_min: m(to) }
}

fn away(from: &str, to: &str) -> Exception {
    Exception { from: from.into(), to: to.into(), available: false, note: "回老家".into() }
}

fn free(from: &str, to: &str) -> Exception {
    Exception { from: from.into(), to: to.into(), available: true, note: String::new() }
}

fn weekly(slots: Vec<Slot>) -> Availability {
    Availability { slots, exceptions: vec![] }
}

/// Monday evenings until midnight and Tuesday's small hours.
fn night_owl() -> Availability {
    weekly(vec![slot(1, "20:00", "24:00"), slot(2, "00:00", "02:00")])
}

#[test]
fn normalised_sorts_and_merges_touching_and_overlapping_slots() {
    let a = Availability {
        slots: vec![
            slot(3, "14:00", "17:00"),
            slot(1, "20:00", "21:00"),
            slot(1, "18:00", "20:00"),
            slot(1, "19:00", "19:30"),
            slot(3, "09:00", "12:00"),
            slot(1, "22:00", "23:00"),
        ],
        exceptions: vec![away("2025-5-1", "2025-05-05"), free("2025-03-08", "2025-03-08")],
    };
    let n = a.normalised().expect("valid");
    assert_eq!(
        n.slots,
        vec![
            slot(1, "18:00", "21:00"),
            slot(1, "22:00", "23:00"),
            slot(3, "09:00", "12:00"),
            slot(3, "14:00", "17:00"),
        ]
    );
    assert_eq!(n.exceptions[0].from, "2025-03-08");
    assert_eq!(n.exceptions[1].from, "2025-05-01", "dates are rewritten YYYY-MM-DD");
    assert_eq!(n.clone().normalised().expect("again"), n);
}

#[test]
fn normalised_refuses_what_an_official_must_fix() {
    let bad = |slots: Vec<Slot>, exceptions: Vec<Exception>| {
        Availability { slots, exceptions }.normalised().expect_err("refused")
    };
    let e = bad(vec![Slot { day: 8, from_min: 0, to_min: 60 }], vec![]);
    assert_eq!(e.code(), "bad_day");
    assert!(e.to_string().contains("1 (Monday) to 7 (Sunday)"), "{e}");
    assert_eq!(bad(vec![Slot { day: 0, from_min: 0, to_min: 60 }], vec![]).code(), "bad_day");
    let e = bad(vec![slot(1, "21:00", "18:00")], vec![]);
    assert_eq!(e, AvailabilityError::EmptySlot { from: "21:00".into(), to: "18:00".into() });
    assert_eq!(bad(vec![slot(1, "18:00", "18:00")], vec![]).code(), "empty_slot");
    let e = bad(vec![Slot { day: 1, from_min: 1380, to_min: 1500 }], vec![]);
    assert_eq!(e.code(), "past_midnight");
    let e = bad(vec![], vec![away("2025-02-30", "2025-03-01")]);
    assert_eq!(e, AvailabilityError::BadDate { date: "2025-02-30".into() });
    assert_eq!(bad(vec![], vec![away("2025-03-01", "下周")]).code(), "bad_date");
    let e = bad(vec![], vec![away("2025-03-05", "2025-03-01")]);
    assert_eq!(e.code(), "reversed_dates");
    assert!(e.to_string().contains("2025-03-05"), "{e}");
    assert_eq!(Availability::default().normalised(), Ok(Availability::default()));
}

#[test]
fn state_at_across_midnight() {
    let a = night_owl();
    assert_eq!(a.state_at(sh(2025, 3, 3, 20, 0)), Now::Available);
    assert_eq!(a.state_at(sh(2025, 3, 3, 23, 59)), Now::Available);
    assert_eq!(a.state_at(sh(2025, 3, 4, 0, 0)), Now::Available);
    assert_eq!(a.state_at(sh(2025, 3, 4, 1, 59)), Now::Available);
    // Tuesday 02:00 ends the stretch; the next one is the following Monday evening.
    assert_eq!(
        a.state_at(sh(2025, 3, 4, 2, 0)),
        Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 10, 20, 0))) }
    );
    assert_eq!(
        a.state_at(sh(2025, 3, 3, 19, 59)),
        Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 3, 20, 0))) }
    );
}

#[test]
fn state_at_counts_seconds_within_the_minute() {
    let a = weekly(vec![slot(1, "08:00", "18:00")]);
    let t = |h, m, s| Shanghai.with_ymd_and_hms(2025, 3, 3, h, m, s).single().expect("t");
    assert_eq!(a.state_at(t(17, 59, 59)), Now::Available);
    assert!(matches!(a.state_at(t(18, 0, 0)), Now::Unavailable { .. }));
    assert_eq!(
        a.state_at(t(7, 59, 59)),
        Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 3, 8, 0))) }
    );
}

#[test]
fn an_exception_day_wins_over_the_weekly_hours() {
    let mut a = night_owl();
    a.exceptions.push(away("2025-03-03", "2025-03-03"));
    // Away all Monday: the stretch that goes on after midnight still counts on Tuesday.
    assert_eq!(
        a.state_at(sh(2025, 3, 3, 21, 0)),
        Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 4, 0, 0))) }
    );
    assert_eq!(a.state_at(sh(2025, 3, 4, 0, 30)), Now::Available);
    // Free all Saturday, whatever the weekly hours say.
    a.exceptions.push(free("2025-03-08", "2025-03-08"));
    assert_eq!(a.state_at(sh(2025, 3, 8, 3, 0)), Now::Available);
    assert_eq!(
        a.state_at(sh(2025, 3, 7, 12, 0)),
        Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 8, 0, 0))) }
    );
    // When two exceptions disagree, away wins.
    a.exceptions.push(away("2025-03-08", "2025-03-09"));
    assert_eq!(
        a.state_at(sh(2025, 3, 8, 3, 0)),
        Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 10, 20, 0))) }
    );
}

#[test]
fn next_from_looks_fourteen_days_ahead() {
    let mut a = night_owl();
    a.exceptions.push(away("2025-03-01", "2025-03-16"));
    assert_eq!(
        a.state_at(sh(2025, 3, 3, 21, 0)),
        Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 17, 20, 0))) }
    );
    a.exceptions[0].to = "2025-03-17".into();
    // Tuesday 18th 00:00 is 14 days and 3 hours after Monday 3rd 21:00: too far.
    assert_eq!(a.state_at(sh(2025, 3, 3, 21, 0)), Now::Unavailable { next_from_ms: None });
    // Exactly 14 days ahead still counts.
    assert_eq!(
        a.state_at(sh(2025, 3, 4, 0, 0)),
        Now::Unavailable { next_from_ms: Some(ms(sh(2025, 3, 18, 0, 0))) }
    );
}

#[test]
fn not_stated_unless_something_is_said_about_the_day() {
    assert_eq!(Availability::default().state_at(sh(2025, 3, 3, 9, 0)), Now::NotStated);
    let a = Availability { slots: vec![], exceptions: vec![away("2025-03-04", "2025-03-05")] };
    assert_eq!(a.state_at(sh(2025, 3, 3, 9, 0)), Now::NotStated);
    assert_eq!(
        a.state_at(sh(2025, 3, 4, 9, 0)),
        Now::Unavailable { next_from_ms: None },
        "no free time is ever stated"
    );
    let a = Availability { slots: vec![], exceptions: vec![free("2025-03-06", "2025-03-06")] };
    assert_eq!(a.state_at(sh(2025, 3, 6, 9, 0)), Now::Available);
    assert_eq!(a.covers(ms(sh(2025, 3, 6, 9, 0)), ms(sh(2025, 3, 6, 11, 0)), Shanghai), Some(true));
}

#[test]
fn covers_windows_across_touching_slots_and_midnight() {
    let a = weekly(vec![
        slot(1, "18:00", "20:00"),
        slot(1, "20:00", "24:00"),
        slot(2, "00:00", "02:00"),
        slot(3, "00:30", "02:00"),
        slot(2, "22:00", "24:00"),
    ]);
    let c = |from: DateTime<Tz>, to: DateTime<Tz>| a.covers(ms(from), ms(to), Shanghai);
    assert_eq!(c(sh(2025, 3, 3, 19, 0), sh(2025, 3, 3, 21, 0)), Some(true));
    assert_eq!(c(sh(2025, 3, 3, 18, 0), sh(2025, 3, 4, 2, 0)), Some(true));
    assert_eq!(c(sh(2025, 3, 3, 17, 59), sh(2025, 3, 3, 19, 0)), Some(false));
    assert_eq!(c(sh(2025, 3, 4, 1, 0), sh(2025, 3, 4, 2, 1)), Some(false));
    // Wednesday starts at 00:30, so Tuesday night does not run on.
    assert_eq!(c(sh(2025, 3, 4, 23, 0), sh(2025, 3, 5, 0, 30)), Some(false));
    assert_eq!(c(sh(2025, 3, 4, 23, 0), sh(2025, 3, 5, 0, 0)), Some(true));
    // An empty window asks about its start.
    assert_eq!(c(sh(2025, 3, 3, 19, 0), sh(2025, 3, 3, 19, 0)), Some(true));
    assert_eq!(c(sh(2025, 3, 3, 17, 0), sh(2025, 3, 3, 16, 0)), Some(false));
    assert_eq!(c(sh(2025, 3, 3, 19, 0), sh(2026, 6, 3, 19, 0)), Some(false));
}

#[test]
fn covers_says_none_only_where_nothing_is_stated() {
    let t = |d, h| ms(sh(2025, 3, d, h, 0));
    assert_eq!(Availability::default().covers(t(3, 9), t(3, 10), Shanghai), None);
    let a = Availability {
        slots: vec![],
        exceptions: vec![free("2025-03-04", "2025-03-04"), away("2025-03-06", "2025-03-06")],
    };
    assert_eq!(a.covers(t(4, 9), t(4, 10), Shanghai), Some(true));
    assert_eq!(a.covers(t(3, 9), t(3, 10), Shanghai), None, "Monday: nothing said");
    assert_eq!(a.covers(t(3, 23), t(4, 1), Shanghai), None, "half unknown, half free");
    assert_eq!(a.covers(t(5, 23), t(6, 1), Shanghai), Some(false), "half on a day away");
    let mut w = night_owl();
    w.exceptions.push(away("2025-03-04", "2025-03-04"));
    assert_eq!(w.covers(t(3, 23), t(4, 1), Shanghai), Some(false));
    assert_eq!(w.covers(t(3, 21), t(3, 23), Shanghai), Some(true));
}

#[test]
fn hours_that_a_clock_change_skips_begin_with_the_jump() {
    use chrono_tz::America::New_York;
    // 2025-03-09, a Sunday: New York skips 02:00–03:00.
    let a = weekly(vec![slot(7, "02:30", "04:00")]);
    let ny = |h, m| New_York.with_ymd_and_hms(2025, 3, 9, h, m, 0).single().expect("exists");
    assert_eq!(a.state_at(ny(3, 15)), Now::Available);
    assert_eq!(a.covers(ms(ny(3, 0)), ms(ny(3, 30)), New_York), Some(true));
    assert_eq!(
        a.state_at(ny(1, 59)),
        Now::Unavailable { next_from_ms: Some(ms(ny(3, 0))) },
        "free from the jump"
    );
    assert_eq!(ms(ny(3, 0)) - ms(ny(1, 59)), 60_000);
}

#[test]
fn serde_forms() {
    let now = Now::Unavailable { next_from_ms: Some(5) };
    assert_eq!(
        serde_json::to_string(&now).expect("json"),
        r#"{"kind":"unavailable","next_from_ms":5}"#
    );
    assert_eq!(serde_json::to_string(&Now::NotStated).expect("json"), r#"{"kind":"not_stated"}"#);
    let a = night_owl();
    let back: Availability =
        serde_json::from_str(&serde_json::to_string(&a).expect("json")).expect("back");
    assert_eq!(back, a);
}

// --- the text form ---------------------------------------------------------------------

fn read(text: &str) -> Vec<Slot> {
    parse_weekly(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn every(days: std::ops::RangeInclusive<u8>, from: &str, to: &str) -> Vec<Slot> {
    days.map(|d| slot(d, from, to)).collect()
}

#[test]
fn reads_chinese_days_and_hours() {
    let evenings = every(1..=5, "18:00", "21:00");
    for text in [
        "周一至周五 18:00-21:00",
        "周一到周五 18:00-21:00",
        "周一-周五 18:00-21:00",
        "周一至五 18:00-21:00",
        "星期一至星期五 18:00-21:00",
        "礼拜一到礼拜五 18:00-21:00",
        "周一至周五18:00-21:00",
        "周一至周五：18:00-21:00",
        "工作日 18:00-21:00",
        "每周一至周五 18:00-21:00",
        "周一至周五 １８：００－２１：００",
        "周一至周五 18:00～21:00",
        "周一至周五 18:00—21:00",
        "周一至周五 18:00至21:00",
        "周一至周五 18点-21点",
        "周一至周五 18点到21点",
        "周一至周五 晚上",
        "周一至周五晚上",
        "周一至周五 晚上6点-9点",
        "周一至周五 下午6:00-9:00",
        "周一、周二、周三、周四、周五 18:00-21:00",
        "周一，周二,周三 周四/周五 18:00-21:00",
        "周一至周五 18:00-19:30, 19:30-21:00",
    ] {
        assert_eq!(read(text), evenings, "{text}");
    }
    assert_eq!(
        read("周一、周三 9:00-12:00"),
        vec![slot(1, "09:00", "12:00"), slot(3, "09:00", "12:00")]
    );
    assert_eq!(read("周一、三、五 9:00-12:00").len(), 3);
    assert_eq!(read("周六 全天"), vec![slot(6, "00:00", "24:00")]);
    assert_eq!(read("周末 全天"), every(6..=7, "00:00", "24:00"));
    assert_eq!(read("双休日全天"), every(6..=7, "00:00", "24:00"));
    for sunday in ["周日", "周天", "星期天", "星期日", "礼拜天", "礼拜日"] {
        assert_eq!(read(&format!("{sunday} 全天")), vec![slot(7, "00:00", "24:00")], "{sunday}");
    }
    let mut daily = every(1..=7, "08:00", "12:00");
    daily.extend(every(1..=7, "14:00", "17:30"));
    daily.sort_by_key(|s| (s.day, s.from_min));
    assert_eq!(read("每天 8:00-12:00, 14:00-17:30"), daily);
    assert_eq!(read("每天 8:00-12:00，14:00-17:30"), daily);
    assert_eq!(read("每天 8点-12点、14点-17点半"), daily);
    assert_eq!(read("每天 上午、14:00-17:30"), daily);
    let mut mixed = evenings.clone();
    mixed.push(slot(6, "00:00", "24:00"));
    for text in [
        "周一至周五 18:00-21:00；周六 全天",
        "周一至周五 18:00-21:00;周六 全天",
        "周一至周五 18:00-21:00\n周六 全天",
        "周一至周五 18:00-21:00 | 周六 全天",
        "周一至周五 18:00-21:00。周六全天。",
        "周一至周五 18:00-21:00 周六 全天",
    ] {
        assert_eq!(read(text), mixed, "{text:?}");
    }
    assert_eq!(read("周六上午"), vec![slot(6, "08:00", "12:00")]);
    assert_eq!(read("周六下午"), vec![slot(6, "14:00", "18:00")]);
    assert_eq!(read("每天晚上"), every(1..=7, "18:00", "21:00"));
    assert_eq!(read("周日 18:30-21"), vec![slot(7, "18:30", "21:00")]);
    assert_eq!(read("周日 18点30分-21点"), vec![slot(7, "18:30", "21:00")]);
    assert_eq!(read("周五 20:00-24:00"), vec![slot(5, "20:00", "24:00")]);
    assert_eq!(read("周五 20:00-0:00"), vec![slot(5, "20:00", "24:00")]);
    assert_eq!(read("周五 晚上8点-12点"), vec![slot(5, "20:00", "24:00")]);
    assert_eq!(read("周五 24小时"), vec![slot(5, "00:00", "24:00")]);
    assert_eq!(read("周五至周一 全天").len(), 4, "round the weekend");
    assert_eq!(read(""), vec![]);
    assert_eq!(read(" ；\n "), vec![]);
}

#[test]
fn reads_english_days_and_hours() {
    let evenings = every(1..=5, "18:00", "21:00");
    for text in [
        "Mon-Fri 18:00-21:00",
        "mon–fri 18:00–21:00",
        "Monday to Friday 18:00 to 21:00",
        "Mon through Fri 6pm-9pm",
        "Mon-Fri 6-9pm",
        "Mon-Fri 6 p.m. - 9 p.m.",
        "weekdays 18:00-21:00",
        "Weekdays evenings",
        "Mon, Tue, Wed, Thu and Fri 18:00-21:00",
        "Mondays to Fridays 18:00-21:00",
    ] {
        assert_eq!(read(text), evenings, "{text}");
    }
    assert_eq!(read("Sat, Sun all day"), every(6..=7, "00:00", "24:00"));
    assert_eq!(read("weekends all day"), every(6..=7, "00:00", "24:00"));
    assert_eq!(read("weekend whole day"), every(6..=7, "00:00", "24:00"));
    assert_eq!(read("daily 8-12"), every(1..=7, "08:00", "12:00"));
    assert_eq!(read("every day 8am-12pm"), every(1..=7, "08:00", "12:00"));
    assert_eq!(read("Every day morning"), every(1..=7, "08:00", "12:00"));
    assert_eq!(read("Sun 10-2pm"), vec![slot(7, "10:00", "14:00")]);
    assert_eq!(read("Sun 8pm-12am"), vec![slot(7, "20:00", "24:00")]);
    assert_eq!(read("Sat 24h"), vec![slot(6, "00:00", "24:00")]);
    assert_eq!(
        read("Mon-Fri 18:00-21:00; Sat, Sun all day"),
        [evenings, every(6..=7, "00:00", "24:00")].concat()
    );
}

#[test]
fn names_the_part_not_understood() {
    let err = |text: &str| parse_weekly(text).expect_err(text);
    assert_eq!(err("周八 全天"), AvailabilityError::NotUnderstood { part: "周八".into() });
    assert_eq!(
        err("周一至周五 晚饭后"),
        AvailabilityError::NotUnderstood { part: "晚饭后".into() }
    );
    assert_eq!(err("周一至周五"), AvailabilityError::NoHours { part: "周一至周五".into() });
    assert_eq!(err("18:00-21:00"), AvailabilityError::NoDays { part: "18:00-21:00".into() });
    assert_eq!(
        err("周一至周五 18:00-21:00；周六 随时"),
        AvailabilityError::NotUnderstood { part: "随时".into() }
    );
    assert_eq!(err("周一 25:00-26:00"), AvailabilityError::BadTime { part: "25:00-26:00".into() });
    assert_eq!(err("周一 21:00-18:00"), AvailabilityError::BadTime { part: "21:00-18:00".into() });
    assert_eq!(err("周一 9-5"), AvailabilityError::BadTime { part: "9-5".into() });
    assert_eq!(err("周一 18:7-19:00").code(), "bad_time");
    assert_eq!(err("周一 1800-2100").code(), "bad_time");
    assert_eq!(err("周一 18:00"), AvailabilityError::BadTime { part: "18:00".into() });
    assert_eq!(err("Funday 9-12"), AvailabilityError::NotUnderstood { part: "Funday".into() });
    assert_eq!(err("every week 9-12").code(), "not_understood");
    assert_eq!(err("周一 至 全天").code(), "not_understood");
    assert_eq!(err("-"), AvailabilityError::NotUnderstood { part: "-".into() });
    let e = err("周一至周五 晚饭后");
    assert!(e.to_string().contains("“晚饭后”"), "{e}");
}

#[test]
fn writes_the_canonical_form() {
    let mut s = every(1..=5, "18:00", "21:00");
    s.extend(every(6..=7, "00:00", "24:00"));
    assert_eq!(format_weekly(&s, true), "周一至周五 18:00-21:00；周六、周日 全天");
    assert_eq!(format_weekly(&s, false), "Mon–Fri 18:00–21:00; Sat, Sun all day");
    let s = vec![
        slot(3, "09:00", "12:00"),
        slot(1, "14:00", "17:30"),
        slot(1, "09:00", "12:00"),
        slot(3, "14:00", "17:30"),
        slot(5, "08:00", "09:00"),
    ];
    assert_eq!(format_weekly(&s, true), "周一、周三 09:00-12:00、14:00-17:30；周五 08:00-09:00");
    assert_eq!(format_weekly(&s, false), "Mon, Wed 09:00–12:00, 14:00–17:30; Fri 08:00–09:00");
    let s = every(1..=7, "08:00", "12:00");
    assert_eq!(format_weekly(&s, true), "每天 08:00-12:00");
    assert_eq!(format_weekly(&s, false), "Every day 08:00–12:00");
    let mut s = every(1..=3, "18:00", "21:00");
    s.extend(every(5..=7, "18:00", "21:00"));
    assert_eq!(format_weekly(&s, true), "周一至周三、周五至周日 18:00-21:00");
    assert_eq!(format_weekly(&[], true), "");
    assert_eq!(format_weekly(&[Slot { day: 9, from_min: 0, to_min: 60 }], true), "");
}

fn slots() -> impl Strategy<Value = Vec<Slot>> {
    let one = (1u8..=7, 0u16..DAY_END).prop_flat_map(|(day, from_min)| {
        (from_min + 1..=DAY_END).prop_map(move |to_min| Slot { day, from_min, to_min })
    });
    // Whole hours and halves often, so slots touch and merge.
    let round = (1u8..=7, 0u16..=47, 1u16..=12).prop_map(|(day, h, n)| Slot {
        day,
        from_min: h * 30,
        to_min: (h * 30 + n * 30).min(DAY_END),
    });
    prop::collection::vec(prop_oneof![one, round], 0..10)
}

fn exceptions() -> impl Strategy<Value = Vec<Exception>> {
    let base = NaiveDate::from_ymd_opt(2025, 3, 1).expect("date");
    let one = (0u64..40, 0u64..4, any::<bool>()).prop_map(move |(start, len, available)| {
        let from = base + Days::new(start);
        Exception {
            from: from.to_string(),
            to: (from + Days::new(len)).to_string(),
            available,
            note: String::new(),
        }
    });
    prop::collection::vec(one, 0..3)
}

proptest! {
    #[test]
    fn format_then_parse_gives_the_normalised_slots(s in slots()) {
        let normal = weekly(s.clone()).normalised().expect("valid").slots;
        for zh in [true, false] {
            let text = format_weekly(&s, zh);
            prop_assert_eq!(parse_weekly(&text), Ok(normal.clone()), "{}", text);
            prop_assert_eq!(format_weekly(&normal, zh), text);
        }
    }

    #[test]
    fn normalising_twice_changes_nothing(s in slots(), e in exceptions()) {
        let once = Availability { slots: s, exceptions: e }.normalised().expect("valid");
        prop_assert_eq!(once.clone().normalised().expect("valid"), once);
    }

    #[test]
    fn parse_never_panics(text in "[周一二三五六日天至到全每晚上午点半:：\\-～ ,、;0-9a-z]{0,24}") {
        let _ = parse_weekly(&text);
    }

    /// state_at and covers agree on an instant, and next_from_ms is the end of the wait.
    #[test]
    fn state_at_agrees_with_covers(
        s in slots(), e in exceptions(), minutes in 0i64..45 * 1440, secs in 0i64..60,
    ) {
        let a = Availability { slots: s, exceptions: e };
        let t = ms(sh(2025, 2, 25, 0, 0)) + minutes * 60_000 + secs * 1000;
        let at = DateTime::from_timestamp_millis(t).expect("t").with_timezone(&Shanghai);
        let state = a.state_at(at);
        let covered = a.covers(t, t + 1, Shanghai);
        match &state {
            Now::NotStated => prop_assert_eq!(covered, None),
            Now::Available => prop_assert_eq!(covered, Some(true)),
            Now::Unavailable { next_from_ms } => {
                prop_assert_eq!(covered, Some(false));
                if let Some(next) = *next_from_ms {
                    prop_assert!(next > t && next <= t + LOOKAHEAD_DAYS as i64 * DAY_MS);
                    let next_at = DateTime::from_timestamp_millis(next).expect("n");
                    prop_assert_eq!(a.state_at(next_at.with_timezone(&Shanghai)), Now::Available);
                    let before = DateTime::from_timestamp_millis(next - 1).expect("b");
                    prop_assert_ne!(a.state_at(before.with_timezone(&Shanghai)), Now::Available);
                    prop_assert_ne!(a.covers(t, next, Shanghai), Some(true));
                }
            }
        }
    }
}
