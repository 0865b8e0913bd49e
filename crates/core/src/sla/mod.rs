//! Response deadlines, pure: calendars ([`calendar`]), the published public holidays
//! ([`holidays`]), policies per priority and mode ([`policy`], the table of the 12345 tiers
//! and lockdown lives there) and the clocks computed from a request's events ([`clock`]). No
//! SQL and no I/O: the store, the command line, the server and the tests share these
//! functions, and a clock is always recomputed from the events, never counted as it goes, so
//! it is right after a sync or a policy change.
//!
//! Conventions every caller relies on:
//! - business time is the district's wall clock (office hours on working days of its time
//!   zone); continuous time is real elapsed seconds (24/7, emergency working);
//! - a budget that runs out exactly at closing (or at the start of lunch) is due then, not when
//!   the office next opens;
//! - "N working days" is N times a working day's office seconds from the moment the clock
//!   starts: the same time of day on the N-th working day after, or the close of the N-th
//!   working day when the clock starts outside office hours;
//! - escalation by the share of the budget used: 75 % warns the assignee, 100 % the grid lead
//!   (网格长), 150 % the community, 200 % the street office.

pub mod calendar;
pub mod clock;
pub mod holidays;
pub mod policy;

use chrono::{NaiveDate, NaiveTime, Weekday};

pub use calendar::{BusinessHours, Calendar, CalendarDay, Counting, DayKind};
pub use clock::{
    escalation, evaluate, Active, ClockState, ClockStatus, Escalation, SlaEvent, SlaEventKind,
    SlaState,
};
pub use holidays::{china_days, parse_days, validate_days};
pub use policy::{default_policy, Budget, Mode, Policy, Priority};

/// What is wrong with a calendar, its office hours, its holiday data or a policy, said so that
/// the official editing it knows what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlaError {
    #[error("office hours: opening ({open}) must be before closing ({close})")]
    HoursOrder { open: NaiveTime, close: NaiveTime },
    #[error(
        "office hours: the lunch break {start}–{end} must begin after opening ({open}) and end before closing ({close})"
    )]
    LunchOutside { start: NaiveTime, end: NaiveTime, open: NaiveTime, close: NaiveTime },
    #[error("the holiday calendar lists {date} twice; keep one entry for it")]
    DuplicateDay { date: NaiveDate },
    #[error(
        "the holiday calendar marks {date} ({weekday}) as a make-up working day, but make-up days (调休) fall on a Saturday or Sunday; check the date"
    )]
    WorkdayOnWeekday { date: NaiveDate, weekday: Weekday },
    #[error("the holiday calendar gives {date} no name; name the holiday it belongs to")]
    UnnamedDay { date: NaiveDate },
    #[error("the holiday calendar, line {line}: {problem}: “{text}”")]
    BadLine { line: usize, problem: &'static str, text: String },
    #[error("the deadline policy: the {clock} budget {problem}")]
    BadBudget { clock: &'static str, problem: String },
    #[error("“{0}” is not a priority: urgent, high, normal or low")]
    UnknownPriority(String),
}
