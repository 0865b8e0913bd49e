//! What the tasks need installed: system packages (installed on Debian/Ubuntu, named
//! elsewhere) and the npm packages of `ui/` and of the root (the Tauri command line).

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use crate::{node_tool, run, run_cmd};

/// What the packages are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Building and running the app.
    Run,
    /// The tests, the real window under Xvfb and the benchmarks included.
    Test,
}

/// Debian/Ubuntu packages to build and run the app (tauri-here.md), and a CJK font, without
/// which Chinese shows as empty boxes.
const RUN_DEBIAN: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "build-essential",
    "pkg-config",
    "file",
    "libxdo-dev",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "fonts-noto-cjk",
];

/// And for the tests: a virtual screen, a private D-Bus session (single instance uses D-Bus),
/// the WebDriver of WebKitGTK for the real window, xdotool to answer its native file dialogs,
/// Debian's chromium for the UI's specs.
const TEST_DEBIAN: &[&str] =
    &["xvfb", "xauth", "imagemagick", "webkit2gtk-driver", "xdotool", "chromium", "dbus"];

/// Installs the system packages a purpose needs, or says what they are where it cannot.
pub fn system_packages(purpose: Purpose) -> Result<(), String> {
    if cfg!(target_os = "linux") && Path::new("/usr/bin/apt-get").exists() {
        let mut packages = RUN_DEBIAN.to_vec();
        if purpose == Purpose::Test {
            packages.extend(TEST_DEBIAN);
        }
        return apt_install(&packages);
    }
    let hint = if cfg!(target_os = "linux") {
        "install the WebKitGTK 4.1 development files, GTK 3, librsvg, libayatana-appindicator, \
         OpenSSL, a C toolchain, pkg-config and a CJK font (Noto Sans CJK) with your package manager \
         (see https://v2.tauri.app/start/prerequisites/); for the tests also Xvfb, xauth, D-Bus, \
         WebKitWebDriver and Chromium"
    } else if cfg!(target_os = "macos") {
        "the Xcode command line tools (`xcode-select --install`) are all the app needs"
    } else {
        "the Visual Studio C++ build tools and the WebView2 runtime (preinstalled on Windows 10 \
         and 11) are all the app needs"
    };
    eprintln!("xtask: system packages are not installed automatically here: {hint}");
    if !crate::have(&node_tool("npm")) {
        return Err("npm is missing: install Node.js 20 or later (https://nodejs.org)".into());
    }
    Ok(())
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| {
            o.status.success()
                && String::from_utf8_lossy(&o.stdout).contains("install ok installed")
        })
        .unwrap_or(false)
}

/// Installs Debian/Ubuntu packages that are missing, when this is such a system.
pub fn apt_install(packages: &[&str]) -> Result<(), String> {
    if !Path::new("/usr/bin/apt-get").exists() {
        return Ok(());
    }
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing {}", missing.join(" "));
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false);
    let apt = |args: &[&str]| {
        let mut cmd = if root_user { Command::new("apt-get") } else { Command::new("sudo") };
        if !root_user {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run_cmd(&mut cmd)
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(missing.iter());
    apt(&args)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `npm ci` in `dir` when its `node_modules` is missing or older than its `package-lock.json`.
pub fn npm_ci(dir: &Path) -> Result<bool, String> {
    if !crate::have(&node_tool("npm")) {
        return Err("npm is missing: install Node.js 20 or later (https://nodejs.org)".into());
    }
    let lock = modified(&dir.join("package-lock.json"));
    // npm writes node_modules/.package-lock.json at the end of every install.
    let installed = modified(&dir.join("node_modules/.package-lock.json"));
    if matches!((installed, lock), (Some(i), Some(l)) if i >= l) {
        return Ok(false);
    }
    run_cmd(
        Command::new(node_tool("npm")).args(["ci", "--no-audit", "--no-fund"]).current_dir(dir),
    )?;
    Ok(true)
}

/// `npm run <script>` in `ui/`.
pub fn ui(script: &str) -> Result<(), String> {
    run(&node_tool("npm"), &["--prefix", "ui", "run", script])
}

/// The PostgreSQL server's tests run against: `JIAYUAN_TEST_DATABASE_URL`, else the one on
/// 127.0.0.1:5432. On Debian/Ubuntu where none answers, PostgreSQL is installed, started and
/// told to trust local TCP connections for `postgres` (a test machine's server, nothing else
/// on it). Elsewhere, or when it still does not answer, this fails: the tests never skip.
pub fn postgres() -> Result<String, String> {
    let given = std::env::var("JIAYUAN_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty());
    let url = given.clone().unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let addr = host.split('/').next().unwrap_or_default().to_owned();
    let addr = if addr.contains(':') { addr } else { format!("{addr}:5432") };
    if answers(&addr) {
        return Ok(format!("at {addr}"));
    }
    if given.is_some() || !(cfg!(target_os = "linux") && Path::new("/usr/bin/apt-get").exists()) {
        return Err(format!(
            "no PostgreSQL answers at {addr}: start one, or set JIAYUAN_TEST_DATABASE_URL to one that does"
        ));
    }
    apt_install(&["postgresql"])?;
    for hba in glob_hba() {
        let text = std::fs::read_to_string(&hba).map_err(|e| format!("{}: {e}", hba.display()))?;
        let line = "host all postgres 127.0.0.1/32 trust";
        if !text.contains(line) {
            std::fs::write(&hba, format!("{line}\n{text}"))
                .map_err(|e| format!("{}: {e}", hba.display()))?;
        }
    }
    // pg_ctlcluster works with and without systemd (containers have none).
    for version in clusters() {
        let _ = Command::new("pg_ctlcluster").args([version.as_str(), "main", "restart"]).status();
    }
    for _ in 0..30 {
        if answers(&addr) {
            return Ok(format!("installed and started at {addr}"));
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    Err(format!("PostgreSQL was installed but does not answer at {addr}"))
}

fn answers(addr: &str) -> bool {
    use std::net::ToSocketAddrs;
    addr.to_socket_addrs().ok().and_then(|mut a| a.next()).is_some_and(|a| {
        std::net::TcpStream::connect_timeout(&a, std::time::Duration::from_secs(2)).is_ok()
    })
}

fn clusters() -> Vec<String> {
    std::fs::read_dir("/etc/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect()
        })
        .unwrap_or_default()
}

fn glob_hba() -> Vec<std::path::PathBuf> {
    clusters()
        .into_iter()
        .map(|v| Path::new("/etc/postgresql").join(v).join("main/pg_hba.conf"))
        .filter(|p| p.exists())
        .collect()
}
