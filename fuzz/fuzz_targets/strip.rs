//! The rewriter on arbitrary bytes, fed whole and in chunks.
//!
//! Input: 6 header bytes, then the page.
//!   bytes 0-1: options, little-endian (bits: see `setup`); bytes 2-5: seed of the chunk sizes.
//! Checks: no panic; the chunked run gives the same bytes and events as the whole run (unless
//! lol_html bailed out on its memory limit, whose point may depend on chunking); a run that
//! recorded no event, or ran report-only, gives back its input byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, LazyLock};
use trackstrip::policy::PageContext;
use trackstrip::rules::{ListSet, RuleFile, Rules};
use trackstrip::strip::{StripOptions, StripOutput, Stripper};

const HEADER: usize = 6;

/// A few list rules, so list matches (and `@@` exceptions) happen in pages too.
const LIST: &str = "! Title: Fuzz Privacy\n\
||pixel.fuzz.example^\n\
||ads.fuzz.example^$third-party\n\
/beacon.gif?\n\
||cdn.fuzz.example/track/*$script\n\
@@||cdn.fuzz.example/track/ok.js\n";

static BUNDLED: LazyLock<Arc<Rules>> = LazyLock::new(|| Arc::new(Rules::bundled().expect("bundled rules")));
static WITH_LIST: LazyLock<Arc<Rules>> = LazyLock::new(|| {
    let lists = ListSet::from_texts(vec![("fuzz-privacy.txt".into(), LIST.into())]);
    Arc::new(Rules::from_files(&RuleFile::bundled_files(), Some(lists)).expect("rules with list"))
});

struct Setup {
    rules: Arc<Rules>,
    page: PageContext,
    opts: StripOptions,
}

/// Option bits: 0 report-only, 1 no line tracking, 2 report_kept, 3-4 encoding (UTF-8,
/// windows-1252, Shift_JIS, ISO-8859-2), 5 ignore `<meta charset>`, 6 a 4 KiB memory limit,
/// 7-8 page (https URL, https URL, 127.0.0.1:8080, unknown), 9 bundled rules plus `LIST`,
/// 10-11 largest chunk (1, 16, 512, 8192 bytes).
fn setup(flags: u16) -> Setup {
    let bit = |n: u16| flags & (1 << n) != 0;
    let encoding = match (flags >> 3) & 3 {
        0 => encoding_rs::UTF_8,
        1 => encoding_rs::WINDOWS_1252,
        2 => encoding_rs::SHIFT_JIS,
        _ => encoding_rs::ISO_8859_2,
    };
    let opts = StripOptions {
        enforce: !bit(0),
        track_lines: !bit(1),
        report_kept: bit(2),
        encoding,
        follow_meta_charset: !bit(5),
        // Small enough that big tokens hit it: the bail-out path.
        memory_limit: if bit(6) { 4096 } else { StripOptions::default().memory_limit },
    };
    let page = match (flags >> 7) & 3 {
        0 | 1 => PageContext::new("https://www.news.example/2024/article?id=1").expect("page URL"),
        2 => PageContext::new("http://127.0.0.1:8080/").expect("page URL"),
        _ => PageContext::unknown(),
    };
    let rules = if bit(9) { WITH_LIST.clone() } else { BUNDLED.clone() };
    Setup { rules, page, opts }
}

/// xorshift32: chunk sizes from the seed bytes.
struct Sizes {
    state: u32,
    max: usize,
}

impl Iterator for Sizes {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        Some(1 + (x as usize) % self.max)
    }
}

fn run(s: &Setup, html: &[u8], sizes: Option<Sizes>) -> (Vec<u8>, StripOutput) {
    let mut st = Stripper::new(s.rules.clone(), s.page.clone(), s.opts.clone());
    let mut out = Vec::with_capacity(html.len());
    let mut events = Vec::new();
    match sizes {
        None => out.extend_from_slice(&st.write(html)),
        Some(sizes) => {
            let mut rest = html;
            for (i, n) in sizes.enumerate() {
                if rest.is_empty() {
                    break;
                }
                let n = n.min(rest.len());
                out.extend_from_slice(&st.write(&rest[..n]));
                rest = &rest[n..];
                if i % 3 == 0 {
                    events.extend(st.take_events()); // as the proxy does, mid-page
                }
            }
        }
    }
    let mut done = st.finish();
    out.extend_from_slice(&done.tail);
    events.append(&mut done.events);
    done.events = events;
    (out, done)
}

fn summary(done: &StripOutput) -> Vec<(String, usize, Option<String>)> {
    done.events.iter().map(|e| (e.action.as_str().to_string(), e.line, e.url.clone())).collect()
}

/// Report-only changes nothing, and a page where nothing fired comes out as it went in.
fn check_identity(what: &str, s: &Setup, html: &[u8], out: &[u8], done: &StripOutput) {
    if !s.opts.enforce || done.events.is_empty() {
        assert!(
            out == html,
            "{what}: output differs from input (enforce={}, events={}, bailed={:?})",
            s.opts.enforce,
            done.events.len(),
            done.bailed_out
        );
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < HEADER {
        return;
    }
    let flags = u16::from_le_bytes([data[0], data[1]]);
    let seed = u32::from_le_bytes([data[2], data[3], data[4], data[5]]) | 1;
    let html = &data[HEADER..];
    let s = setup(flags);
    let max = match (flags >> 10) & 3 {
        0 => 1,
        1 => 16,
        2 => 512,
        _ => 8192,
    };

    let (whole, whole_done) = run(&s, html, None);
    check_identity("whole", &s, html, &whole, &whole_done);
    let (chunked, chunked_done) = run(&s, html, Some(Sizes { state: seed, max }));
    check_identity("chunked", &s, html, &chunked, &chunked_done);

    if whole_done.bailed_out.is_none() && chunked_done.bailed_out.is_none() {
        assert!(whole == chunked, "chunked output differs from whole (max chunk {max}, seed {seed:#x})");
        assert_eq!(summary(&whole_done), summary(&chunked_done), "events differ with chunking");
    }
});
