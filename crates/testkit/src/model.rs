//! The table model every writer takes: sheets of rows of text or numbers, title rows included,
//! exactly as they should appear to an official opening the file.

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    /// Stored as a number: how Excel keeps an identity number typed without a leading quote.
    Number(f64),
    Empty,
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

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(n)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Value>>,
}

impl Sheet {
    pub fn new(name: &str) -> Sheet {
        Sheet { name: name.to_owned(), rows: Vec::new() }
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
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Workbook {
    pub sheets: Vec<Sheet>,
}

impl Workbook {
    pub fn of(sheets: Vec<Sheet>) -> Workbook {
        Workbook { sheets }
    }
}

/// Completes 17 digits with their GB 11643 MOD 11-2 check character.
pub fn id_with_check(first17: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.bytes().zip(W).map(|(b, w)| u32::from(b.wrapping_sub(b'0')) * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{first17}{check}")
}
