//! Social widgets and embeds in a real browser: placeholders by default, so no request reaches
//! Facebook, X, YouTube or Disqus; `--keep-social` lets them load (so the test can fail).

use crate::kit::{Origin, OriginCa, Sinks, Trackstrip, referenced_hosts};
use crate::{flags, leaks, load};

const PAGE: &str = "social.html";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn social_embeds_become_placeholders_and_nothing_reaches_the_platforms() {
    let (ca, sinks) = (OriginCa::new(), Sinks::start().await);
    let origin = Origin::start(&ca).await;
    let hosts = referenced_hosts(PAGE);
    assert!(hosts.iter().any(|h| h == "www.youtube.com") && hosts.iter().any(|h| h == "platform.twitter.com"));
    let url = origin.url(PAGE, true);

    let proxy = Trackstrip::start(&sinks, &ca);
    let trusted = [crate::kit::trackstrip_ca_spki(proxy.ca_dir.path()), ca.spki_sha256.clone()];
    let trusted: Vec<&str> = trusted.iter().map(String::as_str).collect();
    let stripped = load(url.clone(), flags(&sinks, Some(&proxy.addr), &trusted), &sinks).await;
    let leaked = leaks::leaks(&stripped.hits);
    assert!(leaked.is_empty(), "social requests got out: {leaked:#?}");
    for text in ["The harbour council voted on Thursday", "The ferry vote passed eleven to two.", "spring festival"] {
        assert!(stripped.dom.contains(text), "{text:?} missing");
    }
    assert!(stripped.dom.contains("srcdoc=") && stripped.dom.contains("youtube-nocookie.com/embed/aBcDeFgHiJk"));
    assert!(stripped.dom.contains("twitter-tweet"), "the tweet's blockquote stays");
    // Stopped, trackstrip can send nothing more: whatever it sent late is on the sink now.
    drop(proxy);
    let leaked = leaks::leaks(&sinks.drained().await.0);
    assert!(leaked.is_empty(), "reached a sink after the load was drained: {leaked:#?}");

    // The same page through `--keep-social`: the platforms are asked.
    let keep = Trackstrip::start_with(&sinks, &ca, &["--keep-social"]);
    let trusted = [crate::kit::trackstrip_ca_spki(keep.ca_dir.path()), ca.spki_sha256.clone()];
    let trusted: Vec<&str> = trusted.iter().map(String::as_str).collect();
    let kept = load(url, flags(&sinks, Some(&keep.addr), &trusted), &sinks).await;
    drop(keep);
    let mut asked = kept.hits;
    asked.extend(sinks.drained().await.0);
    assert!(asked.iter().all(|h| h.sink == "trackstrip"), "requests around trackstrip: {asked:?}");
    for host in ["www.facebook.com", "platform.twitter.com", "www.youtube.com"] {
        assert!(
            asked.iter().any(|h| h.host.as_deref() == Some(host)),
            "{host} not asked with --keep-social: {asked:?}"
        );
    }
}
