//! Link wrappers (`google.com/url?q=…`, `l.facebook.com/l.php?u=…`): the destination is
//! written in place of the wrapper, cleaned of tracking parameters, so a click goes straight
//! there and tells the wrapper's owner nothing.

use super::state::State;
use crate::audit::{Action, AuditEvent, Party};
use crate::policy::{Reason, decode_amp};
use lol_html::send::Element;

impl State {
    /// Unwraps the link in `attr`; true when it was a wrapper (recorded, and rewritten unless
    /// report-only). Any other link is left exactly as it was.
    pub(crate) fn on_wrapped_link(&mut self, el: &mut Element<'_, '_>, tag: &str, attr: &'static str) -> bool {
        let (dest, ev) = {
            let Some(value) = el.get_attribute_cow(attr) else { return false };
            // A value that didn't decode cleanly can't be judged as written: leave it.
            if !self.rules.redirects.may_wrap(&value) || value.contains('\u{FFFD}') {
                return false;
            }
            let Some(res) = self.page.resolve(&value) else { return false };
            let wrapped = decode_amp(&res.to_url_string()).into_owned();
            let Some(found) = self.rules.redirects.unwrap(&wrapped, self.page.host()) else { return false };
            let dest_host = url::Url::parse(&found.url).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
            let cleaned = self.rules.params.clean(&found.url, dest_host.as_deref(), false);
            let mut detail = format!("to {}", cleaned.as_ref().map_or(found.url.as_str(), |c| c.url.as_str()));
            if let Some(c) = &cleaned {
                let names: Vec<&str> = c.removed.iter().map(|(n, _)| n.as_str()).collect();
                detail.push_str(&format!("; removed {}", names.join(", ")));
            }
            let mut ev = AuditEvent::plain(Action::Unwrap, tag, attr, Reason::Redirect, found.rules.first().cloned());
            ev.party = if self.page.is_third_party(&res.host) { Party::Third } else { Party::First };
            ev.url = Some(wrapped);
            ev.host = Some(res.host.into_owned());
            ev.detail = Some(detail);
            (cleaned.map_or(found.url, |c| c.url), ev)
        };
        let offset = el.source_location().bytes().start;
        if self.opts.enforce && el.set_attribute(attr, &dest).is_err() {
            return false;
        }
        self.record(ev, offset);
        true
    }
}
