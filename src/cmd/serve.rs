//! `trackstrip serve`: flags → a validated proxy config → listen until SIGINT/SIGTERM.

use super::{CmdError, load_rules};
use crate::cli::ServeArgs;
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use trackstrip::ca::{LeafCache, LocalCa};
use trackstrip::proxy::{Mode, ProxyConfig, serve};
use trackstrip::upstream::{Pins, UpstreamOptions, parse_pin};

pub fn run(args: &ServeArgs) -> Result<ExitCode, CmdError> {
    let mut config = config(args)?;
    if !args.no_intercept {
        config.leaves = Some(Arc::new(leaves(args)?));
    }
    let rules = Arc::new(load_rules(&args.rules)?);
    tracing::info!(version = %rules.version, sources = rules.sources.len(), "rules loaded");
    let grace = Duration::from_secs(args.shutdown_grace);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CmdError::io("cannot start the async runtime"))?;
    rt.block_on(async move {
        let listening = serve(config, rules, grace).await.map_err(|e| CmdError::Usage(e.to_string()))?;
        for addr in &listening.addrs {
            eprintln!("trackstrip: listening on {addr}");
        }
        let stop = listening.stopper();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down: draining in-flight requests");
            let _ = stop.send(true);
        });
        listening.wait().await;
        Ok(ExitCode::SUCCESS)
    })
}

pub fn config(args: &ServeArgs) -> Result<ProxyConfig, CmdError> {
    let mut listen = Vec::new();
    for l in &args.listen {
        let addrs: Vec<SocketAddr> = l
            .to_socket_addrs()
            .map_err(|e| {
                CmdError::Usage(format!("--listen {l:?}: {e} (expected ADDR:PORT, e.g. 127.0.0.1:8080 or [::1]:8080)"))
            })?
            .collect();
        let Some(first) = addrs.first() else {
            return Err(CmdError::Usage(format!("--listen {l:?}: no address")));
        };
        if !first.ip().is_loopback() {
            return Err(CmdError::Usage(format!(
                "--listen {l}: not a loopback address. trackstrip refuses to serve a network without access \
                 control (that would make it an open proxy); listen on 127.0.0.1 or [::1]."
            )));
        }
        listen.push(*first);
    }
    let mode = match &args.upstream {
        None => Mode::Forward,
        Some(u) => {
            let url = url::Url::parse(u).map_err(|e| CmdError::Usage(format!("--upstream {u:?}: {e}")))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(CmdError::Usage(format!("--upstream {u:?}: must be an http:// or https:// URL")));
            }
            Mode::Reverse { upstream: url }
        }
    };
    let pins = args
        .resolve
        .iter()
        .map(|p| parse_pin(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CmdError::Usage(e.to_string()))?;
    let upstream = UpstreamOptions {
        extra_roots: args.extra_roots.clone(),
        pins: Pins::new(pins),
        connect_timeout: Duration::from_secs(args.connect_timeout.max(1)),
        ..UpstreamOptions::default()
    };
    Ok(ProxyConfig {
        listen,
        mode,
        upstream,
        enforce: !args.report_only,
        header: !args.no_header,
        response_timeout: Duration::from_secs(args.response_timeout.max(1)),
        body_idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
        max_header_bytes: args.max_header_bytes.max(8192),
        leaves: None,
        skip_intercept: args
            .skip_intercept
            .iter()
            .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
            .collect(),
    })
}

/// The CA (made on first use) and its cache of site certificates.
fn leaves(args: &ServeArgs) -> Result<LeafCache, CmdError> {
    let dir = super::ca::dir(&args.ca);
    let (ca, created) = LocalCa::load_or_create(&dir).map_err(|e| CmdError::Usage(e.to_string()))?;
    if created {
        eprintln!(
            "trackstrip: made a local CA to intercept HTTPS: {}\n  trust it in your browser to browse HTTPS through trackstrip (README: \"Trusting the CA\"), or run with --no-intercept",
            ca.cert_path().display()
        );
    }
    LeafCache::new(Arc::new(ca), 10_000).map_err(|e| CmdError::Usage(e.to_string()))
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
