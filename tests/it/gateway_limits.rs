//! Slow and greedy clients: a connection limit, and sockets that go quiet or dribble their
//! headers are closed instead of held.

use crate::proxy_support::{Origin, Proxy, eventually, html};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn open_connections(p: &Proxy) -> String {
    let m = p.telemetry().render();
    m.lines().find(|l| l.starts_with("trackstrip_open_connections ")).unwrap_or("").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_limit_makes_new_clients_wait_their_turn() {
    let origin = Origin::start(|_| async { html("<p>hi</p>") }).await;
    let proxy = Proxy::start(|c| c.max_connections = 1).await;
    let first = TcpStream::connect(proxy.addr).await.unwrap();
    eventually("the first connection is being served", || open_connections(&proxy).ends_with(" 1")).await;

    let mut second = TcpStream::connect(proxy.addr).await.unwrap(); // waits in the backlog
    let req = format!("GET {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", origin.url("/"));
    second.write_all(req.as_bytes()).await.unwrap();
    let mut reply = tokio::spawn(async move {
        let mut out = String::new();
        second.read_to_string(&mut out).await.unwrap();
        out
    });
    // Without the limit the second request is answered in milliseconds; with it, it waits for
    // as long as the first connection is held. Two seconds is generous either way.
    let early = tokio::time::timeout(Duration::from_secs(2), &mut reply).await;
    assert!(early.is_err(), "the second client was served while the first held the only slot: {early:?}");
    assert_eq!(origin.connections(), 0, "the queued request never reached the origin");
    assert!(open_connections(&proxy).ends_with(" 1"), "never more than the limit");
    drop(first);
    let out =
        tokio::time::timeout(Duration::from_secs(20), reply).await.expect("admitted once the first ends").unwrap();
    assert!(out.starts_with("HTTP/1.1 200") && out.contains("<p>hi</p>"), "{out}");
    assert_eq!(origin.connections(), 1);
}

#[tokio::test]
async fn silent_and_slow_header_clients_are_closed() {
    let proxy = Proxy::start(|c| {
        c.client_idle_timeout = Duration::from_secs(1);
        c.header_read_timeout = Duration::from_secs(1);
    })
    .await;
    // Connects and says nothing.
    let mut silent = TcpStream::connect(proxy.addr).await.unwrap();
    let mut buf = [0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(30), silent.read(&mut buf)).await.expect("closed").unwrap_or(0);
    assert_eq!(n, 0, "closed without an answer");

    // Sends half a request head and stops (slowloris).
    let mut slow = TcpStream::connect(proxy.addr).await.unwrap();
    slow.write_all(b"GET http://news.test/ HTTP/1.1\r\nHost: news.test\r\nX-Slow: ").await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), slow.read_to_end(&mut out)).await.expect("closed").ok();
    let text = String::from_utf8_lossy(&out);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
    eventually("both sockets released", || open_connections(&proxy).ends_with(" 0")).await;
}
