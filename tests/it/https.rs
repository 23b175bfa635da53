//! HTTPS interception: a client that trusts trackstrip's CA browses a real rustls origin (with
//! its own test CA, trusted by trackstrip through --extra-root) and gets stripped pages.

use crate::proxy_support::{Proxy, full, html, pins};
use crate::tls_support::{TestCa, TlsOrigin, client_trusting};
use hyper::Response;
use std::net::IpAddr;
use std::sync::Arc;
use trackstrip::ca::{LeafCache, LocalCa};

const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
const PAGE: &str = "<p>secure news</p><img src=\"https://b.scorecardresearch.com/p?c1=2\" width=1 height=1>";

struct Setup {
    proxy: Proxy,
    leaves: Arc<LeafCache>,
    ca_pem: String,
    origin_ca: TestCa,
    _dir: tempfile::TempDir,
}

async fn setup(skip: &[&str]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let origin_ca = TestCa::new("test origin CA");
    let root = origin_ca.write(dir.path());
    let (ca, created) = LocalCa::load_or_create(&dir.path().join("ca")).unwrap();
    assert!(created);
    let ca_pem = ca.cert_pem.clone();
    let leaves = Arc::new(LeafCache::new(Arc::new(ca), 100).unwrap());
    let l2 = leaves.clone();
    let skip: Vec<String> = skip.iter().map(|s| s.to_string()).collect();
    let proxy = Proxy::start(move |c| {
        c.upstream.extra_roots = vec![root];
        // Trackers are pinned to loopback too: a regression would connect there, never out.
        c.upstream.pins = pins(&[
            ("news.test", LOCAL),
            ("bad.test", LOCAL),
            ("skip.test", LOCAL),
            ("b.scorecardresearch.com", LOCAL),
        ]);
        c.leaves = Some(l2);
        c.skip_intercept = skip;
    })
    .await;
    Setup { proxy, leaves, ca_pem, origin_ca, _dir: dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_pages_are_stripped_over_http1_and_http2() {
    let s = setup(&[]).await;
    let origin = TlsOrigin::start(&s.origin_ca, "news.test", |_| async move { html(PAGE) }).await;
    let url = format!("https://news.test:{}/article", origin.addr.port());
    for http1 in [true, false] {
        let resp = client_trusting(s.proxy.addr, &s.ca_pem, http1).get(&url).send().await.unwrap();
        let want = if http1 { reqwest::Version::HTTP_11 } else { reqwest::Version::HTTP_2 };
        assert_eq!(resp.version(), want, "ALPN towards the client");
        assert_eq!(resp.headers()["x-trackstrip"], "stripping");
        assert_eq!(resp.text().await.unwrap(), "<p>secure news</p>");
    }
    assert_eq!(s.leaves.signatures(), 1, "the second connection reused the cached certificate");
    assert_eq!(origin.handshakes.load(std::sync::atomic::Ordering::SeqCst), 1, "upstream connections are pooled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_trackers_over_https_never_connect() {
    let s = setup(&[]).await;
    let c = client_trusting(s.proxy.addr, &s.ca_pem, false);
    // b.scorecardresearch.com is pinned to loopback, where nothing serves its certificate: had
    // trackstrip tried to reach it, this could not be a 200 GIF.
    let resp = c.get("https://b.scorecardresearch.com/p?c1=2").header("sec-fetch-dest", "image").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/gif");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_listed_hosts_get_a_blind_tunnel() {
    let s = setup(&["skip.test"]).await;
    let origin = TlsOrigin::start(&s.origin_ca, "skip.test", |_| async move { html(PAGE) }).await;
    let url = format!("https://skip.test:{}/", origin.addr.port());
    // Trusting only trackstrip's CA fails: the browser sees the origin's own certificate.
    let err = client_trusting(s.proxy.addr, &s.ca_pem, false).get(&url).send().await;
    assert!(err.is_err(), "skip-listed host must not be intercepted");
    let body =
        client_trusting(s.proxy.addr, &s.origin_ca.pem, false).get(&url).send().await.unwrap().text().await.unwrap();
    assert_eq!(body, PAGE, "a tunnel passes the page untouched");
    assert_eq!(s.leaves.signatures(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_upstream_certificate_is_a_502() {
    let s = setup(&[]).await;
    let untrusted = TestCa::new("nobody trusts this");
    let origin = TlsOrigin::start(&untrusted, "bad.test", |_| async move { html(PAGE) }).await;
    let url = format!("https://bad.test:{}/", origin.addr.port());
    let resp = client_trusting(s.proxy.addr, &s.ca_pem, false).get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 502);
    let text = resp.text().await.unwrap();
    assert!(text.contains("certificate could not be verified"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_tls_after_connect_is_tunnelled() {
    let s = setup(&[]).await;
    let origin =
        crate::proxy_support::Origin::start(|_| async move { Response::new(full("plain inside CONNECT")) }).await;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut t = tokio::net::TcpStream::connect(s.proxy.addr).await.unwrap();
    let target = origin.addr;
    t.write_all(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes()).await.unwrap();
    let mut head = [0u8; 19];
    t.read_exact(&mut head).await.unwrap();
    assert_eq!(&head[..12], b"HTTP/1.1 200");
    let mut rest = [0u8; 64];
    let _ = t.read(&mut rest).await.unwrap(); // the rest of the 200's head
    t.write_all(format!("GET / HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = Vec::new();
    t.read_to_end(&mut out).await.unwrap();
    assert!(String::from_utf8_lossy(&out).contains("plain inside CONNECT"));
}

#[test]
fn the_ca_is_what_it_should_be() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, _) = LocalCa::load_or_create(dir.path()).unwrap();
    let der = crate::tls_support::pem_der(&ca.cert_pem);
    let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
    let bc = cert.basic_constraints().unwrap().unwrap().value;
    assert!(bc.ca && bc.path_len_constraint == Some(0), "CA:true, pathlen 0");
    let cn = cert.subject().iter_common_name().next().unwrap().as_str().unwrap().to_string();
    assert!(cn.starts_with("trackstrip local CA ("), "{cn}");
    let years = (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp()) / (365 * 24 * 3600);
    assert!((9..=10).contains(&years), "about 10 years: {years}");
    assert_eq!(cert.public_key().algorithm.algorithm.to_id_string(), "1.2.840.10045.2.1", "an EC key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(trackstrip::ca::CA_KEY)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::set_permissions(dir.path().join(trackstrip::ca::CA_KEY), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let err = LocalCa::load(dir.path()).err().unwrap().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }
}

#[test]
fn ca_commands() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let run = |args: &[&str]| crate::support::trackstrip_cmd().args(args).output().unwrap();
    let dstr = d.to_str().unwrap();
    let o = run(&["ca", "path", "--ca-dir", dstr]);
    assert_eq!(o.status.code(), Some(2), "no CA yet");
    assert!(String::from_utf8_lossy(&o.stderr).contains("trackstrip ca init"));
    let o = run(&["ca", "init", "--ca-dir", dstr]);
    assert!(o.status.success());
    let path = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(path.ends_with("trackstrip-ca.pem") && std::path::Path::new(&path).exists());
    let o = run(&["ca", "export", "--ca-dir", dstr]);
    assert!(o.stdout.starts_with(b"-----BEGIN CERTIFICATE-----"));
    let o = run(&["ca", "export", "--der", "--ca-dir", dstr]);
    assert_eq!(o.stdout[0], 0x30, "DER starts with a SEQUENCE");
    let again = run(&["ca", "init", "--ca-dir", dstr]);
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), path, "init keeps the existing CA");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_in_the_sni_is_tolerated() {
    // Go clients behind a proxy send "host:port" as SNI; trackstrip's (patched) rustls answers
    // with a ServerHello instead of an illegal_parameter alert. Make such a hello: ask rustls
    // for "news.test-9" and turn the '-' into ':' (same length, so no length to fix).
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = setup(&[]).await;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("news.test-9").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(cfg), name).unwrap();
    let mut hello = Vec::new();
    conn.write_tls(&mut hello).unwrap();
    let at = hello.windows(11).position(|w| w == b"news.test-9").unwrap();
    hello[at + 9] = b':';

    let mut t = tokio::net::TcpStream::connect(s.proxy.addr).await.unwrap();
    t.write_all(b"CONNECT news.test:443 HTTP/1.1\r\nHost: news.test:443\r\n\r\n").await.unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        t.read_exact(&mut b).await.unwrap();
        head.push(b[0]);
    }
    t.write_all(&hello).await.unwrap();
    let mut record = [0u8; 5];
    t.read_exact(&mut record).await.unwrap();
    assert_eq!(record[0], 0x16, "a handshake record (ServerHello), not an alert (0x15)");
}

/// An intercepted HTTPS origin that promises 100,000 bytes and ends its body after a few (the
/// origin's connection fails mid-body): over HTTP/1.1 and HTTP/2 towards the client, the
/// client gets what arrived, stripped, then a cut transfer; never a clean short page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_page_cut_short_delivers_what_arrived_over_http1_and_http2() {
    use std::io::Write;
    let s = setup(&[]).await;
    const PART: &str = "<p>First part.</p><img src=\"https://b.scorecardresearch.com/p?c1=2\"><p>Second";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(PART.as_bytes()).unwrap();
    gz.flush().unwrap();
    let gz = bytes::Bytes::from(gz.get_ref().clone());
    // A raw TLS origin (hyper's own server would not flush a body it knows is short).
    let mut config = s.origin_ca.server_config("news.test");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, gz) = (acceptor.clone(), gz.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = [0u8; 4096];
                let n = tls.read(&mut buf).await.unwrap_or(0);
                let gzip = buf[..n].starts_with(b"GET /gz ");
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 100000\r\n{}\r\n",
                    if gzip { "content-encoding: gzip\r\n" } else { "" }
                );
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(if gzip { &gz[..] } else { PART.as_bytes() }).await;
                let _ = tls.flush().await;
                // Closed without close_notify or the rest of the body: cut mid-body.
            });
        }
    });
    for http1 in [true, false] {
        for path in ["/plain", "/gz"] {
            let url = format!("https://news.test:{port}{path}");
            let mut resp = client_trusting(s.proxy.addr, &s.ca_pem, http1).get(&url).send().await.unwrap();
            assert_eq!(resp.version(), if http1 { reqwest::Version::HTTP_11 } else { reqwest::Version::HTTP_2 });
            let (mut got, mut cut) = (Vec::new(), false);
            loop {
                match resp.chunk().await {
                    Ok(Some(c)) => got.extend_from_slice(&c),
                    Ok(None) => break,
                    Err(_) => {
                        cut = true;
                        break;
                    }
                }
            }
            if path == "/gz" {
                let mut text = Vec::new();
                let _ = std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&got[..]), &mut text);
                got = text;
            }
            let what = format!("{path} over {}", if http1 { "HTTP/1.1" } else { "HTTP/2" });
            assert_eq!(String::from_utf8_lossy(&got), "<p>First part.</p><p>Second", "{what}");
            assert!(cut, "{what}: a truncated transfer, never a clean short page");
        }
    }
}
