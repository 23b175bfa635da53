//! Dev tool: one pass over the dev corpus (../shared/corpus), for instruction counts:
//! `valgrind --tool=callgrind target/release/examples/corpus_pass MODE`.
//!
//! MODE: `strip` (trackstrip), `floor` (same selectors, empty handlers), `bare` (lol_html, no
//! handlers), `none` (reading only), `one:SEL|SEL...` (those selectors, empty handlers).
//! Environment: `PAGES=dir` (other pages), `REPEAT=n` (passes), `CHUNK=bytes` (write size,
//! default 16 KiB), `NOSTRICT=1` (`one:` without lol_html's strict mode).
#[path = "../benches/common/mod.rs"]
mod common;

use common::empty_handler_settings;
use lol_html::send::{HtmlRewriter, Settings};
use std::sync::Arc;
use trackstrip::policy::PageContext;
use trackstrip::rules::Rules;
use trackstrip::strip::{StripOptions, Stripper};

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let dir = std::env::var("PAGES").unwrap_or_else(|_| "../shared/corpus/pages".into());
    let pages: Vec<bytes::Bytes> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| bytes::Bytes::from(std::fs::read(e.unwrap().path()).unwrap()))
        .collect();
    let rules = Arc::new(Rules::bundled().unwrap());
    let number = |var: &str, default: usize| std::env::var(var).ok().and_then(|r| r.parse().ok()).unwrap_or(default);
    let chunk = number("CHUNK", 16 * 1024);
    let repeat = number("REPEAT", 1);
    let mut n = 0;
    let t0 = std::time::Instant::now();
    for p in pages.iter().cycle().take(pages.len() * repeat) {
        if let Some(sels) = mode.strip_prefix("one:") {
            let strict = std::env::var_os("NOSTRICT").is_none();
            let settings = sels.split('|').fold(Settings::new_send().with_strict(strict), |s, sel| {
                s.append_element_content_handler(lol_html::element!(sel, |_el| Ok(())))
            });
            n += rewrite(settings, p, chunk);
            continue;
        }
        match mode.as_str() {
            "none" => n += p.len(),
            "bare" => n += rewrite(Settings::new_send(), p, chunk),
            "floor" => n += rewrite(empty_handler_settings(), p, chunk),
            _ => {
                let mut s = Stripper::new(
                    rules.clone(),
                    PageContext::new("https://news.example/a").unwrap(),
                    StripOptions::for_page(p, None).unwrap_or_default(),
                );
                let mut at = 0;
                while at < p.len() {
                    let e = (at + chunk).min(p.len());
                    n += s.write_bytes(p.slice(at..e)).len();
                    at = e;
                }
                n += s.finish().tail.len();
            }
        }
    }
    eprintln!("{:.3} ms per page", t0.elapsed().as_secs_f64() * 1000.0 / (pages.len() * repeat) as f64);
    println!("{n}");
}

/// Rewrites one page in `chunk`-byte writes; the output's length.
fn rewrite(settings: Settings<'_, '_>, page: &[u8], chunk: usize) -> usize {
    let mut n = 0;
    let mut rw = HtmlRewriter::new(settings, |c: &[u8]| n += c.len());
    for c in page.chunks(chunk) {
        rw.write(c).unwrap();
    }
    rw.end().unwrap();
    n
}
