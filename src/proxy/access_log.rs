//! One access line per request, written when its response body ends (or is abandoned):
//! method, URL (no query: it can carry tokens), status, what trackstrip did, trackers
//! stripped, bytes, duration. No bodies, cookies or credentials, ever. The same record feeds
//! the request metrics.

use super::{BoxError, ProxyBody, ProxyState};
use crate::telemetry::Telemetry;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// What trackstrip did with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An HTML page streamed through the stripper.
    Strip,
    /// Passed through untouched (not HTML, or not rewritable).
    Pass,
    /// Answered here: a tracker.
    Block,
    /// A CONNECT tunnel.
    Tunnel,
    /// trackstrip answered with an error page.
    Error,
    /// A navigation through a link wrapper, redirected to its destination.
    Unwrap,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Strip => "strip",
            Action::Pass => "pass",
            Action::Block => "block",
            Action::Tunnel => "tunnel",
            Action::Error => "error",
            Action::Unwrap => "unwrap",
        }
    }
}

/// The access line being filled in.
pub struct Record {
    pub peer: SocketAddr,
    /// The authenticated proxy user (the name only).
    pub user: Option<Arc<str>>,
    pub method: String,
    pub url: String,
    pub status: u16,
    pub action: Action,
    pub trackers: usize,
    /// Body bytes received from the origin.
    pub bytes_in: u64,
    /// Body bytes sent to the client.
    pub bytes_out: u64,
    pub started: Instant,
    pub detail: Option<String>,
    /// What an embedding tool is told (only filled in when there is an observer).
    pub observed: Option<Box<super::Observed>>,
    observer: Option<super::Observer>,
    telemetry: Arc<Telemetry>,
    truncate_ip: bool,
}

impl Record {
    pub fn new(state: &ProxyState, peer: SocketAddr, method: &http::Method, url: &str) -> Record {
        Record {
            peer,
            user: None,
            telemetry: state.telemetry.clone(),
            truncate_ip: state.config.truncate_client_ip,
            method: method.to_string(),
            url: loggable(url),
            status: 0,
            action: Action::Pass,
            trackers: 0,
            bytes_in: 0,
            bytes_out: 0,
            started: Instant::now(),
            detail: None,
            observed: state.config.observer.as_ref().map(|_| Box::default()),
            observer: state.config.observer.clone(),
        }
    }

    pub fn telemetry(&self) -> &Telemetry {
        &self.telemetry
    }

    pub fn emit(&self) {
        if let (Some(observer), Some(o)) = (&self.observer, &self.observed) {
            let mut o = (**o).clone();
            o.method.clone_from(&self.method);
            o.url.clone_from(&self.url);
            o.status = self.status;
            o.action = self.action.as_str();
            (o.bytes_in, o.bytes_out) = (self.bytes_in, self.bytes_out);
            (observer.0)(o);
        }
        let elapsed = self.started.elapsed();
        self.telemetry.request_done(self.action.as_str(), self.status, elapsed, self.bytes_in, self.bytes_out);
        let client = if self.truncate_ip { truncate(self.peer.ip()) } else { self.peer.ip().to_string() };
        tracing::info!(
            target: "trackstrip::access",
            client = %client,
            user = self.user.as_deref().unwrap_or(""),
            method = %self.method,
            url = %self.url,
            status = self.status,
            action = self.action.as_str(),
            trackers = self.trackers,
            bytes_in = self.bytes_in,
            bytes_out = self.bytes_out,
            ms = elapsed.as_secs_f64() * 1000.0,
            detail = self.detail.as_deref().unwrap_or(""),
            "request"
        );
    }
}

/// A URL as it may be logged: no query or fragment (they carry tokens), no user:password@.
pub fn loggable(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

/// The client's network, not the client: a.b.c.0/24, or the /48 for IPv6.
fn truncate(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => truncate(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        },
    }
}

/// A body that counts what it sends and writes the access line when done.
pub struct Metered {
    inner: ProxyBody,
    record: Option<Record>,
}

impl Metered {
    pub fn wrap(inner: ProxyBody, record: Record) -> ProxyBody {
        Metered { inner, record: Some(record) }.boxed_unsync()
    }

    fn finish(&mut self) {
        if let Some(r) = self.record.take() {
            r.emit();
        }
    }
}

impl Body for Metered {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(data), Some(r)) = (frame.data_ref(), self.record.as_mut()) {
                    r.bytes_out += data.len() as u64;
                    r.bytes_in += data.len() as u64;
                }
            }
            Poll::Ready(Some(Err(e))) => {
                if let Some(r) = self.record.as_mut() {
                    r.detail = Some(format!("body error: {e}"));
                }
                self.finish();
            }
            Poll::Ready(None) => self.finish(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        if let Some(r) = self.record.as_mut()
            && r.detail.is_none()
            && !self.inner.is_end_stream()
        {
            r.detail = Some("client went away".into());
        }
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_urls_lose_queries_and_credentials() {
        assert_eq!(loggable("http://ada:secret@news.test:8080/a?token=1#x"), "http://news.test:8080/a");
        assert_eq!(loggable("https://news.test/p/q"), "https://news.test/p/q");
        assert_eq!(loggable("news.test:443"), "news.test:443");
    }

    #[test]
    fn truncated_client_addresses() {
        assert_eq!(truncate("10.1.2.3".parse().unwrap()), "10.1.2.0/24");
        assert_eq!(truncate("2001:db8:1:2::5".parse().unwrap()), "2001:db8:1::/48");
        assert_eq!(truncate("::ffff:10.1.2.3".parse().unwrap()), "10.1.2.0/24");
    }
}
