//! The per-request service: route CONNECT to the tunnel, answer tracker requests here, clean
//! tracking parameters out of the URL, fetch the rest upstream and filter the response.

use super::access_log::{Action, Record, loggable};
use super::headers::{add_privacy_signals, add_via, restrict_accept_encoding, strip_hop_by_hop};
use super::{
    BoxError, Mode, ProxyBody, ProxyState, block, connect, forward, judge, request_kind, response, target, unwrap,
    websocket,
};
use crate::policy::{PageContext, ResourceUrl};
use crate::rules::Rules;
use http::{HeaderValue, Method, Request, Response, Version, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::borrow::Cow;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tracing::Instrument;

/// What is known about the client connection a request came on.
#[derive(Debug)]
pub struct ConnContext {
    pub peer: SocketAddr,
    /// `host:port` when the connection is an intercepted TLS tunnel (requests are origin-form).
    pub intercepted: Option<String>,
    /// The proxy user this connection proved (an intercepted tunnel inherits its CONNECT's).
    pub user: Option<Arc<str>>,
}

impl ConnContext {
    pub fn plain(peer: SocketAddr) -> ConnContext {
        ConnContext { peer, intercepted: None, user: None }
    }
}

pub async fn handle(
    state: Arc<ProxyState>,
    ctx: Arc<ConnContext>,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Infallible> {
    let mut record = Record::new(&state, ctx.peer, req.method(), &req.uri().to_string());
    let span = tracing::debug_span!("request", method = %req.method(), host = req.uri().host().unwrap_or(""));
    if let Some(users) = &state.config.access.users
        && matches!(state.config.mode, Mode::Forward)
    {
        record.user = match &ctx.user {
            Some(u) => Some(u.clone()),
            None => match users.verify(req.headers().get(header::PROXY_AUTHORIZATION)).await {
                Some(u) => Some(u),
                None => {
                    if req.headers().contains_key(header::PROXY_AUTHORIZATION) {
                        state.telemetry.refused("auth");
                    }
                    return Ok(local(super::error_page::proxy_auth_required(), record, Action::Error));
                }
            },
        };
    }
    // One rule set per request: a reload swaps it for the next requests, not this one.
    let rules = state.rules.current();
    if req.method() == Method::CONNECT {
        return Ok(connect::handle(&state, &rules, &ctx, req, record).instrument(span).await);
    }
    Ok(proxy(&state, &rules, &ctx, req, record).instrument(span).await)
}

async fn proxy(
    state: &Arc<ProxyState>,
    rules: &Arc<Rules>,
    ctx: &ConnContext,
    req: Request<Incoming>,
    mut record: Record,
) -> Response<ProxyBody> {
    let target = match target::resolve(state, ctx, &req) {
        Ok(t) => t,
        Err(resp) => return local(resp, record, Action::Error),
    };
    record.url = loggable(&target.url[..url::Position::AfterPath]);
    let (kind, navigation) = request_kind::infer(req.headers(), target.url.path());
    let host = target.url.host_str().unwrap_or("").to_ascii_lowercase();
    let path = &target.url[url::Position::BeforePath..url::Position::AfterQuery];
    let res = ResourceUrl {
        scheme: if target.url.scheme() == "https" { "https" } else { "http" },
        host: Cow::Borrowed(host.as_str()),
        path: Cow::Borrowed(path),
    };

    if let Err(resp) = target::check_address(state, &target.url) {
        return local(resp, record, Action::Error);
    }

    // A tracker: answered here, never fetched (a page the user navigates to is always fetched,
    // and requests from the sites the organization allows are left alone).
    let initiator = initiator(req.headers());
    if let Some(o) = record.observed.as_mut() {
        o.host.clone_from(&host);
        o.kind = kind.adblock_name();
        o.referer = req.headers().get(header::REFERER).and_then(|v| v.to_str().ok()).map(loggable);
        o.from_page = o.referer.is_some()
            || req.headers().contains_key(header::ORIGIN)
            || req.headers().get("sec-fetch-site").is_some_and(|v| v.as_bytes() != b"none");
    }
    if navigation
        && (req.method() == Method::GET || req.method() == Method::HEAD)
        && !state.config.site_allowed(initiator.host())
        && let Some((resp, what)) = unwrap::redirect(state, rules, &target.url, initiator.host())
    {
        record.detail = Some(what);
        return local(resp, record, Action::Unwrap);
    }
    let blocked = if navigation || state.config.site_allowed(initiator.host()) {
        None
    } else {
        judge::tracker(state, rules, &initiator, &res, kind).await
    };
    if let Some(judge::Blocked { verdict: v, via_cname }) = blocked {
        let mut what = format!("{} ({} {})", v.name, v.rule.location(), v.rule.text());
        if let Some(via) = &via_cname {
            what = format!("{what} {via}");
        }
        let enforce = state.config.enforce;
        if let Some(o) = record.observed.as_mut() {
            o.tracker = Some(super::Flag {
                name: v.name.to_string(),
                owner: v.owner.to_string(),
                category: v.category.as_str().to_string(),
                action: "block".into(),
                rule: format!("{} {}", v.rule.location(), v.rule.text()),
                via_cname: via_cname.clone(),
            });
        }
        state.telemetry.request_blocked(Some(&v.owner), Some(v.category.as_str()), enforce);
        state.telemetry.recent.blocked(&record.url, enforce, block::removal(&v));
        if enforce {
            let (resp, answer) = block::respond(rules, &res, kind, &v, via_cname.as_deref(), state.config.header);
            tracing::info!(target: "trackstrip::audit", url = %record.url, answer = answer.as_str(), "blocked {what}");
            record.trackers = 1;
            record.detail = Some(format!("{}: {what}", answer.as_str()));
            return local(resp, record, Action::Block);
        }
        tracing::info!(target: "trackstrip::audit", url = %record.url, "would block {what} (report-only)");
    }

    // Tracking parameters never leave the machine.
    let mut url = target.url.clone();
    if url.query().is_some()
        && let Some(cleaned) = rules.params.clean(url.as_str(), Some(&host), false)
    {
        let names: Vec<&str> = cleaned.removed.iter().map(|(n, _)| n.as_str()).collect();
        let verb = if state.config.enforce { "removed" } else { "would remove (report-only)" };
        tracing::info!(target: "trackstrip::audit", url = %record.url, "{verb} tracking parameters {}", names.join(", "));
        state.telemetry.url_cleaned(state.config.enforce);
        if state.config.enforce
            && let Ok(u) = url::Url::parse(&cleaned.url)
        {
            url = u;
        }
    }

    if websocket::is_upgrade(req.headers()) {
        return websocket::bridge(state, req, &url, record).await;
    }
    let method = req.method().clone();
    let (mut parts, body) = req.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    restrict_accept_encoding(&mut parts.headers);
    add_via(&mut parts.headers, parts.version);
    add_privacy_signals(&mut parts.headers, state.config.signals);
    match &state.config.mode {
        Mode::Forward => {
            parts.headers.remove(header::HOST); // the client sets it from the URL
        }
        Mode::Reverse { upstream } => reverse_headers(&mut parts.headers, ctx, upstream),
    }
    parts.uri = match url.as_str().parse() {
        Ok(u) => u,
        Err(_) => {
            return local(
                super::error_page::page(http::StatusCode::BAD_REQUEST, "Bad request", "Unusable URL."),
                record,
                Action::Error,
            );
        }
    };
    parts.version = Version::HTTP_11;
    let upstream_req = Request::from_parts(parts, body.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync());
    match forward::fetch(state, upstream_req).await {
        Ok(resp) => response::respond(state, rules, &target, &method, resp, record).await,
        Err(page) => local(page, record, Action::Error),
    }
}

/// The page that made the request (from `Referer`), for first/third-party decisions.
fn initiator(h: &http::HeaderMap) -> PageContext {
    h.get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| PageContext::new(r).ok())
        .unwrap_or_else(PageContext::unknown)
}

fn reverse_headers(h: &mut http::HeaderMap, ctx: &ConnContext, upstream: &url::Url) {
    if let Some(host) = h.get(header::HOST).cloned() {
        h.insert("x-forwarded-host", host);
    }
    let ip = ctx.peer.ip().to_string();
    let xff = match h.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prev) => format!("{prev}, {ip}"),
        None => ip,
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        h.insert("x-forwarded-for", v);
    }
    let proto = if ctx.intercepted.is_some() { "https" } else { "http" };
    h.insert("x-forwarded-proto", HeaderValue::from_static(proto));
    if let Some(auth) = upstream.host_str().map(|host| match upstream.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }) && let Ok(v) = HeaderValue::from_str(&auth)
    {
        h.insert(header::HOST, v);
    }
}

fn local(resp: Response<ProxyBody>, mut record: Record, action: Action) -> Response<ProxyBody> {
    record.status = resp.status().as_u16();
    record.action = action;
    record.emit();
    resp
}
