//! Every `serve` flag, through `serve --check`: each sets the config key its help names, to the
//! value the table says, and nothing else; and flags win over the config file, key by key,
//! while the keys no flag touches keep the file's values.

use crate::serve_check::{check_ok, flatten};
use std::collections::BTreeSet;
use std::process::Command;

/// Flag → the arguments given (`{tmp}` is a temporary directory holding the files they name)
/// → the lines expected. A `key = value` line must be one of exactly those settings lines that
/// differ from the defaults; a `# ...` line must be in the summary. A flag `serve --help` lists
/// that has no row here fails the test: give a new flag its row.
const ROWS: &[(&str, &[&str], &[&str])] = &[
    ("--log-format", &["--log-format", "json"], &["logs.format = \"json\""]),
    (
        "--listen",
        &["--listen", "127.0.0.1:18080", "--listen", "[::1]:18080"],
        &["listen = [\"127.0.0.1:18080\", \"[::1]:18080\"]", "# listen: proxy on [::1]:18080"],
    ),
    (
        "--upstream",
        &["--upstream", "http://127.0.0.1:3000"],
        &["upstream = \"http://127.0.0.1:3000/\"", "# proxy: reverse, in front of http://127.0.0.1:3000/"],
    ),
    ("--rules", &["--rules", "{tmp}/rules"], &["rules = \"{tmp}/rules\""]),
    (
        "--list",
        &["--list", "{tmp}/mine.txt", "--list", "https://lists.example/l.txt"],
        &[
            "lists.add = [\"{tmp}/mine.txt\", \"https://lists.example/l.txt\"]",
            "# list: mine.txt ({tmp}/mine.txt), 1 filters",
        ],
    ),
    ("--no-builtin-lists", &["--no-builtin-lists"], &["lists.builtin = false"]),
    ("--no-list-update", &["--no-list-update"], &["lists.update = false"]),
    ("--data-dir", &["--data-dir", "{tmp}/elsewhere"], &["data_dir = \"{tmp}/elsewhere\""]),
    (
        "--resolve",
        &["--resolve", "news.test=127.0.0.1", "--resolve", "*=127.0.0.1:8081"],
        &["resolve = [\"news.test=127.0.0.1\", \"*=127.0.0.1:8081\"]"],
    ),
    (
        "--dns-server",
        &["--dns-server", "127.0.0.1:5353", "--dns-server", "::1"],
        &["dns.servers = [\"127.0.0.1:5353\", \"[::1]:53\"]"],
    ),
    ("--dns-timeout", &["--dns-timeout", "250"], &["dns.timeout_ms = 250"]),
    ("--no-uncloak", &["--no-uncloak"], &["dns.uncloak = false"]),
    (
        "--extra-root",
        &["--extra-root", "{tmp}/root/trackstrip-ca.pem"],
        &["extra_roots = [\"{tmp}/root/trackstrip-ca.pem\"]"],
    ),
    ("--report-only", &["--report-only"], &["mode = \"report\""]),
    ("--no-header", &["--no-header"], &["header = false"]),
    ("--no-gpc", &["--no-gpc"], &["privacy.gpc = false"]),
    ("--dnt", &["--dnt"], &["privacy.dnt = true"]),
    ("--keep-social", &["--keep-social"], &["social = \"keep\""]),
    ("--workers", &["--workers", "3"], &["workers = 3"]),
    ("--no-watch", &["--no-watch"], &["watch = false"]),
    ("--admin", &["--admin", "off"], &["admin = \"off\"", "# listen: admin off"]),
    (
        "--allow",
        &["--allow", "192.168.0.0/16", "--allow", "10.1.2.3"],
        &["access.allow = [\"192.168.0.0/16\", \"10.1.2.3/32\"]"],
    ),
    ("--users", &["--users", "{tmp}/users"], &["access.users = \"{tmp}/users\""]),
    ("--connect-port", &["--connect-port", "8443"], &["access.connect_ports = [8443]"]),
    ("--allow-target", &["--allow-target", "169.254.169.254"], &["access.allow_targets = [\"169.254.169.254/32\"]"]),
    ("--no-intercept", &["--no-intercept"], &["intercept.enabled = false", "# interception: off"]),
    ("--ca-dir", &["--ca-dir", "{tmp}/other-ca"], &["intercept.ca_dir = \"{tmp}/other-ca\""]),
    ("--skip-intercept", &["--skip-intercept", "Bank.Example."], &["intercept.skip = [\"bank.example\"]"]),
    ("--pac-proxy", &["--pac-proxy", "proxy.corp.example:3128"], &["pac.proxy = \"proxy.corp.example:3128\""]),
    (
        "--pac-bypass",
        &["--pac-bypass", "<local>", "--pac-bypass", "10.0.0.0/8"],
        &["pac.bypass = [\"<local>\", \"10.0.0.0/8\"]"],
    ),
    ("--connect-timeout", &["--connect-timeout", "3"], &["timeouts.connect = 3"]),
    ("--response-timeout", &["--response-timeout", "4"], &["timeouts.response = 4"]),
    ("--idle-timeout", &["--idle-timeout", "5"], &["timeouts.body_idle = 5"]),
    ("--header-read-timeout", &["--header-read-timeout", "6"], &["timeouts.header_read = 6"]),
    ("--client-idle-timeout", &["--client-idle-timeout", "7"], &["timeouts.client_idle = 7"]),
    ("--shutdown-grace", &["--shutdown-grace", "8"], &["timeouts.shutdown_grace = 8"]),
    ("--max-connections", &["--max-connections", "9"], &["limits.max_connections = 9"]),
    ("--max-header-bytes", &["--max-header-bytes", "16384"], &["limits.max_header_bytes = 16384"]),
    ("--truncate-client-ip", &["--truncate-client-ip"], &["logs.truncate_client_ip = true"]),
    ("--allow-site", &["--allow-site", "Intranet.Example"], &["allow.sites = [\"intranet.example\"]"]),
    ("--allow-host", &["--allow-host", "cdn.example"], &["allow.hosts = [\"cdn.example\"]"]),
];

/// Not settings: --help prints help, --config names the file the others override, --check is
/// what this test runs.
const NOT_SETTINGS: &[&str] = &["--help", "--config", "--check"];

/// Each flag `serve --help` defines, with its help text (continuation lines joined).
fn serve_flags() -> Vec<(String, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_trackstrip")).args(["serve", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let mut flags: Vec<(String, String)> = Vec::new();
    for line in help.lines().skip_while(|l| l.trim() != "Options:").skip(1) {
        let trimmed = line.trim_start();
        if trimmed.starts_with('-') {
            let mut found = crate::docs::defined_flags(trimmed);
            let flag = found.next().unwrap_or_else(|| panic!("no flag in {line:?}"));
            flags.push((flag, trimmed.to_string()));
        } else if let Some((_, text)) = flags.last_mut() {
            text.push(' ');
            text.push_str(line.trim());
        }
    }
    flags
}

/// The config key a flag's help names in brackets: `key`, or `key = value` (the `; default`
/// part left off); None when it names none.
fn documented_key(help: &str) -> Option<String> {
    help.split('[').skip(1).filter_map(|b| b.split(']').next()).find_map(|inside| {
        let doc = inside.split(';').next()?.trim();
        let key = doc.split(" = ").next()?;
        let is_key = !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
        is_key.then(|| doc.to_string())
    })
}

/// The `key = value` lines of a --check listing (its comments left out).
fn settings(listing: &str) -> BTreeSet<String> {
    listing.lines().filter(|l| !l.starts_with('#') && l.contains(" = ")).map(str::to_string).collect()
}

#[test]
fn every_serve_flag_sets_the_key_its_help_names() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().display().to_string();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("mine.txt"), "! Title: mine\n||tracker.mine.example^\n").unwrap();
    std::fs::write(dir.path().join("users"), "").unwrap();
    let root = dir.path().join("root");
    let init = Command::new(env!("CARGO_BIN_EXE_trackstrip")).args(["ca", "init", "--ca-dir"]).arg(&root).output();
    assert!(init.unwrap().status.success());

    let flags = serve_flags();
    assert!(flags.len() > 40, "{flags:?}");
    let covered: BTreeSet<&str> = ROWS.iter().map(|r| r.0).collect();
    let listed: BTreeSet<&str> = flags.iter().map(|f| f.0.as_str()).collect();
    let missing: Vec<&&str> = listed.iter().filter(|f| !covered.contains(**f) && !NOT_SETTINGS.contains(f)).collect();
    assert!(missing.is_empty(), "serve --help lists flags with no row in ROWS: {missing:?}");
    let stale: Vec<&&str> = covered.iter().filter(|f| !listed.contains(**f)).collect();
    assert!(stale.is_empty(), "ROWS has flags serve --help doesn't list: {stale:?}");

    let defaults = settings(&check_ok(dir.path(), &[]));
    for (flag, help) in flags.iter().filter(|f| !NOT_SETTINGS.contains(&f.0.as_str())) {
        let (_, args, expected) = ROWS.iter().find(|r| r.0 == flag).unwrap_or_else(|| panic!("{flag}"));
        let args: Vec<String> = args.iter().map(|a| a.replace("{tmp}", &tmp)).collect();
        let expected: Vec<String> = expected.iter().map(|e| e.replace("{tmp}", &tmp)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = check_ok(dir.path(), &args);

        let changed: BTreeSet<String> = settings(&out).difference(&defaults).cloned().collect();
        let wanted: BTreeSet<String> = expected.iter().filter(|e| !e.starts_with('#')).cloned().collect();
        assert_eq!(changed, wanted, "{flag}: the settings that differ from the defaults\n{out}");
        for summary in expected.iter().filter(|e| e.starts_with('#')) {
            assert!(out.contains(summary.as_str()), "{flag}: {summary:?} not in\n{out}");
        }

        let doc = documented_key(help).unwrap_or_else(|| panic!("{flag}: its help names no [config key]: {help}"));
        let key = doc.split(" = ").next().unwrap_or_default();
        assert!(wanted.iter().any(|w| w.starts_with(&format!("{key} = "))), "{flag} is documented as [{doc}]");
        if doc.contains(" = ") {
            assert!(wanted.contains(&doc), "{flag} is documented as [{doc}], sets {wanted:?}");
        }
    }
}

const CONFIG: &str = r#"
listen = ["127.0.0.1:18081"]
admin = "127.0.0.1:19091"
upstream = "http://127.0.0.1:3000/"
mode = "enforce"
header = true
social = "placeholder"
[access]
allow = ["10.0.0.0/8"]
[timeouts]
connect = 11
response = 31
[dns]
timeout_ms = 500
[intercept]
skip = ["bank.example"]
"#;

/// Each flag alone wins over the file for its key and leaves every other key as the file says;
/// all together, likewise; a repeatable flag replaces the file's list (it doesn't add to it).
#[test]
fn flags_override_the_config_file_key_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gw.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let config = config.display().to_string();
    let overrides: &[(&[&str], &str, &str)] = &[
        (&["--listen", "127.0.0.1:18082"], "listen", "[\"127.0.0.1:18082\"]"),
        (&["--admin", "off"], "admin", "\"off\""),
        (&["--upstream", "https://origin.example"], "upstream", "\"https://origin.example/\""),
        (&["--report-only"], "mode", "\"report\""),
        (&["--no-header"], "header", "false"),
        (&["--keep-social"], "social", "\"keep\""),
        (&["--allow", "192.168.0.0/16"], "access.allow", "[\"192.168.0.0/16\"]"),
        (&["--connect-timeout", "3"], "timeouts.connect", "3"),
        (&["--dns-timeout", "250"], "dns.timeout_ms", "250"),
        (&["--skip-intercept", "other.example"], "intercept.skip", "[\"other.example\"]"),
    ];
    let file: toml::Table = toml::from_str(CONFIG).unwrap();
    let from_file: Vec<String> = flatten(&file).into_iter().map(|(k, v)| format!("{k} = {v}")).collect();
    let plain = settings(&check_ok(dir.path(), &["--config", &config]));
    for line in &from_file {
        assert!(plain.contains(line), "without flags, the file's {line:?}: {plain:?}");
    }

    let mut all_args = vec!["--config", config.as_str()];
    for (args, key, value) in overrides {
        let mut with = vec!["--config", config.as_str()];
        with.extend_from_slice(args);
        all_args.extend_from_slice(args);
        let got = settings(&check_ok(dir.path(), &with));
        assert!(got.contains(&format!("{key} = {value}")), "{args:?} wins over the file: {got:?}");
        for line in from_file.iter().filter(|l| !l.starts_with(&format!("{key} = "))) {
            assert!(got.contains(line), "{args:?} leaves the file's {line:?}: {got:?}");
        }
    }
    let got = settings(&check_ok(dir.path(), &all_args));
    for (_, key, value) in overrides {
        assert!(got.contains(&format!("{key} = {value}")), "all flags at once: {key}: {got:?}");
    }
    assert!(got.contains("timeouts.response = 31"), "no flag given for it: the file's value stays: {got:?}");

    // A switch only turns its feature off (--dnt on): without it the file's value stands.
    let off = dir.path().join("off.toml");
    std::fs::write(&off, "header = false\nsocial = \"keep\"\nmode = \"report\"\n[privacy]\ngpc = false\ndnt = true\n")
        .unwrap();
    let got = settings(&check_ok(dir.path(), &["--config", &off.display().to_string(), "--dnt"]));
    for line in
        ["header = false", "social = \"keep\"", "mode = \"report\"", "privacy.gpc = false", "privacy.dnt = true"]
    {
        assert!(got.contains(line), "{line}: {got:?}");
    }
}
