//! A WebDriver client just big enough for these tests: WebKitWebDriver (Debian's
//! `webkit2gtk-driver`) started on a free port, one session whose "browser" is the app itself,
//! and the few commands the tests use, over plain HTTP/1.1 on a `TcpStream` with serde_json.
//!
//! WebKitWebDriver starts the app with its own environment, so the data folder the app opens
//! is the one set here (`JIAYUAN_DATA_DIR`), and `TAURI_WEBVIEW_AUTOMATION=true` lets Tauri
//! accept the automation session (without it the session hangs).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

/// How long a test waits for something to appear before it fails.
pub const PATIENCE: Duration = Duration::from_secs(30);
/// The key W3C WebDriver names element references by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The app binary: what cargo built for this test run, with `ui/dist` embedded when the
/// `custom-protocol` feature is on (`cargo xtask test` turns it on).
pub fn app_binary() -> PathBuf {
    std::env::var_os("JIAYUAN_DESK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_jiayuan-desk")))
}

/// A free TCP port on the loopback interface (free when asked; the driver binds it next).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// One HTTP request with a JSON body, answered by a JSON body (any status).
fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    http_within(port, method, path, body, Duration::from_secs(120))
}

fn http_within(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
    patience: Duration,
) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(patience))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split =
        raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| bad("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let status =
        head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad("no status"))?;
    if head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    }) {
        body = unchunk(&body)?;
    }
    let value = if body.is_empty() { Value::Null } else { serde_json::from_slice(&body)? };
    Ok((status, value))
}

fn unchunk(mut raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = raw.windows(2).position(|w| w == b"\r\n").ok_or_else(|| bad("chunk size"))?;
        let size = std::str::from_utf8(&raw[..eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .ok_or_else(|| bad("chunk size"))?;
        raw = &raw[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(raw.get(..size).ok_or_else(|| bad("short chunk"))?);
        raw = raw.get(size + 2..).unwrap_or_default();
    }
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("WebDriver HTTP: {what}"))
}

/// The driver process and a session on the app; both end when dropped.
pub struct App {
    driver: Child,
    port: u16,
    session: String,
    data_dir: PathBuf,
}

/// The passphrase of the test stores: these machines have no keychain, and the app takes it
/// from the environment as a kiosk would (`the_passphrase_is_asked_where_no_keychain_keeps_the_key`
/// types it instead).
pub const PASSPHRASE: &str = "passphrase of the window tests";

impl App {
    /// Starts WebKitWebDriver and, through it, the app on `data_dir`, its stores unlocked.
    pub fn start(data_dir: &Path) -> App {
        App::start_with(data_dir, Some(PASSPHRASE))
    }

    /// The same; with `None`, the app is given no passphrase and asks for it.
    pub fn start_with(data_dir: &Path, passphrase: Option<&str>) -> App {
        let port = free_port();
        let mut driver = Command::new("WebKitWebDriver");
        driver
            .arg(format!("--port={port}"))
            .env("TAURI_WEBVIEW_AUTOMATION", "true")
            .env("JIAYUAN_DATA_DIR", data_dir)
            .env("JIAYUAN_LOG", "info")
            .env_remove("JIAYUAN_PASSPHRASE");
        if let Some(p) = passphrase {
            driver.env("JIAYUAN_PASSPHRASE", p);
        }
        let driver = driver
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("WebKitWebDriver (Debian package webkit2gtk-driver) must be installed");
        let mut app = App { driver, port, session: String::new(), data_dir: data_dir.to_owned() };
        app.wait_for_driver();
        let caps = json!({"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {
            "binary": app_binary(), "args": []
        }}}});
        let v = app.raw("POST", "/session", Some(&caps));
        app.session =
            v["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {v}")).to_owned();
        app
    }

    fn wait_for_driver(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while http(self.port, "GET", "/status", None).is_err() {
            assert!(
                Instant::now() < deadline,
                "WebKitWebDriver did not answer on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn raw(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let (status, v) = http(self.port, method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        assert!(status < 300, "WebDriver {method} {path} answered {status}: {v}");
        v["value"].clone()
    }

    /// A command on this session; panics with the driver's answer when it fails.
    pub fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.raw(method, &format!("/session/{}{path}", self.session), body.as_ref())
    }

    /// The same, returning the driver's error instead of panicking.
    fn try_cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Value> {
        let path = format!("/session/{}{path}", self.session);
        match http(self.port, method, &path, body.as_ref()) {
            Ok((status, v)) if status < 300 => Ok(v["value"].clone()),
            Ok((_, v)) => Err(v["value"].clone()),
            Err(e) => Err(Value::String(e.to_string())),
        }
    }

    /// Calls a command of the shell from the page, as the UI does; its reply or its error.
    pub fn invoke(&self, cmd: &str) -> Value {
        let script = "const [cmd, done] = arguments; \
            window.__TAURI_INTERNALS__.invoke(cmd, {}).then((ok) => done({ ok }), (err) => done({ err }));";
        self.cmd("POST", "/execute/async", Some(json!({"script": script, "args": [cmd]})))
    }

    /// Elements matching a CSS selector, now.
    pub fn all(&self, css: &str) -> Vec<String> {
        self.try_cmd("POST", "/elements", Some(json!({"using": "css selector", "value": css})))
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
            .collect()
    }

    /// Elements matching a CSS selector inside the element `el`, now.
    pub fn all_in(&self, el: &str, css: &str) -> Vec<String> {
        let body = json!({"using": "css selector", "value": css});
        self.try_cmd("POST", &format!("/element/{el}/elements"), Some(body))
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
            .collect()
    }

    /// Waits until `css` matches a displayed element and returns the first.
    pub fn wait(&self, css: &str) -> String {
        self.wait_until(css, |_| true)
    }

    /// Waits until an element matching `css` is displayed and its text satisfies `ok`.
    pub fn wait_until(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        self.wait_within(css, PATIENCE, ok)
    }

    /// The demo district is built on first use (a month of requests and dispatches through
    /// the real commands): seconds in a release build, a minute or more in the tests' debug
    /// build on a busy machine.
    pub fn wait_for_demo(&self) {
        self.wait_within(&App::id("demo-badge"), Duration::from_secs(180), |_| true);
    }

    fn wait_within(&self, css: &str, patience: Duration, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + patience;
        loop {
            for el in self.all(css) {
                let shown = self.try_cmd("GET", &format!("/element/{el}/displayed"), None);
                if shown == Ok(Value::Bool(true)) && ok(&self.text(&el)) {
                    return el;
                }
            }
            if Instant::now() > deadline {
                let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("app-timeout.png");
                let _ = self.screenshot(&shot);
                panic!(
                    "timed out waiting for {css}; the window then: {}\n{}",
                    shot.display(),
                    self.what_happened()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What a failing test prints besides its screenshot: the page's text and the end of the
    /// app's log, so a failure seen only on another machine can be understood from its output.
    fn what_happened(&self) -> String {
        let script = "return document.body ? document.body.innerText.slice(0, 1500) : '(no body)';";
        let page = match self.try_cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        ) {
            Ok(v) => v.as_str().unwrap_or_default().to_owned(),
            Err(e) => format!("(the page did not answer: {e})"),
        };
        let log = std::fs::read_to_string(self.data_dir.join("logs/jiayuan-desk.log"))
            .unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(25).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("the page's text:\n{page}\nthe end of the app's log:\n{}", tail.join("\n"))
    }

    /// `[data-testid="id"]`.
    pub fn id(id: &str) -> String {
        format!("[data-testid=\"{id}\"]")
    }

    pub fn click(&self, el: &str) {
        self.cmd("POST", &format!("/element/{el}/click"), Some(json!({})));
    }

    /// Clicks `el` if it is still there; false when it went.
    pub fn try_click(&self, el: &str) -> bool {
        self.try_cmd("POST", &format!("/element/{el}/click"), Some(json!({}))).is_ok()
    }

    /// Clicks the first displayed element matching `css`, waiting for one; a list that
    /// re-renders between finding and clicking (a sync brought rows) is looked up again.
    pub fn click_css(&self, css: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if self.try_click(&self.wait(css)) {
                return;
            }
            assert!(Instant::now() < deadline, "{css} could not be clicked");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// An attribute of an element, if it has it and is still there.
    pub fn attr(&self, el: &str, name: &str) -> Option<String> {
        self.try_cmd("GET", &format!("/element/{el}/attribute/{name}"), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    /// Waits for the element with this test id and clicks it, again while something covers it
    /// for a moment (an overlay fading out, a toast over it on a slow machine).
    pub fn click_id(&self, id: &str) {
        self.click_css(&App::id(id));
    }

    /// Replaces an input's text, typed as a person would (input events fire).
    pub fn type_into(&self, el: &str, text: &str) {
        self.cmd("POST", &format!("/element/{el}/clear"), Some(json!({})));
        self.cmd("POST", &format!("/element/{el}/value"), Some(json!({"text": text})));
    }

    /// An element's text as shown, or its text content where the driver sees none (rows of
    /// the virtualised table).
    pub fn text(&self, el: &str) -> String {
        let get = |what: &str| {
            self.try_cmd("GET", &format!("/element/{el}/{what}"), None)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        let shown = get("text");
        if shown.trim().is_empty() {
            get("property/textContent")
        } else {
            shown
        }
    }

    /// The window's place and size: (x, y, width, height).
    pub fn rect(&self) -> (i64, i64, i64, i64) {
        let r = self.cmd("GET", "/window/rect", None);
        let n = |k: &str| r[k].as_f64().unwrap_or(-1.0) as i64;
        (n("x"), n("y"), n("width"), n("height"))
    }

    /// Moves and resizes the window as a person dragging it would.
    ///
    /// Under Xvfb there is no window manager, and WebKitWebDriver sometimes never answers a
    /// resize it has carried out (seen once in twenty runs): the reply is waited for 15 s, and
    /// the caller checks the effect (the saved state, the reopened window) instead.
    pub fn set_rect(&self, x: i64, y: i64, width: i64, height: i64) {
        let rect = json!({"x": x, "y": y, "width": width, "height": height});
        let path = format!("/session/{}/window/rect", self.session);
        match http_within(self.port, "POST", &path, Some(&rect), Duration::from_secs(15)) {
            Ok((status, v)) => {
                assert!(status < 300, "WebDriver POST {path} answered {status}: {v}")
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                eprintln!(
                    "WebDriver did not answer the resize within 15 s; checking its effect instead"
                );
            }
            Err(e) => panic!("WebDriver POST {path}: {e}"),
        }
    }

    /// Saves a PNG of the window's page. Waits 0.3 s first: the driver's picture can be a
    /// frame behind the page.
    pub fn screenshot(&self, path: &Path) -> std::io::Result<()> {
        std::thread::sleep(Duration::from_millis(300));
        let b64 = self.try_cmd("GET", "/screenshot", None).map_err(|e| bad(&e.to_string()))?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .map_err(|e| bad(&e.to_string()))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        // The app is the driver's child and WebKit's web and network processes are the app's.
        // Ending the session asks the app to close, but it may still be going when the driver
        // is killed, and an app left holding its folder's single-instance name would make the
        // next launch on that folder hand over and exit; a network process outliving a killed
        // app keeps the webview data of the folder open, and the next window on it can stay
        // blank. So every process below the driver is waited for, and killed if it lingers.
        let below = descendants(self.driver.id());
        if !self.session.is_empty() {
            let path = format!("/session/{}", self.session);
            let _ = http_within(self.port, "DELETE", &path, None, Duration::from_secs(15));
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while below.iter().any(|pid| alive(*pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        for pid in below.iter().filter(|pid| alive(**pid)) {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        while below.iter().any(|pid| alive(*pid)) && Instant::now() < deadline + PATIENCE {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Every process below `root` (Linux's /proc; nothing elsewhere), children before theirs.
fn descendants(root: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let parents: Vec<(u32, u32)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, parent_of(pid)?)))
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(parents.iter().filter(|(_, p)| *p == parent).map(|(pid, _)| *pid));
        i += 1;
    }
    found.remove(0);
    found
}

/// The parent of `pid` from /proc/PID/stat, whose second field (the command) may hold spaces
/// and parentheses, so the fields are counted from the last `)`.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].split_whitespace().nth(1)?.parse().ok()
}

/// Whether `pid` still runs (a zombie, already ended, does not count).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rfind(')').and_then(|i| stat[i + 1..].split_whitespace().next()) != Some("Z")
    })
}
