//! Every write-path command writes its domain rows, field clocks, outbox operation and audit
//! entry together, and nothing at all when it fails.

use std::sync::atomic::AtomicBool;

use jiayuan_core::import::{self, ImportOptions};
use jiayuan_core::residents::{self, ResidentDraft, ResidentPatch};
use jiayuan_core::store::Stats;
use jiayuan_core::write::verify_audit_chain;
use jiayuan_core::{Actor, Ctx, ManualClock, Store};

fn actor() -> Actor {
    Actor::new("profile-test", "test official")
}

fn draft(name: &str, id_number: &str) -> ResidentDraft {
    ResidentDraft {
        name: name.into(),
        id_number: Some(id_number.into()),
        community: Some("建设社区".into()),
        grid: Some("第1网格".into()),
        tags: vec!["独居老人".into()],
        ..ResidentDraft::default()
    }
}

/// Identity numbers whose check characters `check` recomputes.
const ID_A: &str = "330402194501011234";
const ID_B: &str = "33040219800202002X";

fn valid_ids() -> (String, String) {
    (check(ID_A), check(ID_B))
}

/// Replaces the 18th character with the right check character.
fn check(id: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 =
        id.chars().take(17).zip(W).map(|(c, w)| c.to_digit(10).expect("digit") * w).sum();
    let c = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{}{c}", &id[..17])
}

fn stats(store: &Store) -> Stats {
    store.stats().expect("stats")
}

#[test]
fn creating_a_resident_writes_row_stamp_outbox_and_audit_together() {
    let mut store = Store::open_in_memory().expect("store");
    let clock = ManualClock::fixed();
    let actor = actor();
    let before = stats(&store);
    let (a, _) = valid_ids();
    let r = residents::create(&mut Ctx::new(&mut store, &clock, &actor), draft("张三", &a))
        .expect("create");
    let after = stats(&store);
    assert_eq!(after.residents, before.residents + 1);
    assert_eq!(after.outbox, before.outbox + 1, "one operation to push");
    assert_eq!(after.audit, before.audit + 1, "one audit entry");
    assert_eq!(after.field_clocks, 0, "a created row carries one creation stamp, no field clocks");
    assert_eq!(after.searchable, 1, "the new resident is searchable");
    assert_eq!(r.community.as_deref(), Some("建设社区"));
    assert_eq!(r.tags, vec!["独居老人".to_owned()]);
    assert!(r.sex.is_some() && r.birth_date.is_some(), "sex and birth date come from the id");
    let chain = verify_audit_chain(&store).expect("verify");
    assert_eq!(chain.broken_at, None);
}

#[test]
fn a_rejected_command_writes_nothing() {
    let mut store = Store::open_in_memory().expect("store");
    let clock = ManualClock::fixed();
    let actor = actor();
    let (a, _) = valid_ids();
    residents::create(&mut Ctx::new(&mut store, &clock, &actor), draft("张三", &a))
        .expect("create");
    let before = stats(&store);
    // The same identity number again: refused by core, and the transaction leaves no trace.
    let err = residents::create(&mut Ctx::new(&mut store, &clock, &actor), draft("李四", &a))
        .expect_err("duplicate identity");
    assert_eq!(err.code(), "invalid");
    let bad =
        ResidentDraft { name: " ".into(), phone: Some("13812345678".into()), ..Default::default() };
    residents::create(&mut Ctx::new(&mut store, &clock, &actor), bad).expect_err("no name");
    assert_eq!(stats(&store), before, "a failed command must leave every table as it was");
}

#[test]
fn editing_writes_a_clock_for_each_changed_field_only() {
    let mut store = Store::open_in_memory().expect("store");
    let clock = ManualClock::fixed();
    let actor = actor();
    let (a, _) = valid_ids();
    let r = residents::create(&mut Ctx::new(&mut store, &clock, &actor), draft("张三", &a))
        .expect("create");
    clock.advance_ms(60_000);
    let patch = ResidentPatch {
        phone: Some(Some("138 1234 5678".into())),
        room: Some(Some("302".into())),
        ..ResidentPatch::default()
    };
    let edited =
        residents::update(&mut Ctx::new(&mut store, &clock, &actor), &r.id, patch).expect("update");
    assert_eq!(edited.phone.as_deref(), Some("13812345678"), "phones are normalised");
    let s = stats(&store);
    assert_eq!(s.field_clocks, 2, "phone and room changed, nothing else");
    assert_eq!(s.outbox, 2);
    assert_eq!(s.audit, 2);
    let history = residents::history(&store, &r.id).expect("history");
    assert_eq!(history.len(), 2, "creation and edit: {history:?}");
    assert_eq!(history[1].action, "resident.update");

    let unchanged = ResidentPatch { room: Some(Some("302".into())), ..ResidentPatch::default() };
    let before = stats(&store);
    residents::update(&mut Ctx::new(&mut store, &clock, &actor), &r.id, unchanged)
        .expect_err("an edit that changes nothing is refused");
    assert_eq!(stats(&store), before);
    assert!(
        residents::search(&store, "5678", 10).expect("search").iter().any(|x| x.id == r.id),
        "the edited phone is searchable"
    );
}

fn write_csv(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("write csv");
    path
}

fn roster(rows: usize, start: u64) -> String {
    let mut s = String::from("姓名,身份证号码,联系电话,所属社区,网格,人员类别\n");
    for i in 0..rows as u64 {
        let phone = format!("139{:08}", start + i);
        s.push_str(&format!("居民{},,{phone},建设社区,第{}网格,\n", start + i, 1 + i % 3));
    }
    s
}

/// Runs an import through the real command with the test's clock and actor.
fn import_with(
    store: &mut Store,
    clock: &ManualClock,
    path: &std::path::Path,
    opts: &ImportOptions,
    cancel: bool,
) -> jiayuan_core::Result<import::ImportReport> {
    import::import_file(
        &mut Ctx::new(store, clock, &actor()),
        path,
        opts,
        &mut |_| {},
        &AtomicBool::new(cancel),
    )
}

#[test]
fn an_import_writes_one_operation_and_one_audit_entry_per_chunk() {
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open_in_memory().expect("store");
    let clock = ManualClock::fixed();
    let path = write_csv(dir.path(), "r.csv", &roster(2500, 0));
    let report =
        import_with(&mut store, &clock, &path, &ImportOptions::default(), false).expect("import");
    assert_eq!(report.created, 2500, "{report:?}");
    let s = stats(&store);
    assert_eq!(s.residents, 2500);
    assert_eq!(s.outbox, 4, "three chunks of at most 1000 rows and the batch record");
    assert_eq!(s.audit, 4, "one audit entry per operation");
    assert_eq!(s.field_clocks, 0, "created rows carry creation stamps, not field clocks");
    assert_eq!(s.searchable, 2500);
    assert_eq!(verify_audit_chain(&store).expect("verify").broken_at, None);
}

#[test]
fn a_dry_run_and_a_cancelled_import_write_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open_in_memory().expect("store");
    let clock = ManualClock::fixed();
    let path = write_csv(dir.path(), "r.csv", &roster(1500, 0));
    let before = stats(&store);
    let dry = import_with(
        &mut store,
        &clock,
        &path,
        &ImportOptions { dry_run: true, ..ImportOptions::default() },
        false,
    )
    .expect("dry run");
    assert_eq!(dry.created, 1500, "a dry run reports what a real run would do");
    assert!(dry.dry_run && dry.batch_id.is_none());
    assert_eq!(stats(&store), before, "a dry run writes nothing");

    let cancelled = import_with(&mut store, &clock, &path, &ImportOptions::default(), true);
    assert_eq!(cancelled.expect_err("cancelled").code(), "cancelled");
    assert_eq!(stats(&store), before, "a cancelled import writes nothing");
}

#[test]
fn reimporting_updates_changed_fields_and_undo_restores_them_except_later_edits() {
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open_in_memory().expect("store");
    let clock = ManualClock::fixed();
    let actor = actor();
    let first = write_csv(dir.path(), "a.csv", "姓名,联系电话,所属社区,网格,楼栋,人员类别\n王五,13900000001,建设社区,第1网格,1幢,\n赵六,13900000002,建设社区,第1网格,2幢,慢性病\n");
    let opts = ImportOptions::default();
    let run = |store: &mut Store, path: &std::path::Path| {
        import_with(store, &clock, path, &opts, false).expect("import")
    };
    run(&mut store, &first);
    clock.advance_ms(1000);
    // Second roster: 王五 moved building and gained a tag; 赵六's empty building cell erases nothing.
    let second = write_csv(dir.path(), "b.csv", "姓名,联系电话,所属社区,网格,楼栋,人员类别\n王五,13900000001,建设社区,第1网格,3幢,独居老人\n赵六,13900000002,建设社区,第1网格,,慢性病\n");
    let report = run(&mut store, &second);
    assert_eq!((report.created, report.updated, report.unchanged), (0, 1, 1), "{report:?}");
    let wang = &residents::search(&store, "王五", 5).expect("search")[0];
    assert_eq!(wang.building.as_deref(), Some("3幢"));
    assert!(wang.tags.contains(&"独居老人".to_owned()));
    let zhao = &residents::search(&store, "赵六", 5).expect("search")[0];
    assert_eq!(zhao.building.as_deref(), Some("2幢"), "an empty cell never erases");

    // An official edits 王五's building after the import; undo must keep that edit.
    clock.advance_ms(1000);
    residents::update(
        &mut Ctx::new(&mut store, &clock, &actor),
        &wang.id,
        ResidentPatch { building: Some(Some("5幢".into())), ..ResidentPatch::default() },
    )
    .expect("edit");
    clock.advance_ms(1000);
    let batch = report.batch_id.expect("batch id");
    let undo = import::undo_batch(&mut Ctx::new(&mut store, &clock, &actor), &batch).expect("undo");
    assert_eq!(undo.kept.len(), 1, "the later edit is kept: {undo:?}");
    assert_eq!(undo.kept[0].field, "building");
    let wang = residents::get(&store, &wang.id).expect("get").expect("still there");
    assert_eq!(wang.building.as_deref(), Some("5幢"));
    assert!(!wang.tags.contains(&"独居老人".to_owned()), "the tag the batch added is removed");
    import::undo_batch(&mut Ctx::new(&mut store, &clock, &actor), &batch)
        .expect_err("a batch is undone once");
}

#[test]
fn undoing_a_first_import_removes_everyone_it_created() {
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open_in_memory().expect("store");
    let clock = ManualClock::fixed();
    let actor = actor();
    let path = write_csv(dir.path(), "r.csv", &roster(1200, 0));
    let report =
        import_with(&mut store, &clock, &path, &ImportOptions::default(), false).expect("import");
    let undo = import::undo_batch(
        &mut Ctx::new(&mut store, &clock, &actor),
        report.batch_id.as_deref().expect("batch"),
    )
    .expect("undo");
    assert_eq!(undo.removed, 1200);
    let s = stats(&store);
    assert_eq!(s.residents, 0);
    assert_eq!(s.searchable, 0, "removed residents leave search");
    // The same roster imports again afterwards: tombstones claim no identity.
    let again = import_with(&mut store, &clock, &path, &ImportOptions::default(), false)
        .expect("import again");
    assert_eq!(again.created, 1200);
}

#[test]
fn an_export_is_recorded_and_never_writes_a_formula() {
    let dir = tempfile::tempdir().expect("dir");
    let mut store = Store::open_in_memory().expect("store");
    let clock = ManualClock::fixed();
    let actor = actor();
    let (a, b) = valid_ids();
    let mut evil = draft("=HYPERLINK(\"http://x\")", &a);
    evil.notes = Some("@SUM(1)".into());
    residents::create(&mut Ctx::new(&mut store, &clock, &actor), evil).expect("create");
    residents::create(&mut Ctx::new(&mut store, &clock, &actor), draft("李四", &b))
        .expect("create");
    let before = stats(&store);
    let out = dir.path().join("out.csv");
    let n = jiayuan_core::export::export_residents(
        &mut Ctx::new(&mut store, &clock, &actor),
        &out,
        &residents::Filter::default(),
    )
    .expect("export");
    assert_eq!(n, 2);
    let text = std::fs::read_to_string(&out).expect("read");
    for line in text.lines().skip(1) {
        for cell in line.split(',') {
            let cell = cell.trim_matches('"');
            assert!(!cell.starts_with(['=', '+', '-', '@']), "a cell starts a formula: {cell}");
        }
    }
    assert!(text.contains("'=HYPERLINK"), "the name is kept, defused");
    let after = stats(&store);
    assert_eq!(after.audit, before.audit + 1, "the export is in the audit log");
    assert_eq!(after.outbox, before.outbox + 1);
}

#[test]
fn creating_many_writes_one_operation_and_audit_entry_per_chunk_and_nothing_on_failure() {
    let mut store = Store::open_in_memory().expect("store");
    let clock = ManualClock::fixed();
    let actor = actor();
    let today = clock_today();
    let people: Vec<ResidentDraft> = jiayuan_core::demo::people(5, 2_500, today).collect();
    let n =
        residents::create_many(&mut Ctx::new(&mut store, &clock, &actor), people.clone(), "demo")
            .expect("create many");
    assert_eq!(n, 2_500);
    let s = stats(&store);
    assert_eq!((s.residents, s.outbox, s.audit, s.field_clocks), (2_500, 3, 3, 0));
    assert_eq!(s.searchable, 2_500, "bulk creations are searchable");
    // The same people again break the identity-number rule: the whole command rolls back.
    let before = stats(&store);
    residents::create_many(&mut Ctx::new(&mut store, &clock, &actor), people, "again")
        .expect_err("duplicate identity numbers");
    assert_eq!(stats(&store), before, "a failed bulk command leaves nothing behind");
    assert_eq!(verify_audit_chain(&store).expect("verify").broken_at, None);
}

fn clock_today() -> jiayuan_core::chrono::NaiveDate {
    jiayuan_core::chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")
}
