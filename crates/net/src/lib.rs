//! The device's HTTP client of the sync server: blocking (the sync runs on its own thread),
//! short connect timeouts so an outage is noticed quickly, and errors typed by what the
//! device does next: wait for the network, refresh its access token, wipe after a revocation,
//! take a new site id, or show the server's message.

use std::time::Duration;

use jiayuan_core::sync::access::{AccessReport, AccessRequest};
use jiayuan_core::sync::client;
use jiayuan_core::sync::wire::{
    ApiError, LoginRequest, LoginResponse, PullRequest, PullResponse, PushRequest, PushResponse,
    TokenRequest, TokenResponse,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A pull page or a push answer is a few MB; anything far larger is not the server.
const MAX_BODY: u64 = 256 * 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// No answer: no network, the name does not resolve, the connection was refused or timed
    /// out. The device stays offline and tries again later.
    #[error("the server cannot be reached ({0})")]
    Offline(String),
    /// The access token expired or is unknown: ask for a new one with the device token (at
    /// `/v1/token`: sign in again).
    #[error("{0}")]
    Unauthorized(String),
    /// The device was revoked by an administrator.
    #[error("{0}")]
    Revoked(String),
    /// A wrong user name or password, or an account switched off (login only).
    #[error("{0}")]
    LoginRefused(String),
    /// Another district than the account's.
    #[error("{0}")]
    Forbidden(String),
    /// The store's sequence numbers were used before: take a new site id and send again.
    #[error("{0}")]
    SiteReused(String),
    /// Too many failed logins; the message says when to try again.
    #[error("{message}")]
    RateLimited { message: String, retry_after_secs: Option<u64> },
    /// The server failed (its database, a bug); try again later.
    #[error("the server failed: {0}")]
    Server(String),
    /// An answer that is not the API's (a proxy's page, a cut-off body, another program).
    #[error("the server's answer is not understood: {0}")]
    BadResponse(String),
}

/// The sync server at `base_url` (`http://host:8787`), with its connections kept alive.
#[derive(Debug, Clone)]
pub struct HttpClient {
    pub base_url: String,
    agent: ureq::Agent,
}

impl HttpClient {
    pub fn new(base_url: impl Into<String>) -> HttpClient {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            // Error statuses carry the API's `{code, message}`, read below.
            .http_status_as_error(false)
            .user_agent(concat!("jiayuan-desk/", env!("CARGO_PKG_VERSION")))
            .build();
        HttpClient {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            agent: config.into(),
        }
    }

    /// Signs in at `base_url` and keeps that address for the other calls.
    pub fn login(
        base_url: impl Into<String>,
        req: &LoginRequest,
    ) -> Result<(HttpClient, LoginResponse), NetError> {
        let client = HttpClient::new(base_url);
        let resp = client.login_here(req)?;
        Ok((client, resp))
    }

    /// Signs in at this client's address.
    pub fn login_here(&self, req: &LoginRequest) -> Result<LoginResponse, NetError> {
        self.call("/v1/login", None, req)
    }

    pub fn token(&self, req: &TokenRequest) -> Result<TokenResponse, NetError> {
        self.call("/v1/token", None, req)
    }

    pub fn push(&self, access: &str, req: &PushRequest) -> Result<PushResponse, NetError> {
        self.call("/v1/push", Some(access), req)
    }

    pub fn pull(&self, access: &str, req: &PullRequest) -> Result<PullResponse, NetError> {
        self.call("/v1/pull", Some(access), req)
    }

    pub fn access_report(
        &self,
        access: &str,
        req: &AccessRequest,
    ) -> Result<AccessReport, NetError> {
        self.call("/v1/audit/access", Some(access), req)
    }

    fn call<Q: Serialize, A: DeserializeOwned>(
        &self,
        path: &str,
        access: Option<&str>,
        body: &Q,
    ) -> Result<A, NetError> {
        let mut request = self.agent.post(format!("{}{path}", self.base_url));
        if let Some(token) = access {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        // ureq's `send_json` writes pretty JSON: a push of an import chunk would carry a third
        // more bytes of indentation, and cost the time to write them.
        let bytes = serde_json::to_vec(body).map_err(|e| NetError::BadResponse(e.to_string()))?;
        let mut resp = request
            .header("Content-Type", "application/json")
            .send(&bytes[..])
            .map_err(transport)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let bytes =
            resp.body_mut().with_config().limit(MAX_BODY).read_to_vec().map_err(transport)?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&bytes)
                .map_err(|e| NetError::BadResponse(format!("{path}: {e}")));
        }
        let Ok(api) = serde_json::from_slice::<ApiError>(&bytes) else {
            return Err(match status {
                500..=599 => NetError::Server(format!("HTTP {status} without an explanation")),
                _ => NetError::BadResponse(format!(
                    "{path}: HTTP {status} without the API's error body"
                )),
            });
        };
        Err(classify(path, status, api, retry_after))
    }
}

/// What the device does with an error answer: by the API's code first, the status second.
fn classify(path: &str, status: u16, api: ApiError, retry_after_secs: Option<u64>) -> NetError {
    match (status, api.code.as_str()) {
        (_, "device_revoked") => NetError::Revoked(api.message),
        (_, "site_reused") => NetError::SiteReused(api.message),
        (_, "rate_limited") | (429, _) => {
            NetError::RateLimited { message: api.message, retry_after_secs }
        }
        (_, "bad_credentials" | "account_disabled") => NetError::LoginRefused(api.message),
        (401, _) => NetError::Unauthorized(api.message),
        (_, "forbidden") | (403, _) if path != "/v1/login" => NetError::Forbidden(api.message),
        (403, _) => NetError::LoginRefused(api.message),
        (500..=599, _) => NetError::Server(api.message),
        _ => NetError::BadResponse(format!("{path}: HTTP {status} {}: {}", api.code, api.message)),
    }
}

/// What core's sync client makes of an error (it reacts to the kind; the message is shown).
impl From<NetError> for client::NetError {
    fn from(e: NetError) -> Self {
        match e {
            NetError::Offline(m) => client::NetError::Offline(m),
            NetError::Unauthorized(_) => client::NetError::Unauthorized,
            NetError::Revoked(_) => client::NetError::Revoked,
            NetError::LoginRefused(m) => client::NetError::Refused(m),
            NetError::Forbidden(m) => client::NetError::Forbidden(m),
            NetError::SiteReused(_) => client::NetError::SiteReused,
            NetError::RateLimited { message, .. } => client::NetError::RateLimited(message),
            NetError::Server(m) => client::NetError::Server(m),
            // A proxy's page or a cut-off answer: the server is there but not usable now.
            e @ NetError::BadResponse(_) => client::NetError::Server(e.to_string()),
        }
    }
}

/// Core's sync client over HTTP.
impl client::Transport for HttpClient {
    fn login(&self, req: &LoginRequest) -> Result<LoginResponse, client::NetError> {
        Ok(self.login_here(req)?)
    }
    fn token(&self, req: &TokenRequest) -> Result<TokenResponse, client::NetError> {
        Ok(HttpClient::token(self, req)?)
    }
    fn push(&self, access: &str, req: &PushRequest) -> Result<PushResponse, client::NetError> {
        Ok(HttpClient::push(self, access, req)?)
    }
    fn pull(&self, access: &str, req: &PullRequest) -> Result<PullResponse, client::NetError> {
        Ok(HttpClient::pull(self, access, req)?)
    }
    fn shared(&self) -> Option<&(dyn client::Transport + Sync)> {
        Some(self)
    }
    fn access_report(
        &self,
        access: &str,
        req: &AccessRequest,
    ) -> Result<AccessReport, client::NetError> {
        Ok(HttpClient::access_report(self, access, req)?)
    }
}

fn transport(e: ureq::Error) -> NetError {
    match e {
        ureq::Error::Io(_)
        | ureq::Error::Timeout(_)
        | ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::BodyStalled => NetError::Offline(e.to_string()),
        ureq::Error::BodyExceedsLimit(_) => NetError::BadResponse(e.to_string()),
        other => NetError::BadResponse(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str) -> ApiError {
        ApiError { code: code.into(), message: "m".into() }
    }

    #[test]
    fn error_answers_map_to_what_the_device_does_next() {
        assert!(matches!(
            classify("/v1/push", 401, api("token_expired"), None),
            NetError::Unauthorized(_)
        ));
        assert!(matches!(
            classify("/v1/push", 401, api("device_revoked"), None),
            NetError::Revoked(_)
        ));
        assert!(matches!(
            classify("/v1/token", 401, api("device_revoked"), None),
            NetError::Revoked(_)
        ));
        assert!(matches!(
            classify("/v1/token", 401, api("unauthorized"), None),
            NetError::Unauthorized(_)
        ));
        assert!(matches!(
            classify("/v1/push", 403, api("forbidden"), None),
            NetError::Forbidden(_)
        ));
        assert!(matches!(
            classify("/v1/push", 409, api("site_reused"), None),
            NetError::SiteReused(_)
        ));
        assert!(matches!(
            classify("/v1/login", 429, api("rate_limited"), Some(60)),
            NetError::RateLimited { retry_after_secs: Some(60), .. }
        ));
        assert!(matches!(
            classify("/v1/login", 401, api("bad_credentials"), None),
            NetError::LoginRefused(_)
        ));
        assert!(matches!(
            classify("/v1/login", 403, api("account_disabled"), None),
            NetError::LoginRefused(_)
        ));
        assert!(matches!(classify("/v1/pull", 503, api("storage"), None), NetError::Server(_)));
    }

    #[test]
    fn core_sees_the_kind_of_each_error() {
        use client::NetError as Core;
        assert_eq!(Core::from(NetError::Revoked("m".into())), Core::Revoked);
        assert_eq!(Core::from(NetError::Unauthorized("m".into())), Core::Unauthorized);
        assert_eq!(Core::from(NetError::SiteReused("m".into())), Core::SiteReused);
        assert_eq!(Core::from(NetError::LoginRefused("no".into())), Core::Refused("no".into()));
        assert!(matches!(Core::from(NetError::BadResponse("html".into())), Core::Server(_)));
        assert!(matches!(Core::from(NetError::Offline("down".into())), Core::Offline(_)));
    }

    #[test]
    fn a_closed_port_is_offline_not_an_error_of_the_server() {
        // A port that was just free and is closed again: connection refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let c = HttpClient::new(format!("http://127.0.0.1:{port}/"));
        let e = c.token(&TokenRequest { device_token: "x".into() }).unwrap_err();
        assert!(matches!(e, NetError::Offline(_)), "{e:?}");
    }
}
