//! The command line, as clap sees it. Commands turn these raw flags into typed options.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use trackstrip::config::values;
use trackstrip::config::{AdminAddr, ListSource, Net};

#[derive(Debug, Parser)]
#[command(name = "trackstrip", version, about = "Strips trackers from web pages as they stream through")]
pub struct Cli {
    /// Log line format (logs go to stderr; RUST_LOG sets the level) [logs.format; default pretty].
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the proxy: a forward proxy for browsers (and curl -x) on 127.0.0.1:8080, or a
    /// reverse proxy in front of one origin (--upstream). HTML is stripped as it streams;
    /// requests to trackers are answered locally and never leave the machine.
    Serve(Box<ServeArgs>),
    /// Strip trackers from an HTML page and write the result to stdout, streaming.
    Strip(StripArgs),
    /// Report the trackers a page (file or URL) loads, who runs them and which rule flags them.
    /// Exit status: 0 no tracker, 1 trackers found, 2 error.
    Audit(AuditArgs),
    /// The local certificate authority that HTTPS interception uses.
    Ca {
        #[command(subcommand)]
        command: CaCommand,
    },
    /// Work with rule files and filter lists.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Filter lists: the built-in one and subscriptions (the http(s) URLs in `lists`).
    Lists {
        #[command(subcommand)]
        command: ListsCommand,
    },
    /// Proxy users (proxy authentication).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate rule files (rules/*.toml) and ABP filter lists; report file:line for each problem.
    /// With no PATH, checks the bundled rules. Exit status: 0 valid, 1 problems found.
    Check {
        /// Rule files, rule directories, or filter lists (*.txt).
        paths: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Make the CA (if there is none yet) and print where its certificate is.
    Init(CaDir),
    /// Print the path of the CA certificate (the file to trust).
    Path(CaDir),
    /// Print the CA certificate: PEM, or DER with --der.
    Export {
        #[command(flatten)]
        dir: CaDir,
        /// DER (binary) instead of PEM.
        #[arg(long)]
        der: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct CaDir {
    /// Where the CA lives (default: $XDG_DATA_HOME/trackstrip, else ~/.local/share/trackstrip).
    #[arg(long, value_name = "DIR")]
    pub ca_dir: Option<PathBuf>,
}

/// Where rules come from (shared by every command that matches).
#[derive(Debug, Clone, Args)]
pub struct RuleArgs {
    /// A rules directory: files named like the bundled ones (trackers.toml...) replace them,
    /// files named NAME-trackers.toml (etc.) add to them.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// An ABP-syntax filter list (EasyPrivacy, EasyList...), loaded as is. Repeatable.
    #[arg(long = "list", value_name = "FILE")]
    pub lists: Vec<PathBuf>,
    /// Leave out the list built into the binary (EasyPrivacy): the bundled rules and --list only.
    #[arg(long)]
    pub no_builtin_lists: bool,
}

/// Offline by default: a saved page is judged by its names alone.
#[derive(Debug, Args, Clone)]
pub struct CnameArgs {
    /// Look up the page's hosts in DNS first, and judge a host that is an alias (CNAME) of a
    /// tracker as that tracker.
    #[arg(long)]
    pub resolve_cnames: bool,
    /// With --resolve-cnames: the DNS server to ask, ADDR or ADDR:PORT; repeatable (default: the system's).
    #[arg(long = "dns-server", value_name = "ADDR[:PORT]", value_parser = trackstrip::upstream::parse_dns_server, requires = "resolve_cnames")]
    pub dns_servers: Vec<SocketAddr>,
}

#[derive(Debug, Args)]
pub struct StripArgs {
    /// The page's own address: tells first-party from third-party and resolves relative URLs.
    #[arg(long, value_name = "PAGE_URL")]
    pub url: Option<String>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Decide but change nothing (the output is the input); with --events, see what would go.
    #[arg(long)]
    pub report_only: bool,
    /// The page's character encoding, when the file doesn't say (default: BOM, <meta>, UTF-8).
    #[arg(long, value_name = "LABEL")]
    pub charset: Option<String>,
    /// Also write the audit events as JSON lines to this file.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    #[command(flatten)]
    pub cnames: CnameArgs,
    /// Keep social widgets and embeds instead of click-through placeholders.
    #[arg(long)]
    pub keep_social: bool,
    /// The HTML file; `-` or nothing reads stdin.
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Table,
    Json,
    Html,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The page's address, for a FILE or stdin (a URL target is its own address).
    #[arg(long, value_name = "PAGE_URL")]
    pub url: Option<String>,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub cnames: CnameArgs,
    /// With --browser: the enforcing load keeps social widgets and embeds (no placeholders).
    #[arg(long, requires = "browser")]
    pub keep_social: bool,
    /// Report format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// Write the report here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Seconds allowed for fetching a URL (connect, headers and body together).
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub timeout: u64,
    /// Most redirects to follow when fetching a URL.
    #[arg(long, default_value_t = 10)]
    pub max_redirects: usize,
    /// Trust this PEM CA certificate for https URLs, besides the built-in roots. Repeatable.
    #[arg(long = "extra-root", value_name = "FILE")]
    pub extra_roots: Vec<PathBuf>,
    /// Load the page(s) in a headless Chromium through an in-process trackstrip listener and
    /// report every request they make, scripts' included.
    #[arg(long)]
    pub browser: bool,
    /// With --browser: load each page a second time with trackstrip enforcing, and show what
    /// it prevented.
    #[arg(long, requires = "browser")]
    pub compare: bool,
    /// With --browser: the browser to use (else $CHROMIUM, $CHROME, or chromium on PATH).
    #[arg(long, value_name = "FILE", requires = "browser")]
    pub browser_path: Option<PathBuf>,
    /// With --browser: more pages, one URL per line (# comments allowed).
    #[arg(long, value_name = "FILE", requires = "browser")]
    pub urls: Option<PathBuf>,
    /// With --browser: write one report per page (JSON and HTML) and aggregate.json here;
    /// pages already reported there are skipped, so a stopped run resumes.
    #[arg(long, value_name = "DIR", requires = "browser")]
    pub out_dir: Option<PathBuf>,
    /// With --browser: pages loaded at once.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub jobs: usize,
    /// With --browser: seconds of (virtual) time each page gets to load and run its scripts.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub wait: u64,
    /// With --browser: pin a host to an address for the listener, like serve's --resolve.
    #[arg(long = "resolve", value_name = "HOST=ADDR[:PORT]", value_parser = values::parse_pin)]
    pub resolve: Vec<(String, trackstrip::upstream::Pin)>,
    /// A page: a file, `-` for stdin, or an http(s) URL (with --browser: one or more URLs).
    #[arg(value_name = "FILE|URL|-")]
    pub targets: Vec<String>,
}

/// `serve`'s flags. Each one overrides the config file key named in its help; unset flags
/// leave the file (or the default) alone.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML config file (every key: deploy/trackstrip.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Check the config and flags as serve would, print where it would listen and every
    /// effective setting (`key = value`), and exit: 0 valid, 2 not. Binds, makes, fetches nothing.
    #[arg(long)]
    pub check: bool,
    /// Address to listen on, repeatable; IPv6 as [::1]:8080 [listen; default 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR", value_parser = values::parse_addr)]
    pub listen: Vec<SocketAddr>,
    /// Reverse proxy: front this origin (http:// or https://) [upstream].
    #[arg(long, value_name = "URL", value_parser = values::parse_http_url)]
    pub upstream: Option<url::Url>,
    /// A rules directory overlaid on the bundled rules [rules].
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// A filter list: a file, or an http(s) URL to subscribe to; repeatable [lists.add].
    #[arg(long = "list", value_name = "FILE|URL", value_parser = ListSource::from_str)]
    pub lists: Vec<ListSource>,
    /// Leave out the list built into the binary (EasyPrivacy) [lists.builtin = false].
    #[arg(long)]
    pub no_builtin_lists: bool,
    /// Keep the built-in list's snapshot: don't refresh it from its official address
    /// (subscriptions in lists.add are still refreshed) [lists.update = false].
    #[arg(long)]
    pub no_list_update: bool,
    /// Test hook: fetch the built-in list from this URL instead of its official address.
    #[arg(long, value_name = "URL", hide = true, value_parser = values::parse_http_url)]
    pub builtin_list_url: Option<url::Url>,
    /// Test hook: seconds before the built-in list's first check, and between failed checks.
    #[arg(long, value_name = "SECS", hide = true)]
    pub builtin_list_delay: Option<u64>,
    /// Where the CA and downloaded lists live [data_dir; default $XDG_DATA_HOME/trackstrip].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Pin a host to an address, like curl's --resolve (`*` pins every other host; a :PORT replaces ports 80 and 443); repeatable [resolve].
    #[arg(long = "resolve", value_name = "HOST=ADDR[:PORT]", value_parser = values::parse_pin)]
    pub resolve: Vec<(String, trackstrip::upstream::Pin)>,
    /// A DNS server to resolve names with, ADDR or ADDR:PORT; repeatable (default: the system's) [dns.servers].
    #[arg(long = "dns-server", value_name = "ADDR[:PORT]", value_parser = trackstrip::upstream::parse_dns_server)]
    pub dns_servers: Vec<SocketAddr>,
    /// Longest wait, in milliseconds, for a name's CNAME chain before its request goes on without it [dns.timeout_ms].
    #[arg(long, value_name = "MS")]
    pub dns_timeout: Option<u64>,
    /// Don't follow CNAME chains to find trackers behind first-party names [dns.uncloak = false].
    #[arg(long)]
    pub no_uncloak: bool,
    /// Trust this PEM CA for upstream TLS, besides the built-in and system roots [extra_roots].
    #[arg(long = "extra-root", value_name = "FILE")]
    pub extra_roots: Vec<PathBuf>,
    /// Strip and block nothing; log and count what would be done [mode = "report"].
    #[arg(long)]
    pub report_only: bool,
    /// Don't add X-Trackstrip headers and trailers [header = false].
    #[arg(long)]
    pub no_header: bool,
    /// Don't send `Sec-GPC: 1` (Global Privacy Control) to sites [privacy.gpc = false].
    #[arg(long)]
    pub no_gpc: bool,
    /// Also send the older `DNT: 1` [privacy.dnt = true].
    #[arg(long)]
    pub dnt: bool,
    /// Keep social widgets and embeds instead of click-through placeholders [social = "keep"].
    #[arg(long)]
    pub keep_social: bool,
    /// Worker threads; 0 is one per core [workers].
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Don't reload when rule, list or users files change (SIGHUP still does) [watch = false].
    #[arg(long)]
    pub no_watch: bool,
    /// Admin listener (metrics, health, PAC, dashboard), or `off` [admin; default 127.0.0.1:9090].
    #[arg(long, value_name = "ADDR|off")]
    pub admin: Option<AdminAddr>,
    /// A client network allowed to connect (CIDR), repeatable [access.allow].
    #[arg(long = "allow", value_name = "CIDR")]
    pub allow: Vec<Net>,
    /// Ask for proxy authentication; users in FILE (`trackstrip user add`) [access.users].
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,
    /// A port CONNECT may reach, repeatable [access.connect_ports; default any on loopback, else 443, 8443].
    #[arg(long = "connect-port", value_name = "PORT")]
    pub connect_ports: Vec<u16>,
    /// A target network to allow although it is normally refused (link-local...) [access.allow_targets].
    #[arg(long = "allow-target", value_name = "CIDR")]
    pub allow_targets: Vec<Net>,
    /// Don't intercept HTTPS: every CONNECT is a blind tunnel [intercept.enabled = false].
    #[arg(long)]
    pub no_intercept: bool,
    /// Where the CA lives [intercept.ca_dir; default data_dir].
    #[arg(long, value_name = "DIR")]
    pub ca_dir: Option<PathBuf>,
    /// Never intercept this host or its subdomains, repeatable [intercept.skip].
    #[arg(long = "skip-intercept", value_name = "HOST", value_parser = values::parse_host)]
    pub skip_intercept: Vec<String>,
    /// The proxy address written into /proxy.pac [pac.proxy].
    #[arg(long, value_name = "HOST:PORT")]
    pub pac_proxy: Option<String>,
    /// A host, pattern or IPv4 network that goes direct in /proxy.pac, repeatable [pac.bypass].
    #[arg(long = "pac-bypass", value_name = "HOST|CIDR")]
    pub pac_bypass: Vec<String>,
    /// Seconds to wait for a connection to an origin [timeouts.connect; default 10].
    #[arg(long, value_name = "SECS")]
    pub connect_timeout: Option<u64>,
    /// Seconds to wait for an origin's response headers [timeouts.response; default 30].
    #[arg(long, value_name = "SECS")]
    pub response_timeout: Option<u64>,
    /// Seconds of silence allowed inside a response body [timeouts.body_idle; default 60].
    #[arg(long, value_name = "SECS")]
    pub idle_timeout: Option<u64>,
    /// Seconds a client has to send its request head [timeouts.header_read; default 30].
    #[arg(long, value_name = "SECS")]
    pub header_read_timeout: Option<u64>,
    /// Seconds a client connection may stay silent [timeouts.client_idle; default 120].
    #[arg(long, value_name = "SECS")]
    pub client_idle_timeout: Option<u64>,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT [timeouts.shutdown_grace; default 10].
    #[arg(long, value_name = "SECS")]
    pub shutdown_grace: Option<u64>,
    /// Client connections served at once [limits.max_connections; default 4096].
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Largest request head accepted, bytes [limits.max_header_bytes; default 65536].
    #[arg(long, value_name = "BYTES")]
    pub max_header_bytes: Option<usize>,
    /// Log client addresses as their /24 (IPv4) or /48 (IPv6) [logs.truncate_client_ip].
    #[arg(long)]
    pub truncate_client_ip: bool,
    /// Never strip pages of this site or block its requests, repeatable [allow.sites].
    #[arg(long = "allow-site", value_name = "HOST", value_parser = values::parse_host)]
    pub allow_sites: Vec<String>,
    /// Never treat this host as a tracker, repeatable [allow.hosts].
    #[arg(long = "allow-host", value_name = "HOST", value_parser = values::parse_host)]
    pub allow_hosts: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a proxy user, or change their password. Reads the password from the terminal (or
    /// one line of stdin); writes an argon2 hash to the users file (mode 0600).
    Add {
        name: String,
        #[command(flatten)]
        file: UsersFile,
    },
    /// Remove a proxy user.
    Remove {
        name: String,
        #[command(flatten)]
        file: UsersFile,
    },
}

#[derive(Debug, Args)]
pub struct UsersFile {
    /// The users file (default: access.users from --config).
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,
    /// Take the users file from this config.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ListsCommand {
    /// Download the subscribed lists (the URLs in `lists`) that are due, or all with --force.
    Update {
        /// The config whose `lists` and `data_dir` to use.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Subscribe to this URL too (repeatable).
        #[arg(long = "list", value_name = "URL", value_parser = ListSource::from_str)]
        lists: Vec<ListSource>,
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Trust this PEM CA for list downloads, besides the built-in and system roots.
        #[arg(long = "extra-root", value_name = "FILE")]
        extra_roots: Vec<PathBuf>,
        /// Download even if the stored copy has not expired.
        #[arg(long)]
        force: bool,
    },
    /// Show the built-in list (version, age, filters, snapshot or downloaded copy) and the
    /// subscribed lists: where they are stored, when checked, how many filters.
    Status {
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Test hook: the address `serve --builtin-list-url` fetched the built-in list from.
        #[arg(long, value_name = "URL", hide = true, value_parser = values::parse_http_url)]
        builtin_list_url: Option<url::Url>,
    },
}
