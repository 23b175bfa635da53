//! Name resolution with pins: `--resolve news.test=127.0.0.1` sends news.test to that
//! address while SNI, Host and certificate checks keep the name. Tests use it so that
//! nothing ever leaves 127.0.0.1.

use super::UpstreamError;
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

/// getaddrinfo, except for pinned names.
#[derive(Clone)]
pub struct Resolver {
    pins: Pins,
    gai: GaiResolver,
}

impl Resolver {
    pub fn new(pins: Pins) -> Resolver {
        Resolver { pins, gai: GaiResolver::new() }
    }
}

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
        Box::pin(async move { Ok(fut.await?.collect::<Vec<_>>().into_iter()) })
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
