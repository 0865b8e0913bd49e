//! Logs go to stderr and to `logs/jiayuan-desk.log` in the data folder (the previous file is
//! kept as `.1` once it passes 5 MiB). `JIAYUAN_LOG` filters them (`info` by default).
//! Nothing logged may hold an identity number or a phone: the shell logs codes, counts and
//! timings, and core's messages mask personal data.

use std::fs::{File, OpenOptions};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

const MAX_BYTES: u64 = 5 * 1024 * 1024;

/// Installs the subscriber. Logging never stops the app: without a writable log file, logs
/// go to stderr only.
pub fn init(data_dir: &Path) {
    let filter =
        || EnvFilter::try_from_env("JIAYUAN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = fmt::layer()
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let file = open_log(data_dir)
        .map(|f| fmt::layer().with_ansi(false).with_writer(Mutex::new(f)).with_filter(filter()));
    let _ = tracing_subscriber::registry().with(stderr).with(file).try_init();
}

fn open_log(data_dir: &Path) -> Option<File> {
    let dir = data_dir.join("logs");
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("jiayuan-desk.log");
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_BYTES) {
        let _ = std::fs::rename(&path, dir.join("jiayuan-desk.log.1"));
    }
    OpenOptions::new().create(true).append(true).open(path).ok()
}
