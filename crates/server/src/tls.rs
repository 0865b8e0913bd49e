//! HTTPS for a server that other machines reach. Officials' passwords, tokens and residents'
//! identity numbers cross the network in every push and pull, so beyond this computer the
//! server speaks TLS (rustls on ring, the provider the devices' client already links), or
//! stands behind a reverse proxy that does. On the loopback interface nothing crosses a
//! network, and plain HTTP stays for tests and a single laptop.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A client that opens a connection and says nothing must not hold a handshake task for long.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the certificate and key cannot serve HTTPS; said before the server listens.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the {what} file {}: {source}", path.display())]
    Read { what: &'static str, path: PathBuf, source: io::Error },
    #[error(
        "the certificate file {} holds no certificate in PEM form (a block that starts with \
         -----BEGIN CERTIFICATE-----); give the server's certificate chain as PEM",
        path.display()
    )]
    NoCertificate { path: PathBuf },
    #[error(
        "the key file {} holds no private key in PEM form (a block that starts with \
         -----BEGIN PRIVATE KEY-----, -----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC \
         PRIVATE KEY-----)",
        path.display()
    )]
    NoKey { path: PathBuf },
    #[error("the {what} file {} is damaged PEM: {detail}", path.display())]
    BadPem { what: &'static str, path: PathBuf, detail: String },
    #[error(
        "the private key in {} does not belong to the certificate in {} (the first \
         certificate of the file must be the server's own, the one issued for this key)",
        key.display(),
        cert.display()
    )]
    KeyMismatch { cert: PathBuf, key: PathBuf },
    #[error("the certificate {} and key {} cannot be used: {detail}", cert.display(), key.display())]
    Unusable { cert: PathBuf, key: PathBuf, detail: String },
}

/// The server's TLS configuration from a PEM certificate chain (the server's certificate
/// first, then any intermediates) and the PEM private key of its first certificate.
pub fn load(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let read = |what, path: &Path| {
        std::fs::read(path).map_err(|source| TlsError::Read { what, path: path.into(), source })
    };
    from_pem(&read("certificate", cert)?, &read("key", key)?, cert, key)
}

/// [`load`] on bytes already read; `cert` and `key` only name them in errors.
pub fn from_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
    cert: &Path,
    key: &Path,
) -> Result<Arc<ServerConfig>, TlsError> {
    let bad = |what, path: &Path, e: pem::Error| TlsError::BadPem {
        what,
        path: path.into(),
        detail: e.to_string(),
    };
    let chain = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad("certificate", cert, e))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate { path: cert.into() });
    }
    let private = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoKey { path: key.into() },
        e => bad("key", key, e),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Unusable {
            cert: cert.into(),
            key: key.into(),
            detail: e.to_string(),
        })?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                TlsError::KeyMismatch { cert: cert.into(), key: key.into() }
            }
            e => TlsError::Unusable { cert: cert.into(), key: key.into(), detail: e.to_string() },
        })?;
    Ok(Arc::new(config))
}

/// Why the server does not start listening.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("cannot listen on {listen}: {source}")]
    Resolve { listen: String, source: io::Error },
    #[error("cannot listen on {listen}: it names no address")]
    NoAddress { listen: String },
    /// Plain HTTP on an address other machines reach: passwords, tokens and residents' data
    /// would cross the network readable by anyone on it.
    #[error(
        "{addr} is reachable from other machines, and without TLS the officials' passwords \
         and the residents' data would cross the network in clear"
    )]
    PlainBeyondLoopback { addr: SocketAddr },
}

/// The addresses `listen` names (`host:port`; a host name may stand for several).
pub fn resolve(listen: &str) -> Result<Vec<SocketAddr>, ListenError> {
    let addrs: Vec<SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|source| ListenError::Resolve { listen: listen.into(), source })?
        .collect();
    if addrs.is_empty() {
        return Err(ListenError::NoAddress { listen: listen.into() });
    }
    Ok(addrs)
}

/// Only this computer can connect (127.0.0.0/8, ::1, and ::ffff:127.x written the IPv6 way).
/// The unspecified addresses (0.0.0.0, ::) listen on every interface, so they are not.
pub fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// May plain HTTP be served on `addrs`? On loopback, yes; elsewhere only when the caller says
/// a TLS-terminating proxy is the way in (`behind_proxy`), and then the address to warn about
/// is returned.
pub fn plain_http(
    addrs: &[SocketAddr],
    behind_proxy: bool,
) -> Result<Option<SocketAddr>, ListenError> {
    match addrs.iter().find(|a| !is_loopback(a.ip())) {
        None => Ok(None),
        Some(addr) if behind_proxy => Ok(Some(*addr)),
        Some(addr) => Err(ListenError::PlainBeyondLoopback { addr: *addr }),
    }
}

/// A TCP listener whose connections come out after their TLS handshake. Handshakes run in
/// tasks of their own, so one slow or silent client does not hold up the others' accepts.
pub struct TlsListener {
    handshaken: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Must be called within the runtime that serves.
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (tx, handshaken) = mpsc::channel(64);
        let accepting = tokio::spawn(accept_loop(tcp, TlsAcceptor::from(config), tx));
        Ok(TlsListener { handshaken, local, accepting })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

async fn accept_loop(
    mut tcp: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    while !tx.is_closed() {
        // axum's own accept: it retries transient errors and waits out a full file table.
        let (stream, peer) = axum::serve::Listener::accept(&mut tcp).await;
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send((tls, peer)).await;
                }
                // The peer's address stays out of the log (it can name an official's
                // machine); the reason is what an administrator needs, e.g. a laptop that
                // does not trust the certificate ("unknown CA") or plain HTTP sent here.
                Ok(Err(e)) => tracing::info!(error = %e, "TLS handshake failed"),
                Err(_) => tracing::info!("TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.handshaken.recv().await {
            Some(conn) => conn,
            // The accepting task ended (it only does when aborted): no more connections.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_loopback_addresses_count_as_this_computer() {
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["0.0.0.0", "::", "192.168.1.10", "10.0.0.5", "::ffff:192.168.1.10", "fe80::1"] {
            assert!(!is_loopback(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn plain_http_is_refused_beyond_loopback_unless_behind_a_proxy() {
        assert_eq!(plain_http(&[addr("127.0.0.1:8787"), addr("[::1]:8787")], false).unwrap(), None);
        let e =
            plain_http(&[addr("127.0.0.1:8787"), addr("192.168.1.10:8787")], false).unwrap_err();
        assert!(
            matches!(e, ListenError::PlainBeyondLoopback { addr: a } if a == addr("192.168.1.10:8787")),
            "{e:?}"
        );
        assert!(plain_http(&[addr("0.0.0.0:8787")], false).is_err());
        assert!(plain_http(&[addr("[::]:8787")], false).is_err());
        assert_eq!(
            plain_http(&[addr("0.0.0.0:8787")], true).unwrap(),
            Some(addr("0.0.0.0:8787")),
            "behind a proxy it is served, with the address to warn about"
        );
        assert_eq!(plain_http(&[addr("127.0.0.1:8787")], true).unwrap(), None);
    }

    #[test]
    fn localhost_resolves_to_loopback_and_a_bad_address_says_so() {
        let addrs = resolve("localhost:8787").unwrap();
        assert!(addrs.iter().all(|a| is_loopback(a.ip())), "{addrs:?}");
        assert!(matches!(resolve("no port here"), Err(ListenError::Resolve { .. })));
    }

    fn paths() -> (&'static Path, &'static Path) {
        (Path::new("server.pem"), Path::new("server.key"))
    }

    #[test]
    fn a_matching_chain_and_key_load() {
        let ca = jiayuan_testkit::TestCa::new("区 CA");
        let s = ca.server_cert(&["localhost", "127.0.0.1"]);
        let (c, k) = paths();
        from_pem(s.chain_pem.as_bytes(), s.key_pem.as_bytes(), c, k).expect("usable");
    }

    #[test]
    fn files_that_are_not_a_certificate_and_key_are_refused_with_what_is_wrong() {
        let ca = jiayuan_testkit::TestCa::new("区 CA");
        let s = ca.server_cert(&["localhost"]);
        let (c, k) = paths();
        let load = |cert: &str, key: &str| from_pem(cert.as_bytes(), key.as_bytes(), c, k);

        let e = load("not a certificate", &s.key_pem).unwrap_err();
        assert!(matches!(e, TlsError::NoCertificate { .. }), "{e:?}");
        assert!(e.to_string().contains("server.pem"), "{e}");
        // A key given where the certificate goes holds no certificate either.
        assert!(matches!(load(&s.key_pem, &s.key_pem), Err(TlsError::NoCertificate { .. })));

        let e = load(&s.chain_pem, &s.chain_pem).unwrap_err();
        assert!(matches!(e, TlsError::NoKey { .. }), "{e:?}");
        assert!(e.to_string().contains("server.key"), "{e}");

        // The chain's last block cut off before its end line.
        let end = s.chain_pem.rfind("-----END CERTIFICATE-----").unwrap();
        let cut = &s.chain_pem[..end];
        let e = load(cut, &s.key_pem).unwrap_err();
        assert!(matches!(e, TlsError::BadPem { what: "certificate", .. }), "{e:?}");

        let other = ca.server_cert(&["localhost"]);
        let e = load(&s.chain_pem, &other.key_pem).unwrap_err();
        assert!(matches!(e, TlsError::KeyMismatch { .. }), "{e:?}");
        assert!(e.to_string().contains("does not belong"), "{e}");
    }

    #[test]
    fn a_missing_file_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let e = load(&dir.path().join("none.pem"), &dir.path().join("none.key")).unwrap_err();
        assert!(matches!(e, TlsError::Read { what: "certificate", .. }), "{e:?}");
        assert!(e.to_string().contains("none.pem"), "{e}");
    }
}
