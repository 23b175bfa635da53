//! What is known about one downloaded list: where it came from, its validators for
//! conditional requests, when it was fetched, and how long the list says it stays fresh.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// Stored next to the list as `NAME.txt.meta.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ListMeta {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Unix seconds of the last successful check (a 200 or a 304).
    pub checked: u64,
    /// The list's `! Expires:` period, in seconds.
    pub expires_secs: u64,
    /// Network filters in the stored copy.
    pub filters: usize,
}

impl ListMeta {
    pub fn read(path: &Path) -> Option<ListMeta> {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Is a new check due at `now` (unix seconds)?
    pub fn due(&self, now: u64) -> bool {
        now >= self.checked.saturating_add(self.expires_secs)
    }
}

/// How long a list without `! Expires:` stays fresh.
pub const DEFAULT_EXPIRES: Duration = Duration::from_secs(24 * 3600);
const MIN_EXPIRES: Duration = Duration::from_secs(3600);
const MAX_EXPIRES: Duration = Duration::from_secs(14 * 24 * 3600);

/// Reads `! Expires: 4 days (update frequency)` (or hours) from the list's header comments,
/// clamped to between one hour and two weeks.
pub fn expires(text: &str) -> Duration {
    let found =
        text.lines().take(50).take_while(|l| l.starts_with('!') || l.starts_with('[') || l.trim().is_empty()).find_map(
            |l| {
                let rest = l.trim_start_matches('!').trim();
                let rest = rest.strip_prefix("Expires:").or_else(|| rest.strip_prefix("expires:"))?;
                let mut words = rest.split_whitespace();
                let n: u64 = words.next()?.parse().ok()?;
                let unit = words.next().unwrap_or("days").to_ascii_lowercase();
                let secs = if unit.starts_with("hour") {
                    n * 3600
                } else if unit.starts_with("day") {
                    n * 24 * 3600
                } else {
                    return None;
                };
                Some(Duration::from_secs(secs))
            },
        );
    found.unwrap_or(DEFAULT_EXPIRES).clamp(MIN_EXPIRES, MAX_EXPIRES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_headers_are_read_and_clamped() {
        let day = 24 * 3600;
        assert_eq!(
            expires("[Adblock Plus 2.0]\n! Title: EasyPrivacy\n! Expires: 4 days (update frequency)\n||a^\n").as_secs(),
            4 * day
        );
        assert_eq!(expires("! Expires: 12 hours\n").as_secs(), 12 * 3600);
        assert_eq!(expires("! Expires: 1 hours\n! x\n").as_secs(), 3600);
        assert_eq!(expires("! Expires: 0 hours\n").as_secs(), 3600, "never hammer the server");
        assert_eq!(expires("! Expires: 90 days\n").as_secs(), 14 * day);
        assert_eq!(expires("||a^\n! Expires: 1 hours\n").as_secs(), day, "only the header counts");
        assert_eq!(expires("! Title: x\n").as_secs(), day);
    }

    #[test]
    fn due_after_the_period() {
        let m = ListMeta { checked: 1000, expires_secs: 3600, ..ListMeta::default() };
        assert!(!m.due(1000 + 3599));
        assert!(m.due(1000 + 3600));
    }
}
