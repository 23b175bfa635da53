//! The `request` fuzz input: what a client sends on one connection (HTTP/1.1 requests, a
//! CONNECT and what follows it, an HTTP/2 preface...), and the proxy it goes to. Compiled into
//! both the libFuzzer target (fuzz/fuzz_targets/request.rs) and its replay on stable
//! (tests/fuzz_request.rs), so the two can't drift apart.
//!
//! The bytes go into trackstrip's real connection handler (`proxy::serve_io`: the same hyper
//! settings and service as an accepted TCP connection) over an in-memory stream; whatever
//! comes back is read until the proxy closes the connection. Checks: no panic, and the
//! connection ends within [`BOUND`] of virtual time.
//!
//! Nothing may leave the machine: [`offline`] first moves the calling thread (and the threads it
//! starts later) into a network namespace of its own, with no interface up, so every upstream
//! fetch, CONNECT tunnel and DNS lookup fails at once. (That needs root, or `unshare -rn`.)
//! Names are also pinned to 127.0.0.1. The runtime's clock is paused and auto-advances, so
//! timeouts cost no wall time.
#![allow(dead_code)] // each user reads only some of it

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trackstrip::ca::{LeafCache, LocalCa};
use trackstrip::proxy::{ProxyConfig, ProxyState, serve_io};
use trackstrip::rules::{LiveRules, Rules};
use trackstrip::telemetry::Telemetry;
use trackstrip::upstream::Pins;

/// Virtual time one input may take (the proxy's own timeouts are 30 s and up).
pub const BOUND: Duration = Duration::from_secs(600);

/// Leaves the machine's network: a new, empty network namespace for the calling thread, and
/// the threads it starts from now on (the runtime's blocking pool). Errs without the right to
/// (not root, not in a user namespace of its own).
pub fn offline() -> std::io::Result<()> {
    // SAFETY: unshare takes no pointers; it only changes this thread's namespaces.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The proxy under test, on a current-thread runtime whose clock is paused. Build it after
/// [`offline`], on the same thread.
pub struct Proxy {
    rt: tokio::runtime::Runtime,
    state: Arc<ProxyState>,
}

impl Proxy {
    pub fn new() -> Proxy {
        let rt =
            tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().expect("runtime");
        // A CA made for this run, so CONNECT + ClientHello reaches interception.
        let dir = std::env::temp_dir().join(format!("trackstrip-fuzz-ca-{}", std::process::id()));
        let ca = LocalCa::create(&dir).expect("CA");
        let _ = std::fs::remove_dir_all(&dir);
        let leaves = LeafCache::new(Arc::new(ca), 64).expect("leaf cache");

        let mut config = ProxyConfig { listen: vec![], leaves: Some(Arc::new(leaves)), ..ProxyConfig::default() };
        config.upstream.system_roots = false;
        config.upstream.pins = Pins::new([
            ("*".to_string(), IpAddr::from([127, 0, 0, 1])),
            ("news.example".to_string(), IpAddr::from([127, 0, 0, 1])),
        ]);
        config.upstream.connect_timeout = Duration::from_secs(1);
        config.skip_intercept = vec!["bank.example".into()];
        // A listener address to detect loops against, as `serve` would have bound.
        config.refused_addrs = vec![SocketAddr::from(([127, 0, 0, 1], 8080))];
        let rules = Arc::new(LiveRules::fixed(Arc::new(Rules::bundled().expect("bundled rules"))));
        let state = Arc::new(ProxyState::new(config, rules, Arc::new(Telemetry::new())).expect("proxy state"));
        Proxy { rt, state }
    }

    /// Sends `data` as a client's bytes on one connection and reads the answers until the
    /// proxy closes it (`echo`: printed to stderr). Returns how many bytes the proxy answered;
    /// errs when the connection outlives [`BOUND`] or its handler panicked.
    pub fn check(&self, data: &[u8], echo: bool) -> Result<usize, String> {
        self.rt.block_on(async {
            let (client, server) = tokio::io::duplex(16 * 1024);
            let peer = SocketAddr::from(([127, 0, 0, 1], 50_000));
            let conn = tokio::spawn(serve_io(self.state.clone(), server, peer));
            let (mut rd, mut wr) = tokio::io::split(client);
            // The write side stays open, as a client waiting for its answers keeps it: the
            // connection ends by the proxy's own timeouts (instant on the paused clock) or when
            // it closes. (A client's EOF would make hyper drop requests still in flight.)
            let send = async {
                let _ = wr.write_all(data).await;
                let _ = wr.flush().await;
            };
            let receive = async {
                let mut buf = vec![0u8; 16 * 1024];
                let mut answered = 0;
                while let Ok(n) = rd.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    answered += n;
                    if echo {
                        eprint!("{}", String::from_utf8_lossy(&buf[..n]));
                    }
                }
                answered
            };
            let done = tokio::time::timeout(BOUND, async { tokio::join!(send, receive) }).await;
            drop((rd, wr));
            let Ok(((), answered)) = done else {
                conn.abort();
                return Err(format!("the connection was still open after {BOUND:?} of (virtual) time"));
            };
            match conn.await {
                Err(e) if e.is_panic() => {
                    let p = e.into_panic();
                    let text = p
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    Err(format!("the connection handler panicked: {text}"))
                }
                _ => Ok(answered),
            }
        })
    }
}
