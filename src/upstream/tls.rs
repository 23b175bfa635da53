//! TLS to origins: webpki roots, the system's roots, and any extra CA the user trusts.
//! Certificates are always verified; there is no switch to turn that off.

use super::UpstreamError;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn root_store(extra: &[PathBuf], system: bool) -> Result<RootCertStore, UpstreamError> {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if system {
        // Unreadable system certificates are skipped: the built-in roots still apply.
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
    }
    for path in extra {
        for cert in read_pem_certs(path)? {
            roots.add(cert).map_err(|e| UpstreamError::BadRoot { path: path.clone(), reason: e.to_string() })?;
        }
    }
    Ok(roots)
}

/// Every certificate in a PEM file; an error if there is none.
pub fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, UpstreamError> {
    let pem = std::fs::read(path).map_err(|source| UpstreamError::ReadRoot { path: path.to_path_buf(), source })?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem).filter_map(Result::ok).collect();
    if certs.is_empty() {
        return Err(UpstreamError::NoCertificate { path: path.to_path_buf() });
    }
    Ok(certs)
}

/// A client config on the ring provider. (ALPN is set by the connector builder, which
/// insists on setting it itself.)
pub fn client_tls_config(roots: RootCertStore) -> Result<rustls::ClientConfig, UpstreamError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| UpstreamError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(cfg)
}
