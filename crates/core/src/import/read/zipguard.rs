//! Zip bombs and lying archives: before calamine inflates a spreadsheet, its central directory
//! is read and every part that calamine will inflate is inflated here first with a byte cap,
//! so neither a declared size nor a compression ratio is taken on trust.

use std::io::Read;
use std::path::Path;

use super::super::source::{Limits, ReadError};

/// Which spreadsheet a zip holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ZipKind {
    Xlsx,
    Ods,
}

/// Shared strings and ODS content are held whole in memory by calamine; 512 MiB of XML is far
/// past a full 1,048,576 × 20 sheet of distinct short strings (about 300 MiB), yet keeps the
/// process under 1 GiB.
const MAX_WHOLE_PART: u64 = 512 << 20;

/// Real sheet XML deflates about 5 to 40 times (a million identical rows stay under 100, as row
/// and cell references differ); a part that inflates past 64 MiB at more than 250 times is a
/// bomb, and would make calamine's XML reader buffer one enormous text node.
const MAX_RATIO: u64 = 250;
const RATIO_FROM: u64 = 64 << 20;

fn bad(e: impl std::fmt::Display) -> ReadError {
    ReadError::Corrupt(e.to_string())
}

/// Checks the archive and tells what it is.
pub(super) fn check(path: &Path, limits: &Limits) -> Result<ZipKind, ReadError> {
    let file = std::fs::File::open(path)?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(bad)?;
    let names: Vec<String> =
        zip.file_names_raw().map(|n| String::from_utf8_lossy(n).into_owned()).collect();
    let kind = if names.iter().any(|n| n == "xl/workbook.xml" || n == "xl/workbook.bin") {
        ZipKind::Xlsx
    } else if names.iter().any(|n| n == "content.xml") {
        ZipKind::Ods
    } else if names.iter().any(|n| n == "EncryptedPackage") {
        return Err(ReadError::Encrypted);
    } else {
        return Err(ReadError::NotARoster(
            "a zip archive that is not a spreadsheet (xlsx or ods)".into(),
        ));
    };
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(bad)?;
        if entry.encrypted() {
            return Err(ReadError::Encrypted);
        }
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let whole = name == "xl/sharedStrings.xml" || name == "content.xml";
        let cap = if whole { MAX_WHOLE_PART } else { limits.max_inflated_bytes };
        // Inflate with a cap one byte past the limit: reaching it proves the part too large,
        // whatever its header claims.
        let remaining = limits.max_inflated_bytes.saturating_sub(total);
        let limit = cap.min(remaining) + 1;
        let inflated = std::io::copy(&mut (&mut entry).take(limit), &mut std::io::sink())
            .map_err(|e| ReadError::Corrupt(format!("{name}: {e}")))?;
        if inflated >= limit {
            return Err(ReadError::TooLarge(format!(
                "the part {name} inflates past {} MiB (a zip bomb, or far larger than any roster)",
                (limit - 1) >> 20
            )));
        }
        if inflated > RATIO_FROM && inflated / entry.compressed_size().max(1) > MAX_RATIO {
            return Err(ReadError::TooLarge(format!(
                "the part {name} inflates {} times over (a zip bomb)",
                inflated / entry.compressed_size().max(1)
            )));
        }
        total += inflated;
    }
    Ok(kind)
}
