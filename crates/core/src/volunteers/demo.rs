//! The demo district's volunteers and partner shops, and the dispatch the demo month does
//! with them through the real commands (requests::demo calls [`Dispatcher`] where an
//! official would send a volunteer): so the demo's volunteers carry a month of real history,
//! no-shows, confirmed tasks, points and redemptions.

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::Rng;

use super::assignment::{self, AssignInput, Move};
use super::availability::{Availability, Slot};
use super::dispatch::Pool;
use super::refdata::{self, Shop};
use super::{Health, VolunteerDraft};
use crate::context::Ctx;
use crate::error::Result;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "志强", "丽娟", "海燕", "俊杰", "晓东", "雪梅", "文斌", "佳怡", "国庆", "婷婷",
    "宇航", "春生",
];
const SKILLS: &[&[&str]] = &[
    &["delivery"],
    &["delivery", "driving"],
    &["medicine_run", "delivery"],
    &["medicine_run", "driving"],
    &["elderly_care"],
    &["elderly_care", "delivery"],
    &["psychological_support"],
    &["translation", "paperwork"],
    &["medical", "elderly_care"],
    &["repair"],
];
const SHOPS: &[(&str, &str)] = &[
    ("惠民超市", "中山路 118 号"),
    ("邻里便利店", "建设路 25 号"),
    ("百草堂药房", "解放路 7 号"),
    ("老王理发店", "新兴街 3 号"),
];

/// Categories a volunteer is sent to (others are the office's own work).
pub(crate) fn dispatched(category: &str) -> bool {
    matches!(category, "supplies" | "mutual_aid" | "medicine" | "welfare_check" | "psychological")
}

/// What the demo month does where an official would send a volunteer. The ranking's
/// candidates are read once per day of the month (a month of dispatches re-reading them each
/// time made the demo slow to build): a volunteer who filled up since is refused by the
/// command itself, and the next one is sent.
pub(crate) struct Dispatcher {
    pool: Option<(i64, Pool)>,
}

impl Dispatcher {
    /// Adds `per_grid` volunteers to each grid of the store and the partner shops.
    pub(crate) fn seed(ctx: &mut Ctx<'_>, rng: &mut StdRng, per_grid: usize) -> Result<usize> {
        let grids: Vec<String> = ctx
            .store
            .conn()
            .prepare("SELECT id FROM areas WHERE level = 'grid' ORDER BY rid")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for (name, address) in SHOPS {
            refdata::set_shop(
                ctx,
                Shop {
                    id: String::new(),
                    name: (*name).into(),
                    address: (*address).into(),
                    active: true,
                },
            )?;
        }
        let mut n = 0;
        for grid in &grids {
            for _ in 0..per_grid {
                let name = format!(
                    "{}{}",
                    SURNAMES[rng.gen_range(0..SURNAMES.len())],
                    GIVEN[rng.gen_range(0..GIVEN.len())]
                );
                // Evenings on weekdays, and the weekend; some are free any time (retired).
                let slots: Vec<Slot> = match rng.gen_range(0..3) {
                    0 => (1..=5)
                        .map(|day| Slot { day, from_min: 18 * 60, to_min: 21 * 60 })
                        .chain((6..=7).map(|day| Slot { day, from_min: 8 * 60, to_min: 18 * 60 }))
                        .collect(),
                    1 => {
                        (1..=7).map(|day| Slot { day, from_min: 8 * 60, to_min: 20 * 60 }).collect()
                    }
                    _ => vec![],
                };
                let draft = VolunteerDraft {
                    name,
                    phone: Some(format!(
                        "13{}{:08}",
                        rng.gen_range(5..10),
                        rng.gen_range(0..100_000_000)
                    )),
                    area_id: Some(grid.clone()),
                    skills: SKILLS[rng.gen_range(0..SKILLS.len())]
                        .iter()
                        .map(|s| (*s).to_owned())
                        .collect(),
                    availability: Availability { slots, exceptions: vec![] },
                    capacity: rng.gen_range(1..=3),
                    health: Some(if rng.gen_bool(0.05) {
                        Health::Quarantined
                    } else {
                        Health::Well
                    }),
                    vehicle: rng.gen_bool(0.2).then(|| "电动车".to_owned()),
                    ..VolunteerDraft::default()
                };
                if super::create(ctx, draft).is_ok() {
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Sends the best eligible volunteer; false when nobody can go (the plan then assigns
    /// the office's own helper).
    pub(crate) fn new() -> Dispatcher {
        Dispatcher { pool: None }
    }

    pub(crate) fn send(&mut self, ctx: &mut Ctx<'_>, request: &str, now: DateTime<Utc>) -> bool {
        let day = now.timestamp().div_euclid(86_400);
        if self.pool.as_ref().map(|p| p.0) != Some(day) {
            self.pool = Pool::load(ctx.store).ok().map(|p| (day, p));
        }
        let Some((_, pool)) = &self.pool else { return false };
        let Ok(s) = pool.suggest(ctx.store, request, now.timestamp_millis(), None, 8) else {
            return false;
        };
        for v in s.volunteers.iter().filter(|v| v.rank.eligible) {
            let input = AssignInput {
                request_id: request.to_owned(),
                volunteer_id: v.rank.id.clone(),
                slot: None,
                note: None,
            };
            if assignment::assign(ctx, input).is_ok() {
                return true;
            }
        }
        false
    }

    /// The active assignment of a request, if a volunteer is on it.
    pub(crate) fn active(ctx: &Ctx<'_>, request: &str) -> Option<String> {
        ctx.store
            .conn()
            .query_row(
                "SELECT id FROM assignments WHERE request_id = ?1
                 AND status IN ('proposed', 'accepted', 'started')",
                [request],
                |r| r.get(0),
            )
            .ok()
    }

    /// A volunteer's start: accepted, then started; now and then a no-show instead, and the
    /// request goes back to the queue for someone else.
    pub(crate) fn start(
        &mut self,
        ctx: &mut Ctx<'_>,
        rng: &mut StdRng,
        request: &str,
        now: DateTime<Utc>,
    ) -> bool {
        let Some(a) = Self::active(ctx, request) else { return false };
        if rng.gen_bool(0.07) {
            let _ = assignment::record(ctx, &a, Move::NoShow, Some("电话无人接听，未到场".into()));
            return self.send(ctx, request, now) && self.start(ctx, rng, request, now);
        }
        let _ = assignment::record(ctx, &a, Move::Accept, None);
        assignment::record(ctx, &a, Move::Start, None).is_ok()
    }

    /// Done; an official confirms about a third at once (the rest wait for the callback).
    pub(crate) fn done(ctx: &mut Ctx<'_>, rng: &mut StdRng, request: &str) -> bool {
        let Some(a) = Self::active(ctx, request) else { return false };
        let ok = assignment::record(ctx, &a, Move::Done, Some("已送达".into())).is_ok();
        if ok && rng.gen_bool(0.3) {
            let _ = assignment::confirm(ctx, &a);
        }
        ok
    }

    /// A few volunteers spend points at the shops at the end of the month.
    pub(crate) fn redemptions(ctx: &mut Ctx<'_>, rng: &mut StdRng) -> Result<usize> {
        let shops = refdata::shops(ctx.store)?;
        let rich: Vec<(String, i64)> = ctx
            .store
            .conn()
            .prepare("SELECT volunteer_id, sum(amount) FROM points_ledger GROUP BY volunteer_id HAVING sum(amount) >= 10")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut n = 0;
        for (vol, balance) in rich {
            if shops.is_empty() || !rng.gen_bool(0.4) {
                continue;
            }
            let shop = &shops[rng.gen_range(0..shops.len())];
            let amount = rng.gen_range(5..=balance.min(30)) as u32;
            if super::points::redeem(ctx, &vol, &shop.id, amount, "兑换生活用品").is_ok() {
                n += 1;
            }
        }
        Ok(n)
    }
}
