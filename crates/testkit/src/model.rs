//! The table model every writer takes: sheets of rows of cells, title rows included, exactly as
//! they should appear to an official opening the file.

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    /// Stored as a number: how Excel keeps an identity number typed without a leading quote.
    Number(f64),
    /// A date cell (a number with a date format in Excel, a date value in ODS); CSV writes it
    /// as Excel on Chinese Windows displays it, `1980/1/1`.
    Date {
        year: i32,
        month: u32,
        day: u32,
    },
    Empty,
}

impl Value {
    /// What Excel stores when someone types `digits` into a General cell: a number that keeps
    /// only 15 significant digits, the rest turned to zeros. An 18-digit identity number loses
    /// its last three digits this way, which is the mangling the importer must recognise.
    pub fn excel_typed(digits: &str) -> Value {
        assert!(
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
            "excel_typed takes plain digits, got {digits:?}"
        );
        let kept: String =
            digits.char_indices().map(|(i, c)| if i < 15 { c } else { '0' }).collect();
        Value::Number(kept.parse().expect("digits parse as a number"))
    }

    pub fn date(year: i32, month: u32, day: u32) -> Value {
        assert!(days_from_civil(year, month, day).is_some(), "{year}-{month}-{day} is no date");
        Value::Date { year, month, day }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        if s.is_empty() {
            Value::Empty
        } else {
            Value::Text(s.to_owned())
        }
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        if s.is_empty() {
            Value::Empty
        } else {
            Value::Text(s)
        }
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(n)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n as f64)
    }
}

/// One sheet, or the whole of a CSV file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Value>>,
    /// Columns formatted as text (`@`) where the format can say so (xlsx, xls), as an office
    /// that learnt about identity numbers the hard way formats them.
    pub text_columns: Vec<u16>,
}

impl Sheet {
    pub fn new(name: &str) -> Sheet {
        Sheet { name: name.to_owned(), ..Sheet::default() }
    }

    /// Appends a row of text cells (`""` is an empty cell).
    pub fn row(mut self, cells: &[&str]) -> Sheet {
        self.rows.push(cells.iter().map(|c| Value::from(*c)).collect());
        self
    }

    /// Appends a row of any cells.
    pub fn cells(mut self, cells: Vec<Value>) -> Sheet {
        self.rows.push(cells);
        self
    }

    /// Appends a title row ("XX社区居民花名册"). Any one-cell text row above the first wider
    /// row is a title; spreadsheets merge it across the sheet's width (see [`Sheet::titles`]).
    pub fn title(self, text: &str) -> Sheet {
        self.row(&[text])
    }

    /// Appends a row with no cells: what an official leaves between two blocks of a roster.
    pub fn blank_row(mut self) -> Sheet {
        self.rows.push(Vec::new());
        self
    }

    /// Formats column `col` (0-based) as text in the formats that can.
    pub fn text_column(mut self, col: u16) -> Sheet {
        self.text_columns.push(col);
        self
    }

    /// The number of columns: the widest row.
    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// Rows written as merged titles: one text cell, above the first row with more cells, in
    /// a sheet wider than one column. A notes sheet of one column has none.
    pub fn titles(&self) -> Vec<usize> {
        if self.width() < 2 {
            return Vec::new();
        }
        self.rows
            .iter()
            .take_while(|r| r.len() <= 1)
            .enumerate()
            .filter(|(_, r)| matches!(r.as_slice(), [Value::Text(_)]))
            .map(|(i, _)| i)
            .collect()
    }
}

/// Several named sheets: what xlsx, xls and ods files hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Workbook {
    pub sheets: Vec<Sheet>,
}

impl Workbook {
    pub fn of(sheets: Vec<Sheet>) -> Workbook {
        Workbook { sheets }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm), or `None`
/// when the month or day does not exist.
pub(crate) fn days_from_civil(year: i32, month: u32, day: u32) -> Option<i64> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_len = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > month_len {
        return None;
    }
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The date `days` after 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

/// Excel's serial number of a date: days since 1899-12-30, which is right from 1900-03-01 on
/// (Excel counts a 29 February 1900 that never was).
pub(crate) fn excel_serial(year: i32, month: u32, day: u32) -> f64 {
    let days = days_from_civil(year, month, day).expect("a real date");
    assert!(days >= -25_508, "dates before 1900-03-01 have no faithful Excel serial");
    (days + 25_569) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_arithmetic_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(days_from_civil(2000, 2, 29), Some(11_016));
        assert_eq!(days_from_civil(2001, 2, 29), None);
        for d in (-30_000..30_000).step_by(7) {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), Some(d));
        }
        assert_eq!(excel_serial(1900, 3, 1), 61.0);
        assert_eq!(excel_serial(2024, 1, 1), 45_292.0);
    }

    #[test]
    fn excel_keeps_fifteen_digits() {
        assert_eq!(Value::excel_typed("330402198001011234"), Value::Number(330402198001011000.0));
        assert_eq!(Value::excel_typed("330402800202112"), Value::Number(330402800202112.0));
    }

    #[test]
    fn titles_are_the_one_cell_rows_above_the_header() {
        let s = Sheet::new("x")
            .title("花名册")
            .title("制表：建设社区")
            .row(&["姓名", "电话"])
            .row(&["合计"]);
        assert_eq!(s.titles(), [0, 1]);
        assert!(Sheet::new("说明").row(&["请用文本格式"]).titles().is_empty());
    }
}
