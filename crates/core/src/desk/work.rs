//! The desk's request calls: the queue, intake with a live triage preview, each step (one or
//! many at once), priority, merge, the district's mode and the escalations the shell turns
//! into desktop notifications.

use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};

use super::{lock, Desk};
use crate::error::Result;
use crate::requests::commands::Outcome;
use crate::requests::queue::{self, QueueFilter, QueueItem};
use crate::requests::read::RequestDetail;
use crate::requests::refdata::{self, Category, Env};
use crate::requests::triage::{self, TriageInput};
use crate::requests::{self, NewRequest, Priority, Step};
use crate::sla::{Escalation, Mode};

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct QueuePage {
    pub total: u32,
    pub offset: u32,
    pub items: Vec<QueueItem>,
    /// The time the page was computed at (RFC 3339): the UI counts down from it.
    pub now: String,
}

/// What triage would propose for a request being typed in, before it is saved.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct TriagePreview {
    pub priority: Priority,
    pub reasons: Vec<ReasonView>,
    /// Open requests of the same resident and category in the last day.
    pub duplicates: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ReasonView {
    pub code: String,
    pub priority: Priority,
    pub detail: String,
    /// The reason in the official's language.
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct PreviewRequest {
    pub resident_id: Option<String>,
    pub category: String,
    pub description: String,
    pub lang: String,
}

/// The outcome of one step applied to several requests: each is its own transaction, so one
/// refusal does not undo the others.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct BulkOutcome {
    pub done: Vec<String>,
    pub refused: Vec<Refused>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Refused {
    pub id: String,
    pub message: String,
    /// The rule that said no, for the UI to word (see [`crate::refusal`]).
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<crate::Refusal>,
}

/// A request whose clock has crossed an escalation threshold: who should hear of it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Alert {
    pub id: String,
    pub escalation: Escalation,
    pub description: String,
    pub grid: Option<String>,
    #[ts(type = "number | null")]
    pub left_secs: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct AreaOption {
    pub id: String,
    pub name: String,
    pub level: String,
    pub parent: Option<String>,
}

impl Desk {
    pub fn requests_queue(
        &self,
        filter: &QueueFilter,
        offset: u32,
        limit: u32,
    ) -> Result<QueuePage> {
        let now = self.clock.now();
        self.read(|store, open| {
            let env = Env::of(store)?;
            let key = (
                open.generation.load(Ordering::SeqCst),
                format!("queue\u{1}{filter:?}\u{1}{}", now.timestamp() / 60),
            );
            let cached = lock(&open.cache).totals.get(&key).copied();
            let total = match cached {
                Some(n) => n,
                None => {
                    let n = queue::count(store, filter, now)?;
                    lock(&open.cache).totals.insert(key, n);
                    n
                }
            };
            let items = queue::page(store, &env, filter, u64::from(offset), limit.min(500), now)?;
            Ok(QueuePage {
                total: total as u32,
                offset,
                items,
                now: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
        })
    }

    pub fn request_detail(&self, id: &str) -> Result<RequestDetail> {
        let now = self.clock.now();
        self.read(|store, _| requests::read::get(store, id, now))
    }

    pub fn request_categories(&self) -> Result<Vec<Category>> {
        self.read(|store, _| refdata::categories(store))
    }

    /// Triage's proposal for what is being typed, without writing anything.
    pub fn request_preview(&self, p: &PreviewRequest) -> Result<TriagePreview> {
        self.read(|store, _| {
            let conn = store.conn();
            let category = refdata::category(conn, &p.category)?;
            let tags: Vec<String> = match &p.resident_id {
                Some(r) => conn
                    .prepare_cached(
                        "SELECT t.key FROM residents r JOIN resident_tags rt ON rt.resident_rid = r.rid
                         JOIN tags t ON t.id = rt.tag_id WHERE r.id = ?1 AND t.vulnerability = 1",
                    )?
                    .query_map([r], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?,
                None => Vec::new(),
            };
            let env = Env::load(conn)?;
            let proposal = triage::propose(&TriageInput {
                category_base: refdata::level_of(category.base),
                category_key: &category.key,
                vulnerability_tags: &tags,
                description: &p.description,
                lockdown: env.mode == Mode::Lockdown,
            });
            let duplicates: Vec<String> = match &p.resident_id {
                Some(r) => conn
                    .prepare_cached(
                        "SELECT id FROM requests WHERE resident_id = ?1 AND category = ?2 AND is_open = 1
                         AND created_at >= ?3 ORDER BY created_at DESC LIMIT 5",
                    )?
                    .query_map(
                        rusqlite::params![
                            r,
                            category.key,
                            (self.clock.now() - chrono::Duration::days(1))
                                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                        ],
                        |r| r.get(0),
                    )?
                    .collect::<rusqlite::Result<_>>()?,
                None => Vec::new(),
            };
            Ok(TriagePreview {
                priority: refdata::priority_of(proposal.level),
                reasons: proposal
                    .reasons
                    .iter()
                    .map(|r| ReasonView {
                        code: r.code.clone(),
                        priority: refdata::priority_of(r.level),
                        detail: r.detail.clone(),
                        text: triage::reason_text(r, &p.lang),
                    })
                    .collect(),
                duplicates,
            })
        })
    }

    pub fn request_create(&self, input: NewRequest) -> Result<Outcome> {
        self.write(|ctx| requests::create(ctx, input))
    }

    pub fn request_step(&self, id: &str, step: Step) -> Result<Outcome> {
        self.write(|ctx| requests::act(ctx, id, step))
    }

    /// One step on many requests (bulk accept, bulk assign…).
    pub fn request_step_many(&self, ids: &[String], step: &Step) -> Result<BulkOutcome> {
        self.write(|ctx| {
            let mut out = BulkOutcome::default();
            for id in ids {
                match requests::act(ctx, id, step.clone()) {
                    Ok(_) => out.done.push(id.clone()),
                    Err(e) => out.refused.push(Refused {
                        id: id.clone(),
                        message: e.to_string(),
                        refusal: match e {
                            crate::CoreError::Refused(r) => Some(r),
                            _ => None,
                        },
                    }),
                }
            }
            Ok(out)
        })
    }

    pub fn request_priority(&self, id: &str, priority: Priority, reason: &str) -> Result<Outcome> {
        self.write(|ctx| requests::set_priority(ctx, id, priority, reason))
    }

    pub fn request_merge(&self, duplicate: &str, keep: &str) -> Result<Outcome> {
        self.write(|ctx| requests::merge(ctx, duplicate, keep))
    }

    /// Makes today's check-ins when some are still to be made (the shell asks every minute,
    /// so a new day's calls appear by themselves); `None` when there was nothing to do. The
    /// demo store is left as it was built.
    pub fn checkins_due(&self) -> Result<Option<crate::requests::checkins::CheckinReport>> {
        let now = self.clock.now();
        let (missing, demo) = self.read(|store, _| {
            let today = crate::requests::checkins::today(store, now)?;
            Ok((crate::requests::checkins::missing(store, today)?, store.device().is_demo))
        })?;
        if missing == 0 || demo {
            return Ok(None);
        }
        self.checkins_generate().map(Some)
    }

    /// Makes today's welfare check-ins (in the district's time zone).
    pub fn checkins_generate(&self) -> Result<crate::requests::checkins::CheckinReport> {
        let now = self.clock.now();
        self.write(|ctx| {
            let today = crate::requests::checkins::today(ctx.store, now)?;
            crate::requests::checkins::generate(ctx, today)
        })
    }

    pub fn district_mode(&self) -> Result<Mode> {
        self.read(|store, _| refdata::mode(store))
    }

    pub fn district_mode_set(&self, mode: Mode) -> Result<usize> {
        self.write(|ctx| refdata::set_mode(ctx, mode))
    }

    /// How long the district keeps crisis data.
    pub fn retention(&self) -> Result<crate::requests::retention::Retention> {
        self.read(|store, _| crate::requests::retention::get(store))
    }

    pub fn retention_set(
        &self,
        rule: crate::requests::retention::Retention,
    ) -> Result<crate::requests::retention::Retention> {
        self.write(|ctx| crate::requests::retention::set(ctx, &rule))
    }

    /// Requests by month, category, priority, outcome and area, the purged ones included.
    pub fn requests_report(&self) -> Result<Vec<crate::requests::retention::TallyLine>> {
        let now = self.clock.now();
        self.read(|store, _| crate::requests::retention::report(store, now))
    }

    /// Grids and communities, for transfers and the queue's filter.
    pub fn areas(&self) -> Result<Vec<AreaOption>> {
        self.read(|store, _| {
            let mut stmt = store.conn().prepare_cached(
                "SELECT id, name, level, parent_id FROM areas WHERE level IN ('community', 'grid')
                 ORDER BY level, name",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(AreaOption {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    level: r.get(2)?,
                    parent: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Open requests at or past the first escalation threshold, most severe first: the shell
    /// notifies each (request, level) once.
    pub fn alerts(&self) -> Result<Vec<Alert>> {
        let now = self.clock.now();
        self.read(|store, _| {
            let env = Env::of(store)?;
            let mut out = Vec::new();
            let mut offset = 0;
            // Time left orders the queue by due instant, not by the share of the budget used,
            // so every running request is looked at (a minute's poll over 100,000 open
            // requests costs a fraction of a second on a reader connection).
            loop {
                let page = queue::page(store, &env, &QueueFilter::default(), offset, 1000, now)?;
                let Some(last) = page.last() else { break };
                let done = last.paused;
                for i in page.iter().filter(|i| !i.paused && i.escalation != Escalation::None) {
                    out.push(Alert {
                        id: i.id.clone(),
                        escalation: i.escalation,
                        description: i.description.chars().take(60).collect(),
                        grid: i.grid.clone(),
                        left_secs: i.left_secs,
                    });
                }
                if done || page.len() < 1000 {
                    break;
                }
                offset += 1000;
            }
            out.sort_by(|a, b| b.escalation.cmp(&a.escalation).then(a.left_secs.cmp(&b.left_secs)));
            Ok(out)
        })
    }
}
