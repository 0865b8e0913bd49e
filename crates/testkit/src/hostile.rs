//! Hostile files: what a careless export, a broken download or a malicious sender produces.

use std::io::Write as _;

/// Deterministic noise (an LCG: no dependency, the same bytes on every machine).
pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) as u8
        })
        .collect()
}

/// A real roster xlsx cut in half, as an interrupted download leaves it.
pub fn truncated_xlsx() -> Vec<u8> {
    let book = crate::model::Workbook::of(vec![crate::model::Sheet::new("名单")
        .row(&["姓名", "身份证号码", "联系电话"])
        .row(&["张三", "11010519491231002X", "13812345678"])]);
    let bytes = crate::zipped::to_xlsx(&book);
    bytes[..bytes.len() / 2].to_vec()
}

/// An xlsx-shaped zip whose one sheet inflates to `inflated_mib` MiB of blanks from a few
/// hundred KiB: the classic bomb, its central directory honest about the size.
pub fn zip_bomb_xlsx(inflated_mib: usize) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default().large_file(true).compression_level(Some(9));
    zip.start_file("[Content_Types].xml", opts).expect("zip");
    zip.write_all(b"<Types/>").expect("zip");
    zip.start_file("xl/workbook.xml", opts).expect("zip");
    zip.write_all(b"<workbook><sheets><sheet name=\"x\" r:id=\"rId1\"/></sheets></workbook>")
        .expect("zip");
    zip.start_file("xl/worksheets/sheet1.xml", opts).expect("zip");
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..inflated_mib {
        zip.write_all(&chunk).expect("zip");
    }
    zip.finish().expect("zip");
    out.into_inner()
}

/// A CSV whose second line is one cell of `mib` MiB.
pub fn long_line_csv(mib: usize) -> Vec<u8> {
    let mut v = "姓名,联系电话,备注\n张三,13812345678,".as_bytes().to_vec();
    v.extend(std::iter::repeat_n(b'x', mib << 20));
    v.extend_from_slice("\n李四,13912345678,\n".as_bytes());
    v
}
