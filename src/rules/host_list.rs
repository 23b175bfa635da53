//! A plain list of hosts (each matching itself and its subdomains): skip-intercept.toml.

use super::error::{RuleError, line_of};
use super::rule_ref::RuleRef;
use super::source::RuleFile;
use super::trackers::host_suffixes;
use foldhash::HashMap;
use serde::Deserialize;
use std::sync::Arc;
use toml::Spanned;

#[derive(Default)]
pub struct HostList {
    hosts: HashMap<Box<str>, RuleRef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HostListFile {
    #[allow(dead_code)]
    format: Option<u32>,
    #[serde(default)]
    hosts: Vec<Spanned<String>>,
}

impl HostList {
    pub fn add_file(&mut self, file: &RuleFile) -> Result<(), RuleError> {
        let parsed: HostListFile =
            toml::from_str(&file.text).map_err(|e| RuleError::toml(&file.name, &file.text, &e))?;
        let source: Arc<str> = Arc::from(file.name.as_str());
        for h in parsed.hosts {
            let line = line_of(&file.text, h.span().start);
            let host = h.get_ref().trim().trim_end_matches('.').to_ascii_lowercase();
            if host.is_empty() || host.contains(['/', ':', ' ', '*']) {
                return Err(RuleError::invalid(&file.name, line, format!("{host:?} is not a bare host name")));
            }
            self.hosts.insert(host.clone().into(), RuleRef::new(&source, line, host));
        }
        Ok(())
    }

    /// Adds a host given on the command line or in a config file.
    pub fn add(&mut self, host: &str, rule: RuleRef) {
        self.hosts.insert(host.trim().trim_end_matches('.').to_ascii_lowercase().into(), rule);
    }

    pub fn matches(&self, host: &str) -> Option<&RuleRef> {
        if self.hosts.is_empty() {
            return None;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        host_suffixes(&host).find_map(|s| self.hosts.get(s))
    }

    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }
}
