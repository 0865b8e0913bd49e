//! Who may do what: passwords, the login rate limit, districts, token expiry, revocation,
//! signatures, and logs without personal data.

use jiayuan_core::sync::wire::{
    entity, LoginRequest, Outcome, PullRequest, PushRequest, Role, TokenRequest,
};
use jiayuan_net::{HttpClient, NetError};
use jiayuan_server::{Config, NewUser, ServerError};

use crate::harness::{self, on_both, resident, root_row, Backend, TestServer, DISTRICT};

on_both!(
    the_first_start_creates_one_admin_who_can_log_in,
    a_wrong_password_is_refused_and_repeated_failures_are_rate_limited,
    failures_from_one_address_are_rate_limited_across_user_names,
    behind_a_trusted_proxy_the_forwarded_address_is_limited_not_the_proxy,
    another_district_is_forbidden_for_push_and_pull,
    an_expired_access_token_is_refused_until_refreshed,
    a_revoked_device_is_refused_at_token_push_and_pull,
    a_revoked_user_can_no_longer_log_in,
    an_op_changed_after_signing_is_rejected_and_not_applied,
    the_server_log_holds_no_identity_number_or_phone,
    every_answer_carries_the_security_headers,
);

fn every_answer_carries_the_security_headers(b: Backend) {
    let ts = TestServer::start(b);
    for path in ["/health", "/v1/nothing", "/openapi.json"] {
        let (_, head, _) = harness::http_get_head(&ts.url, path);
        let head = head.to_ascii_lowercase();
        for h in [
            "cache-control: no-store",
            "x-content-type-options: nosniff",
            "x-frame-options: deny",
            "content-security-policy: default-src 'none'; frame-ancestors 'none'",
            "referrer-policy: no-referrer",
            "strict-transport-security: max-age=31536000",
        ] {
            assert!(head.contains(h), "{path} lacks {h}: {head}");
        }
    }
}

fn login_req(user: &str, password: &str) -> LoginRequest {
    LoginRequest {
        username: user.into(),
        password: password.into(),
        device_name: "测试机".into(),
        site_id: "site-x".into(),
    }
}

fn the_first_start_creates_one_admin_who_can_log_in(b: Backend) {
    let ts = TestServer::start(b);
    let first = ts.server.ensure_admin(DISTRICT).unwrap().expect("no users yet: an admin is made");
    assert!(first.password.len() >= 16, "a generated password is long");
    assert!(ts.server.ensure_admin(DISTRICT).unwrap().is_none(), "only on the first start");
    let d = ts.login("admin", &first.password, "site-a");
    assert_eq!(d.login.role, Role::CityAdmin);
    assert_eq!(d.login.district, DISTRICT);
    assert_eq!(d.login.scope_area, None, "the whole district");
    assert!(d.login.access_expires_ms > chrono::Utc::now().timestamp_millis());
}

fn a_wrong_password_is_refused_and_repeated_failures_are_rate_limited(b: Backend) {
    let ts = TestServer::start(b);
    let pw = ts.admin_password();
    let c = ts.client();
    for i in 0..5 {
        let e = c.login_here(&login_req("admin", "wrong password")).unwrap_err();
        assert!(matches!(e, NetError::LoginRefused(_)), "failure {i}: {e:?}");
    }
    let e = c.login_here(&login_req("admin", &pw)).unwrap_err();
    let NetError::RateLimited { message, retry_after_secs } = e else {
        panic!("the sixth try is rate limited: {e:?}")
    };
    assert!(message.contains("wait"), "the message says when to try again: {message}");
    assert!(matches!(retry_after_secs, Some(1..=300)), "{retry_after_secs:?}");
    ts.clock.advance_ms(ts.server.config().login_window_ms + 1);
    c.login_here(&login_req("admin", &pw))
        .expect("the window passed: the right password works again");
}

fn failures_from_one_address_are_rate_limited_across_user_names(b: Backend) {
    let ts = TestServer::start(b);
    let pw = ts.admin_password();
    for i in 0..5 {
        let e = ts.server.login(&login_req(&format!("guess{i}"), "x"), "192.0.2.7").unwrap_err();
        assert!(matches!(e, ServerError::BadCredentials), "{e:?}");
    }
    let e = ts.server.login(&login_req("admin", &pw), "192.0.2.7").unwrap_err();
    assert!(
        matches!(e, ServerError::RateLimited { .. }),
        "the address is limited whatever the name: {e:?}"
    );
    ts.server.login(&login_req("admin", &pw), "192.0.2.8").expect("another address is not");
}

/// A login over HTTP with the given `X-Forwarded-For`; the status code.
fn login_via(url: &str, name: &str, password: &str, forwarded_for: &str) -> u16 {
    use std::io::{Read, Write};
    let body = serde_json::to_string(&login_req(name, password)).expect("json");
    let host = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    write!(
        s,
        "POST /v1/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         X-Forwarded-For: {forwarded_for}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    answer.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("a status line")
}

fn behind_a_trusted_proxy_the_forwarded_address_is_limited_not_the_proxy(b: Backend) {
    // The test connects from 127.0.0.1, which plays the load balancer.
    let proxy = "127.0.0.1".parse().expect("ip");
    let ts =
        TestServer::start_with(b, Config { trusted_proxies: vec![proxy], ..Config::default() });
    let pw = ts.admin_password();
    for i in 0..5 {
        // A client may put anything on the left; the proxy appends the address it saw.
        let status = login_via(&ts.url, &format!("guess{i}"), "x", "203.0.113.9, 198.51.100.7");
        assert_eq!(status, 401, "a wrong password");
    }
    assert_eq!(login_via(&ts.url, "admin", &pw, "198.51.100.7"), 429, "that address is limited");
    assert_eq!(
        login_via(&ts.url, "admin", &pw, "198.51.100.8"),
        200,
        "another official behind the same proxy is not"
    );
    // Without trusting the proxy, every official behind it would share one limit.
    let plain = TestServer::start(b);
    let pw = plain.admin_password();
    for i in 0..5 {
        assert_eq!(login_via(&plain.url, &format!("guess{i}"), "x", "198.51.100.7"), 401);
    }
    assert_eq!(login_via(&plain.url, "admin", &pw, "198.51.100.8"), 429, "the header is ignored");
}

fn another_district_is_forbidden_for_push_and_pull(b: Backend) {
    let ts = TestServer::start(b);
    ts.admin_password();
    ts.server
        .add_user(&NewUser {
            name: "grid1".into(),
            display_name: "网格员".into(),
            role: Role::GridOfficial,
            district: "别区".into(),
            scope_path: "东栅街道/建设社区/3网格".into(),
            password: "grid-password-1".into(),
        })
        .unwrap();
    let mut d = ts.login("grid1", "grid-password-1", "site-g");
    assert_eq!(d.login.district, "别区");
    assert_eq!(d.login.scope_path, "东栅街道/建设社区/3网格");
    assert!(d.login.scope_area.is_some());
    let op = d.op("resident.create", vec![root_row(d.stamp())]);
    let e = d
        .client
        .push(
            &d.login.access_token,
            &PushRequest {
                district: DISTRICT.into(),
                site_id: d.site.clone(),
                seen_version: 0,
                ops: vec![op],
            },
        )
        .unwrap_err();
    assert!(matches!(&e, NetError::Forbidden(m) if m.contains("别区")), "{e:?}");
    let e = d
        .client
        .pull(
            &d.login.access_token,
            &PullRequest { district: DISTRICT.into(), cursor: 0, limit: 100 },
        )
        .unwrap_err();
    assert!(matches!(e, NetError::Forbidden(_)), "{e:?}");
    let log = ts.server.storage().op_log(DISTRICT).unwrap();
    assert!(log.is_empty(), "nothing of the refused push reached the other district's log");
}

fn an_expired_access_token_is_refused_until_refreshed(b: Backend) {
    let ts = TestServer::start_with(b, Config { access_ttl_ms: 60_000, ..Config::default() });
    let pw = ts.admin_password();
    let mut d = ts.login("admin", &pw, "site-a");
    let pull = PullRequest { district: DISTRICT.into(), cursor: 0, limit: 10 };
    d.client.pull(&d.login.access_token, &pull).expect("fresh token");
    ts.clock.advance_ms(60_001);
    let e = d.client.pull(&d.login.access_token, &pull).unwrap_err();
    assert!(matches!(e, NetError::Unauthorized(_)), "expired: {e:?}");
    let op = d.op("resident.create", vec![root_row(d.stamp())]);
    let e = d.push(vec![op.clone()]).unwrap_err();
    assert!(matches!(e, NetError::Unauthorized(_)), "expired for push too: {e:?}");
    let fresh = d
        .client
        .token(&TokenRequest { device_token: d.login.device_token.clone() })
        .expect("refresh");
    d.login.access_token = fresh.access_token;
    let r = d.push(vec![op]).expect("the new token works");
    assert_eq!(r.results[0].outcome, Outcome::Applied);
}

fn a_revoked_device_is_refused_at_token_push_and_pull(b: Backend) {
    let ts = TestServer::start(b);
    let pw = ts.admin_password();
    let mut d = ts.login("admin", &pw, "site-a");
    let other = ts.login("admin", &pw, "site-b");
    ts.server.revoke_device(&d.login.device_id).unwrap();
    let e =
        d.client.token(&TokenRequest { device_token: d.login.device_token.clone() }).unwrap_err();
    assert!(matches!(e, NetError::Revoked(_)), "{e:?}");
    let op = d.op("resident.create", vec![root_row(d.stamp())]);
    let e = d.push(vec![op]).unwrap_err();
    assert!(matches!(e, NetError::Revoked(_)), "its access token died with it: {e:?}");
    let e = d
        .client
        .pull(
            &d.login.access_token,
            &PullRequest { district: DISTRICT.into(), cursor: 0, limit: 10 },
        )
        .unwrap_err();
    assert!(matches!(e, NetError::Revoked(_)), "{e:?}");
    other
        .client
        .pull(
            &other.login.access_token,
            &PullRequest { district: DISTRICT.into(), cursor: 0, limit: 10 },
        )
        .expect("the user's other device is untouched");
    let e = HttpClient::new(ts.url.clone())
        .token(&TokenRequest { device_token: "jyd_not-a-token".into() })
        .unwrap_err();
    assert!(
        matches!(e, NetError::Unauthorized(_)),
        "an unknown token means sign in again, not wipe: {e:?}"
    );
    let devices = ts.server.devices().unwrap();
    let revoked = devices.iter().find(|x| x.id == d.login.device_id).expect("listed");
    assert!(revoked.revoked_ms.is_some());
    assert!(
        revoked.wiped_ms.is_some(),
        "its next contact told it to wipe, and the server noted it"
    );
    let untouched = devices.iter().find(|x| x.id == other.login.device_id).expect("listed");
    assert_eq!((untouched.revoked_ms, untouched.wiped_ms), (None, None));
}

fn a_revoked_user_can_no_longer_log_in(b: Backend) {
    let ts = TestServer::start(b);
    ts.admin_password();
    ts.server
        .add_user(&NewUser {
            name: "li".into(),
            display_name: String::new(),
            role: Role::CommunityOfficial,
            district: DISTRICT.into(),
            scope_path: "东栅街道/建设社区".into(),
            password: "li-password-1".into(),
        })
        .unwrap();
    let d = ts.login("li", "li-password-1", "site-l");
    ts.server.revoke_user("li").unwrap();
    let e = ts.client().login_here(&login_req("li", "li-password-1")).unwrap_err();
    assert!(matches!(e, NetError::LoginRefused(_)), "{e:?}");
    let e =
        d.client.token(&TokenRequest { device_token: d.login.device_token.clone() }).unwrap_err();
    assert!(matches!(e, NetError::Revoked(_)), "{e:?}");
    assert!(ts.server.users().unwrap().iter().any(|u| u.name == "li" && u.disabled));
}

fn an_op_changed_after_signing_is_rejected_and_not_applied(b: Backend) {
    let ts = TestServer::start(b);
    let pw = ts.admin_password();
    let mut d = ts.login("admin", &pw, "site-a");
    let area = d.op("area.create", vec![root_row(d.stamp())]);
    let mut tampered = d.op(
        "resident.create",
        vec![resident("r-tampered", "王五", "110101198001010011", "13800000011", d.stamp())],
    );
    tampered.rows[0].set("phone", serde_json::json!("13999999999"));
    let mut forged = d.op(
        "resident.create",
        vec![resident("r-forged", "赵六", "110101198001010022", "13800000022", d.stamp())],
    );
    forged.mac = jiayuan_core::sync::wire::op_mac("a secret the server never gave", &forged);
    let r = d.push(vec![area, tampered.clone(), forged]).unwrap();
    assert_eq!(r.results[0].outcome, Outcome::Applied);
    // Sent again (the device never heard the answer): the same refusal, code and all, from the
    // op log.
    let again = d.push(vec![tampered]).unwrap();
    assert_eq!(again.results[0].outcome, r.results[1].outcome);
    for res in &r.results[1..] {
        let Outcome::Rejected { reason, refusal } = &res.outcome else {
            panic!("op {} must be rejected: {res:?}", res.seq)
        };
        assert!(reason.contains("signature"), "{reason}");
        assert_eq!(refusal, &Some(jiayuan_core::Refusal::BadSignature));
    }
    let (rows, _) = ts.pull_all(&d, 100);
    assert!(
        rows.iter().all(|r| r.entity != entity::RESIDENT),
        "no rejected row was applied: {rows:?}"
    );
    assert_eq!(
        ts.server.verify_op_log(DISTRICT).unwrap(),
        3,
        "rejections are logged with their outcome"
    );
}

fn the_server_log_holds_no_identity_number_or_phone(b: Backend) {
    let ts = TestServer::start(b);
    let pw = ts.admin_password();
    let mut d = ts.login("admin", &pw, "site-a");
    let (idn, phone) = match b {
        Backend::Sqlite => ("330402199205170331", "13512340331"),
        Backend::Postgres => ("330402199205170452", "13512340452"),
    };
    let area = d.op("area.create", vec![root_row(d.stamp())]);
    let ok = d.op("resident.create", vec![resident("r-log-1", "陈七", idn, phone, d.stamp())]);
    let mut bad = d.op("resident.create", vec![resident("r-log-2", "陈七", idn, phone, d.stamp())]);
    bad.payload = serde_json::json!({ "id_number": idn, "phone": phone });
    let r = d.push(vec![area, ok, bad]).unwrap();
    assert_eq!(r.results[1].outcome, Outcome::Applied);
    assert!(matches!(r.results[2].outcome, Outcome::Rejected { .. }), "changed after signing");
    let mut other = ts.login("admin", &pw, "site-b");
    let dup =
        other.op("resident.create", vec![resident("r-log-3", "陈七", idn, phone, other.stamp())]);
    other.push(vec![dup]).unwrap();
    ts.pull_all(&d, 2);
    let e = d
        .client
        .push(
            &d.login.access_token,
            &PushRequest {
                district: "别区".into(),
                site_id: d.site.clone(),
                seen_version: 0,
                ops: vec![],
            },
        )
        .unwrap_err();
    assert!(matches!(e, NetError::Forbidden(_)));
    let logs = harness::captured_logs();
    assert!(
        logs.contains("push") && logs.contains("admin"),
        "the log was captured: {} bytes",
        logs.len()
    );
    assert!(!logs.contains(idn), "an identity number reached the log");
    assert!(!logs.contains(phone), "a phone number reached the log");
    assert!(
        !logs.contains(&d.login.access_token) && !logs.contains(&d.login.device_token),
        "a token reached the log"
    );
    assert!(!logs.contains(&d.login.device_secret), "a device secret reached the log");
}
