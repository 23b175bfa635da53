//! An origin that fails mid-body: everything that arrived before the fault is stripped and
//! reaches the client, then the transfer is cut (never a clean short page).

use crate::proxy_support::{Proxy, cut_origin};
use std::io::Write;

/// An HTML origin that promises 100,000 bytes, sends `body`, then closes (or resets).
async fn short_origin(extra_head: &str, body: Vec<u8>, reset: bool) -> std::net::SocketAddr {
    cut_origin(format!("content-type: text/html\r\n{extra_head}"), body, reset).await
}

/// The body's bytes as they arrive, and whether the transfer ended in an error.
async fn read_all(resp: reqwest::Response) -> (Vec<u8>, bool) {
    let mut resp = resp;
    let mut got = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) => got.extend_from_slice(&c),
            Ok(None) => return (got, false),
            Err(_) => return (got, true),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_close_delivers_what_arrived_stripped_then_cuts_the_transfer() {
    let proxy = Proxy::start(|_| {}).await;
    // 22 bytes of HTML (less than the encoding prescan waits for), then a close.
    let small = short_origin("", b"<p>Hello, reader.</p>\n".to_vec(), false).await;
    // A tracker pixel and a paragraph, then a reset.
    let page = b"<p>First part.</p><img src=\"https://b.scorecardresearch.com/p?c1=2\"><p>Second".to_vec();
    let reset = short_origin("", page, true).await;
    for (addr, want) in [(small, &b"<p>Hello, reader.</p>\n"[..]), (reset, &b"<p>First part.</p><p>Second"[..])] {
        let resp = proxy.client().get(format!("http://{addr}/")).send().await.unwrap();
        let (got, cut) = read_all(resp).await;
        assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
        assert!(cut, "a truncated transfer, never a clean short page");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_body_cut_short_delivers_what_decoded_stripped() {
    // The first half of a gzip stream, flushed so that it decodes, then a reset.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b"<p>Opening paragraph.</p><img src=\"https://b.scorecardresearch.com/p?c1=2\"><p>More").unwrap();
    enc.flush().unwrap();
    let partial = enc.get_ref().clone();
    let addr = short_origin("content-encoding: gzip\r\n", partial, true).await;
    let proxy = Proxy::start(|_| {}).await;
    let resp = proxy.client().get(format!("http://{addr}/")).send().await.unwrap();
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let (got, cut) = read_all(resp).await;
    assert!(cut, "the transfer is cut");
    // What arrived decodes (the stream is flushed, not finished) to the stripped text.
    let mut text = Vec::new();
    let _ = std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&got[..]), &mut text);
    assert_eq!(String::from_utf8_lossy(&text), "<p>Opening paragraph.</p><p>More");
}
