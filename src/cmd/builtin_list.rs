//! `serve` keeps the built-in list (EasyPrivacy) fresh, as ad blockers do. The snapshot in the
//! binary is in force from the start, so a first start needs no network. The list's official
//! address is first checked 15 minutes after start, then whenever the list's `! Expires:`
//! period runs out. A download replaces the stored copy only when it is EasyPrivacy and whole;
//! the rules are then reloaded, and the copy is used instead of the snapshot when its
//! `! Version:` is later. Anything else keeps what is in force and logs why.

use super::serve_settings as settings;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use trackstrip::config::Settings;
use trackstrip::reload::Reloader;
use trackstrip::rules::lists::{ListHeader, builtin};
use trackstrip::rules::{ListInfo, ListOrigin, Rules, is_network_filter};
use trackstrip::subscriptions::{Expect, ListStore, Updated, unix_now};
use trackstrip::telemetry::Telemetry;
use trackstrip::upstream::build_client;

/// No check sooner than this after start: a restart loop must not hammer the publisher.
const FIRST_CHECK: Duration = Duration::from_secs(15 * 60);
/// A failed check is retried after this long rather than at once: the server is shared.
const RETRY: Duration = Duration::from_secs(3600);
const TIMEOUT: Duration = Duration::from_secs(60);

/// The built-in list's subscription: where from, and when.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub url: url::Url,
    first_check: Duration,
    retry: Duration,
}

/// What `serve` subscribes to, unless the built-in list is off or kept at its snapshot.
pub fn subscription(s: &Settings) -> Option<Subscription> {
    if !(s.lists.builtin && s.lists.update) {
        return None;
    }
    let url = s.lists.builtin_url.clone().or_else(|| url::Url::parse(builtin::URL).ok())?;
    let (first_check, retry) = s.lists.builtin_delay.map_or((FIRST_CHECK, RETRY), |d| (d, d));
    Some(Subscription { url, first_check, retry })
}

/// Do these rules hold the built-in list? Not when it is off, nor when a `--list` names
/// EasyPrivacy itself: then there is nothing for the subscription to refresh.
pub fn in_use(rules: &Rules) -> bool {
    builtin_info(rules).is_some()
}

fn builtin_info(rules: &Rules) -> Option<&ListInfo> {
    let lists = rules.lists.as_ref()?;
    lists.infos().iter().find(|i| matches!(i.origin, ListOrigin::Builtin | ListOrigin::Downloaded(_)))
}

/// Where a downloaded copy of the built-in list is kept (None: only the snapshot is used).
pub fn copy_path(s: &Settings) -> Option<PathBuf> {
    subscription(s).map(|sub| ListStore::new(&s.data_dir()).file_for(&sub.url))
}

/// A download must be EasyPrivacy, with at least half the snapshot's filters: the list grows
/// slowly, so a copy with far fewer was cut short at its source.
fn expect() -> Expect {
    let filters = builtin::snapshot().text.lines().filter(|l| is_network_filter(l)).count();
    Expect { title: builtin::snapshot_header().title, min_filters: filters / 2 }
}

/// Checks the list when due, for as long as `serve` runs.
pub async fn keep_fresh(s: Settings, sub: Subscription, telemetry: Arc<Telemetry>, reloader: Arc<Reloader>) {
    let store = ListStore::new(&s.data_dir());
    let client = match build_client(&settings::upstream(&s)) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("cannot keep the built-in list {} fresh, its snapshot stays: {e}", builtin::NAME);
            return;
        }
    };
    let expect = expect();
    let mut wait = sub.first_check.max(until(store.next_due(&sub.url)));
    tracing::info!(url = %sub.url, "built-in list {}: first check in {} s", builtin::NAME, wait.as_secs());
    loop {
        tokio::time::sleep(wait).await;
        wait = match store.update_expecting(&client, &sub.url, false, TIMEOUT, &expect).await {
            Ok(Updated::Downloaded(filters)) => {
                telemetry.list_update("updated");
                adopt(&store.file_for(&sub.url), filters, &reloader);
                until(store.next_due(&sub.url))
            }
            Ok(Updated::NotModified) => {
                telemetry.list_update("unchanged");
                until(store.next_due(&sub.url))
            }
            Ok(Updated::Fresh) => until(store.next_due(&sub.url)),
            Err(e) => {
                telemetry.list_update("failed");
                tracing::warn!(
                    "built-in list {} not updated, {} stays in force (next try in {} s): {e}",
                    builtin::NAME,
                    in_force(&reloader),
                    sub.retry.as_secs()
                );
                sub.retry
            }
        };
    }
}

/// A new copy was stored: reload when it would replace the version in force.
fn adopt(path: &std::path::Path, filters: usize, reloader: &Reloader) {
    let candidate = builtin::current(Some(path));
    let version = ListHeader::read(&candidate.text).version.unwrap_or_default();
    if !matches!(candidate.origin, ListOrigin::Downloaded(_)) {
        tracing::info!(
            "built-in list {} downloaded (version {version}, {filters} filters) but not newer: {} stays in force",
            builtin::NAME,
            in_force(reloader)
        );
        return;
    }
    if reloader.reload("built-in list updated") {
        tracing::info!("built-in list {}: {} now in force", builtin::NAME, in_force(reloader));
    }
}

/// "the snapshot (version V)" or "the downloaded copy PATH (version V)", as the rules in use
/// hold it.
fn in_force(reloader: &Reloader) -> String {
    let rules = reloader.rules.current();
    let Some(info) = builtin_info(&rules) else { return "no built-in list".into() };
    let version = info.header.version.as_deref().unwrap_or("unknown");
    match &info.origin {
        ListOrigin::Downloaded(p) => format!("the downloaded copy {} (version {version})", p.display()),
        _ => format!("the snapshot (version {version})"),
    }
}

/// From now until `due` (unix seconds); at least a second, so a clock jump can't spin.
fn until(due: u64) -> Duration {
    Duration::from_secs(due.saturating_sub(unix_now()).max(1))
}
