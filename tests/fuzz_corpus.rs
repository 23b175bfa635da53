//! CI's smoke of the `strip` and `rules` fuzz targets, on stable: every input the long
//! cargo-fuzz runs kept (fuzz/corpus, fuzz/regressions) replayed through the target's own code.
//! The decoding of an input (option bytes, chunk seed) and the checks are the files the
//! targets compile (fuzz/shared/), so what is replayed here is what was fuzzed. (The libFuzzer
//! runs themselves: fuzz/README.md.)

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

#[path = "../fuzz/shared/rules.rs"]
mod rules_input;
#[path = "../fuzz/shared/strip.rs"]
mod strip_input;

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files: Vec<PathBuf> = ["corpus", "regressions"]
        .iter()
        .filter_map(|d| std::fs::read_dir(root.join(d).join(target)).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_default()
}

#[test]
fn the_stripper_holds_on_every_kept_fuzz_input() {
    let files = inputs("strip");
    assert!(files.len() > 100, "the kept corpus is in the repository ({} inputs)", files.len());
    let mut failures = Vec::new();
    let mut outcomes = Vec::new();
    for path in &files {
        let data = std::fs::read(path).unwrap();
        match catch_unwind(AssertUnwindSafe(|| strip_input::check(&data))) {
            Ok(Ok(Some(outcome))) => outcomes.push(outcome),
            Ok(Ok(None)) => {}
            Ok(Err(why)) => failures.push(format!("{}: {why}", path.display())),
            Err(p) => failures.push(format!("{}: PANIC: {}", path.display(), panic_text(&*p))),
        }
    }
    assert!(failures.is_empty(), "{} of {} inputs failed:\n{}", failures.len(), files.len(), failures.join("\n"));

    // The replay decodes the option bytes: each option is on in some inputs and off in others.
    let on = |bit: u16| outcomes.iter().filter(|o| o.flags & (1 << bit) != 0).count();
    for bit in 0..12 {
        let n = on(bit);
        assert!(0 < n && n < outcomes.len(), "option bit {bit} is set in {n} of {} inputs", outcomes.len());
    }
    let with_events = outcomes.iter().filter(|o| o.events > 0).count();
    let bailed = outcomes.iter().filter(|o| o.bailed_out).count();
    eprintln!(
        "strip: {} inputs ({} too short), {} report-only, {} with a 4 KiB memory limit ({bailed} bailed out), \
         {with_events} where a rule fired",
        outcomes.len(),
        files.len() - outcomes.len(),
        on(0),
        on(6),
    );
    assert!(with_events > 0, "some inputs make rules fire");
}

#[test]
fn rule_files_and_lists_from_kept_fuzz_inputs_parse_or_fail_cleanly() {
    let files = inputs("rules");
    assert!(files.len() > 100, "the kept corpus is in the repository ({} inputs)", files.len());
    let mut failures = Vec::new();
    let (mut parsed, mut lists) = (0, 0);
    for path in &files {
        let data = std::fs::read(path).unwrap();
        match catch_unwind(AssertUnwindSafe(|| rules_input::check(&data))) {
            Ok(outcome) => {
                parsed += usize::from(outcome.parsed > 0);
                lists += usize::from(outcome.list);
            }
            Err(p) => failures.push(format!("{}: PANIC: {}", path.display(), panic_text(&*p))),
        }
    }
    assert!(failures.is_empty(), "{} of {} inputs failed:\n{}", failures.len(), files.len(), failures.join("\n"));
    eprintln!("rules: {} inputs, {parsed} parse as some rule file, {lists} build rules as a list", files.len());
    assert!(parsed > 0 && lists > 0, "some inputs are valid rule files, some valid lists");
}
