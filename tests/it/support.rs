//! Shared helpers: the bundled rules, one-call stripping, chunked feeding, a PRNG, and a
//! tiny loopback HTTP origin.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use trackstrip::audit::AuditEvent;
use trackstrip::policy::PageContext;
use trackstrip::rules::{ListSet, Rules};
use trackstrip::strip::{StripOptions, StripOutput, Stripper};

pub fn bundled() -> Arc<Rules> {
    static RULES: OnceLock<Arc<Rules>> = OnceLock::new();
    RULES.get_or_init(|| Arc::new(Rules::bundled().expect("bundled rules load"))).clone()
}

/// The bundled rules plus an ABP list given as text.
pub fn with_list(list: &str) -> Arc<Rules> {
    let files = trackstrip::rules::RuleFile::bundled_files();
    let lists = ListSet::from_texts(vec![("test-list.txt".into(), list.into())]);
    Arc::new(Rules::from_files(&files, Some(lists)).expect("rules load"))
}

pub fn page(url: &str) -> PageContext {
    PageContext::new(url).expect("valid page URL")
}

/// Strips a whole page, fed in chunks of the given sizes (cycled).
pub fn strip_chunked(
    rules: Arc<Rules>,
    url: &str,
    opts: StripOptions,
    input: &[u8],
    sizes: &[usize],
) -> (Vec<u8>, StripOutput) {
    let mut s = Stripper::new(rules, page(url), opts);
    let mut out = Vec::with_capacity(input.len());
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        out.extend_from_slice(&s.write(&rest[..n]));
        rest = &rest[n..];
        i += 1;
    }
    let done = s.finish();
    out.extend_from_slice(&done.tail);
    (out, done)
}

/// Strips with the bundled rules in one write; returns the page as text and the events.
pub fn strip(url: &str, html: &str) -> (String, Vec<AuditEvent>) {
    strip_with(bundled(), url, html)
}

pub fn strip_with(rules: Arc<Rules>, url: &str, html: &str) -> (String, Vec<AuditEvent>) {
    let (out, done) = strip_chunked(rules, url, StripOptions::with_lines(), html.as_bytes(), &[usize::MAX]);
    (String::from_utf8(out).expect("utf-8 output"), done.events)
}

pub use crate::common::rng::Rng;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

pub fn read_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

type Handler = Arc<dyn Fn(Request<Incoming>) -> Response<Full<Bytes>> + Send + Sync>;

/// Serves `handler` over HTTP/1.1 on 127.0.0.1 (an ephemeral port) from a background thread.
pub fn serve_http(handler: impl Fn(Request<Incoming>) -> Response<Full<Bytes>> + Send + Sync + 'static) -> SocketAddr {
    let handler: Handler = Arc::new(handler);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let h = handler.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let h = h.clone();
                        async move { Ok::<_, std::convert::Infallible>(h(req)) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, svc).await;
                });
            }
        });
    });
    addr
}

/// `trackstrip` with a home of its own: HOME, XDG_DATA_HOME and XDG_CONFIG_HOME point into a
/// fresh directory under cargo's test scratch space, so no test reads or writes the user's CA
/// or lists, and parallel tests don't race over one data directory. RUST_LOG is cleared.
pub fn trackstrip_cmd() -> std::process::Command {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("home-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&home).expect("a scratch home under CARGO_TARGET_TMPDIR");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_trackstrip"));
    cmd.env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("RUST_LOG");
    cmd
}
