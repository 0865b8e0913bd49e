//! Opening a roster file: find its real format from its bytes (the extension is only a hint)
//! and stream its rows. Text files go to [`text`]; spreadsheets to [`sheet`], after
//! [`zipguard`] has checked that their parts inflate to what a real sheet needs.

mod sheet;
mod text;
mod zipguard;

use std::io::Read;
use std::path::Path;

use super::source::{Input, Limits, ReadError};

/// What the first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zip,
    Ole,
    Text,
}

fn sniff(head: &[u8]) -> Kind {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Kind::Zip
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Kind::Ole
    } else {
        Kind::Text
    }
}

/// Opens a roster file of any supported kind.
pub fn open(path: &Path, limits: &Limits) -> Result<Box<dyn Input>, ReadError> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(ReadError::NotARoster("this is a folder, not a file".into()));
    }
    if meta.len() == 0 {
        return Err(ReadError::Empty);
    }
    if meta.len() > limits.max_file_bytes {
        return Err(ReadError::TooLarge(format!(
            "{} MiB; the largest roster accepted is {} MiB",
            meta.len() >> 20,
            limits.max_file_bytes >> 20
        )));
    }
    let mut head = [0u8; 8];
    let n = std::fs::File::open(path)?.read(&mut head)?;
    let name =
        path.file_name().map_or_else(|| "roster".to_owned(), |n| n.to_string_lossy().into_owned());
    match sniff(&head[..n]) {
        Kind::Zip => {
            let kind = zipguard::check(path, limits)?;
            sheet::open_zip(path, kind, limits)
        }
        Kind::Ole => sheet::open_xls(path, limits),
        Kind::Text => Ok(Box::new(text::TextInput::open(path, name, limits)?)),
    }
}

#[cfg(test)]
mod tests;
