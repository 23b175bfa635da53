//! CONNECT: intercept TLS (see `intercept.rs`), or relay bytes both ways untouched: for hosts
//! on the skip list, with interception off, and for anything that isn't a TLS ClientHello.

use super::access_log::{Action, Record};
use super::error_page::page;
use super::prefixed::Prefixed;
use super::service::ConnContext;
use super::{ProxyBody, ProxyState, intercept, target};
use crate::rules::Rules;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub async fn handle(
    state: &Arc<ProxyState>,
    rules: &Rules,
    ctx: &ConnContext,
    req: Request<Incoming>,
    mut record: Record,
) -> Response<ProxyBody> {
    let Some(authority) = req.uri().authority().cloned() else {
        return local(page(StatusCode::BAD_REQUEST, "Bad CONNECT", "CONNECT needs a host:port."), record);
    };
    let host = authority.host().trim_matches(['[', ']']).to_string();
    // A CONNECT names its port; a missing, zero or unparsable one is the client's mistake.
    let Some(port) = authority.port_u16().filter(|&p| p != 0) else {
        return local(
            page(StatusCode::BAD_REQUEST, "Bad CONNECT", "CONNECT needs a host:port with a valid port."),
            record,
        );
    };
    record.url = format!("{host}:{port}");
    if !state.config.access.port_allowed(port) {
        state.telemetry.refused("port");
        let detail = format!(
            "This proxy only opens tunnels to ports {} (access.connect_ports).",
            state.config.access.connect_ports.iter().flatten().map(u16::to_string).collect::<Vec<_>>().join(", ")
        );
        return local(page(StatusCode::FORBIDDEN, "Port not allowed", &detail), record);
    }
    if let Ok(ip) = host.parse::<std::net::IpAddr>()
        && let Err(why) = state.config.upstream.guard.check(ip)
    {
        state.telemetry.refused("target");
        return local(target::refused_target(&host, why), record);
    }
    if let Some(rule) = skipped(state, rules, &host) {
        record.detail = Some(format!("not intercepted ({rule})"));
    } else if state.leaves.is_some() {
        // Answer at once, look at the first bytes: a TLS ClientHello is intercepted, anything
        // else is tunnelled as it is.
        let (state, peer, user) = (state.clone(), ctx.peer, ctx.user.clone().or_else(|| record.user.clone()));
        tokio::spawn(async move {
            match hyper::upgrade::on(req).await {
                Ok(upgraded) => {
                    let conn = Conn { peer, user, host, port };
                    peek_and_serve(state, conn, TokioIo::new(upgraded), record).await
                }
                Err(e) => {
                    record.detail = Some(format!("upgrade failed: {e}"));
                    record.emit();
                }
            }
        });
        return ok_200();
    }
    // A blind tunnel: connect first, so a failure is a proper error page.
    let upstream = match connect(state, &host, port).await {
        Ok(s) => s,
        Err(resp) => return local(resp, record),
    };
    tokio::spawn(async move {
        match hyper::upgrade::on(req).await {
            Ok(upgraded) => tunnel(TokioIo::new(upgraded), upstream, Bytes::new(), record).await,
            Err(e) => {
                record.detail = Some(format!("upgrade failed: {e}"));
                record.emit();
            }
        }
    });
    ok_200()
}

fn ok_200() -> Response<ProxyBody> {
    Response::new(Empty::<Bytes>::new().map_err(|e| match e {}).boxed_unsync())
}

/// The skip-list rule that keeps this host out of interception, if any.
fn skipped(state: &ProxyState, rules: &Rules, host: &str) -> Option<String> {
    let h = host.to_ascii_lowercase();
    if let Some(extra) = state.config.skip_intercept.iter().find(|s| h == **s || h.ends_with(&format!(".{s}"))) {
        return Some(format!("--skip-intercept {extra}"));
    }
    rules.skip_intercept.matches(&h).map(|r| r.location())
}

/// The client side of a CONNECT tunnel.
pub struct Conn {
    pub peer: SocketAddr,
    pub user: Option<Arc<str>>,
    pub host: String,
    pub port: u16,
}

async fn peek_and_serve(state: Arc<ProxyState>, conn: Conn, mut io: TokioIo<Upgraded>, mut record: Record) {
    let mut first = [0u8; 1];
    let n = match tokio::time::timeout(Duration::from_secs(30), io.read(&mut first)).await {
        Ok(Ok(n)) => n,
        _ => 0,
    };
    let prefix = Bytes::copy_from_slice(&first[..n]);
    if n == 1 && first[0] == 0x16 {
        record.action = Action::Tunnel;
        record.detail = Some("intercepted".into());
        let peer = conn.peer;
        let result = intercept::serve_tls(state, conn, Prefixed::new(prefix, io)).await;
        if let Err(e) = result {
            tracing::debug!(client = %peer, error = %e, "intercepted connection ended");
        }
        return;
    }
    match connect(&state, &conn.host, conn.port).await {
        Ok(upstream) => {
            record.detail = Some("not TLS: tunnelled".into());
            tunnel(io, upstream, prefix, record).await;
        }
        Err(_) => {
            record.detail = Some("not TLS, and the host can't be reached".into());
            record.emit();
        }
    }
}

async fn tunnel(mut client: TokioIo<Upgraded>, mut upstream: TcpStream, prefix: Bytes, mut record: Record) {
    if !prefix.is_empty() && upstream.write_all(&prefix).await.is_err() {
        return;
    }
    match tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
        Ok((_, down)) => record.bytes_out = down,
        Err(e) => record.detail = Some(format!("tunnel ended: {e}")),
    }
    record.status = 200;
    record.action = Action::Tunnel;
    record.emit();
}

/// Connects to host:port, honouring `--resolve` pins; errors become pages.
pub async fn connect(state: &ProxyState, host: &str, port: u16) -> Result<TcpStream, Response<ProxyBody>> {
    let addrs: Vec<SocketAddr> = match state.config.upstream.pins.get(host) {
        Some(pin) => vec![pin.addr(port)],
        None if crate::upstream::never_resolves(host) => vec![],
        None => match tokio::net::lookup_host((host, port)).await {
            Ok(a) => a.collect(),
            Err(_) => vec![],
        },
    };
    if addrs.is_empty() {
        return Err(page(StatusCode::BAD_GATEWAY, "Host not found", &format!("No address was found for {host}.")));
    }
    // Pinned addresses are the operator's choice; resolved ones must pass the target guard.
    let pinned = state.config.upstream.pins.get(host).is_some();
    let mut addrs = addrs;
    if !pinned {
        let refused = addrs.iter().find_map(|a| state.config.upstream.guard.check(a.ip()).err().map(|w| (a.ip(), w)));
        addrs.retain(|a| state.config.upstream.guard.check(a.ip()).is_ok());
        if let (true, Some((ip, why))) = (addrs.is_empty(), refused) {
            state.telemetry.refused("target");
            return Err(target::refused_target(&format!("{host} ({ip})"), why));
        }
    }
    if addrs.iter().any(|a| state.local_addrs.contains(a)) {
        return Err(page(
            StatusCode::LOOP_DETECTED,
            "Loop detected",
            "This CONNECT is addressed to trackstrip itself.",
        ));
    }
    let timeout = state.config.upstream.connect_timeout;
    match tokio::time::timeout(timeout, TcpStream::connect(&addrs[..])).await {
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            Ok(s)
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err(page(StatusCode::BAD_GATEWAY, "Connection refused", &format!("{host}:{port} refused the connection.")))
        }
        Ok(Err(e)) => {
            Err(page(StatusCode::BAD_GATEWAY, "Cannot connect", &format!("Connecting to {host}:{port} failed: {e}")))
        }
        Err(_) => Err(page(
            StatusCode::GATEWAY_TIMEOUT,
            "Connection timed out",
            &format!("Connecting to {host}:{port} took too long."),
        )),
    }
}

fn local(resp: Response<ProxyBody>, mut record: Record) -> Response<ProxyBody> {
    record.status = resp.status().as_u16();
    record.action = Action::Error;
    record.emit();
    resp
}
