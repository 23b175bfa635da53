//! The response path: headers fixed for the client, and HTML pages streamed through the
//! stripper (decoded and re-encoded the way they came); everything else passes untouched.

use super::access_log::{Action, Metered, Record};
use super::headers::{add_via, filter_link_header, prepare_for_rewrite, strip_hop_by_hop};
use super::page_report;
use super::target::Target;
use super::{BoxError, ProxyBody, ProxyState};
use crate::audit::AuditEvent;
use crate::body::Coding;
use crate::body::pipeline::{Outcome, Spec, Transfer, strip_body};
use crate::body::probe::{self, Head};
use crate::policy::PageContext;
use crate::rules::Rules;
use http::{HeaderValue, Method, Response, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::sync::Arc;

pub async fn respond(
    state: &Arc<ProxyState>,
    rules: &Arc<Rules>,
    target: &Target,
    method: &Method,
    resp: Response<Incoming>,
    mut record: Record,
) -> Response<ProxyBody> {
    let (mut parts, body) = resp.into_parts();
    record.status = parts.status.as_u16();
    if let Some(o) = record.observed.as_mut() {
        o.set_cookies = super::observe::cookie_names(&parts.headers);
    }
    strip_hop_by_hop(&mut parts.headers);
    add_via(&mut parts.headers, parts.version);
    if let Some(public) = &target.public_origin {
        map_location(&mut parts.headers, &state.config.mode, public);
    }
    let page_url = page_url(target);
    let page = PageContext::new(&page_url).unwrap_or_else(|_| PageContext::unknown());
    let allowed_site = state.config.site_allowed(page.host());
    if !allowed_site && state.config.enforce {
        for url in filter_link_header(&mut parts.headers, rules, &page) {
            tracing::info!(target: "trackstrip::audit", page = %record.url, %url, "Link header to a tracker removed");
        }
    }
    let plan = if allowed_site { Err("site allowed in config") } else { plan(&parts, method) };
    let coding = match plan {
        Ok(c) => c,
        Err(why) => {
            if why != "not html" {
                tracing::debug!(page = %record.url, reason = why, "not rewritten");
            }
            if why == "unknown encoding" {
                record.telemetry().passthrough("unknown_encoding");
            }
            record.action = Action::Pass;
            let body = body.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync();
            return Response::from_parts(parts, Metered::wrap(body, record));
        }
    };
    // A coded body must show it is in its coding before the head goes out (`probe.rs`).
    let mut body = body;
    let head = if coding == Coding::Identity {
        Head::none()
    } else {
        let head = probe::read_head(&mut body, state.config.body_idle_timeout).await;
        if !probe::decodes(coding, &head.bytes).await {
            let why = format!("passthrough: declared {}, body is not", coding.as_str());
            tracing::warn!(page = %record.url, "{why}");
            record.telemetry().passthrough(probe::reason(coding));
            record.action = Action::Pass;
            record.detail = Some(why);
            return Response::from_parts(parts, Metered::wrap(head.then(body), record));
        }
        head
    };
    prepare_for_rewrite(&mut parts.headers);
    if state.config.header {
        parts.headers.insert("x-trackstrip", HeaderValue::from_static("stripping"));
        parts.headers.insert(header::TRAILER, HeaderValue::from_static("x-trackstrip"));
    }
    let spec = Spec {
        coding,
        charset: crate::audit::content_type_charset(parts.headers.get(header::CONTENT_TYPE)),
        rules: rules.clone(),
        page,
        enforce: state.config.enforce,
        idle: state.config.body_idle_timeout,
        trailer: state.config.header,
        cnames: state.config.upstream.dns.clone(),
        social: state.config.social,
    };
    record.action = Action::Strip;
    let body = strip_body(body, head, spec, move |outcome, transfer| finish(record, outcome, transfer));
    Response::from_parts(parts, body.boxed_unsync())
}

/// Rewrite this body? Ok(coding) if so, Err(reason) if not.
fn plan(parts: &http::response::Parts, method: &Method) -> Result<Coding, &'static str> {
    if method == Method::HEAD || parts.status != StatusCode::OK {
        return Err("no full body");
    }
    let ctype = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = ctype.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime != "text/html" && mime != "application/xhtml+xml" {
        return Err("not html");
    }
    if parts.headers.contains_key(header::CONTENT_RANGE) {
        return Err("partial content");
    }
    let encoding = parts.headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok());
    Coding::parse(encoding).map_err(|unknown| {
        tracing::warn!(encoding = %unknown, "unknown Content-Encoding: page passed through unstripped");
        "unknown encoding"
    })
}

/// The page's address as the browser sees it.
fn page_url(target: &Target) -> String {
    match &target.public_origin {
        Some(origin) => {
            let path = &target.url[url::Position::BeforePath..];
            format!("{origin}{path}")
        }
        None => target.url.to_string(),
    }
}

/// Reverse mode: a redirect to the origin's own address becomes one to trackstrip's.
fn map_location(h: &mut http::HeaderMap, mode: &super::Mode, public: &str) {
    let super::Mode::Reverse { upstream } = mode else {
        return;
    };
    let Some(loc) = h.get(header::LOCATION).and_then(|v| v.to_str().ok()) else {
        return;
    };
    let origin = upstream.origin().ascii_serialization();
    if let Some(rest) = loc.strip_prefix(&origin)
        && (rest.is_empty() || rest.starts_with(['/', '?', '#']))
        && let Ok(v) = HeaderValue::from_str(&format!("{public}{rest}"))
    {
        h.insert(header::LOCATION, v);
    }
}

/// The page is done: one audit line naming what was stripped, then the access line.
fn finish(mut record: Record, outcome: Outcome, transfer: Transfer) {
    record.bytes_out = transfer.bytes_out;
    record.bytes_in = transfer.bytes_in;
    match outcome {
        Outcome::Done(out) => {
            record.trackers = out.stats.trackers;
            let groups = page_report::group(&out.events);
            page_report::count(record.telemetry(), &record.url, &groups);
            if let Some(o) = record.observed.as_mut() {
                o.stripped = out.events.iter().filter(|e| e.action.strips()).map(flag).collect();
            }
            if !groups.is_empty() {
                let removed = page_report::summary(&groups);
                tracing::info!(target: "trackstrip::audit", page = %record.url, stripped = out.stats.trackers, "{removed}");
            }
            if let Some(why) = out.bailed_out {
                record.detail = Some(format!("stripping stopped early: {why}"));
            }
        }
        Outcome::UpstreamFailed(why) => {
            record.telemetry().upstream_error("body");
            record.detail = Some(why);
        }
        Outcome::ClientGone => record.detail = Some("client went away".into()),
        Outcome::Unrewritable(why) => {
            record.telemetry().passthrough("page_encoding");
            record.action = Action::Pass;
            record.detail = Some(format!("not rewritten: {why}"));
        }
    }
    record.emit();
}

/// A stripped element as the browser audit reports it.
fn flag(e: &AuditEvent) -> super::Flag {
    super::Flag {
        name: page_report::what(e).to_string(),
        owner: e.owner.clone().unwrap_or_default(),
        category: e.category.map(|c| c.as_str().to_string()).unwrap_or_default(),
        action: e.action.as_str().to_string(),
        rule: e.rule.as_ref().map(|r| format!("{} {}", r.location(), r.text())).unwrap_or_default(),
        via_cname: e.via_cname.clone(),
    }
}
