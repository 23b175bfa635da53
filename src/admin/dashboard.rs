//! The live dashboard: one HTML page and one small script, no build step. The script polls
//! `/api/summary` (JSON) every two seconds and renders totals, top tracker owners and the
//! recent pages with what was stripped from each.

use crate::proxy::ProxyState;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

const PAGE: &str = include_str!("dashboard.html");
const SCRIPT: &str = include_str!("dashboard.js");

pub fn page() -> Response<Full<Bytes>> {
    let mut r = asset(PAGE, "text/html; charset=utf-8");
    // The page runs only its own script and talks only to this listener.
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"),
    );
    r
}

pub fn script() -> Response<Full<Bytes>> {
    asset(SCRIPT, "text/javascript; charset=utf-8")
}

pub fn summary(state: &ProxyState) -> Response<Full<Bytes>> {
    let summary = state.telemetry.recent.summary(10, 50);
    let body = serde_json::json!({
        "rules_version": state.rules.current().version,
        "mode": if state.config.enforce { "enforce" } else { "report" },
        "totals": summary.totals,
        "top_owners": summary.top_owners,
        "recent": summary.recent,
    });
    let mut r = asset(body.to_string(), "application/json");
    *r.status_mut() = StatusCode::OK;
    r
}

fn asset(body: impl Into<Bytes>, ctype: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}
