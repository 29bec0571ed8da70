//! [`Http3Driver`]: one request through h3's client to the HTTP/3 server,
//! over QUIC on a UDP loopback port, and how one is built for an
//! [`Http3Server`].
//!
//! The request carries the private app header; the response comes back as
//! the server sent it, minus the server's record, which becomes the
//! reported [`Protocol`](crate::Protocol). A request the server did not
//! receive as HTTP/3 fails: an "HTTP/3" test that ran over anything else
//! proves nothing. Where the exchange runs, the timeouts, the body limit,
//! the protocol check and the wording of every error and hint are the
//! socket `core`'s, shared with [`SocketDriver`](crate::socket::SocketDriver).

use std::sync::Arc;
use std::time::Duration;

use crate::{
    BoxFuture, Driver, DriverResponse, DriverStream, Error, ErrorKind, RequestBody, ResponseBody,
};
use axum::Router;
use bytes::Bytes;
use http::{Request, Version};

use super::super::core::{ConnKind, Exchange, Placement};
use super::super::handoff::Handoffs;
use super::client::{Pool, Target};
use super::local::Local;
use super::server::Http3Server;

/// The driver's name in test names, reports and errors.
pub(crate) const NAME: &str = "http3";

/// The QUIC connection kind: h3's client on quinn, h3's server.
pub(crate) struct Quic;

impl ConnKind for Quic {
    type Target = Target;
    type Pool = Pool;

    const SERVER: &'static str = "Http3Server";
    const DRIVER: &'static str = "Http3Driver";
    const THE_SERVER: &'static str = "the HTTP/3 server";
    const SOCKETS: &'static str = "UDP sockets";
    const INVALID_HINT: &'static str = "give the request an origin-form target such as \
        /path?query, and a Host that is a valid authority";
    const RUNTIME_HINT: &'static str = "the http3 driver awaited inside a tokio runtime runs its \
        QUIC connection there: build the runtime with `enable_all()` (IO and timers), as \
        #[tokio::test] does";

    fn pool(target: Arc<Target>, handoffs: Option<Arc<Handoffs>>) -> Pool {
        Pool::new(target, handoffs)
    }
}

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
    exchange: Exchange<Quic>,
}

impl std::fmt::Debug for Http3Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.exchange.debug(f, "Http3Driver")
    }
}

/// The driver could not be set up.
fn setup_error(cause: String) -> Error {
    Error::without_request(ErrorKind::Connection, NAME, cause)
}

impl Http3Driver {
    /// A test's driver on `server`: inside a tokio runtime its connection
    /// runs on that runtime, served there too; from no tokio runtime its
    /// requests run on the server's thread.
    pub(crate) fn for_test(server: &Http3Server, app: Router) -> Result<Self, Error> {
        let hosting = server.hosting();
        let runtime = hosting.runtime::<Quic>(NAME)?;
        let target = target(server)?;
        let (pool, placement) = hosting.clients.for_test(runtime, target, &hosting.handoffs);
        Ok(Self::pooled(server, pool, placement, app))
    }

    /// A driver whose pool runs inline on the caller's runtime, its
    /// connection served wherever the server accepts it: the bench's.
    #[cfg_attr(not(feature = "bench"), allow(dead_code))] // the bench's driver
    pub(crate) fn inline(server: &Http3Server, app: Router) -> Result<Self, Error> {
        let (pool, placement) = Placement::inline(target(server)?);
        Ok(Self::pooled(server, pool, placement, app))
    }

    fn pooled(
        server: &Http3Server,
        pool: Arc<Pool>,
        placement: Placement<Quic>,
        app: Router,
    ) -> Self {
        let mount = server.hosting().routes.mount(app);
        let origin = pool.origin();
        let exchange = Exchange::new(NAME, origin, mount, placement, server.keep_alive());
        Self { pool, exchange }
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
        self.exchange.timeout = timeout;
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
        self.exchange.body_limit = bytes;
        self
    }
}

/// What every pool on `server` shares, made once.
fn target(server: &Http3Server) -> Result<Arc<Target>, Error> {
    let hosting = server.hosting();
    hosting.clients.target(|| {
        let config = quic_client(server).map_err(setup_error)?;
        let served = super::server::server_config(server.tls()).map_err(setup_error)?;
        let routes = Arc::clone(&hosting.routes);
        let local = Local::new(served, routes, Arc::clone(&hosting.handoffs));
        Target::new(server.addr(), config, local).map_err(setup_error)
    })
}

/// A quinn client configuration trusting `server`'s certificate and
/// offering ALPN `h3`.
pub(crate) fn quic_client(server: &Http3Server) -> Result<quinn::ClientConfig, String> {
    let crypto = server.tls().quic_client(super::super::tls::ALPN_H3)?;
    Ok(quinn::ClientConfig::new(Arc::new(crypto)))
}

impl Driver for Http3Driver {
    fn name(&self) -> &str {
        NAME
    }

    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(async move {
            let (method, uri) = (request.method().clone(), request.uri().clone());
            let limit = self.exchange.body_limit;
            let outcome = self
                .exchange
                // Boxed once here, as on the TCP drivers: the placement's
                // layers above it move a pointer, not the exchange.
                .run(&self.pool, move |pool, app| {
                    Box::pin(async move { pool.exchange(request, &app, limit).await })
                })
                .await;
            let http3 = Version::HTTP_3;
            self.exchange.finish(&method, &uri, outcome, http3, None)
        })
    }

    /// Streams both ways: the request body goes out as DATA frames as the
    /// test's body yields them (a task on the connection's runtime), and
    /// this resolves once the response head is in (bounded by the
    /// timeout), with a body that reads DATA frames as they arrive and
    /// the trailers, if any, as its last frame.
    fn stream(&self, request: Request<RequestBody>) -> BoxFuture<'_, Result<DriverStream, Error>> {
        Box::pin(async move {
            let (method, uri) = (request.method().clone(), request.uri().clone());
            let outcome = self
                .exchange
                .run(&self.pool, move |pool, app| async move {
                    let response = pool.stream(request, &app).await?;
                    Ok(response.map(ResponseBody::new))
                })
                .await;
            let http3 = Version::HTTP_3;
            self.exchange
                .finish_stream(&method, &uri, outcome, http3, None)
                .await
        })
    }

    /// No WebSocket over HTTP/3 (see `HTTP3_WEBSOCKET`): the handshake
    /// goes as an ordinary request, without the `Connection` and `Upgrade`
    /// headers HTTP/3 forbids (RFC 9114 §4.2), and the app's answer comes
    /// back refused with a `websocket-not-carried` note saying why.
    #[cfg(feature = "websocket")]
    fn websocket(
        &self,
        mut request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<crate::websocket::Handshake, Error>> {
        Box::pin(async move {
            request.headers_mut().remove(http::header::CONNECTION);
            request.headers_mut().remove(http::header::UPGRADE);
            let answered = self.send(request).await?;
            let note = crate::AdapterNote::new(crate::websocket::NOT_CARRIED, HTTP3_WEBSOCKET);
            Ok(crate::websocket::Handshake::Refused(
                answered.with_note(note),
            ))
        })
    }
}

/// The WebSocket conformance checks `http3` cannot meet: every one that
/// needs an accepted socket, for the reason its note gives.
#[cfg(feature = "websocket")]
pub(super) fn websocket_differences() -> Vec<(&'static str, &'static str)> {
    crate::conformance::websocket_not_carried(HTTP3_WEBSOCKET)
}

/// Why `http3` carries no WebSocket, as its note says.
#[cfg(feature = "websocket")]
const HTTP3_WEBSOCKET: &str = "http3 cannot carry a WebSocket: RFC 9220 would open one with an \
    extended CONNECT whose :protocol is `websocket`, but h3 0.0.8's ext::Protocol knows only \
    `webtransport` and `connect-udp` (h3 src/ext.rs), and axum's WebSocketUpgrade takes hyper's \
    OnUpgrade from the request, which only hyper's HTTP/1.1 and HTTP/2 servers provide; the \
    handshake went as an ordinary request, and this is what the app answered";

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
                .filter(|name| super::super::super::wire::is_private(name))
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
