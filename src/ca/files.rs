//! The CA's two files: the certificate (public, to trust) and the key (0600, refused if looser).

use super::CaError;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const CA_CERT: &str = "trackstrip-ca.pem";
pub const CA_KEY: &str = "trackstrip-ca.key";

/// `$XDG_DATA_HOME/trackstrip`, else `~/.local/share/trackstrip`, else `./trackstrip-data`.
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("trackstrip");
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/trackstrip"),
        None => PathBuf::from("trackstrip-data"),
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CaError + '_ {
    move |source| CaError::Io { path: path.to_path_buf(), source }
}

/// Reads (cert PEM, key PEM), checking the key's permissions first.
pub fn read(dir: &Path) -> Result<(String, String), CaError> {
    let (cert, key) = (dir.join(CA_CERT), dir.join(CA_KEY));
    if !cert.exists() || !key.exists() {
        return Err(CaError::Missing { dir: dir.to_path_buf() });
    }
    check_private(&key)?;
    let cert_pem = std::fs::read_to_string(&cert).map_err(io(&cert))?;
    let key_pem = std::fs::read_to_string(&key).map_err(io(&key))?;
    Ok((cert_pem, key_pem))
}

#[cfg(unix)]
fn check_private(key: &Path) -> Result<(), CaError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(key).map_err(io(key))?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CaError::KeyPermissions { path: key.to_path_buf(), mode });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_key: &Path) -> Result<(), CaError> {
    Ok(())
}

/// Writes a new CA: the directory 0700, the key 0600 (created so, never widened), the cert 0644.
/// Both are written under temporary names first, then published: the key by a hard link, which
/// fails if another process published one first (`Ok(false)`: use theirs), then the cert by a
/// rename. A reader sees no CA, a key alone (no CA yet), or both whole; never half a file.
pub fn write(dir: &Path, cert_pem: &str, key_pem: &str) -> Result<bool, CaError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        opts.mode(0o600);
    }
    let tag = format!(".new-{}-{:x}", std::process::id(), rand_tag());
    let (key, cert) = (dir.join(CA_KEY), dir.join(CA_CERT));
    let (tmp_key, tmp_cert) = (dir.join(format!("{CA_KEY}{tag}")), dir.join(format!("{CA_CERT}{tag}")));
    let written = (|| {
        let mut f = opts.open(&tmp_key).map_err(io(&tmp_key))?;
        f.write_all(key_pem.as_bytes()).and_then(|_| f.sync_all()).map_err(io(&tmp_key))?;
        std::fs::write(&tmp_cert, cert_pem).map_err(io(&tmp_cert))?;
        match std::fs::hard_link(&tmp_key, &key) {
            Ok(()) => std::fs::rename(&tmp_cert, &cert).map(|_| true).map_err(io(&cert)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(io(&key)(e)),
        }
    })();
    let _ = std::fs::remove_file(&tmp_key);
    let _ = std::fs::remove_file(&tmp_cert);
    written
}

/// A few random bits for temporary names (several threads of one process may race too).
fn rand_tag() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.finish()
}
