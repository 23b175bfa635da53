//! Answers for blocked requests, made here so that nothing reaches the tracker: a 1x1
//! transparent GIF for images, an empty stylesheet for CSS, a no-op surrogate for well-known
//! analytics libraries (so pages calling `ga()`/`fbq()` keep working), 204 for the rest.

use super::{BoxError, ProxyBody};
use crate::policy::{RequestKind, ResourceUrl, Verdict};
use crate::rules::Rules;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};

/// The smallest transparent GIF (43 bytes).
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// What was sent back, for the log.
pub enum Answer {
    Gif,
    EmptyCss,
    Surrogate,
    NoContent,
}

impl Answer {
    pub fn as_str(&self) -> &'static str {
        match self {
            Answer::Gif => "gif",
            Answer::EmptyCss => "css",
            Answer::Surrogate => "surrogate",
            Answer::NoContent => "204",
        }
    }
}

pub fn respond(
    rules: &Rules,
    res: &ResourceUrl<'_>,
    kind: RequestKind,
    verdict: &Verdict,
    via_cname: Option<&str>,
    header: bool,
) -> (Response<ProxyBody>, Answer) {
    let surrogate = (kind == RequestKind::Script || kind == RequestKind::Other)
        .then(|| rules.snippets.surrogate_for(&res.host, &res.path))
        .flatten();
    let (status, ctype, body, answer) = match (kind, surrogate) {
        (_, Some((code, _))) => {
            (StatusCode::OK, Some("application/javascript; charset=utf-8"), Bytes::from(code), Answer::Surrogate)
        }
        (RequestKind::Image, _) => (StatusCode::OK, Some("image/gif"), Bytes::from_static(GIF), Answer::Gif),
        (RequestKind::Stylesheet, _) => (StatusCode::OK, Some("text/css"), Bytes::new(), Answer::EmptyCss),
        _ => (StatusCode::NO_CONTENT, None, Bytes::new(), Answer::NoContent),
    };
    let mut resp = Response::new(Full::new(body).map_err(|e| -> BoxError { match e {} }).boxed_unsync());
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    if let Some(ct) = ctype {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    // Cached briefly: the page may ask again, and the answer won't change.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    let mut said = format!("blocked; rule={}", verdict.rule.location());
    if let Some(via) = via_cname {
        // Header values are ASCII.
        said = format!("{said}; {}", via.replace('→', "->"));
    }
    if header && let Ok(v) = HeaderValue::from_str(&said) {
        h.insert("x-trackstrip", v);
    }
    (resp, answer)
}

/// The dashboard's record of a blocked request.
pub fn removal(v: &Verdict) -> crate::telemetry::recent::Removal {
    crate::telemetry::recent::Removal {
        what: v.name.to_string(),
        owner: Some(v.owner.to_string()),
        category: Some(v.category.as_str().to_string()),
        action: "block",
        rule: Some(v.rule.location()),
        count: 1,
    }
}
