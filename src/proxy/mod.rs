//! `trackstrip serve`: the proxy. One request travels:
//!
//! ```text
//! listen (accept) → service (route) → connect (CONNECT: tunnel)
//!                                   → target (which URL) → request_kind → block (answer locally)
//!                                   → forward (upstream fetch) → response (headers, decode →
//!                                     strip → encode) → client, logging on the way (access)
//! ```

// Functions on the request path return `Err(response)` for an answer made here (an error
// page, a block): one per request, moved once, so its size doesn't matter.
#![allow(clippy::result_large_err)]

mod access_log;
mod block;
mod connect;
mod error_page;
mod forward;
mod headers;
mod intercept;
mod listen;
mod prefixed;
mod request_kind;
mod response;
mod service;
mod target;
mod websocket;

pub use listen::{Listening, serve};

use crate::rules::Rules;
use crate::upstream::{HttpClient, UpstreamOptions};
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Errors a body may carry (boxed: upstream, decoding and stripping errors alike).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// Every body the proxy sends or forwards.
pub type ProxyBody = UnsyncBoxBody<Bytes, BoxError>;

/// Forward proxy (browsers, `curl -x`) or reverse proxy in front of one origin.
#[derive(Debug, Clone)]
pub enum Mode {
    Forward,
    Reverse { upstream: url::Url },
}

/// The proxy's settings, validated (see `cmd/serve.rs` for the flags).
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    pub listen: Vec<SocketAddr>,
    pub mode: Mode,
    pub upstream: UpstreamOptions,
    /// Apply actions (false: report-only).
    pub enforce: bool,
    /// Send `X-Trackstrip` headers and trailers.
    pub header: bool,
    /// Longest wait for an origin's response headers.
    pub response_timeout: Duration,
    /// Longest silence inside a response body.
    pub body_idle_timeout: Duration,
    /// Largest request head (request line and headers) accepted.
    pub max_header_bytes: usize,
    /// HTTPS interception: the site certificates (None: CONNECT is always a blind tunnel).
    pub leaves: Option<Arc<crate::ca::LeafCache>>,
    /// Hosts never intercepted, besides the rules' skip list.
    pub skip_intercept: Vec<String>,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 8080))],
            mode: Mode::Forward,
            upstream: UpstreamOptions::default(),
            enforce: true,
            header: true,
            response_timeout: Duration::from_secs(30),
            body_idle_timeout: Duration::from_secs(60),
            max_header_bytes: 64 * 1024,
            leaves: None,
            skip_intercept: Vec::new(),
        }
    }
}

/// What every connection shares.
pub struct ProxyState {
    pub config: ProxyConfig,
    pub rules: Arc<Rules>,
    pub client: HttpClient<ProxyBody>,
    /// TLS for WebSocket upgrades to https origins (HTTP/1.1 only), same roots as `client`.
    pub upgrade_tls: Arc<rustls::ClientConfig>,
    pub leaves: Option<Arc<crate::ca::LeafCache>>,
    /// The addresses actually bound (ports resolved), to refuse requests that loop back.
    pub local_addrs: Vec<SocketAddr>,
}

/// The pseudonym in `Via` headers; seeing it on a request means a loop.
pub const VIA_NAME: &str = "trackstrip";
