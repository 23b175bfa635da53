//! A tap on finished requests, for tools that embed the proxy (the browser audit): one
//! `Observed` per request, with what the rules said about it. Off unless configured, and then
//! it costs a few header reads per request.

use std::sync::Arc;

/// Called once per finished request, on the proxy's own tasks: keep it short.
#[derive(Clone)]
pub struct Observer(pub Arc<dyn Fn(Observed) + Send + Sync>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

/// A rule's verdict on a request or a page element.
#[derive(Debug, Clone, Default)]
pub struct Flag {
    pub name: String,
    pub owner: String,
    pub category: String,
    pub action: String,
    pub rule: String,
    /// The CNAME chain that showed the host to be this tracker.
    pub via_cname: Option<String>,
}

/// One finished request.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub method: String,
    /// Without query or credentials.
    pub url: String,
    pub host: String,
    /// The request type trackstrip inferred (`script`, `image`, `ping`, ...).
    pub kind: &'static str,
    pub status: u16,
    /// `strip`, `pass`, `block`, `tunnel` or `error`.
    pub action: &'static str,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// The page that asked for it (`Referer`, without query).
    pub referer: Option<String>,
    /// A document asked for it: it carries `Referer`, `Origin` or fetch metadata from a page
    /// (`Sec-Fetch-Site` other than `none`). The browser's own traffic (updates, network time,
    /// safe browsing) carries none of them.
    pub from_page: bool,
    /// The rules flag the request itself (blocked, or would be in report-only mode).
    pub tracker: Option<Flag>,
    /// Names of the cookies the response set.
    pub set_cookies: Vec<String>,
    /// For HTML pages: what the stripper found (removed, or would remove).
    pub stripped: Vec<Flag>,
}

/// The cookie names in a response's `Set-Cookie` headers (never the values).
pub fn cookie_names(headers: &http::HeaderMap) -> Vec<String> {
    headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split_once('=').map(|(name, _)| name.trim().to_string()))
        .filter(|n| !n.is_empty())
        .collect()
}
