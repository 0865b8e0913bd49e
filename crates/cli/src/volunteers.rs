//! `jiayuan volunteers`: the list, one volunteer, adding one, dispatch for a request (the
//! ranking with its reasons), what happened with an assignment, the points ledger with
//! redemption and corrections, the leaderboard and the at-risk report.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use jiayuan_core::i18n::Lang;
use jiayuan_core::import::{self, ImportOptions};
use jiayuan_core::volunteers::assignment::{self, AssignInput, Move};
use jiayuan_core::volunteers::availability::{self, Availability};
use jiayuan_core::volunteers::dispatch::Pool;
use jiayuan_core::volunteers::{
    self, points, rank, refdata, report, VolunteerDraft, VolunteerFilter,
};
use jiayuan_core::{Actor, Clock, Ctx, SystemClock};

use crate::cmd::{open, usage, Failure};

#[derive(Subcommand, Debug)]
pub enum VolunteersCmd {
    /// Volunteers by name, with load, track record and points.
    List(ListArgs),
    /// One volunteer: details, latest assignments and ledger.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Add a volunteer.
    Add(AddArgs),
    /// The volunteers for a request, ranked, with the reasons.
    Rank {
        request: String,
        #[arg(long, default_value_t = 10)]
        top: usize,
        #[arg(long)]
        json: bool,
    },
    /// Send a volunteer to a request.
    Assign { request: String, volunteer: String },
    /// Record what happened: accept, decline, start, done, no_show, release (with --note for
    /// decline and release), or confirm (the service was given: points follow).
    Record {
        assignment: String,
        /// accept, decline, start, done, no_show, release or confirm
        what: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// The points ledger (one volunteer's, or everyone's), newest first.
    Ledger {
        #[arg(long)]
        volunteer: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Spend points at a partner shop: prints the voucher code.
    Redeem {
        volunteer: String,
        #[arg(long)]
        shop: String,
        #[arg(long)]
        points: u32,
    },
    /// A correction: a new entry with its reason (never an edit).
    Correct {
        volunteer: String,
        #[arg(long, allow_hyphen_values = true)]
        points: i64,
        #[arg(long)]
        reason: String,
    },
    /// Each grid's volunteers by points earned in the last --days days.
    Leaderboard {
        #[arg(long, default_value_t = 30)]
        days: u32,
        #[arg(long, default_value_t = 5)]
        top: u32,
    },
    /// Volunteers who missed their last task or hold stale assignments.
    AtRisk,
    /// Partner shops (add one with --name).
    Shops {
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "")]
        address: String,
    },
    /// Import a volunteer roster (CSV/TSV/TXT, XLSX, XLS, ODS) in one transaction.
    Import {
        file: PathBuf,
        /// Report what the import would do and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// A column mapping: a JSON file `{"columns": {"header text": "field"}}` whose fields
        /// are name, phone, id_number, street, community, grid, skills, availability,
        /// capacity, health, vehicle, notes, attribute (kept in the notes) or ignore.
        #[arg(long, value_name = "FILE.json")]
        mapping: Option<PathBuf>,
        /// Import only this sheet.
        #[arg(long, value_name = "NAME")]
        sheet: Option<String>,
        /// Also write the report as JSON here.
        #[arg(long, value_name = "PATH")]
        report: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[arg(long, default_value = "")]
    pub search: String,
    #[arg(long)]
    pub skill: Option<String>,
    /// An area id: volunteers at home there or below.
    #[arg(long)]
    pub area: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct AddArgs {
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub phone: String,
    #[arg(long)]
    pub id_number: Option<String>,
    /// The home grid or community (an area id).
    #[arg(long)]
    pub area: Option<String>,
    /// Skills, by key or label, comma-separated (送药,driving).
    #[arg(long, default_value = "")]
    pub skills: String,
    /// Weekly availability, as an official writes it (周一至周五 18:00-21:00；周六 全天).
    #[arg(long)]
    pub availability: Option<String>,
    #[arg(long, default_value_t = 1)]
    pub capacity: u32,
    #[arg(long)]
    pub vehicle: Option<String>,
}

fn json(v: Result<serde_json::Value, serde_json::Error>) -> Result<(), Failure> {
    println!("{}", v.map_err(|e| usage(e.to_string()))?);
    Ok(())
}

pub fn run(db: Option<PathBuf>, lang: Lang, cmd: VolunteersCmd) -> Result<(), Failure> {
    let mut store = open(db)?;
    let actor = Actor::current(&store);
    let clock = SystemClock;
    let now = clock.now();
    let mut ctx = Ctx::new(&mut store, &clock, &actor);
    match cmd {
        VolunteersCmd::List(a) => {
            let f = VolunteerFilter {
                text: a.search,
                skill: a.skill,
                area_id: a.area,
                inactive: false,
            };
            let list = volunteers::list(ctx.store, &f)?;
            if a.json {
                return json(serde_json::to_value(&list));
            }
            for v in &list {
                let done = v.track.done + v.track.no_show;
                let rate = (v.track.done * 100)
                    .checked_div(done)
                    .map_or_else(|| "—".to_owned(), |p| format!("{p}%"));
                println!(
                    "{:<8} {:<24} {}/{} {:>5} {:>6}  {:<32} {}",
                    v.name,
                    v.area_path.join("/"),
                    v.load,
                    v.capacity,
                    rate,
                    v.balance,
                    v.skills.join(","),
                    v.id
                );
            }
            eprintln!("{} volunteers", list.len());
        }
        VolunteersCmd::Show { id, json: as_json } => {
            let v = volunteers::get(ctx.store, &id)?
                .ok_or_else(|| usage(format!("no volunteer {id}")))?;
            let tasks = assignment::for_volunteer(ctx.store, now, &id, 20)?;
            let ledger = points::ledger(ctx.store, Some(&id))?;
            if as_json {
                return json(Ok(
                    serde_json::json!({ "volunteer": v, "assignments": tasks, "ledger": ledger }),
                ));
            }
            println!(
                "{}  {}  {}",
                v.name,
                v.phone.as_deref().unwrap_or("—"),
                v.area_path.join("/")
            );
            println!("skills: {}", v.skills.join(", "));
            println!(
                "availability: {}",
                availability::format_weekly(&v.availability.slots, lang == Lang::ZhCn)
            );
            println!(
                "load {}/{}, done {}, no-show {}, late {}, points {}",
                v.load, v.capacity, v.track.done, v.track.no_show, v.track.late, v.balance
            );
            for t in tasks {
                println!("  {} {:<10} {}", t.assigned_at, t.status.as_str(), t.request_label);
            }
        }
        VolunteersCmd::Add(a) => {
            let slots = match &a.availability {
                Some(t) => availability::parse_weekly(t).map_err(|e| usage(e.to_string()))?,
                None => vec![],
            };
            let draft = VolunteerDraft {
                name: a.name,
                phone: Some(a.phone),
                id_number: a.id_number,
                area_id: a.area,
                skills: a.skills.split([',', '，', '、']).map(str::to_owned).collect(),
                availability: Availability { slots, exceptions: vec![] },
                capacity: a.capacity,
                vehicle: a.vehicle,
                ..VolunteerDraft::default()
            };
            let v = volunteers::create(&mut ctx, draft)?;
            println!("{}", v.id);
        }
        VolunteersCmd::Rank { request, top, json: as_json } => {
            let pool = Pool::load(ctx.store)?;
            let s = pool.suggest(ctx.store, &request, now.timestamp_millis(), None, top)?;
            if as_json {
                return json(serde_json::to_value(&s));
            }
            println!("asks: {}   considered {} volunteers", s.skills.join(", "), s.considered);
            for (i, v) in s.volunteers.iter().enumerate() {
                let mark = if v.rank.eligible { ' ' } else { '✗' };
                println!(
                    "{:>2}{mark} {:>4}  {:<8} {:<11} {}",
                    i + 1,
                    v.rank.score,
                    v.rank.name,
                    v.phone.as_deref().unwrap_or("—"),
                    rank::explain(&v.rank, lang == Lang::ZhCn).join(if lang == Lang::ZhCn {
                        "；"
                    } else {
                        "; "
                    })
                );
            }
        }
        VolunteersCmd::Assign { request, volunteer } => {
            let a = assignment::assign(
                &mut ctx,
                AssignInput {
                    request_id: request,
                    volunteer_id: volunteer,
                    slot: None,
                    note: None,
                },
            )?;
            println!("{}  {}", a.id, a.status.as_str());
        }
        VolunteersCmd::Record { assignment: id, what, note } => {
            let a = if what == "confirm" {
                assignment::confirm(&mut ctx, &id)?
            } else {
                let m = Move::parse(&what).ok_or_else(|| {
                    usage(format!(
                        "“{what}”: say accept, decline, start, done, no_show, release or confirm"
                    ))
                })?;
                assignment::record(&mut ctx, &id, m, note)?
            };
            println!("{}  {}  points {}", a.id, a.status.as_str(), a.points);
        }
        VolunteersCmd::Ledger { volunteer, json: as_json } => {
            let entries = points::ledger(ctx.store, volunteer.as_deref())?;
            if as_json {
                return json(serde_json::to_value(&entries));
            }
            for e in &entries {
                println!(
                    "{}  {:<8} {:>5} {:>6}  {} {}",
                    e.at,
                    e.kind.as_str(),
                    e.amount,
                    e.balance,
                    e.voucher.as_deref().unwrap_or(""),
                    e.note
                );
            }
        }
        VolunteersCmd::Redeem { volunteer, shop, points: n } => {
            let e = points::redeem(&mut ctx, &volunteer, &shop, n, "")?;
            println!("voucher {}  balance {}", e.voucher.unwrap_or_default(), e.balance);
        }
        VolunteersCmd::Correct { volunteer, points: n, reason } => {
            let e = points::correct(&mut ctx, &volunteer, n, &reason)?;
            println!("{}  balance {}", e.id, e.balance);
        }
        VolunteersCmd::Leaderboard { days, top } => {
            for l in points::leaderboard_days(ctx.store, now, days, top)? {
                println!(
                    "{:<28} {:<8} {:>5} points  {:>3} tasks",
                    l.grid, l.name, l.earned, l.tasks
                );
            }
        }
        VolunteersCmd::AtRisk => {
            for r in report::at_risk(ctx.store, now)? {
                let why = if r.missed_last { "missed the last task" } else { "" };
                println!(
                    "{:<8} {:<11} {:<28} {why} {} stale",
                    r.name,
                    r.phone.as_deref().unwrap_or("—"),
                    r.area_path.join("/"),
                    r.stale.len()
                );
            }
        }
        VolunteersCmd::Shops { name, address } => {
            if let Some(name) = name {
                let s = refdata::set_shop(
                    &mut ctx,
                    refdata::Shop { id: String::new(), name, address, active: true },
                )?;
                println!("{}", s.id);
            } else {
                for s in refdata::shops(ctx.store)? {
                    println!(
                        "{}  {}  {}{}",
                        s.id,
                        s.name,
                        s.address,
                        if s.active { "" } else { "  (inactive)" }
                    );
                }
            }
        }
        VolunteersCmd::Import { file, dry_run, mapping, sheet, report } => {
            let mapping = match &mapping {
                Some(path) => {
                    let text = std::fs::read_to_string(path).map_err(|e| {
                        usage(format!("cannot read the mapping {}: {e}", path.display()))
                    })?;
                    let parsed = import::volunteers::mapping_from_json(&text).map_err(|e| {
                        usage(format!("the mapping {} is not usable: {e}", path.display()))
                    })?;
                    Some(parsed)
                }
                None => None,
            };
            let opts =
                ImportOptions { mapping, sheet, dry_run, lang: Some(lang), ..Default::default() };
            let tty = std::io::stderr().is_terminal();
            let mut progress = |p: import::Progress| {
                if tty {
                    eprint!("\r{} / {} rows", p.rows_done, p.rows_expected);
                }
            };
            let cancel = std::sync::atomic::AtomicBool::new(false);
            let r = import::import_volunteers(&mut ctx, &file, &opts, &mut progress, &cancel);
            if tty {
                eprint!("\r\x1b[K");
            }
            let r = r?;
            if let Some(path) = &report {
                let json = serde_json::to_string_pretty(&r)
                    .map_err(|e| Failure { exit: 1, message: e.to_string() })?;
                std::fs::write(path, json).map_err(|e| {
                    usage(format!("cannot write the report to {}: {e}", path.display()))
                })?;
            }
            print_import_report(&r, lang == Lang::ZhCn);
        }
    }
    Ok(())
}

/// The volunteer import's report as `jiayuan import residents` prints a roster's.
fn print_import_report(r: &import::VolunteerImportReport, zh: bool) {
    let pick = |zh_text: &'static str, en: &'static str| if zh { zh_text } else { en };
    let enc = r.encoding.as_deref().map(|e| format!(", {e}")).unwrap_or_default();
    let dry = if r.dry_run {
        pick(" — 试运行，未写入", " — dry run, nothing written")
    } else {
        ""
    };
    println!("{} ({}{enc}){dry}", r.file, r.format);
    for s in &r.sheets {
        if zh {
            println!(
                "  {}: 表头在第 {} 行，{} 行 → 新增 {}",
                s.name, s.header_row, s.rows, s.created
            );
        } else {
            println!(
                "  {}: header on row {}, {} rows → {} created",
                s.name, s.header_row, s.rows, s.created
            );
        }
    }
    for s in &r.skipped_sheets {
        println!("  {}: {} ({})", s.name, pick("跳过", "skipped"), s.reason);
    }
    let (read, made, bad) = (r.rows_read, r.created, r.rejected.len());
    let (dups, known, blank) = (r.duplicates.len(), r.existing.len(), r.blank_rows);
    if zh {
        println!(
            "共读 {read} 行：新增志愿者 {made}，拒绝 {bad}，重复 {dups}，已是志愿者 {known}，空行 {blank}；\
             关联居民 {}，新建地区 {}，提醒 {}",
            r.linked_residents,
            r.areas_created,
            r.warnings.len()
        );
    } else {
        println!(
            "{read} rows read: {made} volunteers created, {bad} rejected, {dups} duplicates, \
             {known} already volunteers, {blank} blank; {} linked to residents, {} areas \
             created, {} warnings",
            r.linked_residents,
            r.areas_created,
            r.warnings.len()
        );
    }
    const SHOWN: usize = 50;
    for (mark, label, list) in
        [("✗", pick("拒绝", "rejected"), &r.rejected), ("!", pick("提醒", "warning"), &r.warnings)]
    {
        for p in list.iter().take(SHOWN) {
            println!("  {mark} {label} {} {:>6}  {}: {}", p.sheet, p.row, p.code, p.message);
        }
    }
    for d in r.duplicates.iter().take(SHOWN) {
        let same = pick("同", "same as");
        let label = pick("重复", "duplicate");
        println!(
            "  = {label} {} {:>6}  {same} {} {}",
            d.sheet, d.row, d.same_as_sheet, d.same_as_row
        );
    }
    for k in r.existing.iter().take(SHOWN) {
        let label = pick("已是志愿者", "already a volunteer");
        println!("  = {label} {} {:>6}  {} {}", k.sheet, k.row, k.name, k.volunteer_id);
    }
    let more = [r.rejected.len(), r.warnings.len(), r.duplicates.len(), r.existing.len()]
        .iter()
        .map(|n| n.saturating_sub(SHOWN))
        .sum::<usize>();
    if more > 0 {
        let tail =
            pick("条未列出，完整清单见 --report", "more not shown; --report PATH writes them all");
        println!("  … {more} {tail}");
    }
    println!("{:.2} s", r.seconds);
}
