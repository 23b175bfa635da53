//! A page comes out the same whatever the chunking of its input (1 byte, random sizes, whole).

use crate::support::{Rng, bundled, read_fixture, strip_chunked};
use trackstrip::strip::StripOptions;

const FIXTURES: &[(&str, &str)] = &[
    ("corpus/seed.html", "https://apnews.com/article"),
    ("corpus/sh-thehill.com-156770d6.html", "https://thehill.com/homenews/news/471033"),
    ("corpus/sh-polygraph.info-1ee91d1f.html", "https://www.polygraph.info/a/30279001.html"),
    ("corpus/pl-www.latimes.com--old.html", "http://articles.latimes.com/2009/oct/14/business/fi-bigtvs14"),
];

fn summary(done: &trackstrip::strip::StripOutput) -> Vec<(String, usize, Option<String>)> {
    done.events.iter().map(|e| (e.action.as_str().to_string(), e.line, e.url.clone())).collect()
}

#[test]
fn same_output_and_events_at_any_chunking() {
    for (name, url) in FIXTURES {
        let input = read_fixture(name);
        let (whole, done) = strip_chunked(bundled(), url, StripOptions::with_lines(), &input, &[usize::MAX]);
        assert!(whole != input, "{name}: something was stripped");
        let want = summary(&done);
        let (bytes1, done1) = strip_chunked(bundled(), url, StripOptions::with_lines(), &input, &[1]);
        assert!(bytes1 == whole, "{name}: 1-byte chunks differ");
        assert_eq!(summary(&done1), want, "{name}: 1-byte chunk events");
        let mut rng = Rng::new(name.len() as u64);
        for round in 0..12 {
            let sizes: Vec<usize> = (0..64).map(|_| 1 + rng.below(if round % 2 == 0 { 17 } else { 9000 })).collect();
            let (out, done) = strip_chunked(bundled(), url, StripOptions::with_lines(), &input, &sizes);
            assert!(out == whole, "{name}: chunk sizes {sizes:?} differ");
            assert_eq!(summary(&done), want, "{name}: events at chunk sizes {sizes:?}");
        }
    }
}

#[test]
fn untouched_page_is_identical_at_any_chunking() {
    let input = read_fixture("corpus/pl-www.theatlantic.com.html");
    let url = "http://www.theatlantic.com/technology/archive/2016/09/x/500591/";
    let mut rng = Rng::new(7);
    let mut sizes_list = vec![vec![1], vec![usize::MAX], vec![3, 1, 4, 1, 5, 9, 2, 6]];
    for _ in 0..8 {
        sizes_list.push((0..32).map(|_| 1 + rng.below(4096)).collect());
    }
    for sizes in sizes_list {
        let (out, done) = strip_chunked(bundled(), url, StripOptions::with_lines(), &input, &sizes);
        assert!(out == input, "chunk sizes {sizes:?}: output differs from input");
        assert!(done.events.is_empty(), "{:?}", done.events);
    }
}
