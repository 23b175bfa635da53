//! `trackstrip serve --check`: the real binary on the shipped configs and on broken ones. It
//! validates what serve validates (the same errors, exit 2), prints where serve would listen and
//! every effective setting, and binds, makes and fetches nothing. Every run has its own temporary
//! --data-dir and --ca-dir, so nothing touches $HOME.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use toml::{Table, Value};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `trackstrip serve ARGS...`, killed if it is still running after 30 s (a `serve` that started
/// by mistake must fail the test, not hang it).
pub fn serve<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trackstrip"))
        .arg("serve")
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn trackstrip serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("trackstrip serve {args:?} still running after 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("output")
}

/// `serve --check ARGS... --data-dir DIR/data --ca-dir DIR/ca` (each unless ARGS gives it):
/// stdout when it exits 0, else a panic with its stderr.
pub fn check_ok(dir: &Path, args: &[&str]) -> String {
    let out = serve(&with_dirs(dir, args, true));
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "serve --check {args:?}: {stderr}\n{stdout}");
    stdout.into_owned()
}

/// ARGS with `--check` (when asked), and a --data-dir and --ca-dir under `dir` unless given.
pub fn with_dirs(dir: &Path, args: &[&str], check: bool) -> Vec<String> {
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    if check {
        all.push("--check".into());
    }
    for (flag, sub) in [("--data-dir", "data"), ("--ca-dir", "ca")] {
        if !args.contains(&flag) {
            all.extend([flag.to_string(), dir.join(sub).display().to_string()]);
        }
    }
    all
}

/// Every `key = value` of a TOML document, tables flattened into dotted keys.
pub fn flatten(table: &Table) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (key, value) in table {
        match value {
            Value::Table(t) => out.extend(flatten(t).into_iter().map(|(k, v)| (format!("{key}.{k}"), v))),
            v => out.push((key.clone(), v.clone())),
        }
    }
    out
}

fn deploy(name: &str) -> String {
    root().join("deploy").join(name).display().to_string()
}

#[test]
fn the_shipped_configs_check_and_say_where_they_would_listen() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = check_ok(dir.path(), &["--config", &deploy("trackstrip.toml")]);
    for line in [
        "# trackstrip serve --check: valid (",
        "# listen: proxy on 0.0.0.0:3128\n",
        "# listen: admin on 127.0.0.1:9090 ",
        "# proxy: forward ",
        "# interception: on, no CA in ",
        "# access: clients from 10.0.0.0/8; no proxy authentication; CONNECT to ports 443, 8443\n",
        "\nlisten = [\"0.0.0.0:3128\"]\n",
        "\naccess.allow = [\"10.0.0.0/8\"]\n",
    ] {
        assert!(gateway.contains(line), "{line:?} not in:\n{gateway}");
    }

    let docker = check_ok(dir.path(), &["--config", &deploy("docker.toml")]);
    for line in ["# listen: proxy on 0.0.0.0:8080\n", "# listen: admin on 0.0.0.0:9090 ", "\nlogs.format = \"json\"\n"]
    {
        assert!(docker.contains(line), "{line:?} not in:\n{docker}");
    }
    let reverse = check_ok(dir.path(), &["--upstream", "http://127.0.0.1:3000", "--admin", "off", "--no-intercept"]);
    for line in [
        "# listen: proxy on 127.0.0.1:8080\n",
        "# listen: admin off\n",
        "# proxy: reverse, in front of http://127.0.0.1:3000/\n",
        "# interception: off ",
    ] {
        assert!(reverse.contains(line), "{line:?} not in:\n{reverse}");
    }
}

/// A broken config stops `serve --check` with exit 2 and the very message `serve` stops with.
#[test]
fn broken_configs_exit_2_with_the_error_serve_gives() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &[&str])] = &[
        ("key", "[timeouts]\nconect = 5\n", &["gw.toml:2:", "unknown field `conect`", "deploy/trackstrip.toml"]),
        ("cidr", "[access]\nallow = [\"10.0.0.0/33\"]\n", &["gw.toml:2:", "\"10.0.0.0/33\" is not a network"]),
        ("value", "mode = \"strict\"\n", &["gw.toml:1:", "enforce", "report"]),
        ("type", "[timeouts]\nconnect = \"ten\"\n", &["gw.toml:2:"]),
        ("open", "listen = [\"0.0.0.0:3128\"]\n", &["gw.toml:1", "open proxy", "access.allow"]),
        ("clash", "listen = [\"127.0.0.1:9090\"]\n", &["listen 127.0.0.1:9090 and admin 127.0.0.1:9090"]),
        ("rules", "rules = \"/nonexistent/rules\"\n", &["/nonexistent/rules"]),
        ("users", "[access]\nusers = \"USERS\"\n", &["users:1:", "trackstrip user add"]),
    ];
    let users = dir.path().join("users");
    std::fs::write(&users, "not a users line\n").unwrap();
    for (name, text, wanted) in cases {
        let config = dir.path().join("gw.toml");
        std::fs::write(&config, text.replace("USERS", &users.display().to_string())).unwrap();
        let config = config.display().to_string();
        let checked = serve(&with_dirs(dir.path(), &["--config", &config], true));
        let stderr = String::from_utf8_lossy(&checked.stderr);
        assert_eq!(checked.status.code(), Some(2), "{name}: {stderr}");
        assert!(checked.stdout.is_empty(), "{name}: nothing on stdout when invalid");
        for w in *wanted {
            assert!(stderr.contains(w), "{name}: {w:?} not in {stderr}");
        }
        let served = serve(&with_dirs(dir.path(), &["--config", &config], false));
        assert_eq!(served.status.code(), Some(2), "{name}: serve refuses it too");
        // serve's own log lines (at info: "rules loaded"...) may come first.
        let served = String::from_utf8_lossy(&served.stderr);
        let error = served.lines().find(|l| l.starts_with("trackstrip: ")).unwrap_or_default();
        assert_eq!(stderr.trim_end(), error, "{name}: the same message as serve");
    }
    // A CA key that others can read stops serve; --check says so without making anything.
    let ca = dir.path().join("loose-ca");
    let init = Command::new(env!("CARGO_BIN_EXE_trackstrip")).args(["ca", "init", "--ca-dir"]).arg(&ca).output();
    assert!(init.unwrap().status.success());
    let key = ca.join("trackstrip-ca.key");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let out = serve(&with_dirs(dir.path(), &["--ca-dir", &ca.display().to_string()], true));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"), "{out:?}");
}

/// Ports that are taken (by this test) don't matter to --check: it binds nothing, connects to
/// nothing (a subscribed list on a port of ours is not fetched), and leaves the data and CA
/// directories as they were, missing or empty.
#[test]
fn check_binds_makes_and_fetches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let admin = TcpListener::bind("127.0.0.1:0").unwrap();
    let lists = TcpListener::bind("127.0.0.1:0").unwrap();
    let (p, a) = (proxy.local_addr().unwrap().to_string(), admin.local_addr().unwrap().to_string());
    let list_url = format!("http://{}/list.txt", lists.local_addr().unwrap());
    let empty = dir.path().join("empty-data");
    std::fs::create_dir(&empty).unwrap();
    for data in [dir.path().join("data"), empty.clone()] {
        let data_arg = data.display().to_string();
        let out = check_ok(dir.path(), &["--listen", &p, "--admin", &a, "--list", &list_url, "--data-dir", &data_arg]);
        assert!(out.contains(&format!("# listen: proxy on {p}\n")) && out.contains(&format!("admin on {a} ")), "{out}");
        assert!(out.contains(&format!("# list: {list_url}: not downloaded yet")), "{out}");
        assert!(out.contains("# interception: on, no CA in "), "{out}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["empty-data"], "no data or CA directory made");
        assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0, "nothing written in the data dir");
    }
    lists.set_nonblocking(true).unwrap();
    assert!(lists.accept().is_err(), "nobody connected to the subscribed list's server");
    // The listeners are still this test's.
    let client = std::net::TcpStream::connect(&p).unwrap();
    assert_eq!(proxy.accept().unwrap().0.peer_addr().unwrap(), client.local_addr().unwrap());
}

/// Every key deploy/trackstrip.toml sets is in the listing, with the file's value; the whole
/// output is TOML, every key the config knows is listed, and the listing given back as
/// --config lists the same settings.
#[test]
fn every_key_of_the_shipped_config_is_listed_with_its_value_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = deploy("trackstrip.toml");
    let file: Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let out = check_ok(dir.path(), &["--config", &path]);
    let listed: Table = toml::from_str(&out).unwrap_or_else(|e| panic!("not TOML: {e}\n{out}"));
    let listed = flatten(&listed);
    let set = flatten(&file);
    assert!(set.len() > 30, "{set:?}");
    for (key, value) in &set {
        let got = listed.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        assert_eq!(got, Some(value), "{key}: the file says {value}; --check lists:\n{out}");
    }

    // Every key `Settings` knows (serde names them all when it rejects an unknown one) is listed,
    // set or as a `# key is unset` comment.
    let tables = ["", "lists", "access", "intercept", "pac", "timeouts", "limits", "logs", "allow", "privacy", "dns"];
    for table in tables {
        let probe = if table.is_empty() { "no_such_key = 1".into() } else { format!("[{table}]\nno_such_key = 1") };
        let message = toml::from_str::<trackstrip::config::Settings>(&probe).unwrap_err().to_string();
        let expected = message.split("expected").nth(1).unwrap_or_else(|| panic!("{message}"));
        for key in expected.split('`').skip(1).step_by(2) {
            let dotted = if table.is_empty() { key.to_string() } else { format!("{table}.{key}") };
            let is_table = table.is_empty() && tables.contains(&key);
            let shown = out.contains(&format!("\n{dotted} = ")) || out.contains(&format!("\n# {dotted} is unset: "));
            assert!(is_table || shown, "`{dotted}` is not in the --check listing:\n{out}");
        }
    }

    let again = dir.path().join("effective.toml");
    std::fs::write(&again, &out).unwrap();
    let round = check_ok(dir.path(), &["--config", &again.display().to_string()]);
    fn settings(s: &str) -> Vec<&str> {
        s.lines().filter(|l| !l.starts_with("# trackstrip serve --check")).collect()
    }
    assert_eq!(settings(&out), settings(&round), "the listing, given back as the config, means the same");
}
