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
//! working day is due Wednesday 15:00.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::calendar::{Calendar, Counting};

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
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("no priority “{s}”"))
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

impl Budget {
    /// Counted seconds and how they are counted, in `mode` (lockdown counts 24/7, and a
    /// working day becomes a day).
    pub fn resolve(self, mode: Mode, calendar: &Calendar) -> (i64, Counting) {
        match (self, mode) {
            (Budget::Minutes { minutes, .. }, Mode::Lockdown) => {
                (minutes * 60, Counting::Continuous)
            }
            (Budget::Minutes { minutes, counting }, Mode::Normal) => (minutes * 60, counting),
            (Budget::WorkingDays(n), Mode::Lockdown) => {
                (i64::from(n) * 86_400, Counting::Continuous)
            }
            (Budget::WorkingDays(n), Mode::Normal) => {
                (i64::from(n) * calendar.hours().day_secs(), Counting::Business)
            }
        }
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
