//! Generated rosters hold what their summary says: checked row by row against an independent
//! reading of the import spec's rules, for clean, messy and bad rows alike.

use std::collections::{HashMap, HashSet};

use jiayuan_testkit::*;

fn parse(bytes: &[u8]) -> Vec<Vec<String>> {
    let text =
        std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a BOM")).expect("utf-8");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    reader.records().map(|r| r.expect("a record").iter().map(str::to_owned).collect()).collect()
}

fn roster(n: u64, seed: u64, opts: &RosterOptions) -> (Vec<u8>, RosterSummary) {
    let mut out = Vec::new();
    let summary = write_roster_csv(&mut out, n, seed, opts).expect("write to memory");
    (out, summary)
}

fn to_ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect()
}

fn clean(s: &str) -> &str {
    s.trim_matches(|c: char| c == ' ' || c == '\u{3000}')
}

/// The 18-digit number a cell holds, or why not (spec: "One row", id_number).
fn id_number(cell: &str, as_of: (i32, u32, u32)) -> Result<Option<String>, ()> {
    let s = to_ascii(clean(cell)).to_uppercase();
    if s.is_empty() {
        return Ok(None);
    }
    let s = match s.len() {
        18 => s,
        15 if s.bytes().all(|b| b.is_ascii_digit()) => {
            id_with_check(&format!("{}19{}", &s[..6], &s[6..]))
        }
        _ => return Err(()),
    };
    let body = &s[..17];
    if !body.bytes().all(|b| b.is_ascii_digit()) || id_with_check(body) != s {
        return Err(());
    }
    let (y, m, d): (i32, u32, u32) =
        (s[6..10].parse().unwrap(), s[10..12].parse().unwrap(), s[12..14].parse().unwrap());
    if !(1..=12).contains(&m) || d == 0 || d > 31 || (y, m, d) >= as_of {
        return Err(());
    }
    Ok(Some(s))
}

fn phone(cell: &str) -> Result<Option<String>, ()> {
    let s: String = clean(cell).chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let s = s.strip_prefix("+86").or_else(|| s.strip_prefix("0086")).unwrap_or(&s).to_owned();
    if s.is_empty() {
        return Ok(None);
    }
    let digits = s.bytes().all(|b| b.is_ascii_digit());
    let mobile = s.len() == 11 && s.starts_with('1') && (b'3'..=b'9').contains(&s.as_bytes()[1]);
    let landline = s.starts_with('0') && (10..=12).contains(&s.len());
    if digits && (mobile || landline) {
        Ok(Some(s))
    } else {
        Err(())
    }
}

/// Imports the rows as the spec says and reports (created, rejected, duplicates, blank,
/// warnings), with row numbers as Excel shows them.
fn oracle(rows: &[Vec<String>], as_of: (i32, u32, u32)) -> RosterSummary {
    let mut s = RosterSummary { rows: rows.len() as u64 - 1, ..RosterSummary::default() };
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (i, r) in rows.iter().enumerate().skip(1) {
        let row = i as u64 + 1;
        if r.iter().all(|c| clean(c).is_empty()) {
            s.blank += 1;
            continue;
        }
        let name = clean(&r[1]);
        let verdict = if name.is_empty() {
            Err("missing_name")
        } else {
            match (id_number(&r[3], as_of), phone(&r[4])) {
                (Err(()), _) => Err("invalid_id_number"),
                (_, Err(())) => Err("invalid_phone"),
                (Ok(None), Ok(None)) => Err("missing_identity"),
                (Ok(id), Ok(ph)) => {
                    Ok(id.unwrap_or_else(|| format!("{name}/{}", ph.unwrap_or_default())))
                }
            }
        };
        match verdict {
            Err(code) => s.rejected.push((row, code)),
            Ok(key) => {
                if let Some(&first) = seen.get(&key) {
                    s.duplicates.push((row, first));
                    continue;
                }
                seen.insert(key.clone(), row);
                s.valid += 1;
                if !key.contains('/') && !r[2].is_empty() {
                    let male = (key.as_bytes()[16] - b'0') % 2 == 1;
                    if (r[2] == "男") != male {
                        s.warnings.push((row, "sex_conflicts_with_id"));
                    }
                }
            }
        }
    }
    s
}

#[test]
fn a_clean_roster_is_deterministic_unique_and_valid() {
    let opts = RosterOptions::default();
    let (a, summary) = roster(20_000, 42, &opts);
    assert_eq!(a, roster(20_000, 42, &opts).0, "the same seed gives the same bytes");
    assert_ne!(a, roster(20_000, 43, &opts).0);
    assert!(a.ends_with(b"\r\n"));
    let rows = parse(&a);
    assert_eq!(rows[0], ROSTER_HEADER);
    assert_eq!(rows.len(), 20_001);
    assert_eq!(summary, RosterSummary { rows: 20_000, valid: 20_000, ..RosterSummary::default() });
    assert_eq!(oracle(&rows, opts.as_of), summary);
    let mut ids = HashSet::new();
    let mut phones = HashSet::new();
    for r in &rows[1..] {
        assert!(ids.insert(r[3].clone()) && phones.insert(r[4].clone()), "{r:?}");
        let born: (i32, u32, u32) = (
            r[3][6..10].parse().unwrap(),
            r[3][10..12].parse().unwrap(),
            r[3][12..14].parse().unwrap(),
        );
        let age =
            opts.as_of.0 - born.0 - i32::from((opts.as_of.1, opts.as_of.2) < (born.1, born.2));
        let female = (r[3].as_bytes()[16] - b'0').is_multiple_of(2);
        assert_eq!(r[2], if female { "女" } else { "男" });
        if r[10].contains("独居老人") {
            assert!(age >= 60, "{r:?}");
        }
        if r[10].contains("孕产妇") {
            assert!(female && (20..=45).contains(&age), "{r:?}");
        }
    }
}

#[test]
fn messy_and_bad_rows_are_exactly_what_the_summary_says() {
    let opts = RosterOptions { messy: 0.4, bad: 0.15, ..RosterOptions::default() };
    let (bytes, summary) = roster(5_000, 9, &opts);
    let rows = parse(&bytes);
    let seen = oracle(&rows, opts.as_of);
    fn only<T: PartialEq + Copy + std::fmt::Debug>(a: &[T], b: &[T]) -> Vec<T> {
        a.iter().filter(|x| !b.contains(x)).copied().collect()
    }
    assert_eq!(only(&seen.rejected, &summary.rejected), [], "rejected rows not in the summary");
    assert_eq!(only(&summary.rejected, &seen.rejected), [], "rows the summary says are rejected");
    assert_eq!(only(&seen.duplicates, &summary.duplicates), [], "duplicates not in the summary");
    assert_eq!(only(&summary.duplicates, &seen.duplicates), [], "duplicates that are not");
    assert_eq!(only(&seen.warnings, &summary.warnings), [], "warnings not in the summary");
    assert_eq!(only(&summary.warnings, &seen.warnings), [], "warnings that are not");
    // The oracle cannot tell a messy row from a clean one; everything else it finds itself.
    assert_eq!(RosterSummary { messy: summary.messy, ..seen }, summary);
    assert_eq!(summary.valid, 5_000);
    assert!(summary.messy > 1_800 && summary.messy < 2_200, "{}", summary.messy);
    let codes: HashSet<&str> = summary.rejected.iter().map(|(_, c)| *c).collect();
    assert_eq!(codes.len(), 4, "{codes:?}");
    assert!(summary.blank > 50 && summary.duplicates.len() > 50 && !summary.warnings.is_empty());
    let rows_total = summary.valid
        + summary.rejected.len() as u64
        + summary.duplicates.len() as u64
        + summary.blank;
    assert_eq!(summary.rows, rows_total);
    // A quoted note with a line break is one record: rows keep Excel's numbering.
    assert!(rows.iter().any(|r| r[11].contains('\n')));
}

#[test]
fn every_encoding_and_delimiter_holds_the_same_roster() {
    let base = RosterOptions { messy: 0.3, bad: 0.1, ..RosterOptions::default() };
    let (utf8, summary) = roster(2_000, 5, &base);
    let text = String::from_utf8(utf8[3..].to_vec()).expect("utf-8");
    for (encoding, enc) in [
        (TextEncoding::Gbk, encoding_rs::GBK),
        (TextEncoding::Gb18030, encoding_rs::GB18030),
        (TextEncoding::Utf16LeBom, encoding_rs::UTF_16LE),
        (TextEncoding::Utf16BeBom, encoding_rs::UTF_16BE),
    ] {
        let csv = Csv { encoding, ..base.csv };
        let (bytes, s) = roster(2_000, 5, &RosterOptions { csv, ..base });
        assert_eq!(s, summary);
        let bom = if enc == encoding_rs::GBK || enc == encoding_rs::GB18030 { 0 } else { 2 };
        assert_eq!(enc.decode_without_bom_handling(&bytes[bom..]).0, text, "{encoding:?}");
    }
    let tabs = Csv { delimiter: '\t', line_end: LineEnd::Lf, ..base.csv };
    let (bytes, _) = roster(2_000, 5, &RosterOptions { csv: tabs, ..base });
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).delimiter(b'\t').from_reader(&bytes[3..]);
    let rows: Vec<Vec<String>> =
        reader.records().map(|r| r.expect("record").iter().map(str::to_owned).collect()).collect();
    assert_eq!(rows, parse(&utf8));
}

#[test]
fn the_sheet_form_is_the_same_roster() {
    let opts = RosterOptions { messy: 0.2, bad: 0.05, ..RosterOptions::default() };
    let (sheet, summary) = realistic_roster(3_000, 11, &opts);
    let (bytes, s) = roster(3_000, 11, &opts);
    assert_eq!(s, summary);
    assert_eq!(to_csv(&sheet, opts.csv), bytes);
    assert_eq!(sheet.rows[1][0], Value::Number(1.0));
}

#[test]
fn a_million_rows_stream_quickly() {
    let started = std::time::Instant::now();
    let opts = RosterOptions { messy: 0.05, bad: 0.01, ..RosterOptions::default() };
    let mut counted = CountingSink(0);
    let s = write_roster_csv(&mut counted, 1_000_000, 7, &opts).expect("write");
    let secs = started.elapsed().as_secs_f64();
    eprintln!("1,000,000 rows, {} MiB, in {secs:.2} s", counted.0 >> 20);
    assert_eq!(s.valid, 1_000_000);
    assert!(counted.0 > 80 << 20);
    assert!(secs < 60.0, "{secs} s");
}

struct CountingSink(u64);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
