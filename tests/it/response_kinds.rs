//! What the proxy does with each kind of response: the stripped-count trailer, XHTML, pages
//! that aren't a 200, pages in a legacy charset, and a listener on IPv6 loopback.

use crate::proxy_support::{Origin, Proxy, full, html};
use hyper::Response;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PIXEL: &str = "<img src=\"https://b.scorecardresearch.com/p?c1=2\" width=1 height=1>";

/// An origin answering every request with this status, Content-Type and body.
async fn origin(status: u16, ctype: &'static str, body: Vec<u8>) -> Origin {
    Origin::start(move |_| {
        let body = body.clone();
        async move { Response::builder().status(status).header("content-type", ctype).body(full(body)).unwrap() }
    })
    .await
}

/// One request over a raw connection (so the chunked framing and trailers can be seen).
async fn raw_get(proxy: &Proxy, url: &str, extra: &str) -> Vec<u8> {
    let mut s = TcpStream::connect(proxy.addr).await.unwrap();
    let req = format!("GET {url} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut out)).await.expect("the proxy closes").unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trailer_counts_what_was_stripped_when_the_client_accepts_trailers() {
    let origin = Origin::start(|_| async { html(format!("<p>story</p>{PIXEL}<p>more</p>{PIXEL}")) }).await;
    let proxy = Proxy::start(|_| {}).await;
    let out = String::from_utf8(raw_get(&proxy, &origin.url("/"), "TE: trailers\r\n").await).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let head = head.to_ascii_lowercase();
    assert!(head.contains("x-trackstrip: stripping") && head.contains("trailer: x-trackstrip"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(body.contains("<p>story</p>") && !body.contains("scorecardresearch"), "{body}");
    // The last chunk, then the trailer section.
    let trailer = body.rsplit_once("\r\n0\r\n").map(|(_, t)| t.to_ascii_lowercase()).unwrap_or_default();
    assert_eq!(trailer, "x-trackstrip: stripped=2\r\n\r\n", "{body:?}");

    // With --no-header, neither the header nor the trailer.
    let quiet = Proxy::start(|c| c.header = false).await;
    let out = String::from_utf8(raw_get(&quiet, &origin.url("/"), "TE: trailers\r\n").await).unwrap();
    assert!(!out.to_ascii_lowercase().contains("x-trackstrip"), "{out}");
    assert!(!out.contains("scorecardresearch"), "still stripped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xhtml_is_stripped_like_html() {
    let page = format!(
        "<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>x</p>{PIXEL}</body></html>"
    );
    let origin = origin(200, "application/xhtml+xml; charset=utf-8", page.into_bytes()).await;
    let proxy = Proxy::start(|_| {}).await;
    let resp = proxy.client().get(origin.url("/")).send().await.unwrap();
    assert_eq!(resp.headers()["x-trackstrip"], "stripping");
    let body = resp.text().await.unwrap();
    assert!(body.contains("<p>x</p>") && !body.contains("scorecardresearch"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_that_is_not_a_200_is_left_alone() {
    let proxy = Proxy::start(|_| {}).await;
    let page = format!("<h1>Not found</h1>{PIXEL}");
    for status in [404, 500, 206] {
        let origin = origin(status, "text/html", page.clone().into_bytes()).await;
        let resp = proxy.client().get(origin.url("/")).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status);
        assert!(resp.headers().get("x-trackstrip").is_none(), "{status}: not rewritten");
        assert_eq!(resp.text().await.unwrap(), page, "{status}: byte for byte");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_charset_page_is_stripped_and_its_bytes_kept() {
    // windows-1252: é is one byte, 0xE9; a UTF-8 round trip would turn it into two (or U+FFFD).
    let mut page =
        b"<html><head><meta charset=\"windows-1252\"></head><body><p>Caf\xe9 cr\xe8me \x93quoted\x94</p>".to_vec();
    page.extend_from_slice(PIXEL.as_bytes());
    page.extend_from_slice(b"<p>Fin \xa9</p></body></html>");
    let origin = origin(200, "text/html", page.clone()).await;
    let proxy = Proxy::start(|_| {}).await;
    let resp = proxy.client().get(origin.url("/")).send().await.unwrap();
    assert_eq!(resp.headers()["x-trackstrip"], "stripping");
    let body = resp.bytes().await.unwrap();
    let at = page.windows(PIXEL.len()).position(|w| w == PIXEL.as_bytes()).unwrap();
    let expected = [&page[..at], &page[at + PIXEL.len()..]].concat();
    assert_eq!(body.as_ref(), expected.as_slice(), "every legacy byte kept, only the pixel gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_listens_on_ipv6_loopback() {
    let origin = Origin::start(|_| async { html(format!("<p>v6</p>{PIXEL}")) }).await;
    let proxy = Proxy::start(|c| c.listen = vec!["[::1]:0".parse().unwrap()]).await;
    assert!(proxy.addr.is_ipv6(), "{}", proxy.addr);
    let body = proxy.client().get(origin.url("/")).send().await.unwrap().text().await.unwrap();
    assert_eq!(body, "<p>v6</p>");
}

/// `0.0.0.0:P` and `[::]:P` together: the IPv6 wildcard is made IPv6-only, so both bind (a
/// dual-stack `[::]` would hold the IPv4 port too), and each family reaches the proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_wildcards_on_one_port_bind_side_by_side() {
    let origin = Origin::start(|_| async { html("<p>both</p>") }).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let proxy = Proxy::start(|c| {
        c.listen = vec![format!("0.0.0.0:{port}").parse().unwrap(), format!("[::]:{port}").parse().unwrap()];
    })
    .await;
    assert_eq!(proxy.listening.addrs.len(), 2);
    for via in [format!("127.0.0.1:{port}"), format!("[::1]:{port}")] {
        let client = reqwest::Client::builder()
            .proxy(reqwest::Proxy::all(format!("http://{via}")).unwrap())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        assert_eq!(client.get(origin.url("/")).send().await.unwrap().text().await.unwrap(), "<p>both</p>", "{via}");
    }
}
