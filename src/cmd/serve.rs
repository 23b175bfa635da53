//! `trackstrip serve`: settings → rules, CA, users → the proxy and its admin listener →
//! reload on SIGHUP and file changes, refresh subscribed lists → drain on SIGTERM/SIGINT.

use super::serve_settings as settings;
use super::{CmdError, builtin_list};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use trackstrip::admin::AdminListener;
use trackstrip::ca::{LeafCache, LocalCa};
use trackstrip::config::{LoadedConfig, Settings};
use trackstrip::proxy::serve;
use trackstrip::reload::Reloader;
use trackstrip::rules::LiveRules;
use trackstrip::subscriptions::{ListStore, Updated, unix_now};
use trackstrip::telemetry::Telemetry;
use trackstrip::upstream::build_client;

pub use settings::load;

pub fn run(loaded: LoadedConfig) -> Result<ExitCode, CmdError> {
    let s = loaded.settings;
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if s.workers > 0 {
        rt.worker_threads(s.workers);
    }
    let rt = rt.enable_all().build().map_err(CmdError::io("cannot start the async runtime"))?;
    rt.block_on(run_async(s))
}

async fn run_async(s: Settings) -> Result<ExitCode, CmdError> {
    let telemetry = Arc::new(Telemetry::new());
    let subscribed = settings::subscriptions(&s);
    if !subscribed.is_empty() {
        // First start: fetch lists that were never downloaded, so they apply from the start.
        refresh(&s, &subscribed, &telemetry, false).await;
    }
    let rules = Arc::new(LiveRules::load(settings::rule_options(&s))?);
    let current = rules.current();
    tracing::info!(version = %current.version, sources = current.sources.len(), "rules loaded");
    // Not when lists.add subscribes to the same URL (refreshed once, as that) or a list file
    // stands in for the built-in list (nothing of it to refresh).
    let builtin =
        builtin_list::subscription(&s).filter(|b| !subscribed.contains(&b.url) && builtin_list::in_use(&current));
    drop(current);
    let users = settings::users(&s)?;
    let mut config = settings::proxy_config(&s, users.clone());
    if s.intercept.enabled {
        config.leaves = Some(Arc::new(leaves(&s)?));
    }
    let admin = match s.admin.0 {
        Some(addr) => Some(AdminListener::bind(addr).await.map_err(|e| {
            CmdError::Usage(format!("admin listener {addr}: {e} (set admin = \"ADDR\" or --admin off)"))
        })?),
        None => None,
    };
    config.refused_addrs.extend(admin.as_ref().map(|a| a.addr));
    // Reloads are armed before the listening line: a rule change or SIGHUP that follows it
    // (a script, an orchestrator) must not be missed, and an early SIGHUP must not kill us.
    let reloader = Arc::new(Reloader { rules: rules.clone(), users, telemetry: telemetry.clone() });
    let _watcher = if s.watch {
        match reloader.clone().watch() {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!("cannot watch rule files, reload with SIGHUP: {e}");
                None
            }
        }
    } else {
        None
    };
    spawn_sighup(reloader.clone());
    let grace = Duration::from_secs(s.timeouts.shutdown_grace);
    let listening = serve(config, rules, telemetry.clone(), grace).await?;
    for addr in &listening.addrs {
        eprintln!("trackstrip: listening on {addr}");
    }
    let (admin_stop, admin_stopped) = watch::channel(false);
    let admin_task = admin.map(|a| {
        eprintln!("trackstrip: admin on http://{}/ (metrics, healthz, readyz, proxy.pac)", a.addr);
        a.spawn(listening.state(), settings::pac(&s), admin_stopped)
    });

    if let Some(sub) = builtin {
        tokio::spawn(builtin_list::keep_fresh(s.clone(), sub, telemetry.clone(), reloader.clone()));
    }
    if !subscribed.is_empty() {
        tokio::spawn(keep_lists_fresh(s.clone(), subscribed, telemetry, reloader));
    }

    let stop = listening.stopper();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: draining in-flight requests");
        let _ = stop.send(true);
    });
    listening.wait().await;
    let _ = admin_stop.send(true);
    if let Some(t) = admin_task {
        let _ = t.await;
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks every subscribed list that is due (all with `force`). True when one changed.
pub async fn refresh(s: &Settings, urls: &[url::Url], telemetry: &Telemetry, force: bool) -> bool {
    let store = ListStore::new(&s.data_dir());
    let client = match build_client(&settings::upstream(s)) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("cannot update lists: {e}");
            return false;
        }
    };
    let mut changed = false;
    for url in urls {
        match store.update(&client, url, force, Duration::from_secs(60)).await {
            Ok(Updated::Downloaded(n)) => {
                telemetry.list_update("updated");
                tracing::info!(%url, filters = n, "list downloaded");
                changed = true;
            }
            Ok(Updated::NotModified) => telemetry.list_update("unchanged"),
            Ok(Updated::Fresh) => {}
            Err(e) => {
                telemetry.list_update("failed");
                tracing::warn!("{e}");
            }
        }
    }
    changed
}

/// Re-checks lists when they expire; reloads the rules when one changed.
async fn keep_lists_fresh(s: Settings, urls: Vec<url::Url>, telemetry: Arc<Telemetry>, reloader: Arc<Reloader>) {
    let store = ListStore::new(&s.data_dir());
    loop {
        let next = urls.iter().map(|u| store.next_due(u)).min().unwrap_or(u64::MAX);
        // A failed download is retried within the hour, not at the list's full period.
        let wait = next.saturating_sub(unix_now()).clamp(60, 3600);
        tokio::time::sleep(Duration::from_secs(wait)).await;
        if refresh(&s, &urls, &telemetry, false).await && !s.watch {
            reloader.reload("lists updated");
        }
    }
}

fn spawn_sighup(reloader: Arc<Reloader>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // The handler is installed here, not inside the task, so it is in place on return.
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(hup) => hup,
            Err(e) => {
                tracing::warn!("cannot handle SIGHUP, rules reload only when files change: {e}");
                return;
            }
        };
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                reloader.reload("SIGHUP");
            }
        });
    }
}

/// The CA (made on first use) and its cache of site certificates.
fn leaves(s: &Settings) -> Result<LeafCache, CmdError> {
    let dir = s.ca_dir();
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
