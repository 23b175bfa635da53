//! Which URL a request is for: the absolute form a browser sends a forward proxy, the origin
//! of an intercepted TLS connection, or the one upstream of a reverse proxy. Loops (a request
//! that would come back to trackstrip) are refused here.

use super::error_page::page;
use super::headers::via_us;
use super::service::ConnContext;
use super::{Mode, ProxyBody, ProxyState};
use http::{Request, Response, StatusCode, header};
use std::net::{IpAddr, SocketAddr};

/// Where a request goes.
pub struct Target {
    /// Absolute http(s) URL to fetch.
    pub url: url::Url,
    /// Reverse mode: the origin the client sees (`http://host:port`), to map `Location` back.
    pub public_origin: Option<String>,
}

pub fn resolve<B>(state: &ProxyState, ctx: &ConnContext, req: &Request<B>) -> Result<Target, Response<ProxyBody>> {
    if via_us(req.headers()) {
        return Err(page(
            StatusCode::LOOP_DETECTED,
            "Loop detected",
            "This request has already passed through trackstrip.",
        ));
    }
    let uri = req.uri();
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    match &state.config.mode {
        Mode::Reverse { upstream } => {
            let base = upstream.as_str().trim_end_matches('/');
            let url = url::Url::parse(&format!("{base}{path}")).map_err(|_| bad_target(path))?;
            let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            let scheme = if ctx.intercepted.is_some() { "https" } else { "http" };
            Ok(Target { url, public_origin: Some(format!("{scheme}://{host}")) })
        }
        Mode::Forward => {
            // Inside an intercepted tunnel, requests go where the CONNECT said (not wherever an
            // HTTP/2 :authority might point).
            let absolute = match (&ctx.intercepted, uri.scheme_str(), uri.authority()) {
                (Some(authority), _, _) => format!("https://{authority}{path}"),
                (None, Some(scheme @ ("http" | "https")), Some(auth)) => format!("{scheme}://{auth}{path}"),
                _ => {
                    return Err(page(
                        StatusCode::BAD_REQUEST,
                        "This is a proxy",
                        "trackstrip is a forward proxy: set it as your browser's HTTP proxy (or use curl -x), \
                         rather than opening its address as a web page.",
                    ));
                }
            };
            let url = url::Url::parse(&absolute).map_err(|_| bad_target(&absolute))?;
            if points_at_us(state, &url) {
                return Err(page(
                    StatusCode::LOOP_DETECTED,
                    "Loop detected",
                    "This request is addressed to trackstrip itself.",
                ));
            }
            Ok(Target { url, public_origin: None })
        }
    }
}

/// Refuses URLs whose host is an address the proxy must not reach (link-local, metadata...).
/// Names are checked after resolution, by the upstream resolver.
pub fn check_address(state: &ProxyState, url: &url::Url) -> Result<(), Response<ProxyBody>> {
    if matches!(state.config.mode, Mode::Reverse { .. }) {
        return Ok(()); // the operator chose the origin
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    state.config.upstream.guard.check(ip).map_err(|why| {
        state.telemetry.refused("target");
        refused_target(&ip.to_string(), why)
    })
}

pub fn refused_target(addr: &str, why: &str) -> Response<ProxyBody> {
    page(
        StatusCode::FORBIDDEN,
        "Address refused",
        &format!(
            "trackstrip does not connect to {addr}: it is {why}. An administrator can allow it with access.allow_targets."
        ),
    )
}

fn bad_target(what: &str) -> Response<ProxyBody> {
    page(StatusCode::BAD_REQUEST, "Bad request", &format!("Cannot make sense of the address {what:?}."))
}

/// Would fetching `url` connect back to one of our own listeners?
fn points_at_us(state: &ProxyState, url: &url::Url) -> bool {
    let Some(port) = url.port_or_known_default() else {
        return false;
    };
    let host = url.host_str().unwrap_or("").trim_matches(['[', ']']);
    let ip: Option<IpAddr> =
        if host.eq_ignore_ascii_case("localhost") { Some([127, 0, 0, 1].into()) } else { host.parse().ok() };
    let pinned = state.config.upstream.pins.get(host);
    let Some(target) = ip.map(|ip| SocketAddr::new(ip, port)).or_else(|| pinned.map(|p| p.addr(port))) else {
        return false;
    };
    let ip = target.ip();
    state.local_addrs.iter().any(|a| {
        a.port() == target.port()
            && (a.ip() == ip || (a.ip().is_unspecified() && (ip.is_loopback() || ip.is_unspecified())))
    })
}
