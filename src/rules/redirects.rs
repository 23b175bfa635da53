//! redirects.toml: link wrappers whose destination is written in the link itself
//! (`https://www.google.com/url?q=https://news.example/story`). Following one tells the
//! wrapper's owner what was clicked; trackstrip writes the destination in its place.
//! Opaque shorteners (t.co, bit.ly) are not here: their destination is not in the URL.

use super::error::{RuleError, line_of};
use super::rule_ref::RuleRef;
use super::source::RuleFile;
use super::trackers::host_suffixes;
use serde::Deserialize;
use std::sync::Arc;
use toml::Spanned;

/// Wrappers inside wrappers are taken apart up to this depth.
const MAX_DEPTH: usize = 4;

struct Wrapper {
    /// Host suffixes (`google.com` covers `www.google.com`); `google.*` is the `google`
    /// registrable domain under any public suffix.
    hosts: Vec<Box<str>>,
    /// Exact paths, or prefixes written `/linkfilter/*`.
    paths: Vec<Box<str>>,
    /// The query parameters that hold the destination, first one present wins.
    params: Vec<Box<str>>,
    /// Sites whose pages keep this wrapper (their links may need it).
    keep_on: Vec<Box<str>>,
    rule: RuleRef,
}

/// The compiled link-wrapper rules.
#[derive(Default)]
pub struct RedirectRules {
    wrappers: Vec<Wrapper>,
}

/// A link taken out of its wrappers.
#[derive(Debug, Clone, PartialEq)]
pub struct Unwrapped {
    /// The destination, as the wrapper held it (percent-decoded once per wrapper).
    pub url: String,
    /// The rule of each wrapper removed, outermost first.
    pub rules: Vec<RuleRef>,
    /// Tracking parameters then taken out of the destination (`Rules::unwrap_link`).
    pub removed: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedirectsFile {
    #[allow(dead_code)]
    format: Option<u32>,
    #[serde(default)]
    redirect: Vec<Spanned<WrapperDef>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrapperDef {
    name: String,
    hosts: Vec<String>,
    paths: Vec<String>,
    params: Vec<String>,
    #[serde(default)]
    keep_on: Vec<String>,
}

impl RedirectRules {
    pub fn add_file(&mut self, file: &RuleFile) -> Result<(), RuleError> {
        let parsed: RedirectsFile =
            toml::from_str(&file.text).map_err(|e| RuleError::toml(&file.name, &file.text, &e))?;
        let source: Arc<str> = Arc::from(file.name.as_str());
        for def in parsed.redirect {
            let line = line_of(&file.text, def.span().start);
            let d = def.into_inner();
            let bad = |m: String| RuleError::invalid(&file.name, line, format!("redirect {:?}: {m}", d.name));
            let lower =
                |v: &[String]| v.iter().map(|s| s.trim().to_ascii_lowercase().into()).collect::<Vec<Box<str>>>();
            if d.hosts.is_empty() || d.paths.is_empty() || d.params.is_empty() {
                return Err(bad("hosts, paths and params each need at least one entry".into()));
            }
            if let Some(h) = d.hosts.iter().find(|h| h.contains(['/', ':', ' ']) || h.trim().is_empty()) {
                return Err(bad(format!("{h:?} is not a host name")));
            }
            if let Some(p) = d.paths.iter().find(|p| !p.starts_with('/') || p[..p.len() - 1].contains('*')) {
                return Err(bad(format!("path {p:?} must start with '/' (a '*' only at its end)")));
            }
            if let Some(p) = d.params.iter().find(|p| p.is_empty() || p.contains(['=', '&', '?', '#', ' '])) {
                return Err(bad(format!("{p:?} is not a parameter name")));
            }
            let hosts_text = d.hosts.join(", ");
            self.wrappers.push(Wrapper {
                hosts: lower(&d.hosts),
                paths: d.paths.iter().map(|p| p.as_str().into()).collect(),
                params: d.params.iter().map(|p| p.as_str().into()).collect(),
                keep_on: lower(&d.keep_on),
                rule: RuleRef::new(&source, line, format!("{} ({hosts_text})", d.name)),
            });
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.wrappers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.wrappers.is_empty()
    }

    /// Could `url` (an attribute value or a request URL) be a wrapped link? Cheap, no
    /// allocation: a destination always starts `http`.
    pub fn may_wrap(&self, url: &str) -> bool {
        !self.wrappers.is_empty() && memchr::memmem::find(url.as_bytes(), b"=http").is_some()
    }

    /// The destination of `url` (absolute, entity-decoded), on a page of `page_site`
    /// (empty when unknown); None when it is not a known wrapper or holds no http(s) URL.
    pub fn unwrap(&self, url: &str, page_site: &str) -> Option<Unwrapped> {
        let mut current = url.to_string();
        let mut rules = Vec::new();
        while rules.len() < MAX_DEPTH {
            let Some((next, rule)) = self.unwrap_once(&current, page_site) else { break };
            current = next;
            rules.push(rule);
        }
        (!rules.is_empty()).then_some(Unwrapped { url: current, rules, removed: Vec::new() })
    }

    fn unwrap_once(&self, url: &str, page_site: &str) -> Option<(String, RuleRef)> {
        let parsed = url::Url::parse(url).ok()?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return None;
        }
        let host = parsed.host_str()?.trim_end_matches('.').to_ascii_lowercase();
        let w = self.wrappers.iter().find(|w| {
            w.hosts.iter().any(|h| host_matches(&host, h))
                && w.paths.iter().any(|p| path_matches(parsed.path(), p))
                && !w.keep_on.iter().any(|site| host_suffixes(page_site).any(|s| s == &**site))
        })?;
        let target = w.params.iter().find_map(|name| {
            parsed.query_pairs().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.into_owned())
        })?;
        let dest = url::Url::parse(target.trim()).ok()?;
        if !matches!(dest.scheme(), "http" | "https") || dest.host_str().is_none() {
            return None;
        }
        Some((target.trim().to_string(), w.rule.clone()))
    }
}

fn host_matches(host: &str, pattern: &str) -> bool {
    match pattern.strip_suffix(".*") {
        // `google.*`: the registrable domain is `google.<public suffix>`.
        Some(label) => psl::domain_str(host).and_then(|d| d.split_once('.')).is_some_and(|(l, _)| l == label),
        None => host_suffixes(host).any(|s| s == pattern),
    }
}

fn path_matches(path: &str, pattern: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => path == pattern,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::source::RuleKind;

    fn rules() -> RedirectRules {
        let mut r = RedirectRules::default();
        let text = r#"
[[redirect]]
name = "Google"
hosts = ["google.*"]
paths = ["/url"]
params = ["q", "url"]
keep_on = ["mail.example"]

[[redirect]]
name = "Steam"
hosts = ["steamcommunity.com"]
paths = ["/linkfilter/*"]
params = ["url", "u"]
"#;
        r.add_file(&RuleFile { name: "r.toml".into(), kind: RuleKind::Redirects, text: text.into() }).unwrap();
        r
    }

    #[test]
    fn destinations_come_out_of_their_wrappers() {
        let r = rules();
        let u =
            r.unwrap("https://www.google.co.uk/url?sa=t&url=https%3A%2F%2Fnews.example%2Fa%3Fb%3D1&usg=x", "").unwrap();
        assert_eq!(u.url, "https://news.example/a?b=1");
        assert_eq!(u.rules[0].location(), "r.toml:2");
        let nested = format!(
            "https://steamcommunity.com/linkfilter/?u={}",
            url::form_urlencoded::byte_serialize(b"https://google.com/url?q=https://x.example/").collect::<String>()
        );
        let u = r.unwrap(&nested, "").unwrap();
        assert_eq!((u.url.as_str(), u.rules.len()), ("https://x.example/", 2));
    }

    #[test]
    fn what_is_not_a_known_wrapper_with_a_web_destination_stays() {
        let r = rules();
        for url in [
            "https://www.google.com/search?q=https://x.example/",
            "https://www.google.com/url?q=javascript:alert(1)",
            "https://www.google.com/url?q=/relative",
            "https://notgoogle.com/url?q=https://x.example/",
            "https://t.co/abc",
        ] {
            assert_eq!(r.unwrap(url, ""), None, "{url}");
        }
        assert!(r.unwrap("https://google.com/url?q=https://x.example/", "mail.example").is_none(), "kept on its sites");
    }

    #[test]
    fn bad_rules_are_placed() {
        let mut r = RedirectRules::default();
        let text = "[[redirect]]\nname = \"x\"\nhosts = [\"a.example\"]\npaths = [\"url\"]\nparams = [\"q\"]\n";
        let e = r.add_file(&RuleFile { name: "r.toml".into(), kind: RuleKind::Redirects, text: text.into() });
        assert!(e.unwrap_err().to_string().starts_with("r.toml:1: redirect \"x\": path \"url\""));
    }
}
