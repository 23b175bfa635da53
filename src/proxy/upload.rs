//! Knowing when a request body has been sent upstream, so the response deadline can start
//! then: an upload takes as long as the client takes, and that is not the origin's delay.

use super::ProxyBody;
use bytes::Bytes;
use http::Request;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::oneshot;

/// The request with its body watched, and a signal that fires when the body has ended (or was
/// dropped); None for a request with no body (already sent, nothing to watch).
pub fn watch(req: Request<ProxyBody>) -> (Request<ProxyBody>, Option<oneshot::Receiver<()>>) {
    if req.body().is_end_stream() {
        return (req, None);
    }
    let (tx, rx) = oneshot::channel();
    let req = req.map(|inner| Watched { inner, sent: Some(tx) }.boxed_unsync());
    (req, Some(rx))
}

struct Watched {
    inner: ProxyBody,
    /// Dropped (which wakes the receiver) when the body ends.
    sent: Option<oneshot::Sender<()>>,
}

impl Body for Watched {
    type Data = Bytes;
    type Error = crate::proxy::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) || self.inner.is_end_stream() {
            self.sent = None;
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

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{Full, StreamBody};

    #[tokio::test]
    async fn fires_when_the_body_ends_not_before() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, crate::proxy::BoxError>>(1);
        let stream = tokio_stream_from(rx);
        let req = Request::new(StreamBody::new(stream).boxed_unsync());
        let (req, sent) = watch(req);
        let mut sent = sent.expect("a streaming body is watched");
        let mut body = req.into_body();
        tx.send(Ok(Frame::data(Bytes::from_static(b"part")))).await.unwrap();
        assert!(body.frame().await.is_some());
        assert!(sent.try_recv().is_err(), "still uploading");
        drop(tx);
        assert!(body.frame().await.is_none());
        assert!(sent.await.is_err(), "the sender is gone: the body ended");
    }

    #[tokio::test]
    async fn no_body_means_sent_at_once() {
        let empty = Full::new(Bytes::new()).map_err(|e| match e {}).boxed_unsync();
        let (_, sent) = watch(Request::new(empty));
        assert!(sent.is_none(), "nothing to wait for: the deadline starts at once");
    }

    fn tokio_stream_from<T: Send + 'static>(
        mut rx: tokio::sync::mpsc::Receiver<T>,
    ) -> impl futures_util::Stream<Item = T> + Send + 'static {
        futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }
}
