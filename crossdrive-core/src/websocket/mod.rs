//! WebSockets through any driver (feature `websocket`).
//!
//! The contract is one more [`Driver`](crate::Driver) method,
//! [`websocket`](crate::Driver::websocket): it takes the opening
//! handshake as an HTTP/1.1 client builds it (`GET`, `Connection:
//! Upgrade`, `Upgrade: websocket`, `Sec-WebSocket-Key`,
//! `Sec-WebSocket-Version: 13`, any `Sec-WebSocket-Protocol`, the test's
//! own headers and query) and resolves to a [`Handshake`]: either
//! [`Upgraded`], the head that switched protocols and the byte stream that
//! now carries frames, or the ordinary response the app gave instead.
//! Each driver translates the handshake to its adapter (an HTTP/1.1
//! Upgrade, an HTTP/2 extended CONNECT with `:protocol websocket` per
//! RFC 8441, an in-memory connection); the framing above the byte stream
//! is the client's, the same for every driver.
//!
//! A driver that cannot carry a WebSocket keeps the default, which sends
//! the handshake as an ordinary request and reports what the app answered
//! as [`Handshake::Refused`] with a `websocket-not-carried` note: a test
//! sees the app's answer (axum's `WebSocketUpgrade` answers 426 where no
//! upgrade is possible), never a hang.
//!
//! The test's side is [`Client::websocket`](crate::Client::websocket): a
//! [`WebSocketBuilder`] (headers, query, subprotocols, the request
//! builder's own parts) that resolves to a [`TestHandshake`], the
//! response the app gave with every `TestResponse` assertion, and from an
//! accepted one a [`TestWebSocket`] that sends and receives whole
//! [`Message`]s with bounded waits and reports how it [`Closed`]. The
//! client adds the handshake headers and checks the head that switched
//! protocols (`Sec-WebSocket-Accept`, the subprotocol chosen) the same for
//! every driver.
//!
//! ```
//! # let client = crossdrive_core::__doc_support::websocket_echo_client();
//! # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
//! # rt.block_on(async {
//! let mut socket = client.websocket("/ws").protocol("chat").await.into_websocket();
//! assert_eq!(socket.subprotocol(), Some("chat"));
//! socket.send_text("hello").await;
//! socket.assert_receive_text("hello").await;
//! socket.close(1000, "bye").await;
//!
//! client.websocket("/ws").header("x-refuse", "401").await.assert_status(401);
//! # });
//! ```

mod accept;
mod builder;
#[doc(hidden)]
pub(crate) mod doc_echo;
mod handshake;
mod message;
mod received;
mod socket;
mod test_handshake;
#[cfg(test)]
mod tests;

pub use builder::WebSocketBuilder;
pub use handshake::{Handshake, Upgraded, UpgradedIo};
pub use message::{Closed, Message};
pub use socket::TestWebSocket;
pub use test_handshake::TestHandshake;

/// The [`AdapterNote`](crate::AdapterNote) code the default
/// [`Driver::websocket`](crate::Driver::websocket) attaches to the
/// response of a handshake its driver could not carry.
///
/// ```
/// assert_eq!(crossdrive_core::websocket::NOT_CARRIED, "websocket-not-carried");
/// ```
pub const NOT_CARRIED: &str = "websocket-not-carried";
