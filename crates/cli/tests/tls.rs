//! `jiayuan server` beyond this computer: refused without a certificate (saying what to pass),
//! refused with a certificate it cannot use, and with one made by a district's own CA it serves
//! HTTPS, to which `jiayuan sync` logs in and syncs when JIAYUAN_CA_CERT names the CA.

#![cfg(unix)]

mod common;

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use jiayuan_testkit::TestCa;

const PASSWORD: &str = "tls-test-password-1";

/// `jiayuan server ARGS` expected to refuse to start.
fn refused(dir: &Path, args: &[&str]) -> Output {
    let mut child = common::jiayuan()
        .args(["server", "--data"])
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn jiayuan server");
    let started = Instant::now();
    while child.try_wait().expect("poll").is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("jiayuan server {args:?} was expected to refuse, and it serves");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// A running `jiayuan server`, killed when dropped.
struct Serving {
    child: Child,
    port: u16,
}

impl Serving {
    /// Starts it and waits for the line saying where it serves, which must use `scheme`.
    fn start(dir: &Path, args: &[&str], scheme: &str) -> Serving {
        let mut child = common::jiayuan()
            .args(["server", "--data"])
            .arg(dir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn jiayuan server");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let prefix = format!("jiayuan sync server on {scheme}://");
        let Some(rest) = first.strip_prefix(&prefix) else {
            let _ = child.kill();
            let mut err = String::new();
            let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
            panic!("expected {prefix}…, got {first:?}; stderr: {err}");
        };
        let port = rest
            .split_whitespace()
            .next()
            .and_then(|a| a.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .expect("a port");
        // The rest of standard output is not read again; drain it so the server never blocks.
        std::thread::spawn(move || lines.for_each(drop));
        Serving { child, port }
    }

    /// Stops it; what it wrote to standard error.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut err = String::new();
        let _ = self.child.stderr.take().map(|mut e| e.read_to_string(&mut err));
        err
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `jiayuan --db DB sync ARGS` with alice's password and `ca` as JIAYUAN_CA_CERT.
fn sync(db: &Path, ca: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = common::jiayuan();
    cmd.arg("--db").arg(db).arg("sync").args(args).env("JIAYUAN_PASSWORD", PASSWORD);
    cmd.env_remove("JIAYUAN_CA_CERT");
    if let Some(ca) = ca {
        cmd.env("JIAYUAN_CA_CERT", ca);
    }
    cmd.stdin(Stdio::null()).output().expect("jiayuan sync")
}

#[test]
fn beyond_loopback_without_a_certificate_the_server_refuses_and_says_what_to_pass() {
    let dir = tempfile::tempdir().unwrap();
    for listen in ["0.0.0.0:0", "[::]:0"] {
        let out = refused(dir.path(), &["--listen", listen]);
        let err = String::from_utf8_lossy(&out.stderr);
        for needed in ["refusing to start", "--tls-cert", "--tls-key", "--plain-http-behind-proxy"]
        {
            assert!(err.contains(needed), "{listen}: the message names {needed}: {err}");
        }
    }
    assert!(
        !dir.path().join("server.db").exists(),
        "a refused start opens no database and makes no admin"
    );
}

#[test]
fn a_certificate_the_server_cannot_use_is_refused_before_listening() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("本区 CA");
    let (cert, key) = ca.server_cert(&["localhost"]).write(dir.path());
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let other = dir.path().join("other.key");
    std::fs::write(&other, ca.server_cert(&["localhost"]).key_pem).unwrap();
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "just some text").unwrap();
    let missing = dir.path().join("missing.pem");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--tls-cert", missing.to_str().unwrap(), "--tls-key", key],
            "cannot read the certificate file",
        ),
        (
            &["--tls-cert", not_pem.to_str().unwrap(), "--tls-key", key],
            "holds no certificate in PEM form",
        ),
        (&["--tls-cert", cert, "--tls-key", cert], "holds no private key in PEM form"),
        (
            &["--tls-cert", cert, "--tls-key", other.to_str().unwrap()],
            "does not belong to the certificate",
        ),
    ];
    for (args, says) in cases {
        let out = refused(dir.path(), &[&["--listen", "0.0.0.0:0"], args].concat());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn behind_a_proxy_plain_http_is_served_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        Serving::start(dir.path(), &["--listen", "0.0.0.0:0", "--plain-http-behind-proxy"], "http");
    let err = server.stop();
    assert!(err.contains("WARN") && err.contains("--plain-http-behind-proxy"), "{err}");
}

#[test]
fn with_a_certificate_the_server_serves_https_and_a_laptop_trusting_the_ca_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let server_dir = dir.path().join("server");
    std::fs::create_dir(&server_dir).unwrap();
    let ca = TestCa::new("本区 CA");
    let (cert, key) = ca.server_cert(&["localhost", "127.0.0.1"]).write(&server_dir);
    let ca_file = dir.path().join("district-ca.pem");
    std::fs::write(&ca_file, &ca.cert_pem).unwrap();
    let add = common::jiayuan()
        .args(["server", "--data"])
        .arg(&server_dir)
        .args(["user", "add", "alice", "--role", "district_supervisor", "--password", PASSWORD])
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));

    let server = Serving::start(
        &server_dir,
        &[
            "--listen",
            "0.0.0.0:0",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        "https",
    );
    let url = format!("https://127.0.0.1:{}", server.port);
    let laptop = dir.path().join("laptop");
    std::fs::create_dir(&laptop).unwrap();
    let db = laptop.join("store.db");

    let out = sync(&db, None, &["login", "--server", &url, "--user", "alice"]);
    assert!(!out.status.success(), "a laptop without the district's CA does not log in");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not trusted") && err.contains("JIAYUAN_CA_CERT"), "{err}");

    let out = sync(&db, Some(&ca_file), &["login", "--server", &url, "--user", "alice"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("logged in as"));
    let out = sync(&db, Some(&ca_file), &["now"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("pushed"));

    let log = server.stop();
    assert!(
        log.contains("TLS handshake failed"),
        "the refused laptop's handshake is logged: {log}"
    );
}
