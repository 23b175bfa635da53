//! The stripper's mutable state, shared by lol_html's handlers and its output sink.
//!
//! lol_html's Send rewriter wants `Send` closures, so the state lives behind one
//! `Arc<Mutex<_>>`. It is only ever locked from the thread driving the rewriter, so the lock
//! is never contended; it is never held while lol_html could call back into us.

use super::StripOptions;
use super::lines::LineIndex;
use crate::audit::{Action, AuditEvent};
use crate::policy::PageContext;
use crate::rules::Rules;
use bytes::BytesMut;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub(crate) type Shared = Arc<Mutex<State>>;

/// Locks the state. A poisoned lock (a panic elsewhere) still holds consistent bytes.
pub(crate) fn lock(s: &Shared) -> MutexGuard<'_, State> {
    s.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Most events kept per page; past this they are only counted (a hostile page can't grow memory).
const MAX_EVENTS: usize = 10_000;

/// What a hold is waiting to decide about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HoldKind {
    /// An inline script: is it an analytics snippet?
    Script,
    /// A `<noscript>` block: lol_html sees its content as text, so it's stripped separately.
    Noscript,
}

/// An element whose output bytes are held back until its end tag tells what to do with them.
/// The bytes stay where they are, at the end of `State::out`; `Stripper::write` hands out only
/// what comes before them.
pub(crate) struct Hold {
    pub kind: HoldKind,
    /// Where the element's bytes start in `out`.
    pub start: usize,
    /// Length of the start tag.
    pub start_len: usize,
    /// Page lines of the start tag and of the content after it (0: lines not tracked), taken
    /// when the start tag is seen: by the end tag, a long element's start may have left the
    /// line index's window.
    pub line: usize,
    pub content_line: usize,
    /// Most bytes to hold; past this the element passes through undecided.
    pub cap: usize,
    /// A consent platform holds this script back until the reader accepts.
    pub gate: Option<super::loader::ConsentGate>,
}

/// Counts for the per-page summary (`X-Trackstrip: stripped=N`, logs, metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StripStats {
    /// Elements removed or snippets replaced.
    pub removed: usize,
    /// `ping` attributes removed.
    pub pings: usize,
    /// Links cleaned of tracking parameters.
    pub cleaned: usize,
    /// Trackers identified (stripped, or found in report-only mode).
    pub trackers: usize,
    /// Events past the per-page cap, counted but not kept.
    pub events_dropped: usize,
}

pub(crate) struct State {
    pub rules: Arc<Rules>,
    pub page: PageContext,
    pub opts: StripOptions,
    pub out: BytesMut,
    pub hold: Option<Hold>,
    pub events: Vec<AuditEvent>,
    pub lines: LineIndex,
    pub stats: StripStats,
    /// Added to line numbers (a noscript block is stripped by a nested stripper).
    pub line_base: usize,
    /// This stripper strips the content of a `<noscript>` block.
    pub nested: bool,
    /// The stripper reused for this page's `<noscript>` blocks (built on the first one).
    pub noscripts: Option<Box<super::Stripper>>,
    /// Nested strippers: the end-of-block marker was seen (see `inline.rs`).
    pub sentinel_seen: bool,
    /// Unguessable by the page: the end-of-block marker carries it.
    pub nonce: u64,
    /// Globals that loader stubs on this page define: scripts that only call them can go.
    pub stubbed_globals: Vec<String>,
    /// Hosts whose CNAME chain this page has asked for, and what was known then.
    pub cnames_seen: foldhash::HashMap<Box<str>, Option<crate::upstream::Chain>>,
}

impl State {
    pub fn new(rules: Arc<Rules>, page: PageContext, opts: StripOptions, nested: bool) -> State {
        State {
            rules,
            page,
            opts,
            out: BytesMut::with_capacity(16 * 1024),
            hold: None,
            events: Vec::new(),
            lines: LineIndex::new(),
            stats: StripStats::default(),
            line_base: 0,
            nested,
            noscripts: None,
            sentinel_seen: false,
            stubbed_globals: Vec::new(),
            cnames_seen: Default::default(),
            nonce: std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), 0u8),
        }
    }

    /// lol_html's output sink.
    pub fn sink(&mut self, chunk: &[u8]) {
        self.out.extend_from_slice(chunk);
        if let Some(h) = &self.hold
            && self.out.len() - h.start > h.cap
        {
            self.hold = None; // too large to judge: it goes out as it came
        }
    }

    /// Gives up on the current hold: its bytes go out as they came in.
    pub fn release_hold(&mut self) {
        self.hold = None;
    }

    /// The output that is final: everything before a held element.
    pub fn take_ready(&mut self) -> bytes::Bytes {
        match &mut self.hold {
            None => self.out.split().freeze(),
            Some(h) => {
                let ready = self.out.split_to(h.start).freeze();
                h.start = 0;
                ready
            }
        }
    }

    /// Records one event at byte `offset` of the page.
    pub fn record(&mut self, mut ev: AuditEvent, offset: usize) {
        ev.enforced = self.opts.enforce;
        ev.in_noscript |= self.nested;
        if ev.line == 0 && self.opts.track_lines {
            ev.line = self.line_base + self.lines.line_at(offset);
        }
        match ev.action {
            Action::Remove | Action::Replace => self.stats.removed += 1,
            Action::RemoveAttribute => self.stats.pings += 1,
            Action::Clean | Action::Unwrap => self.stats.cleaned += 1,
            Action::Keep => {}
        }
        if ev.is_tracker() {
            self.stats.trackers += 1;
        }
        if self.events.len() < MAX_EVENTS {
            self.events.push(ev);
        } else {
            self.stats.events_dropped += 1;
        }
    }
}
