//! A real server on a free port for each test, on SQLite in a temporary folder or on a fresh
//! PostgreSQL database (dropped afterwards), with a hand-moved clock, over plain HTTP or over
//! HTTPS with a certificate made for the test; the device side is the real HTTP client. Every
//! log line of the process goes to one buffer the tests read.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::thread::JoinHandle;

use jiayuan_core::areas::{area_id, Level};
use jiayuan_core::hlc::Hlc;
use jiayuan_core::sync::wire::{
    entity, op_mac, LoginRequest, LoginResponse, Op, PullRequest, Row, Stamp,
};
use jiayuan_core::ManualClock;
use jiayuan_net::{HttpClient, TrustedCa};
use jiayuan_server::{Config, Server};
use jiayuan_testkit::{ServerCert, TestCa};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one test per backend from `fn name(b: Backend)`.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name($crate::harness::Backend::Sqlite) })*
        }
        mod postgres {
            $(#[test] fn $name() { super::$name($crate::harness::Backend::Postgres) })*
        }
    };
}
pub(crate) use on_both;

pub const DISTRICT: &str = "本区";

// ---- the captured log ----

#[derive(Clone)]
struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        logs().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| Mutex::new(Vec::new()))
}

/// Everything logged so far by every test of this binary.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap()).into_owned()
}

fn capture_logs() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // The server's own code at its most verbose; other crates as deployed (the client
        // library of these tests is not the server and is left out).
        let filter = tracing_subscriber::EnvFilter::new(
            "info,jiayuan_server=trace,jiayuan_core=trace,tokio_postgres=warn,ureq=off,ureq_proto=off",
        );
        tracing_subscriber::fmt().with_env_filter(filter).with_ansi(false).with_writer(|| Capture).init();
    });
}

// ---- PostgreSQL databases ----

pub fn pg_admin_url() -> String {
    std::env::var("JIAYUAN_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database made for one test and dropped after it.
pub struct PgDb {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDb {
    pub fn create() -> PgDb {
        let admin_url = pg_admin_url();
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap_or_else(|e| {
            panic!(
                "the PostgreSQL tests need a PostgreSQL server and none answers at {admin_url}: {e}. \
                 Start one (the project's machines run one on 127.0.0.1:5432) or set JIAYUAN_TEST_DATABASE_URL"
            )
        });
        let name = format!("jiayuan_test_{}", uuid::Uuid::new_v4().simple());
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("CREATE DATABASE");
        let (base, query) = match admin_url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (admin_url.as_str(), String::new()),
        };
        let scheme_end = base.find("://").map_or(0, |i| i + 3);
        let host_part = match base[scheme_end..].find('/') {
            Some(i) => &base[..scheme_end + i],
            None => base,
        };
        let url = format!("{host_part}/{name}{query}");
        PgDb { admin_url, name, url }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ =
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

// ---- the server ----

pub struct TestServer {
    pub url: String,
    /// The CA the test's devices trust (HTTPS servers only).
    pub ca: Option<TrustedCa>,
    pub clock: Arc<ManualClock>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    // Dropped in this order after `drop`: the server (its connections), then its database.
    pub server: Arc<Server>,
    _dir: tempfile::TempDir,
    _pg: Option<PgDb>,
}

impl TestServer {
    pub fn start(b: Backend) -> TestServer {
        TestServer::start_with(b, Config::default())
    }

    pub fn start_with(b: Backend, config: Config) -> TestServer {
        TestServer::launch(b, config, None)
    }

    /// A server answering HTTPS only with `cert`, whose devices trust `ca`.
    pub fn start_tls(b: Backend, ca: &TestCa, cert: &ServerCert) -> TestServer {
        TestServer::launch(b, Config::default(), Some((ca, cert)))
    }

    fn launch(b: Backend, config: Config, tls: Option<(&TestCa, &ServerCert)>) -> TestServer {
        capture_logs();
        let ca = tls.map(|(ca, _)| {
            TrustedCa::from_pem(ca.cert_pem.as_bytes(), Path::new("ca.pem")).expect("the test CA")
        });
        let tls = tls.map(|(_, cert)| {
            jiayuan_server::tls::from_pem(
                cert.chain_pem.as_bytes(),
                cert.key_pem.as_bytes(),
                Path::new("server.pem"),
                Path::new("server.key"),
            )
            .expect("the test certificate")
        });
        let scheme = if tls.is_some() { "https" } else { "http" };
        let dir = tempfile::tempdir().unwrap();
        let pg = (b == Backend::Postgres).then(PgDb::create);
        let storage =
            jiayuan_server::open_storage(dir.path(), pg.as_ref().map(|p| p.url.as_str())).unwrap();
        let clock = Arc::new(ManualClock::at(chrono::Utc::now()));
        let server = Arc::new(Server::new(storage, clock.clone(), config));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel::<SocketAddr>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let serving = server.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let stop = async {
                    let _ = stop_rx.await;
                };
                match tls {
                    Some(tls) => jiayuan_server::serve_tls(listener, tls, serving, stop).await,
                    None => jiayuan_server::serve(listener, serving, stop).await,
                }
                .unwrap();
            });
        });
        let addr = addr_rx.recv().expect("the test server started");
        TestServer {
            url: format!("{scheme}://{addr}"),
            ca,
            clock,
            stop: Some(stop_tx),
            thread: Some(thread),
            server,
            _dir: dir,
            _pg: pg,
        }
    }

    /// A device's client, trusting the test's CA when the server has one.
    pub fn client(&self) -> HttpClient {
        HttpClient::with_ca(self.url.clone(), self.ca.as_ref())
    }

    /// The first admin's password (made now).
    pub fn admin_password(&self) -> String {
        self.server.ensure_admin(DISTRICT).unwrap().expect("a new server has no users").password
    }

    /// Logs `user` in from a device with its own site id.
    pub fn login(&self, user: &str, password: &str, site: &str) -> Device {
        let req = LoginRequest {
            username: user.into(),
            password: password.into(),
            device_name: format!("{site} 号机"),
            site_id: site.into(),
        };
        let client = self.client();
        let login = client.login_here(&req).expect("login");
        Device { client, login, site: site.into(), seq: 0 }
    }

    /// Every row of the district, paging with `limit`, checking that versions only increase.
    pub fn pull_all(&self, d: &Device, limit: u32) -> (Vec<Row>, i64) {
        let mut cursor = 0;
        let mut rows: Vec<Row> = Vec::new();
        loop {
            let page = d
                .client
                .pull(
                    &d.login.access_token,
                    &PullRequest { district: DISTRICT.into(), cursor, limit },
                )
                .expect("pull");
            for r in &page.rows {
                assert!(
                    r.version > cursor,
                    "row {} at version {} came after cursor {cursor}",
                    r.id,
                    r.version
                );
                if let Some(last) = rows.last() {
                    assert!(r.version > last.version, "versions increase within and across pages");
                }
            }
            rows.extend(page.rows);
            assert!(page.cursor >= cursor, "the cursor never goes back");
            cursor = page.cursor;
            if !page.more {
                assert_eq!(cursor, page.head, "a finished pull stands at the head");
                return (rows, page.head);
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A laptop: its own store and clock, logged in over HTTP with the real sync client. Test
/// modules add the steps they need in `impl Laptop` blocks of their own.
pub struct Laptop {
    pub store: jiayuan_core::Store,
    pub clock: Arc<ManualClock>,
    pub net: HttpClient,
}

impl Laptop {
    pub fn new(ts: &TestServer, user: &str, password: &str) -> Laptop {
        let mut store = jiayuan_core::Store::open_in_memory().unwrap();
        let net = ts.client();
        jiayuan_core::sync::client::login(&mut store, &net, &ts.url, user, password, user).unwrap();
        let now = jiayuan_core::Clock::now(&*ts.clock);
        Laptop { store, clock: Arc::new(ManualClock::at(now)), net }
    }

    pub fn ctx<T>(&mut self, f: impl FnOnce(&mut jiayuan_core::Ctx<'_>) -> T) -> T {
        let actor = jiayuan_core::Actor::current(&self.store);
        let mut ctx = jiayuan_core::Ctx::new(&mut self.store, &*self.clock, &actor);
        f(&mut ctx)
    }

    pub fn sync(&mut self) -> jiayuan_core::sync::client::SyncReport {
        jiayuan_core::sync::client::sync(&mut self.store, &*self.clock, &self.net, &mut |_| {})
            .unwrap()
    }
}

/// A signed-in device: its client, what login gave it, its site and its next sequence number.
pub struct Device {
    pub client: HttpClient,
    pub login: LoginResponse,
    pub site: String,
    pub seq: i64,
}

impl Device {
    pub fn hlc(&self) -> i64 {
        Hlc::new(chrono::Utc::now().timestamp_millis(), 0).0
    }

    /// An op of this device with the next sequence number, signed with its secret.
    pub fn op(&mut self, kind: &str, rows: Vec<Row>) -> Op {
        self.seq += 1;
        let mut op = Op {
            op_id: uuid::Uuid::new_v4().to_string(),
            seq: self.seq,
            kind: kind.into(),
            hlc: self.hlc(),
            actor: self.login.user_name.clone(),
            at: chrono::Utc::now().to_rfc3339(),
            payload: json!({}),
            rows,
            mac: String::new(),
        };
        op.mac = op_mac(&self.login.device_secret, &op);
        op
    }

    pub fn stamp(&self) -> Stamp {
        Stamp(self.hlc(), self.site.clone())
    }

    pub fn push(
        &self,
        ops: Vec<Op>,
    ) -> Result<jiayuan_core::sync::PushResponse, jiayuan_net::NetError> {
        self.client.push(
            &self.login.access_token,
            &jiayuan_core::sync::PushRequest {
                district: DISTRICT.into(),
                site_id: self.site.clone(),
                seen_version: 0,
                ops,
            },
        )
    }
}

pub fn root_area() -> String {
    area_id(None, Level::District, DISTRICT)
}

/// The district's root area, as a device creates it on first use.
pub fn root_row(stamp: Stamp) -> Row {
    Row::new(entity::AREA, root_area(), stamp).with("level", "district").with("name", DISTRICT)
}

pub fn resident(id: &str, name: &str, id_number: &str, phone: &str, stamp: Stamp) -> Row {
    Row::new(entity::RESIDENT, id, stamp)
        .with("name", name)
        .with("id_number", id_number)
        .with("phone", phone)
        .with("area", root_area())
}

/// Sends a raw GET and returns the status and body (the device's client only posts).
pub fn http_get(base: &str, path: &str) -> (u16, String) {
    let (status, _, body) = http_get_head(base, path);
    (status, body)
}

/// The same, with the response's head (status line and headers) as sent.
pub fn http_get_head(base: &str, path: &str) -> (u16, String, String) {
    use std::io::Read as _;
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}
