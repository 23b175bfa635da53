//! Requests to trackers are answered by trackstrip and never connect upstream; tracking
//! parameters never leave the machine.

use crate::proxy_support::{Origin, Proxy, full, pins};
use hyper::Response;
use std::net::IpAddr;

const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// A "tracker sink": every tracker host name resolves to it; it must never see a connection.
async fn sink() -> Origin {
    Origin::start(|_| async move { Response::new(full("tracked!")) }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracker_requests_never_leave_the_machine() {
    let sink = sink().await;
    let hosts = [
        "b.scorecardresearch.com",
        "www.google-analytics.com",
        "www.googletagmanager.com",
        "connect.facebook.net",
        "www.facebook.com",
        "pixel.quantserve.com",
        "smetrics.news.example",
    ];
    let p: Vec<(&str, IpAddr)> = hosts.iter().map(|h| (*h, LOCAL)).collect();
    let proxy = Proxy::start(|c| c.upstream.pins = pins(&p)).await;
    let c = proxy.client();
    let port = sink.addr.port();
    // (URL, request headers, status, content type of the answer)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], u16, Option<&'a str>);
    let cases: &[Case] = &[
        ("http://b.scorecardresearch.com:{port}/p?c1=2", &[("sec-fetch-dest", "image")], 200, Some("image/gif")),
        ("http://b.scorecardresearch.com:{port}/p?c1=2", &[], 204, None),
        ("http://www.google-analytics.com:{port}/collect?v=1", &[("sec-fetch-dest", "empty")], 204, None),
        (
            "http://www.google-analytics.com:{port}/analytics.js",
            &[("sec-fetch-dest", "script")],
            200,
            Some("application/javascript; charset=utf-8"),
        ),
        (
            "http://www.googletagmanager.com:{port}/gtag/js?id=G-1",
            &[("sec-fetch-dest", "script")],
            200,
            Some("application/javascript; charset=utf-8"),
        ),
        (
            "http://connect.facebook.net:{port}/en_US/fbevents.js",
            &[("accept", "*/*")],
            200,
            Some("application/javascript; charset=utf-8"),
        ),
        ("http://www.facebook.com:{port}/tr?id=1&ev=PageView", &[("sec-fetch-dest", "image")], 200, Some("image/gif")),
        ("http://pixel.quantserve.com:{port}/x.css", &[("sec-fetch-dest", "style")], 200, Some("text/css")),
        ("http://b.scorecardresearch.com:{port}/beacon", &[("sec-fetch-dest", "iframe")], 204, None),
        // A site's own collection host (the subdomains rule), asked for by the site's page.
        (
            "http://smetrics.news.example:{port}/id?d_visid_ver=5.2.0",
            &[("sec-fetch-dest", "image"), ("referer", "http://www.news.example/story")],
            200,
            Some("image/gif"),
        ),
    ];
    for (url, headers, status, ctype) in cases {
        let url = url.replace("{port}", &port.to_string());
        let mut req = c.get(&url);
        for (k, v) in *headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), *status, "{url}");
        assert_eq!(resp.headers().get("content-type").map(|v| v.to_str().unwrap()), *ctype, "{url}");
        assert!(resp.headers()["x-trackstrip"].to_str().unwrap().starts_with("blocked; rule=rules/trackers.toml:"));
        let body = resp.bytes().await.unwrap();
        if ctype == &Some("image/gif") {
            assert!(body.starts_with(b"GIF89a") && body.len() == 43);
        }
        if ctype.is_some_and(|c| c.contains("javascript")) {
            assert!(!body.is_empty() && !body.windows(4).any(|w| w == b"http"), "a no-op surrogate: it loads nothing");
        }
    }
    assert_eq!(sink.connections(), 0, "no blocked request reached the tracker");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_navigation_to_a_tracker_site_is_fetched() {
    let sink = sink().await;
    let proxy = Proxy::start(|c| c.upstream.pins = pins(&[("www.google-analytics.com", LOCAL)])).await;
    let url = format!("http://www.google-analytics.com:{}/", sink.addr.port());
    let resp = proxy
        .client()
        .get(&url)
        .header("sec-fetch-mode", "navigate")
        .header("sec-fetch-dest", "document")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "tracked!");
    assert_eq!(sink.connections(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracking_parameters_are_removed_from_requests() {
    let origin = Origin::start(|req| async move { Response::new(full(req.uri().to_string())) }).await;
    let proxy = Proxy::start(|_| {}).await;
    let seen = proxy
        .client()
        .get(origin.url("/story?id=7&utm_source=tw&fbclid=XYZ&page=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(seen, "/story?id=7&page=2");
    let seen = proxy.client().get(origin.url("/a?gclid=1")).send().await.unwrap().text().await.unwrap();
    assert_eq!(seen, "/a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_party_requests_on_a_tracker_site_pass() {
    let sink = sink().await;
    let proxy = Proxy::start(|c| c.upstream.pins = pins(&[("www.google-analytics.com", LOCAL)])).await;
    let url = format!("http://www.google-analytics.com:{}/app.js", sink.addr.port());
    let resp = proxy
        .client()
        .get(&url)
        .header("referer", "http://www.google-analytics.com/")
        .header("sec-fetch-dest", "script")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "tracked!", "the site's own script is first-party");
}
