//! CNAME uncloaking: names resolved through a real DNS client (a test server on 127.0.0.1),
//! and a first-party name that is an alias of a tracker blocked or stripped as that tracker.

use crate::dns_server::{DnsServer, Entry};
use crate::proxy_support::{Origin, Proxy, eventually, html};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use trackstrip::upstream::{Dns, DnsSettings, Pins};

const LOCAL: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// The zone of every test here: Adobe behind first-party names, a plain CDN alias, and
/// names that fail in each way a resolver meets.
async fn zone() -> DnsServer {
    DnsServer::start(&[
        ("smetrics.news.test", Entry::Cname("news.test.sc.omtrdc.net")),
        ("t.news.test", Entry::Cname("edge.news.test")),
        ("edge.news.test", Entry::Cname("news.test.sc.omtrdc.net")),
        ("news.test.sc.omtrdc.net", Entry::A(LOCAL)),
        ("www.news.test", Entry::Cname("news-test.cdn.example")),
        ("news-test.cdn.example", Entry::A(LOCAL)),
        ("news.test", Entry::A(LOCAL)),
        ("big.news.test", Entry::TcpOnly(Box::new(Entry::Cname("news.test.sc.omtrdc.net")))),
        ("late.news.test", Entry::Slow(Duration::from_millis(1500), Box::new(Entry::Cname("late.sc.omtrdc.net")))),
        ("late.sc.omtrdc.net", Entry::A(LOCAL)),
        ("gone.news.test", Entry::NxDomain),
        ("broken.news.test", Entry::ServFail),
        ("loop1.news.test", Entry::Cname("loop2.news.test")),
        ("loop2.news.test", Entry::Cname("loop1.news.test")),
    ])
    .await
}

fn dns(server: &DnsServer, timeout_ms: u64) -> Arc<Dns> {
    let settings = DnsSettings { servers: vec![server.addr], timeout_ms, ..DnsSettings::default() };
    Arc::new(Dns::new(&settings, Pins::default()).expect("resolver"))
}

/// An origin that counts its requests and serves `page` for every path.
async fn counting_origin(page: &'static str) -> (Origin, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let origin = Origin::start(move |_| {
        h.fetch_add(1, Ordering::SeqCst);
        async move { html(page) }
    })
    .await;
    (origin, hits)
}

async fn get(client: &reqwest::Client, url: &str) -> reqwest::Response {
    client.get(url).header("referer", "http://news.test/story").header("accept", "image/*").send().await.unwrap()
}

fn said(resp: &reqwest::Response) -> String {
    resp.headers().get("x-trackstrip").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_party_alias_of_a_tracker_is_blocked_and_the_chain_named() {
    let server = zone().await;
    let (origin, hits) = counting_origin("<p>page</p>").await;
    let port = origin.addr.port();
    let resolver = dns(&server, 3000);
    let proxy = Proxy::start(|c| c.upstream.dns = Some(resolver)).await;
    let client = proxy.client();

    // No name pattern knows `t.news.test`: only its chain shows Adobe.
    let resp = get(&client, &format!("http://t.news.test:{port}/hit?v=1")).await;
    let header = said(&resp);
    assert!(header.starts_with("blocked; rule="), "{header}");
    assert!(header.contains("via CNAME t.news.test -> edge.news.test -> news.test.sc.omtrdc.net"), "{header}");
    // `smetrics.` is also a name pattern; the chain, when DNS knows it, is what is reported.
    let resp = get(&client, &format!("http://smetrics.news.test:{port}/hit?v=1")).await;
    assert!(said(&resp).contains("via CNAME smetrics.news.test -> news.test.sc.omtrdc.net"), "{}", said(&resp));
    // A truncated UDP answer is asked again over TCP.
    let resp = get(&client, &format!("http://big.news.test:{port}/img/a.jpg")).await;
    assert!(said(&resp).contains("via CNAME big.news.test -> news.test.sc.omtrdc.net"), "{}", said(&resp));
    assert_eq!(hits.load(Ordering::SeqCst), 0, "no tracker request reached the origin");

    // A CDN alias is fetched as usual, through the same resolver.
    let resp = get(&client, &format!("http://www.news.test:{port}/img/photo.jpg")).await;
    assert_eq!(resp.status(), 200);
    assert!(!said(&resp).contains("blocked"), "{}", said(&resp));
    assert_eq!(resp.text().await.unwrap(), "<p>page</p>");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let asked = server.asked();
    assert!(asked.iter().any(|q| q == "big.news.test A"), "{asked:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_lookups_and_loops_block_nothing_and_end_in_an_answer() {
    let server = zone().await;
    let resolver = dns(&server, 3000);
    let proxy = Proxy::start(|c| c.upstream.dns = Some(resolver)).await;
    let client = proxy.client();
    for host in ["gone.news.test", "broken.news.test", "loop1.news.test"] {
        let resp = get(&client, &format!("http://{host}:9/img/a.jpg")).await;
        assert_eq!(resp.status(), 502, "{host}: not a tracker, and no address to reach");
        assert!(!said(&resp).contains("blocked"), "{host}: {}", said(&resp));
    }
}

/// An answer later than the deadline lets the request go on unjudged by DNS; once the answer
/// is in, the next request to that name is blocked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_answer_lets_the_request_through_then_blocks_the_next() {
    let server = zone().await;
    let (origin, hits) = counting_origin("<p>pixel</p>").await;
    let url = format!("http://late.news.test:{}/img/a.jpg", origin.addr.port());
    let resolver = dns(&server, 200);
    let proxy = Proxy::start(|c| c.upstream.dns = Some(resolver.clone())).await;
    let client = proxy.client();
    let first = get(&client, &url).await;
    assert_eq!(first.status(), 200, "the deadline passed: the request went through");
    assert!(!said(&first).contains("blocked"), "{}", said(&first));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    eventually("the late answer is cached", || resolver.known("late.news.test").is_some_and(|c| !c.is_empty())).await;
    let second = get(&client, &url).await;
    assert!(said(&second).contains("via CNAME late.news.test -> late.sc.omtrdc.net"), "{}", said(&second));
    assert_eq!(hits.load(Ordering::SeqCst), 1, "the second never reached the origin");
}

/// In a page, an element whose host DNS has shown to be a tracker is stripped, with the chain
/// in the event; a host not yet known is looked up in the background, never waited for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stripper_uses_what_dns_knows_and_looks_up_the_rest() {
    let server = zone().await;
    let page = "<p>story</p><img src=\"/logo.png\"><img src=\"http://t.news.test/hit?v=1\">\
                <img src=\"http://smetrics.news.test/hit?v=2\"><img src=\"http://www.news.test/photo.jpg\">";
    let (origin, _) = counting_origin(page).await;
    let resolver = dns(&server, 3000);
    let proxy = Proxy::start(|c| c.upstream.dns = Some(resolver.clone())).await;
    let client = proxy.client();
    let page_url = format!("http://news.test:{}/story", origin.addr.port());

    let first = client.get(&page_url).send().await.unwrap().text().await.unwrap();
    assert!(first.contains("t.news.test"), "not yet known: kept, not waited for");
    assert!(!first.contains("smetrics.news.test"), "the name pattern still applies meanwhile");
    eventually("the page's hosts are looked up", || {
        resolver.known("t.news.test").is_some() && resolver.known("www.news.test").is_some()
    })
    .await;
    let second = client.get(&page_url).send().await.unwrap().text().await.unwrap();
    assert!(!second.contains("t.news.test/hit"), "{second}");
    assert!(second.contains("www.news.test/photo.jpg") && second.contains("<p>story</p>"), "{second}");
}

/// `serve --dns-server`: the flag reaches the proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_resolves_with_the_named_server() {
    let server = zone().await;
    let (origin, hits) = counting_origin("<p>page</p>").await;
    let data = tempfile::tempdir().unwrap();
    let dns_arg = server.addr.to_string();
    let served = crate::serve_cli::Served::spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--no-intercept",
        "--dns-server",
        &dns_arg,
    ]);
    crate::proxy_support::install_crypto();
    let client = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(format!("http://{}", served.addr)).unwrap())
        .build()
        .unwrap();
    let port = origin.addr.port();
    let blocked = get(&client, &format!("http://t.news.test:{port}/hit?v=1")).await;
    assert!(said(&blocked).contains("via CNAME t.news.test -> edge.news.test -> news.test.sc.omtrdc.net"));
    let fetched = get(&client, &format!("http://www.news.test:{port}/")).await;
    assert_eq!(fetched.text().await.unwrap(), "<p>page</p>");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let mut child = served.child;
    let _ = child.kill();
    let _ = child.wait();
}

/// `strip --resolve-cnames`: offline unless asked; asked, the page's hosts are looked up first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strip_resolves_cnames_only_when_asked() {
    let server = zone().await;
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, "<p>story</p><img src=\"https://t.news.test/hit?v=1\"><img src=\"/logo.png\">").unwrap();
    let events = dir.path().join("events.jsonl");
    let offline = strip_cli(&page, &events, &[]).await;
    assert!(offline.contains("t.news.test"), "{offline}");
    assert!(server.asked().is_empty(), "offline means no lookup");
    let addr = server.addr.to_string();
    let resolved = strip_cli(&page, &events, &["--resolve-cnames", "--dns-server", &addr]).await;
    assert!(!resolved.contains("t.news.test"), "{resolved}");
    assert!(resolved.contains("<p>story</p><img src=\"/logo.png\">"), "{resolved}");
    let ev = std::fs::read_to_string(&events).unwrap();
    assert!(ev.contains("\"via_cname\":\"via CNAME t.news.test → edge.news.test → news.test.sc.omtrdc.net\""), "{ev}");
}

/// `trackstrip strip` on `page` (off the runtime's threads: the DNS server runs on them).
async fn strip_cli(page: &std::path::Path, events: &std::path::Path, extra: &[&str]) -> String {
    let mut cmd = crate::support::trackstrip_cmd();
    cmd.args(["strip", "--url", "https://news.test/story", "--events"]).arg(events).args(extra).arg(page);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}
