//! params.toml: query parameters that only carry tracking identifiers, and where to keep them.

use super::error::{RuleError, line_of};
use super::rule_ref::RuleRef;
use super::source::RuleFile;
use super::trackers::host_suffixes;
use serde::Deserialize;
use std::sync::Arc;
use toml::Spanned;

/// A parameter name, or a prefix when written `name*`. Compared ASCII case-insensitively.
#[derive(Debug, Clone)]
struct NamePattern {
    name: Box<str>,
    prefix: bool,
}

impl NamePattern {
    fn parse(s: &str) -> Result<NamePattern, String> {
        let s = s.trim();
        let (name, prefix) = match s.strip_suffix('*') {
            Some(p) => (p, true),
            None => (s, false),
        };
        if name.is_empty() || name.contains(['*', '=', '&', '?', '#', ' ']) {
            return Err(format!("{s:?} is not a parameter name (a name, or a prefix ending in '*')"));
        }
        Ok(NamePattern { name: name.to_ascii_lowercase().into(), prefix })
    }

    fn matches(&self, name: &str) -> bool {
        let n = self.name.len();
        if self.prefix {
            name.len() >= n && name.as_bytes()[..n].eq_ignore_ascii_case(self.name.as_bytes())
        } else {
            name.eq_ignore_ascii_case(&self.name)
        }
    }
}

struct Exception {
    hosts: Vec<Box<str>>,
    keep: Vec<NamePattern>,
}

/// The compiled tracking-parameter rules.
#[derive(Default)]
pub struct ParamRules {
    params: Vec<(NamePattern, RuleRef)>,
    exceptions: Vec<Exception>,
    /// Exact names (lowercase) → index in `params`, so most lookups are one hash probe.
    exact: foldhash::HashMap<Box<str>, usize>,
    /// Indexes of prefix patterns (`utm_*`).
    prefixes: Vec<usize>,
}

/// A URL with tracking parameters taken out, and the rules that took them.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanedUrl {
    pub url: String,
    pub removed: Vec<(String, RuleRef)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamsFile {
    #[allow(dead_code)]
    format: Option<u32>,
    #[serde(default)]
    params: Vec<Spanned<String>>,
    #[serde(default)]
    exception: Vec<ExceptionDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionDef {
    hosts: Vec<String>,
    keep: Vec<Spanned<String>>,
    #[allow(dead_code)]
    why: Option<String>,
}

impl ParamRules {
    pub fn add_file(&mut self, file: &RuleFile) -> Result<(), RuleError> {
        let parsed: ParamsFile = toml::from_str(&file.text).map_err(|e| RuleError::toml(&file.name, &file.text, &e))?;
        let source: Arc<str> = Arc::from(file.name.as_str());
        for p in parsed.params {
            let line = line_of(&file.text, p.span().start);
            let pat = NamePattern::parse(p.get_ref()).map_err(|m| RuleError::invalid(&file.name, line, m))?;
            let i = self.params.len();
            if pat.prefix {
                self.prefixes.push(i);
            } else {
                self.exact.entry(pat.name.clone()).or_insert(i);
            }
            self.params.push((pat, RuleRef::new(&source, line, p.get_ref().trim())));
        }
        for ex in parsed.exception {
            let mut keep = Vec::new();
            for k in ex.keep {
                let line = line_of(&file.text, k.span().start);
                keep.push(NamePattern::parse(k.get_ref()).map_err(|m| RuleError::invalid(&file.name, line, m))?);
            }
            let hosts = ex.hosts.iter().map(|h| h.trim().to_ascii_lowercase().into()).collect();
            self.exceptions.push(Exception { hosts, keep });
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.params.len()
    }

    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The pattern that names `name`, if any.
    fn find(&self, name: &str) -> Option<&(NamePattern, RuleRef)> {
        if name.is_empty() || name.len() > 64 {
            return None;
        }
        let exact = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.exact.get(name.to_ascii_lowercase().as_str())
        } else {
            self.exact.get(name)
        };
        let i = exact.copied().or_else(|| self.prefixes.iter().copied().find(|&i| self.params[i].0.matches(name)))?;
        self.params.get(i)
    }

    /// The rule that makes `name` a tracking parameter for links to `host`, if any.
    pub fn rule_for(&self, name: &str, host: Option<&str>) -> Option<&RuleRef> {
        let (_, rule) = self.find(name)?;
        let kept = host.is_some_and(|host| {
            self.exceptions.iter().any(|ex| {
                ex.keep.iter().any(|k| k.matches(name))
                    && host_suffixes(host).any(|s| ex.hosts.iter().any(|h| **h == *s))
            })
        });
        (!kept).then_some(rule)
    }

    /// Does `url` carry any tracking parameter (before per-site exceptions)? Cheap: no allocation.
    pub fn mentions(&self, url: &str, html: bool) -> bool {
        let end = memchr::memchr(b'#', url.as_bytes()).unwrap_or(url.len());
        let Some(q) = memchr::memchr(b'?', &url.as_bytes()[..end]) else {
            return false;
        };
        fields(&url[q + 1..end], html).any(|(_, f)| self.find(field_name(f)).is_some())
    }

    /// Removes tracking parameters from `url`, keeping every other byte as it was.
    /// `html`: the URL is an attribute value as written, where `&amp;` separates fields too.
    /// Returns None when nothing was removed.
    pub fn clean(&self, url: &str, host: Option<&str>, html: bool) -> Option<CleanedUrl> {
        if self.params.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'#', url.as_bytes()).unwrap_or(url.len());
        let q = memchr::memchr(b'?', &url.as_bytes()[..end])?;
        let query = &url[q + 1..end];
        let tracking = |name: &str| (!name.is_empty()).then(|| self.rule_for(name, host)).flatten();
        // Most links carry no tracking parameter: find out before allocating anything.
        if !fields(query, html).any(|(_, f)| tracking(field_name(f)).is_some()) {
            return None;
        }
        let mut kept = String::with_capacity(url.len());
        let mut removed = Vec::new();
        for (sep, field) in fields(query, html) {
            let name = field_name(field);
            if let Some(rule) = tracking(name) {
                removed.push((name.to_string(), rule.clone()));
                continue;
            }
            kept.push_str(if kept.is_empty() { "" } else { sep });
            kept.push_str(field);
        }
        let mut out = String::with_capacity(url.len());
        out.push_str(&url[..q]);
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept);
        }
        out.push_str(&url[end..]);
        Some(CleanedUrl { url: out, removed })
    }
}

fn field_name(field: &str) -> &str {
    memchr::memchr(b'=', field.as_bytes()).map_or(field, |i| &field[..i])
}

/// Query fields with the separator written before each (`""` for the first).
fn fields(query: &str, html: bool) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = Some(query);
    let mut sep = "";
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memchr(b'&', r.as_bytes()) {
            None => {
                rest = None;
                Some((sep, r))
            }
            Some(i) => {
                let item = (sep, &r[..i]);
                let after = &r[i..];
                let len = if html && after.starts_with("&amp;") { 5 } else { 1 };
                sep = &after[..len];
                rest = Some(&after[len..]);
                Some(item)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::source::RuleKind;

    fn rules() -> ParamRules {
        let mut r = ParamRules::default();
        let text = "params = [\"utm_*\", \"fbclid\", \"gclid\"]\n[[exception]]\nhosts = [\"builder.example\"]\nkeep = [\"utm_*\"]\n";
        r.add_file(&RuleFile { name: "p.toml".into(), kind: RuleKind::Params, text: text.into() }).unwrap();
        r
    }

    #[test]
    fn removes_only_tracking_fields() {
        let r = rules();
        let cases = [
            ("/a?utm_source=x", Some("/a")),
            ("/a?x=1&utm_source=x&y=2#frag", Some("/a?x=1&y=2#frag")),
            ("/a?utm_source=x&amp;y=2", Some("/a?y=2")),
            ("/a?y=2&amp;FBCLID=abc&amp;z", Some("/a?y=2&amp;z")),
            ("/a?fbclid=1&gclid=2#top", Some("/a#top")),
            ("/a?x=1&&utm_medium=m", Some("/a?x=1&")),
            ("/a?x=1", None),
            ("/a#?utm_source=x", None),
            ("/a", None),
        ];
        for (input, want) in cases {
            let got = r.clean(input, Some("news.example"), true).map(|c| c.url);
            assert_eq!(got.as_deref(), want, "{input}");
        }
    }

    #[test]
    fn per_site_exception() {
        let r = rules();
        assert!(r.clean("/b?utm_source=x", Some("www.builder.example"), true).is_none());
        let c = r.clean("/b?utm_source=x&fbclid=1", Some("builder.example"), true).unwrap();
        assert_eq!(c.url, "/b?utm_source=x");
        assert_eq!(c.removed[0].0, "fbclid");
        assert_eq!(c.removed[0].1.location(), "p.toml:1");
    }
}
