//! The prefilter in front of the adblock engine: which URLs could any filter match at all?
//!
//! A filter matches only URLs that hold each literal run of its pattern (the text between `*`,
//! `^` and `|`, case aside). Most runs hold a *bounded token*: letters and digits with a
//! non-alphanumeric character, a `^` or an anchor on both sides, which must then be a whole
//! token of the URL. So each filter is keyed by its longest such token that is not common in
//! URLs: a URL's tokens are hashed in one pass, the few that key a filter have its run checked
//! (and the filter's other runs looked for), and only a URL holding them all goes to the engine
//! (about 4 µs a call). A `/regex/` filter is keyed the same way by the text it surely holds.
//! Runs with no bounded token (`analytics`, unanchored) are searched for; filters with nothing
//! to look for (`$ping,third-party`) send every request of their types, on their sites when
//! they name some, to the engine.

use super::pattern::{Pattern, pages_of, regex_literal};
use crate::policy::RequestKind;
use adblock::filters::network::{NetworkFilter, NetworkFilterMask};
use aho_corasick::AhoCorasick;
use foldhash::HashMap;

/// Bits in the token filter: a URL's token is looked up only when its bit is set.
const BITS: usize = 1 << 16;

/// What a URL may match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Candidates {
    /// Some blocking filter may match: ask the engine.
    pub block: bool,
    /// Some exception may match.
    pub exception: bool,
}

/// A run keyed by a token: the run's text around the token, checked in place wherever the
/// URL holds the token (no search needed: every whole occurrence of the token is visited).
struct Run {
    text: Box<[u8]>,
    /// Where the token starts in `text`.
    token_at: usize,
    exception: bool,
    /// `$domain=a.example|b.example`: the filter applies only on these sites' pages (hashes
    /// of the names; empty = any page). Thousands of EasyPrivacy's filters are site-specific.
    pages: Box<[u64]>,
    /// The filter's other literal runs, each of which the URL must hold too
    /// (`||cdn.example^*/track.js`: a URL on the host is asked only if it has `/track.js`).
    others: Box<[Box<[u8]>]>,
}

/// The filter a searched-for run belongs to: an exception or not, and its request types.
#[derive(Clone, Copy)]
struct LooseKind {
    exception: bool,
    types: u32,
}

/// A filter with no literal run that applies only on some sites' pages: asked for the
/// request types it names, on those sites only.
struct SiteOnly {
    types: u32,
    pages: Box<[u64]>,
    exception: bool,
}

#[derive(Default)]
pub(super) struct PrefilterBuilder {
    runs: Vec<Run>,
    keyed: HashMap<u64, Vec<u32>>,
    /// Runs with no usable token, searched for.
    loose: Vec<String>,
    loose_kinds: Vec<LooseKind>,
    site_only: Vec<SiteOnly>,
    always_block: u32,
    always_exception: u32,
}

pub(super) struct Prefilter {
    runs: Vec<Run>,
    bits: Box<[u64]>,
    keyed: HashMap<u64, Vec<u32>>,
    /// Runs with no usable token, searched directly; what each is the run of, by pattern id.
    loose: Option<AhoCorasick>,
    loose_kinds: Vec<LooseKind>,
    site_only: Vec<SiteOnly>,
    /// Request types (bits of [`kind_bit`]) that some filter without a run applies to.
    always_block: u32,
    always_exception: u32,
}

impl PrefilterBuilder {
    /// Records one filter the engine holds; `line` is its text as written in the list.
    pub fn add(&mut self, line: &str, f: &NetworkFilter<'_>) {
        let exception = f.mask.contains(NetworkFilterMask::IS_EXCEPTION);
        if !exception && (f.is_csp() || f.is_removeparam() || f.is_badfilter()) {
            return; // never blocks a request by itself
        }
        let shape = Pattern::of(line.trim());
        // A regex is looked for by the longest text it surely holds, if any.
        let literal;
        let shape = if f.mask.contains(NetworkFilterMask::IS_COMPLETE_REGEX) {
            let Some(lit) = regex_literal(shape.text) else {
                return self.no_run(f.mask, line, exception);
            };
            literal = lit;
            Pattern { text: &literal, host_anchor: false, left_anchor: false, right_anchor: false }
        } else {
            shape
        };
        let Some(best) = shape.best() else {
            return self.no_run(f.mask, line, exception);
        };
        match best.token {
            Some((t, token_at)) => {
                let id = u32::try_from(self.runs.len()).unwrap_or(u32::MAX);
                let others = best.others.iter().map(|o| o.as_bytes().into()).collect();
                let text = best.run.as_bytes().into();
                self.runs.push(Run { text, token_at, exception, pages: pages_of(line), others });
                self.keyed.entry(token_hash(t.as_bytes())).or_default().push(id);
            }
            None => self.search_for(best.run.to_string(), f.mask, exception),
        }
    }

    fn search_for(&mut self, run: String, mask: NetworkFilterMask, exception: bool) {
        self.loose.push(run);
        self.loose_kinds.push(LooseKind { exception, types: type_bits(mask) });
    }

    /// A filter with nothing to look for: every request of its types is asked (on its sites
    /// only, when it names them).
    fn no_run(&mut self, mask: NetworkFilterMask, line: &str, exception: bool) {
        let types = type_bits(mask);
        let pages = pages_of(line);
        if !pages.is_empty() {
            self.site_only.push(SiteOnly { types, pages, exception });
        } else if exception {
            self.always_exception |= types;
        } else {
            self.always_block |= types;
        }
    }

    pub fn build(self) -> Prefilter {
        let mut bits = vec![0u64; BITS / 64].into_boxed_slice();
        for &h in self.keyed.keys() {
            let b = (h as usize) % BITS;
            bits[b / 64] |= 1 << (b % 64);
        }
        let loose =
            (!self.loose.is_empty()).then(|| AhoCorasick::builder().ascii_case_insensitive(true).build(&self.loose));
        // Should the automaton fail to build, every request is asked.
        let failed = if matches!(loose, Some(Err(_))) { u32::MAX } else { 0 };
        Prefilter {
            always_block: self.always_block | failed,
            always_exception: self.always_exception | failed,
            runs: self.runs,
            site_only: self.site_only,
            bits,
            keyed: self.keyed,
            loose: loose.and_then(Result::ok),
            loose_kinds: self.loose_kinds,
        }
    }
}

/// What a URL prefix (scheme and authority) brings, worked out once for the URLs of a page
/// that share it: the runs keyed by its tokens that apply on the page and may hold.
#[derive(Default)]
pub(super) struct PrefixRuns {
    /// The prefix's length: the tokens past it are looked up per URL.
    end: usize,
    /// (run, where its token starts).
    runs: Vec<(u32, usize)>,
}

impl Prefilter {
    /// Works out what `url[..end]` brings for a page on `page_host`. `end` must be where a token
    /// can't go on (a `/`, `?`, `#` or the URL's end).
    pub fn prefix_runs(&self, url: &str, end: usize, page_host: &str, into: &mut PrefixRuns) {
        let url = url.as_bytes();
        into.end = end;
        into.runs.clear();
        self.keyed_in(url, 0, end, page_host, |id, start| {
            // What of the run falls inside the prefix is the same for every URL sharing it.
            if self.runs[id as usize].may_hold(url, start, end) {
                into.runs.push((id, start));
            }
        });
    }

    /// Which kinds of filter could match `url` (as the engine will be given it). `known`: what
    /// its prefix brings, when worked out already.
    pub fn scan(&self, url: &str, kind: RequestKind, page_host: &str, known: Option<&PrefixRuns>) -> Candidates {
        let bit = kind_bit(kind);
        let mut found = Candidates { block: self.always_block & bit != 0, exception: self.always_exception & bit != 0 };
        let url = url.as_bytes();
        let (from, known) = known.map_or((0, &[][..]), |k| (k.end, k.runs.as_slice()));
        let mut consider = |id: u32, start: usize| {
            let run = &self.runs[id as usize];
            let seen = if run.exception { found.exception } else { found.block };
            if !seen && run.holds(url, start) && run.others_in(url) {
                if run.exception {
                    found.exception = true;
                } else {
                    found.block = true;
                }
            }
        };
        for &(id, start) in known {
            consider(id, start);
        }
        self.keyed_in(url, from, url.len(), page_host, consider);
        for s in self.site_only.iter().filter(|s| s.types & bit != 0 && applies_on(&s.pages, page_host)) {
            if s.exception {
                found.exception = true;
            } else {
                found.block = true;
            }
        }
        // Most URLs hold no searched-for run: the fast search says so before the overlapping one
        // (a run of another request type must not hide one of this type) looks at types.
        if let Some(ac) = self.loose.as_ref().filter(|ac| ac.is_match(url)) {
            for m in ac.find_overlapping_iter(url) {
                if found.block && found.exception {
                    break;
                }
                match self.loose_kinds[m.pattern().as_usize()] {
                    k if k.types & bit == 0 => {}
                    k if k.exception => found.exception = true,
                    _ => found.block = true,
                }
            }
        }
        found
    }

    /// Calls `f(run, where its token starts)` for the runs keyed by the tokens of
    /// `url[from..to]` that apply on the page. (A plain loop: this runs for every URL.)
    fn keyed_in(&self, url: &[u8], from: usize, to: usize, page_host: &str, mut f: impl FnMut(u32, usize)) {
        let mut i = from;
        loop {
            while i < to && !ALNUM[usize::from(url[i])] {
                i += 1;
            }
            let start = i;
            while i < to && ALNUM[usize::from(url[i])] {
                i += 1;
            }
            if start == i {
                return;
            }
            let h = token_hash(&url[start..i]);
            let b = (h as usize) % BITS;
            if self.bits[b / 64] & (1 << (b % 64)) == 0 {
                continue;
            }
            for &id in self.keyed.get(&h).map_or(&[][..], Vec::as_slice) {
                if applies_on(&self.runs[id as usize].pages, page_host) {
                    f(id, start);
                }
            }
        }
    }

    /// Bytes held (an estimate: runs, the token table and the loose automaton).
    pub fn memory_usage(&self) -> usize {
        let runs: usize = self.runs.iter().map(|r| r.text.len() + 24).sum();
        let loose = self.loose.as_ref().map_or(0, AhoCorasick::memory_usage) + self.loose_kinds.len() * 8;
        runs + self.keyed.len() * 48 + BITS / 8 + loose
    }
}

/// Is a page on `page_host` one a filter limited to `pages` applies on? None named: any page.
/// An unknown page (a navigation, a request without `Referer`) is on none of them, as the
/// engine decides too.
fn applies_on(pages: &[u64], page_host: &str) -> bool {
    if pages.is_empty() {
        return true;
    }
    if page_host.is_empty() {
        return false;
    }
    let mut rest = page_host;
    loop {
        if pages.binary_search(&super::hosts::hash(rest)).is_ok() {
            return true;
        }
        match rest.split_once('.') {
            Some((_, parent)) if !parent.is_empty() => rest = parent,
            _ => return false,
        }
    }
}

impl Run {
    /// Does the URL hold this run around the token found at `start`? (Should a hash collision
    /// bring another token here, the bytes compared are still the whole run.)
    fn holds(&self, url: &[u8], start: usize) -> bool {
        start >= self.token_at
            && start - self.token_at + self.text.len() <= url.len()
            && url[start - self.token_at..start - self.token_at + self.text.len()].eq_ignore_ascii_case(&self.text)
    }

    /// Could a URL starting with `url[..end]` hold this run around the token at `start`? Its
    /// bytes before `end` are compared; those after are the URL's own.
    fn may_hold(&self, url: &[u8], start: usize, end: usize) -> bool {
        let Some(at) = start.checked_sub(self.token_at) else { return false };
        let inside = end.saturating_sub(at).min(self.text.len());
        url[at..at + inside].eq_ignore_ascii_case(&self.text[..inside])
    }

    /// Does the URL hold the filter's other runs too (anywhere: order is the engine's to check)?
    fn others_in(&self, url: &[u8]) -> bool {
        self.others.iter().all(|o| url.windows(o.len()).any(|w| w.eq_ignore_ascii_case(o)))
    }
}

/// Where a URL's scheme and authority end: at the `/`, `?` or `#` after `://`, or its end.
pub(super) fn prefix_end(url: &str) -> usize {
    let b = url.as_bytes();
    let after = memchr::memchr(b':', b).filter(|&i| b[i + 1..].starts_with(b"//")).map_or(0, |i| i + 3);
    b[after..].iter().position(|c| matches!(c, b'/' | b'?' | b'#')).map_or(b.len(), |i| after + i)
}

/// ASCII letters and digits, by byte: one load where `is_ascii_alphanumeric` takes three tests.
static ALNUM: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    t
};

/// A token's hash, case aside, in constant time: its first and last eight bytes and its
/// length (a collision only costs a run check).
fn token_hash(t: &[u8]) -> u64 {
    // `| 0x20` lowercases a letter and leaves a digit as it is.
    let load = |part: &[u8]| part.iter().enumerate().fold(0u64, |w, (i, &b)| w | u64::from(b | 0x20) << (8 * i));
    let n = t.len();
    let head = load(&t[..n.min(8)]);
    let tail = if n > 8 { load(&t[n - 8..]) } else { 0 };
    let h = (head ^ tail.rotate_left(31) ^ (n as u64) << 58).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^ (h >> 29)
}

/// Request types as bits, the same for filters and requests.
fn type_bits(mask: NetworkFilterMask) -> u32 {
    [
        (NetworkFilterMask::FROM_IMAGE, RequestKind::Image),
        (NetworkFilterMask::FROM_MEDIA, RequestKind::Media),
        (NetworkFilterMask::FROM_OBJECT, RequestKind::Object),
        (NetworkFilterMask::FROM_OTHER, RequestKind::Other),
        (NetworkFilterMask::FROM_PING, RequestKind::Ping),
        (NetworkFilterMask::FROM_SCRIPT, RequestKind::Script),
        (NetworkFilterMask::FROM_STYLESHEET, RequestKind::Stylesheet),
        (NetworkFilterMask::FROM_SUBDOCUMENT, RequestKind::Subdocument),
        (NetworkFilterMask::FROM_XMLHTTPREQUEST, RequestKind::Xhr),
        (NetworkFilterMask::FROM_FONT, RequestKind::Font),
        (NetworkFilterMask::FROM_DOCUMENT, RequestKind::Document),
    ]
    .into_iter()
    .filter(|(m, _)| mask.intersects(*m))
    .fold(0, |bits, (_, k)| bits | kind_bit(k))
}

fn kind_bit(kind: RequestKind) -> u32 {
    1 << (kind as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use adblock::lists::{ParseOptions, ParsedLine, parse_filter};

    fn prefilter(lines: &[&str]) -> Prefilter {
        let mut b = PrefilterBuilder::default();
        for l in lines {
            if let Ok(ParsedLine::Network(f)) = parse_filter(l, false, ParseOptions::default()) {
                b.add(l, &f);
            }
        }
        b.build()
    }

    /// Scans from scratch and with the URL's prefix worked out first: the answers agree.
    fn scan(p: &Prefilter, url: &str, kind: RequestKind, page: &str) -> Candidates {
        let plain = p.scan(url, kind, page, None);
        let mut known = PrefixRuns::default();
        p.prefix_runs(url, prefix_end(url), page, &mut known);
        assert_eq!(p.scan(url, kind, page, Some(&known)), plain, "{url}");
        plain
    }

    #[test]
    fn runs_rule_urls_out() {
        let p = prefilter(&[
            "/pixel.gif?",
            "||stats.example^*/collect^",
            "@@||cdn.example/keep/",
            "&ev=PageView&",
            "/0.gif?",
        ]);
        let scan = |u| scan(&p, u, RequestKind::Image, "news.example");
        assert_eq!(scan("https://news.example/img/a.jpg"), Candidates::default());
        assert_eq!(scan("https://news.example/pixel.gifx"), Candidates::default(), "the whole run, not the token");
        assert!(scan("https://a.example/x/PIXEL.GIF?x=1").block, "case-insensitive");
        assert!(scan("https://stats.example/v1/collect?x").block);
        assert!(scan("https://t.example/tr?id=1&ev=PageView&x").block);
        assert!(scan("https://t.example/a/0.gif?x").block, "a run keyed by a common token");
        assert!(!scan("https://t.example/a/0.gift").block);
        let both = scan("https://cdn.example/keep/pixel.gif?");
        assert!(both.block && both.exception);
    }

    #[test]
    fn site_limited_filters_are_asked_only_on_their_sites() {
        let p = prefilter(&[
            "||127.0.0.1^$third-party,domain=bank.example|shop.example",
            "/track.gif$domain=~news.example",
        ]);
        let img = |page| scan(&p, "http://127.0.0.1/img/a.jpg", RequestKind::Image, page).block;
        assert!(!img("news.example"));
        assert!(img("www.bank.example") && img("shop.example"));
        assert!(!img("bank.example.net"));
        assert!(!img(""), "an unknown page is on no site");
        assert!(
            scan(&p, "https://x.example/track.gif", RequestKind::Image, "other.example").block,
            "exclusions: the engine decides"
        );
    }

    #[test]
    fn filters_without_a_run_ask_for_their_types() {
        let p = prefilter(&["$ping,third-party", "/^https?:\\/\\/[a-z]+\\.com\\//$script", "/stats$image"]);
        assert!(scan(&p, "https://a.example/", RequestKind::Ping, "").block);
        assert!(scan(&p, "https://a.example/", RequestKind::Script, "").block, "a regex with nothing sure in it");
        assert!(!scan(&p, "https://a.example/", RequestKind::Image, "").block);
        assert!(scan(&p, "https://a.example/stats", RequestKind::Image, "").block);
        assert!(
            !scan(&p, "https://a.example/stats", RequestKind::Stylesheet, "").block,
            "a searched run keeps its types"
        );
    }

    #[test]
    fn site_limited_filters_without_a_run_ask_only_on_their_sites() {
        let p = prefilter(&["$third-party,xmlhttprequest,domain=subs.example"]);
        assert!(scan(&p, "https://a.example/x", RequestKind::Xhr, "www.subs.example").block);
        assert!(!scan(&p, "https://a.example/x", RequestKind::Xhr, "news.example").block);
    }

    #[test]
    fn a_prefix_keeps_only_the_runs_it_could_hold() {
        let p = prefilter(&["|http://tracker.example/collect"]);
        let runs = |url: &str| {
            let mut known = PrefixRuns::default();
            p.prefix_runs(url, prefix_end(url), "news.example", &mut known);
            known.runs.len()
        };
        assert_eq!(runs("http://tracker.example/collect?x"), 1, "goes on past the prefix: asked per URL");
        assert_eq!(runs("http://tracker.example.org/collect"), 0, "differs inside the prefix");
        assert_eq!(runs("https://tracker.example/collect"), 0);
        assert!(scan(&p, "http://tracker.example/collect?x", RequestKind::Image, "news.example").block);
    }

    #[test]
    fn every_run_of_a_filter_must_be_there() {
        let p = prefilter(&["||cdn.example^*/fbds.js$third-party"]);
        assert!(scan(&p, "https://cdn.example/en_US/FBDS.js", RequestKind::Script, "").block);
        assert!(!scan(&p, "https://cdn.example/en_US/sdk.js", RequestKind::Script, "").block);
    }

    #[test]
    fn regexes_are_searched_for_the_text_they_surely_hold() {
        let p = prefilter(&[r"/^https?:\/\/pov\.spectrum\.net\/[a-zA-Z0-9]{14,}\.js/$script"]);
        assert!(scan(&p, "https://POV.spectrum.net/abcdefghijklmnop.js", RequestKind::Script, "").block);
        assert!(!scan(&p, "https://cdn.example/app.js", RequestKind::Script, "").block);
    }
}
