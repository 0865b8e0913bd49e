//! Zip bombs and lying archives. Before any zip is parsed by the zip crate, its end records are
//! read here so a central directory cannot claim millions of entries; before calamine inflates
//! an xlsx, every part is inflated here once with its size enforced and its XML measured (see
//! [`super::xmlscan`]), because calamine holds some parts whole and buffers whole tokens of the
//! others.
//!
//! The zip crate (9.x) refuses to inflate an entry past the size its central directory
//! declares (tested below), so declared sizes are trusted as upper bounds once read.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::super::source::{Limits, ReadError};
use super::xmlscan::{Watch, XmlScan};

/// Which spreadsheet a zip holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ZipKind {
    Xlsx,
    Ods,
}

/// A workbook has a few dozen parts; one per sheet, drawing or image beyond that. Ten thousand
/// admits any roster while keeping the zip crate's per-entry records (a few hundred bytes
/// each, plus names) to a few megabytes.
const MAX_ENTRIES: u64 = 10_000;
/// The central directory of 10,000 entries with long names stays under 8 MiB.
const MAX_CENTRAL_DIRECTORY: u64 = 8 << 20;
/// Deflate cannot beat ~1032:1, which runs of zeros or of one repeated row approach. Real
/// sheet XML compresses 5–30:1: a full 1,048,576 × 20 roster written by rust_xlsxwriter
/// measured 12.5:1 (95 MB holding 1.19 GB), and even a sheet of one repeated value stays
/// under 20:1 because every cell carries its own reference. 200:1 admits those with a
/// tenfold margin (pretty-printed XML included) and refuses bombs.
pub(super) const MAX_RATIO: u64 = 200;
/// Small parts compress absurdly well for honest reasons (an empty styles part, padding).
const RATIO_FLOOR: u64 = 4 << 20;
/// quick-xml holds one whole token, calamine one whole cell or shared string. Excel caps a
/// cell at 32,767 characters (under 200 KiB of escaped UTF-8) and a formula at 8,192; 16 MiB
/// is 80 times that, and anything past 64 KiB of text is rejected per row anyway.
pub(super) const MAX_TOKEN: u64 = 16 << 20;
/// Parts calamine parses whole into structures (workbook, relationships, styles, theme): real
/// ones are under 2 MiB (Excel's 64,000 cell formats fit in about 8 MiB of styles).
const MAX_WHOLE_PART: u64 = 16 << 20;
/// Cell formats calamine keeps per `<xf>`: Excel itself stops at 64,000.
const MAX_XF: u64 = 100_000;
/// Memory calamine spends on the shared strings table, held whole: a `String` (24 bytes) per
/// slot it reserves from `uniqueCount`, about 32 bytes of allocation per string, plus the text.
/// A full 1,048,576 × 20 roster has a few million distinct strings (names, identity numbers,
/// phones): 4 million short ones are estimated at 250 MiB and measured at 220 MiB of peak
/// memory. 384 MiB admits that; more would push an import past 1 GiB.
const MAX_STRINGS_MEMORY: u64 = 384 << 20;

fn bad(e: impl std::fmt::Display) -> ReadError {
    ReadError::Corrupt(e.to_string())
}

fn too_large(what: String) -> ReadError {
    ReadError::TooLarge(what)
}

fn u16_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 2).map_or(0, |s| u64::from(u16::from_le_bytes([s[0], s[1]])))
}

fn u32_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 4).map_or(0, |s| u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_le_bytes(a)
    })
}

fn check_directory(entries: u64, size: u64) -> Result<(), ReadError> {
    if entries > MAX_ENTRIES || size > MAX_CENTRAL_DIRECTORY {
        return Err(too_large(format!(
            "the archive lists {entries} parts in {} KiB; a workbook has far fewer",
            size >> 10
        )));
    }
    Ok(())
}

/// Reads every end-of-central-directory record the zip crate may pick (it looks in the last
/// 64 KiB + 26 bytes) and refuses absurd declared entry counts before the crate allocates.
fn check_end_records(file: &mut std::fs::File, len: u64) -> Result<(), ReadError> {
    let window = len.min(22 + 4 + (1 << 16));
    let start = len - window;
    let mut tail = vec![0u8; window as usize];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut tail)?;
    let mut found = false;
    for at in memchr::memmem::find_iter(&tail, b"PK\x05\x06") {
        found = true;
        let rec = &tail[at..];
        let (entries, size) = (u16_at(rec, 10), u32_at(rec, 12));
        check_directory(entries, size)?;
        let zip64 = entries == 0xFFFF || size == 0xFFFF_FFFF || u32_at(rec, 16) == 0xFFFF_FFFF;
        let locator_at = (start + at as u64).checked_sub(20);
        if let (true, Some(locator_at)) = (zip64, locator_at) {
            let mut locator = [0u8; 20];
            file.seek(SeekFrom::Start(locator_at))?;
            file.read_exact(&mut locator)?;
            if &locator[..4] != b"PK\x06\x07" {
                continue;
            }
            let record_at = u64_at(&locator, 8);
            let mut record = [0u8; 56];
            if record_at.saturating_add(56) > locator_at {
                return Err(bad("the zip64 end record lies outside the archive"));
            }
            file.seek(SeekFrom::Start(record_at))?;
            file.read_exact(&mut record)?;
            // The zip crate may also try other records that end at the locator; one that is
            // not where the locator points is not a file any writer produces.
            if &record[..4] != b"PK\x06\x06"
                || u64_at(&record, 4).saturating_add(12) != locator_at - record_at
            {
                return Err(bad("the zip64 end record is not where the archive says"));
            }
            check_directory(u64_at(&record, 32), u64_at(&record, 40))?;
        }
    }
    if !found {
        return Err(bad("the zip archive has no central directory (truncated?)"));
    }
    Ok(())
}

fn is_xml(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".xml") || lower.ends_with(".rels") || lower.ends_with(".vml")
}

/// The watch for a part of an xlsx, by its name. Binary parts (images, embedded objects) are
/// only held to the token bound: their bytes would form `<c>` "elements" that never close.
/// That calamine reads no binary part as a sheet is checked by [`check_sheet_targets`].
fn watch_for(name: &str) -> Watch {
    let file = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    Watch {
        max_token: MAX_TOKEN,
        bounded: if is_xml(name) { &[b"c", b"is", b"si"] } else { &[] },
        max_element: MAX_TOKEN,
        count: if file == "sharedstrings.xml" {
            &[b"si"]
        } else if file == "styles.xml" {
            &[b"xf"]
        } else {
            &[]
        },
        capture: if file == "sharedstrings.xml" { b"sst" } else { b"" },
    }
}

/// Calamine parses these whole, into structures.
fn loaded_whole(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    file.ends_with(".rels")
        || file == "workbook.xml"
        || file == "styles.xml"
        || file == "[content_types].xml"
        || (file.starts_with("theme") && file.ends_with(".xml"))
}

fn unique_count(captured: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(captured);
    let Some(at) = text.find("uniqueCount") else { return 0 };
    let digits: String = text[at + "uniqueCount".len()..]
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    // An absurd count is itself the problem: calamine reserves that many slots.
    digits.parse().unwrap_or(u64::MAX)
}

/// Inflates one xlsx part, measuring it.
fn scan_part(
    zip: &mut zip::ZipArchive<std::io::BufReader<std::fs::File>>,
    index: usize,
    name: &str,
) -> Result<(), ReadError> {
    let mut entry = zip.by_index(index).map_err(|e| bad(format!("{name}: {e}")))?;
    let mut scan = XmlScan::new(watch_for(name));
    match scan.drain(&mut entry) {
        Err(e) => return Err(bad(format!("{name}: {e}"))),
        Ok(Err(e)) => return Err(too_large(format!("the part {name} is not a real sheet: {e}"))),
        Ok(Ok(())) => {}
    }
    let lower = name.to_ascii_lowercase();
    if (lower.ends_with(".xml") || lower.ends_with(".rels")) && !scan.finished_cleanly() {
        return Err(bad(format!("the part {name} ends in the middle of its XML")));
    }
    let file = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    if file == "styles.xml" && scan.counted > MAX_XF {
        return Err(too_large(format!(
            "{name} declares {} cell formats; Excel allows 64,000",
            scan.counted
        )));
    }
    if file == "sharedstrings.xml" {
        let strings = scan.counted;
        let slots = unique_count(scan.captured.as_deref().unwrap_or_default());
        // A Vec that outgrows its reservation doubles.
        let slots = if strings > slots { strings.saturating_mul(2) } else { slots };
        let memory = slots
            .saturating_mul(24)
            .saturating_add(strings.saturating_mul(32))
            .saturating_add(scan.text_bytes);
        if memory > MAX_STRINGS_MEMORY {
            return Err(too_large(format!(
                "the shared strings table would need {} MiB of memory (at most {} MiB)",
                memory >> 20,
                MAX_STRINGS_MEMORY >> 20
            )));
        }
    }
    Ok(())
}

/// The value of attribute `name` in one tag's text.
fn attribute<'a>(tag: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(&tag[from..], name) {
        let start = from + at;
        from = start + name.len();
        let preceded = start == 0 || tag[start - 1].is_ascii_whitespace();
        let rest = tag[from..].trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b"=") else { continue };
        let rest = rest.trim_ascii_start();
        let Some(&quote) = rest.first().filter(|q| matches!(q, b'"' | b'\'')) else { continue };
        let end = memchr::memchr(quote, &rest[1..])?;
        if preceded {
            return Some(&rest[1..1 + end]);
        }
    }
    None
}

/// calamine opens each sheet at the target its relationship names, whatever that part is: a
/// sheet pointed at an image would be parsed as XML that no bound above was applied to.
fn check_sheet_targets(
    zip: &mut zip::ZipArchive<std::io::BufReader<std::fs::File>>,
    names: &[String],
) -> Result<(), ReadError> {
    for name in names.iter().filter(|n| n.to_ascii_lowercase().ends_with("workbook.xml.rels")) {
        let mut rels = Vec::new();
        let entry = zip.by_name(name).map_err(|e| bad(format!("{name}: {e}")))?;
        entry
            .take(MAX_WHOLE_PART)
            .read_to_end(&mut rels)
            .map_err(|e| bad(format!("{name}: {e}")))?;
        for at in memchr::memmem::find_iter(&rels, b"<Relationship ") {
            let tag = &rels[at..];
            let tag = &tag[..memchr::memchr(b'>', tag).unwrap_or(tag.len())];
            let kind = attribute(tag, b"Type").unwrap_or_default();
            let target = attribute(tag, b"Target").unwrap_or_default();
            let target = String::from_utf8_lossy(target);
            if kind.ends_with(b"sheet") && !is_xml(&target) {
                return Err(bad(format!("a sheet of the workbook is not XML ({target})")));
            }
        }
    }
    Ok(())
}

const ODS_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";

/// Checks the archive and tells what it is.
pub(super) fn check(path: &Path, limits: &Limits) -> Result<ZipKind, ReadError> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    check_end_records(&mut file, len)?;
    file.seek(SeekFrom::Start(0))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(bad)?;
    let names: Vec<String> =
        zip.file_names_raw().map(|n| String::from_utf8_lossy(n).into_owned()).collect();
    let has = |want: &str| names.iter().any(|n| n.eq_ignore_ascii_case(want));
    // The workbook usually sits at xl/workbook.xml; the package may name another place.
    let workbook = names.iter().any(|n| n.to_ascii_lowercase().ends_with("workbook.xml"));
    let kind = if workbook {
        ZipKind::Xlsx
    } else if has("xl/workbook.bin") {
        return Err(ReadError::NotARoster(
            "an Excel binary workbook (.xlsb); save it as .xlsx and import that".into(),
        ));
    } else if has("content.xml") || has("mimetype") {
        ZipKind::Ods
    } else {
        return Err(ReadError::NotARoster(
            "a zip archive that is not a spreadsheet (xlsx or ods)".into(),
        ));
    };
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(bad)?;
        if entry.encrypted() {
            return Err(ReadError::Encrypted);
        }
        let (size, packed) = (entry.size(), entry.compressed_size());
        declared = declared.saturating_add(size);
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if declared > limits.max_inflated_bytes {
            return Err(too_large(format!(
                "its parts inflate to more than {} MiB",
                limits.max_inflated_bytes >> 20
            )));
        }
        if size > RATIO_FLOOR && size / packed.max(1) > MAX_RATIO {
            return Err(too_large(format!(
                "the part {name} inflates {}-fold, far past any real sheet (a zip bomb?)",
                size / packed.max(1)
            )));
        }
        if kind == ZipKind::Xlsx && loaded_whole(&name) && size > MAX_WHOLE_PART {
            return Err(too_large(format!(
                "the part {name} is {} MiB; real ones are a few",
                size >> 20
            )));
        }
    }
    match kind {
        ZipKind::Xlsx => {
            check_sheet_targets(&mut zip, &names)?;
            for (i, name) in names.iter().enumerate() {
                if !name.ends_with('/') {
                    scan_part(&mut zip, i, name)?;
                }
            }
        }
        ZipKind::Ods => {
            if has("mimetype") {
                let mut mime = Vec::new();
                let entry = zip.by_name("mimetype").map_err(bad)?;
                entry.take(128).read_to_end(&mut mime).map_err(bad)?;
                if mime.trim_ascii() != ODS_MIMETYPE {
                    return Err(ReadError::NotARoster(
                        "an OpenDocument file that is not a spreadsheet".into(),
                    ));
                }
            }
            if let Ok(manifest) = zip.by_name("META-INF/manifest.xml") {
                let mut text = Vec::new();
                manifest.take(MAX_WHOLE_PART).read_to_end(&mut text).map_err(bad)?;
                if memchr::memmem::find(&text, b"encryption-data").is_some() {
                    return Err(ReadError::Encrypted);
                }
            }
        }
    }
    Ok(kind)
}

#[cfg(test)]
#[path = "zipguard_tests.rs"]
mod tests;
