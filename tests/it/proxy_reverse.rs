//! Reverse proxy: one origin behind trackstrip, redirects mapped back to trackstrip.

use crate::proxy_support::{Origin, Proxy, full, html};
use hyper::Response;
use trackstrip::proxy::Mode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reverse_mode_strips_and_maps_redirects() {
    let origin = Origin::start(|req| async move {
        let origin_host = req.headers()["host"].to_str().unwrap().to_string();
        match req.uri().path() {
            "/old" => Response::builder()
                .status(302)
                .header("location", format!("http://{origin_host}/new?x=1"))
                .body(full(""))
                .unwrap(),
            "/elsewhere" => {
                Response::builder().status(302).header("location", "https://other.example/").body(full("")).unwrap()
            }
            "/headers" => {
                let xff =
                    req.headers().get("x-forwarded-for").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                let xfh =
                    req.headers().get("x-forwarded-host").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                let proto =
                    req.headers().get("x-forwarded-proto").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                Response::new(full(format!("{origin_host}|{xff}|{xfh}|{proto}")))
            }
            _ => html("<p>news</p><img src=\"https://b.scorecardresearch.com/p?c=1\" width=1 height=1>"),
        }
    })
    .await;
    let upstream = url::Url::parse(&origin.url("/")).unwrap();
    let proxy = Proxy::start(|c| c.mode = Mode::Reverse { upstream }).await;
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let page = c.get(proxy.url("/article")).send().await.unwrap().text().await.unwrap();
    assert_eq!(page, "<p>news</p>");

    let resp = c.get(proxy.url("/old")).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(
        resp.headers()["location"],
        format!("http://{}/new?x=1", proxy.addr).as_str(),
        "mapped back to the proxy"
    );
    let resp = c.get(proxy.url("/elsewhere")).send().await.unwrap();
    assert_eq!(resp.headers()["location"], "https://other.example/", "other sites untouched");

    let seen = c.get(proxy.url("/headers")).send().await.unwrap().text().await.unwrap();
    assert_eq!(seen, format!("{}|127.0.0.1|{}|http", origin.addr, proxy.addr));
}
