//! `/proxy.pac`: a proxy auto-config file that sends browsers through this proxy, except for
//! local names and the bypass list (hosts and IPv4 networks) from the config.

use crate::config::Net;

/// What goes into the PAC file.
#[derive(Debug, Clone, Default)]
pub struct PacConfig {
    /// `host:port` browsers should use; None: the host the PAC was fetched from, with `port`.
    pub proxy: Option<String>,
    /// The proxy's port, for the default above.
    pub port: u16,
    /// Hosts (`example.com` covers subdomains; `*.x` patterns; `<local>` for plain names)
    /// and IPv4 networks (`10.0.0.0/8`) that go direct.
    pub bypass: Vec<String>,
    /// When the proxy can't be reached, go direct (default: no, so nothing skips stripping).
    pub fallback_direct: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("pac.bypass {0:?}: {1}")]
pub struct BypassError(String, &'static str);

impl PacConfig {
    /// Checks the bypass entries (at start, so a typo is an error and not a silent no-op).
    pub fn validate(&self) -> Result<(), BypassError> {
        self.bypass.iter().try_for_each(|b| condition(b).map(|_| ()))
    }

    /// The PAC file. `request_host` is the Host header the PAC file was fetched with.
    pub fn render(&self, request_host: Option<&str>) -> String {
        let proxy = match &self.proxy {
            Some(p) => p.clone(),
            None => {
                let host = request_host.map(strip_port).filter(|h| !h.is_empty()).unwrap_or("127.0.0.1");
                format!("{host}:{}", self.port)
            }
        };
        let mut conditions = vec![
            "host == \"localhost\"".to_string(),
            "host == \"127.0.0.1\" || host == \"[::1]\" || host == \"::1\"".to_string(),
        ];
        conditions.extend(self.bypass.iter().filter_map(|b| condition(b).ok()));
        let fallback = if self.fallback_direct { "; DIRECT" } else { "" };
        let mut js =
            String::from("// trackstrip proxy auto-config. Generated; set pac.* in the config to change it.\n");
        js.push_str("function FindProxyForURL(url, host) {\n");
        js.push_str("  var ipv4 = /^\\d+\\.\\d+\\.\\d+\\.\\d+$/.test(host);\n");
        for c in conditions {
            js.push_str(&format!("  if ({c}) return \"DIRECT\";\n"));
        }
        js.push_str(&format!("  return \"PROXY {}{fallback}\";\n}}\n", js_string(&proxy)));
        js
    }
}

/// One bypass entry as a PAC condition.
fn condition(entry: &str) -> Result<String, BypassError> {
    let e = entry.trim();
    let bad = |why| BypassError(entry.to_string(), why);
    if e.eq_ignore_ascii_case("<local>") {
        return Ok("isPlainHostName(host)".into());
    }
    if e.contains('/') || e.parse::<std::net::IpAddr>().is_ok() {
        let net: Net = e.parse().map_err(|_| bad("not a network (write CIDR like 10.0.0.0/8)"))?;
        let ipnet::IpNet::V4(v4) = net.0 else {
            return Err(bad("PAC files can only match IPv4 networks; list IPv6 hosts by name"));
        };
        return Ok(format!("ipv4 && isInNet(host, \"{}\", \"{}\")", v4.network(), v4.netmask()));
    }
    if e.is_empty() || !e.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '*' | '_')) {
        return Err(bad("not a host name or pattern (example.com, *.corp.example, <local>, 10.0.0.0/8)"));
    }
    let e = e.to_ascii_lowercase();
    if e.contains('*') {
        return Ok(format!("shExpMatch(host, \"{e}\")"));
    }
    Ok(format!("host == \"{e}\" || dnsDomainIs(host, \".{e}\")"))
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// Only characters valid in host:port reach here; quotes are escaped regardless.
fn js_string(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pac_sends_everything_through_the_proxy_but_the_bypass_list() {
        let pac = PacConfig {
            proxy: None,
            port: 3128,
            bypass: vec!["<local>".into(), "corp.example".into(), "*.lan".into(), "10.0.0.0/8".into()],
            fallback_direct: false,
        };
        pac.validate().unwrap();
        let js = pac.render(Some("gw.corp.example:9090"));
        assert!(js.contains("function FindProxyForURL(url, host)"));
        assert!(js.contains("return \"PROXY gw.corp.example:3128\";"), "{js}");
        assert!(js.contains("if (isPlainHostName(host)) return \"DIRECT\";"));
        assert!(js.contains("host == \"corp.example\" || dnsDomainIs(host, \".corp.example\")"));
        assert!(js.contains("shExpMatch(host, \"*.lan\")"));
        assert!(js.contains("isInNet(host, \"10.0.0.0\", \"255.0.0.0\")"));
        let fixed = PacConfig { proxy: Some("proxy.example:8080".into()), fallback_direct: true, ..pac };
        assert!(fixed.render(None).contains("return \"PROXY proxy.example:8080; DIRECT\";"));
    }

    #[test]
    fn bad_bypass_entries_are_errors() {
        for bad in ["fd00::/8", "a b", "10.0.0.0/99", "\"quote"] {
            let pac = PacConfig { bypass: vec![bad.into()], ..PacConfig::default() };
            assert!(pac.validate().is_err(), "{bad}");
        }
    }
}
