//! snippets.toml `[loader]` and `[consent]`: the data behind two general script rules.
//!
//! - A *loader* is a small inline script whose work is to load or beacon a URL (a script
//!   element, `document.write`, `new Image`, `sendBeacon`...). It is a tracker when a URL it
//!   names is one the rules or a privacy list block; then it is replaced by a stub that keeps
//!   the globals it names callable. Which vendor it is does not matter, so no signature is
//!   needed.
//! - A *consent-gated* script (`type="text/plain"` plus a consent platform's marker) is what
//!   the platform turns into a running script when the reader clicks Accept: it is judged as
//!   the script it will become.

use super::error::{RuleError, line_of};
use super::rule_ref::RuleRef;
use aho_corasick::AhoCorasick;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LoaderDef {
    max_bytes: usize,
    globals_max_bytes: usize,
    loads: Vec<String>,
    stub: String,
    #[serde(default)]
    not_globals: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ConsentDef {
    attributes: Vec<String>,
    classes: Vec<String>,
    src_attributes: Vec<String>,
}

/// The loader rule, compiled.
pub struct LoaderRule {
    /// Longer scripts (whitespace runs counted as one byte) are the site's code: kept.
    pub max_bytes: usize,
    /// A replaced snippet also keeps its script's globals callable up to this size; larger
    /// (minified library) scripts are not read for globals: their names are mostly not globals.
    globals_max_bytes: usize,
    /// Finds the calls that load or beacon something; a script with none is not a loader.
    loads: AhoCorasick,
    /// The stub; `NAMES` in it becomes a JSON array of the globals to keep callable.
    stub: String,
    /// Identifiers that are never globals to define (tag names, DOM words).
    not_globals: Vec<String>,
    /// Stubs made for scripts already read: a site serves the same snippet on every page.
    stubs_made: Mutex<StubsMade>,
    pub rule: RuleRef,
}

/// A script's text, and the stub made for it (None: it defines no global).
type StubsMade = HashMap<Box<[u8]>, Option<Arc<str>>>;

/// Scripts whose stub is remembered (each at most `globals_max_bytes`); the memo starts over
/// when full.
const STUBS_REMEMBERED: usize = 64;

/// How consent platforms mark the scripts they hold back.
#[derive(Default)]
pub struct ConsentMarkers {
    /// Attribute names; the value (when not empty) is the consent category.
    pub attributes: Vec<String>,
    /// Class-name prefixes; the rest of the class is the category.
    pub classes: Vec<String>,
    /// Attributes that hold the script's URL until consent is given.
    pub src_attributes: Vec<String>,
    pub rule: Option<RuleRef>,
}

impl LoaderRule {
    pub(super) fn compile(def: Spanned<LoaderDef>, file: &str, text: &str) -> Result<LoaderRule, RuleError> {
        let line = line_of(text, def.span().start);
        let def = def.into_inner();
        let invalid = |m: String| RuleError::invalid(file, line, m);
        if def.loads.iter().any(|l| l.len() < 4) {
            return Err(invalid("[loader] loads: each call needs 4 characters at least".into()));
        }
        if !def.stub.contains("NAMES") || def.stub.to_ascii_lowercase().contains("</script") || !def.stub.is_ascii() {
            return Err(invalid("[loader] stub must be ASCII, hold NAMES and no </script".into()));
        }
        let loads = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&def.loads)
            .map_err(|e| invalid(format!("[loader] loads: {e}")))?;
        let source: Arc<str> = Arc::from(file);
        Ok(LoaderRule {
            max_bytes: def.max_bytes,
            globals_max_bytes: def.globals_max_bytes,
            loads,
            stub: def.stub,
            not_globals: def.not_globals,
            stubs_made: Mutex::default(),
            rule: RuleRef::new(&source, line, "loader: a small inline script that loads a blocked URL"),
        })
    }

    /// Small enough, and calling something that loads or beacons: worth reading for URLs.
    pub fn may_be_loader(&self, script: &[u8]) -> bool {
        crate::strip::squeezed_len(script) <= self.max_bytes && self.loads.is_match(script)
    }

    pub fn is_global_candidate(&self, name: &str) -> bool {
        !self.not_globals.iter().any(|n| n == name)
    }

    /// The stub for the globals `script` (a replaced snippet) defines, or None when it defines
    /// none or is too large to read that way (`globals_max_bytes`).
    pub fn stub_for_script(&self, script: &[u8]) -> Option<Arc<str>> {
        if script.len() > self.globals_max_bytes * 4 || crate::strip::squeezed_len(script) > self.globals_max_bytes {
            return None;
        }
        // A poisoned lock only means another page's stub was being remembered: start over.
        let mut made = self.stubs_made.lock().unwrap_or_else(|poisoned| {
            let mut made = poisoned.into_inner();
            made.clear();
            made
        });
        if let Some(stub) = made.get(script) {
            return stub.clone();
        }
        let globals = crate::strip::globals_in(script, |n| self.is_global_candidate(n));
        let stub: Option<Arc<str>> = (!globals.is_empty()).then(|| self.stub_for(&globals).into());
        if made.len() >= STUBS_REMEMBERED {
            made.clear();
        }
        made.insert(script.into(), stub.clone());
        stub
    }

    /// The stub that keeps `globals` callable; empty when there are none.
    pub fn stub_for(&self, globals: &[String]) -> String {
        if globals.is_empty() {
            return String::new();
        }
        let names = globals.iter().map(|g| format!("'{g}'")).collect::<Vec<_>>().join(",");
        self.stub.replace("NAMES", &format!("[{names}]"))
    }
}

impl ConsentMarkers {
    pub(super) fn compile(def: Spanned<ConsentDef>, file: &str, text: &str) -> Result<ConsentMarkers, RuleError> {
        let line = line_of(text, def.span().start);
        let def = def.into_inner();
        if def.attributes.iter().chain(&def.classes).chain(&def.src_attributes).any(|a| a.trim().is_empty()) {
            return Err(RuleError::invalid(file, line, "[consent]: empty marker"));
        }
        let lower = |v: Vec<String>| v.into_iter().map(|s| s.to_ascii_lowercase()).collect();
        Ok(ConsentMarkers {
            attributes: lower(def.attributes),
            classes: def.classes,
            src_attributes: lower(def.src_attributes),
            rule: Some(RuleRef::new(&Arc::from(file), line, "consent: a script held back until consent")),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::{RuleError, RuleFile, RuleKind, Rules};

    fn load(extra: &str) -> Result<Rules, RuleError> {
        let text = format!("format = 1\n{extra}");
        Rules::from_files(&[RuleFile { name: "local-snippets.toml".into(), kind: RuleKind::Snippets, text }], None)
    }

    #[test]
    fn loader_and_consent_tables_are_checked_with_their_line() {
        let good = "[loader]\nmax_bytes = 3000\nglobals_max_bytes = 8192\nloads = [\"createElement\"]\nstub = 'NAMES.forEach(function(k){})'\n";
        assert!(load(good).is_ok());
        let no_names = good.replace("NAMES.forEach", "[].forEach");
        let err = load(&no_names).err().expect("a stub without NAMES is refused").to_string();
        assert!(err.starts_with("local-snippets.toml:2:") && err.contains("NAMES"), "{err}");
        let short = good.replace("\"createElement\"", "\"src\"");
        assert!(load(&short).is_err(), "a 3-character call would match everywhere");
        let empty = "[consent]\nattributes = [\"\"]\nclasses = []\nsrc_attributes = [\"src\"]\n";
        assert!(load(empty).err().expect("empty marker").to_string().contains("empty marker"));
    }

    #[test]
    fn a_scripts_stub_is_made_once_and_stays_its_own() {
        let good = "[loader]\nmax_bytes = 3000\nglobals_max_bytes = 8192\nloads = [\"createElement\"]\nstub = 'NAMES.forEach(function(k){})'\n";
        let rules = load(good).expect("rules");
        let loader = rules.snippets.loader.as_ref().expect("loader");
        let stub = |script: &str| loader.stub_for_script(script.as_bytes()).map(|s| s.to_string());
        assert_eq!(stub("window.abc = 1;").as_deref(), Some("['abc'].forEach(function(k){})"));
        // Past the memo's size, every script still gets its own stub.
        for n in 0..super::STUBS_REMEMBERED * 2 + 3 {
            let want = format!("['g{n}'].forEach(function(k){{}})");
            assert_eq!(stub(&format!("window.g{n} = 1;")), Some(want.clone()));
            assert_eq!(stub(&format!("window.g{n} = 1;")), Some(want), "remembered");
        }
        assert_eq!(stub("var x = 1; // a global"), Some("['x'].forEach(function(k){})".into()));
        assert_eq!(stub("(function(){ var y = 1; })()"), None, "no global");
        assert_eq!(stub("window.abc = 1;").as_deref(), Some("['abc'].forEach(function(k){})"));
    }
}
