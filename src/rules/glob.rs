//! `*` wildcard patterns, the only pattern syntax trackstrip's own rules use.

use memchr::memmem;

/// A pattern split on `*` into literal pieces, matched in order.
#[derive(Debug, Clone)]
pub struct Glob {
    parts: Vec<Box<[u8]>>,
    /// Whether the first piece must sit at the very start of the haystack.
    anchored: bool,
}

impl Glob {
    /// `anchored`: the pattern matches a prefix (`urls`); else it matches anywhere (`paths`).
    pub fn new(pattern: &str, anchored: bool) -> Glob {
        let parts = pattern.split('*').map(|p| p.as_bytes().to_vec().into_boxed_slice()).collect();
        Glob { parts, anchored }
    }

    /// The longest literal piece: what a substring prefilter should look for.
    pub fn longest_literal(&self) -> &[u8] {
        self.parts.iter().max_by_key(|p| p.len()).map(|p| &p[..]).unwrap_or(b"")
    }

    pub fn is_match(&self, haystack: &[u8]) -> bool {
        let mut rest = haystack;
        for (i, part) in self.parts.iter().enumerate() {
            if part.is_empty() {
                continue;
            }
            if i == 0 && self.anchored {
                if !rest.starts_with(part) {
                    return false;
                }
                rest = &rest[part.len()..];
            } else {
                match memmem::find(rest, part) {
                    Some(at) => rest = &rest[at + part.len()..],
                    None => return false,
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn anchored_and_floating() {
        let g = Glob::new("/gtag/js", true);
        assert!(g.is_match(b"/gtag/js?id=G-1"));
        assert!(!g.is_match(b"/x/gtag/js"));
        let g = Glob::new("/adsct?", false);
        assert!(g.is_match(b"/i/adsct?bci=3"));
        let g = Glob::new("/ads/*/pixel.js", true);
        assert!(g.is_match(b"/ads/v1/pixel.js"));
        assert!(!g.is_match(b"/ads/v1/other.js"));
        assert!(Glob::new("", true).is_match(b"/anything"));
    }
}
