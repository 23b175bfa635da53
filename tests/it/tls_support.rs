//! TLS test kit: a throwaway CA for test origins (trusted by trackstrip through --extra-root),
//! HTTPS origins on loopback (HTTP/1.1 and HTTP/2 by ALPN), and a client that trusts
//! trackstrip's CA.

use crate::proxy_support::Body;
use hyper::body::Incoming;
use hyper::{Request, Response};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A CA that signs test origins' certificates.
pub struct TestCa {
    pub pem: String,
    issuer: rcgen::Issuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
        let cert = params.self_signed(&key).unwrap();
        TestCa { pem: cert.pem(), issuer: rcgen::Issuer::new(params, key) }
    }

    pub fn write(&self, dir: &Path) -> PathBuf {
        let p = dir.join("test-origin-ca.pem");
        std::fs::write(&p, &self.pem).unwrap();
        p
    }

    /// A server config for `host`, offering h2 and http/1.1.
    pub fn server_config(&self, host: &str) -> rustls::ServerConfig {
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec![host.to_string()]).unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], der)
            .unwrap();
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        cfg
    }
}

/// An HTTPS origin for `host` on 127.0.0.1 (HTTP/1.1 and HTTP/2), counting TLS handshakes.
pub struct TlsOrigin {
    pub addr: SocketAddr,
    pub handshakes: Arc<AtomicUsize>,
}

impl TlsOrigin {
    pub async fn start<F, Fut>(ca: &TestCa, host: &str, handler: F) -> TlsOrigin
    where
        F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response<Body>> + Send + 'static,
    {
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(ca.server_config(host)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handshakes = Arc::new(AtomicUsize::new(0));
        let (h, handler) = (handshakes.clone(), Arc::new(handler));
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                let (acceptor, h, handler) = (acceptor.clone(), h.clone(), handler.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    h.fetch_add(1, Ordering::SeqCst);
                    let svc = hyper::service::service_fn(move |req| {
                        let handler = handler.clone();
                        async move { Ok::<_, Infallible>(handler(req).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection_with_upgrades(hyper_util::rt::TokioIo::new(tls), svc)
                        .await;
                });
            }
        });
        TlsOrigin { addr, handshakes }
    }
}

/// A client through `proxy` that trusts only `root` (PEM).
pub fn client_trusting(proxy: SocketAddr, root_pem: &str, http1_only: bool) -> reqwest::Client {
    crate::proxy_support::install_crypto();
    let cert = reqwest::Certificate::from_pem(root_pem.as_bytes()).unwrap();
    let mut b = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(format!("http://{proxy}")).unwrap())
        .tls_certs_only([cert])
        .timeout(std::time::Duration::from_secs(20));
    if http1_only {
        b = b.http1_only();
    }
    b.build().unwrap()
}

pub fn pem_der(pem: &str) -> CertificateDer<'static> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
}
