//! What a list says about itself in its header comments (`! Title:`, `! Version:`...).

use serde::Serialize;

/// The header facts trackstrip reports (audits, `lists status`) and compares (a downloaded
/// copy replaces the built-in snapshot only when it is newer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListHeader {
    pub title: Option<String>,
    /// `! Version: 202607140953`: EasyList's lists use the time of the build.
    pub version: Option<String>,
    /// `! Last modified: 14 Jul 2026 09:53 UTC`.
    pub last_modified: Option<String>,
}

impl ListHeader {
    /// Reads the comment block at the top of a list (the first 50 lines at most).
    pub fn read(text: &str) -> ListHeader {
        let mut h = ListHeader::default();
        for line in text.lines().take(50) {
            let Some(comment) = line.strip_prefix('!') else {
                if line.starts_with('[') || line.trim().is_empty() {
                    continue;
                }
                break;
            };
            let Some((key, value)) = comment.split_once(':') else { continue };
            let value = Some(value.trim().to_string()).filter(|v| !v.is_empty());
            match key.trim().to_ascii_lowercase().as_str() {
                "title" => h.title = value,
                "version" => h.version = value,
                "last modified" | "last-modified" => h.last_modified = value,
                _ => {}
            }
        }
        h
    }

    /// Is this header's version later than `other`'s? Versions are compared as numbers when
    /// both are (EasyList's timestamps), else as text; a list without one is never newer.
    pub fn newer_than(&self, other: &ListHeader) -> bool {
        match (&self.version, &other.version) {
            (Some(a), Some(b)) => match (a.parse::<u64>(), b.parse::<u64>()) {
                (Ok(a), Ok(b)) => a > b,
                _ => a > b,
            },
            (Some(_), None) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_header_and_compares_versions() {
        let h = ListHeader::read(
            "[Adblock Plus 1.1]\n! Version: 202607140953\n! Title: EasyPrivacy\n! Last modified: 14 Jul 2026 09:53 UTC\n||a.example^\n! Version: 1\n",
        );
        assert_eq!(h.title.as_deref(), Some("EasyPrivacy"));
        assert_eq!(h.version.as_deref(), Some("202607140953"));
        assert_eq!(h.last_modified.as_deref(), Some("14 Jul 2026 09:53 UTC"));
        let later = ListHeader { version: Some("202607150000".into()), ..ListHeader::default() };
        assert!(later.newer_than(&h));
        assert!(!h.newer_than(&later));
        assert!(!h.newer_than(&h));
        assert!(!ListHeader::default().newer_than(&h), "no version is never newer");
    }
}
