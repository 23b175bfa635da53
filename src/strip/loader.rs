//! Inline loaders judged by what they load, and scripts held back by consent platforms.
//!
//! A loader names no vendor the snippet table knows, but it names a URL: when the rules or a
//! privacy list call that URL a tracker, the script is one too (snippets.toml `[loader]`).
//! A consent-gated script is judged as the script it becomes once the reader accepts
//! (`[consent]`).

use super::script_scan::{globals_in, urls_in};
use super::state::State;
use crate::audit::{Action, AuditEvent, Party};
use crate::policy::{Decision, Reason, RequestKind, Verdict, classify, decode_amp};
use crate::rules::{Category, ConsentMarkers, ListQuery};
use lol_html::send::Element;

/// A consent platform's hold on a script: which marker, and the category it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConsentGate {
    pub marker: String,
    pub category: String,
}

impl ConsentGate {
    pub fn describe(&self) -> String {
        if self.category.is_empty() {
            format!("consent-gated ({})", self.marker)
        } else {
            format!("consent-gated ({}: {})", self.marker, self.category)
        }
    }
}

/// The consent marker on a script whose type is not JavaScript, if any. JSON is data.
pub(crate) fn consent_gate(el: &Element<'_, '_>, ty: &str, markers: &ConsentMarkers) -> Option<ConsentGate> {
    if ty.to_ascii_lowercase().contains("json") {
        return None;
    }
    for a in &markers.attributes {
        if let Some(v) = el.get_attribute_cow(a) {
            return Some(ConsentGate { marker: a.clone(), category: v.trim().chars().take(80).collect() });
        }
    }
    let class = el.get_attribute_cow("class")?;
    class.split_ascii_whitespace().find_map(|c| {
        let prefix = markers.classes.iter().find(|p| c.len() >= p.len() && c[..p.len()].eq_ignore_ascii_case(p))?;
        let category = c[prefix.len()..].trim_start_matches(['-', '_']).chars().take(80).collect();
        Some(ConsentGate { marker: format!("class {prefix}"), category })
    })
}

/// A tracker URL a loader names, with the verdict on it.
struct Target {
    url: String,
    host: String,
    verdict: Verdict,
}

impl State {
    /// Is this inline script a loader of tracker URLs? Then the stub that replaces it, after
    /// recording one event per tracker host it names.
    pub(crate) fn judge_loader(&mut self, script: &[u8], line: usize, gate: Option<&ConsentGate>) -> Option<String> {
        let rules = self.rules.clone();
        let rule = rules.snippets.loader.as_ref()?;
        if !rule.may_be_loader(script) {
            return None;
        }
        let targets = self.tracker_targets(script);
        if targets.is_empty() {
            return None;
        }
        let globals = globals_in(script, |n| rule.is_global_candidate(n));
        let stub = rule.stub_for(&globals);
        let mut detail = format!("inline loader ({} bytes) replaced by {}", script.len(), rule.rule.location());
        if !globals.is_empty() {
            detail.push_str(&format!(" keeping {} callable", globals.join(", ")));
        }
        if let Some(g) = gate {
            detail = format!("{}; {detail}", g.describe());
        }
        for t in targets {
            let mut ev = AuditEvent::tracker(Action::Replace, "script", "#text", &t.verdict);
            ev.reason = Reason::Loader;
            ev.party = Party::Third;
            ev.url = Some(t.url);
            ev.host = Some(t.host);
            ev.detail = Some(detail.clone());
            ev.line = line;
            self.record(ev, 0);
        }
        self.stubbed_globals.extend(globals);
        Some(stub)
    }

    /// The third-party URLs in the script that the rules or a privacy list block, one per host.
    /// An allowed URL or an ad-only list hit makes no loader.
    fn tracker_targets(&self, script: &[u8]) -> Vec<Target> {
        let mut out: Vec<Target> = Vec::new();
        for raw in urls_in(script) {
            let Some(res) = self.page.resolve(raw) else { continue };
            if out.iter().any(|t| *t.host == *res.host) {
                continue;
            }
            let kind = if is_image_path(&res.path) { RequestKind::Image } else { RequestKind::Script };
            let judged = classify(&self.rules, &self.page, &res, kind);
            let Decision::Tracker(verdict) = judged.decision else { continue };
            // Ad-only verdicts (EasyList, the bundled advertising hosts) make no loader unless a
            // privacy list also calls the URL a tracker: an ad tag is not this rule's business.
            let ads_only = verdict.category == Category::Advertising && !self.privacy_list_blocks(&res, kind);
            if !judged.third_party || ads_only {
                continue;
            }
            let url = decode_amp(&res.to_url_string()).into_owned();
            out.push(Target { url, host: res.host.into_owned(), verdict });
        }
        out
    }

    /// A script that only calls globals a loader stub now answers: the calls go with it.
    pub(crate) fn judge_calls(&mut self, script: &[u8], line: usize) -> bool {
        if self.stubbed_globals.is_empty() || !crate::rules::only_calls(script, &self.stubbed_globals) {
            return false;
        }
        let Some(rule) = self.rules.snippets.loader.as_ref().map(|r| r.rule.clone()) else {
            return false;
        };
        let mut ev = AuditEvent::plain(Action::Remove, "script", "#text", Reason::Loader, Some(rule));
        ev.detail = Some(format!("calls into a stubbed loader's globals ({})", self.stubbed_globals.join(", ")));
        ev.line = line;
        self.record(ev, 0);
        true
    }
}

impl State {
    fn privacy_list_blocks(&self, res: &crate::policy::ResourceUrl<'_>, kind: RequestKind) -> bool {
        let Some(lists) = &self.rules.lists else { return false };
        let url = res.to_url_string();
        let q =
            ListQuery { url: &decode_amp(&url), host: &res.host, page_host: self.page.host(), third_party: true, kind };
        lists.check(&q).is_some_and(|hit| !hit.exception && hit.category != Category::Advertising)
    }
}

fn is_image_path(path: &str) -> bool {
    let p = path.split(['?', '#']).next().unwrap_or("").to_ascii_lowercase();
    [".gif", ".png", ".jpg", ".jpeg", ".webp"].iter().any(|e| p.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::is_image_path;

    #[test]
    fn image_paths() {
        assert!(is_image_path("/g.gif?v=1"));
        assert!(!is_image_path("/x.js?u=a.gif"));
    }
}
