//! `open` as the importer sees it: the shared sample rosters, and hostile files refused with
//! the right reason and no panic.

use std::path::Path;

use super::tests_util::{collect, file};
use super::*;
use crate::import::source::{Cell, Format};

fn sample(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples").join(name)
}

#[test]
fn the_shared_samples_are_read_as_their_offices_wrote_them() {
    let path = sample("roster_gbk.csv");
    if !path.exists() {
        // The samples sit beside the repository, not in it; nothing to check without them.
        return;
    }
    let mut gbk = open(&path, &Limits::default()).expect("gbk");
    assert_eq!(
        (gbk.format(), gbk.encoding(), gbk.delimiter()),
        (Format::Csv, Some("gbk"), Some(','))
    );
    assert_eq!(gbk.sheets()[0].name, "roster_gbk.csv");
    let rows = collect(gbk.as_mut(), 0);
    assert_eq!(rows[0].cells[0], Cell::Text("姓名".into()));
    let en = open(&sample("roster_en.csv"), &Limits::default()).expect("en");
    assert_eq!((en.encoding(), en.delimiter()), (Some("utf-8"), Some(';')));
    let mut titled = open(&sample("roster_titled.xlsx"), &Limits::default()).expect("xlsx");
    let names: Vec<&str> = titled.sheets().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["第1网格", "第2网格", "填表说明"]);
    for sheet in 0..2 {
        let rows = collect(titled.as_mut(), sheet);
        let header = rows.iter().find(|r| r.cells.contains(&Cell::Text("姓名".into())));
        assert_eq!(header.map(|r| r.row), Some(2), "sheet {sheet}: the header is on row 2");
        assert!(
            rows.iter().any(|r| r.cells.iter().any(|c| matches!(c, Cell::Number(n) if *n > 1e17))),
            "sheet {sheet}: identity numbers typed as numbers stay numbers"
        );
    }
}

#[test]
fn hostile_files_are_refused_with_the_right_reason() {
    let dir = tempfile::tempdir().expect("dir");
    let limits = Limits::default();
    assert!(matches!(open(&file(&dir, "e.xlsx", b""), &limits), Err(ReadError::Empty)));
    assert!(matches!(open(dir.path(), &limits), Err(ReadError::NotARoster(_))));
    assert!(matches!(open(&dir.path().join("missing.csv"), &limits), Err(ReadError::Io(_))));
    let mut noise = vec![0u8; 1 << 16];
    let mut x: u32 = 12345;
    for b in &mut noise {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (x >> 16) as u8;
    }
    for (name, head) in [
        ("r.csv", &b""[..]),
        ("z.xlsx", b"PK\x03\x04"),
        ("o.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"),
    ] {
        let bytes = [head, &noise].concat();
        match open(&file(&dir, name, &bytes), &limits) {
            Err(ReadError::NotARoster(_) | ReadError::Corrupt(_)) => {}
            other => panic!("{name}: {:?}", other.map(|i| i.format())),
        }
    }
    let small = Limits { max_file_bytes: 1000, ..Limits::default() };
    assert!(matches!(
        open(&file(&dir, "big.csv", &[b'a'; 2000]), &small),
        Err(ReadError::TooLarge(_))
    ));
}

#[test]
fn a_truncated_xlsx_at_any_length_never_panics() {
    let dir = tempfile::tempdir().expect("dir");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for r in 0..50u32 {
        sheet.write_string(r, 0, format!("居民{r}")).expect("c");
        sheet.write_number(r, 1, f64::from(r)).expect("c");
    }
    let bytes = book.save_to_buffer().expect("buffer");
    let path = dir.path().join("t.xlsx");
    for cut in (1..bytes.len()).step_by(97) {
        std::fs::write(&path, &bytes[..cut]).expect("write");
        if let Ok(mut input) = open(&path, &Limits::default()) {
            for i in 0..input.sheets().len() {
                let _ = input.visit_rows(i, &mut |_r| std::ops::ControlFlow::Continue(()));
            }
        }
    }
}
