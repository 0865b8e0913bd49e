//! Just enough of the Compound File Binary format (the OLE container of `.xls`) to check a
//! file before calamine opens it: calamine follows sector chains without bounds or cycle
//! checks (a looping directory chain grows without end) and indexes its tables with ids
//! taken from the file. Every chain calamine will walk is walked here first, with both.

use std::io::{Read, Seek, SeekFrom};

use super::super::source::ReadError;

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const DIFAT_SECTOR: u32 = 0xFFFF_FFFC;
/// Streams shorter than this live in the mini stream, in 64-byte sectors.
const MINI_CUTOFF: u64 = 4096;
const MINI_SECTOR: u64 = 64;

fn corrupt(what: &str) -> ReadError {
    ReadError::Corrupt(format!("the legacy Excel container is damaged: {what}"))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2).map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32_at(b, at)) | (u64::from(u32_at(b, at + 4)) << 32)
}

/// A directory entry.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub name: String,
    start: u32,
    pub len: u64,
}

/// Where each byte of a stream lies in the file.
#[derive(Debug, Clone)]
pub(super) struct Stream {
    /// File offset of each sector of the stream, in order.
    sectors: Vec<u64>,
    sector: u64,
    pub len: u64,
}

impl Stream {
    /// The file offset of byte `at` of the stream.
    pub(super) fn file_offset(&self, at: u64) -> Option<u64> {
        let base = self.sectors.get(usize::try_from(at / self.sector).ok()?)?;
        Some(base + at % self.sector)
    }
}

pub(super) struct Cfb {
    file: std::fs::File,
    file_len: u64,
    sector: u64,
    fat: Vec<u32>,
    mini_fat: Vec<u32>,
    mini_stream: Option<Stream>,
    pub entries: Vec<Entry>,
}

impl Cfb {
    pub(super) fn open(mut file: std::fs::File) -> Result<Cfb, ReadError> {
        let file_len = file.metadata()?.len();
        let mut header = [0u8; 512];
        file.read_exact(&mut header).map_err(|_| corrupt("shorter than its header"))?;
        let sector: u64 = match u16_at(&header, 30) {
            9 => 512,
            12 => 4096,
            _ => return Err(corrupt("unknown sector size")),
        };
        if u16_at(&header, 32) != 6 {
            return Err(corrupt("unknown mini sector size"));
        }
        let mut cfb = Cfb {
            file,
            file_len,
            sector,
            fat: Vec::new(),
            mini_fat: Vec::new(),
            mini_stream: None,
            entries: Vec::new(),
        };
        let sectors_in_file = cfb.sectors_in_file();
        // The DIFAT lists the FAT's sectors: 109 in the header, then a chain of sectors.
        let mut difat: Vec<u32> = (0..109).map(|i| u32_at(&header, 76 + 4 * i)).collect();
        let mut next = u32_at(&header, 68);
        let mut hops = 0u64;
        let per = (sector / 4) as usize;
        while next < DIFAT_SECTOR {
            hops += 1;
            if hops > sectors_in_file {
                return Err(corrupt("the sector allocation list loops"));
            }
            let s = cfb.read_sector(next)?;
            difat.extend((0..per - 1).map(|i| u32_at(&s, 4 * i)));
            next = u32_at(&s, 4 * (per - 1));
        }
        // calamine builds its FAT from every DIFAT entry below DIFSECT, in order; so do we,
        // so that sector ids index the same table.
        for id in difat.into_iter().filter(|id| *id < DIFAT_SECTOR) {
            let s = cfb.read_sector(id)?;
            cfb.fat.extend((0..per).map(|i| u32_at(&s, 4 * i)));
            if cfb.fat.len() as u64 > sectors_in_file.saturating_mul(2) + per as u64 {
                return Err(corrupt("the sector allocation table is larger than the file"));
            }
        }
        let dir = cfb.chain(u32_at(&header, 48), None)?;
        let mut raw = vec![0u8; 128];
        for offset in &dir.sectors {
            for k in 0..sector / 128 {
                cfb.file.seek(SeekFrom::Start(offset + k * 128))?;
                cfb.file.read_exact(&mut raw).map_err(|_| corrupt("directory past the end"))?;
                let name_len = usize::from(u16_at(&raw, 64)).min(64);
                let units: Vec<u16> = (0..name_len / 2)
                    .map(|i| u16_at(&raw, 2 * i))
                    .take_while(|u| *u != 0)
                    .collect();
                let len =
                    if sector == 512 { u64::from(u32_at(&raw, 120)) } else { u64_at(&raw, 120) };
                cfb.entries.push(Entry {
                    name: String::from_utf16_lossy(&units),
                    start: u32_at(&raw, 116),
                    len,
                });
            }
        }
        let root = cfb.entries.first().cloned().ok_or_else(|| corrupt("no root directory"))?;
        let mini_fat_sectors = u64::from(u32_at(&header, 64));
        if mini_fat_sectors > 0 {
            let chain = cfb.chain(u32_at(&header, 60), Some(mini_fat_sectors * sector))?;
            let mut fat = Vec::new();
            for offset in &chain.sectors {
                let mut s = vec![0u8; sector as usize];
                cfb.file.seek(SeekFrom::Start(*offset))?;
                cfb.file.read_exact(&mut s).map_err(|_| corrupt("mini FAT past the end"))?;
                fat.extend((0..per).map(|i| u32_at(&s, 4 * i)));
            }
            cfb.mini_fat = fat;
            cfb.mini_stream = Some(cfb.chain(root.start, Some(root.len))?);
        }
        Ok(cfb)
    }

    fn sectors_in_file(&self) -> u64 {
        (self.file_len / self.sector).saturating_sub(1)
    }

    fn sector_offset(&self, id: u32) -> Result<u64, ReadError> {
        if u64::from(id) >= self.sectors_in_file() {
            return Err(corrupt("a sector lies past the end of the file"));
        }
        Ok((u64::from(id) + 1) * self.sector)
    }

    fn read_sector(&mut self, id: u32) -> Result<Vec<u8>, ReadError> {
        let offset = self.sector_offset(id)?;
        let mut s = vec![0u8; self.sector as usize];
        self.file.seek(SeekFrom::Start(offset))?;
        self.file.read_exact(&mut s).map_err(|_| corrupt("a sector lies past the end"))?;
        Ok(s)
    }

    /// Follows a chain of the FAT, refusing loops, ids past the table or the file, and a chain
    /// shorter than `len` (when given); stops once `len` bytes are covered, as calamine does.
    fn chain(&self, start: u32, len: Option<u64>) -> Result<Stream, ReadError> {
        let mut sectors = Vec::new();
        let mut id = start;
        let limit = self.sectors_in_file();
        while id != END_OF_CHAIN {
            if sectors.len() as u64 >= limit {
                return Err(corrupt("a sector chain loops"));
            }
            sectors.push(self.sector_offset(id)?);
            if len.is_some_and(|l| sectors.len() as u64 * self.sector >= l) {
                break;
            }
            id =
                *self.fat.get(id as usize).ok_or_else(|| corrupt("a sector id is out of range"))?;
        }
        let covered = sectors.len() as u64 * self.sector;
        if len.is_some_and(|l| l > covered) {
            return Err(corrupt("a stream is longer than its sectors"));
        }
        Ok(Stream { sectors, sector: self.sector, len: len.unwrap_or(covered) })
    }

    /// Same for the mini FAT, whose sectors lie inside the mini stream.
    fn mini_chain(&self, start: u32, len: u64) -> Result<Stream, ReadError> {
        let mini = self.mini_stream.as_ref().ok_or_else(|| corrupt("no mini stream"))?;
        let mut sectors = Vec::new();
        let mut id = start;
        let limit = mini.len / MINI_SECTOR;
        while (sectors.len() as u64) * MINI_SECTOR < len {
            if id == END_OF_CHAIN || sectors.len() as u64 >= limit {
                return Err(corrupt("a small stream's chain is broken"));
            }
            let at = u64::from(id) * MINI_SECTOR;
            if at + MINI_SECTOR > mini.len {
                return Err(corrupt("a small stream lies past the mini stream"));
            }
            sectors.push(mini.file_offset(at).ok_or_else(|| corrupt("mini stream offset"))?);
            id = *self.mini_fat.get(id as usize).ok_or_else(|| corrupt("a mini sector id"))?;
        }
        Ok(Stream { sectors, sector: MINI_SECTOR, len })
    }

    pub(super) fn find(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name.eq_ignore_ascii_case(name))
    }

    /// Locates a stream's bytes, checking its chain the way calamine will walk it.
    pub(super) fn stream(&self, entry: &Entry) -> Result<Stream, ReadError> {
        if entry.len > self.file_len {
            return Err(corrupt("a stream is longer than the file"));
        }
        if entry.len < MINI_CUTOFF {
            self.mini_chain(entry.start, entry.len)
        } else {
            self.chain(entry.start, Some(entry.len))
        }
    }

    /// Reads a whole stream (the caller has bounded its length).
    pub(super) fn read(&mut self, stream: &Stream) -> Result<Vec<u8>, ReadError> {
        let len = usize::try_from(stream.len).map_err(|_| corrupt("stream length"))?;
        let mut out = Vec::with_capacity(len);
        let mut buf = vec![0u8; stream.sector as usize];
        for offset in &stream.sectors {
            let want = (len - out.len()).min(buf.len());
            self.file.seek(SeekFrom::Start(*offset))?;
            self.file.read_exact(&mut buf[..want]).map_err(|_| corrupt("a stream past the end"))?;
            out.extend_from_slice(&buf[..want]);
            if out.len() == len {
                break;
            }
        }
        Ok(out)
    }
}
