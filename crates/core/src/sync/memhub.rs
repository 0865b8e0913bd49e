//! The server's storage traits over plain memory: one district's rows, op log and counters.
//! The simulation and core's sync tests run the real protocol ([`super::hub`]) and the real
//! rules on it, thousands of times a second; the server crate's SQLite and PostgreSQL
//! storages are checked against the same story in its own tests.

use std::collections::{BTreeMap, HashMap};

use super::hub::{HubError, HubRead, HubTx, LoggedOp, OpRecord, Stored};
use super::wire::{Outcome, Row};

#[derive(Debug, Clone, Default)]
struct Data {
    rows: HashMap<(String, String), Stored>,
    by_version: BTreeMap<i64, (String, String)>,
    keys: HashMap<(String, String), String>,
    ops_by_seq: HashMap<(String, i64), LoggedOp>,
    ops_by_id: HashMap<String, LoggedOp>,
    version: i64,
    horizon: i64,
    clock: i64,
    sites: HashMap<String, String>,
    /// Every op logged, in order: (op id, outcome, hash).
    log: Vec<(String, Outcome, String)>,
    /// The reveals, exports and prints logged, for the access report.
    accessed: Vec<super::access::AccessOp>,
}

/// One district in memory.
#[derive(Debug, Clone, Default)]
pub struct MemHub {
    data: Data,
    savepoints: Vec<Data>,
}

impl MemHub {
    pub fn new() -> MemHub {
        MemHub::default()
    }

    /// Names the user behind a site (as a login does on the real server).
    pub fn register_site(&mut self, site: &str, user: &str) {
        self.data.sites.insert(site.to_owned(), user.to_owned());
    }

    /// Forgets rows for good and moves the horizon to the head, as a retention purge does:
    /// a device whose cursor is older must pull everything again.
    pub fn purge(&mut self, gone: &[(&str, &str)]) {
        for (entity, id) in gone {
            let key = ((*entity).to_owned(), (*id).to_owned());
            if let Some(s) = self.data.rows.remove(&key) {
                self.data.by_version.remove(&s.row.version);
            }
        }
        self.data.horizon = self.data.version;
    }

    /// Every live row, for comparing with a device.
    pub fn rows(&self) -> Vec<&Stored> {
        let mut v: Vec<&Stored> = self.data.rows.values().collect();
        v.sort_by(|a, b| (&a.row.entity, &a.row.id).cmp(&(&b.row.entity, &b.row.id)));
        v
    }

    /// The op log: (op id, outcome) in the order the server decided.
    pub fn log(&self) -> Vec<(String, Outcome)> {
        self.data.log.iter().map(|(id, o, _)| (id.clone(), o.clone())).collect()
    }

    /// Re-walks the district's audit chain.
    pub fn chain_ok(&self) -> bool {
        let mut prev = String::new();
        self.data.log.iter().all(|(id, outcome, hash)| {
            let h = chain(&prev, id, outcome);
            prev = h.clone();
            &h == hash
        })
    }

    pub fn version(&self) -> i64 {
        self.data.version
    }

    /// Starts a transaction (the real storages hold the district's row lock for it).
    pub fn begin(&mut self) {
        self.savepoints.clear();
        self.savepoints.push(self.data.clone());
    }

    /// Abandons the transaction begun last (a server crash before commit).
    pub fn abort(&mut self) {
        if let Some(d) = self.savepoints.first().cloned() {
            self.data = d;
        }
        self.savepoints.clear();
    }

    pub fn commit(&mut self) {
        self.savepoints.clear();
    }
}

fn chain(prev: &str, id: &str, outcome: &Outcome) -> String {
    let o = serde_json::to_string(outcome).unwrap_or_default();
    crate::write::chain_hash(prev, &[id, &o])
}

impl HubRead for MemHub {
    fn get(&mut self, entity: &str, id: &str) -> Result<Option<Stored>, HubError> {
        Ok(self.data.rows.get(&(entity.to_owned(), id.to_owned())).cloned())
    }

    fn rows_since(
        &mut self,
        cursor: i64,
        upto: i64,
        scope: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Row>, HubError> {
        let mut out = Vec::new();
        if cursor >= upto {
            return Ok(out);
        }
        for (_, key) in self.data.by_version.range(cursor + 1..=upto) {
            let s = &self.data.rows[key];
            if scope.is_none_or(|p| super::hub::visible(&s.row.entity, &s.scope, p)) {
                out.push(s.row.clone());
                if out.len() as u32 >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn head(&mut self) -> Result<i64, HubError> {
        Ok(self.data.version)
    }

    fn horizon(&mut self) -> Result<i64, HubError> {
        Ok(self.data.horizon)
    }

    fn clock(&mut self) -> Result<i64, HubError> {
        Ok(self.data.clock)
    }
}

impl HubTx for MemHub {
    fn find_key(&mut self, entity: &str, key: &str) -> Result<Option<String>, HubError> {
        Ok(self.data.keys.get(&(entity.to_owned(), key.to_owned())).cloned())
    }

    fn put(&mut self, row: &Row, scope: &str, key: Option<&str>) -> Result<i64, HubError> {
        let d = &mut self.data;
        d.version += 1;
        let k = (row.entity.clone(), row.id.clone());
        if let Some(old) = d.rows.get(&k) {
            d.by_version.remove(&old.row.version);
        }
        let mut row = row.clone();
        row.version = d.version;
        if let Some(key) = key {
            d.keys.entry((row.entity.clone(), key.to_owned())).or_insert_with(|| row.id.clone());
        }
        d.by_version.insert(d.version, k.clone());
        d.rows.insert(k, Stored { row, scope: scope.to_owned() });
        Ok(d.version)
    }

    fn op_by_seq(&mut self, site: &str, seq: i64) -> Result<Option<LoggedOp>, HubError> {
        Ok(self.data.ops_by_seq.get(&(site.to_owned(), seq)).cloned())
    }

    fn op_by_id(&mut self, op_id: &str) -> Result<Option<LoggedOp>, HubError> {
        Ok(self.data.ops_by_id.get(op_id).cloned())
    }

    fn log_op(&mut self, rec: &OpRecord<'_>) -> Result<(), HubError> {
        let logged = LoggedOp { op_id: rec.op.op_id.clone(), outcome: rec.outcome.clone() };
        let d = &mut self.data;
        d.ops_by_seq.insert((rec.site_id.to_owned(), rec.op.seq), logged.clone());
        d.ops_by_id.insert(rec.op.op_id.clone(), logged);
        let prev = d.log.last().map(|l| l.2.clone()).unwrap_or_default();
        let hash = chain(&prev, &rec.op.op_id, rec.outcome);
        d.log.push((rec.op.op_id.clone(), rec.outcome.clone(), hash));
        if super::access::KINDS.contains(&rec.op.kind.as_str()) {
            d.accessed.push(super::access::AccessOp {
                kind: rec.op.kind.clone(),
                who: rec.principal.user_name.clone(),
                device: rec.principal.device_id.clone(),
                received_ms: rec.received_ms,
                at: rec.op.at.clone(),
                payload: rec.op.payload.clone(),
            });
        }
        Ok(())
    }

    fn set_clock(&mut self, hlc: i64) -> Result<(), HubError> {
        self.data.clock = self.data.clock.max(hlc);
        Ok(())
    }

    fn site_owner(&mut self, site: &str) -> Result<Option<String>, HubError> {
        Ok(self.data.sites.get(site).cloned())
    }

    fn savepoint(&mut self) -> Result<(), HubError> {
        self.savepoints.push(self.data.clone());
        Ok(())
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), HubError> {
        if let Some(d) = self.savepoints.last() {
            self.data = d.clone();
        }
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<(), HubError> {
        if self.savepoints.len() > 1 {
            self.savepoints.pop();
        }
        Ok(())
    }
}

/// A whole server in memory for one district, reachable as a [`Transport`]: accounts given
/// up front, tokens that are the account's name, and a switch that takes it off the network.
#[derive(Debug)]
pub struct MemServer {
    pub hub: std::cell::RefCell<MemHub>,
    pub district: String,
    users: HashMap<String, (super::wire::Role, Option<String>)>,
    devices: std::cell::RefCell<HashMap<String, (String, String)>>,
    /// What each site's official called the computer at login, as the server's device list.
    device_names: std::cell::RefCell<HashMap<String, String>>,
    pub online: std::cell::Cell<bool>,
    pub now_ms: std::cell::Cell<i64>,
    /// The next push dies before it commits (a crashed server): nothing of it stays.
    pub crash_next: std::cell::Cell<bool>,
}

impl MemServer {
    pub fn new(district: &str, now_ms: i64) -> MemServer {
        MemServer {
            hub: std::cell::RefCell::new(MemHub::new()),
            district: district.to_owned(),
            users: HashMap::new(),
            devices: std::cell::RefCell::new(HashMap::new()),
            device_names: std::cell::RefCell::new(HashMap::new()),
            online: std::cell::Cell::new(true),
            now_ms: std::cell::Cell::new(now_ms),
            crash_next: std::cell::Cell::new(false),
        }
    }

    /// An account (password = its name) with a role and, optionally, an area id it is granted.
    pub fn add_user(&mut self, name: &str, role: super::wire::Role, scope_area: Option<String>) {
        self.users.insert(name.to_owned(), (role, scope_area));
    }

    /// Revokes an account: its devices are refused from their next contact.
    pub fn revoke_user(&mut self, name: &str) {
        self.users.remove(name);
    }

    fn principal(&self, token: &str) -> Result<super::wire::Principal, super::client::NetError> {
        let devices = self.devices.borrow();
        let (user, device) = devices.get(token).ok_or(super::client::NetError::Unauthorized)?;
        let (role, scope) = self.users.get(user).ok_or(super::client::NetError::Revoked)?;
        Ok(super::wire::Principal {
            user_id: user.clone(),
            user_name: user.clone(),
            role: *role,
            district: self.district.clone(),
            scope_area: scope.clone(),
            device_id: device.clone(),
        })
    }

    fn up(&self) -> Result<(), super::client::NetError> {
        if self.online.get() {
            Ok(())
        } else {
            Err(super::client::NetError::Offline("the simulated network is down".into()))
        }
    }
}

fn hub_err(e: HubError) -> super::client::NetError {
    match e {
        HubError::SiteReused { .. } => super::client::NetError::SiteReused,
        HubError::Forbidden(m) => super::client::NetError::Forbidden(m),
        HubError::Storage(m) => super::client::NetError::Server(m),
    }
}

impl super::client::Transport for MemServer {
    fn login(
        &self,
        req: &super::wire::LoginRequest,
    ) -> Result<super::wire::LoginResponse, super::client::NetError> {
        use super::client::NetError;
        self.up()?;
        let Some((role, scope)) = self.users.get(&req.username) else {
            return Err(NetError::Refused("wrong user name or password".into()));
        };
        if req.password != req.username {
            return Err(NetError::Refused("wrong user name or password".into()));
        }
        let token = format!("{}@{}", req.username, req.site_id);
        self.devices
            .borrow_mut()
            .insert(token.clone(), (req.username.clone(), req.site_id.clone()));
        self.hub.borrow_mut().register_site(&req.site_id, &req.username);
        self.device_names.borrow_mut().insert(req.site_id.clone(), req.device_name.clone());
        Ok(super::wire::LoginResponse {
            user_id: req.username.clone(),
            user_name: req.username.clone(),
            display_name: req.username.clone(),
            role: *role,
            district: self.district.clone(),
            scope_path: String::new(),
            scope_area: scope.clone(),
            device_id: req.site_id.clone(),
            device_token: token.clone(),
            device_secret: format!("secret-{token}"),
            access_token: token,
            access_expires_ms: i64::MAX / 2,
        })
    }

    fn token(
        &self,
        req: &super::wire::TokenRequest,
    ) -> Result<super::wire::TokenResponse, super::client::NetError> {
        self.up()?;
        self.principal(&req.device_token)?;
        Ok(super::wire::TokenResponse {
            access_token: req.device_token.clone(),
            access_expires_ms: i64::MAX / 2,
        })
    }

    fn push(
        &self,
        access: &str,
        req: &super::wire::PushRequest,
    ) -> Result<super::wire::PushResponse, super::client::NetError> {
        self.up()?;
        let who = self.principal(access)?;
        // Sites re-register under their new id after a copy is detected.
        self.hub.borrow_mut().register_site(&req.site_id, &who.user_name);
        let secret = format!("secret-{access}");
        let mut hub = self.hub.borrow_mut();
        hub.begin();
        let verify = |op: &super::wire::Op| super::wire::op_mac_ok(&secret, op);
        match super::hub::push(&mut *hub, &who, req, self.now_ms.get(), &verify) {
            Ok(_) if self.crash_next.replace(false) => {
                hub.abort();
                Err(super::client::NetError::Offline("the server crashed".into()))
            }
            Ok(r) => {
                hub.commit();
                Ok(r)
            }
            Err(e) => {
                hub.abort();
                Err(hub_err(e))
            }
        }
    }

    fn pull(
        &self,
        access: &str,
        req: &super::wire::PullRequest,
    ) -> Result<super::wire::PullResponse, super::client::NetError> {
        self.up()?;
        let who = self.principal(access)?;
        super::hub::pull(&mut *self.hub.borrow_mut(), &who, req, self.now_ms.get()).map_err(hub_err)
    }

    fn access_report(
        &self,
        access: &str,
        req: &super::access::AccessRequest,
    ) -> Result<super::access::AccessReport, super::client::NetError> {
        self.up()?;
        let who = self.principal(access)?;
        if !super::access::may_read(who.role) {
            return Err(super::client::NetError::Forbidden(super::access::NOT_ALLOWED.into()));
        }
        let mut hub = self.hub.borrow_mut();
        let ops: Vec<_> = hub
            .data
            .accessed
            .iter()
            .filter(|o| (req.from_ms..req.to_ms).contains(&o.received_ms))
            .cloned()
            .collect();
        let mut report =
            super::access::report(&mut *hub, &who.district, *req, who.scope_area.as_deref(), ops)
                .map_err(hub_err)?;
        let names = self.device_names.borrow();
        for e in report.places.iter_mut().flat_map(|p| p.entries.iter_mut()) {
            if let Some(name) = names.get(&e.device) {
                e.device.clone_from(name);
            }
        }
        Ok(report)
    }
}
