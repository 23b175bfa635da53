//! `audit URL`: fetch a page over HTTP(S) (verified TLS, redirects, a deadline) and stream
//! its body through a report-only stripper.

use crate::body::{Coding, decoder};
use crate::charset::PRESCAN_BYTES;
use crate::policy::PageContext;
use crate::rules::Rules;
use crate::strip::{StripOptions, StripOutput, Stripper};
use crate::upstream::{UpstreamError, UpstreamOptions, build_client};
use bytes::Bytes;
use futures_util::TryStreamExt;
use http::{HeaderValue, Request, StatusCode, header};
use http_body_util::{BodyExt, Empty};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: not an http(s) URL")]
    BadUrl { url: String },
    #[error(transparent)]
    Setup(#[from] UpstreamError),
    #[error("{url}: request failed: {reason}")]
    Request { url: String, reason: String },
    #[error("{url}: no answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("{url}: the server answered {status}")]
    Status { url: String, status: StatusCode },
    #[error("{url}: more than {max} redirects")]
    TooManyRedirects { url: String, max: usize },
    #[error("{url}: cannot read the body: {reason}")]
    Body { url: String, reason: String },
}

pub struct FetchOptions {
    pub timeout: Duration,
    pub max_redirects: usize,
    pub upstream: UpstreamOptions,
}

impl FetchOptions {
    /// The DNS client whose CNAME chains the audit reads (`--resolve-cnames`).
    fn cnames(&self) -> Option<Arc<crate::upstream::Dns>> {
        self.upstream.dns.clone()
    }
}

/// What the audit learned from the page.
pub struct Fetched {
    /// The address after redirects.
    pub final_url: String,
    pub output: StripOutput,
}

/// Fetches `url` and audits it; the whole exchange (redirects and body) shares one deadline.
pub async fn fetch_and_audit(url: &str, rules: Arc<Rules>, opts: &FetchOptions) -> Result<Fetched, FetchError> {
    let secs = opts.timeout.as_secs();
    match tokio::time::timeout(opts.timeout, fetch(url, rules, opts)).await {
        Ok(r) => r,
        Err(_) => Err(FetchError::Timeout { url: url.to_string(), secs }),
    }
}

async fn fetch(url: &str, rules: Arc<Rules>, opts: &FetchOptions) -> Result<Fetched, FetchError> {
    let client = build_client::<Empty<Bytes>>(&opts.upstream)?;
    let mut current = url::Url::parse(url).map_err(|_| FetchError::BadUrl { url: url.to_string() })?;
    let mut redirects = 0;
    loop {
        if !matches!(current.scheme(), "http" | "https") {
            return Err(FetchError::BadUrl { url: current.to_string() });
        }
        let req = Request::get(current.as_str())
            .header(header::USER_AGENT, concat!("trackstrip-audit/", env!("CARGO_PKG_VERSION")))
            .header(header::ACCEPT, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
            .header(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")
            .body(Empty::new())
            .map_err(|e| FetchError::Request { url: current.to_string(), reason: e.to_string() })?;
        let resp = client
            .request(req)
            .await
            .map_err(|e| FetchError::Request { url: current.to_string(), reason: error_chain(&e) })?;
        let status = resp.status();
        if status.is_redirection() {
            let next =
                resp.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).and_then(|l| current.join(l).ok());
            if let Some(next) = next {
                redirects += 1;
                if redirects > opts.max_redirects {
                    return Err(FetchError::TooManyRedirects { url: url.to_string(), max: opts.max_redirects });
                }
                current = next;
                continue;
            }
        }
        if !status.is_success() {
            return Err(FetchError::Status { url: current.to_string(), status });
        }
        let final_url = current.to_string();
        let coding =
            Coding::parse(resp.headers().get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok())).map_err(|c| {
                FetchError::Body { url: final_url.clone(), reason: format!("unsupported Content-Encoding {c:?}") }
            })?;
        let label = content_type_charset(resp.headers().get(header::CONTENT_TYPE));
        let page =
            PageContext::new(&final_url).map_err(|reason| FetchError::Request { url: final_url.clone(), reason })?;
        let body = resp.into_body().into_data_stream().map_err(std::io::Error::other);
        let mut reader = decoder(coding, tokio_util::io::StreamReader::new(body));
        let body_err = |e: std::io::Error| FetchError::Body { url: final_url.clone(), reason: e.to_string() };
        let output = audit_stream(&mut reader, rules, page, label.as_deref(), opts.cnames()).await.map_err(body_err)?;
        return Ok(Fetched { final_url, output });
    }
}

/// Streams a (decoded) page through a report-only stripper that also lists kept resources.
pub async fn audit_stream(
    reader: &mut (dyn tokio::io::AsyncRead + Send + Unpin),
    rules: Arc<Rules>,
    page: PageContext,
    charset_label: Option<&str>,
    cnames: Option<Arc<crate::upstream::Dns>>,
) -> std::io::Result<StripOutput> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut head = 0;
    while head < PRESCAN_BYTES {
        let n = reader.read(&mut buf[head..PRESCAN_BYTES]).await?;
        if n == 0 {
            break;
        }
        head += n;
    }
    let opts = match StripOptions::for_page(&buf[..head], charset_label) {
        Ok(opts) => StripOptions { enforce: false, report_kept: true, track_lines: true, cnames, ..opts },
        Err(enc) => {
            return Err(std::io::Error::other(format!("the page is in {}, which trackstrip can't parse", enc.name())));
        }
    };
    let mut stripper = Stripper::new(rules, page, opts);
    stripper.write(&buf[..head]);
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        stripper.write(&buf[..n]);
    }
    Ok(stripper.finish())
}

/// The charset parameter of a Content-Type header.
pub fn content_type_charset(v: Option<&HeaderValue>) -> Option<String> {
    let v = v?.to_str().ok()?;
    v.split(';').skip(1).find_map(|p| {
        let (k, val) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| val.trim().trim_matches('"').to_string())
    })
}

pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
