//! The server's errors: each has a stable code the device branches on, an HTTP status, and a
//! message an official can act on (it becomes the body's `ApiError`).

use jiayuan_core::sync::hub::HubError;
use jiayuan_core::sync::wire::ApiError;

use crate::storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    BadRequest(String),
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("this account was switched off; ask the district's administrator")]
    AccountDisabled,
    /// No such access token (or the device token is unknown): sign in again.
    #[error("{0}")]
    Unauthorized(String),
    #[error("the access token expired; the device asks for a new one with its device token")]
    TokenExpired,
    #[error("this device was signed out by an administrator; sign in again or ask the district's administrator")]
    DeviceRevoked,
    #[error("{0}")]
    Forbidden(String),
    #[error("sequence number {seq} of this device was already used by another operation; the store was copied or restored and takes a new site id")]
    SiteReused { seq: i64 },
    #[error("{message}")]
    RateLimited { message: String, retry_after_secs: u64 },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Taken(String),
    /// The database failed; the detail is logged, the device is told to retry.
    #[error("the server's database failed: {0}")]
    Storage(String),
}

impl ServerError {
    pub fn code(&self) -> &'static str {
        match self {
            ServerError::BadRequest(_) => "bad_request",
            ServerError::BadCredentials => "bad_credentials",
            ServerError::AccountDisabled => "account_disabled",
            ServerError::Unauthorized(_) => "unauthorized",
            ServerError::TokenExpired => "token_expired",
            ServerError::DeviceRevoked => "device_revoked",
            ServerError::Forbidden(_) => "forbidden",
            ServerError::SiteReused { .. } => "site_reused",
            ServerError::RateLimited { .. } => "rate_limited",
            ServerError::NotFound(_) => "not_found",
            ServerError::Taken(_) => "taken",
            ServerError::Storage(_) => "storage",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            ServerError::BadRequest(_) => 400,
            ServerError::BadCredentials
            | ServerError::Unauthorized(_)
            | ServerError::TokenExpired
            | ServerError::DeviceRevoked => 401,
            ServerError::AccountDisabled | ServerError::Forbidden(_) => 403,
            ServerError::NotFound(_) => 404,
            ServerError::SiteReused { .. } | ServerError::Taken(_) => 409,
            ServerError::RateLimited { .. } => 429,
            ServerError::Storage(_) => 503,
        }
    }

    /// The body sent to the device. A storage failure's detail stays in the server's log.
    pub fn to_api(&self) -> ApiError {
        let message = match self {
            ServerError::Storage(_) => {
                "the server cannot reach its database just now; the device will try again by itself"
                    .to_owned()
            }
            other => other.to_string(),
        };
        ApiError { code: self.code().to_owned(), message }
    }
}

impl From<HubError> for ServerError {
    fn from(e: HubError) -> Self {
        match e {
            HubError::Storage(s) => ServerError::Storage(s),
            HubError::SiteReused { seq } => ServerError::SiteReused { seq },
            HubError::Forbidden(m) => ServerError::Forbidden(m),
        }
    }
}

impl From<StorageError> for ServerError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Taken(m) => ServerError::Taken(m),
            other => ServerError::Storage(other.to_string()),
        }
    }
}
