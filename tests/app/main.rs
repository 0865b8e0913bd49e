//! The real app, in its real window, driven through WebDriver: what the official does, checked
//! on what the window shows. They open windows, so they are ignored by a plain `cargo test`;
//! `cargo xtask test` runs them under Xvfb and a private D-Bus session:
//!
//! ```text
//! dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
//!   cargo test -p jiayuan-desk --features custom-protocol --test app -- --ignored --test-threads=1
//! ```
//!
//! They also refresh the pictures in `docs/screenshots/`.

mod driver;
mod sync;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use driver::App;
use jiayuan_testkit::{realistic_roster, to_xlsx, RosterOptions, Value, Workbook};

fn screenshot(app: &App, name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots").join(name);
    app.screenshot(&path).unwrap_or_else(|e| panic!("screenshot {}: {e}", path.display()));
}

fn digits(text: &str) -> u64 {
    text.chars().filter(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0)
}

/// A data folder of its own for each test.
fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("jiayuan-app-test").tempdir().expect("a temporary folder")
}

/// A window on the demo district, once the demo is built.
fn demo_window(data_dir: &Path) -> App {
    let app = App::start(data_dir);
    app.click_id("welcome-demo");
    app.wait_for_demo();
    app
}

/// The intake form opened from the queue, a medicine request described in it (not saved).
fn intake_medicine(app: &App, description: &str) {
    app.click_id("new-request");
    app.wait(&App::id("intake"));
    app.click(&app.wait(&format!("{} option[value=medicine]", App::id("intake-category"))));
    let text = app.wait(&App::id("intake-description"));
    app.type_into(&text, description);
}

#[test]
#[ignore = "opens the real window: `cargo xtask test` runs it under Xvfb"]
fn a_roster_imported_through_the_wizard_is_found_by_name() {
    let dir = data_dir();
    // A roster an office would keep, with some rows the importer must reject.
    let opts = RosterOptions { bad: 0.05, ..RosterOptions::default() };
    let (sheet, summary) = realistic_roster(300, 11, &opts);
    let name = match &sheet.rows[1][1] {
        Value::Text(name) => name.clone(),
        other => panic!("the first row's name is {other:?}"),
    };
    let roster = dir.path().join("roster.xlsx");
    std::fs::write(&roster, to_xlsx(&Workbook::of(vec![sheet]))).expect("roster written");

    let app = App::start(&dir.path().join("data"));
    app.click_id("welcome-empty");
    app.click_id("nav-import");
    let input = app.wait(&App::id("import-path"));
    app.type_into(&input, &roster.to_string_lossy());
    app.click_id("import-open");
    // Opening shows the sheets; then mapping and the dry run, Next enabled when each is ready.
    let next = format!("{}:not([disabled])", App::id("import-next"));
    app.wait(&App::id("sheet-option"));
    app.click(&app.wait(&next));
    app.wait(&App::id("mapping-column"));
    screenshot(&app, "import-mapping.png");
    app.click(&app.wait(&next));
    app.wait(&App::id("dry-run-counts"));
    app.click(&app.wait(&format!("{}:not([disabled])", App::id("import-start"))));
    app.wait(&App::id("import-report"));
    let created = app.wait(&format!("{} [data-count=created]", App::id("report-created")));
    assert_eq!(digits(&app.text(&created)), summary.valid, "every valid row is created");
    let rejected = app.wait(&format!("{} [data-count=rejected]", App::id("report-rejected")));
    assert_eq!(
        digits(&app.text(&rejected)),
        summary.rejected.len() as u64,
        "the roster's bad rows are rejected, each for its reason"
    );
    screenshot(&app, "import-report.png");

    app.click_id("nav-residents");
    let search = app.wait(&App::id("search-input"));
    app.type_into(&search, &name);
    app.wait_until(&App::id("resident-row"), |text| text.contains(&name));
}

#[test]
#[ignore = "opens the real window: `cargo xtask test` runs it under Xvfb"]
fn the_demo_district_fills_the_table_and_says_it_is_a_demo() {
    let dir = data_dir();
    let app = demo_window(dir.path());
    app.wait_until(&App::id("status-store"), |t| !t.is_empty());
    // Let the dashboard's figures and charts settle before the picture.
    std::thread::sleep(Duration::from_millis(700));
    screenshot(&app, "dashboard.png");

    app.click_id("nav-residents");
    let count = app.wait_until(&App::id("resident-count"), |t| digits(t) > 0);
    assert!(digits(&app.text(&count)) >= 10_000, "the demo district has its residents");
    let row = app.wait(&App::id("resident-row"));
    assert!(app.all(&App::id("resident-row")).len() > 10, "the table shows a screenful of rows");
    app.click(&row);
    app.wait(&App::id("detail-panel"));
    screenshot(&app, "residents-detail.png");
    app.wait_for_demo();
}

#[test]
#[ignore = "opens the real window: `cargo xtask test` runs it under Xvfb"]
fn a_request_is_taken_in_with_triage_and_accepted() {
    let dir = data_dir();
    let app = demo_window(dir.path());
    app.click_id("nav-requests");
    app.wait(&App::id("queue-row"));
    assert!(app.all(&App::id("queue-row")).len() > 10, "the demo month leaves open work");
    std::thread::sleep(Duration::from_millis(400));
    screenshot(&app, "requests-queue.png");

    intake_medicine(&app, "楼上独居老人胸口痛，喘不上气");
    app.wait_until(&App::id("intake-proposed"), |t| t.trim() == "紧急");
    // Retried: the triage preview's toast or a re-render can cover the button for a moment
    // (WebDriver answers "element click intercepted").
    app.click_css(&format!("{}:not([disabled])", App::id("intake-save")));
    app.wait_until(&App::id("request-description"), |t| t.contains("喘不上气"));
    app.wait_until(&App::id("request-status"), |t| t.contains("待签收"));
    app.click_id("act-accept");
    app.wait_until(&App::id("request-status"), |t| t.contains("已签收"));
    app.wait(&format!("{}[data-status=running]", App::id("clock-resolution")));
    screenshot(&app, "request-detail.png");
}

#[test]
#[ignore = "opens the real window: `cargo xtask test` runs it under Xvfb"]
fn a_volunteer_is_sent_and_the_request_completed_end_to_end() {
    let dir = data_dir();
    let app = demo_window(dir.path());
    app.click_id("nav-requests");
    app.wait(&App::id("queue-row"));
    intake_medicine(&app, "父亲的降压药吃完了，需要有人代配药送上门");
    app.click_css(&format!("{}:not([disabled])", App::id("intake-save")));
    app.wait_until(&App::id("request-status"), |t| t.contains("待签收"));

    // The dispatch panel ranks the demo's volunteers with their reasons; the first eligible
    // one is sent, which accepts and assigns the new request in one step.
    app.wait(&App::id("dispatch-panel"));
    app.wait(&format!("{} {}", App::id("suggestion"), App::id("reason")));
    std::thread::sleep(Duration::from_millis(300));
    screenshot(&app, "dispatch-suggestions.png");
    let eligible =
        format!("{}[data-eligible=true] {}", App::id("suggestion"), App::id("suggestion-send"));
    app.click_css(&eligible);
    app.wait_until(&App::id("request-status"), |t| t.contains("已派单"));
    app.wait(&format!("{}[data-status=proposed]", App::id("assignment")));

    // The official phones the volunteer and records how it goes.
    app.click_css(&App::id("move-accept"));
    app.wait(&format!("{}[data-status=accepted]", App::id("assignment")));
    app.click_css(&App::id("move-start"));
    app.wait_until(&App::id("request-status"), |t| t.contains("处理中"));
    app.click_css(&App::id("move-done"));
    app.wait_until(&App::id("request-status"), |t| t.contains("已办结"));
    // Confirmed service earns the category's points.
    app.click_css(&App::id("assignment-confirm"));
    let points = app.wait_until(&App::id("assignment-points"), |t| digits(t) > 0);
    // A medicine run is worth 8, less when the day's cap was nearly reached in the demo month.
    let earned = digits(&app.text(&points));
    assert!((1..=8).contains(&earned), "earned {earned}");

    // The callback closes it.
    app.click_id("act-close");
    app.wait(&App::id("step-satisfaction"));
    app.click_css(&App::id("step-confirm"));
    app.wait_until(&App::id("request-status"), |t| t.contains("关闭"));
    std::thread::sleep(Duration::from_millis(300));
    screenshot(&app, "request-dispatched.png");

    app.click_id("nav-volunteers");
    app.wait(&App::id("volunteer-row"));
    assert!(app.all(&App::id("volunteer-row")).len() > 10, "the demo district has its volunteers");
}

#[test]
#[ignore = "opens the real window: `cargo xtask test` runs it under Xvfb"]
fn a_store_that_cannot_be_opened_is_explained_and_the_demo_still_opens() {
    let dir = data_dir();
    // Not a SQLite file: what a broken copy or another program's file looks like.
    std::fs::write(dir.path().join("jiayuan.db"), b"these bytes are not a database".repeat(200))
        .expect("store written");
    let app = App::start(dir.path());
    app.wait_until(&App::id("toast"), |t| !t.trim().is_empty());
    app.click_id("nav-settings");
    app.click_id("store-demo");
    app.wait_for_demo();
}

#[test]
#[ignore = "opens the real window: `cargo xtask test` runs it under Xvfb"]
fn the_passphrase_is_asked_where_no_keychain_keeps_the_key() {
    let dir = data_dir();
    let passphrase = "窗口测试的口令 2026";
    // This machine has no keychain and the app is given no passphrase: it asks for one.
    let app = App::start_with(dir.path(), None);
    app.wait(&format!("{}[data-first='true']", App::id("unlock-screen")));
    app.type_into(&app.wait(&App::id("unlock-secret")), passphrase);
    app.type_into(&app.wait(&App::id("unlock-again")), passphrase);
    app.click_id("unlock-submit");
    app.wait(&App::id("welcome-dialog"));
    screenshot(&app, "unlocked-first.png");
    drop(app);
    let key = read(&dir.path().join("keying.json"));
    assert!(key.contains("passphrase") && !key.contains(passphrase), "{key}");
    let db = read_bytes(&dir.path().join("jiayuan.db"));
    assert!(!db.is_empty() && !db.starts_with(b"SQLite format 3"), "the store is encrypted");

    // The next start asks again; a wrong passphrase is told, the right one opens the store.
    let app = App::start_with(dir.path(), None);
    app.wait(&format!("{}[data-first='false']", App::id("unlock-screen")));
    app.type_into(&app.wait(&App::id("unlock-secret")), "不是这个口令 0000");
    app.click_id("unlock-submit");
    app.wait_until(&App::id("unlock-error"), |t| t.contains("口令不对"));
    screenshot(&app, "unlock-wrong.png");
    app.type_into(&app.wait(&App::id("unlock-secret")), passphrase);
    app.click_id("unlock-submit");
    app.wait(&App::id("welcome-dialog"));
}

#[test]
#[ignore = "opens the real window: `cargo xtask test` runs it under Xvfb"]
fn the_app_locks_refuses_everything_while_locked_and_opens_with_the_secret() {
    let dir = data_dir();
    // Nobody has logged in; the store is keyed by a passphrase, which opens the lock.
    let app = App::start(dir.path());
    app.click_id("welcome-empty");
    assert!(app.invoke("app_info")["ok"].is_object(), "unlocked, the shell answers");
    app.click_id("lock-now");
    app.wait(&App::id("lock-screen"));
    // The lock is the backend's: the shell refuses the page's commands, not just hides them.
    assert_eq!(app.invoke("resident_facets")["err"]["code"], "locked");
    assert_eq!(app.invoke("import_history")["err"]["code"], "locked");
    assert_eq!(app.invoke("app_info")["err"]["code"], "locked");
    app.type_into(&app.wait(&App::id("lock-secret")), "不是这个口令 0000");
    app.click_id("lock-submit");
    app.wait_until(&App::id("lock-error"), |t| t.contains("口令不对"));
    screenshot(&app, "locked.png");
    app.type_into(&app.wait(&App::id("lock-secret")), driver::PASSPHRASE);
    app.click_id("lock-submit");
    assert!(wait_for(|| app.all(&App::id("lock-screen")).is_empty()), "the lock screen is gone");
    app.wait(&App::id("import-choose"));
    assert!(app.invoke("app_info")["ok"].is_object(), "and the shell answers again");
}

/// Types into the native dialog whose title matches `title` (GTK, through xdotool): `keys`
/// first (e.g. `ctrl+l` for the location field), then `text`, then Return.
fn answer_dialog(title: &str, keys: &str, text: &str) {
    let found = Command::new("timeout")
        .args(["30", "xdotool", "search", "--sync", "--name", title])
        .output()
        .expect("xdotool (Debian package xdotool) must be installed");
    let window =
        String::from_utf8_lossy(&found.stdout).split_whitespace().next().map(str::to_owned);
    let window = window.unwrap_or_else(|| panic!("no dialog titled {title} opened"));
    let xdotool = |args: &[&str]| {
        let status = Command::new("xdotool").args(args).status().expect("xdotool runs");
        assert!(status.success(), "xdotool {args:?}");
        std::thread::sleep(Duration::from_millis(300));
    };
    xdotool(&["windowfocus", "--sync", &window]);
    xdotool(&["key", "--window", &window, keys]);
    xdotool(&["type", "--window", &window, "--delay", "10", text]);
    xdotool(&["key", "--window", &window, "Return"]);
}

#[test]
#[ignore = "opens the real window: `cargo xtask test` runs it under Xvfb"]
fn the_native_dialogs_save_the_template_and_open_a_roster() {
    let dir = data_dir();
    let app = App::start(&dir.path().join("data"));
    app.click_id("welcome-empty");
    app.click_id("nav-import");

    // The template's save dialog suggests its name; the official types another place.
    let template = dir.path().join("template.xlsx");
    app.click_id("import-template");
    answer_dialog("Save the roster template", "ctrl+a", &template.to_string_lossy());
    assert!(wait_for(|| read_bytes(&template).starts_with(b"PK")), "the template is an xlsx");

    // The roster dialog: the template itself is a roster with a header and no rows.
    app.click_id("import-choose");
    answer_dialog("Choose a roster", "ctrl+l", &template.to_string_lossy());
    app.wait(&App::id("sheet-option"));
}

fn read_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

/// Starts the app binary directly (not through WebDriver) on `data_dir`.
fn launch(data_dir: &Path) -> std::process::Child {
    Command::new(driver::app_binary())
        .env("JIAYUAN_DATA_DIR", data_dir)
        .env("JIAYUAN_PASSPHRASE", driver::PASSPHRASE)
        .env("JIAYUAN_BENCH_FIRST_PAINT", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the app starts")
}

#[test]
#[ignore = "opens the real window: `cargo xtask test` runs it under Xvfb"]
fn one_window_per_data_folder_which_remembers_its_size_and_place() {
    let (a, b) = (data_dir(), data_dir());
    let first = App::start(a.path());
    first.wait(&App::id("welcome-dialog"));

    // A second launch on the same folder hands over to the first window and exits.
    let mut second = launch(a.path());
    let deadline = Instant::now() + driver::PATIENCE;
    let status = loop {
        if let Some(status) = second.try_wait().expect("the second launch") {
            break status;
        }
        assert!(Instant::now() < deadline, "a second launch on the same folder keeps running");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "the second launch exits cleanly: {status}");
    let mut out = String::new();
    let _ = std::io::Read::read_to_string(&mut second.stdout.take().expect("stdout"), &mut out);
    assert!(!out.contains("first_paint_ms"), "the second launch painted no window: {out}");
    let log: PathBuf = a.path().join("logs/jiayuan-desk.log");
    assert!(wait_for(|| read(&log).contains("a second launch")), "the first window heard of it");
    first.wait(&App::id("welcome-dialog"));

    // A launch on another folder runs beside it, with its own window.
    let mut other = launch(b.path());
    let painted = {
        let stdout = other.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("first_paint_ms=") {
                    let _ = tx.send(line);
                }
            }
        });
        rx.recv_timeout(driver::PATIENCE).ok()
    };
    let running = other.try_wait().expect("the other launch").is_none();
    let _ = other.kill();
    let _ = other.wait();
    assert!(painted.is_some(), "a launch on another folder paints its own window");
    assert!(running, "a launch on another folder keeps running");

    // Moved and resized, the window is remembered in the data folder, even though the app is
    // then ended without closing it, and comes back there.
    first.set_rect(40, 30, 1000, 700);
    let state = a.path().join("window-state.json");
    let saved = || serde_json::from_str::<serde_json::Value>(&read(&state)).unwrap_or_default();
    assert!(wait_for(|| saved()["main"]["width"] == 1000), "saved: {}", read(&state));
    drop(first);
    let again = App::start(a.path());
    again.wait(&App::id("welcome-dialog"));
    assert_eq!(again.rect(), (40, 30, 1000, 700), "the window opens where it was left");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn wait_for(ok: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + driver::PATIENCE;
    while Instant::now() < deadline {
        if ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}
