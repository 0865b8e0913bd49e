//! Zip bombs shaped like xlsx: a real workbook whose one sheet inflates to gigabytes from a few
//! megabytes, honest about its size or lying about it in the headers.
//!
//! Compressing gigabytes would take the test minutes, so the deflate stream is assembled: one
//! chunk of the filler is compressed once with a sync flush (which ends it on a byte boundary
//! in a non-final block, with no reference outside itself) and repeated; a final block closes
//! the stream. The CRC-32 of the whole is combined from the chunk's, never computed over it.
//! The zip container is written by hand, because the zip crate cannot store a stream it did
//! not compress, nor lie about sizes.

use std::io::Write as _;

use flate2::write::DeflateEncoder;
use flate2::Compression;

/// What the bomb's sheet is full of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BombFill {
    /// Blanks inside `<sheetData>`: well-formed XML that yields no rows, so only a limit on
    /// inflated bytes stops a reader.
    Blanks,
    /// The same small row again and again, so a reader counting rows is stopped too.
    Rows,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipBomb {
    /// Bytes `xl/worksheets/sheet1.xml` really inflates to.
    pub inflated: u64,
    pub fill: BombFill,
    /// The size the local header and central directory claim; `None` tells the truth (in
    /// zip64 fields past 4 GiB), `Some(n)` lies to a reader that trusts them.
    pub declared: Option<u64>,
}

const CHUNK: usize = 1 << 20;
const SHEET_HEAD: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    r#"<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c>"#,
    r#"<c r="B1" t="inlineStr"><is><t>身份证号码</t></is></c>"#,
    r#"<c r="C1" t="inlineStr"><is><t>联系电话</t></is></c></row>"#
);
const SHEET_TAIL: &str = "</sheetData></worksheet>";
const ROW: &str = concat!(
    r#"<row><c t="inlineStr"><is><t>张三</t></is></c>"#,
    r#"<c t="inlineStr"><is><t>13812345678</t></is></c></row>"#
);

/// `data` as deflate blocks ending on a byte boundary, not final, so pieces concatenate.
fn flushed(data: &[u8]) -> Vec<u8> {
    let mut e = DeflateEncoder::new(Vec::new(), Compression::best());
    e.write_all(data).expect("deflate in memory");
    e.flush().expect("deflate in memory");
    e.get_ref().clone()
}

fn crc_of(data: &[u8]) -> crc32fast::Hasher {
    let mut h = crc32fast::Hasher::new();
    h.update(data);
    h
}

/// The CRC state of `chunk` repeated `times`, by doubling.
fn crc_repeated(chunk: &crc32fast::Hasher, mut times: u64) -> crc32fast::Hasher {
    let mut total = crc32fast::Hasher::new();
    let mut power = chunk.clone();
    while times > 0 {
        if times & 1 == 1 {
            total.combine(&power);
        }
        let twice = power.clone();
        power.combine(&twice);
        times >>= 1;
    }
    total
}

/// One entry of a hand-written zip.
struct Entry<'a> {
    name: &'a str,
    deflated: bool,
    crc: u32,
    data: &'a [u8],
    size: u64,
}

fn le16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn le32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A zip of `entries` (zip64 fields where a size passes 4 GiB; offsets stay small).
fn zip(entries: &[Entry<'_>]) -> Vec<u8> {
    // 2024-01-01 00:00, so the bytes do not depend on the day the test runs.
    const DOS_DATE: u16 = ((2024 - 1980) << 9) | (1 << 5) | 1;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = u32::try_from(out.len()).expect("a bomb's container under 4 GiB");
        let csize = e.data.len() as u64;
        let big = e.size >= 0xFFFF_FFFF || csize >= 0xFFFF_FFFF;
        let (version, method) = (if big { 45 } else { 20 }, if e.deflated { 8 } else { 0 });
        let mut extra = Vec::new();
        if big {
            le16(&mut extra, 0x0001);
            le16(&mut extra, 16);
            extra.extend_from_slice(&e.size.to_le_bytes());
            extra.extend_from_slice(&csize.to_le_bytes());
        }
        let small = |v: u64| if big { 0xFFFF_FFFF } else { v as u32 };
        let common = |h: &mut Vec<u8>| {
            le16(h, version);
            le16(h, 0);
            le16(h, method);
            le16(h, 0);
            le16(h, DOS_DATE);
            le32(h, e.crc);
            le32(h, small(csize));
            le32(h, small(e.size));
            le16(h, e.name.len() as u16);
            le16(h, extra.len() as u16);
        };
        le32(&mut out, 0x0403_4B50);
        common(&mut out);
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&extra);
        out.extend_from_slice(e.data);

        le32(&mut central, 0x0201_4B50);
        le16(&mut central, version);
        common(&mut central);
        le16(&mut central, 0); // comment
        le16(&mut central, 0); // disk
        le16(&mut central, 0); // internal attributes
        le32(&mut central, 0); // external attributes
        le32(&mut central, offset);
        central.extend_from_slice(e.name.as_bytes());
        central.extend_from_slice(&extra);
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    le32(&mut out, 0x0605_4B50);
    le16(&mut out, 0);
    le16(&mut out, 0);
    le16(&mut out, entries.len() as u16);
    le16(&mut out, entries.len() as u16);
    le32(&mut out, central.len() as u32);
    le32(&mut out, cd_offset);
    le16(&mut out, 0);
    out
}

const CONTENT_TYPES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
    r#"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#,
    r#"<Default Extension="xml" ContentType="application/xml"/>"#,
    r#"<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#,
    r#"<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#,
    r#"</Types>"#
);
const ROOT_RELS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>"#,
    r#"</Relationships>"#
);
const WORKBOOK: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" "#,
    r#"xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
    r#"<sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>"#
);
const WORKBOOK_RELS: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    r#"<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>"#,
    r#"</Relationships>"#
);

/// The xlsx-shaped bomb. Blanks compress about 1000:1 (8 GiB of sheet in 8.5 MB); rows,
/// whose repeats lie ~100 bytes back, about 290:1 (5 GiB in 19 MB).
pub fn zip_bomb(bomb: &ZipBomb) -> Vec<u8> {
    let (head, tail) = (SHEET_HEAD.as_bytes(), SHEET_TAIL.as_bytes());
    let fixed = (head.len() + tail.len()) as u64;
    assert!(bomb.inflated >= fixed, "a bomb inflates to at least {fixed} bytes");
    let chunk: Vec<u8> = match bomb.fill {
        BombFill::Blanks => vec![b' '; CHUNK],
        BombFill::Rows => ROW.as_bytes().repeat(CHUNK / ROW.len()),
    };
    let middle = bomb.inflated - fixed;
    let (times, rest) = (middle / chunk.len() as u64, (middle % chunk.len() as u64) as usize);
    // What is left over is whole rows, then blanks (which fit between rows as well).
    let rest = match bomb.fill {
        BombFill::Blanks => vec![b' '; rest],
        BombFill::Rows => {
            let mut r = ROW.as_bytes().repeat(rest / ROW.len());
            r.resize(rest, b' ');
            r
        }
    };

    let chunk_z = flushed(&chunk);
    let mut stream = flushed(head);
    stream.reserve(chunk_z.len() * times as usize + 1024);
    for _ in 0..times {
        stream.extend_from_slice(&chunk_z);
    }
    stream.extend(flushed(&rest));
    let mut last = DeflateEncoder::new(Vec::new(), Compression::best());
    last.write_all(tail).expect("deflate in memory");
    stream.extend(last.finish().expect("deflate in memory"));

    let mut crc = crc_of(head);
    crc.combine(&crc_repeated(&crc_of(&chunk), times));
    crc.combine(&crc_of(&rest));
    crc.combine(&crc_of(tail));

    let part = |name: &'static str, text: &'static str| Entry {
        name,
        deflated: false,
        crc: crc32fast::hash(text.as_bytes()),
        data: text.as_bytes(),
        size: text.len() as u64,
    };
    zip(&[
        part("[Content_Types].xml", CONTENT_TYPES),
        part("_rels/.rels", ROOT_RELS),
        part("xl/workbook.xml", WORKBOOK),
        part("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        Entry {
            name: "xl/worksheets/sheet1.xml",
            deflated: true,
            crc: crc.finalize(),
            data: &stream,
            size: bomb.declared.unwrap_or(bomb.inflated),
        },
    ])
}

/// An honest bomb of blanks whose sheet inflates to `inflated_mib` MiB.
pub fn zip_bomb_xlsx(inflated_mib: usize) -> Vec<u8> {
    zip_bomb(&ZipBomb {
        inflated: (inflated_mib as u64) << 20,
        fill: BombFill::Blanks,
        declared: None,
    })
}

/// A bomb of rows inflating to `inflated_mib` MiB whose headers claim a 64 KiB sheet.
pub fn zip_bomb_lying_xlsx(inflated_mib: usize) -> Vec<u8> {
    zip_bomb(&ZipBomb {
        inflated: (inflated_mib as u64) << 20,
        fill: BombFill::Rows,
        declared: Some(64 << 10),
    })
}
