//! What a request is for (script, image, page...), from the browser's own hints
//! (`Sec-Fetch-Dest`), else `Accept`, else the path's extension. It picks the answer given
//! to a blocked request and the resource type that filter lists match on.

use crate::policy::RequestKind;
use http::HeaderMap;

/// The kind, and whether this is a top-level navigation (which is never blocked: the user
/// asked for that page).
pub fn infer(headers: &HeaderMap, path: &str) -> (RequestKind, bool) {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let navigate = get("sec-fetch-mode") == Some("navigate") && get("sec-fetch-dest").is_none_or(|d| d == "document");
    if let Some(dest) = get("sec-fetch-dest") {
        let kind = match dest {
            "document" => Some(RequestKind::Document),
            "iframe" | "frame" | "fencedframe" => Some(RequestKind::Subdocument),
            "script" | "worker" | "sharedworker" | "serviceworker" | "audioworklet" | "paintworklet" => {
                Some(RequestKind::Script)
            }
            "image" => Some(RequestKind::Image),
            "style" => Some(RequestKind::Stylesheet),
            "font" => Some(RequestKind::Font),
            "audio" | "video" | "track" => Some(RequestKind::Media),
            "object" | "embed" => Some(RequestKind::Object),
            "report" => Some(RequestKind::Ping),
            "empty" => None, // fetch/XHR/beacon/ping: look further
            _ => None,
        };
        if let Some(k) = kind {
            return (k, navigate);
        }
        if get("sec-fetch-mode") == Some("no-cors") && get("content-type").is_some_and(|c| c.starts_with("text/ping")) {
            return (RequestKind::Ping, false);
        }
    }
    if get("ping-from").is_some() || get("ping-to").is_some() || get("content-type") == Some("text/ping") {
        return (RequestKind::Ping, false);
    }
    if let Some(accept) = get("accept") {
        let a = accept.to_ascii_lowercase();
        if a.starts_with("text/html") {
            return (RequestKind::Document, navigate);
        }
        if a.starts_with("image/") {
            return (RequestKind::Image, false);
        }
        if a.starts_with("text/css") {
            return (RequestKind::Stylesheet, false);
        }
        if a.contains("javascript") || a.contains("ecmascript") {
            return (RequestKind::Script, false);
        }
    }
    (by_extension(path), navigate)
}

fn by_extension(path: &str) -> RequestKind {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let ext = path.rsplit('/').next().and_then(|f| f.rsplit_once('.')).map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("js" | "mjs") => RequestKind::Script,
        Some("gif" | "png" | "jpg" | "jpeg" | "webp" | "avif" | "svg" | "ico" | "bmp") => RequestKind::Image,
        Some("css") => RequestKind::Stylesheet,
        Some("woff" | "woff2" | "ttf" | "otf" | "eot") => RequestKind::Font,
        Some("html" | "htm") => RequestKind::Subdocument,
        Some("mp4" | "webm" | "mp3" | "m4a" | "ogg") => RequestKind::Media,
        _ => RequestKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    fn hints_in_order() {
        assert_eq!(infer(&h(&[("sec-fetch-dest", "script")]), "/x"), (RequestKind::Script, false));
        assert_eq!(
            infer(&h(&[("sec-fetch-dest", "document"), ("sec-fetch-mode", "navigate")]), "/"),
            (RequestKind::Document, true)
        );
        assert_eq!(
            infer(&h(&[("sec-fetch-dest", "iframe"), ("sec-fetch-mode", "navigate")]), "/"),
            (RequestKind::Subdocument, false)
        );
        assert_eq!(infer(&h(&[("accept", "image/avif,image/webp,*/*")]), "/p"), (RequestKind::Image, false));
        assert_eq!(infer(&h(&[("sec-fetch-dest", "empty"), ("ping-to", "x")]), "/p"), (RequestKind::Ping, false));
        assert_eq!(infer(&HeaderMap::new(), "/a/analytics.js?v=1"), (RequestKind::Script, false));
        assert_eq!(infer(&HeaderMap::new(), "/p.gif"), (RequestKind::Image, false));
        assert_eq!(infer(&HeaderMap::new(), "/collect"), (RequestKind::Other, false));
    }
}
