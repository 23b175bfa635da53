//! `trackstrip serve --check`: what `serve` reads and validates before it binds, in its order
//! (the config with the flags on top, already checked by `serve_settings::load`; the rules and
//! list files; the users file; the CA when interception is on; the extra roots), without
//! binding a socket, making a CA or a directory, or downloading a list. Then where it would
//! listen, and every effective setting (`serve_listing`). A problem is the error `serve` would
//! stop with (exit 2).

use super::serve_listing;
use super::serve_settings as settings;
use super::{CmdError, builtin_list};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use trackstrip::ca::{CaError, LocalCa};
use trackstrip::config::{LoadedConfig, Settings};
use trackstrip::proxy::ServeError;
use trackstrip::rules::{ListOrigin, Rules};
use trackstrip::subscriptions::ListStore;
use trackstrip::upstream::{client_tls_config, root_store};

/// The CA `serve` would use.
enum CaState {
    /// There, and loads: its certificate.
    Ready(PathBuf),
    /// Not made yet: `serve` makes it in this directory at its first start.
    ToMake,
}

pub fn run(loaded: &LoadedConfig) -> Result<ExitCode, CmdError> {
    let s = &loaded.settings;
    let rules = Rules::load(&settings::rule_options(s))?;
    let users = settings::users(s)?;
    let ca = if s.intercept.enabled { Some(ca_state(&s.ca_dir())?) } else { None };
    // What ProxyState::new reads: the extra roots (the system's are skipped when unreadable).
    root_store(&s.extra_roots, false).and_then(client_tls_config).map_err(ServeError::from)?;

    let mut out = String::new();
    let source = match &loaded.path {
        Some(p) => format!("{} with the flags on top", p.display()),
        None => "no config file: the defaults with the flags on top".into(),
    };
    line(&mut out, format_args!("trackstrip serve --check: valid ({source})"));
    for addr in &s.listen {
        line(&mut out, format_args!("listen: proxy on {addr}"));
    }
    match s.admin.0 {
        Some(addr) => {
            line(&mut out, format_args!("listen: admin on {addr} (/metrics /healthz /readyz /proxy.pac, dashboard)"))
        }
        None => line(&mut out, format_args!("listen: admin off")),
    }
    match &s.upstream {
        Some(u) => line(&mut out, format_args!("proxy: reverse, in front of {u}")),
        None => line(&mut out, format_args!("proxy: forward (browsers, curl -x)")),
    }
    match &ca {
        None => line(&mut out, format_args!("interception: off (every CONNECT is a blind tunnel)")),
        Some(CaState::Ready(cert)) => line(&mut out, format_args!("interception: on, CA {}", cert.display())),
        Some(CaState::ToMake) => line(
            &mut out,
            format_args!("interception: on, no CA in {} yet: serve makes one at its first start", s.ca_dir().display()),
        ),
    }
    access(&mut out, s, users.as_deref().map(|u| (u.path(), u.len())));
    rules_summary(&mut out, s, &rules);
    let data = s.data_dir();
    let state = if data.is_dir() { "" } else { " (not there yet: serve makes it when it first writes to it)" };
    line(&mut out, format_args!("data_dir: {}{state}", data.display()));
    out.push_str("# Effective settings: config keys, flags applied, defaults filled in.\n");
    serve_listing::write(&mut out, s);

    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes()).and_then(|_| stdout.flush()).map_err(CmdError::io("cannot write to stdout"))?;
    Ok(ExitCode::SUCCESS)
}

/// A summary line, written as a TOML comment so that the whole output reads as TOML.
fn line(out: &mut String, text: std::fmt::Arguments<'_>) {
    let _ = writeln!(out, "# {text}");
}

/// As `serve` would find it: a CA that loads, or none yet in a directory it can make one in.
/// Any other state (a key readable by others, a broken file, half a CA, a file where the
/// directory should be, a directory that can't be read) is the error `serve` would stop with.
fn ca_state(dir: &Path) -> Result<CaState, CmdError> {
    match LocalCa::load(dir) {
        Ok(ca) => Ok(CaState::Ready(ca.cert_path())),
        Err(CaError::Missing { .. }) => {
            let usage = |m: String| CmdError::Usage(m);
            match std::fs::metadata(dir) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(CaState::ToMake),
                Err(e) => return Err(usage(format!("intercept.ca_dir {}: {e}", dir.display()))),
                Ok(m) if !m.is_dir() => {
                    return Err(usage(format!(
                        "intercept.ca_dir {} is not a directory: serve can't make its CA there (set \
                         intercept.ca_dir or --ca-dir to a directory, or --no-intercept)",
                        dir.display()
                    )));
                }
                Ok(_) => {}
            }
            std::fs::read_dir(dir).map_err(|e| usage(format!("intercept.ca_dir {}: {e}", dir.display())))?;
            let (cert, key) = (dir.join(trackstrip::ca::CA_CERT), dir.join(trackstrip::ca::CA_KEY));
            if key.exists() && !cert.exists() {
                return Err(usage(format!(
                    "{} is there but not {}: serve can't make a new CA over the old key; restore the \
                     certificate, or move the key away to make a new CA (browsers then need to trust it)",
                    key.display(),
                    cert.display()
                )));
            }
            Ok(CaState::ToMake)
        }
        Err(e) => Err(CmdError::Usage(e.to_string())),
    }
}

fn access(out: &mut String, s: &Settings, users: Option<(&Path, usize)>) {
    let clients = if s.access.allow.is_empty() {
        "any client that can reach a listener".to_string()
    } else {
        let nets: Vec<String> = s.access.allow.iter().map(ToString::to_string).collect();
        format!("clients from {}", nets.join(", "))
    };
    let auth = match users {
        Some((file, 0)) => format!("proxy authentication, no user in {} yet (`trackstrip user add`)", file.display()),
        Some((file, n)) => format!("proxy authentication, {n} users in {}", file.display()),
        None => "no proxy authentication".into(),
    };
    let ports = match s.connect_ports() {
        Some(p) => p.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        None => "any".into(),
    };
    line(out, format_args!("access: {clients}; {auth}; CONNECT to ports {ports}"));
}

/// The rules in force, and the lists: where each comes from and how many filters it holds;
/// a subscription not downloaded yet is one `serve` fetches before it listens.
fn rules_summary(out: &mut String, s: &Settings, rules: &Rules) {
    let dir = s.rules.as_ref().map_or(String::new(), |d| format!(" + {}", d.display()));
    line(out, format_args!("rules: version {}, the bundled rules{dir} ({} files)", rules.version, rules.sources.len()));
    for info in rules.lists.as_ref().map_or(&[][..], |l| l.infos()) {
        let origin = match &info.origin {
            ListOrigin::Builtin => "built in".to_string(),
            ListOrigin::Downloaded(p) => format!("built in, the copy downloaded to {}", p.display()),
            ListOrigin::File(p) => p.display().to_string(),
        };
        line(out, format_args!("list: {} ({origin}), {} filters", info.name, info.filters));
    }
    if let Some(sub) = builtin_list::subscription(s).filter(|_| builtin_list::in_use(rules)) {
        line(out, format_args!("list: the built-in list is kept fresh from {}", sub.url));
    }
    let store = ListStore::new(&s.data_dir());
    for url in settings::subscriptions(s) {
        if !store.file_for(&url).exists() {
            line(out, format_args!("list: {url}: not downloaded yet (serve downloads it before it listens)"));
        }
    }
}
