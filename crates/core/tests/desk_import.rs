//! The import wizard's calls on real files: preview, cancel, and the rejected rows written back
//! to a spreadsheet that the office fixes and imports again.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiayuan_core::desk::*;
use jiayuan_core::{CoreError, ManualClock};
use jiayuan_testkit::{realistic_roster, to_xlsx, RosterOptions, Sheet, Workbook};

fn desk(dir: &Path) -> Desk {
    let desk = Desk::with_keychain(
        dir.join("data"),
        Arc::new(ManualClock::fixed()),
        Arc::new(jiayuan_core::store::keying::MemoryKeychain::default()),
    );
    desk.open_last().expect("open");
    desk
}

fn roster(dir: &Path, n: u64) -> PathBuf {
    let opts = RosterOptions { bad: 0.1, ..RosterOptions::default() };
    let (body, _) = realistic_roster(n, 5, &opts);
    let mut sheet = Sheet::new("花名册").title("新兴社区居民花名册");
    sheet.rows.extend(body.rows);
    let notes = Sheet::new("说明").row(&["身份证号码请设为文本格式"]);
    let path = dir.join("roster.xlsx");
    std::fs::write(&path, to_xlsx(&Workbook::of(vec![sheet, notes]))).expect("write");
    path
}

fn request(path: &Path, dry_run: bool) -> ImportRequest {
    ImportRequest {
        path: path.display().to_string(),
        sheet: None,
        columns: None,
        dry_run,
        lang: "en".into(),
    }
}

#[test]
fn the_preview_finds_the_header_under_a_title_and_says_when_a_sheet_has_none() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = desk(dir.path());
    let preview = d.import_preview(&roster(dir.path(), 30)).expect("preview");
    assert_eq!(preview.format, "xlsx");
    let roster = &preview.sheets[0];
    assert_eq!(roster.header_row, Some(2), "the title is row 1");
    assert!(roster.columns.iter().any(|c| c.header == "身份证号码" && c.field == "id_number"));
    assert!(
        !roster.rows.is_empty()
            && roster.rows.iter().all(|r| r.cells.len() == roster.columns.len())
    );
    assert_eq!(preview.sheets[1].header_row, None);
}

#[test]
fn a_cancelled_import_writes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = desk(dir.path());
    let path = roster(dir.path(), 500);
    let out = d.import_run(&request(&path, false), &mut |_| {
        d.import_cancel();
    });
    assert!(matches!(out, Err(CoreError::Cancelled)), "{out:?}");
    assert_eq!(d.info().expect("info").residents, 0);
    assert!(d.import_history().expect("history").is_empty());
    assert!(!d.import_cancel(), "the flag is gone once the import ended");
}

#[test]
fn rejected_rows_come_back_with_reasons_and_import_again_as_the_same_rejections() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = desk(dir.path());
    let path = roster(dir.path(), 400);
    let report = d.import_run(&request(&path, false), &mut |_| {}).expect("import");
    assert!(!report.rejected.is_empty());
    let rejected_rows: std::collections::BTreeSet<u32> =
        report.rejected.iter().map(|p| p.row).collect();
    let out = dir.path().join("rejected.xlsx");
    let n = d.rejected_export(&path, &report, &out).expect("export");
    assert_eq!(n, rejected_rows.len() as u64);
    let preview = d.import_preview(&out).expect("preview of the fix-up file");
    let sheet = &preview.sheets[0];
    let last = sheet.columns.last().expect("columns");
    assert_eq!((last.header.as_str(), last.field.as_str()), ("导入问题", "ignore"));
    assert!(sheet.rows.iter().all(|r| !r.cells.last().expect("reason").is_empty()));
    let again = d.import_run(&request(&out, true), &mut |_| {}).expect("dry run");
    assert_eq!(again.created, 0, "nothing in the fix-up file was valid yet");
    assert_eq!(again.rejected.len(), report.rejected.len());
}

#[test]
fn an_import_that_rejected_nothing_has_nothing_to_export() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = desk(dir.path());
    let (sheet, _) = realistic_roster(20, 9, &RosterOptions::default());
    let path = dir.path().join("clean.xlsx");
    std::fs::write(&path, to_xlsx(&Workbook::of(vec![sheet]))).expect("write");
    let report = d.import_run(&request(&path, false), &mut |_| {}).expect("import");
    let err = d.rejected_export(&path, &report, &dir.path().join("x.xlsx")).expect_err("nothing");
    assert_eq!(ApiError::from(err).code, "invalid");
}
