//! Reading a written workbook back through calamine, cell by cell at absolute positions, and
//! comparing it with the model it was written from.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, Reader};
use jiayuan_testkit::{Sheet, Value, Workbook};

pub type Cells = BTreeMap<(u32, u32), Data>;

/// Every sheet's name and non-empty cells, keyed by (row, column) from A1.
pub fn read_back(bytes: &[u8]) -> Vec<(String, Cells)> {
    let mut wb =
        open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).expect("calamine opens it");
    let names = wb.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).expect("the sheet reads");
            let (top, left) = range.start().unwrap_or((0, 0));
            let cells = range
                .used_cells()
                .map(|(r, c, v)| ((top + r as u32, left + c as u32), v.clone()))
                .collect();
            (name, cells)
        })
        .collect()
}

/// Whether calamine's `got` is the cell `want` was written as. Numbers may come back as
/// integers (xls RK cells) or floats; dates as Excel serials or ISO text (ods).
pub fn same(got: &Data, want: &Value) -> bool {
    match (got, want) {
        (Data::String(g), Value::Text(w)) => g == w,
        (Data::Float(g), Value::Number(w)) => g == w,
        (Data::Int(g), Value::Number(w)) => *g as f64 == *w,
        (Data::DateTime(g), Value::Date { year, month, day }) => {
            // Serials count from 1899-12-30; checked against a known day to stay exact.
            let serial = g.as_f64();
            let known = 45_292.0; // 2024-01-01
            let days = serial - known;
            let back = days_to_date(days as i64);
            back == (*year, *month, *day) && serial.fract() == 0.0
        }
        (Data::DateTimeIso(g), Value::Date { year, month, day }) => {
            *g == format!("{year:04}-{month:02}-{day:02}")
        }
        _ => false,
    }
}

/// The date `days` after 2024-01-01 (a plain walk; tests stay within a century).
fn days_to_date(days: i64) -> (i32, u32, u32) {
    let leap = |y: i32| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_len = |y: i32, m: u32| match m {
        4 | 6 | 9 | 11 => 30,
        2 if leap(y) => 29,
        2 => 28,
        _ => 31,
    };
    let (mut y, mut m, mut d) = (2024, 1u32, 1u32);
    let mut left = days;
    while left < 0 {
        if d > 1 {
            d -= 1;
        } else {
            if m > 1 {
                m -= 1;
            } else {
                m = 12;
                y -= 1;
            }
            d = month_len(y, m);
        }
        left += 1;
    }
    while left > 0 {
        if d < month_len(y, m) {
            d += 1;
        } else {
            d = 1;
            if m < 12 {
                m += 1;
            } else {
                m = 1;
                y += 1;
            }
        }
        left -= 1;
    }
    (y, m, d)
}

/// Asserts the sheet read back holds exactly the sheet's non-empty cells.
pub fn assert_sheet(kind: &str, got: &(String, Cells), want: &Sheet) {
    assert_eq!(got.0, want.name, "{kind}: sheet name");
    let mut expected = 0;
    for (r, row) in want.rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if *v == Value::Empty {
                continue;
            }
            expected += 1;
            let cell = got.1.get(&(r as u32, c as u32));
            let cell = cell.unwrap_or_else(|| {
                panic!("{kind} {}: no cell at ({r}, {c}), want {v:?}", want.name)
            });
            assert!(same(cell, v), "{kind} {}: ({r}, {c}) read {cell:?}, wrote {v:?}", want.name);
        }
    }
    assert_eq!(got.1.len(), expected, "{kind} {}: cells read beyond those written", want.name);
}

pub fn assert_book(kind: &str, bytes: &[u8], book: &Workbook) {
    let sheets = read_back(bytes);
    assert_eq!(sheets.len(), book.sheets.len(), "{kind}: sheet count");
    for (got, want) in sheets.iter().zip(&book.sheets) {
        assert_sheet(kind, got, want);
    }
}
