//! Rules are data: the files in rules/ (built into the binary) and ABP lists, parsed once
//! into typed values that the stripper and the proxy match against.

mod allow;
mod calls;
pub mod check;
mod error;
mod glob;
mod host_list;
mod lists;
mod live;
mod params;
mod pixels;
mod rule_ref;
mod sites;
mod snippets;
mod source;
mod trackers;

pub use allow::AllowRules;
pub use error::RuleError;
pub use host_list::HostList;
pub use lists::{ListHit, ListSet, is_network_filter};
pub use live::LiveRules;
pub use params::{CleanedUrl, ParamRules};
pub use pixels::PixelRules;
pub use rule_ref::RuleRef;
pub use sites::HostSites;
pub use snippets::{Snippet, SnippetHit, SnippetSet};
pub use source::{RuleFile, RuleKind};
pub use trackers::{Category, MatchVia, Tracker, TrackerDb, TrackerMatch, host_suffixes};

use std::path::PathBuf;

/// Where to take rules from.
#[derive(Debug, Clone, Default)]
pub struct RuleOptions {
    /// `--rules DIR`: same-named files replace the bundled ones, `NAME-kind.toml` files add.
    pub rules_dir: Option<PathBuf>,
    /// `--list FILE`: ABP filter lists.
    pub lists: Vec<PathBuf>,
    /// Subscribed lists (`data_dir/lists/*.txt`): used when they have been downloaded.
    pub subscribed: Vec<PathBuf>,
    /// Rule files made elsewhere (the config file's `allow.hosts`), added last.
    pub extra: Vec<RuleFile>,
}

/// Everything trackstrip matches against, compiled. Immutable; share it behind an `Arc`.
pub struct Rules {
    pub trackers: TrackerDb,
    pub snippets: SnippetSet,
    pub params: ParamRules,
    pub pixels: PixelRules,
    pub allow: AllowRules,
    /// Hosts whose HTTPS is never intercepted.
    pub skip_intercept: HostList,
    pub lists: Option<ListSet>,
    /// Sites that some host-keyed rule (tracker or allow) can apply to.
    pub host_sites: HostSites,
    /// The rules version (trackers.toml `version`), reported in audits and metrics.
    pub version: String,
    /// The files these rules came from, as cited in events.
    pub sources: Vec<String>,
}

impl Rules {
    /// The bundled rules alone.
    pub fn bundled() -> Result<Rules, RuleError> {
        Rules::from_files(&source::bundled(), None)
    }

    pub fn load(opts: &RuleOptions) -> Result<Rules, RuleError> {
        let mut files = source::bundled();
        if let Some(dir) = &opts.rules_dir {
            files = source::overlay_dir(dir, files)?;
        }
        files.extend(opts.extra.iter().cloned());
        let present = opts.subscribed.iter().any(|p| p.exists());
        let lists = if opts.lists.is_empty() && !present {
            None
        } else {
            Some(ListSet::load_present(&opts.lists, &opts.subscribed)?)
        };
        Rules::from_files(&files, lists)
    }

    pub fn from_files(files: &[RuleFile], lists: Option<ListSet>) -> Result<Rules, RuleError> {
        let mut trackers = TrackerDb::default();
        let mut snippets = SnippetSet::default();
        let mut params = ParamRules::default();
        let mut pixels = PixelRules::default();
        let mut allow = AllowRules::default();
        let mut skip_intercept = HostList::default();
        for f in files {
            match f.kind {
                RuleKind::Trackers => trackers.add_file(f)?,
                RuleKind::Snippets => snippets.add_file(f)?,
                RuleKind::Params => params.add_file(f)?,
                RuleKind::Pixels => pixels = PixelRules::from_file(f)?,
                RuleKind::Allow => allow.add_file(f)?,
                RuleKind::SkipIntercept => skip_intercept.add_file(f)?,
            }
        }
        trackers.finish();
        snippets.finish()?;
        let mut host_sites = HostSites::default();
        for key in trackers.host_keys().chain(allow.host_keys()) {
            host_sites.add(key);
        }
        let version = trackers.version.clone().unwrap_or_else(|| "unversioned".into());
        let mut sources: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
        if let Some(l) = &lists {
            sources.extend(l.names().map(str::to_string));
        }
        Ok(Rules { trackers, snippets, params, pixels, allow, skip_intercept, lists, host_sites, version, sources })
    }
}
