//! The world a browser sees in these tests, all on 127.0.0.1: an origin serving the article
//! pages as `news.example` (HTTP and HTTPS), a tracker sink that every other name resolves to
//! and that records each request it gets, and `trackstrip serve` between them.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

pub const SITE: &str = "news.example";

/// A page the origin serves: tests/e2e/pages, else the shared fixtures (the seed article).
pub fn page_file(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let own = root.join("tests/e2e/pages").join(name);
    if own.exists() { own } else { root.join("tests/fixtures/corpus").join(name) }
}

/// Every host name a page's markup refers to, other than the site itself: the trackers the
/// page was written with.
pub fn referenced_hosts(page: &str) -> Vec<String> {
    let text = std::fs::read_to_string(page_file(page)).unwrap();
    let mut hosts: Vec<String> = text
        .split("//")
        .skip(1)
        .filter_map(|rest| {
            let host: String =
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-').collect();
            (host.contains('.') && host != SITE && !host.starts_with("www.w3.org")).then_some(host)
        })
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// A throwaway CA for the origin's certificate (trackstrip trusts it via --extra-root).
pub struct OriginCa {
    pub pem: String,
    pub spki_sha256: String,
    issuer: rcgen::Issuer<'static, KeyPair>,
}

impl OriginCa {
    pub fn new() -> OriginCa {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name.push(rcgen::DnType::CommonName, "e2e origin CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
        let cert = params.self_signed(&key).unwrap();
        let spki_sha256 = spki_hash(&key);
        OriginCa { pem: cert.pem(), spki_sha256, issuer: rcgen::Issuer::new(params, key) }
    }

    fn server_config(&self, host: &str) -> rustls::ServerConfig {
        self.server_config_for(&[host])
    }

    /// One certificate for all of `hosts`.
    pub fn server_config_for(&self, hosts: &[&str]) -> rustls::ServerConfig {
        let key = KeyPair::generate().unwrap();
        let names = hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>();
        let cert = CertificateParams::new(names).unwrap().signed_by(&key, &self.issuer).unwrap();
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let ca: CertificateDer<'static> =
            rustls::pki_types::pem::PemObject::from_pem_slice(self.pem.as_bytes()).unwrap();
        let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone(), ca];
        let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, der)
            .unwrap();
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        cfg
    }
}

/// base64(SHA-256(SubjectPublicKeyInfo)): what Chromium's --ignore-certificate-errors-spki-list
/// takes, so a fresh browser profile trusts exactly that key and nothing else.
pub fn spki_hash(key: &KeyPair) -> String {
    use base64::Engine;
    use rcgen::PublicKeyData;
    let digest = ring::digest::digest(&ring::digest::SHA256, &key.subject_public_key_info());
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

/// The SPKI hash of the CA trackstrip made in `ca_dir`.
pub fn trackstrip_ca_spki(ca_dir: &Path) -> String {
    let pem = std::fs::read_to_string(ca_dir.join("trackstrip-ca.key")).unwrap();
    spki_hash(&KeyPair::from_pem(&pem).unwrap())
}

/// The article site: serves tests/e2e/pages over HTTP and HTTPS.
pub struct Origin {
    pub http: SocketAddr,
    pub https: SocketAddr,
}

impl Origin {
    pub async fn start(ca: &OriginCa) -> Origin {
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let https = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addrs = Origin { http: http.local_addr().unwrap(), https: https.local_addr().unwrap() };
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(ca.server_config(SITE)));
        tokio::spawn(accept(http, None));
        tokio::spawn(accept(https, Some(acceptor)));
        addrs
    }

    pub fn url(&self, page: &str, tls: bool) -> String {
        match tls {
            false => format!("http://{SITE}:{}/{page}", self.http.port()),
            true => format!("https://{SITE}:{}/{page}", self.https.port()),
        }
    }
}

fn serve_page(req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let name = req.uri().path().trim_start_matches('/');
    let file = (!name.contains("..") && !name.contains('/') && !name.is_empty()).then(|| page_file(name));
    match file.and_then(|f| std::fs::read(f).ok()) {
        Some(body) => {
            let kind = if name.ends_with(".svg") { "image/svg+xml" } else { "text/html; charset=utf-8" };
            Response::builder().header("content-type", kind).body(Full::new(Bytes::from(body))).unwrap()
        }
        None => Response::builder().status(404).body(Full::new(Bytes::new())).unwrap(),
    }
}

/// Where every name but the site resolves. Plain HTTP requests are answered (an empty script,
/// a GIF) and recorded as `host path`; a TLS connection is recorded by its SNI as
/// `host (tls)` and dropped: reaching the sink at all is the leak.
#[derive(Clone)]
pub struct Sink {
    pub addr: SocketAddr,
    hits: Arc<Mutex<Vec<String>>>,
}

impl Sink {
    pub async fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink { addr: listener.local_addr().unwrap(), hits: hits.clone() };
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                let hits = hits.clone();
                tokio::spawn(async move {
                    let mut first = [0u8; 1];
                    if tcp.peek(&mut first).await.is_ok() && first[0] == 0x16 {
                        let start = tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp);
                        if let Ok(hello) = start.await {
                            let sni = hello.client_hello().server_name().unwrap_or("?").to_string();
                            hits.lock().unwrap().push(format!("{sni} (tls)"));
                        }
                        return;
                    }
                    let record = hits.clone();
                    let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let host = req.headers().get("host").and_then(|h| h.to_str().ok()).unwrap_or("?");
                        let host = host.split(':').next().unwrap_or("?").to_string();
                        record.lock().unwrap().push(format!("{host} {}", req.uri().path()));
                        async { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"/* sink */")))) }
                    });
                    let io = hyper_util::rt::TokioIo::new(tcp);
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, svc).await;
                });
            }
        });
        sink
    }

    /// Recorded hits for any of `hosts`, then forgets everything recorded.
    pub fn take_hits_for(&self, hosts: &[String]) -> Vec<String> {
        let all = std::mem::take(&mut *self.hits.lock().unwrap());
        all.into_iter().filter(|h| hosts.iter().any(|t| h.split(' ').next() == Some(t.as_str()))).collect()
    }
}

/// Serves the pages on each connection, over TLS when given an acceptor (HTTP/1.1 and h2).
async fn accept(listener: TcpListener, tls: Option<tokio_rustls::TlsAcceptor>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let tls = tls.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(|req| async move { Ok::<_, Infallible>(serve_page(req)) });
            let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            match tls {
                None => {
                    let _ = builder.serve_connection(hyper_util::rt::TokioIo::new(tcp), svc).await;
                }
                Some(acceptor) => {
                    let Ok(stream) = acceptor.accept(tcp).await else { return };
                    let _ = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), svc).await;
                }
            }
        });
    }
}

/// `trackstrip serve` as a user runs it, with every name but the site pinned to the sink, so
/// anything it lets through lands there instead of leaving the machine.
pub struct Trackstrip {
    child: Child,
    pub addr: String,
    pub ca_dir: tempfile::TempDir,
}

impl Trackstrip {
    pub fn start(sink: &Sink, origin_ca: &OriginCa) -> Trackstrip {
        Trackstrip::start_with(sink, origin_ca, &[])
    }

    /// With more `serve` flags.
    pub fn start_with(sink: &Sink, origin_ca: &OriginCa, extra: &[&str]) -> Trackstrip {
        let ca_dir = tempfile::tempdir().unwrap();
        let root = ca_dir.path().join("origin-ca.pem");
        std::fs::write(&root, &origin_ca.pem).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_trackstrip"))
            .args(["serve", "--listen", "127.0.0.1:0", "--admin", "off", "--no-watch", "--no-list-update"])
            .args(["--resolve", &format!("{SITE}=127.0.0.1"), "--resolve", &format!("*={}", sink.addr)])
            .arg("--data-dir")
            .arg(ca_dir.path())
            .arg("--extra-root")
            .arg(&root)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn trackstrip serve");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => match line.strip_prefix("trackstrip: listening on ") {
                    Some(a) => break a.trim().to_string(),
                    None => continue,
                },
                _ => panic!("trackstrip exited before listening"),
            }
        };
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(|l| eprintln!("[trackstrip] {l}")));
        Trackstrip { child, addr, ca_dir }
    }
}

impl Drop for Trackstrip {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
