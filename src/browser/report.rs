//! Dynamic audit reports: what a page did in a real browser, summarised the way The Markup's
//! Blacklight does (ad trackers, third-party cookies, Facebook pixel, Google Analytics remarketing,
//! session recording), as a table for people, JSON for machines and one self-contained HTML file
//! (`report_html.rs`). With `--compare`, what changed with trackstrip enforcing; [`aggregate`] rolls
//! many pages up.

use super::model::{PageAudit, PageLoad, Request, SCHEMA, Verdict};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Bumped when the aggregate JSON shape changes incompatibly.
pub const AGGREGATE_SCHEMA: &str = "trackstrip.browser-aggregate/1";

/// Session-recording hosts (and their subdomains), for requests no rule categorises.
const SESSION_REPLAY_HOSTS: &[(&str, &str, &str)] = &[
    ("hotjar.com", "Hotjar", "Hotjar Ltd"),
    ("fullstory.com", "FullStory", "FullStory"),
    ("clarity.ms", "Microsoft Clarity", "Microsoft"),
    ("mouseflow.com", "Mouseflow", "Mouseflow"),
    ("luckyorange.com", "Lucky Orange", "Lucky Orange"),
    ("luckyorange.net", "Lucky Orange", "Lucky Orange"),
    ("smartlook.com", "Smartlook", "Smartlook"),
    ("inspectlet.com", "Inspectlet", "Inspectlet"),
    ("mc.yandex.ru", "Yandex Metrica Webvisor", "Yandex"),
];

/// A service a rule (or the session-recording host list) names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Service {
    pub name: String,
    pub owner: String,
}

/// A distinct tracker service seen on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tracker {
    pub name: String,
    pub owner: String,
    pub category: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AdTrackers {
    /// Requests a rule flags as advertising.
    pub count: usize,
    /// Their owners, sorted.
    pub companies: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cookies {
    /// Distinct (host, cookie name) pairs set by third-party responses.
    pub count: usize,
    pub hosts: Vec<String>,
    /// The tracker owner of the setting request, else its host.
    pub companies: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub found: bool,
    /// The requests that show it (no query strings), in page order.
    pub urls: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Beacons {
    /// Third-party POSTs, `beacon`s and `ping`s.
    pub count: usize,
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cloaked {
    pub count: usize,
    /// The chains, `smetrics.news.example → news.example.sc.omtrdc.net`, each once.
    pub chains: Vec<String>,
}

/// A Blacklight-style summary of one page load.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub ad_trackers: AdTrackers,
    pub third_party_cookies: Cookies,
    /// connect.facebook.net/…/fbevents.js, www.facebook.com/tr.
    pub facebook_pixel: Evidence,
    /// stats.g.doubleclick.net/…/collect, www.google.com/ads/ga-audiences, viewthroughconversion.
    pub google_analytics_remarketing: Evidence,
    /// Rule category `session-replay`, else a known session-recording host.
    pub session_recording: Vec<Service>,
    /// Rule category `analytics`.
    pub analytics: Vec<Service>,
    pub beacons: Beacons,
    /// Requests to first-party names that DNS showed to be aliases of trackers.
    pub cname_cloaked: Cloaked,
    /// `Sec-GPC: 1` was sent: third-party cookies were set despite the reader's opt-out.
    pub gpc_sent: bool,
    /// Distinct tracker services: request verdicts and stripped page elements.
    pub trackers_total: usize,
    pub trackers: Vec<Tracker>,
    /// Distinct owners of those services.
    pub companies: Vec<String>,
    pub requests: usize,
    pub third_party_requests: usize,
    pub third_party_hosts: usize,
    /// Response body bytes from third parties.
    pub bytes_third_party: u64,
}

impl Summary {
    pub fn new(load: &PageLoad) -> Summary {
        let mut s = Summary { requests: load.requests.len(), gpc_sent: load.gpc_sent, ..Summary::default() };
        let (mut ads, mut hosts, mut beacon_hosts) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        let mut trackers: BTreeMap<&str, &Verdict> = BTreeMap::new();
        let (mut replay, mut analytics) = (BTreeSet::new(), BTreeSet::new());
        for r in &load.requests {
            if r.third_party {
                s.third_party_requests += 1;
                s.bytes_third_party = s.bytes_third_party.saturating_add(r.bytes);
                hosts.insert(r.host.as_str());
                if r.method.eq_ignore_ascii_case("POST") || r.kind == "beacon" || r.kind == "ping" {
                    s.beacons.count += 1;
                    beacon_hosts.insert(r.host.as_str());
                }
            }
            if let Some(t) = r.tracker.as_ref().filter(|t| t.category == "advertising") {
                s.ad_trackers.count += 1;
                ads.insert(t.owner.as_str());
            }
            for v in r.tracker.iter().chain(&r.stripped) {
                trackers.entry(v.name.as_str()).or_insert(v);
            }
            if let Some(chain) = r.tracker.as_ref().and_then(|t| t.via_cname.as_deref()) {
                s.cname_cloaked.count += 1;
                let chain = chain.strip_prefix("via CNAME ").unwrap_or(chain);
                push_unique(&mut s.cname_cloaked.chains, chain);
            }
            if r.tracker.is_none()
                && let Some((_, name, owner)) = SESSION_REPLAY_HOSTS.iter().find(|(d, ..)| host_is(&r.host, d))
            {
                replay.insert(Service { name: name.to_string(), owner: owner.to_string() });
            }
            if is_facebook_pixel(r) {
                push_unique(&mut s.facebook_pixel.urls, &r.url);
            }
            if is_ga_remarketing(r) {
                push_unique(&mut s.google_analytics_remarketing.urls, &r.url);
            }
        }
        let mut companies = BTreeSet::new();
        for v in trackers.values() {
            let service = Service { name: v.name.clone(), owner: v.owner.clone() };
            match v.category.as_str() {
                "session-replay" => replay.insert(service),
                "analytics" => analytics.insert(service),
                _ => false,
            };
            companies.insert(v.owner.clone());
            s.trackers.push(Tracker { name: v.name.clone(), owner: v.owner.clone(), category: v.category.clone() });
        }
        s.ad_trackers.companies = ads.into_iter().map(str::to_string).collect();
        s.third_party_cookies = third_party_cookies(load.requests.iter());
        s.facebook_pixel.found = !s.facebook_pixel.urls.is_empty();
        s.google_analytics_remarketing.found = !s.google_analytics_remarketing.urls.is_empty();
        s.session_recording = replay.into_iter().collect();
        s.analytics = analytics.into_iter().collect();
        s.beacons.hosts = beacon_hosts.into_iter().map(str::to_string).collect();
        s.trackers_total = s.trackers.len();
        s.companies = companies.into_iter().collect();
        s.third_party_hosts = hosts.len();
        s
    }

    /// Any tracker verdict, on a request or on a page element.
    pub fn has_trackers(&self) -> bool {
        self.trackers_total > 0
    }
}

/// `host` is `domain` or one of its subdomains.
fn host_is(host: &str, domain: &str) -> bool {
    let (host, domain) = (host.trim_end_matches('.').as_bytes(), domain.as_bytes());
    let Some(start) = host.len().checked_sub(domain.len()) else { return false };
    host[start..].eq_ignore_ascii_case(domain) && (start == 0 || host[start - 1] == b'.')
}

/// The path of a URL (without query or fragment), `/` when it has none.
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    rest.find('/').map_or("/", |i| &rest[i..])
}

fn is_facebook_pixel(r: &Request) -> bool {
    let path = path_of(&r.url);
    r.third_party
        && (host_is(&r.host, "facebook.com") || host_is(&r.host, "facebook.net"))
        && (path == "/tr" || path.starts_with("/tr/") || path.contains("fbevents"))
}

fn is_ga_remarketing(r: &Request) -> bool {
    let (host, path) = (r.host.trim_end_matches('.').to_ascii_lowercase(), path_of(&r.url));
    (host == "stats.g.doubleclick.net" && path.contains("/collect"))
        || (host == "www.google.com" && path.starts_with("/ads/ga-audiences"))
        || (host == "googleads.g.doubleclick.net" && path.starts_with("/pagead/viewthroughconversion"))
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

fn third_party_cookies<'a>(requests: impl Iterator<Item = &'a Request>) -> Cookies {
    let (mut pairs, mut hosts, mut companies) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for r in requests.filter(|r| r.third_party && !r.set_cookies.is_empty()) {
        pairs.extend(r.set_cookies.iter().map(|c| (r.host.as_str(), c.as_str())));
        hosts.insert(r.host.clone());
        companies.insert(r.tracker.as_ref().map_or_else(|| r.host.clone(), |t| t.owner.clone()));
    }
    Cookies { count: pairs.len(), hosts: hosts.into_iter().collect(), companies: companies.into_iter().collect() }
}

/// The `--compare` view. Counts are of requests that reached the network: in the enforcing load,
/// those trackstrip answered itself are left out (and counted in `answered_locally`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub requests_before: usize,
    pub requests_after: usize,
    pub answered_locally: usize,
    pub third_party_requests_before: usize,
    pub third_party_requests_after: usize,
    pub third_party_hosts_before: usize,
    pub third_party_hosts_after: usize,
    /// Third-party hosts the enforcing load no longer contacted.
    pub hosts_removed: Vec<String>,
    /// Requests a rule flags that reached their origin.
    pub tracker_requests_before: usize,
    pub tracker_requests_after: usize,
    pub bytes_third_party_before: u64,
    pub bytes_third_party_after: u64,
    pub bytes_saved: u64,
    pub third_party_cookies_before: usize,
    pub third_party_cookies_after: usize,
    pub cookies_avoided: usize,
    pub text_chars_before: usize,
    pub text_chars_after: usize,
    /// after / before visible text (1.0 when the report-only load had none).
    pub text_kept: f64,
    /// Console errors of the enforcing load the report-only load did not log (a breakage signal).
    pub console_errors_introduced: Vec<String>,
}

impl Comparison {
    pub fn new(before: &PageLoad, after: &PageLoad) -> Comparison {
        let net = |l: &PageLoad| l.requests.iter().filter(|r| !r.answered_locally).cloned().collect::<Vec<_>>();
        let (b, a) = (net(before), net(after));
        let tp = |v: &[Request]| v.iter().filter(|r| r.third_party).map(|r| r.host.clone()).collect::<Vec<_>>();
        let hosts = |v: &[Request]| tp(v).into_iter().collect::<BTreeSet<_>>();
        let bytes = |v: &[Request]| v.iter().filter(|r| r.third_party).fold(0u64, |n, r| n.saturating_add(r.bytes));
        let trackers = |v: &[Request]| v.iter().filter(|r| r.tracker.is_some()).count();
        let (hb, ha) = (hosts(&b), hosts(&a));
        let (cb, ca) = (third_party_cookies(b.iter()).count, third_party_cookies(a.iter()).count);
        let (bb, ba) = (bytes(&b), bytes(&a));
        let mut introduced = Vec::new();
        for e in after.console_errors.iter().filter(|e| !before.console_errors.contains(e)) {
            push_unique(&mut introduced, e);
        }
        Comparison {
            requests_before: b.len(),
            requests_after: a.len(),
            answered_locally: after.requests.len() - a.len(),
            third_party_requests_before: tp(&b).len(),
            third_party_requests_after: tp(&a).len(),
            third_party_hosts_before: hb.len(),
            third_party_hosts_after: ha.len(),
            hosts_removed: hb.difference(&ha).cloned().collect(),
            tracker_requests_before: trackers(&b),
            tracker_requests_after: trackers(&a),
            bytes_third_party_before: bb,
            bytes_third_party_after: ba,
            bytes_saved: bb.saturating_sub(ba),
            third_party_cookies_before: cb,
            third_party_cookies_after: ca,
            cookies_avoided: cb.saturating_sub(ca),
            text_chars_before: before.text_chars,
            text_chars_after: after.text_chars,
            text_kept: if before.text_chars == 0 { 1.0 } else { after.text_chars as f64 / before.text_chars as f64 },
            console_errors_introduced: introduced,
        }
    }
}

/// The summary of the report-only load, when there is one.
pub fn summary(audit: &PageAudit) -> Option<Summary> {
    audit.observed.as_ref().map(Summary::new)
}

/// The comparison, when both loads are there.
pub fn comparison(audit: &PageAudit) -> Option<Comparison> {
    Some(Comparison::new(audit.observed.as_ref()?, audit.enforced.as_ref()?))
}

/// The JSON document for one audited page.
#[derive(Debug, Serialize)]
pub struct Envelope<'a> {
    /// `trackstrip.browser-audit/1`.
    pub schema: &'static str,
    /// The page as given.
    pub url: &'a str,
    pub rules_version: &'a str,
    /// Why the load failed (no browser output, timeout); null when it did not.
    pub error: Option<&'a str>,
    /// Blacklight-style summary of the report-only load; null without one.
    pub summary: Option<Summary>,
    /// Report-only against enforcing (`--compare`); null without both loads.
    pub comparison: Option<Comparison>,
    /// The report-only load: every request, console errors, text.
    pub observed: Option<&'a PageLoad>,
    /// The enforcing load (`--compare`).
    pub enforced: Option<&'a PageLoad>,
}

pub fn json(audit: &PageAudit) -> String {
    let env = Envelope {
        schema: SCHEMA,
        url: &audit.url,
        rules_version: &audit.rules_version,
        error: audit.error.as_deref(),
        summary: summary(audit),
        comparison: comparison(audit),
        observed: audit.observed.as_ref(),
        enforced: audit.enforced.as_ref(),
    };
    serde_json::to_string_pretty(&env).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// One self-contained HTML file (see `report_html.rs`).
pub fn html(audit: &PageAudit) -> String {
    super::report_html::html(audit)
}

pub use super::report_aggregate::*;
pub use super::report_table::*;

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
