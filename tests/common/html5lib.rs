//! The html5lib-tests inputs (tests/html5lib/, see its SOURCE.md), loaded for the tests that
//! run every one of them through a rewriter.

use std::path::{Path, PathBuf};

fn data_dir(suite: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/html5lib").join(suite)
}

/// The files of a suite with the given extension, sorted, subfolders included.
fn suite_files(suite: &str, ext: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, ext, out);
            } else if path.extension().is_some_and(|x| x == ext) {
                out.push(path);
            }
        }
    }
    let root = data_dir(suite);
    let mut out = Vec::new();
    walk(&root, ext, &mut out);
    out.sort();
    assert!(!out.is_empty(), "no *.{ext} under {}", root.display());
    out
}

/// One input: where it comes from and its bytes.
pub struct Input {
    /// File, relative to tests/html5lib/.
    pub file: String,
    /// Index of the test in its file (0-based).
    pub index: usize,
    pub bytes: Vec<u8>,
}

fn rel_name(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/html5lib");
    path.strip_prefix(&root).unwrap_or(path).display().to_string()
}

#[derive(serde::Deserialize)]
struct TokenizerFile {
    #[serde(default)]
    tests: Vec<TokenizerTest>,
    /// xmlViolation.test keeps its tests under this key.
    #[serde(default, rename = "xmlViolationTests")]
    xml_violation_tests: Vec<TokenizerTest>,
}

#[derive(serde::Deserialize)]
struct TokenizerTest {
    input: String,
    #[serde(default, rename = "doubleEscaped")]
    double_escaped: bool,
}

/// Undoes `doubleEscaped`: `\uXXXX` becomes the character. Surrogate pairs join; a lone surrogate
/// can't be UTF-8 and becomes U+FFFD (counted in `lone`).
pub fn unescape(s: &str, lone: &mut usize) -> String {
    fn hex4(s: &[u8], at: usize) -> Option<u32> {
        if s.get(at..at + 2)? != b"\\u" {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(s.get(at + 2..at + 6)?).ok()?, 16).ok()
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        let Some(u) = hex4(b, i) else {
            let c = s[i..].chars().next().expect("char boundary");
            out.push(c);
            i += c.len_utf8();
            continue;
        };
        i += 6;
        let c = match u {
            0xD800..=0xDBFF => match hex4(b, i) {
                Some(lo @ 0xDC00..=0xDFFF) => {
                    i += 6;
                    char::from_u32(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00))
                }
                _ => None,
            },
            _ => char::from_u32(u),
        };
        out.push(c.unwrap_or_else(|| {
            *lone += 1;
            '\u{FFFD}'
        }));
    }
    out
}

/// Every tokenizer input, and how many lone surrogates were replaced.
pub fn tokenizer_inputs() -> (Vec<Input>, usize) {
    let mut inputs = Vec::new();
    let mut lone = 0;
    for path in suite_files("tokenizer", "test") {
        let file = rel_name(&path);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let parsed: TokenizerFile = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let tests = parsed.tests.into_iter().chain(parsed.xml_violation_tests);
        for (index, t) in tests.enumerate() {
            let input = if t.double_escaped { unescape(&t.input, &mut lone) } else { t.input };
            inputs.push(Input { file: file.clone(), index, bytes: input.into_bytes() });
        }
    }
    (inputs, lone)
}

/// The `#data` sections of a tree-construction file: the lines between `#data` and `#errors`,
/// joined by LF, without the last line's LF. Bytes, not text: some inputs hold a raw CR or NUL.
pub fn dat_inputs(text: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut current: Option<Vec<&[u8]>> = None;
    for line in text.split(|&b| b == b'\n') {
        match current.as_mut() {
            None if line == b"#data" => current = Some(Vec::new()),
            None => {}
            Some(lines) if line == b"#errors" => {
                out.push(lines.join(&b'\n'));
                current = None;
            }
            Some(lines) => lines.push(line),
        }
    }
    assert!(current.is_none(), "a #data section without #errors");
    out
}

/// Every tree-construction input (fragment tests included, stripped as whole documents) and how
/// many of them are fragment tests.
pub fn tree_inputs() -> (Vec<Input>, usize) {
    let mut inputs = Vec::new();
    let mut fragments = 0;
    for path in suite_files("tree-construction", "dat") {
        let file = rel_name(&path);
        let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        fragments += text.split(|&b| b == b'\n').filter(|l| *l == b"#document-fragment").count();
        for (index, bytes) in dat_inputs(&text).into_iter().enumerate() {
            inputs.push(Input { file: file.clone(), index, bytes });
        }
    }
    (inputs, fragments)
}
