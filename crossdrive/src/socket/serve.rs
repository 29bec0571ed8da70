//! The accept loop: hyper-util's auto builder (HTTP/1.1 and HTTP/2 on one
//! port, h2c by prior knowledge or ALPN `h2` over TLS) in front of
//! [`Routes`], serving upgrades and HTTP/2 extended CONNECT as
//! `axum::serve` does, so an app's WebSocket works over both.
//!
//! It runs wherever it is spawned: on a fixture's own
//! [`crossdrive::fixture::ServerThread`](crate::fixture::ServerThread), or on the bench's runtime for the
//! same-thread topology. Each accepted connection is served where its
//! client asked (see the `handoff` module): on the client's own runtime
//! when it registered, here otherwise. The loop returns when `shutdown`
//! resolves; connections served here end with this runtime, those handed
//! over end when the server signals closing, or when their client closes
//! them.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::future::{Either, select};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};

use super::handoff::Handoffs;
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
    handoffs: Arc<Handoffs>,
    tls: Acceptor,
    shutdown: impl Future<Output = ()>,
) {
    // Upgrades and RFC 8441's extended CONNECT, as `axum::serve` serves
    // (axum 0.8, serve/mod.rs): a WebSocket over HTTP/1.1 or HTTP/2.
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder
        .http2()
        .timer(TokioTimer::new())
        .enable_connect_protocol();
    // Connections served on a caller's runtime time out (hyper's header
    // read timeout) on crossdrive's timer thread, so a runtime built
    // with IO but without timers still serves its own requests.
    let mut handed_builder = auto::Builder::new(TokioExecutor::new());
    handed_builder.http1().timer(ThreadTimer);
    handed_builder
        .http2()
        .timer(ThreadTimer)
        .enable_connect_protocol();
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = match select(pin!(listener.accept()), shutdown.as_mut()).await {
            Either::Left((accepted, _)) => accepted,
            Either::Right(((), _)) => break,
        };
        // A failed accept (a peer that reset before we got to it, a full fd
        // table) concerns that one connection; keep serving the others.
        let Ok((stream, peer)) = accepted else {
            continue;
        };
        routes.accept();
        let _ = stream.set_nodelay(true);
        let runtime = handoffs.claim(peer);
        let connection = Connection {
            routes: Arc::clone(&routes),
            builder: if runtime.is_some() {
                handed_builder.clone()
            } else {
                builder.clone()
            },
            #[allow(clippy::clone_on_copy)] // without the `tls` feature the acceptor is `Copy`
            tls: tls.clone(),
            peer,
        };
        let Some(runtime) = runtime else {
            tokio::spawn(connection.serve(stream));
            continue;
        };
        // Served on the client's runtime: the stream leaves this reactor
        // and joins that one inside the spawned task. If that runtime is
        // already gone, the task is dropped unrun and the socket closes,
        // which is what its (equally gone) client would see anyway.
        let Ok(stream) = stream.into_std() else {
            continue;
        };
        routes.handed_over();
        let closed = handoffs.closed();
        runtime.spawn(async move {
            let Ok(stream) = TcpStream::from_std(stream) else {
                return;
            };
            // This runtime outlives the server's, so the server's stop
            // cannot close the connection by dropping it: it signals.
            let _ = select(pin!(connection.serve(stream)), pin!(closed)).await;
        });
    }
}

/// One accepted connection and what serving it needs.
struct Connection {
    routes: Arc<Routes>,
    builder: auto::Builder<TokioExecutor>,
    tls: Acceptor,
    peer: SocketAddr,
}

impl Connection {
    async fn serve(self, stream: TcpStream) {
        let Self {
            routes,
            builder,
            tls,
            peer,
        } = self;
        let service = service_fn(move |request| Arc::clone(&routes).handle(request, peer));
        match tls {
            None => {
                let _ = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .await;
            }
            #[cfg(feature = "tls")]
            Some(acceptor) => {
                if let Ok(stream) = acceptor.accept(stream).await {
                    let _ = builder
                        .serve_connection_with_upgrades(TokioIo::new(stream), service)
                        .await;
                }
            }
            #[cfg(not(feature = "tls"))]
            Some(never) => match never {},
        }
    }
}

/// hyper's timer on crossdrive's own timer thread
/// ([`crossdrive::guard::sleep`](crate::guard::sleep)): it needs nothing of the runtime the
/// connection runs on.
#[derive(Clone, Copy, Debug)]
struct ThreadTimer;

/// A sleep of [`ThreadTimer`].
struct ThreadSleep(Pin<Box<tokio::time::Sleep>>);

impl Future for ThreadSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for ThreadSleep {}

impl hyper::rt::Timer for ThreadTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(ThreadSleep(crate::guard::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep(deadline.saturating_duration_since(Instant::now()))
    }
}
