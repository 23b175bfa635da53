//! allow.toml: hosts and URLs that are never stripped or blocked, whatever a list says.

use super::error::{RuleError, line_of};
use super::glob::Glob;
use super::rule_ref::RuleRef;
use super::source::RuleFile;
use super::trackers::host_suffixes;
use foldhash::HashMap;
use serde::Deserialize;
use std::sync::Arc;
use toml::Spanned;

#[derive(Default)]
pub struct AllowRules {
    hosts: HashMap<Box<str>, RuleRef>,
    urls: HashMap<Box<str>, Vec<(Glob, RuleRef)>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowFile {
    #[allow(dead_code)]
    format: Option<u32>,
    #[serde(default)]
    hosts: Vec<Spanned<String>>,
    #[serde(default)]
    urls: Vec<Spanned<String>>,
}

impl AllowRules {
    pub fn add_file(&mut self, file: &RuleFile) -> Result<(), RuleError> {
        let parsed: AllowFile = toml::from_str(&file.text).map_err(|e| RuleError::toml(&file.name, &file.text, &e))?;
        let source: Arc<str> = Arc::from(file.name.as_str());
        for h in parsed.hosts {
            let line = line_of(&file.text, h.span().start);
            let host = h.get_ref().trim().to_ascii_lowercase();
            if host.is_empty() || host.contains(['/', ':', ' ']) {
                return Err(RuleError::invalid(&file.name, line, format!("{host:?} is not a bare host name")));
            }
            let rule = RuleRef::new(&source, line, format!("allow {host}"));
            self.hosts.insert(host.into(), rule);
        }
        for u in parsed.urls {
            let line = line_of(&file.text, u.span().start);
            let text = u.get_ref().trim();
            let Some(slash) = text.find('/').filter(|&i| i > 0) else {
                return Err(RuleError::invalid(&file.name, line, format!("{text:?} must be host/path")));
            };
            let rule = RuleRef::new(&source, line, format!("allow {text}"));
            let entry = self.urls.entry(text[..slash].to_ascii_lowercase().into()).or_default();
            entry.push((Glob::new(&text[slash..], true), rule));
        }
        Ok(())
    }

    /// Every host an allow rule is keyed by.
    pub fn host_keys(&self) -> impl Iterator<Item = &str> {
        self.hosts.keys().chain(self.urls.keys()).map(|k| &**k)
    }

    pub fn len(&self) -> usize {
        self.hosts.len() + self.urls.values().map(Vec::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The allow rule covering this URL, if any.
    pub fn matches(&self, host: &str, path_and_query: &str) -> Option<&RuleRef> {
        if self.hosts.is_empty() && self.urls.is_empty() {
            return None;
        }
        for suffix in host_suffixes(host) {
            if let Some(r) = self.hosts.get(suffix) {
                return Some(r);
            }
            if let Some(rules) = self.urls.get(suffix)
                && let Some((_, r)) = rules.iter().find(|(g, _)| g.is_match(path_and_query.as_bytes()))
            {
                return Some(r);
            }
        }
        None
    }
}
