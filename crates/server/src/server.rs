//! The server's operations as plain blocking methods (no HTTP): the axum handlers, the command
//! line and tests call the same code. Every call reads the clock it was given, so tests move
//! time to expire tokens and rate limits.

use std::collections::HashMap;
use std::sync::Arc;

use jiayuan_core::sync::access::{self, AccessOp, AccessReport, AccessRequest};
use jiayuan_core::sync::hub::{self, HubError, HubRead};
use jiayuan_core::sync::purge::{self, PurgeReport};
use jiayuan_core::sync::wire::{
    op_mac_ok, LoginRequest, LoginResponse, Op, Principal, PullRequest, PullResponse, PushRequest,
    PushResponse, RawPullResponse, TokenRequest, TokenResponse,
};
use jiayuan_core::sync::{Outcome, Role};
use jiayuan_core::Clock;

use crate::accounts::{self, generate_password, hash_password, new_token, token_hash};
use crate::error::ServerError;
use crate::storage::{Device, Session, Storage, User};

/// Lifetimes and limits. The defaults are the deployed ones; tests shorten them.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long an access token is good for: also the longest a revoked device could still
    /// push if revocation were checked only at refresh (it is checked on every call).
    pub access_ttl_ms: i64,
    /// Failed logins counted over this window, per user name and per address.
    pub login_window_ms: i64,
    pub login_max_failures: u32,
    /// Load balancers or reverse proxies in front of the server: a login through one of them
    /// is counted against the address it says it forwarded (`X-Forwarded-For`), not against
    /// the proxy, which every official's login would share.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            access_ttl_ms: 15 * 60_000,
            login_window_ms: 5 * 60_000,
            login_max_failures: 5,
            trusted_proxies: Vec::new(),
        }
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    /// Shown in the app; the name when empty.
    pub display_name: String,
    pub role: Role,
    pub district: String,
    /// Names under the district, "街道/社区/网格"; empty for the whole district.
    pub scope_path: String,
    pub password: String,
}

/// The first admin, created when the server starts with no users.
#[derive(Debug, Clone)]
pub struct FirstAdmin {
    pub user: User,
    pub password: String,
}

pub struct Server {
    storage: Box<dyn Storage>,
    clock: Arc<dyn Clock>,
    config: Config,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("storage", &self.storage.backend())
            .field("config", &self.config)
            .finish()
    }
}

const MIN_PASSWORD: usize = 8;

fn principal(s: &Session) -> Principal {
    Principal {
        user_id: s.user.id.clone(),
        user_name: s.user.name.clone(),
        role: s.user.role,
        district: s.user.district.clone(),
        scope_area: s.user.scope_area.clone(),
        device_id: s.device.id.clone(),
    }
}

fn bad(message: impl Into<String>) -> ServerError {
    ServerError::BadRequest(message.into())
}

impl Server {
    pub fn new(storage: Box<dyn Storage>, clock: Arc<dyn Clock>, config: Config) -> Server {
        Server { storage, clock, config }
    }

    pub fn storage(&self) -> &dyn Storage {
        self.storage.as_ref()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Creates an admin of `district` (role city_admin, the whole district) with a random
    /// password when there are no users; `None` when there are.
    pub fn ensure_admin(&self, district: &str) -> Result<Option<FirstAdmin>, ServerError> {
        if self.storage.user_count()? > 0 {
            return Ok(None);
        }
        let password = generate_password();
        let new = NewUser {
            name: "admin".into(),
            display_name: "管理员".into(),
            role: Role::CityAdmin,
            district: district.to_owned(),
            scope_path: String::new(),
            password: password.clone(),
        };
        match self.add_user(&new) {
            Ok(user) => Ok(Some(FirstAdmin { user, password })),
            // Another instance started at the same moment and made it.
            Err(ServerError::Taken(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn add_user(&self, new: &NewUser) -> Result<User, ServerError> {
        let name = new.name.trim();
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err(bad("a user name cannot be empty or hold spaces"));
        }
        let district = new.district.trim();
        if district.is_empty() {
            return Err(bad("a user needs a district"));
        }
        if new.password.chars().count() < MIN_PASSWORD {
            return Err(bad(format!("a password has at least {MIN_PASSWORD} characters")));
        }
        let scope_path = accounts::normalise_scope(&new.scope_path);
        let scope_area =
            accounts::scope_area(district, &scope_path).map_err(|e| bad(e.to_string()))?;
        let password_hash =
            hash_password(&new.password).map_err(|e| ServerError::Storage(e.to_string()))?;
        let user = User {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            display_name: if new.display_name.trim().is_empty() {
                name.to_owned()
            } else {
                new.display_name.trim().to_owned()
            },
            password_hash,
            role: new.role,
            district: district.to_owned(),
            scope_path,
            scope_area,
            disabled: false,
            created_ms: self.now_ms(),
        };
        self.storage.insert_user(&user)?;
        tracing::info!(user = %user.name, role = user.role.as_str(), district = %user.district, "user added");
        Ok(user)
    }

    pub fn users(&self) -> Result<Vec<User>, ServerError> {
        Ok(self.storage.users()?)
    }

    /// Blocks the user's logins and revokes every device of theirs.
    pub fn revoke_user(&self, name: &str) -> Result<(), ServerError> {
        if !self.storage.disable_user(name, self.now_ms())? {
            return Err(ServerError::NotFound(format!("there is no user named “{name}”")));
        }
        tracing::info!(user = %name, "user revoked");
        Ok(())
    }

    pub fn devices(&self) -> Result<Vec<Device>, ServerError> {
        Ok(self.storage.devices()?)
    }

    pub fn revoke_device(&self, device_id: &str) -> Result<(), ServerError> {
        if !self.storage.revoke_device(device_id, self.now_ms())? {
            return Err(ServerError::NotFound(format!("there is no device {device_id}")));
        }
        tracing::info!(device = %device_id, "device revoked");
        Ok(())
    }

    /// The address a request came from: the peer, or when the peer is a trusted proxy, the
    /// nearest address in `X-Forwarded-For` that is not one (the entries further left were
    /// written by the client and can be anything).
    pub fn client_ip(
        &self,
        peer: std::net::IpAddr,
        forwarded_for: Option<&str>,
    ) -> std::net::IpAddr {
        let trusted = |ip: &std::net::IpAddr| self.config.trusted_proxies.contains(ip);
        if !trusted(&peer) {
            return peer;
        }
        let hops = forwarded_for.unwrap_or("").split(',').rev().map(str::trim);
        for hop in hops {
            match hop.parse::<std::net::IpAddr>() {
                Ok(ip) if trusted(&ip) => continue,
                Ok(ip) => return ip,
                Err(_) => break,
            }
        }
        peer
    }

    /// Refuses when this name or this address failed too often lately.
    fn check_rate(&self, username: &str, ip: &str, now: i64) -> Result<(), ServerError> {
        let window = self.config.login_window_ms;
        let (by_name, by_ip) = self.storage.login_failures(username, ip, now - window)?;
        for (f, whom) in [(by_name, "for this user name"), (by_ip, "from this address")] {
            if f.count >= self.config.login_max_failures {
                let free_at = f.oldest_ms.unwrap_or(now) + window;
                let secs = u64::try_from((free_at - now + 999) / 1000).unwrap_or(1).max(1);
                return Err(ServerError::RateLimited {
                    message: format!(
                        "too many wrong passwords {whom}; wait {} min {} s, then try again (check the password with the district's administrator if unsure)",
                        secs / 60,
                        secs % 60
                    ),
                    retry_after_secs: secs,
                });
            }
        }
        Ok(())
    }

    fn issue_access(&self, device_id: &str, now: i64) -> Result<(String, i64), ServerError> {
        let token = new_token("jya_");
        let expires = now + self.config.access_ttl_ms;
        self.storage.insert_access(&token_hash(&token), device_id, expires, now)?;
        Ok((token, expires))
    }

    /// `POST /v1/login`; `ip` is where the request came from, for the rate limit.
    pub fn login(&self, req: &LoginRequest, ip: &str) -> Result<LoginResponse, ServerError> {
        let now = self.now_ms();
        let username = req.username.trim();
        if username.is_empty()
            || req.site_id.trim().is_empty()
            || req.device_name.chars().count() > 200
        {
            return Err(bad("a login needs a user name, the device's site id and a device name of at most 200 characters"));
        }
        self.check_rate(username, ip, now)?;
        let user = self.storage.user_by_name(username)?;
        if !accounts::verify_password(
            &req.password,
            user.as_ref().map(|u| u.password_hash.as_str()),
        ) {
            self.storage.record_login(username, ip, false, now)?;
            tracing::info!(user = %username, "login refused: wrong user name or password");
            return Err(ServerError::BadCredentials);
        }
        let Some(user) = user else { return Err(ServerError::BadCredentials) };
        if user.disabled {
            self.storage.record_login(username, ip, false, now)?;
            tracing::info!(user = %username, "login refused: account switched off");
            return Err(ServerError::AccountDisabled);
        }
        self.storage.record_login(username, ip, true, now)?;
        let device_token = new_token("jyd_");
        let device = Device {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user.id.clone(),
            name: req.device_name.trim().to_owned(),
            site_id: req.site_id.clone(),
            secret: new_token(""),
            created_ms: now,
            last_seen_ms: Some(now),
            revoked_ms: None,
            wiped_ms: None,
        };
        self.storage.insert_device(&device, &token_hash(&device_token))?;
        let (access_token, access_expires_ms) = self.issue_access(&device.id, now)?;
        tracing::info!(user = %user.name, device = %device.id, "logged in");
        Ok(LoginResponse {
            user_id: user.id,
            user_name: user.name,
            display_name: user.display_name,
            role: user.role,
            district: user.district,
            scope_path: user.scope_path,
            scope_area: user.scope_area,
            device_id: device.id,
            device_token,
            device_secret: device.secret,
            access_token,
            access_expires_ms,
        })
    }

    /// `POST /v1/token`: a fresh access token for a device that is not revoked.
    pub fn token(&self, req: &TokenRequest) -> Result<TokenResponse, ServerError> {
        let now = self.now_ms();
        let Some(s) = self.storage.device_by_token(&token_hash(&req.device_token))? else {
            return Err(ServerError::Unauthorized(
                "the server does not know this device's sign-in; sign in again".into(),
            ));
        };
        if s.device.revoked_ms.is_some() || s.user.disabled {
            tracing::info!(user = %s.user.name, device = %s.device.id, "token refused: device revoked");
            return Err(self.revoked(&s.device.id, now));
        }
        let (access_token, access_expires_ms) = self.issue_access(&s.device.id, now)?;
        self.storage.touch_device(&s.device.id, now)?;
        Ok(TokenResponse { access_token, access_expires_ms })
    }

    /// The answer to a revoked device: it wipes its store on hearing it (having pushed
    /// nothing), and the server records that it was told.
    fn revoked(&self, device_id: &str, now_ms: i64) -> ServerError {
        match self.storage.mark_wiped(device_id, now_ms) {
            Ok(true) => {
                tracing::warn!(device = %device_id, "a revoked device told to wipe its store")
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "could not record the wipe of a revoked device"),
        }
        ServerError::DeviceRevoked
    }

    /// Who an access token speaks for, checked now: known, not expired, device not revoked,
    /// account not switched off.
    pub fn authenticate(&self, access: &str) -> Result<Session, ServerError> {
        let Some(s) = self.storage.session_by_access(&token_hash(access))? else {
            return Err(ServerError::Unauthorized(
                "the access token is not known; sign in again".into(),
            ));
        };
        if s.device.revoked_ms.is_some() || s.user.disabled {
            return Err(self.revoked(&s.device.id, self.now_ms()));
        }
        if s.expires_ms <= self.now_ms() {
            return Err(ServerError::TokenExpired);
        }
        Ok(s)
    }

    /// `POST /v1/push`: the ops in one storage transaction, each checked by core's hub, its MAC
    /// checked under the device's secret.
    pub fn push(&self, access: &str, req: &PushRequest) -> Result<PushResponse, ServerError> {
        let s = self.authenticate(access)?;
        let who = principal(&s);
        let now = self.now_ms();
        let secret = s.device.secret.as_str();
        let verify = |op: &Op| op_mac_ok(secret, op);
        let mut out = None;
        let done = self.storage.push_tx(&who.district, &mut |tx| {
            out = Some(hub::push(tx, &who, req, now, &verify)?);
            Ok(())
        });
        if let Err(e) = done {
            let e = ServerError::from(e);
            tracing::info!(user = %who.user_name, device = %who.device_id, ops = req.ops.len(), code = e.code(), "push refused");
            return Err(e);
        }
        let resp = out
            .ok_or_else(|| ServerError::Storage("the push transaction returned nothing".into()))?;
        self.storage.touch_device(&who.device_id, now)?;
        let rejected =
            resp.results.iter().filter(|r| matches!(r.outcome, Outcome::Rejected { .. })).count();
        tracing::info!(
            user = %who.user_name,
            device = %who.device_id,
            district = %who.district,
            ops = req.ops.len(),
            rejected,
            "push"
        );
        Ok(resp)
    }

    /// `POST /v1/pull`: a page of the district's changes within the user's scope.
    pub fn pull(&self, access: &str, req: &PullRequest) -> Result<PullResponse, ServerError> {
        self.read_page(access, req, hub::pull, |r| r.rows.len())
    }

    /// The same page with each row as stored, for the HTTP answer (no parsing of every row).
    pub fn pull_raw(
        &self,
        access: &str,
        req: &PullRequest,
    ) -> Result<RawPullResponse, ServerError> {
        self.read_page(access, req, hub::pull_raw, |r| r.rows.len())
    }

    fn read_page<T>(
        &self,
        access: &str,
        req: &PullRequest,
        read_page: fn(&mut dyn HubRead, &Principal, &PullRequest, i64) -> Result<T, HubError>,
        count: fn(&T) -> usize,
    ) -> Result<T, ServerError> {
        let s = self.authenticate(access)?;
        let who = principal(&s);
        let now = self.now_ms();
        let mut out = None;
        self.storage
            .read_tx(&who.district, &mut |read| {
                out = Some(read_page(read, &who, req, now)?);
                Ok(())
            })
            .map_err(ServerError::from)?;
        let resp = out
            .ok_or_else(|| ServerError::Storage("the pull transaction returned nothing".into()))?;
        self.storage.touch_device(&who.device_id, now)?;
        tracing::debug!(user = %who.user_name, cursor = req.cursor, rows = count(&resp), "pull");
        Ok(resp)
    }

    /// `POST /v1/audit/access`: who revealed or exported residents' data in a period, per
    /// place, within the reader's own area.
    pub fn access_report(
        &self,
        access: &str,
        req: &AccessRequest,
    ) -> Result<AccessReport, ServerError> {
        let s = self.authenticate(access)?;
        if !access::may_read(s.user.role) {
            return Err(ServerError::Forbidden(access::NOT_ALLOWED.into()));
        }
        let report = self.access_report_of(&s.user.district, s.user.scope_area.as_deref(), req)?;
        tracing::info!(user = %s.user.name, places = report.places.len(), "access report read");
        Ok(report)
    }

    /// The access report of `district` within `scope_area` (`None`: all of it), as the
    /// command line reads it on the server's own machine.
    pub fn access_report_of(
        &self,
        district: &str,
        scope_area: Option<&str>,
        req: &AccessRequest,
    ) -> Result<AccessReport, ServerError> {
        if req.to_ms <= req.from_ms {
            return Err(bad("the report's period ends before it begins"));
        }
        let log = self.storage.op_log_of(district, &access::KINDS, req.from_ms, req.to_ms)?;
        // Officials know each other by name and their computers by what they called them.
        let users: HashMap<String, String> = self
            .storage
            .users()?
            .into_iter()
            .map(|u| {
                let shown = if u.display_name.is_empty() { u.name } else { u.display_name };
                (u.id, shown)
            })
            .collect();
        let devices: HashMap<String, String> =
            self.storage.devices()?.into_iter().map(|d| (d.id, d.name)).collect();
        let mut ops = Vec::with_capacity(log.len());
        for e in log {
            let op: Op = serde_json::from_str(&e.op)
                .map_err(|err| ServerError::Storage(format!("a logged op is damaged: {err}")))?;
            ops.push(AccessOp {
                kind: e.kind,
                who: users.get(&e.user_id).cloned().unwrap_or(e.actor),
                device: devices.get(&e.device_id).cloned().unwrap_or(e.device_id),
                received_ms: e.received_ms,
                at: e.at,
                payload: op.payload,
            });
        }
        let mut ops = Some(ops);
        let mut out = None;
        self.storage.read_tx(district, &mut |read| {
            let ops = ops.take().unwrap_or_default();
            out = Some(access::report(read, district, *req, scope_area, ops)?);
            Ok(())
        })?;
        out.ok_or_else(|| ServerError::Storage("the report's transaction returned nothing".into()))
    }

    /// The districts' retention as of `now_ms` (given, so tests choose the day): each
    /// district's expired requests and health tags removed in one transaction of its own, so
    /// a failure leaves that district as it was and the others done. `None` purges every
    /// district that has accounts. A dry run counts and changes nothing.
    pub fn purge(
        &self,
        district: Option<&str>,
        now_ms: i64,
        dry_run: bool,
    ) -> Result<Vec<(String, PurgeReport)>, ServerError> {
        let districts = self.districts(district)?;
        let mut out = Vec::with_capacity(districts.len());
        for d in districts {
            let mut report = None;
            self.storage
                .push_tx(&d, &mut |tx| {
                    report = Some(purge::purge(tx, &d, now_ms, dry_run)?);
                    Ok(())
                })
                .map_err(ServerError::from)?;
            out.push((d, report.unwrap_or_default()));
        }
        Ok(out)
    }

    /// Deletes the purge tombstones of a district (or, with `None`, of every district with
    /// accounts) once its devices have pulled them: devices that have not do a full resync at
    /// their next pull. Returns, per district, how many went and the new horizon.
    pub fn forget_tombstones(
        &self,
        district: Option<&str>,
    ) -> Result<Vec<(String, u64, i64)>, ServerError> {
        let mut out = Vec::new();
        for d in self.districts(district)? {
            let (gone, horizon) = self.storage.forget_tombstones(&d).map_err(ServerError::from)?;
            tracing::info!(district = %d, gone, horizon, "purge tombstones forgotten");
            out.push((d, gone, horizon));
        }
        Ok(out)
    }

    fn districts(&self, district: Option<&str>) -> Result<Vec<String>, ServerError> {
        Ok(match district {
            Some(d) => vec![d.to_owned()],
            None => {
                let mut all: Vec<String> =
                    self.storage.users()?.into_iter().map(|u| u.district).collect();
                all.sort();
                all.dedup();
                all
            }
        })
    }

    /// Checks a district's op log chain end to end (each entry's hash, each link, and the head
    /// the district row records); returns how many entries it holds.
    pub fn verify_op_log(&self, district: &str) -> Result<usize, ServerError> {
        let entries = self.storage.op_log(district)?;
        let mut prev = String::new();
        for (i, e) in entries.iter().enumerate() {
            if e.prev_hash != prev || e.compute_hash() != e.hash {
                return Err(ServerError::Storage(format!(
                    "the op log of {district} is broken at entry {} (op {})",
                    i + 1,
                    e.op_id
                )));
            }
            prev.clone_from(&e.hash);
        }
        if self.storage.chain_head(district)? != prev {
            return Err(ServerError::Storage(format!(
                "the op log of {district} lost its last entries"
            )));
        }
        Ok(entries.len())
    }
}
