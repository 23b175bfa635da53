//! The local certificate authority that lets trackstrip see inside HTTPS: made once, kept in
//! the data directory (the key readable by its owner only), and used to sign a certificate for
//! each site the browser visits through the proxy.

mod files;
mod leaf;

pub use files::{CA_CERT, CA_KEY, default_dir};
pub use leaf::LeafCache;

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::CertificateDer;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} can be read by other users (mode {mode:o}); the CA key must be private: run `chmod 600 {path}`")]
    KeyPermissions { path: PathBuf, mode: u32 },
    #[error("no CA in {dir}: run `trackstrip ca init` (or `trackstrip serve`, which makes one)")]
    Missing { dir: PathBuf },
    #[error("{path}: not a usable {what}: {reason}")]
    Invalid { path: PathBuf, what: &'static str, reason: String },
    #[error("cannot make a certificate for {host:?}: {reason}")]
    Leaf { host: String, reason: String },
}

/// The CA: its certificate (to send with every leaf, and to export) and its signing key.
pub struct LocalCa {
    pub dir: PathBuf,
    pub cert_pem: String,
    pub cert_der: CertificateDer<'static>,
    issuer: rcgen::Issuer<'static, KeyPair>,
}

impl LocalCa {
    /// Loads the CA from `dir`, making it first if there is none. Returns whether it was made.
    pub fn load_or_create(dir: &Path) -> Result<(LocalCa, bool), CaError> {
        match LocalCa::load(dir) {
            Ok(ca) => return Ok((ca, false)),
            Err(CaError::Missing { .. }) => {}
            Err(e) => return Err(e),
        }
        if let Some(ca) = LocalCa::create_new(dir)? {
            return Ok((ca, true));
        }
        // Another process made one first (two first starts at once): wait for its certificate,
        // published a moment after its key.
        for _ in 0..100 {
            match LocalCa::load(dir) {
                Err(CaError::Missing { .. }) => std::thread::sleep(std::time::Duration::from_millis(20)),
                other => return other.map(|ca| (ca, false)),
            }
        }
        LocalCa::load(dir).map(|ca| (ca, false))
    }

    pub fn load(dir: &Path) -> Result<LocalCa, CaError> {
        let (cert_pem, key_pem) = files::read(dir)?;
        let key_path = dir.join(CA_KEY);
        let key = KeyPair::from_pem(&key_pem).map_err(|e| CaError::Invalid {
            path: key_path.clone(),
            what: "private key",
            reason: e.to_string(),
        })?;
        let cert_path = dir.join(CA_CERT);
        let issuer = rcgen::Issuer::from_ca_cert_pem(&cert_pem, key).map_err(|e| CaError::Invalid {
            path: cert_path.clone(),
            what: "CA certificate",
            reason: e.to_string(),
        })?;
        let cert_der = pem_to_der(&cert_pem).ok_or_else(|| CaError::Invalid {
            path: cert_path,
            what: "CA certificate",
            reason: "no PEM certificate".into(),
        })?;
        Ok(LocalCa { dir: dir.to_path_buf(), cert_pem, cert_der, issuer })
    }

    /// Makes a new CA in `dir`, which must have none (an error names the key that is there).
    pub fn create(dir: &Path) -> Result<LocalCa, CaError> {
        LocalCa::create_new(dir)?
            .ok_or_else(|| CaError::Io { path: dir.join(CA_KEY), source: std::io::ErrorKind::AlreadyExists.into() })
    }

    /// Makes a new CA: ECDSA P-256, valid 10 years, CA:true with path length 0 (it can sign
    /// sites, never another CA), named for trackstrip and this machine. None if another
    /// process published one in `dir` first.
    fn create_new(dir: &Path) -> Result<Option<LocalCa>, CaError> {
        let invalid = |reason: String| CaError::Invalid { path: dir.join(CA_CERT), what: "new CA", reason };
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| invalid(e.to_string()))?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, format!("trackstrip local CA ({})", machine_name()));
        dn.push(DnType::OrganizationName, "trackstrip");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(3650);
        let cert = params.self_signed(&key).map_err(|e| invalid(e.to_string()))?;
        if !files::write(dir, &cert.pem(), &key.serialize_pem())? {
            return Ok(None);
        }
        LocalCa::load(dir).map(Some)
    }

    pub fn cert_path(&self) -> PathBuf {
        self.dir.join(CA_CERT)
    }

    pub(crate) fn issuer(&self) -> &rcgen::Issuer<'static, KeyPair> {
        &self.issuer
    }
}

fn pem_to_der(pem: &str) -> Option<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem.as_bytes()).next()?.ok()
}

/// This machine's name, for the CA's name (so a user who trusts several can tell them apart).
fn machine_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "this machine".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Several first starts at once in one empty directory: one makes the CA, every other one
    /// waits for it and loads it; nobody fails, and they all hold the same certificate.
    #[test]
    fn first_starts_at_once_share_one_ca() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca");
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| LocalCa::load_or_create(&path))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let made = results.iter().filter(|r| matches!(r, Ok((_, true)))).count();
        assert_eq!(
            made,
            1,
            "one made it: {:?}",
            results.iter().map(|r| r.as_ref().map(|x| x.1).map_err(|e| e.to_string())).collect::<Vec<_>>()
        );
        let certs: std::collections::BTreeSet<_> =
            results.into_iter().map(|r| r.expect("every start gets the CA").0.cert_pem).collect();
        assert_eq!(certs.len(), 1, "the same CA for all");
        let left: Vec<_> = std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 2, "no temporary files left: {left:?}");
        assert!(LocalCa::create(&path).is_err(), "create refuses a directory that has a CA");
    }
}
