//! A Compound File Binary (OLE2, [MS-CFB] version 3) writer: the container of legacy `.xls`.
//!
//! Minimal, but complete where readers look: streams under 4096 bytes go to the mini stream
//! (as the format requires), larger ones to regular sectors, the FAT grows into DIFAT sectors
//! past 109 FAT sectors (a workbook stream over ~6.8 MB), and the directory is a valid
//! red-black tree, so strict readers (LibreOffice, POI) accept the file as well as calamine.

const SECTOR: usize = 512;
const MINI_SECTOR: usize = 64;
const MINI_CUTOFF: usize = 4096;
const IDS_PER_SECTOR: usize = SECTOR / 4;
/// The header holds the first 109 FAT sector ids; each DIFAT sector 127 more and a link.
const HEADER_DIFAT: usize = 109;
const DIFAT_PER_SECTOR: usize = IDS_PER_SECTOR - 1;

const DIFSECT: u32 = 0xFFFF_FFFC;
const FATSECT: u32 = 0xFFFF_FFFD;
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const FREESECT: u32 = 0xFFFF_FFFF;
const NOSTREAM: u32 = 0xFFFF_FFFF;

const STREAM: u8 = 2;
const ROOT: u8 = 5;
const RED: u8 = 0;
const BLACK: u8 = 1;

fn put_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn sectors_for(bytes: usize, size: usize) -> usize {
    bytes.div_ceil(size)
}

fn id(n: usize) -> u32 {
    u32::try_from(n).expect("a compound file of fewer than 2^32 sectors")
}

/// Appends a chain of `count` consecutive sectors starting at `first` to a FAT.
fn chain(fat: &mut [u32], first: usize, count: usize) {
    for (i, slot) in fat.iter_mut().enumerate().skip(first).take(count) {
        *slot = if i + 1 == first + count { ENDOFCHAIN } else { id(i + 1) };
    }
}

/// A directory entry; siblings and child are filled in by the tree.
struct Entry {
    name: Vec<u16>,
    kind: u8,
    color: u8,
    left: u32,
    right: u32,
    child: u32,
    start: u32,
    size: u32,
}

impl Entry {
    fn new(name: &str, kind: u8, start: u32, size: usize) -> Entry {
        let name: Vec<u16> = name.encode_utf16().collect();
        assert!(name.len() <= 31, "a compound file entry name has at most 31 UTF-16 units");
        let size = u32::try_from(size).expect("a version-3 compound file stream under 4 GiB");
        Entry {
            name,
            kind,
            color: BLACK,
            left: NOSTREAM,
            right: NOSTREAM,
            child: NOSTREAM,
            start,
            size,
        }
    }

    fn bytes(&self) -> [u8; 128] {
        let mut e = [0u8; 128];
        for (i, u) in self.name.iter().enumerate() {
            put_u16(&mut e, 2 * i, *u);
        }
        put_u16(&mut e, 64, (2 * (self.name.len() + 1)) as u16);
        e[66] = self.kind;
        e[67] = self.color;
        put_u32(&mut e, 68, self.left);
        put_u32(&mut e, 72, self.right);
        put_u32(&mut e, 76, self.child);
        put_u32(&mut e, 116, self.start);
        put_u32(&mut e, 120, self.size);
        e
    }
}

/// The order [MS-CFB] keeps siblings in: shorter names first, then by upper-cased code units.
fn cfb_order(a: &[u16], b: &[u16]) -> std::cmp::Ordering {
    let upper = |s: &[u16]| -> Vec<u16> {
        s.iter().map(|&u| if (0x61..=0x7A).contains(&u) { u - 0x20 } else { u }).collect()
    };
    a.len().cmp(&b.len()).then_with(|| upper(a).cmp(&upper(b)))
}

/// Links `order[..]` (entry indices, sorted) into a balanced tree and returns its root. Both
/// halves of every node differ in size by at most one, so empty links sit on two adjacent
/// levels; colouring the deepest level red (`red`, unless the tree is perfect) keeps every
/// path's black count equal.
fn link(entries: &mut [Entry], order: &[usize], depth: usize, red: Option<usize>) -> u32 {
    if order.is_empty() {
        return NOSTREAM;
    }
    let mid = order.len() / 2;
    let node = order[mid];
    let left = link(entries, &order[..mid], depth + 1, red);
    let right = link(entries, &order[mid + 1..], depth + 1, red);
    let e = &mut entries[node];
    e.left = left;
    e.right = right;
    e.color = if red == Some(depth) { RED } else { BLACK };
    id(node)
}

/// A compound file holding `streams` (name, bytes) under its root, in the order given.
pub(crate) fn compound_file(streams: &[(&str, &[u8])]) -> Vec<u8> {
    let big: Vec<usize> =
        (0..streams.len()).filter(|&i| streams[i].1.len() >= MINI_CUTOFF).collect();
    let small: Vec<usize> = (0..streams.len())
        .filter(|&i| !streams[i].1.is_empty() && streams[i].1.len() < MINI_CUTOFF)
        .collect();

    // Sector map: big streams, the mini stream, the mini FAT, the directory, FAT, DIFAT.
    let mut next = 0usize;
    let mut starts = vec![ENDOFCHAIN; streams.len()];
    let mut fat_chains: Vec<(usize, usize)> = Vec::new();
    for &i in &big {
        let n = sectors_for(streams[i].1.len(), SECTOR);
        starts[i] = id(next);
        fat_chains.push((next, n));
        next += n;
    }
    let mut mini_next = 0usize;
    let mut mini_chains: Vec<(usize, usize)> = Vec::new();
    for &i in &small {
        let n = sectors_for(streams[i].1.len(), MINI_SECTOR);
        starts[i] = id(mini_next);
        mini_chains.push((mini_next, n));
        mini_next += n;
    }
    let mini_len = mini_next * MINI_SECTOR;
    let mini_start = next;
    let mini_sectors = sectors_for(mini_len, SECTOR);
    next += mini_sectors;
    let minifat_start = next;
    let minifat_sectors = sectors_for(mini_next * 4, SECTOR);
    next += minifat_sectors;
    let dir_start = next;
    let dir_sectors = sectors_for((streams.len() + 1) * 128, SECTOR);
    next += dir_sectors;
    // The FAT must also cover its own sectors and the DIFAT's.
    let (mut fat_sectors, mut difat_sectors) = (1usize, 0usize);
    loop {
        let total = next + fat_sectors + difat_sectors;
        let need_fat = sectors_for(total, IDS_PER_SECTOR);
        let need_difat = sectors_for(need_fat.saturating_sub(HEADER_DIFAT), DIFAT_PER_SECTOR);
        if need_fat == fat_sectors && need_difat == difat_sectors {
            break;
        }
        (fat_sectors, difat_sectors) = (need_fat.max(fat_sectors), need_difat.max(difat_sectors));
    }
    let fat_start = next;
    let difat_start = fat_start + fat_sectors;
    let total = difat_start + difat_sectors;

    let mut fat = vec![FREESECT; fat_sectors * IDS_PER_SECTOR];
    for &(first, n) in &fat_chains {
        chain(&mut fat, first, n);
    }
    chain(&mut fat, mini_start, mini_sectors);
    chain(&mut fat, minifat_start, minifat_sectors);
    chain(&mut fat, dir_start, dir_sectors);
    fat[fat_start..difat_start].fill(FATSECT);
    fat[difat_start..total].fill(DIFSECT);
    let mut minifat = vec![FREESECT; minifat_sectors * IDS_PER_SECTOR];
    for &(first, n) in &mini_chains {
        chain(&mut minifat, first, n);
    }

    let root_start = if mini_sectors == 0 { ENDOFCHAIN } else { id(mini_start) };
    let mut entries = vec![Entry::new("Root Entry", ROOT, root_start, mini_len)];
    entries.extend(
        streams
            .iter()
            .zip(&starts)
            .map(|((name, data), &start)| Entry::new(name, STREAM, start, data.len())),
    );
    let mut order: Vec<usize> = (1..entries.len()).collect();
    order.sort_by(|&a, &b| cfb_order(&entries[a].name, &entries[b].name));
    for w in order.windows(2) {
        assert!(
            cfb_order(&entries[w[0]].name, &entries[w[1]].name).is_ne(),
            "two streams named alike"
        );
    }
    let deepest = order.len().max(1).ilog2() as usize;
    let red = (!(order.len() + 1).is_power_of_two()).then_some(deepest);
    entries[0].child = link(&mut entries, &order, 0, red);

    let mut header = vec![0u8; SECTOR];
    header[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    put_u16(&mut header, 24, 0x003E);
    put_u16(&mut header, 26, 0x0003);
    put_u16(&mut header, 28, 0xFFFE);
    put_u16(&mut header, 30, 9);
    put_u16(&mut header, 32, 6);
    put_u32(&mut header, 44, id(fat_sectors));
    put_u32(&mut header, 48, id(dir_start));
    put_u32(&mut header, 56, MINI_CUTOFF as u32);
    put_u32(&mut header, 60, if minifat_sectors == 0 { ENDOFCHAIN } else { id(minifat_start) });
    put_u32(&mut header, 64, id(minifat_sectors));
    put_u32(&mut header, 68, if difat_sectors == 0 { ENDOFCHAIN } else { id(difat_start) });
    put_u32(&mut header, 72, id(difat_sectors));
    let fat_ids: Vec<u32> = (fat_start..difat_start).map(id).collect();
    for i in 0..HEADER_DIFAT {
        put_u32(&mut header, 76 + 4 * i, fat_ids.get(i).copied().unwrap_or(FREESECT));
    }

    let mut out = header;
    out.reserve((total) * SECTOR);
    let pad = |out: &mut Vec<u8>| out.resize(out.len().next_multiple_of(SECTOR), 0);
    for &i in &big {
        out.extend_from_slice(streams[i].1);
        pad(&mut out);
    }
    for &i in &small {
        out.extend_from_slice(streams[i].1);
        out.resize(out.len().next_multiple_of(MINI_SECTOR), 0);
    }
    pad(&mut out);
    out.extend(minifat.iter().flat_map(|v| v.to_le_bytes()));
    let dir_at = out.len();
    for e in &entries {
        out.extend_from_slice(&e.bytes());
    }
    out.resize(dir_at + dir_sectors * SECTOR, 0);
    // Unused directory slots still carry "no sibling, no child" links.
    for slot in out[dir_at + entries.len() * 128..].chunks_mut(128) {
        slot[68..80].fill(0xFF);
    }
    out.extend(fat.iter().flat_map(|v| v.to_le_bytes()));
    for (k, ids) in fat_ids.get(HEADER_DIFAT..).unwrap_or(&[]).chunks(DIFAT_PER_SECTOR).enumerate()
    {
        let mut sector = vec![FREESECT; IDS_PER_SECTOR];
        sector[..ids.len()].copy_from_slice(ids);
        sector[DIFAT_PER_SECTOR] =
            if k + 1 == difat_sectors { ENDOFCHAIN } else { id(difat_start + k + 1) };
        out.extend(sector.iter().flat_map(|v| v.to_le_bytes()));
    }
    debug_assert_eq!(out.len(), (total + 1) * SECTOR);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
    }

    #[test]
    fn a_red_black_directory_of_any_size() {
        fn walk<'a>(
            entry: &dyn Fn(usize) -> &'a [u8],
            node: u32,
            blacks: usize,
            out: &mut Vec<(usize, Vec<u16>)>,
        ) {
            if node == NOSTREAM {
                out.push((blacks, Vec::new()));
                return;
            }
            let e = entry(node as usize);
            let black = usize::from(e[67] == BLACK);
            if e[67] == RED {
                for child in [u32_at(e, 68), u32_at(e, 72)] {
                    assert!(child == NOSTREAM || entry(child as usize)[67] == BLACK, "red-red");
                }
            }
            walk(entry, u32_at(e, 68), blacks + black, out);
            let len = usize::from(u16::from_le_bytes([e[64], e[65]])) / 2 - 1;
            let name = (0..len).map(|i| u16::from_le_bytes([e[2 * i], e[2 * i + 1]])).collect();
            out.push((usize::MAX, name));
            walk(entry, u32_at(e, 72), blacks + black, out);
        }
        for n in 1..=20 {
            let names: Vec<String> = (0..n).map(|i| format!("{}s{i}", "x".repeat(i % 3))).collect();
            let data: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; 100 + 700 * i]).collect();
            let streams: Vec<(&str, &[u8])> =
                names.iter().zip(&data).map(|(n, d)| (n.as_str(), d.as_slice())).collect();
            let file = compound_file(&streams);
            assert_eq!(file.len() % SECTOR, 0);
            let dir = (u32_at(&file, 48) as usize + 1) * SECTOR;
            let entry = |i: usize| &file[dir + 128 * i..dir + 128 * (i + 1)];
            let mut seen = Vec::new();
            walk(&entry, u32_at(entry(0), 76), 0, &mut seen);
            let (links, names): (Vec<_>, Vec<_>) =
                seen.into_iter().partition(|(b, _)| *b != usize::MAX);
            assert_eq!(links.len(), n + 1, "{n} entries");
            assert!(links.windows(2).all(|w| w[0].0 == w[1].0), "{n}: black heights {links:?}");
            let names: Vec<Vec<u16>> = names.into_iter().map(|(_, name)| name).collect();
            assert!(names.windows(2).all(|w| cfb_order(&w[0], &w[1]).is_lt()), "{n}: in order");
        }
    }

    #[test]
    fn a_large_stream_grows_the_fat_into_difat_sectors() {
        let big = vec![7u8; 8 << 20];
        let file = compound_file(&[("Workbook", &big)]);
        assert!(u32_at(&file, 72) >= 1, "DIFAT sectors");
        assert!(u32_at(&file, 44) > 109);
    }
}
