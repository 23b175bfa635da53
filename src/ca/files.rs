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
/// Both are written to temporary files first, then published: the key without clobbering (a
/// link, which fails if another process published one first: `Ok(false)`, use theirs), then
/// the cert by a rename. A reader sees no CA, a key alone (no CA yet), or both whole.
pub fn write(dir: &Path, cert_pem: &str, key_pem: &str) -> Result<bool, CaError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let (key, cert) = (dir.join(CA_KEY), dir.join(CA_CERT));
    // tempfile makes its files 0600.
    let mut tmp_key = tempfile::Builder::new().prefix(".new-key").tempfile_in(dir).map_err(io(dir))?;
    tmp_key.write_all(key_pem.as_bytes()).and_then(|_| tmp_key.as_file().sync_all()).map_err(io(&key))?;
    let mut tmp_cert = tempfile::Builder::new().prefix(".new-cert").tempfile_in(dir).map_err(io(dir))?;
    tmp_cert.write_all(cert_pem.as_bytes()).map_err(io(&cert))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp_cert.path(), std::fs::Permissions::from_mode(0o644)).map_err(io(&cert))?;
    }
    match tmp_key.persist_noclobber(&key) {
        Ok(_) => {}
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(io(&key)(e.error)),
    }
    tmp_cert.persist(&cert).map_err(|e| io(&cert)(e.error))?;
    Ok(true)
}
