//! The gateway as an operator runs it: the real binary with a config file, refusing bad
//! configs with file:line, users added from the command line, reloads on file change and
//! SIGHUP, a SIGTERM that drains, JSON logs without secrets.

use crate::proxy_support::{Origin, channel_body, eventually, html, install_crypto};
use crate::serve_cli::Served;
use bytes::Bytes;
use std::io::Write;
use std::process::Stdio;
use std::sync::Arc;
use tokio::sync::Mutex;

fn trackstrip(args: &[&str]) -> std::process::Output {
    crate::support::trackstrip_cmd().args(args).output().unwrap()
}

fn through(proxy: &str) -> reqwest::Client {
    install_crypto();
    reqwest::Client::builder().proxy(reqwest::Proxy::all(format!("http://{proxy}")).unwrap()).build().unwrap()
}

async fn metrics(admin: &str) -> String {
    reqwest::get(format!("http://{admin}/metrics")).await.unwrap().text().await.unwrap()
}

#[test]
fn config_errors_name_the_file_and_line_and_an_open_gateway_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("gw.toml");
    std::fs::write(&bad, "# gateway\nmode = \"enforce\"\n[access]\nallow = [\"10.0.0.0/33\"]\n").unwrap();
    let out = trackstrip(&["serve", "--config", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("gw.toml:4:") && err.contains("CIDR"), "{err}");

    std::fs::write(&bad, "[timeouts]\nconect = 5\n").unwrap();
    let err = String::from_utf8_lossy(&trackstrip(&["serve", "--config", bad.to_str().unwrap()]).stderr).into_owned();
    assert!(err.contains("gw.toml:2:") && err.contains("unknown field `conect`"), "{err}");

    let open = dir.path().join("open.toml");
    std::fs::write(&open, "admin = \"off\"\nlisten = [\"0.0.0.0:0\"]\n").unwrap();
    let out = trackstrip(&["serve", "--config", open.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("open.toml:2") && err.contains("open proxy") && err.contains("access.allow"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_added_on_the_command_line_sign_in_and_secrets_stay_out_of_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users");
    let mut add = crate::support::trackstrip_cmd()
        .args(["user", "add", "ada", "--users", users.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(b"s3cret-horse\n").unwrap();
    assert!(add.wait().unwrap().success());
    let stored = std::fs::read_to_string(&users).unwrap();
    assert!(stored.starts_with("ada:$argon2id$") && !stored.contains("s3cret"), "{stored}");

    let origin = Origin::start(|_| async { html("<p>signed in</p>") }).await;
    let served = Served::spawn_logging(
        &[
            "--listen",
            "127.0.0.1:0",
            "--users",
            users.to_str().unwrap(),
            "--log-format",
            "json",
            "--truncate-client-ip",
        ],
        "info",
    );
    let url = origin.url("/account?session=tok123");
    assert_eq!(through(&served.addr).get(&url).send().await.unwrap().status(), 407);
    let signed = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(format!("http://{}", served.addr)).unwrap().basic_auth("ada", "s3cret-horse"))
        .build()
        .unwrap();
    assert_eq!(signed.get(&url).send().await.unwrap().text().await.unwrap(), "<p>signed in</p>");

    let log = served.stderr.clone();
    eventually("two access lines", || log.lock().unwrap().iter().filter(|l| l.contains("\"status\":")).count() >= 2)
        .await;
    let lines = log.lock().unwrap().clone();
    let access: Vec<serde_json::Value> = lines
        .iter()
        .filter(|l| l.contains("trackstrip::access"))
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    assert!(access.iter().any(|a| a["fields"]["status"] == 200 && a["fields"]["user"] == "ada"), "{lines:?}");
    assert!(access.iter().all(|a| a["fields"]["client"] == "127.0.0.0/24"), "truncated: {lines:?}");
    let all = lines.join("\n");
    for secret in ["s3cret", "YWRhOnMzY3JldC1ob3JzZQ", "tok123", "argon2"] {
        assert!(!all.contains(secret), "{secret} leaked into the logs: {all}");
    }

    // `user remove`: the file loses the user, and the running proxy (watching it) turns her away.
    let out = crate::support::trackstrip_cmd()
        .args(["user", "remove", "ada", "--users", users.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!std::fs::read_to_string(&users).unwrap().contains("ada:"));
    let url2 = url.clone();
    for _ in 0..800 {
        if signed.get(&url2).send().await.unwrap().status() == 407 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(signed.get(&url).send().await.unwrap().status(), 407, "a removed user is refused");
    let again = crate::support::trackstrip_cmd()
        .args(["user", "remove", "ada", "--users", users.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "removing someone who isn't there is an error");
    let mut child = served.child;
    let _ = child.kill();
}

/// Two proxies on one rules directory, one watching it and one with `--no-watch`: the watcher
/// reloads on every change; the other only on SIGHUP, so once the watcher has seen a change,
/// the other must still be on the old rules. A broken file is kept out by both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_files_reload_on_change_and_on_sighup_and_a_broken_one_is_kept_out() {
    const PAGE: &str = "<p>news</p><script src=\"https://cdn.newtracker.test/t.js\"></script>";
    const RULES: &str = "format = 1\n[[tracker]]\nname = \"New Tracker\"\nowner = \"NewCo\"\ncategory = \"analytics\"\nhosts = [\"newtracker.test\"]\n";
    let origin = Origin::start(|_| async { html(PAGE) }).await;
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let rules_arg = rules.to_str().unwrap();
    let watching = Served::spawn(&["--listen", "127.0.0.1:0", "--rules", rules_arg]);
    let still = Served::spawn(&["--listen", "127.0.0.1:0", "--rules", rules_arg, "--no-watch"]);
    let page = |served: &Served| {
        let (client, url) = (through(&served.addr), origin.url("/"));
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let stats = |served: &Served| metrics_of(served.admin.clone().unwrap());
    assert!(page(&watching).await.contains("newtracker.test") && page(&still).await.contains("newtracker.test"));

    std::fs::write(rules.join("local-trackers.toml"), RULES).unwrap();
    until("the watcher applies the new rule", || async { !page(&watching).await.contains("newtracker.test") }).await;
    assert!(page(&still).await.contains("newtracker.test"), "--no-watch: a changed file alone reloads nothing");
    assert!(!stats(&still).await.contains("trackstrip_rules_reloads_total{"), "no reload at all");
    still.signal("HUP");
    until("SIGHUP applies the new rule", || async { !page(&still).await.contains("newtracker.test") }).await;

    std::fs::write(rules.join("local-trackers.toml"), "format = 1\n[[tracker]]\nhosts = 7\n").unwrap();
    let failed = |s: String| s.contains("trackstrip_rules_reload_failures_total 1");
    until("the watcher refuses the broken file", || async { failed(stats(&watching).await) }).await;
    assert!(!failed(stats(&still).await), "--no-watch: the broken file isn't even read");
    still.signal("HUP");
    until("SIGHUP refuses the broken file", || async { failed(stats(&still).await) }).await;
    for served in [&watching, &still] {
        assert!(!page(served).await.contains("newtracker.test"), "the last good rules stay");
    }
    for served in [watching, still] {
        let mut child = served.child;
        let _ = child.kill();
    }
}

async fn metrics_of(admin: String) -> String {
    metrics(&admin).await
}

/// Polls `cond` until it holds (a generous 20 s bound: the order is what's tested).
async fn until<F: std::future::Future<Output = bool>>(what: &str, cond: impl Fn() -> F) {
    for _ in 0..800 {
        if cond().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("never happened: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_requests_then_exits() {
    let slow = Arc::new(Mutex::new(None));
    let s = slow.clone();
    let origin = Origin::start(move |_| {
        let s = s.clone();
        async move {
            let (tx, body) = channel_body();
            *s.lock().await = Some(tx);
            let mut resp = html("");
            *resp.body_mut() = body;
            resp
        }
    })
    .await;
    let served = Served::spawn(&["--listen", "127.0.0.1:0", "--shutdown-grace", "20"]);
    let admin = served.admin.clone().unwrap();
    let client = through(&served.addr);
    let mut resp = client.get(origin.url("/long")).send().await.unwrap();
    let tx = loop {
        if let Some(tx) = slow.lock().await.take() {
            break tx;
        }
        tokio::task::yield_now().await;
    };
    tx.send(Bytes::from(format!("<p>start</p>{}", " ".repeat(8192)))).await.unwrap();
    assert!(!resp.chunk().await.unwrap().unwrap().is_empty());

    served.signal("TERM");
    // Draining: not ready (load balancers stop sending), no new connections.
    for _ in 0..200 {
        if reqwest::get(format!("http://{admin}/readyz")).await.ok().map(|r| r.status().as_u16()) == Some(503) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(reqwest::get(format!("http://{admin}/readyz")).await.unwrap().status(), 503);
    assert!(tokio::net::TcpStream::connect(&served.addr).await.is_err(), "the listener is closed");

    // The request in flight still completes.
    tx.send(Bytes::from_static(b"<p>end</p>")).await.unwrap();
    drop(tx);
    let mut rest = Vec::new();
    while let Some(c) = resp.chunk().await.unwrap() {
        rest.extend_from_slice(&c);
    }
    assert!(String::from_utf8_lossy(&rest).ends_with("<p>end</p>"));
    let mut child = served.child;
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert!(exit.success(), "{exit:?}");
}

/// deploy/trackstrip.toml documents every key: it loads as shipped, every commented-out key
/// in it is a real key with a valid value, and every top-level key and table of `Settings`
/// appears in it.
#[test]
fn the_documented_example_config_is_valid_and_complete() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/trackstrip.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let shipped = trackstrip::config::load(&path).unwrap().settings;
    assert_eq!(shipped.access.allow.len(), 1);
    assert!(trackstrip::config::check_access(&trackstrip::config::load(&path).unwrap()).is_ok());

    // Uncomment `# key = value` lines: each must still parse (no stale or misspelled keys).
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest
                    .split_once(" = ")
                    .is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_lowercase() || c == '_')) =>
            {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = tempfile::tempdir().unwrap();
    let every = dir.path().join("every.toml");
    std::fs::write(&every, &uncommented).unwrap();
    let all = trackstrip::config::load(&every).unwrap_or_else(|e| panic!("{e}")).settings;
    assert!(all.upstream.is_some() && all.rules.is_some() && all.access.users.is_some());
    assert_eq!(all.access.connect_ports, Some(vec![443, 8443]));
    assert!(all.intercept.ca_dir.is_some() && all.pac.proxy.is_some() && !all.extra_roots.is_empty());
    assert!(shipped.lists.builtin && shipped.lists.update && all.lists.add.len() == 2);

    // Every key `Settings` knows, as serde lists them when it rejects an unknown one, is
    // written in the file, in its table.
    for table in ["", "lists", "access", "intercept", "pac", "timeouts", "limits", "logs", "allow"] {
        let probe =
            if table.is_empty() { "no_such_key = 1".to_string() } else { format!("[{table}]\nno_such_key = 1") };
        let message = toml::from_str::<trackstrip::config::Settings>(&probe).unwrap_err().to_string();
        let expected = message.split("expected").nth(1).unwrap_or_else(|| panic!("{message}"));
        let keys: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        assert!(keys.len() >= 2, "{message}");
        let section = section_of(&uncommented, table);
        for key in keys {
            let as_key = section.lines().any(|l| l.starts_with(&format!("{key} =")));
            let as_table = table.is_empty() && uncommented.contains(&format!("[{key}]"));
            assert!(as_key || as_table, "deploy/trackstrip.toml does not document `{table}.{key}`");
        }
    }
}

/// The lines of one `[table]` of a TOML text ("" for the top level, before any table).
fn section_of(text: &str, table: &str) -> String {
    let mut current = String::new();
    let mut out = String::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = name.to_string();
        } else if current == table {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
