//! [`TestHandshake`]: what awaiting `client.websocket(..)` gives, the
//! response the app gave and, when it accepted, the socket.

use std::time::Duration;

use tokio_tungstenite::WebSocketStream;

use super::UpgradedIo;
use super::socket::TestWebSocket;
use crate::TestResponse;

/// The answer to a WebSocket handshake: the response the app gave, with
/// every [`TestResponse`] assertion (it dereferences to one), and the
/// socket when the app accepted.
///
/// An accepted handshake's response is the head that switched protocols:
/// `101 Switching Protocols` over HTTP/1.1, `200` over HTTP/2 and HTTP/3
/// (extended CONNECT), with an empty body. So a test body run on every
/// driver asserts [`assert_accepted`](Self::assert_accepted), not a
/// status.
///
/// ```
/// # let client = crossdrive_core::__doc_support::websocket_echo_client();
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// # rt.block_on(async {
/// // Refused: an ordinary response, with the usual assertions.
/// client.websocket("/ws").header("x-refuse", "401").await.assert_status(401);
///
/// // Accepted: the socket.
/// let handshake = client.websocket("/ws").await;
/// handshake.assert_accepted();
/// let mut socket = handshake.into_websocket();
/// socket.send_text("hi").await;
/// socket.assert_receive_text("hi").await;
/// # });
/// ```
#[must_use = "a handshake's socket closes when it is dropped"]
pub struct TestHandshake {
    response: TestResponse,
    socket: Option<Accepted>,
}

/// What only an accepted handshake has.
struct Accepted {
    stream: WebSocketStream<Box<dyn UpgradedIo>>,
    subprotocol: Option<String>,
    read_timeout: Duration,
}

impl TestHandshake {
    pub(crate) fn refused(response: TestResponse) -> Self {
        Self {
            response,
            socket: None,
        }
    }

    pub(crate) fn accepted(
        response: TestResponse,
        stream: WebSocketStream<Box<dyn UpgradedIo>>,
        subprotocol: Option<String>,
        read_timeout: Duration,
    ) -> Self {
        Self {
            response,
            socket: Some(Accepted {
                stream,
                subprotocol,
                read_timeout,
            }),
        }
    }

    /// Whether the app accepted the handshake.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// assert!(client.websocket("/ws").await.is_accepted());
    /// assert!(!client.websocket("/elsewhere").await.is_accepted());
    /// # });
    /// ```
    pub fn is_accepted(&self) -> bool {
        self.socket.is_some()
    }

    /// The subprotocol the server chose among those offered, if any.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// assert_eq!(client.websocket("/ws").await.subprotocol(), None);
    /// # });
    /// ```
    pub fn subprotocol(&self) -> Option<&str> {
        self.socket.as_ref().and_then(|s| s.subprotocol.as_deref())
    }

    /// Fails the test unless the app accepted the handshake, with the
    /// driver, the request and the whole response it gave instead.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// client.websocket("/ws").await.assert_accepted();
    /// # });
    /// ```
    #[track_caller]
    pub fn assert_accepted(&self) -> &Self {
        if !self.is_accepted() {
            self.fail_refused();
        }
        self
    }

    /// Fails the test if the app accepted the handshake.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// client.websocket("/ws").header("x-refuse", "403").await.assert_refused().assert_status(403);
    /// # });
    /// ```
    #[track_caller]
    pub fn assert_refused(&self) -> &Self {
        if self.is_accepted() {
            panic!(
                "{}",
                self.response.report(
                    "WebSocket handshake",
                    "the app refuses the handshake with an ordinary response",
                    &format!("it was accepted ({})", self.response.status()),
                )
            );
        }
        self
    }

    /// The socket; fails the test, with the driver, the request and the
    /// whole response the app gave, if the app refused the handshake.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_binary(vec![1u8, 2]).await;
    /// socket.assert_receive_binary(&[1, 2]).await;
    /// # });
    /// ```
    #[track_caller]
    pub fn into_websocket(self) -> TestWebSocket {
        match self.socket {
            Some(Accepted {
                stream,
                subprotocol,
                read_timeout,
            }) => TestWebSocket::new(self.response, stream, subprotocol, read_timeout),
            None => self.fail_refused(),
        }
    }

    /// The response the app gave, by value.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let refused = client.websocket("/elsewhere").await.into_response();
    /// assert_eq!(refused.status(), 404);
    /// # });
    /// ```
    pub fn into_response(self) -> TestResponse {
        self.response
    }

    #[track_caller]
    fn fail_refused(&self) -> ! {
        let note = self
            .response
            .notes()
            .iter()
            .find(|n| n.code == super::NOT_CARRIED)
            .map_or(String::new(), |n| format!(" ({n})"));
        panic!(
            "{}",
            self.response.report(
                "WebSocket handshake",
                "the app accepts the handshake (101 Switching Protocols, or 200 to an extended \
                 CONNECT)",
                &format!("it was refused with {}{note}", self.response.status()),
            )
        )
    }
}

impl std::ops::Deref for TestHandshake {
    type Target = TestResponse;

    fn deref(&self) -> &TestResponse {
        &self.response
    }
}

impl std::fmt::Debug for TestHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestHandshake")
            .field("driver", &self.response.driver())
            .field("status", &self.response.status())
            .field("accepted", &self.is_accepted())
            .field("subprotocol", &self.subprotocol())
            .finish()
    }
}
