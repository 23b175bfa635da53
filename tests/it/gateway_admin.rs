//! The admin listener: Prometheus metrics that move, health and readiness, the PAC file, and
//! the dashboard, loaded in a real headless Chromium.

use crate::browser::dump_dom;
use crate::proxy_support::{Origin, Proxy, html, pins};
use std::net::SocketAddr;
use tokio::sync::watch;
use trackstrip::admin::{AdminListener, PacConfig};
use trackstrip::proxy::ProxyConfig;

const ARTICLE: &str = "<html><body><h1>Council votes on the new bridge</h1>\
    <script async src=\"https://www.googletagmanager.com/gtag/js?id=G-1\"></script>\
    <img height=\"1\" width=\"1\" style=\"display:none\" src=\"http://b.scorecardresearch.com/p?c1=2&c2=1\">\
    <p>The council approved the plan on Tuesday.</p></body></html>";

struct Gateway {
    proxy: Proxy,
    admin: SocketAddr,
    _stop: watch::Sender<bool>,
}

async fn gateway(tweak: impl FnOnce(&mut ProxyConfig), pac: PacConfig) -> Gateway {
    let admin = AdminListener::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = admin.addr;
    let proxy = Proxy::start(|c| {
        c.refused_addrs = vec![addr];
        tweak(c);
    })
    .await;
    let (stop, stopped) = watch::channel(false);
    admin.spawn(proxy.listening.state(), pac, stopped);
    Gateway { proxy, admin: addr, _stop: stop }
}

async fn get(url: String) -> (u16, String, String) {
    let r = reqwest::get(url).await.unwrap();
    let ctype = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (r.status().as_u16(), ctype, r.text().await.unwrap())
}

/// The value of one sample line, e.g. `trackstrip_requests_total{action="strip",status="2xx"}`.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok())).unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_health_and_counters_that_move() {
    let origin = Origin::start(|_| async { html(ARTICLE) }).await;
    // The tracker is pinned to loopback too: were it not blocked, the fetch would stay local.
    let local = [("news.test", origin.addr.ip()), ("b.scorecardresearch.com", origin.addr.ip())];
    let gw = gateway(|c| c.upstream.pins = pins(&local), PacConfig::default()).await;
    let admin = gw.admin;
    assert_eq!(get(format!("http://{admin}/healthz")).await.0, 200);
    assert_eq!(get(format!("http://{admin}/readyz")).await.0, 200);
    assert_eq!(get(format!("http://{admin}/nothing")).await.0, 404);

    let (status, ctype, before) = get(format!("http://{admin}/metrics")).await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
    assert!(before.contains("trackstrip_rules_version{version="), "{before}");
    assert!(before.trim_end().ends_with("# EOF"));

    let page = format!("http://news.test:{}/story", origin.addr.port());
    let client = gw.proxy.client();
    for _ in 0..2 {
        let body = client.get(&page).send().await.unwrap().text().await.unwrap();
        assert!(body.contains("Council votes") && !body.contains("scorecardresearch"));
    }
    // A request straight to a tracker is blocked.
    let blocked = client.get("http://b.scorecardresearch.com/p?c1=2").send().await.unwrap();
    assert!(blocked.headers()["x-trackstrip"].to_str().unwrap().starts_with("blocked"));

    let (_, _, after) = get(format!("http://{admin}/metrics")).await;
    let strip = "trackstrip_requests_total{action=\"strip\",status=\"2xx\"}";
    assert_eq!(sample(&after, strip) - sample(&before, strip), 2.0, "{after}");
    let comscore = "trackstrip_trackers_stripped_total{owner=\"comScore\",category=\"analytics\",mode=\"enforce\"}";
    assert_eq!(sample(&after, comscore), 2.0, "{after}");
    let google = "trackstrip_trackers_stripped_total{owner=\"Google\"";
    assert!(after.contains(google), "{after}");
    let blocked = "trackstrip_requests_blocked_total{owner=\"comScore\",category=\"analytics\",mode=\"enforce\"}";
    assert_eq!(sample(&after, blocked), 1.0);
    assert!(sample(&after, "trackstrip_bytes_total{direction=\"out\"}") > 0.0);
    assert!(after.contains("trackstrip_request_duration_seconds_bucket{le=\"+Inf\",action=\"strip\"} 2"));
    assert!(after.contains("trackstrip_open_connections "));

    // An upstream failure is counted by kind.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let resp = client.get(format!("http://{dead}/")).send().await.unwrap();
    assert_eq!(resp.status(), 502);
    let (_, _, last) = get(format!("http://{admin}/metrics")).await;
    assert_eq!(sample(&last, "trackstrip_upstream_errors_total{kind=\"refused\"}"), 1.0, "{last}");
}

#[tokio::test]
async fn the_pac_file_sends_browsers_through_the_proxy() {
    let pac = PacConfig {
        proxy: None,
        port: 3128,
        bypass: vec!["intranet.example".into(), "10.0.0.0/8".into(), "<local>".into()],
        fallback_direct: false,
    };
    let gw = gateway(|_| {}, pac).await;
    let client = reqwest::Client::new();
    // /wpad.dat is where WPAD auto-discovery (DHCP option 252, DNS wpad.<domain>) looks.
    let mut served = Vec::new();
    for path in ["/proxy.pac", "/wpad.dat"] {
        let url = format!("http://{}{path}", gw.admin);
        let resp = client.get(&url).header("host", "gateway.corp.example:9090").send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers()["content-type"], "application/x-ns-proxy-autoconfig", "{path}");
        let pac = resp.text().await.unwrap();
        assert!(pac.contains("function FindProxyForURL(url, host)"), "{pac}");
        assert!(pac.contains("return \"PROXY gateway.corp.example:3128\";"), "{pac}");
        assert!(pac.contains("dnsDomainIs(host, \".intranet.example\")"));
        assert!(pac.contains("isInNet(host, \"10.0.0.0\", \"255.0.0.0\")"));
        assert!(pac.contains("isPlainHostName(host)"));
        served.push(pac);
    }
    assert_eq!(served[0], served[1], "one file under both names");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_a_stripped_page_in_a_real_browser() {
    let origin = Origin::start(|_| async { html(ARTICLE) }).await;
    let gw = gateway(|c| c.upstream.pins = pins(&[("news.test", origin.addr.ip())]), PacConfig::default()).await;
    let page = format!("http://news.test:{}/council-bridge", origin.addr.port());
    gw.proxy.client().get(&page).send().await.unwrap().text().await.unwrap();

    let (_, _, text) = get(format!("http://{}/api/summary", gw.admin)).await;
    let summary: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(summary["totals"]["pages_with_trackers"], 1);
    assert_eq!(summary["recent"][0]["url"], page.as_str());

    let url = format!("http://{}/", gw.admin);
    let dom = tokio::task::spawn_blocking(move || dump_dom(&url, &["--no-proxy-server"], 5000)).await.unwrap();
    assert!(dom.contains(&page), "the stripped page is listed: {dom}");
    assert!(dom.contains("comScore"), "with what was stripped from it: {dom}");
    assert!(dom.contains("<b id=\"trackers_stripped\">2</b>"), "and the totals: {dom}");
    assert!(!dom.contains("cannot reach trackstrip"), "{dom}");
}
