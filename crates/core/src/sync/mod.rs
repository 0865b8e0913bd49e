//! Offline-first sync (docs/sync.md): the wire format, the merge rule, the server's half of
//! the protocol over a storage trait ([`hub`]), and the device's half ([`client`]).

pub mod hub;
pub mod merge;
mod rules;
pub mod wire;

pub use wire::{Op, Outcome, Principal, PullRequest, PullResponse, PushRequest, PushResponse, Role, Row, Stamp};
