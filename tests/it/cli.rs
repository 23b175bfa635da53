//! The `trackstrip` binary as scripts drive it: strip, audit (every format, exit codes) and
//! rules check.

use crate::support::{fixture, serve_http};
use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = crate::support::trackstrip_cmd();
    c.env_remove("RUST_LOG");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run trackstrip")
}

fn seed() -> String {
    fixture("corpus/seed.html").display().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn strip_file_and_stdin() {
    let o = run(&["strip", "--url", "https://apnews.com/article", &seed()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(!page.contains("scorecardresearch") && page.contains("Kerry"), "{page}");

    let mut child = bin().args(["strip", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("spawn");
    let input = std::fs::read(seed()).expect("seed");
    child.stdin.take().expect("stdin").write_all(&input).expect("write");
    let o = child.wait_with_output().expect("wait");
    assert!(o.status.success());
    assert_eq!(stdout(&o), page, "stdin and file give the same page");
}

#[test]
fn strip_writes_events_with_their_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = dir.path().join("events.jsonl");
    let o = run(&["strip", "--url", "https://apnews.com/a", "--events", events.to_str().unwrap(), &seed()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&events).expect("events file");
    let first: serde_json::Value = serde_json::from_str(text.lines().next().expect("one event")).expect("json");
    assert_eq!(first["owner"], "comScore");
    assert_eq!(first["line"], 8);
    assert!(first["rule"]["location"].as_str().unwrap().starts_with("rules/trackers.toml:"));
}

#[test]
fn strip_with_a_rules_dir_and_a_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("local-trackers.toml"),
        "[[tracker]]\nname = \"Local beacon\"\nowner = \"Acme\"\ncategory = \"analytics\"\nhosts = [\"beacon.acme.example\"]\n",
    )
    .expect("write rules");
    let page = dir.path().join("p.html");
    std::fs::write(&page, r#"<script src="https://beacon.acme.example/b.js"></script><img src="https://ads.listed.example/x.png"><p>hi</p>"#).expect("page");
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "! Title: mine\n||ads.listed.example^\n").expect("list");
    let o = run(&[
        "strip",
        "--url",
        "https://site.example/",
        "--rules",
        dir.path().to_str().unwrap(),
        "--list",
        list.to_str().unwrap(),
        page.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "<p>hi</p>");
}

#[test]
fn bad_inputs_are_clear_errors() {
    let o = run(&["strip", "/no/such/page.html"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot open /no/such/page.html"), "{}", stderr(&o));

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("trackers.toml"),
        "format = 1\n[[tracker]]\nname = \"x\"\nowner = \"y\"\ncategory = \"spying\"\nhosts = [\"a.example\"]\n",
    )
    .expect("write");
    let o = run(&["strip", "--rules", dir.path().to_str().unwrap(), &seed()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("trackers.toml:5: unknown category \"spying\""), "{err}");

    let o = run(&["strip", "--url", "ftp://x/", &seed()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("must be http or https"), "{}", stderr(&o));
}

#[test]
fn audit_formats_and_exit_codes() {
    let o = run(&["audit", "--url", "https://apnews.com/a", &seed()]);
    assert_eq!(o.status.code(), Some(1), "trackers found: {}", stderr(&o));
    let table = stdout(&o);
    assert!(table.contains("comScore — 1 tracker (analytics)"), "{table}");
    assert!(table.contains("rules/trackers.toml:"), "{table}");

    let o = run(&["audit", "--format", "json", "--url", "https://apnews.com/a", &seed()]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    assert_eq!(v["schema"], "trackstrip.audit/1");
    assert_eq!(v["summary"]["trackers"], 1);
    assert_eq!(v["owners"][0]["owner"], "comScore");
    assert_eq!(v["events"][0]["action"], "remove");
    assert_eq!(v["events"][0]["line"], 8);

    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("report.html");
    let o = run(&["audit", "--format", "html", "-o", html.to_str().unwrap(), "--url", "https://apnews.com/a", &seed()]);
    assert_eq!(o.status.code(), Some(1));
    let report = std::fs::read_to_string(&html).expect("html report");
    assert!(report.starts_with("<!DOCTYPE html>") && report.contains("comScore") && report.contains("<style>"));
    assert!(!report.contains("<script"), "self-contained and inert");

    let clean = fixture("corpus/pl-www.theatlantic.com.html");
    let o = run(&["audit", "--url", "https://www.theatlantic.com/x", clean.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "no tracker: {}", stdout(&o));

    let o = run(&["audit", "/no/such/file.html"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn audit_url_follows_redirects_and_decodes_gzip() {
    let page = std::fs::read(fixture("corpus/seed.html")).expect("seed");
    let addr = serve_http(move |req| match req.uri().path() {
        "/old" => Response::builder().status(301).header("location", "/article").body(Full::new(Bytes::new())).unwrap(),
        "/article" => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(&page).unwrap();
            Response::builder()
                .header("content-type", "text/html; charset=utf-8")
                .header("content-encoding", "gzip")
                .body(Full::new(Bytes::from(gz.finish().unwrap())))
                .unwrap()
        }
        _ => Response::builder().status(404).body(Full::new(Bytes::new())).unwrap(),
    });
    let o = run(&["audit", "--format", "json", &format!("http://{addr}/old")]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["page_url"], format!("http://{addr}/article"));
    assert_eq!(v["events"][0]["host"], "b.scorecardresearch.com");

    let o = run(&["audit", &format!("http://{addr}/missing")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("404"), "{}", stderr(&o));
}

#[test]
fn audit_url_with_nothing_listening() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let o = run(&["audit", "--timeout", "5", &format!("http://127.0.0.1:{port}/")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("request failed"), "{}", stderr(&o));
}

#[test]
fn strip_and_audit_refuse_to_write_over_their_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("page.html");
    let html = "<p>news</p><img src=\"https://b.scorecardresearch.com/p\">";
    std::fs::write(&page, html).expect("write");
    let same = dir.path().join(".").join("page.html");
    let o = run(&["strip", "--events", same.to_str().unwrap(), page.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("names the page being stripped"), "{}", stderr(&o));
    let o = run(&["audit", "-o", same.to_str().unwrap(), page.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("names the page being audited"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&page).expect("read"), html, "the page is untouched");
}

#[test]
fn rules_check_reports_file_and_line() {
    let o = run(&["rules", "check"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("bundled rules: ok"), "{}", stdout(&o));

    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("snippets.toml");
    std::fs::write(&bad, "[[snippet]]\nname = \"x\"\nowner = \"y\"\ncategory = \"analytics\"\nall = [\"ab\"]\n")
        .expect("write");
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "! Title: t\n||ok.example^\n||bad.example^$unknown-option\n").expect("write");
    let trackers = dir.path().join("trackers.toml");
    std::fs::write(
        &trackers,
        "[[tracker]]\nname = \"x\"\nowner = \"y\"\ncategory = \"analytics\"\nsubdomains = [\n  \"smetrics\",\n  \"s.metrics\",\n]\n",
    )
    .expect("write");
    let o = run(&["rules", "check", bad.to_str().unwrap(), list.to_str().unwrap(), trackers.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("snippets.toml:1: error: signature \"ab\" is too short"), "{err}");
    assert!(err.contains("trackers.toml:7: error: subdomain \"s.metrics\" must be one lowercase DNS label"), "{err}");
    assert!(err.contains("list.txt:3: warning: filter skipped"), "{err}");
    assert!(stdout(&o).contains("list.txt: ok (1 network filters"), "{}", stdout(&o));
}
