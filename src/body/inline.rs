//! The rewrite for bodies that need no decoding, done in the body itself: each poll reads the
//! next frame from the origin, strips it and hands the result on, on the client connection's
//! own task. No extra task, no channel, no wake-ups between them; dropping the body (the client
//! left) drops the origin's body with it.

use super::cut::Cut;
use super::pipeline::{Outcome, Spec, Transfer};
use crate::charset::PRESCAN_BYTES;
use crate::strip::{StripOptions, Stripper};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue};
use hyper::body::{Body, Frame, Incoming};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::time::{Instant, Sleep};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Done = Box<dyn FnOnce(Outcome, Transfer) + Send>;

enum Stage {
    /// Collecting the first bytes, which decide the encoding.
    Prescan(BytesMut),
    Stripping(Box<Stripper>),
    /// An encoding lol_html can't parse: bytes pass as they come.
    Passing,
    Finished,
}

pub struct InlineStrip {
    upstream: Incoming,
    spec: Spec,
    stage: Stage,
    queue: VecDeque<Frame<Bytes>>,
    idle: Pin<Box<Sleep>>,
    transfer: Transfer,
    done: Option<Done>,
    /// The origin failed: sent once everything received before has gone out.
    cut: Cut,
}

impl InlineStrip {
    pub fn new(upstream: Incoming, spec: Spec, done: impl FnOnce(Outcome, Transfer) + Send + 'static) -> InlineStrip {
        let idle = Box::pin(tokio::time::sleep(spec.idle));
        InlineStrip {
            upstream,
            spec,
            stage: Stage::Prescan(BytesMut::new()),
            queue: VecDeque::new(),
            idle,
            transfer: Transfer::default(),
            done: Some(Box::new(done)),
            cut: Cut::default(),
        }
    }

    fn emit(&mut self, data: Bytes) {
        if !data.is_empty() {
            self.transfer.bytes_out += data.len() as u64;
            self.queue.push_back(Frame::data(data));
        }
    }

    fn feed(&mut self, data: Bytes) {
        match &mut self.stage {
            Stage::Prescan(head) => {
                head.extend_from_slice(&data);
                if head.len() >= PRESCAN_BYTES {
                    self.start();
                }
            }
            Stage::Stripping(s) => {
                let out = s.write_bytes(data);
                self.emit(out);
            }
            Stage::Passing => self.emit(data),
            Stage::Finished => {}
        }
    }

    /// Decides the encoding from the bytes so far and starts stripping them.
    fn start(&mut self) {
        let Stage::Prescan(head) = std::mem::replace(&mut self.stage, Stage::Finished) else { return };
        let head = head.freeze();
        match StripOptions::for_page(&head, self.spec.charset.as_deref()) {
            Ok(opts) => {
                let opts = StripOptions {
                    enforce: self.spec.enforce,
                    cnames: self.spec.cnames.clone(),
                    social: self.spec.social,
                    ..opts
                };
                let mut s = Box::new(Stripper::new(self.spec.rules.clone(), self.spec.page.clone(), opts));
                let out = s.write_bytes(head);
                self.stage = Stage::Stripping(s);
                self.emit(out);
            }
            Err(enc) => {
                tracing::info!(encoding = enc.name(), "page encoding can't be rewritten; passing it through");
                self.stage = Stage::Passing;
                self.emit(head);
            }
        }
    }

    /// The origin's body ended: flush, add the trailer, report.
    fn end(&mut self) {
        if matches!(self.stage, Stage::Prescan(_)) {
            self.start();
        }
        let outcome = match std::mem::replace(&mut self.stage, Stage::Finished) {
            Stage::Stripping(s) => {
                let out = s.finish();
                let tail = out.tail.clone();
                self.emit(tail);
                if self.spec.trailer {
                    let mut t = HeaderMap::new();
                    if let Ok(v) = HeaderValue::from_str(&format!("stripped={}", out.stats.trackers)) {
                        t.insert("x-trackstrip", v);
                    }
                    self.queue.push_back(Frame::trailers(t));
                }
                Outcome::Done(out)
            }
            _ => Outcome::Unrewritable("page encoding"),
        };
        self.report(outcome);
    }

    /// The origin failed mid-body: what arrived is stripped and goes out (the stripper flushed,
    /// no trailer), then the transfer is cut the way the origin's was, so the client sees a
    /// truncated body, never a clean short one.
    fn fail(&mut self, why: String) {
        if matches!(self.stage, Stage::Prescan(_)) {
            self.start();
        }
        if let Stage::Stripping(s) = std::mem::replace(&mut self.stage, Stage::Finished) {
            let tail = s.finish().tail;
            self.emit(tail);
        }
        self.report(Outcome::UpstreamFailed(why.clone()));
        self.cut.set(why);
    }

    fn report(&mut self, outcome: Outcome) {
        self.stage = Stage::Finished;
        if let Some(done) = self.done.take() {
            done(outcome, self.transfer);
        }
    }
}

impl Body for InlineStrip {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            if let Some(f) = this.queue.pop_front() {
                return Poll::Ready(Some(Ok(f)));
            }
            if this.cut.is_set() {
                return this.cut.poll(cx);
            }
            if matches!(this.stage, Stage::Finished) {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.upstream).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        this.transfer.bytes_in += data.len() as u64;
                        let idle = this.spec.idle;
                        this.idle.as_mut().reset(Instant::now() + idle);
                        this.feed(data);
                    }
                }
                Poll::Ready(Some(Err(e))) => this.fail(format!("origin body: {e}")),
                Poll::Ready(None) => this.end(),
                Poll::Pending => {
                    if this.idle.as_mut().poll(cx).is_ready() {
                        this.fail(format!("the origin sent nothing for {} s", this.spec.idle.as_secs()));
                        continue;
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.stage, Stage::Finished) && self.queue.is_empty() && !self.cut.is_set()
    }
}

impl Drop for InlineStrip {
    fn drop(&mut self) {
        if self.done.is_some() {
            self.report(Outcome::ClientGone);
        }
    }
}
