//! WebSocket (and other HTTP/1.1 upgrades), ws:// and wss://: the upgrade request goes to the
//! origin on a connection of its own, and once both sides have switched protocols the bytes
//! are relayed untouched.

use super::access_log::{Action, Record};
use super::connect::connect;
use super::error_page::page;
use super::headers::strip_hop_by_hop;
use super::{BoxError, ProxyBody, ProxyState};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};

/// `Connection: upgrade` with an `Upgrade:` header.
pub fn is_upgrade(h: &HeaderMap) -> bool {
    h.contains_key(header::UPGRADE)
        && h.get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade")))
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub async fn bridge(
    state: &ProxyState,
    mut req: Request<Incoming>,
    url: &url::Url,
    mut record: Record,
) -> Response<ProxyBody> {
    let reply = |resp: Response<ProxyBody>, mut record: Record| {
        record.status = resp.status().as_u16();
        record.action = Action::Error;
        record.emit();
        resp
    };
    let host = url.host_str().unwrap_or("").trim_matches(['[', ']']).to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let tcp = match connect(state, &host, port).await {
        Ok(s) => s,
        Err(resp) => return reply(resp, record),
    };
    let io: Box<dyn Io> = if url.scheme() == "https" {
        let Ok(name) = ServerName::try_from(host.clone()) else {
            return reply(page(StatusCode::BAD_REQUEST, "Bad host", "Not a valid host name."), record);
        };
        match tokio_rustls::TlsConnector::from(state.upgrade_tls.clone()).connect(name, tcp).await {
            Ok(tls) => Box::new(tls),
            Err(e) => {
                let detail =
                    format!("{host}'s TLS certificate could not be verified, so trackstrip did not connect: {e}");
                return reply(page(StatusCode::BAD_GATEWAY, "Certificate not accepted", &detail), record);
            }
        }
    } else {
        Box::new(tcp)
    };
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(io)).await {
        Ok(pair) => pair,
        Err(e) => return reply(page(StatusCode::BAD_GATEWAY, "Cannot connect", &e.to_string()), record),
    };
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });

    // The origin's request: the client's headers, minus hop-by-hop ones, plus the upgrade.
    let mut headers = req.headers().clone();
    let upgrade = headers.get(header::UPGRADE).cloned();
    strip_hop_by_hop(&mut headers);
    super::headers::add_privacy_signals(&mut headers, state.config.signals);
    if let Some(u) = upgrade {
        headers.insert(header::UPGRADE, u);
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
    if let Ok(h) = HeaderValue::from_str(&url[url::Position::BeforeHost..url::Position::AfterPort]) {
        headers.insert(header::HOST, h);
    }
    let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let mut up_req = Request::new(Empty::<Bytes>::new());
    *up_req.method_mut() = req.method().clone();
    *up_req.uri_mut() = match path.parse() {
        Ok(u) => u,
        Err(_) => return reply(page(StatusCode::BAD_REQUEST, "Bad request", "Unusable path."), record),
    };
    *up_req.headers_mut() = headers;
    let client_side = hyper::upgrade::on(&mut req);
    let mut resp = match sender.send_request(up_req).await {
        Ok(r) => r,
        Err(e) => return reply(page(StatusCode::BAD_GATEWAY, "The site failed", &e.to_string()), record),
    };
    record.status = resp.status().as_u16();
    if resp.status() != StatusCode::SWITCHING_PROTOCOLS {
        record.action = Action::Pass;
        record.emit();
        let (parts, body) = resp.into_parts();
        return Response::from_parts(parts, body.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync());
    }
    let origin_side = hyper::upgrade::on(&mut resp);
    tokio::spawn(async move {
        match tokio::try_join!(client_side, origin_side) {
            Ok((c, o)) => {
                let (mut c, mut o) = (TokioIo::new(c), TokioIo::new(o));
                if let Ok((_, down)) = tokio::io::copy_bidirectional(&mut c, &mut o).await {
                    record.bytes_out = down;
                }
            }
            Err(e) => record.detail = Some(format!("upgrade failed: {e}")),
        }
        record.action = Action::Tunnel;
        record.emit();
    });
    // 101 to the client, with the origin's headers (Sec-WebSocket-Accept...).
    let mut out = Response::new(Empty::<Bytes>::new().map_err(|e| match e {}).boxed_unsync());
    *out.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    *out.headers_mut() = resp.headers().clone();
    out
}
