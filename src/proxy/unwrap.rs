//! Navigations through a link wrapper (`google.com/url?q=…`): answered here with a redirect
//! straight to the destination, cleaned of tracking parameters, so the wrapper never learns
//! of the click.

use super::{BoxError, ProxyBody, ProxyState};
use crate::rules::Rules;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};

/// The redirect for a wrapped navigation, and what to log; None when `url` is not a known
/// wrapper (or, report-only, after logging what would have been done).
pub fn redirect(
    state: &ProxyState,
    rules: &Rules,
    url: &url::Url,
    page_host: &str,
) -> Option<(Response<ProxyBody>, String)> {
    if !rules.redirects.may_wrap(url.as_str()) {
        return None;
    }
    let found = rules.unwrap_link(url.as_str(), page_host)?;
    let dest = found.url;
    let rule = found.rules.first().map(|r| format!("{} {}", r.location(), r.text())).unwrap_or_default();
    let what = format!("link wrapper ({rule}) to {}", super::access_log::loggable(&dest));
    if !state.config.enforce {
        tracing::info!(target: "trackstrip::audit", "would unwrap {what} (report-only)");
        return None;
    }
    let location = HeaderValue::from_str(&dest).ok()?;
    let mut resp = Response::new(Full::new(Bytes::new()).map_err(|e| -> BoxError { match e {} }).boxed_unsync());
    *resp.status_mut() = StatusCode::FOUND;
    resp.headers_mut().insert(header::LOCATION, location);
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if state.config.header
        && let Ok(v) = HeaderValue::from_str(&format!("unwrapped; rule={}", found.rules[0].location()))
    {
        resp.headers_mut().insert("x-trackstrip", v);
    }
    tracing::info!(target: "trackstrip::audit", "unwrapped {what}");
    Some((resp, what))
}
