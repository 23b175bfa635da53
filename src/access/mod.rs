//! Who may use the proxy and where it may go: client networks, proxy authentication, the
//! ports CONNECT may reach, and target addresses that are refused (the guard lives with the
//! upstream options, since the resolver applies it).

mod targets;
pub mod users;

pub use targets::TargetGuard;
pub use users::{Users, UsersError};

use crate::config::Net;
use std::net::IpAddr;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    /// Client networks allowed to connect (empty: whoever can reach the listener).
    pub clients: Vec<Net>,
    /// Proxy authentication (None: none asked).
    pub users: Option<Arc<Users>>,
    /// Ports CONNECT may reach (None: any).
    pub connect_ports: Option<Vec<u16>>,
}

impl AccessPolicy {
    pub fn client_allowed(&self, ip: IpAddr) -> bool {
        self.clients.is_empty() || self.clients.iter().any(|n| n.contains(ip))
    }

    pub fn port_allowed(&self, port: u16) -> bool {
        self.connect_ports.as_ref().is_none_or(|p| p.contains(&port))
    }
}
