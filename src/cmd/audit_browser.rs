//! `trackstrip audit --browser URL...`: pages loaded in headless Chromium through an
//! in-process listener, a few at a time, with a progress bar; one report per page and an
//! aggregate; a stopped run resumes from the reports already written. Exit 0 no tracker,
//! 1 trackers found, 2 error.

use super::CmdError;
use crate::cli::{AuditArgs, AuditFormat};
use futures_util::StreamExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use trackstrip::browser::{self, PageAudit, Setup, report};
use trackstrip::rules::Rules;
use trackstrip::upstream::{Pins, UpstreamOptions};

pub fn run(args: &AuditArgs, rules: Arc<Rules>) -> Result<ExitCode, CmdError> {
    let urls = urls(args)?;
    let browser = browser::find_browser(args.browser_path.as_deref()).map_err(|e| CmdError::Usage(e.to_string()))?;
    let pins = Pins::new(args.resolve.clone());
    // --resolve-cnames: the proxy the browser goes through resolves as `serve` does.
    let dns = super::cnames::dns(&args.cnames, pins.clone())?;
    let upstream = UpstreamOptions { extra_roots: args.extra_roots.clone(), pins, dns, ..UpstreamOptions::default() };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(CmdError::io("cannot start the async runtime"))?;
    let budget = Duration::from_secs(args.wait.clamp(1, 120));
    let mut setup = Setup::new(browser, rules, upstream, budget).map_err(|e| CmdError::Usage(e.to_string()))?;
    setup.social = !args.keep_social;
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).map_err(CmdError::io("cannot create the --out-dir"))?;
    }
    let audits = rt.block_on(audit_all(&setup, &urls, args));
    write_reports(args, &audits)?;
    let failed = audits.iter().any(|a| a.error.is_some());
    let found = audits.iter().any(has_trackers);
    Ok(ExitCode::from(if failed { 2 } else { u8::from(found) }))
}

/// The URLs from the command line and `--urls`, in order, without repeats.
fn urls(args: &AuditArgs) -> Result<Vec<String>, CmdError> {
    let mut urls: Vec<String> = args.targets.clone();
    if let Some(file) = &args.urls {
        let text = std::fs::read_to_string(file).map_err(CmdError::io("cannot read --urls"))?;
        urls.extend(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from));
    }
    let mut seen = std::collections::HashSet::new();
    urls.retain(|u| seen.insert(u.clone()));
    if urls.is_empty() {
        return Err(CmdError::Usage("audit --browser needs at least one URL (or --urls FILE)".into()));
    }
    if let Some(bad) = urls.iter().find(|u| !(u.starts_with("http://") || u.starts_with("https://"))) {
        return Err(CmdError::Usage(format!("{bad}: --browser audits http(s) URLs")));
    }
    Ok(urls)
}

async fn audit_all(setup: &Setup, urls: &[String], args: &AuditArgs) -> Vec<PageAudit> {
    let bar = indicatif::ProgressBar::new(urls.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} pages {elapsed} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let jobs = args.jobs.clamp(1, 16);
    let audits: Vec<(usize, PageAudit)> = futures_util::stream::iter(urls.iter().enumerate())
        .map(|(i, url)| {
            let bar = bar.clone();
            async move {
                let done = args.out_dir.as_deref().and_then(|d| already_done(d, url));
                let audit = match done {
                    Some(a) => a,
                    None => {
                        let a = browser::audit_page(setup, url, args.compare).await;
                        if let Some(dir) = &args.out_dir {
                            save_page(dir, &a);
                        }
                        a
                    }
                };
                bar.set_message(url.clone());
                bar.inc(1);
                (i, audit)
            }
        })
        .buffer_unordered(jobs)
        .collect()
        .await;
    bar.finish_and_clear();
    let mut audits = audits;
    audits.sort_by_key(|(i, _)| *i);
    audits.into_iter().map(|(_, a)| a).collect()
}

fn has_trackers(a: &PageAudit) -> bool {
    a.observed.as_ref().is_some_and(|l| l.requests.iter().any(|r| r.tracker.is_some() || !r.stripped.is_empty()))
}

/// `news.example-2024-story-1a2b3c4d`: readable, and unique by a hash of the whole URL.
fn slug(url: &str) -> String {
    let readable: String = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' })
        .take(60)
        .collect();
    let digest = ring::digest::digest(&ring::digest::SHA256, url.as_bytes());
    let hash: String = digest.as_ref()[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{hash}", readable.trim_matches('-'))
}

/// A report from an earlier run, if it completed (failed pages are tried again).
fn already_done(dir: &Path, url: &str) -> Option<PageAudit> {
    let text = std::fs::read_to_string(dir.join(format!("{}.audit.json", slug(url)))).ok()?;
    serde_json::from_str::<PageAudit>(&text).ok().filter(|a| a.error.is_none() && a.url == url)
}

fn save_page(dir: &Path, audit: &PageAudit) {
    let base = slug(&audit.url);
    let raw = serde_json::to_string(audit).unwrap_or_default();
    for (path, text) in [
        (dir.join(format!("{base}.audit.json")), raw),
        (dir.join(format!("{base}.json")), report::json(audit)),
        (dir.join(format!("{base}.html")), report::html(audit)),
    ] {
        if let Err(e) = write_atomic(&path, &text) {
            tracing::warn!(path = %path.display(), error = %e, "cannot write the page report");
        }
    }
}

fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp: PathBuf = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().map_or(std::borrow::Cow::Borrowed("report"), |n| n.to_string_lossy())
    ));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

fn write_reports(args: &AuditArgs, audits: &[PageAudit]) -> Result<(), CmdError> {
    let aggregate = report::aggregate(audits);
    if let Some(dir) = &args.out_dir {
        write_atomic(&dir.join("aggregate.json"), &report::aggregate_json(&aggregate))
            .map_err(CmdError::io("cannot write aggregate.json"))?;
    }
    let text = match (args.format, audits) {
        (AuditFormat::Json, [one]) => report::json(one),
        (AuditFormat::Html, [one]) => report::html(one),
        (AuditFormat::Table, [one]) => report::table(one),
        (AuditFormat::Json, _) => {
            let pages: Vec<serde_json::Value> =
                audits.iter().filter_map(|a| serde_json::from_str(&report::json(a)).ok()).collect();
            let agg: serde_json::Value = serde_json::from_str(&report::aggregate_json(&aggregate)).unwrap_or_default();
            serde_json::to_string_pretty(&serde_json::json!({ "pages": pages, "aggregate": agg })).unwrap_or_default()
        }
        (AuditFormat::Html, _) => {
            return Err(CmdError::Usage("--format html makes one page's report: use --out-dir for several".into()));
        }
        (AuditFormat::Table, _) if args.out_dir.is_some() => report::aggregate_table(&aggregate),
        (AuditFormat::Table, _) => {
            let pages: Vec<String> = audits.iter().map(report::table).collect();
            format!("{}\n{}", pages.join("\n"), report::aggregate_table(&aggregate))
        }
    };
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(CmdError::io("cannot write the report")),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slugs_are_readable_and_distinct() {
        let a = slug("https://news.example/2024/story?id=1");
        let b = slug("https://news.example/2024/story?id=2");
        assert!(a.starts_with("news.example-2024-story"), "{a}");
        assert_ne!(a, b);
    }
}
