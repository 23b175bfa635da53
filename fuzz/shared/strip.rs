//! The `strip` fuzz input: how its bytes become options and a page, and what must hold for it.
//! Compiled into both the libFuzzer target (fuzz/fuzz_targets/strip.rs) and its replay on
//! stable (tests/fuzz_corpus.rs), so the two can't drift apart.
//!
//! Input: 6 header bytes, then the page.
//!   bytes 0-1: options, little-endian (bits: see [`setup`]); bytes 2-5: seed of the chunk sizes.
//! Checks: no panic; the chunked run gives the same bytes, events (every field) and counts as
//! the whole run (unless lol_html bailed out on its memory limit, whose point may depend on
//! chunking); a run that recorded no event, or ran report-only, gives back its input byte for
//! byte.
#![allow(dead_code)] // each user reads only some of it

use std::sync::{Arc, LazyLock};
use trackstrip::policy::PageContext;
use trackstrip::rules::{ListSet, RuleFile, Rules};
use trackstrip::strip::{StripOptions, StripOutput, Stripper};

pub const HEADER: usize = 6;

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

pub struct Setup {
    pub rules: Arc<Rules>,
    pub page: PageContext,
    pub opts: StripOptions,
}

/// Option bits: 0 report-only, 1 no line tracking, 2 report_kept, 3-4 encoding (UTF-8,
/// windows-1252, Shift_JIS, ISO-8859-2), 5 ignore `<meta charset>`, 6 a 4 KiB memory limit,
/// 7-8 page (https URL, https URL, 127.0.0.1:8080, unknown), 9 bundled rules plus `LIST`,
/// 10-11 largest chunk (1, 16, 512, 8192 bytes; see [`max_chunk`]). Bits 12-15 are unused.
/// Not from the input: no CNAME lookups (no DNS here) and social embeds replaced (the default).
pub fn setup(flags: u16) -> Setup {
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
        ..StripOptions::default()
    };
    let page = match (flags >> 7) & 3 {
        0 | 1 => PageContext::new("https://www.news.example/2024/article?id=1").expect("page URL"),
        2 => PageContext::new("http://127.0.0.1:8080/").expect("page URL"),
        _ => PageContext::unknown(),
    };
    let rules = if bit(9) { WITH_LIST.clone() } else { BUNDLED.clone() };
    Setup { rules, page, opts }
}

/// Bits 10-11: the largest chunk of the chunked run.
pub fn max_chunk(flags: u16) -> usize {
    match (flags >> 10) & 3 {
        0 => 1,
        1 => 16,
        2 => 512,
        _ => 8192,
    }
}

/// An input, decoded.
pub struct Input<'a> {
    pub flags: u16,
    /// Never 0 (xorshift would stay at 0).
    pub seed: u32,
    pub html: &'a [u8],
}

/// None for an input shorter than the header (nothing to do).
pub fn decode(data: &[u8]) -> Option<Input<'_>> {
    let header = data.get(..HEADER)?;
    let flags = u16::from_le_bytes([header[0], header[1]]);
    let seed = u32::from_le_bytes([header[2], header[3], header[4], header[5]]) | 1;
    Some(Input { flags, seed, html: &data[HEADER..] })
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

/// Everything an event says (action, element, attribute, URL, host, tracker, rule, line...).
fn summary(done: &StripOutput) -> Vec<String> {
    done.events.iter().map(|e| format!("{e:?}")).collect()
}

/// Report-only changes nothing, and a page where nothing fired comes out as it went in.
fn check_identity(what: &str, s: &Setup, html: &[u8], out: &[u8], done: &StripOutput) -> Result<(), String> {
    if (!s.opts.enforce || done.events.is_empty()) && out != html {
        return Err(format!(
            "{what}: output differs from input (enforce={}, events={}, bailed={:?})",
            s.opts.enforce,
            done.events.len(),
            done.bailed_out
        ));
    }
    Ok(())
}

/// What one input did, for the replay's tally.
pub struct Outcome {
    pub flags: u16,
    pub events: usize,
    pub bailed_out: bool,
}

/// Runs one input whole and in chunks and checks the two. None: too short to be an input.
pub fn check(data: &[u8]) -> Result<Option<Outcome>, String> {
    let Some(Input { flags, seed, html }) = decode(data) else { return Ok(None) };
    let s = setup(flags);
    let max = max_chunk(flags);

    let (whole, whole_done) = run(&s, html, None);
    check_identity("whole", &s, html, &whole, &whole_done)?;
    let (chunked, chunked_done) = run(&s, html, Some(Sizes { state: seed, max }));
    check_identity("chunked", &s, html, &chunked, &chunked_done)?;

    if whole_done.bailed_out.is_none() && chunked_done.bailed_out.is_none() {
        if whole != chunked {
            return Err(format!("chunked output differs from whole (max chunk {max}, seed {seed:#x})"));
        }
        let (w, c) = (summary(&whole_done), summary(&chunked_done));
        if w != c {
            return Err(format!(
                "events differ with chunking (max chunk {max}, seed {seed:#x}):\n whole: {w:?}\n chunked: {c:?}"
            ));
        }
        if whole_done.stats != chunked_done.stats {
            return Err(format!(
                "counts differ with chunking (max chunk {max}, seed {seed:#x}): whole {:?}, chunked {:?}",
                whole_done.stats, chunked_done.stats
            ));
        }
    }
    Ok(Some(Outcome {
        flags,
        events: whole_done.events.len(),
        bailed_out: whole_done.bailed_out.is_some() || chunked_done.bailed_out.is_some(),
    }))
}
