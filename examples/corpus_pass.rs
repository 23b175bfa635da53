//! Dev tool: one pass over the dev corpus (../shared/corpus), for instruction counts:
//! `valgrind --tool=callgrind target/release/examples/corpus_pass strip` (or `floor`, `none`).
use std::sync::Arc;
use trackstrip::policy::PageContext;
use trackstrip::rules::Rules;
use trackstrip::strip::selectors::SELECTORS;
use trackstrip::strip::{StripOptions, Stripper};
fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let dir = std::env::var("PAGES").unwrap_or_else(|_| "../shared/corpus/pages".into());
    let pages: Vec<bytes::Bytes> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| bytes::Bytes::from(std::fs::read(e.unwrap().path()).unwrap()))
        .collect();
    let rules = Arc::new(Rules::bundled().unwrap());
    let mut n = 0;
    let chunk: usize = std::env::var("CHUNK").ok().and_then(|r| r.parse().ok()).unwrap_or(16 * 1024);
    let repeat: usize = std::env::var("REPEAT").ok().and_then(|r| r.parse().ok()).unwrap_or(1);
    let t0 = std::time::Instant::now();
    for p in pages.iter().cycle().take(pages.len() * repeat) {
        if mode == "none" {
            n += p.len();
            continue;
        }
        if mode == "bare" {
            let mut rw =
                lol_html::send::HtmlRewriter::new(lol_html::send::Settings::new_send(), |c: &[u8]| n += c.len());
            for c in p.chunks(chunk) {
                rw.write(c).unwrap();
            }
            rw.end().unwrap();
            continue;
        }
        if let Some(sels) = mode.strip_prefix("one:") {
            let strict = std::env::var_os("NOSTRICT").is_none();
            let mut settings = lol_html::send::Settings::new_send().with_strict(strict);
            for sel in sels.split('|') {
                settings = settings.append_element_content_handler(lol_html::element!(sel, |_el| Ok(())));
            }
            let mut rw = lol_html::send::HtmlRewriter::new(settings, |c: &[u8]| n += c.len());
            for c in p.chunks(chunk) {
                rw.write(c).unwrap();
            }
            rw.end().unwrap();
            continue;
        }
        if mode == "floor" {
            let mut settings = lol_html::send::Settings::new_send();
            for &(sel, _) in SELECTORS {
                settings = settings.append_element_content_handler(lol_html::element!(sel, |_el| Ok(())));
            }
            let mut rw = lol_html::send::HtmlRewriter::new(settings, |c: &[u8]| n += c.len());
            for c in p.chunks(chunk) {
                rw.write(c).unwrap();
            }
            rw.end().unwrap();
        } else {
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
    eprintln!("{:.3} ms per page", t0.elapsed().as_secs_f64() * 1000.0 / (pages.len() * repeat) as f64);
    println!("{n}");
}
