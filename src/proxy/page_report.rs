//! What a stripped page reports, once it is done: its removals grouped by tracker and rule.
//! News pages repeat the same pixel or beacon dozens of times; one group each keeps the audit
//! line short and the metrics and dashboard work per kind of tracker, not per element.

use crate::audit::AuditEvent;
use crate::telemetry::Telemetry;
use crate::telemetry::recent::Removal;
use std::fmt::Write;

/// Stripped events that name the same tracker, rule, owner and mode.
pub struct Group<'a> {
    pub event: &'a AuditEvent,
    pub count: u32,
}

/// The page's stripping events grouped, in order of first appearance.
pub fn group(events: &[AuditEvent]) -> Vec<Group<'_>> {
    let mut groups: Vec<Group<'_>> = Vec::new();
    for e in events.iter().filter(|e| e.action.strips()) {
        match groups.iter_mut().find(|g| same(g.event, e)) {
            Some(g) => g.count += 1,
            None => groups.push(Group { event: e, count: 1 }),
        }
    }
    groups
}

fn same(a: &AuditEvent, b: &AuditEvent) -> bool {
    a.action == b.action
        && a.enforced == b.enforced
        && a.rule == b.rule
        && what(a) == what(b)
        && a.owner == b.owner
        && a.category == b.category
}

/// The name a person recognises: the tracker, else its host, else the element.
pub fn what(e: &AuditEvent) -> &str {
    e.tracker.as_deref().or(e.host.as_deref()).unwrap_or(&e.element)
}

/// "remove Google Analytics (rules/trackers.toml:25) ×2, remove comScore (rules/trackers.toml:244)"
pub fn summary(groups: &[Group<'_>]) -> String {
    let mut s = String::with_capacity(groups.len() * 64);
    for (i, g) in groups.iter().enumerate() {
        let e = g.event;
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(s, "{sep}{} {} (", e.action.as_str(), what(e));
        if let Some(rule) = &e.rule {
            let _ = write!(s, "{}", rule.place());
        }
        s.push(')');
        if g.count > 1 {
            let _ = write!(s, " ×{}", g.count);
        }
    }
    s
}

/// Metrics by owner and category, and the page's line on the dashboard.
pub fn count(telemetry: &Telemetry, url: &str, groups: &[Group<'_>]) {
    let mut enforced = true;
    let mut removed = Vec::with_capacity(groups.len());
    for g in groups {
        let e = g.event;
        enforced &= e.enforced;
        let category = e.category.map(|c| c.as_str());
        telemetry.trackers_stripped(e.owner.as_deref(), category, e.enforced, g.count.into());
        removed.push(Removal {
            what: what(e).to_string(),
            owner: e.owner.clone(),
            category: category.map(str::to_string),
            action: e.action.as_str(),
            rule: e.rule.as_ref().map(|r| r.location()),
            count: g.count,
        });
    }
    telemetry.recent.page(url, enforced, removed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strip::{StripOptions, strip_bytes};
    use std::sync::Arc;

    fn events(html: &str) -> Vec<AuditEvent> {
        let rules = Arc::new(crate::rules::Rules::bundled().expect("bundled rules load"));
        let page = crate::policy::PageContext::new("https://news.example/a").expect("page url");
        strip_bytes(rules, page, StripOptions::default(), html.as_bytes()).1.events
    }

    #[test]
    fn repeated_trackers_make_one_group_with_a_count() {
        let px = r#"<img width=1 height=1 src="https://b.scorecardresearch.com/p?c1=2">"#;
        let ga = r#"<script src="https://www.google-analytics.com/analytics.js"></script>"#;
        let page = format!("<p>x</p>{px}{ga}{px}<p>y</p>{px}");
        let events = events(&page);
        let groups = group(&events);
        assert_eq!(groups.iter().map(|g| g.count).collect::<Vec<_>>(), vec![3, 1]);
        let line = summary(&groups);
        assert!(line.starts_with("remove comScore (rules/trackers.toml:"), "{line}");
        assert!(line.contains(") ×3, remove Google Analytics (rules/trackers.toml:"), "{line}");
        assert!(!line.ends_with("×1"), "{line}");
    }

    #[test]
    fn counts_reach_the_metrics_and_the_dashboard() {
        let px = r#"<img width=1 height=1 src="https://b.scorecardresearch.com/p?c1=2">"#;
        let events = events(&format!("{px}{px}"));
        let t = Telemetry::new();
        count(&t, "https://news.example/a", &group(&events));
        let text = t.render();
        assert!(text.contains("trackstrip_trackers_stripped_total{owner=\"comScore\""), "{text}");
        assert!(text.contains("mode=\"enforce\"} 2"), "{text}");
        let s = t.recent.summary(10, 10);
        assert_eq!(s.totals.trackers_stripped, 2);
        assert_eq!(s.recent[0].removed.len(), 1);
        assert_eq!(s.recent[0].removed[0].count, 2);
    }
}
