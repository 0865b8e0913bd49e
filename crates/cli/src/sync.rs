//! `jiayuan sync`: log this store in to the server, sync now, see the status and conflicts,
//! and run the sync simulation (`sync sim`, replayable from its seed).

use std::io::{IsTerminal, Read as _};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand};
use jiayuan_core::sync::{client, sim, view};
use jiayuan_core::SystemClock;
use jiayuan_net::{HttpClient, TrustedCa};

use crate::cmd::{open, usage, Failure};

#[derive(Subcommand, Debug)]
pub enum SyncCmd {
    /// Log this store in (the login is kept in the store; work goes on offline).
    Login(LoginArgs),
    /// Push what waits, pull what is new.
    Now,
    /// Online or not, last sync, operations waiting, conflicts.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Overwritten values and refused operations.
    Conflicts {
        #[arg(long)]
        json: bool,
    },
    /// Forget the login (the work stays and waits for the next).
    Logout,
    /// The sync simulation: five devices and a server, scripts of commands, partitions,
    /// crashes and clock skew, every promise checked after healing.
    Sim(SimArgs),
}

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The server's address, e.g. https://192.168.1.10:8787 (a certificate of the district's
    /// own CA, or a self-signed one, is trusted with JIAYUAN_CA_CERT=ca.pem)
    #[arg(long)]
    pub server: String,
    #[arg(long)]
    pub user: String,
    /// The password is read from JIAYUAN_PASSWORD, else from standard input.
    #[arg(long, default_value = "command line")]
    pub device_name: String,
}

#[derive(Args, Debug)]
pub struct SimArgs {
    #[arg(long, default_value_t = 10_000)]
    pub scripts: u64,
    /// The first script's seed; script i uses seed + i.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Steps per script.
    #[arg(long, default_value_t = 60)]
    pub steps: usize,
}

fn password() -> Result<String, Failure> {
    if let Ok(p) = std::env::var("JIAYUAN_PASSWORD") {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        eprintln!("password (then Enter):");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_to_string(&mut line)
        .map_err(|e| usage(format!("cannot read the password: {e}")))?;
    let p = line.lines().next().unwrap_or_default().to_owned();
    if p.is_empty() {
        return Err(usage("no password given (set JIAYUAN_PASSWORD or type it on standard input)"));
    }
    Ok(p)
}

/// The server's client, also trusting the district's CA when JIAYUAN_CA_CERT names one.
fn http(url: String) -> Result<HttpClient, Failure> {
    let ca = TrustedCa::from_env().map_err(|e| usage(e.to_string()))?;
    Ok(HttpClient::with_ca(url, ca.as_ref()))
}

pub fn run(db: Option<PathBuf>, cmd: SyncCmd) -> Result<(), Failure> {
    match cmd {
        SyncCmd::Login(a) => {
            let mut store = open(db)?;
            let url = a.server.trim_end_matches('/').to_owned();
            client::login(
                &mut store,
                &http(url.clone())?,
                &url,
                &a.user,
                &password()?,
                &a.device_name,
            )?;
            let s = view::status(&store)?;
            println!(
                "logged in as {} ({}) in {}{}",
                s.display_name.unwrap_or_default(),
                s.role.unwrap_or_default(),
                s.district,
                s.scope_path
                    .filter(|p| !p.is_empty())
                    .map(|p| format!(" / {p}"))
                    .unwrap_or_default()
            );
        }
        SyncCmd::Now => {
            let mut store = open(db)?;
            let Some(url) = view::status(&store)?.server_url else {
                return Err(usage("log in first: jiayuan sync login --server URL --user NAME"));
            };
            let started = Instant::now();
            let report = client::sync(&mut store, &SystemClock, &http(url)?, &mut |p| {
                if std::io::stderr().is_terminal() {
                    eprint!("\r{} {}/{}   ", p.phase, p.done, p.total);
                }
            });
            let report = match report {
                // Revoked: nothing more was pushed; the store goes, as the app's does.
                Err(jiayuan_core::CoreError::Sync(
                    jiayuan_core::sync::client::NetError::Revoked,
                )) => {
                    let path = store.path().map(std::path::Path::to_path_buf);
                    drop(store);
                    if let Some(path) = path {
                        jiayuan_core::store::wipe_files(&path)?;
                    }
                    return Err(jiayuan_core::CoreError::Wiped.into());
                }
                other => other?,
            };
            if std::io::stderr().is_terminal() {
                eprintln!();
            }
            println!(
                "pushed {} ({} refused), pulled {} rows, at {} of {} in {:.1} s",
                report.pushed,
                report.rejected,
                report.pulled,
                report.cursor,
                report.head,
                started.elapsed().as_secs_f64()
            );
        }
        SyncCmd::Status { json } => {
            let s = view::status(&open(db)?)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s).map_err(|e| usage(e.to_string()))?);
            } else {
                println!(
                    "{}; last sync {}; {} waiting; {} to look at{}",
                    if !s.logged_in {
                        "not logged in"
                    } else if s.online {
                        "online"
                    } else {
                        "offline"
                    },
                    s.last_sync_at.as_deref().unwrap_or("never"),
                    s.waiting,
                    s.conflicts,
                    s.last_error.map(|e| format!("; last error: {e}")).unwrap_or_default()
                );
            }
        }
        SyncCmd::Conflicts { json } => {
            let c = view::conflicts(&open(db)?)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&c).map_err(|e| usage(e.to_string()))?);
            } else {
                for x in &c.conflicts {
                    println!(
                        "{}  {} {}: {} ({}, {}) replaced by {} ({}, {})",
                        x.id,
                        x.label,
                        x.field,
                        x.lost,
                        x.lost_by,
                        x.lost_at,
                        x.won,
                        x.won_by,
                        x.won_at
                    );
                }
                for r in &c.rejections {
                    println!("{}  refused {} at {}: {}", r.op_id, r.kind, r.at, r.reason);
                }
            }
        }
        SyncCmd::Logout => {
            client::logout(&mut open(db)?)?;
            println!("logged out; the work stays in the store");
        }
        SyncCmd::Sim(a) => {
            let started = Instant::now();
            let mut total = sim::Report::default();
            for i in 0..a.scripts {
                let seed = a.seed + i;
                let report = sim::run(&sim::script(seed, a.steps))
                    .map_err(|e| Failure { exit: 1, message: format!("seed {seed}: {e}") })?;
                total.ops += report.ops;
                total.applied += report.applied;
                total.rejected += report.rejected;
                total.residents += report.residents;
                total.requests += report.requests;
                total.volunteers += report.volunteers;
                total.assignments += report.assignments;
                total.entries += report.entries;
                if (i + 1) % 500 == 0 {
                    eprintln!("{} scripts, {:.0} s", i + 1, started.elapsed().as_secs_f64());
                }
            }
            println!(
                "{} scripts from seed {} ({} steps each): all converged; {} ops ({} applied, {} refused by the server's rules), {} residents, {} requests, {} volunteers, {} assignments, {} points entries; {:.1} s",
                a.scripts, a.seed, a.steps, total.ops, total.applied, total.rejected, total.residents, total.requests,
                total.volunteers, total.assignments, total.entries, started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}
