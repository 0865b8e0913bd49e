//! Helpers shared by the readers' tests: write a fixture, collect a sheet's rows.

use std::path::PathBuf;

use crate::import::source::{Input, RawRow};

pub(super) fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).expect("write fixture");
    p
}

pub(super) fn collect(input: &mut dyn Input, sheet: usize) -> Vec<RawRow> {
    let mut out = Vec::new();
    input
        .visit_rows(sheet, &mut |r| {
            out.push(r);
            std::ops::ControlFlow::Continue(())
        })
        .expect("rows");
    out
}
