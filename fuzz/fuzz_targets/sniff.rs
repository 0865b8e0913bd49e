//! Any bytes, under any extension: sniffing, decoding, streaming rows, header detection and row
//! judging must end in rows or a `ReadError`, never a panic, a hang or unbounded memory.

#![no_main]

use std::io::Write as _;

use jiayuan_core::import::{header, read, row, source::Limits};
use libfuzzer_sys::fuzz_target;

const EXTENSIONS: [&str; 5] = ["csv", "xlsx", "xls", "ods", "txt"];

fuzz_target!(|data: &[u8]| {
    let ext = EXTENSIONS[data.first().copied().unwrap_or(0) as usize % EXTENSIONS.len()];
    let dir = std::env::temp_dir().join(format!("jiayuan-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("roster.{ext}"));
    let Ok(mut f) = std::fs::File::create(&path) else { return };
    if f.write_all(data).is_err() {
        return;
    }
    drop(f);
    let limits = Limits { max_rows: 5_000, max_record_bytes: 1 << 20, ..Limits::default() };
    let Ok(mut input) = read::open(&path, &limits) else { return };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("date");
    for index in 0..input.sheets().len() {
        let mut head = Vec::new();
        let mut found: Option<header::Header> = None;
        let _ = input.visit_rows(index, &mut |r| {
            match &found {
                Some(h) => {
                    let _ = row::judge(&r, h, today);
                }
                None => {
                    head.push(r);
                    if head.len() == 10 {
                        found = header::detect(&head, None);
                        if let Some(h) = &found {
                            for r in &head {
                                let _ = row::judge(r, h, today);
                            }
                        }
                    }
                }
            }
            std::ops::ControlFlow::Continue(())
        });
        if found.is_none() {
            let _ = header::detect(&head, None);
        }
    }
});
