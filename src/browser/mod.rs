//! `trackstrip audit --browser`: what a page really loads once its scripts run, observed in a
//! real headless Chromium through an in-process trackstrip listener (report-only, and with
//! `--compare` enforcing too).

mod chromium;
pub mod model;
pub mod report;
mod report_aggregate;
pub mod report_html;
mod report_table;
mod session;

pub use chromium::{BACKGROUND_OFF, BrowserError, find as find_browser, visible_text};
pub use model::{PageAudit, PageLoad, Request, SCHEMA, Verdict};
pub use session::{SessionError, Setup};

/// Audits one page: a report-only load, then with `compare` an enforcing one.
pub async fn audit_page(setup: &Setup, url: &str, compare: bool) -> PageAudit {
    let mut audit = PageAudit {
        schema: SCHEMA.to_string(),
        url: url.to_string(),
        rules_version: setup.rules.version.to_string(),
        error: None,
        observed: None,
        enforced: None,
    };
    match setup.load(url, false).await {
        Ok(load) => audit.observed = Some(load),
        Err(e) => {
            audit.error = Some(e.to_string());
            return audit;
        }
    }
    if compare {
        match setup.load(url, true).await {
            Ok(load) => audit.enforced = Some(load),
            Err(e) => audit.error = Some(format!("enforcing load: {e}")),
        }
    }
    audit
}
