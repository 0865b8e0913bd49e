//! The district's reference data for volunteers: the skills list, what each request category
//! asks of a volunteer (skills, points for a confirmed task, how long a task holds the
//! volunteer), the partner shops, and two settings (the daily points cap, when an assignment
//! with no progress is stale). Seeded from defaults at open; the district edits them, and
//! every device pulls them (sync reference data).

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::context::Ctx;
use crate::error::{CoreError, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Skill {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub active: bool,
}

/// What a category asks of a volunteer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CategoryService {
    pub category: String,
    pub skills: Vec<String>,
    /// Points for a task of this category, once confirmed.
    pub points: u32,
    /// How long a task not given a planned slot holds the volunteer, from acceptance.
    pub task_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Shop {
    pub id: String,
    pub name: String,
    pub address: String,
    pub active: bool,
}

/// The district's volunteer settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct VolunteerSettings {
    /// Most points one volunteer can earn on one day (the seed platform's points were farmed).
    pub points_daily_cap: u32,
    /// An assignment with no progress for this long is stale and can be released.
    pub stale_minutes: u32,
}

pub const DEFAULT_SETTINGS: VolunteerSettings =
    VolunteerSettings { points_daily_cap: 20, stale_minutes: 120 };

const SKILLS: [(&str, &str, &str); 9] = [
    ("delivery", "送货跑腿", "Delivery and errands"),
    ("medicine_run", "代购送药", "Medicine runs"),
    ("driving", "驾车接送", "Driving"),
    ("elderly_care", "照护老人", "Elderly care"),
    ("psychological_support", "心理支持", "Psychological support"),
    ("translation", "翻译与方言", "Translation and dialects"),
    ("medical", "医护", "Medical care"),
    ("repair", "维修", "Repairs"),
    ("paperwork", "代办手续", "Paperwork"),
];

/// (category, skills, points, task minutes) for the default categories.
const SERVICE: [(&str, &[&str], u32, u32); 8] = [
    ("supplies", &["delivery"], 5, 60),
    ("mutual_aid", &["delivery"], 5, 60),
    ("community_service", &[], 3, 60),
    ("psychological", &["psychological_support"], 8, 60),
    ("consultation", &["paperwork"], 2, 30),
    ("medicine", &["medicine_run", "driving"], 8, 90),
    ("welfare_check", &["elderly_care"], 4, 45),
    ("other", &[], 3, 60),
];

/// Seeds what a store without volunteer reference data needs (see requests::refdata).
pub(crate) fn seed_defaults(conn: &Connection) -> Result<()> {
    let tx = conn.unchecked_transaction()?;
    let have: i64 = tx.query_row("SELECT count(*) FROM skills", [], |r| r.get(0))?;
    if have == 0 {
        let mut ins = tx.prepare(
            "INSERT INTO skills (key, label_zh, label_en, sort) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (i, (k, zh, en)) in SKILLS.iter().enumerate() {
            ins.execute((k, zh, en, i as i64))?;
        }
        let mut svc = tx.prepare(
            "INSERT OR IGNORE INTO category_service (category, skills, points, task_minutes)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (c, skills, points, minutes) in SERVICE {
            svc.execute((c, serde_json::to_string(skills)?, points, minutes))?;
        }
    }
    tx.execute(
        "INSERT OR IGNORE INTO district_settings (key, value) VALUES
         ('points_daily_cap', ?1), ('stale_minutes', ?2)",
        (DEFAULT_SETTINGS.points_daily_cap.to_string(), DEFAULT_SETTINGS.stale_minutes.to_string()),
    )?;
    tx.commit()?;
    Ok(())
}

pub fn skills(store: &crate::Store) -> Result<Vec<Skill>> {
    skills_in(store.conn())
}

pub(crate) fn skills_in(conn: &Connection) -> Result<Vec<Skill>> {
    let mut stmt = conn
        .prepare_cached("SELECT key, label_zh, label_en, active FROM skills ORDER BY sort, key")?;
    let rows = stmt.query_map([], |r| {
        Ok(Skill { key: r.get(0)?, label_zh: r.get(1)?, label_en: r.get(2)?, active: r.get(3)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Skill keys as given, or by their Chinese or English label (an import says 送药), checked
/// against the list; duplicates dropped, order kept.
pub(crate) fn check_skills(conn: &Connection, given: Vec<String>) -> Result<Vec<String>> {
    let known = skills_in(conn)?;
    let mut out: Vec<String> = Vec::new();
    for g in given {
        let g = g.trim();
        if g.is_empty() {
            continue;
        }
        let lower = g.to_lowercase();
        let exact = known
            .iter()
            .find(|s| s.key == g || s.label_zh == g || s.label_en.to_lowercase() == lower);
        // Offices write skills their own way (送药 for 代购送药, 开车 for 驾车接送 is too far):
        // a word inside exactly one label is that skill.
        let found = exact.or_else(|| {
            let mut within = known.iter().filter(|s| {
                s.label_zh.contains(g)
                    || (lower.len() > 3 && s.label_en.to_lowercase().contains(&lower))
            });
            match (within.next(), within.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        });
        match found {
            Some(s) if !out.contains(&s.key) => out.push(s.key.clone()),
            Some(_) => {}
            None => {
                return Err(CoreError::Invalid(format!(
                    "“{g}” is not on the skills list; add it in Settings or choose one of: {}",
                    known.iter().map(|s| s.label_zh.as_str()).collect::<Vec<_>>().join("、")
                )))
            }
        }
    }
    Ok(out)
}

pub fn category_services(store: &crate::Store) -> Result<Vec<CategoryService>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT category, skills, points, task_minutes FROM category_service ORDER BY category",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(CategoryService {
            category: r.get(0)?,
            skills: serde_json::from_str(&r.get::<_, String>(1)?).unwrap_or_default(),
            points: r.get(2)?,
            task_minutes: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What `category` asks; a category without a row asks no skill, gives no points and holds
/// the volunteer for an hour.
pub(crate) fn service_of(conn: &Connection, category: &str) -> Result<CategoryService> {
    Ok(conn
        .prepare_cached(
            "SELECT skills, points, task_minutes FROM category_service WHERE category = ?1",
        )?
        .query_row([category], |r| {
            Ok(CategoryService {
                category: category.to_owned(),
                skills: serde_json::from_str(&r.get::<_, String>(0)?).unwrap_or_default(),
                points: r.get(1)?,
                task_minutes: r.get(2)?,
            })
        })
        .optional()?
        .unwrap_or(CategoryService {
            category: category.to_owned(),
            skills: vec![],
            points: 0,
            task_minutes: 60,
        }))
}

pub fn shops(store: &crate::Store) -> Result<Vec<Shop>> {
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT id, name, address, active FROM shops ORDER BY name, id")?;
    let rows = stmt.query_map([], |r| {
        Ok(Shop { id: r.get(0)?, name: r.get(1)?, address: r.get(2)?, active: r.get(3)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn settings(store: &crate::Store) -> Result<VolunteerSettings> {
    settings_in(store.conn())
}

pub(crate) fn settings_in(conn: &Connection) -> Result<VolunteerSettings> {
    let get = |key: &str, default: u32| -> Result<u32> {
        let v = crate::requests::refdata::setting(conn, key)?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(default))
    };
    Ok(VolunteerSettings {
        points_daily_cap: get("points_daily_cap", DEFAULT_SETTINGS.points_daily_cap)?,
        stale_minutes: get("stale_minutes", DEFAULT_SETTINGS.stale_minutes)?,
    })
}

/// Adds or edits a skill (the district's to set).
pub fn set_skill(ctx: &mut Ctx<'_>, skill: Skill) -> Result<()> {
    let key = skill.key.trim().to_owned();
    if key.is_empty() || skill.label_zh.trim().is_empty() || skill.label_en.trim().is_empty() {
        return Err(CoreError::Invalid("a skill needs a key and both labels".into()));
    }
    ctx.write(|w| {
        w.tx().execute(
            "INSERT INTO skills (key, label_zh, label_en, active, sort)
             VALUES (?1, ?2, ?3, ?4, (SELECT ifnull(max(sort), 0) + 1 FROM skills))
             ON CONFLICT (key) DO UPDATE SET label_zh = excluded.label_zh,
                 label_en = excluded.label_en, active = excluded.active",
            (&key, skill.label_zh.trim(), skill.label_en.trim(), skill.active),
        )?;
        w.record("skill.set", json!({ "key": key }))
    })
}

/// Sets what a category asks of a volunteer.
pub fn set_category_service(ctx: &mut Ctx<'_>, mut s: CategoryService) -> Result<()> {
    s.skills = check_skills(ctx.store.conn(), s.skills)?;
    if s.task_minutes == 0 || s.task_minutes > 24 * 60 {
        return Err(CoreError::Invalid("a task lasts between 1 minute and a day".into()));
    }
    if s.points > 1000 {
        return Err(CoreError::Invalid("at most 1,000 points for one task".into()));
    }
    crate::requests::refdata::category(ctx.store.conn(), &s.category)?;
    ctx.write(|w| {
        w.tx().execute(
            "INSERT INTO category_service (category, skills, points, task_minutes)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (category) DO UPDATE SET skills = excluded.skills,
                 points = excluded.points, task_minutes = excluded.task_minutes",
            (&s.category, serde_json::to_string(&s.skills)?, s.points, s.task_minutes),
        )?;
        w.record("category_service.set", json!({ "category": s.category }))
    })
}

/// Adds (no id) or edits a partner shop.
pub fn set_shop(ctx: &mut Ctx<'_>, shop: Shop) -> Result<Shop> {
    let name = shop.name.trim().to_owned();
    if name.is_empty() {
        return Err(CoreError::Invalid("a shop needs a name".into()));
    }
    let id = if shop.id.trim().is_empty() { uuid::Uuid::now_v7().to_string() } else { shop.id };
    let out =
        Shop { id: id.clone(), name, address: shop.address.trim().to_owned(), active: shop.active };
    ctx.write(|w| {
        w.tx().execute(
            "INSERT INTO shops (id, name, address, active) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address,
                 active = excluded.active",
            (&out.id, &out.name, &out.address, out.active),
        )?;
        w.record("shop.set", json!({ "id": id }))
    })?;
    Ok(out)
}

/// Sets the district's volunteer settings.
pub fn set_settings(ctx: &mut Ctx<'_>, s: VolunteerSettings) -> Result<()> {
    if s.points_daily_cap == 0 || s.points_daily_cap > 10_000 {
        return Err(CoreError::Invalid("the daily points cap is between 1 and 10,000".into()));
    }
    if s.stale_minutes < 10 || s.stale_minutes > 7 * 24 * 60 {
        return Err(CoreError::Invalid(
            "an assignment turns stale after between 10 minutes and a week".into(),
        ));
    }
    ctx.write(|w| {
        for (k, v) in [("points_daily_cap", s.points_daily_cap), ("stale_minutes", s.stale_minutes)]
        {
            crate::requests::refdata::put_setting(w.tx(), k, &v.to_string())?;
        }
        w.record("district.set", json!({ "keys": ["points_daily_cap", "stale_minutes"] }))
    })
}

/// The built-in points of a category, for a server that never received the district's own
/// table (every device seeds the same defaults without an op).
pub fn default_points(category: &str) -> u32 {
    SERVICE.iter().find(|s| s.0 == category).map(|s| s.2).unwrap_or(0)
}
