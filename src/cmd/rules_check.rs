//! `trackstrip rules check`.
use super::CmdError;
use std::process::ExitCode;
pub fn run(_p: &[std::path::PathBuf]) -> Result<ExitCode, CmdError> {
    Err(CmdError::Usage("todo".into()))
}
