//! Hot reload: rules, lists and the users file are read again on SIGHUP and when their files
//! change, and swapped in atomically. A broken file keeps what was loaded, says file:line,
//! and counts a reload failure.

use crate::access::Users;
use crate::rules::LiveRules;
use crate::telemetry::Telemetry;
use notify::{RecursiveMode, Watcher};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

pub struct Reloader {
    pub rules: Arc<LiveRules>,
    pub users: Option<Arc<Users>>,
    pub telemetry: Arc<Telemetry>,
}

impl Reloader {
    /// Reloads everything now. Returns false when something failed (and was kept as it was).
    pub fn reload(&self, why: &str) -> bool {
        let mut ok = true;
        match self.rules.reload() {
            Ok(rules) => {
                self.telemetry.rules_loaded(&rules.version);
                tracing::info!(version = %rules.version, sources = rules.sources.len(), "rules reloaded ({why})");
            }
            Err(e) => {
                ok = false;
                tracing::error!("rules reload failed ({why}), the previous rules stay in use: {e}");
            }
        }
        if let Some(users) = &self.users {
            match users.reload() {
                Ok(n) => tracing::info!(users = n, "users file reloaded"),
                Err(e) => {
                    ok = false;
                    tracing::error!("users reload failed, the previous users stay: {e}");
                }
            }
        }
        self.telemetry.reload(ok);
        ok
    }

    /// The files whose changes trigger a reload.
    pub fn watched_files(&self) -> Vec<PathBuf> {
        let opts = self.rules.options();
        let mut files: Vec<PathBuf> = opts.lists.iter().chain(&opts.subscribed).cloned().collect();
        if let Some(dir) = &opts.rules_dir {
            files.push(dir.clone());
        }
        if let Some(u) = &self.users {
            files.push(u.path().to_path_buf());
        }
        files
    }

    /// Watches the rule directory, list files and users file; reloads (debounced) on change.
    /// The watcher lives as long as the returned handle.
    pub fn watch(self: Arc<Self>) -> Result<notify::RecommendedWatcher, notify::Error> {
        let files = self.watched_files();
        let interesting: HashSet<PathBuf> = files.iter().map(|p| absolute(p)).collect();
        let (tx, mut rx) = mpsc::channel::<()>(16);
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            if event.kind.is_access() {
                return;
            }
            let hit = event.paths.iter().any(|p| {
                interesting.contains(p) || p.parent().is_some_and(|d| interesting.contains(d) && is_rule_file(p))
            });
            if hit {
                let _ = tx.try_send(());
            }
        })?;
        // Directories, not files: editors and `mv` replace files, which a file watch misses.
        let mut dirs: HashSet<PathBuf> = HashSet::new();
        for f in &files {
            let f = absolute(f);
            let dir = if f.is_dir() { f } else { f.parent().map(Path::to_path_buf).unwrap_or(f) };
            if dir.is_dir() && dirs.insert(dir.clone()) {
                watcher.watch(&dir, RecursiveMode::NonRecursive)?;
            }
        }
        tokio::spawn(async move {
            while rx.recv().await.is_some() {
                // Let a burst of writes (save, rename, chmod) settle into one reload.
                tokio::time::sleep(Duration::from_millis(250)).await;
                while rx.try_recv().is_ok() {}
                self.reload("a watched file changed");
            }
        });
        Ok(watcher)
    }
}

/// A rule or list file, or `..data`: Kubernetes updates a mounted ConfigMap by swapping that
/// link, and no file name in the directory changes.
fn is_rule_file(p: &Path) -> bool {
    p.extension().is_some_and(|x| x == "toml" || x == "txt") || p.file_name().is_some_and(|n| n == "..data")
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
