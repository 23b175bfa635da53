//! The proxy's request handling on arbitrary client bytes.
//!
//! The input is what a client sends on one connection (HTTP/1.1 requests, a CONNECT and what
//! follows it, an HTTP/2 preface...). It goes into trackstrip's real connection handler
//! (`proxy::serve_io`: the same hyper settings and service as an accepted TCP connection)
//! over an in-memory stream; whatever comes back is read until the proxy closes the
//! connection. Checks: no panic, and the connection ends (within a bound of virtual time).
//!
//! Nothing may leave the machine: the process first moves into a network namespace of its own,
//! with no interface up, so every upstream fetch, CONNECT tunnel and DNS lookup fails at once.
//! (It must run as root, or under `unshare -rn`.) Names are also pinned to 127.0.0.1.
//! The runtime's clock is paused and auto-advances, so timeouts cost no wall time.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trackstrip::ca::{LeafCache, LocalCa};
use trackstrip::proxy::{ProxyConfig, ProxyState, serve_io};
use trackstrip::rules::{LiveRules, Rules};
use trackstrip::telemetry::Telemetry;
use trackstrip::upstream::Pins;

struct Env {
    rt: tokio::runtime::Runtime,
    state: Arc<ProxyState>,
    /// `TRACKSTRIP_FUZZ_ECHO=1`: print what the proxy answered (to look at one input).
    echo: bool,
}

/// Leaves the machine's network: a new, empty network namespace for this process.
fn offline() {
    // SAFETY: unshare takes no pointers; it only changes this thread's namespaces (and those
    // of the threads it starts later: the runtime's blocking pool).
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        eprintln!(
            "request fuzzing needs its own network namespace so that no request leaves the machine: \
             run as root, or under `unshare -rn` ({})",
            std::io::Error::last_os_error()
        );
        std::process::exit(2);
    }
}

static ENV: LazyLock<Env> = LazyLock::new(|| {
    offline();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().expect("runtime");
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
    Env { rt, state, echo: std::env::var_os("TRACKSTRIP_FUZZ_ECHO").is_some() }
});

/// Virtual time one input may take (the proxy's own timeouts are 30 s and up).
const BOUND: Duration = Duration::from_secs(600);

fuzz_target!(|data: &[u8]| {
    let env = &*ENV;
    env.rt.block_on(async {
        let (client, server) = tokio::io::duplex(16 * 1024);
        let peer = SocketAddr::from(([127, 0, 0, 1], 50_000));
        let conn = tokio::spawn(serve_io(env.state.clone(), server, peer));
        let (mut rd, mut wr) = tokio::io::split(client);
        // The write side stays open, as a client waiting for its answers keeps it: the
        // connection ends by the proxy's own timeouts (instant on the paused clock) or when it
        // closes. (A client's EOF would make hyper drop requests still in flight.)
        let send = async {
            let _ = wr.write_all(data).await;
            let _ = wr.flush().await;
        };
        let receive = async {
            let mut buf = vec![0u8; 16 * 1024];
            while let Ok(n) = rd.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                if env.echo {
                    eprint!("{}", String::from_utf8_lossy(&buf[..n]));
                }
            }
        };
        let done = tokio::time::timeout(BOUND, async { tokio::join!(send, receive) }).await;
        assert!(done.is_ok(), "the connection was still open after {BOUND:?} of (virtual) time");
        if let Err(e) = conn.await
            && e.is_panic()
        {
            std::panic::resume_unwind(e.into_panic());
        }
    });
});
