//! trackers.toml: tracker hosts and URL patterns, with the company behind each.

use super::error::{RuleError, line_of};
use super::glob::Glob;
use super::rule_ref::RuleRef;
use super::source::RuleFile;
use aho_corasick::AhoCorasick;
use foldhash::HashMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use toml::Spanned;

/// What a tracker does with what it collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Analytics,
    Advertising,
    Social,
    SessionReplay,
    Fingerprinting,
}

impl Category {
    pub const NAMES: &'static str = "analytics, advertising, social, session-replay, fingerprinting";

    pub fn parse(s: &str) -> Option<Category> {
        Some(match s {
            "analytics" => Category::Analytics,
            "advertising" => Category::Advertising,
            "social" => Category::Social,
            "session-replay" => Category::SessionReplay,
            "fingerprinting" => Category::Fingerprinting,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Analytics => "analytics",
            Category::Advertising => "advertising",
            Category::Social => "social",
            Category::SessionReplay => "session-replay",
            Category::Fingerprinting => "fingerprinting",
        }
    }
}

/// A tracking service and its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracker {
    pub name: Arc<str>,
    pub owner: Arc<str>,
    pub category: Category,
}

/// How a URL matched the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchVia {
    /// A tracker host (third-party only).
    Host,
    /// A host-anchored URL prefix.
    Url,
    /// A path pattern, on any host.
    Path,
    /// The first label of a subdomain (`smetrics.<site>`), first and third party.
    Subdomain,
}

/// A database hit: which tracker, which rule, and how.
#[derive(Debug, Clone)]
pub struct TrackerMatch<'a> {
    pub tracker: &'a Tracker,
    pub rule: &'a RuleRef,
    pub via: MatchVia,
}

struct HostRule {
    tracker: u32,
    rule: RuleRef,
}

struct PatternRule {
    glob: Glob,
    tracker: u32,
    rule: RuleRef,
}

/// All tracker files, indexed for matching.
#[derive(Default)]
pub struct TrackerDb {
    trackers: Vec<Tracker>,
    hosts: HashMap<Box<str>, HostRule>,
    urls: HashMap<Box<str>, Vec<PatternRule>>,
    paths: Vec<PatternRule>,
    /// First DNS labels that name a collection host on any site (`smetrics` in
    /// `smetrics.news.example`): sites CNAME these to an analytics vendor and serve it as their own.
    subdomains: HashMap<Box<str>, HostRule>,
    /// Built by `finish` once all files are in.
    path_index: Option<PathIndex>,
    pub(crate) version: Option<String>,
}

/// The longest literal of every path pattern, searched two ways.
struct PathIndex {
    /// SIMD (Teddy), to rule most paths out at once: the literals mostly start with `/`, so the
    /// automaton alone can't skip and steps through every byte. None where SIMD is missing.
    quick: Option<aho_corasick::packed::Searcher>,
    /// Every literal, overlaps included, for the few paths that hold one.
    all: AhoCorasick,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackersFile {
    #[allow(dead_code)]
    format: Option<u32>,
    version: Option<String>,
    #[serde(default)]
    tracker: Vec<Spanned<TrackerDef>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackerDef {
    name: String,
    owner: String,
    category: Spanned<String>,
    #[serde(default)]
    hosts: Vec<Spanned<String>>,
    #[serde(default)]
    urls: Vec<Spanned<String>>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    subdomains: Vec<Spanned<String>>,
}

impl TrackerDb {
    /// Adds one trackers file; a host listed again later overrides the earlier entry.
    pub fn add_file(&mut self, file: &RuleFile) -> Result<(), RuleError> {
        let parsed: TrackersFile =
            toml::from_str(&file.text).map_err(|e| RuleError::toml(&file.name, &file.text, &e))?;
        if parsed.version.is_some() {
            self.version = parsed.version;
        }
        let source: Arc<str> = Arc::from(file.name.as_str());
        let line = |span: std::ops::Range<usize>| line_of(&file.text, span.start);
        for def in parsed.tracker {
            let def_line = line(def.span());
            let def = def.into_inner();
            let category = Category::parse(def.category.get_ref()).ok_or_else(|| {
                RuleError::invalid(
                    &file.name,
                    line(def.category.span()),
                    format!("unknown category {:?}; use one of {}", def.category.get_ref(), Category::NAMES),
                )
            })?;
            if def.name.trim().is_empty() || def.owner.trim().is_empty() {
                return Err(RuleError::invalid(&file.name, def_line, "a tracker needs a non-empty name and owner"));
            }
            if def.hosts.is_empty() && def.urls.is_empty() && def.paths.is_empty() && def.subdomains.is_empty() {
                return Err(RuleError::invalid(
                    &file.name,
                    def_line,
                    format!("tracker {:?} has no hosts, urls, paths or subdomains", def.name),
                ));
            }
            let idx = self.trackers.len() as u32;
            self.trackers.push(Tracker {
                name: Arc::from(def.name.as_str()),
                owner: Arc::from(def.owner.as_str()),
                category,
            });
            for host in &def.hosts {
                let at = line(host.span());
                let h = check_host(host.get_ref()).map_err(|m| RuleError::invalid(&file.name, at, m))?;
                let rule = RuleRef::new(&source, at, h);
                self.hosts.insert(h.into(), HostRule { tracker: idx, rule });
            }
            for url in &def.urls {
                let at = line(url.span());
                let text = url.get_ref().trim();
                let (host, path) = match text.find('/') {
                    Some(i) => (&text[..i], &text[i..]),
                    None => (text, "/"),
                };
                let host = check_host(host)
                    .map_err(|m| RuleError::invalid(&file.name, at, format!("in url pattern {text:?}: {m}")))?;
                let rule = RuleRef::new(&source, at, text);
                let glob = Glob::new(path, true);
                self.urls.entry(host.into()).or_default().push(PatternRule { glob, tracker: idx, rule });
            }
            for path in &def.paths {
                let at = line(path.span());
                let text = path.get_ref().as_str();
                if !text.starts_with('/') || text.replace('*', "").len() < 4 {
                    return Err(RuleError::invalid(
                        &file.name,
                        at,
                        format!("path pattern {text:?} must start with '/' and hold at least 4 literal characters"),
                    ));
                }
                let rule = RuleRef::new(&source, at, text);
                self.paths.push(PatternRule { glob: Glob::new(text, false), tracker: idx, rule });
            }
            for label in &def.subdomains {
                let at = line(label.span());
                let l = check_label(label.get_ref()).map_err(|m| RuleError::invalid(&file.name, at, m))?;
                let rule = RuleRef::new(&source, at, format!("{l}.*"));
                self.subdomains.insert(l.into(), HostRule { tracker: idx, rule });
            }
        }
        self.path_index = None;
        Ok(())
    }

    /// Builds the path prefilter once all files are in.
    pub fn finish(&mut self) {
        let needles: Vec<&[u8]> = self.paths.iter().map(|p| p.glob.longest_literal()).collect();
        let quick = aho_corasick::packed::Config::new().builder().extend(&needles).build();
        let all = AhoCorasick::builder().match_kind(aho_corasick::MatchKind::Standard).build(needles).ok();
        self.path_index = all.map(|all| PathIndex { quick, all });
    }

    pub fn len(&self) -> usize {
        self.trackers.len()
    }

    /// Every host a host or URL rule is keyed by.
    pub fn host_keys(&self) -> impl Iterator<Item = &str> {
        self.hosts.keys().chain(self.urls.keys()).map(|k| &**k)
    }

    /// Path patterns only (for hosts no host-keyed rule can apply to).
    pub fn match_path(&self, path_and_query: &str) -> Option<TrackerMatch<'_>> {
        let path = path_and_query.as_bytes();
        let index = self.path_index.as_ref()?;
        if index.quick.as_ref().is_some_and(|q| q.find(path).is_none()) {
            return None; // no literal of any pattern occurs: the common case
        }
        for m in index.all.find_overlapping_iter(path) {
            let r = &self.paths[m.pattern().as_usize()];
            if r.glob.is_match(path) {
                return Some(self.hit(r, MatchVia::Path));
            }
        }
        None
    }

    pub fn is_empty(&self) -> bool {
        self.trackers.is_empty()
    }

    /// The tracker that owns `host` (itself or a parent domain), if any.
    pub fn match_host(&self, host: &str) -> Option<TrackerMatch<'_>> {
        for suffix in host_suffixes(host) {
            if let Some(r) = self.hosts.get(suffix) {
                return Some(TrackerMatch {
                    tracker: &self.trackers[r.tracker as usize],
                    rule: &r.rule,
                    via: MatchVia::Host,
                });
            }
        }
        None
    }

    /// URL patterns: host-anchored prefixes first, then path patterns on any host.
    pub fn match_url(&self, host: &str, path_and_query: &str) -> Option<TrackerMatch<'_>> {
        let path = path_and_query.as_bytes();
        if !self.urls.is_empty() {
            for suffix in host_suffixes(host) {
                if let Some(rules) = self.urls.get(suffix)
                    && let Some(r) = rules.iter().find(|r| r.glob.is_match(path))
                {
                    return Some(self.hit(r, MatchVia::Url));
                }
            }
        }
        self.match_path(path_and_query)
    }

    /// A subdomain rule: `host`'s first label is listed and `host` is a subdomain of `site`,
    /// its registrable domain (so `smetrics.com` itself never matches).
    pub fn match_subdomain(&self, host: &str, site: &str) -> Option<TrackerMatch<'_>> {
        if self.subdomains.is_empty() || host.len() <= site.len() {
            return None;
        }
        let label = &host[..host.find('.')?];
        let r = self.subdomains.get(label)?;
        Some(TrackerMatch { tracker: &self.trackers[r.tracker as usize], rule: &r.rule, via: MatchVia::Subdomain })
    }

    fn hit<'a>(&'a self, r: &'a PatternRule, via: MatchVia) -> TrackerMatch<'a> {
        TrackerMatch { tracker: &self.trackers[r.tracker as usize], rule: &r.rule, via }
    }
}

/// `a.b.example.com`, `b.example.com`, `example.com`, `com`.
pub fn host_suffixes(host: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(host);
    std::iter::from_fn(move || {
        let cur = next?;
        next = cur.find('.').map(|i| &cur[i + 1..]).filter(|s| !s.is_empty());
        Some(cur)
    })
}

/// One DNS label: lowercase letters, digits and inner hyphens.
fn check_label(label: &str) -> Result<&str, String> {
    let l = label.trim();
    let ok = !l.is_empty()
        && l.len() <= 63
        && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !l.starts_with('-')
        && !l.ends_with('-');
    if ok { Ok(l) } else { Err(format!("subdomain {l:?} must be one lowercase DNS label, like \"smetrics\"")) }
}

fn check_host(host: &str) -> Result<&str, String> {
    let h = host.trim();
    if h.is_empty() {
        return Err("empty host".into());
    }
    if h.contains("://") || h.contains('/') || h.contains(':') {
        return Err(format!("{h:?} must be a bare host name, without scheme, port or path"));
    }
    if h.bytes().any(|b| b.is_ascii_uppercase() || b.is_ascii_whitespace()) {
        return Err(format!("{h:?} must be lowercase with no spaces"));
    }
    if !h.contains('.') {
        return Err(format!("{h:?} is not a domain name (it has no dot)"));
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::source::RuleKind;

    fn db(text: &str) -> Result<TrackerDb, RuleError> {
        let mut db = TrackerDb::default();
        db.add_file(&RuleFile { name: "t.toml".into(), kind: RuleKind::Trackers, text: text.into() })?;
        db.finish();
        Ok(db)
    }

    const SAMPLE: &str = r#"
[[tracker]]
name = "Scorecard"
owner = "comScore"
category = "analytics"
hosts = ["scorecardresearch.com"]
urls = ["www.example.org/pixel/*.gif"]
paths = ["/__utm.gif"]
"#;

    #[test]
    fn host_suffix_match() {
        let db = db(SAMPLE).unwrap();
        let m = db.match_host("b.scorecardresearch.com").unwrap();
        assert_eq!(&*m.tracker.owner, "comScore");
        assert_eq!(m.rule.location(), "t.toml:6");
        assert!(db.match_host("notscorecardresearch.com").is_none());
        assert!(db.match_host("scorecardresearch.com.evil.net").is_none());
    }

    #[test]
    fn url_and_path_patterns() {
        let db = db(SAMPLE).unwrap();
        assert_eq!(db.match_url("www.example.org", "/pixel/a1.gif?x").unwrap().via, MatchVia::Url);
        assert!(db.match_url("www.example.org", "/img/a1.gif").is_none());
        let m = db.match_url("anything.net", "/x/__utm.gif?utmac=1").unwrap();
        assert_eq!(m.via, MatchVia::Path);
        assert_eq!(m.rule.line(), 8);
    }

    #[test]
    fn subdomain_labels_match_only_below_a_registrable_domain() {
        let sub =
            db("[[tracker]]\nname = \"A\"\nowner = \"B\"\ncategory = \"analytics\"\nsubdomains = [\"smetrics\"]\n")
                .unwrap();
        let m = sub.match_subdomain("smetrics.news.example", "news.example").unwrap();
        assert_eq!((m.via, m.rule.location()), (MatchVia::Subdomain, "t.toml:5".to_string()));
        assert_eq!(m.rule.text(), "smetrics.*");
        assert!(sub.match_subdomain("smetrics.a.news.example", "news.example").is_some());
        assert!(sub.match_subdomain("smetrics.com", "smetrics.com").is_none(), "a site's own name");
        assert!(sub.match_subdomain("www.smetrics.news.example", "news.example").is_none(), "not the first label");
        assert!(sub.match_subdomain("smetricsx.news.example", "news.example").is_none());
        for bad in ["\"s.metrics\"", "\"SMetrics\"", "\"\"", "\"-x\""] {
            let text =
                format!("[[tracker]]\nname = \"A\"\nowner = \"B\"\ncategory = \"analytics\"\nsubdomains = [{bad}]\n");
            let e = db(&text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.starts_with("t.toml:5: subdomain"), "{bad}: {e}");
        }
    }

    /// The SIMD prefilter only rules paths out: every answer equals trying each pattern in turn.
    #[test]
    fn path_prefilter_answers_like_every_pattern_tried() {
        let db = db("[[tracker]]\nname = \"A\"\nowner = \"B\"\ncategory = \"analytics\"\npaths = [\"/__utm.gif\", \"/b/ss/*/1/\", \"/pixel.gif?\", \"/tr/?id=\"]\n")
            .unwrap();
        assert!(db.path_index.as_ref().is_some_and(|i| i.quick.is_some()), "Teddy is built on this machine");
        let paths = [
            "/",
            "/a",
            "/__utm.gif",
            "/x/__utm.gif?u=1",
            "/b/ss/rsid/1/H.2",
            "/b/ss/1/",
            "/pixel.gif",
            "/pixel.gif?x",
            "/x/tr/?id=9",
            "/tr/?i",
            "/__UTM.GIF",
            "/a/b/ss/q/1/z",
        ];
        for p in paths {
            let brute = db.paths.iter().find(|r| r.glob.is_match(p.as_bytes())).map(|r| r.rule.text());
            assert_eq!(db.match_path(p).map(|m| m.rule.text()), brute, "{p}");
        }
    }

    #[test]
    fn errors_name_the_line() {
        let bad = "[[tracker]]\nname = \"x\"\nowner = \"y\"\ncategory = \"spying\"\nhosts = [\"a.com\"]\n";
        let e = db(bad).err().unwrap().to_string();
        assert!(e.starts_with("t.toml:4: unknown category"), "{e}");
        let bad = "[[tracker]]\nname = \"x\"\nowner = \"y\"\ncategory = \"social\"\nhosts = [\"https://a.com/\"]\n";
        let e = db(bad).err().unwrap().to_string();
        assert!(e.starts_with("t.toml:5:"), "{e}");
        let e = db("[[tracker]\n").err().unwrap().to_string();
        assert!(e.starts_with("t.toml:1:"), "{e}");
    }
}
