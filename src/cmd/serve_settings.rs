//! `serve`'s settings: the config file, then flags on top, checked together; then the typed
//! pieces the proxy is built from.

use super::CmdError;
use crate::cli::{LogFormat, ServeArgs};
use std::sync::Arc;
use std::time::Duration;
use trackstrip::access::{AccessPolicy, TargetGuard, Users};
use trackstrip::admin::PacConfig;
use trackstrip::config::{self, Enforcement, ListSource, LoadedConfig, Settings};
use trackstrip::proxy::{Mode, ProxyConfig};
use trackstrip::rules::{RuleFile, RuleKind, RuleOptions};
use trackstrip::subscriptions::ListStore;
use trackstrip::upstream::{Dns, Pins, UpstreamOptions};

/// Reads `--config` (if any) and lays the flags over it.
pub fn load(args: &ServeArgs, log_format: Option<LogFormat>) -> Result<LoadedConfig, CmdError> {
    let mut loaded = match &args.config {
        Some(path) => config::load(path)?,
        None => LoadedConfig::defaults(),
    };
    apply_flags(&mut loaded.settings, args, log_format);
    config::check_access(&loaded)?;
    config::check_addresses(&loaded)?;
    let s = &loaded.settings;
    if s.access.users.is_some() && s.upstream.is_some() {
        return Err(CmdError::Usage(
            "access.users (proxy authentication) applies to a forward proxy; a reverse proxy (upstream) \
             is a web server to its clients. Remove one of them."
                .into(),
        ));
    }
    pac(s).validate().map_err(|e| CmdError::Usage(e.to_string()))?;
    Ok(loaded)
}

fn apply_flags(s: &mut Settings, a: &ServeArgs, log_format: Option<LogFormat>) {
    fn set<T: Clone>(slot: &mut T, flag: &Option<T>) {
        if let Some(v) = flag {
            *slot = v.clone();
        }
    }
    fn set_vec<T: Clone>(slot: &mut Vec<T>, flag: &[T]) {
        if !flag.is_empty() {
            *slot = flag.to_vec();
        }
    }
    set_vec(&mut s.listen, &a.listen);
    if a.upstream.is_some() {
        s.upstream = a.upstream.clone();
    }
    if a.rules.is_some() {
        s.rules = a.rules.clone();
    }
    set_vec(&mut s.lists.add, &a.lists);
    s.lists.builtin &= !a.no_builtin_lists;
    s.lists.update &= !a.no_list_update;
    if a.builtin_list_url.is_some() {
        s.lists.builtin_url = a.builtin_list_url.clone();
    }
    if let Some(secs) = a.builtin_list_delay {
        s.lists.builtin_delay = Some(Duration::from_secs(secs));
    }
    if a.data_dir.is_some() {
        s.data_dir = a.data_dir.clone();
    }
    set_vec(&mut s.resolve, &a.resolve);
    set_vec(&mut s.dns.servers, &a.dns_servers);
    set(&mut s.dns.timeout_ms, &a.dns_timeout);
    s.dns.uncloak &= !a.no_uncloak;
    set_vec(&mut s.extra_roots, &a.extra_roots);
    if a.report_only {
        s.mode = Enforcement::Report;
    }
    s.header &= !a.no_header;
    s.privacy.gpc &= !a.no_gpc;
    s.privacy.dnt |= a.dnt;
    if a.keep_social {
        s.social = config::SocialMode::Keep;
    }
    set(&mut s.workers, &a.workers);
    s.watch &= !a.no_watch;
    set(&mut s.admin, &a.admin);
    set_vec(&mut s.access.allow, &a.allow);
    if a.users.is_some() {
        s.access.users = a.users.clone();
    }
    if !a.connect_ports.is_empty() {
        s.access.connect_ports = Some(a.connect_ports.clone());
    }
    set_vec(&mut s.access.allow_targets, &a.allow_targets);
    s.intercept.enabled &= !a.no_intercept;
    if a.ca_dir.is_some() {
        s.intercept.ca_dir = a.ca_dir.clone();
    }
    set_vec(&mut s.intercept.skip, &a.skip_intercept);
    if a.pac_proxy.is_some() {
        s.pac.proxy = a.pac_proxy.clone();
    }
    set_vec(&mut s.pac.bypass, &a.pac_bypass);
    set(&mut s.timeouts.connect, &a.connect_timeout);
    set(&mut s.timeouts.response, &a.response_timeout);
    set(&mut s.timeouts.body_idle, &a.idle_timeout);
    set(&mut s.timeouts.header_read, &a.header_read_timeout);
    set(&mut s.timeouts.client_idle, &a.client_idle_timeout);
    set(&mut s.timeouts.shutdown_grace, &a.shutdown_grace);
    set(&mut s.limits.max_connections, &a.max_connections);
    set(&mut s.limits.max_header_bytes, &a.max_header_bytes);
    s.logs.truncate_client_ip |= a.truncate_client_ip;
    if let Some(f) = log_format {
        s.logs.format = match f {
            LogFormat::Pretty => config::LogFormat::Pretty,
            LogFormat::Json => config::LogFormat::Json,
        };
    }
    set_vec(&mut s.allow.sites, &a.allow_sites);
    set_vec(&mut s.allow.hosts, &a.allow_hosts);
}

/// Where the rules come from: the rules directory, the built-in list (a downloaded copy when
/// newer), list files, subscribed lists (once downloaded) and the config's `allow.hosts` as an
/// extra allow file.
pub fn rule_options(s: &Settings) -> RuleOptions {
    let store = ListStore::new(&s.data_dir());
    let mut opts = RuleOptions {
        rules_dir: s.rules.clone(),
        builtin_list: s.lists.builtin,
        builtin_copy: super::builtin_list::copy_path(s),
        ..RuleOptions::default()
    };
    for l in &s.lists.add {
        match l {
            ListSource::File(p) => opts.lists.push(p.clone()),
            ListSource::Url(u) => opts.subscribed.push(store.file_for(u)),
        }
    }
    if !s.allow.hosts.is_empty() {
        let hosts: Vec<String> = s.allow.hosts.iter().map(|h| format!("{h:?}")).collect();
        opts.extra.push(RuleFile {
            name: "config allow.hosts".into(),
            kind: RuleKind::Allow,
            text: format!("hosts = [{}]\n", hosts.join(", ")),
        });
    }
    opts
}

/// The URLs subscribed to in `lists.add` (the built-in list's own is `builtin_list`'s).
pub fn subscriptions(s: &Settings) -> Vec<url::Url> {
    s.lists
        .add
        .iter()
        .filter_map(|l| match l {
            ListSource::Url(u) => Some(u.clone()),
            ListSource::File(_) => None,
        })
        .collect()
}

pub fn users(s: &Settings) -> Result<Option<Arc<Users>>, CmdError> {
    let Some(path) = &s.access.users else { return Ok(None) };
    let users = Users::load(path).map_err(|e| CmdError::Usage(e.to_string()))?;
    Ok(Some(Arc::new(users)))
}

pub fn upstream(s: &Settings) -> UpstreamOptions {
    UpstreamOptions {
        extra_roots: s.extra_roots.clone(),
        pins: Pins::new(s.resolve.clone()),
        connect_timeout: secs(s.timeouts.connect),
        guard: TargetGuard::new(!s.loopback_only(), s.access.allow_targets.clone()),
        ..UpstreamOptions::default()
    }
}

/// The DNS client `serve` resolves names with and reads CNAME chains from. Without a usable
/// system configuration (and no `dns.servers`), getaddrinfo resolves and chains go unread.
pub fn dns(s: &Settings, pins: Pins) -> Option<Arc<Dns>> {
    match Dns::new(&s.dns, pins) {
        Ok(d) => Some(Arc::new(d)),
        Err(e) => {
            tracing::warn!("{e}; resolving with the system resolver, CNAME chains unchecked");
            None
        }
    }
}

pub fn proxy_config(s: &Settings, users: Option<Arc<Users>>) -> ProxyConfig {
    let mut upstream = upstream(s);
    upstream.dns = dns(s, upstream.pins.clone());
    ProxyConfig {
        listen: s.listen.clone(),
        mode: match &s.upstream {
            None => Mode::Forward,
            Some(u) => Mode::Reverse { upstream: u.clone() },
        },
        upstream,
        enforce: s.mode == Enforcement::Enforce,
        header: s.header,
        response_timeout: secs(s.timeouts.response),
        body_idle_timeout: secs(s.timeouts.body_idle),
        max_header_bytes: s.limits.max_header_bytes.max(8192),
        leaves: None,
        skip_intercept: s.intercept.skip.clone(),
        access: AccessPolicy { clients: s.access.allow.clone(), users, connect_ports: s.connect_ports() },
        header_read_timeout: secs(s.timeouts.header_read),
        client_idle_timeout: secs(s.timeouts.client_idle),
        max_connections: s.limits.max_connections.max(1),
        allow_sites: s.allow.sites.clone(),
        refused_addrs: Vec::new(),
        truncate_client_ip: s.logs.truncate_client_ip,
        signals: s.privacy,
        social: s.social == config::SocialMode::Placeholder,
        observer: None,
    }
}

pub fn pac(s: &Settings) -> PacConfig {
    // Browsers need an address they can reach: a network listener if there is one.
    let port = s.listen.iter().find(|a| !a.ip().is_loopback()).or(s.listen.first()).map_or(8080, |a| a.port());
    PacConfig { proxy: s.pac.proxy.clone(), port, bypass: s.pac.bypass.clone(), fallback_direct: s.pac.fallback_direct }
}

/// Zero would mean "fail at once": treat it as one second.
fn secs(n: u64) -> Duration {
    Duration::from_secs(n.max(1))
}
