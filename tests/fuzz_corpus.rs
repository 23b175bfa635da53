//! CI's smoke of the fuzz targets, on stable: every input the long cargo-fuzz runs kept
//! (fuzz/corpus, fuzz/regressions) replayed through the same properties. The stripper: no
//! panic, the same output at any chunking, the input unchanged when no rule fired. Rule files
//! and lists: parse or fail, never panic. (The libFuzzer runs themselves: fuzz/README.md.)

use std::path::{Path, PathBuf};
use std::sync::Arc;
use trackstrip::policy::PageContext;
use trackstrip::policy::RequestKind;
use trackstrip::rules::{ListSet, RuleFile, RuleKind, Rules};
use trackstrip::strip::{StripOptions, Stripper, strip_bytes};

fn inputs(dirs: &[&str]) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(root.join(d)).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn the_stripper_holds_on_every_kept_fuzz_input() {
    let rules = Arc::new(Rules::bundled().unwrap());
    let files = inputs(&["corpus/strip", "regressions/strip"]);
    assert!(files.len() > 100, "the kept corpus is in the repository ({} inputs)", files.len());
    for (i, path) in files.iter().enumerate() {
        let data = std::fs::read(path).unwrap();
        // The target's first 6 bytes are options; the page is the rest.
        let html = data.get(6..).unwrap_or_default();
        let page = || PageContext::new("https://www.news.example/a/b?id=1").unwrap();
        let (whole, done) = strip_bytes(rules.clone(), page(), StripOptions::with_lines(), html);
        let size = 1 + (i * 7919) % 97;
        let mut s = Stripper::new(rules.clone(), page(), StripOptions::with_lines());
        let mut chunked = Vec::new();
        for chunk in html.chunks(size) {
            chunked.extend_from_slice(&s.write(chunk));
        }
        let out = s.finish();
        chunked.extend_from_slice(&out.tail);
        if done.bailed_out.is_none() && out.bailed_out.is_none() {
            assert!(whole == chunked, "{}: chunks of {size} give other bytes", path.display());
        }
        if done.events.is_empty() && done.bailed_out.is_none() {
            assert!(whole == html, "{}: no rule fired but the page changed", path.display());
        }
    }
}

#[test]
fn rule_files_and_lists_from_kept_fuzz_inputs_parse_or_fail_cleanly() {
    let files = inputs(&["corpus/rules", "regressions/rules"]);
    assert!(files.len() > 100, "the kept corpus is in the repository ({} inputs)", files.len());
    let mut parsed = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        for kind in RuleKind::ALL {
            let file = RuleFile { name: format!("fuzz-{}", kind.file_name()), kind, text: text.clone() };
            parsed += usize::from(Rules::from_files(&[file], None).is_ok());
        }
        let list = ListSet::from_texts(vec![("fuzz.txt".to_string(), text)]);
        let _ = list.check_urls("https://ads.example/p.gif", "https://www.news.example/", RequestKind::Image);
    }
    assert!(parsed > 0, "some inputs are valid rule files");
}
