//! Jiayuan Desk's core: the domain, the local store, the one write path and the roster importer.
//!
//! Knows no Tauri, no HTTP and no UI. Every operation takes an explicit [`Ctx`] (store, clock,
//! actor) so the command line, the desktop shell, the server and the tests share the same code.

pub mod areas;
pub mod clock;
pub mod context;
pub mod demo;
pub mod desk;
pub mod error;
pub mod export;
pub mod hlc;
pub mod i18n;
pub mod identity;
pub mod import;
pub mod refusal;
pub mod requests;
pub mod residents;
pub mod sla;
pub mod store;
pub mod sync;
pub mod volunteers;
pub mod write;

pub use chrono;
pub use chrono_tz;
pub use clock::{Clock, ManualClock, SystemClock};
pub use context::{Actor, Ctx};
pub use error::{CoreError, Result};
pub use refusal::Refusal;
pub use store::Store;
