//! Name resolution through a real DNS client (hickory), so the proxy sees what a name is an
//! alias of: `smetrics.news.example CNAME news.example.sc.omtrdc.net` hides Adobe Analytics
//! behind a first-party name that no URL filter can see through.
//!
//! One lookup serves both needs: the connector takes the addresses, the policy takes the
//! CNAME chain. Chains are kept in a small cache of our own (hickory's is async-only) so the
//! HTML stripper can ask without waiting; it asks for the hosts it meets to be looked up in
//! the background, and the request itself is judged when the browser makes it.

use super::Pins;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use lru::LruCache;
use serde::Deserialize;
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Most links followed in a CNAME chain (hickory stops at the same depth).
pub const MAX_CHAIN: usize = 8;
/// Most background lookups at once: a page with thousands of hosts can't flood the resolver.
const MAX_IN_FLIGHT: usize = 256;

/// `[dns]`: how names are resolved, and whether CNAME chains are checked against the rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsSettings {
    /// Follow CNAME chains and block a name that aliases a tracker.
    pub uncloak: bool,
    /// Name servers, `ADDR` or `ADDR:PORT` (empty: the system's, from /etc/resolv.conf).
    #[serde(deserialize_with = "servers")]
    pub servers: Vec<SocketAddr>,
    /// The longest a request waits for its name's CNAME chain before going on without it.
    pub timeout_ms: u64,
    /// Names whose chains are remembered.
    pub cache_entries: usize,
    /// Bounds on how long an answer is trusted, whatever its TTL says (seconds).
    pub min_ttl: u64,
    pub max_ttl: u64,
}

impl Default for DnsSettings {
    fn default() -> Self {
        DnsSettings {
            uncloak: true,
            servers: Vec::new(),
            timeout_ms: 1000,
            cache_entries: 4096,
            min_ttl: 30,
            max_ttl: 3600,
        }
    }
}

/// `ADDR` (port 53) or `ADDR:PORT`; IPv6 with a port in brackets.
pub fn parse_server(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    s.parse::<SocketAddr>()
        .or_else(|_| s.trim_matches(['[', ']']).parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| format!("DNS server {s:?}: expected an address, e.g. 9.9.9.9 or 127.0.0.1:5353"))
}

fn servers<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<SocketAddr>, D::Error> {
    let raw = Vec::<String>::deserialize(d)?;
    raw.iter().map(|s| parse_server(s).map_err(serde::de::Error::custom)).collect()
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read the system's DNS configuration ({0}); name servers can be given with --dns-server")]
pub struct DnsError(String);

/// The names a host is an alias of, in order (empty: none, or not known).
pub type Chain = Arc<[Box<str>]>;

struct Known {
    chain: Chain,
    until: Instant,
}

/// The resolver, and the chains it has seen.
pub struct Dns {
    resolver: TokioResolver,
    uncloak: bool,
    pins: Pins,
    timeout: Duration,
    min_ttl: Duration,
    chains: Mutex<LruCache<Box<str>, Known>>,
    in_flight: Mutex<HashSet<Box<str>>>,
}

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dns").field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

impl Dns {
    /// A resolver for `settings` (the system's configuration when no server is named).
    /// Pinned names (`--resolve`) never reach it.
    pub fn new(settings: &DnsSettings, pins: Pins) -> Result<Dns, DnsError> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = if settings.servers.is_empty() {
            TokioResolver::builder(provider).map_err(|e| DnsError(e.to_string()))?
        } else {
            let servers = settings
                .servers
                .iter()
                .map(|sa| {
                    let mut ns = NameServerConfig::udp_and_tcp(sa.ip());
                    for c in &mut ns.connections {
                        c.port = sa.port();
                    }
                    ns
                })
                .collect();
            TokioResolver::builder_with_config(ResolverConfig::from_name_servers(servers), provider)
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.preserve_intermediates = true;
        opts.cache_size = settings.cache_entries as u64;
        opts.positive_min_ttl = Some(Duration::from_secs(settings.min_ttl));
        opts.positive_max_ttl = Some(Duration::from_secs(settings.max_ttl.max(settings.min_ttl)));
        opts.negative_min_ttl = Some(Duration::from_secs(settings.min_ttl));
        opts.negative_max_ttl = Some(Duration::from_secs(settings.max_ttl.max(settings.min_ttl)));
        let resolver = builder.build().map_err(|e| DnsError(e.to_string()))?;
        let entries = NonZeroUsize::new(settings.cache_entries.max(1)).unwrap_or(NonZeroUsize::MIN);
        Ok(Dns {
            resolver,
            uncloak: settings.uncloak,
            pins,
            timeout: Duration::from_millis(settings.timeout_ms.max(1)),
            min_ttl: Duration::from_secs(settings.min_ttl),
            chains: Mutex::new(LruCache::new(entries)),
            in_flight: Mutex::new(HashSet::new()),
        })
    }

    /// Are CNAME chains checked against the rules (`dns.uncloak`)?
    pub fn uncloaks(&self) -> bool {
        self.uncloak
    }

    /// The addresses of `host`, for the connector. Its CNAME chain is remembered on the way.
    pub async fn addrs(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        let fqdn = format!("{}.", host.trim_end_matches('.'));
        match self.resolver.lookup_ip(fqdn.as_str()).await {
            Ok(found) => {
                self.remember(host, chain_of(host, found.as_lookup().answers()), found.valid_until());
                Ok(found.iter().collect())
            }
            Err(e) => {
                self.remember(host, Chain::from([]), Instant::now() + self.min_ttl);
                Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("DNS lookup failed: {e}")))
            }
        }
    }

    /// The CNAME chain of `host`, waiting at most the lookup deadline. A failed or late lookup
    /// is an empty chain: not known as an alias. A late answer still lands in the cache.
    pub async fn chain(self: &Arc<Self>, host: &str) -> Chain {
        // The cache first: most requests go to names already seen, and the checks below
        // lowercase the name.
        if let Some(known) = self.known(host) {
            return known;
        }
        if !self.asks_dns(host) {
            return Chain::from([]);
        }
        let this = Arc::clone(self);
        let name = host.to_string();
        let lookup = tokio::spawn(async move {
            let _ = this.addrs(&name).await;
        });
        let _ = tokio::time::timeout(self.timeout, lookup).await;
        self.known(host).unwrap_or_else(|| Chain::from([]))
    }

    /// What the cache knows of `host`'s chain, without waiting.
    pub fn known(&self, host: &str) -> Option<Chain> {
        let mut chains = self.chains.lock().unwrap_or_else(PoisonError::into_inner);
        match chains.get(host) {
            Some(k) if k.until > Instant::now() => Some(k.chain.clone()),
            Some(_) => {
                chains.pop(host);
                None
            }
            None => None,
        }
    }

    /// Starts a background lookup of `host`, which `known` just didn't know, unless it is being
    /// looked up already (or too many lookups are running): the next page or request finds it
    /// in the cache.
    pub fn prefetch(self: &Arc<Self>, host: &str) {
        if !self.asks_dns(host) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        {
            let mut busy = self.in_flight.lock().unwrap_or_else(PoisonError::into_inner);
            if busy.len() >= MAX_IN_FLIGHT || !busy.insert(host.into()) {
                return;
            }
        }
        let this = Arc::clone(self);
        let name = host.to_string();
        runtime.spawn(async move {
            let _ = tokio::time::timeout(this.timeout * 4, this.addrs(&name)).await;
            this.in_flight.lock().unwrap_or_else(PoisonError::into_inner).remove(name.as_str());
        });
    }

    /// Waits until the background lookups started so far have ended (each is bounded), for
    /// `--resolve-cnames`: a first pass over a page meets its hosts, the second judges them.
    pub async fn settle(&self) {
        let give_up = Instant::now() + self.timeout * 4 + Duration::from_secs(1);
        while !self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).is_empty() && Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// IP literals and pinned names have no chain to look for.
    fn asks_dns(&self, host: &str) -> bool {
        !host.is_empty()
            && host.trim_matches(['[', ']']).parse::<IpAddr>().is_err()
            && self.pins.get(host).is_none()
            && !super::never_resolves(host)
    }

    fn remember(&self, host: &str, chain: Chain, until: Instant) {
        let until = until.max(Instant::now() + self.min_ttl);
        self.chains.lock().unwrap_or_else(PoisonError::into_inner).put(host.into(), Known { chain, until });
    }
}

/// The aliases of `host` in an answer, followed from `host` (at most `MAX_CHAIN` links; a loop
/// ends the chain).
fn chain_of(host: &str, answers: &[hickory_resolver::proto::rr::Record]) -> Chain {
    let norm = |n: &str| n.trim_end_matches('.').to_ascii_lowercase();
    let links: Vec<(String, String)> = answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::CNAME(target) => Some((norm(&r.name.to_ascii()), norm(&target.0.to_ascii()))),
            _ => None,
        })
        .collect();
    let mut chain: Vec<Box<str>> = Vec::new();
    let mut at = norm(host);
    while chain.len() < MAX_CHAIN {
        let Some((_, next)) = links.iter().find(|(from, _)| *from == at) else { break };
        if *next == norm(host) || chain.iter().any(|c| **c == **next) {
            break;
        }
        chain.push(next.as_str().into());
        at.clone_from(next);
    }
    chain.into()
}
