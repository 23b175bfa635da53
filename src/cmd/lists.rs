//! `trackstrip lists update|status`: the built-in list and the subscribed filter lists in the
//! data directory.

use super::CmdError;
use crate::cli::ListsCommand;
use std::path::PathBuf;
use std::process::ExitCode;
use trackstrip::config::{ListSource, LoadedConfig, Settings};
use trackstrip::rules::lists::{ListHeader, builtin};
use trackstrip::rules::{ListOrigin, is_network_filter};
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
        ListsCommand::Status { config, data_dir, builtin_list_url } => {
            let mut s = settings(config, &[], data_dir, &[])?;
            s.lists.builtin_url.clone_from(builtin_list_url);
            builtin_status(&s);
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
    s.lists.add.extend(lists.iter().cloned());
    if data_dir.is_some() {
        s.data_dir = data_dir.clone();
    }
    s.extra_roots.extend(extra_roots.iter().cloned());
    Ok(s)
}

/// The built-in list in force where `serve` would use it: title, version, age, filters, and
/// whether the snapshot or a downloaded copy.
fn builtin_status(s: &Settings) {
    if !s.lists.builtin {
        println!("built-in list {}: off (lists.builtin = false)", builtin::NAME);
        return;
    }
    let list = builtin::current(super::builtin_list::copy_path(s).as_deref());
    let h = ListHeader::read(&list.text);
    let filters = list.text.lines().filter(|l| is_network_filter(l)).count();
    let age = h
        .last_modified
        .as_deref()
        .and_then(unix_time)
        .map_or("age unknown".into(), |t| format!("{} old", ago(unix_now().saturating_sub(t))));
    let origin = match &list.origin {
        ListOrigin::Downloaded(p) => format!("downloaded copy {}", p.display()),
        _ => "built in".to_string(),
    };
    println!(
        "{} (built-in list {})\n  version {} · {age} · {filters} filters · {origin}",
        h.title.as_deref().unwrap_or("untitled"),
        builtin::NAME,
        h.version.as_deref().unwrap_or("unknown"),
    );
    match super::builtin_list::subscription(s) {
        None => println!("  updates off (lists.update = false): the snapshot stays"),
        Some(sub) => match ListStore::new(&s.data_dir()).meta(&sub.url) {
            Some(m) => println!(
                "  {} checked {} ago · next check in {}",
                sub.url,
                ago(unix_now().saturating_sub(m.checked)),
                ago(m.checked.saturating_add(m.expires_secs).saturating_sub(unix_now())),
            ),
            None => println!("  {}: not downloaded yet (serve checks it 15 min after start)", sub.url),
        },
    }
}

/// `14 Jul 2026 09:53 UTC` (a list's `! Last modified:`) as unix seconds.
fn unix_time(text: &str) -> Option<u64> {
    let mut words = text.split_whitespace();
    let day: u8 = words.next()?.parse().ok()?;
    let month = words.next()?.get(..3)?.to_ascii_lowercase();
    let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let month = u8::try_from(months.iter().position(|m| *m == month)? + 1).ok()?;
    let year: i32 = words.next()?.parse().ok()?;
    let (hour, minute) = words.next().and_then(|t| t.split_once(':')).unwrap_or(("0", "0"));
    let date = time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let at = date.with_hms(hour.parse().ok()?, minute.parse().ok()?, 0).ok()?;
    u64::try_from(at.assume_utc().unix_timestamp()).ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_modified_dates_read_as_unix_time() {
        assert_eq!(unix_time("14 Jul 2026 09:53 UTC"), Some(1_784_022_780));
        assert_eq!(unix_time("1 January 1970 00:00 UTC"), Some(0));
        assert_eq!(unix_time("31 Feb 2026 09:53 UTC"), None);
        assert_eq!(unix_time("yesterday"), None);
    }
}
