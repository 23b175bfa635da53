//! Global Privacy Control (and, when asked, Do Not Track) reach every site trackstrip forwards
//! a request to, whatever the browser sent.

use crate::proxy_support::{Origin, Proxy, html, install_crypto};
use crate::serve_cli::Served;
use std::process::Command;
use std::sync::{Arc, Mutex};
use trackstrip::proxy::PrivacySignals;

/// An origin that remembers the `Sec-GPC` and `DNT` headers of the last request it saw.
async fn recording_origin() -> (Origin, Arc<Mutex<Vec<(Option<String>, Option<String>)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let origin = Origin::start(move |req| {
        let value = |name: &str| req.headers().get(name).map(|v| v.to_str().unwrap_or("?").to_string());
        s.lock().unwrap().push((value("sec-gpc"), value("dnt")));
        async move { html("<p>page</p>") }
    })
    .await;
    (origin, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sec_gpc_is_sent_by_default_and_replaces_what_the_browser_said() {
    let (origin, seen) = recording_origin().await;
    let proxy = Proxy::start(|_| {}).await;
    let client = proxy.client();
    client.get(origin.url("/a")).send().await.unwrap().text().await.unwrap();
    client.get(origin.url("/b")).header("sec-gpc", "0").send().await.unwrap().text().await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, vec![(Some("1".into()), None), (Some("1".into()), None)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpc_off_and_dnt_on_are_honoured() {
    let (origin, seen) = recording_origin().await;
    let proxy = Proxy::start(|c| c.signals = PrivacySignals { gpc: false, dnt: true }).await;
    let client = proxy.client();
    client.get(origin.url("/a")).send().await.unwrap().text().await.unwrap();
    client.get(origin.url("/b")).header("sec-gpc", "1").send().await.unwrap().text().await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, vec![(None, Some("1".into())), (Some("1".into()), Some("1".into()))], "the browser's own is left");
}

/// The flags reach the proxy: `serve --no-gpc --dnt`, and `[privacy]` in a config file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_flags_and_the_config_table_set_the_signals() {
    let (origin, seen) = recording_origin().await;
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("trackstrip.toml");
    std::fs::write(&config, "listen = [\"127.0.0.1:0\"]\n[privacy]\ngpc = false\n").unwrap();
    let data_dir = data.path().to_str().unwrap();
    let runs: [&[&str]; 3] = [
        &["--listen", "127.0.0.1:0", "--data-dir", data_dir],
        &["--listen", "127.0.0.1:0", "--data-dir", data_dir, "--no-gpc", "--dnt"],
        &["--config", config.to_str().unwrap(), "--data-dir", data_dir, "--admin", "off"],
    ];
    install_crypto();
    for args in runs {
        let served = Served::spawn(args);
        let (addr, mut child) = (served.addr, served.child);
        let client =
            reqwest::Client::builder().proxy(reqwest::Proxy::all(format!("http://{addr}")).unwrap()).build().unwrap();
        client.get(origin.url("/")).send().await.unwrap().text().await.unwrap();
        Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        child.wait().unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen, vec![(Some("1".into()), None), (None, Some("1".into())), (None, None)]);
}
