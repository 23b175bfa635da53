//! The system's Chromium, headless: found, launched with a fresh profile through the audit's
//! own listener, and asked for the final DOM once the page's network has gone quiet
//! (`--virtual-time-budget` bounds the wait). Uncaught script errors come from its log.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error(
        "no Chromium or Chrome found (looked at --browser-path, $CHROMIUM, $CHROME and PATH for chromium, \
         chromium-browser, google-chrome). Install one (Debian/Ubuntu: apt-get install chromium) or pass --browser-path"
    )]
    NotFound,
    #[error("cannot start {path}: {source}")]
    Launch {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the browser did not finish loading {url} within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("the browser failed on {url}: {why}")]
    Failed { url: String, why: String },
}

/// Where the browser is: `--browser-path`, then `CHROMIUM` / `CHROME`, then PATH.
pub fn find(given: Option<&Path>) -> Result<PathBuf, BrowserError> {
    if let Some(p) = given {
        return if p.exists() { Ok(p.to_path_buf()) } else { Err(BrowserError::NotFound) };
    }
    for var in ["CHROMIUM", "CHROME"] {
        if let Some(p) = std::env::var_os(var).map(PathBuf::from).filter(|p| p.exists()) {
            return Ok(p);
        }
    }
    let path = std::env::var_os("PATH").ok_or(BrowserError::NotFound)?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"].map(|n| d.join(n)))
        .find(|p| p.exists())
        .ok_or(BrowserError::NotFound)
}

/// The browser's own traffic, off, so that a record holds only the page's: updates, network
/// time, safe browsing, variations, optimization hints, domain reliability, crash reports.
pub const BACKGROUND_OFF: &[&str] = &[
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--safebrowsing-disable-auto-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-component-extensions-with-background-pages",
    "--disable-field-trial-config",
    "--disable-breakpad",
    "--metrics-recording-only",
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,OptimizationGuideModelDownloading,\
     OptimizationHintsFetching,OptimizationTargetPrediction,Translate,MediaRouter,DialMediaRouteProvider,\
     AutofillServerCommunication,CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions",
];

/// What the browser showed.
pub struct Shown {
    pub dom: String,
    pub console_errors: Vec<String>,
    pub elapsed: Duration,
}

/// One page load through `proxy`, trusting only the key `spki` for HTTPS.
pub struct Launch<'a> {
    pub browser: &'a Path,
    pub proxy: std::net::SocketAddr,
    pub spki: &'a str,
    /// Virtual time the page gets to load and run its scripts.
    pub budget: Duration,
}

impl Launch<'_> {
    pub fn load(&self, url: &str) -> Result<Shown, BrowserError> {
        let profile = tempfile::tempdir().map_err(|source| self.launch_error(source))?;
        let mut cmd = Command::new(self.browser);
        cmd.args([
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-dev-shm-usage",
            "--enable-logging=stderr",
            "--v=0",
            // Everything goes through the listener, loopback pages included, and the browser
            // resolves no name itself.
            "--proxy-bypass-list=<-loopback>",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ])
        .args(BACKGROUND_OFF)
        .arg(format!("--proxy-server=http://{}", self.proxy))
        .arg(format!("--ignore-certificate-errors-spki-list={}", self.spki))
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--virtual-time-budget={}", self.budget.as_millis()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        if running_as_root() {
            // Chromium refuses to sandbox as root (containers, CI).
            cmd.arg("--no-sandbox");
        }
        let started = Instant::now();
        let child = cmd.spawn().map_err(|source| self.launch_error(source))?;
        let out = wait_bounded(child, self.budget * 3 + Duration::from_secs(30))
            .ok_or_else(|| BrowserError::Timeout { url: url.to_string(), secs: (self.budget * 3).as_secs() + 30 })?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() && out.stdout.is_empty() {
            let why = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output").to_string();
            return Err(BrowserError::Failed { url: url.to_string(), why });
        }
        Ok(Shown {
            dom: String::from_utf8_lossy(&out.stdout).into_owned(),
            console_errors: console_errors(&stderr),
            elapsed: started.elapsed(),
        })
    }

    fn launch_error(&self, source: std::io::Error) -> BrowserError {
        BrowserError::Launch { path: self.browser.to_path_buf(), source }
    }
}

/// Waits for the browser, killing it past `limit`.
fn wait_bounded(mut child: std::process::Child, limit: Duration) -> Option<std::process::Output> {
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = read(stdout.map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let err = read(stderr.map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    Some(std::process::Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// `...:INFO:CONSOLE:12] "Uncaught ReferenceError: ga is not defined", source: https://... (12)`
fn console_errors(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains(":CONSOLE"))
        .filter_map(|l| l.split_once("] \"").map(|(_, m)| m))
        .filter(|m| m.starts_with("Uncaught"))
        .map(|m| m.rsplit_once("\", source: ").map_or(m, |(msg, _)| msg).to_string())
        .collect()
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

/// The visible text of a DOM dump: no tags, scripts or styles, whitespace collapsed.
pub fn visible_text(dom: &str) -> String {
    let mut text = String::with_capacity(dom.len() / 2);
    let mut rest = dom;
    while let Some(lt) = rest.find('<') {
        text.push_str(&rest[..lt]);
        text.push(' ');
        rest = &rest[lt..];
        let lower: String = rest.chars().take(8).collect::<String>().to_ascii_lowercase();
        let skip_to = ["script", "style", "noscript"]
            .iter()
            .find(|t| lower.starts_with(&format!("<{t}")))
            .map(|t| format!("</{t}>"));
        let end = match skip_to {
            Some(close) => rest.to_ascii_lowercase().find(&close).map(|i| i + close.len()),
            None => rest.find('>').map(|i| i + 1),
        };
        rest = &rest[end.unwrap_or(rest.len())..];
    }
    text.push_str(rest);
    let text = text.replace("&nbsp;", " ").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncaught_errors_are_read_from_the_log() {
        let log = "[1:1:1125/1.0:INFO:CONSOLE:1] \"hello\", source: http://x/ (1)\n\
                   [1:1:1125/1.0:INFO:CONSOLE:7] \"Uncaught ReferenceError: ga is not defined\", source: http://x/a.html (7)\n";
        assert_eq!(console_errors(log), vec!["Uncaught ReferenceError: ga is not defined"]);
    }

    #[test]
    fn text_leaves_out_markup_scripts_and_styles() {
        let dom = "<html><head><style>p{}</style><script>var a = '<p>';</script></head>\
                   <body><h1>Title</h1><p>One &amp; two</p><noscript><img></noscript></body></html>";
        assert_eq!(visible_text(dom), "Title One & two");
    }

    #[test]
    fn a_missing_browser_path_is_not_found() {
        assert!(matches!(find(Some(Path::new("/no/such/chromium"))), Err(BrowserError::NotFound)));
    }
}
