//! Zip bombs, lying headers and archives that are not workbooks.

use std::io::{Read, Write};

use super::super::tests_util::file;
use super::super::{open, Limits};
use super::MAX_RATIO;
use crate::import::source::ReadError;

fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    for (name, bytes) in parts {
        zip.start_file(*name, zip::write::SimpleFileOptions::default()).expect("start");
        zip.write_all(bytes).expect("write");
    }
    zip.finish().expect("finish");
    out.into_inner()
}

/// Letters a compressor cannot shrink much, so a test reaches a size bound, not the ratio.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            b'a' + ((x >> 16) % 26) as u8
        })
        .collect()
}

const WORKBOOK: &[u8] = br#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>"#;

fn refused_as_too_large(bytes: &[u8], limits: &Limits) -> String {
    let dir = tempfile::tempdir().expect("dir");
    match open(&file(&dir, "bomb.xlsx", bytes), limits) {
        Err(ReadError::TooLarge(why)) => why,
        other => panic!("expected TooLarge, got {:?}", other.map(|i| i.format())),
    }
}

#[test]
fn the_zip_crate_refuses_to_inflate_past_the_declared_size() {
    let mut bytes = zip_of(&[("xl/worksheets/sheet1.xml", &vec![b'<'; 1 << 20])]);
    // Declare 1000 bytes, in the local header (offset 22) and the central directory (24).
    bytes[22..26].copy_from_slice(&1000u32.to_le_bytes());
    let cd = memchr::memmem::find(&bytes, b"PK\x01\x02").expect("central directory");
    bytes[cd + 24..cd + 28].copy_from_slice(&1000u32.to_le_bytes());
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("archive");
    let mut entry = zip.by_index(0).expect("entry");
    let mut out = Vec::new();
    let got = entry.read_to_end(&mut out);
    assert!(got.is_err(), "a lying header must not inflate further");
    assert!(out.len() <= 1000 + (64 << 10), "inflated {} bytes", out.len());
}

#[test]
fn a_part_of_zeros_or_repeats_is_refused_by_its_ratio() {
    let zeros = vec![b' '; 16 << 20];
    let bytes = zip_of(&[("xl/workbook.xml", WORKBOOK), ("xl/worksheets/sheet1.xml", &zeros)]);
    let why = refused_as_too_large(&bytes, &Limits::default());
    assert!(why.contains("fold"), "{why}");
}

#[test]
fn parts_inflating_past_the_limit_are_refused_before_inflating() {
    let sheet = noise(3 << 20);
    let bytes = zip_of(&[("xl/workbook.xml", WORKBOOK), ("xl/worksheets/sheet1.xml", &sheet)]);
    let limits = Limits { max_inflated_bytes: 2 << 20, ..Limits::default() };
    assert!(refused_as_too_large(&bytes, &limits).contains("inflate"));
}

#[test]
fn a_giant_token_or_unclosed_cell_is_refused() {
    let token = [b"<sheetData><row><c><v>".as_slice(), &noise(17 << 20)].concat();
    let bytes = zip_of(&[("xl/workbook.xml", WORKBOOK), ("xl/worksheets/sheet1.xml", &token)]);
    assert!(refused_as_too_large(&bytes, &Limits::default()).contains("token"));
    let mut cell = b"<sheetData><row><c t=\"inlineStr\"><is>".to_vec();
    let words = noise(17 << 20);
    for w in words.chunks(1000) {
        cell.extend_from_slice(b"<t>");
        cell.extend_from_slice(w);
        cell.extend_from_slice(b"</t>");
    }
    let bytes = zip_of(&[("xl/workbook.xml", WORKBOOK), ("xl/worksheets/sheet1.xml", &cell)]);
    assert!(refused_as_too_large(&bytes, &Limits::default()).contains("<c>"));
}

#[test]
fn a_shared_strings_table_claiming_billions_is_refused() {
    let sst =
        br#"<sst xmlns="x" count="4000000000" uniqueCount="4000000000"><si><t>a</t></si></sst>"#;
    let bytes = zip_of(&[("xl/workbook.xml", WORKBOOK), ("xl/sharedStrings.xml", sst)]);
    assert!(refused_as_too_large(&bytes, &Limits::default()).contains("shared strings"));
}

#[test]
fn a_central_directory_claiming_too_many_entries_is_refused_before_it_is_read() {
    let mut bytes = zip_of(&[("xl/workbook.xml", WORKBOOK)]);
    let end = memchr::memmem::rfind(&bytes, b"PK\x05\x06").expect("end record");
    bytes[end + 8..end + 12].copy_from_slice(&[0xF0, 0xFF, 0xF0, 0xFF]);
    assert!(refused_as_too_large(&bytes, &Limits::default()).contains("parts"));
}

#[test]
fn archives_that_are_not_workbooks_are_named_as_such() {
    let dir = tempfile::tempdir().expect("dir");
    let limits = Limits::default();
    let inner = zip_of(&[("a.txt", &[b'a'; 1 << 16])]);
    let nested = zip_of(&[("1.zip", &inner), ("2.zip", &inner)]);
    let odt = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", b"<x/>"),
    ]);
    let xlsb = zip_of(&[("xl/workbook.bin", b"\x83\x01")]);
    for (name, bytes) in [("nested.xlsx", nested), ("doc.ods", odt), ("b.xlsx", xlsb)] {
        match open(&file(&dir, name, &bytes), &limits) {
            Err(ReadError::NotARoster(_)) => {}
            other => panic!("{name}: {:?}", other.map(|i| i.format())),
        }
    }
    let no_directory = &zip_of(&[("xl/workbook.xml", WORKBOOK)])[..40];
    assert!(matches!(
        open(&file(&dir, "cut.xlsx", no_directory), &limits),
        Err(ReadError::Corrupt(_))
    ));
}

#[test]
fn encrypted_parts_and_encrypted_ods_are_named_as_such() {
    let dir = tempfile::tempdir().expect("dir");
    let mut bytes = zip_of(&[("xl/workbook.xml", WORKBOOK)]);
    // The "encrypted" flag, in the local header and the central directory.
    bytes[6] |= 1;
    let cd = memchr::memmem::find(&bytes, b"PK\x01\x02").expect("central directory");
    bytes[cd + 8] |= 1;
    assert!(matches!(
        open(&file(&dir, "e.xlsx", &bytes), &Limits::default()),
        Err(ReadError::Encrypted)
    ));
    let manifest = br#"<manifest:manifest><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>"#;
    let ods = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", manifest),
        ("content.xml", &noise(1000)),
    ]);
    assert!(matches!(
        open(&file(&dir, "e.ods", &ods), &Limits::default()),
        Err(ReadError::Encrypted)
    ));
}

#[test]
fn a_real_sheet_compresses_far_below_the_ratio_limit() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for r in 0..20_000u32 {
        for c in 0..20u16 {
            sheet.write_string(r, c, "男").expect("cell");
        }
    }
    let bytes = book.save_to_buffer().expect("buffer");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("archive");
    let entry = zip.by_name("xl/worksheets/sheet1.xml").expect("sheet");
    let ratio = entry.size() / entry.compressed_size().max(1);
    assert!(ratio * 2 < MAX_RATIO, "a sheet of one repeated value inflates {ratio}-fold");
}

#[test]
fn an_embedded_image_is_not_read_as_xml_but_a_sheet_pointing_at_one_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().write_string(0, 0, "姓名").expect("cell");
    let xlsx = book.save_to_buffer().expect("buffer");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("archive");
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("entry");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read");
        parts.push((entry.name().expect("name").into_owned(), bytes));
    }
    // A photo whose bytes happen to open a `<c>` that never closes, larger than any cell.
    let mut x: u32 = 99;
    let bytes: Vec<u8> = (0..17 << 20)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect();
    let photo = [b"\x89PNG<c>".as_slice(), &bytes].concat();
    let mut with_photo = parts.clone();
    with_photo.push(("xl/media/image1.png".into(), photo));
    let refs: Vec<(&str, &[u8])> =
        with_photo.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let path = file(&dir, "photo.xlsx", &zip_of(&refs));
    assert!(open(&path, &Limits::default()).is_ok(), "an image is not a sheet");
    let pointed: Vec<(String, Vec<u8>)> = with_photo
        .into_iter()
        .map(|(n, b)| {
            if n == "xl/_rels/workbook.xml.rels" {
                let text = String::from_utf8(b).expect("utf-8");
                (n, text.replace("worksheets/sheet1.xml", "media/image1.png").into_bytes())
            } else {
                (n, b)
            }
        })
        .collect();
    let refs: Vec<(&str, &[u8])> =
        pointed.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let path = file(&dir, "pointed.xlsx", &zip_of(&refs));
    assert!(matches!(open(&path, &Limits::default()), Err(ReadError::Corrupt(_))));
}
