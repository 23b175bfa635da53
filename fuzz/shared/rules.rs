//! The `rules` fuzz input: rule files and ABP lists from arbitrary text. Compiled into both
//! the libFuzzer target (fuzz/fuzz_targets/rules.rs) and its replay on stable
//! (tests/fuzz_corpus.rs), so the two can't drift apart.
//!
//! The same text is parsed as every rule-file kind (alone, twice over, and for one kind added
//! to the bundled files) and as an ABP list. Parse errors are fine; panics are not.
//! Whatever parses is used: a fixed page is stripped with it and URLs made from the text's
//! own words are judged, so compiled patterns get matched, not only built.
#![allow(dead_code)] // each user reads only some of it

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};
use trackstrip::policy::{PageContext, RequestKind, ResourceUrl, classify};
use trackstrip::rules::{ListSet, RuleFile, RuleKind, Rules};
use trackstrip::strip::{StripOptions, strip_bytes};

const PAGE_URL: &str = "https://www.news.example/a/b?id=1";

/// One of each thing the stripper looks at.
const PAGE: &str = r#"<!doctype html><html><head><base href="/a/">
<script src="https://www.google-analytics.com/analytics.js"></script>
<script src="//cdn.fuzz.example/track/t.js?utm_source=x"></script>
<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());</script>
<link rel="preconnect" href="https://connect.facebook.net"><link rel=stylesheet href="/s.css">
</head><body>
<img src="https://pixel.fuzz.example/p.gif?u=1" width="1" height="1" alt="">
<img src="rel/img.png" srcset="a.png 1x, https://b.scorecardresearch.com/p 2x">
<a href="https://other.example/story?utm_source=tw&fbclid=abc&id=3" ping="https://ping.fuzz.example/p">link</a>
<form action="/search?gclid=1"><input type=image src="https://ads.fuzz.example/i.png"></form>
<iframe src="https://www.youtube.com/embed/x"></iframe><embed src="//ads.fuzz.example/e.swf">
<object data="https://ads.fuzz.example/o"></object>
<noscript><img src="https://www.facebook.com/tr?id=1&ev=PageView"></noscript>
</body></html>"#;

static BUNDLED: LazyLock<Vec<RuleFile>> = LazyLock::new(RuleFile::bundled_files);

/// Up to `n` words of the text that could be a host or a path piece.
fn words(text: &str, n: usize) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || "\"'[],=|^$@#!".contains(c))
        .filter(|w| !w.is_empty() && w.len() < 200)
        .take(n)
        .collect()
}

fn exercise(rules: Arc<Rules>, text: &str) {
    let page = PageContext::new(PAGE_URL).expect("page URL");
    let (_out, _done) = strip_bytes(rules.clone(), page.clone(), StripOptions::default(), PAGE.as_bytes());
    for w in words(text, 12) {
        let host = w.trim_matches(['/', '*', '.']).to_ascii_lowercase();
        let path = if w.starts_with('/') { w.to_string() } else { format!("/{w}") };
        let cases = [
            ResourceUrl { scheme: "https", host: Cow::Borrowed(host.as_str()), path: Cow::Borrowed("/t.js?a=1") },
            ResourceUrl { scheme: "http", host: Cow::Borrowed("cdn.example"), path: Cow::Borrowed(path.as_str()) },
        ];
        for (res, kind) in cases.iter().zip([RequestKind::Script, RequestKind::Image]) {
            let _ = classify(&rules, &page, res, kind);
        }
        let _ = rules.params.clean(&format!("https://{host}/x?{w}=1&id=2"), Some(&host), true);
    }
    let _ =
        rules.params.clean("https://www.news.example/?utm_source=a&gclid=b&keep=1", Some("www.news.example"), false);
}

/// What one input did, for the replay's tally.
#[derive(Default)]
pub struct Outcome {
    /// Rule-file kinds the text parsed as, alone.
    pub parsed: usize,
    /// The text holds network filters, and as a list they built rules.
    pub list: bool,
}

/// Parses and uses one input every way. Errors are fine; a panic is the failure.
pub fn check(data: &[u8]) -> Outcome {
    let mut outcome = Outcome::default();
    let Ok(text) = std::str::from_utf8(data) else {
        return outcome; // rule files and lists are read as UTF-8 text
    };
    // One kind (picked by the input's length) is also added to the bundled files: merging
    // with real rules. Doing it for all six would cost most of the run.
    let with_bundled = RuleKind::ALL[data.len() % RuleKind::ALL.len()];
    for kind in RuleKind::ALL {
        let file = RuleFile { name: format!("fuzz-{}", kind.file_name()), kind, text: text.to_string() };
        if let Ok(rules) = Rules::from_files(std::slice::from_ref(&file), None) {
            outcome.parsed += 1;
            exercise(Arc::new(rules), text);
            // The same file twice, as two `NAME-kind.toml` files would be: duplicates.
            if let Ok(rules) = Rules::from_files(&[file.clone(), file.clone()], None) {
                exercise(Arc::new(rules), text);
            }
            if kind == with_bundled {
                let mut files = BUNDLED.clone();
                files.push(file);
                if let Ok(rules) = Rules::from_files(&files, None) {
                    exercise(Arc::new(rules), text);
                }
            }
        }
    }

    let list = ListSet::from_texts(vec![("fuzz-privacy.txt".into(), text.into())]);
    for w in words(text, 8) {
        let host = w.trim_matches(['/', '*', '.']);
        let _ = list.check_urls(&format!("https://{host}/x.js"), PAGE_URL, RequestKind::Script);
        let _ = list.check_urls(&format!("https://cdn.example/{w}"), PAGE_URL, RequestKind::Image);
    }
    let _ = list.check_urls("https://pixel.fuzz.example/p.gif?u=1", PAGE_URL, RequestKind::Image);
    if text.lines().any(trackstrip::rules::is_network_filter)
        && let Ok(rules) = Rules::from_files(&[], Some(list))
    {
        outcome.list = true;
        exercise(Arc::new(rules), text);
    }
    outcome
}
