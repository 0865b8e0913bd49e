//! `cargo xtask test`: everything CI checks, in stages, with the time of each and a summary.
//!
//! The Rust stages build with the app's `custom-protocol` feature (the UI embedded), the
//! same way for clippy, `cargo test`, the real-window tests and the `.deb`, so the debug profile
//! compiles Tauri once: the UI is therefore built before them.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::setup::{self, Purpose};
use crate::{node_tool, root, run, run_cmd};

/// The virtual screen the real window runs on.
pub const XVFB_SCREEN: &str = "-screen 0 1280x800x24";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Passed,
    Skipped,
    Failed,
}

#[derive(Default)]
struct Stages {
    done: Vec<(String, Duration, Outcome, String)>,
    started: Option<Instant>,
}

impl Stages {
    /// Runs a stage unless one failed already; it passes with the note it returns.
    fn stage(&mut self, name: &str, f: impl FnOnce() -> Result<String, String>) {
        self.started.get_or_insert_with(Instant::now);
        if self.failed() {
            return;
        }
        eprintln!("\n=== {name}");
        let t = Instant::now();
        let (outcome, note) = match f() {
            Ok(note) => (Outcome::Passed, note),
            Err(e) => (Outcome::Failed, e),
        };
        self.done.push((name.to_owned(), t.elapsed(), outcome, note));
    }

    fn skip(&mut self, name: &str, why: &str) {
        if !self.failed() {
            self.done.push((name.to_owned(), Duration::ZERO, Outcome::Skipped, why.to_owned()));
        }
    }

    fn failed(&self) -> bool {
        self.done.iter().any(|d| d.2 == Outcome::Failed)
    }

    fn summary(&self) -> Result<(), String> {
        let total = self.started.map(|s| s.elapsed()).unwrap_or_default();
        eprintln!("\n=== summary");
        for (name, took, outcome, note) in &self.done {
            let mark = match outcome {
                Outcome::Passed => "ok     ",
                Outcome::Skipped => "skipped",
                Outcome::Failed => "FAILED ",
            };
            let note = if note.is_empty() { String::new() } else { format!("  ({note})") };
            eprintln!("{mark} {:>7.1} s  {name}{note}", took.as_secs_f64());
        }
        eprintln!("        {:>7.1} s  in all", total.as_secs_f64());
        match self.done.iter().find(|d| d.2 == Outcome::Failed) {
            Some((name, _, _, e)) => Err(format!("stage '{name}' failed: {e}")),
            None => Ok(()),
        }
    }
}

fn done(r: Result<(), String>) -> Result<String, String> {
    r.map(|()| String::new())
}

fn cargo(args: &[&str]) -> Result<(), String> {
    run("cargo", args)
}

pub fn test() -> Result<(), String> {
    let mut s = Stages::default();
    let linux = cfg!(target_os = "linux");
    s.stage("system packages", || done(setup::system_packages(Purpose::Test)));
    s.stage("rust components", || done(ensure_rust_components()));
    s.stage("rustfmt", || done(cargo(&["fmt", "--all", "--check"])));
    s.stage("npm ci (ui)", || {
        setup::npm_ci(&root().join("ui")).map(|ran| if ran { "" } else { "up to date" }.to_owned())
    });
    s.stage("ui: svelte-check", || done(setup::ui("check")));
    s.stage("ui: unit tests (vitest)", || done(setup::ui("test:unit")));
    s.stage("ui: build", || done(setup::ui("build")));
    s.stage("ui: specs in chromium (mocked IPC)", || done(setup::ui("test:e2e")));
    let features = ["--features", "jiayuan-desk/custom-protocol"];
    s.stage("clippy -D warnings", || {
        let mut a = vec!["clippy", "--workspace", "--all-targets"];
        a.extend(features);
        a.extend(["--", "-D", "warnings"]);
        done(cargo(&a))
    });
    s.stage("postgresql (the server's tests)", setup::postgres);
    s.stage("cargo test --workspace", || {
        let mut a = vec!["test", "--workspace"];
        a.extend(features);
        done(cargo(&a))
    });
    if linux {
        s.stage("app: the real window under Xvfb (WebDriver)", || done(windowed_tests()));
        s.stage("npm ci (root: the Tauri CLI)", || {
            setup::npm_ci(&root()).map(|ran| if ran { "" } else { "up to date" }.to_owned())
        });
        s.stage("bundle: .deb", deb);
    } else {
        let why = "WebKitWebDriver and the .deb are Linux only";
        s.skip("app: the real window under Xvfb (WebDriver)", why);
        s.skip("bundle: .deb", why);
    }
    s.summary()
}

fn ensure_rust_components() -> Result<(), String> {
    for (tool, component) in [("cargo-fmt", "rustfmt"), ("cargo-clippy", "clippy")] {
        if !crate::have(tool) && crate::have("rustup") {
            run("rustup", &["component", "add", component])?;
        }
    }
    Ok(())
}

/// The app's WebDriver tests (`tests/app/`), ignored by a plain `cargo test`, in a private
/// D-Bus session on a virtual screen.
fn windowed_tests() -> Result<(), String> {
    run_cmd(Command::new("dbus-run-session").args([
        "--",
        "xvfb-run",
        "-a",
        "-s",
        XVFB_SCREEN,
        "cargo",
        "test",
        // The same package selection and features as the workspace stage, so cargo reuses its
        // build instead of compiling the dependencies again for a different feature set.
        "--workspace",
        "--features",
        "jiayuan-desk/custom-protocol",
        "--test",
        "app",
        "--",
        "--ignored",
        "--test-threads=1",
    ]))
}

/// The Debian package, from the debug build the tests used (the UI is already built).
fn deb() -> Result<String, String> {
    let bundle = root().join("target/debug/bundle/deb");
    let _ = std::fs::remove_dir_all(&bundle);
    run(
        &node_tool("npx"),
        &[
            "tauri",
            "build",
            "--debug",
            "--bundles",
            "deb",
            "--features",
            "custom-protocol",
            "--config",
            r#"{"build":{"beforeBuildCommand":""}}"#,
        ],
    )?;
    let deb = std::fs::read_dir(&bundle)
        .map_err(|e| format!("{}: {e}", bundle.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or_else(|| format!("no .deb in {}", bundle.display()))?;
    let size = std::fs::metadata(&deb).map(|m| m.len()).unwrap_or(0);
    // Tauri writes the WebKitGTK and GTK dependencies itself (tauri.conf.json adds the font).
    let info = Command::new("dpkg-deb").arg("--field").arg(&deb).arg("Depends").output();
    let depends = info.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    for needed in ["libwebkit2gtk-4.1-0", "libgtk-3-0"] {
        if !depends.contains(needed) {
            return Err(format!("{} does not depend on {needed}: {depends}", deb.display()));
        }
    }
    Ok(format!("{}, {:.1} MiB", deb.display(), size as f64 / 1048576.0))
}
