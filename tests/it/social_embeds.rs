//! Social widgets and embeds: widget scripts disabled in place, embed frames showing a
//! script-free placeholder with a link to the content, YouTube playing from youtube-nocookie
//! on click; `social = "keep"` / `--keep-social` leaves the page byte for byte.

use crate::proxy_support::{Origin, Proxy, html};
use crate::support::{bundled, strip, strip_chunked};
use trackstrip::audit::Action;
use trackstrip::strip::StripOptions;

const PAGE: &str = include_str!("../e2e/pages/social.html");
const URL: &str = "https://news.example/ferry";

/// The `srcdoc` of the iframe whose `src` starts with `src`, entity-decoded once (as the
/// browser reads the attribute).
fn srcdoc(out: &str, src: &str) -> String {
    let at = out.find(&format!("src=\"{src}")).unwrap_or_else(|| panic!("no iframe {src}"));
    let rest = &out[at..];
    let start = rest.find(" srcdoc=\"").filter(|&i| !rest[..i].contains("</iframe>"));
    let doc = &rest[start.unwrap_or_else(|| panic!("no srcdoc on {src}")) + 9..];
    let doc = &doc[..doc.find('"').unwrap()];
    doc.replace("&quot;", "\"").replace("&amp;", "&")
}

#[test]
fn embeds_get_placeholders_widgets_are_disabled_and_the_text_stays() {
    let (out, events) = strip(URL, PAGE);
    let fb = srcdoc(&out, "https://www.facebook.com/plugins/");
    assert!(fb.contains("<a href=\"https://www.facebook.com/harbour/posts/1234\" target=\"_blank\""), "{fb}");
    assert!(fb.contains("View this on Facebook") && !fb.contains("<script"), "{fb}");
    let yt = srcdoc(&out, "https://www.youtube.com/embed/");
    assert!(
        yt.contains(
            "href=\"https://www.youtube-nocookie.com/embed/aBcDeFgHiJk?rel=0&amp;autoplay=1\" target=\"_self\""
        ),
        "{yt}"
    );
    let dq = srcdoc(&out, "https://disqus.com/embed/comments/");
    assert!(dq.contains("Read the comments on Disqus"), "{dq}");
    for widget in
        ["platform.twitter.com/widgets.js", "connect.facebook.net/en_US/sdk.js", "harbour-news.disqus.com/embed.js"]
    {
        let at = out.find(widget).unwrap();
        let tag = &out[out[..at].rfind('<').unwrap()..at + out[at..].find('>').unwrap()];
        assert!(tag.contains("type=\"text/plain\" data-trackstrip=\"social\""), "{tag}");
    }
    // Everything but the added attributes is as it was: the tweet's blockquote, the text.
    let mut back = out.clone();
    while let Some(at) = back.find(" srcdoc=\"") {
        let end = at + 9 + back[at + 9..].find('"').unwrap() + 1;
        back.replace_range(at..end, "");
    }
    assert_eq!(back.replace(" type=\"text/plain\" data-trackstrip=\"social\"", ""), PAGE);
    let social: Vec<_> =
        events.iter().filter(|e| e.rule.as_ref().is_some_and(|r| r.source() == "rules/social.toml")).collect();
    assert_eq!(social.len(), 6, "{events:#?}");
    assert!(social.iter().all(|e| e.action == Action::Replace && e.tracker.is_some()));
}

#[test]
fn keep_social_and_report_only_leave_the_page_byte_for_byte() {
    for opts in [
        StripOptions { social: false, ..StripOptions::default() },
        StripOptions { enforce: false, ..StripOptions::default() },
    ] {
        let report_only = !opts.enforce;
        let (out, done) = strip_chunked(bundled(), URL, opts, PAGE.as_bytes(), &[700, usize::MAX]);
        assert_eq!(String::from_utf8(out).unwrap(), PAGE);
        assert_eq!(done.events.iter().any(|e| e.action == Action::Replace), report_only);
    }
}

/// The proxy applies `social` from its config.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_places_placeholders_unless_told_to_keep_social() {
    let origin = Origin::start(|_| async { html(PAGE) }).await;
    for (social, placeheld) in [(true, true), (false, false)] {
        let proxy = Proxy::start(|c| c.social = social).await;
        let body = proxy.client().get(origin.url("/ferry")).send().await.unwrap().text().await.unwrap();
        assert_eq!(body.contains("srcdoc="), placeheld);
        if !placeheld {
            assert_eq!(body, PAGE);
        }
    }
}

#[test]
fn the_config_key_and_flag_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("t.toml");
    std::fs::write(&config, "social = \"keep\"\n").unwrap();
    let loaded = trackstrip::config::load(&config).unwrap();
    assert_eq!(loaded.settings.social, trackstrip::config::SocialMode::Keep);
    std::fs::write(&config, "social = \"hide\"\n").unwrap();
    let err = trackstrip::config::load(&config).unwrap_err().to_string();
    assert!(err.contains("t.toml:1") && err.contains("placeholder"), "{err}");
    let page = dir.path().join("p.html");
    std::fs::write(&page, PAGE).unwrap();
    let out =
        crate::support::trackstrip_cmd().args(["strip", "--keep-social", "--url", URL]).arg(&page).output().unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), PAGE);
}
