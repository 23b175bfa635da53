//! What a dynamic audit observed: every request a page made in a real browser, as seen by
//! trackstrip's own listener (the source of truth), plus what the browser itself showed.

use serde::{Deserialize, Serialize};

/// Bumped when the JSON shape changes incompatibly.
pub const SCHEMA: &str = "trackstrip.browser-audit/1";

/// A tracker verdict on one request or one element: what trackstrip would do and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The service, e.g. "Google Analytics".
    pub name: String,
    /// The company, e.g. "Google".
    pub owner: String,
    /// analytics, advertising, social, session-replay, fingerprinting.
    pub category: String,
    /// `block` (the request), or for page elements the stripper's action: `remove`, `stub`...
    pub action: String,
    /// The deciding rule: `rules/trackers.toml:26 google-analytics.com`.
    pub rule: String,
    /// The CNAME chain that showed a first-party name to be this tracker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_cname: Option<String>,
}

/// One request the page made (through the listener), in the order they finished.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub method: String,
    /// Without query or fragment (they carry identifiers).
    pub url: String,
    pub host: String,
    /// document, script, image, style, font, xhr, beacon, ping, iframe, media, other.
    pub kind: String,
    pub status: u16,
    /// Another site than the page's (by registrable domain).
    pub third_party: bool,
    /// Response body bytes received from the origin.
    pub bytes: u64,
    /// Set when a rule flags the request itself (would block, or blocked).
    pub tracker: Option<Verdict>,
    /// Names of the cookies the response set (values are never kept).
    pub set_cookies: Vec<String>,
    /// For HTML documents: the tracker elements the stripper found in the markup.
    pub stripped: Vec<Verdict>,
    /// trackstrip answered it itself (enforcing): the request never left the machine.
    pub answered_locally: bool,
}

/// One page load in one mode.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageLoad {
    /// `report` (trackstrip observes, changes nothing) or `enforce` (stripping and blocking).
    pub mode: String,
    pub requests: Vec<Request>,
    /// Uncaught script errors the browser logged (a breakage signal).
    pub console_errors: Vec<String>,
    /// Characters of visible text in the final DOM.
    pub text_chars: usize,
    /// The final DOM's visible text, cut to 2,000 characters (to check the article is there).
    pub text_sample: String,
    /// Milliseconds from launch to the browser's exit.
    pub elapsed_ms: u64,
    /// `Sec-GPC: 1` went with every request (Global Privacy Control).
    #[serde(default)]
    pub gpc_sent: bool,
}

/// One audited page: a report-only load, and with `--compare` an enforcing one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageAudit {
    pub schema: String,
    pub url: String,
    pub rules_version: String,
    /// When the load failed (no browser output, timeout): what happened. Exit status 2.
    pub error: Option<String>,
    pub observed: Option<PageLoad>,
    pub enforced: Option<PageLoad>,
}
