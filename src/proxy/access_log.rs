//! One access line per request, written when its response body ends (or is abandoned):
//! method, URL (no query: it can carry tokens), status, what trackstrip did, trackers
//! stripped, bytes, duration. No bodies, cookies or credentials, ever.

use super::{BoxError, ProxyBody};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use std::net::SocketAddr;
use std::pin::Pin;
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
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Strip => "strip",
            Action::Pass => "pass",
            Action::Block => "block",
            Action::Tunnel => "tunnel",
            Action::Error => "error",
        }
    }
}

/// The access line being filled in.
#[derive(Debug)]
pub struct Record {
    pub peer: SocketAddr,
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
}

impl Record {
    pub fn new(peer: SocketAddr, method: &http::Method, url: &str) -> Record {
        // The query can carry session tokens: never logged.
        let url = url.split(['?', '#']).next().unwrap_or(url).to_string();
        Record {
            peer,
            method: method.to_string(),
            url,
            status: 0,
            action: Action::Pass,
            trackers: 0,
            bytes_in: 0,
            bytes_out: 0,
            started: Instant::now(),
            detail: None,
        }
    }

    pub fn emit(&self) {
        tracing::info!(
            target: "trackstrip::access",
            client = %self.peer.ip(),
            method = %self.method,
            url = %self.url,
            status = self.status,
            action = self.action.as_str(),
            trackers = self.trackers,
            bytes_in = self.bytes_in,
            bytes_out = self.bytes_out,
            ms = self.started.elapsed().as_secs_f64() * 1000.0,
            detail = self.detail.as_deref().unwrap_or(""),
            "request"
        );
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
