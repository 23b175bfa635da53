//! List subscriptions, served from a loopback server: download, conditional refresh (ETag),
//! a failed or bogus download that keeps the last good copy, and a proxy that uses the list.

use crate::proxy_support::{Origin, full, install_crypto};
use crate::serve_cli::Served;
use hyper::Response;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use trackstrip::subscriptions::{ListStore, Updated};
use trackstrip::upstream::{UpstreamOptions, build_client};

const LIST: &str = "[Adblock Plus 2.0]\n! Title: Loopback Privacy\n! Expires: 2 days (update frequency)\n||listonly-tracker.test^\n||beacons.example^$third-party\n";

/// What the list server answers next.
#[derive(Clone, Copy)]
enum Serve {
    List,
    Error,
    HtmlPage,
}

struct ListServer {
    origin: Origin,
    mode: Arc<Mutex<Serve>>,
    requests: Arc<AtomicUsize>,
    conditional: Arc<AtomicUsize>,
}

async fn list_server() -> ListServer {
    let mode = Arc::new(Mutex::new(Serve::List));
    let (requests, conditional) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (m, r, c) = (mode.clone(), requests.clone(), conditional.clone());
    let origin = Origin::start(move |req| {
        r.fetch_add(1, Ordering::SeqCst);
        let matches = req.headers().get("if-none-match").is_some_and(|v| v == "\"v1\"");
        if matches {
            c.fetch_add(1, Ordering::SeqCst);
        }
        let mode = *m.lock().unwrap();
        async move {
            let b = Response::builder();
            match mode {
                Serve::Error => b.status(500).body(full("oops")).unwrap(),
                Serve::HtmlPage => {
                    b.header("content-type", "text/html").body(full("<!DOCTYPE html><h1>Login</h1>")).unwrap()
                }
                Serve::List if matches => b.status(304).body(full("")).unwrap(),
                Serve::List => {
                    b.header("etag", "\"v1\"").header("content-type", "text/plain").body(full(LIST)).unwrap()
                }
            }
        }
    })
    .await;
    ListServer { origin, mode, requests, conditional }
}

#[tokio::test]
async fn lists_refresh_conditionally_and_keep_the_last_good_copy() {
    let server = list_server().await;
    let dir = tempfile::tempdir().unwrap();
    let store = ListStore::new(dir.path());
    let client = build_client(&UpstreamOptions::default()).unwrap();
    let url = url::Url::parse(&server.origin.url("/easyprivacy.txt")).unwrap();
    let t = Duration::from_secs(10);

    assert_eq!(store.update(&client, &url, false, t).await.unwrap(), Updated::Downloaded(2));
    assert_eq!(std::fs::read_to_string(store.file_for(&url)).unwrap(), LIST);
    let meta = store.meta(&url).unwrap();
    assert_eq!((meta.etag.as_deref(), meta.expires_secs, meta.filters), (Some("\"v1\""), 2 * 86_400, 2));

    // Within its `! Expires:` period, nothing is asked.
    assert_eq!(store.update(&client, &url, false, t).await.unwrap(), Updated::Fresh);
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    // Forced: a conditional request, answered 304.
    assert_eq!(store.update(&client, &url, true, t).await.unwrap(), Updated::NotModified);
    assert_eq!(server.conditional.load(Ordering::SeqCst), 1);

    // A failing server, or one that answers an HTML page, leaves the good copy in place.
    *server.mode.lock().unwrap() = Serve::Error;
    assert!(store.update(&client, &url, true, t).await.unwrap_err().to_string().contains("500"));
    *server.mode.lock().unwrap() = Serve::HtmlPage;
    let err = store.update(&client, &url, true, t).await.unwrap_err().to_string();
    assert!(err.contains("HTML page") && err.contains("last good copy"), "{err}");
    assert_eq!(std::fs::read_to_string(store.file_for(&url)).unwrap(), LIST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_update_then_serve_blocks_what_the_list_names() {
    let server = list_server().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let url = server.origin.url("/privacy.txt");
    let out = crate::support::trackstrip_cmd()
        .args(["lists", "update", "--list", &url, "--data-dir", data])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("2 filters"), "{stdout}");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);

    // Not expired: a second update asks nothing; --force downloads anyway.
    let update = |force: bool| {
        let mut cmd = crate::support::trackstrip_cmd();
        cmd.args(["lists", "update", "--list", &url, "--data-dir", data]);
        if force {
            cmd.arg("--force");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    update(false);
    assert_eq!(server.requests.load(Ordering::SeqCst), 1, "a fresh copy is not fetched again");
    update(true);
    assert_eq!(server.requests.load(Ordering::SeqCst), 2, "--force fetches it");

    // The proxy uses the stored copy (the list server is down now: nothing is fetched).
    *server.mode.lock().unwrap() = Serve::Error;
    let served = Served::spawn(&["--listen", "127.0.0.1:0", "--list", &url, "--data-dir", data, "--no-intercept"]);
    install_crypto();
    let client = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(format!("http://{}", served.addr)).unwrap())
        .build()
        .unwrap();
    let resp = client.get("http://listonly-tracker.test/pixel.gif").header("referer", "http://news.test/").send().await;
    let resp = resp.unwrap();
    let verdict = resp.headers()["x-trackstrip"].to_str().unwrap().to_string();
    assert!(verdict.starts_with("blocked") && verdict.contains("127.0.0.1-privacy.txt"), "{verdict}");
    let mut child = served.child;
    let _ = child.kill();
}
