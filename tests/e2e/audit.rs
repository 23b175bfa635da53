//! `trackstrip audit --browser`: a page whose trackers only arrive at run time (a tag loader
//! pulls in a tag manager, which pulls in analytics, which fires a beacon, a remarketing hit
//! that sets a third-party cookie, and a session recorder). Everything is served on loopback
//! over HTTPS by a "tracker site" that answers for every tracker name.

use crate::kit::{Origin, OriginCa};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};

const TRACKER_HOSTS: [&str; 4] =
    ["www.googletagmanager.com", "www.google-analytics.com", "stats.g.doubleclick.net", "static.hotjar.com"];

/// The trackers' side: each script loads the next one, as real tags do.
fn tracker_response(host: &str, path: &str) -> Response<Full<Bytes>> {
    let js = |body: &str| {
        Response::builder()
            .header("content-type", "application/javascript")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap()
    };
    match (host, path) {
        ("www.googletagmanager.com", "/gtm.js") => js("var s=document.createElement('script');\
             s.src='https://www.google-analytics.com/analytics.js';document.head.appendChild(s);"),
        ("www.google-analytics.com", "/analytics.js") => {
            js("navigator.sendBeacon('https://www.google-analytics.com/g/collect?v=2&tid=G-TEST1&en=page_view','x');\
             new Image().src='https://stats.g.doubleclick.net/j/collect?t=dc&tid=UA-1';\
             var h=document.createElement('script');h.src='https://static.hotjar.com/c/hotjar-1234.js?sv=6';document.head.appendChild(h);")
        }
        ("stats.g.doubleclick.net", "/j/collect") => Response::builder()
            .header("content-type", "image/gif")
            .header("set-cookie", "IDE=AHWqTUkTEST; Domain=.doubleclick.net; Path=/; SameSite=None; Secure")
            .body(Full::new(Bytes::from_static(b"GIF89a")))
            .unwrap(),
        ("static.hotjar.com", _) => js("/* session recorder */"),
        _ => Response::builder().status(204).body(Full::new(Bytes::new())).unwrap(),
    }
}

struct TrackerSite {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<String>>>,
}

impl TrackerSite {
    async fn start(ca: &OriginCa) -> TrackerSite {
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(ca.server_config_for(&TRACKER_HOSTS)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hits: Arc<Mutex<Vec<String>>> = Arc::default();
        let site = TrackerSite { addr: listener.local_addr().unwrap(), hits: hits.clone() };
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                let (acceptor, hits) = (acceptor.clone(), hits.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let host = req.uri().host().map(str::to_string).or_else(|| {
                            req.headers()
                                .get("host")
                                .and_then(|h| h.to_str().ok())
                                .map(|h| h.split(':').next().unwrap_or(h).to_string())
                        });
                        let host = host.unwrap_or_default();
                        hits.lock().unwrap().push(format!("{} {host}{}", req.method(), req.uri().path()));
                        let resp = tracker_response(&host, req.uri().path());
                        async move { Ok::<_, Infallible>(resp) }
                    });
                    let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                    let _ = builder.serve_connection(hyper_util::rt::TokioIo::new(tls), svc).await;
                });
            }
        });
        site
    }
}

/// What the browser audits here share: the site's origin, a site that records every other
/// name's requests, and `audit --browser` arguments pinning every name to them.
struct World {
    origin: Origin,
    trackers: TrackerSite,
    args: Vec<String>,
    /// Scratch space (the origin CA's file, URL lists, reports).
    dir: tempfile::TempDir,
}

impl World {
    async fn start() -> World {
        let ca = OriginCa::new();
        let origin = Origin::start(&ca).await;
        let trackers = TrackerSite::start(&ca).await;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ca.pem");
        std::fs::write(&root, &ca.pem).unwrap();
        let browser = crate::browser::chromium();
        let args = [
            "--browser",
            "--wait",
            "5",
            "--browser-path",
            browser.to_str().unwrap(),
            "--resolve",
            "news.example=127.0.0.1",
            "--resolve",
            &format!("*={}", trackers.addr),
            "--extra-root",
            root.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec();
        World { origin, trackers, args, dir }
    }

    /// `trackstrip audit` with the shared arguments and `extra`, off the runtime's threads.
    fn run(&self, extra: &[&str]) -> tokio::task::JoinHandle<(i32, String, String)> {
        let mut argv = self.args.clone();
        argv.extend(extra.iter().map(|s| s.to_string()));
        tokio::task::spawn_blocking(move || audit(&argv.iter().map(String::as_str).collect::<Vec<_>>()))
    }
}

fn audit(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trackstrip")).arg("audit").args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trackers_loaded_at_run_time_are_reported_and_compare_shows_them_gone() {
    let world = World::start().await;
    let (origin, trackers) = (&world.origin, &world.trackers);
    let url = origin.url("dynamic.html", false);
    let run = |extra: &[&str]| world.run(extra);
    let (code, stdout, stderr) = run(&["--compare", "--format", "json", &url]).await.unwrap();
    assert_eq!(code, 1, "trackers found: exit 1\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));

    // Every tracker arrived at run time, so only the listener could see them.
    let requests = report["observed"]["requests"].as_array().unwrap();
    let seen = |host: &str, path: &str| {
        requests.iter().find(|r| r["host"] == host && r["url"].as_str().unwrap_or("").contains(path)).cloned()
    };
    for (host, path) in [
        ("www.googletagmanager.com", "/gtm.js"),
        ("www.google-analytics.com", "/analytics.js"),
        ("stats.g.doubleclick.net", "/j/collect"),
        ("static.hotjar.com", "/c/hotjar"),
    ] {
        let r = seen(host, path).unwrap_or_else(|| panic!("{host}{path} not reported: {requests:#?}"));
        assert_eq!(r["third_party"], true);
        assert!(r["tracker"]["rule"].as_str().is_some_and(|s| !s.is_empty()), "{host}: no rule named");
    }
    let beacon = seen("www.google-analytics.com", "/g/collect").expect("the beacon");
    assert_eq!(beacon["method"], "POST", "sendBeacon is a POST");
    let remarketing = seen("stats.g.doubleclick.net", "/j/collect").unwrap();
    assert_eq!(remarketing["set_cookies"], serde_json::json!(["IDE"]), "the third-party cookie, by name only");

    let summary = &report["summary"];
    assert_eq!(summary["google_analytics_remarketing"]["found"], true, "{summary:#}");
    assert!(summary.to_string().contains("Hotjar"), "session recording named: {summary:#}");
    assert!(summary["third_party_cookies"]["count"].as_u64().unwrap_or(0) >= 1, "{summary:#}");

    // Enforcing: the tag manager is answered locally, so nothing after it ever loads.
    let enforced = report["enforced"]["requests"].as_array().unwrap();
    assert!(
        enforced.iter().all(|r| r["tracker"].is_null() || r["answered_locally"] == true),
        "a tracker reached the network while enforcing: {enforced:#?}"
    );
    let comparison = &report["comparison"];
    assert!(comparison.to_string().contains("static.hotjar.com"), "hosts gone: {comparison:#}");
    assert!(report["enforced"]["text_sample"].as_str().unwrap().contains("overnight service between the capital"));
    assert_eq!(report["enforced"]["console_errors"], serde_json::json!([]), "no breakage");

    let hits = trackers.hits.lock().unwrap().clone();
    assert!(hits.iter().any(|h| h.contains("/j/collect")), "the report-only load reached the trackers: {hits:?}");
    let after_gtm = hits.iter().filter(|h| h.contains("gtm.js")).count();
    assert_eq!(after_gtm, 1, "gtm.js was fetched once (report-only), never while enforcing: {hits:?}");

    // Many pages: one report each plus an aggregate; a second run resumes (loads nothing).
    let list = world.dir.path().join("urls.txt");
    std::fs::write(&list, format!("# pages\n{url}\n{url}?again=1\n")).unwrap();
    let out = world.dir.path().join("reports");
    let many = ["--urls", list.to_str().unwrap(), "--out-dir", out.to_str().unwrap()];
    // One page at a time (--jobs 1): both pages are reported all the same.
    let (code, table, _) = run(&[&many[..], &["--jobs", "1"]].concat()).await.unwrap();
    assert_eq!(code, 1);
    let aggregate: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("aggregate.json")).unwrap()).unwrap();
    assert_eq!((aggregate["pages"].as_u64(), aggregate["pages_failed"].as_u64()), (Some(2), Some(0)), "{aggregate}");
    assert!(table.contains("Google") && table.contains("Hotjar"), "aggregate table: {table}");
    let names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    for ext in [".html", ".audit.json", "aggregate.json"] {
        assert!(names.iter().any(|n| n.ends_with(ext)), "{ext} missing from {names:?}");
    }
    let html = names.iter().find(|n| n.ends_with(".html")).unwrap();
    let html = std::fs::read_to_string(out.join(html)).unwrap();
    assert!(html.contains("static.hotjar.com") && !html.contains("<script"), "self-contained, no script");
    let before = trackers.hits.lock().unwrap().len();
    let (code, _, _) = run(&many).await.unwrap();
    assert_eq!(code, 1, "the resumed run reports the same");
    assert_eq!(trackers.hits.lock().unwrap().len(), before, "a finished page is not loaded again");
}

#[test]
fn without_a_browser_it_says_how_to_get_one_and_exits_2() {
    let (code, _, stderr) = audit(&["--browser", "--browser-path", "/nonexistent/chromium", "http://news.example/"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("apt-get install chromium"), "{stderr}");
}

/// Run on a page with nothing third-party, the record holds only the page's own requests: the
/// browser's background traffic (component updates, network time, safe browsing...) is turned
/// off, and anything the page didn't ask for is left out of the record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_with_nothing_third_party_records_only_its_own_requests() {
    let world = World::start().await;
    let url = world.origin.url("plain.html", false);
    let (code, stdout, stderr) = world.run(&["--format", "json", &url]).await.unwrap();
    assert_eq!(code, 0, "no tracker: exit 0\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let requests = report["observed"]["requests"].as_array().unwrap();
    let hosts: Vec<&str> = requests.iter().map(|r| r["host"].as_str().unwrap()).collect();
    assert!(!hosts.is_empty() && hosts.iter().all(|h| *h == "news.example"), "{hosts:?}");
    assert!(requests.iter().any(|r| r["url"].as_str().unwrap().ends_with("/figure.svg")), "{requests:?}");
    assert_eq!(report["summary"]["third_party_requests"], 0);
}
