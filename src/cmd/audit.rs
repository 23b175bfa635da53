//! `trackstrip audit` (next).
use super::CmdError;
use crate::cli::AuditArgs;
use std::process::ExitCode;
pub fn run(_args: &AuditArgs) -> Result<ExitCode, CmdError> {
    Err(CmdError::Usage("todo".into()))
}
