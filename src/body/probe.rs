//! Does the body decode the way its Content-Encoding says? Origins sometimes label a plain
//! page `gzip`: decoding it would fail at the first byte and cut the page. The first bytes
//! decide, before the response head goes out, so such a body can pass through unchanged
//! under the origin's own headers, as it would without the proxy.

use super::coding::Coding;
use super::cut::Cut;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::{Body, Frame, Incoming};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::AsyncReadExt;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Enough raw bytes to check a format's magic number.
const MAGIC_BYTES: usize = 4;
/// Brotli has no magic number: this much of the start is trial-decoded instead.
const TRIAL_BYTES: usize = 4096;

/// The first raw bytes of a body, read before the response head goes out.
pub struct Head {
    pub bytes: Bytes,
    /// The body ended within them.
    pub ended: bool,
    /// The origin failed (or went silent) right after them.
    pub failure: Option<String>,
}

/// Reads frames until at least [`MAGIC_BYTES`] have come (or the body ends or fails).
pub async fn read_head(body: &mut Incoming, idle: Duration) -> Head {
    let mut head = BytesMut::new();
    while head.len() < MAGIC_BYTES {
        match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return Head::cut(head, format!("the origin sent nothing for {} s", idle.as_secs())),
            Ok(None) => return Head { bytes: head.freeze(), ended: true, failure: None },
            Ok(Some(Err(e))) => return Head::cut(head, format!("origin body: {e}")),
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    head.extend_from_slice(&data);
                }
            }
        }
    }
    Head { bytes: head.freeze(), ended: false, failure: None }
}

impl Head {
    /// Nothing read yet.
    pub fn none() -> Head {
        Head { bytes: Bytes::new(), ended: false, failure: None }
    }

    /// Nothing was read: the body is untouched.
    pub fn is_none(&self) -> bool {
        self.bytes.is_empty() && !self.ended && self.failure.is_none()
    }

    /// The whole body unchanged: these bytes, then the rest of `body` (or the failure).
    pub fn then(self, body: Incoming) -> UnsyncBoxBody<Bytes, BoxError> {
        let rest = (!self.ended).then_some(body);
        let mut cut = Cut::default();
        if let Some(why) = self.failure {
            cut.set(why);
        }
        Replay { head: Some(self.bytes), cut, rest }.boxed_unsync()
    }

    fn cut(head: BytesMut, why: String) -> Head {
        Head { bytes: head.freeze(), ended: true, failure: Some(why) }
    }
}

/// The `trackstrip_passthrough_total` reason for a body that is not in its declared coding.
pub fn reason(coding: Coding) -> &'static str {
    match coding {
        Coding::Gzip => "not_gzip",
        Coding::Deflate => "not_deflate",
        Coding::Brotli => "not_br",
        Coding::Zstd => "not_zstd",
        Coding::Identity => "not_identity", // never: an identity body is not probed
    }
}

/// A body whose first bytes were read already.
struct Replay {
    head: Option<Bytes>,
    cut: Cut,
    rest: Option<Incoming>,
}

impl Body for Replay {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if let Some(head) = this.head.take().filter(|h| !h.is_empty()) {
            return Poll::Ready(Some(Ok(Frame::data(head))));
        }
        if this.cut.is_set() {
            return this.cut.poll(cx);
        }
        match this.rest.as_mut() {
            Some(rest) => Pin::new(rest).poll_frame(cx).map_err(Into::into),
            None => Poll::Ready(None),
        }
    }
}

/// True if `head` can be the start of a `coding` body. An empty body decodes as anything.
pub async fn decodes(coding: Coding, head: &[u8]) -> bool {
    if head.is_empty() {
        return true;
    }
    match coding {
        Coding::Identity => true,
        Coding::Gzip => head.starts_with(&[0x1f, 0x8b][..head.len().min(2)]),
        Coding::Zstd => is_zstd(head),
        Coding::Deflate => is_zlib(head),
        Coding::Brotli => trial_decode(coding, &head[..head.len().min(TRIAL_BYTES)]).await,
    }
}

/// A zstd frame, or a skippable frame (magic 0x184D2A50..=0x184D2A5F), little-endian.
fn is_zstd(head: &[u8]) -> bool {
    const FRAME: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
    let n = head.len().min(4);
    if head[..n] == FRAME[..n] {
        return true;
    }
    match head {
        [lo, rest @ ..] if lo & 0xf0 == 0x50 => [0x2a, 0x4d, 0x18].starts_with(&rest[..rest.len().min(3)]),
        _ => false,
    }
}

/// RFC 1950: method 8 (deflate), window ≤ 32 KiB, and the header's check bits.
fn is_zlib(head: &[u8]) -> bool {
    let cmf = head[0];
    if cmf & 0x0f != 8 || cmf >> 4 > 7 {
        return false;
    }
    head.get(1).is_none_or(|&flg| (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0)
}

/// Decodes the start: an error other than "ran out of input" means it is not this coding.
async fn trial_decode(coding: Coding, start: &[u8]) -> bool {
    let mut decoder = super::coding::decoder(coding, std::io::Cursor::new(start.to_vec()));
    let mut sink = vec![0u8; 16 * 1024];
    loop {
        match decoder.read(&mut sink).await {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) => return e.kind() == std::io::ErrorKind::UnexpectedEof,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    async fn encode(coding: Coding, data: &[u8]) -> Vec<u8> {
        use async_compression::tokio::write as enc;
        let mut out = Vec::new();
        match coding {
            Coding::Gzip => write_all(enc::GzipEncoder::new(&mut out), data).await,
            Coding::Deflate => write_all(enc::ZlibEncoder::new(&mut out), data).await,
            Coding::Brotli => write_all(enc::BrotliEncoder::new(&mut out), data).await,
            Coding::Zstd => write_all(enc::ZstdEncoder::new(&mut out), data).await,
            Coding::Identity => out.extend_from_slice(data),
        }
        out
    }

    async fn write_all<W: tokio::io::AsyncWrite + Unpin>(mut w: W, data: &[u8]) {
        w.write_all(data).await.expect("encode");
        w.shutdown().await.expect("finish");
    }

    const PAGES: [&[u8]; 4] = [
        b"<!DOCTYPE html><html><head><title>t</title></head><body><p>Hello</p></body></html>",
        b"<html><body>short</body></html>",
        b"\xef\xbb\xbf<!doctype html>\n<p>BOM first</p>",
        b"   \n\n<html lang=en>",
    ];

    #[tokio::test]
    async fn encoded_pages_decode_and_plain_pages_do_not() {
        for coding in [Coding::Gzip, Coding::Deflate, Coding::Brotli, Coding::Zstd] {
            for page in PAGES {
                let encoded = encode(coding, page).await;
                assert!(decodes(coding, &encoded).await, "{coding:?} body of {page:?}");
                // Any start of a real body is a possible start.
                assert!(decodes(coding, &encoded[..encoded.len() / 2]).await, "{coding:?} half of {page:?}");
                assert!(!decodes(coding, page).await, "plain {page:?} declared {coding:?}");
            }
        }
    }

    #[tokio::test]
    async fn one_coding_is_not_another() {
        let page = PAGES[0];
        let gz = encode(Coding::Gzip, page).await;
        let zst = encode(Coding::Zstd, page).await;
        assert!(!decodes(Coding::Zstd, &gz).await);
        assert!(!decodes(Coding::Deflate, &gz).await);
        assert!(!decodes(Coding::Gzip, &zst).await);
        assert!(!decodes(Coding::Brotli, &gz).await);
    }

    #[tokio::test]
    async fn empty_and_skippable_starts() {
        assert!(decodes(Coding::Gzip, b"").await);
        assert!(decodes(Coding::Gzip, b"\x1f").await);
        assert!(!decodes(Coding::Gzip, b"<").await);
        assert!(decodes(Coding::Zstd, &[0x5e, 0x2a, 0x4d, 0x18, 0, 0, 0, 0]).await);
    }
}
