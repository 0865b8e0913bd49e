//! China's public holidays and make-up working days as data: the embedded file
//! `holidays_cn.txt` (its header says where each year comes from) seeds the store's calendar,
//! which officials edit; this module only parses and checks days, whoever wrote them.

use std::collections::HashSet;

use chrono::{Datelike, Weekday};

use super::calendar::{CalendarDay, DayKind};
use super::SlaError;

const CHINA_DAYS: &str = include_str!("holidays_cn.txt");

/// The published holidays and make-up days (2025, 2026; 2027's statutory days provisional).
pub fn china_days() -> Vec<CalendarDay> {
    // The file is part of the program and a test parses and validates it, so a failure here
    // is a build that should never have shipped.
    parse_days(CHINA_DAYS).expect("the embedded holiday calendar parses (tested)")
}

/// Parses `DATE KIND NAME [provisional]` lines (KIND is `holiday` or `workday`); `#` starts a
/// comment. Parsing does not validate: [`validate_days`] does, as [`super::Calendar::new`].
pub fn parse_days(text: &str) -> Result<Vec<CalendarDay>, SlaError> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let bad = |problem| SlaError::BadLine { line: n + 1, problem, text: line.to_owned() };
        let mut parts = line.split_whitespace();
        let date = parts
            .next()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| bad("the date is not written YYYY-MM-DD"))?;
        let kind = match parts.next() {
            Some("holiday") => DayKind::Holiday,
            Some("workday") => DayKind::Workday,
            _ => return Err(bad("the kind after the date is `holiday` or `workday`")),
        };
        let name = parts.next().ok_or_else(|| bad("the holiday's name is missing"))?.to_owned();
        let provisional = match parts.next() {
            None => false,
            Some("provisional") => true,
            Some(_) => return Err(bad("only `provisional` may follow the name")),
        };
        out.push(CalendarDay { date, kind, name, provisional });
    }
    Ok(out)
}

/// A calendar's days make sense: each date once (a day is a holiday or a make-up working day,
/// never both), every day named, and make-up working days on a weekend. A make-up day on a
/// weekday would change nothing, so it is almost always a mistyped date that silently drops
/// a worked Saturday: refused.
pub fn validate_days(days: &[CalendarDay]) -> Result<(), SlaError> {
    let mut seen = HashSet::with_capacity(days.len());
    for d in days {
        if !seen.insert(d.date) {
            return Err(SlaError::DuplicateDay { date: d.date });
        }
        if d.name.trim().is_empty() {
            return Err(SlaError::UnnamedDay { date: d.date });
        }
        let weekday = d.date.weekday();
        if d.kind == DayKind::Workday && !matches!(weekday, Weekday::Sat | Weekday::Sun) {
            return Err(SlaError::WorkdayOnWeekday { date: d.date, weekday });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn year(days: &[CalendarDay], y: i32, kind: DayKind) -> Vec<String> {
        days.iter()
            .filter(|d| d.date.year() == y && d.kind == kind)
            .map(|d| d.date.format("%m-%d").to_string())
            .collect()
    }

    #[test]
    fn the_embedded_calendar_is_valid_and_is_the_published_one() {
        let days = china_days();
        validate_days(&days).expect("valid");
        // 2026 as the State Council published it (chinesecalendar 1.11.0).
        let h26 = year(&days, 2026, DayKind::Holiday);
        assert_eq!(h26.len(), 33);
        for d in ["01-01", "01-03", "02-15", "02-23", "04-06", "05-05", "06-19", "09-25", "10-07"] {
            assert!(h26.contains(&d.to_owned()), "2026-{d} is a holiday");
        }
        assert_eq!(
            year(&days, 2026, DayKind::Workday),
            ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"]
        );
        assert_eq!(year(&days, 2025, DayKind::Holiday).len(), 28);
        assert_eq!(
            year(&days, 2025, DayKind::Workday),
            ["01-26", "02-08", "04-27", "09-28", "10-11"]
        );
        assert!(days.iter().filter(|d| d.date.year() <= 2026).all(|d| !d.provisional));
    }

    #[test]
    fn the_2027_statutory_days_are_provisional_and_on_the_right_lunar_dates() {
        let days = china_days();
        let y27: Vec<_> = days.iter().filter(|d| d.date.year() == 2027).collect();
        assert!(y27.iter().all(|d| d.provisional && d.kind == DayKind::Holiday));
        // 13 statutory days: 元旦 1, 春节 4, 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3.
        assert_eq!(y27.len(), 13);
        let on = |m, d| NaiveDate::from_ymd_opt(2027, m, d).expect("date");
        let name_of = |date| y27.iter().find(|d| d.date == date).map(|d| d.name.as_str());
        // 除夕 is 5 February, 初一 6 February (lunardate and zhdate agree); 清明 5 April;
        // 端午 (五月初五) 9 June; 中秋 (八月十五) 15 September.
        assert_eq!(name_of(on(2, 5)), Some("春节"));
        assert_eq!(name_of(on(2, 8)), Some("春节"));
        assert_eq!(name_of(on(4, 5)), Some("清明节"));
        assert_eq!(name_of(on(6, 9)), Some("端午节"));
        assert_eq!(name_of(on(9, 15)), Some("中秋节"));
    }

    #[test]
    fn bad_lines_are_named_by_number() {
        let err = parse_days("2026-01-01 holiday 元旦\n2026-13-01 holiday x").expect_err("bad");
        assert!(matches!(err, SlaError::BadLine { line: 2, .. }), "{err}");
        let err = parse_days("2026-01-01 day-off 元旦").expect_err("bad kind");
        assert!(err.to_string().contains("`holiday` or `workday`"), "{err}");
        let err = parse_days("2026-01-01 holiday").expect_err("no name");
        assert!(err.to_string().contains("name"), "{err}");
        let err = parse_days("2026-01-01 holiday 元旦 maybe").expect_err("junk");
        assert!(err.to_string().contains("provisional"), "{err}");
        let ok = parse_days("# header\n\n2027-01-01 holiday 元旦 provisional # note").expect("ok");
        assert!(ok[0].provisional && ok[0].name == "元旦");
    }

    #[test]
    fn a_day_listed_twice_or_a_make_up_day_on_a_weekday_is_refused() {
        let twice = parse_days("2026-01-01 holiday 元旦\n2026-01-01 workday 元旦").expect("parses");
        let err = validate_days(&twice).expect_err("twice");
        assert!(err.to_string().contains("2026-01-01 twice"), "{err}");
        // 13 February 2026 is a Friday: the make-up day was Saturday the 14th.
        let weekday = parse_days("2026-02-13 workday 春节").expect("parses");
        assert!(matches!(
            validate_days(&weekday),
            Err(SlaError::WorkdayOnWeekday { weekday: Weekday::Fri, .. })
        ));
        let unnamed = [CalendarDay {
            date: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
            kind: DayKind::Holiday,
            name: " ".into(),
            provisional: false,
        }];
        assert!(matches!(validate_days(&unnamed), Err(SlaError::UnnamedDay { .. })));
    }
}
