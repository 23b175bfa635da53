//! `trackstrip lists update|status`: the subscribed filter lists in the data directory.

use super::CmdError;
use crate::cli::ListsCommand;
use std::path::PathBuf;
use std::process::ExitCode;
use trackstrip::config::{ListSource, LoadedConfig, Settings};
use trackstrip::subscriptions::{ListStore, unix_now};
use trackstrip::telemetry::Telemetry;

pub fn run(cmd: &ListsCommand) -> Result<ExitCode, CmdError> {
    match cmd {
        ListsCommand::Update { config, lists, data_dir, extra_roots, force } => {
            let s = settings(config, lists, data_dir, extra_roots)?;
            let urls = super::serve_settings::subscriptions(&s);
            if urls.is_empty() {
                return Err(CmdError::Usage(
                    "no list URL: add lists = [\"https://...\"] to the config, or --list URL".into(),
                ));
            }
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(CmdError::io("cannot start the async runtime"))?;
            let telemetry = Telemetry::new();
            rt.block_on(super::serve::refresh(&s, &urls, &telemetry, *force));
            let failed = status(&s, &urls);
            Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        ListsCommand::Status { config, data_dir } => {
            let s = settings(config, &[], data_dir, &[])?;
            let urls = super::serve_settings::subscriptions(&s);
            status(&s, &urls);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn settings(
    config: &Option<PathBuf>,
    lists: &[ListSource],
    data_dir: &Option<PathBuf>,
    extra_roots: &[PathBuf],
) -> Result<Settings, CmdError> {
    let mut s = match config {
        Some(c) => trackstrip::config::load(c)?,
        None => LoadedConfig::defaults(),
    }
    .settings;
    s.lists.extend(lists.iter().cloned());
    if data_dir.is_some() {
        s.data_dir = data_dir.clone();
    }
    s.extra_roots.extend(extra_roots.iter().cloned());
    Ok(s)
}

/// One line per list; true if one has no usable copy.
fn status(s: &Settings, urls: &[url::Url]) -> bool {
    let store = ListStore::new(&s.data_dir());
    let now = unix_now();
    let mut missing = false;
    for u in urls {
        match store.meta(u) {
            Some(m) => println!(
                "{u}\n  {} · {} filters · checked {} ago · next check in {}",
                store.file_for(u).display(),
                m.filters,
                ago(now.saturating_sub(m.checked)),
                ago(m.checked.saturating_add(m.expires_secs).saturating_sub(now)),
            ),
            None => {
                missing = true;
                println!("{u}\n  not downloaded yet ({})", store.file_for(u).display());
            }
        }
    }
    missing
}

fn ago(secs: u64) -> String {
    match secs {
        0..120 => format!("{secs} s"),
        120..7200 => format!("{} min", secs / 60),
        7200..172_800 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}
