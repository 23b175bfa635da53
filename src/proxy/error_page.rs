//! Short HTML pages for what went wrong upstream (502, 504) or with the request (400, 508...).

use super::{BoxError, ProxyBody};
use crate::audit::report::esc;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};

pub fn page(status: StatusCode, title: &str, detail: &str) -> Response<ProxyBody> {
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{status} {title}</title></head>\
         <body style=\"font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto\">\
         <h1>{title}</h1><p>{}</p><hr><p><small>trackstrip</small></p></body></html>\n",
        esc(detail),
        status = status.as_u16(),
        title = esc(title),
    );
    let mut resp = Response::new(Full::new(Bytes::from(html)).map_err(|e| -> BoxError { match e {} }).boxed_unsync());
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// 407: the proxy wants a user name and password (Basic).
pub fn proxy_auth_required() -> Response<ProxyBody> {
    let mut resp = page(
        StatusCode::PROXY_AUTHENTICATION_REQUIRED,
        "Sign in to the proxy",
        "This proxy asks for a user name and password. Your administrator can give you one.",
    );
    resp.headers_mut()
        .insert(header::PROXY_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"trackstrip\", charset=\"UTF-8\""));
    resp
}
