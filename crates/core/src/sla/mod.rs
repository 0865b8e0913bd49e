//! Response deadlines, pure: calendars ([`calendar`]), policies per priority and mode
//! ([`policy`]) and the clocks computed from a request's events ([`clock`]). No SQL and no I/O:
//! the store, the command line, the server and the tests share these functions.

pub mod calendar;
pub mod clock;
pub mod policy;

pub use calendar::{BusinessHours, Calendar, CalendarDay, Counting, DayKind};
pub use clock::{
    escalation, evaluate, Active, ClockState, ClockStatus, Escalation, SlaEvent, SlaEventKind,
    SlaState,
};
pub use policy::{default_policy, Budget, Mode, Policy, Priority};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlaError {
    #[error("office hours: {0}")]
    Hours(String),
    #[error("the holiday calendar: {0}")]
    Data(String),
}

const CHINA_DAYS: &str = include_str!("holidays_cn.txt");

/// The published public holidays and make-up working days (see the data file's header for
/// where they come from).
pub fn china_days() -> Vec<CalendarDay> {
    parse_days(CHINA_DAYS).expect("the embedded calendar parses (tested)")
}

/// Parses `DATE KIND NAME [provisional]` lines; `#` starts a comment.
pub fn parse_days(text: &str) -> Result<Vec<CalendarDay>, SlaError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let bad = |what: &str| SlaError::Data(format!("line {}: {what}: “{line}”", n + 1));
        let mut parts = line.split_whitespace();
        let date = parts.next().and_then(|d| d.parse().ok()).ok_or_else(|| bad("not a date"))?;
        let kind = match parts.next() {
            Some("holiday") => DayKind::Holiday,
            Some("workday") => DayKind::Workday,
            _ => return Err(bad("the kind is holiday or workday")),
        };
        let name = parts.next().ok_or_else(|| bad("no name"))?.to_owned();
        let provisional = match parts.next() {
            None => false,
            Some("provisional") => true,
            Some(_) => return Err(bad("only `provisional` may follow the name")),
        };
        out.push(CalendarDay { date, kind, name, provisional });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_calendar_is_valid_and_covers_2026_with_2027_provisional() {
        let days = china_days();
        assert!(Calendar::new(chrono_tz::Asia::Shanghai, BusinessHours::default(), &days).is_ok());
        let y = |year: i32| days.iter().filter(move |d| chrono::Datelike::year(&d.date) == year);
        assert_eq!(y(2026).filter(|d| d.kind == DayKind::Holiday).count(), 33);
        assert_eq!(y(2026).filter(|d| d.kind == DayKind::Workday).count(), 6);
        assert!(y(2026).all(|d| !d.provisional));
        assert!(y(2027).count() > 0 && y(2027).all(|d| d.provisional));
    }

    #[test]
    fn bad_lines_are_named() {
        let err = parse_days("2026-01-01 holiday 元旦\n2026-13-01 holiday x").expect_err("bad");
        assert!(err.to_string().contains("line 2"), "{err}");
        let twice = parse_days("2026-01-01 holiday 元旦\n2026-01-01 workday 元旦").expect("parses");
        assert!(Calendar::new(chrono_tz::Asia::Shanghai, BusinessHours::default(), &twice).is_err());
    }
}
