//! Name resolution with pins: `--resolve news.test=127.0.0.1` sends news.test to that
//! address while SNI, Host and certificate checks keep the name. Tests use it so that
//! nothing ever leaves 127.0.0.1.

use super::UpstreamError;
use crate::access::TargetGuard;
use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Pinned host → address (lowercase host names).
#[derive(Debug, Clone, Default)]
pub struct Pins(Arc<HashMap<String, IpAddr>>);

impl Pins {
    pub fn new(pins: impl IntoIterator<Item = (String, IpAddr)>) -> Pins {
        Pins(Arc::new(pins.into_iter().map(|(h, a)| (h.to_ascii_lowercase(), a)).collect()))
    }

    pub fn get(&self, host: &str) -> Option<IpAddr> {
        self.0.get(&host.to_ascii_lowercase()).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Parses `HOST=IP` (IPv6 may be bracketed).
pub fn parse_pin(s: &str) -> Result<(String, IpAddr), UpstreamError> {
    let bad = || UpstreamError::BadPin(s.to_string());
    let (host, addr) = s.split_once('=').ok_or_else(bad)?;
    let addr = addr.trim().trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    let host = host.trim();
    if host.is_empty() || host.contains(['/', ':', ' ']) {
        return Err(bad());
    }
    Ok((host.to_string(), ip))
}

/// getaddrinfo, except for pinned names; resolved addresses the guard refuses (link-local,
/// metadata) are dropped, so a name can't smuggle the proxy to them.
#[derive(Clone)]
pub struct Resolver {
    pins: Pins,
    guard: TargetGuard,
    gai: GaiResolver,
}

impl Resolver {
    pub fn new(pins: Pins, guard: TargetGuard) -> Resolver {
        Resolver { pins, guard, gai: GaiResolver::new() }
    }
}

/// The marker the proxy looks for to answer 403 instead of 502.
pub const REFUSED_BY_GUARD: &str = "refused by trackstrip";

type Addrs = std::vec::IntoIter<SocketAddr>;

impl tower_service::Service<Name> for Resolver {
    type Response = Addrs;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Addrs, std::io::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        if let Some(ip) = self.pins.get(name.as_str()) {
            // Port 0: the connector puts the URL's port in.
            return Box::pin(std::future::ready(Ok(vec![SocketAddr::new(ip, 0)].into_iter())));
        }
        let fut = self.gai.call(name);
        let guard = self.guard.clone();
        Box::pin(async move {
            let all: Vec<SocketAddr> = fut.await?.collect();
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
        let (h, ip) = parse_pin("News.Test=127.0.0.1").unwrap();
        assert_eq!((h.as_str(), ip.to_string().as_str()), ("News.Test", "127.0.0.1"));
        assert_eq!(parse_pin("x.test=[::1]").unwrap().1.to_string(), "::1");
        assert!(parse_pin("x.test").is_err());
        assert!(parse_pin("x.test=not-an-ip").is_err());
    }
}
