//! Is this request a tracker? The rules and lists judge its URL; when they say nothing, or
//! only guess from the name (`smetrics.<site>`), DNS is asked what the name is an alias of.

use super::ProxyState;
use crate::policy::{Decision, PageContext, Reason, RequestKind, ResourceUrl, Verdict, classify};
use crate::rules::Rules;
use std::sync::Arc;

/// A tracker verdict, and the CNAME chain it was found through (`via CNAME a → b`).
pub struct Blocked {
    pub verdict: Verdict,
    pub via_cname: Option<String>,
}

pub async fn tracker(
    state: &Arc<ProxyState>,
    rules: &Rules,
    page: &PageContext,
    res: &ResourceUrl<'_>,
    kind: RequestKind,
) -> Option<Blocked> {
    let named = match classify(rules, page, res, kind).decision {
        Decision::Tracker(v) if v.reason != Reason::Subdomain => return Some(Blocked { verdict: v, via_cname: None }),
        Decision::Tracker(v) => Some(v),
        Decision::Allowed(_) => return None,
        Decision::Pass => None,
    };
    if let Some(dns) = state.config.upstream.dns.as_ref().filter(|d| d.uncloaks()) {
        let chain = dns.chain(&res.host).await;
        if let Some((verdict, at)) = crate::policy::through_aliases(rules, page, res, kind, &chain) {
            let via = crate::policy::via_cname(&res.host, &chain, at);
            return Some(Blocked { verdict, via_cname: Some(via) });
        }
    }
    named.map(|verdict| Blocked { verdict, via_cname: None })
}
