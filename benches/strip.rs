//! Stripping throughput over real pages, beside two floors measured on the same input:
//! lol_html with no handlers (parsing only), and lol_html with trackstrip's selectors but
//! empty handlers (the cost of matching). trackstrip's own handlers are the difference.
//!
//! Pages: ../shared/corpus/pages when present (the 45-page dev corpus), else tests/fixtures.

mod common;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lol_html::send::{HtmlRewriter, Settings};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use trackstrip::policy::PageContext;
use trackstrip::rules::Rules;
use trackstrip::strip::{StripOptions, Stripper};

const CHUNK: usize = 16 * 1024;

fn pages() -> Vec<(String, Bytes)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dev = root.join("../shared/corpus/pages");
    let dir = if dev.is_dir() { dev } else { root.join("tests/fixtures/corpus") };
    let mut pages: Vec<_> = std::fs::read_dir(&dir)
        .expect("pages directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .map(|p| (p.display().to_string(), Bytes::from(std::fs::read(&p).expect("page"))))
        .collect();
    pages.sort();
    pages
}

fn floor(input: &[u8], selectors: bool) -> usize {
    let mut out = 0usize;
    let settings = if selectors { common::empty_handler_settings() } else { Settings::new_send() };
    let mut rw = HtmlRewriter::new(settings, |c: &[u8]| out += c.len());
    for chunk in input.chunks(CHUNK) {
        rw.write(chunk).expect("write");
    }
    rw.end().expect("end");
    out
}

fn strip(rules: &Arc<Rules>, input: &Bytes) -> usize {
    let mut s = Stripper::new(
        rules.clone(),
        PageContext::new("https://news.example/article").expect("url"),
        StripOptions::for_page(input, None).unwrap_or_default(),
    );
    let mut out = 0;
    let mut at = 0;
    while at < input.len() {
        // As the proxy feeds it: shared `Bytes`, no copy.
        let end = (at + CHUNK).min(input.len());
        out += s.write_bytes(input.slice(at..end)).len();
        at = end;
    }
    out + s.finish().tail.len()
}

fn bench(c: &mut Criterion) {
    let pages = pages();
    let total: usize = pages.iter().map(|(_, p)| p.len()).sum();
    let rules = Arc::new(Rules::bundled().expect("rules"));
    let mut g = c.benchmark_group("corpus");
    g.throughput(Throughput::Bytes(total as u64));
    g.sample_size(20);
    g.bench_function("lol_html no handlers", |b| {
        b.iter(|| pages.iter().map(|(_, p)| floor(black_box(p), false)).sum::<usize>())
    });
    g.bench_function("lol_html same selectors, empty handlers", |b| {
        b.iter(|| pages.iter().map(|(_, p)| floor(black_box(p), true)).sum::<usize>())
    });
    g.bench_function("trackstrip strip", |b| {
        b.iter(|| pages.iter().map(|(_, p)| strip(&rules, black_box(p))).sum::<usize>())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
