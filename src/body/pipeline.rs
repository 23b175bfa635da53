//! The streaming body rewrite: upstream body → decode → strip → encode → client, in a task
//! that hands frames over a small bounded channel. The channel is the backpressure (a slow
//! client slows the read from the origin) and the cancellation: when the client goes away,
//! the receiving body is dropped, the next send fails, the task ends and drops the upstream
//! body, which closes the origin connection.

use super::coding::Coding;
use super::cut::Cut;
use super::probe::Head;
use crate::charset::PRESCAN_BYTES;
use crate::policy::PageContext;
use crate::rules::Rules;
use crate::strip::{StripOptions, StripOutput, Stripper};
use async_compression::tokio::write as enc;
use bytes::{Bytes, BytesMut};
use futures_util::TryStreamExt;
use http::{HeaderMap, HeaderValue};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How to rewrite one response body.
pub struct Spec {
    pub coding: Coding,
    /// The Content-Type charset, if any.
    pub charset: Option<String>,
    pub rules: Arc<Rules>,
    pub page: PageContext,
    pub enforce: bool,
    /// Longest silence from the origin before giving up.
    pub idle: Duration,
    /// Send `X-Trackstrip: stripped=N` as a trailer.
    pub trailer: bool,
    /// The DNS client, for hosts that are aliases of trackers.
    pub cnames: Option<Arc<crate::upstream::Dns>>,
    /// Social widgets and embeds become placeholders.
    pub social: bool,
}

/// How a rewrite ended.
pub enum Outcome {
    /// The whole page went through.
    Done(StripOutput),
    /// The origin failed mid-body, or went silent; the client got a truncated page.
    UpstreamFailed(String),
    /// The client went away; the origin request was dropped.
    ClientGone,
    /// The page's encoding can't be parsed: it went through as it came.
    Unrewritable(&'static str),
}

/// Bytes received from the origin (as sent, encoded) and sent to the client.
#[derive(Debug, Default, Clone, Copy)]
pub struct Transfer {
    pub bytes_in: u64,
    pub bytes_out: u64,
}

/// Starts the rewrite; returns the body to send. `head` is what was read of the body already
/// (see `probe.rs`); `done` runs when the rewrite ends, however it ends.
pub fn strip_body(
    upstream: Incoming,
    head: Head,
    spec: Spec,
    done: impl FnOnce(Outcome, Transfer) + Send + 'static,
) -> http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError> {
    // Nothing to decode: strip inside the body's own polls (see `inline.rs`).
    if spec.coding == Coding::Identity && head.is_none() {
        return super::inline::InlineStrip::new(upstream, spec, done).boxed_unsync();
    }
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        let counted = Arc::new(AtomicU64::new(0));
        let mut out = Out { tx, sent: 0 };
        let raw = ErrorsLate { inner: raw_stream(upstream, head, counted.clone()), held: None };
        let mut source = super::coding::decoder(spec.coding, tokio_util::io::StreamReader::new(raw));
        let outcome = run(&mut source, spec, &mut out).await;
        if let Outcome::UpstreamFailed(why) = &outcome {
            let _ = out.tx.send(Err(why.clone().into())).await;
        }
        done(outcome, Transfer { bytes_in: counted.load(Ordering::Relaxed), bytes_out: out.sent });
    });
    ChannelBody { rx, cut: Cut::default() }.boxed_unsync()
}

type RawStream = Pin<Box<dyn futures_util::Stream<Item = std::io::Result<Bytes>> + Send>>;

/// The body as received: the bytes already read, then the rest (or the failure that cut it).
fn raw_stream(upstream: Incoming, head: Head, counted: Arc<AtomicU64>) -> RawStream {
    use futures_util::{StreamExt, stream};
    counted.fetch_add(head.bytes.len() as u64, Ordering::Relaxed);
    let first = stream::iter((!head.bytes.is_empty()).then_some(Ok(head.bytes)));
    if let Some(why) = head.failure {
        return Box::pin(first.chain(stream::iter([Err(std::io::Error::other(why))])));
    }
    if head.ended {
        return Box::pin(first);
    }
    let rest = upstream
        .into_data_stream()
        .inspect_ok(move |b| {
            counted.fetch_add(b.len() as u64, Ordering::Relaxed);
        })
        .map_err(std::io::Error::other);
    Box::pin(first.chain(rest))
}

/// The sending end, counting what it sends.
struct Out {
    tx: mpsc::Sender<Result<Frame<Bytes>, BoxError>>,
    sent: u64,
}

/// A body fed by the rewrite task.
pub struct ChannelBody {
    rx: mpsc::Receiver<Result<Frame<Bytes>, BoxError>>,
    cut: Cut,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.cut.is_set() {
            return this.cut.poll(cx);
        }
        match this.rx.poll_recv(cx) {
            Poll::Ready(Some(Err(e))) => {
                this.cut.set(e);
                this.cut.poll(cx)
            }
            other => other,
        }
    }
}

/// Hands an error from the origin over one poll late. async-compression's decoders drop the
/// bytes they decoded in a poll that meets an error from their input (`?` on `poll_fill_buf`),
/// so the input pauses first (Pending, woken at once): the decoder returns what it has, and
/// the next read gets the error.
struct ErrorsLate {
    inner: RawStream,
    held: Option<std::io::Error>,
}

impl futures_util::Stream for ErrorsLate {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(e) = self.held.take() {
            return Poll::Ready(Some(Err(e)));
        }
        match self.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Err(e))) => {
                self.held = Some(e);
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            other => other,
        }
    }
}

type Source = Pin<Box<dyn AsyncRead + Send>>;

/// The next decoded chunk, if any.
async fn read_decoded(source: &mut Source, buf: &mut Vec<u8>) -> Result<Option<Bytes>, String> {
    buf.resize(64 * 1024, 0);
    let n = source.read(buf).await.map_err(|e| format!("decoding the origin body: {e}"))?;
    Ok((n > 0).then(|| Bytes::copy_from_slice(&buf[..n])))
}

/// Re-encodes stripped output the way the origin encoded it, flushing after every chunk so the
/// client can render what it has.
enum Encoder {
    Identity,
    Gzip(Box<enc::GzipEncoder<Vec<u8>>>),
    Deflate(Box<enc::ZlibEncoder<Vec<u8>>>),
    Brotli(Box<enc::BrotliEncoder<Vec<u8>>>),
    Zstd(Box<enc::ZstdEncoder<Vec<u8>>>),
}

macro_rules! each_encoder {
    ($self:ident, $e:ident => $body:expr) => {
        match $self {
            Encoder::Identity => unreachable!("identity is handled by the caller"),
            Encoder::Gzip($e) => $body,
            Encoder::Deflate($e) => $body,
            Encoder::Brotli($e) => $body,
            Encoder::Zstd($e) => $body,
        }
    };
}

impl Encoder {
    fn new(coding: Coding) -> Encoder {
        use async_compression::Level;
        match coding {
            Coding::Identity => Encoder::Identity,
            Coding::Gzip => Encoder::Gzip(Box::new(enc::GzipEncoder::with_quality(Vec::new(), Level::Precise(5)))),
            Coding::Deflate => {
                Encoder::Deflate(Box::new(enc::ZlibEncoder::with_quality(Vec::new(), Level::Precise(5))))
            }
            Coding::Brotli => {
                Encoder::Brotli(Box::new(enc::BrotliEncoder::with_quality(Vec::new(), Level::Precise(4))))
            }
            Coding::Zstd => Encoder::Zstd(Box::new(enc::ZstdEncoder::with_quality(Vec::new(), Level::Precise(3)))),
        }
    }

    async fn encode(&mut self, data: Bytes, last: bool) -> std::io::Result<Bytes> {
        if let Encoder::Identity = self {
            return Ok(data);
        }
        each_encoder!(self, e => {
            e.write_all(&data).await?;
            if last { e.shutdown().await?; } else { e.flush().await?; }
            Ok(Bytes::from(std::mem::take(e.get_mut())))
        })
    }
}

async fn run(source: &mut Source, spec: Spec, tx: &mut Out) -> Outcome {
    let mut encoder = Encoder::new(spec.coding);
    let mut buf = Vec::new();

    // The first bytes decide the encoding (bounded: at most PRESCAN_BYTES are waited for).
    let mut head = BytesMut::new();
    let mut ended = false;
    let mut failure = None;
    while head.len() < PRESCAN_BYTES {
        match next_chunk(source, &mut buf, spec.idle, tx).await {
            Ok(Some(b)) => head.extend_from_slice(&b),
            Ok(None) => {
                ended = true;
                break;
            }
            // What arrived is still stripped and sent (below), then the failure.
            Err(e) if e != CLIENT_GONE => {
                failure = Some(e);
                ended = true;
                break;
            }
            Err(e) => return failed(e),
        }
    }
    let opts = match StripOptions::for_page(&head, spec.charset.as_deref()) {
        Ok(opts) => StripOptions { enforce: spec.enforce, cnames: spec.cnames.clone(), social: spec.social, ..opts },
        Err(enc) => {
            tracing::info!(encoding = enc.name(), "page encoding can't be rewritten; passing it through");
            if let Some(e) = failure {
                // Flushed, not finished: the client gets what arrived, then the cut.
                let _ = send_data(&mut encoder, head.freeze(), false, tx).await;
                return failed(e);
            }
            return pass_through(head.freeze(), ended, source, &mut encoder, &mut buf, tx, &spec).await;
        }
    };
    let mut stripper = Stripper::new(spec.rules.clone(), spec.page.clone(), opts);
    let mut chunk = Some(head.freeze());
    loop {
        if let Some(input) = chunk.take() {
            let out = stripper.write_bytes(input);
            if !out.is_empty() && !send_data(&mut encoder, out, false, tx).await {
                return Outcome::ClientGone;
            }
        }
        if ended {
            break;
        }
        match next_chunk(source, &mut buf, spec.idle, tx).await {
            Ok(Some(b)) => chunk = Some(b),
            Ok(None) => ended = true,
            Err(e) if e != CLIENT_GONE => {
                failure = Some(e);
                ended = true;
            }
            Err(e) => return failed(e),
        }
    }
    let done = stripper.finish();
    if let Some(e) = failure {
        // What arrived, stripped and flushed (the encoding left open: the body is cut).
        let _ = send_data(&mut encoder, done.tail, false, tx).await;
        return failed(e);
    }
    if !send_data(&mut encoder, done.tail.clone(), true, tx).await {
        return Outcome::ClientGone;
    }
    if spec.trailer {
        let mut t = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&format!("stripped={}", done.stats.trackers)) {
            t.insert("x-trackstrip", v);
        }
        let _ = tx.tx.send(Ok(Frame::trailers(t))).await;
    }
    Outcome::Done(done)
}

/// The next decoded chunk; an error if the origin fails or goes silent for `idle`, or if the
/// client goes away meanwhile (so a slow origin is dropped as soon as nobody waits for it).
async fn next_chunk(
    source: &mut Source,
    buf: &mut Vec<u8>,
    idle: Duration,
    out: &Out,
) -> Result<Option<Bytes>, String> {
    tokio::select! {
        r = tokio::time::timeout(idle, read_decoded(source, buf)) => match r {
            Ok(r) => r,
            Err(_) => Err(format!("the origin sent nothing for {} s", idle.as_secs())),
        },
        _ = out.tx.closed() => Err(CLIENT_GONE.into()),
    }
}

const CLIENT_GONE: &str = "client went away";

fn failed(e: String) -> Outcome {
    if e == CLIENT_GONE { Outcome::ClientGone } else { Outcome::UpstreamFailed(e) }
}

/// Encodes and sends; false when the body can't go on (the client is gone, or encoding
/// failed, in which case the client gets an error frame and a truncated body).
async fn send_data(encoder: &mut Encoder, data: Bytes, last: bool, tx: &mut Out) -> bool {
    match encoder.encode(data, last).await {
        Ok(encoded) if encoded.is_empty() => true,
        Ok(encoded) => {
            tx.sent += encoded.len() as u64;
            tx.tx.send(Ok(Frame::data(encoded))).await.is_ok()
        }
        Err(e) => {
            let _ = tx.tx.send(Err(e.into())).await;
            false
        }
    }
}

/// The page can't be rewritten (its encoding): send it on as it came (re-encoded as it came).
async fn pass_through(
    head: Bytes,
    mut ended: bool,
    source: &mut Source,
    encoder: &mut Encoder,
    buf: &mut Vec<u8>,
    tx: &mut Out,
    spec: &Spec,
) -> Outcome {
    let mut chunk = Some(head);
    loop {
        let data = chunk.take().unwrap_or_default();
        if !send_data(encoder, data, ended, tx).await {
            return Outcome::ClientGone;
        }
        if ended {
            return Outcome::Unrewritable("page encoding");
        }
        match next_chunk(source, buf, spec.idle, tx).await {
            Ok(Some(b)) => chunk = Some(b),
            Ok(None) => ended = true,
            Err(e) => return failed(e),
        }
    }
}
