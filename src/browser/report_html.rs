//! The dynamic audit as one self-contained HTML file: inline CSS, no script, no external
//! resources, every string escaped (URLs and console messages come from the audited page).

use super::model::PageAudit;
use super::report::{categories, comparison, comparison_rows, fmt_bytes, rows, summary};
use crate::audit::report::esc;
use std::fmt::Write as _;

pub fn html(audit: &PageAudit) -> String {
    let mut h = String::with_capacity(32 * 1024);
    let title = format!("trackstrip browser audit: {}", audit.url);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n<style>{CSS}</style></head><body>\n<h1>{}</h1>\n<p class=\"meta\">rules {}</p>\n",
        esc(&title),
        esc(&title),
        esc(&audit.rules_version)
    );
    if let Some(e) = &audit.error {
        let _ = writeln!(h, "<p class=\"error\">Error: {}</p>", esc(e));
    }
    if let Some(s) = summary(audit) {
        h.push_str("<section class=\"cards\">\n");
        for c in categories(&s) {
            let _ = writeln!(
                h,
                "<div class=\"card{}\"><h3>{}</h3><b>{}</b><p>{}</p></div>",
                if c.found { " found" } else { "" },
                esc(c.title),
                esc(&c.value),
                esc(&c.detail)
            );
        }
        h.push_str("</section>\n");
        let _ = writeln!(
            h,
            "<p class=\"headline\">{} tracker services from {} companies · {} of {} requests to {} third-party hosts ({})</p>",
            s.trackers_total,
            s.companies.len(),
            s.third_party_requests,
            s.requests,
            s.third_party_hosts,
            esc(&fmt_bytes(s.bytes_third_party))
        );
    }
    if let Some(c) = comparison(audit) {
        h.push_str("<h2>With trackstrip enforcing</h2>\n<table class=\"cmp\"><thead><tr><th></th><th>report-only</th><th>enforcing</th><th>change</th></tr></thead><tbody>\n");
        for r in comparison_rows(&c) {
            let _ = writeln!(
                h,
                "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r[0]),
                esc(&r[1]),
                esc(&r[2]),
                esc(&r[3])
            );
        }
        let _ = writeln!(h, "<tr><th>Answered locally</th><td></td><td>{}</td><td></td></tr>", c.answered_locally);
        h.push_str("</tbody></table>\n");
        list(&mut h, "Hosts no longer contacted", &c.hosts_removed);
        list(&mut h, "Console errors introduced", &c.console_errors_introduced);
    }
    if let Some(load) = &audit.observed {
        let _ = writeln!(h, "<h2>Requests <small>{} load</small></h2>", esc(&load.mode));
        h.push_str("<table class=\"req\"><thead><tr>");
        for c in ["kind", "method", "status", "party", "bytes", "url", "owner/category", "rule"] {
            let _ = write!(h, "<th>{c}</th>");
        }
        h.push_str("</tr></thead><tbody>\n");
        for r in rows(load) {
            let class = if r.element {
                "el"
            } else if r.tracker {
                "tracker"
            } else {
                r.cells[3].as_str()
            };
            let _ = write!(h, "<tr class=\"p{}\">", esc(class));
            for (i, c) in r.cells.iter().enumerate() {
                match i {
                    5 => _ = write!(h, "<td title=\"{}\">{}</td>", esc(&r.url), esc(c)),
                    7 => _ = write!(h, "<td><code>{}</code></td>", esc(c)),
                    _ => _ = write!(h, "<td>{}</td>", esc(c)),
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</body></html>\n");
    h
}

fn list(h: &mut String, title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = write!(h, "<h3>{} <small>{}</small></h3>\n<ul>", esc(title), items.len());
    for i in items {
        let _ = write!(h, "<li><code>{}</code></li>", esc(i));
    }
    h.push_str("</ul>\n");
}

const CSS: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}\
h1{font-size:1.4em;word-break:break-all}h2{font-size:1.1em;margin-top:1.6em}h2 small,h3 small{color:#777;font-weight:normal}\
.meta{color:#777}.error{color:#b00;font-weight:bold}.headline{font-size:1.05em}\
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:.8em}\
.card{border:1px solid #ddd;border-radius:6px;padding:.5em 1em}.card.found{border-color:#d88;background:#fff6f6}\
.card h3{font-size:.9em;margin:0;color:#555}.card b{font-size:1.5em}.card p{margin:.2em 0;font-size:13px;word-break:break-word}\
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eee;vertical-align:top}\
table.cmp{width:auto}table.req td:nth-child(5){white-space:nowrap}table.req td:nth-child(6){word-break:break-all}code{font-size:12px}\
tr.ptracker td:nth-child(7){color:#b00}tr.pel{color:#a55}tr.p1st{color:#777}";

#[cfg(test)]
mod tests {
    use super::super::model::{PageLoad, Request, SCHEMA, Verdict};
    use super::*;

    #[test]
    fn attacker_controlled_strings_are_escaped() {
        let evil = "https://evil.test/<script>alert(\"x\")</script>";
        let v = Verdict {
            name: "<b>Ads</b>".into(),
            owner: "O'Brien & Co".into(),
            category: "advertising".into(),
            action: "block".into(),
            rule: "rules/x.toml:1 <img src=x>".into(),
            via_cname: Some("a.evil.test → <b>.test".into()),
        };
        let r = Request {
            method: "POST".into(),
            url: evil.into(),
            host: "evil.test".into(),
            kind: "xhr".into(),
            status: 200,
            third_party: true,
            bytes: 10,
            tracker: Some(v),
            set_cookies: vec!["<c>".into()],
            stripped: vec![],
            answered_locally: false,
        };
        let load = |mode: &str, errors: Vec<String>| PageLoad {
            mode: mode.into(),
            requests: vec![r.clone()],
            console_errors: errors,
            text_chars: 1,
            text_sample: String::new(),
            elapsed_ms: 1,
            gpc_sent: true,
        };
        let audit = PageAudit {
            schema: SCHEMA.into(),
            url: evil.into(),
            rules_version: "<v>".into(),
            error: Some("<script>boom</script>".into()),
            observed: Some(load("report", vec![])),
            enforced: Some(load("enforce", vec!["Error: <script>".into()])),
        };
        let h = html(&audit);
        assert!(h.starts_with("<!DOCTYPE html>") && h.ends_with("</html>\n"));
        assert!(!h.contains("<script") && !h.contains("<img") && !h.contains("<b>Ads") && !h.contains("<c>"), "{h}");
        assert!(h.contains("https://evil.test/&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
        assert!(h.contains("O&#39;Brien &amp; Co/advertising"));
        assert!(h.contains("<td title=\"https://evil.test/&lt;script&gt;"));
        assert!(h.contains("<li><code>Error: &lt;script&gt;</code></li>"), "console error introduced, escaped");
        // Self-contained: no external resources, no script.
        assert!(!h.contains("src=\"") && !h.contains("<link") && !h.contains("url(") && !h.contains("@import"));
        assert!(h.contains("Ad trackers</h3><b>1</b><p>O&#39;Brien &amp; Co</p>"));
    }
}
