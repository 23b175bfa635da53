//! `trackstrip rules check`: validate rule files and filter lists, one finding per line.

use super::error::RuleError;
use super::lists::is_network_filter;
use super::source::{self, RuleFile, RuleKind};
use super::{ListSet, Rules};
use adblock::lists::{FilterParseError, ParseOptions, RuleTypes, parse_filter};
use std::path::Path;

/// One problem found, placed on its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    /// 1-based; 0 when the problem is the whole file.
    pub line: usize,
    pub error: bool,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = if self.error { "error" } else { "warning" };
        if self.line == 0 {
            write!(f, "{}: {level}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {level}: {}", self.file, self.line, self.message)
        }
    }
}

/// What a check found, and a one-line summary per file that passed.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub summaries: Vec<String>,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.error)
    }

    fn rule_error(&mut self, e: RuleError) {
        let (file, line, message) = match e {
            RuleError::Invalid { file, line, message } => (file, line, message),
            other => (String::new(), 0, other.to_string()),
        };
        self.findings.push(Finding { file, line, error: true, message });
    }
}

/// Checks the bundled rules (no paths) or each path: a rules directory, a rule file, a list.
pub fn check(paths: &[impl AsRef<Path>]) -> Report {
    let mut report = Report::default();
    if paths.is_empty() {
        check_rule_files(&source::bundled(), "bundled rules", &mut report);
    }
    for p in paths {
        let p = p.as_ref();
        if p.is_dir() {
            match source::overlay_dir(p, source::bundled()) {
                Ok(files) => check_rule_files(&files, &p.display().to_string(), &mut report),
                Err(e) => report.rule_error(e),
            }
        } else if p.extension().is_some_and(|x| x == "toml") {
            match source::read_file(p) {
                Ok((file, _)) => check_rule_files(std::slice::from_ref(&file), &file.name, &mut report),
                Err(e) => report.rule_error(e),
            }
        } else {
            check_list(p, &mut report);
        }
    }
    report
}

fn check_rule_files(files: &[RuleFile], what: &str, report: &mut Report) {
    let before = report.findings.len();
    for f in files {
        if f.kind == RuleKind::Trackers {
            duplicate_hosts(f, report);
        }
        // Each file alone first, so an error names the file that holds it.
        if let Err(e) = Rules::from_files(std::slice::from_ref(f), None) {
            report.rule_error(e);
        }
    }
    if report.findings[before..].iter().any(|f| f.error) {
        return;
    }
    match Rules::from_files(files, None) {
        Ok(r) => report.summaries.push(format!(
            "{what}: ok (version {}: {} trackers, {} snippets, {} tracking parameters, {} link wrappers, {} social widgets and embeds, {} allow rules)",
            r.version,
            r.trackers.len(),
            r.snippets.len(),
            r.params.len(),
            r.redirects.len(),
            r.social.len(),
            r.allow.len()
        )),
        Err(e) => report.rule_error(e),
    }
}

/// A host listed twice: the later entry silently wins, which is rarely what was meant.
fn duplicate_hosts(f: &RuleFile, report: &mut Report) {
    let mut seen = std::collections::HashMap::new();
    let mut in_hosts = false;
    for (i, line) in f.text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("hosts") {
            in_hosts = true;
        }
        if in_hosts {
            for host in t.split('"').skip(1).step_by(2) {
                if let Some(first) = seen.insert(host.to_string(), i + 1) {
                    report.findings.push(Finding {
                        file: f.name.clone(),
                        line: i + 1,
                        error: false,
                        message: format!("host {host:?} is already listed on line {first}; this entry wins"),
                    });
                }
            }
        }
        if t.contains(']') {
            in_hosts = false;
        }
    }
}

/// Skipped filters listed per list; the rest are counted.
const SHOWN_PER_LIST: usize = 20;

fn check_list(path: &Path, report: &mut Report) {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            report.findings.push(Finding { file: name, line: 0, error: true, message: format!("cannot read: {e}") });
            return;
        }
    };
    let opts = ParseOptions { rule_types: RuleTypes::NetworkOnly, ..ParseOptions::default() };
    let (mut network, mut skipped, mut errors) = (0usize, 0usize, 0usize);
    for (i, line) in text.lines().enumerate() {
        if !is_network_filter(line) {
            continue;
        }
        match parse_filter(line, false, opts) {
            Ok(_) => network += 1,
            Err(FilterParseError::Empty) => {}
            Err(FilterParseError::Unsupported) => skipped += 1,
            Err(e) => {
                errors += 1;
                if errors > SHOWN_PER_LIST {
                    continue;
                }
                report.findings.push(Finding {
                    file: name.clone(),
                    line: i + 1,
                    error: false,
                    message: format!("filter skipped ({e}): {}", line.trim()),
                });
            }
        }
    }
    if errors > SHOWN_PER_LIST {
        report.findings.push(Finding {
            file: name.clone(),
            line: 0,
            error: false,
            message: format!("{} more filters skipped (not shown)", errors - SHOWN_PER_LIST),
        });
    }
    if network == 0 {
        report.findings.push(Finding {
            file: name,
            line: 0,
            error: true,
            message: "no usable network filter: is this an ABP-syntax list (EasyList, EasyPrivacy)?".into(),
        });
        return;
    }
    // Building the engine is the real proof the list loads.
    let _ = ListSet::from_texts(vec![(name.clone(), text)]);
    report.summaries.push(format!(
        "{name}: ok ({network} network filters; {errors} unparsable and {skipped} unsupported skipped, as ad blockers do)"
    ));
}
