//! Reading a filter's pattern for the prefilter: its literal runs, the token that keys it,
//! the sites it is limited to, and what a `/regex/` filter surely holds.

/// Tokens this common in URLs key a filter only when it has no other: they would send a run
/// check to most URLs.
pub(super) const COMMON_TOKENS: &[&str] = &[
    "http", "https", "www", "com", "net", "org", "html", "htm", "php", "aspx", "js", "css", "json", "gif", "png",
    "jpg", "jpeg", "svg", "webp", "ico", "woff", "woff2", "min", "static", "cdn", "img", "image", "images", "assets",
    "wp", "content", "uploads", "api", "amp", "src", "index", "true", "false", "null", "utm", "source", "id", "v1",
    "v2",
];

/// Shorter runs than this occur in too many URLs to rule anything out.
pub(super) const MIN_RUN: usize = 3;
/// Tokens shorter than this are common too (`0`, `tr`): a key of last resort.
pub(super) const RARE_TOKEN: usize = 3;

/// The sites a filter is limited to (`$domain=a.example|b.example`, or `from=`), hashed; empty
/// when it applies on any page, or when its list has exclusions (`~a.example`) or entities
/// (`ebay.*`): those are left to the engine.
pub(super) fn pages_of(line: &str) -> Box<[u64]> {
    let Some((_, options)) = line.rsplit_once('$') else { return Box::new([]) };
    let Some(list) = options.split(',').find_map(|o| o.strip_prefix("domain=").or_else(|| o.strip_prefix("from=")))
    else {
        return Box::new([]);
    };
    let names: Vec<&str> = list.split('|').map(str::trim).collect();
    if names.iter().any(|n| n.is_empty() || n.starts_with('~') || n.ends_with('*')) {
        return Box::new([]);
    }
    let mut hashes: Vec<u64> = names.iter().map(|n| super::hosts::hash(&n.to_ascii_lowercase())).collect();
    hashes.sort_unstable(); // searched by halves: some filters name hundreds of sites
    hashes.dedup();
    hashes.into()
}

/// What a filter is looked for by: a literal run of its pattern, the bounded token in it that
/// keys it (and the token's offset in the run), and the pattern's other runs.
pub(super) struct Best<'a> {
    pub run: &'a str,
    pub token: Option<(&'a str, usize)>,
    pub others: Vec<&'a str>,
}

/// The longest text a `/regex/` filter's every match holds: a run of literal characters
/// outside groups and classes, before no quantifier that could drop it. None when the regex
/// has a top-level alternative (`a|b`) or no such run of [`MIN_RUN`] bytes.
pub(super) fn regex_literal(pattern: &str) -> Option<String> {
    let re = pattern.strip_prefix('/')?.strip_suffix('/')?;
    let b = re.as_bytes();
    let (mut runs, mut cur, mut depth, mut i) = (Vec::new(), String::new(), 0usize, 0);
    let mut end_run = |cur: &mut String| runs.push(std::mem::take(cur));
    while i < b.len() {
        let c = b[i];
        // A literal byte, and how many bytes it took to write.
        let (lit, width) = match c {
            b'\\' if i + 1 < b.len() && b[i + 1].is_ascii_punctuation() => (Some(b[i + 1]), 2),
            b'\\' => (None, 2), // \d, \w, \b...: a class or an assertion
            b'[' => {
                // Skip the class, escapes included.
                let mut j = i + 1;
                while j < b.len() && b[j] != b']' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                (None, j + 1 - i)
            }
            b'(' => {
                depth += 1;
                (None, 1)
            }
            b')' => {
                depth = depth.saturating_sub(1);
                (None, 1)
            }
            b'|' if depth == 0 => return None,
            c if c.is_ascii_alphanumeric() || matches!(c, b'/' | b'-' | b'_' | b'=' | b'&' | b'@' | b':' | b'%') => {
                (Some(c), 1)
            }
            _ => (None, 1), // . ^ $ * + ? { and the like
        };
        i += width;
        match lit {
            Some(l) if depth == 0 => {
                // `s?`, `s*`, `s{0,2}`: the byte may be absent; `s+`: present, then anything.
                match b.get(i) {
                    Some(b'?' | b'*' | b'{') => end_run(&mut cur),
                    Some(b'+') => {
                        cur.push(char::from(l));
                        end_run(&mut cur);
                    }
                    _ => cur.push(char::from(l)),
                }
            }
            _ => end_run(&mut cur),
        }
    }
    end_run(&mut cur);
    // `://` or `.com/` would send most URLs to the engine: the text must hold a rare token.
    let rare = |r: &String| {
        r.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|t| t.len() >= RARE_TOKEN && !COMMON_TOKENS.iter().any(|c| c.eq_ignore_ascii_case(t)))
    };
    runs.into_iter().filter(|r| r.len() >= MIN_RUN && rare(r)).max_by_key(String::len)
}

/// A filter's pattern as ABP reads it: `@@` and the options after the last `$` taken off,
/// and its anchors noted.
pub(super) struct Pattern<'a> {
    pub text: &'a str,
    /// `||`: the text starts at a host name's label boundary.
    pub host_anchor: bool,
    /// `|` at the start or the end: the URL starts or ends there.
    pub left_anchor: bool,
    pub right_anchor: bool,
}

impl<'a> Pattern<'a> {
    pub fn of(line: &'a str) -> Pattern<'a> {
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
    pub fn best(&self) -> Option<Best<'a>> {
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
            let others = runs.iter().enumerate().filter(|&(i, _)| i != ri).map(|(_, &(s, e))| &self.text[s..e]);
            return Some(Best {
                run: &self.text[rs..re],
                token: Some((&self.text[s..e], s - rs)),
                others: others.collect(),
            });
        }
        let (rs, re) = runs.into_iter().max_by_key(|(s, e)| e - s)?;
        (re - rs >= MIN_RUN).then(|| Best { run: &self.text[rs..re], token: None, others: Vec::new() })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bounded_or_not_used() {
        let best = |l: &str| Pattern::of(l).best().map(|b| (b.run.to_string(), b.token.map(|(t, _)| t.to_string())));
        assert_eq!(best("/pixel.gif?"), Some(("/pixel.gif?".into(), Some("pixel".into()))));
        assert_eq!(best("||tracker.example^$third-party"), Some(("tracker.example".into(), Some("tracker".into()))));
        // `analytics` touches the pattern's unanchored end: a URL may go on with letters.
        assert_eq!(best("analytics"), Some(("analytics".into(), None)));
        assert_eq!(best("|https://x.example/a|"), Some(("https://x.example/a".into(), Some("example".into()))));
        assert_eq!(best("*/beacon*"), Some(("/beacon".into(), None)));
        assert_eq!(best("@@||keep.example/x^$image"), Some(("keep.example/x".into(), Some("example".into()))));
    }

    #[test]
    fn a_regex_surely_holds_its_literal_text() {
        let lit = |r: &str| regex_literal(r);
        assert_eq!(
            lit(r"/^https:\/\/cdn\.jsdelivr\.net\/npm\/[-a-z_]{4,22}@latest\/dist\/script\.min\.js$/"),
            Some("https://cdn.jsdelivr.net/npm/".into())
        );
        assert_eq!(lit(r"/^https?:\/\/tmx\.(td|tdbank)\.com\/[a-z0-9]{14,18}\.js.*/"), Some("://tmx.".into()));
        assert_eq!(lit(r"/^https?:\/\/www\.kroger\.com\/content\/{20,}/"), Some("://www.kroger.com/content".into()));
        assert_eq!(lit("/a|bcdef/"), None, "a top-level alternative");
        assert_eq!(lit(r"/\d+\.track/"), Some(".track".into()));
        assert_eq!(lit(r"/\d+\.gif/"), None, "common tokens only");
        assert_eq!(lit("/abcd?x/"), Some("abc".into()), "an optional byte ends the run");
        assert_eq!(lit(r"/^https?:\/\/[a-z]{2}\d+\//"), None, "nothing rare: `http`, `://`");
    }
}
