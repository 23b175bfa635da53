//! HTTPS interception: after CONNECT, the browser's TLS handshake is answered with a
//! certificate for the site signed by the local CA, and the decrypted requests go through the
//! same service as plain HTTP (blocking, stripping, audit). Upstream TLS is a separate,
//! fully verified connection made by the pooled client.

use super::ProxyState;
use super::connect::Conn;
use super::service::{self, ConnContext};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::LazyConfigAcceptor;

/// Terminates TLS from the client for `host:port` and serves HTTP/1.1 or HTTP/2 inside.
///
/// A plain function returning a boxed future: the service it runs can come back here (a
/// CONNECT inside a tunnel), and a named future type breaks that cycle for the compiler.
pub fn serve_tls<IO>(
    state: Arc<ProxyState>,
    conn: Conn,
    io: IO,
) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    Box::pin(async move {
        let leaves = state.leaves.clone().ok_or("interception is off")?;
        let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), io)
            .await
            .map_err(|e| format!("reading the ClientHello: {e}"))?;
        // The certificate names what the browser asked for (SNI); without SNI, the CONNECT host.
        let Conn { peer, user, host, port } = conn;
        let name = start.client_hello().server_name().map(str::to_string).unwrap_or_else(|| host.clone());
        let config = leaves.config_for(&name).map_err(|e| e.to_string())?;
        let tls =
            start.into_stream(config).await.map_err(|e| format!("TLS handshake with the client for {name}: {e}"))?;
        let ctx = Arc::new(ConnContext { peer, intercepted: Some(format!("{host}:{port}")), user });
        let builder = super::listen::builder(&state);
        let svc = service_fn(move |req| service::handle(state.clone(), ctx.clone(), req));
        builder.serve_connection_with_upgrades(TokioIo::new(tls), svc).await.map_err(|e| format!("serving {name}: {e}"))
    })
}
