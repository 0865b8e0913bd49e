//! A tiny BIFF8 workbook in a compound file, built here record by record, read back through
//! calamine; and the malformed ones calamine would panic on, loop on or allocate gigabytes for.

use super::super::tests_util::{collect, file};
use super::super::{open, Limits};
use crate::import::source::{Cell, Format, ReadError};

const END: u32 = 0xFFFF_FFFE;
const FREE: u32 = 0xFFFF_FFFF;

fn rec(typ: u16, data: &[u8]) -> Vec<u8> {
    let len = u16::try_from(data.len()).expect("short record");
    [typ.to_le_bytes().as_slice(), &len.to_le_bytes(), data].concat()
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn bof(kind: u16) -> Vec<u8> {
    rec(0x0809, &[&0x0600u16.to_le_bytes()[..], &kind.to_le_bytes(), &[0u8; 12]].concat())
}

fn cell_head(row: u16, col: u16) -> Vec<u8> {
    [row.to_le_bytes(), col.to_le_bytes(), 0u16.to_le_bytes()].concat()
}

/// A sheet's records after its BOF.
type Sheet = Vec<Vec<u8>>;

fn number(row: u16, col: u16, v: f64) -> Vec<u8> {
    rec(0x0203, &[cell_head(row, col), v.to_le_bytes().to_vec()].concat())
}

fn label_sst(row: u16, col: u16, index: u32) -> Vec<u8> {
    rec(0x00FD, &[cell_head(row, col), index.to_le_bytes().to_vec()].concat())
}

/// A formula whose cached value is `v`, with `tokens` as its (claimed) token bytes.
fn formula(row: u16, col: u16, v: f64, cce: u16, tokens: &[u8]) -> Vec<u8> {
    let data = [
        cell_head(row, col),
        v.to_le_bytes().to_vec(),
        vec![0; 6],
        cce.to_le_bytes().to_vec(),
        tokens.to_vec(),
    ];
    rec(0x0006, &data.concat())
}

fn dimensions(rf: u32, rl: u32, cf: u16, cl: u16) -> Vec<u8> {
    rec(
        0x0200,
        &[&rf.to_le_bytes()[..], &rl.to_le_bytes(), &cf.to_le_bytes(), &cl.to_le_bytes(), &[0, 0]]
            .concat(),
    )
}

/// The workbook stream: globals (sheet list, shared strings, `extra` records) then sheets.
fn workbook(sheets: &[(&str, Sheet)], strings: &[&str], extra: &[Vec<u8>]) -> Vec<u8> {
    let mut sst =
        [(strings.len() as u32).to_le_bytes(), (strings.len() as u32).to_le_bytes()].concat();
    for s in strings {
        sst.extend_from_slice(&(s.encode_utf16().count() as u16).to_le_bytes());
        sst.push(1);
        sst.extend(utf16(s));
    }
    let bound = |pos: u32, name: &str| {
        let head = [&pos.to_le_bytes()[..], &[0, 0, name.encode_utf16().count() as u8, 1]].concat();
        rec(0x0085, &[head, utf16(name)].concat())
    };
    let globals_len = |positions: &[u32]| {
        let mut g = bof(0x0005);
        g.extend(extra.concat());
        for (p, (name, _)) in positions.iter().zip(sheets) {
            g.extend(bound(*p, name));
        }
        g.extend(rec(0x00FC, &sst));
        g.extend(rec(0x000A, &[]));
        g
    };
    let bodies: Vec<Vec<u8>> = sheets
        .iter()
        .map(|(_, records)| [bof(0x0010), records.concat(), rec(0x000A, &[])].concat())
        .collect();
    let mut positions = vec![0u32; sheets.len()];
    let mut at = globals_len(&positions).len() as u32;
    for (p, body) in positions.iter_mut().zip(&bodies) {
        *p = at;
        at += body.len() as u32;
    }
    let mut stream = globals_len(&positions);
    stream.extend(bodies.concat());
    // Streams under 4096 bytes live in the mini stream; padding keeps this one in sectors.
    stream.resize(stream.len().max(4096), 0);
    stream
}

/// A compound file holding `streams`: sector 0 the FAT, 1 the directory, then the streams.
fn compound(streams: &[(&str, Vec<u8>)], fat_patch: Option<(usize, u32)>) -> Vec<u8> {
    let mut fat = vec![0xFFFF_FFFDu32, END];
    let mut data = Vec::new();
    let mut entries = vec![("Root Entry".to_owned(), 5u8, END, 0u32)];
    for (name, bytes) in streams {
        let start = fat.len() as u32;
        let sectors = bytes.len().div_ceil(512);
        for k in 0..sectors {
            fat.push(if k + 1 == sectors { END } else { start + k as u32 + 1 });
        }
        let mut padded = bytes.clone();
        padded.resize(sectors * 512, 0);
        data.extend(padded);
        entries.push((name.to_string(), 2, start, bytes.len() as u32));
    }
    assert!(fat.len() <= 128 && entries.len() <= 4, "the test builder is tiny");
    if let Some((i, v)) = fat_patch {
        fat[i] = v;
    }
    fat.resize(128, FREE);
    let mut header = vec![0u8; 512];
    header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    header[24..26].copy_from_slice(&0x3Eu16.to_le_bytes());
    header[26..28].copy_from_slice(&3u16.to_le_bytes());
    header[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
    header[30..32].copy_from_slice(&9u16.to_le_bytes());
    header[32..34].copy_from_slice(&6u16.to_le_bytes());
    header[44..48].copy_from_slice(&1u32.to_le_bytes());
    header[48..52].copy_from_slice(&1u32.to_le_bytes());
    header[56..60].copy_from_slice(&4096u32.to_le_bytes());
    header[60..64].copy_from_slice(&END.to_le_bytes());
    header[68..72].copy_from_slice(&END.to_le_bytes());
    for i in 0..109 {
        header[76 + 4 * i..80 + 4 * i]
            .copy_from_slice(&(if i == 0 { 0 } else { FREE }).to_le_bytes());
    }
    let mut dir = vec![0u8; 512];
    for (i, (name, kind, start, size)) in entries.iter().enumerate() {
        let e = &mut dir[i * 128..(i + 1) * 128];
        let units = utf16(name);
        e[..units.len()].copy_from_slice(&units);
        e[64..66].copy_from_slice(&((units.len() + 2) as u16).to_le_bytes());
        e[66] = *kind;
        e[68..80].copy_from_slice(&[0xFF; 12]);
        if i == 0 && entries.len() > 1 {
            e[76..80].copy_from_slice(&1u32.to_le_bytes());
        }
        e[116..120].copy_from_slice(&start.to_le_bytes());
        e[120..124].copy_from_slice(&size.to_le_bytes());
    }
    let fat_bytes: Vec<u8> = fat.iter().flat_map(|v| v.to_le_bytes()).collect();
    [header, fat_bytes, dir, data].concat()
}

fn roster() -> Vec<(&'static str, Sheet)> {
    vec![
        (
            "第1网格",
            vec![
                dimensions(0, 3, 0, 3),
                label_sst(0, 0, 0),
                label_sst(1, 0, 1),
                label_sst(1, 1, 2),
                label_sst(2, 0, 3),
                number(2, 1, 110105194912310020.0),
                // cce claims 0xFFFF token bytes: calamine would slice past the record.
                formula(2, 2, 13812345678.0, 0xFFFF, &[0x1E, 0x01, 0x00]),
            ],
        ),
        ("填表说明", vec![label_sst(0, 0, 4)]),
    ]
}

const STRINGS: [&str; 5] = ["XX社区居民花名册", "姓名", "身份证号码", "张三", "请用文本格式"];

#[test]
fn a_biff8_workbook_is_read_with_sheets_titles_numbers_and_cached_formula_values() {
    let dir = tempfile::tempdir().expect("dir");
    let xls = compound(&[("Workbook", workbook(&roster(), &STRINGS, &[]))], None);
    let mut input = open(&file(&dir, "r.xls", &xls), &Limits::default()).expect("open");
    assert_eq!(input.format(), Format::Xls);
    let names: Vec<&str> = input.sheets().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["第1网格", "填表说明"]);
    assert_eq!(input.sheets()[0].rows_hint, Some(3));
    let rows = collect(input.as_mut(), 0);
    assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(rows[0].cells, [Cell::Text("XX社区居民花名册".into())]);
    assert_eq!(rows[2].cells[1], Cell::Number(110105194912310020.0));
    assert_eq!(rows[2].cells[2], Cell::Number(13812345678.0), "the cached value of a formula");
    assert_eq!(collect(input.as_mut(), 1)[0].cells, [Cell::Text("请用文本格式".into())]);
}

#[test]
fn malformed_or_hostile_legacy_files_are_refused_without_panic_or_bloat() {
    let dir = tempfile::tempdir().expect("dir");
    let limits = Limits::default();
    let good = workbook(&roster(), &STRINGS, &[]);
    let refused = |name: &str, bytes: &[u8]| -> ReadError {
        match open(&file(&dir, name, bytes), &limits) {
            Err(e) => e,
            Ok(_) => panic!("{name} was accepted"),
        }
    };
    // The directory chain points at itself: calamine would grow its directory list forever.
    let looping = compound(&[("Workbook", good.clone())], Some((1, 1)));
    assert!(matches!(refused("loop.xls", &looping), ReadError::Corrupt(_)));
    let out_of_range = compound(&[("Workbook", good.clone())], Some((2, 4000)));
    assert!(matches!(refused("range.xls", &out_of_range), ReadError::Corrupt(_)));
    let encrypted =
        compound(&[("EncryptedPackage", vec![0; 4096]), ("EncryptionInfo", vec![0; 4096])], None);
    assert!(matches!(refused("enc.xlsx", &encrypted), ReadError::Encrypted));
    let filepass = workbook(&roster(), &STRINGS, &[rec(0x002F, &[1, 0, 0, 0])]);
    assert!(matches!(
        refused("pass.xls", &compound(&[("Workbook", filepass)], None)),
        ReadError::Encrypted
    ));
    let word = compound(&[("WordDocument", vec![0; 4096])], None);
    assert!(matches!(refused("doc.xls", &word), ReadError::NotARoster(_)));
    let far = vec![("s", vec![number(0, 0, 1.0), number(65535, 255, 2.0)])];
    let far = compound(&[("Workbook", workbook(&far, &[], &[]))], None);
    assert!(
        matches!(refused("far.xls", &far), ReadError::TooLarge(_)),
        "a dense grid of 16M cells"
    );
    let dims = vec![("s", vec![dimensions(10, 5, 0, 3), number(0, 0, 1.0)])];
    let dims = compound(&[("Workbook", workbook(&dims, &[], &[]))], None);
    assert!(matches!(refused("dims.xls", &dims), ReadError::Corrupt(_)));
    let huge = vec![("s", vec![dimensions(0, u32::MAX, 0, 255), number(0, 0, 1.0)])];
    let huge = compound(&[("Workbook", workbook(&huge, &[], &[]))], None);
    assert!(matches!(refused("huge.xls", &huge), ReadError::TooLarge(_)));
    let mut cut = good.clone();
    cut.truncate(120);
    cut.resize(4096, 0xFF);
    let cut = compound(&[("Workbook", cut)], None);
    assert!(matches!(refused("cut.xls", &cut), ReadError::Corrupt(_)));
    assert!(matches!(refused("short.xls", &looping[..700]), ReadError::Corrupt(_)));
}
