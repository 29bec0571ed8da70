//! [`TestWebSocket`]: an open WebSocket a test sends on and reads from,
//! with bounded waits and assertions in the style of [`TestResponse`]'s.
//!
//! The framing is tungstenite's (through tokio-tungstenite, the version
//! axum's `ws` uses), over whatever byte stream the driver's handshake
//! upgraded to, so every driver's socket speaks the same RFC 6455 client:
//! outgoing frames masked, continuation frames reassembled into one
//! message, UTF-8 checked, pings answered. The peer's pings are answered
//! as soon as the socket is next read (every receive, close or pong wait
//! reads), as tungstenite does.
//!
//! Messages arrive in order, and a wait for one kind of thing keeps what
//! arrives meanwhile: data messages that come while the test waits for a
//! pong or a close are returned by the next receive, pongs by the next
//! [`receive_pong`](TestWebSocket::receive_pong).
//!
//! Every wait (a receive, a send the peer does not read, a close) lasts at
//! most the socket's read timeout on crossdrive's own timer; a timeout
//! says what had arrived. Dropping the socket closes the connection (or
//! resets the HTTP/2 or HTTP/3 stream) without a close frame, which the
//! app sees as the socket going away (1006).

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::{self, Message as Wire};

use super::UpgradedIo;
use super::message::{Closed, Message, NO_STATUS};
use super::received::Received;
use crate::guard::{Interrupted, guarded};
use crate::{AdapterNote, Error, ErrorKind, Protocol, TestResponse};

/// An open WebSocket, from [`TestHandshake::into_websocket`](super::TestHandshake::into_websocket).
///
/// ```
/// # let client = crossdrive_core::__doc_support::websocket_echo_client();
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// # rt.block_on(async {
/// let mut socket = client.websocket("/ws").await.into_websocket();
/// socket.send_json(&serde_json::json!({"op": "add", "n": 2})).await;
/// socket.assert_receive_json(&serde_json::json!({"op": "add", "n": 2})).await;
/// socket.ping("are you there").await;
/// assert_eq!(socket.receive_pong().await, "are you there");
/// let reply = socket.close(1000, "done").await;
/// assert_eq!(reply.code, 1000);
/// # });
/// ```
#[must_use = "a socket closes when it is dropped"]
pub struct TestWebSocket {
    /// The handshake: driver, request, the head that switched protocols,
    /// protocol and notes; every report prints it.
    handshake: TestResponse,
    stream: WebSocketStream<Box<dyn UpgradedIo>>,
    subprotocol: Option<String>,
    read_timeout: Duration,
    /// Data messages that arrived while the test waited for a pong or a
    /// close, in order.
    unread: VecDeque<Message>,
    /// Pongs that arrived while the test waited for something else.
    pongs: VecDeque<Bytes>,
    received: Received,
    /// How the socket closed, once it has.
    closed: Option<Closed>,
}

/// One thing read off the socket that the test may be waiting for.
enum Incoming {
    Data(Message),
    Pong(Bytes),
    Closed(Closed),
}

impl TestWebSocket {
    pub(crate) fn new(
        handshake: TestResponse,
        stream: WebSocketStream<Box<dyn UpgradedIo>>,
        subprotocol: Option<String>,
        read_timeout: Duration,
    ) -> Self {
        Self {
            handshake,
            stream,
            subprotocol,
            read_timeout,
            unread: VecDeque::new(),
            pongs: VecDeque::new(),
            received: Received::default(),
            closed: None,
        }
    }

    /// Sets how long each wait lasts at most (a receive, a send the peer
    /// does not read, a close); [`DEFAULT_READ_TIMEOUT`](crate::DEFAULT_READ_TIMEOUT)
    /// unless set here or on the builder.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// use std::time::Duration;
    /// let mut socket = client.websocket("/ws").await.into_websocket()
    ///     .read_timeout(Duration::from_millis(20));
    /// let error = socket.try_receive_message().await.unwrap_err();
    /// assert!(error.to_string().contains("nothing had arrived since the socket opened"));
    /// # });
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The driver's name.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// assert_eq!(client.websocket("/ws").await.into_websocket().driver(), "ws-echo");
    /// # });
    /// ```
    pub fn driver(&self) -> &str {
        self.handshake.driver()
    }

    /// The handshake: the request sent and the head that switched
    /// protocols, with every [`TestResponse`] assertion.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let socket = client.websocket("/ws").await.into_websocket();
    /// socket.handshake().assert_status(101).assert_header("upgrade", "websocket");
    /// # });
    /// ```
    pub fn handshake(&self) -> &TestResponse {
        &self.handshake
    }

    /// The protocol the handshake was observed to travel over
    /// (`HTTP/1.1` for an Upgrade, `HTTP/2` for an extended CONNECT, ...).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let socket = client.websocket("/ws").await.into_websocket();
    /// assert_eq!(*socket.protocol(), crossdrive_core::Protocol::InProcess);
    /// # });
    /// ```
    pub fn protocol(&self) -> &Protocol {
        self.handshake.protocol()
    }

    /// What the adapter changed in the exchange, in order.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// assert!(client.websocket("/ws").await.into_websocket().notes().is_empty());
    /// # });
    /// ```
    pub fn notes(&self) -> &[AdapterNote] {
        self.handshake.notes()
    }

    /// The subprotocol the server chose among those offered, if any.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let socket = client.websocket("/ws").protocols(["v2", "v1"]).await.into_websocket();
    /// assert_eq!(socket.subprotocol(), Some("v2"));
    /// # });
    /// ```
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// How the socket closed, if it has: the peer's close frame, or 1006
    /// for a connection that ended without one.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// assert!(socket.close_status().is_none());
    /// socket.close(1000, "").await;
    /// assert_eq!(socket.close_status().unwrap().code, 1000);
    /// # });
    /// ```
    pub fn close_status(&self) -> Option<&Closed> {
        self.closed.as_ref()
    }

    // ----- sending -----

    /// Sends a message; `Err` if it could not be written within the read
    /// timeout or the socket had closed.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// use crossdrive_core::websocket::Message;
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.try_send(Message::from("a")).await.unwrap();
    /// socket.close(1000, "").await;
    /// assert!(socket.try_send(Message::from("late")).await.is_err());
    /// # });
    /// ```
    pub async fn try_send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        let message = message.into();
        let what = message.to_string();
        let wire = match message {
            Message::Text(text) => Wire::text(text),
            Message::Binary(bytes) => Wire::Binary(bytes),
        };
        self.write(wire, &what).await
    }

    /// Sends a message; fails the test if it could not be sent.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// use crossdrive_core::websocket::Message;
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_message(Message::from("a")).await;
    /// assert_eq!(socket.receive_message().await, Message::from("a"));
    /// # });
    /// ```
    pub async fn send_message(&mut self, message: impl Into<Message>) {
        if let Err(error) = self.try_send(message).await {
            panic!("{error}");
        }
    }

    /// Sends a text message.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_text("hello").await;
    /// assert_eq!(socket.receive_text().await, "hello");
    /// # });
    /// ```
    pub async fn send_text(&mut self, text: impl Into<String>) {
        self.send_message(Message::Text(text.into())).await;
    }

    /// Sends a binary message.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_binary(vec![0u8, 159, 255]).await;
    /// assert_eq!(socket.receive_binary().await, &[0u8, 159, 255][..]);
    /// # });
    /// ```
    pub async fn send_binary(&mut self, bytes: impl Into<Bytes>) {
        self.send_message(Message::Binary(bytes.into())).await;
    }

    /// Serializes `value` and sends it as a text message; fails the test
    /// if it cannot be serialized or sent.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_json(&serde_json::json!({"n": 1})).await;
    /// let echoed: serde_json::Value = socket.receive_json().await;
    /// assert_eq!(echoed["n"], 1);
    /// # });
    /// ```
    pub async fn send_json<T: Serialize + ?Sized>(&mut self, value: &T) {
        match serde_json::to_string(value) {
            Ok(text) => self.send_text(text).await,
            Err(e) => panic!(
                "{}",
                self.error(
                    ErrorKind::InvalidRequest,
                    format!("the JSON message could not be serialized ({e})"),
                    "send a value serde_json can serialize (maps need string keys)",
                )
            ),
        }
    }

    /// Sends `message` split into frames of at most `fragment_size` bytes
    /// (a first frame and continuation frames, RFC 6455 §5.4), as a client
    /// streaming a large message does; the app receives one message. A
    /// text message may be split inside a character: only the whole
    /// message must be UTF-8. A `fragment_size` of 0 is taken as 1.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_fragmented("héllo, frames", 3).await;
    /// socket.assert_receive_text("héllo, frames").await;
    /// # });
    /// ```
    pub async fn send_fragmented(&mut self, message: impl Into<Message>, fragment_size: usize) {
        if let Err(error) = self.try_send_fragmented(message, fragment_size).await {
            panic!("{error}");
        }
    }

    /// [`send_fragmented`](Self::send_fragmented), returning the error
    /// instead of failing the test.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.try_send_fragmented(vec![7u8; 10], 4).await.unwrap();
    /// assert_eq!(socket.receive_binary().await.len(), 10);
    /// # });
    /// ```
    pub async fn try_send_fragmented(
        &mut self,
        message: impl Into<Message>,
        fragment_size: usize,
    ) -> Result<(), Error> {
        let message = message.into();
        let what = format!("{message} in frames of {fragment_size} bytes");
        let (kind, payload) = match message {
            Message::Text(text) => (Data::Text, Bytes::from(text)),
            Message::Binary(bytes) => (Data::Binary, bytes),
        };
        let size = fragment_size.max(1);
        let count = payload.len().div_ceil(size).max(1);
        for index in 0..count {
            let start = index * size;
            let part = payload.slice(start..payload.len().min(start + size));
            let opcode = OpCode::Data(if index == 0 { kind } else { Data::Continue });
            let frame = Frame::message(part, opcode, index + 1 == count);
            self.write_frame(Wire::Frame(frame), &what, index + 1 == count)
                .await?;
        }
        Ok(())
    }

    /// Sends a ping with this payload (at most 125 bytes, RFC 6455 §5.5);
    /// the peer's pong comes back through
    /// [`receive_pong`](Self::receive_pong).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.ping(vec![1u8, 2, 3]).await;
    /// assert_eq!(socket.receive_pong().await, &[1u8, 2, 3][..]);
    /// # });
    /// ```
    pub async fn ping(&mut self, payload: impl Into<Bytes>) {
        if let Err(error) = self.try_ping(payload).await {
            panic!("{error}");
        }
    }

    /// [`ping`](Self::ping), returning the error instead of failing the
    /// test (a payload over 125 bytes is one).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// assert!(socket.try_ping(vec![0u8; 126]).await.unwrap_err().is_invalid_request());
    /// # });
    /// ```
    pub async fn try_ping(&mut self, payload: impl Into<Bytes>) -> Result<(), Error> {
        let payload = payload.into();
        if payload.len() > 125 {
            return Err(self.error(
                ErrorKind::InvalidRequest,
                format!(
                    "a ping's payload is {} bytes; a control frame carries at most 125 (RFC \
                     6455 §5.5)",
                    payload.len()
                ),
                "send a shorter ping payload, or the data as a message",
            ));
        }
        let what = format!("ping ({} bytes)", payload.len());
        self.write(Wire::Ping(payload), &what).await
    }

    // ----- receiving -----

    /// The next data message, waiting at most the read timeout; `Err` if
    /// none came in time (the error says what had arrived), the socket
    /// closed first, or the peer broke the protocol.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// use crossdrive_core::websocket::Message;
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_text("x").await;
    /// assert_eq!(socket.try_receive_message().await.unwrap(), Message::from("x"));
    /// # });
    /// ```
    pub async fn try_receive_message(&mut self) -> Result<Message, Error> {
        if let Some(message) = self.unread.pop_front() {
            return Ok(message);
        }
        loop {
            match self.read("a message").await? {
                Incoming::Data(message) => return Ok(message),
                Incoming::Pong(payload) => self.pongs.push_back(payload),
                Incoming::Closed(closed) => {
                    return Err(self.closed_while_waiting("a message", &closed));
                }
            }
        }
    }

    /// The next data message; fails the test if none came in time.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_binary(vec![1u8]).await;
    /// assert_eq!(socket.receive_message().await.len(), 1);
    /// # });
    /// ```
    pub async fn receive_message(&mut self) -> Message {
        match self.try_receive_message().await {
            Ok(message) => message,
            Err(error) => panic!("{error}"),
        }
    }

    /// The next message, which must be text; fails the test otherwise.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_text("t").await;
    /// assert_eq!(socket.receive_text().await, "t");
    /// # });
    /// ```
    pub async fn receive_text(&mut self) -> String {
        match self.receive_message().await {
            Message::Text(text) => text,
            other => self.fail("message kind", "a text message", &other.to_string()),
        }
    }

    /// The next message, which must be binary; fails the test otherwise.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_binary(vec![9u8]).await;
    /// assert_eq!(socket.receive_binary().await, &[9u8][..]);
    /// # });
    /// ```
    pub async fn receive_binary(&mut self) -> Bytes {
        match self.receive_message().await {
            Message::Binary(bytes) => bytes,
            other => self.fail("message kind", "a binary message", &other.to_string()),
        }
    }

    /// The next message (text or binary) parsed as JSON into `T`; fails
    /// the test if it is not.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_text(r#"{"id": 7}"#).await;
    /// #[derive(serde::Deserialize)]
    /// struct Reply { id: u32 }
    /// assert_eq!(socket.receive_json::<Reply>().await.id, 7);
    /// # });
    /// ```
    pub async fn receive_json<T: DeserializeOwned>(&mut self) -> T {
        let message = self.receive_message().await;
        match serde_json::from_slice(message.as_bytes()) {
            Ok(value) => value,
            Err(e) => self.fail(
                "JSON message",
                &format!("a message that parses as {}", std::any::type_name::<T>()),
                &format!("{message}, which does not ({e})"),
            ),
        }
    }

    /// Receives the next message and fails the test unless it is this
    /// text.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_text("same").await;
    /// socket.assert_receive_text("same").await;
    /// # });
    /// ```
    pub async fn assert_receive_text(&mut self, expected: &str) {
        let message = self.receive_message().await;
        if message.as_text() != Some(expected) {
            self.fail(
                "WebSocket message",
                &Message::from(expected).to_string(),
                &message.to_string(),
            );
        }
    }

    /// Receives the next message and fails the test unless it is text
    /// containing `fragment`.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_text("welcome, ada").await;
    /// socket.assert_receive_text_contains("ada").await;
    /// # });
    /// ```
    pub async fn assert_receive_text_contains(&mut self, fragment: &str) {
        let message = self.receive_message().await;
        if !message
            .as_text()
            .is_some_and(|text| text.contains(fragment))
        {
            self.fail(
                "WebSocket message",
                &format!("a text message containing {fragment:?}"),
                &message.to_string(),
            );
        }
    }

    /// Receives the next message and fails the test unless it is these
    /// bytes, as a binary message.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_binary(vec![4u8, 2]).await;
    /// socket.assert_receive_binary(&[4, 2]).await;
    /// # });
    /// ```
    pub async fn assert_receive_binary(&mut self, expected: &[u8]) {
        let message = self.receive_message().await;
        if !matches!(&message, Message::Binary(bytes) if bytes == expected) {
            self.fail(
                "WebSocket message",
                &Message::from(expected).to_string(),
                &message.to_string(),
            );
        }
    }

    /// Receives the next message and fails the test unless it is JSON
    /// equal to `expected` (compared as JSON values, so key order and
    /// spacing do not matter).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_text(r#"{ "b": 2, "a": 1 }"#).await;
    /// socket.assert_receive_json(&serde_json::json!({"a": 1, "b": 2})).await;
    /// # });
    /// ```
    pub async fn assert_receive_json<T: Serialize + ?Sized>(&mut self, expected: &T) {
        let expected = match serde_json::to_value(expected) {
            Ok(value) => value,
            Err(e) => panic!("the expected JSON could not be serialized ({e})"),
        };
        let message = self.receive_message().await;
        match serde_json::from_slice::<serde_json::Value>(message.as_bytes()) {
            Ok(received) if received == expected => {}
            Ok(received) => self.fail("JSON message", &expected.to_string(), &received.to_string()),
            Err(e) => self.fail(
                "JSON message",
                &expected.to_string(),
                &format!("{message}, which is not JSON ({e})"),
            ),
        }
    }

    /// The next pong's payload, waiting at most the read timeout; data
    /// messages that arrive meanwhile are kept for the next receive.
    /// Fails the test if none came.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_text("first").await;
    /// socket.ping("p").await;
    /// assert_eq!(socket.receive_pong().await, "p");
    /// socket.assert_receive_text("first").await; // kept while waiting for the pong
    /// # });
    /// ```
    pub async fn receive_pong(&mut self) -> Bytes {
        match self.try_receive_pong().await {
            Ok(payload) => payload,
            Err(error) => panic!("{error}"),
        }
    }

    /// [`receive_pong`](Self::receive_pong), returning the error instead
    /// of failing the test.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// use std::time::Duration;
    /// let mut socket = client.websocket("/ws").await.into_websocket().read_timeout(Duration::from_millis(20));
    /// assert!(socket.try_receive_pong().await.unwrap_err().is_timeout()); // no ping was sent
    /// # });
    /// ```
    pub async fn try_receive_pong(&mut self) -> Result<Bytes, Error> {
        if let Some(payload) = self.pongs.pop_front() {
            return Ok(payload);
        }
        loop {
            match self.read("a pong").await? {
                Incoming::Data(message) => self.unread.push_back(message),
                Incoming::Pong(payload) => return Ok(payload),
                Incoming::Closed(closed) => {
                    return Err(self.closed_while_waiting("a pong", &closed));
                }
            }
        }
    }

    // ----- closing -----

    /// Waits for the peer to close the socket and returns its close (1006
    /// if the connection ended without a close frame); the client answers
    /// the peer's close frame as RFC 6455 §5.5.1 asks. Data messages that
    /// arrive first are kept for the next receive. Fails the test if the
    /// peer does not close within the read timeout.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_text("close 4001 bye").await; // the echo app closes on this command
    /// let closed = socket.closed().await;
    /// assert_eq!((closed.code, closed.reason.as_str()), (4001, "bye"));
    /// # });
    /// ```
    pub async fn closed(&mut self) -> Closed {
        match self.try_closed().await {
            Ok(closed) => closed,
            Err(error) => panic!("{error}"),
        }
    }

    /// [`closed`](Self::closed), returning the error instead of failing
    /// the test.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// use std::time::Duration;
    /// let mut socket = client.websocket("/ws").await.into_websocket().read_timeout(Duration::from_millis(20));
    /// let error = socket.try_closed().await.unwrap_err();
    /// assert!(error.is_timeout());
    /// assert!(error.to_string().contains("waiting for the peer to close"));
    /// # });
    /// ```
    pub async fn try_closed(&mut self) -> Result<Closed, Error> {
        loop {
            if let Some(closed) = &self.closed {
                return Ok(closed.clone());
            }
            match self.read("the peer to close").await? {
                Incoming::Data(message) => self.unread.push_back(message),
                Incoming::Pong(payload) => self.pongs.push_back(payload),
                Incoming::Closed(closed) => return Ok(closed),
            }
        }
    }

    /// Waits for the peer to close the socket and fails the test unless it
    /// closed with `code`.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// socket.send_text("close 1008 policy").await;
    /// socket.assert_closed(1008).await;
    /// # });
    /// ```
    pub async fn assert_closed(&mut self, code: u16) -> Closed {
        let closed = self.closed().await;
        if closed.code != code {
            self.fail(
                "WebSocket close code",
                &code.to_string(),
                &closed.to_string(),
            );
        }
        closed
    }

    /// Closes the socket with `code` and `reason` (RFC 6455 §5.5.1) and
    /// waits for the peer's answering close, which it returns (the peer
    /// usually echoes the code). Data messages the peer sent before its
    /// close are kept for [`receive_message`](Self::receive_message). If
    /// the peer had closed first, returns its close. Fails the test if the
    /// close cannot be sent or the peer does not answer in time.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// let answer = socket.close(4000, "test over").await;
    /// assert_eq!(answer.code, 4000);
    /// # });
    /// ```
    pub async fn close(&mut self, code: u16, reason: &str) -> Closed {
        match self.try_close(code, reason).await {
            Ok(closed) => closed,
            Err(error) => panic!("{error}"),
        }
    }

    /// [`close`](Self::close), returning the error instead of failing the
    /// test (a reason over 123 bytes is one, RFC 6455 §5.5).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::websocket_echo_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    /// # rt.block_on(async {
    /// let mut socket = client.websocket("/ws").await.into_websocket();
    /// let long = "x".repeat(124);
    /// assert!(socket.try_close(1000, &long).await.unwrap_err().is_invalid_request());
    /// # });
    /// ```
    pub async fn try_close(&mut self, code: u16, reason: &str) -> Result<Closed, Error> {
        if let Some(closed) = &self.closed {
            return Ok(closed.clone());
        }
        if reason.len() > 123 {
            return Err(self.error(
                ErrorKind::InvalidRequest,
                format!(
                    "a close reason is {} bytes; a close frame carries at most 123 (RFC 6455 §5.5)",
                    reason.len()
                ),
                "shorten the close reason",
            ));
        }
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        let what = format!("close {}", Closed::new(code, reason));
        self.write(Wire::Close(Some(frame)), &what).await?;
        self.try_closed().await
    }

    // ----- the wire -----

    /// Writes one message and flushes it, within the read timeout.
    async fn write(&mut self, wire: Wire, what: &str) -> Result<(), Error> {
        self.write_frame(wire, what, true).await
    }

    /// Writes one message or frame, flushing it if `flush`.
    async fn write_frame(&mut self, wire: Wire, what: &str, flush: bool) -> Result<(), Error> {
        if let Some(closed) = &self.closed {
            let closed = closed.clone();
            return Err(self.closed_before_send(what, &closed));
        }
        let limit = self.read_timeout;
        let written = if flush {
            guarded(limit, self.stream.send(wire)).await
        } else {
            guarded(limit, self.stream.feed(wire)).await
        };
        match written {
            Ok(Ok(())) => {
                self.received.sent();
                Ok(())
            }
            Ok(Err(cause)) => Err(self.send_failed(what, cause)),
            Err(Interrupted::TimedOut(after)) => Err(self.error(
                ErrorKind::Timeout,
                format!(
                    "timed out after {after:?} sending {what}: the peer is not reading \
                         ({})",
                    self.received.summary()
                ),
                "the app stopped reading its socket (a handler that never reads, or one \
                     blocked on something else); raise the wait with read_timeout if it is \
                     legitimately slow",
            )),
            Err(Interrupted::Panicked(message)) => Err(self.panicked(&message)),
        }
    }

    /// Reads the next thing the test may be waiting for (`waiting_for`
    /// names it in a timeout), answering pings and recording everything.
    async fn read(&mut self, waiting_for: &str) -> Result<Incoming, Error> {
        if let Some(closed) = &self.closed {
            let closed = closed.clone();
            return Ok(Incoming::Closed(closed));
        }
        loop {
            let next = guarded(self.read_timeout, self.stream.next()).await;
            let frame = match next {
                Ok(Some(Ok(frame))) => frame,
                Ok(None) => return Ok(self.ended("the connection ended")),
                Ok(Some(Err(cause))) => return self.read_failed(cause),
                Err(Interrupted::TimedOut(after)) => {
                    return Err(self.error(
                        ErrorKind::Timeout,
                        format!(
                            "timed out after {after:?} waiting for {waiting_for} on the \
                             WebSocket: {}",
                            self.received.summary()
                        ),
                        "the app did not send it in time (check what it answers to what the test \
                         sent, or that it sends at all); raise the wait with read_timeout if it \
                         is legitimately slow",
                    ));
                }
                Err(Interrupted::Panicked(message)) => return Err(self.panicked(&message)),
            };
            match frame {
                Wire::Text(text) => {
                    let message = Message::Text(text.as_str().to_owned());
                    self.received.message(message.to_string());
                    return Ok(Incoming::Data(message));
                }
                Wire::Binary(bytes) => {
                    let message = Message::Binary(bytes);
                    self.received.message(message.to_string());
                    return Ok(Incoming::Data(message));
                }
                Wire::Ping(payload) => {
                    // tungstenite queued the pong; send it now rather than
                    // at the next read, which may never come.
                    self.received.ping(payload.len());
                    let _ = guarded(self.read_timeout, self.stream.flush()).await;
                }
                Wire::Pong(payload) => {
                    self.received.pong(payload.len());
                    return Ok(Incoming::Pong(payload));
                }
                Wire::Close(frame) => {
                    let closed = frame.map_or(Closed::new(NO_STATUS, ""), |f| {
                        Closed::new(u16::from(f.code), f.reason.as_str())
                    });
                    // tungstenite queued the answering close (or this is
                    // the answer to ours); flushing sends it, and an error
                    // means the peer has gone already, which is its right.
                    let _ = guarded(self.read_timeout, self.stream.flush()).await;
                    self.received.closed(format!("close {closed}"));
                    self.closed = Some(closed.clone());
                    return Ok(Incoming::Closed(closed));
                }
                Wire::Frame(_) => {}
            }
        }
    }

    /// The connection ended without a close frame: 1006.
    fn ended(&mut self, how: &str) -> Incoming {
        let closed = Closed::abnormal();
        self.received.closed(format!("{how} without a close frame"));
        self.closed = Some(closed.clone());
        Incoming::Closed(closed)
    }

    /// A read error: the connection going away is a close (1006), the
    /// rest are errors.
    fn read_failed(&mut self, cause: tungstenite::Error) -> Result<Incoming, Error> {
        use tungstenite::error::ProtocolError;
        match cause {
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                Ok(self.ended("the connection ended"))
            }
            tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                Ok(self.ended("the connection was reset"))
            }
            tungstenite::Error::Io(io) => Ok(self.ended(&format!("the connection broke ({io})"))),
            tungstenite::Error::Capacity(limit) => Err(self
                .error(
                    ErrorKind::LimitExceeded,
                    format!("a message from the peer was over the client's limit ({limit})"),
                    "the client accepts messages up to 64 MiB and frames up to 16 MiB \
                     (tungstenite's defaults); send less in one message",
                )
                .with_source(tungstenite::Error::Capacity(limit))),
            other => Err(self
                .error(
                    ErrorKind::Adapter,
                    format!("the peer broke the WebSocket protocol: {other}"),
                    "the app (or the adapter between) sent frames RFC 6455 forbids; a browser \
                     would fail this connection too",
                )
                .with_source(other)),
        }
    }

    fn send_failed(&mut self, what: &str, cause: tungstenite::Error) -> Error {
        let gone = matches!(
            cause,
            tungstenite::Error::ConnectionClosed
                | tungstenite::Error::AlreadyClosed
                | tungstenite::Error::Io(_)
        );
        if gone && self.closed.is_none() {
            self.ended("the connection ended");
        }
        let (kind, hint) = if gone {
            (
                ErrorKind::Connection,
                "the app closed the socket or its handler ended; check with closed() how it \
                 closed",
            )
        } else {
            (
                ErrorKind::InvalidRequest,
                "tungstenite refused to send it; see the cause",
            )
        };
        self.error(
            kind,
            format!(
                "could not send {what}: {cause} ({})",
                self.received.summary()
            ),
            hint,
        )
        .with_source(cause)
    }

    fn closed_before_send(&self, what: &str, closed: &Closed) -> Error {
        self.error(
            ErrorKind::Connection,
            format!("could not send {what}: the socket had closed ({closed})"),
            "nothing can be sent after a close; open a new socket with client.websocket(..)",
        )
    }

    fn closed_while_waiting(&self, waiting_for: &str, closed: &Closed) -> Error {
        self.error(
            ErrorKind::Connection,
            format!(
                "the socket closed ({closed}) while the test waited for {waiting_for}: {}",
                self.received.summary()
            ),
            "the app closed the socket or its handler ended; assert that with closed() or \
             assert_closed(code) if it is expected",
        )
    }

    fn panicked(&self, message: &str) -> Error {
        let request = self.handshake.request();
        Error::handler_panic(self.driver(), request.method(), request.uri(), message)
    }

    /// An error naming the driver and the handshake's request.
    fn error(&self, kind: ErrorKind, cause: String, hint: &str) -> Error {
        let request = self.handshake.request();
        Error::new(kind, self.driver(), request.method(), request.uri(), cause).with_hint(hint)
    }

    /// Fails the test with the handshake's report (driver, request, the
    /// head that switched protocols) and what had arrived.
    #[track_caller]
    fn fail(&self, what: &str, expected: &str, received: &str) -> ! {
        panic!(
            "{}websocket: {}",
            self.handshake.report(what, expected, received),
            self.received.summary()
        )
    }
}

impl std::fmt::Debug for TestWebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let request = self.handshake.request();
        f.debug_struct("TestWebSocket")
            .field("driver", &self.driver())
            .field(
                "request",
                &format_args!("{} {}", request.method(), request.uri()),
            )
            .field("protocol", self.protocol())
            .field("subprotocol", &self.subprotocol)
            .field("closed", &self.closed)
            .field("received", &self.received.summary())
            .finish_non_exhaustive()
    }
}
