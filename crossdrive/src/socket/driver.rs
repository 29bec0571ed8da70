//! [`SocketDriver`]: one request through a real client to a real server on
//! a loopback socket, and how one is built for a [`SocketServer`].
//!
//! The request is sent to the server's address with the private app header
//! added; the response comes back exactly as the server sent it (redirects
//! are not followed, no cookie store exists, no decompression is compiled
//! in), minus the server's record, which becomes the reported
//! [`Protocol`](crate::Protocol). If an HTTP/2 driver's request reached the
//! server as anything but HTTP/2, the request fails: an "HTTP/2" test that
//! silently ran over HTTP/1.1 proves nothing. Where the exchange runs, the
//! errors and the protocol check are the socket `core`'s, shared with the
//! `http3` driver.
//!
//! Two transports carry the request. By default, hyper's `client::conn`
//! on pooled keep-alive connections (the `pool` module): the target goes
//! on the wire byte for byte, as given. A test that asks for what a full
//! client adds (following redirects, a cookie store) gets a reqwest client
//! (the `reqwest_client` module) through `SocketServer::http1_with` and
//! friends.

use std::sync::Arc;
use std::time::Duration;

use crate::{BoxFuture, Driver, DriverResponse, DriverStream, Error, ErrorKind, RequestBody};
use axum::Router;
use bytes::Bytes;
use http::{Request, Version};

use super::core::{ConnKind, Exchange, Placement};
use super::handoff::Handoffs;
use super::pool::{Pool, Target};
#[cfg(feature = "remote")]
use super::reqwest_client::Reqwest;
use super::server::SocketServer;

/// What a socket driver speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Flavor {
    Http1,
    Http2,
    Http2Tls,
    Http1Tls,
    Http1Fresh,
}

impl Flavor {
    pub(crate) const COUNT: usize = 5;

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Http1 => "http1",
            Self::Http2 => "http2",
            Self::Http2Tls => "http2-tls",
            Self::Http1Tls => "http1-tls",
            Self::Http1Fresh => "http1-fresh",
        }
    }

    pub(crate) fn tls(self) -> bool {
        matches!(self, Self::Http2Tls | Self::Http1Tls)
    }

    /// The ALPN protocols the client offers, for TLS flavors.
    #[cfg(feature = "tls")]
    pub(crate) fn alpn(self) -> Option<&'static [&'static [u8]]> {
        match self {
            Self::Http2Tls => Some(super::tls::ALPN_H2),
            Self::Http1Tls => Some(super::tls::ALPN_H1),
            _ => None,
        }
    }

    /// The version the server must observe for every request.
    pub(crate) fn expects(self) -> Version {
        match self {
            Self::Http2 | Self::Http2Tls => Version::HTTP_2,
            Self::Http1 | Self::Http1Tls | Self::Http1Fresh => Version::HTTP_11,
        }
    }
}

/// The TCP connection kind: hyper's `client::conn` on pooled connections,
/// hyper-util's server.
pub(crate) struct Tcp;

impl ConnKind for Tcp {
    type Target = Target;
    type Pool = Pool;

    const SERVER: &'static str = "SocketServer";
    const DRIVER: &'static str = "SocketDriver";
    const THE_SERVER: &'static str = "the server";
    const SOCKETS: &'static str = "sockets";
    const INVALID_HINT: &'static str = "give the request an origin-form target such as /path?query";
    const RUNTIME_HINT: &'static str = "a socket driver awaited inside a tokio runtime runs its \
        connection there: build the runtime with `enable_io()` or `enable_all()`, as \
        #[tokio::test] does";

    fn pool(target: Arc<Target>, handoffs: Option<Arc<Handoffs>>) -> Pool {
        Pool::new(target, handoffs)
    }
}

/// A driver that sends each request over a real socket to a
/// [`SocketServer`](super::SocketServer) hosting its own fresh app.
///
/// Made by [`SocketServer::http1`](super::SocketServer::http1) and its
/// siblings; dropping it unmounts its app.
///
/// Awaited inside a tokio runtime, a request runs on that runtime, and so
/// does the server side of its connection: the runtime needs IO
/// (`enable_io()` or `enable_all()`, as `#[tokio::test]` and `suite!` build
/// it; timers come from crossdrive's own timer thread), and must be the one
/// polling the request (a blocking executor called inside
/// a runtime's context leaves the connection unpolled until the timeout).
/// Awaited from no tokio runtime, the request runs on the server's thread.
/// Either way the driver keeps working when the runtime it was used from
/// is dropped, or when it is used from several.
///
/// ```
/// use std::time::Duration;
/// use crossdrive::socket::SocketServer;
/// let driver = SocketServer::shared().unwrap()
///     .http1(axum::Router::new()).unwrap()
///     .timeout(Duration::from_millis(500));
/// assert_eq!(crossdrive::Driver::name(&driver), "http1");
/// ```
pub struct SocketDriver {
    flavor: Flavor,
    transport: Transport,
    exchange: Exchange<Tcp>,
}

impl std::fmt::Debug for SocketDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.exchange.debug(f, "SocketDriver")
    }
}

/// The client a [`SocketDriver`] sends with.
enum Transport {
    /// hyper's `client::conn` on pooled connections: the default. The pool
    /// is the driver's own.
    Pool(Arc<Pool>),
    /// A reqwest client a test configured itself.
    #[cfg(feature = "remote")]
    Reqwest(Reqwest),
}

/// A driver of `flavor` could not be set up (its client, TLS or URL).
pub(crate) fn setup_error(flavor: Flavor, cause: String) -> Error {
    Error::without_request(ErrorKind::Connection, flavor.name(), cause)
}

impl SocketDriver {
    /// A test's driver of `flavor` on `server`: inside a tokio runtime its
    /// requests and their connections run on that runtime, served there
    /// too; from no tokio runtime they run on the server's thread.
    pub(crate) fn for_test(
        server: &SocketServer,
        flavor: Flavor,
        app: Router,
    ) -> Result<Self, Error> {
        let hosting = server.hosting();
        let runtime = hosting.runtime::<Tcp>(flavor.name())?;
        let target = target(server, flavor)?;
        let clients = &hosting.clients[flavor.index()];
        let (own, placement) = clients.for_test(runtime, target, &hosting.handoffs);
        Ok(Self::pooled(server, flavor, own, placement, app))
    }

    /// A driver of `flavor` with a pool of its own that runs inline on the
    /// caller's runtime, its connections served wherever the server
    /// accepts them; only for callers whose runtime outlives the driver
    /// (the bench, whose topology decides where the server runs).
    #[cfg_attr(not(feature = "bench"), allow(dead_code))] // the bench's driver
    pub(crate) fn inline(
        server: &SocketServer,
        flavor: Flavor,
        app: Router,
    ) -> Result<Self, Error> {
        let (own, placement) = Placement::inline(target(server, flavor)?);
        Ok(Self::pooled(server, flavor, own, placement, app))
    }

    fn pooled(
        server: &SocketServer,
        flavor: Flavor,
        own: Arc<Pool>,
        placement: Placement<Tcp>,
        app: Router,
    ) -> Self {
        let mount = server.hosting().routes.mount(app);
        let origin = own.origin();
        let exchange = Exchange::new(flavor.name(), origin, mount, placement, server.keep_alive());
        Self {
            flavor,
            transport: Transport::Pool(own),
            exchange,
        }
    }

    /// The driver of `flavor` sending through a reqwest client adjusted by
    /// `configure`, spawned on the server's runtime (inline on a server
    /// started on the caller's runtime).
    #[cfg(feature = "remote")]
    pub(crate) fn with_reqwest(
        server: &SocketServer,
        flavor: Flavor,
        app: Router,
        configure: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> Result<Self, Error> {
        let placement = match server.hosting().runtime::<Tcp>(flavor.name())? {
            Some(runtime) => Placement::Server(runtime),
            None => Placement::Inline,
        };
        let client = Reqwest::new(server, flavor, configure)?;
        let mount = server.hosting().routes.mount(app);
        let origin = client.origin();
        let exchange = Exchange::new(flavor.name(), origin, mount, placement, server.keep_alive());
        Ok(Self {
            flavor,
            transport: Transport::Reqwest(client),
            exchange,
        })
    }

    /// Sets the per-request timeout (default 5 s): no complete response in
    /// time is a timeout error naming the driver, method and URI.
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::socket::SocketServer;
    /// let app = axum::Router::new().fallback(|| std::future::pending::<&'static str>());
    /// let driver = SocketServer::shared().unwrap().http1(app).unwrap().timeout(Duration::from_millis(50));
    /// let client = crossdrive::Client::new(driver);
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let error = client.get("/never").try_send().await.unwrap_err();
    /// assert!(error.is_timeout(), "{error}");
    /// # });
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.exchange.timeout = timeout;
        self
    }

    /// Sets the largest response body collected (default 256 MiB).
    ///
    /// ```
    /// use crossdrive::socket::SocketServer;
    /// let app = axum::Router::new().fallback(|| async { "0123456789" });
    /// let driver = SocketServer::shared().unwrap().http2(app).unwrap().body_limit(4);
    /// let client = crossdrive::Client::new(driver);
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let error = client.get("/").try_send().await.unwrap_err();
    /// assert_eq!(error.kind(), crossdrive::ErrorKind::LimitExceeded);
    /// # });
    /// ```
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.exchange.body_limit = bytes;
        self
    }
}

/// What every pool of `flavor` on `server` shares, made once.
fn target(server: &SocketServer, flavor: Flavor) -> Result<Arc<Target>, Error> {
    let clients = &server.hosting().clients[flavor.index()];
    clients.target(|| {
        let fail = |cause: String| setup_error(flavor, cause);
        #[cfg(feature = "tls")]
        let tls = if flavor.tls() {
            Some(tls_client(server, flavor)?)
        } else {
            None
        };
        #[cfg(not(feature = "tls"))]
        if flavor.tls() {
            return Err(without_tls(flavor));
        }
        Target::new(
            flavor,
            server.addr(),
            #[cfg(feature = "tls")]
            tls,
        )
        .map_err(fail)
    })
}

/// A TLS flavor asked of a crossdrive built without its `tls` feature.
#[cfg(not(feature = "tls"))]
pub(crate) fn without_tls(flavor: Flavor) -> Error {
    setup_error(
        flavor,
        "crossdrive was built without its `tls` feature".to_owned(),
    )
    .with_hint("enable the `tls` feature of crossdrive")
}

/// The rustls client configuration for `flavor` on `server` (ALPN as it
/// offers), trusting the server's certificate.
#[cfg(feature = "tls")]
pub(crate) fn tls_client(
    server: &SocketServer,
    flavor: Flavor,
) -> Result<rustls::ClientConfig, Error> {
    let fail = |cause: String| setup_error(flavor, cause);
    match (server.tls_material(), flavor.alpn()) {
        (Some(material), Some(alpn)) => material.client(alpn).map_err(fail),
        (None, Some(_)) => Err(fail("this server does not speak TLS".to_owned()).with_hint(
            "use SocketServer::shared_tls() or ServerOptions::new().tls(true) for TLS drivers",
        )),
        (_, None) => super::tls::plain_client().map_err(fail),
    }
}

impl Driver for SocketDriver {
    fn name(&self) -> &str {
        self.flavor.name()
    }

    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(async move {
            let (method, uri) = (request.method().clone(), request.uri().clone());
            let (outcome, note) = match &self.transport {
                Transport::Pool(own) => {
                    let limit = self.exchange.body_limit;
                    // Boxed once here, so the placement's layers above it
                    // move a pointer, not the whole exchange: unboxed, the
                    // boxed send future was twice as large (44 KiB) and
                    // every request allocated and copied it.
                    let exchange = move |pool: Arc<Pool>, app| {
                        Box::pin(async move { pool.exchange(request, &app, limit).await })
                    };
                    (self.exchange.run(own, exchange).await, None)
                }
                #[cfg(feature = "remote")]
                Transport::Reqwest(client) => client.send(&self.exchange, request).await,
            };
            let expected = self.flavor.expects();
            self.exchange.finish(&method, &uri, outcome, expected, note)
        })
    }

    /// Streams both ways: the request body goes out as it is produced
    /// (chunked on HTTP/1.1, data frames on HTTP/2), and the response
    /// resolves at its head, its body read from the connection as the
    /// server writes it. The driver's timeout bounds the head; reading the
    /// body is bounded by the reader ([`crossdrive::TestStream`](crate::TestStream)).
    fn stream(&self, request: Request<RequestBody>) -> BoxFuture<'_, Result<DriverStream, Error>> {
        Box::pin(async move {
            let (method, uri) = (request.method().clone(), request.uri().clone());
            let (outcome, note) = match &self.transport {
                Transport::Pool(own) => {
                    let exchange = move |pool: Arc<Pool>, app| async move {
                        pool.exchange_streaming(request, &app).await
                    };
                    (self.exchange.run(own, exchange).await, None)
                }
                #[cfg(feature = "remote")]
                Transport::Reqwest(client) => client.stream(&self.exchange, request).await,
            };
            let expected = self.flavor.expects();
            self.exchange
                .finish_stream(&method, &uri, outcome, expected, note)
                .await
        })
    }

    /// A WebSocket on a connection of its own: an HTTP/1.1 Upgrade
    /// (`http1`, `http1-fresh`), an RFC 8441 extended CONNECT (`http2`,
    /// `http2-tls`); the handshake bounded by the driver's timeout, the
    /// protocol the server saw checked as for every request. The reqwest
    /// transport carries none.
    #[cfg(feature = "websocket")]
    fn websocket(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<crate::websocket::Handshake, Error>> {
        Box::pin(async move {
            let (method, uri) = (request.method().clone(), request.uri().clone());
            let expected = self.flavor.expects();
            match &self.transport {
                Transport::Pool(own) => {
                    let limit = self.exchange.body_limit;
                    let exchange = move |pool: Arc<Pool>, app| {
                        Box::pin(async move { pool.websocket(request, &app, limit).await })
                    };
                    let outcome = self.exchange.run(own, exchange).await;
                    self.exchange
                        .finish_handshake(&method, &uri, outcome, expected)
                }
                #[cfg(feature = "remote")]
                Transport::Reqwest(_) => {
                    let answered = self.send(request).await?;
                    let note = crate::AdapterNote::new(
                        crate::websocket::NOT_CARRIED,
                        format!(
                            "{} built with a reqwest client (SocketServer::{}_with) carries no \
                             WebSocket: the handshake went as an ordinary request; build the \
                             driver with SocketServer::{}(app) instead",
                            self.name(),
                            self.name().replace('-', "_"),
                            self.name().replace('-', "_")
                        ),
                    );
                    Ok(crate::websocket::Handshake::Refused(
                        answered.with_note(note),
                    ))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::server::{ServerOptions, SocketServer};
    use super::*;

    #[test]
    fn a_refused_connection_keeps_the_io_error_as_its_source() {
        let server = SocketServer::start(ServerOptions::new().label("refused")).unwrap();
        let driver = SocketDriver::inline(&server, Flavor::Http1, axum::Router::new()).unwrap();
        // The listener closes with the server: nothing accepts on its port.
        server.stop();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = crate::Client::new(driver);
        let error = rt.block_on(client.get("/").try_send()).unwrap_err();
        assert!(error.is_connection(), "{error}");
        let source = std::error::Error::source(&error).expect("a source");
        let io = source
            .downcast_ref::<std::io::Error>()
            .expect("the io::Error of connect(2)");
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused, "{error}");
        // Printed once, in parentheses after the cause.
        let text = error.to_string();
        assert_eq!(text.matches(&io.to_string()).count(), 1, "{text}");
    }
}
