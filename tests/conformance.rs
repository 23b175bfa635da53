//! HTML conformance: every input of the html5lib-tests tokenizer and tree-construction suites
//! (tests/html5lib/, see its SOURCE.md) goes through the stripper whole, in 1-byte chunks and in
//! pseudo-random chunks of 1..=64 bytes. Nothing may panic, the three outputs (and their audit
//! events and counts) must agree, no rule may fire, and the output must equal the input byte for
//! byte.
//!
//! No input of these suites holds a `ping`, a tracker URL, a tracking parameter or a tracker
//! snippet, so with the bundled rules none makes a rule fire, and every one is checked for
//! identity. An input where a rule fires is a failure, reported with what fired: either a rule
//! went wrong, or an updated suite brought an input that really holds a tracker, which would
//! then need a named exception here, with its reason.

use std::any::Any;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use trackstrip::audit::AuditEvent;
use trackstrip::policy::PageContext;
use trackstrip::rules::Rules;
use trackstrip::strip::{StripOptions, StripStats, Stripper};

mod common;
use common::html5lib::{Input, dat_inputs, tokenizer_inputs, tree_inputs, unescape};
use common::rng::Rng;

const PAGE: &str = "https://news.example/article";
/// Seed of the pseudo-random chunk sizes (mixed with the input's place, so each input replays alone).
const SEED: u64 = 0x5EED_4854_4D4C_3521;
/// Failures spelled out in the panic message; the rest are only counted.
const MAX_REPORTED: usize = 20;

fn rules() -> Arc<Rules> {
    static RULES: OnceLock<Arc<Rules>> = OnceLock::new();
    RULES.get_or_init(|| Arc::new(Rules::bundled().expect("bundled rules load"))).clone()
}

enum Chunking {
    Whole,
    Bytes1,
    Random(u64),
}

impl Chunking {
    fn name(&self) -> String {
        match self {
            Chunking::Whole => "whole".into(),
            Chunking::Bytes1 => "1-byte chunks".into(),
            Chunking::Random(seed) => format!("random 1..=64-byte chunks, seed {seed:#x}"),
        }
    }
}

/// What one run produced.
struct Run {
    out: Vec<u8>,
    events: Vec<AuditEvent>,
    stats: StripStats,
    bailed_out: Option<String>,
}

/// Strips `input` fed as `chunking` says. The random run also drains the events as it goes,
/// like the proxy does.
fn strip(input: &[u8], chunking: &Chunking) -> Run {
    let page = PageContext::new(PAGE).expect("page URL");
    let mut s = Stripper::new(rules(), page, StripOptions::with_lines());
    let mut out = Vec::with_capacity(input.len() + 64);
    let mut events = Vec::new();
    match chunking {
        Chunking::Whole => out.extend_from_slice(&s.write(input)),
        Chunking::Bytes1 => {
            for b in input.chunks(1) {
                out.extend_from_slice(&s.write(b));
            }
        }
        Chunking::Random(seed) => {
            let mut rng = Rng::new(*seed);
            let mut rest = input;
            while !rest.is_empty() {
                let n = rng.size(64).min(rest.len());
                out.extend_from_slice(&s.write(&rest[..n]));
                events.append(&mut s.take_events());
                rest = &rest[n..];
            }
        }
    }
    let done = s.finish();
    out.extend_from_slice(&done.tail);
    events.extend(done.events);
    Run { out, events, stats: done.stats, bailed_out: done.bailed_out }
}

/// What a run decided, comparable across chunkings (lines included).
fn decisions(events: &[AuditEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let rule = e.rule.as_ref().map(|r| r.to_string()).unwrap_or_default();
            format!(
                "{} {}[{}] {:?} {:?} line {} ({rule})",
                e.action.as_str(),
                e.element,
                e.attribute,
                e.url,
                e.reason,
                e.line
            )
        })
        .collect()
}

fn panic_text(p: &(dyn Any + Send)) -> String {
    p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_default()
}

/// At most 200 bytes of `bytes`, escaped.
fn show(bytes: &[u8]) -> String {
    const MAX: usize = 200;
    let cut = &bytes[..bytes.len().min(MAX)];
    let mut s = format!("{:?}", String::from_utf8_lossy(cut));
    if bytes.len() > MAX {
        let _ = write!(s, "... ({} bytes)", bytes.len());
    }
    s
}

fn first_diff(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()))
}

/// Near the first difference of `got` from `want`.
fn diff_note(want: &[u8], got: &[u8]) -> String {
    let at = first_diff(want, got);
    let from = at.saturating_sub(20);
    format!(
        "first differing byte at offset {at} (lengths {} vs {}): {} vs {}",
        want.len(),
        got.len(),
        show(&want[from..want.len().min(at + 40)]),
        show(&got[from..got.len().min(at + 40)]),
    )
}

/// An input where a rule fired.
struct Fired {
    what: String,
    decisions: Vec<String>,
}

#[derive(Default)]
struct Tally {
    inputs: usize,
    bytes: usize,
    fired: Vec<Fired>,
    failures: Vec<String>,
}

impl Tally {
    fn fail(&mut self, what: &str, input: &[u8], why: String) {
        self.failures.push(format!("{what}\n    input: {}\n    {why}", show(input)));
    }
}

fn check(input: &Input, input_no: u64, tally: &mut Tally) {
    let what = format!("{} test #{}", input.file, input.index);
    let bytes = &input.bytes;
    tally.inputs += 1;
    tally.bytes += bytes.len();
    let chunkings = [Chunking::Whole, Chunking::Bytes1, Chunking::Random(SEED ^ input_no)];
    let mut runs = Vec::new();
    for chunking in &chunkings {
        match catch_unwind(AssertUnwindSafe(|| strip(bytes, chunking))) {
            Ok(run) => runs.push(run),
            Err(p) => {
                tally.fail(&what, bytes, format!("{}: PANIC: {}", chunking.name(), panic_text(&*p)));
                return;
            }
        }
    }
    let whole = &runs[0];
    let want = decisions(&whole.events);
    for (run, chunking) in runs.iter().zip(&chunkings) {
        if let Some(why) = &run.bailed_out {
            tally.fail(&what, bytes, format!("{}: stripping bailed out: {why}", chunking.name()));
        }
    }
    for (run, chunking) in runs.iter().zip(&chunkings).skip(1) {
        if run.out != whole.out {
            tally.fail(&what, bytes, format!("{} vs whole: {}", chunking.name(), diff_note(&whole.out, &run.out)));
        }
        let got = decisions(&run.events);
        if got != want || run.stats != whole.stats {
            tally.fail(
                &what,
                bytes,
                format!("{}: events {got:?} / {:?}, whole: {want:?} / {:?}", chunking.name(), run.stats, whole.stats),
            );
        }
    }
    if whole.events.is_empty() && whole.stats == StripStats::default() {
        if whole.out != *bytes {
            tally.fail(&what, bytes, format!("no rule fired, output != input: {}", diff_note(bytes, &whole.out)));
        }
    } else {
        // Its output can't be checked for identity, and none of these inputs holds a tracker.
        tally.fail(&what, bytes, format!("a rule fired: {}", want.join("; ")));
        tally.fired.push(Fired { what, decisions: want });
    }
}

fn run_suite(suite: &str, inputs: &[Input], extra: &str) {
    let started = Instant::now();
    let _ = rules(); // load outside the timing of the first input
    let mut tally = Tally::default();
    // A panic is caught and reported with its input below (the default hook also prints it:
    // the hook is global, and quieting it would hide the other suite's messages).
    for (no, input) in inputs.iter().enumerate() {
        check(input, no as u64, &mut tally);
    }
    for f in &tally.fired {
        eprintln!("html5lib {suite}: rule fired: {}: {}", f.what, f.decisions.join("; "));
    }
    eprintln!(
        "html5lib {suite}: {} inputs, {} bytes, {} where a rule fired{extra}; {} failures; {:.2?}",
        tally.inputs,
        tally.bytes,
        tally.fired.len(),
        tally.failures.len(),
        started.elapsed()
    );
    if !tally.failures.is_empty() {
        let shown: Vec<&str> = tally.failures.iter().take(MAX_REPORTED).map(String::as_str).collect();
        panic!(
            "html5lib {suite}: {} failures (first {}):\n  {}",
            tally.failures.len(),
            shown.len(),
            shown.join("\n  ")
        );
    }
}

#[test]
fn html5lib_tokenizer() {
    let (inputs, lone) = tokenizer_inputs();
    assert!(inputs.len() > 6000, "only {} tokenizer inputs", inputs.len());
    run_suite("tokenizer", &inputs, &format!(" ({lone} lone surrogates replaced by U+FFFD)"));
}

#[test]
fn html5lib_tree_construction() {
    let (inputs, fragments) = tree_inputs();
    assert!(inputs.len() > 1500, "only {} tree-construction inputs", inputs.len());
    run_suite("tree-construction", &inputs, &format!(" ({fragments} fragment tests, stripped as documents)"));
}

#[test]
fn unescape_double_escaped() {
    let mut lone = 0;
    assert_eq!(unescape(r"a\u0000b\uFEFF", &mut lone), "a\0b\u{FEFF}");
    assert_eq!(unescape(r"\uD835\uDD04x", &mut lone), "\u{1D504}x");
    assert_eq!(lone, 0);
    assert_eq!(unescape(r"\uD800\uDFFFa\uDFFF\uD800", &mut lone), "\u{103FF}a\u{FFFD}\u{FFFD}");
    assert_eq!(lone, 2);
    assert_eq!(unescape(r"\u00", &mut lone), r"\u00");
}

#[test]
fn dat_sections() {
    let dat =
        b"#data\n<p>a\n\nb\r\n#errors\n(1,1): x\n#document\n| <html>\n\n#data\n#x\n#errors\n#document-fragment\ntd\n";
    assert_eq!(dat_inputs(dat), vec![b"<p>a\n\nb\r".to_vec(), b"#x".to_vec()]);
}

/// The harness notices a rule firing (so "0 where a rule fired" above means something) and
/// fails the input for it, and the fired input still has to agree across chunkings.
#[test]
fn harness_sees_rules_fire() {
    let mut tally = Tally::default();
    let synthetic = [
        r#"<p><a ping="https://t.example/p" href="/x">x</a>"#,
        r#"<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script><p>x"#,
        "<p>untouched <b>text</b>",
    ];
    for (index, html) in synthetic.iter().enumerate() {
        let input = Input { file: "synthetic".into(), index, bytes: html.as_bytes().to_vec() };
        check(&input, index as u64, &mut tally);
    }
    assert_eq!(tally.failures.len(), 2, "{:#?}", tally.failures);
    for (failure, n) in tally.failures.iter().zip(0..) {
        let first_line = failure.lines().next().unwrap_or_default();
        assert_eq!(first_line, format!("synthetic test #{n}"), "{failure}");
        let why = failure.lines().last().unwrap_or_default().trim();
        assert!(why.starts_with("a rule fired: "), "fails for a rule firing, and only for that: {failure}");
    }
    let fired: Vec<&str> = tally.fired.iter().map(|f| f.what.as_str()).collect();
    assert_eq!(fired, ["synthetic test #0", "synthetic test #1"]);
}
