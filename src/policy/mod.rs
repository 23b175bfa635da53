//! Policy: is this URL a tracker, who runs it, and which rule says so.
//!
//! One decision function serves the HTML stripper (for `src`/`href` in pages) and the proxy
//! (for requests on the wire), so a page and its network traffic are judged alike.

mod page;
mod resource;
mod uncloak;

pub use page::{PageContext, site_of};
pub use resource::{RequestKind, ResourceUrl, decode_amp};
pub use uncloak::{may_uncloak, uncloak};

use crate::rules::{Category, ListQuery, MatchVia, RuleRef, Rules};
use serde::Serialize;
use std::sync::Arc;

/// Why something was flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// A tracker host (third-party).
    Host,
    /// A host-anchored URL pattern.
    Url,
    /// A path pattern on any host.
    Path,
    /// A collection subdomain (`smetrics.<site>`), first or third party.
    Subdomain,
    /// A filter list rule.
    List,
    /// The tracking-pixel heuristic.
    Pixel,
    /// An inline analytics snippet.
    Snippet,
    /// An inline script that loads or beacons a URL the rules or a privacy list block.
    Loader,
    /// A hyperlink-auditing `ping` attribute.
    Ping,
    /// Tracking query parameters.
    Param,
    /// A link wrapper whose destination is in the link.
    Redirect,
    /// A social widget or embed (`rules/social.toml`).
    Social,
    /// An allow rule or a list exception kept it.
    Allowed,
    /// No rule: reported only so audits list every third-party resource.
    None,
}

impl From<MatchVia> for Reason {
    fn from(v: MatchVia) -> Reason {
        match v {
            MatchVia::Host => Reason::Host,
            MatchVia::Url => Reason::Url,
            MatchVia::Path => Reason::Path,
            MatchVia::Subdomain => Reason::Subdomain,
        }
    }
}

/// A tracker identified: the service, its owner, and the rule that said so.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub name: Arc<str>,
    pub owner: Arc<str>,
    pub category: Category,
    pub rule: RuleRef,
    pub reason: Reason,
}

#[derive(Debug, Clone)]
pub enum Decision {
    /// A tracker: strip or block it.
    Tracker(Verdict),
    /// Explicitly kept, by this rule.
    Allowed(RuleRef),
    /// No rule applies.
    Pass,
}

/// A decision, and whether the request is third-party (computed on the way).
#[derive(Debug, Clone)]
pub struct Judged {
    pub decision: Decision,
    pub third_party: bool,
}

/// Judges one request made by `page`.
pub fn classify(rules: &Rules, page: &PageContext, res: &ResourceUrl<'_>, kind: RequestKind) -> Judged {
    let (third_party, site) = page.party(&res.host);
    let decision = decide(rules, page, res, kind, third_party, site);
    Judged { decision, third_party }
}

fn decide(
    rules: &Rules,
    page: &PageContext,
    res: &ResourceUrl<'_>,
    kind: RequestKind,
    third_party: bool,
    site: &str,
) -> Decision {
    // Most hosts have no host-keyed rule at all; one set lookup says so.
    let keyed = rules.host_sites.may_match(&res.host, site);
    if keyed && let Some(rule) = rules.allow.matches(&res.host, &res.path) {
        return Decision::Allowed(rule.clone());
    }
    let by_url =
        if keyed { rules.trackers.match_url(&res.host, &res.path) } else { rules.trackers.match_path(&res.path) };
    if let Some(m) = by_url {
        return Decision::Tracker(verdict(&m, m.via.into()));
    }
    if let Some(m) = rules.trackers.match_subdomain(&res.host, site) {
        return Decision::Tracker(verdict(&m, Reason::Subdomain));
    }
    if third_party
        && keyed
        && let Some(m) = rules.trackers.match_host(&res.host)
    {
        return Decision::Tracker(verdict(&m, Reason::Host));
    }
    if let Some(lists) = &rules.lists {
        let url = res.to_url_string();
        let q = ListQuery { url: &decode_amp(&url), host: &res.host, page_host: page.host(), third_party, kind };
        if let Some(hit) = lists.check(&q) {
            if hit.exception {
                return Decision::Allowed(hit.rule);
            }
            let (name, owner, category) = who_runs(rules, &res.host, hit.category);
            return Decision::Tracker(Verdict { name, owner, category, rule: hit.rule, reason: Reason::List });
        }
    }
    Decision::Pass
}

fn verdict(m: &crate::rules::TrackerMatch<'_>, reason: Reason) -> Verdict {
    Verdict {
        name: m.tracker.name.clone(),
        owner: m.tracker.owner.clone(),
        category: m.tracker.category,
        rule: m.rule.clone(),
        reason,
    }
}

/// Said of a tracker whose company the bundled rules don't know (a list hit, a pixel): a
/// list names URLs, not companies, and a host's domain is no proof of who runs it.
pub const UNKNOWN_OWNER: &str = "unknown";

/// The service and owner behind a host, from the tracker database when it knows the host;
/// else the service is the host's registrable domain and the owner is unknown.
pub fn who_runs(rules: &Rules, host: &str, fallback: Category) -> (Arc<str>, Arc<str>, Category) {
    match rules.trackers.match_host(host) {
        Some(m) => (m.tracker.name.clone(), m.tracker.owner.clone(), m.tracker.category),
        None => (Arc::from(site_of(host)), Arc::from(UNKNOWN_OWNER), fallback),
    }
}
