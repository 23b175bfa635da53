//! The command line, as clap sees it. Commands turn these raw flags into typed options.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "trackstrip", version, about = "Strips trackers from web pages as they stream through")]
pub struct Cli {
    /// Log line format (logs go to stderr; RUST_LOG sets the level).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
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
    Serve(ServeArgs),
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
    /// A page: a file, `-` for stdin, or an http(s) URL.
    #[arg(value_name = "FILE|URL|-")]
    pub target: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (repeatable; IPv6 as [::1]:8080).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: Vec<String>,
    /// Reverse proxy: front this origin (http:// or https://) instead of being a forward proxy.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Pin a host to an address, like curl's --resolve (repeatable): news.test=127.0.0.1.
    #[arg(long = "resolve", value_name = "HOST=ADDR")]
    pub resolve: Vec<String>,
    /// Trust this PEM CA certificate for upstream TLS, besides the built-in and system roots.
    #[arg(long = "extra-root", value_name = "FILE")]
    pub extra_roots: Vec<PathBuf>,
    /// Strip and block nothing; log and count what would be done.
    #[arg(long)]
    pub report_only: bool,
    /// Don't add X-Trackstrip headers and trailers to responses.
    #[arg(long)]
    pub no_header: bool,
    /// Seconds to wait for a connection to an origin.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub connect_timeout: u64,
    /// Seconds to wait for an origin's response headers.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub response_timeout: u64,
    /// Seconds of silence allowed inside a response body.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub idle_timeout: u64,
    /// Largest request head (request line plus headers) accepted, in bytes.
    #[arg(long, default_value_t = 64 * 1024, value_name = "BYTES")]
    pub max_header_bytes: usize,
    /// Don't intercept HTTPS: every CONNECT is a blind tunnel (nothing over HTTPS is stripped).
    #[arg(long)]
    pub no_intercept: bool,
    /// Never intercept this host or its subdomains (repeatable), besides rules/skip-intercept.toml.
    #[arg(long = "skip-intercept", value_name = "HOST")]
    pub skip_intercept: Vec<String>,
    #[command(flatten)]
    pub ca: CaDir,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub shutdown_grace: u64,
}
