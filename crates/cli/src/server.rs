//! `jiayuan server`: runs the sync server, and manages its users and devices.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use jiayuan_core::chrono::{TimeZone, Utc};
use jiayuan_core::sync::access::{AccessAction, AccessReport, AccessRequest};
use jiayuan_core::sync::Role;
use jiayuan_core::SystemClock;
use jiayuan_server::{tls, Config, NewUser, Server, ServerError};

use crate::cmd::{usage, Failure};

#[derive(Args, Debug)]
pub struct ServerArgs {
    /// Where to listen. Beyond this computer (0.0.0.0, ::, a LAN address) the server needs
    /// --tls-cert and --tls-key, or --plain-http-behind-proxy.
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDR")]
    listen: String,
    /// The server's certificate chain, PEM (its own certificate first, then any
    /// intermediates). With --tls-key the server answers HTTPS only.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of that certificate, PEM.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP where other machines can reach it, because a reverse proxy in front
    /// terminates TLS and is the only way in (a warning says so at each start).
    #[arg(long, conflicts_with = "tls_cert")]
    plain_http_behind_proxy: bool,
    /// The server's folder (default: the per-user data folder the app uses); SQLite's
    /// `server.db` lives there.
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// `postgres://user@host/db` to keep everything in PostgreSQL instead of SQLite.
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// A load balancer or reverse proxy in front of this server (repeat for several): logins
    /// through it are rate-limited by the address it forwards in X-Forwarded-For.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// The district of the admin the first start creates.
    #[arg(long, default_value = "本区", value_name = "NAME")]
    district: String,
    #[command(subcommand)]
    command: Option<ServerCmd>,
}

#[derive(Subcommand, Debug)]
enum ServerCmd {
    /// Accounts: add, revoke, list.
    #[command(subcommand)]
    User(UserCmd),
    /// Devices users logged in from: revoke, list.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Who revealed residents' identity numbers or phones, and who exported or printed lists
    /// of them, per place, over a period (every computer's record, as synced).
    Audit {
        #[arg(long, default_value = "本区")]
        district: String,
        /// The period: the last N days up to now.
        #[arg(long, default_value_t = 30, conflicts_with = "since")]
        days: u32,
        /// The period: from this day (YYYY-MM-DD, UTC) up to now.
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// The report as JSON, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Apply the districts' retention now: finished requests and health tags older than each
    /// district keeps them are removed here and, at their next sync, on every device; their
    /// counts stay for reports.
    Purge {
        /// Only this district (default: every district with accounts).
        #[arg(long = "district", value_name = "NAME")]
        only: Option<String>,
        /// Count what would go; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete earlier purges' tombstones once the devices have pulled them; a device that has
    /// not pulls its district again at its next sync.
    ForgetTombstones {
        /// Only this district (default: every district with accounts).
        #[arg(long = "district", value_name = "NAME")]
        only: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum UserCmd {
    /// Add a user; without --password one is generated and printed once.
    Add {
        name: String,
        /// city_admin, district_supervisor, street_official, community_official, grid_lead or
        /// grid_official.
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "本区")]
        district: String,
        /// The area granted, as names under the district: "街道/社区/网格" (empty: all of it).
        #[arg(long, default_value = "")]
        scope: String,
        /// The name shown in the app (default: the user name).
        #[arg(long, default_value = "")]
        display_name: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// Block the user's logins and revoke all their devices.
    Revoke {
        name: String,
    },
    List,
}

#[derive(Subcommand, Debug)]
enum DeviceCmd {
    /// Revoke a device: its tokens stop working at once, and it wipes its store at its next contact.
    Revoke {
        device_id: String,
    },
    List,
}

impl From<ServerError> for Failure {
    fn from(e: ServerError) -> Self {
        let exit = match e {
            ServerError::Storage(_) => 1,
            _ => 2,
        };
        Failure { exit, message: e.to_string() }
    }
}

fn open(args: &ServerArgs) -> Result<Server, Failure> {
    let dir = args.data.clone().unwrap_or_else(jiayuan_core::store::default_data_dir);
    let storage =
        jiayuan_server::open_storage(&dir, args.database_url.as_deref()).map_err(|e| Failure {
            exit: 1,
            message: format!("cannot open the server's database: {e}"),
        })?;
    let config = Config { trusted_proxies: args.trusted_proxies.clone(), ..Config::default() };
    Ok(Server::new(storage, Arc::new(SystemClock), config))
}

fn when(ms: Option<i64>) -> String {
    match ms.and_then(|ms| Utc.timestamp_millis_opt(ms).single()) {
        Some(t) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        None => "-".into(),
    }
}

pub fn run(args: &ServerArgs) -> Result<(), Failure> {
    let Some(command) = &args.command else {
        return serve(args);
    };
    let server = open(args)?;
    match command {
        ServerCmd::User(UserCmd::Add { name, role, district, scope, display_name, password }) => {
            let role = Role::parse(role).ok_or_else(|| {
                usage(format!(
                    "--role takes one of {}",
                    Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
                ))
            })?;
            let generated = password.is_none();
            let password =
                password.clone().unwrap_or_else(jiayuan_server::accounts::generate_password);
            let user = server.add_user(&NewUser {
                name: name.clone(),
                display_name: display_name.clone(),
                role,
                district: district.clone(),
                scope_path: scope.clone(),
                password: password.clone(),
            })?;
            let scope = if user.scope_path.is_empty() {
                "the whole district"
            } else {
                user.scope_path.as_str()
            };
            println!("added {} ({}) in {}: {scope}", user.name, user.role.as_str(), user.district);
            if generated {
                println!("password: {password}   (shown once; give it to {} in person)", user.name);
            }
            Ok(())
        }
        ServerCmd::User(UserCmd::Revoke { name }) => {
            server.revoke_user(name)?;
            println!("{name} can no longer log in; all their devices are revoked");
            Ok(())
        }
        ServerCmd::User(UserCmd::List) => {
            for u in server.users()? {
                let scope = if u.scope_path.is_empty() {
                    "(whole district)"
                } else {
                    u.scope_path.as_str()
                };
                let state = if u.disabled { "revoked" } else { "active" };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    u.name,
                    u.display_name,
                    u.role.as_str(),
                    u.district,
                    scope,
                    state
                );
            }
            Ok(())
        }
        ServerCmd::Audit { district, days, since, json } => {
            let to_ms = Utc::now().timestamp_millis();
            let from_ms = match since {
                Some(day) => jiayuan_core::chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                    .map_err(|_| usage(format!("--since takes a day as YYYY-MM-DD, not “{day}”")))?
                    .and_hms_opt(0, 0, 0)
                    .map_or(0, |t| t.and_utc().timestamp_millis()),
                None => to_ms - i64::from(*days) * 86_400_000,
            };
            let report =
                server.access_report_of(district, None, &AccessRequest { from_ms, to_ms })?;
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).map_err(|e| usage(e.to_string()))?
                );
            } else {
                print_access(&report);
            }
            Ok(())
        }
        ServerCmd::Purge { only, dry_run } => {
            let now = jiayuan_core::Clock::now(&SystemClock).timestamp_millis();
            for (district, r) in server.purge(only.as_deref(), now, *dry_run)? {
                let verb = if *dry_run { "would remove" } else { "removed" };
                println!(
                    "{district}: {verb} {} requests ({} events, {} assignment notes, {} conflicts), \
                     {} health tags of {} residents; {} tally rows",
                    r.requests, r.events, r.assignments, r.conflicts, r.tags, r.residents, r.tallies
                );
            }
            Ok(())
        }
        ServerCmd::ForgetTombstones { only } => {
            for (district, gone, horizon) in server.forget_tombstones(only.as_deref())? {
                println!("{district}: {gone} tombstones forgotten; devices behind version {horizon} pull again");
            }
            Ok(())
        }
        ServerCmd::Device(DeviceCmd::Revoke { device_id }) => {
            server.revoke_device(device_id)?;
            println!("device {device_id} is revoked");
            Ok(())
        }
        ServerCmd::Device(DeviceCmd::List) => {
            let users = server.users()?;
            for d in server.devices()? {
                let user =
                    users.iter().find(|u| u.id == d.user_id).map_or("?", |u| u.name.as_str());
                let state = if d.wiped_ms.is_some() {
                    format!("revoked {}, told to wipe {}", when(d.revoked_ms), when(d.wiped_ms))
                } else if d.revoked_ms.is_some() {
                    format!("revoked {}", when(d.revoked_ms))
                } else {
                    "active".into()
                };
                println!(
                    "{}\t{user}\t{}\tsite {}\tsince {}\tlast seen {}\t{state}",
                    d.id,
                    d.name,
                    d.site_id,
                    when(Some(d.created_ms)),
                    when(d.last_seen_ms)
                );
            }
            Ok(())
        }
    }
}

fn print_access(report: &AccessReport) {
    println!(
        "Access to residents' data in {}, {} to {}",
        report.district,
        when(Some(report.from_ms)),
        when(Some(report.to_ms))
    );
    if report.places.is_empty() {
        println!("no identity number or phone was revealed and nothing was exported or printed");
    }
    for p in &report.places {
        let place = if p.place.is_empty() { "(the whole district)" } else { p.place.as_str() };
        println!();
        println!("{place}: {} revealed, {} exported or printed", p.reveals, p.exports);
        for e in &p.entries {
            let what = match e.action {
                AccessAction::Reveal => {
                    let field = match e.field.as_deref() {
                        Some("phone") => "the phone",
                        _ => "the identity number",
                    };
                    let whose = e.resident.as_deref().or(e.resident_id.as_deref()).unwrap_or("?");
                    format!("revealed {field} of {whose}")
                }
                AccessAction::Export => format!(
                    "exported {} residents to {}",
                    e.count.unwrap_or(0),
                    e.file.as_deref().unwrap_or("a file")
                ),
                AccessAction::Print => format!(
                    "printed a {} list of {} residents",
                    if e.list.as_deref() == Some("doors") { "door-to-door" } else { "call" },
                    e.count.unwrap_or(0)
                ),
                AccessAction::Backup => format!(
                    "backed up the whole store ({} residents) to {}",
                    e.count.unwrap_or(0),
                    e.file.as_deref().unwrap_or("a file")
                ),
                AccessAction::ExportRejected => format!(
                    "wrote {} rejected roster rows to {}",
                    e.count.unwrap_or(0),
                    e.file.as_deref().unwrap_or("a file")
                ),
            };
            let detail = e.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
            println!("  {}  {} on {}: {what}{detail}", when(Some(e.received_ms)), e.who, e.device);
        }
    }
}

/// Where and how to serve, decided before anything is opened: a refused start leaves no
/// database and no admin behind.
fn serve(args: &ServerArgs) -> Result<(), Failure> {
    let addrs = tls::resolve(&args.listen).map_err(|e| usage(e.to_string()))?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            Some(tls::load(cert, key).map_err(|e| usage(format!("cannot serve HTTPS: {e}")))?)
        }
        _ => None,
    };
    if tls.is_none() {
        match tls::plain_http(&addrs, args.plain_http_behind_proxy) {
            Ok(None) => {}
            Ok(Some(addr)) => tracing::warn!(
                %addr,
                "serving plain HTTP where other machines can reach it (--plain-http-behind-proxy): \
                 safe only if the reverse proxy in front terminates TLS and is the only way in"
            ),
            Err(e) => {
                return Err(usage(format!(
                    "refusing to start: {e}.\n\
                     - Give the server a certificate and its key (PEM files):\n    \
                     jiayuan server --listen {listen} --tls-cert server.pem --tls-key server.key\n  \
                     a district's own CA or a self-signed certificate works too: laptops then \
                     trust it with JIAYUAN_CA_CERT (README, \"A district's server on the network\").\n\
                     - Behind a reverse proxy that terminates TLS and is the only way in, add \
                     --plain-http-behind-proxy instead.\n\
                     - For this computer alone, listen on 127.0.0.1 (the default).",
                    listen = args.listen
                )))
            }
        }
    }
    let server = open(args)?;
    let first = server.ensure_admin(&args.district)?;
    let backend = server.storage().backend();
    let server = Arc::new(server);
    let scheme = if tls.is_some() { "https" } else { "http" };
    jiayuan_server::run(server, &addrs, tls, |addr| {
        println!("jiayuan sync server on {scheme}://{addr} ({backend}); Ctrl-C stops it");
        if let Some(admin) = first {
            // 0.0.0.0 or :: is where it listens, not an address a laptop can use.
            let reach = if addr.ip().is_unspecified() {
                format!("{scheme}://<this server's name or address>:{}", addr.port())
            } else {
                format!("{scheme}://{addr}")
            };
            println!();
            println!(
                "First start: an administrator of {} was created. Log in from the app with",
                admin.user.district
            );
            println!("  server:    {reach}");
            println!("  user name: {}", admin.user.name);
            println!("  password:  {}", admin.password);
            println!(
                "This password is shown only now. Add officials with `jiayuan server user add`."
            );
        }
    })
    .map_err(|e| usage(format!("cannot serve on {}: {e}", args.listen)))
}
