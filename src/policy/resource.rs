//! A resource reference as written in a page (`src`, `href`...), resolved cheaply.
//!
//! Most references are absolute or root-relative, so host and path are sliced out of the
//! attribute without building a `url::Url`; only the rare relative path is joined properly.

use std::borrow::Cow;

/// What kind of request a reference makes, in the adblock engine's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestKind {
    Document,
    Subdocument,
    Script,
    Image,
    Stylesheet,
    Font,
    Media,
    Object,
    Ping,
    Xhr,
    Other,
}

impl RequestKind {
    pub fn adblock_name(self) -> &'static str {
        match self {
            RequestKind::Document => "document",
            RequestKind::Subdocument => "sub_frame",
            RequestKind::Script => "script",
            RequestKind::Image => "image",
            RequestKind::Stylesheet => "stylesheet",
            RequestKind::Font => "font",
            RequestKind::Media => "media",
            RequestKind::Object => "object",
            RequestKind::Ping => "ping",
            RequestKind::Xhr => "xmlhttprequest",
            RequestKind::Other => "other",
        }
    }
}

/// A network URL split into the parts rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceUrl<'a> {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// Lowercase, without port or userinfo.
    pub host: Cow<'a, str>,
    /// Path and query, starting with `/`, without the fragment.
    pub path: Cow<'a, str>,
}

impl ResourceUrl<'_> {
    /// The absolute URL, as a browser would request it.
    pub fn to_url_string(&self) -> String {
        // Not `format!`: this runs for every URL a list is asked about, and formatting costs
        // more than the copy.
        let mut url = String::with_capacity(self.scheme.len() + 3 + self.host.len() + self.path.len());
        for part in [self.scheme, "://", &self.host, &self.path] {
            url.push_str(part);
        }
        url
    }

    pub fn into_owned(self) -> ResourceUrl<'static> {
        ResourceUrl {
            scheme: self.scheme,
            host: Cow::Owned(self.host.into_owned()),
            path: Cow::Owned(self.path.into_owned()),
        }
    }
}

/// How a reference is written.
pub(crate) enum Written<'a> {
    /// `scheme://host/...` or `//host/...`: `scheme` is None for the scheme-relative form.
    Absolute { scheme: Option<&'static str>, rest: &'a str },
    /// `/path`, `path`, `?q`: resolved against the page.
    Relative(&'a str),
    /// `data:`, `javascript:`, `mailto:`, `#frag`...: never a network request to check.
    NotNetwork,
}

pub(crate) fn classify_written(raw: &str) -> Written<'_> {
    let s = raw.trim_ascii();
    if s.is_empty() || s.starts_with('#') {
        return Written::NotNetwork;
    }
    if let Some(rest) = s.strip_prefix("//") {
        return Written::Absolute { scheme: None, rest };
    }
    // A scheme is letters, digits, + - . before the first ':' (and before any / ? #).
    let scheme_end = s.bytes().position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')));
    if let Some(i) = scheme_end.filter(|&i| i > 0 && s.as_bytes()[i] == b':') {
        let scheme = &s[..i];
        let after = &s[i + 1..];
        let scheme = if scheme.eq_ignore_ascii_case("https") {
            "https"
        } else if scheme.eq_ignore_ascii_case("http") {
            "http"
        } else {
            return Written::NotNetwork;
        };
        let rest = after.trim_start_matches(['/', '\\']);
        return Written::Absolute { scheme: Some(scheme), rest };
    }
    Written::Relative(s)
}

/// Splits `host[:port]/path?query#frag` (what follows `//`).
pub(crate) fn split_authority(rest: &str) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
    // Byte searches: these delimiters are ASCII, and this runs for every URL in a page.
    let end = rest.bytes().position(|b| matches!(b, b'/' | b'?' | b'#' | b'\\')).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = memchr::memrchr(b'@', authority.as_bytes()).map_or(authority, |i| &authority[i + 1..]);
    let host = if hostport.starts_with('[') {
        memchr::memchr(b']', hostport.as_bytes()).map_or(hostport, |i| &hostport[..=i])
    } else {
        memchr::memchr(b':', hostport.as_bytes()).map_or(hostport, |i| &hostport[..i])
    };
    let host = host.trim_end_matches('.');
    if host.is_empty() {
        return None;
    }
    let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    };
    let mut path = &rest[end..];
    if let Some(h) = memchr::memchr(b'#', path.as_bytes()) {
        path = &path[..h];
    }
    let path = if path.is_empty() {
        Cow::Borrowed("/")
    } else if path.starts_with('/') {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(format!("/{}", path.replace('\\', "/")))
    };
    Some((host, path))
}

/// `&amp;` in an attribute value as written is `&` in the URL a browser requests.
pub fn decode_amp(s: &str) -> Cow<'_, str> {
    if s.contains("&amp;") { Cow::Owned(s.replace("&amp;", "&")) } else { Cow::Borrowed(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_parts() {
        let (h, p) = split_authority("User@B.Example.COM.:8080/a/b?c=1#x").unwrap();
        assert_eq!((&*h, &*p), ("b.example.com", "/a/b?c=1"));
        let (h, p) = split_authority("example.com").unwrap();
        assert_eq!((&*h, &*p), ("example.com", "/"));
        let (h, p) = split_authority("example.com?x").unwrap();
        assert_eq!((&*h, &*p), ("example.com", "/?x"));
        let (h, _) = split_authority("[::1]:443/").unwrap();
        assert_eq!(&*h, "[::1]");
        assert!(split_authority("/nohost").is_none());
    }

    #[test]
    fn written_forms() {
        assert!(matches!(classify_written(" data:image/gif;base64,R0"), Written::NotNetwork));
        assert!(matches!(classify_written("javascript:void(0)"), Written::NotNetwork));
        assert!(matches!(classify_written("#top"), Written::NotNetwork));
        assert!(matches!(
            classify_written("HTTPS://x.com/"),
            Written::Absolute { scheme: Some("https"), rest: "x.com/" }
        ));
        assert!(matches!(classify_written("//x.com/a"), Written::Absolute { scheme: None, rest: "x.com/a" }));
        assert!(matches!(classify_written("img/a.png"), Written::Relative("img/a.png")));
        assert!(matches!(classify_written("/img/a:b.png"), Written::Relative(_)));
    }
}
