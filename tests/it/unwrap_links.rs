//! Link wrappers (redirectors whose destination is in the link) come out as the destination,
//! cleaned of tracking parameters, in pages and for navigations through the proxy.

use crate::proxy_support::{Origin, Proxy, html, pins};
use crate::support::strip;
use trackstrip::audit::Action;

const DEST: &str = "https://news.example/story?id=7";

/// `DEST` with a tracking parameter, percent-encoded as a query value.
fn encoded() -> String {
    url::form_urlencoded::byte_serialize(format!("{DEST}&utm_source=wrapper").as_bytes()).collect()
}

#[test]
fn every_known_wrapper_is_unwrapped_and_its_destination_cleaned() {
    let e = encoded();
    let wrapped = [
        format!("https://www.google.com/url?q={e}&amp;sa=D&amp;usg=AOvVaw"),
        format!("https://www.google.co.uk/url?sa=t&url={e}"),
        format!("https://l.facebook.com/l.php?u={e}&h=AT0x"),
        format!("https://l.instagram.com/?u={e}&e=AT1"),
        format!("https://out.reddit.com/t3_abc?url={e}&token=x"),
        format!("https://steamcommunity.com/linkfilter/?url={e}"),
        format!("https://t.umblr.com/redirect?z={e}&t=x"),
        format!("https://exit.sc/?url={e}"),
        format!("https://www.youtube.com/redirect?event=video_description&q={e}"),
        format!("https://slack-redir.net/link?url={e}"),
        // A wrapper inside a wrapper.
        format!(
            "https://www.google.com/url?q={}",
            url::form_urlencoded::byte_serialize(format!("https://l.facebook.com/l.php?u={e}").as_bytes())
                .collect::<String>()
        ),
    ];
    for link in &wrapped {
        let page = format!("<p>Read <a href=\"{link}\" class=\"x\">this</a>.</p>");
        let (out, events) = strip("https://blog.example/post", &page);
        assert_eq!(out, format!("<p>Read <a href=\"{DEST}\" class=\"x\">this</a>.</p>"), "{link}");
        let ev = events.iter().find(|e| e.action == Action::Unwrap).expect(link);
        assert_eq!(ev.rule.as_ref().unwrap().source(), "rules/redirects.toml", "{link}");
        assert!(ev.detail.as_deref().unwrap().contains("removed utm_source"), "{:?}", ev.detail);
    }
}

#[test]
fn shorteners_searches_and_pages_without_wrappers_stay_byte_for_byte() {
    let page = "<p><a href=\"https://t.co/AbC123\">t.co</a> <a href=\"https://bit.ly/3xyz\">bit.ly</a>\n\
        <a href=\"https://www.google.com/search?q=https://news.example/\">search</a>\n\
        <a href=\"https://www.google.com/url?q=javascript:alert(1)\">script</a>\n\
        <a href=\"https://l.facebook.com/l.php?u=/relative\">relative</a>\n\
        <a href='https://example.org/path?next=https://news.example/'>own redirect</a></p>";
    let (out, events) = strip("https://blog.example/post", page);
    assert_eq!(out, page);
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn report_only_records_the_unwrap_and_changes_nothing() {
    let page = format!("<a href=\"https://www.google.com/url?q={}\">x</a>", encoded());
    let rules = crate::support::bundled();
    let opts = trackstrip::strip::StripOptions { enforce: false, ..Default::default() };
    let (out, done) =
        crate::support::strip_chunked(rules, "https://blog.example/", opts, page.as_bytes(), &[usize::MAX]);
    assert_eq!(String::from_utf8(out).unwrap(), page);
    assert!(done.events.iter().any(|e| e.action == Action::Unwrap && !e.enforced));
}

/// A navigation through a wrapper is answered with a redirect to the destination: the
/// wrapper (pinned to the origin here) is never contacted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_navigation_through_a_wrapper_goes_straight_to_the_destination() {
    let origin = Origin::start(|_| async { html("<p>story</p>") }).await;
    let proxy = Proxy::start(|c| c.upstream.pins = pins(&[("www.google.com", [127, 0, 0, 1].into())])).await;
    let wrapper = format!("http://www.google.com:{}/url", origin.addr.port());
    let client = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(format!("http://{}", proxy.addr)).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let dest = origin.url("/story?id=7&utm_medium=social");
    let q: String = url::form_urlencoded::byte_serialize(dest.as_bytes()).collect();
    let resp = client
        .get(format!("{wrapper}?q={q}&sa=D"))
        .header("sec-fetch-mode", "navigate")
        .header("sec-fetch-dest", "document")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], origin.url("/story?id=7").as_str());
    assert!(resp.headers()["x-trackstrip"].to_str().unwrap().starts_with("unwrapped; rule=rules/redirects.toml:"));
    assert_eq!(origin.connections(), 0);
    // A page's own request to the wrapper (not a navigation) goes where it was sent.
    let sub = client.get(format!("{wrapper}?q={q}")).send().await.unwrap();
    assert_eq!(sub.status(), 200);
}
