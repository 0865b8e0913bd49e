//! One push is one transaction whose ops see each other: what an earlier op wrote is there for
//! a later one, a refused op leaves nothing (no row, no version, no key), an op sent twice in
//! one push is decided once, and a push of many ops and rows (more than one statement's worth
//! on PostgreSQL, which holds a push's writes until its end) lands whole and in order.

use jiayuan_core::sync::wire::{entity, Outcome, Row, Stamp};

use crate::harness::{on_both, resident, root_area, root_row, Backend, TestServer, DISTRICT};

on_both!(
    a_later_op_in_the_same_push_sees_what_an_earlier_one_wrote,
    a_refused_op_leaves_no_row_version_or_key_behind,
    an_op_sent_twice_in_one_push_is_decided_once,
    a_large_push_lands_whole_and_resends_are_found_by_sequence_and_by_op_id,
);

fn rejected(o: &Outcome) -> bool {
    matches!(o, Outcome::Rejected { .. })
}

/// A resident in an area the server has never heard of: refused after the op's earlier rows
/// were written.
fn nowhere(id: &str, stamp: Stamp) -> Row {
    resident(id, "无处", "110101199909099999", "13000000000", stamp)
        .with("area", "00000000-0000-0000-0000-000000000000")
}

fn a_later_op_in_the_same_push_sees_what_an_earlier_one_wrote(b: Backend) {
    let ts = TestServer::start(b);
    let pw = ts.admin_password();
    let mut d = ts.login("admin", &pw, "site-a");
    let idn = "110101198001010011";
    // Stamps one apart, so each later write wins its fields.
    let at = |n: i64| Stamp(d.hlc() + n, d.site.clone());
    let (s1, s2, s3) = (at(1), at(2), at(3));
    let ops = vec![
        d.op("area.create", vec![root_row(d.stamp())]),
        d.op("resident.create", vec![resident("first", "王一", idn, "13800000001", s1)]),
        // The same person again: found by identity number among this push's own rows.
        d.op("resident.create", vec![resident("second", "王一", idn, "13800000002", s2)]),
        d.op(
            "resident.update",
            vec![resident("first", "王一", idn, "13800000003", s3).with("notes", "回访")],
        ),
    ];
    let r = d.push(ops).unwrap();
    assert!(r.results.iter().all(|x| x.outcome == Outcome::Applied), "{r:?}");
    assert!(
        r.results[2].rows.iter().any(|x| x.entity == entity::ALIAS && x.str("to") == Some("first")),
        "the second create became an alias of the first: {:?}",
        r.results[2].rows
    );
    let (rows, head) = ts.pull_all(&d, 1000);
    let residents: Vec<&Row> = rows.iter().filter(|r| r.entity == entity::RESIDENT).collect();
    assert_eq!(residents.len(), 1, "{residents:?}");
    assert_eq!(residents[0].str("phone"), Some("13800000003"));
    assert_eq!(residents[0].str("notes"), Some("回访"));
    // Area, the resident three times, the alias: each write its own version.
    assert_eq!(head, 5);
    assert_eq!(residents[0].version, 5, "the last write of a row is the one kept");
    assert_eq!(ts.server.verify_op_log(DISTRICT).unwrap(), 4);
}

fn a_refused_op_leaves_no_row_version_or_key_behind(b: Backend) {
    let ts = TestServer::start(b);
    let pw = ts.admin_password();
    let mut d = ts.login("admin", &pw, "site-a");
    let idn = "110101198001010022";
    let ops = vec![
        d.op("area.create", vec![root_row(d.stamp())]),
        // Its first row is written, then its second is refused: the op is undone whole.
        d.op(
            "residents.import",
            vec![
                resident("ghost", "李二", idn, "13800000011", d.stamp()),
                nowhere("lost", d.stamp()),
            ],
        ),
        // The identity number the refused op wrote is free again, so this is a new person.
        d.op("resident.create", vec![resident("real", "李二", idn, "13800000012", d.stamp())]),
    ];
    let r = d.push(ops).unwrap();
    assert_eq!(r.results[0].outcome, Outcome::Applied);
    assert!(rejected(&r.results[1].outcome), "{r:?}");
    assert_eq!(r.results[2].outcome, Outcome::Applied, "{r:?}");
    assert!(
        r.results[2].rows.iter().all(|x| x.entity != entity::ALIAS),
        "no alias of a row that was undone: {:?}",
        r.results[2].rows
    );
    let ghost = r.results[1].rows.iter().find(|x| x.id == "ghost").expect("a copy of each row");
    assert!(ghost.deleted && ghost.fields.is_empty(), "the server does not hold it: {ghost:?}");
    let (rows, head) = ts.pull_all(&d, 1000);
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [root_area().as_str(), "real"]);
    assert_eq!(head, 2, "the undone write used no version");
    assert_eq!(rows[1].version, 2);
    assert_eq!(ts.server.verify_op_log(DISTRICT).unwrap(), 3, "the refusal is logged and chained");
}

fn an_op_sent_twice_in_one_push_is_decided_once(b: Backend) {
    let ts = TestServer::start(b);
    let pw = ts.admin_password();
    let mut d = ts.login("admin", &pw, "site-a");
    let area = d.op("area.create", vec![root_row(d.stamp())]);
    let create = d.op(
        "resident.create",
        vec![resident("once", "赵三", "110101198001010033", "13800000021", d.stamp())],
    );
    let refused = d.op("resident.create", vec![nowhere("never", d.stamp())]);
    let r = d.push(vec![area, create.clone(), create, refused.clone(), refused.clone()]).unwrap();
    let outcomes: Vec<bool> = r.results.iter().map(|x| rejected(&x.outcome)).collect();
    assert_eq!(outcomes, [false, false, false, true, true], "{r:?}");
    assert_eq!(r.results[4].rows, r.results[3].rows, "the refusal's copies come again");
    assert_eq!(ts.server.storage().op_log(DISTRICT).unwrap().len(), 3, "each op logged once");
    let (rows, head) = ts.pull_all(&d, 1000);
    assert_eq!(rows.len(), 2);
    assert_eq!(head, 2, "applied once: one version for the resident");
    assert_eq!(ts.server.verify_op_log(DISTRICT).unwrap(), 3);
}

fn a_large_push_lands_whole_and_resends_are_found_by_sequence_and_by_op_id(b: Backend) {
    let ts = TestServer::start(b);
    let pw = ts.admin_password();
    let mut d = ts.login("admin", &pw, "site-a");
    let stamp = d.stamp();
    let import: Vec<Row> = (0..5_100)
        .map(|i| {
            resident(
                &format!("bulk-{i:05}"),
                "居民",
                &format!("2201011990{i:08}"),
                "13900000000",
                stamp.clone(),
            )
        })
        .collect();
    let mut ops = vec![d.op("area.create", vec![root_row(d.stamp())])];
    ops.push(d.op("residents.import", import));
    for i in 0..1_100 {
        let row =
            resident(&format!("one-{i:04}"), "单个", &format!("3301011990{i:08}"), "", d.stamp());
        ops.push(d.op("resident.create", vec![row]));
    }
    let r = d.push(ops.clone()).unwrap();
    assert!(r.results.iter().all(|x| x.outcome == Outcome::Applied));
    let (rows, head) = ts.pull_all(&d, 5_000);
    assert_eq!(rows.len(), 1 + 5_100 + 1_100);
    assert_eq!(head, rows.len() as i64, "versions without gaps");
    assert_eq!(ts.server.verify_op_log(DISTRICT).unwrap(), ops.len());
    let log = ts.server.storage().op_log(DISTRICT).unwrap();
    let order: Vec<i64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(order, (1..=ops.len() as i64).collect::<Vec<_>>(), "logged in the push's order");
    assert_eq!(ts.server.storage().chain_head(DISTRICT).unwrap(), log.last().unwrap().hash);

    // Sent again under the same site, then (a restored store) under a new one: acknowledged.
    let again = d.push(ops.clone()).unwrap();
    assert_eq!(again.results.len(), ops.len());
    assert!(again.results.iter().all(|x| x.outcome == Outcome::Applied));
    let restored = ts.login("admin", &pw, "site-b");
    let moved = restored.push(ops.clone()).unwrap();
    assert!(moved.results.iter().all(|x| x.outcome == Outcome::Applied));
    assert_eq!(ts.server.storage().op_log(DISTRICT).unwrap().len(), ops.len(), "nothing twice");
    let (_, head_again) = ts.pull_all(&d, 5_000);
    assert_eq!(head_again, head);
}
