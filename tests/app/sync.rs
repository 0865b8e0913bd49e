//! Offline sync in the real windows (issue 5): two app instances on two stores and one real
//! server process. Both officials change the same request's priority while the server is down;
//! when it is back, both windows show the same priority (the later edit's) and both list the
//! overwritten value on the conflicts page.
//!
//! The server is the `jiayuan` binary (`cargo build -p jiayuan-cli`), found beside the app
//! binary cargo built for this run, or named by `JIAYUAN_CLI_BIN`.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::driver::{self, App};
use crate::{data_dir, digits, screenshot};

const DISTRICT: &str = "南湖区";
const PASSWORD: &str = "lockdown-desk-2022";
/// How long a sync-driven change may take to show: the app's own loop backs off to a minute
/// after failures, so "sync now" is pressed again while waiting.
const SYNC_PATIENCE: Duration = Duration::from_secs(120);

/// The `jiayuan` command-line binary: `JIAYUAN_CLI_BIN`, else beside the app binary (the same
/// target folder and profile, whatever `CARGO_TARGET_DIR` says).
fn cli_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("JIAYUAN_CLI_BIN") {
        return PathBuf::from(bin);
    }
    let app = driver::app_binary();
    let bin = app.with_file_name(format!("jiayuan{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: build the server and command line first (`cargo build -p jiayuan-cli` \
         with the same target folder), or name it with JIAYUAN_CLI_BIN",
        bin.display()
    );
    bin
}

/// Runs `jiayuan ARGS` to the end and returns its standard output; panics with its errors.
fn cli(args: &[&str], password: Option<&str>) -> String {
    let mut cmd = Command::new(cli_binary());
    cmd.args(args).stdin(Stdio::null()).env("JIAYUAN_PASSPHRASE", driver::PASSPHRASE);
    if let Some(p) = password {
        cmd.env("JIAYUAN_PASSWORD", p);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("jiayuan {args:?}: {e}"));
    assert!(
        out.status.success(),
        "jiayuan {args:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The server process; killed (SIGKILL, as a power cut would) when dropped, test failed or not.
struct Server {
    child: Option<Child>,
    data: PathBuf,
    port: u16,
    log: PathBuf,
}

impl Server {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts `jiayuan server` on `data` and waits until `/health` answers 200.
    fn start(data: &Path, port: u16) -> Server {
        let log = data.join("server.log");
        let mut server = Server { child: None, data: data.to_owned(), port, log: log.clone() };
        server.up();
        server
    }

    /// (Re)starts the process on the same folder and port.
    fn up(&mut self) {
        assert!(self.child.is_none(), "the server already runs");
        let log = File::options().create(true).append(true).open(&self.log).expect("server log");
        let child = Command::new(cli_binary())
            .args(["server", "--listen", &format!("127.0.0.1:{}", self.port)])
            .arg("--data")
            .arg(&self.data)
            .args(["--district", DISTRICT])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("server log"))
            .stderr(log)
            .spawn()
            .expect("jiayuan server starts");
        self.child = Some(child);
        let deadline = Instant::now() + driver::PATIENCE;
        while !self.healthy() {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("the server exited ({status}): {}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "the server never answered /health: {}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the process (SIGKILL) and waits until the port refuses connections.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let deadline = Instant::now() + driver::PATIENCE;
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(Instant::now() < deadline, "the server's port still answers after the kill");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `GET /health` answers 200.
    fn healthy(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let req = format!(
            "GET /health HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        );
        let mut head = [0u8; 12];
        s.write_all(req.as_bytes()).is_ok()
            && s.read_exact(&mut head).is_ok()
            && head.starts_with(b"HTTP/1.1 200")
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- the server's log ---\n{}", self.log_text());
        }
    }
}

/// Waits until `ok` holds for this window, pressing "sync now" in the status bar every few
/// seconds when `press` (the app's own loop backs off after failures). Panics with a picture.
fn until(app: &App, who: &str, what: &str, press: bool, ok: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + SYNC_PATIENCE;
    let mut pressed: Option<Instant> = None;
    loop {
        if ok(app) {
            return;
        }
        if Instant::now() > deadline {
            let shot =
                Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sync-timeout-{who}.png"));
            let _ = app.screenshot(&shot);
            panic!("{who}: timed out waiting until {what}; the window then: {}", shot.display());
        }
        if press && pressed.is_none_or(|at| at.elapsed() > Duration::from_secs(8)) {
            if let Some(button) =
                app.all(&format!("{}:not([disabled])", App::id("sync-now"))).first()
            {
                app.try_click(button);
                pressed = Some(Instant::now());
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The text of the first element matching `css`, or "" when there is none.
fn text_of(app: &App, css: &str) -> String {
    app.all(css).first().map(|el| app.text(el)).unwrap_or_default()
}

/// The status bar's connection state (`online`, `offline`, …).
fn state(app: &App) -> String {
    let bar = app.all(&App::id("status-sync"));
    bar.first().and_then(|el| app.attr(el, "data-state")).unwrap_or_default()
}

/// Operations waiting to be sent, as the status bar says.
fn waiting(app: &App) -> Option<u64> {
    let t = text_of(app, &App::id("status-waiting"));
    (!t.is_empty()).then(|| digits(&t))
}

/// Starts an empty store in a window and logs it in through Settings' login card.
fn open_and_log_in(dir: &Path, server: &str, user: &str) -> App {
    let app = App::start(dir);
    app.click_id("welcome-empty");
    app.wait_until(&App::id("status-sync"), |_| true);
    app.click_id("nav-settings");
    app.type_into(&app.wait(&App::id("sync-server")), server);
    app.type_into(&app.wait(&App::id("sync-user")), user);
    app.type_into(&app.wait(&App::id("sync-password")), PASSWORD);
    app.click(&app.wait(&format!("{}:not([disabled])", App::id("sync-login"))));
    until(&app, user, "the login card shows who is logged in", false, |app| {
        if let Some(err) = app.all(&App::id("sync-login-error")).first() {
            panic!("{user}: the login failed: {}", app.text(err));
        }
        !app.all(&App::id("sync-who")).is_empty()
    });
    app.wait_until(&App::id("sync-display-name"), |t| !t.trim().is_empty());
    // The store took the account's district.
    app.wait_until(&App::id("status-store"), |t| t.contains(DISTRICT));
    app
}

/// Changes the open request's priority through its panel and the step dialog's reason.
fn set_priority(app: &App, request: &str, priority: &str, reason: &str) {
    app.click_id("nav-requests");
    let row = format!("{}[data-id=\"{request}\"]", App::id("queue-row"));
    app.click_css(&row);
    app.wait(&App::id("request-panel"));
    app.click_id("act-priority");
    app.wait(&App::id("step-dialog"));
    app.click(&app.wait(&format!("{} option[value={priority}]", App::id("step-priority"))));
    app.type_into(&app.wait(&App::id("step-text")), reason);
    app.click(&app.wait(&format!("{}:not([disabled])", App::id("step-confirm"))));
    app.wait(&format!("{} .prio-{priority}", App::id("request-panel")));
    app.wait(&format!("{row} .prio-{priority}"));
}

#[test]
#[ignore = "opens the real window: `cargo xtask test` runs it under Xvfb"]
fn two_windows_edit_one_request_offline_and_both_show_the_conflict() {
    let started = Instant::now();
    let root = data_dir();
    let server_dir = root.path().join("server");
    std::fs::create_dir_all(&server_dir).expect("server folder");
    let data = server_dir.to_string_lossy().into_owned();

    // The accounts: one for the command line that takes the request in, one per window.
    for (name, display) in [("intake", "热线值班"), ("wang", "王芳"), ("li", "李强")] {
        let add = format!(
            "server user add {name} --role district_supervisor --district {DISTRICT} \
             --display-name {display} --password {PASSWORD}"
        );
        let mut args: Vec<&str> = add.split_whitespace().collect();
        args.extend(["--data", &data]);
        cli(&args, None);
    }
    let mut server = Server::start(&server_dir, driver::free_port());
    let url = server.url();

    // The hotline takes a request in on a store of its own and sends it to the district.
    let seed = root.path().join("intake.db").to_string_lossy().into_owned();
    cli(&["--db", &seed, "sync", "login", "--server", &url, "--user", "intake"], Some(PASSWORD));
    let add = "requests add --category mutual_aid --name 陈桂兰 --phone 13912345678 --json \
               --description 独居老人隔离在家，请人帮忙买菜和取药";
    let mut args = vec!["--db", &seed];
    args.extend(add.split_whitespace());
    let added = cli(&args, None);
    let added: serde_json::Value = serde_json::from_str(added.trim()).expect("requests add --json");
    let request = added["id"].as_str().expect("the new request's id").to_owned();
    let first = added["priority"].as_str().unwrap_or_default().to_owned();
    assert!(first != "high" && first != "low", "triage proposed {first}: pick other values");
    cli(&["--db", &seed, "sync", "now"], None);

    // Two officials, two laptops: each logs in and gets the request.
    let a = open_and_log_in(&root.path().join("a"), &url, "wang");
    let b = open_and_log_in(&root.path().join("b"), &url, "li");
    let row = format!("{}[data-id=\"{request}\"]", App::id("queue-row"));
    for (app, who) in [(&a, "A"), (&b, "B")] {
        app.click_id("nav-requests");
        until(app, who, "the request is in the queue", true, |app| !app.all(&row).is_empty());
    }

    // The network goes: the server is killed. Both change the priority, B a little after A.
    server.kill();
    set_priority(&a, &request, "high", "老人有慢性病，药快吃完了");
    until(&a, "A", "a sync attempt says offline with 1 waiting", true, |app| {
        state(app) == "offline" && waiting(app) == Some(1)
    });
    std::thread::sleep(Duration::from_millis(1500));
    set_priority(&b, &request, "low", "家属已送来一周的菜和药");
    until(&b, "B", "a sync attempt says offline with 1 waiting", true, |app| {
        state(app) == "offline" && waiting(app) == Some(1)
    });

    // The server comes back on the same folder and port: A syncs, then B, then A again.
    server.up();
    for (app, who) in [(&a, "A"), (&b, "B")] {
        until(app, who, "it is online with nothing waiting", true, |app| {
            state(app) == "online" && waiting(app) == Some(0)
        });
    }
    let later = format!("{row} .prio-low");
    for (app, who) in [(&a, "A"), (&b, "B")] {
        until(app, who, "the queue shows B's priority and two conflicts", true, |app| {
            !app.all(&later).is_empty() && digits(&text_of(app, &App::id("status-conflicts"))) == 2
        });
        // The open panel shows the same priority as the queue.
        app.click_css(&row);
        app.wait(&format!("{} .prio-low", App::id("request-panel")));
        assert!(app.all(&format!("{row} .prio-high")).is_empty(), "{who}: A's value is gone");
    }

    // Both conflicts pages list the overwritten priority, A's 较急 lost to B's 不急, and the
    // reason that went with it; A is offered to apply its value again.
    for (app, who, shot) in [(&a, "A", "sync-conflict-a.png"), (&b, "B", "sync-conflict-b.png")] {
        app.click_id("nav-conflicts");
        app.wait_until(&App::id("conflict-row"), |t| t.contains("较急"));
        let rows = app.all(&App::id("conflict-row"));
        let texts: Vec<String> = rows.iter().map(|r| app.text(r)).collect();
        assert_eq!(rows.len(), 2, "{who}: the priority and its reason: {texts:#?}");
        for t in &texts {
            assert!(t.contains("独居老人隔离在家"), "{who}: the conflict names the request: {t}");
            // The server names who wrote each value by their accounts.
            assert!(t.contains("王芳 ·") && t.contains("李强 ·"), "{who}: who wrote each: {t}");
        }
        let at = |field: &str| {
            let i = texts.iter().position(|t| t.contains(field)).unwrap_or_else(|| {
                panic!("{who}: no conflict on {field}: {texts:#?}");
            });
            rows[i].clone()
        };
        let (priority, reason) = (at("较急"), at("调整优先级的理由"));
        let cell = |row: &str, id: &str| {
            let found = app.all_in(row, &App::id(id));
            found.first().map(|el| app.text(el).trim().to_owned())
        };
        assert_eq!(cell(&priority, "conflict-lost").as_deref(), Some("较急"), "{who}");
        assert_eq!(cell(&priority, "conflict-won").as_deref(), Some("不急"), "{who}");
        assert_eq!(cell(&reason, "conflict-lost").as_deref(), Some("老人有慢性病，药快吃完了"));
        assert_eq!(cell(&reason, "conflict-won").as_deref(), Some("家属已送来一周的菜和药"));
        let mine = cell(&priority, "conflict-mine").is_some();
        assert_eq!(mine, who == "A", "{who}: the lost value is A's own");
        let again = cell(&priority, "conflict-reapply");
        let offered = if who == "A" { "再次应用我的" } else { "改回这个值" };
        assert_eq!(again.as_deref(), Some(offered), "{who}: the priority can be set again");
        assert_eq!(cell(&reason, "conflict-reapply"), None, "{who}: a reason stays on record");
        // The pictures show the page, not the sync's notices.
        for _ in 0..20 {
            let Some(close) = app.all(&format!("{} button", App::id("toast"))).pop() else { break };
            app.try_click(&close);
        }
        std::thread::sleep(Duration::from_millis(500));
        screenshot(app, shot);
    }
    eprintln!("the sync story took {:.1} s", started.elapsed().as_secs_f64());
}

/// Revocation in the real window (issue 7): the district revokes a laptop; at its next sync the
/// window's store is wiped, the page starts again on a fresh, empty store and says why, and the
/// server lists the laptop as told to wipe.
#[test]
#[ignore = "opens the real window: `cargo xtask test` runs it under Xvfb"]
fn a_revoked_laptop_wipes_its_store_and_the_window_says_why() {
    let root = data_dir();
    let server_dir = root.path().join("server");
    std::fs::create_dir_all(&server_dir).expect("server folder");
    let data = server_dir.to_string_lossy().into_owned();
    let add = format!(
        "server user add wang --role grid_lead --district {DISTRICT} --display-name 王芳 \
         --password {PASSWORD} --data {data}"
    );
    cli(&add.split_whitespace().collect::<Vec<_>>(), None);
    let server = Server::start(&server_dir, driver::free_port());
    let laptop = root.path().join("laptop");
    let app = open_and_log_in(&laptop, &server.url(), "wang");
    until(&app, "the laptop", "its first sync is done", true, |app| state(app) == "online");

    let listed = cli(&["server", "device", "list", "--data", &data], None);
    let device = listed.split('\t').next().expect("the laptop's device").trim().to_owned();
    cli(&["server", "device", "revoke", &device, "--data", &data], None);

    until(&app, "the laptop", "the window says this computer was revoked", true, |app| {
        text_of(app, &App::id("toast")).contains("已注销这台电脑")
    });
    // The key went with the store: where no keychain keeps keys (these machines), the window
    // asks for a passphrase for the fresh store, then opens it empty.
    let screen = app.wait(&App::id("unlock-screen"));
    assert_eq!(app.attr(&screen, "data-first").as_deref(), Some("true"), "a new passphrase");
    let new = "a new passphrase after the wipe";
    app.type_into(&app.wait(&App::id("unlock-secret")), new);
    app.type_into(&app.wait(&App::id("unlock-again")), new);
    app.click_id("unlock-submit");
    // A fresh store: nothing of the district, not logged in, the note of the wipe in the folder.
    app.wait(&App::id("welcome-dialog"));
    assert!(
        !text_of(&app, &App::id("status-store")).contains(DISTRICT),
        "the district's store is gone"
    );
    // The page behind the passphrase screen asked again once the store was open.
    app.wait_until(&App::id("dash-imports"), |t| t.contains("还没有导入"));
    let toasts = app.all(&App::id("toast")).iter().map(|t| app.text(t)).collect::<Vec<_>>();
    assert!(
        toasts.iter().all(|t| !t.contains("passphrase")),
        "the passphrase screen said it; no error notices besides: {toasts:#?}"
    );
    let note = std::fs::read_to_string(laptop.join("wiped.json")).expect("the wipe's note");
    assert!(note.contains("revoked"), "{note}");
    let listed = cli(&["server", "device", "list", "--data", &data], None);
    assert!(listed.contains("told to wipe"), "the server notes it: {listed}");
    screenshot(&app, "revoked-wiped.png");
}
