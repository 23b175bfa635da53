//! Many audited pages rolled up: which services and companies turn up on how many pages.

use super::model::PageAudit;
use super::report::*;
use super::report_table::{plural, text_table};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Many audited pages rolled up.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Aggregate {
    /// `trackstrip.browser-aggregate/1`.
    pub schema: &'static str,
    pub pages: usize,
    /// Pages with an error or no report-only load.
    pub pages_failed: usize,
    pub pages_with_trackers: usize,
    pub pages_with_ad_trackers: usize,
    pub pages_with_facebook_pixel: usize,
    pub pages_with_ga_remarketing: usize,
    pub pages_with_session_recording: usize,
    /// Sum of each page's distinct third-party (host, cookie name) pairs.
    pub third_party_cookies: usize,
    /// By pages seen on (most first), then name.
    pub services: Vec<ServiceCount>,
    pub companies: Vec<CompanyCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceCount {
    pub service: String,
    pub owner: String,
    pub category: String,
    /// Pages where it was seen.
    pub pages: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompanyCount {
    pub owner: String,
    pub pages: usize,
    pub services: Vec<String>,
}

pub fn aggregate(audits: &[PageAudit]) -> Aggregate {
    let mut a = Aggregate { schema: AGGREGATE_SCHEMA, pages: audits.len(), ..Aggregate::default() };
    let mut services: BTreeMap<String, ServiceCount> = BTreeMap::new();
    let mut companies: BTreeMap<String, (usize, BTreeSet<String>)> = BTreeMap::new();
    for audit in audits {
        if audit.error.is_some() || audit.observed.is_none() {
            a.pages_failed += 1;
        }
        let Some(s) = summary(audit) else { continue };
        a.pages_with_trackers += usize::from(s.has_trackers());
        a.pages_with_ad_trackers += usize::from(s.ad_trackers.count > 0);
        a.pages_with_facebook_pixel += usize::from(s.facebook_pixel.found);
        a.pages_with_ga_remarketing += usize::from(s.google_analytics_remarketing.found);
        a.pages_with_session_recording += usize::from(!s.session_recording.is_empty());
        a.third_party_cookies += s.third_party_cookies.count;
        for t in &s.trackers {
            let c = services.entry(t.name.clone()).or_insert_with(|| ServiceCount {
                service: t.name.clone(),
                owner: t.owner.clone(),
                category: t.category.clone(),
                pages: 0,
            });
            c.pages += 1;
            companies.entry(t.owner.clone()).or_default().1.insert(t.name.clone());
        }
        for owner in &s.companies {
            companies.entry(owner.clone()).or_default().0 += 1;
        }
    }
    a.services = services.into_values().collect();
    a.services.sort_by(|x, y| y.pages.cmp(&x.pages).then_with(|| x.service.cmp(&y.service)));
    a.companies = companies
        .into_iter()
        .map(|(owner, (pages, services))| CompanyCount { owner, pages, services: services.into_iter().collect() })
        .collect();
    a.companies.sort_by(|x, y| y.pages.cmp(&x.pages).then_with(|| x.owner.cmp(&y.owner)));
    a
}

pub fn aggregate_json(a: &Aggregate) -> String {
    serde_json::to_string_pretty(a).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub fn aggregate_table(a: &Aggregate) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "trackstrip browser audit: {} page{} ({} failed), {} with trackers\n",
        a.pages,
        plural(a.pages),
        a.pages_failed,
        a.pages_with_trackers
    );
    for (what, n) in [
        ("Ad trackers", a.pages_with_ad_trackers),
        ("Facebook pixel", a.pages_with_facebook_pixel),
        ("Google Analytics remarketing", a.pages_with_ga_remarketing),
        ("Session recording", a.pages_with_session_recording),
    ] {
        let _ = writeln!(out, "{what}: {n} page{}", plural(n));
    }
    let _ = writeln!(out, "Third-party cookies: {} in all", a.third_party_cookies);
    if !a.services.is_empty() {
        out.push_str("\nTracker services\n");
        let rows: Vec<[String; 4]> = a
            .services
            .iter()
            .map(|s| [s.pages.to_string(), s.service.clone(), s.owner.clone(), s.category.clone()])
            .collect();
        text_table(&mut out, ["PAGES", "SERVICE", "OWNER", "CATEGORY"], &rows);
        out.push_str("\nCompanies\n");
        let rows: Vec<[String; 3]> =
            a.companies.iter().map(|c| [c.pages.to_string(), c.owner.clone(), c.services.join(", ")]).collect();
        text_table(&mut out, ["PAGES", "COMPANY", "SERVICES"], &rows);
    }
    out
}
