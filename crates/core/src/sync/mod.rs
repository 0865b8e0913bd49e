//! Offline-first sync (docs/sync.md): the wire format, the merge rule, the server's half of
//! the protocol over a storage trait ([`hub`]), and the device's half ([`client`]).

pub mod access;
pub mod client;
pub mod hub;
mod local;
pub mod memhub;
pub mod merge;
mod outbox;
mod pull;
pub mod purge;
mod rules;
pub mod sim;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_backup;
#[cfg(test)]
mod tests_retention;
#[cfg(test)]
mod tests_volunteers;
#[cfg(test)]
mod tests_volunteers_gaps;
#[cfg(test)]
mod tests_volunteers_kit;
pub mod view;
pub mod wire;

pub use wire::{
    Op, Outcome, Principal, PullRequest, PullResponse, PushRequest, PushResponse, Role, Row, Stamp,
};
