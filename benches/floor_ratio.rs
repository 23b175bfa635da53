//! The stripping speed as a ratio of its two floors, measured interleaved (floor, strip,
//! floor, strip...) so that a noisy machine moves all three alike; prints the medians.
//! `cargo bench --bench floor_ratio` (criterion's `strip` bench gives absolute MB/s).

mod common;

use bytes::Bytes;
use lol_html::send::{HtmlRewriter, Settings};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use trackstrip::policy::PageContext;
use trackstrip::rules::Rules;
use trackstrip::strip::{StripOptions, Stripper};

const CHUNK: usize = 16 * 1024;
const ROUNDS: usize = 31;

/// `FLOOR_ROUNDS=N` for more rounds (e.g. under a profiler).
fn rounds() -> usize {
    std::env::var("FLOOR_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(ROUNDS)
}

fn pages() -> Vec<Bytes> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dev = root.join("../shared/corpus/pages");
    let dir = match std::env::var_os("FLOOR_PAGES").filter(|d| !d.is_empty()) {
        Some(d) => d.into(), // e.g. the load benchmark's generated pages
        None if dev.is_dir() => dev,
        None => root.join("tests/fixtures/corpus"),
    };
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("pages directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    paths.sort();
    paths.iter().map(|p| Bytes::from(std::fs::read(p).expect("page"))).collect()
}

fn floor(pages: &[Bytes], selectors: bool) -> usize {
    let mut out = 0usize;
    for p in pages {
        let settings = if selectors { common::empty_handler_settings() } else { Settings::new_send() };
        let mut rw = HtmlRewriter::new(settings, |c: &[u8]| out += c.len());
        for chunk in p.chunks(CHUNK) {
            rw.write(chunk).expect("write");
        }
        rw.end().expect("end");
    }
    out
}

fn strip(rules: &Arc<Rules>, pages: &[Bytes]) -> usize {
    let mut out = 0;
    for p in pages {
        let page = PageContext::new(&std::env::var("FLOOR_PAGE_URL").unwrap_or("https://news.example/article".into()))
            .expect("url");
        let mut s = Stripper::new(rules.clone(), page, StripOptions::for_page(p, None).unwrap_or_default());
        let mut at = 0;
        while at < p.len() {
            let end = (at + CHUNK).min(p.len());
            out += s.write_bytes(p.slice(at..end)).len();
            at = end;
        }
        out += s.finish().tail.len();
    }
    out
}

fn time(f: impl FnOnce() -> usize) -> f64 {
    let t = Instant::now();
    black_box(f());
    t.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // cargo test --benches asks for a listing
    }
    let pages = pages();
    let mb = pages.iter().map(Bytes::len).sum::<usize>() as f64 / (1024.0 * 1024.0);
    // What `strip` and `serve` use by default (the bundled rules and the built-in list), and
    // the bundled rules alone: the difference is what the list costs.
    let rules = Arc::new(Rules::defaults().expect("rules"));
    let bundled = Arc::new(Rules::bundled().expect("rules"));
    let (mut bare, mut empty, mut ts, mut r_bare, mut r_empty) = (vec![], vec![], vec![], vec![], vec![]);
    let (mut ts_bundled, mut r_list) = (vec![], vec![]);
    for _ in 0..rounds() {
        let b = time(|| floor(&pages, false));
        let e = time(|| floor(&pages, true));
        let t = time(|| strip(&rules, &pages));
        let tb = time(|| strip(&bundled, &pages));
        bare.push(mb / b);
        empty.push(mb / e);
        ts.push(mb / t);
        ts_bundled.push(mb / tb);
        r_bare.push(b / t);
        r_empty.push(e / t);
        r_list.push(tb / t);
    }
    println!("{} pages, {mb:.1} MiB, {} interleaved rounds, medians:", pages.len(), rounds());
    println!("  lol_html, no handlers                  {:7.1} MiB/s", median(bare));
    println!("  lol_html, same selectors, empty handlers {:5.1} MiB/s", median(empty));
    println!("  trackstrip strip, defaults             {:7.1} MiB/s", median(ts));
    println!("  trackstrip strip, bundled rules only   {:7.1} MiB/s", median(ts_bundled));
    println!("  defaults / bundled rules only          {:7.2}", median(r_list));
    println!("  trackstrip / empty-handler floor       {:7.2}", median(r_empty));
    println!("  trackstrip / no-handler floor          {:7.2}", median(r_bare));
}
