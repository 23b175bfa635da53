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
            let Some(found) = self.rules.unwrap_link(&wrapped, self.page.host()) else { return false };
            let mut detail = format!("to {}", found.url);
            if !found.removed.is_empty() {
                detail.push_str(&format!("; removed {}", found.removed.join(", ")));
            }
            let mut ev = AuditEvent::plain(Action::Unwrap, tag, attr, Reason::Redirect, found.rules.first().cloned());
            ev.party = if self.page.is_third_party(&res.host) { Party::Third } else { Party::First };
            ev.url = Some(wrapped);
            ev.host = Some(res.host.into_owned());
            ev.detail = Some(detail);
            (found.url, ev)
        };
        let offset = el.source_location().bytes().start;
        if self.opts.enforce && el.set_attribute(attr, &dest).is_err() {
            return false;
        }
        self.record(ev, offset);
        true
    }
}
