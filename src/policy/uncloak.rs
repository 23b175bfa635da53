//! CNAME uncloaking: a name that is an alias of a tracker is judged as that tracker.
//! `smetrics.news.example` means nothing to a URL filter; `news.example.sc.omtrdc.net`,
//! the name DNS says it stands for, is Adobe Analytics.

use super::{Decision, PageContext, Reason, RequestKind, ResourceUrl, Verdict, classify, site_of};
use std::borrow::Cow;

/// Does DNS get a say? Only when the rules said nothing about the name, or only guessed from
/// it (`smetrics.<site>`, the fallback when DNS knows no chain).
pub fn may_uncloak(decision: &Decision) -> bool {
    matches!(decision, Decision::Pass | Decision::Tracker(Verdict { reason: Reason::Subdomain, .. }))
}

/// The tracker `res` is through `host`'s aliases, and the audit text naming the chain up to
/// it (`via CNAME a → b`).
pub fn uncloak(
    rules: &crate::rules::Rules,
    page: &PageContext,
    res: &ResourceUrl<'_>,
    kind: RequestKind,
    chain: &[Box<str>],
) -> Option<(Verdict, String)> {
    let (verdict, at) = through_aliases(rules, page, res, kind, chain)?;
    Some((verdict, via(&res.host, chain, at)))
}

/// The first alias in `chain` that the rules or lists call a tracker, judged as if `res` were
/// made to it, with the alias's position in the chain. Aliases in the requested host's own
/// site are skipped (a site renaming its own hosts hides nothing), and an alias an allow rule
/// keeps ends the search.
fn through_aliases(
    rules: &crate::rules::Rules,
    page: &PageContext,
    res: &ResourceUrl<'_>,
    kind: RequestKind,
    chain: &[Box<str>],
) -> Option<(Verdict, usize)> {
    let own_site = site_of(&res.host);
    for (at, alias) in chain.iter().enumerate() {
        if site_of(alias) == own_site {
            continue;
        }
        let aliased = ResourceUrl { scheme: res.scheme, host: Cow::Borrowed(alias), path: Cow::Borrowed(&res.path) };
        match classify(rules, page, &aliased, kind).decision {
            Decision::Tracker(v) => return Some((v, at)),
            Decision::Allowed(_) => return None,
            Decision::Pass => {}
        }
    }
    None
}

/// The audit text for a verdict reached through the chain, up to the alias that decided it:
/// `via CNAME smetrics.news.example → news.example.sc.omtrdc.net`.
fn via(host: &str, chain: &[Box<str>], at: usize) -> String {
    let mut s = format!("via CNAME {host}");
    for alias in &chain[..=at] {
        s.push_str(" → ");
        s.push_str(alias);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RuleOptions, Rules};

    fn chain(names: &[&str]) -> Vec<Box<str>> {
        names.iter().map(|n| Box::<str>::from(*n)).collect()
    }

    #[test]
    fn an_alias_of_a_tracker_is_that_tracker_and_own_site_aliases_are_not() {
        let rules = Rules::load(&RuleOptions { builtin_list: false, ..RuleOptions::default() }).unwrap();
        let page = PageContext::new("https://news.test/story").unwrap();
        let res =
            ResourceUrl { scheme: "https", host: Cow::Borrowed("smetrics.news.test"), path: Cow::Borrowed("/hit?v=1") };
        let cdn = chain(&["news-test.cdn.example"]);
        assert!(through_aliases(&rules, &page, &res, RequestKind::Image, &cdn).is_none());
        let cloaked = chain(&["edge.news.test", "news.test.sc.omtrdc.net", "x.omtrdc.net"]);
        let (v, at) = through_aliases(&rules, &page, &res, RequestKind::Image, &cloaked).expect("Adobe behind a CNAME");
        assert_eq!(at, 1, "the first alias outside the site that a rule names decides");
        assert!(v.owner.contains("Adobe"), "{}", v.owner);
        assert_eq!(
            via("smetrics.news.test", &cloaked, at),
            "via CNAME smetrics.news.test → edge.news.test → news.test.sc.omtrdc.net"
        );
    }
}
