//! A realistic demo district: Jiaxing-like households in streets, communities, grids and flats,
//! made deterministically from a seed so demos, tests and benchmarks see the same district.
//!
//! People come in households, as a grid worker meets them: an elderly person living alone, an
//! elderly couple, a young couple, parents with children, three generations, a single tenant.
//! A household shares a flat, children carry their father's surname, and the situations a
//! district tracks (tags) are given where they make sense, at rates near a Zhejiang city's.

use std::collections::{HashSet, VecDeque};

use chrono::{Datelike, Days, Months, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::residents::{ResidentDraft, Sex};

pub const DEMO_DISTRICT: &str = "南湖区";

/// Streets of the demo district and their communities, in the style of Jiaxing's.
pub const DEMO_STREETS: &[(&str, &[&str])] = &[
    ("建设街道", &["紫阳社区", "建设社区", "秀园社区", "南溪社区"]),
    ("新嘉街道", &["新嘉社区", "穆湖社区", "鸣羊社区", "景湖社区"]),
    ("解放街道", &["解放社区", "少年路社区", "中和社区", "勤俭社区"]),
    ("南湖街道", &["湖滨社区", "南湖社区", "长水社区"]),
    ("东栅街道", &["东栅社区", "陶家社区", "栅堰社区"]),
    ("城南街道", &["城南社区", "槜李社区", "三塔社区"]),
    ("新兴街道", &["新兴社区", "禾兴社区", "汇金社区"]),
];

pub const TAG_LIVING_ALONE: &str = "独居老人";
pub const TAG_DISABLED: &str = "残疾人";
pub const TAG_CHRONIC: &str = "慢性病";
pub const TAG_PREGNANT: &str = "孕产妇";
pub const TAG_LOW_INCOME: &str = "低保户";
pub const TAG_QUARANTINE: &str = "居家隔离";

/// Surnames by frequency, weighted toward Jiaxing (沈, 钱, 朱, 陆, 姚, 顾, 徐 are common there).
#[rustfmt::skip]
const SURNAMES: &[(&str, u32)] = &[
    ("王", 72), ("李", 60), ("张", 60), ("沈", 58), ("陈", 56), ("刘", 40), ("朱", 42),
    ("钱", 36), ("徐", 38), ("陆", 34), ("周", 33), ("吴", 33), ("杨", 28), ("姚", 27),
    ("黄", 24), ("孙", 22), ("胡", 21), ("顾", 21), ("金", 18), ("蒋", 15), ("赵", 14),
    ("马", 12), ("郭", 10), ("何", 10), ("高", 10), ("许", 10), ("林", 9), ("曹", 8),
    ("戴", 8), ("俞", 6), ("费", 6), ("盛", 5), ("褚", 5), ("屠", 4), ("欧阳", 1),
];
/// Given names by generation: what was common when each was born.
#[rustfmt::skip]
const MALE_OLD: &[&str] = &[
    "建国", "建华", "国平", "国强", "根宝", "金根", "阿毛", "德明", "永康", "荣华", "海林",
    "志明", "福林", "兴根", "伟", "强", "军", "明", "华", "平",
];
#[rustfmt::skip]
const MALE_YOUNG: &[&str] = &[
    "伟", "磊", "杰", "涛", "超", "鑫", "浩", "凯", "俊杰", "文斌", "海峰", "晓东", "志强",
    "浩然", "宇轩", "子豪", "俊", "斌", "宇", "晨阳", "一鸣", "博文", "梓睿", "奕辰",
];
#[rustfmt::skip]
const FEMALE_OLD: &[&str] = &[
    "秀英", "桂英", "美华", "玉珍", "月娥", "凤仙", "彩娥", "杏娟", "阿妹", "素珍", "雅琴",
    "丽华", "芳", "英", "珍", "兰", "凤英", "金妹", "秀娟", "美玉",
];
#[rustfmt::skip]
const FEMALE_YOUNG: &[&str] = &[
    "芳", "敏", "静", "丽", "娟", "艳", "燕", "婷婷", "晓红", "丽萍", "慧敏", "佳怡", "欣怡",
    "梓涵", "诗琪", "雨桐", "一诺", "思琪", "雨萱", "可馨", "紫涵", "晓燕", "倩", "颖",
];
/// Birthplaces: mostly Jiaxing's districts and counties, then the provinces that send workers.
#[rustfmt::skip]
const REGIONS: &[(&str, u32)] = &[
    ("330402", 42), ("330411", 18), ("330421", 5), ("330424", 4), ("330481", 5),
    ("330482", 4), ("330483", 5), ("330102", 2), ("310101", 2), ("340104", 5),
    ("410102", 3), ("510104", 2), ("360102", 2), ("320102", 1),
];
#[rustfmt::skip]
const MOBILE_PREFIXES: &[&str] = &[
    "130", "133", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159",
    "177", "180", "181", "182", "187", "188", "189", "191", "199",
];
/// Each community's grids each cover this many buildings: the six-floor walk-ups of 2 units and
/// 2 flats a floor that most of Jiaxing's older communities are made of. Small buildings make
/// even a small demo district spread over several grids per community.
const BUILDINGS_PER_GRID: u32 = 3;
const FLOORS: u32 = 6;
const FLATS_PER_BUILDING: u32 = 2 * FLOORS * 2;

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

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.gen_range(0..items.len())]
}

/// Who lives in a flat.
#[derive(Debug, Clone, Copy)]
enum Household {
    ElderAlone,
    ElderCouple,
    YoungCouple,
    Family,
    ThreeGenerations,
    Tenant,
}

/// One member before identity: sex, age and surname (when inherited).
struct Member {
    sex: Sex,
    age: u32,
    surname: Option<&'static str>,
    role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Elder,
    Adult,
    Child,
}

fn age_between(rng: &mut StdRng, lo: u32, hi: u32) -> u32 {
    rng.gen_range(lo..=hi)
}

/// The residents of a generated district, household by household.
struct District {
    rng: StdRng,
    today: NaiveDate,
    left: usize,
    pending: VecDeque<ResidentDraft>,
    /// Flats handed out so far in each community (street index, community index).
    flats: Vec<Vec<u32>>,
    /// First 17 digits of every identity number given, so each is unique as real ones are.
    ids: HashSet<u64>,
    phones: u64,
}

impl District {
    fn household(&mut self) {
        let rng = &mut self.rng;
        let kind = match rng.gen_range(0..100) {
            0..=7 => Household::ElderAlone,
            8..=19 => Household::ElderCouple,
            20..=31 => Household::YoungCouple,
            32..=66 => Household::Family,
            67..=84 => Household::ThreeGenerations,
            _ => Household::Tenant,
        };
        let father = weighted(rng, SURNAMES);
        let m = |sex, age, surname, role| Member { sex, age, surname, role };
        let mut members = Vec::with_capacity(5);
        match kind {
            Household::ElderAlone => {
                let sex = if rng.gen_bool(0.65) { Sex::Female } else { Sex::Male };
                members.push(m(sex, age_between(rng, 62, 96), None, Role::Elder));
            }
            Household::ElderCouple => {
                let age = age_between(rng, 60, 90);
                members.push(m(Sex::Male, age, Some(father), Role::Elder));
                members.push(m(
                    Sex::Female,
                    age.saturating_sub(rng.gen_range(0..5)).max(58),
                    None,
                    Role::Elder,
                ));
            }
            Household::YoungCouple | Household::Family | Household::ThreeGenerations => {
                let (lo, hi) =
                    if matches!(kind, Household::YoungCouple) { (22, 38) } else { (28, 50) };
                let husband = age_between(rng, lo, hi);
                let wife = husband.saturating_sub(rng.gen_range(0..4)).max(21);
                members.push(m(Sex::Male, husband, Some(father), Role::Adult));
                members.push(m(Sex::Female, wife, None, Role::Adult));
                if !matches!(kind, Household::YoungCouple) {
                    let children = if rng.gen_bool(0.35) { 2 } else { 1 };
                    for _ in 0..children {
                        let gap = rng.gen_range(22..=34);
                        if wife >= gap {
                            let sex = if rng.gen_bool(0.51) { Sex::Male } else { Sex::Female };
                            members.push(m(sex, wife - gap, Some(father), Role::Child));
                        }
                    }
                }
                if matches!(kind, Household::ThreeGenerations) {
                    let grandpa = (husband + rng.gen_range(24..=32)).min(95);
                    if rng.gen_bool(0.7) {
                        members.push(m(Sex::Male, grandpa, Some(father), Role::Elder));
                    }
                    members.push(m(
                        Sex::Female,
                        grandpa.saturating_sub(rng.gen_range(0..4)),
                        None,
                        Role::Elder,
                    ));
                }
            }
            Household::Tenant => {
                let sex = if rng.gen_bool(0.55) { Sex::Male } else { Sex::Female };
                members.push(m(sex, age_between(rng, 19, 58), None, Role::Adult));
            }
        }
        self.settle(kind, members);
    }

    /// Gives the household a flat, identities, phones and tags, and queues its members.
    fn settle(&mut self, kind: Household, members: Vec<Member>) {
        let street_i = self.rng.gen_range(0..DEMO_STREETS.len());
        let (street, communities) = DEMO_STREETS[street_i];
        let community_i = self.rng.gen_range(0..communities.len());
        let flat = self.flats[street_i][community_i];
        self.flats[street_i][community_i] += 1;
        let building = flat / FLATS_PER_BUILDING + 1;
        let in_building = flat % FLATS_PER_BUILDING;
        let unit = in_building / (FLOORS * 2) + 1;
        let room = (in_building % (FLOORS * 2) / 2 + 1) * 100 + in_building % 2 + 1;
        // Grids are places: a community of 3 to 6 grids, each a block of buildings.
        let grids = 3 + ((street_i * 7 + community_i * 3) % 4) as u32;
        let grid = ((building - 1) / BUILDINGS_PER_GRID) % grids + 1;
        let low_income = self.rng.gen_bool(0.015);
        let quarantined = self.rng.gen_bool(0.005);
        let mut household_phone = None;
        for member in members {
            let mut draft = self.person(&member);
            let adult_phone = draft.phone.clone();
            if member.role == Role::Child && member.age < 16 {
                // A child is reached through a parent's phone, as rosters list it.
                draft.phone = household_phone.clone();
            } else if household_phone.is_none() {
                household_phone = adult_phone;
            }
            let rng = &mut self.rng;
            let elder = member.age >= 60;
            let mut tags = Vec::new();
            if matches!(kind, Household::ElderAlone) && elder && rng.gen_bool(0.85) {
                tags.push(TAG_LIVING_ALONE);
            }
            if rng.gen_bool(if elder { 0.05 } else { 0.015 }) {
                tags.push(TAG_DISABLED);
            }
            let chronic = if elder {
                0.35
            } else if member.age >= 40 {
                0.10
            } else {
                0.0
            };
            if rng.gen_bool(chronic) {
                tags.push(TAG_CHRONIC);
            }
            let young_wife = member.sex == Sex::Female && (20..=45).contains(&member.age);
            let couple = matches!(kind, Household::YoungCouple | Household::Family);
            if young_wife && member.role == Role::Adult && couple && rng.gen_bool(0.07) {
                tags.push(TAG_PREGNANT);
            }
            if low_income {
                tags.push(TAG_LOW_INCOME);
            }
            if quarantined {
                tags.push(TAG_QUARANTINE);
            }
            draft.tags = tags.into_iter().map(str::to_owned).collect();
            draft.street = Some(street.to_owned());
            draft.community = Some(communities[community_i].to_owned());
            draft.grid = Some(format!("第{grid}网格"));
            draft.building = Some(format!("{building}幢"));
            draft.unit = Some(format!("{unit}单元"));
            draft.room = Some(room.to_string());
            self.pending.push_back(draft);
        }
    }

    /// A member's name, birth date, identity number and phone.
    fn person(&mut self, m: &Member) -> ResidentDraft {
        let rng = &mut self.rng;
        // Born `age` years ago to the day or up to a year less a day before: never today.
        let years_ago = |n: u32| self.today.checked_sub_months(Months::new(12 * n));
        let upper = years_ago(m.age).expect("a birth date within chrono's range");
        let lower = years_ago(m.age + 1).expect("a birth date within chrono's range");
        let span = (upper - lower).num_days() as u64;
        let mut birth = upper - Days::new(rng.gen_range(1..span));
        let old = m.age >= 45;
        let names = match (m.sex, old) {
            (Sex::Male, true) => MALE_OLD,
            (Sex::Male, false) => MALE_YOUNG,
            (Sex::Female, true) => FEMALE_OLD,
            (Sex::Female, false) => FEMALE_YOUNG,
        };
        let surname = m.surname.unwrap_or_else(|| weighted(rng, SURNAMES));
        let name = format!("{surname}{}", pick(rng, names));
        let region = weighted(rng, REGIONS);
        let male = u32::from(m.sex == Sex::Male);
        let mut seq = rng.gen_range(0..500u32) * 2 + male;
        let mut tries = 0;
        let first17 = loop {
            let digits = format!(
                "{region}{:04}{:02}{:02}{seq:03}",
                birth.year(),
                birth.month(),
                birth.day()
            );
            if self.ids.insert(digits.parse().expect("17 digits")) {
                break digits;
            }
            tries += 1;
            seq = (seq + 2) % 1000;
            if tries % 500 == 0 {
                // Every number of that day and sex is taken in that county: a day older.
                birth = birth.pred_opt().unwrap_or(birth);
            }
        };
        let id_number = format!("{first17}{}", check_char(first17.as_bytes()));
        self.phones += 1;
        // A bijection of the counter onto 8 digits, so no two people share a mobile.
        let suffix = (self.phones.wrapping_mul(48_271_417) + 12_345_679) % 100_000_000;
        let phone = if m.age >= 80 && rng.gen_bool(0.3) {
            format!("0573-8{:07}", suffix % 10_000_000)
        } else {
            format!("{}{suffix:08}", pick(rng, MOBILE_PREFIXES))
        };
        ResidentDraft {
            name,
            sex: Some(m.sex),
            birth_date: Some(birth),
            id_number: Some(id_number),
            phone: Some(phone),
            ..ResidentDraft::default()
        }
    }
}

impl Iterator for District {
    type Item = ResidentDraft;

    fn next(&mut self) -> Option<ResidentDraft> {
        if self.left == 0 {
            return None;
        }
        while self.pending.is_empty() {
            self.household();
        }
        self.left -= 1;
        self.pending.pop_front()
    }
}

/// The GB 11643 MOD 11-2 check character of 17 digits.
fn check_char(first17: &[u8]) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    char::from(b"10X98765432"[(sum % 11) as usize])
}

/// `count` residents of the demo district as of `today`: valid identity numbers unique in the
/// district (sex and birth date inside them agree with the draft), phones, flats, tags.
pub fn people(seed: u64, count: usize, today: NaiveDate) -> impl Iterator<Item = ResidentDraft> {
    District {
        rng: StdRng::seed_from_u64(seed),
        today,
        left: count,
        pending: VecDeque::new(),
        flats: DEMO_STREETS.iter().map(|(_, c)| vec![0; c.len()]).collect(),
        ids: HashSet::with_capacity(count.min(1 << 22)),
        phones: 0,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).expect("date")
    }

    fn age(p: &ResidentDraft) -> u32 {
        today().years_since(p.birth_date.expect("birth")).expect("born before today")
    }

    #[test]
    fn the_same_seed_gives_the_same_district() {
        let a: Vec<_> = people(7, 500, today()).collect();
        assert_eq!(a, people(7, 500, today()).collect::<Vec<_>>());
        assert_ne!(a, people(8, 500, today()).collect::<Vec<_>>());
        assert_eq!(a.len(), 500);
        assert_eq!(a[..100], people(7, 100, today()).collect::<Vec<_>>()[..]);
    }

    #[test]
    fn every_identity_number_is_valid_unique_and_agrees_with_sex_and_birth() {
        let mut seen = HashSet::new();
        for p in people(1, 20_000, today()) {
            let id = p.id_number.clone().expect("id");
            let parsed = crate::identity::parse_id_number(&id, today()).expect("valid id");
            assert_eq!(parsed.number, id, "already normalised");
            assert_eq!(Some(parsed.sex), p.sex);
            assert_eq!(Some(parsed.birth_date), p.birth_date);
            assert!(parsed.birth_date < today());
            assert!(seen.insert(id), "identity numbers are unique");
            let phone = crate::identity::parse_phone(p.phone.as_deref().expect("phone"));
            assert_eq!(phone.expect("a valid phone").number, p.phone.clone().expect("phone"));
        }
    }

    #[test]
    fn tags_fit_the_person() {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let all: Vec<_> = people(3, 20_000, today()).collect();
        for p in &all {
            let age = age(p);
            for t in &p.tags {
                *counts.entry(t.clone()).or_default() += 1;
            }
            if p.tags.iter().any(|t| t == TAG_LIVING_ALONE) {
                assert!(age >= 60, "living alone as elderly at {age}");
            }
            if p.tags.iter().any(|t| t == TAG_PREGNANT) {
                assert_eq!(p.sex, Some(Sex::Female));
                assert!((20..=45).contains(&age), "pregnant at {age}");
            }
        }
        let rate = |tag: &str| counts.get(tag).copied().unwrap_or(0) as f64 / all.len() as f64;
        assert!((0.01..0.06).contains(&rate(TAG_LIVING_ALONE)), "{counts:?}");
        assert!((0.005..0.05).contains(&rate(TAG_DISABLED)), "{counts:?}");
        assert!((0.05..0.25).contains(&rate(TAG_CHRONIC)), "{counts:?}");
        assert!((0.002..0.03).contains(&rate(TAG_PREGNANT)), "{counts:?}");
        assert!((0.003..0.04).contains(&rate(TAG_LOW_INCOME)), "{counts:?}");
        assert!(rate(TAG_QUARANTINE) < 0.02, "{counts:?}");
    }

    #[test]
    fn the_district_looks_like_one() {
        let all: Vec<_> = people(11, 20_000, today()).collect();
        let ages: Vec<u32> = all.iter().map(age).collect();
        let share = |lo: u32, hi: u32| {
            ages.iter().filter(|a| (lo..=hi).contains(*a)).count() as f64 / ages.len() as f64
        };
        assert!((0.08..0.25).contains(&share(0, 17)), "children");
        assert!((0.45..0.75).contains(&share(18, 59)), "working age");
        assert!((0.15..0.40).contains(&share(60, 120)), "elderly");
        let mut surnames: HashMap<char, usize> = HashMap::new();
        for p in &all {
            *surnames.entry(p.name.chars().next().expect("a name")).or_default() += 1;
        }
        assert!(surnames[&'沈'] > surnames[&'赵'], "Jiaxing has many 沈");
        // A flat is one household: the same street, community, grid and address.
        let mut flats: HashMap<(String, String, String, String), String> = HashMap::new();
        for p in &all {
            let o = |v: &Option<String>| v.clone().expect("set");
            let key = (o(&p.community), o(&p.building), o(&p.unit), o(&p.room));
            let grid = format!("{}/{}", o(&p.street), o(&p.grid));
            assert!(DEMO_STREETS
                .iter()
                .any(|(s, c)| *s == o(&p.street) && c.contains(&key.0.as_str())));
            assert_eq!(flats.entry(key).or_insert_with(|| grid.clone()), &grid);
        }
        assert!(flats.len() > 6_000 && flats.len() < 12_000, "{} flats", flats.len());
    }
}
