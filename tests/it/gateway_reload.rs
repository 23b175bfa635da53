//! Rules that change while the proxy runs (a swap that spares in-flight pages, a broken file
//! that keeps the old rules), report-only mode, and per-site allowlists.

use crate::proxy_support::{Origin, Proxy, channel_body, html, pins};
use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Mutex;
use trackstrip::reload::Reloader;
use trackstrip::rules::{LiveRules, RuleOptions};
use trackstrip::telemetry::Telemetry;

const NEW_TRACKER: &str = "<script src=\"https://cdn.newtracker.test/t.js\"></script>";
const LOCAL_RULES: &str = "format = 1\n[[tracker]]\nname = \"New Tracker\"\nowner = \"NewCo\"\ncategory = \"analytics\"\nhosts = [\"newtracker.test\"]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_swaps_rules_for_new_requests_and_spares_in_flight_ones() {
    let dir = tempfile::tempdir().unwrap();
    let rules_file = dir.path().join("local-trackers.toml");
    let live =
        Arc::new(LiveRules::load(RuleOptions { rules_dir: Some(dir.path().into()), ..Default::default() }).unwrap());
    // /slow streams: the test sends its chunks when it wants.
    let slow = Arc::new(Mutex::new(None));
    let s = slow.clone();
    let origin = Origin::start(move |req| {
        let s = s.clone();
        async move {
            if req.uri().path() == "/slow" {
                let (tx, body) = channel_body();
                *s.lock().await = Some(tx);
                let mut resp = html("");
                *resp.body_mut() = body;
                return resp;
            }
            html(format!("<p>fast</p>{NEW_TRACKER}"))
        }
    })
    .await;
    let proxy = Proxy::start_with(
        trackstrip::proxy::ProxyConfig { listen: vec!["127.0.0.1:0".parse().unwrap()], ..Default::default() },
        live.clone(),
    )
    .await;
    let client = proxy.client();

    // A page starts streaming under the bundled rules (which don't know newtracker.test)...
    let mut in_flight = client.get(origin.url("/slow")).send().await.unwrap();
    let tx = loop {
        if let Some(tx) = slow.lock().await.take() {
            break tx;
        }
        tokio::task::yield_now().await;
    };
    let mut first_half = String::from("<html><body><p>first half</p>\n");
    while first_half.len() < 4096 {
        first_half.push_str("<p>The page streams while the origin is still sending.</p>\n");
    }
    tx.send(Bytes::from(first_half)).await.unwrap();
    let first = in_flight.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("first half"), "the page is flowing");

    // ...the rules change under it...
    std::fs::write(&rules_file, LOCAL_RULES).unwrap();
    let reloader = Reloader { rules: live.clone(), users: None, telemetry: Arc::new(Telemetry::new()) };
    assert!(reloader.reload("test"));

    // ...and it finishes on the rules it started with, without an error.
    tx.send(Bytes::from(format!("{NEW_TRACKER}<p>second half</p></body></html>"))).await.unwrap();
    drop(tx);
    let mut rest = Vec::new();
    while let Some(c) = in_flight.chunk().await.unwrap() {
        rest.extend_from_slice(&c);
    }
    let rest = String::from_utf8(rest).unwrap();
    assert!(rest.contains("second half") && rest.contains("newtracker.test"), "old rules for the old page: {rest}");

    // A new request sees the new rules.
    let fresh = client.get(origin.url("/fast")).send().await.unwrap().text().await.unwrap();
    assert!(fresh.contains("fast") && !fresh.contains("newtracker.test"), "{fresh}");
}

#[tokio::test]
async fn a_broken_file_keeps_the_old_rules_and_counts_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let rules_file = dir.path().join("local-trackers.toml");
    std::fs::write(&rules_file, LOCAL_RULES).unwrap();
    let live =
        Arc::new(LiveRules::load(RuleOptions { rules_dir: Some(dir.path().into()), ..Default::default() }).unwrap());
    let telemetry = Arc::new(Telemetry::new());
    let reloader = Reloader { rules: live.clone(), users: None, telemetry: telemetry.clone() };

    std::fs::write(&rules_file, "format = 1\n[[tracker]]\nname = \"Broken\"\nhosts = \"not a list\"\n").unwrap();
    assert!(!reloader.reload("test"), "the reload reports failure");
    let err = live.reload().err().expect("the file is broken").to_string();
    assert!(err.contains("local-trackers.toml:"), "the error names file:line: {err}");
    assert!(telemetry.render().contains("trackstrip_rules_reload_failures_total 1"));

    // The rules loaded before the break still apply.
    let origin = Origin::start(|_| async { html(format!("<p>x</p>{NEW_TRACKER}")) }).await;
    let proxy = Proxy::start_with(
        trackstrip::proxy::ProxyConfig { listen: vec!["127.0.0.1:0".parse().unwrap()], ..Default::default() },
        live,
    )
    .await;
    let body = proxy.client().get(origin.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(!body.contains("newtracker.test"), "{body}");
}

#[tokio::test]
async fn report_only_changes_nothing_but_counts_everything() {
    const PAGE: &str = "<html><body><p>story</p>\
        <img height=\"1\" width=\"1\" style=\"display:none\" src=\"http://b.scorecardresearch.com/p?c1=2\">\
        <a href=\"/next?utm_source=x\">next</a></body></html>";
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let origin = Origin::start(move |req| {
        if req.uri().host() == Some("b.scorecardresearch.com") || req.uri().path() == "/p" {
            h.fetch_add(1, Ordering::SeqCst);
        }
        async { html(PAGE) }
    })
    .await;
    let proxy = Proxy::start(|c| {
        c.enforce = false;
        c.upstream.pins = pins(&[("b.scorecardresearch.com", origin.addr.ip()), ("news.test", origin.addr.ip())]);
    })
    .await;
    let client = proxy.client();
    let page = format!("http://news.test:{}/story", origin.addr.port());
    let body = client.get(&page).send().await.unwrap().text().await.unwrap();
    assert_eq!(body, PAGE, "report-only: the page is untouched");
    let beacon = format!("http://b.scorecardresearch.com:{}/p?c1=2", origin.addr.port());
    let r = client.get(&beacon).header("referer", &page).header("sec-fetch-dest", "image").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(hits.load(Ordering::SeqCst), 1, "report-only: the tracker request went through");

    let m = proxy.telemetry().render();
    assert!(
        m.contains("trackstrip_trackers_stripped_total{owner=\"comScore\",category=\"analytics\",mode=\"report\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("trackstrip_requests_blocked_total{owner=\"comScore\",category=\"analytics\",mode=\"report\"} 1"),
        "{m}"
    );
    assert!(!m.contains("mode=\"enforce\""), "{m}");
    let summary = proxy.telemetry().recent.summary(10, 10);
    assert!(summary.recent.iter().all(|e| !e.enforced));
}

#[tokio::test]
async fn allowed_sites_are_neither_stripped_nor_blocked() {
    const PAGE: &str = "<p>intranet</p><img width=1 height=1 src=\"http://b.scorecardresearch.com/p\">";
    let origin = Origin::start(|req| async move {
        if req.uri().path() == "/p" {
            return hyper::Response::builder()
                .header("content-type", "image/gif")
                .body(crate::proxy_support::full("GIF89a"))
                .unwrap();
        }
        html(PAGE)
    })
    .await;
    let proxy = Proxy::start(|c| {
        c.allow_sites = vec!["intranet.example".into()];
        c.upstream.pins = pins(&[
            ("wiki.intranet.example", origin.addr.ip()),
            ("news.test", origin.addr.ip()),
            ("b.scorecardresearch.com", origin.addr.ip()),
        ]);
    })
    .await;
    let client = proxy.client();
    let port = origin.addr.port();
    let allowed =
        client.get(format!("http://wiki.intranet.example:{port}/")).send().await.unwrap().text().await.unwrap();
    assert_eq!(allowed, PAGE);
    let other = client.get(format!("http://news.test:{port}/")).send().await.unwrap().text().await.unwrap();
    assert!(!other.contains("scorecardresearch"), "{other}");
    let beacon = format!("http://b.scorecardresearch.com:{port}/p");
    let from_allowed = client.get(&beacon).header("referer", format!("http://wiki.intranet.example:{port}/")).send();
    assert!(from_allowed.await.unwrap().headers().get("x-trackstrip").is_none(), "fetched, not blocked");
    let from_other = client.get(&beacon).header("referer", format!("http://news.test:{port}/")).send();
    assert!(from_other.await.unwrap().headers()["x-trackstrip"].to_str().unwrap().starts_with("blocked"));
}
