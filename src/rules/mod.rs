//! Rules are data: the files in rules/ (built into the binary) and ABP lists, parsed once
//! into typed values that the stripper and the proxy match against.

mod allow;
mod calls;
pub use calls::only_calls;
pub mod check;
mod error;
mod glob;
mod host_list;
pub mod lists;
mod live;
mod loader;
mod params;
mod pixels;
mod redirects;
mod rule_ref;
mod sites;
mod snippets;
mod social;
mod source;
mod trackers;

pub use allow::AllowRules;
pub use error::RuleError;
pub use host_list::HostList;
pub use lists::{ListHit, ListInfo, ListOrigin, ListQuery, ListSet, ListText, is_network_filter};
pub use live::LiveRules;
pub use loader::{ConsentMarkers, LoaderRule};
pub use params::{CleanedUrl, ParamRules};
pub use pixels::PixelRules;
pub use redirects::{RedirectRules, Unwrapped};
pub use rule_ref::RuleRef;
pub use sites::HostSites;
pub use snippets::{Snippet, SnippetHit, SnippetSet};
pub use social::{Social, SocialRules};
pub use source::{RuleFile, RuleKind};
pub use trackers::{Category, MatchVia, Tracker, TrackerDb, TrackerMatch, host_suffixes};

use std::path::PathBuf;

/// Where to take rules from.
#[derive(Debug, Clone)]
pub struct RuleOptions {
    /// `--rules DIR`: same-named files replace the bundled ones, `NAME-kind.toml` files add.
    pub rules_dir: Option<PathBuf>,
    /// The built-in list (EasyPrivacy). On unless `--no-builtin-lists`.
    pub builtin_list: bool,
    /// A downloaded copy of the built-in list, used instead of the snapshot when newer.
    pub builtin_copy: Option<PathBuf>,
    /// `--list FILE`: ABP filter lists.
    pub lists: Vec<PathBuf>,
    /// Subscribed lists (`data_dir/lists/*.txt`): used when they have been downloaded.
    pub subscribed: Vec<PathBuf>,
    /// Rule files made elsewhere (the config file's `allow.hosts`), added last.
    pub extra: Vec<RuleFile>,
}

impl Default for RuleOptions {
    /// The bundled rules and the built-in list: what trackstrip uses when told nothing.
    fn default() -> Self {
        RuleOptions {
            rules_dir: None,
            builtin_list: true,
            builtin_copy: None,
            lists: Vec::new(),
            subscribed: Vec::new(),
            extra: Vec::new(),
        }
    }
}

/// Everything trackstrip matches against, compiled. Immutable; share it behind an `Arc`.
pub struct Rules {
    pub trackers: TrackerDb,
    pub snippets: SnippetSet,
    pub params: ParamRules,
    /// Link wrappers whose destination is in the link.
    pub redirects: RedirectRules,
    /// Social widgets and embeds, placeheld unless `social = "keep"`.
    pub social: SocialRules,
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
    /// The destination of a link wrapper (`redirects.toml`), cleaned of tracking parameters
    /// (`params.toml`), on a page of `page_host`; None when `url` is not a known wrapper.
    pub fn unwrap_link(&self, url: &str, page_host: &str) -> Option<Unwrapped> {
        let mut found = self.redirects.unwrap(url, page_host)?;
        let host = url::Url::parse(&found.url).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        if let Some(cleaned) = self.params.clean(&found.url, host.as_deref(), false) {
            found.url = cleaned.url;
            found.removed = cleaned.removed.into_iter().map(|(name, _)| name).collect();
        }
        Some(found)
    }

    /// The bundled rule files alone, without the built-in list.
    pub fn bundled() -> Result<Rules, RuleError> {
        Rules::from_files(&source::bundled(), None)
    }

    /// What trackstrip uses when told nothing: the bundled rules and the built-in list.
    pub fn defaults() -> Result<Rules, RuleError> {
        Rules::load(&RuleOptions::default())
    }

    pub fn load(opts: &RuleOptions) -> Result<Rules, RuleError> {
        let mut files = source::bundled();
        if let Some(dir) = &opts.rules_dir {
            files = source::overlay_dir(dir, files)?;
        }
        files.extend(opts.extra.iter().cloned());
        let mut texts = Vec::new();
        for p in opts.lists.iter().chain(opts.subscribed.iter().filter(|p| p.exists())) {
            texts.push(ListText::read(p)?);
        }
        // A list named explicitly wins over the built-in copy of itself (`--list easyprivacy.txt`).
        let builtin_title = lists::builtin::snapshot_header().title;
        if opts.builtin_list && !texts.iter().any(|t| lists::ListHeader::read(&t.text).title == builtin_title) {
            texts.insert(0, lists::builtin::current(opts.builtin_copy.as_deref()));
        }
        let lists = if texts.is_empty() { None } else { Some(ListSet::new(texts)) };
        Rules::from_files(&files, lists)
    }

    pub fn from_files(files: &[RuleFile], lists: Option<ListSet>) -> Result<Rules, RuleError> {
        let mut trackers = TrackerDb::default();
        let mut snippets = SnippetSet::default();
        let mut params = ParamRules::default();
        let mut redirects = RedirectRules::default();
        let mut social = SocialRules::default();
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
                RuleKind::Redirects => redirects.add_file(f)?,
                RuleKind::Social => social.add_file(f)?,
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
        Ok(Rules {
            trackers,
            snippets,
            params,
            redirects,
            social,
            pixels,
            allow,
            skip_intercept,
            lists,
            host_sites,
            version,
            sources,
        })
    }
}
