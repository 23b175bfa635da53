//! `trackstrip serve`: the proxy. One request travels:
//!
//! ```text
//! listen (accept, access) → service (auth, route) → connect (CONNECT: tunnel or intercept)
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
mod idle;
mod intercept;
mod judge;
mod listen;
mod observe;
mod page_report;
mod prefixed;
mod request_kind;
mod response;
mod service;
mod target;
mod unwrap;
mod upload;
mod websocket;

pub(crate) use forward::chain as error_chain;
pub use headers::PrivacySignals;
pub use listen::{Listening, ServeError, serve, serve_io};
pub use observe::{Flag, Observed, Observer};

use crate::access::AccessPolicy;
use crate::rules::LiveRules;
use crate::telemetry::Telemetry;
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
    /// Who may connect, authenticate, and where CONNECT and requests may go.
    pub access: AccessPolicy,
    /// Longest wait for a client's request head.
    pub header_read_timeout: Duration,
    /// Longest silence (both ways) on a client connection before it is closed.
    pub client_idle_timeout: Duration,
    /// Client connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Sites whose pages are never stripped and whose requests are never blocked.
    pub allow_sites: Vec<String>,
    /// Other addresses of this process that requests must not reach (the admin listener).
    pub refused_addrs: Vec<SocketAddr>,
    /// Log client addresses as their /24 or /48.
    pub truncate_client_ip: bool,
    /// Privacy signals added to every request forwarded.
    pub signals: PrivacySignals,
    /// Replace social widgets and embeds by placeholders in pages.
    pub social: bool,
    /// Told about every finished request (the browser audit); None in a normal proxy.
    pub observer: Option<Observer>,
}

impl ProxyConfig {
    /// Is `host` one of the `allow_sites` (or a subdomain of one)?
    pub fn site_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        !host.is_empty()
            && self.allow_sites.iter().any(|s| {
                host.len() >= s.len()
                    && host[host.len() - s.len()..].eq_ignore_ascii_case(s)
                    && (host.len() == s.len() || host.as_bytes()[host.len() - s.len() - 1] == b'.')
            })
    }
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
            access: AccessPolicy::default(),
            header_read_timeout: Duration::from_secs(30),
            client_idle_timeout: Duration::from_secs(120),
            max_connections: 4096,
            allow_sites: Vec::new(),
            refused_addrs: Vec::new(),
            truncate_client_ip: false,
            signals: PrivacySignals::default(),
            social: true,
            observer: None,
        }
    }
}

/// What every connection shares.
pub struct ProxyState {
    pub config: ProxyConfig,
    /// The rules; each request takes the current set once and keeps it.
    pub rules: Arc<LiveRules>,
    pub telemetry: Arc<Telemetry>,
    /// Set when shutting down: /readyz answers 503 so load balancers stop sending.
    pub draining: std::sync::atomic::AtomicBool,
    pub client: HttpClient<ProxyBody>,
    /// TLS for WebSocket upgrades to https origins (HTTP/1.1 only), same roots as `client`.
    pub upgrade_tls: Arc<rustls::ClientConfig>,
    pub leaves: Option<Arc<crate::ca::LeafCache>>,
    /// The addresses actually bound (ports resolved) and the admin listener's, to refuse
    /// requests that loop back.
    pub local_addrs: Vec<SocketAddr>,
}

/// The pseudonym in `Via` headers; seeing it on a request means a loop.
pub const VIA_NAME: &str = "trackstrip";
