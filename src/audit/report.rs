//! Audit reports: what a page loads, grouped by the company behind it, as a table for people,
//! JSON for machines (schema in docs/audit.md) and one self-contained HTML file.

use super::event::{Action, AuditEvent};
use crate::policy::Reason;
use crate::rules::Category;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Bumped when the JSON shape changes incompatibly.
pub const SCHEMA: &str = "trackstrip.audit/1";

#[derive(Debug, Serialize)]
pub struct AuditReport {
    pub schema: &'static str,
    /// What was audited: the URL or file name given.
    pub page: String,
    /// The page's address (after redirects), when known.
    pub page_url: Option<String>,
    pub rules_version: String,
    pub rule_sources: Vec<String>,
    pub summary: Summary,
    pub owners: Vec<OwnerSummary>,
    pub events: Vec<AuditEvent>,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Tracker elements and snippets (what sets the exit status).
    pub trackers: usize,
    /// Distinct companies behind them.
    pub owners: usize,
    pub third_party_resources: usize,
    /// Third-party resources no rule flags.
    pub kept: usize,
    /// Links with hyperlink-auditing `ping` attributes.
    pub pings: usize,
    /// Links and forms carrying tracking parameters.
    pub tracking_params: usize,
    pub by_category: BTreeMap<&'static str, usize>,
    /// Of `trackers`: found by a filter list, inline loaders, scripts held by a consent platform.
    pub list_hits: usize,
    pub loaders: usize,
    pub consent_gated: usize,
}

#[derive(Debug, Serialize)]
pub struct OwnerSummary {
    pub owner: String,
    pub trackers: usize,
    pub categories: BTreeSet<&'static str>,
    pub services: BTreeSet<String>,
}

fn is_tracker(e: &AuditEvent) -> bool {
    e.action.strips() && e.tracker.is_some() && !matches!(e.reason, Reason::Param | Reason::Ping)
}

impl AuditReport {
    pub fn new(
        page: String,
        page_url: Option<String>,
        rules_version: String,
        rule_sources: Vec<String>,
        events: Vec<AuditEvent>,
    ) -> AuditReport {
        let mut s = Summary::default();
        let mut owners: BTreeMap<String, OwnerSummary> = BTreeMap::new();
        for e in &events {
            let inline = matches!(e.reason, Reason::Param | Reason::Ping | Reason::Snippet | Reason::Loader);
            if e.party == super::Party::Third && !inline {
                s.third_party_resources += 1;
            }
            match e.reason {
                Reason::Ping => s.pings += 1,
                Reason::Param => s.tracking_params += 1,
                _ => {}
            }
            if e.action == Action::Keep {
                s.kept += 1;
            }
            if !is_tracker(e) {
                continue;
            }
            s.trackers += 1;
            s.list_hits += usize::from(e.reason == Reason::List);
            s.loaders += usize::from(e.reason == Reason::Loader);
            s.consent_gated += usize::from(e.detail.as_deref().is_some_and(|d| d.starts_with("consent-gated")));
            let category = e.category.map_or("unknown", Category::as_str);
            *s.by_category.entry(category).or_default() += 1;
            let owner = e.owner.clone().unwrap_or_else(|| "unknown".into());
            let o = owners.entry(owner.clone()).or_insert_with(|| OwnerSummary {
                owner,
                trackers: 0,
                categories: BTreeSet::new(),
                services: BTreeSet::new(),
            });
            o.trackers += 1;
            o.categories.insert(category);
            if let Some(t) = &e.tracker {
                o.services.insert(t.clone());
            }
        }
        let mut owners: Vec<_> = owners.into_values().collect();
        owners.sort_by(|a, b| b.trackers.cmp(&a.trackers).then_with(|| a.owner.cmp(&b.owner)));
        s.owners = owners.iter().filter(|o| o.owner != crate::policy::UNKNOWN_OWNER).count();
        AuditReport { schema: SCHEMA, page, page_url, rules_version, rule_sources, summary: s, owners, events }
    }

    pub fn has_trackers(&self) -> bool {
        self.summary.trackers > 0
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// ` (3 by filter lists, 1 inline loader, 1 consent-gated)`, or nothing.
    fn how_found(&self) -> String {
        let s = &self.summary;
        let parts: Vec<String> = [
            (s.list_hits, "by filter lists", "by filter lists"),
            (s.loaders, "inline loader", "inline loaders"),
            (s.consent_gated, "consent-gated", "consent-gated"),
        ]
        .iter()
        .filter(|(n, ..)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect();
        if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(", ")) }
    }

    fn headline(&self) -> String {
        let s = &self.summary;
        format!(
            "{} tracker{} from {} known compan{}{}; {} third-party resource{} ({} kept); {} ping attribute{}; {} link{} with tracking parameters",
            s.trackers,
            plural(s.trackers),
            s.owners,
            if s.owners == 1 { "y" } else { "ies" },
            self.how_found(),
            s.third_party_resources,
            plural(s.third_party_resources),
            s.kept,
            s.pings,
            plural(s.pings),
            s.tracking_params,
            plural(s.tracking_params)
        )
    }

    /// Events for one owner, in page order.
    fn events_of<'a>(&'a self, owner: &'a str) -> impl Iterator<Item = &'a AuditEvent> + 'a {
        self.events.iter().filter(move |e| is_tracker(e) && e.owner.as_deref().unwrap_or("unknown") == owner)
    }

    fn others(&self) -> impl Iterator<Item = &AuditEvent> {
        self.events.iter().filter(|e| !is_tracker(e) && e.action != Action::Keep)
    }

    fn kept_hosts(&self) -> BTreeMap<&str, usize> {
        let mut m = BTreeMap::new();
        for e in self.events.iter().filter(|e| e.action == Action::Keep) {
            *m.entry(e.host.as_deref().unwrap_or("?")).or_default() += 1;
        }
        m
    }

    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "trackstrip audit: {} (rules {})",
            self.page_url.as_deref().unwrap_or(&self.page),
            self.rules_version
        );
        let _ = writeln!(out, "{}\n", self.headline());
        for o in &self.owners {
            let cats: Vec<_> = o.categories.iter().copied().collect();
            let _ = writeln!(out, "{} — {} tracker{} ({})", o.owner, o.trackers, plural(o.trackers), cats.join(", "));
            let rows: Vec<[String; 5]> = self.events_of(&o.owner).map(row).collect();
            table(&mut out, &rows);
            out.push('\n');
        }
        let others: Vec<[String; 5]> = self.others().map(row).collect();
        if !others.is_empty() {
            let _ = writeln!(out, "Links");
            table(&mut out, &others);
            out.push('\n');
        }
        let kept = self.kept_hosts();
        if !kept.is_empty() {
            let list: Vec<String> =
                kept.iter().map(|(h, n)| if *n > 1 { format!("{h} ({n})") } else { h.to_string() }).collect();
            let _ = writeln!(out, "Kept third-party hosts (no rule flags them): {}", list.join(", "));
        }
        out
    }

    pub fn to_html(&self) -> String {
        let mut h = String::with_capacity(16 * 1024);
        let title = format!("trackstrip audit: {}", self.page_url.as_deref().unwrap_or(&self.page));
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>{}</style></head><body>\n<h1>{}</h1>\n<p class=\"meta\">rules {} · {}</p>\n<p class=\"headline\">{}</p>\n",
            esc(&title),
            CSS,
            esc(&title),
            esc(&self.rules_version),
            esc(&self.rule_sources.join(", ")),
            esc(&self.headline())
        );
        h.push_str("<section class=\"cards\">");
        for (cat, n) in &self.summary.by_category {
            let _ = write!(h, "<div class=\"card\"><b>{n}</b><span>{}</span></div>", esc(cat));
        }
        h.push_str("</section>\n");
        for o in &self.owners {
            let cats: Vec<_> = o.categories.iter().copied().collect();
            let _ = writeln!(
                h,
                "<h2>{} <small>{} tracker{} · {}</small></h2>",
                esc(&o.owner),
                o.trackers,
                plural(o.trackers),
                esc(&cats.join(", "))
            );
            html_table(&mut h, self.events_of(&o.owner));
        }
        if self.others().next().is_some() {
            h.push_str("<h2>Links</h2>\n");
            html_table(&mut h, self.others());
        }
        let kept = self.kept_hosts();
        if !kept.is_empty() {
            h.push_str("<h2>Kept third-party hosts <small>no rule flags them</small></h2>\n<ul class=\"kept\">");
            for (host, n) in kept {
                let _ = write!(h, "<li>{} <small>×{n}</small></li>", esc(host));
            }
            h.push_str("</ul>\n");
        }
        h.push_str("</body></html>\n");
        h
    }
}

const HEADERS: [&str; 5] = ["ACTION", "ELEMENT", "LINE", "WHAT", "RULE"];

fn row(e: &AuditEvent) -> [String; 5] {
    let what = match (&e.tracker, &e.host) {
        (Some(t), Some(h)) if e.reason == Reason::Loader => format!("{t} (inline loader of {h})"),
        (Some(t), Some(h)) => format!("{t} ({h})"),
        (Some(t), None) => t.clone(),
        (None, Some(h)) => h.clone(),
        (None, None) => e.url.clone().unwrap_or_default(),
    };
    let what = match &e.detail {
        Some(d) if matches!(e.reason, Reason::Param) => format!("{what}: {d}"),
        _ => what,
    };
    let mut element = if e.in_noscript { format!("noscript>{}", e.element) } else { e.element.clone() };
    if e.detail.as_deref().is_some_and(|d| d.starts_with("consent-gated")) {
        element.push_str(" (consent-gated)");
    }
    let rule = e.rule.as_ref().map_or_else(String::new, |r| format!("{} {}", r.location(), r.text()));
    [e.action.as_str().to_string(), element, e.line.to_string(), what, rule]
}

fn table(out: &mut String, rows: &[[String; 5]]) {
    let mut w = HEADERS.map(str::len);
    for r in rows {
        for (i, c) in r.iter().enumerate().take(4) {
            w[i] = w[i].max(c.chars().count()).min(60);
        }
    }
    let line = |out: &mut String, cells: [&str; 5]| {
        let mut s = String::from("  ");
        for (i, c) in cells.iter().enumerate() {
            let c: String = c.chars().take(if i == 3 { 60 } else { 200 }).collect();
            if i < 4 {
                let _ = write!(s, "{c:<width$}  ", width = w[i]);
            } else {
                s.push_str(&c);
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(out, HEADERS);
    for r in rows {
        line(out, [&r[0], &r[1], &r[2], &r[3], &r[4]]);
    }
}

fn html_table<'a>(h: &mut String, events: impl Iterator<Item = &'a AuditEvent>) {
    h.push_str("<table><thead><tr>");
    for c in HEADERS {
        let _ = write!(h, "<th>{}</th>", c.to_lowercase());
    }
    h.push_str("</tr></thead><tbody>\n");
    for e in events {
        let r = row(e);
        let _ = writeln!(
            h,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td title=\"{}\">{}</td><td><code>{}</code></td></tr>",
            esc(&r[0]),
            esc(&r[0]),
            esc(&r[1]),
            esc(&r[2]),
            esc(e.url.as_deref().unwrap_or("")),
            esc(&r[3]),
            esc(&r[4])
        );
    }
    h.push_str("</tbody></table>\n");
}

/// "s" unless `n` is 1.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const CSS: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}\
h1{font-size:1.4em;word-break:break-all}h2{font-size:1.1em;margin-top:1.6em}h2 small,li small{color:#777;font-weight:normal}\
.meta{color:#777}.headline{font-size:1.1em}.cards{display:flex;gap:.8em;flex-wrap:wrap}\
.card{border:1px solid #ddd;border-radius:6px;padding:.5em 1em}.card b{font-size:1.5em;margin-right:.4em}\
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eee;vertical-align:top}\
td:nth-child(4){word-break:break-all}code{font-size:12px}tr.keep{color:#777}\
tr.remove td:first-child,tr.replace td:first-child{color:#b00}.kept{columns:3}";
