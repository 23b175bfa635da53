//! Filter lists in ABP syntax (EasyPrivacy, EasyList, ...).
//!
//! A URL is judged in three steps, so that Brave's adblock engine (about 4 µs a call) is asked
//! about the few URLs it may block, not the hundreds a page references:
//! 1. plain host filters (`||host^`, most of EasyPrivacy) are looked up in a hash index;
//! 2. every other filter must find a literal run of its pattern in the URL (`prefilter`);
//!    where none does, no filter can match;
//! 3. the engine decides the rest, and says whether an `@@` exception spares a URL that a host
//!    filter blocks.

pub mod builtin;
mod header;
mod hosts;
mod memo;
mod pattern;
mod prefilter;

pub use header::ListHeader;

use super::error::RuleError;
use super::rule_ref::RuleRef;
use super::trackers::Category;
use crate::policy::RequestKind;
use adblock::lists::{FilterSet, ParseOptions, ParsedLine, RuleTypes, parse_filter};
use hosts::{HostFilter, HostIndex, plain_host};
use memo::LAST_PREFIX;
use prefilter::{Prefilter, PrefilterBuilder};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One list's text and where it came from.
#[derive(Debug, Clone)]
pub struct ListText {
    /// How hits are cited: `NAME:LINE`.
    pub name: String,
    pub text: Cow<'static, str>,
    pub origin: ListOrigin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListOrigin {
    /// The snapshot built into the binary.
    Builtin,
    /// A newer copy of the built-in list, downloaded from its official address.
    Downloaded(PathBuf),
    /// A file named with `--list` or a subscription's stored copy.
    File(PathBuf),
}

impl ListText {
    /// Reads a list file; errs when it can't be read or holds no network filter.
    pub fn read(path: &Path) -> Result<ListText, RuleError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| RuleError::Read { path: path.to_path_buf(), source })?;
        if !text.lines().any(is_network_filter) {
            return Err(RuleError::invalid(
                &path.display().to_string(),
                1,
                "no network filter found: is this an ABP-syntax list (EasyList, EasyPrivacy)?",
            ));
        }
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        Ok(ListText { name, text: Cow::Owned(text), origin: ListOrigin::File(path.to_path_buf()) })
    }
}

/// What is known of one loaded list, for `lists status` and audits.
#[derive(Debug, Clone)]
pub struct ListInfo {
    pub name: Arc<str>,
    pub origin: ListOrigin,
    pub header: ListHeader,
    pub category: Category,
    /// Network filters in it.
    pub filters: usize,
    /// Of which plain host filters, matched by the host index.
    pub host_filters: usize,
}

/// The lists, compiled. Send + Sync (adblock is built without `single-thread`).
pub struct ListSet {
    /// This set among all made by the process (see `memo`).
    id: u64,
    engine: adblock::Engine,
    hosts: HostIndex,
    prefilter: Prefilter,
    lists: Vec<ListInfo>,
}

/// A list's verdict on one request.
#[derive(Debug, Clone)]
pub struct ListHit {
    pub rule: RuleRef,
    pub category: Category,
    /// An `@@` exception matched: the list itself says keep it.
    pub exception: bool,
}

/// One request, as the lists are asked about it.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery<'a> {
    /// The absolute URL (`&amp;` decoded).
    pub url: &'a str,
    /// Its host, lowercase, no port.
    pub host: &'a str,
    /// The host of the page that makes the request ("" when unknown).
    pub page_host: &'a str,
    /// Different registrable domains.
    pub third_party: bool,
    pub kind: RequestKind,
}

impl ListSet {
    /// Judges `url` loaded as `kind` by the page at `page_url` (absolute URLs; for callers that
    /// hold no parsed page, such as fuzzing and `lists` tools). None for an unparsable URL.
    pub fn check_urls(&self, url: &str, page_url: &str, kind: RequestKind) -> Option<ListHit> {
        let host = url::Url::parse(url).ok()?.host_str()?.trim_end_matches('.').to_ascii_lowercase();
        let page = crate::policy::PageContext::new(page_url).unwrap_or_else(|_| crate::policy::PageContext::unknown());
        let third_party = page.is_third_party(&host);
        self.check(&ListQuery { url, host: &host, page_host: page.host(), third_party, kind })
    }

    /// Reads and compiles list files.
    pub fn load(paths: &[impl AsRef<Path>]) -> Result<ListSet, RuleError> {
        let texts = paths.iter().map(|p| ListText::read(p.as_ref())).collect::<Result<Vec<_>, _>>()?;
        Ok(ListSet::new(texts))
    }

    /// Lists given as (name, text) pairs (tests, fuzzing).
    pub fn from_texts(texts: Vec<(String, String)>) -> ListSet {
        ListSet::new(
            texts
                .into_iter()
                .map(|(name, text)| ListText { name, text: Cow::Owned(text), origin: ListOrigin::Builtin })
                .collect(),
        )
    }

    /// Compiles the lists. Lines the engine can't use (cosmetic filters, unknown options) are
    /// skipped, as ad blockers do; `trackstrip rules check` reports them.
    pub fn new(texts: Vec<ListText>) -> ListSet {
        let opts = ParseOptions { rule_types: RuleTypes::NetworkOnly, ..ParseOptions::default() };
        let mut set = FilterSet::new(true);
        let mut hosts = HostIndex::default();
        let mut prefilter = PrefilterBuilder::default();
        let mut withdrawn = Vec::new();
        let mut lists = Vec::new();
        for (index, list) in texts.into_iter().enumerate() {
            let index = u16::try_from(index).unwrap_or(u16::MAX);
            let header = ListHeader::read(&list.text);
            // The engine gets the other filters at their own line numbers (host filters and
            // comments become empty lines), so its hits cite the list's lines.
            let mut rest = String::with_capacity(list.text.len() / 4);
            let (mut filters, mut host_filters) = (0, 0);
            for (n, line) in list.text.lines().enumerate() {
                if is_network_filter(line) {
                    filters += 1;
                    let at = u32::try_from(n + 1).unwrap_or(u32::MAX);
                    if let Some((host, third_party_only)) = plain_host(line) {
                        hosts.insert(host, HostFilter { list: index, third_party_only, line: at });
                        host_filters += 1;
                    } else if let Ok(ParsedLine::Network(f)) = parse_filter(line, false, opts) {
                        if f.is_badfilter()
                            && let Some(host) = withdrawn_host(line)
                        {
                            withdrawn.push(host.to_string());
                        }
                        prefilter.add(line, &f);
                        rest.push_str(line);
                    }
                }
                rest.push('\n');
            }
            set.add_filter_list(rest, opts);
            let category = category_for(&list.name, header.title.as_deref());
            lists.push(ListInfo {
                name: Arc::from(list.name.as_str()),
                origin: list.origin,
                header,
                category,
                filters,
                host_filters,
            });
        }
        for host in &withdrawn {
            hosts.remove(host);
        }
        hosts.shrink();
        // Unoptimized: the optimizer fuses filters and loses which line a hit came from; the
        // prefilter already keeps the engine off the hot path.
        let engine = adblock::Engine::new_with_filter_set_no_optimize(set);
        ListSet { id: memo::next_set_id(), engine, hosts, prefilter: prefilter.build(), lists }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.lists.iter().map(|l| &*l.name)
    }

    pub fn infos(&self) -> &[ListInfo] {
        &self.lists
    }

    /// Bytes held by the host index and the prefilter (the engine's own is not reported).
    pub fn index_memory(&self) -> usize {
        self.hosts.len() * 17 + self.prefilter.memory_usage()
    }

    /// Judges one request: a blocking filter's hit, an exception's, or None.
    pub fn check(&self, q: &ListQuery<'_>) -> Option<ListHit> {
        if q.host.is_empty() {
            return None;
        }
        let (candidates, host_filter) = LAST_PREFIX.with_borrow_mut(|last| {
            let end = prefilter::prefix_end(q.url);
            if !last.is_for(self.id, &q.url[..end], q) {
                last.set_for(self.id, &q.url[..end], q);
                last.host_filter = self.hosts.find(q.host, q.third_party).map(|(suffix, f)| (suffix.len(), f));
                self.prefilter.prefix_runs(q.url, end, q.page_host, &mut last.runs);
            }
            (self.prefilter.scan(q.url, q.kind, q.page_host, Some(&last.runs)), last.host_filter)
        });
        if let Some((suffix_len, f)) = host_filter {
            let suffix = &q.host[q.host.len() - suffix_len..];
            if candidates.exception {
                let res = self.engine.check_network_request_subset(&self.request(q), true, false);
                if let Some(hit) = res.exception.as_ref().map(|e| self.hit(e, true)) {
                    return Some(hit);
                }
            }
            return Some(self.host_hit(suffix, f));
        }
        if !candidates.block {
            return None;
        }
        let res = self.engine.check_network_request(&self.request(q));
        match (&res.exception, &res.filter) {
            (Some(e), _) if !res.important => Some(self.hit(e, true)),
            (_, Some(f)) => Some(self.hit(f, false)),
            _ => None,
        }
    }

    fn request(&self, q: &ListQuery<'_>) -> adblock::request::Request {
        adblock::request::Request::preparsed(q.url, q.host, q.page_host, q.kind.adblock_name(), q.third_party, "GET")
    }

    fn host_hit(&self, suffix: &str, f: HostFilter) -> ListHit {
        let list = &self.lists[usize::from(f.list).min(self.lists.len() - 1)];
        let text = if f.third_party_only { format!("||{suffix}^$third-party") } else { format!("||{suffix}^") };
        ListHit { rule: RuleRef::new(&list.name, f.line as usize, text), category: list.category, exception: false }
    }

    fn hit(&self, info: &adblock::sourcemap::FilterRuleDebugInfo, exception: bool) -> ListHit {
        let (list, line) = match &info.source_location {
            Some(loc) => (self.lists.get(loc.source_index as usize), loc.line_number as usize + 1),
            None => (None, 0),
        };
        let name: Arc<str> = list.map_or_else(|| Arc::from("lists"), |l| l.name.clone());
        let text = info.raw_line.clone().unwrap_or_else(|| "(optimized filter)".into());
        ListHit {
            rule: RuleRef::new(&name, line, text),
            category: list.map_or(Category::Advertising, |l| l.category),
            exception,
        }
    }
}

/// `||host^$badfilter` (or with `$third-party,badfilter`): the host filter it withdraws.
fn withdrawn_host(line: &str) -> Option<&str> {
    let (pattern, options) = line.trim().rsplit_once('$')?;
    let rest: Vec<&str> = options.split(',').filter(|o| *o != "badfilter" && *o != "third-party").collect();
    if !rest.is_empty() {
        return None;
    }
    plain_host(pattern).map(|(host, _)| host)
}

/// Privacy lists name analytics trackers; the rest (EasyList...) name advertising.
fn category_for(name: &str, title: Option<&str>) -> Category {
    let both = format!("{name} {}", title.unwrap_or("")).to_ascii_lowercase();
    if both.contains("privacy") { Category::Analytics } else { Category::Advertising }
}

/// A line that is neither a comment, a header nor a cosmetic filter.
pub fn is_network_filter(line: &str) -> bool {
    let l = line.trim();
    !(l.is_empty()
        || l.starts_with('!')
        || l.starts_with('[')
        || l.contains("##")
        || l.contains("#@#")
        || l.contains("#?#")
        || l.contains("#$#")
        || l.contains("#%#"))
}

#[cfg(test)]
mod tests;
