//! Synthetic residents of a Jiaxing-like district, fast and deterministic: the people behind
//! [`crate::roster`]'s rows. Identity numbers are valid (GB 11643 MOD 11-2) and unique, phones
//! unique, ages follow a city's pyramid and tags fit the person.
//!
//! Everything here is plain integers and `&'static str`, so a million people cost no
//! allocation beyond one hash set; the generator is its own (SplitMix64), so a seed gives the
//! same roster on every machine and every version of every dependency.

/// SplitMix64: tiny, fast and well distributed, which is all a test roster needs.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x6A09_E667_F3BC_C909)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; its bias is far below what a test sees).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) < p
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An item by weight; `total` is the sum of the weights.
    pub(crate) fn weighted<T: Copy>(&mut self, items: &[(T, u32)], total: u32) -> T {
        let mut at = self.below(u64::from(total)) as u32;
        for &(item, w) in items {
            if at < w {
                return item;
            }
            at -= w;
        }
        items[items.len() - 1].0
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The GB 11643 MOD 11-2 check character of 17 digits.
pub fn check_char(first17: &[u8]) -> char {
    assert!(
        first17.len() == 17 && first17.iter().all(u8::is_ascii_digit),
        "an identity number's body is 17 digits"
    );
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    char::from(b"10X98765432"[(sum % 11) as usize])
}

/// 17 digits completed with their check character.
pub fn id_with_check(first17: &str) -> String {
    format!("{first17}{}", check_char(first17.as_bytes()))
}

const fn total<T>(items: &[(T, u32)]) -> u32 {
    let mut sum = 0;
    let mut i = 0;
    while i < items.len() {
        sum += items[i].1;
        i += 1;
    }
    sum
}

/// Surnames by frequency, weighted toward Jiaxing (沈, 钱, 朱, 陆, 姚, 顾, 徐 are common there).
#[rustfmt::skip]
const SURNAMES: &[(&str, u32)] = &[
    ("王", 72), ("李", 60), ("张", 60), ("沈", 58), ("陈", 56), ("刘", 40), ("朱", 42),
    ("钱", 36), ("徐", 38), ("陆", 34), ("周", 33), ("吴", 33), ("杨", 28), ("姚", 27),
    ("黄", 24), ("孙", 22), ("胡", 21), ("顾", 21), ("金", 18), ("蒋", 15), ("马", 12),
    ("赵", 14), ("郭", 10), ("何", 10), ("高", 10), ("林", 9), ("许", 10), ("曹", 8),
    ("戴", 8), ("费", 6), ("褚", 5), ("屠", 4), ("盛", 5), ("俞", 6), ("欧阳", 1),
];
const SURNAME_TOTAL: u32 = total(SURNAMES);
#[rustfmt::skip]
const MALE_CHARS: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "华", "飞", "鑫",
    "波", "斌", "宇", "浩", "凯", "健", "俊", "建", "国", "峰", "海", "东", "文", "志", "晨",
    "根", "荣", "德", "永", "忠", "新", "子", "轩", "睿", "博",
];
#[rustfmt::skip]
const FEMALE_CHARS: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "英", "玲", "桂", "兰", "萍", "燕",
    "红", "梅", "琳", "雪", "婷", "慧", "莉", "颖", "倩", "洁", "佳", "欣", "怡", "琪", "雨",
    "晴", "梦", "瑶", "月", "凤", "珍", "美", "妹", "诗", "涵",
];
/// Where residents were born: mostly Jiaxing's districts and counties, then the provinces
/// that send workers to Zhejiang.
#[rustfmt::skip]
const REGIONS: &[(u32, u32)] = &[
    (330402, 40), (330411, 15), (330421, 5), (330424, 4), (330481, 5), (330482, 4),
    (330483, 5), (330102, 2), (310101, 2), (340104, 5), (410102, 4), (510104, 3),
    (360102, 3), (320102, 2), (430102, 1),
];
const REGION_TOTAL: u32 = total(REGIONS);
/// Ages by five-year band, a Zhejiang city's pyramid: few children, a wide working middle,
/// many elderly.
#[rustfmt::skip]
const AGE_BANDS: &[(u32, u32)] = &[
    (0, 40), (5, 45), (10, 42), (15, 38), (20, 50), (25, 70), (30, 85), (35, 80), (40, 75),
    (45, 78), (50, 85), (55, 80), (60, 72), (65, 60), (70, 45), (75, 30), (80, 20), (85, 10),
    (90, 4),
];
const AGE_TOTAL: u32 = total(AGE_BANDS);
/// Streets of the demo district and their communities.
#[rustfmt::skip]
pub(crate) const COMMUNITIES: &[&str] = &[
    "紫阳社区", "建设社区", "秀园社区", "南溪社区", "新嘉社区", "穆湖社区", "鸣羊社区",
    "解放社区", "少年路社区", "中和社区", "湖滨社区", "东栅社区", "长水社区", "陶家社区",
    "栅堰社区", "城南社区",
];
#[rustfmt::skip]
const MOBILE_PREFIXES: &[u16] = &[
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158,
    159, 166, 173, 177, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 198, 199,
];

pub(crate) const TAG_ALONE: u8 = 1;
pub(crate) const TAG_DISABLED: u8 = 2;
pub(crate) const TAG_CHRONIC: u8 = 4;
pub(crate) const TAG_PREGNANT: u8 = 8;
pub(crate) const TAG_LOW_INCOME: u8 = 16;
pub(crate) const TAG_QUARANTINE: u8 = 32;
pub(crate) const TAG_NAMES: [(u8, &str); 6] = [
    (TAG_ALONE, "独居老人"),
    (TAG_DISABLED, "残疾人"),
    (TAG_CHRONIC, "慢性病"),
    (TAG_PREGNANT, "孕产妇"),
    (TAG_LOW_INCOME, "低保户"),
    (TAG_QUARANTINE, "居家隔离"),
];

/// One resident, all in plain values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Person {
    pub surname: &'static str,
    pub given: [&'static str; 2],
    pub given_len: usize,
    pub male: bool,
    pub age: u32,
    pub birth: (i32, u32, u32),
    pub region: u32,
    pub seq: u32,
    pub id: [u8; 18],
    pub phone: u64,
    pub community: &'static str,
    pub grid: u32,
    pub building: u32,
    pub unit: u32,
    pub room: u32,
    pub tags: u8,
}

/// Open addressing over the 17-digit bodies handed out: a million people in 16 MiB, no
/// allocation per insert.
struct IdSet {
    slots: Vec<u64>,
    len: usize,
}

impl IdSet {
    fn with_capacity(n: usize) -> IdSet {
        IdSet { slots: vec![0; (2 * n).next_power_of_two().max(1024)], len: 0 }
    }

    fn insert(&mut self, key: u64) -> bool {
        if 2 * (self.len + 1) > self.slots.len() {
            let grown = vec![0; self.slots.len() * 2];
            let old = std::mem::replace(&mut self.slots, grown);
            self.len = 0;
            for k in old.into_iter().filter(|&k| k != 0) {
                self.insert(k - 1);
            }
        }
        let mask = self.slots.len() - 1;
        let mut i = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20) as usize & mask;
        loop {
            match self.slots[i] {
                0 => {
                    self.slots[i] = key + 1;
                    self.len += 1;
                    return true;
                }
                k if k == key + 1 => return false,
                _ => i = (i + 1) & mask,
            }
        }
    }
}

/// Makes people one after another.
pub(crate) struct People {
    rng: Rng,
    ids: IdSet,
    /// Days since 1970 of the day the roster is as of: everyone is born before it.
    as_of: i64,
    count: u64,
}

impl People {
    pub(crate) fn new(seed: u64, expected: u64, as_of: (i32, u32, u32)) -> People {
        let as_of = crate::model::days_from_civil(as_of.0, as_of.1, as_of.2)
            .expect("the roster's as-of date is a real date");
        let expected = usize::try_from(expected).unwrap_or(usize::MAX / 4).min(1 << 26);
        People { rng: Rng::new(seed), ids: IdSet::with_capacity(expected), as_of, count: 0 }
    }

    pub(crate) fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// The next resident, overwriting `p`.
    pub(crate) fn next(&mut self, p: &mut Person) {
        let rng = &mut self.rng;
        p.male = rng.chance(0.5);
        p.surname = rng.weighted(SURNAMES, SURNAME_TOTAL);
        let pool = if p.male { MALE_CHARS } else { FEMALE_CHARS };
        p.given_len = if rng.chance(0.2) { 1 } else { 2 };
        p.given = [*rng.pick(pool), *rng.pick(pool)];
        let band = rng.weighted(AGE_BANDS, AGE_TOTAL);
        p.age = band + rng.below(5) as u32;
        // Born `age` years and up to a year before the as-of day, never on or after it.
        let mut born = self.as_of - (i64::from(p.age) * 36_525) / 100 - 1 - rng.below(364) as i64;
        p.region = rng.weighted(REGIONS, REGION_TOTAL);
        let mut seq = rng.below(500) as u32 * 2 + u32::from(p.male);
        let mut tries = 0;
        let date = loop {
            let (y, m, d) = crate::model::civil_from_days(born);
            let date = (y as u64) * 10_000 + u64::from(m) * 100 + u64::from(d);
            let key = u64::from(p.region) * 100_000_000_000 + date * 1000 + u64::from(seq);
            if self.ids.insert(key) {
                p.birth = (y, m, d);
                break date;
            }
            tries += 1;
            seq = (seq + 2) % 1000;
            if tries % 500 == 0 {
                // Every sequence number of that day is taken: a day older.
                born -= 1;
            }
        };
        p.seq = seq;
        put_digits(&mut p.id[0..6], u64::from(p.region));
        put_digits(&mut p.id[6..14], date);
        put_digits(&mut p.id[14..17], u64::from(seq));
        p.id[17] = check_char(&p.id[..17]) as u8;
        p.age = age_on(p.birth, self.as_of);
        // A bijection of the counter onto 8 digits: phones never repeat below 10^8 people.
        let suffix = (self.count.wrapping_mul(48_271_417) + 12_345_679) % 100_000_000;
        p.phone = u64::from(*rng.pick(MOBILE_PREFIXES)) * 100_000_000 + suffix;
        self.count += 1;
        p.community = *rng.pick(COMMUNITIES);
        p.grid = 1 + rng.below(8) as u32;
        p.building = 1 + rng.below(40) as u32;
        p.unit = 1 + rng.below(4) as u32;
        p.room = (1 + rng.below(18) as u32) * 100 + 1 + rng.below(4) as u32;
        p.tags = 0;
        let rates = [
            (TAG_ALONE, p.age >= 60, 0.12),
            (TAG_DISABLED, true, 0.025),
            (TAG_CHRONIC, p.age >= 40, 0.18),
            (TAG_PREGNANT, !p.male && (20..=45).contains(&p.age), 0.03),
            (TAG_LOW_INCOME, true, 0.015),
            (TAG_QUARANTINE, true, 0.005),
        ];
        for (tag, eligible, rate) in rates {
            if eligible && rng.chance(rate) {
                p.tags |= tag;
            }
        }
    }
}

/// `v` in decimal, zero-padded to fill `out`.
pub(crate) fn put_digits(out: &mut [u8], mut v: u64) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Whole years from `birth` to the day `as_of` (days since 1970).
fn age_on(birth: (i32, u32, u32), as_of: i64) -> u32 {
    let (y, m, d) = crate::model::civil_from_days(as_of);
    let before = (m, d) < (birth.1, birth.2);
    (y - birth.0 - i32::from(before)).max(0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_example_checks() {
        assert_eq!(id_with_check("11010519491231002"), "11010519491231002X");
        assert_eq!(check_char(b"44052418800101001"), '4');
    }

    #[test]
    fn people_are_unique_valid_and_born_before_the_day() {
        let as_of = (2025, 6, 30);
        let mut people = People::new(5, 1000, as_of);
        let mut p = Person::default();
        let mut seen = std::collections::HashSet::new();
        let limit = crate::model::days_from_civil(2025, 6, 30).expect("date");
        for _ in 0..50_000 {
            people.next(&mut p);
            assert!(seen.insert(p.id), "identity numbers repeat");
            assert_eq!(p.id[17] as char, check_char(&p.id[..17]));
            assert_eq!((p.id[16] - b'0') % 2 == 1, p.male, "the sex digit");
            let born = crate::model::days_from_civil(p.birth.0, p.birth.1, p.birth.2);
            assert!(born.expect("a real date") < limit);
            if p.tags & TAG_ALONE != 0 {
                assert!(p.age >= 60);
            }
            if p.tags & TAG_PREGNANT != 0 {
                assert!(!p.male && (20..=45).contains(&p.age));
            }
        }
    }
}
