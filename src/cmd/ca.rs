//! `trackstrip ca init|path|export`: the local CA, for trusting it in browsers and systems.

use super::CmdError;
use crate::cli::{CaCommand, CaDir};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use trackstrip::ca::{LocalCa, default_dir};

pub fn dir(d: &CaDir) -> PathBuf {
    d.ca_dir.clone().unwrap_or_else(default_dir)
}

pub fn run(cmd: &CaCommand) -> Result<ExitCode, CmdError> {
    let ca_err = |e: trackstrip::ca::CaError| CmdError::Usage(e.to_string());
    match cmd {
        CaCommand::Init(d) => {
            let (ca, created) = LocalCa::load_or_create(&dir(d)).map_err(ca_err)?;
            if created {
                eprintln!("trackstrip: made a new local CA (the key stays private, mode 0600)");
            }
            println!("{}", ca.cert_path().display());
        }
        CaCommand::Path(d) => {
            let ca = LocalCa::load(&dir(d)).map_err(ca_err)?;
            println!("{}", ca.cert_path().display());
        }
        CaCommand::Export { dir: d, der } => {
            let ca = LocalCa::load(&dir(d)).map_err(ca_err)?;
            let mut out = std::io::stdout().lock();
            let bytes: &[u8] = if *der { ca.cert_der.as_ref() } else { ca.cert_pem.as_bytes() };
            out.write_all(bytes).and_then(|_| out.flush()).map_err(CmdError::io("cannot write to stdout"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
