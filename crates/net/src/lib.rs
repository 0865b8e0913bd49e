//! The device's HTTP client of the sync server: blocking (the sync runs on its own thread),
//! short connect timeouts so an outage is noticed quickly, and errors typed by what the
//! device does next: wait for the network, refresh its access token, wipe after a revocation,
//! take a new site id, or show the server's message.
//!
//! `https://` addresses are checked against Mozilla's public roots, as ureq does, and against
//! a district's own certificate authority (or a self-signed server certificate) when the
//! device is given one ([`TrustedCa`], from `JIAYUAN_CA_CERT` at the edges). A certificate the
//! device does not trust is [`NetError::Untrusted`], never "offline": waiting does not fix it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
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
    /// The server's certificate is not one this device trusts (unknown issuer, another name,
    /// expired): someone may be in between, or the device lacks the district's CA.
    #[error("{0}")]
    Untrusted(String),
}

/// The environment variable naming a PEM file of extra certificates to trust: a district's own
/// certificate authority, or the server's self-signed certificate.
pub const CA_CERT_ENV: &str = "JIAYUAN_CA_CERT";

/// Why an extra CA file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("cannot read the CA certificate file {} ({CA_CERT_ENV}): {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error(
        "the CA certificate file {} ({CA_CERT_ENV}) holds no certificate in PEM form (a block \
         that starts with -----BEGIN CERTIFICATE-----)",
        path.display()
    )]
    NoCertificate { path: PathBuf },
    #[error("the CA certificate file {} ({CA_CERT_ENV}) is not usable: {detail}", path.display())]
    Unusable { path: PathBuf, detail: String },
}

/// Certificates a device trusts besides the public roots: a district's own certificate
/// authority, or a server's self-signed certificate.
#[derive(Debug, Clone)]
pub struct TrustedCa {
    certs: Arc<Vec<ureq::tls::Certificate<'static>>>,
}

impl TrustedCa {
    /// Every certificate of a PEM file (a CA bundle may hold several).
    pub fn from_file(path: &Path) -> Result<TrustedCa, CaError> {
        let pem = std::fs::read(path)
            .map_err(|source| CaError::Read { path: path.to_owned(), source })?;
        TrustedCa::from_pem(&pem, path)
    }

    /// [`TrustedCa::from_file`] on bytes already read; `path` names them in errors.
    pub fn from_pem(pem: &[u8], path: &Path) -> Result<TrustedCa, CaError> {
        let unusable = |detail: String| CaError::Unusable { path: path.to_owned(), detail };
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(pem) {
            // A key or anything else in the file is no business of trust.
            if let ureq::tls::PemItem::Certificate(c) = item.map_err(|e| unusable(e.to_string()))? {
                certs.push(c);
            }
        }
        if certs.is_empty() {
            return Err(CaError::NoCertificate { path: path.to_owned() });
        }
        // ureq skips a root it cannot parse without a word; a district's CA skipped so would
        // surface later as "not trusted", far from its cause.
        let mut check = rustls::RootCertStore::empty();
        for c in &certs {
            check
                .add(rustls::pki_types::CertificateDer::from(c.der()))
                .map_err(|e| unusable(format!("not a CA certificate rustls accepts: {e}")))?;
        }
        Ok(TrustedCa { certs: Arc::new(certs) })
    }

    /// The file `JIAYUAN_CA_CERT` names, if it is set (and not empty).
    pub fn from_env() -> Result<Option<TrustedCa>, CaError> {
        match std::env::var_os(CA_CERT_ENV).filter(|p| !p.is_empty()) {
            Some(path) => TrustedCa::from_file(Path::new(&path)).map(Some),
            None => Ok(None),
        }
    }

    /// How many certificates it holds.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }
}

/// The sync server at `base_url` (`http://host:8787`), with its connections kept alive.
#[derive(Debug, Clone)]
pub struct HttpClient {
    pub base_url: String,
    agent: ureq::Agent,
}

impl HttpClient {
    /// A client that trusts the public roots only.
    pub fn new(base_url: impl Into<String>) -> HttpClient {
        HttpClient::with_ca(base_url, None)
    }

    /// A client that also trusts `ca` for `https://` addresses.
    pub fn with_ca(base_url: impl Into<String>, ca: Option<&TrustedCa>) -> HttpClient {
        let mut config = ureq::Agent::config_builder();
        if let Some(ca) = ca {
            // ureq takes either its public roots or a list of its own: the list is both.
            let public = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|c| ureq::tls::Certificate::from_der(c.as_ref()));
            let roots = ureq::tls::RootCerts::from(public.chain(ca.certs.iter().cloned()));
            config = config.tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build());
        }
        let config = config
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
            NetError::Untrusted(m) => client::NetError::Untrusted(m),
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
    // The handshake's own error comes back wrapped in an I/O error.
    let tls = match &e {
        ureq::Error::Rustls(t) => Some(t),
        ureq::Error::Io(io) => io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()),
        _ => None,
    };
    if let Some(t) = tls {
        return tls_failure(t);
    }
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

/// A failed TLS handshake, said so an official knows what to do.
fn tls_failure(e: &rustls::Error) -> NetError {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(cert) = e else {
        // Most often an https:// address for a server that answers plain HTTP.
        return NetError::BadResponse(format!(
            "no secure connection could be made ({e}); check that the address starts with \
             https:// only if the server was given a certificate"
        ));
    };
    let why = match cert {
        C::UnknownIssuer => "it was issued by an authority this computer does not know".into(),
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "it was issued for another name than the one in the server address".into()
        }
        C::Expired | C::ExpiredContext { .. } => "it has expired".into(),
        C::NotValidYet | C::NotValidYetContext { .. } => {
            "it is not valid yet (check this computer's date)".into()
        }
        C::Other(o)
            if matches!(
                o.0.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::CaUsedAsEndEntity)
            ) =>
        {
            // OpenSSL's `req -x509` marks a certificate CA:TRUE unless told otherwise.
            "it is marked as a certificate authority (CA:TRUE), which a server's own \
             certificate must not be: make it again with basicConstraints CA:FALSE"
                .into()
        }
        other => other.to_string(),
    };
    NetError::Untrusted(format!(
        "the server's certificate is not trusted: {why}. If the district runs its own \
         certificate authority or gave the server a self-signed certificate, set {CA_CERT_ENV} \
         on this computer to that certificate's file (PEM) and start again; otherwise check \
         the server address with the district office, as someone may be in between"
    ))
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
        assert_eq!(Core::from(NetError::Untrusted("m".into())), Core::Untrusted("m".into()));
    }

    #[test]
    fn a_certificate_the_device_does_not_trust_is_untrusted_not_offline() {
        use rustls::CertificateError as C;
        for cert in [C::UnknownIssuer, C::NotValidForName, C::Expired] {
            // As ureq hands it over: the handshake's error inside an I/O error.
            let io = std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(cert.clone()),
            );
            let NetError::Untrusted(m) = transport(ureq::Error::Io(io)) else {
                panic!("{cert:?} is untrusted")
            };
            assert!(m.contains(CA_CERT_ENV), "the message says what to do: {m}");
        }
        let NetError::Untrusted(m) =
            transport(ureq::Error::Rustls(rustls::Error::InvalidCertificate(C::UnknownIssuer)))
        else {
            panic!("untrusted")
        };
        assert!(m.contains("authority this computer does not know"), "{m}");
        // A self-signed certificate made with OpenSSL's defaults is a CA's.
        let ca_as_server = C::Other(rustls::OtherError(Arc::new(webpki::Error::CaUsedAsEndEntity)));
        let NetError::Untrusted(m) =
            transport(ureq::Error::Rustls(rustls::Error::InvalidCertificate(ca_as_server)))
        else {
            panic!("untrusted")
        };
        assert!(m.contains("CA:FALSE"), "{m}");
        // Not a certificate problem: a server answering plain HTTP to an https:// address.
        let e = transport(ureq::Error::Rustls(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType,
        )));
        assert!(matches!(e, NetError::BadResponse(ref m) if m.contains("https://")), "{e:?}");
    }

    #[test]
    fn an_extra_ca_file_is_read_whole_or_refused_with_its_name() {
        let ca = jiayuan_testkit::TestCa::new("区 CA");
        let path = Path::new("district-ca.pem");
        assert_eq!(TrustedCa::from_pem(ca.cert_pem.as_bytes(), path).unwrap().len(), 1);
        let other = jiayuan_testkit::TestCa::new("另一个 CA");
        let bundle = format!("{}{}", ca.cert_pem, other.cert_pem);
        assert_eq!(TrustedCa::from_pem(bundle.as_bytes(), path).unwrap().len(), 2);

        let e = TrustedCa::from_pem(b"not a certificate", path).unwrap_err();
        assert!(matches!(e, CaError::NoCertificate { .. }), "{e:?}");
        assert!(e.to_string().contains("district-ca.pem") && e.to_string().contains(CA_CERT_ENV));
        let cut = ca.cert_pem.replace("-----END CERTIFICATE-----", "");
        assert!(matches!(TrustedCa::from_pem(cut.as_bytes(), path), Err(CaError::Unusable { .. })));
        let e = TrustedCa::from_file(Path::new("/nonexistent/district-ca.pem")).unwrap_err();
        assert!(matches!(e, CaError::Read { .. }), "{e:?}");
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
