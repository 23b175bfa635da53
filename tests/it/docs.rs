//! The documentation (README.md and docs/*.md) against what it describes: every `--flag` it
//! writes is one the `trackstrip` binary accepts (or one of another program it quotes), and every
//! relative link reaches a file or directory, and, with `#anchor` into a markdown file, a heading
//! there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Flags of other programs that the docs quote, each with the program it belongs to. A flag
/// written in the docs that is neither trackstrip's nor listed here fails the test.
const OTHER_PROGRAMS_FLAGS: &[&str] = &[
    "--release",             // cargo build / run / test
    "--test",                // cargo test
    "--tests",               // cargo test
    "--ignored",             // cargo test (libtest)
    "--bench",               // cargo bench
    "--profile",             // cargo build
    "--all",                 // cargo fmt
    "--all-targets",         // cargo clippy
    "--tool",                // valgrind
    "--host-resolver-rules", // chromium
    "--proxy-server",        // chromium
    "--cmd",                 // ../shared/corpus/score.py (the dev corpus scorer)
    "--smoke",               // bench/load.sh
    "--strict",              // kubernetes-validate (deploy/check.sh)
    "--minutes",             // bench/soak.sh
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every docs/*.md, sorted.
fn doc_files() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.expect("docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    assert!(!docs.is_empty(), "no docs/*.md");
    docs.insert(0, root().join("README.md"));
    docs
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn name(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

/// `trackstrip ARGS... --help`.
fn help(args: &[String]) -> String {
    let out = crate::support::trackstrip_cmd()
        .args(args)
        .arg("--help")
        .env_remove("RUST_LOG")
        .output()
        .expect("run trackstrip");
    assert!(out.status.success(), "trackstrip {} --help: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

/// The subcommands a help text lists under `Commands:` (not `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// The long flags a help text defines: option lines such as `  -o, --output <FILE>  ...` or
/// `      --der  ...` (a flag only mentioned in a description doesn't count).
pub(crate) fn defined_flags(help: &str) -> impl Iterator<Item = String> + '_ {
    help.lines().filter_map(|line| {
        let line = line.trim_start();
        let line = match line.as_bytes() {
            [b'-', c, b',', b' ', ..] if c.is_ascii_alphanumeric() => &line[4..],
            _ => line,
        };
        let rest = line.strip_prefix("--")?;
        let flag: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        (!flag.is_empty()).then(|| format!("--{flag}"))
    })
}

/// Every long flag of trackstrip and of each of its subcommands, found by walking `--help`;
/// and the command lines walked.
fn trackstrip_flags() -> (BTreeSet<String>, Vec<String>) {
    let mut flags = BTreeSet::new();
    let mut walked = Vec::new();
    let mut todo: Vec<Vec<String>> = vec![vec![]];
    while let Some(args) = todo.pop() {
        let text = help(&args);
        flags.extend(defined_flags(&text));
        for sub in subcommands(&text) {
            let mut deeper = args.clone();
            deeper.push(sub);
            todo.push(deeper);
        }
        walked.push(args.join(" "));
    }
    (flags, walked)
}

/// Tokens like the regex `--[a-z][a-z0-9-]*` that don't continue a word (`a--b` is not a flag).
fn written_flags(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut found = BTreeSet::new();
    let mut i = 0;
    while let Some(at) = text[i..].find("--").map(|p| p + i) {
        i = at + 2;
        let continues_word = at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'-');
        if continues_word || !bytes.get(at + 2).is_some_and(u8::is_ascii_lowercase) {
            continue;
        }
        let end = bytes[at + 2..]
            .iter()
            .position(|b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-'))
            .map_or(bytes.len(), |n| at + 2 + n);
        found.insert(text[at..end].to_string());
        i = end;
    }
    found
}

#[test]
fn every_flag_the_docs_write_is_one_trackstrip_accepts() {
    let parsed = written_flags("a --flag, x--y, `--no-gpc`; -- --2 <!-- --x-");
    assert_eq!(parsed, ["--flag", "--no-gpc", "--x-"].map(String::from).into());

    let (accepted, walked) = trackstrip_flags();
    let expected = ["", "serve", "strip", "audit", "ca init", "ca path", "ca export", "rules check"];
    for command in expected.into_iter().chain(["lists update", "lists status", "user add", "user remove"]) {
        assert!(walked.iter().any(|w| w == command), "`trackstrip {command} --help` not reached: {walked:?}");
    }
    assert!(accepted.contains("--listen") && accepted.contains("--der"), "{accepted:?}");
    for flag in OTHER_PROGRAMS_FLAGS {
        assert!(!accepted.contains(*flag), "{flag} is trackstrip's own now: take it off OTHER_PROGRAMS_FLAGS");
    }

    let mut unknown = Vec::new();
    let mut seen = 0;
    for doc in doc_files() {
        for flag in written_flags(&read(&doc)) {
            seen += 1;
            if !accepted.contains(&flag) && !OTHER_PROGRAMS_FLAGS.contains(&flag.as_str()) {
                unknown.push(format!("{}: {flag}", name(&doc)));
            }
        }
    }
    assert!(seen > 50, "only {seen} flags found in the docs");
    assert!(
        unknown.is_empty(),
        "flags the docs write that no `trackstrip ... --help` defines (a typo, a removed flag, or \
         another program's flag to add to OTHER_PROGRAMS_FLAGS):\n{}",
        unknown.join("\n")
    );
}

/// A markdown text without its fenced code blocks (their lines left empty, so line numbers hold).
fn outside_code_blocks(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .map(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return "";
            }
            if fenced { "" } else { line }
        })
        .collect()
}

/// A line without its inline code spans (`like this`), which hold no links.
fn without_code_spans(line: &str) -> String {
    line.split('`').step_by(2).collect()
}

/// GitHub's anchor for a heading: lowercase, spaces to `-`, punctuation other than `-` and `_`
/// dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a markdown file's headings; a repeated heading gets `-1`, `-2`... as on GitHub.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    let mut anchors = BTreeSet::new();
    for line in outside_code_blocks(text) {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        let Some(heading) = line[hashes..].strip_prefix(' ').filter(|_| (1..=6).contains(&hashes)) else {
            continue;
        };
        let base = slug(heading);
        let n = count.entry(base.clone()).or_default();
        anchors.insert(if *n == 0 { base } else { format!("{base}-{n}") });
        *n += 1;
    }
    anchors
}

/// The targets of `[text](target)` links on a line (an optional `"title"` left off).
fn link_targets(line: &str) -> Vec<String> {
    let line = without_code_spans(line);
    let mut targets = Vec::new();
    let mut rest = line.as_str();
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else { break };
        if let Some(target) = after[..end].split_whitespace().next() {
            targets.push(target.to_string());
        }
        rest = &after[end..];
    }
    targets
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    assert_eq!(slug("What it strips, and why"), "what-it-strips-and-why");
    assert_eq!(
        slug("Audit JSON (`--format json`, schema `trackstrip.audit/1`)"),
        "audit-json---format-json-schema-trackstripaudit1"
    );
    let headings = "# A\n```\n# not a heading\n```\n## B b\n### B b\n####### seven\n#nospace\n";
    assert_eq!(anchors(headings), ["a", "b-b", "b-b-1"].map(String::from).into());
    assert_eq!(link_targets("[`a`](x.md#y) and [b](../c \"t\") `[c](no)`"), ["x.md#y", "../c"]);

    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in doc_files() {
        let text = read(&doc);
        let dir = doc.parent().expect("a directory");
        for (n, line) in outside_code_blocks(&text).into_iter().enumerate() {
            for target in link_targets(line) {
                if ["http:", "https:", "mailto:"].iter().any(|s| target.starts_with(s)) {
                    continue;
                }
                checked += 1;
                let at = format!("{}:{}: {target}", name(&doc), n + 1);
                let (path, anchor) = match target.split_once('#') {
                    Some((path, anchor)) => (path, Some(anchor)),
                    None => (target.as_str(), None),
                };
                let file = if path.is_empty() { doc.clone() } else { dir.join(path) };
                if !file.exists() {
                    broken.push(format!("{at}: no such file or directory"));
                    continue;
                }
                let Some(anchor) = anchor else { continue };
                if file.extension().is_some_and(|x| x == "md") && !anchors(&read(&file)).contains(anchor) {
                    broken.push(format!("{at}: no heading with anchor #{anchor} in {}", name(&file)));
                }
            }
        }
    }
    assert!(checked > 30, "only {checked} relative links found in the docs");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
