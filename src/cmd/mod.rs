//! One module per command. Each returns an exit code or a typed error that `main` prints.

pub mod audit;
mod audit_browser;
mod builtin_list;
pub mod ca;
mod cnames;
pub mod lists;
pub mod rules_check;
pub mod serve;
pub mod serve_check;
mod serve_listing;
mod serve_settings;
pub mod strip;
pub mod user;

use crate::cli::RuleArgs;
use std::path::Path;
use trackstrip::rules::{RuleError, RuleOptions, Rules};

/// Why a command could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum CmdError {
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Fetch(#[from] trackstrip::audit::FetchError),
    #[error(transparent)]
    Config(#[from] trackstrip::config::ConfigError),
    #[error(transparent)]
    Serve(#[from] trackstrip::proxy::ServeError),
}

impl CmdError {
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> CmdError {
        let context = context.into();
        move |source| CmdError::Io { context, source }
    }

    /// A reader that went away (`trackstrip strip page.html | head`) is not an error.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CmdError::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

pub fn load_rules(args: &RuleArgs) -> Result<Rules, RuleError> {
    Rules::load(&RuleOptions {
        rules_dir: args.rules.clone(),
        lists: args.lists.clone(),
        builtin_list: !args.no_builtin_lists,
        ..RuleOptions::default()
    })
}

/// Opens a file, or stdin for `-`.
pub fn open_input(path: Option<&Path>) -> Result<Box<dyn std::io::Read>, CmdError> {
    match path {
        None => Ok(Box::new(std::io::stdin().lock())),
        Some(p) if p.as_os_str() == "-" => Ok(Box::new(std::io::stdin().lock())),
        Some(p) => {
            let f = std::fs::File::open(p).map_err(CmdError::io(format!("cannot open {}", p.display())))?;
            Ok(Box::new(f))
        }
    }
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
pub fn read_up_to(input: &mut dyn std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Do both paths name one existing file (through links and `..` alike)? Guards outputs that
/// would overwrite the input they are made from.
pub(crate) fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}
