//! CI's smoke of the `request` fuzz target, on stable: every kept input (fuzz/corpus/request)
//! sent as a client's bytes into the proxy's real connection handler over an in-memory stream.
//! No panic, and every connection ends. The process first moves into a network namespace of
//! its own, so nothing a mutated input names can be reached; without the right to do that
//! (not root) the test says so and checks nothing.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use trackstrip::ca::{LeafCache, LocalCa};
use trackstrip::proxy::{ProxyConfig, ProxyState, serve_io};
use trackstrip::rules::{LiveRules, Rules};
use trackstrip::telemetry::Telemetry;
use trackstrip::upstream::Pins;

#[test]
fn every_kept_request_input_gets_an_answer_or_a_close() {
    // SAFETY: unshare takes no pointers; it changes this thread's namespaces, inherited by the
    // threads started below.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        eprintln!("skipped: needs root for a network namespace ({})", std::io::Error::last_os_error());
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/request");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok().map(|e| e.path())).collect();
    inputs.sort();
    assert!(inputs.len() > 100, "the kept corpus is in the repository");

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
    let ca_dir = tempfile::tempdir().unwrap();
    let leaves = LeafCache::new(Arc::new(LocalCa::create(ca_dir.path()).unwrap()), 64).unwrap();
    let mut config = ProxyConfig { listen: vec![], leaves: Some(Arc::new(leaves)), ..ProxyConfig::default() };
    config.upstream.system_roots = false;
    config.upstream.pins = Pins::new([("*".to_string(), IpAddr::from([127, 0, 0, 1]))]);
    config.upstream.connect_timeout = Duration::from_secs(1);
    config.refused_addrs = vec![SocketAddr::from(([127, 0, 0, 1], 8080))];
    let rules = Arc::new(LiveRules::fixed(Arc::new(Rules::bundled().unwrap())));
    let state = Arc::new(ProxyState::new(config, rules, Arc::new(Telemetry::new())).unwrap());

    for path in &inputs {
        let data = std::fs::read(path).unwrap();
        rt.block_on(async {
            let (client, server) = tokio::io::duplex(16 * 1024);
            let conn = tokio::spawn(serve_io(state.clone(), server, SocketAddr::from(([127, 0, 0, 1], 50_000))));
            let (mut rd, mut wr) = tokio::io::split(client);
            let send = async {
                let _ = wr.write_all(&data).await;
                let _ = wr.flush().await;
            };
            let receive = async {
                let mut buf = vec![0u8; 16 * 1024];
                while matches!(rd.read(&mut buf).await, Ok(n) if n > 0) {}
            };
            let bound = Duration::from_secs(600);
            let done = tokio::time::timeout(bound, async { tokio::join!(send, receive) }).await;
            assert!(done.is_ok(), "{}: still open after {bound:?} (virtual)", path.display());
            drop((rd, wr));
            if let Err(e) = conn.await {
                assert!(!e.is_panic(), "{}: the connection handler panicked", path.display());
            }
        });
    }
}
