//! Offline-first sync (docs/sync.md): the wire format, the merge rule, the server's half of
//! the protocol over a storage trait ([`hub`]), and the device's half ([`client`]).

pub mod client;
pub mod hub;
mod local;
pub mod memhub;
mod outbox;
pub mod sim;
pub mod view;
#[cfg(test)]
mod tests;
pub mod merge;
mod rules;
pub mod wire;

pub use wire::{Op, Outcome, Principal, PullRequest, PullResponse, PushRequest, PushResponse, Role, Row, Stamp};
