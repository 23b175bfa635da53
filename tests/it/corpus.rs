//! Real saved news pages (tests/fixtures/corpus, sources in SOURCES.md) against their expected
//! results: the labelled trackers are stripped, the content is not.

use crate::support::{bundled, fixture, read_fixture, strip_chunked};
use std::collections::HashSet;
use trackstrip::strip::StripOptions;

#[derive(serde::Deserialize)]
struct Expect {
    page: String,
    url: String,
    remove_urls: Vec<String>,
    snippets: usize,
    keep_refs: Vec<String>,
    text: String,
}

fn expectations() -> Vec<Expect> {
    let dir = fixture("corpus");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("fixtures/corpus") {
        let path = entry.expect("entry").path();
        if path.to_string_lossy().ends_with(".expect.json") {
            let text = std::fs::read_to_string(&path).expect("read expectation");
            out.push(serde_json::from_str(&text).expect("valid expectation"));
        }
    }
    assert!(out.len() >= 5, "expected at least 5 corpus fixtures");
    out
}

#[test]
fn corpus_pages_meet_their_expectations() {
    for exp in expectations() {
        let input = read_fixture(&format!("corpus/{}.html", exp.page));
        let (out, done) = strip_chunked(bundled(), &exp.url, StripOptions::with_lines(), &input, &[16 * 1024]);
        let out_text = String::from_utf8_lossy(&out);
        let stripped: HashSet<&str> =
            done.events.iter().filter(|e| e.action.strips()).filter_map(|e| e.url.as_deref()).collect();
        for url in &exp.remove_urls {
            let url = url.split('#').next().unwrap_or(url); // a request carries no fragment
            assert!(stripped.contains(url), "{}: {url} was not stripped", exp.page);
        }
        let snippets = done.events.iter().filter(|e| e.reason == trackstrip::policy::Reason::Snippet).count();
        assert!(snippets >= exp.snippets, "{}: {snippets} snippets stripped, {} expected", exp.page, exp.snippets);
        for r in &exp.keep_refs {
            let written = r.replace('&', "&amp;");
            assert!(out_text.contains(r.as_str()) || out_text.contains(&written), "{}: {r} went missing", exp.page);
        }
        // A run of words from the longest paragraph survives (compare words, markup aside).
        let words: Vec<&str> = exp.text.split_whitespace().collect();
        assert!(words.len() >= 4, "{}: expectation has too little text", exp.page);
        for w in &words {
            assert!(out_text.contains(w), "{}: text {w:?} went missing", exp.page);
        }
        if exp.remove_urls.is_empty() && exp.snippets == 0 {
            assert!(out == input, "{}: a page with no tracker must come out identical", exp.page);
        }
    }
}
