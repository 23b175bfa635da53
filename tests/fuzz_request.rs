//! CI's smoke of the `request` fuzz target, on stable: every kept input (fuzz/corpus/request,
//! fuzz/regressions/request) sent as a client's bytes into the proxy's real connection handler
//! over an in-memory stream, by the target's own code (fuzz/shared/request.rs): no panic, and
//! every connection ends.
//!
//! The test first moves into a network namespace of its own, so nothing a mutated input names
//! can be reached. That needs root (or `unshare -rn`), so the test is ignored by a plain
//! `cargo test`; `.ci/run` runs it with `--ignored` where it can. Run by hand, without the
//! right to make the namespace, it fails (it never passes having checked nothing).

use std::path::Path;

#[path = "../fuzz/shared/request.rs"]
mod request_input;

#[test]
#[ignore = "needs root or `unshare -rn` (a network namespace of its own); .ci/run runs it with --ignored"]
fn every_kept_request_input_gets_an_answer_or_a_close() {
    if let Err(e) = request_input::offline() {
        panic!(
            "this test needs a network namespace of its own, so that no request leaves the machine: \
             run it as root, or under `unshare -rn` ({e})"
        );
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut inputs: Vec<_> = ["corpus/request", "regressions/request"]
        .iter()
        .filter_map(|d| std::fs::read_dir(root.join(d)).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    inputs.sort();
    assert!(inputs.len() > 100, "the kept corpus is in the repository ({} inputs)", inputs.len());

    let proxy = request_input::Proxy::new();
    let mut failures = Vec::new();
    let (mut answered, mut bytes) = (0, 0);
    for path in &inputs {
        let data = std::fs::read(path).unwrap();
        match proxy.check(&data, false) {
            Ok(n) => {
                answered += usize::from(n > 0);
                bytes += n;
            }
            Err(why) => failures.push(format!("{}: {why}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{} of {} inputs failed:\n{}", failures.len(), inputs.len(), failures.join("\n"));
    eprintln!("request: {} inputs, {answered} got an answer ({bytes} bytes in all)", inputs.len());
    // The proxy really ran: most inputs hold at least one request it answers (if only with 400).
    assert!(answered * 2 > inputs.len(), "only {answered} of {} inputs got an answer", inputs.len());
}
