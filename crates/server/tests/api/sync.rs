//! Push and pull through the real server: outcomes, idempotence, reused sequence numbers,
//! paging, the identity merge, the op log chain, and the served OpenAPI description.

use jiayuan_core::sync::wire::{entity, Outcome};
use jiayuan_net::NetError;

use crate::harness::{
    http_get, on_both, resident, root_area, root_row, Backend, TestServer, DISTRICT,
};

on_both!(
    a_push_is_applied_once_however_often_it_is_sent_and_pulls_back_in_pages,
    the_same_identity_number_from_two_devices_ends_as_one_resident_and_an_alias,
    the_openapi_description_and_health_are_served,
);

fn a_push_is_applied_once_however_often_it_is_sent_and_pulls_back_in_pages(b: Backend) {
    let ts = TestServer::start(b);
    let pw = ts.admin_password();
    let mut d = ts.login("admin", &pw, "site-a");
    let mut ops = vec![d.op("area.create", vec![root_row(d.stamp())])];
    for i in 0..4 {
        let row = resident(
            &format!("r-{i}"),
            &format!("居民{i}"),
            &format!("11010119900101{i:04}"),
            &format!("1390000{i:04}"),
            d.stamp(),
        );
        ops.push(d.op("resident.create", vec![row]));
    }
    let first = d.push(ops.clone()).unwrap();
    for r in &first.results {
        assert_eq!(r.outcome, Outcome::Applied, "op {}: {r:?}", r.seq);
    }
    assert!(
        first.server_hlc >= ops.iter().map(|o| o.hlc).max().unwrap(),
        "the server's clock follows the ops"
    );
    let log_len = ts.server.storage().op_log(DISTRICT).unwrap().len();
    assert_eq!(log_len, 5);
    let (rows, head) = ts.pull_all(&d, 1000);
    assert_eq!(rows.len(), 5, "the area and four residents");

    let again = d.push(ops.clone()).unwrap();
    let outcomes = |r: &jiayuan_core::sync::PushResponse| {
        r.results.iter().map(|x| (x.seq, x.outcome.clone())).collect::<Vec<_>>()
    };
    assert_eq!(
        outcomes(&again),
        outcomes(&first),
        "a resend is acknowledged with the same outcomes"
    );
    assert_eq!(ts.server.storage().op_log(DISTRICT).unwrap().len(), 5, "nothing logged twice");
    let (_, head_again) = ts.pull_all(&d, 1000);
    assert_eq!(head_again, head, "nothing applied twice: the district's version did not move");

    let mut reused = d.op(
        "resident.create",
        vec![resident("r-x", "另一个", "110101199001019999", "13900009999", d.stamp())],
    );
    reused.seq = 2;
    reused.mac = jiayuan_core::sync::wire::op_mac(&d.login.device_secret, &reused);
    let e = d.push(vec![reused]).unwrap_err();
    assert!(matches!(&e, NetError::SiteReused(m) if m.contains('2')), "{e:?}");
    assert_eq!(
        ts.server.storage().op_log(DISTRICT).unwrap().len(),
        5,
        "the refused push left nothing"
    );

    let (paged, paged_head) = ts.pull_all(&d, 2);
    assert_eq!(paged_head, head);
    assert_eq!(
        paged.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        "pages of two give the same stream as one page"
    );
    assert!(paged.iter().any(|r| r.entity == entity::AREA && r.id == root_area()));
    let r0 = paged.iter().find(|r| r.id == "r-0").expect("a pushed resident comes back");
    assert_eq!(r0.str("phone"), Some("13900000000"));
    assert_eq!(ts.server.verify_op_log(DISTRICT).unwrap(), 5, "the op log chain verifies");
    let dev = ts.server.devices().unwrap().into_iter().find(|x| x.id == d.login.device_id).unwrap();
    assert!(dev.last_seen_ms.is_some(), "the device's last contact is recorded");
}

fn the_same_identity_number_from_two_devices_ends_as_one_resident_and_an_alias(b: Backend) {
    let ts = TestServer::start(b);
    let pw = ts.admin_password();
    let mut a = ts.login("admin", &pw, "site-a");
    let mut c = ts.login("admin", &pw, "site-c");
    let idn = "320102198507070707";
    let op_a = vec![
        a.op("area.create", vec![root_row(a.stamp())]),
        a.op("resident.create", vec![resident("res-a", "周八", idn, "13700000001", a.stamp())]),
    ];
    let op_c = vec![
        c.op("area.create", vec![root_row(c.stamp())]),
        c.op("resident.create", vec![resident("res-c", "周八", idn, "13700000002", c.stamp())]),
    ];
    let ra = a.push(op_a).unwrap();
    assert!(ra.results.iter().all(|r| r.outcome == Outcome::Applied), "{ra:?}");
    let rc = c.push(op_c).unwrap();
    assert!(rc.results.iter().all(|r| r.outcome == Outcome::Applied), "{rc:?}");
    let echo = &rc.results[1].rows;
    assert!(
        echo.iter()
            .any(|r| r.entity == entity::ALIAS && r.id == "res-c" && r.str("to") == Some("res-a")),
        "the second device is told its id became an alias: {echo:?}"
    );
    let (rows, _) = ts.pull_all(&a, 1000);
    let residents: Vec<_> = rows.iter().filter(|r| r.entity == entity::RESIDENT).collect();
    assert_eq!(residents.len(), 1, "one person: {residents:?}");
    assert_eq!(residents[0].id, "res-a");
    assert_eq!(residents[0].str("phone"), Some("13700000002"), "the later write of the field wins");
    let alias: Vec<_> = rows.iter().filter(|r| r.entity == entity::ALIAS).collect();
    assert_eq!(alias.len(), 1);
    assert_eq!(alias[0].str("to"), Some("res-a"));
}

fn the_openapi_description_and_health_are_served(b: Backend) {
    let ts = TestServer::start(b);
    let (status, body) = http_get(&ts.url, "/openapi.json");
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    for path in ["/v1/login", "/v1/token", "/v1/push", "/v1/pull", "/health"] {
        assert!(doc["paths"][path].is_object(), "{path} is described");
    }
    for schema in ["PushRequest", "PullResponse", "Row", "ApiError"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema} is described");
    }
    let (status, body) = http_get(&ts.url, "/health");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }));
    let (status, body) = http_get(&ts.url, "/v1/nothing");
    assert_eq!(status, 404);
    let err: jiayuan_core::sync::wire::ApiError =
        serde_json::from_str(&body).expect("errors are ApiError bodies");
    assert_eq!(err.code, "not_found");
}
