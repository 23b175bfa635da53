//! `trackstrip user add|remove NAME`: the proxy's users file (argon2 hashes, mode 0600).

use super::CmdError;
use crate::cli::{UserCommand, UsersFile};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use trackstrip::access::users::{remove_user, set_user};

pub fn run(cmd: &UserCommand) -> Result<ExitCode, CmdError> {
    let err = |e: trackstrip::access::UsersError| CmdError::Usage(e.to_string());
    match cmd {
        UserCommand::Add { name, file } => {
            let path = users_path(file)?;
            let password = read_password(name)?;
            let existed = set_user(&path, name, &password).map_err(err)?;
            let verb = if existed { "changed the password of" } else { "added" };
            eprintln!(
                "trackstrip: {verb} {name} in {} (a running proxy picks it up on change or SIGHUP)",
                path.display()
            );
        }
        UserCommand::Remove { name, file } => {
            let path = users_path(file)?;
            if !remove_user(&path, name).map_err(err)? {
                return Err(CmdError::Usage(format!("{}: no user {name:?}", path.display())));
            }
            eprintln!("trackstrip: removed {name} from {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn users_path(f: &UsersFile) -> Result<PathBuf, CmdError> {
    if let Some(p) = &f.users {
        return Ok(p.clone());
    }
    if let Some(c) = &f.config {
        let loaded = trackstrip::config::load(c)?;
        if let Some(p) = loaded.settings.access.users {
            return Ok(p);
        }
        return Err(CmdError::Usage(format!("{}: no access.users file is set", c.display())));
    }
    Err(CmdError::Usage("which users file? pass --users FILE or --config FILE".into()))
}

/// From the terminal (asked twice, not echoed), or one line of stdin for scripts.
fn read_password(name: &str) -> Result<String, CmdError> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("password for {name}: "))
            .map_err(CmdError::io("cannot read the password"))?;
        let again = rpassword::prompt_password("again: ").map_err(CmdError::io("cannot read the password"))?;
        if first != again {
            return Err(CmdError::Usage("the passwords differ".into()));
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(CmdError::io("cannot read the password from stdin"))?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if password.is_empty() {
        return Err(CmdError::Usage("empty password".into()));
    }
    Ok(password)
}
