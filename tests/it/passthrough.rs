//! Bodies trackstrip can't decode pass through unchanged, under the origin's own headers: a
//! page labelled with a Content-Encoding it isn't in, and a Content-Encoding nobody knows.
//! (Pages really in their coding are stripped: `proxy_stream.rs`.)

use crate::proxy_support::{Origin, Proxy, eventually, full};
use crate::serve_cli::Served;
use hyper::Response;

const PAGE: &str = "<!DOCTYPE html><html><body><p>Plain text, whatever the label says.</p>\
    <img src=\"https://b.scorecardresearch.com/p?c1=2\" width=1 height=1></body></html>";

/// An origin that sends `PAGE` (as is) labelled with this Content-Encoding.
async fn labelled(encoding: &'static str) -> Origin {
    Origin::start(move |_| async move {
        Response::builder()
            .header("content-type", "text/html; charset=utf-8")
            .header("content-encoding", encoding)
            .header("content-length", PAGE.len())
            .header("etag", "\"v1\"")
            .body(full(PAGE))
            .unwrap()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_page_labelled_gzip_or_br_arrives_byte_identical() {
    let proxy = Proxy::start(|_| {}).await;
    for (encoding, reason) in [("gzip", "not_gzip"), ("br", "not_br"), ("zstd", "not_zstd"), ("deflate", "not_deflate")]
    {
        let origin = labelled(encoding).await;
        let resp = proxy.client().get(origin.url("/")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let h = resp.headers().clone();
        assert_eq!(h["content-encoding"], encoding);
        assert_eq!(h["content-length"], PAGE.len().to_string(), "the origin's length, not a chunked rewrite");
        assert_eq!(h["etag"], "\"v1\"", "a strong ETag stays strong: the bytes are the origin's");
        assert!(h.get("x-trackstrip").is_none(), "nothing claims the page was stripped");
        assert_eq!(resp.bytes().await.unwrap(), PAGE.as_bytes(), "declared {encoding}");
        let metrics = proxy.telemetry().render();
        let line = format!("trackstrip_passthrough_total{{reason=\"{reason}\"}} 1");
        assert!(metrics.contains(&line), "{line} in\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_content_encoding_passes_through_counted() {
    let origin = labelled("x-snappy").await;
    let proxy = Proxy::start(|_| {}).await;
    let resp = proxy.client().get(origin.url("/")).send().await.unwrap();
    assert_eq!(resp.headers()["content-encoding"], "x-snappy");
    assert_eq!(resp.bytes().await.unwrap(), PAGE.as_bytes());
    let metrics = proxy.telemetry().render();
    assert!(metrics.contains("trackstrip_passthrough_total{reason=\"unknown_encoding\"} 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_logs_why_a_page_passed_through() {
    let origin = labelled("gzip").await;
    let served = Served::spawn(&["--listen", "127.0.0.1:0"]);
    crate::proxy_support::install_crypto();
    let proxy = reqwest::Proxy::all(format!("http://{}", served.addr)).unwrap();
    let client = reqwest::Client::builder().proxy(proxy).build().unwrap();
    let body = client.get(origin.url("/")).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(body, PAGE.as_bytes());
    let log = served.stderr.clone();
    eventually("the passthrough line", || {
        log.lock().unwrap().iter().any(|l| l.contains("passthrough: declared gzip, body is not"))
    })
    .await;
}
