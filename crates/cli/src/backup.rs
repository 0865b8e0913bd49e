//! `jiayuan backup FILE` and `jiayuan restore FILE`: the store carried to a new laptop in one
//! file under a passphrase of its own (the new laptop has none of the old one's keychain).

use std::io::{BufRead as _, IsTerminal as _};
use std::path::{Path, PathBuf};

use jiayuan_core::store::{backup, default_store_path, Counts};
use jiayuan_core::{Ctx, SystemClock};
use zeroize::Zeroizing;

use crate::cmd::{actor, open_at, store_key, usage, Failure};

/// Where scripts give the backup's passphrase (the store's own is `JIAYUAN_PASSPHRASE`).
pub const BACKUP_PASSPHRASE_ENV: &str = "JIAYUAN_BACKUP_PASSPHRASE";

pub fn backup(db: Option<PathBuf>, file: &Path) -> Result<(), Failure> {
    let path = db.unwrap_or_else(default_store_path);
    if !path.exists() {
        return Err(usage(format!("there is no store at {} to back up", path.display())));
    }
    let mut store = open_at(&path)?;
    let passphrase = passphrase(true)?;
    // Checked before the minute of key derivation and copying, and before asking twice.
    backup::check_passphrase(&passphrase)?;
    let actor = actor(&store);
    let report =
        backup::backup(&mut Ctx::new(&mut store, &SystemClock, &actor), file, &passphrase)?;
    println!(
        "backup written to {} ({}): {}",
        report.file.display(),
        size(report.bytes),
        figures(&report.counts)
    );
    println!("keep the passphrase apart from the file: without it the backup cannot be restored");
    Ok(())
}

pub fn restore(db: Option<PathBuf>, file: &Path) -> Result<(), Failure> {
    let into = db.unwrap_or_else(default_store_path);
    let passphrase = passphrase(false)?;
    let key = store_key(&into)?;
    let report = backup::restore(file, &passphrase, &into, &key, &SystemClock)?;
    println!("restored {} into {}: {}", file.display(), into.display(), figures(&report.counts));
    let login = match (&report.server_url, &report.user_name) {
        (Some(url), Some(user)) if !url.is_empty() => {
            format!("jiayuan sync login --server {url} --user {user}")
        }
        _ => "jiayuan sync login --server URL --user NAME".to_owned(),
    };
    println!(
        "this store has a new identity and no login: sign in again ({login}); the {} operations \
         waiting are sent then",
        report.counts.ops_waiting
    );
    Ok(())
}

fn figures(c: &Counts) -> String {
    format!(
        "{} residents, {} requests ({} open), {} volunteers, {} operations waiting to sync",
        c.residents, c.requests, c.open_requests, c.volunteers, c.ops_waiting
    )
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// The backup's passphrase: `JIAYUAN_BACKUP_PASSPHRASE`, else asked on the terminal (twice when
/// setting one, not echoed), else the first line of standard input.
fn passphrase(new: bool) -> Result<Zeroizing<String>, Failure> {
    if let Some(p) = std::env::var(BACKUP_PASSPHRASE_ENV).ok().filter(|p| !p.is_empty()) {
        return Ok(Zeroizing::new(p));
    }
    let tty = std::io::stdin().is_terminal();
    let first = read_secret(tty, "backup passphrase")?;
    if first.is_empty() {
        return Err(usage(format!(
            "no backup passphrase given (set {BACKUP_PASSPHRASE_ENV} or type it on standard input)"
        )));
    }
    if new && tty {
        backup::check_passphrase(&first)?;
        let again = read_secret(tty, "the same passphrase again")?;
        if *again != *first {
            return Err(usage("the two passphrases differ; nothing was written"));
        }
    }
    Ok(first)
}

fn read_secret(tty: bool, prompt: &str) -> Result<Zeroizing<String>, Failure> {
    if tty {
        eprint!("{prompt}: ");
    }
    let echo = tty.then(EchoOff::new);
    let mut line = Zeroizing::new(String::new());
    let read = std::io::stdin().lock().read_line(&mut line);
    drop(echo);
    if tty {
        eprintln!();
    }
    read.map_err(|e| usage(format!("cannot read the passphrase: {e}")))?;
    let trimmed = line.trim_end_matches(['\r', '\n']).to_owned();
    Ok(Zeroizing::new(trimmed))
}

/// The terminal's echo, off while a passphrase is typed and back on when dropped.
struct EchoOff(#[cfg(unix)] Option<libc::termios>);

impl EchoOff {
    #[cfg(unix)]
    #[allow(unsafe_code)]
    fn new() -> EchoOff {
        // SAFETY: tcgetattr fills the zeroed struct for fd 0 or fails (then nothing changes);
        // tcsetattr only reads it.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return EchoOff(None);
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return EchoOff(None);
            }
            EchoOff(Some(saved))
        }
    }

    #[cfg(not(unix))]
    fn new() -> EchoOff {
        EchoOff()
    }
}

impl Drop for EchoOff {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(saved) = self.0 {
            // SAFETY: restores the settings read in `new` on the same descriptor.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &saved);
            }
        }
    }
}
