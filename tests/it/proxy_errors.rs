//! Failures upstream and downstream get clear answers, and the server keeps serving.

use crate::proxy_support::{Origin, Proxy, channel_body, cut_origin, eventually, html};
use crate::support::read_fixture;
use bytes::Bytes;
use hyper::Response;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn still_serving(proxy: &Proxy) {
    let origin = Origin::start(|_| async move { html("<p>fine</p>") }).await;
    let body = proxy.client().get(origin.url("/")).send().await.unwrap().text().await.unwrap();
    assert_eq!(body, "<p>fine</p>", "the proxy still serves");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_is_a_502_page() {
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let proxy = Proxy::start(|_| {}).await;
    let resp = proxy.client().get(format!("http://127.0.0.1:{port}/")).send().await.unwrap();
    assert_eq!(resp.status(), 502);
    assert_eq!(resp.headers()["content-type"], "text/html; charset=utf-8");
    assert!(resp.text().await.unwrap().contains("refused the connection"));
    still_serving(&proxy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_host_is_a_502_page() {
    let proxy = Proxy::start(|_| {}).await;
    let resp = proxy.client().get("http://no-such-host.invalid/").send().await.unwrap();
    assert_eq!(resp.status(), 502);
    assert!(resp.text().await.unwrap().contains("No address was found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_origin_is_a_504_page() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s); // accept, never answer
        }
    });
    let proxy = Proxy::start(|c| c.response_timeout = Duration::from_secs(1)).await;
    let resp = proxy.client().get(format!("http://{addr}/")).send().await.unwrap();
    assert_eq!(resp.status(), 504);
    assert!(resp.text().await.unwrap().contains("sent no response"));
    still_serving(&proxy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_reset_mid_body_reaches_the_client_as_an_error() {
    let proxy = Proxy::start(|_| {}).await;
    for ctype in ["text/html", "application/octet-stream"] {
        let half_a_page = b"<p>half a page</p>".repeat(200);
        let addr = cut_origin(format!("content-type: {ctype}\r\n"), half_a_page, true).await;
        // Either the response breaks off, or (when the reset beats the first byte) the
        // connection closes before a response: never a page that looks complete.
        let got = match proxy.client().get(format!("http://{addr}/")).send().await {
            Ok(resp) => resp.bytes().await.map(|b| b.len()),
            Err(e) => Err(e),
        };
        assert!(got.is_err(), "{ctype}: a truncated body must not look complete ({got:?})");
    }
    still_serving(&proxy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_disconnect_cancels_the_upstream_request() {
    let (tx, body) = channel_body();
    let body = std::sync::Mutex::new(Some(body));
    let origin = Origin::start(move |_| {
        let b = body.lock().unwrap().take().expect("one request");
        async move { Response::builder().header("content-type", "text/html").body(b).unwrap() }
    })
    .await;
    let proxy = Proxy::start(|_| {}).await;
    tx.send(Bytes::from("<p>slow page</p>\n".repeat(300))).await.unwrap();
    let mut resp = proxy.client().get(origin.url("/slow")).send().await.unwrap();
    assert!(resp.chunk().await.unwrap().is_some());
    drop(resp); // the client goes away mid-page
    // The proxy drops its origin request: the origin's connection closes, and it can no longer send.
    eventually("origin connection closed", || origin.closed.load(Ordering::SeqCst) == 1).await;
    still_serving(&proxy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_clients() {
    let seed = read_fixture("corpus/seed.html");
    let origin = Origin::start(move |_| {
        let s = seed.clone();
        async move { html(s) }
    })
    .await;
    let proxy = Proxy::start(|_| {}).await;
    let url = origin.url("/seed.html");
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let c = proxy.client();
            let url = url.clone();
            tokio::spawn(async move { c.get(&url).send().await.unwrap().text().await.unwrap() })
        })
        .collect();
    for t in tasks {
        let page = t.await.unwrap();
        assert!(page.contains("Kerry") && !page.contains("scorecardresearch"));
    }
}

async fn raw(proxy: &Proxy, request: &[u8]) -> String {
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let _ = s.write_all(request).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_and_malformed_requests() {
    let proxy = Proxy::start(|c| c.max_header_bytes = 16 * 1024).await;
    let mut big = b"GET http://example.invalid/ HTTP/1.1\r\nHost: example.invalid\r\nX-Big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 100 * 1024));
    big.extend_from_slice(b"\r\n\r\n");
    let answer = raw(&proxy, &big).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431"), "{}", &answer[..answer.len().min(80)]);
    for junk in [&b"\x16\x03\x01\x02\x00garbage\r\n\r\n"[..], b"GET\r\n\r\n", b"GET http://x/ HTTP/9.9\r\n\r\n"] {
        let answer = raw(&proxy, junk).await;
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "{answer}");
    }
    still_serving(&proxy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_heads_over_64_kb_are_a_502_every_time() {
    let origin = Origin::start(|req| async move {
        let kb: usize = req.uri().query().and_then(|q| q.strip_prefix("kb=")).and_then(|n| n.parse().ok()).unwrap_or(1);
        let mut resp = html("<p>ok</p>");
        resp.headers_mut().insert("x-big", "a".repeat(kb * 1024).parse().unwrap());
        resp
    })
    .await;
    let proxy = Proxy::start(|_| {}).await;
    let client = proxy.client();
    // Fresh and reused upstream connections alike (hyper's buffer limit alone depends on which).
    for _ in 0..4 {
        let resp = client.get(origin.url("/?kb=100")).send().await.unwrap();
        assert_eq!(resp.status(), 502);
        assert!(resp.text().await.unwrap().contains("Response headers too large"));
        let fine = client.get(origin.url("/?kb=40")).send().await.unwrap();
        assert_eq!(fine.status(), 200, "a 40 KB head is within the limit");
        assert_eq!(fine.headers()["x-big"].len(), 40 * 1024);
    }
    still_serving(&proxy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loops_and_direct_requests_are_refused() {
    let proxy = Proxy::start(|_| {}).await;
    let resp = proxy.client().get(proxy.url("/anything")).send().await.unwrap();
    assert_eq!(resp.status(), 508, "a request to the proxy itself would loop");
    let direct = reqwest::get(proxy.url("/")).await.unwrap();
    assert_eq!(direct.status(), 400);
    assert!(direct.text().await.unwrap().contains("forward proxy"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_tunnels_bytes_untouched() {
    let origin =
        Origin::start(|_| async move { html("<img src=\"https://b.scorecardresearch.com/p\" width=1 height=1>") })
            .await;
    let proxy = Proxy::start(|_| {}).await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let target = origin.addr;
    s.write_all(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes()).await.unwrap();
    let mut head = [0u8; 64];
    let n = s.read(&mut head).await.unwrap();
    assert!(head[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&head[..n]));
    s.write_all(format!("GET / HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    assert!(String::from_utf8_lossy(&out).contains("scorecardresearch"), "a tunnel is not inspected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_without_a_valid_port_is_a_400() {
    let proxy = Proxy::start(|_| {}).await;
    for target in ["news.test:99999", "news.test:https", "news.test", "127.0.0.1:0"] {
        let answer = raw(&proxy, format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "CONNECT {target}: {}", &answer[..answer.len().min(60)]);
    }
    still_serving(&proxy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_request_body_is_the_clients_400_not_the_origins_502() {
    let origin = Origin::start(|_| async move { html("<p>got it</p>") }).await;
    let proxy = Proxy::start(|_| {}).await;
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n0\r\n\r\n",
        origin.url("/upload"),
        origin.addr
    );
    let answer = raw(&proxy, request.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{}", &answer[..answer.len().min(80)]);
    let metrics = proxy.telemetry().render();
    assert!(!metrics.contains("upstream_errors_total{kind=\"protocol\"}"), "the origin is not blamed");
    still_serving(&proxy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_upload_is_not_a_response_timeout() {
    let origin = Origin::start(|req| async move {
        use http_body_util::BodyExt;
        let n = req.into_body().collect().await.map(|b| b.to_bytes().len()).unwrap_or(0);
        html(format!("<p>{n} bytes</p>"))
    })
    .await;
    // The deadline is generous for the answer (2 s on loopback) and shorter than the upload
    // (50 bytes, 10 every 600 ms): only a deadline wrongly counted from the request's start fires.
    let proxy = Proxy::start(|c| c.response_timeout = Duration::from_secs(2)).await;
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Length: 50\r\nConnection: close\r\n\r\n",
        origin.url("/up"),
        origin.addr
    );
    s.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        s.write_all(b"0123456789").await.unwrap();
    }
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    let answer = String::from_utf8_lossy(&out);
    assert!(answer.starts_with("HTTP/1.1 200"), "{}", &answer[..answer.len().min(120)]);
    assert!(answer.contains("<p>50 bytes</p>"), "the whole upload reached the origin");
}
