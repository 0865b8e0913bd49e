//! Core's error type. Each variant carries a stable `code` for the UI and the command line to
//! branch on; the message is for a person.

use crate::import::source::ReadError;

pub type Result<T, E = CoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("the local store failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot use the store at {path}: {reason}")]
    StoreOpen { path: String, reason: String },
    #[error(
        "this store was written by a newer Jiayuan Desk (schema {found}, this program knows up to {known}); update the program"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("the passphrase is wrong; nothing was opened")]
    WrongPassphrase,
    #[error("the password is wrong; the app stays locked")]
    WrongPassword,
    #[error("the app is locked: give your password to go on")]
    Locked,
    #[error(
        "the district revoked this computer: its data was wiped and nothing more was sent; ask \
         the district office, then log in again"
    )]
    Wiped,
    #[error(
        "{0}; the local store cannot be opened without it. Log in on a new store to get the \
         district's records back from the server (work not yet synced is lost)"
    )]
    KeyMissing(String),
    #[error("the store is locked: give its passphrase (scripts: set JIAYUAN_PASSPHRASE)")]
    StoreLocked { first: bool },
    #[error("{path} is encrypted with another key, or damaged; it was not opened")]
    WrongKey { path: String },
    /// A backup's passphrase does not open it (checked before anything is written).
    #[error("the backup's passphrase is wrong; nothing was restored")]
    WrongBackupPassphrase,
    #[error("{path} is not a Jiayuan Desk backup; nothing was restored")]
    NotABackup { path: String },
    /// The passphrase opened the backup but its content cannot be read whole.
    #[error("the backup {path} is damaged ({reason}); nothing was restored")]
    BackupDamaged { path: String, reason: String },
    #[error("{0}")]
    WeakPassphrase(String),
    /// Restoring would replace a store holding work done on this computer.
    #[error("{0}")]
    RestoreRefused(String),
    #[error("{0}")]
    Read(#[from] ReadError),
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// A rule says no (a lifecycle step not possible now, a missing reason): nothing was written.
    #[error("{0}")]
    NotAllowed(String),
    /// A rule said no, with a code the UI words in the official's language.
    #[error("{0}")]
    Refused(crate::refusal::Refusal),
    #[error("cancelled; nothing was written")]
    Cancelled,
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("export failed: {0}")]
    Export(String),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("{0}")]
    Sync(crate::sync::client::NetError),
}

impl CoreError {
    /// A stable code for the IPC boundary (`{code, message}`) and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::Sqlite(_) => "store",
            CoreError::StoreOpen { .. } => "store_open",
            CoreError::SchemaTooNew { .. } => "schema_too_new",
            CoreError::WrongPassphrase => "wrong_passphrase",
            CoreError::WrongPassword => "wrong_password",
            CoreError::Locked => "locked",
            CoreError::Wiped => "wiped",
            CoreError::KeyMissing(_) => "key_missing",
            CoreError::StoreLocked { first: true } => "store_needs_passphrase",
            CoreError::StoreLocked { first: false } => "store_locked",
            CoreError::WrongKey { .. } => "wrong_key",
            CoreError::WrongBackupPassphrase => "wrong_backup_passphrase",
            CoreError::NotABackup { .. } => "not_a_backup",
            CoreError::BackupDamaged { .. } => "backup_damaged",
            CoreError::WeakPassphrase(_) => "weak_passphrase",
            CoreError::RestoreRefused(_) => "restore_refused",
            CoreError::Read(_) => "unreadable_file",
            CoreError::Invalid(_) => "invalid",
            CoreError::NotFound(_) => "not_found",
            CoreError::NotAllowed(_) => "not_allowed",
            CoreError::Refused(r) => r.api_code(),
            CoreError::Cancelled => "cancelled",
            CoreError::Io(_) => "io",
            CoreError::Export(_) => "export",
            CoreError::Internal(_) => "internal",
            CoreError::Sync(e) => e.code(),
        }
    }
}

impl From<crate::refusal::Refusal> for CoreError {
    fn from(r: crate::refusal::Refusal) -> Self {
        CoreError::Refused(r)
    }
}

impl From<serde_json::Error> for CoreError {
    fn from(e: serde_json::Error) -> Self {
        CoreError::Internal(format!("JSON: {e}"))
    }
}
