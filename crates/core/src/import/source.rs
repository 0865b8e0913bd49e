//! What every roster reader yields, whatever the file was: sheets of numbered rows of cells.
//!
//! Readers (text, xlsx, xls, ods) stream rows through a visitor so a million-row file never sits
//! in memory, and so a sheet can be abandoned (cancel, refusal) at any row.

use std::ops::ControlFlow;

/// One cell as the file holds it. Numbers stay numbers so the row rules can tell an identity
/// number that Excel already rounded (`id_number_mangled_by_excel`) from one typed as text.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A numeric cell (spreadsheets only; CSV cells are always text).
    Number(f64),
    Bool(bool),
    /// A date or date-time cell, as ISO 8601 (`2024-03-01` or `2024-03-01T08:00:00`).
    Date(String),
    /// An error cell such as `#N/A`, kept as its text.
    Error(String),
}

impl Cell {
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.chars().all(|c| c.is_whitespace() || c == '\u{3000}'),
            _ => false,
        }
    }
}

/// A row with its number as the official sees it: 1-based, counting title and header rows in a
/// spreadsheet; the record's number in a CSV (a quoted newline does not start a new row).
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    pub row: u32,
    pub cells: Vec<Cell>,
}

impl RawRow {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
}

/// The kind of file, found from its bytes (the extension is only a hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
    Xls,
    Ods,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetInfo {
    pub name: String,
    /// Rows the sheet declares or the reader estimates, for progress; never trusted for logic.
    pub rows_hint: Option<u64>,
}

/// Limits that keep memory bounded whatever the file. The defaults still admit a full
/// 1,048,576-row sheet of 20 columns.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest input file, in bytes.
    pub max_file_bytes: u64,
    /// Largest total a spreadsheet's zip parts may inflate to.
    pub max_inflated_bytes: u64,
    /// Largest single CSV record, in bytes (a larger one refuses the file; a cell over 64 KiB
    /// inside a smaller record only rejects its row).
    pub max_record_bytes: u64,
    /// Most rows read in one sheet.
    pub max_rows: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 2 << 30,
            max_inflated_bytes: 6 << 30,
            max_record_bytes: 64 << 20,
            max_rows: 2_000_000,
        }
    }
}

/// Why a file cannot be read at all. Each message is one line an official can act on.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot open the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file is empty")]
    Empty,
    #[error("this is not a roster: {0}")]
    NotARoster(String),
    #[error("the file is damaged or truncated: {0}")]
    Corrupt(String),
    #[error("the file is over a limit: {0}")]
    TooLarge(String),
    #[error(
        "the file is password-protected or encrypted; save an unprotected copy and import that"
    )]
    Encrypted,
}

/// A visitor's answer per row: go on, or stop reading this sheet.
pub type Flow = ControlFlow<()>;

/// An opened roster file. Obtained from `import::read::open`.
pub trait Input: Send {
    fn format(&self) -> Format;
    /// For text files: `utf-8` (with or without a BOM), `gbk`, `gb18030`, `utf-16le`,
    /// `utf-16be`. `None` for spreadsheets.
    fn encoding(&self) -> Option<&'static str>;
    /// For text files, the detected delimiter.
    fn delimiter(&self) -> Option<char> {
        None
    }
    fn sheets(&self) -> &[SheetInfo];
    /// Streams the rows of sheet `index` in order, blank rows included (the importer counts
    /// them). Returning `Break` from the visitor stops this sheet early.
    fn visit_rows(
        &mut self,
        index: usize,
        visit: &mut dyn FnMut(RawRow) -> Flow,
    ) -> Result<(), ReadError>;
}
