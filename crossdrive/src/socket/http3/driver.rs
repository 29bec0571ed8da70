//! [`Http3Driver`]: one request through h3's client to the HTTP/3 server,
//! over QUIC on a UDP loopback port.
//!
//! The request carries the private app header; the response comes back as
//! the server sent it, minus the private version header, which becomes
//! the reported [`Protocol`]. A request the server did not receive as
//! HTTP/3 fails: an "HTTP/3" test that ran over anything else proves
//! nothing. Timeouts, the body limit, and the wording of every error and
//! hint are those of [`SocketDriver`](crate::socket::SocketDriver).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::guard::{Interrupted, guarded};
use crate::{
    BoxFuture, Driver, DriverResponse, DriverStream, Error, ErrorKind, Protocol, RequestBody,
    ResponseBody,
};
use bytes::Bytes;
use http::{Method, Request, Response, Uri, Version};
use http_body_util::{BodyExt, Limited};

use super::super::handoff::Handoffs;
use super::super::routes::{Mark, Mount};
use super::client::{Pool, PoolError};
use crate::direct::{DEFAULT_BODY_LIMIT, DEFAULT_TIMEOUT};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The driver's name in test names, reports and errors.
pub(crate) const NAME: &str = "http3";

/// A driver that sends each request over HTTP/3 (h3 on a quinn QUIC
/// connection, TLS 1.3, ALPN `h3`) to an
/// [`Http3Server`](super::Http3Server) hosting its own fresh app.
///
/// Made by [`Http3Server::http3`](super::Http3Server::http3); dropping it
/// unmounts its app. Awaited inside a tokio runtime, its connection runs
/// on that runtime and the server serves it there too: quinn needs the
/// runtime's IO and timers (`enable_all()`, as `#[tokio::test]` and
/// `suite!` build it). Awaited from no tokio runtime, the request runs on
/// the server's thread.
///
/// ```
/// use std::time::Duration;
/// use crossdrive::socket::Http3Server;
/// let driver = Http3Server::shared().unwrap()
///     .http3(axum::Router::new()).unwrap()
///     .timeout(Duration::from_millis(500));
/// assert_eq!(crossdrive::Driver::name(&driver), "http3");
/// ```
pub struct Http3Driver {
    pool: Arc<Pool>,
    mount: Mount,
    placement: Placement,
    timeout: Duration,
    body_limit: usize,
    _server: Arc<dyn std::any::Any + Send + Sync>,
}

impl std::fmt::Debug for Http3Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http3Driver")
            .field("origin", &self.pool.origin())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Where an [`Http3Driver`]'s requests run.
pub(crate) enum Placement {
    /// On the caller's runtime, its connection served wherever the server
    /// accepts it: the bench, whose topology places the server.
    Inline,
    /// A test's driver: on the caller's runtime with the driver's own
    /// pool, its connection handed over to be served there; from no tokio
    /// runtime, on the server's runtime with the server's `fallback` pool.
    Suite {
        server: tokio::runtime::Handle,
        fallback: Arc<Pool>,
        handoffs: Arc<Handoffs>,
    },
}

/// Why an exchange did not bring back a response.
enum Failure {
    Pool(PoolError),
    TimedOut,
    /// The server's side went away: why.
    Gone(BoxError),
    /// The exchange panicked on the caller's runtime (tokio panics on a
    /// runtime without IO or timers).
    Panicked(String),
}

impl Http3Driver {
    pub(crate) fn new(
        pool: Arc<Pool>,
        mount: Mount,
        placement: Placement,
        server: Arc<dyn std::any::Any + Send + Sync>,
    ) -> Self {
        Self {
            pool,
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
    /// use crossdrive::socket::Http3Server;
    /// let app = axum::Router::new().fallback(|| std::future::pending::<&'static str>());
    /// let driver = Http3Server::shared().unwrap().http3(app).unwrap().timeout(Duration::from_millis(50));
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
    /// use crossdrive::socket::Http3Server;
    /// let app = axum::Router::new().fallback(|| async { "0123456789" });
    /// let driver = Http3Server::shared().unwrap().http3(app).unwrap().body_limit(4);
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
        Error::new(kind, NAME, method, uri, cause)
    }

    /// Takes the server's private record off a response head: whether
    /// the handler panicked, after proving the request arrived as HTTP/3;
    /// an app's final 1xx is its error.
    fn record(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &mut http::HeaderMap,
    ) -> Result<bool, Error> {
        let Some(record) = self.mount.take_record(headers) else {
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
            Mark::Panicked => return Ok(true),
            Mark::Informational(status) => {
                return Err(Error::final_informational(NAME, method, uri, status));
            }
        }
        let version = record.version;
        if version != Version::HTTP_3 {
            return Err(self
                .error(
                    ErrorKind::Adapter,
                    method,
                    uri,
                    format!(
                        "the server received this request as {}, not {}",
                        Protocol::from_version(version),
                        Protocol::Http3
                    ),
                )
                .with_hint("the client or server negotiated the wrong protocol; check ALPN and prior-knowledge settings"));
        }
        Ok(false)
    }

    /// The response as delivered: its protocol proven from the server's
    /// record, a handler panic turned into its error.
    fn finish(
        &self,
        method: &Method,
        uri: &Uri,
        outcome: Result<Response<Bytes>, Failure>,
    ) -> Result<DriverResponse, Error> {
        let mut response = outcome.map_err(|failure| self.failure(method, uri, failure))?;
        if self.record(method, uri, response.headers_mut())? {
            let message = String::from_utf8_lossy(response.body());
            return Err(Error::handler_panic(NAME, method, uri, &message));
        }
        Ok(DriverResponse::new(response, Protocol::Http3))
    }

    /// A streamed response as delivered, checked as [`finish`](Self::finish)
    /// checks a whole one; a handler panic's message is read (bounded by
    /// the body limit and the timeout) to name it.
    async fn finish_stream(
        &self,
        method: &Method,
        uri: &Uri,
        outcome: Result<Response<ResponseBody>, Failure>,
    ) -> Result<DriverStream, Error> {
        let mut response = outcome.map_err(|failure| self.failure(method, uri, failure))?;
        if !self.record(method, uri, response.headers_mut())? {
            return Ok(DriverStream::new(response, Protocol::Http3));
        }
        let limit = self.body_limit;
        let read = async move {
            BodyExt::collect(Limited::new(response.into_body(), limit))
                .await
                .map(|collected| collected.to_bytes())
                .map_err(|e| Failure::Pool(PoolError::Body(e)))
        };
        let message = match guarded_inline(self.timeout, read).await {
            Ok(body) => String::from_utf8_lossy(&body).into_owned(),
            Err(_) => "(its message could not be read)".to_owned(),
        };
        Err(Error::handler_panic(NAME, method, uri, &message))
    }

    fn failure(&self, method: &Method, uri: &Uri, failure: Failure) -> Error {
        let origin = self.pool.origin();
        match failure {
            Failure::Pool(PoolError::Connect(cause, e)) => self
                .error(ErrorKind::Connection, method, uri, cause)
                .with_source(e)
                .with_hint("the server refused the connection or is gone; was its Http3Server dropped?"),
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
            Failure::Pool(PoolError::TooLarge) => self
                .error(
                    ErrorKind::LimitExceeded,
                    method,
                    uri,
                    format!("the response body is larger than the {}-byte limit", self.body_limit),
                )
                .with_hint("raise it with Http3Driver::body_limit if the app really sends that much"),
            Failure::Pool(PoolError::Invalid(cause, source)) => {
                let error = self
                    .error(ErrorKind::InvalidRequest, method, uri, cause)
                    .with_hint("give the request an origin-form target such as /path?query, and a Host that is a valid authority");
                match source {
                    Some(source) => error.with_source(source),
                    None => error,
                }
            }
            Failure::TimedOut => Error::timeout(NAME, method, uri, self.timeout),
            Failure::Panicked(cause) => self
                .error(
                    ErrorKind::Adapter,
                    method,
                    uri,
                    format!("the client panicked on the caller's tokio runtime ({cause})"),
                )
                .with_hint("the http3 driver awaited inside a tokio runtime runs its QUIC connection there: build the runtime with `enable_all()` (IO and timers), as #[tokio::test] does"),
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
                .with_hint("keep the Http3Server alive and running while its drivers are in use"),
        }
    }

    /// Runs `exchange` over the right pool where this driver's placement
    /// says, bounded by the timeout: `exchange(pool, app header)`.
    async fn run<T, F, Fut>(&self, exchange: F) -> Result<T, Failure>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Pool>, http::HeaderValue) -> Fut,
        Fut: Future<Output = Result<T, PoolError>> + Send + 'static,
    {
        let app = self.mount.header().clone();
        let pooled = |pool: &Arc<Pool>| {
            let call = exchange(Arc::clone(pool), app);
            async move { call.await.map_err(Failure::Pool) }
        };
        match &self.placement {
            Placement::Inline => inline(self.timeout, pooled(&self.pool)).await,
            Placement::Suite {
                server,
                fallback,
                handoffs,
            } => {
                if tokio::runtime::Handle::try_current().is_err() {
                    return on_server(server, self.timeout, pooled(fallback)).await;
                }
                // Connections served on a test's runtime outlive a stopped
                // server's runtime; fail as the server-thread path would.
                if handoffs.is_closing() {
                    return Err(Failure::Gone("the server was stopped".into()));
                }
                guarded_inline(self.timeout, pooled(&self.pool)).await
            }
        }
    }
}

/// The exchange on the caller's runtime, bounded by its own timer: the
/// bench's path, whose runtime has timers by construction.
async fn inline<T, F>(limit: Duration, exchange: F) -> Result<T, Failure>
where
    F: Future<Output = Result<T, Failure>>,
{
    tokio::time::timeout(limit, exchange)
        .await
        .unwrap_or(Err(Failure::TimedOut))
}

/// The exchange on a test's runtime, bounded by crossdrive's own timer
/// thread; tokio's panic on a runtime without IO or timers becomes an
/// error.
async fn guarded_inline<T, F>(limit: Duration, exchange: F) -> Result<T, Failure>
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
/// tokio runtime.
async fn on_server<T, F>(
    server: &tokio::runtime::Handle,
    limit: Duration,
    exchange: F,
) -> Result<T, Failure>
where
    T: Send + 'static,
    F: Future<Output = Result<T, Failure>> + Send + 'static,
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

impl Driver for Http3Driver {
    fn name(&self) -> &str {
        NAME
    }

    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(async move {
            let method = request.method().clone();
            let uri = request.uri().clone();
            let limit = self.body_limit;
            let outcome = self
                .run(move |pool, app| async move { pool.exchange(request, &app, limit).await })
                .await;
            self.finish(&method, &uri, outcome)
        })
    }

    /// Streams both ways: the request body goes out as DATA frames as the
    /// test's body yields them (a task on the connection's runtime), and
    /// this resolves once the response head is in (bounded by the
    /// timeout), with a body that reads DATA frames as they arrive and
    /// the trailers, if any, as its last frame.
    fn stream(&self, request: Request<RequestBody>) -> BoxFuture<'_, Result<DriverStream, Error>> {
        Box::pin(async move {
            let method = request.method().clone();
            let uri = request.uri().clone();
            let outcome = self
                .run(move |pool, app| async move {
                    let response = pool.stream(request, &app).await?;
                    Ok(response.map(ResponseBody::new))
                })
                .await;
            self.finish_stream(&method, &uri, outcome).await
        })
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};
    use std::sync::Arc;

    use crate::{Client, Protocol};
    use axum::Router;
    use axum::routing::{get, post};
    use http::Version;

    use super::super::server::Http3Server;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn hi() -> Router {
        Router::new().route("/", get(|| async { "hi" }))
    }

    /// A bare quinn connection offering `alpn`: what the handshake agreed.
    async fn handshake(server: &Http3Server, alpn: &[&[u8]]) -> Result<Option<Vec<u8>>, String> {
        let crypto = server.tls().quic_client(alpn)?;
        let mut endpoint =
            quinn::Endpoint::client(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
        endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(crypto)));
        let connection = endpoint
            .connect(server.addr(), "localhost")
            .unwrap()
            .await
            .map_err(|e| e.to_string())?;
        let negotiated = connection
            .handshake_data()
            .and_then(|data| data.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
            .and_then(|data| data.protocol);
        connection.close(0u32.into(), b"done");
        Ok(negotiated)
    }

    #[test]
    fn a_raw_quic_client_offering_h3_negotiates_alpn_h3() {
        let server = Http3Server::start("h3-alpn").unwrap();
        let negotiated = rt().block_on(handshake(&server, &[b"h3"])).unwrap();
        assert_eq!(negotiated.as_deref(), Some(&b"h3"[..]));
    }

    #[test]
    fn a_client_offering_only_h2_is_refused_at_the_handshake() {
        let server = Http3Server::start("h3-alpn-refused").unwrap();
        let refused = rt().block_on(handshake(&server, &[b"h2"])).unwrap_err();
        assert!(
            refused.contains("no_application_protocol") || refused.contains("120"),
            "{refused}"
        );
    }

    #[test]
    fn a_request_through_the_driver_is_seen_as_http3_on_both_sides() {
        let server = Http3Server::start("h3-proof").unwrap();
        let client = Client::new(server.http3(hi()).unwrap());
        rt().block_on(async {
            let response = client.get("/").await;
            response.assert_status(200).assert_text("hi");
            assert_eq!(*response.protocol(), Protocol::Http3);
            let private: Vec<_> = response
                .headers()
                .keys()
                .filter(|name| name.as_str().starts_with("x-crossdrive-"))
                .collect();
            assert!(private.is_empty(), "private headers leaked: {private:?}");
        });
        assert_eq!(server.requests_seen(Version::HTTP_3), 1);
        assert_eq!(server.requests_seen(Version::HTTP_2), 0);
        assert_eq!(server.requests_seen(Version::HTTP_11), 0);
        assert_eq!(server.connections_served_inline(), 1);
    }

    #[test]
    fn requests_on_one_runtime_share_one_connection_and_a_new_runtime_opens_another() {
        let server = Http3Server::start("h3-pool").unwrap();
        let client = Client::new(server.http3(hi()).unwrap());
        rt().block_on(async {
            for _ in 0..3 {
                client.get("/").await.assert_status(200);
            }
        });
        assert_eq!(server.connections_opened(), 1);
        rt().block_on(async {
            client.get("/").await.assert_status(200);
        });
        assert_eq!(server.connections_opened(), 2);
        assert_eq!(server.connections_accepted(), 2);
    }

    #[test]
    fn a_request_from_no_tokio_runtime_is_served_on_the_servers_thread() {
        let server = Http3Server::start("h3-no-runtime").unwrap();
        let client = Client::new(server.http3(hi()).unwrap());
        let response = futures_executor::block_on(client.get("/").try_send()).unwrap();
        assert_eq!(*response.assert_status(200).protocol(), Protocol::Http3);
        assert_eq!(server.connections_served_inline(), 0);
    }

    #[test]
    fn an_uploaded_body_reaches_the_app_and_comes_back() {
        let app = Router::new().route("/echo", post(|body: bytes::Bytes| async move { body }));
        let client = Client::new(Http3Server::shared().unwrap().http3(app).unwrap());
        // Past quinn's initial stream window, under axum's 2 MB limit.
        let body = "x".repeat(1536 * 1024);
        rt().block_on(async {
            client
                .post("/echo")
                .body(body.clone())
                .await
                .assert_status(200)
                .assert_text(&body);
        });
    }

    #[test]
    fn a_request_to_a_stopped_server_is_a_connection_error_naming_the_driver() {
        let server = Http3Server::start("h3-stopped").unwrap();
        let client = Client::new(server.http3(hi()).unwrap());
        server.stop();
        let error = rt().block_on(client.get("/").try_send()).unwrap_err();
        assert!(error.is_connection(), "{error}");
        assert!(error.to_string().contains("http3"), "{error}");
    }

    /// A channel whose receiver one request of the app takes, as a body
    /// stream: the test decides when each chunk exists.
    fn channel() -> (
        tokio::sync::mpsc::UnboundedSender<&'static str>,
        impl Fn() -> axum::body::Body + Clone + Send + Sync + 'static,
    ) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<&'static str>();
        let slot = Arc::new(std::sync::Mutex::new(Some(rx)));
        let body = move || {
            let rx = slot.lock().unwrap().take().expect("one request");
            axum::body::Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv()
                    .await
                    .map(|chunk| (Ok::<_, std::convert::Infallible>(chunk), rx))
            }))
        };
        (tx, body)
    }

    #[test]
    fn a_streamed_response_arrives_chunk_by_chunk_before_the_app_wrote_the_last() {
        let (tx, body) = channel();
        let app = Router::new().route("/live", get(move || async move { body() }));
        let client = Client::new(Http3Server::shared().unwrap().http3(app).unwrap());
        rt().block_on(async {
            let mut stream = client.get("/live").stream().await;
            assert_eq!(*stream.assert_status(200).protocol(), Protocol::Http3);
            assert!(!stream.is_buffered());
            tx.send("one").unwrap();
            assert_eq!(stream.next_chunk().await.unwrap().data, "one");
            // "two" does not exist yet: the first chunk came on its own.
            tx.send("two").unwrap();
            assert_eq!(stream.next_chunk().await.unwrap().data, "two");
            drop(tx);
            assert!(stream.next_chunk().await.is_none());
            assert!(stream.is_ended());
        });
    }

    #[test]
    fn trailers_arrive_as_the_streamed_bodys_last_frame() {
        use http_body::Frame;
        let app = Router::new().route(
            "/trailed",
            get(|| async {
                let mut trailers = http::HeaderMap::new();
                trailers.insert("x-checksum", http::HeaderValue::from_static("abc"));
                let frames = [
                    Ok::<_, std::convert::Infallible>(Frame::data(bytes::Bytes::from("body"))),
                    Ok(Frame::trailers(trailers)),
                ];
                axum::body::Body::new(http_body_util::StreamBody::new(futures_util::stream::iter(
                    frames,
                )))
            }),
        );
        let client = Client::new(Http3Server::shared().unwrap().http3(app).unwrap());
        rt().block_on(async {
            let mut stream = client.get("/trailed").stream().await;
            assert_eq!(stream.next_chunk().await.unwrap().data, "body");
            assert!(stream.next_chunk().await.is_none());
            assert_eq!(stream.trailers().unwrap()["x-checksum"], "abc");
        });
    }

    #[test]
    fn an_upload_streams_so_the_app_answers_its_first_chunk_while_the_rest_is_unsent() {
        // The app answers with the first chunk it read, without waiting
        // for the end of the upload, and then echoes the rest.
        let app = Router::new().route(
            "/first",
            post(|body: axum::body::Body| async move {
                let mut body = body.into_data_stream();
                let first = futures_util::StreamExt::next(&mut body)
                    .await
                    .unwrap()
                    .unwrap();
                axum::body::Body::from_stream(futures_util::StreamExt::chain(
                    futures_util::stream::iter([Ok::<_, axum::Error>(first)]),
                    body,
                ))
            }),
        );
        let client = Client::new(Http3Server::shared().unwrap().http3(app).unwrap());
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<&'static str>();
        let upload = crate::RequestBody::from_stream(futures_util::stream::unfold(
            rx,
            |mut rx| async move {
                rx.recv()
                    .await
                    .map(|chunk| (Ok::<_, std::convert::Infallible>(chunk), rx))
            },
        ));
        rt().block_on(async {
            tx.send("head ").unwrap();
            let mut stream = client.post("/first").body_stream(upload).stream().await;
            // The response head and first chunk are in; "tail" is not sent yet.
            assert_eq!(stream.next_chunk().await.unwrap().data, "head ");
            tx.send("tail").unwrap();
            drop(tx);
            let rest = stream.collect().await;
            assert_eq!(rest.text(), "head tail");
        });
    }

    #[test]
    fn a_handler_panic_while_streaming_is_a_handler_panic_error() {
        let app = Router::new().route(
            "/panic",
            get(|| async {
                panic!("streamed on purpose");
                #[allow(unreachable_code)]
                ""
            }),
        );
        let client = Client::new(Http3Server::shared().unwrap().http3(app).unwrap());
        let error = rt()
            .block_on(client.get("/panic").try_stream())
            .unwrap_err();
        assert!(error.is_handler_panic(), "{error}");
        assert!(error.to_string().contains("streamed on purpose"), "{error}");
    }

    #[test]
    fn sixty_four_requests_at_once_share_one_connection() {
        let server = Http3Server::start("h3-burst").unwrap();
        let client = Client::new(server.http3(hi()).unwrap());
        rt().block_on(async {
            let requests = (0..64).map(|_| async { client.get("/").await });
            for response in futures_util::future::join_all(requests).await {
                assert_eq!(*response.assert_status(200).protocol(), Protocol::Http3);
            }
        });
        assert_eq!(server.connections_opened(), 1);
        assert_eq!(server.connections_accepted(), 1);
        assert_eq!(server.requests_seen(Version::HTTP_3), 64);
    }

    #[test]
    fn a_handler_that_never_answers_is_dropped_when_its_client_goes_away() {
        struct Dropped(Arc<std::sync::atomic::AtomicBool>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&dropped);
        let app = Router::new().route(
            "/never",
            get(move || {
                let guard = Dropped(Arc::clone(&flag));
                async move {
                    std::future::pending::<()>().await;
                    drop(guard);
                    ""
                }
            }),
        );
        let server = Http3Server::start("h3-abandoned").unwrap();
        let driver = server
            .http3(app)
            .unwrap()
            .timeout(std::time::Duration::from_millis(100));
        let client = Client::new(driver);
        let rt = rt();
        let error = rt.block_on(client.get("/never").try_send()).unwrap_err();
        assert!(error.is_timeout(), "{error}");
        assert!(!dropped.load(std::sync::atomic::Ordering::SeqCst));
        // The driver goes, and with it its connection: the server drops
        // the handler (the runtime keeps running to let it see the close).
        drop(client);
        rt.block_on(async {
            for _ in 0..500 {
                if dropped.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        });
        assert!(
            dropped.load(std::sync::atomic::Ordering::SeqCst),
            "the handler still runs for a client that is gone"
        );
    }
}
