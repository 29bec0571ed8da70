//! The accept loop: hyper-util's auto builder (HTTP/1.1 and HTTP/2 on one
//! port, h2c by prior knowledge or ALPN `h2` over TLS) in front of
//! [`Routes`].
//!
//! It runs wherever it is spawned: on a fixture's own
//! [`crossdrive::fixture::ServerThread`], or on the bench's runtime for the
//! same-thread topology. It returns when `shutdown` resolves; connections
//! already open end with their runtime or when their client closes them.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;

use futures_util::future::{Either, select};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;

use super::routes::Routes;

/// The TLS acceptor, when the server speaks TLS.
#[cfg(feature = "tls")]
pub(crate) type Acceptor = Option<tokio_rustls::TlsAcceptor>;
/// No TLS without the `tls` feature.
#[cfg(not(feature = "tls"))]
pub(crate) type Acceptor = Option<std::convert::Infallible>;

/// Accepts connections on `listener` until `shutdown` resolves.
pub(crate) async fn serve(
    listener: TcpListener,
    routes: Arc<Routes>,
    tls: Acceptor,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = match select(pin!(listener.accept()), shutdown.as_mut()).await {
            Either::Left((accepted, _)) => accepted,
            Either::Right(((), _)) => break,
        };
        // A failed accept (a peer that reset before we got to it, a full fd
        // table) concerns that one connection; keep serving the others.
        let Ok((stream, _)) = accepted else { continue };
        routes.accept();
        let _ = stream.set_nodelay(true);
        let routes = Arc::clone(&routes);
        let builder = builder.clone();
        #[allow(clippy::clone_on_copy)] // without the `tls` feature the acceptor is `Copy`
        let tls = tls.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| Arc::clone(&routes).handle(request));
            match tls {
                None => {
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                }
                #[cfg(feature = "tls")]
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
                #[cfg(not(feature = "tls"))]
                Some(never) => match never {},
            }
        });
    }
}
