//! Serving a network: client networks, proxy authentication (407), CONNECT ports, and
//! target addresses the proxy refuses (metadata, link-local, its own loopback).

use crate::proxy_support::{Origin, Proxy, html, pins};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use trackstrip::access::users::set_user;
use trackstrip::access::{TargetGuard, Users};

/// Sends one raw request and returns everything the proxy answered before closing.
async fn raw(proxy: std::net::SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect(proxy).await.unwrap();
    // The proxy may close first (a refused client): a failed write is part of the answer.
    let _ = s.write_all(request.as_bytes()).await;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if request.starts_with("CONNECT") && out.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn clients_outside_the_allowed_networks_are_turned_away() {
    let origin = Origin::start(|_| async { html("<p>hello</p>") }).await;
    let outside = Proxy::start(|c| c.access.clients = vec!["10.0.0.0/8".parse().unwrap()]).await;
    let answer = raw(outside.addr, &format!("GET {} HTTP/1.1\r\nHost: x\r\n\r\n", origin.url("/"))).await;
    assert_eq!(answer, "", "the connection is closed without an answer");
    assert_eq!(origin.connections(), 0);
    assert!(outside.telemetry().render().contains("trackstrip_connections_refused_total{reason=\"network\"} 1"));

    let inside = Proxy::start(|c| c.access.clients = vec!["127.0.0.0/8".parse().unwrap()]).await;
    let body = inside.client().get(origin.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(body.contains("hello"));
}

#[tokio::test]
async fn proxy_authentication_asks_407_and_never_forwards_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let users_file = dir.path().join("users");
    set_user(&users_file, "ada", "correct horse").unwrap();
    let users = Arc::new(Users::load(&users_file).unwrap());
    let leaked = Arc::new(AtomicUsize::new(0));
    let l = leaked.clone();
    let origin = Origin::start(move |req| {
        if req.headers().contains_key("proxy-authorization") || req.headers().contains_key("authorization") {
            l.fetch_add(1, Ordering::SeqCst);
        }
        async { html("<p>members only</p>") }
    })
    .await;
    let proxy = Proxy::start(|c| c.access.users = Some(users)).await;

    // No credentials: 407 with a Basic challenge, and the origin is never asked.
    let resp = proxy.client().get(origin.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), 407);
    let challenge = resp.headers()["proxy-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Basic realm=\"trackstrip\""), "{challenge}");
    assert_eq!(origin.connections(), 0);

    let with = |user: &str, pass: &str| {
        reqwest::Client::builder()
            .proxy(reqwest::Proxy::all(format!("http://{}", proxy.addr)).unwrap().basic_auth(user, pass))
            .build()
            .unwrap()
    };
    let wrong = with("ada", "battery staple").get(origin.url("/")).send().await.unwrap();
    assert_eq!(wrong.status(), 407);
    let right = with("ada", "correct horse").get(origin.url("/")).send().await.unwrap();
    assert_eq!(right.status(), 200);
    assert!(right.text().await.unwrap().contains("members only"));
    assert_eq!(leaked.load(Ordering::SeqCst), 0, "Proxy-Authorization is never forwarded");
    let metrics = proxy.telemetry().render();
    assert!(metrics.contains("trackstrip_connections_refused_total{reason=\"auth\"} 1"), "{metrics}");

    // CONNECT is authenticated the same way.
    let target = origin.addr.to_string();
    let answer = raw(proxy.addr, &format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n")).await;
    assert!(answer.starts_with("HTTP/1.1 407"), "{answer}");
}

#[tokio::test]
async fn connect_reaches_only_the_allowed_ports() {
    let origin = Origin::start(|_| async { html("x") }).await;
    let proxy = Proxy::start(|c| c.access.connect_ports = Some(vec![443, 8443])).await;
    let target = origin.addr.to_string();
    let answer = raw(proxy.addr, &format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n")).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("Port not allowed"), "{answer}");
    assert_eq!(origin.connections(), 0);
    assert!(proxy.telemetry().render().contains("trackstrip_connections_refused_total{reason=\"port\"} 1"));

    // A loopback-only proxy (connect_ports None) tunnels to any port.
    let open = Proxy::start(|_| {}).await;
    let answer = raw(open.addr, &format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n")).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn metadata_link_local_and_the_gateways_own_loopback_are_refused() {
    let origin = Origin::start(|_| async { html("<p>intranet news</p>") }).await;
    let proxy = Proxy::start(|c| {
        // As when serving a network: loopback is refused too, except the pinned test origin.
        c.upstream.guard = TargetGuard::new(true, vec![]);
        c.upstream.pins = pins(&[("news.test", origin.addr.ip())]);
    })
    .await;
    let client = proxy.client();
    let meta = client.get("http://169.254.169.254/latest/meta-data/").send().await.unwrap();
    assert_eq!(meta.status(), 403);
    assert!(meta.text().await.unwrap().contains("metadata"));
    // A name that resolves to loopback is caught after resolution.
    let local = client.get(format!("http://localhost:{}/", origin.addr.port())).send().await.unwrap();
    assert_eq!(local.status(), 403);
    let tunnel = raw(proxy.addr, "CONNECT 169.254.169.254:443 HTTP/1.1\r\nHost: 169.254.169.254:443\r\n\r\n").await;
    assert!(tunnel.starts_with("HTTP/1.1 403"), "{tunnel}");
    assert_eq!(origin.connections(), 0);
    // The pinned name is the operator's choice and still works.
    let ok = client.get(format!("http://news.test:{}/", origin.addr.port())).send().await.unwrap();
    assert!(ok.text().await.unwrap().contains("intranet news"));
    assert!(proxy.telemetry().render().contains("trackstrip_connections_refused_total{reason=\"target\"} 3"));
}

#[tokio::test]
async fn requests_to_the_admin_address_are_refused_as_loops() {
    let admin = trackstrip::admin::AdminListener::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let admin_addr = admin.addr;
    let proxy = Proxy::start(|c| c.refused_addrs = vec![admin_addr]).await;
    let resp = proxy.client().get(format!("http://{admin_addr}/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 508);
}
