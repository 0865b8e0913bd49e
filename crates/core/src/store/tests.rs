//! The store opens the same way every time, migrates atomically and refuses what it must.

use super::*;
use crate::context::{Actor, Ctx};
use crate::ManualClock;

/// What the app does: every file store encrypted.
fn open(path: &Path, key: &StoreKey) -> Result<Store> {
    Store::open(path, Some(key))
}

#[test]
fn a_new_store_is_at_the_latest_schema_with_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(&dir.path().join("s.db"), &StoreKey::random()).expect("open");
    assert_eq!(store.schema_version().expect("version"), LATEST_VERSION);
    let mode: String =
        store.conn().query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("pragma");
    assert_eq!(mode, "wal", "file stores must use write-ahead logging");
    let fk: i64 = store.conn().query_row("PRAGMA foreign_keys", [], |r| r.get(0)).expect("pragma");
    assert_eq!(fk, 1, "foreign keys must be enforced");
    let sync: i64 = store.conn().query_row("PRAGMA synchronous", [], |r| r.get(0)).expect("pragma");
    assert_eq!(sync, 1, "synchronous=NORMAL is 1");
}

#[test]
fn reopening_keeps_the_site_id_and_does_not_migrate_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.db");
    let key = StoreKey::random();
    let first = open(&path, &key).expect("open").device().clone();
    let again = open(&path, &key).expect("reopen").device().clone();
    assert_eq!(first, again, "a store keeps its identity across opens");
}

#[test]
fn a_store_from_a_newer_program_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.db");
    let key = StoreKey::random();
    drop(open(&path, &key).expect("open"));
    {
        let conn = open_connection(&path, Some(&key)).expect("raw open");
        conn.pragma_update(None, "user_version", LATEST_VERSION + 1).expect("bump");
    }
    match open(&path, &key) {
        Err(CoreError::SchemaTooNew { found, known }) => {
            assert_eq!((found, known), (LATEST_VERSION + 1, LATEST_VERSION));
        }
        other => panic!("a newer schema must be refused, got {other:?}"),
    }
}

#[test]
fn another_programs_database_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("other.db");
    {
        let conn = Connection::open(&path).expect("raw open");
        conn.execute_batch("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('keep me');")
            .expect("other schema");
    }
    let err = open(&path, &StoreKey::random()).expect_err("must refuse");
    assert!(matches!(err, CoreError::StoreOpen { .. }), "got {err:?}");
    assert!(!dir.path().join("other.db.encrypting").exists());
    let conn = Connection::open(&path).expect("raw open");
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("v");
    assert_eq!(v, 0, "the other program's file must not be migrated");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("junk.db");
    std::fs::write(&path, b"this is certainly not a database, just some text ".repeat(100))
        .expect("write");
    let err = Store::open(&path, None).expect_err("must refuse");
    assert_eq!(err.code(), "store_open", "got {err}");
    // With a key, junk cannot be told from a store under another key; the message says both.
    let err = open(&path, &StoreKey::random()).expect_err("must refuse");
    assert_eq!(err.code(), "wrong_key", "got {err}");
    assert!(err.to_string().contains("damaged"), "{err}");
}

fn fill(store: &mut Store, n: usize) -> Vec<(String, String)> {
    let people: Vec<_> =
        crate::demo::people(3, n, chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()).collect();
    let secrets =
        people.iter().filter_map(|p| Some((p.id_number.clone()?, p.phone.clone()?))).collect();
    let clock = ManualClock::fixed();
    let actor = Actor::local_profile(store);
    crate::residents::create_many(&mut Ctx::new(store, &clock, &actor), people, "test")
        .expect("residents");
    secrets
}

fn bytes_of(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir") {
        all.extend(std::fs::read(e.expect("entry").path()).expect("read"));
    }
    all
}

fn holds(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn the_store_files_hold_no_identity_number_or_phone_in_clear() {
    for (encrypted, dir) in
        [(false, tempfile::tempdir().unwrap()), (true, tempfile::tempdir().unwrap())]
    {
        let key = StoreKey::random();
        let path = dir.path().join("s.db");
        let mut store = Store::open(&path, encrypted.then_some(&key)).expect("open");
        let secrets = fill(&mut store, 300);
        assert!(secrets.len() > 200);
        // The write-ahead log is scanned too: the store is still open, nothing checkpointed.
        let bytes = bytes_of(dir.path());
        let found =
            secrets.iter().filter(|(id, phone)| holds(&bytes, id) || holds(&bytes, phone)).count();
        if encrypted {
            assert_eq!(found, 0, "{found} identity numbers or phones readable in the files");
            assert!(!holds(&bytes, "SQLite format 3"), "not even the SQLite header");
        } else {
            // The scan finds them where they are in clear, so its zero above means something.
            assert_eq!(found, secrets.len(), "the plain control");
        }
    }
}

#[test]
fn a_wrong_key_refuses_to_open_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let key = StoreKey::random();
    let mut store = open(&path, &key).expect("open");
    fill(&mut store, 20);
    drop(store);
    let before = std::fs::read(&path).unwrap();
    let err = open(&path, &StoreKey::random()).expect_err("another key");
    assert_eq!(err.code(), "wrong_key");
    assert!(err.to_string().contains("encrypted with another key"), "{err}");
    let err = Store::open(&path, None).expect_err("no key");
    assert_eq!(err.code(), "store_open", "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file is untouched");
    assert_eq!(open(&path, &key).expect("the right key").stats().unwrap().residents, 20);
}

#[test]
fn a_plain_store_is_encrypted_in_place_with_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut plain = Store::open(&path, None).expect("plain");
    let secrets = fill(&mut plain, 500);
    let device = plain.device().clone();
    let stats = plain.stats().unwrap();
    let audit = crate::write::verify_audit_chain(&plain).expect("chain");
    // Left open on purpose: rows still in the write-ahead log must come along.
    drop(plain);
    // A crash during an earlier attempt left a partial copy: ignored and replaced.
    std::fs::write(dir.path().join("s.db.encrypting"), b"partial").unwrap();
    let key = StoreKey::random();
    let store = open(&path, &key).expect("encrypted on open");
    assert!(!encrypt::is_plain(&path).unwrap());
    assert_eq!(store.stats().unwrap(), stats, "every row kept");
    assert_eq!(store.device(), &device, "the same store: site id and profile kept");
    assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(
        crate::write::verify_audit_chain(&store).expect("chain"),
        audit,
        "the audit chain holds"
    );
    drop(store);
    assert!(!dir.path().join("s.db.encrypting").exists());
    let bytes = bytes_of(dir.path());
    assert!(secrets.iter().all(|(id, phone)| !holds(&bytes, id) && !holds(&bytes, phone)));
    assert_eq!(open(&path, &key).unwrap().stats().unwrap(), stats, "and it opens again");
}
