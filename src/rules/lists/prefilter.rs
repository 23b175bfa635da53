//! The prefilter in front of the adblock engine: which URLs could any filter match at all?
//!
//! A filter matches only URLs that hold each literal run of its pattern (the text between `*`,
//! `^` and `|`, case aside). Most runs hold a *bounded token*: letters and digits with a
//! non-alphanumeric character, a `^` or an anchor on both sides, which must then be a whole
//! token of the URL. So each filter is keyed by its longest such token that is not common in URLs: a URL's tokens
//! are hashed in one pass, the few that key a filter have its run checked, and only a URL
//! holding a whole run goes to the engine (about 4 µs a call). Runs with no bounded token
//! (`analytics`, unanchored) are searched for; filters with no run (a regex,
//! `$ping,third-party`) send every request of their types to the engine.

use crate::policy::RequestKind;
use adblock::filters::network::{NetworkFilter, NetworkFilterMask};
use aho_corasick::AhoCorasick;
use foldhash::HashMap;

/// Tokens this common in URLs key a filter only when it has no other: they would send a run
/// check to most URLs.
const COMMON_TOKENS: &[&str] = &[
    "http", "https", "www", "com", "net", "org", "html", "htm", "php", "aspx", "js", "css", "json", "gif", "png",
    "jpg", "jpeg", "svg", "webp", "ico", "woff", "woff2", "min", "static", "cdn", "img", "image", "images", "assets",
    "wp", "content", "uploads", "api", "amp", "src", "index", "true", "false", "null", "utm", "source", "id", "v1",
    "v2",
];

/// Shorter runs than this occur in too many URLs to rule anything out.
const MIN_RUN: usize = 3;
/// Tokens shorter than this are common too (`0`, `tr`): a key of last resort.
const RARE_TOKEN: usize = 3;
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
}

#[derive(Default)]
pub(super) struct PrefilterBuilder {
    runs: Vec<Run>,
    keyed: HashMap<u64, Vec<u32>>,
    /// Runs with no usable token: (run, exception).
    loose: Vec<(String, bool)>,
    always_block: u32,
    always_exception: u32,
}

pub(super) struct Prefilter {
    runs: Vec<Run>,
    bits: Box<[u64]>,
    keyed: HashMap<u64, Vec<u32>>,
    /// Runs with no usable token, searched directly: those of blocking filters, of exceptions.
    loose_block: Option<AhoCorasick>,
    loose_exception: Option<AhoCorasick>,
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
        let run = (!f.mask.contains(NetworkFilterMask::IS_COMPLETE_REGEX)).then(|| shape.best()).flatten();
        let Some((run, token)) = run else {
            let types = type_bits(f.mask);
            if exception {
                self.always_exception |= types;
            } else {
                self.always_block |= types;
            }
            return;
        };
        match token {
            Some((t, token_at)) => {
                let id = u32::try_from(self.runs.len()).unwrap_or(u32::MAX);
                self.runs.push(Run { text: run.as_bytes().into(), token_at, exception, pages: pages_of(line) });
                self.keyed.entry(token_hash(t.as_bytes())).or_default().push(id);
            }
            None => self.loose.push((run.to_string(), exception)),
        }
    }

    pub fn build(self) -> Prefilter {
        let mut bits = vec![0u64; BITS / 64].into_boxed_slice();
        for &h in self.keyed.keys() {
            let b = (h as usize) % BITS;
            bits[b / 64] |= 1 << (b % 64);
        }
        let automaton = |exception: bool| {
            let patterns: Vec<&str> = self.loose.iter().filter(|l| l.1 == exception).map(|l| l.0.as_str()).collect();
            (!patterns.is_empty()).then(|| AhoCorasick::builder().ascii_case_insensitive(true).build(&patterns))
        };
        let (loose_block, loose_exception) = (automaton(false), automaton(true));
        // Where an automaton failed to build, every request is asked.
        let failed = |a: &Option<Result<AhoCorasick, _>>| if matches!(a, Some(Err(_))) { u32::MAX } else { 0 };
        Prefilter {
            always_block: self.always_block | failed(&loose_block),
            always_exception: self.always_exception | failed(&loose_exception),
            runs: self.runs,
            bits,
            keyed: self.keyed,
            loose_block: loose_block.and_then(Result::ok),
            loose_exception: loose_exception.and_then(Result::ok),
        }
    }
}

impl Prefilter {
    /// Which kinds of filter could match `url` (as the engine will be given it).
    pub fn scan(&self, url: &str, kind: RequestKind, page_host: &str) -> Candidates {
        let bit = kind_bit(kind);
        let mut found = Candidates { block: self.always_block & bit != 0, exception: self.always_exception & bit != 0 };
        let url = url.as_bytes();
        for token in tokens(url) {
            // `token` is a subslice of `url`: its offset places the run around it.
            let start = token.as_ptr() as usize - url.as_ptr() as usize;
            let h = token_hash(token);
            let b = (h as usize) % BITS;
            if self.bits[b / 64] & (1 << (b % 64)) == 0 {
                continue;
            }
            for &id in self.keyed.get(&h).map_or(&[][..], Vec::as_slice) {
                let run = &self.runs[id as usize];
                let seen = if run.exception { found.exception } else { found.block };
                if !seen && run.holds(url, start) && run.applies_on(page_host) {
                    if run.exception {
                        found.exception = true;
                    } else {
                        found.block = true;
                    }
                }
            }
        }
        found.block = found.block || self.loose_block.as_ref().is_some_and(|ac| ac.is_match(url));
        found.exception = found.exception || self.loose_exception.as_ref().is_some_and(|ac| ac.is_match(url));
        found
    }

    /// Bytes held (an estimate: runs, the token table and the loose automaton).
    pub fn memory_usage(&self) -> usize {
        let runs: usize = self.runs.iter().map(|r| r.text.len() + 24).sum();
        let loose: usize = self.loose_block.iter().chain(&self.loose_exception).map(AhoCorasick::memory_usage).sum();
        runs + self.keyed.len() * 48 + BITS / 8 + loose
    }
}

/// The sites a filter is limited to (`$domain=a.example|b.example`, or `from=`), hashed; empty
/// when it applies on any page, or when its list has exclusions (`~a.example`) or entities
/// (`ebay.*`): those are left to the engine.
fn pages_of(line: &str) -> Box<[u64]> {
    let Some((_, options)) = line.rsplit_once('$') else { return Box::new([]) };
    let Some(list) = options.split(',').find_map(|o| o.strip_prefix("domain=").or_else(|| o.strip_prefix("from=")))
    else {
        return Box::new([]);
    };
    let names: Vec<&str> = list.split('|').map(str::trim).collect();
    if names.iter().any(|n| n.is_empty() || n.starts_with('~') || n.ends_with('*')) {
        return Box::new([]);
    }
    names.iter().map(|n| super::hosts::hash(&n.to_ascii_lowercase())).collect()
}

/// A filter's pattern as ABP reads it: `@@` and the options after the last `$` taken off,
/// and its anchors noted.
struct Pattern<'a> {
    text: &'a str,
    /// `||`: the text starts at a host name's label boundary.
    host_anchor: bool,
    /// `|` at the start or the end: the URL starts or ends there.
    left_anchor: bool,
    right_anchor: bool,
}

impl Run {
    /// Does the URL hold this run around the token found at `start`? (Should a hash collision
    /// bring another token here, the bytes compared are still the whole run.)
    /// Is a page on `page_host` one this run's filter applies on? (Unknown page: maybe.)
    fn applies_on(&self, page_host: &str) -> bool {
        if self.pages.is_empty() || page_host.is_empty() {
            return true;
        }
        let mut rest = page_host;
        loop {
            if self.pages.contains(&super::hosts::hash(rest)) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) if !parent.is_empty() => rest = parent,
                _ => return false,
            }
        }
    }

    fn holds(&self, url: &[u8], start: usize) -> bool {
        start >= self.token_at
            && start - self.token_at + self.text.len() <= url.len()
            && url[start - self.token_at..start - self.token_at + self.text.len()].eq_ignore_ascii_case(&self.text)
    }
}

impl<'a> Pattern<'a> {
    fn of(line: &'a str) -> Pattern<'a> {
        let line = line.strip_prefix("@@").unwrap_or(line);
        let mut text = line.rfind('$').map_or(line, |i| &line[..i]);
        let host_anchor = text.starts_with("||");
        let left_anchor = !host_anchor && text.starts_with('|');
        text = text.trim_start_matches('|');
        let right_anchor = text.len() > 1 && text.ends_with('|');
        if right_anchor {
            text = &text[..text.len() - 1];
        }
        Pattern { text, host_anchor, left_anchor, right_anchor }
    }

    /// The literal run to look for and, when it has one, the bounded token that keys it (and
    /// its offset in the run): the longest uncommon token of three bytes or more, else the
    /// longest token; with no bounded token at all, the longest run, to be searched for.
    fn best(&self) -> Option<(&'a str, Option<(&'a str, usize)>)> {
        let b = self.text.as_bytes();
        // (rank, token start, end, run index); a higher rank keys fewer URLs.
        let mut best_token: Option<((bool, usize), usize, usize, usize)> = None;
        let runs: Vec<(usize, usize)> = split_runs(self.text);
        for (ri, &(rs, re)) in runs.iter().enumerate() {
            let mut i = rs;
            while i < re {
                if !b[i].is_ascii_alphanumeric() {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < re && b[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                let left = start > rs || self.bounded_before(rs);
                let right = i < re || self.bounded_after(re);
                let tok = &self.text[start..i];
                let rare = tok.len() >= RARE_TOKEN && !COMMON_TOKENS.iter().any(|c| c.eq_ignore_ascii_case(tok));
                let rank = (rare, tok.len());
                if left && right && best_token.is_none_or(|(r, ..)| r < rank) {
                    best_token = Some((rank, start, i, ri));
                }
            }
        }
        if let Some((_, s, e, ri)) = best_token {
            let (rs, re) = runs[ri];
            return Some((&self.text[rs..re], Some((&self.text[s..e], s - rs))));
        }
        let (rs, re) = runs.into_iter().max_by_key(|(s, e)| e - s)?;
        (re - rs >= MIN_RUN).then(|| (&self.text[rs..re], None))
    }

    /// Is the character before a run starting at `at` surely not a letter or digit in a
    /// matching URL? True after a `^` separator or at an anchored start.
    fn bounded_before(&self, at: usize) -> bool {
        if at == 0 {
            return self.host_anchor || self.left_anchor;
        }
        self.text.as_bytes()[at - 1] == b'^'
    }

    /// The same after a run ending at `at`.
    fn bounded_after(&self, at: usize) -> bool {
        if at == self.text.len() {
            return self.right_anchor;
        }
        self.text.as_bytes()[at] == b'^'
    }
}

/// The literal runs of a pattern, as byte ranges: what lies between `*`, `^` and `|`.
fn split_runs(text: &str) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if matches!(b, b'*' | b'^' | b'|') {
            if i > start {
                runs.push((start, i));
            }
            start = i + 1;
        }
    }
    if text.len() > start {
        runs.push((start, text.len()));
    }
    runs
}

/// The maximal runs of ASCII letters and digits in a URL.
fn tokens(url: &[u8]) -> impl Iterator<Item = &[u8]> {
    url.split(|b| !b.is_ascii_alphanumeric()).filter(|t| !t.is_empty())
}

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

    #[test]
    fn runs_rule_urls_out() {
        let p = prefilter(&[
            "/pixel.gif?",
            "||stats.example^*/collect^",
            "@@||cdn.example/keep/",
            "&ev=PageView&",
            "/0.gif?",
        ]);
        let scan = |u| p.scan(u, RequestKind::Image, "news.example");
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
    fn tokens_are_bounded_or_not_used() {
        let best = |l: &str| Pattern::of(l).best().map(|(r, t)| (r.to_string(), t.map(|(t, _)| t.to_string())));
        assert_eq!(best("/pixel.gif?"), Some(("/pixel.gif?".into(), Some("pixel".into()))));
        assert_eq!(best("||tracker.example^$third-party"), Some(("tracker.example".into(), Some("tracker".into()))));
        // `analytics` touches the pattern's unanchored end: a URL may go on with letters.
        assert_eq!(best("analytics"), Some(("analytics".into(), None)));
        assert_eq!(best("|https://x.example/a|"), Some(("https://x.example/a".into(), Some("example".into()))));
        assert_eq!(best("*/beacon*"), Some(("/beacon".into(), None)));
        assert_eq!(best("@@||keep.example/x^$image"), Some(("keep.example/x".into(), Some("example".into()))));
    }

    #[test]
    fn site_limited_filters_are_asked_only_on_their_sites() {
        let p = prefilter(&[
            "||127.0.0.1^$third-party,domain=bank.example|shop.example",
            "/track.gif$domain=~news.example",
        ]);
        let img = |page| p.scan("http://127.0.0.1/img/a.jpg", RequestKind::Image, page).block;
        assert!(!img("news.example"));
        assert!(img("www.bank.example") && img("shop.example"));
        assert!(!img("bank.example.net"));
        assert!(img(""), "an unknown page: maybe");
        assert!(
            p.scan("https://x.example/track.gif", RequestKind::Image, "other.example").block,
            "exclusions: the engine decides"
        );
    }

    #[test]
    fn filters_without_a_run_ask_for_their_types() {
        let p = prefilter(&["$ping,third-party", "/^https?:\\/\\/x\\.example\\//$script"]);
        assert!(p.scan("https://a.example/", RequestKind::Ping, "").block);
        assert!(p.scan("https://a.example/", RequestKind::Script, "").block, "a regex is always asked");
        assert!(!p.scan("https://a.example/", RequestKind::Image, "").block);
    }
}
