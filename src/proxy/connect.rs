//! CONNECT: open a TCP connection to host:port and relay bytes both ways, untouched.
//! (HTTPS interception, which looks inside, will branch off here.)

use super::access_log::{Action, Record};
use super::error_page::page;
use super::service::ConnContext;
use super::{ProxyBody, ProxyState};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpStream;

pub async fn handle(
    state: &Arc<ProxyState>,
    _ctx: &ConnContext,
    req: Request<Incoming>,
    mut record: Record,
) -> Response<ProxyBody> {
    let Some(authority) = req.uri().authority().cloned() else {
        return local(page(StatusCode::BAD_REQUEST, "Bad CONNECT", "CONNECT needs a host:port."), record);
    };
    let host = authority.host().trim_matches(['[', ']']).to_string();
    let port = authority.port_u16().unwrap_or(443);
    record.url = format!("{host}:{port}");
    let upstream = match connect(state, &host, port).await {
        Ok(s) => s,
        Err(resp) => return local(resp, record),
    };
    tokio::spawn(async move {
        match hyper::upgrade::on(req).await {
            Ok(upgraded) => {
                let mut client = TokioIo::new(upgraded);
                let mut upstream = upstream;
                match tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
                    Ok((_, down)) => record.bytes_out = down,
                    Err(e) => record.detail = Some(format!("tunnel ended: {e}")),
                }
            }
            Err(e) => record.detail = Some(format!("upgrade failed: {e}")),
        }
        record.status = 200;
        record.action = Action::Tunnel;
        record.emit();
    });
    Response::new(Empty::<Bytes>::new().map_err(|e| match e {}).boxed())
}

/// Connects to host:port, honouring `--resolve` pins; errors become pages.
pub async fn connect(state: &ProxyState, host: &str, port: u16) -> Result<TcpStream, Response<ProxyBody>> {
    let addrs: Vec<SocketAddr> = match state.config.upstream.pins.get(host) {
        Some(ip) => vec![SocketAddr::new(ip, port)],
        None => match tokio::net::lookup_host((host, port)).await {
            Ok(a) => a.collect(),
            Err(_) => vec![],
        },
    };
    if addrs.is_empty() {
        return Err(page(StatusCode::BAD_GATEWAY, "Host not found", &format!("No address was found for {host}.")));
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
