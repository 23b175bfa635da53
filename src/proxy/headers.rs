//! Header hygiene both ways: hop-by-hop headers dropped, `Via` added, credentials for the
//! proxy never forwarded, encodings limited to those trackstrip can undo, and the headers a
//! rewritten body makes wrong (length, strong ETag, digests, ranges) fixed.

use super::VIA_NAME;
use crate::policy::{Decision, PageContext, RequestKind, classify};
use crate::rules::Rules;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Meaningful only for one connection (RFC 9110 §7.6.1), never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Drops hop-by-hop headers, including those the `Connection` header names.
pub fn strip_hop_by_hop(h: &mut HeaderMap) {
    let named: Vec<HeaderName> = h
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for n in named {
        h.remove(n);
    }
    for n in HOP_BY_HOP {
        h.remove(*n);
    }
}

pub fn add_via(h: &mut HeaderMap, version: http::Version) {
    let v = match version {
        http::Version::HTTP_10 => "1.0",
        http::Version::HTTP_2 => "2",
        http::Version::HTTP_3 => "3",
        _ => "1.1",
    };
    if let Ok(val) = HeaderValue::from_str(&format!("{v} {VIA_NAME}")) {
        h.append(header::VIA, val);
    }
}

/// The reader's wishes, told to every site: Global Privacy Control and, if asked, Do Not Track.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacySignals {
    /// `Sec-GPC: 1`, which sites in several US states must honour as an opt-out of sale.
    pub gpc: bool,
    /// `DNT: 1`: older, widely ignored, and a fingerprinting bit when few send it; off by default.
    pub dnt: bool,
}

impl Default for PrivacySignals {
    fn default() -> Self {
        PrivacySignals { gpc: true, dnt: false }
    }
}

/// Sets the signals on a request about to be forwarded (whatever the client sent for them).
pub fn add_privacy_signals(h: &mut HeaderMap, signals: PrivacySignals) {
    static SEC_GPC: HeaderName = HeaderName::from_static("sec-gpc");
    if signals.gpc {
        h.insert(SEC_GPC.clone(), HeaderValue::from_static("1"));
    }
    if signals.dnt {
        h.insert(header::DNT, HeaderValue::from_static("1"));
    }
}

/// Has this request already passed through trackstrip (a loop)?
pub fn via_us(h: &HeaderMap) -> bool {
    h.get_all(header::VIA)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|hop| hop.split_whitespace().nth(1) == Some(VIA_NAME)))
}

/// Asks the origin only for encodings trackstrip can decode (a page in another one would pass
/// through unstripped).
pub fn restrict_accept_encoding(h: &mut HeaderMap) {
    let Some(v) = h.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return;
    };
    let kept: Vec<&str> = v
        .split(',')
        .map(str::trim)
        .filter(|c| {
            let name = c.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            matches!(name.as_str(), "gzip" | "x-gzip" | "deflate" | "br" | "zstd" | "identity" | "*")
        })
        .collect();
    match HeaderValue::from_str(&kept.join(", ")) {
        Ok(val) if !kept.is_empty() => {
            h.insert(header::ACCEPT_ENCODING, val);
        }
        _ => {
            h.remove(header::ACCEPT_ENCODING);
        }
    }
}

/// A rewritten body: drop what described the original bytes.
pub fn prepare_for_rewrite(h: &mut HeaderMap) {
    h.remove(header::CONTENT_LENGTH);
    h.remove("content-md5");
    h.remove("digest");
    h.remove("content-digest");
    h.remove("repr-digest");
    h.remove(header::ACCEPT_RANGES);
    if let Some(etag) = h.get(header::ETAG).and_then(|v| v.to_str().ok())
        && !etag.starts_with("W/")
        && let Ok(weak) = HeaderValue::from_str(&format!("W/{etag}"))
    {
        h.insert(header::ETAG, weak);
    }
}

/// Drops `Link:` preconnect / preload / prefetch / dns-prefetch entries that point at trackers.
/// Returns the URLs dropped.
pub fn filter_link_header(h: &mut HeaderMap, rules: &Rules, page: &PageContext) -> Vec<String> {
    if !h.contains_key(header::LINK) {
        return Vec::new();
    }
    let mut removed = Vec::new();
    let mut kept_values = Vec::new();
    for value in h.get_all(header::LINK).iter() {
        let Ok(text) = value.to_str() else {
            kept_values.push(value.clone());
            continue;
        };
        let mut kept = Vec::new();
        for entry in split_links(text) {
            match tracker_link(entry, rules, page) {
                Some(url) => removed.push(url),
                None => kept.push(entry.trim()),
            }
        }
        if !kept.is_empty()
            && let Ok(v) = HeaderValue::from_str(&kept.join(", "))
        {
            kept_values.push(v);
        }
    }
    if !removed.is_empty() {
        h.remove(header::LINK);
        for v in kept_values {
            h.append(header::LINK, v);
        }
    }
    removed
}

/// Splits a Link header on the commas between entries (not those inside `<...>` or quotes).
fn split_links(s: &str) -> Vec<&str> {
    let (mut out, mut start, mut angle, mut quote) = (Vec::new(), 0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            '<' if !quote => angle = true,
            '>' if !quote => angle = false,
            '"' if !angle => quote = !quote,
            ',' if !angle && !quote => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn tracker_link(entry: &str, rules: &Rules, page: &PageContext) -> Option<String> {
    let entry = entry.trim();
    let url = entry.strip_prefix('<')?.split('>').next()?;
    let params = entry.split_once('>')?.1.to_ascii_lowercase();
    let rel = params.split(';').find_map(|p| p.trim().strip_prefix("rel="))?.trim_matches('"').to_string();
    let hint = rel
        .split_whitespace()
        .any(|r| matches!(r, "preconnect" | "dns-prefetch" | "preload" | "prefetch" | "modulepreload"));
    if !hint {
        return None;
    }
    let mut res = page.resolve(url)?;
    if rel.contains("preconnect") || rel.contains("dns-prefetch") {
        res.path = "/".into();
    }
    match classify(rules, page, &res, RequestKind::Other).decision {
        Decision::Tracker(_) => Some(res.to_url_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_and_connection_named() {
        let mut h = HeaderMap::new();
        h.insert("connection", HeaderValue::from_static("close, x-secret"));
        h.insert("x-secret", HeaderValue::from_static("1"));
        h.insert("proxy-authorization", HeaderValue::from_static("Basic Zm9vOmJhcg=="));
        h.insert("x-keep", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-keep"));
    }

    #[test]
    fn accept_encoding_limited() {
        let mut h = HeaderMap::new();
        h.insert("accept-encoding", HeaderValue::from_static("gzip, deflate, br, zstd, dcb, dcz"));
        restrict_accept_encoding(&mut h);
        assert_eq!(h["accept-encoding"], "gzip, deflate, br, zstd");
        h.insert("accept-encoding", HeaderValue::from_static("compress"));
        restrict_accept_encoding(&mut h);
        assert!(!h.contains_key("accept-encoding"));
    }

    #[test]
    fn etag_weakened_and_loop_seen() {
        let mut h = HeaderMap::new();
        h.insert("etag", HeaderValue::from_static("\"abc\""));
        h.insert("content-length", HeaderValue::from_static("10"));
        prepare_for_rewrite(&mut h);
        assert_eq!(h["etag"], "W/\"abc\"");
        assert!(!h.contains_key("content-length"));
        add_via(&mut h, http::Version::HTTP_11);
        assert!(via_us(&h));
    }

    #[test]
    fn links_to_trackers_dropped() {
        let rules = crate::rules::Rules::bundled().unwrap();
        let page = PageContext::new("https://news.example/").unwrap();
        let mut h = HeaderMap::new();
        h.insert("link", HeaderValue::from_static("<https://www.google-analytics.com>; rel=preconnect, </app.css>; rel=preload; as=style, <https://fonts.gstatic.com>; rel=preconnect"));
        let removed = filter_link_header(&mut h, &rules, &page);
        assert_eq!(removed, vec!["https://www.google-analytics.com/".to_string()]);
        assert_eq!(h["link"], "</app.css>; rel=preload; as=style, <https://fonts.gstatic.com>; rel=preconnect");
    }
}
