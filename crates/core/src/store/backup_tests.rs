//! A backup keeps every row and gives none away; a restore takes a new site id and no login,
//! and refuses a wrong passphrase, a file that is not a backup and a store with work in it.

use std::path::Path;

use super::*;
use crate::context::{Actor, Ctx};
use crate::store::{Store, StoreKey};
use crate::sync::memhub::MemServer;
use crate::sync::wire::Role;
use crate::ManualClock;

const PASS: &str = "搬家用的口令 2026 spring";

fn clock() -> ManualClock {
    ManualClock::fixed()
}

/// A file store with residents (identity numbers and phones), a request, and a login.
fn store_with_work(dir: &Path, key: &StoreKey) -> (Store, Vec<(String, String)>) {
    let mut store = Store::open(&dir.join("jiayuan.db"), Some(key)).expect("open");
    let clock = clock();
    let mut server = MemServer::new("本区", crate::Clock::now(&clock).timestamp_millis());
    server.add_user("alice", Role::DistrictSupervisor, None);
    crate::sync::client::login(&mut store, &server, "mem://", "alice", "alice", "old laptop")
        .expect("login");
    let people: Vec<_> =
        crate::demo::people(5, 200, chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()).collect();
    let secrets =
        people.iter().filter_map(|p| Some((p.id_number.clone()?, p.phone.clone()?))).collect();
    let actor = Actor::current(&store);
    let mut ctx = Ctx::new(&mut store, &clock, &actor);
    crate::residents::create_many(&mut ctx, people, "test").expect("residents");
    let resident: String = ctx
        .store
        .conn()
        .query_row("SELECT id FROM residents LIMIT 1", [], |r| r.get(0))
        .expect("a resident");
    crate::requests::create(
        &mut ctx,
        crate::requests::NewRequest {
            resident_id: Some(resident),
            category: "medicine".into(),
            description: "需要买降压药".into(),
            ..Default::default()
        },
    )
    .expect("request");
    store.conn().execute("UPDATE sync_state SET cursor = 42", []).expect("a cursor");
    (store, secrets)
}

fn take_backup(store: &mut Store, file: &Path) -> BackupReport {
    let clock = clock();
    let actor = Actor::current(store);
    backup(&mut Ctx::new(store, &clock, &actor), file, PASS).expect("backup")
}

fn rows(store: &Store) -> Vec<String> {
    crate::sync::tests::snapshot(store)
}

#[test]
fn a_restore_keeps_every_row_and_the_outbox_under_a_new_site_id_without_the_login() {
    let old = tempfile::tempdir().unwrap();
    let (mut a, _) = store_with_work(old.path(), &StoreKey::random());
    let file = old.path().join("moving.jybackup");
    let report = take_backup(&mut a, &file);
    assert_eq!(report.counts.residents, 200);
    assert_eq!(report.counts.requests, 1);
    assert!(report.counts.ops_waiting >= 2, "{:?}", report.counts);
    assert_eq!(report.bytes, std::fs::metadata(&file).unwrap().len());
    let audited: i64 = a
        .conn()
        .query_row("SELECT count(*) FROM audit_log WHERE action = 'store.backup'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audited, 1, "the backup is an audited action");
    let waiting_at_backup: Vec<String> =
        ops(&a).into_iter().filter(|o| !o.contains("store.backup")).collect();

    // The new laptop: its own folder and key.
    let new = tempfile::tempdir().unwrap();
    let into = new.path().join("jiayuan.db");
    let key = StoreKey::random();
    let restored = restore(&file, PASS, &into, &key, &clock()).expect("restore");
    assert_eq!(restored.old_site, a.device().site_id);
    assert_ne!(restored.new_site, restored.old_site, "a new site id");
    assert_eq!(restored.user_name.as_deref(), Some("alice"));
    assert_eq!(restored.server_url.as_deref(), Some("mem://"));
    let b = Store::open(&into, Some(&key)).expect("opens with the new folder's key");
    assert_eq!(b.device().site_id, restored.new_site);
    assert_eq!(b.device().profile_id, a.device().profile_id);
    assert_eq!(rows(&b), rows(&a), "every resident, request and event");
    let counts = b.counts().unwrap();
    assert_eq!(
        (counts.residents, counts.requests, counts.ops_waiting),
        (200, 1, report.counts.ops_waiting + 1),
        "the waiting work, and the restore's own record"
    );
    let kept: Vec<String> = ops(&b).into_iter().filter(|o| !o.contains("store.restore")).collect();
    assert_eq!(kept, waiting_at_backup, "the outbox as backed up, same op ids and order");
    let old_site_ops: i64 = b
        .conn()
        .query_row("SELECT count(*) FROM outbox WHERE site_id <> ?1", [&restored.new_site], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(old_site_ops, 0, "every waiting op goes out under the new site id");
    let st = crate::sync::client::state(b.conn()).unwrap();
    assert_eq!(st.device_token, None, "the old device's login is gone");
    assert_eq!(st.device_secret, None);
    assert_eq!(st.access_token, None);
    assert_eq!(st.cursor, 42, "the cursor stays");
    let hash: Option<String> =
        b.conn().query_row("SELECT password_hash FROM sync_state", [], |r| r.get(0)).unwrap();
    assert_eq!(hash, None);
    let chain = crate::write::verify_audit_chain(&b).unwrap();
    assert_eq!(chain.broken_at, None, "the audit chain continues unbroken");
    assert_eq!(b.schema_version().unwrap(), LATEST_VERSION);
    assert_eq!(b.integrity_check().unwrap(), "ok");
    for leftover in [".restoring", ".restoring-src"] {
        assert!(!new.path().join(format!("jiayuan.db{leftover}")).exists(), "{leftover}");
    }
    assert!(!old.path().join("moving.jybackup.partial").exists());
    assert!(!old.path().join("moving.jybackup.partial-db").exists());
}

fn ops(store: &Store) -> Vec<String> {
    let mut stmt =
        store.conn().prepare("SELECT op_id || ' ' || kind FROM outbox ORDER BY seq").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
}

#[test]
fn the_backup_file_holds_no_identity_number_or_phone_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, secrets) = store_with_work(dir.path(), &StoreKey::random());
    assert!(secrets.len() > 100);
    // The scan finds them where they are in clear: in a plain store's copy of the same rows.
    let plain = dir.path().join("plain.db");
    a.conn().execute("ATTACH DATABASE ?1 AS plain KEY ''", [plain.to_string_lossy()]).unwrap();
    a.conn().query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(())).unwrap();
    a.conn().execute_batch("DETACH DATABASE plain").unwrap();
    let control = std::fs::read(&plain).unwrap();
    assert!(secrets.iter().all(|(id, phone)| holds(&control, id) && holds(&control, phone)));

    let file = dir.path().join("b.jybackup");
    take_backup(&mut a, &file);
    let bytes = std::fs::read(&file).unwrap();
    let found =
        secrets.iter().filter(|(id, phone)| holds(&bytes, id) || holds(&bytes, phone)).count();
    assert_eq!(found, 0, "{found} identity numbers or phones readable in the backup");
    for clear in ["SQLite format 3", "本区", "需要买降压药", "alice"] {
        assert!(!holds(&bytes, clear), "{clear} in clear");
    }
}

fn holds(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn a_wrong_passphrase_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, _) = store_with_work(dir.path(), &StoreKey::random());
    let file = dir.path().join("b.jybackup");
    take_backup(&mut a, &file);
    let new = tempfile::tempdir().unwrap();
    let into = new.path().join("jiayuan.db");
    let err = restore(&file, "另一个口令 wrong one", &into, &StoreKey::random(), &clock())
        .expect_err("wrong passphrase");
    assert!(matches!(err, CoreError::WrongBackupPassphrase), "{err}");
    assert_eq!(err.code(), "wrong_backup_passphrase");
    assert!(err.to_string().contains("passphrase is wrong"), "{err}");
    assert_eq!(std::fs::read_dir(new.path()).unwrap().count(), 0, "nothing written");
    assert!(open(&file, PASS).is_ok());
}

#[test]
fn a_file_that_is_not_a_backup_is_refused_and_a_damaged_one_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::random();
    let (mut a, _) = store_with_work(dir.path(), &key);
    let into = dir.path().join("new").join("jiayuan.db");
    let junk = dir.path().join("notes.txt");
    std::fs::write(&junk, "residents.xlsx, not a backup at all".repeat(50)).unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    // A store itself is no backup either (a keyed SQLCipher file, no header).
    for not in [junk.as_path(), empty.as_path(), &dir.path().join("jiayuan.db")] {
        let err = restore(not, PASS, &into, &key, &clock()).expect_err("not a backup");
        assert_eq!(err.code(), "not_a_backup", "{}: {err}", not.display());
        assert!(err.to_string().contains("is not a Jiayuan Desk backup"), "{err}");
    }
    let missing = restore(&dir.path().join("gone"), PASS, &into, &key, &clock()).unwrap_err();
    assert_eq!(missing.code(), "not_found");

    let file = dir.path().join("b.jybackup");
    take_backup(&mut a, &file);
    let whole = std::fs::read(&file).unwrap();
    let cut = dir.path().join("cut.jybackup");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let err = restore(&cut, PASS, &into, &key, &clock()).expect_err("cut in half");
    assert_eq!(err.code(), "backup_damaged", "{err}");
    let mut flipped = whole.clone();
    let at = whole.len() - 3000;
    flipped[at] ^= 0x55;
    std::fs::write(&cut, &flipped).unwrap();
    let err = restore(&cut, PASS, &into, &key, &clock()).expect_err("a changed byte");
    assert_eq!(err.code(), "backup_damaged", "{err}");
    assert!(!into.exists(), "no store was left behind");
    let left: Vec<_> = std::fs::read_dir(into.parent().unwrap())
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "no temporary file left: {left:?}");
}

#[test]
fn a_weak_passphrase_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, _) = store_with_work(dir.path(), &StoreKey::random());
    let clock = clock();
    let actor = Actor::current(&a);
    let file = dir.path().join("b.jybackup");
    for weak in ["", "          ", "short1", "aaaaaaaaaaaa", "121212121212"] {
        let err = backup(&mut Ctx::new(&mut a, &clock, &actor), &file, weak).expect_err(weak);
        assert_eq!(err.code(), "weak_passphrase", "{weak:?}: {err}");
    }
    assert!(!file.exists());
    assert!(
        check_passphrase("十个汉字的口令也可以吧").is_ok(),
        "ten Chinese characters are enough"
    );
    // Not over the store itself.
    let err = backup(&mut Ctx::new(&mut a, &clock, &actor), &dir.path().join("jiayuan.db"), PASS)
        .expect_err("over the store");
    assert_eq!(err.code(), "invalid");
    assert_eq!(a.stats().unwrap().residents, 200);
}

#[test]
fn a_restore_replaces_only_a_store_with_no_work_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, _) = store_with_work(dir.path(), &StoreKey::random());
    let file = dir.path().join("b.jybackup");
    take_backup(&mut a, &file);

    // A fresh store, as the app makes at first start: replaced.
    let new = tempfile::tempdir().unwrap();
    let into = new.path().join("jiayuan.db");
    let key = StoreKey::random();
    drop(Store::open(&into, Some(&key)).unwrap());
    restore(&file, PASS, &into, &key, &clock()).expect("a fresh store is replaced");
    // Now it holds work (the restore itself, and what was restored): refused, untouched.
    let before = rows(&Store::open(&into, Some(&key)).unwrap());
    let err = restore(&file, PASS, &into, &key, &clock()).expect_err("holds work");
    assert_eq!(err.code(), "restore_refused", "{err}");
    assert!(err.to_string().contains("new data folder"), "{err}");
    assert_eq!(rows(&Store::open(&into, Some(&key)).unwrap()), before);

    // A store that is logged in (a sync may be writing to it) waits for a logout.
    let other = tempfile::tempdir().unwrap();
    let into = other.path().join("jiayuan.db");
    let s = Store::open(&into, Some(&key)).unwrap();
    s.conn().execute("UPDATE sync_state SET device_token = 'x'", []).unwrap();
    drop(s);
    let err = restore(&file, PASS, &into, &key, &clock()).expect_err("logged in");
    assert!(err.to_string().contains("log out first"), "{err}");
    // Under another key than the folder's: not opened, not replaced.
    let err = restore(&file, PASS, &into, &StoreKey::random(), &clock()).expect_err("key");
    assert_eq!(err.code(), "wrong_key");
}
