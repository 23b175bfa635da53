//! WebSocket upgrades pass through: ws:// via the forward proxy, wss:// via an intercepted
//! tunnel. The origin echoes; the bytes after the switch are relayed untouched.

use crate::proxy_support::{Body, Origin, Proxy, full, pins};
use crate::tls_support::{TestCa, TlsOrigin};
use hyper::body::Incoming;
use hyper::{Request, Response};
use std::net::IpAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// An origin handler: upgrade to "websocket" and echo every byte.
async fn echo(mut req: Request<Incoming>) -> Response<Body> {
    if !req.headers().contains_key("upgrade") {
        return Response::new(full("not an upgrade"));
    }
    let on = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        if let Ok(up) = on.await {
            let mut io = hyper_util::rt::TokioIo::new(up);
            let mut buf = [0u8; 1024];
            while let Ok(n) = io.read(&mut buf).await {
                if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    });
    Response::builder()
        .status(101)
        .header("upgrade", "websocket")
        .header("connection", "Upgrade")
        .header("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        .body(full(""))
        .unwrap()
}

/// Sends the upgrade request on `io` (request line `target`), then checks the echo.
async fn upgrade_and_echo<S: AsyncRead + AsyncWrite + Unpin>(io: &mut S, target: &str, host: &str) {
    let req = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    io.write_all(req.as_bytes()).await.unwrap();
    let head = read_head(io).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(head.to_ascii_lowercase().contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="), "{head}");
    io.write_all(b"\x81\x05hello").await.unwrap();
    let mut echoed = [0u8; 7];
    io.read_exact(&mut echoed).await.unwrap();
    assert_eq!(&echoed, b"\x81\x05hello");
}

async fn read_head<S: AsyncRead + Unpin>(io: &mut S) -> String {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        io.read_exact(&mut b).await.unwrap();
        head.push(b[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_through_the_forward_proxy() {
    let origin = Origin::start(echo).await;
    let proxy = Proxy::start(|_| {}).await;
    let mut s = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    let host = origin.addr.to_string();
    upgrade_and_echo(&mut s, &format!("http://{host}/chat"), &host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_through_an_intercepted_tunnel() {
    let dir = tempfile::tempdir().unwrap();
    let origin_ca = TestCa::new("ws origin CA");
    let root = origin_ca.write(dir.path());
    let origin = TlsOrigin::start(&origin_ca, "ws.test", echo).await;
    let (ca, _) = trackstrip::ca::LocalCa::load_or_create(&dir.path().join("ca")).unwrap();
    let ca_der = ca.cert_der.clone();
    let leaves = Arc::new(trackstrip::ca::LeafCache::new(Arc::new(ca), 10).unwrap());
    let proxy = Proxy::start(move |c| {
        c.upstream.extra_roots = vec![root];
        c.upstream.pins = pins(&[("ws.test", IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))]);
        c.leaves = Some(leaves);
    })
    .await;
    let mut t = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    let authority = format!("ws.test:{}", origin.addr.port());
    t.write_all(format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n").as_bytes()).await.unwrap();
    let head = read_head(&mut t).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_der).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = rustls::pki_types::ServerName::try_from("ws.test").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(cfg)).connect(name, t).await.unwrap();
    upgrade_and_echo(&mut tls, "/chat", &authority).await;
}
