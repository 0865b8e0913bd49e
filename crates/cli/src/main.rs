//! `jiayuan`: the command line over Jiayuan Desk's core (import, export, search, demo, bench).
//!
//! Exit codes: 0 done; 2 the input cannot be used (unreadable file, not a roster, over a
//! limit, bad arguments), with one line on stderr and nothing written; 1 a fault of the program.

mod backup;
mod bench;
mod bench_desk;
mod bench_dispatch;
mod bench_queue;
mod bench_sync;
mod cmd;
mod requests;
mod server;
mod sync;
mod volunteers;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// mimalloc instead of the system allocator: an import allocates and frees millions of small
/// strings across two threads, where glibc's malloc spent a quarter of the time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "jiayuan",
    version,
    about = "Jiayuan Desk on the command line: rosters, residents, requests, exports"
)]
struct Cli {
    /// The store (default: jiayuan.db in the per-user data folder the desktop app uses).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<std::path::PathBuf>,
    /// Language of messages: zh-CN or en (default: the system's).
    #[arg(long, global = true, value_name = "LANG")]
    lang: Option<String>,
    /// Open the store without encryption: only for measuring what encryption costs
    /// (`bench import`); an official's store is always encrypted.
    #[arg(long, global = true, hide = true)]
    unencrypted: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Import rosters, list or undo import batches.
    #[command(subcommand)]
    Import(ImportCmd),
    /// Export residents or the blank roster template.
    #[command(subcommand)]
    Export(ExportCmd),
    /// Find residents.
    #[command(subcommand)]
    Residents(ResidentsCmd),
    /// The request queue, intake and each step of a request's life.
    #[command(subcommand)]
    Requests(requests::RequestsCmd),
    /// Volunteers, dispatch, assignments and the points ledger.
    #[command(subcommand)]
    Volunteers(volunteers::VolunteersCmd),
    /// Fill a store with a realistic demo district (default: the separate demo store).
    Demo(DemoArgs),
    /// The store's figures: residents, requests, volunteers, operations waiting to sync,
    /// conflicts (the store is encrypted: scripts ask here rather than open it).
    Stats {
        /// As one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks that print figures.
    #[command(subcommand)]
    Bench(BenchCmd),
    /// The sync server (`jiayuan server` serves; `server user …`, `server device …` manage it).
    Server(server::ServerArgs),
    /// This store and the server: log in, sync, status, conflicts; the sync simulation.
    #[command(subcommand)]
    Sync(sync::SyncCmd),
    /// Write the store to FILE, encrypted under a passphrase of its own (JIAYUAN_BACKUP_PASSPHRASE,
    /// else asked): to move to a new laptop, work not yet synced included.
    Backup { file: std::path::PathBuf },
    /// Make a backup this computer's store (--db, else the data folder's), encrypted with this
    /// folder's key. Only into a store with no work of its own; it takes a new identity and no
    /// login: sign in again after.
    Restore { file: std::path::PathBuf },
}

#[derive(Subcommand, Debug)]
enum ImportCmd {
    /// Import a resident roster (CSV/TSV/TXT, XLSX, XLS, ODS).
    Residents(ImportArgs),
    /// Undo a whole import batch.
    Undo { batch: String },
    /// List import batches, newest first.
    History,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    pub file: std::path::PathBuf,
    /// A column mapping: a JSON file `{"columns": {"header text": "field"}}`, or the name of
    /// a mapping saved with --save-mapping.
    #[arg(long, value_name = "FILE.json|NAME")]
    pub mapping: Option<String>,
    /// Save the mapping given with --mapping under this name, for later imports.
    #[arg(long, value_name = "NAME")]
    pub save_mapping: Option<String>,
    /// Import only this sheet.
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Report what the import would do and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also write the report as JSON here.
    #[arg(long, value_name = "PATH")]
    pub report: Option<std::path::PathBuf>,
}

#[derive(Subcommand, Debug)]
enum ExportCmd {
    /// Residents to FILE.csv or FILE.xlsx.
    Residents {
        file: std::path::PathBuf,
        #[arg(long)]
        community: Option<String>,
        #[arg(long)]
        grid: Option<String>,
        #[arg(long)]
        tag: Option<String>,
    },
    /// An empty roster whose identity-number and phone columns are formatted as text.
    Template { file: std::path::PathBuf },
}

#[derive(Subcommand, Debug)]
enum ResidentsCmd {
    /// Search by part of a name, an address, a phone or an identity number.
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print as JSON (identity numbers and phones still masked).
        #[arg(long)]
        json: bool,
    },
    /// How many residents the store holds.
    Count,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// How many residents.
    #[arg(long, default_value_t = 20_000)]
    pub residents: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Requests a day over the last 30 days, taken through their lives by the real commands.
    #[arg(long, default_value_t = jiayuan_core::desk::DEMO_REQUESTS_PER_DAY)]
    pub requests_per_day: u32,
    /// Replace an existing demo store.
    #[arg(long)]
    pub replace: bool,
    /// Only print where the demo store is.
    #[arg(long = "where")]
    pub print_path: bool,
}

#[derive(Subcommand, Debug)]
enum BenchCmd {
    /// Import a generated roster and compare with `sqlite3 .import` of the same file.
    Import(bench::ImportBench),
    /// Open a big store and time the residents screen: first page, scrolling, search p50/p95.
    Desk(bench_desk::DeskBench),
    /// Build a store of a million requests and time the triage queue's first page (p50/p95).
    Queue(bench_queue::QueueBench),
    /// The sync server under load (SQLite, or --postgres): first sync of a district, push
    /// throughput, hundreds of devices reconnecting.
    Sync(bench_sync::SyncBench),
    /// Ranking the volunteers of a big district for one request (p50/p95).
    Dispatch(bench_dispatch::DispatchBench),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server logs each request by default. tokio-postgres logs query parameters (personal
    // data) at debug, so it stays at warn whatever JIAYUAN_LOG asks.
    let default = if matches!(cli.command, Command::Server(_)) { "info" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("JIAYUAN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let filter = match "tokio_postgres=warn".parse() {
        Ok(d) => filter.add_directive(d),
        Err(_) => filter,
    };
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter).init();
    let lang = match cli.lang.as_deref().map(jiayuan_core::i18n::Lang::from_tag) {
        Some(Some(l)) => l,
        Some(None) => {
            eprintln!("jiayuan: --lang takes zh-CN or en");
            return ExitCode::from(2);
        }
        None => jiayuan_core::i18n::Lang::from_env(),
    };
    cmd::set_unencrypted(cli.unencrypted);
    let result = match cli.command {
        Command::Import(ImportCmd::Residents(args)) => cmd::import(cli.db, lang, &args),
        Command::Import(ImportCmd::Undo { batch }) => cmd::undo(cli.db, &batch),
        Command::Import(ImportCmd::History) => cmd::history(cli.db),
        Command::Export(ExportCmd::Residents { file, community, grid, tag }) => {
            let filter = jiayuan_core::residents::Filter { community, grid, tag };
            cmd::export(cli.db, &file, &filter)
        }
        Command::Export(ExportCmd::Template { file }) => cmd::template(&file),
        Command::Residents(ResidentsCmd::Search { query, limit, json }) => {
            cmd::search(cli.db, &query, limit, json)
        }
        Command::Residents(ResidentsCmd::Count) => cmd::count(cli.db),
        Command::Requests(c) => requests::run(cli.db, c),
        Command::Volunteers(c) => volunteers::run(cli.db, lang, c),
        Command::Demo(args) => cmd::demo(cli.db, &args),
        Command::Stats { json } => cmd::stats(cli.db, json),
        Command::Bench(BenchCmd::Import(args)) => bench::import(&args),
        Command::Bench(BenchCmd::Desk(args)) => bench_desk::desk(&args),
        Command::Bench(BenchCmd::Queue(args)) => bench_queue::queue_bench(&args),
        Command::Bench(BenchCmd::Sync(args)) => bench_sync::sync_bench(&args),
        Command::Bench(BenchCmd::Dispatch(args)) => bench_dispatch::dispatch_bench(&args),
        Command::Server(args) => server::run(&args),
        Command::Sync(cmd) => sync::run(cli.db, cmd),
        Command::Backup { file } => backup::backup(cli.db, &file),
        Command::Restore { file } => backup::restore(cli.db, &file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jiayuan: {}", e.message);
            ExitCode::from(e.exit)
        }
    }
}
