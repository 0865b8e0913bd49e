//! Legacy Excel 97-2003 (.xls, BIFF8) written by hand: a Compound File Binary container holding
//! one "Workbook" stream of BIFF records. Just what a roster needs: several sheets, Unicode
//! text (LABEL records with UTF-16 strings) and numbers (NUMBER records).

use crate::model::{Value, Workbook};

const SECTOR: usize = 512;
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const FATSECT: u32 = 0xFFFF_FFFD;
const FREESECT: u32 = 0xFFFF_FFFF;
const NOSTREAM: u32 = 0xFFFF_FFFF;

fn record(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
}

fn bof(kind: u16) -> Vec<u8> {
    // BIFF8 (0x0600), substream kind, build and year, then the file-history flags.
    let mut d = Vec::new();
    d.extend_from_slice(&0x0600u16.to_le_bytes());
    d.extend_from_slice(&kind.to_le_bytes());
    d.extend_from_slice(&0x0DBBu16.to_le_bytes());
    d.extend_from_slice(&0x07CCu16.to_le_bytes());
    d.extend_from_slice(&0u32.to_le_bytes());
    d.extend_from_slice(&0x0006u32.to_le_bytes());
    d
}

/// Strings as UTF-16 ("high byte" flag set), which carries Chinese intact.
fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn sheet_stream(rows: &[Vec<Value>]) -> Vec<u8> {
    let mut s = Vec::new();
    record(&mut s, 0x0809, &bof(0x0010));
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let mut d = Vec::new();
            d.extend_from_slice(&(r as u16).to_le_bytes());
            d.extend_from_slice(&(c as u16).to_le_bytes());
            d.extend_from_slice(&15u16.to_le_bytes());
            match v {
                Value::Text(t) => {
                    d.extend_from_slice(&(t.encode_utf16().count() as u16).to_le_bytes());
                    d.push(1);
                    d.extend(utf16(t));
                    record(&mut s, 0x0204, &d);
                }
                Value::Number(n) => {
                    d.extend_from_slice(&n.to_le_bytes());
                    record(&mut s, 0x0203, &d);
                }
                Value::Empty => {}
            }
        }
    }
    record(&mut s, 0x000A, &[]);
    s
}

fn workbook_stream(book: &Workbook) -> Vec<u8> {
    let sheets: Vec<Vec<u8>> = book.sheets.iter().map(|s| sheet_stream(&s.rows)).collect();
    let names: Vec<Vec<u8>> = book.sheets.iter().map(|s| utf16(&s.name)).collect();
    // The globals' length is known before the sheets are placed: BOF, CODEPAGE, one
    // BOUNDSHEET8 per sheet (4 + 8 + 2 + name bytes), EOF.
    let globals_len = (4 + 16) + (4 + 2) + names.iter().map(|n| 4 + 8 + n.len()).sum::<usize>() + 4;
    let mut out = Vec::new();
    record(&mut out, 0x0809, &bof(0x0005));
    record(&mut out, 0x0042, &1200u16.to_le_bytes());
    let mut pos = globals_len;
    for (sheet, (name, stream)) in book.sheets.iter().zip(names.iter().zip(&sheets)) {
        let mut d = Vec::new();
        d.extend_from_slice(&(pos as u32).to_le_bytes());
        d.extend_from_slice(&[0, 0]);
        d.push(sheet.name.encode_utf16().count() as u8);
        d.push(1);
        d.extend_from_slice(name);
        record(&mut out, 0x0085, &d);
        pos += stream.len();
    }
    record(&mut out, 0x000A, &[]);
    debug_assert_eq!(out.len(), globals_len);
    for s in sheets {
        out.extend(s);
    }
    out
}

fn dir_entry(name: &str, kind: u8, child: u32, start: u32, size: u32) -> [u8; 128] {
    let mut e = [0u8; 128];
    let n: Vec<u8> = name.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
    e[..n.len()].copy_from_slice(&n);
    e[64..66].copy_from_slice(&(n.len() as u16).to_le_bytes());
    e[66] = kind;
    e[67] = 1; // black
    e[68..72].copy_from_slice(&NOSTREAM.to_le_bytes());
    e[72..76].copy_from_slice(&NOSTREAM.to_le_bytes());
    e[76..80].copy_from_slice(&child.to_le_bytes());
    e[116..120].copy_from_slice(&start.to_le_bytes());
    e[120..124].copy_from_slice(&size.to_le_bytes());
    e
}

/// A legacy .xls file of the workbook.
pub fn to_xls(book: &Workbook) -> Vec<u8> {
    let mut stream = workbook_stream(book);
    let size = stream.len().max(4096);
    // At 4096 bytes or more a stream lives in regular sectors, so no mini stream is needed.
    stream.resize(size.div_ceil(SECTOR) * SECTOR, 0);
    let stream_sectors = stream.len() / SECTOR;
    let dir_sector = stream_sectors;
    let mut fat_sectors = 1;
    while (stream_sectors + 1 + fat_sectors) > fat_sectors * (SECTOR / 4) {
        fat_sectors += 1;
    }
    let mut fat: Vec<u32> = Vec::new();
    for i in 0..stream_sectors {
        fat.push(if i + 1 == stream_sectors { ENDOFCHAIN } else { (i + 1) as u32 });
    }
    fat.push(ENDOFCHAIN);
    fat.extend(std::iter::repeat_n(FATSECT, fat_sectors));
    fat.resize(fat_sectors * SECTOR / 4, FREESECT);

    let mut header = vec![0u8; SECTOR];
    header[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    header[24..26].copy_from_slice(&0x003Eu16.to_le_bytes());
    header[26..28].copy_from_slice(&0x0003u16.to_le_bytes());
    header[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
    header[30..32].copy_from_slice(&9u16.to_le_bytes());
    header[32..34].copy_from_slice(&6u16.to_le_bytes());
    header[44..48].copy_from_slice(&(fat_sectors as u32).to_le_bytes());
    header[48..52].copy_from_slice(&(dir_sector as u32).to_le_bytes());
    header[56..60].copy_from_slice(&4096u32.to_le_bytes());
    header[60..64].copy_from_slice(&ENDOFCHAIN.to_le_bytes());
    header[68..72].copy_from_slice(&ENDOFCHAIN.to_le_bytes());
    for i in 0..109 {
        let id = if i < fat_sectors { (dir_sector + 1 + i) as u32 } else { FREESECT };
        header[76 + i * 4..80 + i * 4].copy_from_slice(&id.to_le_bytes());
    }
    let mut dir = Vec::with_capacity(SECTOR);
    dir.extend_from_slice(&dir_entry("Root Entry", 5, 1, ENDOFCHAIN, 0));
    dir.extend_from_slice(&dir_entry("Workbook", 2, NOSTREAM, 0, size as u32));
    dir.resize(SECTOR, 0);
    for chunk in dir[256..].chunks_mut(128) {
        chunk[68..80].copy_from_slice(&[0xFF; 12]);
    }
    let mut out = header;
    out.extend(stream);
    out.extend(dir);
    out.extend(fat.iter().flat_map(|f| f.to_le_bytes()));
    out
}
