//! A real headless Chromium for tests: found via CHROMIUM/CHROME or PATH, installed with
//! apt-get (Debian's `chromium`) when absent and possible, so a fresh machine runs the tests.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The browser binary; panics with what to do when there is none and it can't be installed.
pub fn chromium() -> PathBuf {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match FOUND.get_or_init(|| find().map(Ok).unwrap_or_else(install)) {
        Ok(p) => p.clone(),
        Err(e) => panic!("{e}"),
    }
}

fn find() -> Option<PathBuf> {
    for var in ["CHROMIUM", "CHROME"] {
        if let Some(p) = std::env::var_os(var).map(PathBuf::from).filter(|p| p.exists()) {
            return Some(p);
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser", "google-chrome"].map(|n| d.join(n)))
        .find(|p| p.exists())
}

fn install() -> Result<PathBuf, String> {
    let how = "install Chromium (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM=/path/to/chrome";
    let apt = |args: &[&str]| {
        Command::new("apt-get").args(args).env("DEBIAN_FRONTEND", "noninteractive").status().is_ok_and(|s| s.success())
    };
    if !(apt(&["update", "-qq"]) && apt(&["install", "-y", "-qq", "chromium"])) {
        return Err(format!("no Chromium found and apt-get could not install it: {how}"));
    }
    find().ok_or_else(|| format!("apt-get installed chromium but it is not on PATH: {how}"))
}

/// The flags every test run uses: headless, no sandbox (containers), nothing phoning home,
/// a fresh profile.
pub fn headless(profile: &std::path::Path) -> Command {
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// Loads `url` (scripts run for up to `budget_ms` of virtual time) and returns the DOM.
pub fn dump_dom(url: &str, extra: &[&str], budget_ms: u32) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = headless(profile.path())
        .args(extra)
        .arg(format!("--virtual-time-budget={budget_ms}"))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
