//! Plain host filters, `||host^` and `||host^$third-party`: 46,000 of EasyPrivacy's 56,000
//! lines. One hash lookup per suffix of the request's host answers them all, where the adblock
//! engine would tokenize the whole URL.

use crate::rules::trackers::host_suffixes;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// Where a host filter was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct HostFilter {
    /// Index of the list in its `ListSet`.
    pub list: u16,
    /// `$third-party`: the filter spares a site's own requests.
    pub third_party_only: bool,
    /// 1-based line in the list.
    pub line: u32,
}

/// Host filters keyed by a 64-bit hash of the host: the host text itself is the matched suffix
/// of the request's host, so it need not be kept (1.1 MB for EasyPrivacy instead of 3 MB).
/// A stray match would need a 64-bit collision with one of 46,000 keys.
#[derive(Default)]
pub(super) struct HostIndex {
    map: HashMap<u64, HostFilter, BuildHasherDefault<KeyIsHash>>,
}

impl HostIndex {
    /// Adds a filter; a host already present keeps the broader of the two filters.
    pub fn insert(&mut self, host: &str, filter: HostFilter) {
        let slot = self.map.entry(hash(host)).or_insert(filter);
        if slot.third_party_only && !filter.third_party_only {
            *slot = filter;
        }
    }

    /// `$badfilter`: the list itself withdraws this filter.
    pub fn remove(&mut self, host: &str) {
        self.map.remove(&hash(host));
    }

    /// The filter for `host` or a parent domain, with the suffix it was written for.
    pub fn find<'h>(&self, host: &'h str, third_party: bool) -> Option<(&'h str, HostFilter)> {
        if self.map.is_empty() {
            return None;
        }
        host_suffixes(host).find_map(|suffix| {
            let f = self.map.get(&hash(suffix))?;
            (third_party || !f.third_party_only).then_some((suffix, *f))
        })
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn shrink(&mut self) {
        self.map.shrink_to_fit();
    }
}

/// `||host^` → (host, false); `||host^$third-party` → (host, true); anything else → None
/// (paths, wildcards and other options go to the adblock engine).
pub(super) fn plain_host(line: &str) -> Option<(&str, bool)> {
    let rest = line.trim().strip_prefix("||")?;
    let (pattern, third_party_only) = match rest.strip_suffix("$third-party") {
        Some(p) => (p, true),
        None => (rest, false),
    };
    let host = pattern.strip_suffix('^')?;
    let b = host.as_bytes();
    let ok = !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1] != b'.'
        && b.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'_'));
    ok.then_some((host, third_party_only))
}

pub(super) fn hash(host: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x7472_6163_6b73_7472).hash_one(host)
}

/// The keys are hashes already: the map uses them as they are.
#[derive(Default)]
pub(super) struct KeyIsHash(u64);

impl Hasher for KeyIsHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed here; fold anything else in rather than panic.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_host_filters_are_taken() {
        assert_eq!(plain_host("||pixel.wp.com^"), Some(("pixel.wp.com", false)));
        assert_eq!(plain_host("||tracker.example^$third-party "), Some(("tracker.example", true)));
        for other in [
            "||x.example^$script",
            "||x.example/p.gif",
            "||*.x.example^",
            "||X.example^",
            "@@||x.example^",
            "|https://x.example^",
            "||.x.example^",
            "||x.example.^",
            "||^",
        ] {
            assert_eq!(plain_host(other), None, "{other}");
        }
    }

    #[test]
    fn suffixes_and_third_party() {
        let mut idx = HostIndex::default();
        idx.insert("tracker.example", HostFilter { list: 0, third_party_only: true, line: 3 });
        idx.insert("pixel.example", HostFilter { list: 0, third_party_only: false, line: 4 });
        assert_eq!(idx.find("a.b.tracker.example", true).map(|(s, f)| (s, f.line)), Some(("tracker.example", 3)));
        assert!(idx.find("tracker.example", false).is_none(), "third-party only");
        assert_eq!(idx.find("pixel.example", false).map(|(_, f)| f.line), Some(4));
        assert!(idx.find("notpixel.example", true).is_none());
        assert!(idx.find("pixel.example.net", true).is_none());
        idx.insert("tracker.example", HostFilter { list: 1, third_party_only: false, line: 9 });
        assert_eq!(idx.find("tracker.example", false).map(|(_, f)| f.line), Some(9), "the broader filter wins");
        idx.remove("tracker.example");
        assert!(idx.find("tracker.example", true).is_none());
    }
}
