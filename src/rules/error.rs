//! Errors met while reading rule files and filter lists.

use std::path::PathBuf;

/// A rule file or list that can't be used, with the place to fix it.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The file could not be read at all.
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A rule is wrong; `line` is 1-based.
    #[error("{file}:{line}: {message}")]
    Invalid { file: String, line: usize, message: String },
    /// A rules directory holds a file trackstrip does not know what to do with.
    #[error("{path}: unknown rule file (expected one of {expected})")]
    UnknownFile { path: PathBuf, expected: String },
}

impl RuleError {
    pub(crate) fn invalid(file: &str, line: usize, message: impl Into<String>) -> Self {
        RuleError::Invalid { file: file.to_string(), line, message: message.into() }
    }

    /// A TOML parse error, placed on its line.
    pub(crate) fn toml(file: &str, text: &str, err: &toml::de::Error) -> Self {
        let line = err.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        // toml's message repeats the whole snippet; its first line is the useful part.
        let message = err.message().lines().next().unwrap_or("invalid TOML").to_string();
        RuleError::invalid(file, line, message)
    }
}

/// 1-based line number of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    memchr::memchr_iter(b'\n', &text.as_bytes()[..end]).count() + 1
}
