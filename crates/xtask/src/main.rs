//! `cargo xtask <task>`: the project's tasks, so a new machine needs only Rust and these
//! commands. Each task installs what it needs when it can (Debian/Ubuntu packages as root or
//! through sudo) and says plainly what to install when it cannot.
//!
//! - `run`: build and start (today the command line on the demo district).
//! - `test`: rustfmt check, clippy with warnings as errors, and every test of the workspace.
//! - `bench`: the import benchmark (a release build) with its figures.
//! - `fuzz [SECONDS]`: the roster-sniffing fuzz target (needs a nightly toolchain).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} {} failed ({status})", args.join(" ")))
    }
}

fn have(program: &str) -> bool {
    Command::new(program).arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

/// Installs Debian/Ubuntu packages that are missing, when this is such a system.
fn apt_install(packages: &[&str]) -> Result<(), String> {
    if !Path::new("/usr/bin/apt-get").exists() {
        return Ok(());
    }
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            !Command::new("dpkg")
                .args(["-s", p])
                .output()
                .map(|o| {
                    o.status.success()
                        && String::from_utf8_lossy(&o.stdout)
                            .contains("Status: install ok installed")
                })
                .unwrap_or(false)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let root_user =
        Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    let (program, mut args): (&str, Vec<&str>) =
        if root_user { ("apt-get", vec![]) } else { ("sudo", vec!["apt-get"]) };
    let mut update = args.clone();
    update.extend(["update", "-qq"]);
    run(program, &update)?;
    args.extend(["install", "-y", "-qq", "--no-install-recommends"]);
    args.extend(missing.iter());
    run(program, &args)
}

fn ensure_rust_components() -> Result<(), String> {
    for (tool, component) in [("cargo-fmt", "rustfmt"), ("cargo-clippy", "clippy")] {
        if !have(tool) && have("rustup") {
            run("rustup", &["component", "add", component])?;
        }
    }
    Ok(())
}

fn test() -> Result<(), String> {
    ensure_rust_components()?;
    run("cargo", &["fmt", "--all", "--check"])?;
    run("cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    run("cargo", &["test", "--workspace"])
}

/// Builds the command line and opens the demo district (the desktop window replaces this
/// once the shell exists).
fn run_app() -> Result<(), String> {
    run("cargo", &["build", "--release", "-p", "jiayuan-cli"])?;
    let exe =
        root().join("target/release").join(if cfg!(windows) { "jiayuan.exe" } else { "jiayuan" });
    let exe = exe.to_string_lossy().into_owned();
    // `demo` refuses (exit 2) when the demo store already has residents: that is fine here.
    let _ = run(&exe, &["demo"]);
    run(&exe, &["--db", &demo_db(), "residents", "search", "沈"])?;
    run(&exe, &["--help"])
}

fn demo_db() -> String {
    let out =
        Command::new(root().join("target/release/jiayuan")).args(["demo", "--where"]).output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default()
}

fn bench(args: &[String]) -> Result<(), String> {
    apt_install(&["sqlite3"])?;
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("run") => run_app(),
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => fuzz(&args[1..]),
        _ => Err("usage: cargo xtask run | test | bench [--rows N] | fuzz [SECONDS]".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
