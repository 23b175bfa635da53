//! Proxy test kit: in-process trackstrip on an ephemeral loopback port, hyper origins that
//! count their connections, and a reqwest client pointed at the proxy.

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use trackstrip::proxy::{Listening, ProxyConfig, serve};
use trackstrip::rules::LiveRules;
use trackstrip::telemetry::Telemetry;

pub type Body = BoxBody<Bytes, Infallible>;
type Handler = Arc<dyn Fn(Request<Incoming>) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> + Send + Sync>;

pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).boxed()
}

/// A body whose chunks the test sends when it wants (for streaming and cancellation tests).
pub fn channel_body() -> (mpsc::Sender<Bytes>, Body) {
    let (tx, rx) = mpsc::channel::<Bytes>(8);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
    });
    (tx, StreamBody::new(stream).boxed())
}

pub fn html(body: impl Into<Bytes>) -> Response<Body> {
    Response::builder().header("content-type", "text/html; charset=utf-8").body(full(body)).unwrap()
}

/// An HTTP/1.1 origin on 127.0.0.1 that counts connections opened and closed.
pub struct Origin {
    pub addr: SocketAddr,
    pub opened: Arc<AtomicUsize>,
    pub closed: Arc<AtomicUsize>,
}

impl Origin {
    pub async fn start<F, Fut>(handler: F) -> Origin
    where
        F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response<Body>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |req| Box::pin(handler(req)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (opened, closed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (o, c) = (opened.clone(), closed.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                o.fetch_add(1, Ordering::SeqCst);
                let (h, c) = (handler.clone(), c.clone());
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let h = h.clone();
                        async move { Ok::<_, Infallible>(h(req).await) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, svc).with_upgrades().await;
                    c.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        Origin { addr, opened, closed }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn connections(&self) -> usize {
        self.opened.load(Ordering::SeqCst)
    }
}

pub struct Proxy {
    pub addr: SocketAddr,
    /// Kept for the test's lifetime (the listeners run until the runtime ends).
    pub listening: Listening,
}

/// reqwest is built without a default crypto provider: use ring, like trackstrip.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Proxy {
    /// trackstrip on 127.0.0.1:0 with the bundled rules; `tweak` adjusts the config.
    pub async fn start(tweak: impl FnOnce(&mut ProxyConfig)) -> Proxy {
        let mut config = ProxyConfig { listen: vec!["127.0.0.1:0".parse().unwrap()], ..ProxyConfig::default() };
        tweak(&mut config);
        Proxy::start_with(config, Arc::new(LiveRules::fixed(crate::support::bundled()))).await
    }

    /// trackstrip with this config and these (possibly reloadable) rules.
    pub async fn start_with(config: ProxyConfig, rules: Arc<LiveRules>) -> Proxy {
        let telemetry = Arc::new(Telemetry::new());
        let listening = serve(config, rules, telemetry, Duration::from_secs(5)).await.expect("proxy starts");
        install_crypto();
        Proxy { addr: listening.addrs[0], listening }
    }

    pub fn telemetry(&self) -> Arc<Telemetry> {
        self.listening.state().telemetry.clone()
    }

    /// A client that sends every request through the proxy (absolute-form).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .proxy(reqwest::Proxy::all(format!("http://{}", self.addr)).unwrap())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Pins tracker host names to an address, as `--resolve` does.
pub fn pins(host_addr: &[(&str, std::net::IpAddr)]) -> trackstrip::upstream::Pins {
    trackstrip::upstream::Pins::new(host_addr.iter().map(|(h, a)| (h.to_string(), *a)))
}

/// Waits (bounded) until `cond` holds; for events that happen on other tasks. Not a timing
/// assertion: the bound only keeps a broken build from hanging.
pub async fn eventually(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never happened: {what}");
}

/// An origin that promises 100,000 bytes with these header lines (`name: value\r\n` each),
/// sends `body`, then closes the connection, or resets it with `reset`.
pub async fn cut_origin(head: String, body: Vec<u8>, reset: bool) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n{head}\r\n");
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(&body).await;
            let _ = s.flush().await;
            if reset {
                #[allow(deprecated)] // blocking on drop is what a reset needs here, and it's instant
                let _ = s.set_linger(Some(Duration::ZERO));
            }
            drop(s);
        }
    });
    addr
}
