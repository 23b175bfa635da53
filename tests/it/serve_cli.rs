//! `trackstrip serve` as a user runs it: the real binary, --resolve pins, a clean exit on
//! SIGTERM, and a refusal to become an open proxy.

use crate::proxy_support::{Origin, eventually, html, install_crypto};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// A running `trackstrip serve`, with everything it wrote to stderr.
pub struct Served {
    pub child: Child,
    pub addr: String,
    /// The admin listener's address (tests get an ephemeral one unless they pass --admin).
    pub admin: Option<String>,
    pub stderr: Arc<Mutex<Vec<String>>>,
    /// Its own CA and data directories (unless the test chose them), removed with it.
    _dirs: tempfile::TempDir,
}

impl Served {
    pub fn spawn(args: &[&str]) -> Served {
        Served::spawn_logging(args, "warn")
    }

    /// With RUST_LOG set to `log` (the access and audit lines are at info).
    pub fn spawn_logging(args: &[&str], log: &str) -> Served {
        let mut cmd = crate::support::trackstrip_cmd();
        cmd.arg("serve").args(args);
        let dirs = tempfile::tempdir().expect("a temporary directory");
        if !args.iter().any(|a| ["--data-dir", "--ca-dir", "--config"].contains(a)) {
            cmd.arg("--data-dir").arg(dirs.path().join("data")).arg("--ca-dir").arg(dirs.path().join("ca"));
        }
        // Nothing may leave 127.0.0.1: the built-in list is refreshed only from a pinned URL.
        if !args.contains(&"--builtin-list-url") && !args.contains(&"--no-list-update") {
            cmd.arg("--no-list-update");
        }
        if !args.contains(&"--admin") && !args.contains(&"--config") {
            cmd.args(["--admin", "127.0.0.1:0"]);
        }
        // serve looks up the hosts a page names (CNAME uncloaking); in tests, only a name server
        // on 127.0.0.1 may be asked: the discard port, where nothing answers.
        if !args.contains(&"--dns-server") {
            cmd.args(["--dns-server", "127.0.0.1:9"]);
        }
        let mut child = cmd
            .env("RUST_LOG", log)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn trackstrip serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (mut addr, mut admin) = (None, None);
        while addr.is_none() {
            let Some(Ok(line)) = lines.next() else {
                panic!("trackstrip exited before listening: {:?}", log.lock().unwrap());
            };
            if let Some(a) = line.strip_prefix("trackstrip: listening on ") {
                addr = Some(a.trim().to_string());
            }
            log.lock().unwrap().push(line);
        }
        // The admin line follows the listening lines.
        if !args.contains(&"off") {
            for line in lines.by_ref().map_while(Result::ok) {
                let found = line.strip_prefix("trackstrip: admin on http://").map(|a| a.trim_end_matches(|c| c != '/'));
                let found = found.map(|a| a.split('/').next().unwrap_or("").to_string());
                log.lock().unwrap().push(line);
                if found.is_some() {
                    admin = found;
                    break;
                }
            }
        }
        let keep = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                keep.lock().unwrap().push(line);
            }
        });
        Served { child, addr: addr.unwrap_or_default(), admin, stderr: log, _dirs: dirs }
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill").args([&format!("-{sig}"), &self.child.id().to_string()]).status().unwrap();
        assert!(ok.success());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_resolve_pins_and_a_clean_sigterm() {
    let origin = Origin::start(|_| async move {
        html("<p>pinned</p><img src=\"https://b.scorecardresearch.com/p\" width=1 height=1>")
    })
    .await;
    let pin = "news.test=127.0.0.1".to_string();
    let served = Served::spawn(&["--listen", "127.0.0.1:0", "--resolve", &pin]);
    let (addr, mut child) = (served.addr, served.child);
    install_crypto();
    let client =
        reqwest::Client::builder().proxy(reqwest::Proxy::all(format!("http://{addr}")).unwrap()).build().unwrap();
    let url = format!("http://news.test:{}/", origin.addr.port());
    let resp = client.get(&url).send().await.unwrap();
    assert!(resp.headers()["via"].to_str().unwrap().contains("trackstrip"));
    assert_eq!(resp.text().await.unwrap(), "<p>pinned</p>", "news.test resolved by the pin and stripped");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "SIGTERM is a clean shutdown: {exit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_audit_line_per_page_groups_repeated_trackers_in_plain_text() {
    const PX: &str = "<img src=\"https://b.scorecardresearch.com/p?c1=2\" width=1 height=1>";
    let origin = Origin::start(|_| async move {
        html(format!("<p>a</p>{PX}<script src=\"https://www.google-analytics.com/analytics.js\"></script>{PX}{PX}"))
    })
    .await;
    let served = Served::spawn_logging(&["--listen", "127.0.0.1:0"], "info");
    install_crypto();
    let proxy = reqwest::Proxy::all(format!("http://{}", served.addr)).unwrap();
    let client = reqwest::Client::builder().proxy(proxy).build().unwrap();
    assert_eq!(client.get(origin.url("/")).send().await.unwrap().text().await.unwrap().matches("<img").count(), 0);

    let log = served.stderr.clone();
    eventually("the audit line", || log.lock().unwrap().iter().any(|l| l.contains("trackstrip::audit"))).await;
    let lines = log.lock().unwrap().clone();
    let audit: Vec<&String> = lines.iter().filter(|l| l.contains("trackstrip::audit")).collect();
    assert_eq!(audit.len(), 1, "one line for the page: {lines:?}");
    let line = audit[0];
    assert!(line.contains("stripped=4"), "{line}");
    assert!(line.contains("remove comScore (rules/trackers.toml:") && line.contains(") ×3"), "{line}");
    assert!(line.contains("remove Google Analytics (rules/trackers.toml:"), "{line}");
    assert!(lines.iter().all(|l| !l.contains('\x1b')), "no colour codes when stderr is not a terminal: {lines:?}");
    let mut child = served.child;
    let _ = child.kill();
}

#[test]
fn refuses_to_be_an_open_proxy() {
    let out = crate::support::trackstrip_cmd().args(["serve", "--listen", "0.0.0.0:0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("open proxy"), "{err}");
}
