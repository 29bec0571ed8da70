//! WebSockets in the bench: a [`Step::websocket`](crate::scenario::Step::websocket)
//! opens a WebSocket through whatever carries the cell's requests (a
//! driver, the test client over it, or a floor) and trades messages on it.
//!
//! Every side opens the same way, through [`Exchange::open_websocket`]:
//! a driver through [`Driver::websocket`](crate::Driver::websocket) with
//! tungstenite's framing over the stream it upgraded, the test client
//! through `client.websocket(..)` exactly as a test does, and the floors
//! with tokio-tungstenite's own client on the least transport that reaches
//! the same app (see the floors' legend). What opened is an
//! [`OpenedWebSocket`]: a [`WebSocketConn`] that trades messages, or the
//! response of a handshake the app refused.
//!
//! A driver that cannot carry a WebSocket (its handshake came back with
//! the `websocket-not-carried` note) answers with the app's response
//! marked [`NotCarried`], so its bench cell is reported as unmeasured with
//! that reason rather than as a wrong answer.

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::header::{CONNECTION, HOST, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE};
use http::{HeaderValue, Request, Response};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as Wire;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::guard::{Interrupted, guarded};
use crate::websocket::TestWebSocket;
use crate::websocket::{Handshake, Message, NOT_CARRIED, UpgradedIo};
use crate::{Client, DEFAULT_READ_TIMEOUT, Driver, Error, ErrorKind};

/// What opening a WebSocket came to: a connection to trade messages on,
/// or the response the app gave instead of switching protocols.
///
/// ```
/// use crossdrive::bench::{Exchange, OpenedWebSocket};
/// # let client = crossdrive::__private::doc::websocket_echo_client();
/// # let driver = client.driver().clone();
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let handshake = http::Request::get("/ws").body(bytes::Bytes::new()).unwrap();
/// match driver.open_websocket(handshake).await.unwrap() {
///     OpenedWebSocket::Accepted(mut conn) => {
///         let reply = conn.round_trip("hi".into()).await.unwrap();
///         assert_eq!(reply.as_text(), Some("hi"));
///         conn.close().await.unwrap();
///     }
///     OpenedWebSocket::Refused(response) => panic!("refused: {}", response.status()),
/// }
/// # });
/// ```
#[derive(Debug)]
pub enum OpenedWebSocket {
    /// The app switched protocols.
    Accepted(WebSocketConn),
    /// The app answered with an ordinary response (carrying [`NotCarried`]
    /// in its extensions when the driver cannot carry a WebSocket at all).
    Refused(Response<Bytes>),
}

/// Marks the response of a handshake whose driver cannot carry a
/// WebSocket (it answered with the `websocket-not-carried` note): the bench
/// reports such a cell as unmeasured, naming the driver's reason.
///
/// ```
/// use crossdrive::bench::NotCarried;
/// let reason = NotCarried("lambda cannot carry a WebSocket".into());
/// assert!(reason.0.contains("lambda"));
/// ```
#[derive(Debug, Clone)]
pub struct NotCarried(pub String);

/// An open WebSocket a bench step trades messages on: a raw tungstenite
/// stream (a driver's or a floor's), or the test client's socket.
///
/// ```
/// use crossdrive::bench::WebSocketConn;
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let (client_end, server_end) = tokio::io::duplex(1024);
/// // An echo on the other end, tokio-tungstenite's server role.
/// tokio::spawn(async move {
///     use futures_util::{SinkExt, StreamExt};
///     let mut server = tokio_tungstenite::accept_async(server_end).await.unwrap();
///     while let Some(Ok(m)) = server.next().await {
///         if m.is_text() || m.is_binary() { server.send(m).await.unwrap(); }
///     }
/// });
/// // tungstenite's client takes an absolute ws:// target.
/// let handshake = http::Request::get("ws://localhost/").body(()).unwrap();
/// let (stream, _) = tokio_tungstenite::client_async(
///     crossdrive::bench::websocket_handshake(handshake, "localhost"),
///     Box::new(client_end) as Box<dyn crossdrive::websocket::UpgradedIo>,
/// ).await.unwrap();
/// let mut conn = WebSocketConn::from_stream(stream);
/// assert_eq!(conn.round_trip(vec![1u8, 2].into()).await.unwrap().as_bytes(), [1, 2]);
/// # });
/// ```
pub struct WebSocketConn {
    inner: Conn,
    /// Who opened it, for errors.
    name: String,
    /// The protocol the handshake was observed on, when a driver said.
    protocol: Option<String>,
}

enum Conn {
    Raw(Box<WebSocketStream<Box<dyn UpgradedIo>>>),
    Test(Box<TestWebSocket>),
}

impl std::fmt::Debug for WebSocketConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.inner {
            Conn::Raw(_) => "raw",
            Conn::Test(_) => "test client",
        };
        f.debug_struct("WebSocketConn")
            .field("kind", &kind)
            .field("name", &self.name)
            .finish()
    }
}

impl WebSocketConn {
    /// A connection over a tungstenite stream in the client role (what a
    /// floor opens with `tokio_tungstenite::client_async`).
    ///
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// use tokio_tungstenite::{WebSocketStream, tungstenite::protocol::Role};
    /// let (io, _) = tokio::io::duplex(64);
    /// let io: Box<dyn crossdrive::websocket::UpgradedIo> = Box::new(io);
    /// let stream = WebSocketStream::from_raw_socket(io, Role::Client, None).await;
    /// let _conn = crossdrive::bench::WebSocketConn::from_stream(stream);
    /// # });
    /// ```
    pub fn from_stream(stream: WebSocketStream<Box<dyn UpgradedIo>>) -> Self {
        Self {
            inner: Conn::Raw(Box::new(stream)),
            name: "websocket".to_owned(),
            protocol: None,
        }
    }

    /// A connection over the test client's socket (what a `suite!` test
    /// holds).
    ///
    /// ```
    /// # let client = crossdrive::__private::doc::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let socket = client.websocket("/ws").await.into_websocket();
    /// let mut conn = crossdrive::bench::WebSocketConn::from_test(socket);
    /// assert_eq!(conn.round_trip("x".into()).await.unwrap().as_text(), Some("x"));
    /// # });
    /// ```
    pub fn from_test(socket: TestWebSocket) -> Self {
        let name = socket.driver().to_owned();
        let protocol = Some(socket.protocol().as_str().to_owned());
        Self {
            inner: Conn::Test(Box::new(socket)),
            name,
            protocol,
        }
    }

    fn named(mut self, name: &str) -> Self {
        name.clone_into(&mut self.name);
        self
    }

    /// The protocol the handshake was observed on (`http/1.1`, `h2`, ...),
    /// when the driver that opened it said.
    ///
    /// ```
    /// # let client = crossdrive::__private::doc::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let conn = crossdrive::bench::WebSocketConn::from_test(client.websocket("/ws").await.into_websocket());
    /// assert_eq!(conn.protocol(), Some("in-process"));
    /// # });
    /// ```
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// Sends `message` and returns the next data message the peer sends
    /// (answering its pings meanwhile), waiting at most
    /// [`DEFAULT_READ_TIMEOUT`].
    ///
    /// ```
    /// # let client = crossdrive::__private::doc::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// # let mut conn = crossdrive::bench::WebSocketConn::from_test(client.websocket("/ws").await.into_websocket());
    /// let reply = conn.round_trip("ping me".into()).await.unwrap();
    /// assert_eq!(reply.as_text(), Some("ping me"));
    /// # });
    /// ```
    pub async fn round_trip(&mut self, message: Message) -> Result<Message, Error> {
        match &mut self.inner {
            Conn::Test(socket) => {
                socket.try_send(message).await?;
                socket.try_receive_message().await
            }
            Conn::Raw(stream) => {
                let name = self.name.clone();
                match guarded(DEFAULT_READ_TIMEOUT, raw_round_trip(stream, message)).await {
                    Ok(Ok(reply)) => Ok(reply),
                    Ok(Err(cause)) => Err(broke(&name, cause)),
                    Err(Interrupted::TimedOut(after)) => {
                        Err(broke(&name, format!("no reply within {after:?}"))
                            .with_hint("the app did not answer the message; check that it echoes"))
                    }
                    Err(Interrupted::Panicked(message)) => Err(broke(&name, message)),
                }
            }
        }
    }

    /// Closes the connection with 1000 and waits (bounded) for the peer's
    /// close.
    ///
    /// ```
    /// # let client = crossdrive::__private::doc::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// # let conn = crossdrive::bench::WebSocketConn::from_test(client.websocket("/ws").await.into_websocket());
    /// conn.close().await.unwrap();
    /// # });
    /// ```
    pub async fn close(self) -> Result<(), Error> {
        match self.inner {
            Conn::Test(mut socket) => socket.try_close(1000, "").await.map(drop),
            Conn::Raw(mut stream) => {
                let closing = async move {
                    stream
                        .send(Wire::Close(None))
                        .await
                        .map_err(|e| e.to_string())?;
                    // The peer's close frame, then the end of the stream.
                    while let Some(frame) = stream.next().await {
                        if frame.is_err() {
                            break;
                        }
                    }
                    Ok::<(), String>(())
                };
                match guarded(DEFAULT_READ_TIMEOUT, closing).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(cause)) => Err(broke(&self.name, cause)),
                    Err(Interrupted::TimedOut(after)) => Err(broke(
                        &self.name,
                        format!("the peer did not close within {after:?}"),
                    )),
                    Err(Interrupted::Panicked(message)) => Err(broke(&self.name, message)),
                }
            }
        }
    }
}

/// Sends `message` and reads to the next data message.
async fn raw_round_trip(
    stream: &mut WebSocketStream<Box<dyn UpgradedIo>>,
    message: Message,
) -> Result<Message, String> {
    let wire = match message {
        Message::Text(text) => Wire::text(text),
        Message::Binary(bytes) => Wire::binary(bytes),
    };
    stream.send(wire).await.map_err(|e| e.to_string())?;
    while let Some(frame) = stream.next().await {
        match frame.map_err(|e| e.to_string())? {
            Wire::Text(text) => return Ok(Message::Text(text.as_str().to_owned())),
            Wire::Binary(bytes) => return Ok(Message::Binary(bytes)),
            Wire::Close(frame) => {
                return Err(match frame {
                    Some(f) => format!(
                        "the peer closed ({} {}) instead of replying",
                        f.code, f.reason
                    ),
                    None => "the peer closed instead of replying".to_owned(),
                });
            }
            // Pings are answered by tungstenite as it reads.
            Wire::Ping(_) | Wire::Pong(_) | Wire::Frame(_) => {}
        }
    }
    Err("the connection ended instead of replying".to_owned())
}

fn broke(name: &str, cause: impl std::fmt::Display) -> Error {
    Error::without_request(
        ErrorKind::Connection,
        name,
        format!("the WebSocket broke off: {cause}"),
    )
}

/// `request` as an RFC 6455 opening handshake: the method, target and
/// headers as given, plus `Host` (when missing), `Connection: Upgrade`,
/// `Upgrade: websocket`, `Sec-WebSocket-Version: 13` and a fresh
/// `Sec-WebSocket-Key`, what tungstenite's client and every driver expect.
///
/// ```
/// let handshake = http::Request::get("/ws").body(()).unwrap();
/// let handshake = crossdrive::bench::websocket_handshake(handshake, "localhost");
/// assert_eq!(handshake.headers()["upgrade"], "websocket");
/// assert_eq!(handshake.headers()["host"], "localhost");
/// assert!(handshake.headers().contains_key("sec-websocket-key"));
/// ```
pub fn websocket_handshake<B>(mut request: Request<B>, host: &str) -> Request<B> {
    let headers = request.headers_mut();
    if !headers.contains_key(HOST)
        && let Ok(host) = HeaderValue::from_str(host)
    {
        headers.insert(HOST, host);
    }
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
    if let Ok(key) = HeaderValue::from_str(&generate_key()) {
        headers.insert(SEC_WEBSOCKET_KEY, key);
    }
    request
}

/// Opens a WebSocket through `driver`'s own handshake path.
pub(crate) async fn open_on_driver<D: Driver + ?Sized>(
    driver: &D,
    request: Request<Bytes>,
) -> Result<OpenedWebSocket, Error> {
    let request = websocket_handshake(request, "localhost");
    match driver.websocket(request).await? {
        Handshake::Accepted(upgraded) => {
            let (head, io) = upgraded.into_parts();
            let stream = WebSocketStream::from_raw_socket(io, Role::Client, None).await;
            let mut conn = WebSocketConn::from_stream(stream).named(driver.name());
            conn.protocol = Some(head.protocol.as_str().to_owned());
            Ok(OpenedWebSocket::Accepted(conn))
        }
        Handshake::Refused(delivered) => Ok(refused(delivered.response, &delivered.notes)),
    }
}

/// Opens a WebSocket through the test client, as a test's
/// `client.websocket(..)` does, with `request`'s target and headers.
pub(crate) async fn open_on_client(
    client: &Client,
    request: Request<Bytes>,
) -> Result<OpenedWebSocket, Error> {
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", http::uri::PathAndQuery::as_str)
        .to_owned();
    let mut builder = client.websocket(target);
    for (name, value) in request.headers() {
        builder = builder.header(name.clone(), value.clone());
    }
    let handshake = builder.try_handshake().await?;
    if handshake.is_accepted() {
        return Ok(OpenedWebSocket::Accepted(WebSocketConn::from_test(
            handshake.into_websocket(),
        )));
    }
    let response = handshake.into_response();
    let notes = response.notes().to_vec();
    Ok(refused(response.into_response(), &notes))
}

/// A refused handshake's response, marked when the driver cannot carry a
/// WebSocket at all.
fn refused(mut response: Response<Bytes>, notes: &[crate::AdapterNote]) -> OpenedWebSocket {
    if let Some(note) = notes.iter().find(|n| n.code == NOT_CARRIED) {
        response
            .extensions_mut()
            .insert(NotCarried(note.detail.clone()));
    }
    OpenedWebSocket::Refused(response)
}

/// What an [`Exchange`](crate::bench::Exchange) without a WebSocket path
/// answers.
pub(crate) fn cannot_open(name: &str) -> Error {
    Error::without_request(
        ErrorKind::Adapter,
        name,
        "this side of the bench cannot open a WebSocket",
    )
    .with_hint("implement Exchange::open_websocket for it, or leave WebSocket scenarios out")
}

/// The app served over an in-memory duplex by hyper's HTTP/1.1 server
/// (with upgrades), and tokio-tungstenite's client on the other end: the
/// least a WebSocket to the app can cost with no socket and no crossdrive
/// (the `raw-oneshot` floor's WebSocket path).
pub(crate) async fn open_in_memory(
    app: axum::Router,
    request: Request<Bytes>,
    name: &str,
) -> Result<OpenedWebSocket, Error> {
    let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    let service = hyper_util::service::TowerToHyperService::new(app);
    tokio::spawn(async move {
        let io = hyper_util::rt::TokioIo::new(server_end);
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(io, service)
            .with_upgrades()
            .await;
    });
    let io: Box<dyn UpgradedIo> = Box::new(client_end);
    tungstenite_open(request.map(|_| ()), io, "localhost", name).await
}

/// tokio-tungstenite's own client handshake over `io`.
pub(crate) async fn tungstenite_open(
    request: Request<()>,
    io: Box<dyn UpgradedIo>,
    host: &str,
    name: &str,
) -> Result<OpenedWebSocket, Error> {
    use tokio_tungstenite::tungstenite::Error as WsError;
    let mut request = websocket_handshake(request, host);
    // tungstenite's client takes an absolute ws:// target.
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", http::uri::PathAndQuery::as_str);
    *request.uri_mut() = format!("ws://{host}{target}")
        .parse()
        .map_err(|e| broke(name, format!("no WebSocket URL for {target}: {e}")))?;
    let opening = tokio_tungstenite::client_async(request, io);
    match guarded(DEFAULT_READ_TIMEOUT, opening).await {
        Ok(Ok((stream, _))) => Ok(OpenedWebSocket::Accepted(
            WebSocketConn::from_stream(stream).named(name),
        )),
        Ok(Err(WsError::Http(response))) => {
            let (parts, body) = response.into_parts();
            Ok(OpenedWebSocket::Refused(Response::from_parts(
                parts,
                Bytes::from(body.unwrap_or_default()),
            )))
        }
        Ok(Err(e)) => Err(broke(name, format!("the handshake failed: {e}"))),
        Err(Interrupted::TimedOut(after)) => {
            Err(broke(name, format!("no handshake answer within {after:?}")))
        }
        Err(Interrupted::Panicked(message)) => Err(broke(name, message)),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::sync::Arc;

    use axum::extract::ws::{Message as AxumMessage, WebSocketUpgrade};
    use axum::routing::any;

    use super::*;
    use crate::bench::Exchange;
    use crate::bench::cell::CellError;
    use crate::scenario::{Scenario, Step};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    }

    /// A driver over an in-memory WebSocket echo, counting the sockets
    /// opened through it.
    struct Counting {
        inner: Arc<dyn Driver>,
        opened: Cell<usize>,
    }

    impl Counting {
        fn echo() -> Self {
            let client = crate::__private::doc::websocket_echo_client();
            Self {
                inner: client.driver().clone(),
                opened: Cell::new(0),
            }
        }
    }

    impl Exchange for Counting {
        async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
            self.inner.exchange(request).await
        }

        async fn open_websocket(&self, request: Request<Bytes>) -> Result<OpenedWebSocket, Error> {
            self.opened.set(self.opened.get() + 1);
            self.inner.open_websocket(request).await
        }
    }

    async fn iterations(scenario: &Scenario, exchange: &Counting, n: u64) {
        let prepared = scenario.prepare(exchange).await.expect("prepared");
        for i in 1..=n {
            prepared.run(exchange, i).await.expect("an iteration");
        }
    }

    #[test]
    fn a_socket_kept_open_is_opened_once_for_every_iteration() {
        let echo = Counting::echo();
        let scenario =
            Scenario::new("ws_echo").step(Step::websocket("/ws").message("hi", "hi").keep_open());
        runtime().block_on(iterations(&scenario, &echo, 5));
        assert_eq!(echo.opened.get(), 1);
    }

    #[test]
    fn a_socket_not_kept_open_is_opened_and_closed_in_every_iteration() {
        let echo = Counting::echo();
        let scenario = Scenario::new("ws_connect").step(Step::websocket("/ws"));
        runtime().block_on(iterations(&scenario, &echo, 5));
        assert_eq!(echo.opened.get(), 5);
    }

    #[test]
    fn a_wrong_reply_names_the_reply_expected_and_the_one_that_came() {
        let echo = Counting::echo();
        let scenario = Scenario::new("ws_echo").step(Step::websocket("/ws").message("a", "b"));
        let error = runtime()
            .block_on(async {
                let prepared = scenario.prepare(&echo).await?;
                prepared.run(&echo, 1).await
            })
            .expect_err("a wrong reply fails");
        let text = error.to_string();
        assert!(
            text.contains("step 1 (GET /ws): expected the reply text \"b\", got text \"a\""),
            "{text}"
        );
    }

    #[test]
    fn a_refused_handshake_is_checked_against_the_status_the_step_expects() {
        let echo = Counting::echo();
        let refused = Scenario::new("ws_refused").step(Step::websocket("/nowhere").expect(404));
        runtime().block_on(iterations(&refused, &echo, 2));
        let accepted_but_refusal_expected =
            Scenario::new("ws_refused").step(Step::websocket("/ws").expect(403));
        let error = runtime()
            .block_on(async {
                let prepared = accepted_but_refusal_expected.prepare(&echo).await?;
                prepared.run(&echo, 1).await
            })
            .expect_err("an accepted handshake is not a 403");
        assert!(
            error
                .to_string()
                .contains("expected status 403 Forbidden, got status 101")
        );
    }

    #[test]
    fn a_driver_that_cannot_carry_a_websocket_leaves_its_cell_unmeasured_saying_why() {
        // The mirror has no upgrade path: the default answers with the
        // app's response and the websocket-not-carried note.
        let mirror = crate::__private::doc::Mirror;
        let scenario = Scenario::new("ws_connect").step(Step::websocket("/ws"));
        let error = runtime()
            .block_on(async {
                let prepared = scenario.prepare(&mirror).await?;
                prepared.run(&mirror, 1).await
            })
            .expect_err("the mirror answers 200, not 101");
        let reason = CellError::Scenario(error)
            .unmeasured()
            .expect("unmeasured, not failed");
        assert!(
            reason.contains("mirror cannot carry a WebSocket"),
            "{reason}"
        );
    }

    /// Answers 101 to anything through `send`, and has no upgrade path.
    struct Switches;

    impl Driver for Switches {
        fn name(&self) -> &str {
            "switches"
        }

        fn send(
            &self,
            _: Request<Bytes>,
        ) -> crate::BoxFuture<'_, Result<crate::DriverResponse, Error>> {
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = http::StatusCode::SWITCHING_PROTOCOLS;
            Box::pin(async move {
                Ok(crate::DriverResponse::new(
                    response,
                    crate::Protocol::InProcess,
                ))
            })
        }
    }

    #[test]
    fn a_101_from_a_driver_that_cannot_carry_a_websocket_is_no_websocket() {
        let scenario = Scenario::new("ws_connect").step(Step::websocket("/ws"));
        let error = runtime()
            .block_on(async {
                let prepared = scenario.prepare(&Switches).await?;
                prepared.run(&Switches, 1).await
            })
            .expect_err("a 101 with no connection is no WebSocket");
        let reason = CellError::Scenario(error)
            .unmeasured()
            .expect("unmeasured, not measured");
        assert!(
            reason.contains("switches cannot carry a WebSocket"),
            "{reason}"
        );
    }

    fn echo_app() -> axum::Router {
        // `any`: over HTTP/2 the handshake is a CONNECT.
        axum::Router::new().route(
            "/ws",
            any(|upgrade: WebSocketUpgrade| async move {
                upgrade.on_upgrade(|mut socket| async move {
                    while let Some(Ok(message)) = socket.recv().await {
                        if matches!(message, AxumMessage::Text(_) | AxumMessage::Binary(_))
                            && socket.send(message).await.is_err()
                        {
                            break;
                        }
                    }
                })
            }),
        )
    }

    #[test]
    fn the_in_memory_floor_opens_a_websocket_to_the_app_with_tungstenites_client() {
        runtime().block_on(async {
            let request = Request::get("/ws").body(Bytes::new()).expect("a request");
            let OpenedWebSocket::Accepted(mut conn) =
                open_in_memory(echo_app(), request, "raw-oneshot")
                    .await
                    .expect("opened")
            else {
                panic!("the echo app accepts");
            };
            let reply = conn.round_trip(Message::from(vec![7u8; 70_000])).await;
            assert_eq!(reply.expect("a reply").len(), 70_000);
            conn.close().await.expect("closed");
            let elsewhere = Request::get("/nowhere")
                .body(Bytes::new())
                .expect("a request");
            let refused = open_in_memory(echo_app(), elsewhere, "raw-oneshot").await;
            let Ok(OpenedWebSocket::Refused(response)) = refused else {
                panic!("no route: refused");
            };
            assert_eq!(response.status(), 404);
        });
    }

    #[cfg(feature = "sockets")]
    #[test]
    fn the_socket_floors_open_a_websocket_to_the_drivers_server() {
        use crate::DriverSpec;
        use crate::bench::Topology;
        let mut specs = vec![DriverSpec::http1(), DriverSpec::http2()];
        #[cfg(feature = "tls")]
        specs.push(DriverSpec::http2_tls());
        for spec in specs {
            runtime().block_on(async {
                let pair = crate::bench::floors::pair(&spec, &echo_app, Topology::SameThread)
                    .expect("a pair");
                let request = Request::get("/ws").body(Bytes::new()).expect("a request");
                let opened = pair.floor.open_websocket(request).await;
                let Ok(OpenedWebSocket::Accepted(mut conn)) = opened else {
                    panic!("{}: the floor opens a WebSocket: {opened:?}", spec.name());
                };
                let reply = conn.round_trip("over the floor".into()).await;
                assert_eq!(
                    reply.expect("a reply").as_text(),
                    Some("over the floor"),
                    "{}",
                    spec.name()
                );
                conn.close().await.expect("closed");
            });
        }
    }

    /// `lambda-ws` in the bench: its WebSocket rows beside the `raw-ws-api`
    /// floor, its HTTP rows unmeasured.
    #[cfg(feature = "lambda-ws")]
    mod lambda_ws {
        use std::time::Duration;

        use axum::Router;
        use axum::extract::Request;
        use axum::response::IntoResponse;
        use lambda_http::request::RequestContext;

        use super::runtime;
        use crate::DriverSpec;
        use crate::bench::cell::{CellError, CellPlan, measure_cell};
        use crate::bench::{Plan, Topology};
        use crate::lambda::ws::WebSocketOptions;
        use crate::scenario::{Scenario, Step};

        /// An echo function: `$connect` and `$disconnect` accepted, every
        /// message answered with itself.
        fn echo_function() -> Router {
            Router::new().fallback(|request: Request| async move {
                let route = match request.extensions().get::<RequestContext>() {
                    Some(RequestContext::WebSocket(context)) => context.route_key.clone(),
                    _ => return http::StatusCode::BAD_REQUEST.into_response(),
                };
                match route.as_deref() {
                    Some("$connect" | "$disconnect") => http::StatusCode::OK.into_response(),
                    _ => axum::body::Body::new(request.into_body()).into_response(),
                }
            })
        }

        fn spec() -> DriverSpec {
            let options = WebSocketOptions::new()
                .function(echo_function)
                .two_way("$default");
            DriverSpec::lambda_ws(options)
        }

        fn plan(topology: Topology) -> CellPlan {
            CellPlan {
                round: Plan {
                    warmup: 2,
                    samples: 5,
                    budget: Duration::from_secs(10),
                },
                topology,
                keep_raw: false,
                slow: None,
                repeat_noisy: false,
            }
        }

        fn measure(scenario: &Scenario, topology: Topology) -> Result<String, CellError> {
            // The function is the deployment's own; the suite's app is
            // never reached.
            let app = Router::new;
            runtime()
                .block_on(measure_cell(scenario, &spec(), &app, plan(topology)))
                .map(|measured| {
                    let row = measured.row;
                    assert_eq!(row.driver, "lambda-ws");
                    assert!(row.samples > 0, "{} has no samples", row.scenario);
                    format!("{} {} {}", row.scenario, row.floor, row.protocol)
                })
        }

        #[test]
        fn a_websocket_cell_on_lambda_ws_is_measured_beside_the_raw_ws_api_floor() {
            let connect = Scenario::new("ws_connect").step(Step::websocket("/ws"));
            let echo = Scenario::new("ws_echo").step(
                Step::websocket("/ws")
                    .message("x".repeat(64), "x".repeat(64))
                    .keep_open(),
            );
            for topology in [Topology::SameThread, Topology::Suite] {
                for scenario in [&connect, &echo] {
                    let row = measure(scenario, topology)
                        .unwrap_or_else(|e| panic!("{} ({topology}): {e}", scenario.name()));
                    assert_eq!(
                        row,
                        format!("{} raw-ws-api apigw-websocket", scenario.name()),
                        "{topology}"
                    );
                }
            }
        }

        #[test]
        fn a_refusal_the_function_never_gives_is_a_failure_not_unmeasured() {
            // The echo accepts every handshake: a scenario expecting a
            // refusal is a wrong answer on lambda-ws, not its adapter's.
            let refused = Scenario::new("ws_refused").step(Step::websocket("/ws").expect(401));
            let error = measure(&refused, Topology::SameThread).expect_err("accepted, not 401");
            assert!(error.unmeasured().is_none(), "{error}");
        }

        #[test]
        fn load_runs_and_stages_leave_an_http_scenario_on_lambda_ws_unmeasured_too() {
            use crate::bench::load::{LoadRun, load};
            let health = Scenario::new("health").step(Step::get("/health").expect(200));
            let spec = spec();
            let app = Router::new;
            let run = LoadRun {
                scenario: &health,
                spec: &spec,
                concurrency: 2,
                requests: 10,
                limit: Duration::from_secs(5),
                topology: Topology::CrossThread,
            };
            let Err(loaded) = runtime().block_on(load(run, &app)) else {
                panic!("an HTTP scenario on lambda-ws has no load row");
            };
            let staged =
                runtime().block_on(crate::bench::stages::measure(&health, &spec, &app, 100));
            let Err(staged) = staged else {
                panic!("an HTTP scenario on lambda-ws has no stages");
            };
            for error in [loaded, staged] {
                let reason = error.unmeasured().expect("unmeasured, not failed");
                assert!(
                    reason.contains("lambda-ws carries WebSockets only"),
                    "{reason}"
                );
            }
        }

        #[test]
        fn an_http_scenario_on_lambda_ws_is_unmeasured_saying_it_carries_websockets_only() {
            let health = Scenario::new("health").step(Step::get("/health").expect(200));
            let seeded = Scenario::new("seeded_ws")
                .setup(Step::post("/books").expect(201))
                .step(Step::websocket("/ws"));
            for scenario in [health, seeded] {
                let error = measure(&scenario, Topology::SameThread).expect_err("no HTTP");
                let reason = error.unmeasured().expect("unmeasured, not failed");
                assert!(
                    reason.starts_with(
                        "the scenario sends HTTP requests, and lambda-ws carries WebSockets only"
                    ),
                    "{}: {reason}",
                    scenario.name()
                );
            }
        }
    }
}
