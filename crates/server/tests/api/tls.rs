//! The server over HTTPS with a certificate of the district's own CA, made for each test: a
//! device that trusts the CA logs in, pushes and pulls; one that does not is told the
//! certificate is not trusted (not that the server is offline); plain HTTP gets no answer.

use std::io::{Read as _, Write as _};
use std::time::Duration;

use jiayuan_core::sync::client;
use jiayuan_core::sync::wire::{LoginRequest, Outcome};
use jiayuan_net::{HttpClient, NetError, CA_CERT_ENV};
use jiayuan_testkit::TestCa;

use crate::harness::{on_both, resident, root_row, Backend, TestServer};

on_both!(over_https_a_device_trusting_the_districts_ca_logs_in_pushes_and_pulls);

fn login_req() -> LoginRequest {
    LoginRequest {
        username: "admin".into(),
        password: "whatever".into(),
        device_name: "测试机".into(),
        site_id: "site-x".into(),
    }
}

fn over_https_a_device_trusting_the_districts_ca_logs_in_pushes_and_pulls(b: Backend) {
    let ca = TestCa::new("本区 CA");
    let ts = TestServer::start_tls(b, &ca, &ca.server_cert(&["localhost", "127.0.0.1"]));
    assert!(ts.url.starts_with("https://127.0.0.1:"), "{}", ts.url);
    let pw = ts.admin_password();
    let mut d = ts.login("admin", &pw, "site-a");
    let ops = vec![
        d.op("area.create", vec![root_row(d.stamp())]),
        d.op(
            "resident.create",
            vec![resident("r-1", "居民一", "110101199001010011", "13900000011", d.stamp())],
        ),
    ];
    let pushed = d.push(ops).expect("a push over HTTPS");
    for r in &pushed.results {
        assert_eq!(r.outcome, Outcome::Applied, "op {}: {r:?}", r.seq);
    }
    let (rows, _) = ts.pull_all(&d, 1);
    assert_eq!(rows.len(), 2, "the area and the resident, one page each");
    assert!(rows.iter().any(|r| r.id == "r-1"));
    // The access token's refresh goes over the same connection kind.
    d.client
        .token(&jiayuan_core::sync::wire::TokenRequest {
            device_token: d.login.device_token.clone(),
        })
        .expect("a token over HTTPS");
}

#[test]
fn a_device_without_the_districts_ca_is_told_the_certificate_is_not_trusted() {
    let ca = TestCa::new("本区 CA");
    let ts = TestServer::start_tls(Backend::Sqlite, &ca, &ca.server_cert(&["127.0.0.1"]));
    let e = HttpClient::new(ts.url.clone()).login_here(&login_req()).unwrap_err();
    let NetError::Untrusted(message) = &e else {
        panic!("an unknown issuer is untrusted, not offline: {e:?}")
    };
    assert!(message.contains("authority this computer does not know"), "{message}");
    assert!(message.contains(CA_CERT_ENV), "the message says what to do: {message}");
    // Core's sync reacts to the kind: not offline, so not silently retried as an outage.
    let core = client::NetError::from(e);
    assert_eq!(core.code(), "untrusted");

    // Another CA's certificate does not stand in for the district's.
    let stranger = TestCa::new("别处 CA");
    let trusts_another = jiayuan_net::TrustedCa::from_pem(
        stranger.cert_pem.as_bytes(),
        std::path::Path::new("stranger.pem"),
    )
    .unwrap();
    let e = HttpClient::with_ca(ts.url.clone(), Some(&trusts_another))
        .login_here(&login_req())
        .unwrap_err();
    assert!(matches!(e, NetError::Untrusted(_)), "{e:?}");
}

#[test]
fn a_certificate_for_another_name_is_not_trusted_even_from_the_districts_ca() {
    let ca = TestCa::new("本区 CA");
    let ts = TestServer::start_tls(Backend::Sqlite, &ca, &ca.server_cert(&["sync.example.org"]));
    let e = ts.client().login_here(&login_req()).unwrap_err();
    let NetError::Untrusted(message) = &e else { panic!("a wrong name is untrusted: {e:?}") };
    assert!(message.contains("another name"), "{message}");
}

#[test]
fn plain_http_to_the_https_port_gets_no_answer() {
    let ca = TestCa::new("本区 CA");
    let ts = TestServer::start_tls(Backend::Sqlite, &ca, &ca.server_cert(&["127.0.0.1"]));
    let addr = ts.url.trim_start_matches("https://");

    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    assert!(
        !answer.starts_with(b"HTTP/"),
        "no HTTP answer on the HTTPS port: {:?}",
        String::from_utf8_lossy(&answer)
    );

    let e = HttpClient::new(format!("http://{addr}")).login_here(&login_req()).unwrap_err();
    assert!(!matches!(e, NetError::Untrusted(_)), "{e:?}");

    // The port still serves HTTPS after the bad connections: the API itself answers (a wrong
    // password's refusal).
    let e = ts.client().login_here(&login_req()).unwrap_err();
    assert!(matches!(e, NetError::LoginRefused(_)), "{e:?}");
}
