//! The access report: reveals and exports every device pushed, read back per place within the
//! reader's area, over HTTP and on the server's own machine.

use jiayuan_core::areas::{area_id, Level};
use jiayuan_core::sync::access::{AccessAction, AccessRequest};
use jiayuan_core::sync::wire::{entity, Role, Row, Stamp, TokenRequest};
use jiayuan_net::NetError;
use jiayuan_server::NewUser;
use serde_json::json;

use crate::harness::{on_both, root_area, root_row, Backend, Device, TestServer, DISTRICT};

on_both!(the_access_report_lists_reveals_and_exports_per_place_within_the_readers_area);

struct Tree {
    street: String,
    community: String,
    grid3: String,
    grid5: String,
}

fn tree() -> Tree {
    let street = area_id(Some(&root_area()), Level::Street, "东栅街道");
    let community = area_id(Some(&street), Level::Community, "建设社区");
    let grid3 = area_id(Some(&community), Level::Grid, "3网格");
    let grid5 = area_id(Some(&community), Level::Grid, "5网格");
    Tree { street, community, grid3, grid5 }
}

fn area(id: &str, parent: &str, level: &str, name: &str, stamp: Stamp) -> Row {
    Row::new(entity::AREA, id, stamp)
        .with("parent_id", parent)
        .with("level", level)
        .with("name", name)
}

fn resident_in(id: &str, name: &str, area: &str, stamp: Stamp) -> Row {
    Row::new(entity::RESIDENT, id, stamp).with("name", name).with("area", area)
}

/// An audit-only op with this payload.
fn audit(d: &mut Device, kind: &str, payload: serde_json::Value) -> jiayuan_core::sync::wire::Op {
    let mut op = d.op(kind, vec![]);
    op.payload = payload;
    op.mac = jiayuan_core::sync::wire::op_mac(&d.login.device_secret, &op);
    op
}

fn the_access_report_lists_reveals_and_exports_per_place_within_the_readers_area(b: Backend) {
    let ts = TestServer::start(b);
    let pw = ts.admin_password();
    let t = tree();
    let mut d = ts.login("admin", &pw, "site-a");
    let rows = vec![
        root_row(d.stamp()),
        area(&t.street, &root_area(), "street", "东栅街道", d.stamp()),
        area(&t.community, &t.street, "community", "建设社区", d.stamp()),
        area(&t.grid3, &t.community, "grid", "3网格", d.stamp()),
        area(&t.grid5, &t.community, "grid", "5网格", d.stamp()),
        resident_in("r3", "张三", &t.grid3, d.stamp()),
        resident_in("r5", "李四", &t.grid5, d.stamp()),
    ];
    let setup = d.op("area.create", rows);
    let early =
        audit(&mut d, "residents.reveal", json!({"id": "r3", "field": "phone", "area": t.grid3}));
    d.push(vec![setup, early]).unwrap();
    // Two days later, the rest; the report of the last day leaves the first reveal out.
    ts.clock.advance_ms(2 * 86_400_000);
    let fresh = TokenRequest { device_token: d.login.device_token.clone() };
    d.login.access_token = d.client.token(&fresh).expect("a fresh access token").access_token;
    let ops = vec![
        audit(
            &mut d,
            "residents.reveal",
            json!({"id": "r3", "field": "id_number", "area": t.grid3}),
        ),
        audit(&mut d, "residents.reveal", json!({"id": "r5", "field": "phone", "area": t.grid5})),
        audit(
            &mut d,
            "export.residents",
            json!({"file": "建设社区.xlsx", "residents": 2, "area": t.community,
                   "filter": {"community": "建设社区", "grid": null, "tag": null}}),
        ),
        audit(
            &mut d,
            "export.print",
            json!({"kind": "calls", "residents": 2, "area": null,
                   "filter": {"community": null, "grid": null, "tag": null}}),
        ),
        // Recorded by an app that did not yet name the area: placed by its filter's names.
        audit(
            &mut d,
            "export.residents",
            json!({"file": "old.csv", "residents": 1,
                   "filter": {"community": "建设社区", "grid": "3网格", "tag": null}}),
        ),
        // The whole store to a backup file: the district's level.
        audit(
            &mut d,
            "store.backup",
            json!({"file": "moving.jybackup", "residents": 2, "bytes": 4096}),
        ),
        // Not an access: never listed.
        d.op("resident.create", vec![resident_in("r9", "王五", &t.grid3, d.stamp())]),
    ];
    d.push(ops).unwrap();

    let now = chrono::Utc::now().timestamp_millis() + 2 * 86_400_000;
    let day = AccessRequest { from_ms: now - 86_400_000, to_ms: now + 60_000 };
    let r = d.client.access_report(&d.login.access_token, &day).expect("the admin reads it");
    let places: Vec<(&str, bool, u32, u32)> =
        r.places.iter().map(|p| (p.place.as_str(), p.placed, p.reveals, p.exports)).collect();
    assert_eq!(
        places,
        [
            ("", true, 0, 2),
            ("东栅街道/建设社区", true, 0, 1),
            ("东栅街道/建设社区/3网格", true, 1, 0),
            ("东栅街道/建设社区/5网格", true, 1, 0),
            ("建设社区/3网格", false, 0, 1),
        ],
        "{r:#?}"
    );
    let seen = &r.places[2].entries[0];
    assert_eq!(seen.action, AccessAction::Reveal);
    assert_eq!(
        (seen.field.as_deref(), seen.resident.as_deref()),
        (Some("id_number"), Some("张三"))
    );
    assert_eq!(seen.device, "site-a 号机", "the computer as its official named it");
    assert_eq!(r.places[1].entries[0].file.as_deref(), Some("建设社区.xlsx"));
    let district: Vec<AccessAction> = r.places[0].entries.iter().map(|e| e.action).collect();
    assert!(district.contains(&AccessAction::Backup) && district.contains(&AccessAction::Print));

    let all = AccessRequest { from_ms: 0, to_ms: now + 60_000 };
    let whole = ts.server.access_report_of(DISTRICT, None, &all).unwrap();
    assert_eq!(whole.places[2].reveals, 2, "the whole period holds the early reveal too");

    // A grid lead of 3网格 reads that grid only; a grid official reads nothing.
    for (name, role) in [("lead3", Role::GridLead), ("grid3", Role::GridOfficial)] {
        ts.server
            .add_user(&NewUser {
                name: name.into(),
                display_name: String::new(),
                role,
                district: DISTRICT.into(),
                scope_path: "东栅街道/建设社区/3网格".into(),
                password: format!("{name}-password"),
            })
            .unwrap();
    }
    let lead = ts.login("lead3", "lead3-password", "site-l");
    let mine = lead.client.access_report(&lead.login.access_token, &all).unwrap();
    let places: Vec<&str> = mine.places.iter().map(|p| p.place.as_str()).collect();
    assert_eq!(places, ["东栅街道/建设社区/3网格"], "{mine:#?}");
    let official = ts.login("grid3", "grid3-password", "site-g");
    let e = official.client.access_report(&official.login.access_token, &all).unwrap_err();
    assert!(matches!(&e, NetError::Forbidden(m) if m.contains("grid leads")), "{e:?}");
    let e = d
        .client
        .access_report(&d.login.access_token, &AccessRequest { from_ms: now, to_ms: now })
        .unwrap_err();
    assert!(matches!(e, NetError::BadResponse(_)), "an empty period is a bad request: {e:?}");
}
