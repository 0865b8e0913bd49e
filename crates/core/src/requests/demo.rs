//! A realistic month of requests for the demo district, made by the real commands on a clock
//! that walks through the month: so the demo's history, clocks, escalations and audit log are
//! exactly what officials would have produced, not rows written to look like it.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Channel, NewRequest, Satisfaction, Step};
use crate::clock::ManualClock;
use crate::context::{Actor, Ctx};
use crate::error::Result;
use crate::store::Store;
use crate::volunteers::demo::{dispatched, Dispatcher};

/// What residents ask, by category, as they would say it.
const ASKS: &[(&str, &[&str])] = &[
    (
        "supplies",
        &[
            "想预约口罩，家里三口人，上次的已经用完了",
            "小区封控，家里消毒液和口罩都没有了，能不能帮忙预约一批",
            "老人不会用手机预约口罩，麻烦社区帮忙登记两盒",
            "请问这周的抗原试剂什么时候发，我家还没领到",
        ],
    ),
    (
        "mutual_aid",
        &[
            "家里老人独居，腿脚不便，需要有人帮忙买菜送上门",
            "封控在家没有米和油了，想请志愿者帮忙代买",
            "孩子的奶粉快喝完了，超市买不到，邻居有没有可以匀一下的",
            "需要有人帮忙把快递从小区门口拿上楼，我在隔离",
            "宠物狗没人遛，主人在方舱，求邻居帮忙照看几天",
        ],
    ),
    (
        "community_service",
        &[
            "楼道灯坏了好几天，晚上老人下楼很危险",
            "单元门禁坏了，外面的人随便进出",
            "垃圾两天没人清运了，楼下味道很大",
            "家里水管爆了，物业电话打不通",
            "电梯停了，楼上有行动不便的老人下不来",
        ],
    ),
    (
        "psychological",
        &[
            "一个人隔离在家快两周了，晚上睡不着，心里很慌",
            "母亲最近情绪很低落，总说活着没意思，我们很担心",
            "孩子网课压力大，天天哭，想找人聊聊",
        ],
    ),
    (
        "consultation",
        &[
            "请问从外地返回需要隔离几天，要准备什么材料",
            "低保申请需要哪些材料，去哪里办",
            "核酸检测点今天几点开门",
            "居家隔离期间上班单位要证明，社区能开吗",
        ],
    ),
    (
        "medicine",
        &[
            "高血压的药快吃完了，医院去不了，需要代配药",
            "父亲需要每周透析，封控了不知道怎么去医院",
            "孕妇要做产检，需要车送去妇幼保健院",
            "糖尿病胰岛素只剩两天的量了",
            "老人胸口痛，喘不上气，需要马上送医",
            "孩子高烧不退，附近诊所都关了",
        ],
    ),
    ("other", &["邻居家一直有异味，敲门没人应，担心出事", "捡到一个钱包，想交给社区"]),
];

const HELPERS: &[&str] = &["王志强", "李敏", "张伟（网格员）", "陈静", "刘洋", "志愿者 周涛"];

/// Creates about `per_day` requests a day for the 30 days before `end`, each taken as far
/// through its life as its age makes likely. Returns how many were made.
pub fn month(
    store: &mut Store,
    actor: &Actor,
    seed: u64,
    end: DateTime<Utc>,
    per_day: u32,
) -> Result<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let residents: Vec<(String, bool)> = store
        .conn()
        .prepare(
            "SELECT r.id, EXISTS (SELECT 1 FROM resident_tags rt JOIN tags t ON t.id = rt.tag_id
                                  WHERE rt.resident_rid = r.rid AND t.vulnerability = 1)
             FROM residents r WHERE r.deleted = 0 ORDER BY r.rid",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if residents.is_empty() {
        return Ok(0);
    }
    let grids: Vec<String> = store
        .conn()
        .prepare("SELECT id FROM areas WHERE level = 'grid' ORDER BY rid")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let start = end - Duration::days(30);
    let morning = start.date_naive().and_hms_opt(23, 0, 0).map_or(start, |t| t.and_utc());
    // Every request's life is planned first, then all steps run in time order, so each
    // command happens at its own moment on one clock that only moves forward.
    let mut plan: Vec<(DateTime<Utc>, usize, Planned)> = Vec::new();
    let mut made = Vec::new();
    for day in 0..30 {
        for _ in 0..per_day {
            let (category, asks) = ASKS[weighted(&mut rng)];
            let description = asks[rng.gen_range(0..asks.len())].to_owned();
            let (resident, _) = &residents[rng.gen_range(0..residents.len())];
            // Requests come in from 7:00 to 22:00 Beijing time (23:00 to 14:00 UTC).
            let at = morning + Duration::days(day) + Duration::minutes(rng.gen_range(0..15 * 60));
            if at >= end {
                continue;
            }
            let index = made.len();
            made.push(NewRequest {
                resident_id: Some(resident.clone()),
                category: category.to_owned(),
                description,
                channel: Some(
                    [Channel::Phone, Channel::Wechat, Channel::WalkIn, Channel::Hotline12345]
                        [rng.gen_range(0..4)],
                ),
                ..NewRequest::default()
            });
            plan.push((at, index, Planned::Create));
            let age_h = (end - at).num_hours();
            let mut t = at + Duration::minutes(rng.gen_range(5..90));
            let mut steps: Vec<Step> = Vec::new();
            let roll: f64 = rng.gen();
            if roll < 0.04 {
                steps.push(Step::Reject {
                    reason: "不属于社区职责范围，已告知居民拨打12345".into(),
                });
            } else {
                steps.push(Step::Accept);
                if rng.gen_bool(0.08) && !grids.is_empty() {
                    let to = grids[rng.gen_range(0..grids.len())].clone();
                    steps.push(Step::Transfer {
                        area_id: to, reason: "地址属于相邻网格".into()
                    });
                    if rng.gen_bool(0.4) {
                        steps.push(Step::Accept);
                        steps.push(Step::Return {
                            reason: "该楼栋不在本网格，退回重新派单".into(),
                        });
                    }
                    steps.push(Step::Accept);
                }
                steps.push(Step::Assign {
                    assignee: HELPERS[rng.gen_range(0..HELPERS.len())].into(),
                });
                if rng.gen_bool(0.12) {
                    steps.push(Step::Pause { reason: "等待居民回电确认".into() });
                    steps.push(Step::Resume);
                }
                steps.push(Step::Start);
                steps.push(Step::Resolve { note: "已办结，居民已收到".into() });
                let s = match rng.gen_range(0..10) {
                    0 => Satisfaction::Dissatisfied,
                    1 | 2 => Satisfaction::Basically,
                    3 => Satisfaction::Unreachable,
                    _ => Satisfaction::Satisfied,
                };
                steps.push(Step::Close { satisfaction: s, note: "回访完成".into() });
            }
            // Young requests have only gone part of the way; a few old ones got stuck, and are
            // what the overdue view is for.
            let keep = match age_h {
                h if h < 6 => rng.gen_range(0..=1),
                h if h < 24 => rng.gen_range(0..steps.len()),
                h if h < 72 && rng.gen_bool(0.15) => rng.gen_range(steps.len() / 2..steps.len()),
                _ if steps.len() > 2 && rng.gen_bool(0.006) => rng.gen_range(1..steps.len() - 2),
                _ => steps.len(),
            };
            for s in steps.into_iter().take(keep) {
                if t >= end {
                    break;
                }
                plan.push((t, index, Planned::Step(s)));
                t += Duration::minutes(rng.gen_range(20..600));
            }
        }
    }
    plan.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let clock = ManualClock::at(start);
    Dispatcher::seed(&mut Ctx::new(store, &clock, actor), &mut rng, 3)?;
    let mut dispatcher = Dispatcher::new();
    let mut ids: Vec<Option<String>> = vec![None; made.len()];
    for (at, index, what) in plan {
        clock.set(at);
        let mut ctx = Ctx::new(store, &clock, actor);
        match what {
            Planned::Create => {
                let o = super::create(&mut ctx, made[index].clone())?;
                ids[index] = Some(o.id);
            }
            Planned::Step(s) => {
                let Some(id) = &ids[index] else { continue };
                // Where a volunteer goes, the official dispatches one and records how it went
                // (the office's own helper when nobody can).
                let volunteer = dispatched(&made[index].category);
                let by_volunteer = match &s {
                    Step::Assign { .. } if volunteer => dispatcher.send(&mut ctx, id, at),
                    Step::Start if volunteer => dispatcher.start(&mut ctx, &mut rng, id, at),
                    Step::Resolve { .. } if volunteer => Dispatcher::done(&mut ctx, &mut rng, id),
                    _ => false,
                };
                if !by_volunteer {
                    // A step the plan made impossible (a transfer to the same grid) is
                    // skipped, as an official would.
                    let _ = super::act(&mut ctx, id, s);
                }
            }
        }
    }
    clock.set(end);
    Dispatcher::redemptions(&mut Ctx::new(store, &clock, actor), &mut rng)?;
    Ok(ids.iter().flatten().count())
}

enum Planned {
    Create,
    Step(Step),
}

/// Medicine and mutual aid dominate in a lockdown; consultations are common, the rest rarer.
fn weighted(rng: &mut StdRng) -> usize {
    const WEIGHTS: [u32; 7] = [18, 24, 14, 6, 14, 20, 4];
    let total: u32 = WEIGHTS.iter().sum();
    let mut x = rng.gen_range(0..total);
    for (i, w) in WEIGHTS.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    WEIGHTS.len() - 1
}
