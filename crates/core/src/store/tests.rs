//! The store opens the same way every time, migrates atomically and refuses what it must.

use super::*;

#[test]
fn a_new_store_is_at_the_latest_schema_with_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("s.db")).expect("open");
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
    let first = Store::open(&path).expect("open").device().clone();
    let again = Store::open(&path).expect("reopen").device().clone();
    assert_eq!(first, again, "a store keeps its identity across opens");
}

#[test]
fn a_store_from_a_newer_program_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.db");
    drop(Store::open(&path).expect("open"));
    {
        let conn = Connection::open(&path).expect("raw open");
        conn.pragma_update(None, "user_version", LATEST_VERSION + 1).expect("bump");
    }
    match Store::open(&path) {
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
    let err = Store::open(&path).expect_err("must refuse");
    assert!(matches!(err, CoreError::StoreOpen { .. }), "got {err:?}");
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
    let err = Store::open(&path).expect_err("must refuse");
    assert_eq!(err.code(), "store_open", "got {err}");
}
