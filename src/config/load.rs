//! Reading the config file: TOML into typed `Settings`, every error placed on its line.

use super::Settings;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the config file: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A value or key is wrong; `line` is 1-based.
    #[error("{path}:{line}: {message}")]
    Invalid { path: PathBuf, line: usize, message: String },
    /// Values that are fine alone but not together (or a flag that is wrong).
    #[error("{0}")]
    Conflict(String),
}

/// A config file as read: the settings, and where some keys were written (for messages
/// about values that only fail in combination).
#[derive(Debug, Clone, Default)]
pub struct LoadedConfig {
    pub settings: Settings,
    pub path: Option<PathBuf>,
    spans: KeyLines,
}

#[derive(Debug, Clone, Default)]
struct KeyLines {
    listen: Option<usize>,
    access: Option<usize>,
}

impl LoadedConfig {
    /// Defaults only (no --config).
    pub fn defaults() -> LoadedConfig {
        LoadedConfig::default()
    }

    /// "trackstrip.toml:3" for a key written in the file, else the flag that sets it.
    pub fn origin(&self, key: &str, flag: &str) -> String {
        let line = match key {
            "listen" => self.spans.listen,
            "access" => self.spans.access,
            _ => None,
        };
        match (&self.path, line) {
            (Some(p), Some(l)) => format!("{}:{l}", p.display()),
            _ => flag.to_string(),
        }
    }
}

pub fn load(path: &Path) -> Result<LoadedConfig, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    parse(path, &text)
}

pub fn parse(path: &Path, text: &str) -> Result<LoadedConfig, ConfigError> {
    let invalid = |e: toml::de::Error| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        // toml's message repeats the snippet; its first line is the useful part.
        let message = e.message().lines().next().unwrap_or("invalid TOML").to_string();
        ConfigError::Invalid { path: path.to_path_buf(), line, message: hint(&message) }
    };
    let settings: Settings = toml::from_str(text).map_err(invalid)?;
    let spans: RawSpans = toml::from_str(text).map_err(invalid)?;
    let at = |s: Option<Spanned<toml::Value>>| s.map(|s| line_of(text, s.span().start));
    Ok(LoadedConfig {
        settings,
        path: Some(path.to_path_buf()),
        spans: KeyLines { listen: at(spans.listen), access: at(spans.access) },
    })
}

#[derive(Deserialize)]
struct RawSpans {
    listen: Option<Spanned<toml::Value>>,
    access: Option<Spanned<toml::Value>>,
}

/// serde's "unknown field" message lists every key; add where they are documented.
fn hint(message: &str) -> String {
    if message.starts_with("unknown field") {
        format!("{message} (every key is documented in deploy/trackstrip.toml)")
    } else {
        message.to_string()
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("t.toml"), text).unwrap_err().to_string()
    }

    #[test]
    fn a_full_config_parses_into_typed_values() {
        let c = parse(
            Path::new("t.toml"),
            r#"
listen = ["0.0.0.0:3128", "[::]:3128"]
mode = "report"
lists = ["https://easylist.to/easylist/easyprivacy.txt", "/etc/trackstrip/local.txt"]
admin = "off"
[access]
allow = ["10.0.0.0/8", "192.168.1.7"]
connect_ports = [443]
[timeouts]
client_idle = 30
[allow]
sites = ["Intranet.Example.com."]
"#,
        )
        .unwrap();
        let s = &c.settings;
        assert_eq!(s.listen.len(), 2);
        assert_eq!(s.mode, super::super::Enforcement::Report);
        assert_eq!(s.lists.add.len(), 2);
        assert!(s.lists.builtin && s.lists.update, "the old array form keeps the built-in list");
        assert_eq!(s.admin.0, None);
        assert_eq!(s.access.allow.len(), 2);
        assert_eq!(s.timeouts.client_idle, 30);
        assert_eq!(s.timeouts.response, 30, "unset keys keep their defaults");
        assert_eq!(s.allow.sites, vec!["intranet.example.com"]);
        assert_eq!(c.origin("listen", "--listen"), "t.toml:2");
        assert_eq!(c.origin("access", "--allow"), "t.toml:6");
    }

    #[test]
    fn errors_name_the_line_and_what_to_write() {
        let e = err("mode = \"enforce\"\nlisten = [\"0.0.0.0\"]\n");
        assert!(e.starts_with("t.toml:2:"), "{e}");
        assert!(e.contains("IP:PORT"), "{e}");
        let e = err("[access]\nallow = [\"10.0.0.0/40\"]\n");
        assert!(e.starts_with("t.toml:2:") && e.contains("CIDR"), "{e}");
        let e = err("\n\nlisen = [\"127.0.0.1:1\"]\n");
        assert!(
            e.starts_with("t.toml:3:") && e.contains("unknown field") && e.contains("deploy/trackstrip.toml"),
            "{e}"
        );
        let e = err("mode = \"strict\"\n");
        assert!(e.contains("enforce") && e.contains("report"), "{e}");
        let e = err("[timeouts]\nconnect = \"ten\"\n");
        assert!(e.starts_with("t.toml:2:"), "{e}");
        let e = err("upstream = \"ftp://x\"\n");
        assert!(e.contains("http://"), "{e}");
        let e = err("mode = \"enforce\"\n[lists]\nupdate = \"no\"\n");
        assert!(e.starts_with("t.toml:3:"), "{e}");
        let e = err("[lists]\nbuiltin = true\nadd = [\"\"]\n");
        assert!(e.starts_with("t.toml:3:") && e.contains("http(s) URL"), "{e}");
    }

    #[test]
    fn the_lists_table_reads_beside_the_other_keys() {
        let c = parse(Path::new("t.toml"), "listen = [\"127.0.0.1:1\"]\n[lists]\nbuiltin = false\nadd = [\"l.txt\"]\n");
        let s = c.unwrap().settings;
        assert!(!s.lists.builtin && s.lists.update);
        assert_eq!(s.lists.add, vec![super::super::ListSource::File("l.txt".into())]);
        let d = parse(Path::new("t.toml"), "").unwrap().settings;
        assert!(d.lists.builtin && d.lists.update && d.lists.add.is_empty(), "on by default");
    }
}
