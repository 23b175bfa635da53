//! Is this request a tracker? The rules and lists judge its URL; when they say nothing, or
//! only guess from the name (`smetrics.<site>`), DNS is asked what the name is an alias of.

use super::ProxyState;
use crate::policy::{Decision, PageContext, RequestKind, ResourceUrl, Verdict, classify, may_uncloak, uncloak};
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
    let decision = classify(rules, page, res, kind).decision;
    if may_uncloak(&decision)
        && let Some(dns) = state.config.upstream.dns.as_ref().filter(|d| d.uncloaks())
        && let Some((verdict, via)) = uncloak(rules, page, res, kind, &dns.chain(&res.host).await)
    {
        return Some(Blocked { verdict, via_cname: Some(via) });
    }
    match decision {
        Decision::Tracker(verdict) => Some(Blocked { verdict, via_cname: None }),
        _ => None,
    }
}
