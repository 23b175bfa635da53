//! Proxy authentication: a users file of `name:$argon2id$...` lines (what `trackstrip user
//! add` writes, mode 0600), checked against `Proxy-Authorization: Basic`. Argon2 is slow on
//! purpose, so a verified header is remembered (by its SHA-256, never in clear) for a while.

use arc_swap::ArcSwap;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("{path}: cannot read the users file: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot write the users file: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Invalid { path: PathBuf, line: usize, message: String },
    #[error("user name {0:?}: use letters, digits, '.', '_', '-' or '@' (no ':' or spaces)")]
    BadName(String),
    #[error("hashing the password failed: {0}")]
    Hash(String),
}

/// How long a verified `Proxy-Authorization` value is trusted without hashing again.
const CACHE_FOR: Duration = Duration::from_secs(600);
const CACHE_MAX: usize = 10_000;

/// SHA-256 of a verified header value → the user and when it was verified.
type Verified = HashMap<[u8; 32], (Arc<str>, Instant)>;

pub struct Users {
    path: PathBuf,
    table: ArcSwap<HashMap<String, String>>,
    verified: Mutex<Verified>,
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Users").field("path", &self.path).field("count", &self.table.load().len()).finish()
    }
}

impl Users {
    pub fn load(path: &Path) -> Result<Users, UsersError> {
        let table = read_table(path)?;
        Ok(Users { path: path.to_path_buf(), table: ArcSwap::from_pointee(table), verified: Mutex::default() })
    }

    /// Reads the file again (SIGHUP); a broken file keeps the users already loaded.
    pub fn reload(&self) -> Result<usize, UsersError> {
        let table = read_table(&self.path)?;
        let n = table.len();
        self.table.store(Arc::new(table));
        self.cache().clear();
        Ok(n)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many users the file held when last read (a missing file holds none).
    pub fn len(&self) -> usize {
        self.table.load().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The user a `Proxy-Authorization` value proves, if it proves one.
    pub async fn verify(self: &Arc<Self>, header: Option<&http::HeaderValue>) -> Option<Arc<str>> {
        let value = header?.as_bytes();
        let key: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, value).as_ref().try_into().ok()?;
        if let Some((user, at)) = self.cache().get(&key)
            && at.elapsed() < CACHE_FOR
        {
            return Some(user.clone());
        }
        let (name, password) = parse_basic(value)?;
        let hash = self.table.load().get(&name).cloned();
        let users = self.clone();
        let ok = tokio::task::spawn_blocking(move || check_password(hash.as_deref(), &password)).await.ok()?;
        if !ok {
            return None;
        }
        let user: Arc<str> = Arc::from(name.as_str());
        let mut cache = users.cache();
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(key, (user.clone(), Instant::now()));
        Some(user)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Verified> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `Basic base64(name:password)` → (name, password).
fn parse_basic(value: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let (scheme, rest) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (name, password) = decoded.split_once(':')?;
    Some((name.to_string(), password.to_string()))
}

/// Checks a password against a stored hash; an unknown user costs the same time.
fn check_password(hash: Option<&str>, password: &str) -> bool {
    // "No such user" must not answer faster than "wrong password".
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("trackstrip-dummy").unwrap_or_default());
    let Ok(parsed) = PasswordHash::new(hash.unwrap_or(dummy)) else {
        return false;
    };
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && hash.is_some()
}

/// An argon2id PHC string for `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, UsersError> {
    let mut salt = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt)
        .map_err(|_| UsersError::Hash("no randomness available".into()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| UsersError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UsersError::Hash(e.to_string()))
}

fn read_table(path: &Path) -> Result<HashMap<String, String>, UsersError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(UsersError::Read { path: path.to_path_buf(), source }),
    };
    parse_table(path, &text)
}

fn parse_table(path: &Path, text: &str) -> Result<HashMap<String, String>, UsersError> {
    let mut table = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let invalid = |message: String| UsersError::Invalid { path: path.to_path_buf(), line: i + 1, message };
        let Some((name, hash)) = line.split_once(':') else {
            return Err(invalid("expected name:$argon2id$... (make lines with `trackstrip user add NAME`)".into()));
        };
        valid_name(name).map_err(|e| invalid(e.to_string()))?;
        PasswordHash::new(hash).map_err(|e| invalid(format!("not an argon2 password hash: {e}")))?;
        table.insert(name.to_string(), hash.to_string());
    }
    Ok(table)
}

fn valid_name(name: &str) -> Result<(), UsersError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok { Ok(()) } else { Err(UsersError::BadName(name.to_string())) }
}

/// Adds or replaces a user. Returns true when the user already existed. The file is
/// rewritten atomically, mode 0600.
pub fn set_user(path: &Path, name: &str, password: &str) -> Result<bool, UsersError> {
    valid_name(name)?;
    let text = read_text(path)?;
    parse_table(path, &text)?;
    let hash = hash_password(password)?;
    let (mut lines, existed) = without(&text, name);
    lines.push(format!("{name}:{hash}"));
    write_private(path, &lines)?;
    Ok(existed)
}

/// Removes a user. Returns false when there was none.
pub fn remove_user(path: &Path, name: &str) -> Result<bool, UsersError> {
    let text = read_text(path)?;
    let (lines, existed) = without(&text, name);
    if existed {
        write_private(path, &lines)?;
    }
    Ok(existed)
}

fn read_text(path: &Path) -> Result<String, UsersError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(UsersError::Read { path: path.to_path_buf(), source }),
    }
}

fn without(text: &str, name: &str) -> (Vec<String>, bool) {
    let mut existed = false;
    let lines = text
        .lines()
        .filter(|l| {
            let same = l.split_once(':').is_some_and(|(n, _)| n.trim() == name);
            existed |= same;
            !same
        })
        .map(str::to_string)
        .collect();
    (lines, existed)
}

fn write_private(path: &Path, lines: &[String]) -> Result<(), UsersError> {
    let err = |source| UsersError::Write { path: path.to_path_buf(), source };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let tmp = dir.join(format!(".{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("users")));
    let mut body = lines.join("\n");
    body.push('\n');
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp).map_err(err)?;
        f.write_all(body.as_bytes()).and_then(|_| f.sync_all()).map_err(err)?;
    }
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn add_verify_remove() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users");
        assert!(!set_user(&path, "ada", "correct horse").unwrap());
        assert!(set_user(&path, "ada", "battery staple").unwrap(), "replacing says so");
        set_user(&path, "bob", "pw").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let users = Arc::new(Users::load(&path).unwrap());
        let basic = |s: &str| {
            http::HeaderValue::from_str(&format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s)))
                .unwrap()
        };
        assert_eq!(users.verify(Some(&basic("ada:battery staple"))).await.as_deref(), Some("ada"));
        assert_eq!(users.verify(Some(&basic("ada:battery staple"))).await.as_deref(), Some("ada"), "cached");
        assert!(users.verify(Some(&basic("ada:correct horse"))).await.is_none(), "the old password is gone");
        assert!(users.verify(Some(&basic("eve:pw"))).await.is_none());
        assert!(users.verify(None).await.is_none());
        assert!(remove_user(&path, "bob").unwrap());
        users.reload().unwrap();
        assert!(users.verify(Some(&basic("bob:pw"))).await.is_none());
        assert!(matches!(set_user(&path, "a:b", "x"), Err(UsersError::BadName(_))));
    }

    #[test]
    fn a_bad_line_is_reported_with_its_number() {
        let e = parse_table(Path::new("users"), "# team\nada:plaintext-password\n").unwrap_err().to_string();
        assert!(e.starts_with("users:2:"), "{e}");
    }
}
