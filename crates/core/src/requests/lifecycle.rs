//! The lifecycle of a request as an explicit state machine: which action is legal in which
//! status, and where it leads. Nothing else decides a status: the commands ask [`next`]
//! before they write, and sync will ask it again when the server applies an operation.
//!
//! ```text
//!   new ──accept──▶ accepted ──assign──▶ assigned ──start──▶ in_progress ──resolve──▶ resolved ──close (回访)──▶ closed
//!    │                 │  └──────────start / resolve──────────────┘                        │                   │
//!    ├─reject──────────┴─▶ rejected          (any open status) ─duplicate─▶ duplicate      └──────reopen───────┘
//!    └─(any open status) ─cancel─▶ cancelled                                                 ▲  (new round)
//!   transfer (to another grid or community) and return (退单): back to `new` in a new round
//! ```
//!
//! A status is ordered by (round, rank): within a round it only moves forward; the actions
//! that move it back (reopen, transfer, return) open a new round, so (round, rank) never
//! decreases and two devices' histories merge by taking the larger (design brief, sync).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Accepted,
    Assigned,
    InProgress,
    Resolved,
    Closed,
    Rejected,
    Duplicate,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::New,
        Status::Accepted,
        Status::Assigned,
        Status::InProgress,
        Status::Resolved,
        Status::Closed,
        Status::Rejected,
        Status::Duplicate,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Accepted => "accepted",
            Status::Assigned => "assigned",
            Status::InProgress => "in_progress",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Rejected => "rejected",
            Status::Duplicate => "duplicate",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Progress within a round; the ends (closed and the three refusals) share the top rank.
    pub fn rank(self) -> u8 {
        match self {
            Status::New => 0,
            Status::Accepted => 1,
            Status::Assigned => 2,
            Status::InProgress => 3,
            Status::Resolved => 4,
            Status::Closed | Status::Rejected | Status::Duplicate | Status::Cancelled => 5,
        }
    }

    /// Still someone's work: in the queue, its clocks running or paused.
    pub fn is_open(self) -> bool {
        matches!(self, Status::New | Status::Accepted | Status::Assigned | Status::InProgress)
    }

    /// Nothing more happens unless it is reopened.
    pub fn is_final(self) -> bool {
        self.rank() == 5
    }
}

/// What an official (or, later, the server) can do to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    Assign,
    Start,
    Resolve,
    Close,
    Reject,
    MarkDuplicate,
    Cancel,
    Reopen,
    Transfer,
    Return,
    Pause,
    Resume,
    /// The volunteer declined, did not show, or was released: the work goes back to the queue
    /// as accepted, in a new round, its deadlines still running (volunteers::assignment).
    Unassign,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Action::Accept,
        Action::Assign,
        Action::Start,
        Action::Resolve,
        Action::Close,
        Action::Reject,
        Action::MarkDuplicate,
        Action::Cancel,
        Action::Reopen,
        Action::Transfer,
        Action::Return,
        Action::Pause,
        Action::Resume,
        Action::Unassign,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Assign => "assign",
            Action::Start => "start",
            Action::Resolve => "resolve",
            Action::Close => "close",
            Action::Reject => "reject",
            Action::MarkDuplicate => "mark_duplicate",
            Action::Cancel => "cancel",
            Action::Reopen => "reopen",
            Action::Transfer => "transfer",
            Action::Return => "return",
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Unassign => "unassign",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Actions that must say why (an official answers for a refusal, a hand-back, a pause).
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Action::Reject
                | Action::Cancel
                | Action::Reopen
                | Action::Transfer
                | Action::Return
                | Action::Pause
        )
    }
}

/// Where a request stands: its status, round and whether its clocks are paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub status: Status,
    pub round: u32,
    pub paused: bool,
}

impl Position {
    pub const START: Position = Position { status: Status::New, round: 1, paused: false };

    /// The order sync merges by: (round, rank).
    pub fn order(self) -> (u32, u8) {
        (self.round, self.status.rank())
    }
}

/// Why an action is refused, with what an official can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("“{action}” is not possible while the request is {status}: {hint}", status = .from.as_str(), action = .action.as_str())]
    NotNow { from: Status, action: Action, hint: &'static str },
    #[error("the request is paused; resume it first")]
    Paused,
    #[error("the request is not paused")]
    NotPaused,
}

impl From<Refusal> for crate::Refusal {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::NotNow { from, action, hint } => crate::Refusal::Step {
                action: action.as_str().into(),
                status: from.as_str().into(),
                hint: hint.into(),
            },
            Refusal::Paused => crate::Refusal::Paused,
            Refusal::NotPaused => crate::Refusal::NotPaused,
        }
    }
}

impl From<Refusal> for crate::CoreError {
    fn from(r: Refusal) -> Self {
        crate::CoreError::Refused(r.into())
    }
}

/// The position after `action`, or why it is refused. Pure: the commands call it before they
/// write, and property tests drive it with any sequence of actions.
pub fn next(at: Position, action: Action) -> Result<Position, Refusal> {
    use Status::*;
    let from = at.status;
    let refuse = |hint| Err(Refusal::NotNow { from, action, hint });
    let to = |status| Ok(Position { status, ..at });
    let new_round = |status| Ok(Position { status, round: at.round + 1, paused: false });
    match action {
        Action::Pause => {
            if !matches!(from, Accepted | Assigned | InProgress) {
                return refuse("only accepted work waiting on someone can be paused");
            }
            if at.paused {
                return Err(Refusal::Paused);
            }
            Ok(Position { paused: true, ..at })
        }
        Action::Resume => {
            if !at.paused {
                return Err(Refusal::NotPaused);
            }
            Ok(Position { paused: false, ..at })
        }
        // Moving work forward while the clock is stopped would hide the time it took.
        Action::Assign | Action::Start | Action::Resolve if at.paused => Err(Refusal::Paused),
        Action::Accept => match from {
            New => to(Accepted),
            _ => refuse("only a new request can be accepted"),
        },
        Action::Assign => match from {
            // Reassigning keeps the status; only the assignee changes.
            Accepted | Assigned => to(Assigned),
            New => refuse("accept it first (签收)"),
            _ => refuse("only accepted work can be assigned"),
        },
        Action::Start => match from {
            Accepted | Assigned => to(InProgress),
            New => refuse("accept it first (签收)"),
            _ => refuse("only accepted or assigned work can be started"),
        },
        Action::Resolve => match from {
            Accepted | Assigned | InProgress => to(Resolved),
            New => refuse("accept it first (签收)"),
            _ => refuse("only open, accepted work can be resolved"),
        },
        Action::Close => match from {
            Resolved => Ok(Position { status: Closed, paused: false, ..at }),
            _ => refuse("close it after the callback (回访) of resolved work"),
        },
        Action::Reject => match from {
            New | Accepted => Ok(Position { status: Rejected, paused: false, ..at }),
            _ => refuse("only a request not yet assigned can be rejected; cancel it instead"),
        },
        Action::MarkDuplicate => match from {
            s if s.is_open() => Ok(Position { status: Duplicate, paused: false, ..at }),
            _ => refuse("only an open request can be merged into another"),
        },
        Action::Cancel => match from {
            s if s.is_open() => Ok(Position { status: Cancelled, paused: false, ..at }),
            _ => refuse("only an open request can be cancelled"),
        },
        Action::Reopen => match from {
            Resolved | Closed | Rejected | Cancelled => new_round(New),
            Duplicate => refuse("a merged request lives on in the one it was merged into"),
            _ => refuse("only finished work can be reopened"),
        },
        Action::Transfer => match from {
            s if s.is_open() => new_round(New),
            _ => refuse("only open work can be transferred"),
        },
        Action::Unassign => match from {
            Assigned | InProgress => Ok(Position { status: Accepted, round: at.round + 1, ..at }),
            _ => refuse("only assigned work can be handed back to the queue"),
        },
        Action::Return => match from {
            Accepted | Assigned | InProgress => new_round(New),
            New => refuse("accept or transfer it; a request not yet accepted cannot be returned"),
            _ => refuse("only open, accepted work can be returned"),
        },
    }
}

/// The actions legal now, for the UI's buttons and shortcuts.
pub fn allowed(at: Position) -> Vec<Action> {
    Action::ALL.into_iter().filter(|a| next(at, *a).is_ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn walk(actions: &[Action]) -> Position {
        actions.iter().fold(Position::START, |p, a| next(p, *a).unwrap_or(p))
    }

    #[test]
    fn the_happy_path_ends_closed_in_round_one() {
        use Action::*;
        let p = walk(&[Accept, Assign, Start, Pause, Resume, Resolve, Close]);
        assert_eq!(p, Position { status: Status::Closed, round: 1, paused: false });
    }

    #[test]
    fn hand_backs_open_a_new_round_and_reopen_restarts_from_new() {
        use Action::*;
        let p = walk(&[Accept, Transfer, Accept, Return, Accept, Resolve, Reopen]);
        assert_eq!(p, Position { status: Status::New, round: 4, paused: false });
    }

    #[test]
    fn paused_work_cannot_move_forward_until_resumed() {
        let p = walk(&[Action::Accept, Action::Pause]);
        assert_eq!(next(p, Action::Resolve), Err(Refusal::Paused));
        assert_eq!(next(p, Action::Pause), Err(Refusal::Paused));
        assert!(next(p, Action::Cancel).is_ok(), "a paused request can still be cancelled");
    }

    #[test]
    fn refusals_say_what_to_do() {
        let err = next(Position::START, Action::Resolve).expect_err("refused");
        assert_eq!(
            err.to_string(),
            "“resolve” is not possible while the request is new: accept it first (签收)"
        );
    }

    fn any_action() -> impl Strategy<Value = Action> {
        proptest::sample::select(Action::ALL.to_vec())
    }

    proptest! {
        /// No sequence of actions, legal or not, makes an illegal transition: every accepted
        /// step is in the table below (written independently of `next`), (round, rank) never
        /// decreases, and a new round always starts from `new`.
        #[test]
        fn no_sequence_makes_an_illegal_transition(actions in proptest::collection::vec(any_action(), 0..60)) {
            use Status::*;
            let legal = |from: Status, to: Status, a: Action| -> bool {
                match a {
                    Action::Pause | Action::Resume => from == to,
                    Action::Accept => (from, to) == (New, Accepted),
                    Action::Assign => matches!(from, Accepted | Assigned) && to == Assigned,
                    Action::Start => matches!(from, Accepted | Assigned) && to == InProgress,
                    Action::Resolve => matches!(from, Accepted | Assigned | InProgress) && to == Resolved,
                    Action::Close => (from, to) == (Resolved, Closed),
                    Action::Reject => matches!(from, New | Accepted) && to == Rejected,
                    Action::MarkDuplicate => from.is_open() && to == Duplicate,
                    Action::Cancel => from.is_open() && to == Cancelled,
                    Action::Reopen => matches!(from, Resolved | Closed | Rejected | Cancelled) && to == New,
                    Action::Transfer => from.is_open() && to == New,
                    Action::Return => matches!(from, Accepted | Assigned | InProgress) && to == New,
                    Action::Unassign => matches!(from, Assigned | InProgress) && to == Accepted,
                }
            };
            let mut p = Position::START;
            for a in actions {
                if let Ok(q) = next(p, a) {
                    {
                        prop_assert!(legal(p.status, q.status, a), "{:?} --{:?}--> {:?}", p, a, q);
                        prop_assert!(q.order() >= p.order(), "{:?} --{:?}--> {:?} went back", p, a, q);
                        if q.round > p.round {
                            prop_assert_eq!(q.round, p.round + 1);
                            // Back to the queue: from the start, or, when only the volunteer
                            // went, as accepted work (its pause, if any, still holds).
                            if a == Action::Unassign {
                                prop_assert_eq!(q.status, Accepted);
                                prop_assert_eq!(q.paused, p.paused);
                            } else {
                                prop_assert_eq!(q.status, New);
                                prop_assert!(!q.paused);
                            }
                        }
                        prop_assert!(!q.paused || matches!(q.status, Accepted | Assigned | InProgress),
                            "only accepted open work is ever paused: {:?}", q);
                        p = q;
                    }
                }
            }
        }
    }
}
