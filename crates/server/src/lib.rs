//! The sync server of Jiayuan Desk (docs/sync.md): accounts and devices, push and pull over
//! HTTP, on SQLite or PostgreSQL. The protocol's rules are core's (`jiayuan_core::sync::hub`);
//! this crate stores, authenticates and serves.
//!
//! [`Server`] holds the operations as plain blocking methods; [`http`] is the axum face over
//! them; [`storage`] the one trait and its two implementations; [`tls`] HTTPS, and where plain
//! HTTP may be served.

pub mod accounts;
pub mod error;
pub mod http;
pub mod server;
pub mod storage;
pub mod tls;

pub use error::ServerError;
pub use http::{router, run, serve, serve_tls};
pub use server::{Config, FirstAdmin, NewUser, Server};
pub use storage::{open as open_storage, Device, Storage, StorageError, User};
