//! Inline `<script>` and `<noscript>`: held byte for byte until their end tag, then judged whole.
//!
//! lol_html streams; a script's text arrives after its start tag has been written. So the
//! element's output is held: kept back in `State::out` (lol_html writes everything before a tag
//! to the sink before it runs the tag's handlers, so the start handler knows where the element
//! begins) until its end tag's handler, which keeps it, replaces its text, or removes it all.
//!
//! lol_html sees `<noscript>` content as text, so it is stripped by a second stripper that parses
//! it as markup. One such stripper serves every block of a page: after each block it is fed an
//! end marker (a void element with a per-page nonce); if the marker's handler fires, the block
//! left the parser in a clean state and its output is exactly the block's. If not (an unclosed
//! comment, attribute or raw-text element swallowed it), the block passes through unchanged and
//! the next block gets a fresh stripper.

use super::Stripper;
use super::loader::{ConsentGate, consent_gate};
use super::state::{Hold, HoldKind, Shared, State, lock};
use crate::audit::{Action, AuditEvent, Party};
use crate::policy::{Reason, RequestKind};
use lol_html::html_content::EndTag;
use lol_html::send::Element;
use std::ops::Range;

/// `<noscript>` blocks larger than this pass through unexamined.
const NOSCRIPT_CAP: usize = 64 * 1024;

/// The attribute of the end marker fed after each `<noscript>` block.
pub(crate) const SENTINEL_ATTR: &str = "data-trackstrip-end";

impl State {
    pub(crate) fn on_script(&mut self, el: &mut Element<'_, '_>, shared: &Shared) {
        // A script a consent platform holds back (`type="text/plain"` and its marker) is judged
        // as the script it becomes on Accept; other non-JavaScript scripts are data.
        // A `src` is judged whatever the type (sites defer scripts with types of their own).
        let (gate, data) = match el.get_attribute_cow("type") {
            Some(ty) if !is_javascript(Some(&ty)) => {
                let gate = consent_gate(el, &ty, &self.rules.snippets.consent);
                let data = gate.is_none();
                (gate, data)
            }
            _ => (None, false),
        };
        if let Some(g) = &gate {
            let rules = self.rules.clone();
            let Some(attr) = rules.snippets.consent.src_attributes.iter().find(|a| el.has_attribute(a)) else {
                return begin_hold(self, el, shared, HoldKind::Script, gate, self.rules.snippets.largest + 1024);
            };
            let before = self.events.len();
            if self.check_element_in(el, "script", attr, "src", RequestKind::Script, false)
                && let Some(ev) = self.events.get_mut(before)
            {
                let held_in = if attr == "src" { String::new() } else { format!("; URL held in {attr}") };
                ev.detail = Some(format!("{}{held_in}", g.describe()));
            }
            return;
        }
        if el.has_attribute("src") {
            if !self.check_element(el, "script", "src", RequestKind::Script, false) {
                self.on_social_script(el);
            }
            return;
        }
        if data || (self.rules.snippets.is_empty() && self.rules.snippets.loader.is_none()) {
            return;
        }
        let cap = self.rules.snippets.largest + 1024;
        begin_hold(self, el, shared, HoldKind::Script, None, cap);
    }

    pub(crate) fn on_noscript(&mut self, el: &mut Element<'_, '_>, shared: &Shared) {
        // Inside a noscript being stripped, a nested <noscript> is only text.
        if !self.nested {
            begin_hold(self, el, shared, HoldKind::Noscript, None, NOSCRIPT_CAP);
        }
    }

    /// The end marker, in a nested stripper: only ours (right nonce) counts.
    pub(crate) fn on_sentinel(&mut self, el: &mut Element<'_, '_>) {
        if el.get_attribute_cow(SENTINEL_ATTR).is_some_and(|v| *v == format!("{:x}", self.nonce)) {
            self.sentinel_seen = true;
            el.remove();
        }
    }

    /// Runs at the held element's end tag, before the tag itself is written.
    fn finish_hold(&mut self, end_tag: &mut EndTag<'_>) {
        let Some(h) = self.hold.take() else { return };
        let end = self.out.len();
        let content = (h.start + h.start_len).min(end)..end;
        let edit = match h.kind {
            HoldKind::Script => self.judge_script(&h, content),
            HoldKind::Noscript => self.strip_noscript(&h, content),
        };
        let Some((range, bytes)) = edit.filter(|_| self.opts.enforce) else {
            return;
        };
        if range.start == h.start {
            // The whole element goes: its start tag and text now, its end tag as it comes.
            self.out.truncate(h.start);
            end_tag.remove();
        } else {
            self.out.truncate(range.start);
        }
        self.out.extend_from_slice(&bytes);
    }

    /// An analytics snippet's text is replaced by its no-op stub, or the whole element removed
    /// when it needs none. Returns the bytes to replace and their replacement.
    fn judge_script(&mut self, h: &Hold, content: Range<usize>) -> Option<Edit> {
        let rules = self.rules.clone();
        let Some(hit) = rules.snippets.check(&self.out[content.clone()]) else {
            // No signature: is it a loader of tracker URLs, or calls into one's stubbed globals?
            // Most inline scripts are neither: look before copying the text out of `out`.
            let text = &self.out[content.clone()];
            let maybe_loader = rules.snippets.loader.as_ref().is_some_and(|l| l.may_be_loader(text));
            if !maybe_loader && self.stubbed_globals.is_empty() {
                return None;
            }
            let script = text.to_vec();
            if let Some(stub) = self.judge_loader(&script, h.line, h.gate.as_ref()) {
                return Some((content, stub.into_bytes()));
            }
            return self.judge_calls(&script, h.line).then(|| (h.start..content.end, Vec::new()));
        };
        // The snippet's own stubs, plus a no-op for any other global the script defined (a
        // site's fallback object, a config) that page code may still call.
        let mut stub = hit.stub;
        if let Some(extra) = rules.snippets.loader.as_ref().and_then(|l| l.stub_for_script(&self.out[content.clone()]))
        {
            stub = if stub.is_empty() { extra.to_string() } else { format!("{stub}\n{extra}") };
        }
        let action = if stub.is_empty() { Action::Remove } else { Action::Replace };
        // One event per company: GA's bootstrap and its commands in one script are one tracker.
        let mut owners_seen: Vec<&str> = Vec::new();
        for s in &hit.snippets {
            if owners_seen.contains(&&*s.tracker.owner) {
                continue;
            }
            owners_seen.push(&s.tracker.owner);
            let mut ev = AuditEvent::plain(action, "script", "#text", Reason::Snippet, Some(s.rule.clone()));
            ev.party = Party::First;
            ev.tracker = Some(s.tracker.name.to_string());
            ev.owner = Some(s.tracker.owner.to_string());
            ev.category = Some(s.tracker.category);
            ev.detail = Some(match &h.gate {
                Some(g) => format!("{}; {} bytes of inline script", g.describe(), content.len()),
                None => format!("{} bytes of inline script", content.len()),
            });
            ev.line = h.line;
            self.record(ev, 0);
        }
        if stub.is_empty() { Some((h.start..content.end, Vec::new())) } else { Some((content, stub.into_bytes())) }
    }

    /// Strips the markup inside `<noscript>` with the page's nested stripper.
    fn strip_noscript(&mut self, h: &Hold, content: Range<usize>) -> Option<Edit> {
        let bytes = &self.out[content.clone()];
        memchr::memchr(b'<', bytes)?;
        // Foreign content (svg, math) would change how the next block parses: use it once.
        let foreign = has_tag(bytes, &["svg", "math"]);
        if foreign {
            self.noscripts = None;
        }
        let line = h.content_line;
        let (rules, page, opts) = (self.rules.clone(), self.page.clone(), self.opts.clone());
        let aux = self.noscripts.get_or_insert_with(|| Box::new(Stripper::build(rules, page, opts, true)));
        let (first_line, nonce) = {
            let st = lock(&aux.shared);
            (st.lines.line_at(st.lines.fed()), st.nonce)
        };
        let mut body = aux.write(&self.out[content.clone()]).to_vec();
        let marker = format!("<wbr {SENTINEL_ATTR}=\"{nonce:x}\">");
        body.extend_from_slice(&aux.write(marker.as_bytes()));
        let events = aux.take_events();
        let clean = std::mem::take(&mut lock(&aux.shared).sentinel_seen) && aux.bailed_out.is_none();
        if !clean || foreign {
            self.noscripts = None;
        }
        if !clean {
            return None;
        }
        let changed = events.iter().any(|e| e.action.strips());
        for mut ev in events {
            if self.opts.track_lines {
                ev.line = line + ev.line.saturating_sub(first_line);
            }
            self.record(ev, 0);
        }
        changed.then_some((content, body))
    }
}

/// Bytes of `State::out` to replace, and what to put there.
type Edit = (Range<usize>, Vec<u8>);

fn begin_hold(
    st: &mut State,
    el: &mut Element<'_, '_>,
    shared: &Shared,
    kind: HoldKind,
    gate: Option<ConsentGate>,
    cap: usize,
) {
    let loc = el.source_location().bytes();
    let Some(handlers) = el.end_tag_handlers() else {
        return;
    };
    let at_end = shared.clone();
    handlers.push(Box::new(move |end: &mut EndTag<'_>| {
        lock(&at_end).finish_hold(end);
        Ok(())
    }));
    let (line, content_line) = if st.opts.track_lines {
        (st.line_base + st.lines.line_at(loc.start), st.line_base + st.lines.line_at(loc.end))
    } else {
        (0, 0)
    };
    st.hold = Some(Hold { kind, start: st.out.len(), start_len: loc.len(), line, content_line, cap, gate });
}

/// Script types a browser runs (JSON, templates and the like are data, never snippets).
/// Compared in place: most pages give many scripts a type, and this runs for each.
fn is_javascript(ty: Option<&str>) -> bool {
    let Some(ty) = ty else { return true };
    let t = ty.trim().as_bytes();
    let is = |name: &str| t.eq_ignore_ascii_case(name.as_bytes());
    let starts = |p: &str| t.len() >= p.len() && t[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    let ends = |p: &str| t.len() >= p.len() && t[t.len() - p.len()..].eq_ignore_ascii_case(p.as_bytes());
    t.is_empty()
        || is("module")
        || ends("javascript")
        || ends("ecmascript")
        || starts("text/javascript")
        || starts("application/javascript")
        || is("text/jscript")
}

/// Does `html` hold a start tag with one of these (lowercase) names, in any case? One pass,
/// without a lowercased copy.
fn has_tag(html: &[u8], names: &[&str]) -> bool {
    memchr::memchr_iter(b'<', html).any(|at| {
        let rest = &html[at + 1..];
        names.iter().any(|name| {
            rest.len() >= name.len()
                && rest[..name.len()].eq_ignore_ascii_case(name.as_bytes())
                && !rest.get(name.len()).is_some_and(u8::is_ascii_alphanumeric)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::{has_tag, is_javascript};
    use crate::policy::PageContext;
    use crate::rules::Rules;
    use crate::strip::{StripOptions, Stripper};
    use std::sync::Arc;

    #[test]
    fn script_types_that_run() {
        for ty in [
            None,
            Some(""),
            Some(" text/JavaScript "),
            Some("module"),
            Some("application/x-javascript"),
            Some("text/javascript; charset=utf-8"),
            Some("TEXT/ECMASCRIPT"),
            Some("text/jscript"),
        ] {
            assert!(is_javascript(ty), "{ty:?}");
        }
        for ty in ["application/ld+json", "text/template", "text/x-handlebars", "modules", "text/plain"] {
            assert!(!is_javascript(Some(ty)), "{ty}");
        }
    }

    #[test]
    fn foreign_tags_in_any_case() {
        assert!(has_tag(b"<p>x</p><SVG viewBox='0 0 1 1'>", &["svg"]));
        assert!(has_tag(b"<math>", &["svg", "math"]));
        assert!(has_tag(b"text <svg/>", &["svg"]));
        assert!(has_tag(b"<p>cut off <svg", &["svg"]));
        assert!(!has_tag(b"<svgx> <p>svg</p> <sv", &["svg", "math"]));
        assert!(!has_tag(b"<img src=a.svg>", &["svg", "math"]));
    }

    /// A `<noscript>` longer than the line index's window: its events get the same line at any
    /// chunking (found by the `strip` fuzz target; input in fuzz/regressions/strip/).
    #[test]
    fn lines_inside_a_long_noscript_do_not_depend_on_chunking() {
        let mut page = b"<p>1</p>\n<noscript>\n".to_vec();
        page.extend(b"filler line\n".repeat(3000));
        page.extend_from_slice(b"<img src=\"https://b.scorecardresearch.com/p\">\n</noscript>\n");
        let rules = Arc::new(Rules::bundled().expect("bundled rules"));
        for chunk in [page.len(), 16] {
            let mut s = Stripper::new(rules.clone(), PageContext::unknown(), StripOptions::with_lines());
            for c in page.chunks(chunk) {
                s.write(c);
            }
            let lines: Vec<usize> = s.finish().events.iter().map(|e| e.line).collect();
            assert_eq!(lines, [3003], "chunks of {chunk} bytes");
        }
    }
}
