//! Listening: bind every `--listen` address, accept connections (from allowed networks, up to
//! the connection limit), serve HTTP/1.1 and HTTP/2 on each with hyper, and stop gracefully
//! (in-flight requests finish, within a bound).

use super::idle::IdleTimeout;
use super::service::{self, ConnContext};
use super::{ProxyConfig, ProxyState};
use crate::rules::LiveRules;
use crate::telemetry::Telemetry;
use crate::upstream::{UpstreamError, build_client};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulConnection, GracefulShutdown};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
}

/// A running proxy: where it listens, and how to stop it.
pub struct Listening {
    pub addrs: Vec<SocketAddr>,
    state: Arc<ProxyState>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Listening {
    /// What the proxy shares with the admin listener (rules, counters, readiness).
    pub fn state(&self) -> Arc<ProxyState> {
        self.state.clone()
    }

    /// Stops accepting, lets in-flight requests finish for up to `grace`, then returns.
    pub async fn shutdown(self, grace: Duration) {
        self.state.draining.store(true, Ordering::Relaxed);
        let _ = self.stop.send(true);
        let all = futures_util::future::join_all(self.tasks);
        let _ = tokio::time::timeout(grace + Duration::from_millis(100), all).await;
    }

    /// Runs until the accept loops end (they only end on shutdown).
    pub async fn wait(self) {
        futures_util::future::join_all(self.tasks).await;
    }

    /// A handle that stops the proxy from elsewhere (a signal handler).
    pub fn stopper(&self) -> watch::Sender<bool> {
        self.stop.clone()
    }
}

/// Binds every address and starts serving. Returns once all are bound.
pub async fn serve(
    config: ProxyConfig,
    rules: Arc<LiveRules>,
    telemetry: Arc<Telemetry>,
    grace: Duration,
) -> Result<Listening, ServeError> {
    let mut state = ProxyState::new(config, rules, telemetry)?;
    let mut listeners = Vec::new();
    for &addr in &state.config.listen {
        let l = bind(addr, &state.config.listen).map_err(|source| ServeError::Bind { addr, source })?;
        let bound = l.local_addr().map_err(|source| ServeError::Bind { addr, source })?;
        listeners.push((l, bound));
    }
    let addrs: Vec<SocketAddr> = listeners.iter().map(|(_, a)| *a).collect();
    state.local_addrs.splice(0..0, addrs.iter().copied());
    state.telemetry.rules_loaded(&state.rules.current().version);
    let slots = Arc::new(Semaphore::new(state.config.max_connections.max(1)));
    let state = Arc::new(state);
    let (stop, stopped) = watch::channel(false);
    let tasks = listeners
        .into_iter()
        .map(|(l, addr)| {
            tracing::info!(%addr, "listening");
            tokio::spawn(accept_loop(l, state.clone(), slots.clone(), stopped.clone(), grace))
        })
        .collect();
    Ok(Listening { addrs, state, stop, tasks })
}

/// Binds `addr` as tokio would (SO_REUSEADDR, a backlog of 1024), except that an IPv6
/// wildcard listed beside the IPv4 wildcard on the same port is made IPv6-only: Linux's default
/// dual-stack socket would take the IPv4 port too, and the second bind would fail. `[::]`
/// alone stays dual-stack.
fn bind(addr: SocketAddr, all: &[SocketAddr]) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let wildcard = |a: &SocketAddr| a.ip().is_unspecified() && a.port() == addr.port();
    let beside_v4 =
        addr.is_ipv6() && wildcard(&addr) && addr.port() != 0 && all.iter().any(|a| a.is_ipv4() && wildcard(a));
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    if beside_v4 {
        socket.set_only_v6(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    TcpListener::from_std(socket.into())
}

impl ProxyState {
    /// What connections share, made without opening a socket: the upstream client and TLS
    /// settings. `local_addrs` starts as `config.refused_addrs`; `serve` adds what it binds.
    pub fn new(config: ProxyConfig, rules: Arc<LiveRules>, telemetry: Arc<Telemetry>) -> Result<Self, UpstreamError> {
        let client = build_client(&config.upstream)?;
        let roots = crate::upstream::root_store(&config.upstream.extra_roots, config.upstream.system_roots)?;
        let mut upgrade_tls = crate::upstream::client_tls_config(roots)?;
        upgrade_tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let (leaves, local_addrs) = (config.leaves.clone(), config.refused_addrs.clone());
        Ok(ProxyState {
            config,
            rules,
            telemetry,
            draining: Default::default(),
            client,
            upgrade_tls: Arc::new(upgrade_tls),
            leaves,
            local_addrs,
        })
    }
}

/// Serves one client connection on any byte stream until it ends, as `serve` serves an
/// accepted TCP connection (same hyper settings, service and idle timeout; the caller does
/// the accepting, so no `access.clients` check or connection slot). It exists for fuzzing
/// and tests, which feed the proxy from memory.
pub async fn serve_io<I>(state: Arc<ProxyState>, io: I, peer: SocketAddr)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = IdleTimeout::new(io, state.config.client_idle_timeout);
    if let Err(e) = connection(&builder(&state), &state, io, peer).await {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// hyper's connection settings, shared by plain and intercepted connections.
pub(super) fn builder(state: &ProxyState) -> auto::Builder<TokioExecutor> {
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(state.config.header_read_timeout)
        .max_buf_size(state.config.max_header_bytes.max(8192));
    b.http2().timer(TokioTimer::new()).max_header_list_size(state.config.max_header_bytes as u32);
    b
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<ProxyState>,
    slots: Arc<Semaphore>,
    mut stopped: watch::Receiver<bool>,
    grace: Duration,
) {
    let graceful = GracefulShutdown::new();
    let builder = builder(&state);
    loop {
        // At the connection limit, stop accepting: new clients wait in the backlog.
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => s,
            _ = stopped.changed() => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stopped.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        if !state.config.access.client_allowed(peer.ip()) {
            tracing::debug!(client = %peer.ip(), "connection refused: not in access.allow");
            state.telemetry.refused("network");
            continue;
        }
        let _ = stream.set_nodelay(true);
        let held = OpenConnection::new(slot, state.telemetry.clone());
        let io = IdleTimeout::new(stream, state.config.client_idle_timeout).holding(held);
        let conn = graceful.watch(connection(&builder, &state, io, peer));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    state.draining.store(true, Ordering::Relaxed);
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(?grace, "in-flight requests still running after the grace period; stopping anyway");
    }
}

/// One client connection (plain HTTP/1.1 or HTTP/2, upgrades allowed) on the proxy's service.
fn connection<I>(
    builder: &auto::Builder<TokioExecutor>,
    state: &Arc<ProxyState>,
    io: IdleTimeout<I>,
    peer: SocketAddr,
) -> impl GracefulConnection<Error = Box<dyn std::error::Error + Send + Sync>> + Send + 'static
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ctx = Arc::new(ConnContext::plain(peer));
    let st = state.clone();
    let svc = service_fn(move |req| service::handle(st.clone(), ctx.clone(), req));
    builder.serve_connection_with_upgrades(TokioIo::new(io), svc).into_owned()
}

/// A connection's slot under `max_connections`, and its place in the open-connections gauge.
struct OpenConnection {
    _slot: tokio::sync::OwnedSemaphorePermit,
    telemetry: Arc<Telemetry>,
}

impl OpenConnection {
    fn new(slot: tokio::sync::OwnedSemaphorePermit, telemetry: Arc<Telemetry>) -> Self {
        telemetry.connection_opened();
        OpenConnection { _slot: slot, telemetry }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.telemetry.connection_closed();
    }
}
