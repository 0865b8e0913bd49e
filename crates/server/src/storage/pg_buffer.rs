//! pg.rs's push transaction in memory. A round trip to PostgreSQL costs more than applying an
//! op, so a push's writes wait here until its end (pg.rs then writes them in a few multi-row
//! statements), an op's savepoint is a mark here rather than in the database, and what the
//! push read from the database is remembered: nothing else writes the district's rows or op
//! log while the push holds the district's row lock, so those reads stay true until the flush.

use std::collections::{BTreeMap, HashMap};

use jiayuan_core::sync::hub::{visible, LoggedOp, Stored};
use jiayuan_core::sync::Row;

use super::LogEntry;

/// (entity, id), or (entity, key) for natural keys.
pub(super) type Pair = (String, String);

pub(super) fn pair(a: &str, b: &str) -> Pair {
    (a.to_owned(), b.to_owned())
}

/// A row written by this push, as `rows` will hold it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Pending {
    pub stored: Stored,
    pub key: Option<String>,
}

/// The push's writes: rows (the last write of each), the op log entries in order, and what
/// undoes an op's writes while its savepoint is open.
#[derive(Debug, Default)]
pub(super) struct Buffer {
    rows: HashMap<Pair, Pending>,
    /// (entity, key) → the buffered rows holding that key, so `find_key` needs no scan.
    keyed: HashMap<Pair, Vec<String>>,
    log: Vec<LogEntry>,
    by_seq: HashMap<(String, i64), usize>,
    by_id: HashMap<String, usize>,
    /// Each write's previous value while a savepoint is open.
    undo: Vec<(Pair, Option<Pending>)>,
    /// Per open savepoint: the lengths of `undo` and `log` when it was taken.
    marks: Vec<(usize, usize)>,
}

impl Buffer {
    pub fn put(&mut self, stored: Stored, key: Option<String>) {
        let k = pair(&stored.row.entity, &stored.row.id);
        let old = self.set(k.clone(), Some(Pending { stored, key }));
        if !self.marks.is_empty() {
            self.undo.push((k, old));
        }
    }

    fn set(&mut self, k: Pair, new: Option<Pending>) -> Option<Pending> {
        let new_key = new.as_ref().and_then(|p| p.key.clone());
        let old = match new {
            Some(p) => self.rows.insert(k.clone(), p),
            None => self.rows.remove(&k),
        };
        if let Some(old_key) = old.as_ref().and_then(|p| p.key.clone()) {
            let ek = (k.0.clone(), old_key);
            if let Some(ids) = self.keyed.get_mut(&ek) {
                ids.retain(|id| *id != k.1);
                if ids.is_empty() {
                    self.keyed.remove(&ek);
                }
            }
        }
        if let Some(key) = new_key {
            self.keyed.entry((k.0, key)).or_default().push(k.1);
        }
        old
    }

    pub fn row(&self, entity: &str, id: &str) -> Option<&Pending> {
        self.rows.get(&pair(entity, id))
    }

    pub fn rows(&self) -> impl Iterator<Item = &Pending> {
        self.rows.values()
    }

    /// A buffered row holding `key` now.
    pub fn holder(&self, entity: &str, key: &str) -> Option<&str> {
        self.keyed.get(&pair(entity, key)).and_then(|ids| ids.first()).map(String::as_str)
    }

    /// Buffered rows with `cursor < version <= upto` visible under `scope`.
    pub fn rows_between(&self, cursor: i64, upto: i64, scope: Option<&str>) -> Vec<Row> {
        self.rows
            .values()
            .map(|p| &p.stored)
            .filter(|s| s.row.version > cursor && s.row.version <= upto)
            .filter(|s| scope.is_none_or(|p| visible(&s.row.entity, &s.scope, p)))
            .map(|s| s.row.clone())
            .collect()
    }

    pub fn log(&mut self, e: LogEntry) {
        let at = self.log.len();
        self.by_seq.insert((e.site_id.clone(), e.seq), at);
        self.by_id.insert(e.op_id.clone(), at);
        self.log.push(e);
    }

    pub fn entries(&self) -> &[LogEntry] {
        &self.log
    }

    pub fn logged_seq(&self, site: &str, seq: i64) -> Option<LoggedOp> {
        self.by_seq.get(&(site.to_owned(), seq)).map(|&i| logged(&self.log[i]))
    }

    pub fn logged_id(&self, op_id: &str) -> Option<LoggedOp> {
        self.by_id.get(op_id).map(|&i| logged(&self.log[i]))
    }

    /// The user of this push's first entry from `site`.
    pub fn site_user(&self, site: &str) -> Option<&str> {
        self.log.iter().find(|e| e.site_id == site).map(|e| e.user_id.as_str())
    }

    pub fn savepoint(&mut self) {
        self.marks.push((self.undo.len(), self.log.len()));
    }

    /// Undoes everything written since the last savepoint, which stays open (as in SQL).
    pub fn rollback(&mut self) {
        let Some(&(undo, log)) = self.marks.last() else { return };
        while self.undo.len() > undo {
            if let Some((k, old)) = self.undo.pop() {
                self.set(k, old);
            }
        }
        for e in self.log.drain(log..) {
            self.by_seq.remove(&(e.site_id, e.seq));
            self.by_id.remove(&e.op_id);
        }
    }

    pub fn release(&mut self) {
        self.marks.pop();
        // Kept for an enclosing savepoint; with none open nothing can be undone any more.
        if self.marks.is_empty() {
            self.undo.clear();
        }
    }
}

fn logged(e: &LogEntry) -> LoggedOp {
    LoggedOp {
        op_id: e.op_id.clone(),
        outcome: LogEntry::logged_outcome(&e.outcome, e.reason.clone()),
    }
}

/// Op log entries read by ranges of a key: every key inside a range read is known, present
/// or absent, so a batch's ops (sequence numbers in order, UUIDv7 op ids in time order) are
/// usually found or ruled out by the first query.
#[derive(Debug)]
pub(super) struct Known<K> {
    found: BTreeMap<K, LoggedOp>,
    /// Inclusive ranges; `None`: no end.
    covered: Vec<(K, Option<K>)>,
}

impl<K> Default for Known<K> {
    fn default() -> Self {
        Known { found: BTreeMap::new(), covered: Vec::new() }
    }
}

impl<K: Ord + Clone> Known<K> {
    /// `None` when the key was not read yet.
    pub fn get(&self, k: &K) -> Option<Option<LoggedOp>> {
        if let Some(l) = self.found.get(k) {
            return Some(Some(l.clone()));
        }
        self.covered
            .iter()
            .any(|(lo, hi)| lo <= k && hi.as_ref().is_none_or(|h| k <= h))
            .then_some(None)
    }

    /// Records the answer to "the first `limit` entries from `from` in key order".
    pub fn read(&mut self, from: K, rows: Vec<(K, LoggedOp)>, limit: usize) {
        let end = if rows.len() < limit { None } else { rows.last().map(|r| r.0.clone()) };
        self.covered.push((from, end));
        self.found.extend(rows);
    }
}

/// What this transaction read from the database (true until the flush, see the module's
/// comment): rows including misses, natural keys, op log entries, sites' owners.
#[derive(Debug, Default)]
pub(super) struct Seen {
    pub rows: HashMap<Pair, Option<Stored>>,
    /// (entity, key) → the ids holding it.
    pub keys: HashMap<Pair, Vec<String>>,
    pub seqs: HashMap<String, Known<i64>>,
    pub ids: Known<String>,
    /// Site → (the user of its first logged op, the user of its device).
    pub owners: HashMap<String, (Option<String>, Option<String>)>,
    /// User id → name.
    pub users: HashMap<String, Option<String>>,
}

#[cfg(test)]
mod tests {
    use jiayuan_core::sync::wire::Stamp;
    use jiayuan_core::sync::Outcome;

    use super::*;

    fn stored(entity: &str, id: &str, version: i64) -> Stored {
        let mut row = Row::new(entity, id, Stamp(1, "s".into()));
        row.version = version;
        Stored { row, scope: format!("/{id}/") }
    }

    fn entry(site: &str, seq: i64, op_id: &str) -> LogEntry {
        LogEntry {
            district: "d".into(),
            site_id: site.into(),
            seq,
            op_id: op_id.into(),
            kind: "k".into(),
            actor: String::new(),
            user_id: "u".into(),
            device_id: String::new(),
            hlc: 0,
            at: String::new(),
            received_ms: 0,
            outcome: "applied".into(),
            reason: None,
            overwritten: String::new(),
            op: String::new(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn a_rolled_back_op_leaves_no_row_key_or_log_entry_and_a_kept_one_stays() {
        let mut b = Buffer::default();
        b.put(stored("resident", "a", 1), Some("k1".into()));
        b.log(entry("s", 1, "op1"));
        b.savepoint();
        b.put(stored("resident", "a", 2), Some("k2".into()));
        b.put(stored("resident", "b", 3), Some("k1".into()));
        b.log(entry("s", 2, "op2"));
        assert_eq!(b.holder("resident", "k2"), Some("a"));
        assert_eq!(b.holder("resident", "k1"), Some("b"));
        b.rollback();
        b.release();
        assert_eq!(b.row("resident", "a").map(|p| p.stored.row.version), Some(1));
        assert_eq!(b.row("resident", "a").and_then(|p| p.key.as_deref()), Some("k1"));
        assert!(b.row("resident", "b").is_none());
        assert_eq!(b.holder("resident", "k1"), Some("a"));
        assert_eq!(b.holder("resident", "k2"), None);
        assert!(b.logged_seq("s", 2).is_none() && b.logged_id("op2").is_none());
        assert_eq!(b.logged_seq("s", 1).map(|l| l.op_id), Some("op1".into()));
        assert_eq!(b.entries().len(), 1);

        b.savepoint();
        b.put(stored("resident", "c", 2), None);
        b.release();
        b.savepoint();
        b.rollback();
        b.release();
        assert!(b.row("resident", "c").is_some(), "a released op's writes stay");
        assert_eq!(b.rows().count(), 2);
    }

    #[test]
    fn rows_between_follows_versions_and_scopes() {
        let mut b = Buffer::default();
        b.put(stored("area", "x", 5), None);
        b.put(stored("area", "y", 6), None);
        let mut reference = stored("category", "c", 7);
        reference.scope = String::new();
        b.put(reference, None);
        let ids = |rows: Vec<Row>| {
            let mut v: Vec<String> = rows.into_iter().map(|r| r.id).collect();
            v.sort();
            v
        };
        assert_eq!(ids(b.rows_between(5, 7, None)), ["c", "y"]);
        assert_eq!(ids(b.rows_between(0, 7, Some("/x/"))), ["c", "x"]);
        assert_eq!(ids(b.rows_between(0, 6, Some("/x/"))), ["x"]);
        assert_eq!(ids(b.rows_between(0, 6, Some("/y/z/"))), ["y"], "the areas above a scope");
    }

    #[test]
    fn known_ranges_answer_only_what_was_read() {
        let op = |id: &str| LoggedOp { op_id: id.into(), outcome: Outcome::Applied };
        let mut k = Known::<i64>::default();
        assert_eq!(k.get(&3), None);
        k.read(3, vec![(3, op("a")), (5, op("b"))], 2);
        assert_eq!(k.get(&3), Some(Some(op("a"))));
        assert_eq!(k.get(&4), Some(None), "inside the range read: absent");
        assert_eq!(k.get(&6), None, "the limit was reached at 5: 6 is unknown");
        assert_eq!(k.get(&2), None);
        k.read(6, vec![(9, op("c"))], 2);
        assert_eq!(k.get(&1_000), Some(None), "fewer than the limit: everything after is known");
        assert_eq!(k.get(&9), Some(Some(op("c"))));
    }
}
