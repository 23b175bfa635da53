//! Filter lists in ABP syntax (EasyPrivacy, EasyList, ...), matched by Brave's adblock engine.

use super::error::RuleError;
use super::rule_ref::RuleRef;
use super::trackers::Category;
use adblock::lists::{FilterSet, ParseOptions, RuleTypes};
use std::path::Path;
use std::sync::Arc;

/// One loaded list: how it's cited and what its hits are called.
struct ListInfo {
    name: Arc<str>,
    category: Category,
}

/// The lists, compiled into one engine. Send + Sync (adblock built without `single-thread`).
pub struct ListSet {
    engine: adblock::Engine,
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

impl ListSet {
    /// Like `load`, for lists that may not be there yet (subscriptions not downloaded).
    pub fn load_present(paths: &[impl AsRef<Path>], optional: &[impl AsRef<Path>]) -> Result<ListSet, RuleError> {
        let mut all: Vec<&Path> = paths.iter().map(|p| p.as_ref()).collect();
        all.extend(optional.iter().map(|p| p.as_ref()).filter(|p| p.exists()));
        ListSet::load(&all)
    }

    /// Reads and compiles list files. Lines the engine can't use (cosmetic filters, unknown
    /// options) are skipped, as ad blockers do; `trackstrip rules check` reports them.
    pub fn load(paths: &[impl AsRef<Path>]) -> Result<ListSet, RuleError> {
        let mut texts = Vec::new();
        for p in paths {
            let p = p.as_ref();
            let text =
                std::fs::read_to_string(p).map_err(|source| RuleError::Read { path: p.to_path_buf(), source })?;
            if !text.lines().any(is_network_filter) {
                return Err(RuleError::invalid(
                    &p.display().to_string(),
                    1,
                    "no network filter found: is this an ABP-syntax list (EasyList, EasyPrivacy)?",
                ));
            }
            let name = p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned());
            texts.push((name, text));
        }
        Ok(ListSet::from_texts(texts))
    }

    pub fn from_texts(texts: Vec<(String, String)>) -> ListSet {
        let mut set = FilterSet::new(true);
        let mut lists = Vec::new();
        for (name, text) in texts {
            let category = category_for(&name, &text);
            let opts = ParseOptions { rule_types: RuleTypes::NetworkOnly, ..ParseOptions::default() };
            set.add_filter_list(text, opts);
            lists.push(ListInfo { name: Arc::from(name.as_str()), category });
        }
        ListSet { engine: adblock::Engine::new_with_filter_set(set), lists }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.lists.iter().map(|l| &*l.name)
    }

    /// Checks one request. `request_type` uses the engine's names (script, image, sub_frame,
    /// stylesheet, ping, xmlhttprequest, font, media, object, other, document).
    pub fn check(&self, url: &str, page_url: &str, request_type: &str) -> Option<ListHit> {
        let req = adblock::request::Request::new(url, page_url, request_type, "GET").ok()?;
        let res = self.engine.check_network_request(&req);
        let (info, exception) = match (&res.exception, &res.filter) {
            (Some(e), _) if !res.important => (e, true),
            (_, Some(f)) => (f, false),
            _ => return None,
        };
        let (list, line) = match &info.source_location {
            Some(loc) => (self.lists.get(loc.source_index as usize), loc.line_number as usize + 1),
            None => (None, 0),
        };
        let name: Arc<str> = list.map_or_else(|| Arc::from("lists"), |l| l.name.clone());
        let text = info.raw_line.clone().unwrap_or_else(|| "(optimized filter)".into());
        Some(ListHit {
            rule: RuleRef::new(&name, line, text),
            category: list.map_or(Category::Advertising, |l| l.category),
            exception,
        })
    }
}

/// Privacy lists name analytics trackers; the rest (EasyList...) name advertising.
fn category_for(name: &str, text: &str) -> Category {
    let title = text.lines().take(20).find_map(|l| l.strip_prefix("! Title:")).unwrap_or("");
    if format!("{name} {title}").to_ascii_lowercase().contains("privacy") {
        Category::Analytics
    } else {
        Category::Advertising
    }
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
mod tests {
    use super::*;

    fn set() -> ListSet {
        let list =
            "! Title: Test Privacy\n||tracker.example^$third-party\n||pix.example/p.gif\n@@||pix.example/p.gif?ok\n";
        ListSet::from_texts(vec![("test-privacy.txt".into(), list.into())])
    }

    #[test]
    fn hits_cite_the_list_line() {
        let s = set();
        let hit = s.check("https://cdn.tracker.example/t.js", "https://news.example/", "script").unwrap();
        assert!(!hit.exception);
        assert_eq!(hit.rule.location(), "test-privacy.txt:2");
        assert_eq!(hit.rule.text(), "||tracker.example^$third-party");
        assert_eq!(hit.category, Category::Analytics);
    }

    #[test]
    fn third_party_option_and_exceptions() {
        let s = set();
        assert!(s.check("https://tracker.example/t.js", "https://tracker.example/", "script").is_none());
        let hit = s.check("https://pix.example/p.gif?ok", "https://news.example/", "image").unwrap();
        assert!(hit.exception);
        assert!(s.check("https://news.example/a.js", "https://news.example/", "script").is_none());
    }
}
