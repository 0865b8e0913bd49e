//! Why a rule said no, as a stable code with the values it names. The same value travels from
//! the rule that decided (on the device or on the server) to the screen: over the wire in a
//! push's result, into `sync_outcomes`, and across IPC inside `ApiError`, so the UI words it in
//! the official's language (`refusal.<code>` in its catalogues). The English `Display` is what
//! the command line prints and what a device too old to know a code shows.
//!
//! Codes are forever: a device and a server of different versions exchange them, so a code is
//! never renamed or given other parameters; a new rule gets a new code. A code this build does
//! not know is read as `None` ([`lenient`]) and the English reason is shown instead.

use serde::{Deserialize, Deserializer, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Refusal {
    // Volunteers and dispatch.
    #[error("the volunteer is marked inactive")]
    VolunteerInactive,
    /// `health`: a `Health` code (isolating, quarantined, unwell).
    #[error("the volunteer is {health} and cannot be sent")]
    VolunteerUnwell { health: String },
    #[error("the volunteer already has {active} task(s) at once, their limit")]
    AtCapacity { active: u32 },
    /// `from`, `to`: the booked window in the district's time, `MM-DD HH:MM`.
    #[error("the volunteer is already booked {from}–{to} (Asia/Shanghai)")]
    Booked { from: String, to: String },
    /// A task "from now" whose window moved on acceptance would run into a planned slot.
    #[error(
        "the volunteer is already booked {from}–{to} (Asia/Shanghai): the task would run into it \
         from now; release one of them first"
    )]
    BookedFromNow { from: String, to: String },
    #[error("a volunteer is already on this request; record how it went or release them first")]
    RequestHasVolunteer,
    #[error("only a proposed assignment can be accepted")]
    OnlyProposedAccepts,
    #[error("a volunteer can decline only before starting")]
    DeclineBeforeStart,
    #[error("only a volunteer not yet started can start")]
    AlreadyStarted,
    #[error("the volunteer started; record done or release instead")]
    StartedNoShow,
    #[error("this assignment has already ended")]
    TaskEnded,
    /// `status`: an assignment status code.
    #[error("the task is {status}, not done: only a task recorded as done can be confirmed")]
    TaskNotDone { status: String },
    #[error("this task is already confirmed")]
    TaskAlreadyConfirmed,
    #[error("the volunteer is not on the server yet; sync the laptop that added them")]
    VolunteerNotOnServer,
    #[error("the volunteer was removed")]
    VolunteerRemoved,
    #[error("the server does not know this assignment (its dispatch was refused)")]
    AssignmentUnknown,

    /// Weekly hours or an exception that could not be read or do not hold.
    #[error("{0}")]
    Availability(crate::volunteers::availability::AvailabilityError),

    // Points.
    #[error("that shop no longer takes points")]
    ShopClosed,
    #[error("the balance is {balance} points; {amount} cannot be taken")]
    BalanceTooLow {
        #[ts(type = "number")]
        balance: i64,
        #[ts(type = "number")]
        amount: i64,
    },
    #[error("points are earned only for service an official or the callback confirmed")]
    PointsOnlyForConfirmed,
    #[error("points for a task the server does not know")]
    PointsTaskUnknown,
    #[error("points for a task not confirmed on the server")]
    PointsTaskUnconfirmed,

    // Requests.
    /// `action`: a lifecycle action code; `status`: a request status code; `hint`: English.
    #[error("“{action}” is not possible while the request is {status}: {hint}")]
    Step { action: String, status: String, hint: String },
    #[error("the request is paused; resume it first")]
    Paused,
    #[error("the request is not paused")]
    NotPaused,
    #[error("{what} is empty; write a few words")]
    EmptyText { what: TextField },
    #[error("{what} is longer than {max} characters")]
    TextTooLong { what: TextField, max: u32 },
    #[error("hand requests to a grid or a community")]
    GridOrCommunity,
    #[error("choose the resident found or add {name}, not both")]
    FoundOrNew { name: String },
    #[error("the request is already with that area")]
    SameArea,
    /// `status`: a request status code.
    #[error("the request is {status}; a finished request keeps its priority, reopen it first")]
    FinishedKeepsPriority { status: String },
    /// `priority`: a priority code.
    #[error("the priority is already {priority}")]
    SamePriority { priority: String },
    #[error("a request cannot be merged into itself")]
    MergeIntoItself,
    #[error("merge into the request the duplicate points to")]
    MergeIntoKept,
    #[error("the request to keep is not on the server")]
    MergeTargetMissing,
    #[error("name the day (元旦, 春节调休…)")]
    NameTheDay,
    #[error("{date} is more than a month from today ({today})")]
    CheckinTooFar { date: String, today: String },
    #[error("the server does not know this request")]
    RequestUnknown,
    #[error("the request's history does not follow the lifecycle")]
    HistoryNotLifecycle,
    /// The district's retention removed the request: nothing more can be recorded on it.
    #[error("the request was removed by the district's retention rule")]
    RequestPurged,
    /// `min`, `max`: the days a retention period may be (off is also allowed).
    #[error("keep data between {min} and {max} days, or keep it for good")]
    RetentionRange { min: u32, max: u32 },

    // Rights, areas and the district.
    #[error("that record is outside the area you are granted")]
    OutsideGrant,
    #[error("your area is not known to the server yet; ask the district to sync its roster first")]
    AreaNotOnServer,
    #[error("that area belongs to another district")]
    AreaOtherDistrict,
    #[error("area {area} is not known to the server")]
    AreaUnknown { area: String },
    #[error("that district is not yours")]
    DistrictNotYours,
    /// `role`: a role code.
    #[error(
        "only the district sets categories, deadlines, the calendar and the mode ({role} cannot)"
    )]
    ReferenceData { role: String },
    #[error("another resident already has this identity number")]
    IdentityTaken,
    #[error("the demo district stays on this computer; open the working store to log in")]
    DemoStaysLocal,
    #[error(
        "the app can lock only when it can check who opens it: log in to the server once (or \
         use a passphrase-protected store)"
    )]
    LockNeedsLogin,
    /// `min`, `max`: the minutes allowed.
    #[error("the app locks after between {min} and {max} idle minutes")]
    LockIdleRange { min: u32, max: u32 },
    /// `field`: a field key.
    #[error("“{field}” cannot be set again from here; change it on the record itself")]
    CannotReapply { field: String },

    // What only a faulty or altered client sends; the detail is for whoever debugs it.
    #[error("the operation's signature does not match: it was changed after the device made it")]
    BadSignature,
    #[error("this change is not one the server takes ({detail}); update Jiayuan Desk")]
    Malformed { detail: String },
}

/// The free text a request rule names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TextField {
    Description,
    PriorityReason,
    Reason,
    Assignee,
}

impl std::fmt::Display for TextField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TextField::Description => "the description",
            TextField::PriorityReason => "the reason for the priority",
            TextField::Reason => "the reason",
            TextField::Assignee => "the assignee",
        })
    }
}

impl Refusal {
    /// The `ApiError` code: what was typed is invalid, or a rule says no.
    pub fn api_code(&self) -> &'static str {
        match self {
            Refusal::Availability(_) => "invalid",
            _ => "not_allowed",
        }
    }

    pub fn code(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The stored form (`sync_outcomes.refusal`).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored or received refusal, `None` when its code is newer than this build.
    pub fn from_json(text: &str) -> Option<Refusal> {
        serde_json::from_str(text).ok()
    }
}

/// For a refusal inside a message from another version: an unknown code is `None`, not a
/// failed response.
pub fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Refusal>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_travels_as_a_code_with_its_values() {
        let r = Refusal::AtCapacity { active: 2 };
        assert_eq!(r.to_json(), r#"{"code":"at_capacity","active":2}"#);
        assert_eq!(Refusal::from_json(&r.to_json()), Some(r.clone()));
        assert_eq!(r.code(), "at_capacity");
        assert_eq!(r.to_string(), "the volunteer already has 2 task(s) at once, their limit");
        let t = Refusal::EmptyText { what: TextField::PriorityReason };
        assert_eq!(t.to_json(), r#"{"code":"empty_text","what":"priority_reason"}"#);
        let a = Refusal::Availability(crate::volunteers::availability::AvailabilityError::BadDay {
            day: 8,
        });
        assert_eq!(a.to_json(), r#"{"code":"availability","problem":"bad_day","day":8}"#);
        assert_eq!(Refusal::from_json(&a.to_json()), Some(a));
    }

    #[test]
    fn a_code_from_a_newer_version_is_read_as_none() {
        #[derive(Deserialize)]
        struct Outcome {
            #[serde(default, deserialize_with = "lenient")]
            refusal: Option<Refusal>,
        }
        let o: Outcome = serde_json::from_str(r#"{"refusal":{"code":"moon_phase"}}"#).unwrap();
        assert_eq!(o.refusal, None);
        let o: Outcome = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(o.refusal, None);
        let o: Outcome =
            serde_json::from_str(r#"{"refusal":{"code":"volunteer_removed"}}"#).unwrap();
        assert_eq!(o.refusal, Some(Refusal::VolunteerRemoved));
    }
}
