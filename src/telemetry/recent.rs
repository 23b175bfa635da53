//! The dashboard's memory: the last pages stripped and what went from each, requests blocked,
//! and running totals by tracker owner. Bounded; page addresses without their query (it can
//! carry tokens), and no client addresses.

use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// One tracker taken out of a page (or that would be, in report-only mode).
#[derive(Debug, Clone, Serialize)]
pub struct Removal {
    pub what: String,
    pub owner: Option<String>,
    pub category: Option<String>,
    pub action: &'static str,
    /// The rule, as file:line.
    pub rule: Option<String>,
    /// How many times on the page (a page often repeats one pixel).
    pub count: u32,
}

/// A page, or a blocked request.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Unix seconds.
    pub time: u64,
    pub url: String,
    /// `strip` (a page) or `block` (a request answered locally).
    pub kind: &'static str,
    pub enforced: bool,
    pub removed: Vec<Removal>,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Totals {
    pub pages: u64,
    pub pages_with_trackers: u64,
    pub trackers_stripped: u64,
    pub requests_blocked: u64,
}

#[derive(Debug, Serialize)]
pub struct OwnerCount {
    pub owner: String,
    pub count: u64,
}

/// What `/api/summary` returns.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub totals: Totals,
    pub top_owners: Vec<OwnerCount>,
    /// Newest first.
    pub recent: Vec<Entry>,
}

pub struct Recent {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: VecDeque<Entry>,
    owners: HashMap<String, u64>,
    totals: Totals,
}

impl Recent {
    pub fn new(capacity: usize) -> Recent {
        Recent { capacity, inner: Mutex::new(Inner::default()) }
    }

    /// A page went through the stripper.
    pub fn page(&self, url: &str, enforced: bool, removed: Vec<Removal>) {
        let mut g = self.lock();
        g.totals.pages += 1;
        if removed.is_empty() {
            return;
        }
        g.totals.pages_with_trackers += 1;
        g.totals.trackers_stripped += removed.iter().map(|r| u64::from(r.count)).sum::<u64>();
        self.push(&mut g, Entry { time: now(), url: url.to_string(), kind: "strip", enforced, removed });
    }

    /// A request to a tracker was answered locally (or would be).
    pub fn blocked(&self, url: &str, enforced: bool, removal: Removal) {
        let mut g = self.lock();
        g.totals.requests_blocked += 1;
        self.push(&mut g, Entry { time: now(), url: url.to_string(), kind: "block", enforced, removed: vec![removal] });
    }

    pub fn summary(&self, top: usize, recent: usize) -> Summary {
        let g = self.lock();
        let mut owners: Vec<OwnerCount> =
            g.owners.iter().map(|(o, &c)| OwnerCount { owner: o.clone(), count: c }).collect();
        owners.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.owner.cmp(&b.owner)));
        owners.truncate(top);
        Summary { totals: g.totals, top_owners: owners, recent: g.entries.iter().rev().take(recent).cloned().collect() }
    }

    fn push(&self, g: &mut Inner, entry: Entry) {
        for r in &entry.removed {
            let owner = r.owner.clone().unwrap_or_else(|| "unknown".into());
            *g.owners.entry(owner).or_default() += u64::from(r.count);
        }
        if g.entries.len() == self.capacity {
            g.entries.pop_front();
        }
        g.entries.push_back(entry);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves plain data behind: keep using it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removal(owner: &str) -> Removal {
        Removal { what: "x".into(), owner: Some(owner.into()), category: None, action: "remove", rule: None, count: 1 }
    }

    #[test]
    fn keeps_the_newest_and_counts_owners() {
        let r = Recent::new(2);
        r.page("http://a/1", true, vec![removal("Google"), removal("Meta")]);
        r.page("http://a/2", true, vec![]);
        r.page("http://a/3", true, vec![removal("Google")]);
        r.blocked("http://t/p.gif", true, removal("Google"));
        let s = r.summary(10, 10);
        assert_eq!(s.totals.pages, 3);
        assert_eq!(s.totals.pages_with_trackers, 2);
        assert_eq!(s.totals.trackers_stripped, 3);
        assert_eq!(s.totals.requests_blocked, 1);
        assert_eq!(s.recent.len(), 2, "bounded");
        assert_eq!(s.recent[0].url, "http://t/p.gif");
        assert_eq!(s.top_owners[0].owner, "Google");
        assert_eq!(s.top_owners[0].count, 3);
    }
}
