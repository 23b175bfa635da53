//! The built-in list (EasyPrivacy): on by default in `strip`, `audit` and `serve`, off with
//! `--no-builtin-lists` or `[lists] builtin = false`; `serve`'s subscription to it, pinned to a
//! loopback server: failed downloads keep the snapshot in force and the log says why, a newer
//! list is downloaded and used; `lists status` shows it.

use crate::proxy_support::{Origin, html, install_crypto};
use crate::serve_cli::Served;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A plain `||host^` filter of the snapshot (rules/lists/easyprivacy.txt) that the bundled
/// rules don't name.
const EP_ONLY: &str = "sgstats.com";
const SNAPSHOT_VERSION: &str = "202607140953";
const SNAPSHOT: &str = include_str!("../../rules/lists/easyprivacy.txt");

fn trackstrip(args: &[&str]) -> Output {
    crate::support::trackstrip_cmd().args(args).output().unwrap()
}

/// Answers each request with the next canned response (the last one repeats), then closes.
struct ListServer {
    url: String,
    requests: Arc<AtomicUsize>,
}

async fn list_server(answers: Vec<Vec<u8>>) -> ListServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/easyprivacy.txt", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let (count, answers) = (requests.clone(), Arc::new(answers));
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { continue };
            let n = count.fetch_add(1, Ordering::SeqCst);
            let answers = answers.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => head.extend_from_slice(&buf[..k]),
                    }
                }
                let _ = stream.write_all(&answers[n.min(answers.len() - 1)]).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    ListServer { url, requests }
}

fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// The snapshot as a later version would publish it: `version`, without `||sgstats.com^`,
/// with `||fresh-only-tracker.test^`.
fn newer_list(version: &str) -> String {
    SNAPSHOT.replacen(&format!("! Version: {SNAPSHOT_VERSION}"), &format!("! Version: {version}"), 1).replacen(
        &format!("||{EP_ONLY}^\n"),
        "||fresh-only-tracker.test^\n",
        1,
    )
}

/// A proxy client, and what the proxy does with a request to `host` from a news page: the
/// `X-Trackstrip` verdict ("" when none) and the body.
async fn ask(proxy: &str, host: &str) -> (String, String) {
    install_crypto();
    let client = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(format!("http://{proxy}")).unwrap())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let resp = client.get(format!("http://{host}/collect.gif")).header("referer", "http://news.test/").send();
    let resp = resp.await.unwrap();
    let verdict = resp.headers().get("x-trackstrip").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (verdict, resp.text().await.unwrap())
}

/// Waits (bounded by `secs`) until the log holds a line with every one of `parts`.
async fn log_line(served: &Served, parts: &[&str], secs: u64) -> String {
    for _ in 0..secs * 20 {
        let found = served.stderr.lock().unwrap().iter().find(|l| parts.iter().all(|p| l.contains(p))).cloned();
        if let Some(line) = found {
            return line;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no log line with {parts:?}: {:#?}", served.stderr.lock().unwrap());
}

/// An origin that answers every host pinned to it: a request that was not blocked.
async fn sink() -> Origin {
    Origin::start(|_| async { html("reached the origin") }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_downloads_keep_the_snapshot_in_force_and_say_why() {
    let sink = sink().await;
    let cut_body = SNAPSHOT.as_bytes();
    let mut truncated = response("200 OK", "text/plain", cut_body);
    truncated.truncate(truncated.len() - cut_body.len() / 2);
    let cut_short = newer_list("209901010000").lines().take(120).collect::<Vec<_>>().join("\n");
    let server = list_server(vec![
        response("500 Internal Server Error", "text/plain", b"oops"),
        response("200 OK", "text/html", b"<!DOCTYPE html><html><h1>Service unavailable</h1></html>"),
        truncated,
        response("200 OK", "text/plain", cut_short.as_bytes()),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let pin = format!("*=127.0.0.1:{}", sink.addr.port());
    let served = Served::spawn(&[
        "--listen",
        "127.0.0.1:0",
        "--no-intercept",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--resolve",
        &pin,
        "--builtin-list-url",
        &server.url,
        "--builtin-list-delay",
        "1",
    ]);
    let (verdict, _) = ask(&served.addr, EP_ONLY).await;
    assert!(verdict.starts_with("blocked") && verdict.contains("easyprivacy.txt:"), "snapshot at start: {verdict}");

    let stays = format!("the snapshot (version {SNAPSHOT_VERSION}) stays in force");
    for reason in [
        "the server answered 500",
        "the server sent an HTML page",
        "a truncated download",
        "network filters, fewer than the",
    ] {
        let line = log_line(&served, &["WARN", "built-in list easyprivacy.txt not updated", &stays, reason], 30).await;
        assert!(line.contains(&server.url), "{line}");
        let (verdict, body) = ask(&served.addr, EP_ONLY).await;
        assert!(verdict.starts_with("blocked") && verdict.contains("easyprivacy.txt:"), "after {reason}: {verdict}");
        assert_ne!(body, "reached the origin");
    }
    assert!(server.requests.load(Ordering::SeqCst) >= 4);
    assert!(!dir.path().join("lists/127.0.0.1-easyprivacy.txt").exists(), "nothing bad was stored");
    let mut child = served.child;
    let _ = child.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_list_is_downloaded_used_and_kept_for_the_next_start() {
    let sink = sink().await;
    let newer = newer_list("209901010000");
    let server = list_server(vec![response("200 OK", "text/plain", newer.as_bytes())]).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let pin = format!("*=127.0.0.1:{}", sink.addr.port());
    let base = ["--listen", "127.0.0.1:0", "--no-intercept", "--data-dir", data, "--resolve", &pin];
    let mut args = base.to_vec();
    args.extend(["--builtin-list-url", &server.url, "--builtin-list-delay", "1"]);
    let served = Served::spawn_logging(&args, "info");
    log_line(&served, &["built-in list easyprivacy.txt", "version 209901010000", "now in force"], 60).await;
    let (verdict, _) = ask(&served.addr, "fresh-only-tracker.test").await;
    assert!(verdict.starts_with("blocked") && verdict.contains("easyprivacy.txt:"), "{verdict}");
    let (verdict, body) = ask(&served.addr, EP_ONLY).await;
    assert!(!verdict.starts_with("blocked") && body == "reached the origin", "dropped by the newer list: {verdict}");
    let mut child = served.child;
    let _ = child.kill();

    // `lists status` shows the copy in force.
    let out = trackstrip(&["lists", "status", "--data-dir", data, "--builtin-list-url", &server.url]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("version 209901010000") && stdout.contains("downloaded copy"), "{stdout}");

    // The next start uses the copy at once (no check for a long while) ...
    let mut args = base.to_vec();
    args.extend(["--builtin-list-url", &server.url, "--builtin-list-delay", "3600"]);
    let served = Served::spawn(&args);
    assert!(ask(&served.addr, "fresh-only-tracker.test").await.0.starts_with("blocked"));
    let mut child = served.child;
    let _ = child.kill();
    // ... and --no-list-update keeps to the snapshot.
    let mut args = base.to_vec();
    args.push("--no-list-update");
    let served = Served::spawn(&args);
    assert!(ask(&served.addr, EP_ONLY).await.0.starts_with("blocked"));
    assert_eq!(ask(&served.addr, "fresh-only-tracker.test").await.1, "reached the origin");
    let mut child = served.child;
    let _ = child.kill();
    assert_eq!(server.requests.load(Ordering::SeqCst), 1, "one download; the later starts asked nothing");
}

#[test]
fn no_builtin_lists_restores_the_bundled_rules_alone_in_strip_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, format!("<p>story</p><script src=\"https://{EP_ONLY}/tag.js\"></script>\n")).unwrap();
    let page = page.to_str().unwrap();

    let out = trackstrip(&["strip", "--url", "https://news.test/a", page]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "<p>story</p>\n", "removed by the built-in list");
    let out = trackstrip(&["strip", "--url", "https://news.test/a", "--no-builtin-lists", page]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(EP_ONLY), "kept without it");

    let out = trackstrip(&["audit", "--url", "https://news.test/a", "--format", "json", page]);
    assert_eq!(out.status.code(), Some(1), "a tracker found");
    assert!(String::from_utf8_lossy(&out.stdout).contains("easyprivacy.txt:"));
    let out = trackstrip(&["audit", "--url", "https://news.test/a", "--no-builtin-lists", page]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lists_table_and_the_old_lists_array_both_configure_serve() {
    let sink = sink().await;
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local.txt");
    std::fs::write(&local, "! Title: Local\n||local-only-tracker.test^\n").unwrap();
    let pin = format!("*=127.0.0.1:{}", sink.addr.port());
    let data = dir.path().to_str().unwrap();
    let serve_with = |config: String| {
        let path = dir.path().join("trackstrip.toml");
        std::fs::write(&path, config).unwrap();
        let path = path.to_str().unwrap().to_string();
        let args = ["--config", &path, "--admin", "off", "--listen", "127.0.0.1:0", "--no-intercept"];
        Served::spawn(&[&args[..], &["--data-dir", data, "--resolve", &pin]].concat())
    };
    let local_str = local.to_str().unwrap();

    // The table: built-in list off (and never updated), a local list added.
    let served = serve_with(format!("[lists]\nbuiltin = false\nupdate = false\nadd = [{local_str:?}]\n"));
    assert_eq!(ask(&served.addr, EP_ONLY).await.1, "reached the origin", "built-in list off");
    assert!(ask(&served.addr, "local-only-tracker.test").await.0.contains("local.txt:2"));
    let mut child = served.child;
    let _ = child.kill();

    // The old form: the array adds lists and keeps the built-in one.
    let served = serve_with(format!("lists = [{local_str:?}]\n"));
    assert!(ask(&served.addr, EP_ONLY).await.0.contains("easyprivacy.txt:"));
    assert!(ask(&served.addr, "local-only-tracker.test").await.0.contains("local.txt:2"));
    let mut child = served.child;
    let _ = child.kill();

    // `lists status` reads the same config.
    let config = dir.path().join("trackstrip.toml");
    let out = trackstrip(&["lists", "status", "--config", config.to_str().unwrap(), "--data-dir", data]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("version {SNAPSHOT_VERSION}")) && stdout.contains("built in"), "{stdout}");
}

#[test]
fn lists_status_shows_the_built_in_list() {
    let dir = tempfile::tempdir().unwrap();
    let out = trackstrip(&["lists", "status", "--data-dir", dir.path().to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.starts_with("EasyPrivacy (built-in list easyprivacy.txt)"), "{stdout}");
    assert!(stdout.contains(&format!("version {SNAPSHOT_VERSION}")), "{stdout}");
    assert!(stdout.contains(" old · ") && stdout.contains(" filters · built in"), "{stdout}");
    assert!(stdout.contains("not downloaded yet"), "{stdout}");

    let config = dir.path().join("off.toml");
    std::fs::write(&config, "[lists]\nbuiltin = false\n").unwrap();
    let out = trackstrip(&["lists", "status", "--config", config.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("easyprivacy.txt: off"));
}
