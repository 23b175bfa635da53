//! Content-Encoding: which ones trackstrip can decode and re-encode (gzip, deflate, br, zstd).

use async_compression::tokio::bufread as codec;
use std::pin::Pin;
use tokio::io::{AsyncBufRead, AsyncRead};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    /// HTTP's "deflate" is zlib-wrapped deflate (RFC 9110).
    Deflate,
    Brotli,
    Zstd,
}

impl Coding {
    /// Parses a Content-Encoding value. Err(value) for an encoding (or a stack of several)
    /// that trackstrip can't undo: such bodies pass through unstripped.
    pub fn parse(value: Option<&str>) -> Result<Coding, String> {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(Coding::Identity);
        };
        Ok(match v.to_ascii_lowercase().as_str() {
            "identity" => Coding::Identity,
            "gzip" | "x-gzip" => Coding::Gzip,
            "deflate" => Coding::Deflate,
            "br" => Coding::Brotli,
            "zstd" => Coding::Zstd,
            _ => return Err(v.to_string()),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Coding::Identity => "identity",
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Brotli => "br",
            Coding::Zstd => "zstd",
        }
    }
}

pub type BoxRead = Pin<Box<dyn AsyncRead + Send>>;

/// Decodes `input` (the body as received).
pub fn decoder<R: AsyncBufRead + Send + 'static>(coding: Coding, input: R) -> BoxRead {
    match coding {
        Coding::Identity => Box::pin(input),
        Coding::Gzip => Box::pin(multi(codec::GzipDecoder::new(input))),
        Coding::Deflate => Box::pin(codec::ZlibDecoder::new(input)),
        Coding::Brotli => Box::pin(codec::BrotliDecoder::new(input)),
        Coding::Zstd => Box::pin(codec::ZstdDecoder::new(input)),
    }
}

/// Gzip bodies may be several members back to back (concatenated files); read them all.
fn multi<R: AsyncBufRead>(mut d: codec::GzipDecoder<R>) -> codec::GzipDecoder<R> {
    d.multiple_members(true);
    d
}

/// Encodes `input` (the stripped body) the way it came. A fast level: the page is streaming.
pub fn encoder<R: AsyncBufRead + Send + 'static>(coding: Coding, input: R) -> BoxRead {
    use async_compression::Level;
    match coding {
        Coding::Identity => Box::pin(input),
        Coding::Gzip => Box::pin(codec::GzipEncoder::with_quality(input, Level::Precise(5))),
        Coding::Deflate => Box::pin(codec::ZlibEncoder::with_quality(input, Level::Precise(5))),
        Coding::Brotli => Box::pin(codec::BrotliEncoder::with_quality(input, Level::Precise(4))),
        Coding::Zstd => Box::pin(codec::ZstdEncoder::with_quality(input, Level::Precise(3))),
    }
}

#[cfg(test)]
mod tests {
    use super::Coding;

    #[test]
    fn parse_codings() {
        assert_eq!(Coding::parse(None), Ok(Coding::Identity));
        assert_eq!(Coding::parse(Some(" GZIP ")), Ok(Coding::Gzip));
        assert_eq!(Coding::parse(Some("br")), Ok(Coding::Brotli));
        assert_eq!(Coding::parse(Some("gzip, br")), Err("gzip, br".into()));
        assert_eq!(Coding::parse(Some("compress")), Err("compress".into()));
    }
}
