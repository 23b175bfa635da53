//! The world a browser sees in these tests, all on 127.0.0.1: an origin serving the article
//! pages as `news.example` (HTTP and HTTPS), sinks that every other name resolves to and that
//! record every connection they get, and `trackstrip serve` between them.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::collections::HashSet;
use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

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

/// Where every name but the site resolves, and the record of everything that reached it.
///
/// Every connection it accepts is recorded, whatever name it was for: a TLS connection by the
/// SNI of its ClientHello (or none) and then dropped, since reaching the sink at all is the
/// leak; a plain HTTP request by its Host (any Host), answered with an empty body and the
/// connection closed, so no client keeps one open; and a connection that brought neither, as
/// such. Nothing is filtered here: what a hit means is the tests' call (`leaks`).
#[derive(Clone)]
pub struct Sink {
    pub addr: SocketAddr,
    /// Which side of the test sends here, named in each hit.
    name: &'static str,
    record: Arc<watch::Sender<Record>>,
}

/// One thing a sink learned from a connection.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The name asked for: the SNI, or the Host without its port; None when none was given.
    pub host: Option<String>,
    /// `tls`, `GET /path`, or what else the connection brought.
    pub what: String,
    /// The sink it reached.
    pub sink: &'static str,
}

impl std::fmt::Display for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} [{}]", self.host.as_deref().unwrap_or("(no name)"), self.what, self.sink)
    }
}

#[derive(Default)]
struct Record {
    hits: Vec<Hit>,
    /// Connections accepted and not yet read to the end and closed.
    open: usize,
    /// Client addresses of `drained`'s marker connections not yet accepted.
    markers: HashSet<SocketAddr>,
}

/// How long `drained` waits: generous, as it only waits for work already handed to the sink.
const DRAIN_DEADLINE: Duration = Duration::from_secs(30);

impl Sink {
    pub async fn start(name: &'static str) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let record = Arc::new(watch::Sender::new(Record::default()));
        let sink = Sink { addr: listener.local_addr().unwrap(), name, record: record.clone() };
        tokio::spawn(async move {
            loop {
                let Ok((tcp, peer)) = listener.accept().await else { continue };
                // Counted open before the next accept: when a marker is accepted, every
                // connection queued ahead of it is already counted.
                let mut marker = false;
                record.send_modify(|r| {
                    marker = r.markers.remove(&peer);
                    r.open += usize::from(!marker);
                });
                if !marker {
                    tokio::spawn(sink_connection(tcp, name, Open(record.clone())));
                }
            }
        });
        sink
    }

    /// Every hit so far, once the sink has finished with every connection made to it before
    /// this call; then forgets them. Call it when the clients are gone (Chromium exited,
    /// trackstrip stopped) or done, and nothing they sent can arrive later.
    pub async fn drained(&self) -> Vec<Hit> {
        // The listen queue is first in, first out: once a marker connection made now is
        // accepted, so is every connection made before it.
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let me = socket.local_addr().unwrap();
        self.record.send_modify(|r| {
            r.markers.insert(me);
        });
        let marker = socket.connect(self.addr).await.unwrap();
        let mut seen = self.record.subscribe();
        let waited = tokio::time::timeout(DRAIN_DEADLINE, async {
            seen.wait_for(|r| !r.markers.contains(&me)).await.unwrap();
            drop(marker);
            seen.wait_for(|r| r.open == 0).await.unwrap();
        })
        .await;
        let mut hits = Vec::new();
        self.record.send_modify(|r| hits = std::mem::take(&mut r.hits));
        if waited.is_err() {
            let open = self.record.borrow().open;
            panic!(
                "{} sink: not drained after {DRAIN_DEADLINE:?}, {open} connections still open; hits: {hits:?}",
                self.name
            );
        }
        hits
    }
}

/// The sinks of one test, by who dials them: Chromium (its host resolver), trackstrip (its
/// `--resolve` pins), and, from either, Chromium's own names (`leaks::CHROMIUM_OWN`), which
/// are pinned apart so that every connection on the other two is the pages' doing, named or
/// not.
pub struct Sinks {
    pub chromium: Sink,
    pub trackstrip: Sink,
    pub chromium_own: Sink,
}

impl Sinks {
    pub async fn start() -> Sinks {
        Sinks {
            chromium: Sink::start("chromium").await,
            trackstrip: Sink::start("trackstrip").await,
            chromium_own: Sink::start("chromium's own").await,
        }
    }

    /// Chromium's own names, each pinned to `chromium_own`, as `name=addr` pairs.
    fn own_pins(&self) -> Vec<String> {
        crate::leaks::chromium_own_names().map(|name| format!("{name}={}", self.chromium_own.addr)).collect()
    }

    /// Chromium's host resolver rules: the site to the origin, Chromium's own names to their
    /// sink, every other name to Chromium's sink (the first matching rule applies).
    pub fn resolver_rules(&self) -> String {
        let own = self.own_pins().iter().map(|pin| format!("MAP {}", pin.replace('=', " "))).collect::<Vec<_>>();
        format!(
            "MAP {SITE} 127.0.0.1, {}, MAP * {}, EXCLUDE localhost, EXCLUDE 127.0.0.1",
            own.join(", "),
            self.chromium.addr
        )
    }

    /// Every hit on Chromium's and trackstrip's sinks, once drained; Chromium's own sink is
    /// drained too, and its hits only counted.
    pub async fn drained(&self) -> (Vec<Hit>, usize) {
        let mut hits = self.chromium.drained().await;
        hits.extend(self.trackstrip.drained().await);
        (hits, self.chromium_own.drained().await.len())
    }
}

/// A connection the sink has not finished with, counted in `Record::open` until dropped.
struct Open(Arc<watch::Sender<Record>>);

impl Open {
    fn hit(&self, host: Option<String>, what: String, sink: &'static str) {
        self.0.send_modify(|r| r.hits.push(Hit { host, what, sink }));
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.send_modify(|r| r.open -= 1);
    }
}

/// Reads one connection to the sink to its end, recording what it brought.
async fn sink_connection(tcp: TcpStream, sink: &'static str, open: Open) {
    let mut first = [0u8; 16];
    let n = tcp.peek(&mut first).await.unwrap_or(0);
    if n == 0 {
        return open.hit(None, "connection, nothing sent".into(), sink);
    }
    if first[0] == 0x16 {
        let start = tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), tcp);
        return match start.await {
            Ok(hello) => open.hit(hello.client_hello().server_name().map(str::to_string), "tls".into(), sink),
            Err(e) => open.hit(None, format!("tls, no ClientHello read: {e}"), sink),
        };
    }
    let open = Arc::new(open);
    let requests = Arc::new(AtomicUsize::new(0));
    let (on_request, counted) = (open.clone(), requests.clone());
    let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let named =
            req.headers().get("host").and_then(|h| h.to_str().ok()).or(req.uri().authority().map(|a| a.as_str()));
        let host = named.and_then(|h| h.parse::<http::uri::Authority>().ok()).map(|a| a.host().to_string());
        on_request.hit(host, format!("{} {}", req.method(), req.uri().path()), sink);
        counted.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"/* sink */")))) }
    });
    let io = hyper_util::rt::TokioIo::new(tcp);
    let _ = hyper::server::conn::http1::Builder::new().keep_alive(false).serve_connection(io, svc).await;
    if requests.load(Ordering::SeqCst) == 0 {
        open.hit(None, format!("connection, no HTTP request: {:?}", String::from_utf8_lossy(&first[..n])), sink);
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

/// `trackstrip serve` as a user runs it, with every name but the site pinned to a sink (its
/// own, or Chromium's own names' one), so anything it lets through lands there instead of
/// leaving the machine.
pub struct Trackstrip {
    child: Child,
    pub addr: String,
    pub ca_dir: tempfile::TempDir,
}

impl Trackstrip {
    pub fn start(sinks: &Sinks, origin_ca: &OriginCa) -> Trackstrip {
        Trackstrip::start_with(sinks, origin_ca, &[])
    }

    /// With more `serve` flags.
    pub fn start_with(sinks: &Sinks, origin_ca: &OriginCa, extra: &[&str]) -> Trackstrip {
        let ca_dir = tempfile::tempdir().unwrap();
        let root = ca_dir.path().join("origin-ca.pem");
        std::fs::write(&root, &origin_ca.pem).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_trackstrip"))
            .args(["serve", "--listen", "127.0.0.1:0", "--admin", "off", "--no-watch", "--no-list-update"])
            .args(["--resolve", &format!("{SITE}=127.0.0.1"), "--resolve", &format!("*={}", sinks.trackstrip.addr)])
            .args(sinks.own_pins().iter().flat_map(|pin| ["--resolve", pin]))
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

/// The sink records whatever reaches it, named or not, and `drained` waits for connections
/// that are already closed but not yet read: no sleep, the clients are done before it is asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sink_records_every_connection_whatever_it_names() {
    use rustls::pki_types::ServerName;
    use tokio::io::AsyncWriteExt;
    let sink = Sink::start("test").await;
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(tls));
    // A name made up at run time, then no name at all (rustls sends no SNI for an address).
    for name in [ServerName::try_from("made.up.example").unwrap(), ServerName::from(sink.addr.ip())] {
        let tcp = TcpStream::connect(sink.addr).await.unwrap();
        assert!(tls.connect(name, tcp).await.is_err(), "the sink never finishes a handshake");
    }
    for bytes in [
        &b"GET /collect?v=1 HTTP/1.1\r\nHost: built.example:8080\r\n\r\n"[..],
        b"POST /beacon HTTP/1.0\r\nContent-Length: 1\r\n\r\nx",
        b"hello\r\n\r\n",
        b"",
    ] {
        let mut tcp = TcpStream::connect(sink.addr).await.unwrap();
        tcp.write_all(bytes).await.unwrap();
    }
    let mut hits: Vec<String> = sink.drained().await.iter().map(ToString::to_string).collect();
    hits.sort();
    assert_eq!(
        hits,
        [
            "(no name) POST /beacon [test]",
            "(no name) connection, no HTTP request: \"hello\\r\\n\\r\\n\" [test]",
            "(no name) connection, nothing sent [test]",
            "(no name) tls [test]",
            "built.example GET /collect [test]",
            "made.up.example tls [test]",
        ]
    );
    assert!(sink.drained().await.is_empty(), "drained forgets what it returned");

    // A request still arriving: drained waits for it, however long it takes.
    let mut late = TcpStream::connect(sink.addr).await.unwrap();
    late.write_all(b"GET /late HTTP/1.1\r\nHost: late.example\r\n").await.unwrap();
    let waiting = sink.clone();
    let mut drained = tokio::spawn(async move { waiting.drained().await });
    let early = tokio::time::timeout(Duration::from_millis(300), &mut drained).await;
    assert!(early.is_err(), "drained returned with a connection still open: {early:?}");
    late.write_all(b"\r\n").await.unwrap();
    drop(late);
    let hits: Vec<String> = drained.await.unwrap().iter().map(ToString::to_string).collect();
    assert_eq!(hits, ["late.example GET /late [test]"]);
}
