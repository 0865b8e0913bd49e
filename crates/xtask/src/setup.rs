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
