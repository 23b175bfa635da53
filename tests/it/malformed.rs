//! Bad input never panics and loses nothing.

use crate::support::{Rng, bundled, strip_chunked};
use std::sync::Arc;
use trackstrip::strip::StripOptions;

const URL: &str = "https://news.example/a";

fn both_ways(input: &[u8]) -> (Vec<u8>, trackstrip::strip::StripOutput) {
    let (whole, done) = strip_chunked(bundled(), URL, StripOptions::default(), input, &[usize::MAX]);
    let (bytes1, _) = strip_chunked(bundled(), URL, StripOptions::default(), input, &[1]);
    assert!(whole == bytes1, "1-byte chunks differ for {:?}", String::from_utf8_lossy(&input[..input.len().min(80)]));
    (whole, done)
}

#[test]
fn unclosed_and_broken_markup() {
    let cases: &[&str] = &[
        r#"<img src="https://b.scorecardresearch.com/p?x" width=1 height=1"#,
        r#"<img src=="x" =foo width="1" "height=1"><p>text"#,
        "<script>var a = '<img src=x>';",
        "<noscript><img src=https://b.scorecardresearch.com/p",
        "<a href='/x?utm_source=1' ping=",
        "<!-- never closed <img src=https://b.scorecardresearch.com/p>",
        "</p></div></body></html></html><html><body><img src=a",
        "<svg><script>GoogleAnalyticsObject</script></svg><math><mi><img src=https://b.scorecardresearch.com/x>",
        "<table><tr><td><script src=https://www.google-analytics.com/analytics.js>",
        "<select><script>fbq('track','x')</script></select>",
        "<<<>>><img<img<img src=//b.scorecardresearch.com/p>",
    ];
    for c in cases {
        both_ways(c.as_bytes());
    }
}

#[test]
fn nul_bytes_and_garbage() {
    let input = b"<p>a\0b</p><img src=\"https://b.scorecardresearch.com/p\0x\" width=1 height=1>\0<scr\0ipt>x</script>";
    let (out, _) = both_ways(input);
    assert!(out.starts_with(b"<p>a\0b</p>"), "NUL bytes in text pass through");
    let mut rng = Rng::new(42);
    for _ in 0..50 {
        const ALPHABET: &[u8] = b"<>/=\"' \0abcimgsrcpt\xff\xfe&;";
        let junk: Vec<u8> = (0..2000).map(|_| ALPHABET[rng.below(ALPHABET.len())]).collect();
        both_ways(&junk);
    }
}

#[test]
fn ten_megabyte_attribute_value() {
    let mut input = b"<p>before</p><img alt=\"".to_vec();
    input.extend(std::iter::repeat_n(b'A', 10 * 1024 * 1024));
    input.extend_from_slice(b"\" width=1 height=1 src=\"https://b.scorecardresearch.com/p\"><p>after</p>");
    let (out, done) = strip_chunked(bundled(), URL, StripOptions::default(), &input, &[65536]);
    assert_eq!(out, b"<p>before</p><p>after</p>");
    assert_eq!(done.events.len(), 1);
}

#[test]
fn past_the_memory_limit_the_rest_passes_through_unchanged() {
    // A 3 MB tag with a 1 MB limit: lol_html gives up and hands every byte back as it came.
    let first = b"<img src=\"https://b.scorecardresearch.com/p\" width=1 height=1>";
    let mut input = first.to_vec();
    input.extend_from_slice(b"<p>ok</p><img alt=\"");
    input.extend(std::iter::repeat_n(b'x', 3 * 1024 * 1024));
    input.extend_from_slice(b"\"><img src=\"https://b.scorecardresearch.com/q\" width=1 height=1><p>end</p>");
    let opts = StripOptions { memory_limit: 1024 * 1024, ..StripOptions::default() };
    let (out, done) = strip_chunked(bundled(), URL, opts, &input, &[16 * 1024]);
    assert!(done.bailed_out.is_some(), "expected a bail-out");
    assert!(out == input[first.len()..], "the pixel before the limit is stripped, nothing after it is lost");
}

#[test]
fn non_utf8_page_with_its_charset() {
    // windows-1251: "Новости" (news) in Cyrillic, in a link and in text.
    let cyr: &[u8] = b"\xcd\xee\xe2\xee\xf1\xf2\xe8";
    let mut input = b"<html><head><meta charset=\"windows-1251\"></head><body><p>".to_vec();
    input.extend_from_slice(cyr);
    input.extend_from_slice(b"</p><a href=\"/");
    input.extend_from_slice(cyr);
    input.extend_from_slice(b"?utm_source=vk&amp;id=5\">");
    input.extend_from_slice(cyr);
    input.extend_from_slice(b"</a><img src=\"https://mc.yandex.ru/watch/1\" width=1 height=1></body></html>");
    let enc = encoding_rs::WINDOWS_1251;
    let opts = StripOptions { encoding: enc, ..StripOptions::default() };
    let (out, done) = strip_chunked(Arc::clone(&bundled()), URL, opts, &input, &[5]);
    let mut want = b"<html><head><meta charset=\"windows-1251\"></head><body><p>".to_vec();
    want.extend_from_slice(cyr);
    want.extend_from_slice(b"</p><a href=\"/");
    want.extend_from_slice(cyr);
    want.extend_from_slice(b"?id=5\">");
    want.extend_from_slice(cyr);
    want.extend_from_slice(b"</a></body></html>");
    assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&want));
    assert_eq!(out, want);
    assert_eq!(done.events.len(), 2);
    // Detected from the <meta> when nobody says otherwise.
    assert_eq!(
        trackstrip::charset::detect(&input, None),
        trackstrip::charset::Charset::Rewrite { encoding: enc, settled: true }
    );
}

#[test]
fn unterminated_script_and_noscript_at_the_end() {
    for tail in [
        "<script>(function(i){i['GoogleAnalyticsObject']='ga'})(window)",
        "<noscript><img src=\"https://b.scorecardresearch.com/p\">",
    ] {
        let input = format!("<p>x</p>{tail}");
        let (out, _) = both_ways(input.as_bytes());
        assert_eq!(out, input.as_bytes(), "an unterminated element passes through");
    }
}
