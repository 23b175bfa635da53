//! Where the proxy refuses to go: link-local and cloud metadata addresses (the classic way to
//! turn a proxy against the machine it runs on), the unspecified network, and, when serving a
//! network, this machine's own loopback. `access.allow_targets` lifts a refusal.

use crate::config::Net;
use std::net::IpAddr;

#[derive(Debug, Clone)]
pub struct TargetGuard {
    refused: Vec<(Net, &'static str)>,
    allowed: Vec<Net>,
}

impl Default for TargetGuard {
    /// A loopback-only proxy: your own machine may reach its own loopback.
    fn default() -> Self {
        TargetGuard::new(false, Vec::new())
    }
}

impl TargetGuard {
    pub fn new(refuse_loopback: bool, allowed: Vec<Net>) -> TargetGuard {
        let mut refused: Vec<(Net, &'static str)> = [
            ("169.254.0.0/16", "a link-local address (cloud metadata lives at 169.254.169.254)"),
            ("fe80::/10", "a link-local address"),
            ("fd00:ec2::254/128", "the AWS metadata address"),
            ("100.100.100.200/32", "the Alibaba Cloud metadata address"),
            ("0.0.0.0/8", "the unspecified network (it reaches this machine)"),
            ("::/128", "the unspecified address (it reaches this machine)"),
        ]
        .into_iter()
        .filter_map(|(n, why)| n.parse().ok().map(|n| (n, why)))
        .collect();
        if refuse_loopback {
            for n in ["127.0.0.0/8", "::1/128"] {
                if let Ok(n) = n.parse() {
                    refused.push((n, "this machine's loopback (the proxy serves a network)"));
                }
            }
        }
        TargetGuard { refused, allowed }
    }

    /// Err(why) when `ip` may not be reached.
    pub fn check(&self, ip: IpAddr) -> Result<(), &'static str> {
        if self.allowed.iter().any(|n| n.contains(ip)) {
            return Ok(());
        }
        match self.refused.iter().find(|(n, _)| n.contains(ip)) {
            Some((_, why)) => Err(why),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_link_local_are_refused_unless_allowed() {
        let g = TargetGuard::new(false, vec![]);
        assert!(g.check("169.254.169.254".parse().unwrap()).unwrap_err().contains("metadata"));
        assert!(g.check("fe80::1".parse().unwrap()).is_err());
        assert!(g.check("::ffff:169.254.169.254".parse().unwrap()).is_err(), "v4-mapped too");
        assert!(g.check("0.0.0.0".parse().unwrap()).is_err());
        assert!(g.check("93.184.216.34".parse().unwrap()).is_ok());
        assert!(g.check("127.0.0.1".parse().unwrap()).is_ok(), "a loopback-only proxy may reach loopback");
        let network = TargetGuard::new(true, vec!["169.254.169.254".parse().unwrap()]);
        assert!(network.check("127.0.0.1".parse().unwrap()).is_err());
        assert!(network.check("169.254.169.254".parse().unwrap()).is_ok(), "allowed explicitly");
        assert!(network.check("169.254.1.1".parse().unwrap()).is_err());
    }
}
