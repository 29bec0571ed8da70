//! [`WebSocketBuilder`]: `client.websocket("/ws")`, a handshake being
//! built, with the request builder's own parts for headers, query, bearer
//! and cookies.

use std::fmt::Display;
use std::future::{Future, IntoFuture};
use std::time::Duration;

use futures_util::FutureExt as _;
use http::{HeaderName, HeaderValue};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::accept;
use super::handshake::Handshake;
use super::test_handshake::TestHandshake;
use crate::{
    BoxFuture, Client, DEFAULT_READ_TIMEOUT, Error, ErrorKind, RequestBuilder, TestResponse,
};

impl Client {
    /// Starts a WebSocket handshake to `uri` (a path with an optional
    /// query). Await it for a [`TestHandshake`]: the response the app
    /// gave, with every [`TestResponse`] assertion, which
    /// [`into_websocket`](TestHandshake::into_websocket) turns into a
    /// [`TestWebSocket`](super::TestWebSocket) when the app accepted.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_text("hello").await;
    /// socket.assert_receive_text("hello").await;
    /// # });
    /// ```
    pub fn websocket(&self, uri: impl AsRef<str>) -> WebSocketBuilder {
        WebSocketBuilder {
            request: self.get(uri),
            protocols: Vec::new(),
            read_timeout: DEFAULT_READ_TIMEOUT,
        }
    }
}

/// A WebSocket handshake being built. Await it to send it.
///
/// ```
/// # let client = crossdrive_core::__doc_support::websocket_echo_client();
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// # rt.block_on(async {
/// let handshake = client
///     .websocket("/ws")
///     .query("room", "a b")
///     .header("x-trace", "1")
///     .protocols(["chat.v2", "chat.v1"])
///     .await;
/// handshake.assert_accepted();
/// assert_eq!(handshake.request().uri(), "/ws?room=a%20b");
/// assert_eq!(handshake.subprotocol(), Some("chat.v2"));
/// # });
/// ```
#[must_use = "a handshake does nothing until it is awaited"]
pub struct WebSocketBuilder {
    request: RequestBuilder,
    protocols: Vec<String>,
    read_timeout: Duration,
}

impl WebSocketBuilder {
    /// Appends `key=value` to the query string, percent-encoding both, as
    /// [`RequestBuilder::query`] does.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let handshake = client.websocket("/ws").query("token", "a+b").await;
    /// assert_eq!(handshake.request().uri(), "/ws?token=a%2Bb");
    /// # });
    /// ```
    pub fn query(mut self, key: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.request = self.request.query(key, value);
        self
    }

    /// Appends a header, as [`RequestBuilder::header`] does. A handshake
    /// header set here (`Sec-WebSocket-Version`, `Sec-WebSocket-Key`, ...)
    /// is sent as set instead of the client's, for testing how the app
    /// answers a wrong one.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let handshake = client.websocket("/ws").header("origin", "https://example.com").await;
    /// assert_eq!(handshake.request().headers()["origin"], "https://example.com");
    /// # });
    /// ```
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: Display,
        V: TryInto<HeaderValue>,
        V::Error: Display,
    {
        self.request = self.request.header(name, value);
        self
    }

    /// Replaces every value of a header with one value, as
    /// [`RequestBuilder::set_header`] does.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let h = client.websocket("/ws").header("x-a", "1").set_header("x-a", "2").await;
    /// assert_eq!(h.request().headers()["x-a"], "2");
    /// # });
    /// ```
    pub fn set_header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: Display,
        V: TryInto<HeaderValue>,
        V::Error: Display,
    {
        self.request = self.request.set_header(name, value);
        self
    }

    /// Sends `Authorization: Bearer <token>` with the handshake.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let h = client.websocket("/ws").bearer("t0k3n").await;
    /// assert_eq!(h.request().headers()["authorization"], "Bearer t0k3n");
    /// # });
    /// ```
    pub fn bearer(mut self, token: impl Display) -> Self {
        self.request = self.request.bearer(token);
        self
    }

    /// Adds a cookie to the handshake's `Cookie` header, as
    /// [`RequestBuilder::cookie`] does.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let h = client.websocket("/ws").cookie("session", "s1").await;
    /// assert_eq!(h.request().headers()["cookie"], "session=s1");
    /// # });
    /// ```
    pub fn cookie(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.cookie(name, value);
        self
    }

    /// Offers a subprotocol (`Sec-WebSocket-Protocol`), after any offered
    /// before; the server picks at most one, which must be one offered.
    /// A name that is not a token (empty, with a space or a comma) is an
    /// error at send.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let h = client.websocket("/ws").protocol("chat.v1").await;
    /// assert_eq!(h.subprotocol(), Some("chat.v1"));
    /// let bad = client.websocket("/ws").protocol("two words").try_handshake().await;
    /// assert!(bad.unwrap_err().is_invalid_request());
    /// # });
    /// ```
    pub fn protocol(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        if accept::is_token(&name) {
            self.protocols.push(name);
        } else {
            self.request.fail(format!(
                "`{}` is not a subprotocol name; use a token such as graphql-transport-ws (no \
                 spaces, commas or quotes)",
                name.escape_debug()
            ));
        }
        self
    }

    /// Offers these subprotocols, in order of preference.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let h = client.websocket("/ws").protocols(["a", "b"]).await;
    /// assert_eq!(h.request().headers()["sec-websocket-protocol"], "a, b");
    /// # });
    /// ```
    pub fn protocols<I>(self, names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        names.into_iter().fold(self, Self::protocol)
    }

    /// How long each wait of the resulting [`TestWebSocket`](super::TestWebSocket)
    /// lasts at most (a receive, a send the peer does not read, a close):
    /// [`DEFAULT_READ_TIMEOUT`] unless set.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// use std::time::Duration;
    /// let mut socket = client.websocket("/ws").read_timeout(Duration::from_millis(50)).await.into_websocket();
    /// let error = socket.try_receive_message().await.unwrap_err();
    /// assert!(error.is_timeout());
    /// # });
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Sends the handshake and returns the driver's error instead of
    /// failing the test (a refused handshake is no error: it is the
    /// response the app gave).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let refused = client.websocket("/not-a-socket").try_handshake().await.unwrap();
    /// refused.assert_status(404);
    /// assert!(!refused.is_accepted());
    /// # });
    /// ```
    pub fn try_handshake(
        self,
    ) -> impl Future<Output = Result<TestHandshake, Error>> + Send + 'static {
        let Self {
            request,
            protocols,
            read_timeout,
        } = self;
        async move {
            let (client, mut request, _) = request.split()?;
            let key = accept::prepare(&mut request, &protocols);
            client.mark_secrets(request.headers_mut());
            let summary = request.clone();
            let handshake = {
                let _in_flight = crate::watchdog::in_flight(request.method(), request.uri());
                client.driver().websocket(request).await?
            };
            let name = client.shared_name();
            match handshake {
                Handshake::Refused(mut delivered) => {
                    client.mark_secrets(delivered.response.headers_mut());
                    Ok(TestHandshake::refused(TestResponse::shared(
                        name, summary, delivered,
                    )))
                }
                Handshake::Accepted(upgraded) => {
                    let chosen = accept::check(&upgraded.response, &key, &protocols);
                    let (mut head, io) = upgraded.into_parts();
                    client.mark_secrets(head.response.headers_mut());
                    let subprotocol = match chosen {
                        Ok(subprotocol) => subprotocol,
                        Err(cause) => {
                            return Err(Error::new(
                                ErrorKind::Adapter,
                                name,
                                summary.method(),
                                summary.uri(),
                                format!("the WebSocket handshake was answered wrongly: {cause}"),
                            )
                            .with_hint(
                                "the server (or the driver's translation of the handshake) broke \
                                 RFC 6455's opening handshake; a browser would refuse this \
                                 connection too",
                            ));
                        }
                    };
                    let response = TestResponse::shared(name, summary, head);
                    let stream = WebSocketStream::from_raw_socket(io, Role::Client, None).await;
                    Ok(TestHandshake::accepted(
                        response,
                        stream,
                        subprotocol,
                        read_timeout,
                    ))
                }
            }
        }
    }
}

impl IntoFuture for WebSocketBuilder {
    type Output = TestHandshake;
    type IntoFuture = BoxFuture<'static, TestHandshake>;

    /// Tracks its caller, so a failed exchange names the line of the test
    /// that awaited it.
    #[track_caller]
    fn into_future(self) -> Self::IntoFuture {
        let at = std::panic::Location::caller();
        Box::pin(self.try_handshake().map(move |sent| match sent {
            Ok(handshake) => handshake,
            Err(error) => panic!("{error}\n  (raised at {at})"),
        }))
    }
}

impl std::fmt::Debug for WebSocketBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketBuilder")
            .field("protocols", &self.protocols)
            .field("read_timeout", &self.read_timeout)
            .finish_non_exhaustive()
    }
}
