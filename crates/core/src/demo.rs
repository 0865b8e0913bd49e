//! A realistic demo district: Jiaxing-like people, streets, communities, grids and tags, made
//! deterministically from a seed so demos, tests and benchmarks see the same district.

use std::collections::HashMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::identity::id_number::check_char;
use crate::residents::{ResidentDraft, Sex};

pub const DEMO_DISTRICT: &str = "南湖区";

/// Streets of the demo district and their communities (names in the style of Jiaxing's).
const STREETS: &[(&str, &[&str])] = &[
    ("建设街道", &["建设社区", "紫阳社区", "秀园社区", "南溪社区"]),
    ("新嘉街道", &["新嘉社区", "穆湖社区", "鸣羊社区"]),
    ("解放街道", &["解放社区", "南湖社区", "少年路社区", "中和社区"]),
    ("南湖街道", &["湖滨社区", "东栅社区", "长水社区"]),
    ("东栅街道", &["东栅新村社区", "陶家社区", "栅堰社区"]),
];

/// Surnames by frequency, with the ones common around Jiaxing (沈, 钱, 朱, 陆, 姚) weighted up.
const SURNAMES: &[(&str, u32)] = &[
    ("王", 80),
    ("李", 75),
    ("张", 72),
    ("沈", 60),
    ("陈", 58),
    ("刘", 50),
    ("朱", 45),
    ("钱", 40),
    ("徐", 38),
    ("陆", 36),
    ("周", 35),
    ("吴", 34),
    ("杨", 30),
    ("姚", 28),
    ("黄", 26),
    ("孙", 24),
    ("胡", 22),
    ("顾", 20),
    ("金", 18),
    ("蒋", 16),
    ("马", 14),
    ("郭", 12),
    ("何", 12),
    ("高", 11),
    ("林", 10),
    ("许", 10),
    ("曹", 9),
    ("戴", 8),
    ("费", 6),
    ("褚", 5),
    ("欧阳", 2),
];
const MALE: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "建国", "建华", "国平", "志强", "海峰", "浩然",
    "宇轩", "子豪", "俊杰", "文斌", "德明", "永康", "根宝", "阿毛", "金龙", "晓东",
];
const FEMALE: &[&str] = &[
    "芳", "敏", "静", "丽", "娟", "艳", "霞", "燕", "秀英", "桂英", "美华", "玉珍", "雅琴", "欣怡",
    "梓涵", "诗琪", "佳怡", "婷婷", "晓红", "凤仙", "月娥", "丽萍", "慧敏", "雨桐",
];
/// Region codes of Jiaxing's districts: residents born here carry them.
const REGIONS: &[&str] = &["330402", "330411", "330421", "330481", "330483"];

fn weighted<'a>(rng: &mut StdRng, items: &[(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.gen_range(0..total);
    for (item, w) in items {
        if pick < *w {
            return item;
        }
        pick -= w;
    }
    items[0].0
}

/// An age from a city's pyramid: few children in a roster, many working-age, a heavy tail of
/// the elderly (the people a lockdown most needs to reach).
fn age(rng: &mut StdRng) -> i64 {
    match rng.gen_range(0..100) {
        0..=11 => rng.gen_range(0..18),
        12..=59 => rng.gen_range(18..60),
        60..=89 => rng.gen_range(60..80),
        _ => rng.gen_range(80..99),
    }
}

/// `count` residents of the demo district, each with a valid identity number unique within the
/// district, a mobile, an address and the tags of their situation.
pub fn people(seed: u64, count: usize, today: NaiveDate) -> impl Iterator<Item = ResidentDraft> {
    let mut rng = StdRng::seed_from_u64(seed);
    let grids_per_community = 4usize;
    // Sequence numbers already given per (region, birth date, sex): real numbers are unique
    // because each registry office counts, and so does this.
    let mut taken: HashMap<(usize, NaiveDate, bool), usize> = HashMap::new();
    (0..count).map(move |i| {
        let sex = if rng.gen_bool(0.5) { Sex::Male } else { Sex::Female };
        let years = age(&mut rng);
        let mut birth = today
            .checked_sub_months(Months::new(12 * years as u32))
            .and_then(|d| d.checked_sub_days(Days::new(rng.gen_range(1..360))))
            .unwrap_or(today);
        let surname = weighted(&mut rng, SURNAMES);
        let given = if sex == Sex::Male { MALE } else { FEMALE };
        let name = format!("{surname}{}", given[rng.gen_range(0..given.len())]);
        let region_index = i % REGIONS.len();
        let region = REGIONS[region_index];
        let male = sex == Sex::Male;
        let seq = loop {
            let n = taken.entry((region_index, birth, male)).or_insert(0);
            if *n < 500 {
                *n += 1;
                break *n - 1;
            }
            // 500 people of one sex born on one day in one county: the next is a day older.
            birth = birth.pred_opt().unwrap_or(birth);
        };
        let seq_digit = seq * 2 + usize::from(male);
        let first17 = format!(
            "{region}{:04}{:02}{:02}{:03}",
            birth.year(),
            birth.month(),
            birth.day(),
            seq_digit
        );
        let id_number = format!("{first17}{}", check_char(first17.as_bytes()));
        let (street, communities) = STREETS[(i / 997) % STREETS.len()];
        let community = communities[(i / 131) % communities.len()];
        let grid = format!("第{}网格", 1 + (i / 29) % grids_per_community);
        let mobile_prefix = ["138", "139", "150", "151", "158", "159", "177", "180", "187", "189"];
        let phone = format!(
            "{}{:08}",
            mobile_prefix[rng.gen_range(0..mobile_prefix.len())],
            rng.gen_range(0..100_000_000u32)
        );
        let mut tags = Vec::new();
        if years >= 60 && rng.gen_bool(0.18) {
            tags.push("独居老人".to_owned());
        }
        if rng.gen_bool(0.03) {
            tags.push("残疾人".to_owned());
        }
        if years >= 40 && rng.gen_bool(0.15) {
            tags.push("慢性病".to_owned());
        }
        if sex == Sex::Female && (20..=45).contains(&years) && rng.gen_bool(0.04) {
            tags.push("孕产妇".to_owned());
        }
        if rng.gen_bool(0.02) {
            tags.push("低保户".to_owned());
        }
        if rng.gen_bool(0.01) {
            tags.push("居家隔离".to_owned());
        }
        ResidentDraft {
            name,
            sex: Some(sex),
            birth_date: Some(birth),
            id_number: Some(id_number),
            phone: Some(phone),
            street: Some(street.to_owned()),
            community: Some(community.to_owned()),
            grid: Some(grid),
            building: Some(format!("{}幢", 1 + rng.gen_range(0..36))),
            unit: Some(format!("{}单元", 1 + rng.gen_range(0..4))),
            room: Some(format!("{}{:02}", 1 + rng.gen_range(0..18), 1 + rng.gen_range(0..4))),
            tags,
            ..ResidentDraft::default()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).expect("date")
    }

    #[test]
    fn the_same_seed_gives_the_same_district() {
        let a: Vec<_> = people(7, 50, today()).collect();
        let b: Vec<_> = people(7, 50, today()).collect();
        assert_eq!(a, b);
        assert_ne!(a, people(8, 50, today()).collect::<Vec<_>>());
    }

    #[test]
    fn every_identity_number_is_valid_unique_and_agrees_with_sex_and_birth() {
        let mut seen = std::collections::HashSet::new();
        for p in people(1, 20_000, today()) {
            let id = p.id_number.clone().expect("id");
            let parsed = crate::identity::parse_id_number(&id, today()).expect("valid id");
            assert_eq!(Some(parsed.sex), p.sex);
            assert_eq!(Some(parsed.birth_date), p.birth_date);
            assert!(seen.insert(id), "identity numbers are unique");
        }
    }

    #[test]
    fn tags_fit_the_person() {
        for p in people(3, 20_000, today()) {
            let age = today().years_since(p.birth_date.expect("birth")).unwrap_or(0);
            if p.tags.iter().any(|t| t == "独居老人") {
                assert!(age >= 60, "living alone as elderly at {age}");
            }
            if p.tags.iter().any(|t| t == "孕产妇") {
                assert_eq!(p.sex, Some(Sex::Female));
                assert!((20..=46).contains(&age), "pregnant at {age}");
            }
        }
    }
}
