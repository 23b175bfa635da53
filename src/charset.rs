//! Which encoding a page is in, from what the transport said, a BOM, or a `<meta>` prescan.
//! lol_html rewrites ASCII-compatible encodings only; anything else passes through untouched.

use encoding_rs::Encoding;

/// What to do with a page's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Rewrite in this encoding. `settled`: the transport, a BOM or a `<meta>` in the first
    /// bytes said so, and no later `<meta>` can change it (as in a browser, where the first
    /// charset `<meta>` makes the encoding certain). Else lol_html still follows a later one.
    Rewrite { encoding: &'static Encoding, settled: bool },
    /// An encoding lol_html can't parse (UTF-16, ISO-2022-JP...): pass the bytes through.
    PassThrough(&'static Encoding),
}

/// How many leading bytes the `<meta>` prescan looks at (as the HTML standard does).
pub const PRESCAN_BYTES: usize = 1024;

/// Decides from the page's first bytes (`head`; only the first [`PRESCAN_BYTES`] count) and the charset label
/// the transport gave (Content-Type), if any.
pub fn detect(head: &[u8], transport_label: Option<&str>) -> Charset {
    // A BOM beats everything else.
    if let Some((enc, _)) = Encoding::for_bom(head) {
        return decide(enc, true);
    }
    if let Some(enc) = transport_label.and_then(|l| Encoding::for_label_no_replacement(l.trim().as_bytes())) {
        return decide(enc, true);
    }
    if let Some(enc) = meta_charset(head) {
        // A <meta> can't truly declare UTF-16 (the bytes it was read from are ASCII).
        let enc = if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE { encoding_rs::UTF_8 } else { enc };
        return decide(enc, true);
    }
    Charset::Rewrite { encoding: encoding_rs::UTF_8, settled: false }
}

fn decide(enc: &'static Encoding, settled: bool) -> Charset {
    if enc.is_ascii_compatible() { Charset::Rewrite { encoding: enc, settled } } else { Charset::PassThrough(enc) }
}

/// The charset named by the first `<meta charset=...>` or `<meta http-equiv content="...charset=...">`.
pub fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let head = &head[..head.len().min(PRESCAN_BYTES)];
    let lower: Vec<u8> = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'<', &lower[from..]) {
        let at = from + i;
        if lower[at..].starts_with(b"<!--") {
            // A commented-out <meta> says nothing (the standard's prescan skips comments).
            // Its end is the first `-->` after `<!`, so `<!-->` is a whole comment.
            let e = memchr::memmem::find(&lower[at + 2..], b"-->")?;
            from = at + 2 + e + 3;
            continue;
        }
        if !lower[at..].starts_with(b"<meta") {
            from = at + 1;
            continue;
        }
        let start = at + 5;
        let end = memchr::memchr(b'>', &lower[start..]).map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = memchr::memmem::find(tag, b"charset") {
            let rest = &tag[c + 7..];
            let rest = rest.trim_ascii_start();
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = rest.trim_ascii_start();
                let rest = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")).unwrap_or(rest);
                let label_end = rest
                    .iter()
                    .position(|&b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>' | b'\t' | b'\n' | b'\r'))
                    .unwrap_or(rest.len());
                if let Some(enc) = Encoding::for_label(&rest[..label_end]) {
                    return Some(enc);
                }
            }
        }
        from = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_in_order() {
        let utf16 = [0xFF, 0xFE, b'<', 0];
        assert_eq!(detect(&utf16, Some("utf-8")), Charset::PassThrough(encoding_rs::UTF_16LE));
        let meta = b"<html><head><META http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\">";
        assert_eq!(detect(meta, None), Charset::Rewrite { encoding: encoding_rs::WINDOWS_1251, settled: true });
        assert_eq!(
            detect(meta, Some("iso-8859-2")),
            Charset::Rewrite { encoding: encoding_rs::ISO_8859_2, settled: true }
        );
        assert_eq!(detect(b"<meta charset='iso-2022-jp'>", None), Charset::PassThrough(encoding_rs::ISO_2022_JP));
        assert_eq!(
            detect(b"<meta charset=utf-16>", None),
            Charset::Rewrite { encoding: encoding_rs::UTF_8, settled: true }
        );
        let commented = b"<!-- <meta charset=koi8-r> --><meta charset=windows-1252>";
        assert_eq!(detect(commented, None), Charset::Rewrite { encoding: encoding_rs::WINDOWS_1252, settled: true });
        assert_eq!(
            detect(b"<!-- <meta charset=koi8-r>", None),
            Charset::Rewrite { encoding: encoding_rs::UTF_8, settled: false }
        );
        assert_eq!(detect(b"<p>plain", None), Charset::Rewrite { encoding: encoding_rs::UTF_8, settled: false });
    }
}
