//! The stripping stage: HTML bytes in, HTML bytes out, trackers removed, audit events on the side.
//!
//! ```text
//! Stripper::new(rules, page, options)
//!   .write(chunk) -> Bytes      // as many times as there are chunks; output streams out
//!   .finish()     -> StripOutput // the last bytes, the audit events, the counts
//! ```
//! The CLI feeds it a file, the proxy feeds it a response body; neither ever holds a whole page.

mod elements;
mod inline;
mod lines;
mod loader;
mod pixel;
mod script_scan;
mod social;
mod unwrap;

pub(crate) use script_scan::{globals_in, squeezed_len};
pub mod selectors;
mod state;

pub use state::StripStats;

use crate::audit::AuditEvent;
use crate::charset::{self, Charset};
use crate::policy::PageContext;
use crate::rules::Rules;
use bytes::Bytes;
use encoding_rs::Encoding;
use lol_html::send::{ElementContentHandlers, HtmlRewriter, Settings};
use lol_html::{AsciiCompatibleEncoding, MemorySettings, OutputSink};
use selectors::Target;
use state::{Shared, State, lock};
use std::borrow::Cow;
use std::sync::{Arc, Mutex};

/// How to strip.
#[derive(Debug, Clone)]
pub struct StripOptions {
    /// Apply the actions. False = report-only: decide and record, change nothing.
    pub enforce: bool,
    /// Also record third-party resources that are kept (audits want the full inventory).
    pub report_kept: bool,
    /// The page's encoding, if known (Content-Type charset, BOM). Must be ASCII-compatible.
    pub encoding: &'static Encoding,
    /// Follow a `<meta charset>` met while stripping: only when nothing settled the encoding
    /// (see [`crate::charset::Charset`]); lol_html must then fully read every `<meta>`.
    pub follow_meta_charset: bool,
    /// Most memory lol_html may use for one token (a giant tag or comment). Past it, the rest
    /// of the page passes through unstripped, byte for byte.
    pub memory_limit: usize,
    /// Number audit events with the line of their element. Costs a pass over the input (4% of
    /// the stripping time) and a little memory per page, so it is off unless asked for: audits
    /// and `strip --events` turn it on; the stripped page itself never needs it.
    pub track_lines: bool,
    /// The DNS client whose cache tells which hosts are aliases of trackers (`serve`, and
    /// `strip`/`audit --resolve-cnames`); none: names are judged as written.
    pub cnames: Option<Arc<crate::upstream::Dns>>,
    /// Replace social widgets and embeds (`rules/social.toml`) by inert placeholders
    /// (`social = "placeholder"`); false keeps them (`--keep-social`).
    pub social: bool,
}

impl Default for StripOptions {
    fn default() -> Self {
        StripOptions {
            enforce: true,
            report_kept: false,
            encoding: encoding_rs::UTF_8,
            follow_meta_charset: true,
            memory_limit: 16 * 1024 * 1024,
            track_lines: false,
            cnames: None,
            social: true,
        }
    }
}

impl StripOptions {
    /// The defaults, with line numbers on events (audits, `strip --events`, tests that compare
    /// them).
    pub fn with_lines() -> StripOptions {
        StripOptions { track_lines: true, ..StripOptions::default() }
    }

    /// The defaults for a page that starts with `head` (only its first
    /// [`crate::charset::PRESCAN_BYTES`] are looked at) and whose transport named `charset`,
    /// if it did. Errs with the encoding when it is one lol_html can't rewrite.
    pub fn for_page(head: &[u8], charset: Option<&str>) -> Result<StripOptions, &'static Encoding> {
        match charset::detect(head, charset) {
            Charset::Rewrite { encoding, settled } => {
                Ok(StripOptions { encoding, follow_meta_charset: !settled, ..StripOptions::default() })
            }
            Charset::PassThrough(enc) => Err(enc),
        }
    }
}

/// What is left when the input has ended.
#[derive(Debug)]
pub struct StripOutput {
    /// The last output bytes.
    pub tail: Bytes,
    pub events: Vec<AuditEvent>,
    pub stats: StripStats,
    /// Why stripping stopped early and the rest passed through unchanged, if it did.
    pub bailed_out: Option<String>,
}

/// One page going through the rewriter.
pub struct Stripper {
    rewriter: Option<HtmlRewriter<'static, Sink>>,
    shared: Shared,
    bailed_out: Option<String>,
}

/// lol_html writes its output here; it lands in the shared state's buffer.
struct Sink(Shared);

impl OutputSink for Sink {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        if !chunk.is_empty() {
            lock(&self.0).sink(chunk);
        }
    }
}

impl Stripper {
    pub fn new(rules: Arc<Rules>, page: PageContext, opts: StripOptions) -> Stripper {
        Stripper::build(rules, page, opts, false)
    }

    /// `nested`: this stripper strips the content of a `<noscript>` block.
    pub(crate) fn build(rules: Arc<Rules>, page: PageContext, opts: StripOptions, nested: bool) -> Stripper {
        let encoding = AsciiCompatibleEncoding::new(opts.encoding).unwrap_or_else(AsciiCompatibleEncoding::utf_8);
        let memory = MemorySettings::new()
            .with_max_allowed_memory_usage(opts.memory_limit)
            .with_graceful_bail_out_on_memory_limit_exceeded(true);
        let follow_meta = opts.follow_meta_charset;
        let shared: Shared = Arc::new(Mutex::new(State::new(rules, page, opts, nested)));
        let mut settings = Settings::new_send()
            .with_encoding(encoding)
            .with_memory_settings(memory)
            .with_strict(false)
            .with_adjust_charset_on_meta_tag(follow_meta)
            .with_graceful_bail_out_on_content_handler_error(true);
        for (selector, target) in selectors::compiled() {
            let target = *target;
            if nested && !target.in_noscript() {
                continue;
            }
            let st = shared.clone();
            let handler = move |el: &mut lol_html::send::Element<'_, '_>| -> lol_html::HandlerResult {
                let mut s = lock(&st);
                match target {
                    Target::Base => {
                        if let Some(href) = el.get_attribute_cow("href") {
                            s.page.set_base(&href);
                            s.noscripts = None; // it resolves against the page it was made for
                        }
                    }
                    Target::Image => {
                        s.check_element(el, "img", "src", crate::policy::RequestKind::Image, true);
                    }
                    Target::InputImage => s.on_input(el),
                    Target::Script => s.on_script(el, &st),
                    Target::Frame(tag) => {
                        if !s.check_element(el, tag, "src", crate::policy::RequestKind::Subdocument, false)
                            && tag == "iframe"
                        {
                            s.on_social_embed(el);
                        }
                    }
                    Target::Embed => {
                        s.check_element(el, "embed", "src", crate::policy::RequestKind::Object, false);
                    }
                    Target::Object => {
                        s.check_element(el, "object", "data", crate::policy::RequestKind::Object, false);
                    }
                    Target::Link => s.on_link(el),
                    Target::Noscript => s.on_noscript(el, &st),
                    Target::Ping(tag) => s.on_ping(el, tag),
                    Target::LinkParams(tag) => s.on_params(el, tag, "href"),
                    Target::FormParams => s.on_params(el, "form", "action"),
                }
                Ok(())
            };
            let handlers = ElementContentHandlers::default().element(handler);
            settings = settings.append_element_content_handler((Cow::Borrowed(selector), handlers));
        }
        if nested {
            let st = shared.clone();
            let handler = move |el: &mut lol_html::send::Element<'_, '_>| -> lol_html::HandlerResult {
                lock(&st).on_sentinel(el);
                Ok(())
            };
            let handlers = ElementContentHandlers::default().element(handler);
            settings = settings.append_element_content_handler((Cow::Borrowed(selectors::sentinel()), handlers));
        }
        let rewriter = HtmlRewriter::new(settings, Sink(shared.clone()));
        Stripper { rewriter: Some(rewriter), shared, bailed_out: None }
    }

    /// Feeds the next chunk of the page; returns the output it completed (possibly empty).
    pub fn write(&mut self, chunk: &[u8]) -> Bytes {
        self.write_bytes(Bytes::copy_from_slice(chunk))
    }

    /// Like `write`, without copying the chunk (it is kept a while for line numbers).
    pub fn write_bytes(&mut self, chunk: Bytes) -> Bytes {
        {
            let mut st = lock(&self.shared);
            if st.opts.track_lines {
                st.lines.feed(chunk.clone());
            }
            // Room for this chunk's output up front: one allocation, not a regrowth (and copy)
            // every time lol_html hands over another piece.
            st.out.reserve(chunk.len() + 1024);
        }
        match &mut self.rewriter {
            Some(rw) => {
                if let Err(e) = rw.write(&chunk) {
                    self.bail_out(e);
                }
            }
            None => lock(&self.shared).out.extend_from_slice(&chunk),
        }
        lock(&self.shared).take_ready()
    }

    /// Ends the page.
    pub fn finish(mut self) -> StripOutput {
        if let Some(rw) = self.rewriter.take()
            && let Err(e) = rw.end()
        {
            self.bail_out(e);
        }
        let mut st = lock(&self.shared);
        st.release_hold(); // an unterminated <script> at the very end
        StripOutput {
            tail: st.out.split().freeze(),
            events: std::mem::take(&mut st.events),
            stats: st.stats,
            bailed_out: self.bailed_out.take(),
        }
    }

    /// Events recorded so far (the proxy logs them as the page streams).
    pub fn take_events(&mut self) -> Vec<AuditEvent> {
        std::mem::take(&mut lock(&self.shared).events)
    }

    pub fn stats(&self) -> StripStats {
        lock(&self.shared).stats
    }

    /// lol_html gave up (a token past the memory limit). With graceful bail-out it has already
    /// flushed every byte it held, unchanged; from here on input passes straight through.
    fn bail_out(&mut self, err: lol_html::errors::RewritingError) {
        self.rewriter = None;
        lock(&self.shared).release_hold();
        tracing::warn!(error = %err, "stripping stopped; the rest of the page passes through unchanged");
        self.bailed_out = Some(err.to_string());
    }
}

/// Strips a whole page held in memory (tests, small inputs).
pub fn strip_bytes(rules: Arc<Rules>, page: PageContext, opts: StripOptions, input: &[u8]) -> (Vec<u8>, StripOutput) {
    let mut s = Stripper::new(rules, page, opts);
    let mut out = s.write(input).to_vec();
    let done = s.finish();
    out.extend_from_slice(&done.tail);
    (out, done)
}
