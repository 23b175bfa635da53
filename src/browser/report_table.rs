//! The terminal view of a dynamic audit: the summary lines, the `--compare` rows and the
//! request table.

use super::model::{PageAudit, PageLoad, Verdict};
use super::report::*;
pub(super) use crate::audit::report::plural;
use std::fmt::Write as _;

/// One summary category, for the table's lines and the HTML cards.
pub(super) struct Category {
    pub title: &'static str,
    /// The count, or found / not found.
    pub value: String,
    /// Companies (or services, hosts, evidence URLs).
    pub detail: String,
    pub found: bool,
    /// What the table prints after the title.
    pub line: String,
}

pub(super) fn categories(s: &Summary) -> Vec<Category> {
    let names = |v: &[Service]| v.iter().map(|x| format!("{} ({})", x.name, x.owner)).collect::<Vec<_>>().join(", ");
    let evidence = |title, e: &Evidence| Category {
        title,
        value: if e.found { "found" } else { "not found" }.into(),
        detail: e.urls.join(", "),
        found: e.found,
        line: if e.found { format!("found ({})", e.urls.join(", ")) } else { "not found".into() },
    };
    let counted = |title, n: usize, detail: String, line: String| Category {
        title,
        value: n.to_string(),
        detail,
        found: n > 0,
        line: if n == 0 { "none".into() } else { line },
    };
    let (ads, c, b) = (&s.ad_trackers, &s.third_party_cookies, &s.beacons);
    let (replay, analytics) = (names(&s.session_recording), names(&s.analytics));
    vec![
        counted(
            "Ad trackers",
            ads.count,
            ads.companies.join(", "),
            format!("{} ({})", ads.count, ads.companies.join(", ")),
        ),
        counted(
            "Third-party cookies",
            c.count,
            c.companies.join(", "),
            format!(
                "{} set by {}{}",
                c.count,
                c.hosts.join(", "),
                if s.gpc_sent { " (despite Global Privacy Control)" } else { "" }
            ),
        ),
        evidence("Facebook pixel", &s.facebook_pixel),
        evidence("Google Analytics remarketing", &s.google_analytics_remarketing),
        counted("Session recording", s.session_recording.len(), replay.clone(), replay),
        counted("Analytics", s.analytics.len(), analytics.clone(), analytics),
        counted("Beacons", b.count, b.hosts.join(", "), format!("{} POSTs/pings to {}", b.count, b.hosts.join(", "))),
        counted(
            "CNAME-cloaked trackers",
            s.cname_cloaked.count,
            s.cname_cloaked.chains.join(", "),
            format!("{} requests via {}", s.cname_cloaked.count, s.cname_cloaked.chains.join(", ")),
        ),
    ]
}

/// The `--compare` rows: metric, report-only, enforcing, change.
pub(super) fn comparison_rows(c: &Comparison) -> Vec<[String; 4]> {
    let n = |b: usize, a: usize, what: &str| [what.into(), b.to_string(), a.to_string(), delta(b, a)];
    vec![
        n(c.requests_before, c.requests_after, "Requests"),
        n(c.third_party_requests_before, c.third_party_requests_after, "Third-party requests"),
        n(c.third_party_hosts_before, c.third_party_hosts_after, "Third-party hosts"),
        n(c.tracker_requests_before, c.tracker_requests_after, "Tracker requests reaching origins"),
        n(c.third_party_cookies_before, c.third_party_cookies_after, "Third-party cookies"),
        [
            "Third-party bytes".into(),
            fmt_bytes(c.bytes_third_party_before),
            fmt_bytes(c.bytes_third_party_after),
            format!("{} saved", fmt_bytes(c.bytes_saved)),
        ],
        [
            "Visible text (characters)".into(),
            c.text_chars_before.to_string(),
            c.text_chars_after.to_string(),
            format!("{:.0}% kept", c.text_kept * 100.0),
        ],
    ]
}

pub(super) fn delta(b: usize, a: usize) -> String {
    match a.cmp(&b) {
        std::cmp::Ordering::Equal => "=".into(),
        std::cmp::Ordering::Greater => format!("+{}", a - b),
        std::cmp::Ordering::Less => format!("-{}", b - a),
    }
}

/// One row of the request table: kind, method, status, party, bytes, host+path, owner/category, rule.
/// Stripped page elements follow their document with `element` set.
pub(super) struct Row {
    pub cells: [String; 8],
    pub url: String,
    pub tracker: bool,
    pub element: bool,
}

pub(super) fn rows(load: &PageLoad) -> Vec<Row> {
    let who = |v: &Verdict| format!("{}/{}", v.owner, v.category);
    let mut out = Vec::new();
    for r in &load.requests {
        let status = if r.status == 0 { "-".to_string() } else { r.status.to_string() };
        let party = if r.third_party { "3rd" } else { "1st" };
        let what = r.url.split_once("://").map_or(r.url.as_str(), |(_, rest)| rest).to_string();
        let (owner, rule) = r.tracker.as_ref().map_or(("-".into(), "-".into()), |v| (who(v), v.rule.clone()));
        let cells = [r.kind.clone(), r.method.clone(), status, party.into(), fmt_bytes(r.bytes), what, owner, rule];
        out.push(Row { cells, url: r.url.clone(), tracker: r.tracker.is_some(), element: false });
        for v in &r.stripped {
            let what = format!("└ {} {}", v.action, v.name);
            let mut cells: [String; 8] = Default::default();
            (cells[5], cells[6], cells[7]) = (what, who(v), v.rule.clone());
            out.push(Row { cells, url: r.url.clone(), tracker: true, element: true });
        }
    }
    out
}

pub(super) fn fmt_bytes(b: u64) -> String {
    match b {
        0..1000 => format!("{b} B"),
        1000..1_000_000 => format!("{:.1} kB", b as f64 / 1e3),
        _ => format!("{:.1} MB", b as f64 / 1e6),
    }
}

pub(super) fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { s.chars().take(max - 1).chain(['…']).collect() }
}

/// Left-aligned columns, two-space indent; the last column is not padded.
pub(super) fn text_table<const N: usize>(out: &mut String, headers: [&str; N], rows: &[[String; N]]) {
    let mut w = headers.map(|h| h.chars().count());
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut line = |cells: [&str; N]| {
        let mut s = String::from("  ");
        for (i, c) in cells.iter().enumerate() {
            let _ = write!(s, "{c:<width$}  ", width = if i + 1 == N { 0 } else { w[i] });
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(headers);
    for r in rows {
        line(std::array::from_fn(|i| r[i].as_str()));
    }
}

pub fn table(audit: &PageAudit) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "trackstrip browser audit: {} (rules {})", audit.url, audit.rules_version);
    if let Some(e) = &audit.error {
        let _ = writeln!(out, "error: {e}");
    }
    if let Some(s) = summary(audit) {
        out.push('\n');
        for c in categories(&s) {
            let _ = writeln!(out, "{}: {}", c.title, c.line);
        }
        let _ = writeln!(
            out,
            "{} tracker service{} from {} compan{}; {} of {} requests to {} third-party host{} ({})",
            s.trackers_total,
            plural(s.trackers_total),
            s.companies.len(),
            if s.companies.len() == 1 { "y" } else { "ies" },
            s.third_party_requests,
            s.requests,
            s.third_party_hosts,
            plural(s.third_party_hosts),
            fmt_bytes(s.bytes_third_party)
        );
    }
    if let Some(load) = &audit.observed {
        let _ = writeln!(out, "\nRequests ({} load)", load.mode);
        let rows: Vec<[String; 8]> = rows(load)
            .into_iter()
            .map(|mut r| {
                r.cells[5] = cut(&r.cells[5], 60);
                r.cells
            })
            .collect();
        text_table(&mut out, ["KIND", "METHOD", "STATUS", "PARTY", "BYTES", "URL", "OWNER/CATEGORY", "RULE"], &rows);
    }
    if let Some(c) = comparison(audit) {
        out.push_str("\nWith trackstrip enforcing\n");
        text_table(&mut out, ["", "REPORT-ONLY", "ENFORCING", "CHANGE"], &comparison_rows(&c));
        let _ = writeln!(out, "  Answered locally: {}", c.answered_locally);
        if !c.hosts_removed.is_empty() {
            let _ = writeln!(out, "  Hosts no longer contacted: {}", c.hosts_removed.join(", "));
        }
        let _ = writeln!(out, "  Console errors introduced: {}", c.console_errors_introduced.len());
        for e in &c.console_errors_introduced {
            let _ = writeln!(out, "    {}", cut(e, 200));
        }
    }
    out
}
