//! Hostile files: what a careless export, a broken download, a password or a malicious sender
//! produces. Each must get a clear refusal, never a crash or unbounded memory.

use crate::cfb::compound_file;
use crate::model::{Sheet, Workbook};
use crate::xls::{workbook_stream, Xls};

/// Deterministic noise (SplitMix64: no dependency, the same bytes on every machine).
pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = crate::generate::Rng::new(seed);
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        out.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    out.truncate(n);
    out
}

/// Noise after a real signature (`PK\x03\x04`, the OLE magic, a UTF-8 BOM), so a reader that
/// trusts the first bytes goes further into the file before it fails.
pub fn garbage_with_magic(magic: &[u8], n: usize, seed: u64) -> Vec<u8> {
    let mut out = magic.to_vec();
    out.extend(random_bytes(n.saturating_sub(magic.len()), seed));
    out
}

fn small_roster() -> Workbook {
    Workbook::of(vec![Sheet::new("名单").row(&["姓名", "身份证号码", "联系电话"]).row(&[
        "张三",
        "11010519491231002X",
        "13812345678",
    ])])
}

/// A real roster xlsx cut in half, as an interrupted download leaves it.
pub fn truncated_xlsx() -> Vec<u8> {
    let bytes = crate::xlsx::to_xlsx(&small_roster());
    bytes[..bytes.len() / 2].to_vec()
}

/// A CSV whose second line is one cell of `mib` MiB, between two good rows.
pub fn long_line_csv(mib: usize) -> Vec<u8> {
    let mut v = "姓名,联系电话,备注\n张三,13812345678,".as_bytes().to_vec();
    v.extend(std::iter::repeat_n(b'x', mib << 20));
    v.extend_from_slice("\n李四,13912345678,\n".as_bytes());
    v
}

/// A password-protected xlsx as Excel saves it: not a zip at all but a compound file holding
/// `EncryptionInfo` (agile encryption, version 4.4) and `EncryptedPackage`.
pub fn encrypted_xlsx() -> Vec<u8> {
    let mut info = vec![0x04, 0x00, 0x04, 0x00, 0x40, 0x00, 0x00, 0x00];
    info.extend_from_slice(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            r#"<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption">"#,
            r#"<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" "#,
            r#"cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" "#,
            r#"saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/></encryption>"#
        )
        .as_bytes(),
    );
    let mut package = 9000u64.to_le_bytes().to_vec();
    package.extend(random_bytes(9008, 11));
    compound_file(&[("EncryptionInfo", &info), ("EncryptedPackage", &package)])
}

/// A password-protected legacy workbook: a FILEPASS record right after the first BOF.
pub fn encrypted_xls() -> Vec<u8> {
    compound_file(&[("Workbook", &workbook_stream(&small_roster(), Xls::default(), true))])
}

/// A legacy workbook whose directory's sector chain points back at itself: a reader that
/// follows chains without a bound reads forever.
pub fn xls_looping_directory() -> Vec<u8> {
    let mut file = crate::xls::to_xls(&small_roster());
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4"));
    let dir = u32_at(&file, 48) as usize;
    let fat = u32_at(&file, 76) as usize;
    assert!(dir < 128, "the directory's FAT entry lies in the first FAT sector");
    let at = (fat + 1) * 512 + 4 * dir;
    file[at..at + 4].copy_from_slice(&(dir as u32).to_le_bytes());
    file
}

/// A legacy workbook whose sheet claims 4,294,967,295 rows × 256 columns in its DIMENSIONS
/// record: calamine reserves memory for the declared grid.
pub fn xls_huge_dimensions() -> Vec<u8> {
    let mut stream = workbook_stream(&small_roster(), Xls::default(), false);
    let mut at = 0;
    while at + 4 <= stream.len() {
        let typ = u16::from_le_bytes([stream[at], stream[at + 1]]);
        let len = usize::from(u16::from_le_bytes([stream[at + 2], stream[at + 3]]));
        if typ == 0x0200 {
            let d = &mut stream[at + 4..at + 4 + len];
            d[0..4].copy_from_slice(&0u32.to_le_bytes());
            d[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
            d[8..10].copy_from_slice(&0u16.to_le_bytes());
            d[10..12].copy_from_slice(&256u16.to_le_bytes());
            return compound_file(&[("Workbook", &stream)]);
        }
        at += 4 + len;
    }
    unreachable!("every sheet written has a DIMENSIONS record")
}
