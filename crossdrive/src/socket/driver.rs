//! [`SocketDriver`]: one request through a real client to a real server on
//! a loopback socket.
//!
//! The request is sent to the server's address with the private app header
//! added; the response comes back exactly as the server sent it (redirects
//! are not followed, no cookie store exists, no decompression is compiled
//! in), minus the private version header, which becomes the reported
//! [`Protocol`]. If an HTTP/2 driver's request reached the server as
//! anything but HTTP/2, the request fails: an "HTTP/2" test that silently
//! ran over HTTP/1.1 proves nothing.
//!
//! Two transports carry the request. By default, hyper's `client::conn`
//! on pooled keep-alive connections (the `pool` module): the target goes
//! on the wire byte for byte, as given. A test that asks for what a full
//! client adds (following redirects, a cookie store) gets a reqwest client
//! through `SocketServer::http1_with` and friends; reqwest parses the
//! target into a `url::Url`, which may normalize it (dot segments, escaping
//! of characters such as `'` in queries), so when what went on the wire
//! differs from the request target the response carries a `uri-normalized`
//! [`AdapterNote`] instead of hiding it. reqwest also adds `accept: */*`
//! when a request has no `accept` header.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::guard::{Interrupted, guarded};
use crate::{
    AdapterNote, BoxFuture, Driver, DriverResponse, DriverStream, Error, ErrorKind, Protocol,
    RequestBody, ResponseBody,
};
use bytes::Bytes;
use http::{Method, Request, Response, Uri, Version};
use http_body_util::BodyExt;
#[cfg(feature = "remote")]
use http_body_util::{LengthLimitError, Limited};

use super::handoff::Handoffs;
use super::pool::{Pool, PoolError};
use super::routes::{Mark, Mount};
use crate::direct::{DEFAULT_BODY_LIMIT, DEFAULT_TIMEOUT};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
    mount: Mount,
    placement: Placement,
    timeout: Duration,
    body_limit: usize,
    _server: Arc<dyn std::any::Any + Send + Sync>,
}

impl std::fmt::Debug for SocketDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketDriver")
            .field("name", &self.flavor.name())
            .field("origin", &self.transport.origin())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Where a [`SocketDriver`]'s requests run (see the `server` module).
pub(crate) enum Placement {
    /// On the caller's runtime, connections served wherever the server
    /// accepts them: the bench, whose topology places the server.
    Inline,
    /// A test's driver. Inside a tokio runtime: on that runtime, with the
    /// driver's own pool, whose connections the server hands over to be
    /// served on the same runtime. From no tokio runtime: spawned on the
    /// server's runtime with the server's `fallback` pool.
    Suite {
        server: tokio::runtime::Handle,
        fallback: Arc<Pool>,
        handoffs: Arc<Handoffs>,
    },
    /// Spawned on the server's runtime, where the reqwest client a test
    /// configured keeps its connections.
    #[cfg(feature = "remote")]
    Server(tokio::runtime::Handle),
}

/// The client a [`SocketDriver`] sends with.
#[derive(Clone)]
pub(crate) enum Transport {
    /// hyper's `client::conn` on pooled connections: the default. The pool
    /// is the driver's own.
    Pool(Arc<Pool>),
    /// A reqwest client a test configured itself.
    #[cfg(feature = "remote")]
    Reqwest {
        client: reqwest::Client,
        base: reqwest::Url,
    },
}

impl Transport {
    fn origin(&self) -> String {
        match self {
            Self::Pool(pool) => pool.origin(),
            #[cfg(feature = "remote")]
            Self::Reqwest { base, .. } => base.as_str().trim_end_matches('/').to_owned(),
        }
    }
}

/// Why an exchange did not bring back a response.
enum Failure {
    Pool(PoolError),
    #[cfg(feature = "remote")]
    Request(reqwest::Error),
    #[cfg(feature = "remote")]
    Body(BoxError),
    TooLarge,
    TimedOut,
    /// The server's side went away: why (a join error, a panic message).
    Gone(BoxError),
    /// The exchange panicked on the caller's runtime: tokio panics on a
    /// runtime without IO.
    Panicked(String),
}

/// What the server's private headers said about a response.
enum Observed {
    /// The handler panicked; the body is its message.
    Panicked,
    /// The protocol the server saw, the one this driver must speak.
    Protocol(Protocol),
}

impl SocketDriver {
    pub(crate) fn new(
        flavor: Flavor,
        transport: Transport,
        mount: Mount,
        placement: Placement,
        server: Arc<dyn std::any::Any + Send + Sync>,
    ) -> Self {
        Self {
            flavor,
            transport,
            mount,
            placement,
            timeout: DEFAULT_TIMEOUT,
            body_limit: DEFAULT_BODY_LIMIT,
            _server: server,
        }
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
        self.timeout = timeout;
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
        self.body_limit = bytes;
        self
    }

    fn error(&self, kind: ErrorKind, method: &Method, uri: &Uri, cause: String) -> Error {
        Error::new(kind, self.flavor.name(), method, uri, cause)
    }

    /// The request as reqwest sends it, and a note when reqwest's URL
    /// parser changed the target.
    #[cfg(feature = "remote")]
    fn outgoing(
        &self,
        base: &reqwest::Url,
        parts: http::request::Parts,
        body: Option<reqwest::Body>,
    ) -> (reqwest::Request, Option<AdapterNote>) {
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (target, None),
        };
        // Cloning the parsed base and setting path and query is cheaper than
        // parsing the whole URL (host and all) for every request.
        let mut url = base.clone();
        url.set_path(path);
        url.set_query(query);
        let note = (url.path() != path || url.query() != query).then(|| {
            let sent = match url.query() {
                Some(query) => format!("{}?{query}", url.path()),
                None => url.path().to_owned(),
            };
            AdapterNote::new(
                "uri-normalized",
                format!("reqwest sent the target `{target}` as `{sent}`"),
            )
        });
        let mut outgoing = reqwest::Request::new(parts.method, url);
        *outgoing.headers_mut() = parts.headers;
        outgoing.headers_mut().insert(
            http::HeaderName::from_static(super::routes::APP_HEADER),
            self.mount.header().clone(),
        );
        *outgoing.body_mut() = body;
        (outgoing, note)
    }

    fn finish(
        &self,
        method: &Method,
        uri: &Uri,
        outcome: Result<Response<Bytes>, Failure>,
        note: Option<AdapterNote>,
    ) -> Result<DriverResponse, Error> {
        let mut response = outcome.map_err(|failure| self.failure(method, uri, failure))?;
        let protocol = match self.observe(method, uri, &mut response)? {
            Observed::Panicked => {
                let message = String::from_utf8_lossy(response.body());
                return Err(Error::handler_panic(
                    self.flavor.name(),
                    method,
                    uri,
                    &message,
                ));
            }
            Observed::Protocol(protocol) => protocol,
        };
        let delivered = DriverResponse::new(response, protocol);
        Ok(match note {
            Some(note) => delivered.with_note(note),
            None => delivered,
        })
    }

    /// [`finish`](Self::finish) for a response whose body is still
    /// arriving; a panicking handler's message is read from its (short,
    /// whole) body within the driver's timeout.
    async fn finish_stream(
        &self,
        method: &Method,
        uri: &Uri,
        outcome: Result<Response<ResponseBody>, Failure>,
        note: Option<AdapterNote>,
    ) -> Result<DriverStream, Error> {
        let mut response = outcome.map_err(|failure| self.failure(method, uri, failure))?;
        let protocol = match self.observe(method, uri, &mut response)? {
            Observed::Panicked => {
                let body = guarded(self.timeout, response.into_body().collect()).await;
                let message = match body {
                    Ok(Ok(body)) => String::from_utf8_lossy(&body.to_bytes()).into_owned(),
                    _ => "(the panic message did not arrive)".to_owned(),
                };
                return Err(Error::handler_panic(
                    self.flavor.name(),
                    method,
                    uri,
                    &message,
                ));
            }
            Observed::Protocol(protocol) => protocol,
        };
        let delivered = DriverStream::new(response, protocol);
        Ok(match note {
            Some(note) => delivered.with_note(note),
            None => delivered,
        })
    }

    /// Reads and removes the server's private record from a response
    /// (the protocol it saw, a handler panic, an app's final 1xx), and
    /// checks the protocol is the one this driver must speak.
    fn observe<B>(
        &self,
        method: &Method,
        uri: &Uri,
        response: &mut Response<B>,
    ) -> Result<Observed, Error> {
        let Some(record) = self.mount.take_record(response.headers_mut()) else {
            return Err(self
                .error(
                    ErrorKind::Adapter,
                    method,
                    uri,
                    "the response did not come through crossdrive's server (no protocol record)"
                        .to_owned(),
                )
                .with_hint("is something else listening on the server's port?"));
        };
        match record.mark {
            Mark::Answered => {}
            Mark::Panicked => return Ok(Observed::Panicked),
            Mark::Informational(status) => {
                let name = self.flavor.name();
                return Err(Error::final_informational(name, method, uri, status));
            }
        }
        let version = record.version;
        let expected = self.flavor.expects();
        if version != expected {
            return Err(self
                .error(
                    ErrorKind::Adapter,
                    method,
                    uri,
                    format!(
                        "the server received this request as {}, not {}",
                        Protocol::from_version(version),
                        Protocol::from_version(expected)
                    ),
                )
                .with_hint("the client or server negotiated the wrong protocol; check ALPN and prior-knowledge settings"));
        }
        Ok(Observed::Protocol(Protocol::from_version(version)))
    }

    fn failure(&self, method: &Method, uri: &Uri, failure: Failure) -> Error {
        let name = self.flavor.name();
        let origin = self.transport.origin();
        match failure {
            Failure::Pool(PoolError::Connect(cause, e)) => self
                .error(ErrorKind::Connection, method, uri, cause)
                .with_source(e)
                .with_hint("the server refused the connection or is gone; was its SocketServer dropped?"),
            Failure::Pool(PoolError::Exchange(e)) => self
                .error(
                    ErrorKind::Connection,
                    method,
                    uri,
                    format!("the exchange with {origin} failed on the connection"),
                )
                .with_source(e)
                .with_hint("the connection broke before a response arrived; look for a server-side error above"),
            Failure::Pool(PoolError::Body(e)) => self
                .error(
                    ErrorKind::Connection,
                    method,
                    uri,
                    "the response body broke off".to_owned(),
                )
                .with_source(e)
                .with_hint("the connection closed mid-body; look for a failing body stream in the app"),
            Failure::Pool(PoolError::TooLarge) => self.failure(method, uri, Failure::TooLarge),
            Failure::Pool(PoolError::Invalid(cause, source)) => {
                let error = self
                    .error(ErrorKind::InvalidRequest, method, uri, cause)
                    .with_hint("give the request an origin-form target such as /path?query");
                match source {
                    Some(source) => error.with_source(source),
                    None => error,
                }
            }
            Failure::TimedOut => Error::timeout(name, method, uri, self.timeout),
            #[cfg(feature = "remote")]
            Failure::Request(e) if e.is_timeout() => Error::timeout(name, method, uri, self.timeout),
            #[cfg(feature = "remote")]
            Failure::Request(e) if e.is_connect() => self
                .error(
                    ErrorKind::Connection,
                    method,
                    uri,
                    format!("cannot connect to {origin}"),
                )
                .with_source(e)
                .with_hint("the server refused the connection or is gone; was its SocketServer dropped?"),
            #[cfg(feature = "remote")]
            Failure::Request(e) => self
                .error(
                    ErrorKind::Connection,
                    method,
                    uri,
                    "the exchange failed on the connection".to_owned(),
                )
                .with_source(e)
                .with_hint("the connection broke before a response arrived; look for a server-side error above"),
            #[cfg(feature = "remote")]
            Failure::Body(e) => {
                #[cfg(feature = "remote")]
                if e.downcast_ref::<reqwest::Error>().is_some_and(reqwest::Error::is_timeout) {
                    return Error::timeout(name, method, uri, self.timeout);
                }
                self.error(
                    ErrorKind::Connection,
                    method,
                    uri,
                    "the response body broke off".to_owned(),
                )
                .with_source(e)
                .with_hint("the connection closed mid-body; look for a failing body stream in the app")
            }
            Failure::TooLarge => self
                .error(
                    ErrorKind::LimitExceeded,
                    method,
                    uri,
                    format!("the response body is larger than the {}-byte limit", self.body_limit),
                )
                .with_hint("raise it with SocketDriver::body_limit if the app really sends that much"),
            Failure::Panicked(cause) => self
                .error(
                    ErrorKind::Adapter,
                    method,
                    uri,
                    format!("the client panicked on the caller's tokio runtime ({cause})"),
                )
                .with_hint("a socket driver awaited inside a tokio runtime runs its connection there: build the runtime with `enable_io()` or `enable_all()`, as #[tokio::test] does"),
            Failure::Gone(cause) => self
                .error(
                    ErrorKind::Connection,
                    method,
                    uri,
                    format!(
                        "the server at {origin} is gone: it was stopped, or its runtime shut down"
                    ),
                )
                .with_source(cause)
                .with_hint("keep the SocketServer alive and running while its drivers are in use"),
        }
    }
}

async fn pooled(
    pool: Arc<Pool>,
    request: Request<Bytes>,
    app: http::HeaderValue,
    limit: usize,
) -> Result<Response<Bytes>, Failure> {
    pool.exchange(request, &app, limit)
        .await
        .map_err(Failure::Pool)
}

async fn pooled_streaming(
    pool: Arc<Pool>,
    request: Request<RequestBody>,
    app: http::HeaderValue,
) -> Result<Response<ResponseBody>, Failure> {
    pool.exchange_streaming(request, &app)
        .await
        .map_err(Failure::Pool)
}

#[cfg(feature = "remote")]
async fn through_reqwest_streaming(
    client: reqwest::Client,
    request: reqwest::Request,
) -> Result<Response<ResponseBody>, Failure> {
    let response: http::Response<reqwest::Body> = client
        .execute(request)
        .await
        .map_err(Failure::Request)?
        .into();
    Ok(response.map(ResponseBody::new))
}

#[cfg(feature = "remote")]
async fn through_reqwest(
    client: reqwest::Client,
    request: reqwest::Request,
    limit: usize,
) -> Result<Response<Bytes>, Failure> {
    let response: http::Response<reqwest::Body> = client
        .execute(request)
        .await
        .map_err(Failure::Request)?
        .into();
    let (parts, body) = response.into_parts();
    let collected = Limited::new(body, limit).collect().await.map_err(|e| {
        if e.downcast_ref::<LengthLimitError>().is_some() {
            Failure::TooLarge
        } else {
            Failure::Body(e)
        }
    })?;
    Ok(Response::from_parts(parts, collected.to_bytes()))
}

/// The exchange on the caller's runtime, bounded by its own timer: the
/// bench's path, whose runtime has timers by construction.
async fn inline<F, T>(limit: Duration, exchange: F) -> Result<T, Failure>
where
    F: Future<Output = Result<T, Failure>>,
{
    tokio::time::timeout(limit, exchange)
        .await
        .unwrap_or(Err(Failure::TimedOut))
}

/// The exchange on a test's runtime, bounded by crossdrive's own timer
/// thread: it fires even if the test's runtime has no timers or stopped
/// being driven, and tokio's panic on a runtime without IO becomes an
/// error.
async fn guarded_inline<F, T>(limit: Duration, exchange: F) -> Result<T, Failure>
where
    F: Future<Output = Result<T, Failure>>,
{
    match guarded(limit, exchange).await {
        Ok(outcome) => outcome,
        Err(Interrupted::TimedOut(_)) => Err(Failure::TimedOut),
        Err(Interrupted::Panicked(message)) => Err(Failure::Panicked(message)),
    }
}

/// The exchange spawned on the server's runtime, for callers outside any
/// tokio runtime (and the reqwest transport).
async fn on_server<F, T>(
    server: &tokio::runtime::Handle,
    limit: Duration,
    exchange: F,
) -> Result<T, Failure>
where
    F: Future<Output = Result<T, Failure>> + Send + 'static,
    T: Send + 'static,
{
    let task = server.spawn(exchange);
    let abort = task.abort_handle();
    match guarded(limit, task).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(join)) => Err(Failure::Gone(join.into())),
        Err(Interrupted::TimedOut(_)) => {
            abort.abort();
            Err(Failure::TimedOut)
        }
        Err(Interrupted::Panicked(message)) => Err(Failure::Gone(message.into())),
    }
}

impl SocketDriver {
    async fn send_pooled(
        &self,
        own: &Arc<Pool>,
        request: Request<Bytes>,
    ) -> Result<Response<Bytes>, Failure> {
        let app = self.mount.header().clone();
        let limit = self.body_limit;
        self.on_pool(own, move |pool| pooled(pool, request, app, limit))
            .await
    }

    async fn stream_pooled(
        &self,
        own: &Arc<Pool>,
        request: Request<RequestBody>,
    ) -> Result<Response<ResponseBody>, Failure> {
        let app = self.mount.header().clone();
        self.on_pool(own, move |pool| pooled_streaming(pool, request, app))
            .await
    }

    /// Runs `exchange` on the pool and runtime the placement calls for,
    /// bounded by the driver's timeout.
    async fn on_pool<T, F, Fut>(&self, own: &Arc<Pool>, exchange: F) -> Result<T, Failure>
    where
        F: FnOnce(Arc<Pool>) -> Fut,
        Fut: Future<Output = Result<T, Failure>> + Send + 'static,
        T: Send + 'static,
    {
        match &self.placement {
            Placement::Inline => inline(self.timeout, exchange(Arc::clone(own))).await,
            Placement::Suite {
                server,
                fallback,
                handoffs,
            } => {
                if tokio::runtime::Handle::try_current().is_err() {
                    return on_server(server, self.timeout, exchange(Arc::clone(fallback))).await;
                }
                // Connections served on a test's runtime outlive a stopped
                // server's runtime; fail as the server-thread path would.
                if handoffs.is_closing() {
                    return Err(Failure::Gone("the server was stopped".into()));
                }
                guarded_inline(self.timeout, exchange(Arc::clone(own))).await
            }
            #[cfg(feature = "remote")]
            Placement::Server(server) => {
                on_server(server, self.timeout, exchange(Arc::clone(own))).await
            }
        }
    }
}

impl Driver for SocketDriver {
    fn name(&self) -> &str {
        self.flavor.name()
    }

    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(async move {
            let method = request.method().clone();
            let uri = request.uri().clone();
            let (outcome, note) = match &self.transport {
                Transport::Pool(own) => (self.send_pooled(own, request).await, None),
                #[cfg(feature = "remote")]
                Transport::Reqwest { client, base } => {
                    let (parts, body) = request.into_parts();
                    let body = (!body.is_empty()).then(|| reqwest::Body::from(body));
                    let (outgoing, note) = self.outgoing(base, parts, body);
                    let exchange = through_reqwest(client.clone(), outgoing, self.body_limit);
                    let outcome = match &self.placement {
                        Placement::Inline => inline(self.timeout, exchange).await,
                        Placement::Server(server) | Placement::Suite { server, .. } => {
                            on_server(server, self.timeout, exchange).await
                        }
                    };
                    (outcome, note)
                }
            };
            self.finish(&method, &uri, outcome, note)
        })
    }

    /// Streams both ways: the request body goes out as it is produced
    /// (chunked on HTTP/1.1, data frames on HTTP/2), and the response
    /// resolves at its head, its body read from the connection as the
    /// server writes it. The driver's timeout bounds the head; reading the
    /// body is bounded by the reader ([`crossdrive::TestStream`]).
    fn stream(&self, request: Request<RequestBody>) -> BoxFuture<'_, Result<DriverStream, Error>> {
        Box::pin(async move {
            let method = request.method().clone();
            let uri = request.uri().clone();
            let (outcome, note) = match &self.transport {
                Transport::Pool(own) => (self.stream_pooled(own, request).await, None),
                #[cfg(feature = "remote")]
                Transport::Reqwest { client, base } => {
                    let (parts, body) = request.into_parts();
                    let body = match body.as_full() {
                        Some(whole) => (!whole.is_empty()).then(|| reqwest::Body::from(whole)),
                        None => Some(reqwest::Body::wrap_stream(
                            http_body_util::BodyDataStream::new(body),
                        )),
                    };
                    let (outgoing, note) = self.outgoing(base, parts, body);
                    let exchange = through_reqwest_streaming(client.clone(), outgoing);
                    let outcome = match &self.placement {
                        Placement::Inline => inline(self.timeout, exchange).await,
                        Placement::Server(server) | Placement::Suite { server, .. } => {
                            on_server(server, self.timeout, exchange).await
                        }
                    };
                    (outcome, note)
                }
            };
            self.finish_stream(&method, &uri, outcome, note).await
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
        let driver = server
            .inline_driver(Flavor::Http1, axum::Router::new())
            .unwrap();
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
