//! Social widgets and embeds in a real browser: placeholders by default, so no request reaches
//! Facebook, X, YouTube or Disqus; `--keep-social` lets them load (so the test can fail).

use crate::kit::{Origin, OriginCa, Sink, Trackstrip, referenced_hosts};
use crate::{flags, load};

const PAGE: &str = "social.html";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn social_embeds_become_placeholders_and_nothing_reaches_the_platforms() {
    let (ca, sink) = (OriginCa::new(), Sink::start().await);
    let origin = Origin::start(&ca).await;
    let hosts = referenced_hosts(PAGE);
    assert!(hosts.iter().any(|h| h == "www.youtube.com") && hosts.iter().any(|h| h == "platform.twitter.com"));
    let url = origin.url(PAGE, true);

    let proxy = Trackstrip::start(&sink, &ca);
    let trusted = [crate::kit::trackstrip_ca_spki(proxy.ca_dir.path()), ca.spki_sha256.clone()];
    let trusted: Vec<&str> = trusted.iter().map(String::as_str).collect();
    let stripped = load(url.clone(), flags(&sink, Some(&proxy.addr), &trusted), &sink, PAGE).await;
    assert!(stripped.sink_hits.is_empty(), "social requests got out: {:?}", stripped.sink_hits);
    for text in ["The harbour council voted on Thursday", "The ferry vote passed eleven to two.", "spring festival"] {
        assert!(stripped.dom.contains(text), "{text:?} missing");
    }
    assert!(stripped.dom.contains("srcdoc=") && stripped.dom.contains("youtube-nocookie.com/embed/aBcDeFgHiJk"));
    assert!(stripped.dom.contains("twitter-tweet"), "the tweet's blockquote stays");
    drop(proxy);

    // The same page through `--keep-social`: the platforms are asked.
    let keep = Trackstrip::start_with(&sink, &ca, &["--keep-social"]);
    let trusted = [crate::kit::trackstrip_ca_spki(keep.ca_dir.path()), ca.spki_sha256.clone()];
    let trusted: Vec<&str> = trusted.iter().map(String::as_str).collect();
    let kept = load(url, flags(&sink, Some(&keep.addr), &trusted), &sink, PAGE).await;
    for host in ["www.facebook.com", "platform.twitter.com", "www.youtube.com"] {
        assert!(
            kept.sink_hits.iter().any(|h| h.starts_with(host)),
            "{host} not asked with --keep-social: {:?}",
            kept.sink_hits
        );
    }
}
