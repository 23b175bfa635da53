//! The proxy's request handling on arbitrary client bytes: no panic, and the connection ends.
//! The proxy, the way the bytes reach it and the checks are in fuzz/shared/request.rs, shared
//! with the stable replay of the corpus (tests/fuzz_request.rs).
//!
//! The process first moves into a network namespace of its own (root, or `unshare -rn`), so
//! nothing a mutated input names can be reached; without the right to, it exits with a message.
#![no_main]

#[path = "../shared/request.rs"]
mod request;

use std::sync::LazyLock;

struct Env {
    proxy: request::Proxy,
    /// `TRACKSTRIP_FUZZ_ECHO=1`: print what the proxy answered (to look at one input).
    echo: bool,
}

static ENV: LazyLock<Env> = LazyLock::new(|| {
    if let Err(e) = request::offline() {
        eprintln!(
            "request fuzzing needs its own network namespace so that no request leaves the machine: \
             run as root, or under `unshare -rn` ({e})"
        );
        std::process::exit(2);
    }
    Env { proxy: request::Proxy::new(), echo: std::env::var_os("TRACKSTRIP_FUZZ_ECHO").is_some() }
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let env = &*ENV;
    if let Err(e) = env.proxy.check(data, env.echo) {
        panic!("{e}");
    }
});
