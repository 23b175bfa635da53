//! Site certificates, made on demand and cached: a cache hit signs nothing. All leaves share
//! one ECDSA P-256 key made at start (as mitmproxy does), so a new site costs one signature.

use super::{CaError, LocalCa};
use lru::LruCache;
use rcgen::{CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose, SanType};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a cached leaf is used before a fresh one is made (it is valid for longer).
const REFRESH: Duration = Duration::from_secs(7 * 24 * 3600);

impl std::fmt::Debug for LeafCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LeafCache({}, {} signed)", self.ca.dir.display(), self.signatures())
    }
}

pub struct LeafCache {
    ca: Arc<LocalCa>,
    key: KeyPair,
    cache: Mutex<LruCache<String, (Arc<ServerConfig>, Instant)>>,
    signed: AtomicUsize,
}

impl LeafCache {
    pub fn new(ca: Arc<LocalCa>, capacity: usize) -> Result<LeafCache, CaError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| CaError::Leaf { host: "*".into(), reason: e.to_string() })?;
        let cap = NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        Ok(LeafCache { ca, key, cache: Mutex::new(LruCache::new(cap)), signed: AtomicUsize::new(0) })
    }

    pub fn ca(&self) -> &LocalCa {
        &self.ca
    }

    /// How many certificates were signed so far (cache misses).
    pub fn signatures(&self) -> usize {
        self.signed.load(Ordering::Relaxed)
    }

    /// The TLS config to present for `host` (a DNS name or an IP literal).
    pub fn config_for(&self, host: &str) -> Result<Arc<ServerConfig>, CaError> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some((cfg, made)) = self.lock().get(&host)
            && made.elapsed() < REFRESH
        {
            return Ok(cfg.clone());
        }
        let cfg = Arc::new(self.make(&host)?);
        self.lock().put(host, (cfg.clone(), Instant::now()));
        Ok(cfg)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, (Arc<ServerConfig>, Instant)>> {
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn make(&self, host: &str) -> Result<ServerConfig, CaError> {
        let err = |reason: String| CaError::Leaf { host: host.to_string(), reason };
        let mut params = CertificateParams::default();
        params.subject_alt_names = vec![match host.trim_matches(['[', ']']).parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(host.to_string().try_into().map_err(|e: rcgen::Error| err(e.to_string()))?),
        }];
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, host);
        dn.push(DnType::OrganizationName, "trackstrip");
        params.distinguished_name = dn;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(90);
        let cert = params.signed_by(&self.key, self.ca.issuer()).map_err(|e| err(e.to_string()))?;
        self.signed.fetch_add(1, Ordering::Relaxed);
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()));
        let chain = vec![cert.der().clone(), self.ca.cert_der.clone()];
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| err(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| err(e.to_string()))?;
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(cfg)
    }
}
