//! One page load in a real browser, observed by an in-process trackstrip listener on an
//! ephemeral loopback port: report-only to see what the page does, enforcing to see what
//! trackstrip prevents. The listener, not the browser, is the record of every request.

use super::chromium::{self, BrowserError, Launch};
use super::model::{PageLoad, Request, Verdict};
use crate::ca::{LeafCache, LocalCa};
use crate::policy::PageContext;
use crate::proxy::{self, Flag, Observed, Observer, ProxyConfig};
use crate::rules::{LiveRules, Rules};
use crate::telemetry::Telemetry;
use crate::upstream::UpstreamOptions;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What every load of a run shares.
pub struct Setup {
    pub browser: PathBuf,
    pub rules: Arc<Rules>,
    pub upstream: UpstreamOptions,
    /// A CA made for this run only (the user's own CA is never touched), and its key's hash
    /// for the browser's trust list.
    pub leaves: Arc<LeafCache>,
    pub spki: String,
    pub budget: Duration,
    /// The enforcing load replaces social widgets and embeds by placeholders.
    pub social: bool,
    _ca_dir: tempfile::TempDir,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Browser(#[from] BrowserError),
    #[error("cannot start the audit's listener: {0}")]
    Listener(String),
    #[error("cannot make the audit's certificate authority: {0}")]
    Ca(String),
}

impl Setup {
    pub fn new(
        browser: PathBuf,
        rules: Arc<Rules>,
        upstream: UpstreamOptions,
        budget: Duration,
    ) -> Result<Setup, SessionError> {
        let dir = tempfile::tempdir().map_err(|e| SessionError::Ca(e.to_string()))?;
        let ca = LocalCa::create(dir.path()).map_err(|e| SessionError::Ca(e.to_string()))?;
        let key =
            std::fs::read_to_string(dir.path().join(crate::ca::CA_KEY)).map_err(|e| SessionError::Ca(e.to_string()))?;
        let spki = spki_hash(&key).ok_or_else(|| SessionError::Ca("unreadable CA key".into()))?;
        let leaves = LeafCache::new(Arc::new(ca), 256).map_err(|e| SessionError::Ca(e.to_string()))?;
        Ok(Setup { browser, rules, upstream, leaves: Arc::new(leaves), spki, budget, social: true, _ca_dir: dir })
    }

    /// Loads `url` once, report-only (`enforce` false) or enforcing.
    pub async fn load(&self, url: &str, enforce: bool) -> Result<PageLoad, SessionError> {
        let seen: Arc<Mutex<Vec<Observed>>> = Arc::default();
        let sink = seen.clone();
        let config = ProxyConfig {
            listen: vec![std::net::SocketAddr::from(([127, 0, 0, 1], 0))],
            upstream: self.upstream.clone(),
            enforce,
            social: self.social,
            header: false,
            leaves: Some(self.leaves.clone()),
            observer: Some(Observer(Arc::new(move |o| {
                if let Ok(mut v) = sink.lock() {
                    v.push(o);
                }
            }))),
            ..ProxyConfig::default()
        };
        let gpc_sent = config.signals.gpc;
        let rules = Arc::new(LiveRules::fixed(self.rules.clone()));
        let listening = proxy::serve(config, rules, Arc::new(Telemetry::new()), Duration::from_secs(2))
            .await
            .map_err(|e| SessionError::Listener(e.to_string()))?;
        let proxy = listening.addrs[0];
        let (browser, spki, budget, page) = (self.browser.clone(), self.spki.clone(), self.budget, url.to_string());
        let shown =
            tokio::task::spawn_blocking(move || Launch { browser: &browser, proxy, spki: &spki, budget }.load(&page))
                .await
                .map_err(|e| SessionError::Listener(e.to_string()))?;
        // Requests still streaming when the browser quit are written as they end.
        listening.shutdown(Duration::from_secs(2)).await;
        let shown = shown?;
        let page = PageContext::new(url).unwrap_or_else(|_| PageContext::unknown());
        let observed = std::mem::take(&mut *seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let text = chromium::visible_text(&shown.dom);
        Ok(PageLoad {
            mode: if enforce { "enforce" } else { "report" }.to_string(),
            requests: observed
                .into_iter()
                .filter(|o| o.method != "CONNECT" && !o.host.is_empty())
                .filter(|o| made_by_page(&page, o))
                .map(|o| request(&page, o))
                .collect(),
            console_errors: shown.console_errors,
            text_chars: text.chars().count(),
            text_sample: text.chars().take(2000).collect(),
            elapsed_ms: shown.elapsed.as_millis() as u64,
            gpc_sent,
        })
    }
}

/// Only the page's traffic is recorded: its own site's requests (the page, its redirects) and
/// what its documents asked for; not the browser's own (updates, network time...).
fn made_by_page(page: &PageContext, o: &Observed) -> bool {
    o.from_page || !page.is_third_party(&o.host)
}

fn request(page: &PageContext, o: Observed) -> Request {
    Request {
        third_party: page.is_third_party(&o.host),
        answered_locally: o.action == "block",
        method: o.method,
        url: o.url,
        host: o.host,
        kind: o.kind.to_string(),
        status: o.status,
        bytes: o.bytes_in,
        tracker: o.tracker.map(verdict),
        set_cookies: o.set_cookies,
        stripped: o.stripped.into_iter().map(verdict).collect(),
    }
}

fn verdict(f: Flag) -> Verdict {
    Verdict {
        name: f.name,
        owner: f.owner,
        category: f.category,
        action: f.action,
        rule: f.rule,
        via_cname: f.via_cname,
    }
}

/// base64(SHA-256(SubjectPublicKeyInfo)) of a PEM key: Chromium's certificate trust-list form.
fn spki_hash(key_pem: &str) -> Option<String> {
    use base64::Engine;
    use rcgen::PublicKeyData;
    let key = rcgen::KeyPair::from_pem(key_pem).ok()?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &key.subject_public_key_info());
    Some(base64::engine::general_purpose::STANDARD.encode(digest.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browsers_own_requests_are_not_the_pages() {
        let page = PageContext::new("https://news.example/story").unwrap();
        let seen = |host: &str, from_page: bool| Observed { host: host.into(), from_page, ..Observed::default() };
        assert!(made_by_page(&page, &seen("news.example", false)), "the page itself");
        assert!(made_by_page(&page, &seen("cdn.news.example", false)), "its own site");
        assert!(made_by_page(&page, &seen("www.google-analytics.com", true)), "asked for by the page");
        assert!(!made_by_page(&page, &seen("update.googleapis.com", false)), "component updates");
        assert!(!made_by_page(&page, &seen("clients2.google.com", false)), "network time");
    }
}
