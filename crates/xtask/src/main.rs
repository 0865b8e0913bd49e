//! `cargo xtask <task>`: the project's tasks, so a new machine needs only Rust, Node.js and
//! these commands. Each task installs what it needs when it can (Debian/Ubuntu packages as
//! root or through sudo, npm packages with `npm ci`) and says plainly what to install when it
//! cannot.
//!
//! - `run`: build the UI and the desktop app (release, UI embedded) and start it.
//! - `test`: every check CI runs, with the time of each stage (`test.rs`).
//! - `bench [--rows N]`: the import benchmark; `bench app [--runs N]`: the app's cold start and
//!   idle memory against a bare Tauri window (`bench_app.rs`).
//! - `demo`: the command line on the demo district.
//! - `fuzz [SECONDS]`: the roster-sniffing fuzz target (needs a nightly toolchain).

mod bench_app;
mod setup;
mod test;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs a program in the repository's root, echoing it, and fails unless it succeeds.
pub fn run(program: &str, args: &[&str]) -> Result<(), String> {
    run_cmd(Command::new(program).args(args))
}

/// Runs a prepared command (its directory defaults to the repository's root).
pub fn run_cmd(cmd: &mut Command) -> Result<(), String> {
    let shown = shown(cmd);
    eprintln!("$ {shown}");
    if cmd.get_current_dir().is_none() {
        cmd.current_dir(root());
    }
    let status = cmd.status().map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn shown(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn have(program: &str) -> bool {
    Command::new(program).arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

/// The name of a Node.js tool (`npm.cmd` on Windows).
pub fn node_tool(name: &str) -> String {
    if cfg!(windows) {
        format!("{name}.cmd")
    } else {
        name.to_owned()
    }
}

/// The desktop app's binary in `target/<profile>`.
pub fn app_exe(profile: &str) -> PathBuf {
    root().join("target").join(profile).join(exe("jiayuan-desk"))
}

pub fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// Builds the UI and the app (release, UI embedded) and starts it on the default data folder.
fn run_app() -> Result<(), String> {
    setup::system_packages(setup::Purpose::Run)?;
    setup::npm_ci(&root().join("ui"))?;
    setup::ui("build")?;
    run("cargo", &["build", "--release", "-p", "jiayuan-desk", "--features", "custom-protocol"])?;
    let exe = app_exe("release");
    eprintln!(
        "starting {} (the data folder: JIAYUAN_DATA_DIR or the per-user folder)",
        exe.display()
    );
    run_cmd(&mut Command::new(exe))
}

/// The command line on the demo district (what `run` did before the window existed).
fn demo() -> Result<(), String> {
    run("cargo", &["build", "--release", "-p", "jiayuan-cli"])?;
    let cli = root().join("target/release").join(exe("jiayuan"));
    let cli = cli.to_string_lossy().into_owned();
    // `demo` refuses (exit 2) when the demo store already has residents: that is fine here.
    let _ = run(&cli, &["demo"]);
    let out = Command::new(&cli).args(["demo", "--where"]).output();
    let db = out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default();
    run(&cli, &["--db", &db, "residents", "search", "沈"])?;
    run(&cli, &["--help"])
}

fn bench(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("app") => bench_app::bench(&args[1..]),
        Some("import") => bench_import(&args[1..]),
        _ => bench_import(args),
    }
}

fn bench_import(args: &[String]) -> Result<(), String> {
    setup::apt_install(&["sqlite3"])?;
    let mut a = vec!["run", "--release", "-p", "jiayuan-cli", "--", "bench", "import"];
    a.extend(args.iter().map(String::as_str));
    run("cargo", &a)
}

fn fuzz(args: &[String]) -> Result<(), String> {
    if !have("cargo-fuzz") {
        run("cargo", &["install", "cargo-fuzz", "--locked"])?;
    }
    let seconds = args.first().map_or("600", String::as_str);
    let max_time = format!("-max_total_time={seconds}");
    run("cargo", &["+nightly", "fuzz", "run", "sniff", "--", &max_time, "-rss_limit_mb=1024"])
}

const USAGE: &str = "usage: cargo xtask run | test | bench [import] [--rows N] | bench app [--runs N] | demo | fuzz [SECONDS]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::test(),
        Some("run") => run_app(),
        Some("bench") => bench(&args[1..]),
        Some("demo") => demo(),
        Some("fuzz") => fuzz(&args[1..]),
        // `bench app` measures inside Xvfb by running itself again there.
        Some(bench_app::INNER) => bench_app::inner(&args[1..]),
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
