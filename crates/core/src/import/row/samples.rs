//! The shared sample rosters judged row by row: header detection and the row rules alone must
//! reproduce `expected.json` (rejections with their codes, and the valid rows that remain).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::*;
use crate::import::header::detect;
use crate::import::source::Limits;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).expect("date")
}

fn samples() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples");
    dir.join("expected.json").is_file().then_some(dir)
}

fn expected(dir: &Path, file: &str) -> serde_json::Value {
    let all: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("read expected"))
            .expect("expected json");
    all.as_array()
        .expect("cases")
        .iter()
        .find(|c| c["file"] == file)
        .cloned()
        .expect("case for the file")
}

/// CSV records as the spec numbers them: the record's 1-based number, whatever newlines its
/// quoted fields hold.
fn csv_rows(text: &str, delimiter: u8) -> Vec<RawRow> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    reader
        .records()
        .enumerate()
        .map(|(i, r)| RawRow {
            row: u32::try_from(i + 1).expect("row number"),
            cells: r
                .expect("record")
                .iter()
                .map(|c| if c.is_empty() { Cell::Empty } else { Cell::Text(c.to_owned()) })
                .collect(),
        })
        .collect()
}

/// What the rows of one sheet come to: rejections by row, and duplicates as the importer keys
/// them (the identity number, else name and phone).
struct Judged {
    rejected: BTreeMap<String, String>,
    unique: usize,
    duplicates: Vec<u64>,
}

fn judge_all(rows: &[RawRow]) -> Judged {
    let head: Vec<RawRow> = rows.iter().take(10).cloned().collect();
    let header = detect(&head, None).expect("a header in the first rows");
    let mut judged = Judged { rejected: BTreeMap::new(), unique: 0, duplicates: Vec::new() };
    let mut seen: HashMap<String, u32> = HashMap::new();
    for r in rows.iter().filter(|r| r.row > header.row) {
        match judge(r, &header, today()) {
            RowOutcome::Blank => {}
            RowOutcome::Rejected(issue) => {
                judged.rejected.insert(r.row.to_string(), issue.code.as_str().to_owned());
            }
            RowOutcome::Valid { draft, .. } => {
                let key = draft.id_number.clone().unwrap_or_else(|| {
                    format!("{}\u{1f}{}", draft.name, draft.phone.as_deref().unwrap_or(""))
                });
                if seen.insert(key, r.row).is_some() {
                    judged.duplicates.push(u64::from(r.row));
                } else {
                    judged.unique += 1;
                }
            }
        }
    }
    judged
}

fn check(case: &serde_json::Value, judged: &Judged, what: &str) {
    let want: BTreeMap<String, String> = case["rejected"]
        .as_object()
        .expect("rejected")
        .iter()
        .map(|(row, code)| (row.clone(), code.as_str().expect("code").to_owned()))
        .collect();
    assert_eq!(judged.rejected, want, "{what}: rejected rows and their codes");
    let dups: Vec<u64> = case["duplicate_rows"]
        .as_array()
        .expect("duplicate rows")
        .iter()
        .map(|v| v.as_u64().expect("row"))
        .collect();
    assert_eq!(judged.duplicates, dups, "{what}: duplicate rows");
    assert_eq!(Some(judged.unique as u64), case["valid_unique"].as_u64(), "{what}: valid rows");
}

#[test]
fn the_gbk_sample_is_judged_exactly_as_expected() {
    let Some(dir) = samples() else { return };
    let bytes = std::fs::read(dir.join("roster_gbk.csv")).expect("read sample");
    let (text, _, had_errors) = encoding_rs::GBK.decode(&bytes);
    assert!(!had_errors, "the sample is GBK");
    check(&expected(&dir, "roster_gbk.csv"), &judge_all(&csv_rows(&text, b',')), "roster_gbk.csv");
}

#[test]
fn the_english_sample_is_judged_exactly_as_expected() {
    let Some(dir) = samples() else { return };
    let text = std::fs::read_to_string(dir.join("roster_en.csv")).expect("read sample");
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    check(&expected(&dir, "roster_en.csv"), &judge_all(&csv_rows(text, b';')), "roster_en.csv");
}

#[test]
fn the_titled_workbook_is_judged_exactly_as_expected() {
    let Some(dir) = samples() else { return };
    let case = expected(&dir, "roster_titled.xlsx");
    let mut input = crate::import::read::open(&dir.join("roster_titled.xlsx"), &Limits::default())
        .expect("open the workbook");
    let names: Vec<String> = input.sheets().iter().map(|s| s.name.clone()).collect();
    for sheet in case["sheets"].as_array().expect("sheets") {
        let name = sheet["file"].as_str().expect("sheet name");
        let index = names.iter().position(|n| n == name).expect("sheet present");
        let mut rows = Vec::new();
        input
            .visit_rows(index, &mut |r| {
                rows.push(r);
                std::ops::ControlFlow::Continue(())
            })
            .expect("read the sheet");
        check(sheet, &judge_all(&rows), name);
    }
}
