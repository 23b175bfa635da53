//! Upstream: the pooled HTTP(S) client that fetches from origins (for the proxy and for
//! `audit URL`), with verified TLS and host pinning (`--resolve`).

mod dns;
mod resolve;
mod tls;

pub use dns::{Chain, Dns, DnsError, DnsSettings, parse_server as parse_dns_server};
pub use resolve::{Pin, Pins, REFUSED_BY_GUARD, Resolver, never_resolves, parse_pin};
pub use tls::{client_tls_config, root_store};

use bytes::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::path::PathBuf;
use std::time::Duration;

/// The most response head (status line and headers) taken from an origin. hyper's own buffer
/// limit is checked only between reads, so the proxy checks the parsed head against this too.
pub const MAX_RESPONSE_HEAD: usize = 64 * 1024;

/// The size of a parsed response head, as it was on the wire (near enough: `name: value\r\n`).
pub fn head_size(headers: &http::HeaderMap) -> usize {
    headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum::<usize>()
        + "HTTP/1.1 200 \r\n\r\n".len()
}

/// Why the upstream client could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("cannot read CA file {path}: {source}")]
    ReadRoot {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: no PEM certificate found (expected -----BEGIN CERTIFICATE-----)")]
    NoCertificate { path: PathBuf },
    #[error("{path}: certificate rejected: {reason}")]
    BadRoot { path: PathBuf, reason: String },
    #[error("--resolve {0:?}: expected HOST=IP, e.g. news.test=127.0.0.1")]
    BadPin(String),
    #[error("TLS setup failed: {0}")]
    Tls(String),
}

/// How to reach origins.
#[derive(Debug, Clone)]
pub struct UpstreamOptions {
    /// PEM CA files trusted besides the built-in (webpki) and system roots.
    pub extra_roots: Vec<PathBuf>,
    /// Also trust the operating system's roots.
    pub system_roots: bool,
    /// Host names pinned to addresses, like curl's --resolve.
    pub pins: Pins,
    pub connect_timeout: Duration,
    /// How long an idle pooled connection is kept.
    pub idle_timeout: Duration,
    /// Addresses never connected to (link-local, metadata...).
    pub guard: crate::access::TargetGuard,
    /// The DNS client (absent: getaddrinfo, and no CNAME chains).
    pub dns: Option<std::sync::Arc<Dns>>,
}

impl Default for UpstreamOptions {
    fn default() -> Self {
        UpstreamOptions {
            extra_roots: Vec::new(),
            system_roots: true,
            pins: Pins::default(),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(90),
            guard: crate::access::TargetGuard::default(),
            dns: None,
        }
    }
}

pub type Connector = HttpsConnector<HttpConnector<Resolver>>;
/// The pooled client, generic over the request body type.
pub type HttpClient<B> = Client<Connector, B>;

/// Builds the pooled client: HTTP/1.1 and HTTP/2 by ALPN, verified TLS, connect timeout.
pub fn build_client<B>(opts: &UpstreamOptions) -> Result<HttpClient<B>, UpstreamError>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let roots = root_store(&opts.extra_roots, opts.system_roots)?;
    let tls = client_tls_config(roots)?;
    let mut http =
        HttpConnector::new_with_resolver(Resolver::new(opts.pins.clone(), opts.guard.clone(), opts.dns.clone()));
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(opts.connect_timeout));
    http.set_keepalive(Some(Duration::from_secs(60)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(opts.idle_timeout)
        .pool_max_idle_per_host(64)
        // Read from origins in modest pieces: a fast origin and a busy proxy would otherwise grow
        // every connection's buffer to hyper's 400 KB default.
        .http1_max_buf_size(MAX_RESPONSE_HEAD)
        .build(https))
}
