//! Typed setting values. Each parses from a string the same way in the config file and on the
//! command line (`FromStr`), and says what a good value looks like when it doesn't parse.

use serde::Deserialize;
use serde::de::{self, Deserializer};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;

/// Enforce (strip and block) or only report what would be done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Enforcement {
    #[default]
    Enforce,
    Report,
}

/// Social widgets and embeds: replaced by click-through placeholders, or kept as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SocialMode {
    #[default]
    Placeholder,
    Keep,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

/// The admin listener's address, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminAddr(pub Option<SocketAddr>);

impl Default for AdminAddr {
    fn default() -> Self {
        AdminAddr(Some(SocketAddr::from(([127, 0, 0, 1], 9090))))
    }
}

impl FromStr for AdminAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().eq_ignore_ascii_case("off") {
            return Ok(AdminAddr(None));
        }
        parse_addr(s).map(|a| AdminAddr(Some(a)))
    }
}

/// A client or target network: `10.0.0.0/8`, `fd00::/8`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net(pub ipnet::IpNet);

impl Net {
    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.0.contains(&ip)
    }
}

impl FromStr for Net {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(n) = s.parse::<ipnet::IpNet>() {
            return Ok(Net(n.trunc()));
        }
        match s.parse::<IpAddr>() {
            Ok(ip) => Ok(Net(ipnet::IpNet::from(ip))),
            Err(_) => Err(format!("{s:?} is not a network: write CIDR like 10.0.0.0/8 or fd00::/8, or one address")),
        }
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A filter list: a local file, or an http(s) URL to subscribe to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListSource {
    File(PathBuf),
    Url(url::Url),
}

impl FromStr for ListSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.starts_with("http://") || s.starts_with("https://") {
            let url = url::Url::parse(s).map_err(|e| format!("{s:?}: {e}"))?;
            return Ok(ListSource::Url(url));
        }
        if s.is_empty() {
            return Err("empty list entry: give a file path or an http(s) URL".into());
        }
        Ok(ListSource::File(PathBuf::from(s)))
    }
}

/// `IP:PORT`.
pub fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    s.trim().parse().map_err(|_| format!("{s:?} is not an address: write IP:PORT, e.g. 127.0.0.1:8080 or [::1]:8080"))
}

/// An http(s) URL with a host (the reverse proxy's origin).
pub fn parse_http_url(s: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(s.trim()).map_err(|e| format!("{s:?}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{s:?} must be an http:// or https:// URL with a host"));
    }
    Ok(url)
}

/// A bare host name, lowercased, without a trailing dot.
pub fn parse_host(s: &str) -> Result<String, String> {
    let h = s.trim().trim_end_matches('.').to_ascii_lowercase();
    if h.is_empty() || h.contains(['/', ':', ' ', '*']) {
        return Err(format!("{s:?} is not a bare host name (write example.com; it covers subdomains)"));
    }
    Ok(h)
}

/// `HOST=IP`, like curl's --resolve.
pub fn parse_pin(s: &str) -> Result<(String, crate::upstream::Pin), String> {
    crate::upstream::parse_pin(s).map_err(|e| e.to_string())
}

fn each<'de, D, T>(d: D, parse: fn(&str) -> Result<T, String>) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
{
    Vec::<String>::deserialize(d)?.iter().map(|s| parse(s).map_err(de::Error::custom)).collect()
}

pub fn addrs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SocketAddr>, D::Error> {
    each(d, parse_addr)
}

pub fn nets<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Net>, D::Error> {
    each(d, Net::from_str)
}

pub fn hosts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    each(d, parse_host)
}

pub fn pins<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, crate::upstream::Pin)>, D::Error> {
    each(d, parse_pin)
}

pub fn list_sources<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ListSource>, D::Error> {
    each(d, ListSource::from_str)
}

pub fn opt_http_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<url::Url>, D::Error> {
    parse_http_url(&String::deserialize(d)?).map(Some).map_err(de::Error::custom)
}

impl<'de> Deserialize<'de> for AdminAddr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(|e: String| de::Error::custom(format!("{e}, or \"off\"")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nets_accept_cidr_and_single_addresses_and_mapped_v4() {
        let n: Net = "10.0.0.0/8".parse().unwrap();
        assert!(n.contains("10.2.3.4".parse().unwrap()));
        assert!(n.contains("::ffff:10.2.3.4".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        let one: Net = "192.168.1.5".parse().unwrap();
        assert!(one.contains("192.168.1.5".parse().unwrap()));
        assert!(!one.contains("192.168.1.6".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Net>().is_err());
        assert!("office".parse::<Net>().unwrap_err().contains("CIDR"));
    }

    #[test]
    fn admin_off_and_addresses() {
        assert_eq!("off".parse::<AdminAddr>().unwrap(), AdminAddr(None));
        assert_eq!("127.0.0.1:9000".parse::<AdminAddr>().unwrap().0, Some("127.0.0.1:9000".parse().unwrap()));
        assert!("localhost".parse::<AdminAddr>().is_err());
    }

    #[test]
    fn list_sources_tell_urls_from_files() {
        assert!(matches!("https://easylist.to/easylist/easyprivacy.txt".parse(), Ok(ListSource::Url(_))));
        assert_eq!("lists/mine.txt".parse::<ListSource>().unwrap(), ListSource::File("lists/mine.txt".into()));
    }
}
