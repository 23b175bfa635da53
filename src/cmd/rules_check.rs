//! `trackstrip rules check [PATH...]`: exit 0 when everything is valid, 1 when not.

use super::CmdError;
use std::path::PathBuf;
use std::process::ExitCode;
use trackstrip::rules::check;

pub fn run(paths: &[PathBuf]) -> Result<ExitCode, CmdError> {
    let report = check::check(paths);
    for f in &report.findings {
        eprintln!("{f}");
    }
    for s in &report.summaries {
        println!("{s}");
    }
    Ok(if report.has_errors() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
