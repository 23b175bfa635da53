//! The response path: HTML streams through the stripper (any Content-Encoding), everything
//! else passes byte for byte, headers are fixed for a rewritten body.

use crate::proxy_support::{Origin, Proxy, channel_body, full, html};
use crate::support::{bundled, page, read_fixture};
use bytes::Bytes;
use hyper::Response;
use tokio::io::AsyncReadExt;
use trackstrip::strip::{StripOptions, strip_bytes};

fn stripped(url: &str, input: &[u8]) -> Vec<u8> {
    strip_bytes(bundled(), page(url), StripOptions::default(), input).0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_bytes_arrive_while_the_origin_is_still_sending() {
    let (tx, body) = channel_body();
    let body = std::sync::Mutex::new(Some(body));
    let origin = Origin::start(move |_| {
        let b = body.lock().unwrap().take().expect("one request");
        async move { Response::builder().header("content-type", "text/html").body(b).unwrap() }
    })
    .await;
    let proxy = Proxy::start(|_| {}).await;
    let mut first = String::from("<!DOCTYPE html><html><body>");
    while first.len() < 4096 {
        first.push_str("<p>Streaming is the point.</p>\n");
    }
    tx.send(Bytes::from(first.clone())).await.unwrap();
    let mut resp = proxy.client().get(origin.url("/page.html")).send().await.unwrap();
    // The origin has sent only its first chunk and is waiting: the page must already flow.
    let mut got = Vec::new();
    while got.len() < 2048 {
        got.extend_from_slice(&resp.chunk().await.unwrap().expect("a chunk before the origin finished"));
    }
    assert!(first.as_bytes().starts_with(&got[..2048]));
    tx.send(Bytes::from_static(b"<img src=\"https://b.scorecardresearch.com/p\" width=1 height=1></body></html>"))
        .await
        .unwrap();
    drop(tx);
    while let Some(c) = resp.chunk().await.unwrap() {
        got.extend_from_slice(&c);
    }
    let text = String::from_utf8(got).unwrap();
    assert!(text.ends_with("</body></html>") && !text.contains("scorecardresearch"), "{}", &text[text.len() - 80..]);
}

async fn decode(coding: &str, data: &[u8]) -> Vec<u8> {
    use async_compression::tokio::bufread as d;
    let mut out = Vec::new();
    match coding {
        "gzip" => d::GzipDecoder::new(data).read_to_end(&mut out).await,
        "deflate" => d::ZlibDecoder::new(data).read_to_end(&mut out).await,
        "br" => d::BrotliDecoder::new(data).read_to_end(&mut out).await,
        "zstd" => d::ZstdDecoder::new(data).read_to_end(&mut out).await,
        _ => unreachable!(),
    }
    .unwrap();
    out
}

async fn encode(coding: &str, data: &[u8]) -> Vec<u8> {
    use async_compression::tokio::bufread as e;
    let mut out = Vec::new();
    match coding {
        "gzip" => e::GzipEncoder::new(data).read_to_end(&mut out).await,
        "deflate" => e::ZlibEncoder::new(data).read_to_end(&mut out).await,
        "br" => e::BrotliEncoder::new(data).read_to_end(&mut out).await,
        "zstd" => e::ZstdEncoder::new(data).read_to_end(&mut out).await,
        _ => unreachable!(),
    }
    .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_content_encoding_round_trips() {
    let page_bytes = read_fixture("corpus/sh-thehill.com-156770d6.html");
    let origin = Origin::start(move |req| {
        let page_bytes = page_bytes.clone();
        async move {
            let coding = req.uri().path().trim_start_matches('/').to_string();
            let body = encode(&coding, &page_bytes).await;
            Response::builder()
                .header("content-type", "text/html; charset=utf-8")
                .header("content-encoding", coding)
                .header("content-length", body.len())
                .header("etag", "\"v1\"")
                .header("content-security-policy", "default-src 'self'")
                .body(full(body))
                .unwrap()
        }
    })
    .await;
    let proxy = Proxy::start(|_| {}).await;
    let want = stripped(&origin.url("/gzip"), &read_fixture("corpus/sh-thehill.com-156770d6.html"));
    for coding in ["gzip", "deflate", "br", "zstd"] {
        let resp = proxy.client().get(origin.url(&format!("/{coding}"))).send().await.unwrap();
        assert_eq!(resp.headers()["content-encoding"], coding);
        assert!(resp.headers().get("content-length").is_none(), "{coding}: length of the original body dropped");
        assert_eq!(resp.headers()["etag"], "W/\"v1\"");
        assert_eq!(resp.headers()["content-security-policy"], "default-src 'self'", "CSP kept");
        assert_eq!(resp.headers()["x-trackstrip"], "stripping");
        let body = decode(coding, &resp.bytes().await.unwrap()).await;
        assert!(body == want, "{coding}: the decoded page is the stripped page");
    }
    // Each passed the encoding probe (`passthrough.rs` has the bodies that don't).
    assert!(!proxy.telemetry().render().contains("trackstrip_passthrough_total{"), "no passthrough counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_html_passes_byte_for_byte() {
    let blob: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let js = b"var x = '<img src=https://b.scorecardresearch.com/p width=1 height=1>';".to_vec();
    let (b2, j2) = (blob.clone(), js.clone());
    let origin = Origin::start(move |req| {
        let (ctype, body) = match req.uri().path() {
            "/blob" => ("application/octet-stream", b2.clone()),
            "/app.js" => ("application/javascript", j2.clone()),
            _ => ("text/plain", b"<img src=https://b.scorecardresearch.com/p>".to_vec()),
        };
        async move {
            Response::builder()
                .header("content-type", ctype)
                .header("content-length", body.len())
                .body(full(body))
                .unwrap()
        }
    })
    .await;
    let proxy = Proxy::start(|_| {}).await;
    for (path, want) in
        [("/blob", blob), ("/app.js", js), ("/text", b"<img src=https://b.scorecardresearch.com/p>".to_vec())]
    {
        let resp = proxy.client().get(origin.url(path)).send().await.unwrap();
        assert_eq!(resp.headers()["content-length"], want.len().to_string().as_str(), "{path}");
        assert!(resp.headers().get("x-trackstrip").is_none());
        assert!(resp.bytes().await.unwrap() == want, "{path} changed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_204_304_have_no_body() {
    let origin = Origin::start(|req| async move {
        match req.uri().path() {
            "/204" => Response::builder().status(204).body(full("")).unwrap(),
            "/304" => Response::builder().status(304).header("etag", "\"a\"").body(full("")).unwrap(),
            _ => Response::builder().header("content-type", "text/html").body(full("<p>HEAD has no body</p>")).unwrap(),
        }
    })
    .await;
    let proxy = Proxy::start(|_| {}).await;
    let c = proxy.client();
    let resp = c.head(origin.url("/page")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-length"], "23", "HEAD keeps the entity headers");
    assert!(resp.bytes().await.unwrap().is_empty());
    let resp = c.get(origin.url("/204")).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    assert!(resp.bytes().await.unwrap().is_empty());
    let resp = c.get(origin.url("/304")).header("if-none-match", "\"a\"").send().await.unwrap();
    assert_eq!(resp.status(), 304);
    assert_eq!(resp.headers()["etag"], "\"a\"");
    assert!(resp.bytes().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_headers_to_trackers_are_dropped_and_via_added() {
    let origin = Origin::start(|_| async move {
        let mut r = html("<p>x</p>");
        r.headers_mut().append("link", "<https://www.googletagmanager.com>; rel=preconnect".parse().unwrap());
        r.headers_mut().append("link", "</style.css>; rel=preload; as=style".parse().unwrap());
        r
    })
    .await;
    let proxy = Proxy::start(|_| {}).await;
    let resp = proxy.client().get(origin.url("/")).send().await.unwrap();
    let links: Vec<_> = resp.headers().get_all("link").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    assert_eq!(links, vec!["</style.css>; rel=preload; as=style"]);
    assert!(resp.headers()["via"].to_str().unwrap().ends_with("trackstrip"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_only_changes_nothing() {
    let seed = read_fixture("corpus/seed.html");
    let s2 = seed.clone();
    let origin = Origin::start(move |_| {
        let s = s2.clone();
        async move { html(s) }
    })
    .await;
    let proxy = Proxy::start(|c| c.enforce = false).await;
    let body = proxy.client().get(origin.url("/seed.html")).send().await.unwrap().bytes().await.unwrap();
    assert!(body == seed);
}
