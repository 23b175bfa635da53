//! Name resolution with pins: `--resolve news.test=127.0.0.1` sends news.test to that
//! address while SNI, Host and certificate checks keep the name. Tests use it so that
//! nothing ever leaves 127.0.0.1.

use super::UpstreamError;
use super::dns::Dns;
use crate::access::TargetGuard;
use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};

use std::sync::Arc;
use std::task::{Context, Poll};

/// Where a pinned name goes: an address, and optionally a port that replaces the default
/// ports (80, 443); a port written in the URL is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    pub ip: IpAddr,
    pub port: Option<u16>,
}

impl From<IpAddr> for Pin {
    fn from(ip: IpAddr) -> Pin {
        Pin { ip, port: None }
    }
}

impl Pin {
    /// The address to dial for `port` (the URL's port, or its scheme's default).
    pub fn addr(&self, port: u16) -> SocketAddr {
        match self.port {
            Some(p) if port == 80 || port == 443 => SocketAddr::new(self.ip, p),
            _ => SocketAddr::new(self.ip, port),
        }
    }
}

/// Pinned host → address (lowercase host names; `*` pins every other name).
#[derive(Debug, Clone, Default)]
pub struct Pins(Arc<HashMap<String, Pin>>);

impl Pins {
    pub fn new<P: Into<Pin>>(pins: impl IntoIterator<Item = (String, P)>) -> Pins {
        Pins(Arc::new(pins.into_iter().map(|(h, p)| (h.to_ascii_lowercase(), p.into())).collect()))
    }

    /// The pin for `host`; `*` covers names only, an IP literal is pinned by itself or not at all.
    pub fn get(&self, host: &str) -> Option<Pin> {
        let exact = self.0.get(&host.to_ascii_lowercase());
        let literal = host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok();
        exact.or_else(|| if literal { None } else { self.0.get("*") }).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Parses `HOST=ADDR` or `HOST=ADDR:PORT` (IPv6 bracketed when a port follows); HOST `*`
/// pins every name not pinned otherwise.
pub fn parse_pin(s: &str) -> Result<(String, Pin), UpstreamError> {
    let bad = || UpstreamError::BadPin(s.to_string());
    let (host, addr) = s.split_once('=').ok_or_else(bad)?;
    let addr = addr.trim();
    let pin = if let Ok(sa) = addr.parse::<SocketAddr>() {
        Pin { ip: sa.ip(), port: Some(sa.port()) }
    } else {
        let ip: IpAddr = addr.trim_start_matches('[').trim_end_matches(']').parse().map_err(|_| bad())?;
        Pin::from(ip)
    };
    let host = host.trim();
    if host.is_empty() || host.contains(['/', ':', ' ']) || (host.contains('*') && host != "*") {
        return Err(bad());
    }
    Ok((host.to_string(), pin))
}

/// Names under `.invalid` (RFC 6761 §6.4) are answered "no such host" here, without asking
/// the system resolver.
pub fn never_resolves(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "invalid" || host.ends_with(".invalid")
}

/// The DNS client when there is one (`serve`), else getaddrinfo; pinned names never ask
/// either. Resolved addresses the guard refuses (link-local, metadata) are dropped, so a name
/// can't smuggle the proxy to them.
#[derive(Clone)]
pub struct Resolver {
    pins: Pins,
    guard: TargetGuard,
    gai: GaiResolver,
    dns: Option<Arc<Dns>>,
}

impl Resolver {
    pub fn new(pins: Pins, guard: TargetGuard, dns: Option<Arc<Dns>>) -> Resolver {
        Resolver { pins, guard, gai: GaiResolver::new(), dns }
    }
}

/// The marker the proxy looks for to answer 403 instead of 502.
pub const REFUSED_BY_GUARD: &str = "refused by trackstrip";

type Addrs = std::vec::IntoIter<SocketAddr>;

impl tower_service::Service<Name> for Resolver {
    type Response = Addrs;
    type Error = std::io::Error;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Addrs, std::io::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        if never_resolves(name.as_str()) {
            let e = std::io::Error::new(std::io::ErrorKind::NotFound, "no such host (.invalid never resolves)");
            return Box::pin(std::future::ready(Err(e)));
        }
        if let Some(pin) = self.pins.get(name.as_str()) {
            // Port 0: the connector puts the URL's port in. A pinned port is kept unless the
            // URL names one (then the connector overrides it), which matches `Pin::addr` as
            // default ports never appear in a normalized URL.
            let addr = SocketAddr::new(pin.ip, pin.port.unwrap_or(0));
            return Box::pin(std::future::ready(Ok(vec![addr].into_iter())));
        }
        let guard = self.guard.clone();
        let found: std::pin::Pin<Box<dyn Future<Output = std::io::Result<Vec<SocketAddr>>> + Send>> = match &self.dns {
            Some(dns) => {
                let dns = Arc::clone(dns);
                Box::pin(async move {
                    let ips = dns.addrs(name.as_str()).await?;
                    Ok(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect())
                })
            }
            None => {
                let fut = self.gai.call(name);
                Box::pin(async move { Ok(fut.await?.collect()) })
            }
        };
        Box::pin(async move {
            let all: Vec<SocketAddr> = found.await?;
            let allowed: Vec<SocketAddr> = all.iter().copied().filter(|a| guard.check(a.ip()).is_ok()).collect();
            if allowed.is_empty()
                && let Some(ip) = all.first().map(|a| a.ip())
            {
                let why = guard.check(ip).err().unwrap_or("refused");
                let msg = format!("{REFUSED_BY_GUARD}: {ip} is {why}");
                return Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, msg));
            }
            Ok(allowed.into_iter())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_pin;

    #[test]
    fn pins() {
        let (h, pin) = parse_pin("News.Test=127.0.0.1").unwrap();
        assert_eq!((h.as_str(), pin.ip.to_string().as_str(), pin.port), ("News.Test", "127.0.0.1", None));
        assert_eq!(parse_pin("x.test=[::1]").unwrap().1.ip.to_string(), "::1");
        let (_, with_port) = parse_pin("x.test=[::1]:8443").unwrap();
        assert_eq!((with_port.ip.to_string().as_str(), with_port.port), ("::1", Some(8443)));
        assert_eq!(parse_pin("*=127.0.0.1:9").unwrap().0, "*");
        assert!(parse_pin("x.test").is_err());
        assert!(parse_pin("x.test=not-an-ip").is_err());
        assert!(parse_pin("*.test=127.0.0.1").is_err(), "only a lone * is a wildcard");
    }

    #[test]
    fn a_pinned_port_replaces_only_default_ports_and_star_catches_the_rest() {
        let pins = super::Pins::new([parse_pin("*=127.0.0.1:9000").unwrap(), parse_pin("a.test=10.0.0.1").unwrap()]);
        let any = pins.get("tracker.example").unwrap();
        assert_eq!(any.addr(443).to_string(), "127.0.0.1:9000");
        assert_eq!(any.addr(80).to_string(), "127.0.0.1:9000");
        assert_eq!(any.addr(8443).to_string(), "127.0.0.1:8443", "an explicit port is kept");
        assert_eq!(pins.get("A.test").unwrap().addr(443).to_string(), "10.0.0.1:443");
        assert!(pins.get("1.1.1.1").is_none() && pins.get("[::1]").is_none(), "* is for names");
    }
}
