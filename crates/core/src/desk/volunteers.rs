//! The desk's volunteer calls: the list and a volunteer's page, dispatch for a request (the
//! ranking kept until the next write), what the official records of an assignment, the
//! at-risk report, the points ledger with redemption, and the district's volunteer settings.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{lock, Desk};
use crate::error::Result;
use crate::sync::view::refusal_col;
use crate::volunteers::assignment::{self, AssignInput, Assignment, Move};
use crate::volunteers::availability::{self, Slot};
use crate::volunteers::dispatch::{Pool, Suggestions};
use crate::volunteers::points::{self, Entry, Leader};
use crate::volunteers::refdata::{self, CategoryService, Shop, Skill, VolunteerSettings};
use crate::volunteers::report::{self, AtRisk};
use crate::volunteers::{self, Volunteer, VolunteerDraft, VolunteerFilter, VolunteerPatch};

/// A volunteer's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct VolunteerDetail {
    pub volunteer: Volunteer,
    /// The latest 50.
    pub assignments: Vec<Assignment>,
    pub ledger: Vec<Entry>,
}

/// The dispatch panel of a request: its assignments, and what the server refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RequestDispatch {
    pub assignments: Vec<Assignment>,
    pub refusals: Vec<DispatchRefusal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DispatchRefusal {
    pub at: String,
    pub kind: String,
    /// In English, as the server sent it; `refusal` is what the UI words.
    pub reason: String,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<crate::Refusal>,
}

/// Everything the volunteer forms choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct VolunteerRefdata {
    pub skills: Vec<Skill>,
    pub services: Vec<CategoryService>,
    pub shops: Vec<Shop>,
    pub settings: VolunteerSettings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct DispatchQuery {
    pub request_id: String,
    #[ts(type = "[number, number] | null")]
    pub slot: Option<(i64, i64)>,
    pub top: u32,
}

impl Desk {
    pub fn volunteers_list(&self, filter: &VolunteerFilter) -> Result<Vec<Volunteer>> {
        self.read(|store, _| volunteers::list(store, filter))
    }

    pub fn volunteer_detail(&self, id: &str) -> Result<VolunteerDetail> {
        let now = self.clock.now();
        self.read(|store, _| {
            let volunteer = volunteers::get(store, id)?
                .ok_or_else(|| crate::CoreError::NotFound(format!("volunteer {id}")))?;
            Ok(VolunteerDetail {
                volunteer,
                assignments: assignment::for_volunteer(store, now, id, 50)?,
                ledger: points::ledger(store, Some(id))?,
            })
        })
    }

    pub fn volunteer_create(&self, draft: VolunteerDraft) -> Result<Volunteer> {
        self.write(|ctx| volunteers::create(ctx, draft))
    }

    pub fn volunteer_update(&self, id: &str, patch: VolunteerPatch) -> Result<Volunteer> {
        self.write(|ctx| volunteers::update(ctx, id, patch))
    }

    /// Every volunteer ranked for a request. The candidates are read once per write, so
    /// moving through the queue ranks from memory.
    pub fn dispatch_suggest(&self, q: &DispatchQuery) -> Result<Suggestions> {
        let now_ms = self.clock.now().timestamp_millis();
        self.read(|store, open| {
            // Keyed on what the candidates are made of, not on every write: accepting or
            // stepping a request leaves the pool as it was.
            let generation = Pool::generation(store)?;
            let cached =
                lock(&open.cache).pool.as_ref().filter(|p| p.0 == generation).map(|p| p.1.clone());
            let pool = match cached {
                Some(p) => p,
                None => {
                    let p = Arc::new(Pool::load(store)?);
                    lock(&open.cache).pool = Some((generation, p.clone()));
                    p
                }
            };
            let top = q.top.clamp(1, 200) as usize;
            pool.suggest(store, &q.request_id, now_ms, q.slot, top)
        })
    }

    pub fn dispatch_assign(&self, input: AssignInput) -> Result<Assignment> {
        self.write(|ctx| assignment::assign(ctx, input))
    }

    pub fn assignment_record(&self, id: &str, m: Move, note: Option<String>) -> Result<Assignment> {
        self.write(|ctx| assignment::record(ctx, id, m, note))
    }

    pub fn assignment_confirm(&self, id: &str) -> Result<Assignment> {
        self.write(|ctx| assignment::confirm(ctx, id))
    }

    pub fn request_dispatch(&self, request_id: &str) -> Result<RequestDispatch> {
        let now = self.clock.now();
        self.read(|store, _| {
            let conn = store.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT at, kind, ifnull(reason, ''), refusal FROM sync_outcomes
                 WHERE subject = ?1 AND outcome = 'rejected' AND kind LIKE 'assignment.%'
                 ORDER BY acked_at DESC",
            )?;
            let refusals = stmt
                .query_map([request_id], |r| {
                    Ok(DispatchRefusal {
                        at: r.get(0)?,
                        kind: r.get(1)?,
                        reason: r.get(2)?,
                        refusal: refusal_col(r.get(3)?),
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(RequestDispatch {
                assignments: assignment::for_request(store, now, request_id)?,
                refusals,
            })
        })
    }

    pub fn volunteers_at_risk(&self) -> Result<Vec<AtRisk>> {
        let now = self.clock.now();
        self.read(|store, _| report::at_risk(store, now))
    }

    /// Every assignment still holding a volunteer (the dispatcher's board).
    pub fn assignments_open(&self) -> Result<Vec<Assignment>> {
        let now = self.clock.now();
        self.read(|store, _| assignment::open(store, now))
    }

    pub fn points_redeem(
        &self,
        volunteer_id: &str,
        shop_id: &str,
        amount: u32,
        note: &str,
    ) -> Result<Entry> {
        self.write(|ctx| points::redeem(ctx, volunteer_id, shop_id, amount, note))
    }

    pub fn points_correct(&self, volunteer_id: &str, amount: i64, reason: &str) -> Result<Entry> {
        self.write(|ctx| points::correct(ctx, volunteer_id, amount, reason))
    }

    pub fn points_ledger(&self, volunteer_id: Option<&str>) -> Result<Vec<Entry>> {
        self.read(|store, _| points::ledger(store, volunteer_id))
    }

    /// Each grid's best volunteers by points earned in the last `days` days.
    pub fn points_leaderboard(&self, days: u32, top: u32) -> Result<Vec<Leader>> {
        let now = self.clock.now();
        self.read(|store, _| points::leaderboard_days(store, now, days, top))
    }

    pub fn volunteer_refdata(&self) -> Result<VolunteerRefdata> {
        self.read(|store, _| {
            Ok(VolunteerRefdata {
                skills: refdata::skills(store)?,
                services: refdata::category_services(store)?,
                shops: refdata::shops(store)?,
                settings: refdata::settings(store)?,
            })
        })
    }

    pub fn skill_set(&self, skill: Skill) -> Result<()> {
        self.write(|ctx| refdata::set_skill(ctx, skill))
    }

    pub fn shop_set(&self, shop: Shop) -> Result<Shop> {
        self.write(|ctx| refdata::set_shop(ctx, shop))
    }

    pub fn category_service_set(&self, s: CategoryService) -> Result<()> {
        self.write(|ctx| refdata::set_category_service(ctx, s))
    }

    pub fn volunteer_settings_set(&self, s: VolunteerSettings) -> Result<()> {
        self.write(|ctx| refdata::set_settings(ctx, s))
    }

    /// The weekly availability an official typed ("周一至周五 18:00-21:00"), understood.
    pub fn availability_parse(text: &str) -> Result<Vec<Slot>> {
        Ok(availability::parse_weekly(text).map_err(crate::Refusal::Availability)?)
    }
}
