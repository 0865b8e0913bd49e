//! The HTTP face of [`Server`]: thin axum handlers (parse, run the blocking method on the
//! blocking pool, answer JSON), every error as core's `ApiError`, and the OpenAPI description
//! generated from these handlers and the wire types.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::IncomingStream;
use axum::{Json, Router};
use jiayuan_core::sync::access::{
    AccessAction, AccessEntry, AccessPlace, AccessReport, AccessRequest,
};
use jiayuan_core::sync::wire::{
    ApiError, LoginRequest, LoginResponse, Op, OpResult, Outcome, PullRequest, PullResponse,
    PushRequest, PushResponse, RawPullResponse, Role, Row, Stamp, TokenRequest, TokenResponse,
};
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::ServerError;
use crate::server::Server;
use crate::tls::TlsListener;

/// A push of a whole import chunk with its rows, or a pull page, is a few MB; axum's default
/// of 2 MB would refuse it.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let ServerError::Storage(detail) = &self {
            tracing::error!(%detail, "storage failed");
        }
        let retry = match &self {
            ServerError::RateLimited { retry_after_secs, .. } => Some(*retry_after_secs),
            _ => None,
        };
        let mut resp = (status, Json(self.to_api())).into_response();
        if let Some(secs) = retry {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

fn parse<T: DeserializeOwned>(body: &Bytes, what: &str) -> Result<T, ServerError> {
    serde_json::from_slice(body)
        .map_err(|e| ServerError::BadRequest(format!("the {what} is not understood: {e}")))
}

fn bearer(headers: &HeaderMap) -> Result<String, ServerError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ServerError::Unauthorized(
                "this call needs `Authorization: Bearer <access token>`; sign in first".into(),
            )
        })
}

/// Runs a blocking server method off the async runtime.
async fn blocking<T: Send + 'static>(
    server: Arc<Server>,
    f: impl FnOnce(&Server) -> Result<T, ServerError> + Send + 'static,
) -> Result<T, ServerError> {
    tokio::task::spawn_blocking(move || f(&server))
        .await
        .map_err(|e| ServerError::Storage(format!("the request's worker failed: {e}")))?
}

/// Signs in with a user name and password; registers this device.
#[utoipa::path(post, path = "/v1/login", request_body = LoginRequest, tag = "accounts",
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, description = "wrong user name or password", body = ApiError),
        (status = 403, description = "the account is switched off", body = ApiError),
        (status = 429, description = "too many failed logins for this name or address", body = ApiError),
    ))]
async fn login(
    State(server): State<Arc<Server>>,
    ConnectInfo(Peer(addr)): ConnectInfo<Peer>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<LoginResponse>, ServerError> {
    let req: LoginRequest = parse(&body, "login")?;
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let ip = server.client_ip(addr.ip(), forwarded).to_string();
    blocking(server, move |s| s.login(&req, &ip)).await.map(Json)
}

/// A fresh access token for a device token.
#[utoipa::path(post, path = "/v1/token", request_body = TokenRequest, tag = "accounts",
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "`device_revoked`: the device was revoked; `unauthorized`: unknown, sign in again", body = ApiError),
    ))]
async fn token(
    State(server): State<Arc<Server>>,
    body: Bytes,
) -> Result<Json<TokenResponse>, ServerError> {
    let req: TokenRequest = parse(&body, "token request")?;
    blocking(server, move |s| s.token(&req)).await.map(Json)
}

/// Sends the device's outbox; each op gets an outcome.
#[utoipa::path(post, path = "/v1/push", request_body = PushRequest, tag = "sync",
    security(("bearer" = [])),
    responses(
        (status = 200, body = PushResponse),
        (status = 401, description = "`token_expired`, `device_revoked` or `unauthorized`", body = ApiError),
        (status = 403, description = "another district", body = ApiError),
        (status = 409, description = "`site_reused`: take a new site id and send again", body = ApiError),
    ))]
async fn push(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<PushResponse>, ServerError> {
    let access = bearer(&headers)?;
    let req: PushRequest = parse(&body, "push")?;
    blocking(server, move |s| s.push(&access, &req)).await.map(Json)
}

/// A page of the district's changes in the user's scope since a cursor.
#[utoipa::path(post, path = "/v1/pull", request_body = PullRequest, tag = "sync",
    security(("bearer" = [])),
    responses(
        (status = 200, body = PullResponse),
        (status = 401, description = "`token_expired`, `device_revoked` or `unauthorized`", body = ApiError),
        (status = 403, description = "another district", body = ApiError),
    ))]
async fn pull(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<RawPullResponse>, ServerError> {
    let access = bearer(&headers)?;
    let req: PullRequest = parse(&body, "pull")?;
    blocking(server, move |s| s.pull_raw(&access, &req)).await.map(Json)
}

/// Who revealed or exported residents' data in a period, per place, within the reader's area.
#[utoipa::path(post, path = "/v1/audit/access", request_body = AccessRequest, tag = "audit",
    security(("bearer" = [])),
    responses(
        (status = 200, body = AccessReport),
        (status = 401, description = "`token_expired`, `device_revoked` or `unauthorized`", body = ApiError),
        (status = 403, description = "a grid official: the report is for grid leads and above", body = ApiError),
    ))]
async fn access_report(
    State(server): State<Arc<Server>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<AccessReport>, ServerError> {
    let access = bearer(&headers)?;
    let req: AccessRequest = parse(&body, "report request")?;
    blocking(server, move |s| s.access_report(&access, &req)).await.map(Json)
}

/// Up when the database answers (for a load balancer).
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "the server and its database answer"), (status = 503, body = ApiError)))]
async fn health(State(server): State<Arc<Server>>) -> Result<Json<serde_json::Value>, ServerError> {
    blocking(server, |s| {
        s.storage().user_count()?;
        Ok(serde_json::json!({ "status": "ok", "storage": s.storage().backend() }))
    })
    .await
    .map(Json)
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Jiayuan sync server", description = "Push and pull of Jiayuan Desk's offline-first sync (docs/sync.md)."),
    paths(login, token, push, pull, access_report, health),
    components(schemas(
        ApiError, LoginRequest, LoginResponse, TokenRequest, TokenResponse, PushRequest, PushResponse, PullRequest,
        PullResponse, Op, OpResult, Outcome, Row, Stamp, Role, AccessRequest, AccessReport, AccessPlace,
        AccessEntry, AccessAction
    )),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

async fn openapi() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => ServerError::Storage(format!("the OpenAPI description: {e}")).into_response(),
    }
}

async fn not_found() -> ServerError {
    ServerError::NotFound("no such endpoint; see /openapi.json".into())
}

/// One line per request: method, path, status, time. Never bodies, headers or queries.
async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = Instant::now();
    let resp = next.run(req).await;
    tracing::info!(%method, %path, status = resp.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    resp
}

/// Headers on every answer: API replies carry personal data, so nothing keeps them (no cache),
/// nothing guesses their type, nothing frames them, no referrer leaves with a link, and a
/// browser that once reached the server over TLS keeps to it.
async fn security_headers(req: Request, next: Next) -> Response {
    use axum::http::header::{self, HeaderValue};
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    resp
}

/// The API's routes over a server.
pub fn router(server: Arc<Server>) -> Router {
    Router::new()
        .route("/v1/login", post(login))
        .route("/v1/token", post(token))
        .route("/v1/push", post(push))
        .route("/v1/pull", post(pull))
        .route("/v1/audit/access", post(access_report))
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(|| async {
            ServerError::BadRequest("this endpoint takes another method; see /openapi.json".into())
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(log_request))
        .with_state(server)
}

/// The address a connection came from (the login rate limit's key), over plain TCP or TLS.
#[derive(Debug, Clone, Copy)]
struct Peer(SocketAddr);

impl Connected<IncomingStream<'_, tokio::net::TcpListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, tokio::net::TcpListener>) -> Peer {
        Peer(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Peer {
        Peer(*stream.remote_addr())
    }
}

/// Serves plain HTTP until `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    server: Arc<Server>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(server).into_make_service_with_connect_info::<Peer>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serves HTTPS only (a plain HTTP request fails its handshake) until `shutdown` resolves,
/// then lets requests in flight finish.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    server: Arc<Server>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TlsListener::new(listener, tls)?;
    axum::serve(listener, router(server).into_make_service_with_connect_info::<Peer>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds `addrs` (the first that binds), calls `ready` with the address bound, and serves,
/// over TLS when `tls` is given, until Ctrl-C (or SIGTERM). Owns its runtime, so the command
/// line needs none. Whether plain HTTP may be served there is the caller's decision
/// ([`crate::tls::plain_http`]).
pub fn run(
    server: Arc<Server>,
    addrs: &[SocketAddr],
    tls: Option<Arc<rustls::ServerConfig>>,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addrs).await?;
        ready(listener.local_addr()?);
        match tls {
            Some(tls) => serve_tls(listener, tls, server.clone(), stop_signal()).await,
            None => serve(listener, server.clone(), stop_signal()).await,
        }
    });
    // The runtime goes before the last handle on the server: a PostgreSQL client owns a
    // runtime of its own, which must not be dropped inside this one.
    drop(rt);
    drop(server);
    result
}

async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("stopping: finishing the requests in flight");
}
