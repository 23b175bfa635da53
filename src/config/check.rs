//! Checks across settings: above all, never an open proxy.

use super::{ConfigError, LoadedConfig};

/// A forward proxy reachable from a network must know who may use it: an allow list of
/// client networks, or proxy authentication. A reverse proxy fronts one origin and relays
/// nowhere else, so it may listen anywhere.
pub fn check_access(config: &LoadedConfig) -> Result<(), ConfigError> {
    let s = &config.settings;
    if s.upstream.is_some() || s.loopback_only() || !s.access.allow.is_empty() || s.access.users.is_some() {
        return Ok(());
    }
    let open: Vec<String> = s.listen.iter().filter(|a| !a.ip().is_loopback()).map(|a| a.to_string()).collect();
    Err(ConfigError::Conflict(format!(
        "refusing to start: listen {} ({}) is reachable from the network and no access control is set, \
         which would make trackstrip an open proxy. Add the client networks (access.allow = [\"10.0.0.0/8\"] \
         or --allow 10.0.0.0/8), or proxy authentication (access.users = \"/etc/trackstrip/users\" or \
         --users FILE; add users with `trackstrip user add NAME`), or listen on 127.0.0.1",
        open.join(", "),
        config.origin("listen", "--listen"),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn check(text: &str) -> Result<(), ConfigError> {
        check_access(&super::super::load::parse(Path::new("gw.toml"), text).unwrap())
    }

    #[test]
    fn a_network_listener_needs_allow_or_auth() {
        let e = check("listen = [\"0.0.0.0:3128\"]\n").unwrap_err().to_string();
        assert!(e.contains("open proxy") && e.contains("gw.toml:1") && e.contains("access.allow"), "{e}");
        check("listen = [\"0.0.0.0:3128\"]\n[access]\nallow = [\"10.0.0.0/8\"]\n").unwrap();
        check("listen = [\"0.0.0.0:3128\"]\n[access]\nusers = \"/etc/trackstrip/users\"\n").unwrap();
        check("listen = [\"127.0.0.1:3128\", \"[::1]:3128\"]\n").unwrap();
        check("listen = [\"0.0.0.0:80\"]\nupstream = \"http://127.0.0.1:3000\"\n").unwrap();
    }
}
