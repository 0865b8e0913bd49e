//! `jiayuan requests`: the queue, intake and each lifecycle step on the command line.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use jiayuan_core::requests::queue::{self, QueueFilter};
use jiayuan_core::requests::refdata::{self, Env};
use jiayuan_core::requests::retention;
use jiayuan_core::requests::{
    self, edit, triage, Channel, NewRequest, Priority, Satisfaction, Status, Step,
};
use jiayuan_core::sla::{DayKind, Mode};
use jiayuan_core::{chrono, chrono_tz};
use jiayuan_core::{Actor, Clock, Ctx, SystemClock};

use crate::cmd::{open, usage, Failure};

#[derive(Subcommand, Debug)]
pub enum RequestsCmd {
    /// The queue: open requests by time left (or one status), with filters.
    List(ListArgs),
    /// Take a request in.
    Add(AddArgs),
    /// One request: its clocks, what can be done and its timeline.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Accept (签收).
    Accept {
        id: String,
    },
    /// Hand to someone.
    Assign {
        id: String,
        assignee: String,
    },
    /// Work has started: the first response to the resident.
    Start {
        id: String,
    },
    Resolve {
        id: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Close after the callback (回访).
    Close {
        id: String,
        /// satisfied, basically, dissatisfied or unreachable
        #[arg(long)]
        satisfaction: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    Reject(Reasoned),
    Cancel(Reasoned),
    Reopen(Reasoned),
    /// Return (退单) to whoever handed it on.
    Return(Reasoned),
    /// Stop the clock while waiting on the resident or another agency.
    Pause(Reasoned),
    Resume {
        id: String,
    },
    /// Hand to another grid or community (its id).
    Transfer {
        id: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        reason: String,
    },
    /// Change the priority triage proposed.
    Priority {
        id: String,
        priority: String,
        #[arg(long)]
        reason: String,
    },
    /// Merge a duplicate into the request to keep.
    Merge {
        duplicate: String,
        #[arg(long)]
        into: String,
    },
    /// Make the welfare check-ins of a day (default: today) from the check-in rules.
    Checkins {
        #[arg(long)]
        date: Option<String>,
    },
    /// The categories and their questions.
    Categories,
    /// Add or replace a category from a JSON file
    /// (`{"key","label_zh","label_en","base","questions":[…],"sort"}`).
    CategorySet {
        file: PathBuf,
        /// Hide it from intake (requests already made keep it).
        #[arg(long)]
        inactive: bool,
    },
    /// Set a category's deadlines for a priority in a mode from a JSON policy file, or
    /// `default` to go back to the 12345 tiers. Open requests are recomputed.
    PolicySet {
        category: String,
        priority: String,
        mode: String,
        policy: String,
    },
    /// The holidays and make-up working days of a year.
    CalendarList {
        #[arg(long)]
        year: Option<i32>,
    },
    /// Mark a day as a holiday or a make-up working day (调休). Open requests are recomputed.
    CalendarSet {
        date: String,
        kind: String,
        name: String,
    },
    /// Make a day ordinary again.
    CalendarUnset {
        date: String,
    },
    /// Switch the district between normal working and lockdown (24/7, tighter deadlines).
    Mode {
        mode: String,
    },
    /// Show or set how long the district keeps crisis data (a district setting; the server
    /// takes it from a district supervisor or city admin). `0` keeps for good.
    Retention {
        /// Days a finished request is kept after its last step.
        #[arg(long, value_name = "DAYS")]
        request_days: Option<u32>,
        /// Days a resident keeps a health tag after it was last set.
        #[arg(long, value_name = "DAYS")]
        health_days: Option<u32>,
        /// The tags that are health data, comma-separated.
        #[arg(long, value_name = "KEYS")]
        health_tags: Option<String>,
    },
    /// Requests counted by month, category, priority, outcome and area, with what the
    /// district's retention removed still counted.
    Report,
}

#[derive(Args, Debug)]
pub struct Reasoned {
    id: String,
    #[arg(long)]
    reason: String,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[arg(long)]
    status: Option<String>,
    #[arg(long)]
    category: Option<String>,
    /// A grid or community id.
    #[arg(long)]
    area: Option<String>,
    #[arg(long)]
    overdue: bool,
    /// Words of the description or the resident's name.
    #[arg(long)]
    search: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct AddArgs {
    #[arg(long)]
    category: String,
    #[arg(long)]
    description: String,
    /// The resident's id (see `jiayuan residents search`).
    #[arg(long)]
    resident: Option<String>,
    /// Someone not on the roster, added with the request (needs --phone).
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    /// phone, walk_in, wechat, hotline_12345 or api
    #[arg(long, default_value = "phone")]
    channel: String,
    #[arg(long)]
    address: Option<String>,
    /// The grid or community responsible (id), when not the resident's.
    #[arg(long)]
    area: Option<String>,
    /// urgent, high, normal or low, when it differs from triage's proposal (needs --reason).
    #[arg(long)]
    priority: Option<String>,
    #[arg(long)]
    reason: Option<String>,
    /// A file to keep with the request (repeatable).
    #[arg(long = "attach")]
    attachments: Vec<PathBuf>,
    #[arg(long)]
    json: bool,
}

fn mode_of(s: &str) -> Result<Mode, Failure> {
    match s {
        "normal" => Ok(Mode::Normal),
        "lockdown" => Ok(Mode::Lockdown),
        _ => Err(usage("the mode is normal or lockdown")),
    }
}

fn date_of(s: &str) -> Result<chrono::NaiveDate, Failure> {
    s.parse().map_err(|_| usage(format!("“{s}” is not a date (YYYY-MM-DD)")))
}

fn priority(s: &str) -> Result<Priority, Failure> {
    s.parse().map_err(|_| usage(format!("“{s}” is not a priority: urgent, high, normal or low")))
}

/// Counted time left as hours and minutes (working hours for business clocks).
fn left(secs: Option<i64>) -> String {
    let Some(s) = secs else { return "—".into() };
    let (sign, s) = if s < 0 { ("-", -s) } else { ("", s) };
    format!("{sign}{}h{:02}m", s / 3600, s % 3600 / 60)
}

pub fn run(db: Option<PathBuf>, cmd: RequestsCmd) -> Result<(), Failure> {
    let mut store = open(db)?;
    let actor = Actor::current(&store);
    let clock = SystemClock;
    let now = clock.now();
    let mut ctx = Ctx::new(&mut store, &clock, &actor);
    let step = |ctx: &mut Ctx<'_>, id: &str, s: Step| -> Result<(), Failure> {
        let o = requests::act(ctx, id, s)?;
        println!("{}  {}  round {}", o.id, o.status.as_str(), o.round);
        Ok(())
    };
    match cmd {
        RequestsCmd::List(a) => {
            let status = match a.status.as_deref() {
                Some(s) => {
                    Some(Status::parse(s).ok_or_else(|| usage(format!("“{s}” is not a status")))?)
                }
                None => None,
            };
            let f = QueueFilter {
                area_id: a.area,
                category: a.category,
                status,
                overdue: a.overdue,
                text: a.search,
            };
            let env = Env::of(ctx.store)?;
            let items = queue::page(ctx.store, &env, &f, 0, a.limit, now)?;
            if a.json {
                println!("{}", serde_json::to_string(&items).map_err(|e| usage(e.to_string()))?);
                return Ok(());
            }
            let total = queue::count(ctx.store, &f, now)?;
            for i in &items {
                // Business clocks count working seconds: the due instant says more than a
                // count of them.
                let due = i
                    .due_at
                    .as_deref()
                    .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
                    .map(|d| {
                        d.with_timezone(&chrono_tz::Asia::Shanghai)
                            .format("%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_else(|| if i.paused { "paused".into() } else { "—".into() });
                println!(
                    "{:>9} {:>11}  {:<7} {:<11} {:<18} {:<10} {}  {}",
                    left(i.left_secs),
                    due,
                    i.priority.as_str(),
                    i.status.as_str(),
                    i.category,
                    i.grid.as_deref().unwrap_or("—"),
                    i.id,
                    i.description.chars().take(40).collect::<String>()
                );
            }
            eprintln!("{} of {total}", items.len());
        }
        RequestsCmd::Add(a) => {
            let channel = Channel::parse(&a.channel).ok_or_else(|| {
                usage(format!(
                    "“{}” is not a channel: phone, walk_in, wechat, hotline_12345 or api",
                    a.channel
                ))
            })?;
            let new_person = match (&a.resident, a.name) {
                (None, Some(name)) => Some(requests::NewPerson {
                    name,
                    phone: a.phone,
                    id_number: None,
                    address: a.address.clone(),
                }),
                (Some(_), Some(_)) => return Err(usage("give --resident or --name, not both")),
                _ => None,
            };
            let input = NewRequest {
                new_person,
                resident_id: a.resident,
                category: a.category,
                description: a.description,
                channel: Some(channel),
                address: a.address,
                area_id: a.area,
                answers: Default::default(),
                attachments: a.attachments.iter().map(|p| p.display().to_string()).collect(),
                priority: a.priority.as_deref().map(priority).transpose()?,
                override_reason: a.reason,
            };
            let o = requests::create(&mut ctx, input)?;
            if a.json {
                println!("{}", serde_json::to_string(&o).map_err(|e| usage(e.to_string()))?);
            } else {
                println!("{}  {}  {}", o.id, o.priority.as_str(), o.status.as_str());
                for d in &o.duplicates {
                    println!("  possible duplicate of {d}");
                }
            }
        }
        RequestsCmd::Show { id, json } => {
            let d = requests::read::get(ctx.store, &id, now)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&d).map_err(|e| usage(e.to_string()))?);
                return Ok(());
            }
            println!(
                "{}  {}  {}  round {}{}",
                d.id,
                d.category,
                d.status.as_str(),
                d.round,
                if d.paused { "  paused" } else { "" }
            );
            println!("priority {} (proposed {})", d.priority.as_str(), d.proposed.as_str());
            println!("{}", d.description);
            println!(
                "clocks: {}",
                serde_json::to_string(&d.sla).map_err(|e| usage(e.to_string()))?
            );
            println!(
                "can: {}",
                d.allowed.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
            );
            for e in &d.timeline {
                println!("  {}  {:<14} {}  {}", e.at, e.kind, e.actor, e.data);
            }
        }
        RequestsCmd::Accept { id } => step(&mut ctx, &id, Step::Accept)?,
        RequestsCmd::Assign { id, assignee } => step(&mut ctx, &id, Step::Assign { assignee })?,
        RequestsCmd::Start { id } => step(&mut ctx, &id, Step::Start)?,
        RequestsCmd::Resolve { id, note } => step(&mut ctx, &id, Step::Resolve { note })?,
        RequestsCmd::Close { id, satisfaction, note } => {
            let satisfaction: Satisfaction = serde_json::from_value(serde_json::Value::String(
                satisfaction.clone(),
            ))
            .map_err(|_| {
                usage(format!(
                    "“{satisfaction}”: satisfied, basically, dissatisfied or unreachable"
                ))
            })?;
            step(&mut ctx, &id, Step::Close { satisfaction, note })?
        }
        RequestsCmd::Reject(r) => step(&mut ctx, &r.id, Step::Reject { reason: r.reason })?,
        RequestsCmd::Cancel(r) => step(&mut ctx, &r.id, Step::Cancel { reason: r.reason })?,
        RequestsCmd::Reopen(r) => step(&mut ctx, &r.id, Step::Reopen { reason: r.reason })?,
        RequestsCmd::Return(r) => step(&mut ctx, &r.id, Step::Return { reason: r.reason })?,
        RequestsCmd::Pause(r) => step(&mut ctx, &r.id, Step::Pause { reason: r.reason })?,
        RequestsCmd::Resume { id } => step(&mut ctx, &id, Step::Resume)?,
        RequestsCmd::Transfer { id, to, reason } => {
            step(&mut ctx, &id, Step::Transfer { area_id: to, reason })?
        }
        RequestsCmd::Priority { id, priority: p, reason } => {
            let o = requests::set_priority(&mut ctx, &id, priority(&p)?, &reason)?;
            println!("{}  {}", o.id, o.priority.as_str());
        }
        RequestsCmd::Merge { duplicate, into } => {
            let o = requests::merge(&mut ctx, &duplicate, &into)?;
            println!("merged {duplicate} into {}", o.id);
        }
        RequestsCmd::Checkins { date } => {
            use jiayuan_core::requests::checkins;
            let today = checkins::today(ctx.store, now)?;
            let day = match date {
                Some(d) => {
                    d.parse().map_err(|_| usage(format!("“{d}” is not a date (YYYY-MM-DD)")))?
                }
                None => today,
            };
            checkins::check_date(day, today)?;
            let r = checkins::generate(&mut ctx, day)?;
            println!("{day}: {} check-ins made, {} already there", r.created, r.existing);
            for k in &r.skipped_rules {
                println!("  rule {k} applies in lockdown only");
            }
        }
        RequestsCmd::Categories => {
            for c in refdata::categories(ctx.store)? {
                println!("{:<18} {:<7} {} / {}", c.key, c.base.as_str(), c.label_zh, c.label_en);
            }
        }
        RequestsCmd::CategorySet { file, inactive } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
            let def: triage::CategoryDef = serde_json::from_str(&text)
                .map_err(|e| usage(format!("{} is not a category: {e}", file.display())))?;
            let key = def.key.clone();
            edit::set_category(&mut ctx, def, !inactive)?;
            println!("category {key} saved");
        }
        RequestsCmd::PolicySet { category, priority: p, mode, policy } => {
            let mode = mode_of(&mode)?;
            let policy = if policy == "default" {
                None
            } else {
                let text = std::fs::read_to_string(&policy)
                    .map_err(|e| usage(format!("cannot read {policy}: {e}")))?;
                Some(
                    serde_json::from_str(&text)
                        .map_err(|e| usage(format!("{policy} is not a policy: {e}")))?,
                )
            };
            let n = edit::set_policy(&mut ctx, &category, priority(&p)?, mode, policy)?;
            println!("policy saved; clocks of {n} open requests recomputed");
        }
        RequestsCmd::CalendarList { year } => {
            let year = year.unwrap_or_else(|| chrono::Datelike::year(&now.date_naive()));
            for d in edit::calendar_days(ctx.store, year)? {
                let kind = if d.kind == DayKind::Holiday { "holiday" } else { "workday" };
                println!(
                    "{}  {kind:<8} {}{}",
                    d.date,
                    d.name,
                    if d.provisional { "  (provisional)" } else { "" }
                );
            }
        }
        RequestsCmd::CalendarSet { date, kind, name } => {
            let kind = match kind.as_str() {
                "holiday" => DayKind::Holiday,
                "workday" => DayKind::Workday,
                _ => return Err(usage("the kind is holiday or workday")),
            };
            let n = edit::set_calendar_day(&mut ctx, date_of(&date)?, Some((kind, &name)))?;
            println!("{date} saved; clocks of {n} open requests recomputed");
        }
        RequestsCmd::CalendarUnset { date } => {
            let n = edit::set_calendar_day(&mut ctx, date_of(&date)?, None)?;
            println!("{date} is an ordinary day; clocks of {n} open requests recomputed");
        }
        RequestsCmd::Mode { mode } => {
            let m = mode_of(&mode)?;
            let n = refdata::set_mode(&mut ctx, m)?;
            println!("district mode {mode}; clocks of {n} open requests recomputed");
        }
        RequestsCmd::Retention { request_days, health_days, health_tags } => {
            let mut rule = retention::get(ctx.store)?;
            if request_days.is_some() || health_days.is_some() || health_tags.is_some() {
                let off = |d: u32| (d > 0).then_some(d);
                if let Some(d) = request_days {
                    rule.request_days = off(d);
                }
                if let Some(d) = health_days {
                    rule.health_days = off(d);
                }
                if let Some(t) = health_tags {
                    rule.health_tags = t.split(',').map(str::to_owned).collect();
                }
                rule = retention::set(&mut ctx, &rule)?;
            }
            let days =
                |d: Option<u32>| d.map_or("kept for good".to_owned(), |d| format!("{d} days"));
            println!("finished requests: {}", days(rule.request_days));
            println!("health tags: {} ({})", days(rule.health_days), rule.health_tags.join(", "));
        }
        RequestsCmd::Report => {
            println!("month\tcategory\tpriority\toutcome\tarea\trequests\ton_time");
            for l in retention::report(ctx.store, clock.now())? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    l.month,
                    l.category,
                    l.priority,
                    l.outcome,
                    l.area.unwrap_or_default(),
                    l.requests,
                    l.on_time
                );
            }
        }
    }
    Ok(())
}
