//! `trackstrip serve` as a user runs it: the real binary, --resolve pins, a clean exit on
//! SIGTERM, and a refusal to become an open proxy.

use crate::proxy_support::{Origin, html, install_crypto};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Starts the binary; returns it and the address it printed.
pub fn spawn_serve(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trackstrip"))
        .arg("serve")
        .args(args)
        .env("RUST_LOG", "warn")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn trackstrip serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("trackstrip exited before listening").expect("read stderr");
        if let Some(a) = line.strip_prefix("trackstrip: listening on ") {
            break a.trim().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {}); // keep draining
    (child, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_resolve_pins_and_a_clean_sigterm() {
    let origin = Origin::start(|_| async move {
        html("<p>pinned</p><img src=\"https://b.scorecardresearch.com/p\" width=1 height=1>")
    })
    .await;
    let pin = "news.test=127.0.0.1".to_string();
    let (mut child, addr) = spawn_serve(&["--listen", "127.0.0.1:0", "--resolve", &pin]);
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

#[test]
fn refuses_to_be_an_open_proxy() {
    let out = Command::new(env!("CARGO_BIN_EXE_trackstrip")).args(["serve", "--listen", "0.0.0.0:0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("open proxy"), "{err}");
}
