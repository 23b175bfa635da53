//! The rules in use by a running proxy, swappable at run time. A request takes the current
//! set once (`current()`) and keeps it to its end, so a reload never changes the rules under
//! a page that is streaming; new requests see the new set.

use super::{RuleError, RuleOptions, Rules};
use arc_swap::ArcSwap;
use std::sync::Arc;

pub struct LiveRules {
    options: RuleOptions,
    current: ArcSwap<Rules>,
}

impl LiveRules {
    /// Loads the rules `options` name.
    pub fn load(options: RuleOptions) -> Result<LiveRules, RuleError> {
        let rules = Rules::load(&options)?;
        super::lists::builtin::release_snapshot_pages();
        Ok(LiveRules { options, current: ArcSwap::from_pointee(rules) })
    }

    /// Rules that never reload (embedding, tests).
    pub fn fixed(rules: Arc<Rules>) -> LiveRules {
        LiveRules { options: RuleOptions::default(), current: ArcSwap::new(rules) }
    }

    pub fn current(&self) -> Arc<Rules> {
        self.current.load_full()
    }

    pub fn options(&self) -> &RuleOptions {
        &self.options
    }

    /// Reads every rule file and list again and swaps the new set in. On error the old set
    /// stays in use and the error (file:line) is returned.
    pub fn reload(&self) -> Result<Arc<Rules>, RuleError> {
        let rules = Arc::new(Rules::load(&self.options)?);
        self.current.store(rules.clone());
        super::lists::builtin::release_snapshot_pages();
        Ok(rules)
    }
}
