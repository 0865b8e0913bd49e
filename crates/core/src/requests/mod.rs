//! Requests: intake, triage, the lifecycle, response deadlines and the queue.
//!
//! Every change is a command through the one write path: the request row, an event in
//! `request_events`, the derived queue columns, the outbox operation and the audit entry are
//! written in one transaction. A request's clocks are computed from its events
//! ([`crate::sla::evaluate`]); the row keeps only a cache of the result for the queue's order,
//! rewritten with every event and whenever the policy, the calendar or the mode changes.

pub mod bulk;
pub mod checkins;
pub mod commands;
pub mod demo;
pub(crate) mod derive;
pub mod edit;
pub mod lifecycle;
pub mod queue;
pub mod read;
pub mod refdata;
pub mod retention;
pub mod triage;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::sla::Priority;
pub use commands::{act, create, merge, set_priority};
pub use lifecycle::{Action, Status};

/// How the request reached the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    WalkIn,
    Wechat,
    #[serde(rename = "hotline_12345")]
    Hotline12345,
    Api,
}

impl Channel {
    pub const ALL: [Channel; 5] =
        [Channel::Phone, Channel::WalkIn, Channel::Wechat, Channel::Hotline12345, Channel::Api];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::WalkIn => "walk_in",
            Channel::Wechat => "wechat",
            Channel::Hotline12345 => "hotline_12345",
            Channel::Api => "api",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The resident's answer at the callback (回访), on the 12345 scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    Basically,
    Dissatisfied,
    /// The resident could not be reached after repeated calls.
    Unreachable,
}

/// A request as intake writes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct NewRequest {
    /// The resident asking, found by search; `None` for someone not on the roster (the
    /// description then says who, or `new_person` adds them).
    pub resident_id: Option<String>,
    /// Someone not on the roster, added to it in the same transaction as the request.
    pub new_person: Option<NewPerson>,
    pub category: String,
    pub description: String,
    pub channel: Option<Channel>,
    /// Where the help is needed when it is not the resident's home.
    pub address: Option<String>,
    /// The grid or community responsible; the resident's when not given.
    pub area_id: Option<String>,
    /// The category's questions, answered (question key → answer).
    pub answers: BTreeMap<String, String>,
    /// Files on this computer (photos of a prescription, a letter), kept by path.
    pub attachments: Vec<String>,
    /// The official's priority when it differs from the proposal; needs `override_reason`.
    pub priority: Option<Priority>,
    pub override_reason: Option<String>,
}

/// A person added at intake: a name and a phone or identity number, so they can be found again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct NewPerson {
    pub name: String,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    pub address: Option<String>,
}

/// A lifecycle step with what it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Step {
    Accept,
    Assign { assignee: String },
    Start,
    Resolve { note: String },
    Close { satisfaction: Satisfaction, note: String },
    Reject { reason: String },
    Cancel { reason: String },
    Reopen { reason: String },
    Transfer { area_id: String, reason: String },
    Return { reason: String },
    Pause { reason: String },
    Resume,
}

impl Step {
    pub fn action(&self) -> Action {
        match self {
            Step::Accept => Action::Accept,
            Step::Assign { .. } => Action::Assign,
            Step::Start => Action::Start,
            Step::Resolve { .. } => Action::Resolve,
            Step::Close { .. } => Action::Close,
            Step::Reject { .. } => Action::Reject,
            Step::Cancel { .. } => Action::Cancel,
            Step::Reopen { .. } => Action::Reopen,
            Step::Transfer { .. } => Action::Transfer,
            Step::Return { .. } => Action::Return,
            Step::Pause { .. } => Action::Pause,
            Step::Resume => Action::Resume,
        }
    }

    /// The reason or note the step carries, if any.
    pub fn text(&self) -> Option<&str> {
        match self {
            Step::Resolve { note } | Step::Close { note, .. } => Some(note),
            Step::Reject { reason }
            | Step::Cancel { reason }
            | Step::Reopen { reason }
            | Step::Transfer { reason, .. }
            | Step::Return { reason }
            | Step::Pause { reason } => Some(reason),
            _ => None,
        }
    }
}
