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
            Ok(ca) => Ok((ca, false)),
            Err(CaError::Missing { .. }) => Ok((LocalCa::create(dir)?, true)),
            Err(e) => Err(e),
        }
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

    /// Makes a new CA: ECDSA P-256, valid 10 years, CA:true with path length 0 (it can sign
    /// sites, never another CA), named for trackstrip and this machine.
    pub fn create(dir: &Path) -> Result<LocalCa, CaError> {
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
        files::write(dir, &cert.pem(), &key.serialize_pem())?;
        LocalCa::load(dir)
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
