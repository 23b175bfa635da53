//! Which sites any host-keyed rule can apply to: one set lookup tells that a resource's host
//! has no host or URL rule at all (most first-party and CDN resources), skipping the walks.

use crate::policy::site_of;
use foldhash::HashSet;

#[derive(Default)]
pub struct HostSites {
    /// Registrable domains of every rule key.
    sites: HashSet<Box<str>>,
    /// Keys that are public suffixes themselves (e.g. s3.amazonaws.com): checked by suffix.
    suffix_keys: Vec<Box<str>>,
}

impl HostSites {
    pub fn add(&mut self, key: &str) {
        match psl::domain_str(key) {
            Some(site) => {
                self.sites.insert(site.into());
            }
            None => self.suffix_keys.push(key.into()),
        }
    }

    /// Could a rule keyed by host apply to `host` (whose registrable domain is `site`)?
    pub fn may_match(&self, host: &str, site: &str) -> bool {
        self.sites.contains(site)
            || self
                .suffix_keys
                .iter()
                .any(|k| host == &**k || (host.ends_with(&**k) && host.as_bytes()[host.len() - k.len() - 1] == b'.'))
    }

    /// Same, computing the site.
    pub fn may_match_host(&self, host: &str) -> bool {
        self.may_match(host, site_of(host))
    }
}

#[cfg(test)]
mod tests {
    use super::HostSites;

    #[test]
    fn sites_and_suffix_keys() {
        let mut s = HostSites::default();
        s.add("b.scorecardresearch.com");
        s.add("s3.amazonaws.com");
        assert!(s.may_match_host("sb.scorecardresearch.com"));
        assert!(s.may_match_host("bucket.s3.amazonaws.com"));
        assert!(s.may_match_host("s3.amazonaws.com"));
        assert!(!s.may_match_host("news.example"));
        assert!(!s.may_match_host("xs3.amazonaws.com.evil.example"));
    }
}
