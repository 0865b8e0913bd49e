//! The real-looking rosters in `../shared/samples/` import exactly as `expected.json` says:
//! residents created, rejected rows with their reason codes, duplicate rows, skipped sheets and
//! the detected encoding. The folder sits beside the repository on the project's machines; on
//! a machine without it this test says so and checks nothing.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn samples() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples");
    dir.join("expected.json").is_file().then_some(dir)
}

fn import(file: &Path, db: &Path, report: &Path) -> serde_json::Value {
    let out = common::jiayuan()
        .args(["--lang", "en", "import", "residents"])
        .arg(file)
        .arg("--db")
        .arg(db)
        .arg("--report")
        .arg(report)
        .output()
        .expect("run jiayuan");
    assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&std::fs::read(report).expect("report")).expect("report json")
}

fn rejected_by_row(report: &serde_json::Value, sheet: &str) -> BTreeMap<String, String> {
    report["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .filter(|p| p["sheet"] == sheet)
        .map(|p| (p["row"].to_string(), p["code"].as_str().expect("code").to_owned()))
        .collect()
}

fn duplicate_rows(report: &serde_json::Value, sheet: &str) -> Vec<u64> {
    report["duplicates"]
        .as_array()
        .expect("duplicates")
        .iter()
        .filter(|d| d["sheet"] == sheet)
        .map(|d| d["row"].as_u64().expect("row"))
        .collect()
}

fn expected_rejections(e: &serde_json::Value) -> BTreeMap<String, String> {
    e["rejected"]
        .as_object()
        .expect("rejected map")
        .iter()
        .map(|(row, code)| (row.clone(), code.as_str().expect("code").to_owned()))
        .collect()
}

fn expected_duplicates(e: &serde_json::Value) -> Vec<u64> {
    e["duplicate_rows"].as_array().expect("dups").iter().map(|v| v.as_u64().expect("row")).collect()
}

#[test]
fn the_shared_samples_import_exactly_as_expected() {
    let Some(dir) = samples() else {
        eprintln!("../shared/samples is not beside this repository: nothing to check here");
        return;
    };
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("expected"))
            .expect("expected json");
    let tmp = tempfile::tempdir().expect("tmp");
    for case in expected.as_array().expect("cases") {
        let file = case["file"].as_str().expect("file");
        let db = tmp.path().join(format!("{file}.db"));
        let report = import(&dir.join(file), &db, &tmp.path().join(format!("{file}.json")));
        match case.get("sheets") {
            None => {
                assert_eq!(report["encoding"], case["encoding"], "{file}: encoding");
                assert_eq!(report["created"], case["valid_unique"], "{file}: residents created");
                assert_eq!(
                    rejected_by_row(&report, file),
                    expected_rejections(case),
                    "{file}: rejections"
                );
                assert_eq!(
                    duplicate_rows(&report, file),
                    expected_duplicates(case),
                    "{file}: duplicates"
                );
            }
            Some(sheets) => {
                for sheet in sheets.as_array().expect("sheets") {
                    let name = sheet["file"].as_str().expect("sheet name");
                    let got = report["sheets"]
                        .as_array()
                        .expect("sheets")
                        .iter()
                        .find(|s| s["name"] == name)
                        .unwrap_or_else(|| panic!("{file}: sheet {name} not imported: {report}"));
                    assert_eq!(got["created"], sheet["valid_unique"], "{file}/{name}: created");
                    assert_eq!(
                        rejected_by_row(&report, name),
                        expected_rejections(sheet),
                        "{file}/{name}: rejections"
                    );
                    assert_eq!(
                        duplicate_rows(&report, name),
                        expected_duplicates(sheet),
                        "{file}/{name}: duplicates"
                    );
                }
                let skipped: Vec<&str> = report["skipped_sheets"]
                    .as_array()
                    .expect("skipped")
                    .iter()
                    .map(|s| s["name"].as_str().expect("name"))
                    .collect();
                let want: Vec<&str> = case["skipped_sheets"]
                    .as_array()
                    .expect("skipped")
                    .iter()
                    .map(|s| s.as_str().expect("name"))
                    .collect();
                assert_eq!(skipped, want, "{file}: skipped sheets");
            }
        }
    }
}
