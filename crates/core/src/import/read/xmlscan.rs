//! A byte-level XML tokenizer that only measures. quick-xml buffers a whole token (a tag, a
//! text run, a comment) before handing it over, and calamine a whole cell or shared string, so
//! a part with one gigabyte-long token or an unclosed cell would make them hold gigabytes even
//! while "streaming". Measuring the bytes first, in constant memory, refuses such a part early.

use std::io::Read;

/// Where the tokenizer is; each markup kind ends differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    /// Just after `<`.
    Open,
    /// After `<!`, until we know which kind of declaration follows.
    Bang,
    Comment,
    CData,
    Pi,
    Doctype,
    Tag,
}

/// Why a part is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ScanError {
    Token(u64),
    Element(String, u64),
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanError::Token(cap) => {
                write!(f, "it holds a single XML token longer than {} MiB", cap >> 20)
            }
            ScanError::Element(name, cap) => {
                write!(f, "it holds a <{name}> element longer than {} MiB", cap >> 20)
            }
        }
    }
}

impl std::error::Error for ScanError {}

/// What to measure besides token lengths.
#[derive(Debug, Clone, Copy)]
pub(super) struct Watch {
    pub max_token: u64,
    /// Elements (by local name) whose whole extent, children included, is bounded: readers
    /// accumulate these (a cell's value, a shared string) across many small tokens.
    pub bounded: &'static [&'static [u8]],
    pub max_element: u64,
    /// Start tags (by local name) to count.
    pub count: &'static [&'static [u8]],
    /// The first start tag with this local name has its attributes kept (up to 1 KiB).
    pub capture: &'static [u8],
}

const NAME_CAP: usize = 32;
const CAPTURE_CAP: usize = 1024;

/// The local name kept for a tag (its prefix was dropped as it was read).
fn local_of(name: &[u8; NAME_CAP], len: usize) -> &[u8] {
    // A local name longer than we keep is no name we watch.
    if len > NAME_CAP {
        return &[];
    }
    &name[..len]
}

pub(super) struct XmlScan {
    watch: Watch,
    state: State,
    token: u64,
    /// The last bytes seen inside markup, to find `-->`, `]]>`, `?>` across chunk ends.
    tail: [u8; 2],
    bang: [u8; 7],
    bang_len: usize,
    quote: u8,
    doctype_depth: u32,
    name: [u8; NAME_CAP],
    name_len: usize,
    name_done: bool,
    end_tag: bool,
    /// The last byte of the tag before `>`, to tell `<c/>` from `<c>`.
    prev: u8,
    element: Option<(usize, u32)>,
    element_bytes: u64,
    capturing: bool,
    pub captured: Option<Vec<u8>>,
    /// Start tags counted (see [`Watch::count`]).
    pub counted: u64,
    /// Bytes of character data.
    pub text_bytes: u64,
    /// Every byte fed.
    pub total: u64,
}

impl XmlScan {
    pub(super) fn new(watch: Watch) -> XmlScan {
        XmlScan {
            watch,
            state: State::Text,
            token: 0,
            tail: [0; 2],
            bang: [0; 7],
            bang_len: 0,
            quote: 0,
            doctype_depth: 0,
            name: [0; NAME_CAP],
            name_len: 0,
            name_done: false,
            end_tag: false,
            prev: 0,
            element: None,
            element_bytes: 0,
            capturing: false,
            captured: None,
            counted: 0,
            text_bytes: 0,
            total: 0,
        }
    }

    fn local_name(&self) -> &[u8] {
        local_of(&self.name, self.name_len)
    }

    /// Remembers the last non-blank byte, to tell `<c/>` from `<c>` at the `>`.
    fn note_prev(&mut self, seen: &[u8]) {
        if let Some(&b) = seen.iter().rev().find(|b| !b.is_ascii_whitespace()) {
            self.prev = b;
        }
    }

    fn grow(&mut self, n: usize) -> Result<(), ScanError> {
        self.token += n as u64;
        if self.token > self.watch.max_token {
            return Err(ScanError::Token(self.watch.max_token));
        }
        if self.element.is_some() {
            self.element_bytes += n as u64;
            if self.element_bytes > self.watch.max_element {
                let name = self.element.map_or(0, |(i, _)| i);
                let name = self.watch.bounded.get(name).copied().unwrap_or_default();
                return Err(ScanError::Element(
                    String::from_utf8_lossy(name).into_owned(),
                    self.watch.max_element,
                ));
            }
        }
        Ok(())
    }

    fn end_markup(&mut self) {
        self.state = State::Text;
        self.token = 0;
    }

    fn tag_closed(&mut self) {
        let self_closing = self.prev == b'/';
        // A copy of the name (32 bytes) so the fields can change while it is compared.
        let name = self.name;
        let local = local_of(&name, self.name_len);
        match self.element {
            Some((i, depth)) if self.watch.bounded.get(i) == Some(&local) => {
                if self.end_tag {
                    self.element = (depth > 1).then_some((i, depth - 1));
                    if self.element.is_none() {
                        self.element_bytes = 0;
                    }
                } else if !self_closing {
                    self.element = Some((i, depth + 1));
                }
            }
            Some(_) => {}
            None if !self.end_tag && !self_closing => {
                if let Some(i) = self.watch.bounded.iter().position(|n| *n == local) {
                    self.element = Some((i, 1));
                    self.element_bytes = self.token;
                }
            }
            None => {}
        }
        if !self.end_tag && self.watch.count.contains(&local) {
            self.counted += 1;
        }
        self.end_markup();
    }

    /// Measures the next bytes of the part.
    pub(super) fn feed(&mut self, mut bytes: &[u8]) -> Result<(), ScanError> {
        self.total += bytes.len() as u64;
        while !bytes.is_empty() {
            let used = match self.state {
                State::Text => match memchr::memchr(b'<', bytes) {
                    Some(i) => {
                        self.grow(i)?;
                        self.text_bytes += i as u64;
                        self.token = 0;
                        self.state = State::Open;
                        self.grow(1)?;
                        i + 1
                    }
                    None => {
                        self.grow(bytes.len())?;
                        self.text_bytes += bytes.len() as u64;
                        bytes.len()
                    }
                },
                State::Open => {
                    let b = bytes[0];
                    self.name_len = 0;
                    self.name_done = false;
                    self.end_tag = false;
                    self.quote = 0;
                    self.prev = 0;
                    self.tail = [0; 2];
                    match b {
                        b'!' => {
                            self.bang_len = 0;
                            self.state = State::Bang;
                        }
                        b'?' => self.state = State::Pi,
                        b'/' => {
                            self.end_tag = true;
                            self.state = State::Tag;
                        }
                        _ => {
                            self.state = State::Tag;
                            self.name[0] = b;
                            self.name_len = usize::from(b != b':');
                            self.prev = b;
                        }
                    }
                    self.grow(1)?;
                    1
                }
                State::Bang => {
                    let b = bytes[0];
                    self.bang[self.bang_len.min(6)] = b;
                    self.bang_len += 1;
                    let seen = &self.bang[..self.bang_len.min(7)];
                    if seen == b"--" {
                        self.state = State::Comment;
                    } else if seen == b"[CDATA[" {
                        self.state = State::CData;
                    } else if !b"--".starts_with(seen) && !b"[CDATA[".starts_with(seen) {
                        self.state = State::Doctype;
                        self.doctype_depth = 0;
                        if b == b'>' {
                            self.end_markup();
                        }
                    }
                    self.grow(1)?;
                    1
                }
                State::Comment | State::CData | State::Pi => {
                    let (end, before): (u8, &[u8]) = match self.state {
                        State::Comment => (b'>', b"--"),
                        State::CData => (b'>', b"]]"),
                        _ => (b'>', b"?"),
                    };
                    match memchr::memchr(end, bytes) {
                        Some(i) => {
                            // The two bytes before `>`, possibly from the previous chunk.
                            let mut last = self.tail;
                            for &b in &bytes[..i] {
                                last = [last[1], b];
                            }
                            self.grow(i + 1)?;
                            let closes = if before.len() == 2 {
                                last == [before[0], before[1]]
                            } else {
                                last[1] == before[0]
                            };
                            if closes {
                                self.end_markup();
                            } else {
                                self.tail = [last[1], end];
                            }
                            i + 1
                        }
                        None => {
                            for &b in bytes {
                                self.tail = [self.tail[1], b];
                            }
                            self.grow(bytes.len())?;
                            bytes.len()
                        }
                    }
                }
                State::Doctype => {
                    let b = bytes[0];
                    self.grow(1)?;
                    if b == b'<' {
                        self.doctype_depth += 1;
                    } else if b == b'>' {
                        if self.doctype_depth == 0 {
                            self.end_markup();
                        } else {
                            self.doctype_depth -= 1;
                        }
                    }
                    1
                }
                State::Tag => {
                    let mut i = 0;
                    // The name, byte by byte: names are short.
                    while !self.name_done && i < bytes.len() {
                        let b = bytes[i];
                        if b.is_ascii_whitespace() || matches!(b, b'/' | b'>' | b'"' | b'\'') {
                            self.name_done = true;
                            self.capturing = !self.end_tag
                                && self.captured.is_none()
                                && !self.watch.capture.is_empty()
                                && self.local_name() == self.watch.capture;
                            if self.capturing {
                                self.captured = Some(Vec::new());
                            }
                        } else if b == b':' {
                            // Only the local name matters, as it does to quick-xml and
                            // calamine, however long the prefix.
                            self.name_len = 0;
                            self.prev = b;
                            i += 1;
                        } else {
                            if self.name_len < NAME_CAP {
                                self.name[self.name_len] = b;
                            }
                            self.name_len += 1;
                            self.prev = b;
                            i += 1;
                        }
                    }
                    // The attributes: jump from quote to quote and to `>`.
                    let from = i;
                    let mut closed = false;
                    while i < bytes.len() {
                        let rest = &bytes[i..];
                        let found = if self.quote != 0 {
                            memchr::memchr(self.quote, rest)
                        } else {
                            memchr::memchr3(b'>', b'"', b'\'', rest)
                        };
                        let Some(k) = found else {
                            self.note_prev(rest);
                            i = bytes.len();
                            break;
                        };
                        let b = rest[k];
                        i += k + 1;
                        if self.quote != 0 {
                            self.quote = 0;
                            self.prev = b;
                            continue;
                        }
                        self.note_prev(&rest[..k]);
                        if b == b'>' {
                            closed = true;
                            break;
                        }
                        self.quote = b;
                        self.prev = b;
                    }
                    if self.capturing {
                        if let Some(c) = self.captured.as_mut() {
                            let room = CAPTURE_CAP.saturating_sub(c.len());
                            c.extend_from_slice(&bytes[from..i][..room.min(i - from)]);
                        }
                    }
                    self.grow(i)?;
                    if closed {
                        self.capturing = false;
                        self.tag_closed();
                    }
                    i
                }
            };
            bytes = &bytes[used..];
        }
        Ok(())
    }

    /// Whether the part ended inside a bounded element or a token: a truncated or unclosed part.
    pub(super) fn finished_cleanly(&self) -> bool {
        self.element.is_none() && self.state == State::Text
    }

    /// Reads `r` to its end, measuring.
    pub(super) fn drain(&mut self, r: &mut impl Read) -> std::io::Result<Result<(), ScanError>> {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => return Ok(Ok(())),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Err(e) = self.feed(&buf[..n]) {
                return Ok(Err(e));
            }
        }
    }
}

/// A reader that measures what passes through it and fails once a bound is crossed, so a
/// streaming parser never buffers past it.
pub(super) struct Guarded<R> {
    pub inner: R,
    pub scan: XmlScan,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.scan.feed(&buf[..n]).map_err(std::io::Error::other)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WATCH: Watch = Watch {
        max_token: 64,
        bounded: &[b"c", b"si"],
        max_element: 200,
        count: &[b"si"],
        capture: b"sst",
    };

    fn scan(parts: &[&[u8]]) -> (XmlScan, Result<(), ScanError>) {
        let mut s = XmlScan::new(WATCH);
        for p in parts {
            if let Err(e) = s.feed(p) {
                return (s, Err(e));
            }
        }
        (s, Ok(()))
    }

    #[test]
    fn ordinary_xml_passes_and_is_counted_across_chunk_ends() {
        let xml = br#"<?xml version="1.0"?><!-- a > b --><x:sst uniqueCount="2" count="3"><x:si><t>a</t></x:si><si><t a='>'>b</t></si><![CDATA[ <c> ]]></x:sst>"#;
        for cut in 0..xml.len() {
            let (s, r) = scan(&[&xml[..cut], &xml[cut..]]);
            assert_eq!(r, Ok(()), "cut at {cut}");
            assert_eq!(s.counted, 2, "cut at {cut}");
            assert!(s.finished_cleanly(), "cut at {cut}");
            let cap =
                String::from_utf8_lossy(s.captured.as_deref().unwrap_or_default()).into_owned();
            assert!(cap.contains(r#"uniqueCount="2""#), "cut at {cut}: {cap}");
        }
    }

    #[test]
    fn a_long_text_run_or_tag_or_comment_is_refused() {
        let long = vec![b'a'; 100];
        let text = [b"<v>".as_slice(), &long, b"</v>"].concat();
        assert_eq!(scan(&[&text]).1, Err(ScanError::Token(64)));
        let tag = [b"<c r=\"".as_slice(), &long, b"\"/>"].concat();
        assert_eq!(scan(&[&tag]).1, Err(ScanError::Token(64)));
        let quoted_gt = [b"<c r=\"".as_slice(), &[b'>'; 100], b"\"/>"].concat();
        assert_eq!(
            scan(&[&quoted_gt]).1,
            Err(ScanError::Token(64)),
            "a quoted > does not end a tag"
        );
        let comment = [b"<!--".as_slice(), &[b'>'; 100], b"-->"].concat();
        assert_eq!(scan(&[&comment]).1, Err(ScanError::Token(64)), "a > does not end a comment");
    }

    #[test]
    fn an_element_made_of_many_small_tokens_is_bounded() {
        let mut cell = b"<c><is>".to_vec();
        for _ in 0..30 {
            cell.extend_from_slice(b"<t>abc</t>");
        }
        let (_, r) = scan(&[&cell]);
        assert!(matches!(r, Err(ScanError::Element(ref n, 200)) if n == "c"), "{r:?}");
        let (s, r) = scan(&[b"<row><c r=\"A1\"/><c><v>1</v></c><c><v>2</v></c></row>"]);
        assert_eq!(r, Ok(()));
        assert!(s.finished_cleanly());
        let (s, _) = scan(&[b"<row><c><v>1</v>"]);
        assert!(!s.finished_cleanly(), "an unclosed cell is noticed");
        let long = [b"<".as_slice(), &[b'x'; 40], b":c><t>"].concat();
        let mut cell = long.clone();
        for _ in 0..30 {
            cell.extend_from_slice(b"<t>abc</t>");
        }
        assert!(
            matches!(scan(&[&cell]).1, Err(ScanError::Element(..))),
            "a long prefix hides no cell"
        );
        let (s, r) = scan(&[b"<c>", b"</", &[b'y'; 40], b":c>"]);
        assert_eq!(r, Ok(()));
        assert!(s.finished_cleanly(), "a prefixed end tag closes the cell, as for quick-xml");
    }
}
