//! The admin listener, on its own address: Prometheus `/metrics`, `/healthz` and `/readyz`
//! for orchestrators, `/proxy.pac` for browsers, and a live dashboard (`/`, fed by
//! `/api/summary`). It shares the proxy's state; nothing here touches proxied traffic.

mod dashboard;
pub mod pac;

pub use pac::PacConfig;

use crate::proxy::ProxyState;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A bound admin listener, not yet serving (bind first, so the proxy can refuse requests
/// addressed to it).
pub struct AdminListener {
    listener: TcpListener,
    pub addr: SocketAddr,
}

impl AdminListener {
    pub async fn bind(addr: SocketAddr) -> std::io::Result<AdminListener> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        Ok(AdminListener { listener, addr })
    }

    /// Serves until `stop` turns true.
    pub fn spawn(self, state: Arc<ProxyState>, pac: PacConfig, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        let shared = Arc::new((state, pac));
        tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    r = self.listener.accept() => match r {
                        Ok(a) => a,
                        Err(_) => {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                    },
                    _ = stop.changed() => break,
                };
                let shared = shared.clone();
                let svc = service_fn(move |req| {
                    let shared = shared.clone();
                    async move { Ok::<_, Infallible>(route(&shared.0, &shared.1, &req)) }
                });
                tokio::spawn(async move {
                    let io = TokioIo::new(stream);
                    let _ = auto::Builder::new(TokioExecutor::new()).serve_connection(io, svc).await;
                });
            }
        })
    }
}

fn route(state: &ProxyState, pac: &PacConfig, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    }
    match req.uri().path() {
        "/metrics" => {
            let mut r = text(StatusCode::OK, state.telemetry.render());
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            );
            r
        }
        "/healthz" => text(StatusCode::OK, "ok\n"),
        "/readyz" if state.draining.load(Ordering::Relaxed) => text(StatusCode::SERVICE_UNAVAILABLE, "draining\n"),
        "/readyz" => text(StatusCode::OK, "ready\n"),
        "/proxy.pac" | "/wpad.dat" => {
            let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
            let mut r = text(StatusCode::OK, pac.render(host));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ns-proxy-autoconfig"));
            r
        }
        "/" => dashboard::page(),
        "/dashboard.js" => dashboard::script(),
        "/api/summary" => dashboard::summary(state),
        _ => text(StatusCode::NOT_FOUND, "not found: try /, /metrics, /healthz, /readyz, /proxy.pac\n"),
    }
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
