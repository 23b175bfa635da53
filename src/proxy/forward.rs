//! The upstream fetch: one request to the origin over the pooled client, with a deadline for
//! its response headers, and failures turned into pages that say what happened (502: refused,
//! no such host, bad certificate; 504: too slow).

use super::error_page::page;
use super::upload;
use super::{ProxyBody, ProxyState};
use crate::upstream::{MAX_RESPONSE_HEAD, head_size};
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

pub async fn fetch(state: &ProxyState, req: Request<ProxyBody>) -> Result<Response<Incoming>, Response<ProxyBody>> {
    let host = req.uri().host().unwrap_or("the site").to_string();
    let timeout = state.config.response_timeout;
    // The deadline is for the origin's answer: it starts once the request body is sent, so a
    // slow upload is not blamed on the origin.
    let (req, sent) = upload::watch(req);
    let deadline = async move {
        if let Some(sent) = sent {
            let _ = sent.await;
        }
        tokio::time::sleep(timeout).await;
    };
    let answer = tokio::select! {
        r = state.client.request(req) => Ok(r),
        () = deadline => Err(()),
    };
    match answer {
        Ok(Ok(resp)) if head_size(resp.headers()) > MAX_RESPONSE_HEAD => {
            // Dropping the unread response closes that upstream connection.
            state.telemetry.upstream_error("protocol");
            let (_, title, detail) = head_too_large(&host);
            Err(page(StatusCode::BAD_GATEWAY, title, &detail))
        }
        Ok(Ok(resp)) => Ok(resp),
        Ok(Err(e)) => {
            tracing::debug!(%host, error = %chain(&e), "upstream request failed");
            let (kind, page) = error_page(&e, &host);
            if kind == "target" {
                state.telemetry.refused("target");
            } else if kind == "client" {
                // Not the origin's failure: no upstream error counted.
            } else {
                state.telemetry.upstream_error(kind);
            }
            Err(page)
        }
        Err(_) => {
            state.telemetry.upstream_error("timeout");
            Err(page(
                StatusCode::GATEWAY_TIMEOUT,
                "The site took too long",
                &format!("{host} sent no response within {} seconds.", timeout.as_secs()),
            ))
        }
    }
}

/// The page for a failed fetch, and its kind for the metrics.
fn error_page(e: &hyper_util::client::legacy::Error, host: &str) -> (&'static str, Response<ProxyBody>) {
    let text = chain(e);
    let lower = text.to_ascii_lowercase();
    let io_kind = io_kind(e);
    if let Some(at) = text.find(crate::upstream::REFUSED_BY_GUARD) {
        let why = text[at..].split_once(": ").map_or("", |(_, w)| w);
        return ("target", page(StatusCode::FORBIDDEN, "Address refused", &format!("{host}: {why}.")));
    }
    if client_body_failed(e) {
        let detail = format!("The request body could not be read from the client, so it was not sent on: {text}");
        return ("client", page(StatusCode::BAD_REQUEST, "Bad request body", &detail));
    }
    if io_kind == Some(std::io::ErrorKind::TimedOut) || lower.contains("timed out") {
        let p =
            page(StatusCode::GATEWAY_TIMEOUT, "Connection timed out", &format!("Connecting to {host} took too long."));
        return ("timeout", p);
    }
    let (kind, title, detail) = if io_kind == Some(std::io::ErrorKind::ConnectionRefused) {
        ("refused", "Connection refused", format!("{host} refused the connection (nothing is listening there)."))
    } else if lower.contains("dns")
        || lower.contains("lookup")
        || lower.contains("name or service not known")
        || lower.contains("no address")
    {
        ("dns", "Host not found", format!("No address was found for {host}."))
    } else if lower.contains("certificate") || lower.contains("unknownissuer") || lower.contains("notvalidforname") {
        (
            "tls",
            "Certificate not accepted",
            format!("{host}'s TLS certificate could not be verified, so trackstrip did not connect: {text}"),
        )
    } else if lower.contains("message head is too large") {
        // hyper's own limit, met while reading: the same answer as the check on a parsed head.
        head_too_large(host)
    } else if e.is_connect() {
        ("connect", "Cannot connect", format!("Connecting to {host} failed: {text}"))
    } else {
        let detail = format!("{host} closed the connection or answered with something that is not HTTP: {text}");
        ("protocol", "The site failed", detail)
    };
    (kind, page(StatusCode::BAD_GATEWAY, title, &detail))
}

/// The origin's response head went over `MAX_RESPONSE_HEAD`, found by hyper or by `fetch`.
fn head_too_large(host: &str) -> (&'static str, &'static str, String) {
    let limit = MAX_RESPONSE_HEAD / 1024;
    let detail =
        format!("{host} sent more than {limit} KB of response headers; trackstrip accepts at most {limit} KB.");
    ("protocol", "Response headers too large", detail)
}

/// The client's own request body broke (a bad chunk, a short upload): hyper reports it as a
/// user error while sending.
fn client_body_failed(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.downcast_ref::<hyper::Error>().is_some_and(|h| h.is_user()) {
            return true;
        }
        cur = err.source();
    }
    false
}

fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}

pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}
