//! Handlers for elements that reference URLs: images, scripts, frames, links, anchors.

use super::pixel::pixel_rule;
use super::state::State;
use crate::audit::{Action, AuditEvent, Party};
use crate::policy::{Decision, Reason, RequestKind, ResourceUrl, Verdict, classify, decode_amp, who_runs};
use crate::rules::{Category, RuleRef};
use lol_html::send::Element;

impl State {
    /// Judges the URL in `attr` and removes the element when it is a tracker.
    /// `pixel`: also apply the tracking-pixel heuristic. Returns whether it was stripped.
    pub(crate) fn check_element(
        &mut self,
        el: &mut Element<'_, '_>,
        tag: &str,
        attr: &'static str,
        kind: RequestKind,
        pixel: bool,
    ) -> bool {
        self.check_element_in(el, tag, attr, attr, kind, pixel)
    }

    /// `check_element` for a URL held in attribute `from`, reported as `attr` (a consent
    /// platform keeps a script's URL in `data-src` and the like until the reader accepts).
    pub(crate) fn check_element_in(
        &mut self,
        el: &mut Element<'_, '_>,
        tag: &str,
        from: &str,
        attr: &'static str,
        kind: RequestKind,
        pixel: bool,
    ) -> bool {
        // The value is borrowed from the page while it is judged; the element is changed after.
        let found = {
            let Some(raw) = el.get_attribute_cow(from) else {
                return false;
            };
            let Some(res) = self.page.resolve(&raw) else {
                return false;
            };
            self.judge(el, tag, attr, res, kind, pixel, None)
        };
        self.strip(el, found)
    }

    /// Removes the element a tracker was found in (unless report-only) and records it.
    fn strip(&mut self, el: &mut Element<'_, '_>, found: Option<(AuditEvent, usize)>) -> bool {
        let Some((ev, offset)) = found else {
            return false;
        };
        if self.opts.enforce {
            el.remove();
        }
        self.record(ev, offset);
        true
    }

    /// The event for a tracker at `res` (its byte offset in the page), or None when it is kept.
    #[allow(clippy::too_many_arguments)]
    fn judge(
        &mut self,
        el: &Element<'_, '_>,
        tag: &str,
        attr: &'static str,
        res: ResourceUrl<'_>,
        kind: RequestKind,
        pixel: bool,
        rel: Option<&str>,
    ) -> Option<(AuditEvent, usize)> {
        let offset = el.source_location().bytes().start;
        let judged = classify(&self.rules, &self.page, &res, kind);
        let third = judged.third_party;
        let (decision, via_cname) = self.uncloak(judged.decision, &res, kind);
        let verdict = match decision {
            Decision::Tracker(v) => Some(v),
            Decision::Allowed(rule) => {
                self.keep(tag, attr, &res, third, Reason::Allowed, Some(rule), offset);
                return None;
            }
            Decision::Pass if pixel && third => pixel_rule(&self.rules.pixels, el, &res.path).map(|rule| {
                let (name, owner, category) = who_runs(&self.rules, &res.host, Category::Analytics);
                Verdict { name, owner, category, rule: rule.clone(), reason: Reason::Pixel }
            }),
            Decision::Pass => None,
        };
        let Some(v) = verdict else {
            self.keep(tag, attr, &res, third, Reason::None, None, offset);
            return None;
        };
        let mut ev = AuditEvent::tracker(Action::Remove, tag, attr, &v);
        ev.party = if third { Party::Third } else { Party::First };
        ev.url = Some(decode_amp(&res.to_url_string()).into_owned());
        ev.host = Some(res.host.into_owned());
        ev.detail = rel.map(|r| format!("rel={}", r.split_ascii_whitespace().collect::<Vec<_>>().join(" ")));
        ev.via_cname = via_cname;
        Some((ev, offset))
    }

    /// The host's aliases as DNS knows them, asked once per page and host (a page names the
    /// same few hosts many times); an unknown host is looked up in the background.
    fn cname_chain(&mut self, host: &str) -> Option<crate::upstream::Chain> {
        if let Some(known) = self.cnames_seen.get(host) {
            return known.clone();
        }
        let dns = self.opts.cnames.as_ref()?;
        let known = dns.known(host);
        if known.is_none() {
            dns.prefetch(host);
        }
        if self.cnames_seen.len() < 1024 {
            self.cnames_seen.insert(host.into(), known.clone());
        }
        known
    }

    /// What the DNS cache knows of the host's aliases, when the rules said nothing or only
    /// guessed from the name: a cloaked tracker is judged as the tracker. An unknown host is
    /// looked up in the background; the page never waits (the proxy judges the request).
    fn uncloak(&mut self, decision: Decision, res: &ResourceUrl<'_>, kind: RequestKind) -> (Decision, Option<String>) {
        if !crate::policy::may_uncloak(&decision) || !self.opts.cnames.as_ref().is_some_and(|d| d.uncloaks()) {
            return (decision, None);
        }
        let found = self
            .cname_chain(&res.host)
            .and_then(|chain| crate::policy::uncloak(&self.rules, &self.page, res, kind, &chain));
        match found {
            Some((v, via)) => (Decision::Tracker(v), Some(via)),
            None => (decision, None),
        }
    }

    /// Audits list every third-party resource, kept ones included.
    #[allow(clippy::too_many_arguments)]
    fn keep(
        &mut self,
        tag: &str,
        attr: &'static str,
        res: &ResourceUrl<'_>,
        third: bool,
        reason: Reason,
        rule: Option<RuleRef>,
        offset: usize,
    ) {
        if !self.opts.report_kept || !third {
            return;
        }
        let mut ev = AuditEvent::plain(Action::Keep, tag, attr, reason, rule);
        ev.party = Party::Third;
        ev.url = Some(decode_amp(&res.to_url_string()).into_owned());
        ev.host = Some(res.host.to_string());
        ev.owner = Some(crate::policy::site_of(&res.host).to_string());
        self.record(ev, offset);
    }

    pub(crate) fn on_input(&mut self, el: &mut Element<'_, '_>) {
        if el.get_attribute_cow("type").is_some_and(|t| t.trim().eq_ignore_ascii_case("image")) {
            self.check_element(el, "input", "src", RequestKind::Image, true);
        }
    }

    /// `<link rel=preconnect|dns-prefetch|preload|prefetch|modulepreload|stylesheet>`.
    pub(crate) fn on_link(&mut self, el: &mut Element<'_, '_>) {
        let found = {
            let rel = el.get_attribute_cow("rel").unwrap_or_default();
            let Some((kind, origin_only)) = link_kind(&rel, el.get_attribute_cow("as").as_deref()) else {
                return;
            };
            let Some(raw) = el.get_attribute_cow("href") else {
                return;
            };
            let Some(mut res) = self.page.resolve(&raw) else {
                return;
            };
            if origin_only {
                // A connection hint names an origin; judge it as the bare origin.
                res.path = "/".into();
            }
            self.judge(el, "link", "href", res, kind, false, Some(&rel))
        };
        self.strip(el, found);
    }

    /// Hyperlink auditing: `ping` sends a POST to each URL on click. Removed whatever the host.
    pub(crate) fn on_ping(&mut self, el: &mut Element<'_, '_>, tag: &str) {
        let offset = el.source_location().bytes().start;
        let ev = {
            let Some(ping) = el.get_attribute_cow("ping") else {
                return;
            };
            let rule = RuleRef::builtin("hyperlink auditing: the ping attribute is always removed");
            let mut ev = AuditEvent::plain(Action::RemoveAttribute, tag, "ping", Reason::Ping, Some(rule));
            let first = ping.split_ascii_whitespace().next().unwrap_or("");
            if let Some(res) = self.page.resolve(first) {
                ev.party = if self.page.is_third_party(&res.host) { Party::Third } else { Party::First };
                ev.url = Some(decode_amp(&res.to_url_string()).into_owned());
                ev.host = Some(res.host.into_owned());
            }
            ev.detail = Some(format!("ping={}", ping.trim()));
            ev
        };
        if self.opts.enforce {
            el.remove_attribute("ping");
        }
        self.record(ev, offset);
    }

    /// Takes tracking parameters out of `a[href]`, `area[href]`, `form[action]`.
    pub(crate) fn on_params(&mut self, el: &mut Element<'_, '_>, tag: &str, attr: &'static str) {
        if attr == "href" && self.on_wrapped_link(el, tag, attr) {
            return;
        }
        let (cleaned, ev) = {
            let Some(value) = el.get_attribute_cow(attr) else {
                return;
            };
            // A value that didn't decode cleanly can't be written back byte for byte: leave it.
            if !self.rules.params.mentions(&value, true) || value.contains('\u{FFFD}') {
                return;
            }
            let target = self.page.resolve(&value).map(|r| r.host.into_owned());
            let Some(cleaned) = self.rules.params.clean(&value, target.as_deref(), true) else {
                return;
            };
            let names: Vec<&str> = cleaned.removed.iter().map(|(n, _)| n.as_str()).collect();
            let rule = cleaned.removed.first().map(|(_, r)| r.clone());
            let mut ev = AuditEvent::plain(Action::Clean, tag, attr, Reason::Param, rule);
            if target.as_deref().is_some_and(|h| self.page.is_third_party(h)) {
                ev.party = Party::Third;
            }
            ev.url = Some(decode_amp(&value).into_owned());
            ev.host = target;
            ev.detail = Some(format!("removed {}", names.join(", ")));
            (cleaned.url, ev)
        };
        let offset = el.source_location().bytes().start;
        if self.opts.enforce && el.set_attribute(attr, &cleaned).is_err() {
            return;
        }
        self.record(ev, offset);
    }
}

/// The request a `<link>` makes, and whether only its origin matters.
fn link_kind(rel: &str, as_: Option<&str>) -> Option<(RequestKind, bool)> {
    let is = |token: &str, name: &str| token.eq_ignore_ascii_case(name);
    rel.split_ascii_whitespace().find_map(|t| {
        if is(t, "preconnect") || is(t, "dns-prefetch") {
            Some((RequestKind::Other, true))
        } else if is(t, "stylesheet") {
            Some((RequestKind::Stylesheet, false))
        } else if is(t, "modulepreload") {
            Some((RequestKind::Script, false))
        } else if is(t, "preload") || is(t, "prefetch") || is(t, "prerender") {
            Some((preload_kind(as_), false))
        } else {
            None
        }
    })
}

fn preload_kind(as_: Option<&str>) -> RequestKind {
    match as_.map(|a| a.trim().to_ascii_lowercase()).as_deref() {
        Some("script") => RequestKind::Script,
        Some("style") => RequestKind::Stylesheet,
        Some("image") => RequestKind::Image,
        Some("font") => RequestKind::Font,
        Some("fetch") => RequestKind::Xhr,
        Some("document") => RequestKind::Subdocument,
        Some("audio" | "video" | "track") => RequestKind::Media,
        _ => RequestKind::Other,
    }
}
