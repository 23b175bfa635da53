//! Inline `<script>` and `<noscript>`: held byte for byte until their end tag, then judged whole.
//!
//! lol_html streams; a script's text arrives after its start tag has been written. So the
//! element's output is held (in `State::sink`) from a streaming hook placed just before its
//! start tag to one placed just after its end tag, and only then kept, replaced or stripped.

use super::Stripper;
use super::state::{Hold, HoldKind, Shared, State, lock};
use crate::audit::{Action, AuditEvent, Party};
use crate::policy::{Reason, RequestKind};
use lol_html::html_content::{EndTag, StreamingHandlerSink};
use lol_html::send::Element;

/// `<noscript>` blocks larger than this pass through unexamined.
const NOSCRIPT_CAP: usize = 64 * 1024;

impl State {
    pub(crate) fn on_script(&mut self, el: &mut Element<'_, '_>, shared: &Shared) {
        if el.has_attribute("src") {
            self.check_element(el, "script", "src", RequestKind::Script, false);
            return;
        }
        if self.rules.snippets.is_empty() || !is_javascript(el.get_attribute("type").as_deref()) {
            return;
        }
        let cap = self.rules.snippets.largest + 1024;
        begin_hold(el, shared, HoldKind::Script, cap);
    }

    pub(crate) fn on_noscript(&mut self, el: &mut Element<'_, '_>, shared: &Shared) {
        // Inside a noscript being stripped, a nested <noscript> is only text.
        if !self.nested {
            begin_hold(el, shared, HoldKind::Noscript, NOSCRIPT_CAP);
        }
    }

    /// Runs right after the held element's end tag was written.
    fn finish_hold(&mut self) {
        let Some(h) = self.hold.take() else { return };
        if h.overflowed {
            return; // too large to judge; its bytes already went out
        }
        let end = h.content_end.unwrap_or(h.buf.len());
        let start = h.start_len.min(end);
        let replacement = match h.kind {
            HoldKind::Script => self.judge_script(&h, start, end),
            HoldKind::Noscript => self.strip_noscript(&h, start, end),
        };
        match replacement {
            Some(bytes) if self.opts.enforce => self.out.extend_from_slice(&bytes),
            _ => self.out.extend_from_slice(&h.buf),
        }
    }

    /// An analytics snippet is replaced by its no-op stub (or removed when it needs none).
    fn judge_script(&mut self, h: &Hold, start: usize, end: usize) -> Option<Vec<u8>> {
        let rules = self.rules.clone();
        let hit = rules.snippets.check(&h.buf[start..end])?;
        let action = if hit.stub.is_empty() {
            Action::Remove
        } else {
            Action::Replace
        };
        // One event per company: GA's bootstrap and its commands in one script are one tracker.
        let mut owners_seen: Vec<&str> = Vec::new();
        for s in &hit.snippets {
            if owners_seen.contains(&&*s.tracker.owner) {
                continue;
            }
            owners_seen.push(&s.tracker.owner);
            let mut ev = AuditEvent::plain(
                action,
                "script",
                "#text",
                Reason::Snippet,
                Some(s.rule.clone()),
            );
            ev.party = Party::First;
            ev.tracker = Some(s.tracker.name.to_string());
            ev.owner = Some(s.tracker.owner.to_string());
            ev.category = Some(s.tracker.category);
            ev.detail = Some(format!("{} bytes of inline script", end - start));
            self.record(ev, h.offset);
        }
        if hit.stub.is_empty() {
            return Some(Vec::new());
        }
        let mut out = Vec::with_capacity(start + hit.stub.len() + 9);
        out.extend_from_slice(&h.buf[..start]);
        out.extend_from_slice(hit.stub.as_bytes());
        out.extend_from_slice(&h.buf[end..]);
        Some(out)
    }

    /// Strips the markup inside `<noscript>` with a nested stripper; None if nothing changed.
    fn strip_noscript(&mut self, h: &Hold, start: usize, end: usize) -> Option<Vec<u8>> {
        let mut inner = Stripper::build(
            self.rules.clone(),
            self.page.clone(),
            self.opts.clone(),
            true,
        );
        let line = self.line_base + self.lines.line_at(h.offset + start);
        lock(&inner.shared).line_base = line - 1;
        let mut body = inner.write(&h.buf[start..end]).to_vec();
        let done = inner.finish();
        body.extend_from_slice(&done.tail);
        let changed = done.events.iter().any(|e| e.action.strips());
        for ev in done.events {
            self.record(ev, 0);
        }
        if !changed {
            return None;
        }
        let mut out = Vec::with_capacity(h.buf.len());
        out.extend_from_slice(&h.buf[..start]);
        out.extend_from_slice(&body);
        out.extend_from_slice(&h.buf[end..]);
        Some(out)
    }
}

fn begin_hold(el: &mut Element<'_, '_>, shared: &Shared, kind: HoldKind, cap: usize) {
    let loc = el.source_location().bytes();
    let (offset, start_len) = (loc.start, loc.len());
    let before = shared.clone();
    el.streaming_before(Box::new(move |_: &mut StreamingHandlerSink<'_>| {
        let mut st = lock(&before);
        st.release_hold();
        st.hold = Some(Hold {
            kind,
            buf: Vec::new(),
            start_len,
            content_end: None,
            offset,
            cap,
            overflowed: false,
        });
        Ok(())
    }));
    let at_end = shared.clone();
    if let Some(handlers) = el.end_tag_handlers() {
        handlers.push(Box::new(move |end: &mut EndTag<'_>| {
            if let Some(h) = lock(&at_end).hold.as_mut() {
                h.content_end = Some(h.buf.len());
            }
            let after = at_end.clone();
            end.streaming_after(Box::new(move |_: &mut StreamingHandlerSink<'_>| {
                lock(&after).finish_hold();
                Ok(())
            }));
            Ok(())
        }));
    }
}

/// Script types a browser runs (JSON, templates and the like are data, never snippets).
fn is_javascript(ty: Option<&str>) -> bool {
    let Some(ty) = ty else { return true };
    let t = ty.trim().to_ascii_lowercase();
    t.is_empty()
        || t == "module"
        || t.ends_with("javascript")
        || t.ends_with("ecmascript")
        || t.starts_with("text/javascript")
        || t.starts_with("application/javascript")
        || t == "text/jscript"
}
