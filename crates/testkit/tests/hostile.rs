//! The hostile files are what they claim: bombs small on disk and huge inflated (with a valid
//! CRC, or lying headers), well-formed enough that a reader goes in; broken files broken.

use std::io::{Cursor, Read};

use calamine::{open_workbook_auto_from_rs, Reader};
use jiayuan_testkit::*;

const SHEET: &str = "xl/worksheets/sheet1.xml";

/// Bytes the entry inflates to, read in a stream (the zip crate checks the CRC at the end).
fn inflate_len(bytes: &[u8], name: &str, limit: u64) -> std::io::Result<u64> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    let mut entry = zip.by_name(name).expect("the entry").take(limit);
    std::io::copy(&mut entry, &mut std::io::sink())
}

#[test]
fn an_honest_bomb_inflates_exactly_with_a_valid_crc() {
    let bomb = zip_bomb_xlsx(256);
    assert!(bomb.len() < 400 << 10, "{} bytes on disk", bomb.len());
    let mut zip = zip::ZipArchive::new(Cursor::new(&bomb)).expect("a zip");
    assert_eq!(zip.by_name(SHEET).expect("sheet").size(), 256 << 20);
    assert_eq!(inflate_len(&bomb, SHEET, u64::MAX).expect("crc checks"), 256 << 20);
}

#[test]
fn a_bomb_past_4_gib_says_so_in_zip64_fields() {
    let inflated = 5u64 << 30;
    let bomb = zip_bomb(&ZipBomb { inflated, fill: BombFill::Blanks, declared: None });
    assert!(bomb.len() < 8 << 20, "{} bytes on disk", bomb.len());
    let mut zip = zip::ZipArchive::new(Cursor::new(&bomb)).expect("a zip");
    let mut sheet = zip.by_name(SHEET).expect("sheet");
    assert_eq!(sheet.size(), inflated);
    let mut head = vec![0u8; 4 << 20];
    sheet.read_exact(&mut head).expect("inflates");
    let text = String::from_utf8_lossy(&head);
    assert!(text.starts_with("<?xml") && text.contains("<sheetData>"));
    assert!(text.trim_end().ends_with("</row>"), "then only blanks");
}

#[test]
fn a_bomb_of_rows_is_rows() {
    let bomb = zip_bomb(&ZipBomb { inflated: 1 << 30, fill: BombFill::Rows, declared: None });
    assert!(bomb.len() < 8 << 20, "{} bytes on disk", bomb.len());
    let mut zip = zip::ZipArchive::new(Cursor::new(&bomb)).expect("a zip");
    let mut head = vec![0u8; 4 << 20];
    zip.by_name(SHEET).expect("sheet").read_exact(&mut head).expect("inflates");
    assert!(String::from_utf8_lossy(&head).matches("<t>张三</t>").count() > 10_000);
}

#[test]
fn a_lying_bomb_inflates_far_past_what_it_declares() {
    let bomb = zip_bomb_lying_xlsx(64);
    let mut zip = zip::ZipArchive::new(Cursor::new(&bomb)).expect("a zip");
    assert_eq!(zip.by_name(SHEET).expect("sheet").size(), 64 << 10);
    // The lie is in the headers only: the stream itself inflates to 64 MiB.
    let mut deflated = Vec::new();
    zip.by_name_raw(SHEET.as_bytes()).expect("raw").read_to_end(&mut deflated).expect("raw bytes");
    let mut inflater = flate2::read::DeflateDecoder::new(deflated.as_slice());
    let inflated = std::io::copy(&mut inflater, &mut std::io::sink()).expect("inflates");
    assert_eq!(inflated, 64 << 20);
}

#[test]
fn small_bombs_are_real_workbooks() {
    for fill in [BombFill::Blanks, BombFill::Rows] {
        let bomb = zip_bomb(&ZipBomb { inflated: 1 << 20, fill, declared: None });
        let mut wb = open_workbook_auto_from_rs(Cursor::new(bomb)).expect("calamine opens it");
        assert_eq!(wb.sheet_names(), ["花名册"]);
        let range = wb.worksheet_range("花名册").expect("the sheet reads");
        let first: Vec<String> =
            range.rows().next().expect("a header").iter().map(|c| c.to_string()).collect();
        assert_eq!(first, ["姓名", "身份证号码", "联系电话"], "{fill:?}");
        if fill == BombFill::Rows {
            assert!(range.height() > 5_000, "{fill:?}: {} rows", range.height());
        } else {
            assert_eq!(range.height(), 1);
        }
    }
}

#[test]
fn broken_and_protected_files_do_not_open() {
    assert!(open_workbook_auto_from_rs(Cursor::new(truncated_xlsx())).is_err());
    assert!(open_workbook_auto_from_rs(Cursor::new(encrypted_xlsx())).is_err());
    let err = calamine::Xls::new(Cursor::new(encrypted_xls())).err().expect("refused");
    assert!(matches!(err, calamine::XlsError::Password), "{err}");
}

#[test]
fn legacy_traps_are_set_where_a_reader_looks() {
    let looping = xls_looping_directory();
    let at = |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4"));
    let dir = at(&looping, 48) as usize;
    let fat = (at(&looping, 76) as usize + 1) * 512;
    assert_eq!(at(&looping, fat + 4 * dir) as usize, dir, "the directory chain points at itself");

    let huge = xls_huge_dimensions();
    let dims = [0x00, 0x02, 0x0E, 0x00, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1];
    assert!(huge.windows(dims.len()).any(|w| w == dims), "DIMENSIONS claims 2^32 - 1 rows");
}

#[test]
fn noise_is_deterministic() {
    assert_eq!(random_bytes(1000, 7), random_bytes(1000, 7));
    assert_ne!(random_bytes(1000, 7), random_bytes(1000, 8));
    assert_eq!(random_bytes(13, 1).len(), 13);
    let g = garbage_with_magic(b"PK\x03\x04", 100, 3);
    assert!(g.starts_with(b"PK\x03\x04") && g.len() == 100);
}

#[test]
fn a_30_mib_line_sits_between_two_good_rows() {
    let csv = long_line_csv(30);
    assert!(csv.len() > 30 << 20);
    let lines: Vec<&[u8]> = csv.split(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), 4, "three lines and the empty tail");
    assert!(lines[1].len() > 30 << 20);
}
