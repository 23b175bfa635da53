//! The audit event: one record per thing the stripper removed, changed or (for audits) kept.

use crate::policy::{Reason, Verdict};
use crate::rules::{Category, RuleRef};
use serde::Serialize;

/// What happened to the element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The element is gone.
    Remove,
    /// An inline snippet was replaced by a no-op stub (so calls into it don't throw).
    Replace,
    /// One attribute was removed (hyperlink-auditing `ping`).
    RemoveAttribute,
    /// Tracking parameters were taken out of a link.
    Clean,
    /// A link wrapper (redirector) was replaced by the destination it held.
    Unwrap,
    /// Left in place (third-party resource with no rule against it, or allowed).
    Keep,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Remove => "remove",
            Action::Replace => "replace",
            Action::RemoveAttribute => "remove-attribute",
            Action::Clean => "clean",
            Action::Unwrap => "unwrap",
            Action::Keep => "keep",
        }
    }

    /// Does this action take a tracker out of the page?
    pub fn strips(self) -> bool {
        !matches!(self, Action::Keep)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Party {
    First,
    Third,
}

/// One audit record. The JSON schema is documented in docs/audit.md.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    pub action: Action,
    /// False in report-only mode: the action was decided, not applied.
    pub enforced: bool,
    /// Tag name, e.g. `img`, `script`, `link`.
    pub element: String,
    /// The attribute that holds the URL (`src`, `href`, `ping`...), or `#text` for inline scripts.
    pub attribute: &'static str,
    pub url: Option<String>,
    pub host: Option<String>,
    pub party: Party,
    /// The tracking service, e.g. "Google Analytics".
    pub tracker: Option<String>,
    /// The company behind it, e.g. "Google".
    pub owner: Option<String>,
    pub category: Option<Category>,
    pub reason: Reason,
    /// The deciding rule: file:line and its text.
    pub rule: Option<RuleRef>,
    /// 1-based line of the element in the page.
    pub line: usize,
    pub in_noscript: bool,
    /// Extra facts: removed parameter names, the stub that replaced a snippet, ...
    pub detail: Option<String>,
    /// The CNAME chain that showed the host to be a tracker: `a.site → b.tracker.net`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_cname: Option<String>,
}

impl AuditEvent {
    /// An event for a tracker verdict on a URL-bearing element.
    pub fn tracker(action: Action, element: &str, attribute: &'static str, v: &Verdict) -> AuditEvent {
        AuditEvent {
            action,
            enforced: true,
            element: element.to_string(),
            attribute,
            url: None,
            host: None,
            party: Party::Third,
            tracker: Some(v.name.to_string()),
            owner: Some(v.owner.to_string()),
            category: Some(v.category),
            reason: v.reason,
            rule: Some(v.rule.clone()),
            line: 0,
            in_noscript: false,
            detail: None,
            via_cname: None,
        }
    }

    /// An event with no tracker behind it (pings, parameters, kept resources).
    pub fn plain(
        action: Action,
        element: &str,
        attribute: &'static str,
        reason: Reason,
        rule: Option<RuleRef>,
    ) -> AuditEvent {
        AuditEvent {
            action,
            enforced: true,
            element: element.to_string(),
            attribute,
            url: None,
            host: None,
            party: Party::First,
            tracker: None,
            owner: None,
            category: None,
            reason,
            rule,
            line: 0,
            in_noscript: false,
            detail: None,
            via_cname: None,
        }
    }

    /// Counts toward "trackers found": a tracker stripped, or one that would be in report-only mode.
    pub fn is_tracker(&self) -> bool {
        self.action.strips() && self.tracker.is_some()
    }
}
