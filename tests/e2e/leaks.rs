//! What a sink hit means. Whether a name is a tracker is trackstrip's own call: the bundled
//! rules and the built-in list, as `trackstrip serve` uses them when told nothing, judging a
//! request for it from the article site. The tests never decide it from the page's text.

use crate::kit::{Hit, SITE};
use std::sync::OnceLock;
use trackstrip::policy::{Decision, PageContext, RequestKind, ResourceUrl, classify};
use trackstrip::rules::Rules;

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules::defaults().expect("the bundled rules load"))
}

/// The rule under which trackstrip takes a request to `host` (for `path`, or `/` when only the
/// name is known, as for a TLS hit) from a page on the site for a tracker's, if any.
pub fn tracker_rule(host: &str, path: Option<&str>) -> Option<String> {
    let page = PageContext::new(&format!("https://{SITE}/")).unwrap();
    // Not as a ping or "other": EasyPrivacy blocks every third-party ping, whatever its name.
    let kinds = [RequestKind::Script, RequestKind::Image, RequestKind::Xhr];
    for scheme in ["https", "http"] {
        for kind in kinds {
            let res = ResourceUrl { scheme, host: host.into(), path: path.unwrap_or("/").into() };
            if let Decision::Tracker(v) = classify(rules(), &page, &res, kind).decision {
                return Some(format!("{} per {}", v.name, v.rule.place()));
            }
        }
    }
    None
}

/// Whether a hit's name is a tracker's, by trackstrip's rules.
pub fn is_tracker(hit: &Hit) -> bool {
    let path = hit.what.split_once(' ').map(|(_, p)| p).filter(|p| p.starts_with('/'));
    hit.host.as_deref().is_some_and(|h| tracker_rule(h, path).is_some())
}

/// Chromium's own requests, which no flag turns off (`--disable-component-update`,
/// `--disable-sync` and the `--disable-features` list in main.rs are passed): pinned to a sink
/// of their own on both sides, so they never mix with the pages' hits. They must not be
/// trackers by trackstrip's rules, or pinning them apart would hide a leak.
pub const CHROMIUM_OWN: [(&str, &str); 2] = [
    // The component updater asking for the on-device model manifest on demand
    // (POST http://update.googleapis.com/service/update2/json, then over TLS, app id
    // ceofaddefefcbblgcgnibnonglccbfja).
    ("update.googleapis.com", "Chromium's component updater"),
    // IdentityManager's ListAccounts once the profile's network is up, over TLS.
    ("accounts.google.com", "Chromium's account list"),
];

pub fn chromium_own_names() -> impl Iterator<Item = &'static str> {
    CHROMIUM_OWN.into_iter().map(|(name, why)| {
        assert!(tracker_rule(name, None).is_none(), "{name} is pinned apart ({why}) but trackstrip names it a tracker");
        name
    })
}

/// Every hit on Chromium's or trackstrip's sink while the browser went through trackstrip is a
/// leak; each is said for what it is: a tracker's (by trackstrip's rules), another name, or a
/// connection that named nothing, since a leak needs no name to be one.
pub fn leaks(hits: &[Hit]) -> Vec<String> {
    hits.iter()
        .map(|hit| {
            let path = hit.what.split_once(' ').map(|(_, p)| p).filter(|p| p.starts_with('/'));
            let judged = match hit.host.as_deref() {
                None => "no name given".to_string(),
                Some(host) => match tracker_rule(host, path) {
                    Some(rule) => format!("tracker: {rule}"),
                    None => "not a tracker, but no page here asks for it".to_string(),
                },
            };
            format!("{hit} ({judged})")
        })
        .collect()
}
