//! Ending a body with an error without losing the bytes before it. When a body fails, hyper
//! drops what it hasn't written yet: HTTP/1.1 discards its write buffer, and HTTP/2's
//! RST_STREAM clears the stream's queued DATA frames (h2 `send_reset`). So the error waits a
//! moment, long enough for the connection to write out what it holds, then goes out: the
//! client gets every byte that arrived, and still sees the transfer cut.

use bytes::Bytes;
use hyper::body::Frame;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::time::Sleep;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long the connection gets to write out what went before the error. The connection
/// task was woken when those bytes were queued, so it runs well within this.
const FLUSH_GRACE: Duration = Duration::from_millis(50);

#[derive(Default)]
pub struct Cut {
    why: Option<BoxError>,
    grace: Option<Pin<Box<Sleep>>>,
}

impl Cut {
    pub fn set(&mut self, why: impl Into<BoxError>) {
        self.why = Some(why.into());
    }

    pub fn is_set(&self) -> bool {
        self.why.is_some()
    }

    /// The error, once the grace has passed.
    pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let grace = self.grace.get_or_insert_with(|| Box::pin(tokio::time::sleep(FLUSH_GRACE)));
        ready!(grace.as_mut().poll(cx));
        Poll::Ready(self.why.take().map(Err))
    }
}
