//! `trackstrip serve` settings: the defaults below, then the TOML file (`--config`), then the
//! command line. Every value is typed when it is read, so a bad one is reported where it was
//! written (file:line, or the flag), with what to change. deploy/trackstrip.toml documents
//! every key.

mod check;
mod lists;
mod load;
pub mod values;

pub use check::{check_access, check_addresses};
pub use lists::Lists;
pub use load::{ConfigError, LoadedConfig, load};
pub use values::{AdminAddr, Enforcement, ListSource, LogFormat, Net, SocialMode};

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything `serve` reads, with defaults filled in.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Addresses the proxy listens on.
    #[serde(deserialize_with = "values::addrs")]
    pub listen: Vec<SocketAddr>,
    /// Reverse proxy: the origin fronted (absent: a forward proxy).
    #[serde(deserialize_with = "values::opt_http_url")]
    pub upstream: Option<url::Url>,
    /// `enforce` strips and blocks; `report` only logs and counts what it would do.
    pub mode: Enforcement,
    /// Send `X-Trackstrip` headers and trailers.
    pub header: bool,
    /// A rules directory overlaid on the bundled rules.
    pub rules: Option<PathBuf>,
    /// Filter lists: the built-in one (on, kept fresh), and more added as local files or
    /// http(s) URLs kept up to date in `data_dir/lists`. `lists = [...]` still means `add`.
    pub lists: Lists,
    /// Where the CA and downloaded lists live (default: $XDG_DATA_HOME/trackstrip).
    pub data_dir: Option<PathBuf>,
    /// Host pins, like curl's --resolve: `news.test=127.0.0.1`, `*=127.0.0.1:8081`.
    #[serde(deserialize_with = "values::pins")]
    pub resolve: Vec<(String, crate::upstream::Pin)>,
    /// PEM CA files trusted for upstream TLS, besides the built-in and system roots.
    pub extra_roots: Vec<PathBuf>,
    /// Worker threads (0: one per core).
    pub workers: usize,
    /// Reload rules and lists when their files change (SIGHUP always reloads).
    pub watch: bool,
    /// The admin listener (metrics, health, PAC, dashboard), or `off`.
    pub admin: AdminAddr,
    pub access: Access,
    pub intercept: Intercept,
    pub pac: Pac,
    pub timeouts: Timeouts,
    pub limits: Limits,
    pub logs: Logs,
    pub allow: Allow,
    /// Signals sent to every site on the reader's behalf (`[privacy]`).
    pub privacy: crate::proxy::PrivacySignals,
    /// Name resolution and CNAME uncloaking (`[dns]`).
    pub dns: crate::upstream::DnsSettings,
    /// Social widgets and embeds: `placeholder` (default) or `keep`.
    pub social: SocialMode,
}

/// Who may use the proxy, and where it may go.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Access {
    /// Client networks allowed to connect (CIDR, or a single address).
    #[serde(deserialize_with = "values::nets")]
    pub allow: Vec<Net>,
    /// Proxy authentication: a users file (`trackstrip user add NAME`).
    pub users: Option<PathBuf>,
    /// Ports CONNECT may reach. Default: any on a loopback-only proxy, else 443 and 8443.
    pub connect_ports: Option<Vec<u16>>,
    /// Target networks normally refused (link-local, cloud metadata) that are allowed anyway.
    #[serde(deserialize_with = "values::nets")]
    pub allow_targets: Vec<Net>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Intercept {
    /// Intercept HTTPS with the local CA (false: every CONNECT is a blind tunnel).
    pub enabled: bool,
    /// Where the CA lives (default: `data_dir`).
    pub ca_dir: Option<PathBuf>,
    /// Hosts (and their subdomains) never intercepted, besides rules/skip-intercept.toml.
    #[serde(deserialize_with = "values::hosts")]
    pub skip: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Pac {
    /// `host:port` browsers should use (default: the address the PAC file was fetched from,
    /// with the proxy's port).
    pub proxy: Option<String>,
    /// Hosts (`example.com` and its subdomains, `*.lan`, `<local>` for plain names) and IPv4
    /// networks (`10.0.0.0/8`) that go direct.
    pub bypass: Vec<String>,
    /// When the proxy can't be reached, browsers go direct (unstripped). Default: no.
    pub fallback_direct: bool,
}

/// Seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timeouts {
    /// Connecting to an origin.
    pub connect: u64,
    /// Waiting for an origin's response headers.
    pub response: u64,
    /// Silence inside a response body.
    pub body_idle: u64,
    /// A client sending its request head.
    pub header_read: u64,
    /// A client connection with no traffic at all.
    pub client_idle: u64,
    /// In-flight requests after SIGTERM/SIGINT.
    pub shutdown_grace: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Client connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Largest request head (request line and headers), bytes.
    pub max_header_bytes: usize,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Logs {
    pub format: LogFormat,
    /// Log client addresses as their /24 (IPv4) or /48 (IPv6) network.
    pub truncate_client_ip: bool,
}

/// Per-site exceptions an organization decides.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Allow {
    /// Sites (and subdomains) whose pages are never stripped and whose requests are never blocked.
    #[serde(deserialize_with = "values::hosts")]
    pub sites: Vec<String>,
    /// Hosts (and subdomains) never treated as trackers, on any page.
    #[serde(deserialize_with = "values::hosts")]
    pub hosts: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 8080))],
            upstream: None,
            mode: Enforcement::Enforce,
            header: true,
            rules: None,
            lists: Lists::default(),
            data_dir: None,
            resolve: Vec::new(),
            extra_roots: Vec::new(),
            workers: 0,
            watch: true,
            admin: AdminAddr::default(),
            access: Access::default(),
            intercept: Intercept::default(),
            pac: Pac::default(),
            timeouts: Timeouts::default(),
            limits: Limits::default(),
            logs: Logs::default(),
            allow: Allow::default(),
            privacy: Default::default(),
            dns: Default::default(),
            social: SocialMode::default(),
        }
    }
}

impl Default for Intercept {
    fn default() -> Self {
        Intercept { enabled: true, ca_dir: None, skip: Vec::new() }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: 10, response: 30, body_idle: 60, header_read: 30, client_idle: 120, shutdown_grace: 10 }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_connections: 4096, max_header_bytes: 64 * 1024 }
    }
}

impl Settings {
    /// Where data lives: `data_dir`, else the XDG data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(crate::ca::default_dir)
    }

    /// Where the CA lives: `intercept.ca_dir`, else `data_dir`.
    pub fn ca_dir(&self) -> PathBuf {
        self.intercept.ca_dir.clone().unwrap_or_else(|| self.data_dir())
    }

    /// True when every listen address is loopback: only this machine can connect.
    pub fn loopback_only(&self) -> bool {
        self.listen.iter().all(|a| a.ip().is_loopback())
    }

    /// Ports CONNECT may reach (None: any).
    pub fn connect_ports(&self) -> Option<Vec<u16>> {
        match &self.access.connect_ports {
            Some(p) => Some(p.clone()),
            None if self.loopback_only() => None,
            None => Some(vec![443, 8443]),
        }
    }
}
