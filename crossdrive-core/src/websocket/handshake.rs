//! What a driver's WebSocket handshake came to: an upgraded byte stream
//! with the head that switched it, or the ordinary response the app gave
//! instead.

use bytes::Bytes;
use http::Response;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::{AdapterNote, DriverResponse, Protocol};

/// What [`Driver::websocket`](crate::Driver::websocket) came to.
///
/// ```
/// use crossdrive_core::websocket::{Handshake, Upgraded};
/// use crossdrive_core::{DriverResponse, Protocol};
///
/// let (client_end, _server_end) = tokio::io::duplex(64);
/// let switched = http::Response::builder().status(101).body(()).unwrap();
/// let accepted = Handshake::Accepted(Upgraded::new(switched, Protocol::Http1, client_end));
/// assert!(accepted.is_accepted());
///
/// let refused = http::Response::builder().status(401).body(bytes::Bytes::new()).unwrap();
/// let refused = Handshake::Refused(DriverResponse::new(refused, Protocol::Http1));
/// assert_eq!(refused.status(), 401);
/// ```
#[derive(Debug)]
pub enum Handshake {
    /// The app accepted: the connection (or, over HTTP/2 and HTTP/3, the
    /// stream) now carries WebSocket frames.
    Accepted(Upgraded),
    /// The app (or the adapter) answered with an ordinary response: a 401
    /// from an auth check, a 426 from a route that cannot upgrade here, a
    /// 404. The client reports it as the response it was.
    Refused(DriverResponse),
}

impl Handshake {
    /// Whether the handshake switched protocols.
    ///
    /// ```
    /// # use crossdrive_core::{DriverResponse, Protocol, websocket::Handshake};
    /// let refused = Handshake::Refused(DriverResponse::new(http::Response::new(bytes::Bytes::new()), Protocol::Http1));
    /// assert!(!refused.is_accepted());
    /// ```
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted(_))
    }

    /// The status of the response head (101, or 200 for an HTTP/2 or
    /// HTTP/3 extended CONNECT, when accepted).
    ///
    /// ```
    /// # use crossdrive_core::{Protocol, websocket::{Handshake, Upgraded}};
    /// let (io, _) = tokio::io::duplex(8);
    /// let ok = http::Response::builder().status(200).body(()).unwrap();
    /// assert_eq!(Handshake::Accepted(Upgraded::new(ok, Protocol::Http2, io)).status(), 200);
    /// ```
    pub fn status(&self) -> http::StatusCode {
        match self {
            Self::Accepted(upgraded) => upgraded.response.status(),
            Self::Refused(delivered) => delivered.response.status(),
        }
    }
}

/// An accepted handshake: the head that switched protocols and the byte
/// stream that now carries WebSocket frames, with what the driver
/// observed on the way.
///
/// ```
/// use crossdrive_core::{AdapterNote, Protocol, websocket::Upgraded};
/// let (io, _peer) = tokio::io::duplex(64);
/// let head = http::Response::builder().status(101).body(()).unwrap();
/// let upgraded = Upgraded::new(head, Protocol::Http1, io)
///     .with_note(AdapterNote::new("example", "a note about the exchange"));
/// assert_eq!(upgraded.response.status(), 101);
/// assert_eq!(upgraded.notes.len(), 1);
/// ```
#[non_exhaustive]
pub struct Upgraded {
    /// The response head: `101 Switching Protocols` over HTTP/1.1, `200`
    /// for an HTTP/2 (RFC 8441) or HTTP/3 (RFC 9220) extended CONNECT.
    pub response: Response<()>,
    /// The protocol the handshake was observed to travel over.
    pub protocol: Protocol,
    /// What the adapter changed in the exchange, in order.
    pub notes: Vec<AdapterNote>,
    /// The upgraded stream; dropping it closes the connection (or resets
    /// the stream), which the server's side sees as the socket going away.
    pub io: Box<dyn UpgradedIo>,
}

impl Upgraded {
    /// An accepted handshake with no adapter notes.
    ///
    /// ```
    /// # use crossdrive_core::{Protocol, websocket::Upgraded};
    /// let (io, _) = tokio::io::duplex(8);
    /// let u = Upgraded::new(http::Response::builder().status(101).body(()).unwrap(), Protocol::InProcess, io);
    /// assert_eq!(u.protocol, Protocol::InProcess);
    /// ```
    pub fn new(response: Response<()>, protocol: Protocol, io: impl UpgradedIo) -> Self {
        Self {
            response,
            protocol,
            notes: Vec::new(),
            io: Box::new(io),
        }
    }

    /// Adds a note about something the adapter changed.
    ///
    /// ```
    /// # use crossdrive_core::{AdapterNote, Protocol, websocket::Upgraded};
    /// let (io, _) = tokio::io::duplex(8);
    /// let u = Upgraded::new(http::Response::new(()), Protocol::Http2, io)
    ///     .with_note(AdapterNote::new("x", "y"));
    /// assert_eq!(u.notes[0].code, "x");
    /// ```
    #[must_use]
    pub fn with_note(mut self, note: AdapterNote) -> Self {
        self.notes.push(note);
        self
    }

    /// The head as a [`DriverResponse`] with an empty body (what the
    /// test's `TestResponse` for the handshake shows), and the stream.
    ///
    /// ```
    /// # use crossdrive_core::{Protocol, websocket::Upgraded};
    /// let (io, _) = tokio::io::duplex(8);
    /// let u = Upgraded::new(http::Response::builder().status(101).body(()).unwrap(), Protocol::Http1, io);
    /// let (head, _io) = u.into_parts();
    /// assert_eq!(head.response.status(), 101);
    /// assert!(head.response.body().is_empty());
    /// ```
    pub fn into_parts(self) -> (DriverResponse, Box<dyn UpgradedIo>) {
        let mut head = DriverResponse::new(self.response.map(|()| Bytes::new()), self.protocol);
        head.notes = self.notes;
        (head, self.io)
    }
}

impl std::fmt::Debug for Upgraded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upgraded")
            .field("response", &self.response)
            .field("protocol", &self.protocol)
            .field("notes", &self.notes)
            .finish_non_exhaustive()
    }
}

/// A byte stream a handshake upgraded to: an HTTP/1.1 connection, an
/// HTTP/2 or HTTP/3 stream, an in-memory duplex. Implemented for every
/// type that is `AsyncRead + AsyncWrite + Send + Unpin + 'static`.
///
/// ```
/// use crossdrive_core::websocket::UpgradedIo;
/// fn takes(_: Box<dyn UpgradedIo>) {}
/// let (io, _) = tokio::io::duplex(8);
/// takes(Box::new(io));
/// ```
pub trait UpgradedIo: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> UpgradedIo for T {}
