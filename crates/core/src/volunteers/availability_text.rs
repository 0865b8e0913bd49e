//! The text form of weekly hours: what the import wizard reads and the edit form writes, in
//! Chinese and English. Reading forgives what people type (full-width digits, 点 and 半, day
//! periods, English day names); writing gives one canonical form that reads back the same.

use super::{hhmm, merge_slots, AvailabilityError, Slot, DAY_END};

const WEEKDAYS: u8 = 0b001_1111;
const WEEKEND: u8 = 0b110_0000;
const EVERY_DAY: u8 = 0b111_1111;

const MORNING: (u16, u16) = (8 * 60, 12 * 60);
const AFTERNOON: (u16, u16) = (14 * 60, 18 * 60);
const EVENING: (u16, u16) = (18 * 60, 21 * 60);

const ZH_DAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
const EN_DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The weekly hours in their canonical text: days with the same hours grouped (a run of three
/// or more consecutive days as a range), groups in the order of their first day. Invalid slots
/// are left out; [`parse_weekly`] reads the result back to the same normalised slots.
pub fn format_weekly(slots: &[Slot], zh: bool) -> String {
    let valid: Vec<Slot> = slots.iter().copied().filter(|s| s.check().is_ok()).collect();
    let mut per_day: [Vec<(u16, u16)>; 7] = Default::default();
    for s in merge_slots(valid) {
        per_day[usize::from(s.day - 1)].push((s.from_min, s.to_min));
    }
    let mut groups: Vec<(u8, &[(u16, u16)])> = Vec::new();
    for (i, hours) in per_day.iter().enumerate() {
        if hours.is_empty() {
            continue;
        }
        match groups.iter_mut().find(|(_, h)| *h == hours.as_slice()) {
            Some((mask, _)) => *mask |= 1 << i,
            None => groups.push((1 << i, hours)),
        }
    }
    let segments: Vec<String> = groups
        .iter()
        .map(|&(mask, hours)| format!("{} {}", days_text(mask, zh), hours_text(hours, zh)))
        .collect();
    segments.join(if zh { "；" } else { "; " })
}

fn days_text(mask: u8, zh: bool) -> String {
    if mask == EVERY_DAY {
        return if zh { "每天" } else { "Every day" }.to_owned();
    }
    let names = if zh { ZH_DAYS } else { EN_DAYS };
    let mut runs = Vec::new();
    let mut i = 0;
    while i < 7 {
        if mask & (1 << i) == 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i + 1 < 7 && mask & (1 << (i + 1)) != 0 {
            i += 1;
        }
        runs.push(match i - start {
            0 => names[start].to_owned(),
            1 => format!("{}{}{}", names[start], if zh { "、" } else { ", " }, names[i]),
            _ => format!("{}{}{}", names[start], if zh { "至" } else { "–" }, names[i]),
        });
        i += 1;
    }
    runs.join(if zh { "、" } else { ", " })
}

fn hours_text(hours: &[(u16, u16)], zh: bool) -> String {
    let parts: Vec<String> = hours
        .iter()
        .map(|&(from, to)| match (from, to, zh) {
            (0, DAY_END, true) => "全天".to_owned(),
            (0, DAY_END, false) => "all day".to_owned(),
            (_, _, true) => format!("{}-{}", hhmm(from), hhmm(to)),
            (_, _, false) => format!("{}–{}", hhmm(from), hhmm(to)),
        })
        .collect();
    parts.join(if zh { "、" } else { ", " })
}

/// Reads weekly hours typed in Chinese or English: segments split by `;`, `；`, `|`, `。` or a
/// new line, each one or more groups of days followed by hours (`周一至周五 18:00-21:00`,
/// `周一、周三 9:00-12:00`, `周末 全天`, `每天晚上`, `Mon-Fri 6-9pm`, `Sat, Sun all day`).
/// Full-width digits and punctuation, `点`/`半` times and the day periods 上午 (08–12),
/// 下午 (14–18) and 晚上 (18–21) are understood; 下午 or 晚上 before hours moves them past
/// noon (`晚上7点-9点` is 19:00–21:00). Empty text is no hours at all. The result is
/// normalised.
pub fn parse_weekly(text: &str) -> Result<Vec<Slot>, AvailabilityError> {
    let orig: Vec<char> = text.chars().collect();
    let norm: Vec<char> = orig.iter().map(|&c| fold(c)).collect();
    let mut slots = Vec::new();
    let mut start = 0;
    while start < norm.len() {
        let end = (start..norm.len()).find(|&i| is_segment_break(norm[i])).unwrap_or(norm.len());
        let toks = Scanner { orig: &orig, s: &norm, i: start, end, toks: Vec::new() }.run()?;
        read_groups(&orig, &toks, &mut slots)?;
        start = end + 1;
    }
    Ok(merge_slots(slots))
}

/// One character to the form the scanner reads: full-width forms to ASCII, every dash to `-`,
/// every wave to `~`, ASCII lower case. One character for one, so positions still point into
/// the text as typed, which is what an error quotes.
fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => '-',
        '\u{301C}' | '\u{223C}' => '~',
        '\u{FF64}' => '、',
        '\r' | '\n' => '\n',
        c if c.is_whitespace() => ' ',
        c => c,
    };
    c.to_ascii_lowercase()
}

fn is_segment_break(c: char) -> bool {
    matches!(c, ';' | '\n' | '|' | '。')
}

/// Characters that only separate: spaces, commas, and the colon after days (`周一至周五：`).
fn is_soft(c: char) -> bool {
    c == ' '
        || matches!(c, ',' | '、' | '/' | ':' | '.' | '&' | '+' | '和' | '及' | '与' | '(' | ')')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Day(u8),
    Days(u8),
    Through,
    Hours(u16, u16),
}

/// A token and the characters it came from.
#[derive(Debug, Clone, Copy)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Morning,
    Afternoon,
    Evening,
}

impl Period {
    fn hours(self) -> (u16, u16) {
        match self {
            Period::Morning => MORNING,
            Period::Afternoon => AFTERNOON,
            Period::Evening => EVENING,
        }
    }
}

fn zh_numeral(c: char) -> Option<u8> {
    Some(match c {
        '一' | '1' => 1,
        '二' | '2' => 2,
        '三' | '3' => 3,
        '四' | '4' => 4,
        '五' | '5' => 5,
        '六' | '6' => 6,
        '日' | '天' | '7' => 7,
        _ => return None,
    })
}

fn en_word(word: &str) -> Option<Tok> {
    let day = |d| Some(Tok::Day(d));
    match word {
        "mon" | "monday" => day(1),
        "tue" | "tues" | "tuesday" => day(2),
        "wed" | "weds" | "wednesday" => day(3),
        "thu" | "thur" | "thurs" | "thursday" => day(4),
        "fri" | "friday" => day(5),
        "sat" | "saturday" => day(6),
        "sun" | "sunday" => day(7),
        "daily" | "everyday" => Some(Tok::Days(EVERY_DAY)),
        "weekday" | "weekdays" | "workday" | "workdays" => Some(Tok::Days(WEEKDAYS)),
        "weekend" | "weekends" => Some(Tok::Days(WEEKEND)),
        "to" | "through" | "thru" | "till" | "until" => Some(Tok::Through),
        "allday" => Some(Tok::Hours(0, DAY_END)),
        _ => None,
    }
}

fn en_period(word: &str) -> Option<Period> {
    match word.strip_suffix('s').unwrap_or(word) {
        "morning" => Some(Period::Morning),
        "afternoon" => Some(Period::Afternoon),
        "evening" => Some(Period::Evening),
        _ => None,
    }
}

/// Chinese words that stand alone, longest first where one starts another.
const ZH_WORDS: &[(&str, Tok)] = &[
    ("每天", Tok::Days(EVERY_DAY)),
    ("每日", Tok::Days(EVERY_DAY)),
    ("天天", Tok::Days(EVERY_DAY)),
    ("全周", Tok::Days(EVERY_DAY)),
    ("工作日", Tok::Days(WEEKDAYS)),
    ("平日", Tok::Days(WEEKDAYS)),
    ("双休日", Tok::Days(WEEKEND)),
    ("周末", Tok::Days(WEEKEND)),
    ("全天", Tok::Hours(0, DAY_END)),
    ("整天", Tok::Hours(0, DAY_END)),
    ("全日", Tok::Hours(0, DAY_END)),
    ("二十四小时", Tok::Hours(0, DAY_END)),
    ("至", Tok::Through),
    ("到", Tok::Through),
];

const ZH_PERIODS: &[(&str, Period)] = &[
    ("上午", Period::Morning),
    ("早上", Period::Morning),
    ("下午", Period::Afternoon),
    ("晚上", Period::Evening),
];

struct Scanner<'a> {
    orig: &'a [char],
    s: &'a [char],
    i: usize,
    end: usize,
    toks: Vec<Token>,
}

impl Scanner<'_> {
    fn run(mut self) -> Result<Vec<Token>, AvailabilityError> {
        while self.i < self.end {
            let c = self.s[self.i];
            if is_soft(c) {
                self.i += 1;
            } else if c.is_ascii_digit() {
                let start = self.i;
                let (from, to) = self.time_range()?;
                self.push(Tok::Hours(from, to), start);
            } else if c.is_ascii_alphabetic() {
                self.word()?;
            } else if c == '-' || c == '~' {
                self.i += 1;
                self.push(Tok::Through, self.i - 1);
            } else {
                self.cjk()?;
            }
        }
        Ok(self.toks)
    }

    fn push(&mut self, tok: Tok, start: usize) {
        self.toks.push(Token { tok, start, end: self.i });
    }

    fn at(&self, word: &str) -> bool {
        let n = word.chars().count();
        self.i + n <= self.end && word.chars().eq(self.s[self.i..self.i + n].iter().copied())
    }

    fn peek(&self) -> Option<char> {
        (self.i < self.end).then(|| self.s[self.i])
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(' ') {
            self.i += 1;
        }
    }

    /// The text as typed from `start` to the end of the current word, for an error.
    fn part_from(&self, start: usize) -> String {
        let mut end = self.i.max(start + 1).min(self.end);
        while end < self.end && !is_soft(self.s[end]) {
            end += 1;
        }
        self.orig[start..end].iter().collect::<String>().trim().to_owned()
    }

    fn not_understood(&self, start: usize) -> AvailabilityError {
        AvailabilityError::NotUnderstood { part: self.part_from(start) }
    }

    fn bad_time(&self, start: usize) -> AvailabilityError {
        AvailabilityError::BadTime { part: self.part_from(start) }
    }

    fn ascii_word(&mut self) -> String {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        self.s[start..self.i].iter().collect()
    }

    fn word(&mut self) -> Result<(), AvailabilityError> {
        let start = self.i;
        let word = self.ascii_word();
        let plural = word.strip_suffix('s').filter(|w| w.len() >= 3);
        if let Some(tok) = en_word(&word).or_else(|| plural.and_then(en_word)) {
            self.push(tok, start);
            return Ok(());
        }
        if let Some(p) = en_period(&word) {
            return self.period(p, start);
        }
        if word == "and" {
            return Ok(());
        }
        let tok = match word.as_str() {
            "every" | "each" => Tok::Days(EVERY_DAY),
            "all" | "whole" | "full" => Tok::Hours(0, DAY_END),
            _ => return Err(self.not_understood(start)),
        };
        self.skip_spaces();
        match self.ascii_word().as_str() {
            "day" | "days" => {
                self.push(tok, start);
                Ok(())
            }
            _ => Err(self.not_understood(start)),
        }
    }

    fn cjk(&mut self) -> Result<(), AvailabilityError> {
        let start = self.i;
        // 每周一 is every Monday, 每周末 every weekend: the 每 adds nothing.
        if self.at("每周") || self.at("每星期") || self.at("每礼拜") {
            self.i += 1;
        }
        for prefix in ["星期", "礼拜", "周"] {
            if self.at(prefix) {
                let after = self.i + prefix.chars().count();
                if let Some(d) =
                    self.s.get(after).filter(|_| after < self.end).and_then(|&c| zh_numeral(c))
                {
                    self.i = after + 1;
                    self.push(Tok::Day(d), start);
                    return Ok(());
                }
            }
        }
        for &(word, tok) in ZH_WORDS {
            if self.at(word) {
                self.i += word.chars().count();
                self.push(tok, start);
                return Ok(());
            }
        }
        for &(word, p) in ZH_PERIODS {
            if self.at(word) {
                self.i += word.chars().count();
                return self.period(p, start);
            }
        }
        // A bare numeral continues days already named: 周一至五, 周一、三、五.
        let after_day =
            matches!(self.toks.last(), Some(Token { tok: Tok::Day(_) | Tok::Through, .. }));
        if let Some(d) = zh_numeral(self.s[self.i]).filter(|_| after_day) {
            self.i += 1;
            self.push(Tok::Day(d), start);
            return Ok(());
        }
        Err(self.not_understood(start))
    }

    /// 上午, 下午, 晚上 (or morning, afternoon, evening): their hours, or, when hours follow,
    /// those hours, moved past noon after 下午 and 晚上 (`晚上7点-9点`).
    fn period(&mut self, p: Period, start: usize) -> Result<(), AvailabilityError> {
        let back = self.i;
        self.skip_spaces();
        if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i = back;
            let (from, to) = p.hours();
            self.push(Tok::Hours(from, to), start);
            return Ok(());
        }
        let times = self.time_points(start)?;
        let (mut a, mut b) = (times.0, times.1);
        if p != Period::Morning {
            for t in [&mut a, &mut b] {
                if t.ampm.is_none() && (1..12).contains(&t.hour) {
                    t.hour += 12;
                }
            }
            if b.ampm.is_none() && b.hour == 12 && b.minute == 0 {
                b.hour = 24;
            }
        }
        let (from, to) = finish_range(a, b).ok_or_else(|| self.bad_time(start))?;
        self.push(Tok::Hours(from, to), start);
        Ok(())
    }

    fn time_range(&mut self) -> Result<(u16, u16), AvailabilityError> {
        let start = self.i;
        if self.at("24") {
            let back = self.i;
            self.i += 2;
            self.skip_spaces();
            for word in ["小时", "hours", "hrs", "h"] {
                if self.at(word) {
                    self.i += word.chars().count();
                    return Ok((0, DAY_END));
                }
            }
            self.i = back;
        }
        let (a, b) = self.time_points(start)?;
        finish_range(a, b).ok_or_else(|| self.bad_time(start))
    }

    /// Two time points joined by a dash, a wave, 至, 到 or "to".
    fn time_points(&mut self, start: usize) -> Result<(Clock, Clock), AvailabilityError> {
        let a = self.time_point().ok_or_else(|| self.bad_time(start))?;
        self.skip_spaces();
        let joined = ["-", "~", "至", "到", "to", "till", "until"].into_iter().find(|w| {
            self.at(w)
                && !(w.is_ascii()
                    && w.len() > 1
                    && self.s.get(self.i + w.len()).is_some_and(|c| c.is_ascii_alphabetic()))
        });
        let Some(j) = joined else { return Err(self.bad_time(start)) };
        self.i += j.chars().count();
        self.skip_spaces();
        let b = self.time_point().ok_or_else(|| self.bad_time(start))?;
        Ok((a, b))
    }

    /// `18`, `18:30`, `18.30`, `18点`, `18点半`, `18点30(分)`, `18时`, each with am/pm.
    fn time_point(&mut self) -> Option<Clock> {
        let hour = self.number(2)?;
        let mut minute = 0;
        match self.peek() {
            Some(':' | '.') if self.s.get(self.i + 1).is_some_and(|c| c.is_ascii_digit()) => {
                self.i += 1;
                let start = self.i;
                minute = self.number(2)?;
                if self.i - start != 2 {
                    return None;
                }
            }
            Some('点' | '时') => {
                self.i += 1;
                if self.peek() == Some('半') {
                    self.i += 1;
                    minute = 30;
                } else if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    minute = self.number(2)?;
                    if self.peek() == Some('分') {
                        self.i += 1;
                    }
                }
            }
            _ => {}
        }
        let back = self.i;
        self.skip_spaces();
        let ampm = if self.at("am") || self.at("a.m.") {
            Some(false)
        } else if self.at("pm") || self.at("p.m.") {
            Some(true)
        } else {
            None
        };
        match ampm {
            Some(_) => self.i += if self.at("a.m.") || self.at("p.m.") { 4 } else { 2 },
            None => self.i = back,
        }
        Some(Clock { hour, minute, ampm })
    }

    /// Up to `max` ASCII digits; none when there are none, or more follow.
    fn number(&mut self, max: usize) -> Option<u16> {
        let start = self.i;
        let mut n: u16 = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            if self.i - start == max {
                return None;
            }
            n = n * 10 + d as u16;
            self.i += 1;
        }
        (self.i > start).then_some(n)
    }
}

/// A time as typed: hour, minute, and am (`Some(false)`) or pm (`Some(true)`) if said.
#[derive(Debug, Clone, Copy)]
struct Clock {
    hour: u16,
    minute: u16,
    ampm: Option<bool>,
}

impl Clock {
    fn with(self, pm: bool) -> Clock {
        let hour = match (pm, self.hour) {
            (false, 12) => 0,
            (true, h) if h < 12 => h + 12,
            (_, h) => h,
        };
        Clock { hour, ..self }
    }

    fn minutes(self) -> Option<u16> {
        let clock = match self.ampm {
            Some(pm) if (1..=12).contains(&self.hour) => self.with(pm),
            Some(_) => return None,
            None => self,
        };
        if clock.minute > 59 || clock.hour > 24 || (clock.hour == 24 && clock.minute > 0) {
            return None;
        }
        Some(clock.hour * 60 + clock.minute)
    }
}

/// The range in minutes: "6-9pm" is 18:00–21:00 but "10-2pm" 10:00–14:00, and an end at
/// midnight (`22:00-0:00`, `8pm-12am`) is 24:00. Anything not ending after it starts is refused.
fn finish_range(a: Clock, b: Clock) -> Option<(u16, u16)> {
    let to = b.minutes()?;
    let to = if to == 0 { DAY_END } else { to };
    let mut from = a.minutes()?;
    if let (None, Some(pm)) = (a.ampm, b.ampm) {
        if (1..=12).contains(&a.hour) {
            let shifted = a.with(pm).minutes()?;
            if shifted < to {
                from = shifted;
            }
        }
    }
    (from < to).then_some((from, to))
}

fn text_of(orig: &[char], start: usize, end: usize) -> String {
    orig[start..end].iter().collect::<String>().trim().to_owned()
}

/// Groups of days followed by hours.
fn read_groups(
    orig: &[char],
    toks: &[Token],
    slots: &mut Vec<Slot>,
) -> Result<(), AvailabilityError> {
    let mut i = 0;
    while i < toks.len() {
        let first = i;
        let mut days = 0u8;
        loop {
            match toks.get(i).map(|t| t.tok) {
                Some(Tok::Day(a)) => match (toks.get(i + 1), toks.get(i + 2)) {
                    (
                        Some(Token { tok: Tok::Through, .. }),
                        Some(Token { tok: Tok::Day(b), .. }),
                    ) => {
                        days |= day_range(a, *b);
                        i += 3;
                    }
                    _ => {
                        days |= 1 << (a - 1);
                        i += 1;
                    }
                },
                Some(Tok::Days(m)) => {
                    days |= m;
                    i += 1;
                }
                _ => break,
            }
        }
        if days == 0 {
            let t = toks[i];
            let part = text_of(orig, t.start, t.end);
            return Err(match t.tok {
                Tok::Hours(..) => AvailabilityError::NoDays { part },
                _ => AvailabilityError::NotUnderstood { part },
            });
        }
        let mut hours = Vec::new();
        while let Some(Token { tok: Tok::Hours(from, to), .. }) = toks.get(i) {
            hours.push((*from, *to));
            i += 1;
        }
        if hours.is_empty() {
            return Err(match toks.get(i) {
                Some(t) => AvailabilityError::NotUnderstood { part: text_of(orig, t.start, t.end) },
                None => AvailabilityError::NoHours {
                    part: text_of(orig, toks[first].start, toks[i - 1].end),
                },
            });
        }
        for day in 1..=7u8 {
            if days & (1 << (day - 1)) != 0 {
                slots.extend(hours.iter().map(|&(from_min, to_min)| Slot {
                    day,
                    from_min,
                    to_min,
                }));
            }
        }
    }
    Ok(())
}

/// Days `a` to `b` as a mask, round the week when `b` comes first (周五至周一).
fn day_range(a: u8, b: u8) -> u8 {
    let mut mask = 0;
    let mut d = a;
    loop {
        mask |= 1 << (d - 1);
        if d == b {
            return mask;
        }
        d = d % 7 + 1;
    }
}
