//! snippets.toml: signatures of inline analytics snippets, and the no-op stubs that replace them.

use super::error::{RuleError, line_of};
use super::loader::{ConsentDef, ConsentMarkers, LoaderDef, LoaderRule};
use super::rule_ref::RuleRef;
use super::source::RuleFile;
use super::trackers::{Category, Tracker};
use aho_corasick::AhoCorasick;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use toml::Spanned;

/// One snippet: the strings that identify it and the stubs that keep pages calling it working.
pub struct Snippet {
    pub tracker: Tracker,
    pub rule: RuleRef,
    all: Vec<usize>,
    any: Vec<usize>,
    max_bytes: usize,
    stubs: Vec<usize>,
    /// When given, the script must be nothing but calls to these functions.
    calls_only: Vec<String>,
}

/// Every snippet, with one automaton over all their strings.
struct SizeClass {
    limit: usize,
    automaton: AhoCorasick,
    /// SIMD (Teddy) searchers over the same patterns, `PER_SEARCHER` each (Teddy takes at most
    /// 64); empty when Teddy can't take them, and the automaton does the work.
    quick: Vec<aho_corasick::packed::Searcher>,
    patterns: Vec<Box<[u8]>>,
    /// Pattern → literal (a literal with `/` is also searched as `\/`, as JSON writes it).
    pattern_literal: Vec<usize>,
}

#[derive(Default)]
pub struct SnippetSet {
    snippets: Vec<Snippet>,
    literals: Vec<String>,
    literal_ids: HashMap<String, usize>,
    stub_names: Vec<String>,
    stub_code: Vec<String>,
    /// One automaton per size class: for a script of length L, the first class whose limit is
    /// at least L holds the literals of every snippet that can match it. Big scripts thus meet
    /// only the few signatures allowed that big (New Relic's loader), small ones all of them.
    classes: Vec<SizeClass>,
    surrogates: Vec<Surrogate>,
    /// No script longer than this can be a snippet: don't even hold it.
    pub largest: usize,
    /// The general loader rule (`[loader]`), when a file gives one.
    pub loader: Option<LoaderRule>,
    /// Consent platforms' markers (`[consent]`).
    pub consent: ConsentMarkers,
}

/// The verdict on one inline script.
#[derive(Debug)]
pub struct SnippetHit<'a> {
    pub snippets: Vec<&'a Snippet>,
    /// JavaScript to put in the script's place (may be empty).
    pub stub: String,
}

impl std::fmt::Debug for Snippet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Snippet({})", self.tracker.name)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnippetsFile {
    #[allow(dead_code)]
    format: Option<u32>,
    max_bytes: Option<usize>,
    #[serde(default)]
    stubs: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    snippet: Vec<Spanned<SnippetDef>>,
    #[serde(default)]
    surrogate: Vec<SurrogateDef>,
    loader: Option<Spanned<LoaderDef>>,
    consent: Option<Spanned<ConsentDef>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SurrogateDef {
    urls: Vec<Spanned<String>>,
    stubs: Vec<Spanned<String>>,
}

/// A no-op script served in place of a blocked tracker library (the proxy's answer to
/// `analytics.js`, `gtag/js`, `fbevents.js`...), so pages calling into it keep working.
struct Surrogate {
    host: Box<str>,
    path: super::glob::Glob,
    stubs: Vec<usize>,
    rule: RuleRef,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnippetDef {
    name: String,
    owner: String,
    category: Spanned<String>,
    #[serde(default)]
    all: Vec<String>,
    #[serde(default)]
    any: Vec<String>,
    max_bytes: Option<usize>,
    #[serde(default)]
    stubs: Vec<Spanned<String>>,
    #[serde(default)]
    calls_only: Vec<String>,
}

const DEFAULT_MAX_BYTES: usize = 8192;

impl SnippetSet {
    pub fn add_file(&mut self, file: &RuleFile) -> Result<(), RuleError> {
        let parsed: SnippetsFile =
            toml::from_str(&file.text).map_err(|e| RuleError::toml(&file.name, &file.text, &e))?;
        let source: Arc<str> = Arc::from(file.name.as_str());
        let default_max = parsed.max_bytes.unwrap_or(DEFAULT_MAX_BYTES);
        if let Some(def) = parsed.loader {
            let rule = LoaderRule::compile(def, &file.name, &file.text)?;
            self.largest = self.largest.max(rule.max_bytes);
            self.loader = Some(rule);
        }
        if let Some(def) = parsed.consent {
            self.consent = ConsentMarkers::compile(def, &file.name, &file.text)?;
        }
        for (name, code) in parsed.stubs {
            let line = line_of(&file.text, code.span().start);
            if code.get_ref().to_ascii_lowercase().contains("</script") || !code.get_ref().is_ascii() {
                return Err(RuleError::invalid(
                    &file.name,
                    line,
                    format!("stub {name:?} must be ASCII with no </script"),
                ));
            }
            match self.stub_names.iter().position(|n| *n == name) {
                Some(i) => self.stub_code[i] = code.into_inner(),
                None => {
                    self.stub_names.push(name);
                    self.stub_code.push(code.into_inner());
                }
            }
        }
        for def in parsed.snippet {
            let line = line_of(&file.text, def.span().start);
            let def = def.into_inner();
            let category = Category::parse(def.category.get_ref()).ok_or_else(|| {
                RuleError::invalid(
                    &file.name,
                    line_of(&file.text, def.category.span().start),
                    format!("unknown category {:?}; use one of {}", def.category.get_ref(), Category::NAMES),
                )
            })?;
            if def.all.is_empty() && def.any.is_empty() {
                return Err(RuleError::invalid(
                    &file.name,
                    line,
                    format!("snippet {:?} needs `all` or `any` strings", def.name),
                ));
            }
            if let Some(short) = def.all.iter().chain(&def.any).find(|s| s.len() < 4) {
                return Err(RuleError::invalid(
                    &file.name,
                    line,
                    format!("signature {short:?} is too short to be specific (4 characters at least)"),
                ));
            }
            let mut stubs = Vec::new();
            for s in &def.stubs {
                let i = self.stub_names.iter().position(|n| n == s.get_ref()).ok_or_else(|| {
                    RuleError::invalid(
                        &file.name,
                        line_of(&file.text, s.span().start),
                        format!("no stub named {:?} in [stubs]", s.get_ref()),
                    )
                })?;
                stubs.push(i);
            }
            let all = def.all.iter().map(|s| self.literal(s)).collect();
            let any = def.any.iter().map(|s| self.literal(s)).collect();
            let max_bytes = def.max_bytes.unwrap_or(default_max);
            self.largest = self.largest.max(max_bytes);
            let tracker =
                Tracker { name: Arc::from(def.name.as_str()), owner: Arc::from(def.owner.as_str()), category };
            let rule = RuleRef::new(&source, line, format!("snippet: {}", def.name));
            let calls_only = def.calls_only;
            self.snippets.push(Snippet { tracker, rule, all, any, max_bytes, stubs, calls_only });
        }
        for def in parsed.surrogate {
            let mut stubs = Vec::new();
            for st in &def.stubs {
                let line = line_of(&file.text, st.span().start);
                let i = self.stub_names.iter().position(|n| n == st.get_ref()).ok_or_else(|| {
                    RuleError::invalid(&file.name, line, format!("no stub named {:?} in [stubs]", st.get_ref()))
                })?;
                stubs.push(i);
            }
            for u in &def.urls {
                let line = line_of(&file.text, u.span().start);
                let text = u.get_ref().trim();
                let Some(slash) = text.find('/').filter(|&i| i > 0) else {
                    return Err(RuleError::invalid(
                        &file.name,
                        line,
                        format!("surrogate url {text:?} must be host/path"),
                    ));
                };
                self.surrogates.push(Surrogate {
                    host: text[..slash].to_ascii_lowercase().into(),
                    path: super::glob::Glob::new(&text[slash..], true),
                    stubs: stubs.clone(),
                    rule: RuleRef::new(&source, line, format!("surrogate: {text}")),
                });
            }
        }
        self.classes.clear();
        Ok(())
    }

    /// The no-op script to serve for a blocked request to this host and path, if any.
    pub fn surrogate_for(&self, host: &str, path_and_query: &str) -> Option<(String, &RuleRef)> {
        let s = self.surrogates.iter().find(|s| {
            (host == &*s.host || host.ends_with(&format!(".{}", s.host))) && s.path.is_match(path_and_query.as_bytes())
        })?;
        let code = s.stubs.iter().map(|&i| self.stub_code[i].as_str()).collect::<Vec<_>>().join("\n");
        Some((code, &s.rule))
    }

    fn literal(&mut self, s: &str) -> usize {
        if let Some(&i) = self.literal_ids.get(s) {
            return i;
        }
        self.literals.push(s.to_string());
        self.literal_ids.insert(s.to_string(), self.literals.len() - 1);
        self.literals.len() - 1
    }

    pub fn finish(&mut self) -> Result<(), RuleError> {
        let mut limits: Vec<usize> = self.snippets.iter().map(|s| s.max_bytes).collect();
        limits.sort_unstable();
        limits.dedup();
        self.classes.clear();
        for limit in limits {
            let mut wanted = vec![false; self.literals.len()];
            for s in self.snippets.iter().filter(|s| s.max_bytes >= limit) {
                for &i in s.all.iter().chain(&s.any) {
                    wanted[i] = true;
                }
            }
            let mut patterns = Vec::new();
            let mut pattern_literal = Vec::new();
            for (i, lit) in self.literals.iter().enumerate().filter(|(i, _)| wanted[*i]) {
                patterns.push(lit.clone());
                pattern_literal.push(i);
                if lit.contains('/') {
                    patterns.push(lit.replace('/', "\\/"));
                    pattern_literal.push(i);
                }
            }
            let automaton = AhoCorasick::new(&patterns)
                .map_err(|e| RuleError::invalid("snippets", 0, format!("cannot build matcher: {e}")))?;
            let quick = quick_searchers(&patterns);
            let patterns = patterns.into_iter().map(|p| p.into_bytes().into_boxed_slice()).collect();
            self.classes.push(SizeClass { limit, automaton, pattern_literal, quick, patterns });
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.snippets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.snippets.is_empty()
    }

    /// Which snippets this inline script is (raw bytes; signatures are ASCII, so any
    /// ASCII-compatible page encoding works).
    pub fn check(&self, script: &[u8]) -> Option<SnippetHit<'_>> {
        let class = self.classes.iter().find(|c| c.limit >= script.len())?;
        let found = class.literals_in(script, self.literals.len())?;
        let hits: Vec<&Snippet> = self
            .snippets
            .iter()
            .filter(|s| {
                script.len() <= s.max_bytes
                    && s.all.iter().all(|&i| found[i])
                    && (s.any.is_empty() || s.any.iter().any(|&i| found[i]))
                    && (s.calls_only.is_empty() || super::calls::only_calls(script, &s.calls_only))
            })
            .collect();
        if hits.is_empty() {
            return None;
        }
        let mut stub_ids: Vec<usize> = hits.iter().flat_map(|s| s.stubs.iter().copied()).collect();
        stub_ids.sort_unstable();
        stub_ids.dedup();
        let stub = stub_ids.iter().map(|&i| self.stub_code[i].as_str()).collect::<Vec<_>>().join("\n");
        Some(SnippetHit { snippets: hits, stub })
    }
}

impl SizeClass {
    /// Which literals occur in `script` (overlaps included), or None when none does, which is
    /// the common case and the fast one.
    fn literals_in(&self, script: &[u8], literals: usize) -> Option<Vec<bool>> {
        if self.quick.is_empty() {
            if !self.automaton.is_match(script) {
                return None;
            }
            let mut found = vec![false; literals];
            for m in self.automaton.find_overlapping_iter(script) {
                found[self.pattern_literal[m.pattern().as_usize()]] = true;
            }
            return Some(found);
        }
        // Allocated at the first hit: most scripts have none.
        let mut found: Option<Vec<bool>> = None;
        for (part, searcher) in self.quick.iter().enumerate() {
            let first = part * PER_SEARCHER;
            let patterns = &self.patterns[first..(first + PER_SEARCHER).min(self.patterns.len())];
            // Each search finds the next place where some pattern starts; every pattern that
            // starts there is then checked, so patterns that overlap are all seen.
            let mut at = 0;
            while let Some(m) = searcher.find_in(script, aho_corasick::Span::from(at..script.len())) {
                let rest = &script[m.start()..];
                let found = found.get_or_insert_with(|| vec![false; literals]);
                for (j, p) in patterns.iter().enumerate() {
                    if rest.starts_with(p) {
                        found[self.pattern_literal[first + j]] = true;
                    }
                }
                at = m.start() + 1;
            }
        }
        found
    }
}

/// Patterns per Teddy searcher (Teddy takes up to 64; fewer run faster).
const PER_SEARCHER: usize = 48;

/// Teddy searchers covering `patterns`, or none if it can't build one for them (it needs
/// SIMD), and the automaton is used instead.
fn quick_searchers(patterns: &[String]) -> Vec<aho_corasick::packed::Searcher> {
    let searchers: Option<Vec<_>> = patterns
        .chunks(PER_SEARCHER)
        .map(|part| aho_corasick::packed::Config::new().builder().extend(part).build())
        .collect();
    searchers.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::source::RuleKind;

    const SAMPLE: &str = r#"
max_bytes = 100
[stubs]
ga = "window.ga=function(){};"
[[snippet]]
name = "GA"
owner = "Google"
category = "analytics"
all = ["GoogleAnalyticsObject"]
stubs = ["ga"]
[[snippet]]
name = "Pixel"
owner = "Meta"
category = "advertising"
all = ["fbq("]
any = ["connect.facebook.net", "_fbq"]
"#;

    fn set(text: &str) -> Result<SnippetSet, RuleError> {
        let mut s = SnippetSet::default();
        s.add_file(&RuleFile { name: "s.toml".into(), kind: RuleKind::Snippets, text: text.into() })?;
        s.finish()?;
        Ok(s)
    }

    #[test]
    fn all_and_any() {
        let s = set(SAMPLE).unwrap();
        let hit = s.check(b"(function(i){i['GoogleAnalyticsObject']=r})").unwrap();
        assert_eq!(&*hit.snippets[0].tracker.name, "GA");
        assert_eq!(hit.stub, "window.ga=function(){};");
        assert!(s.check(b"fbq('track')").is_none(), "fbq( alone is not the pixel");
        let hit = s.check(b"fbq('init');x='https://connect.facebook.net/'").unwrap();
        assert_eq!(hit.stub, "");
        assert!(s.check(br#"fbq('init');x="https:\/\/connect.facebook.net\/""#).is_some(), "JSON-escaped slashes");
        assert!(s.check(&[b'x'; 200]).is_none());
    }

    #[test]
    fn teddy_and_the_automaton_find_the_same_literals() {
        // Overlapping literals, one inside another, at the start and the end of the script.
        let set = set(SAMPLE).unwrap();
        let class = &set.classes[0];
        assert!(!class.quick.is_empty(), "this machine builds Teddy searchers");
        let fallback = SizeClass {
            limit: class.limit,
            automaton: class.automaton.clone(),
            pattern_literal: class.pattern_literal.clone(),
            quick: Vec::new(),
            patterns: class.patterns.clone(),
        };
        let n = set.literals.len();
        for script in [
            &b"fbq('init');_fbq;connect.facebook.net"[..],
            b"_fbqfbq(",
            b"x GoogleAnalyticsObject fbq(",
            b"nothing here",
            b"",
        ] {
            assert_eq!(class.literals_in(script, n), fallback.literals_in(script, n), "{script:?}");
        }
    }

    #[test]
    fn size_cap_spares_application_code() {
        let s = set(SAMPLE).unwrap();
        let mut big = b"GoogleAnalyticsObject;".to_vec();
        big.extend(std::iter::repeat_n(b' ', 100));
        assert!(s.check(&big).is_none());
    }

    #[test]
    fn bad_stub_reference() {
        let bad = SAMPLE.replace("stubs = [\"ga\"]", "stubs = [\"nope\"]");
        let e = set(&bad).err().unwrap().to_string();
        assert!(e.contains("s.toml:10: no stub named \"nope\""), "{e}");
    }
}
