//! Checks across settings: above all, never an open proxy.

use super::{ConfigError, LoadedConfig};
use std::net::SocketAddr;

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

/// Two listeners on one address (or one on a wildcard address and another on the same port of
/// that family) can't both be bound: say so before anything is bound, naming both.
pub fn check_addresses(config: &LoadedConfig) -> Result<(), ConfigError> {
    let s = &config.settings;
    let mut all: Vec<(&str, SocketAddr)> = s.listen.iter().map(|a| ("listen", *a)).collect();
    all.extend(s.admin.0.map(|a| ("admin", a)));
    for (i, (what_a, a)) in all.iter().enumerate() {
        for (what_b, b) in &all[i + 1..] {
            if overlap(*a, *b) {
                return Err(ConfigError::Conflict(format!(
                    "{what_a} {a} and {what_b} {b} can't both be bound (same port on the same address, or a \
                     wildcard address of that family): give one of them another port (admin = \"off\" or \
                     --admin off turns the admin listener off)"
                )));
            }
        }
    }
    Ok(())
}

fn overlap(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() != 0
        && a.port() == b.port()
        && a.is_ipv4() == b.is_ipv4()
        && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
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

    fn addresses(text: &str) -> Result<(), ConfigError> {
        check_addresses(&super::super::load::parse(Path::new("gw.toml"), text).unwrap())
    }

    #[test]
    fn listeners_that_cannot_all_be_bound_are_refused() {
        let e = addresses("listen = [\"127.0.0.1:9090\"]\n").unwrap_err().to_string();
        assert!(e.contains("listen 127.0.0.1:9090 and admin 127.0.0.1:9090") && e.contains("--admin off"), "{e}");
        let e = addresses("listen = [\"0.0.0.0:3128\", \"10.1.2.3:3128\"]\nadmin = \"off\"\n").unwrap_err();
        assert!(e.to_string().contains("listen 0.0.0.0:3128 and listen 10.1.2.3:3128"), "{e}");
        addresses("listen = [\"127.0.0.1:0\", \"127.0.0.1:0\"]\nadmin = \"127.0.0.1:0\"\n").unwrap();
        addresses("listen = [\"127.0.0.1:8080\", \"127.0.0.2:8080\"]\n").unwrap();
    }
}
