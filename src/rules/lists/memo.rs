//! A one-entry memo per thread of what a URL prefix brings to a list check. The URLs of a page
//! mostly share their scheme and host (the page's own images, one CDN after another), so the
//! host filter and the prefilter runs of the prefix are worked out once for a run of them
//! rather than for every URL.

use super::ListQuery;
use super::hosts::HostFilter;
use super::prefilter::PrefixRuns;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Tells `ListSet`s apart, so a memo never outlives the set it was made for (a reload makes
/// a new set, which may sit at the address of the old one).
pub(super) fn next_set_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

thread_local! {
    pub(super) static LAST_PREFIX: RefCell<LastPrefix> = RefCell::default();
}

/// The last prefix checked on this thread, for which set, page and party, and what it brought.
#[derive(Default)]
pub(super) struct LastPrefix {
    set: u64,
    prefix: String,
    host: String,
    page_host: String,
    third_party: bool,
    /// The host filter the host falls under: (length of the suffix it names, the filter).
    pub host_filter: Option<(usize, HostFilter)>,
    pub runs: PrefixRuns,
}

impl LastPrefix {
    pub fn is_for(&self, set: u64, prefix: &str, q: &ListQuery<'_>) -> bool {
        self.set == set
            && self.third_party == q.third_party
            && self.prefix == prefix
            && self.host == q.host
            && self.page_host == q.page_host
    }

    /// Keys the memo to this query (the caller fills in what the prefix brings); the strings'
    /// buffers are reused.
    pub fn set_for(&mut self, set: u64, prefix: &str, q: &ListQuery<'_>) {
        self.set = set;
        self.third_party = q.third_party;
        for (field, value) in [(&mut self.prefix, prefix), (&mut self.host, q.host), (&mut self.page_host, q.page_host)]
        {
            field.clear();
            field.push_str(value);
        }
    }
}
