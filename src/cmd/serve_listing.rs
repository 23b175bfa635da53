//! The effective settings `serve --check` prints: one `key = value` line per config key, keys
//! named as in the config file (dotted for tables: `timeouts.connect = 10`), values written as
//! TOML, in the order of deploy/trackstrip.toml. Defaults are filled in and resolved
//! (`data_dir`, `intercept.ca_dir`); a key with no value is a comment saying what that means.
//! So the listing reads back as a config file that means the same thing.

use std::fmt::{Display, Write};
use std::net::SocketAddr;
use std::path::Path;
use toml::Value;
use trackstrip::config::{Enforcement, ListSource, LogFormat, Settings, SocialMode};
use trackstrip::upstream::Pin;

/// Appends the listing of `s` to `out`.
pub fn write(out: &mut String, s: &Settings) {
    let mut l = Lines(out);
    l.set("listen", strings(&s.listen));
    match &s.upstream {
        Some(u) => l.set("upstream", string(u)),
        None => l.unset("upstream", "a forward proxy"),
    }
    l.set(
        "mode",
        string(match s.mode {
            Enforcement::Enforce => "enforce",
            Enforcement::Report => "report",
        }),
    );
    l.set("header", Value::Boolean(s.header));
    match &s.rules {
        Some(dir) => l.set("rules", path(dir)),
        None => l.unset("rules", "the bundled rules only"),
    }
    l.set("data_dir", path(&s.data_dir()));
    l.set("resolve", Value::Array(s.resolve.iter().map(|(host, p)| string(pin(host, p))).collect()));
    l.set("extra_roots", Value::Array(s.extra_roots.iter().map(|p| path(p)).collect()));
    l.int("workers", s.workers as u64);
    l.set("watch", Value::Boolean(s.watch));
    l.set("admin", s.admin.0.map_or_else(|| string("off"), string));
    l.set(
        "social",
        string(match s.social {
            SocialMode::Placeholder => "placeholder",
            SocialMode::Keep => "keep",
        }),
    );

    l.set("lists.builtin", Value::Boolean(s.lists.builtin));
    l.set("lists.update", Value::Boolean(s.lists.update));
    l.set("lists.add", Value::Array(s.lists.add.iter().map(list_source).collect()));
    if let Some(url) = &s.lists.builtin_url {
        l.comment(format_args!("--builtin-list-url {url} (a test hook, no config key)"));
    }
    if let Some(delay) = s.lists.builtin_delay {
        l.comment(format_args!("--builtin-list-delay {} (a test hook, no config key)", delay.as_secs()));
    }

    l.set("access.allow", strings(&s.access.allow));
    match &s.access.users {
        Some(file) => l.set("access.users", path(file)),
        None => l.unset("access.users", "no proxy authentication"),
    }
    match s.connect_ports() {
        Some(ports) => {
            l.set("access.connect_ports", Value::Array(ports.iter().map(|p| Value::Integer(i64::from(*p))).collect()))
        }
        None => l.unset("access.connect_ports", "any port, every listener being loopback"),
    }
    l.set("access.allow_targets", strings(&s.access.allow_targets));

    l.set("intercept.enabled", Value::Boolean(s.intercept.enabled));
    l.set("intercept.ca_dir", path(&s.ca_dir()));
    l.set("intercept.skip", strings(&s.intercept.skip));

    match &s.pac.proxy {
        Some(p) => l.set("pac.proxy", string(p)),
        None => l.unset("pac.proxy", "the host the PAC file is fetched from, with the proxy's port"),
    }
    l.set("pac.bypass", strings(&s.pac.bypass));
    l.set("pac.fallback_direct", Value::Boolean(s.pac.fallback_direct));

    let t = &s.timeouts;
    l.int("timeouts.connect", t.connect);
    l.int("timeouts.response", t.response);
    l.int("timeouts.body_idle", t.body_idle);
    l.int("timeouts.header_read", t.header_read);
    l.int("timeouts.client_idle", t.client_idle);
    l.int("timeouts.shutdown_grace", t.shutdown_grace);

    l.int("limits.max_connections", s.limits.max_connections as u64);
    l.int("limits.max_header_bytes", s.limits.max_header_bytes as u64);

    l.set(
        "logs.format",
        string(match s.logs.format {
            LogFormat::Pretty => "pretty",
            LogFormat::Json => "json",
        }),
    );
    l.set("logs.truncate_client_ip", Value::Boolean(s.logs.truncate_client_ip));

    l.set("privacy.gpc", Value::Boolean(s.privacy.gpc));
    l.set("privacy.dnt", Value::Boolean(s.privacy.dnt));

    let d = &s.dns;
    l.set("dns.uncloak", Value::Boolean(d.uncloak));
    l.set("dns.servers", strings(&d.servers));
    l.int("dns.timeout_ms", d.timeout_ms);
    l.int("dns.cache_entries", d.cache_entries as u64);
    l.int("dns.min_ttl", d.min_ttl);
    l.int("dns.max_ttl", d.max_ttl);

    l.set("allow.sites", strings(&s.allow.sites));
    l.set("allow.hosts", strings(&s.allow.hosts));
}

struct Lines<'a>(&'a mut String);

impl Lines<'_> {
    fn set(&mut self, key: &str, value: Value) {
        let _ = writeln!(self.0, "{key} = {value}");
    }

    /// TOML integers are i64; a larger value (only a flag can give one) is written as it is.
    fn int(&mut self, key: &str, n: u64) {
        match i64::try_from(n) {
            Ok(n) => self.set(key, Value::Integer(n)),
            Err(_) => {
                let _ = writeln!(self.0, "{key} = {n}");
            }
        }
    }

    fn unset(&mut self, key: &str, meaning: &str) {
        let _ = writeln!(self.0, "# {key} is unset: {meaning}");
    }

    fn comment(&mut self, text: std::fmt::Arguments<'_>) {
        let _ = writeln!(self.0, "# {text}");
    }
}

fn string(x: impl Display) -> Value {
    Value::String(x.to_string())
}

fn strings<T: Display>(items: &[T]) -> Value {
    Value::Array(items.iter().map(string).collect())
}

fn path(p: &Path) -> Value {
    Value::String(p.to_string_lossy().into_owned())
}

fn list_source(l: &ListSource) -> Value {
    match l {
        ListSource::File(p) => path(p),
        ListSource::Url(u) => string(u),
    }
}

/// `HOST=ADDR` or `HOST=ADDR:PORT`, as `--resolve` and `resolve` take it.
fn pin(host: &str, p: &Pin) -> String {
    match p.port {
        Some(port) => format!("{host}={}", SocketAddr::new(p.ip, port)),
        None => format!("{host}={}", p.ip),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(toml_text: &str) -> String {
        let settings: Settings = toml::from_str(toml_text).unwrap_or_else(|e| panic!("{e}"));
        let mut out = String::new();
        write(&mut out, &settings);
        out
    }

    #[test]
    fn values_are_toml_and_unset_keys_are_comments() {
        let out = listing(
            "listen = [\"[::1]:8080\"]\nresolve = [\"a.test=10.0.0.1\", \"*=[::1]:81\"]\n[access]\nallow = [\"10.0.0.0/8\"]\n",
        );
        assert!(out.contains("listen = [\"[::1]:8080\"]\n"), "{out}");
        assert!(out.contains("resolve = [\"a.test=10.0.0.1\", \"*=[::1]:81\"]\n"), "{out}");
        assert!(out.contains("access.allow = [\"10.0.0.0/8\"]\n"), "{out}");
        assert!(out.contains("# upstream is unset: a forward proxy\n"), "{out}");
        assert!(out.contains("timeouts.connect = 10\n") && out.contains("admin = \"127.0.0.1:9090\"\n"), "{out}");
        let again: Settings = toml::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        let mut twice = String::new();
        write(&mut twice, &again);
        assert_eq!(out, twice, "the listing reads back as the same settings");
    }
}
