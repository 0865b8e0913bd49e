//! The commands: each opens the store, builds the context (store, system clock, the store's
//! local profile as actor) and calls core. Errors become an exit code and one line.

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use jiayuan_core::i18n::Lang;
use jiayuan_core::import::{self, ImportOptions, ImportReport, Progress};
use jiayuan_core::residents::{self, Filter};
use jiayuan_core::{identity, Actor, CoreError, Ctx, Store, SystemClock};

use crate::{DemoArgs, ImportArgs};

/// Why a command failed, and the exit code that says so.
#[derive(Debug)]
pub struct Failure {
    pub exit: u8,
    pub message: String,
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Self {
        let exit = match &e {
            CoreError::Read(_)
            | CoreError::Invalid(_)
            | CoreError::NotFound(_)
            | CoreError::NotAllowed(_)
            | CoreError::StoreOpen { .. }
            | CoreError::SchemaTooNew { .. }
            | CoreError::WrongPassphrase
            | CoreError::StoreLocked { .. }
            | CoreError::WrongKey { .. }
            | CoreError::WrongBackupPassphrase
            | CoreError::NotABackup { .. }
            | CoreError::BackupDamaged { .. }
            | CoreError::WeakPassphrase(_)
            | CoreError::RestoreRefused(_)
            | CoreError::KeyMissing(_)
            | CoreError::Wiped
            | CoreError::Cancelled => 2,
            _ => 1,
        };
        Failure { exit, message: e.to_string() }
    }
}

pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure { exit: 2, message: message.into() }
}

type Outcome = Result<(), Failure>;

pub(crate) fn open(db: Option<PathBuf>) -> Result<Store, Failure> {
    let path = db.unwrap_or_else(jiayuan_core::store::default_store_path);
    open_at(&path)
}

static UNENCRYPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--unencrypted` (hidden; for benchmarks): stores opened without a key.
pub(crate) fn set_unencrypted(on: bool) {
    UNENCRYPTED.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// The store at `path`, opened with its folder's key (the keychain, else `JIAYUAN_PASSPHRASE`).
pub(crate) fn open_at(path: &std::path::Path) -> Result<Store, Failure> {
    if UNENCRYPTED.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(Store::open(path, None)?);
    }
    let key = store_key(path)?;
    Ok(Store::open(path, Some(&key))?)
}

pub(crate) fn store_key(path: &std::path::Path) -> Result<jiayuan_core::store::StoreKey, Failure> {
    use jiayuan_core::store::keying;
    let dir =
        path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let passphrase = std::env::var(keying::PASSPHRASE_ENV)
        .ok()
        .filter(|p| !p.is_empty())
        .map(zeroize::Zeroizing::new);
    Ok(keying::key_without_asking(dir, passphrase.as_ref().map(|p| p.as_str()))?)
}

/// The logged-in account, or the local profile before anyone has logged in (design brief).
pub(crate) fn actor(store: &Store) -> Actor {
    Actor::current(store)
}

fn mapping(store: &Store, args: &ImportArgs) -> Result<Option<import::header::Mapping>, Failure> {
    let Some(given) = &args.mapping else { return Ok(None) };
    let text = if Path::new(given).is_file() {
        std::fs::read_to_string(given)
            .map_err(|e| usage(format!("cannot read the mapping {given}: {e}")))?
    } else {
        store
            .setting(&format!("mapping.{given}"))?
            .ok_or_else(|| usage(format!("no mapping file or saved mapping named “{given}”")))?
    };
    let parsed: import::header::Mapping = serde_json::from_str(&text).map_err(|e| {
        usage(format!(
            "the mapping {given} is not shaped {{\"columns\": {{\"header text\": \"field\"}}}}: {e}"
        ))
    })?;
    if let Some(name) = &args.save_mapping {
        store.set_setting(&format!("mapping.{name}"), &text)?;
    }
    Ok(Some(parsed))
}

pub fn import(db: Option<PathBuf>, lang: Lang, args: &ImportArgs) -> Outcome {
    let mut store = open(db)?;
    let mapping = mapping(&store, args)?;
    let actor = actor(&store);
    let opts = ImportOptions {
        mapping,
        sheet: args.sheet.clone(),
        dry_run: args.dry_run,
        lang: Some(lang),
        ..ImportOptions::default()
    };
    let tty = std::io::stderr().is_terminal();
    let mut last_shown = std::time::Instant::now();
    let mut progress = |p: Progress| {
        if tty && last_shown.elapsed().as_millis() >= 200 {
            last_shown = std::time::Instant::now();
            eprint!("\r{} / {} rows", p.rows_done, p.rows_expected);
        }
    };
    let cancel = AtomicBool::new(false);
    let mut ctx = Ctx::new(&mut store, &SystemClock, &actor);
    let report = import::import_file(&mut ctx, &args.file, &opts, &mut progress, &cancel);
    if tty {
        eprint!("\r\x1b[K");
    }
    let report = report?;
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure { exit: 1, message: e.to_string() })?;
        std::fs::write(path, json)
            .map_err(|e| usage(format!("cannot write the report to {}: {e}", path.display())))?;
    }
    print_report(&report, lang);
    Ok(())
}

fn print_report(r: &ImportReport, lang: Lang) {
    let zh = lang == Lang::ZhCn;
    let mut out = std::io::stdout().lock();
    let enc = r.encoding.as_deref().map(|e| format!(", {e}")).unwrap_or_default();
    let _ = writeln!(
        out,
        "{} ({}{enc}){}",
        r.file,
        r.format,
        if r.dry_run {
            if zh {
                " — 试运行，未写入"
            } else {
                " — dry run, nothing written"
            }
        } else {
            ""
        }
    );
    for s in &r.sheets {
        let _ = if zh {
            writeln!(
                out,
                "  {}: 表头在第 {} 行，{} 行 → 新增 {}，更新 {}，无变化 {}",
                s.name, s.header_row, s.rows, s.created, s.updated, s.unchanged
            )
        } else {
            writeln!(
                out,
                "  {}: header on row {}, {} rows → {} created, {} updated, {} unchanged",
                s.name, s.header_row, s.rows, s.created, s.updated, s.unchanged
            )
        };
    }
    for s in &r.skipped_sheets {
        let _ =
            writeln!(out, "  {}: {} ({})", s.name, if zh { "跳过" } else { "skipped" }, s.reason);
    }
    let _ = if zh {
        writeln!(
            out,
            "共读 {} 行：新增 {}，更新 {}，无变化 {}，拒绝 {}，重复 {}，空行 {}，提醒 {}",
            r.rows_read,
            r.created,
            r.updated,
            r.unchanged,
            r.rejected.len(),
            r.duplicates.len(),
            r.blank_rows,
            r.warnings.len()
        )
    } else {
        writeln!(out, "{} rows read: {} created, {} updated, {} unchanged, {} rejected, {} duplicates, {} blank, {} warnings", r.rows_read, r.created, r.updated, r.unchanged, r.rejected.len(), r.duplicates.len(), r.blank_rows, r.warnings.len())
    };
    const SHOWN: usize = 50;
    for p in r.rejected.iter().take(SHOWN) {
        let _ = writeln!(
            out,
            "  ✗ {} {} {:>6}  {}: {}",
            if zh { "拒绝" } else { "rejected" },
            p.sheet,
            p.row,
            p.code,
            p.message
        );
    }
    for p in r.warnings.iter().take(SHOWN) {
        let _ = writeln!(
            out,
            "  ! {} {} {:>6}  {}: {}",
            if zh { "提醒" } else { "warning" },
            p.sheet,
            p.row,
            p.code,
            p.message
        );
    }
    for d in r.duplicates.iter().take(SHOWN) {
        let _ = writeln!(
            out,
            "  = {} {} {:>6}  {} {} {}",
            if zh { "重复" } else { "duplicate" },
            d.sheet,
            d.row,
            if zh { "同" } else { "same as" },
            d.same_as_sheet,
            d.same_as_row
        );
    }
    let more = r.rejected.len().saturating_sub(SHOWN)
        + r.warnings.len().saturating_sub(SHOWN)
        + r.duplicates.len().saturating_sub(SHOWN);
    if more > 0 {
        let _ = writeln!(
            out,
            "  … {more} {}",
            if zh {
                "条未列出，完整清单见 --report"
            } else {
                "more not shown; --report PATH writes them all"
            }
        );
    }
    if let Some(b) = &r.batch_id {
        let _ = writeln!(
            out,
            "batch {b}  ({} jiayuan import undo {b})",
            if zh { "撤销：" } else { "undo:" }
        );
    }
    let _ = writeln!(out, "{:.2} s", r.seconds);
}

pub fn undo(db: Option<PathBuf>, batch: &str) -> Outcome {
    let mut store = open(db)?;
    let actor = actor(&store);
    let report = import::undo_batch(&mut Ctx::new(&mut store, &SystemClock, &actor), batch)?;
    println!("removed {} residents, restored {} fields", report.removed, report.restored_fields);
    for k in &report.kept {
        println!("  kept (edited since the import): {} {} {}", k.resident_id, k.name, k.field);
    }
    Ok(())
}

pub fn history(db: Option<PathBuf>) -> Outcome {
    let store = open(db)?;
    for b in import::batches(&store)? {
        println!(
            "{}  {}  {}  read {} created {} updated {} rejected {}{}",
            b.id,
            b.at,
            b.file,
            b.rows_read,
            b.created,
            b.updated,
            b.rejected,
            b.undone_at.map(|u| format!("  (undone {u})")).unwrap_or_default()
        );
    }
    Ok(())
}

pub fn export(db: Option<PathBuf>, file: &Path, filter: &Filter) -> Outcome {
    let mut store = open(db)?;
    let actor = actor(&store);
    let n = jiayuan_core::export::export_residents(
        &mut Ctx::new(&mut store, &SystemClock, &actor),
        file,
        filter,
    )?;
    println!("{n} residents written to {}", file.display());
    Ok(())
}

pub fn template(file: &Path) -> Outcome {
    jiayuan_core::export::write_template(file)?;
    println!("blank roster template written to {}", file.display());
    Ok(())
}

pub fn search(db: Option<PathBuf>, query: &str, limit: u32, json: bool) -> Outcome {
    let store = open(db)?;
    let found = residents::search(&store, query, limit)?;
    let masked = |r: &residents::Resident| {
        (
            r.id_number.as_deref().map(identity::mask_id_number).unwrap_or_default(),
            r.phone.as_deref().map(identity::mask_phone).unwrap_or_default(),
        )
    };
    if json {
        let rows: Vec<_> = found
            .iter()
            .map(|r| {
                let (id_number, phone) = masked(r);
                serde_json::json!({
                    "id": r.id, "name": r.name, "id_number": id_number, "phone": phone,
                    "community": r.community, "grid": r.grid, "building": r.building,
                    "unit": r.unit, "room": r.room, "tags": r.tags,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    for r in &found {
        let (id_number, phone) = masked(r);
        let place: Vec<&str> = [&r.community, &r.grid, &r.building, &r.unit, &r.room]
            .into_iter()
            .filter_map(|v| v.as_deref())
            .collect();
        println!(
            "{}\t{}\t{}\t{}\t{}",
            r.name,
            id_number,
            phone,
            place.join(" "),
            r.tags.join("、")
        );
    }
    if found.is_empty() {
        eprintln!("no resident matches “{query}”");
    }
    Ok(())
}

pub fn count(db: Option<PathBuf>) -> Outcome {
    let store = open(db)?;
    println!("{}", residents::count(&store)?);
    Ok(())
}

pub fn stats(db: Option<PathBuf>, json: bool) -> Outcome {
    let store = open(db)?;
    let c = store.counts()?;
    if json {
        println!("{}", serde_json::to_string(&c).map_err(|e| usage(e.to_string()))?);
        return Ok(());
    }
    println!("residents      {}", c.residents);
    println!("requests       {} ({} open)", c.requests, c.open_requests);
    println!("volunteers     {}", c.volunteers);
    println!("ops waiting    {}", c.ops_waiting);
    println!("conflicts      {}", c.conflicts);
    println!("refused        {}", c.refused);
    println!("schema         {}", c.schema_version);
    Ok(())
}

pub fn demo(db: Option<PathBuf>, args: &DemoArgs) -> Outcome {
    let path = db.unwrap_or_else(jiayuan_core::store::demo_store_path);
    if args.print_path {
        println!("{}", path.display());
        return Ok(());
    }
    if path.exists() {
        if !args.replace {
            let store = open_at(&path)?;
            let n = residents::count(&store)?;
            if n > 0 {
                return Err(usage(format!(
                    "{} already holds {n} residents; add --replace to make a new demo district there",
                    path.display()
                )));
            }
        } else {
            for suffix in ["", "-wal", "-shm"] {
                let p = PathBuf::from(format!("{}{suffix}", path.display()));
                if p.exists() {
                    std::fs::remove_file(&p)
                        .map_err(|e| usage(format!("cannot replace {}: {e}", p.display())))?;
                }
            }
        }
    }
    let mut store = open_at(&path)?;
    store.set_district(jiayuan_core::demo::DEMO_DISTRICT, true)?;
    let actor = actor(&store);
    let today = chrono_today();
    let started = std::time::Instant::now();
    let people = jiayuan_core::demo::people(args.seed, args.residents, today);
    let n =
        residents::create_many(&mut Ctx::new(&mut store, &SystemClock, &actor), people, "demo")?;
    let now = jiayuan_core::Clock::now(&SystemClock);
    let requests = jiayuan_core::requests::demo::month(
        &mut store,
        &actor,
        args.seed,
        now,
        args.requests_per_day,
    )?;
    println!(
        "demo district {} with {n} residents and {requests} requests of the last 30 days in {} ({:.1} s)",
        jiayuan_core::demo::DEMO_DISTRICT,
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn chrono_today() -> jiayuan_core::chrono::NaiveDate {
    use jiayuan_core::Clock;
    SystemClock.now().date_naive()
}
