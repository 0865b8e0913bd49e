//! Deadline policies: how long each clock may run for a priority, in normal working and in
//! lockdown. The defaults follow the 12345 hotline's tiers; a district overrides them per
//! category in the store (`sla_policies`).
//!
//! | priority | 12345 tier | accept | first response | resolution | lockdown (24/7): accept / first / resolution |
//! |---|---|---|---|---|---|
//! | urgent | life or property at risk | 15 min 24/7 | 30 min 24/7 | 2 h 24/7 | 10 min / 20 min / 1 h |
//! | high | utilities, urgent livelihood | 1 h 24/7 | 4 h 24/7 | 24 h 24/7 | 30 min / 2 h / 12 h |
//! | normal | general | 4 business hours | 1 working day | 7 working days | 2 h / 8 h / 48 h |
//! | low | complex | 1 working day | 2 working days | 15 working days | 8 h / 24 h / 5 days |
//!
//! Urgent and high work counts around the clock even in normal times: a resident whose life is
//! at risk does not wait for Monday. "N working days" is N times a working day's business
//! seconds from the moment the clock starts, so a request accepted Tuesday 15:00 with one
//! working day is due Wednesday 15:00 (see [`Calendar::end_of_working_day_n`]).
//!
//! Lockdown is emergency working: every clock counts 24/7, a category's override included
//! even when it says business time, and an override's working day becomes 24 hours. Any
//! budget is at least a minute (or a working day) and at most a year ([`Policy::validate`]).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::calendar::{Calendar, Counting};
use super::SlaError;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Urgent,
    High,
    Normal,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 4] =
        [Priority::Urgent, Priority::High, Priority::Normal, Priority::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }
}

impl FromStr for Priority {
    type Err = SlaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| SlaError::UnknownPriority(s.to_owned()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Normal,
    /// Emergency working: every clock runs 24/7, and shorter.
    Lockdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    Minutes { minutes: i64, counting: Counting },
    WorkingDays(u32),
}

/// The longest budget a clock may have: a year of real time (also the cap on counted
/// seconds, so a mistyped override can make a deadline far, never overflow one).
const MAX_BUDGET_SECS: i64 = 366 * 86_400;
/// The longest budget in working days: about a year of them.
const MAX_WORKING_DAYS: u32 = 250;

impl Budget {
    /// Counted seconds and how they are counted, in `mode`. Lockdown is emergency working:
    /// every clock counts 24/7, whatever the policy says, and a working day becomes a day.
    /// The seconds are kept within 0 and a year, so stored nonsense cannot break a due time.
    pub fn resolve(self, mode: Mode, calendar: &Calendar) -> (i64, Counting) {
        let (secs, counting) = match self {
            Budget::Minutes { minutes, counting } => (minutes.saturating_mul(60), counting),
            Budget::WorkingDays(n) => match mode {
                Mode::Lockdown => (i64::from(n) * 86_400, Counting::Continuous),
                Mode::Normal => (i64::from(n) * calendar.day_secs(), Counting::Business),
            },
        };
        let counting = if mode == Mode::Lockdown { Counting::Continuous } else { counting };
        (secs.clamp(0, MAX_BUDGET_SECS), counting)
    }

    /// A budget is more than nothing and at most a year.
    fn validate(self, clock: &'static str) -> Result<(), SlaError> {
        let problem = match self {
            Budget::Minutes { minutes, .. } if minutes <= 0 => "must be at least one minute",
            Budget::Minutes { minutes, .. } if minutes > MAX_BUDGET_SECS / 60 => {
                "must be at most a year (527,040 minutes)"
            }
            Budget::WorkingDays(0) => "must be at least one working day",
            Budget::WorkingDays(n) if n > MAX_WORKING_DAYS => {
                "must be at most a year (250 working days)"
            }
            _ => return Ok(()),
        };
        Err(SlaError::BadBudget { clock, problem: problem.to_owned() })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// From intake (or reopening) to acceptance (签收).
    pub accept: Budget,
    /// From acceptance to the first response (work started, or resolved at once).
    pub first_response: Budget,
    /// From acceptance to resolution.
    pub resolution: Budget,
}

impl Policy {
    /// Every budget is at least a minute (or a working day) and at most a year. The store
    /// checks an override with this before saving it.
    pub fn validate(&self) -> Result<(), SlaError> {
        self.accept.validate("acceptance")?;
        self.first_response.validate("first response")?;
        self.resolution.validate("resolution")
    }
}

fn always(minutes: i64) -> Budget {
    Budget::Minutes { minutes, counting: Counting::Continuous }
}

fn business(minutes: i64) -> Budget {
    Budget::Minutes { minutes, counting: Counting::Business }
}

/// The default policy of a priority in a mode (the table above).
pub fn default_policy(priority: Priority, mode: Mode) -> Policy {
    let p = |accept, first_response, resolution| Policy { accept, first_response, resolution };
    match (mode, priority) {
        (Mode::Normal, Priority::Urgent) => p(always(15), always(30), always(120)),
        (Mode::Normal, Priority::High) => p(always(60), always(240), always(24 * 60)),
        (Mode::Normal, Priority::Normal) => {
            p(business(240), Budget::WorkingDays(1), Budget::WorkingDays(7))
        }
        (Mode::Normal, Priority::Low) => {
            p(Budget::WorkingDays(1), Budget::WorkingDays(2), Budget::WorkingDays(15))
        }
        (Mode::Lockdown, Priority::Urgent) => p(always(10), always(20), always(60)),
        (Mode::Lockdown, Priority::High) => p(always(30), always(120), always(12 * 60)),
        (Mode::Lockdown, Priority::Normal) => p(always(120), always(8 * 60), always(48 * 60)),
        (Mode::Lockdown, Priority::Low) => p(always(8 * 60), always(24 * 60), always(5 * 24 * 60)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use proptest::prelude::*;

    use super::*;

    fn clocks(p: &Policy) -> [Budget; 3] {
        [p.accept, p.first_response, p.resolution]
    }

    #[test]
    fn the_defaults_are_valid_and_follow_the_table() {
        let cal = Calendar::china_default();
        for mode in [Mode::Normal, Mode::Lockdown] {
            for p in Priority::ALL {
                default_policy(p, mode).validate().expect("valid");
            }
        }
        let secs = |p, mode| clocks(&default_policy(p, mode)).map(|b| b.resolve(mode, &cal));
        let c = Counting::Continuous;
        assert_eq!(secs(Priority::Urgent, Mode::Normal), [(900, c), (1800, c), (7200, c)]);
        assert_eq!(secs(Priority::High, Mode::Normal), [(3600, c), (14_400, c), (86_400, c)]);
        let b = Counting::Business;
        assert_eq!(
            secs(Priority::Normal, Mode::Normal),
            [(4 * 3600, b), (27_000, b), (7 * 27_000, b)]
        );
        assert_eq!(
            secs(Priority::Low, Mode::Normal),
            [(27_000, b), (2 * 27_000, b), (15 * 27_000, b)]
        );
        assert_eq!(secs(Priority::Urgent, Mode::Lockdown), [(600, c), (1200, c), (3600, c)]);
        assert_eq!(secs(Priority::Low, Mode::Lockdown), [(8 * 3600, c), (86_400, c), (432_000, c)]);
    }

    #[test]
    fn lockdown_counts_around_the_clock_even_when_an_override_says_business() {
        let cal = Calendar::china_default();
        let office = Budget::Minutes { minutes: 240, counting: Counting::Business };
        assert_eq!(office.resolve(Mode::Normal, &cal), (14_400, Counting::Business));
        assert_eq!(office.resolve(Mode::Lockdown, &cal), (14_400, Counting::Continuous));
        assert_eq!(
            Budget::WorkingDays(3).resolve(Mode::Lockdown, &cal),
            (259_200, Counting::Continuous)
        );
    }

    #[test]
    fn stored_policies_round_trip_and_nonsense_is_refused_or_contained() {
        let p = default_policy(Priority::Normal, Mode::Normal);
        let json = serde_json::to_string(&p).expect("json");
        assert_eq!(
            json,
            r#"{"accept":{"minutes":{"minutes":240,"counting":"business"}},"first_response":{"working_days":1},"resolution":{"working_days":7}}"#
        );
        assert_eq!(serde_json::from_str::<Policy>(&json).expect("back"), p);
        let bad = Policy { resolution: Budget::WorkingDays(0), ..p };
        let err = bad.validate().expect_err("refused");
        assert!(
            err.to_string().contains("resolution budget must be at least one working day"),
            "{err}"
        );
        let huge = Budget::Minutes { minutes: i64::MAX, counting: Counting::Continuous };
        assert!(Policy { accept: huge, ..p }.validate().is_err());
        let cal = Calendar::china_default();
        assert_eq!(huge.resolve(Mode::Normal, &cal).0, MAX_BUDGET_SECS);
        let negative = Budget::Minutes { minutes: -5, counting: Counting::Continuous };
        assert_eq!(negative.resolve(Mode::Normal, &cal).0, 0);
    }

    #[test]
    fn priorities_read_back_what_they_write() {
        for p in Priority::ALL {
            assert_eq!(p.as_str().parse::<Priority>(), Ok(p));
            assert_eq!(serde_json::to_string(&p).expect("json"), format!("\"{}\"", p.as_str()));
        }
        let err = "critical".parse::<Priority>().expect_err("unknown");
        assert_eq!(err.to_string(), "“critical” is not a priority: urgent, high, normal or low");
        assert!(Priority::Urgent < Priority::Low, "the more urgent sorts first");
    }

    fn start() -> impl Strategy<Value = DateTime<Utc>> {
        let t0 = chrono_tz::Asia::Shanghai
            .with_ymd_and_hms(2025, 12, 1, 0, 0, 0)
            .single()
            .expect("t")
            .with_timezone(&Utc);
        (0i64..(400 * 24 * 60)).prop_map(move |m| t0 + Duration::minutes(m))
    }

    proptest! {
        /// Lockdown only ever tightens: from any start, every clock's default is due no later
        /// than in normal times.
        #[test]
        fn lockdown_is_never_later_than_normal(from in start(), p in 0usize..4) {
            let cal = Calendar::china_default();
            let p = Priority::ALL[p];
            let due = |mode| clocks(&default_policy(p, mode)).map(|b| {
                let (secs, counting) = b.resolve(mode, &cal);
                cal.add_open_secs(from, secs, counting)
            });
            let (normal, lockdown) = (due(Mode::Normal), due(Mode::Lockdown));
            for i in 0..3 {
                prop_assert!(lockdown[i] <= normal[i], "{:?} clock {}", p, i);
            }
        }
    }
}
