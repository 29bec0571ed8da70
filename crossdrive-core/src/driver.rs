//! The driver contract: one HTTP request in, the response a real client of
//! the adapter would have received out.
//!
//! A [`Driver`] is deliberately small and object-safe so a suite can hold
//! `Arc<dyn Driver>` and swap adapters without generics leaking into tests.
//! The future it returns is boxed and `Send`, so it runs on any executor;
//! drivers that need a runtime of their own (socket servers, a Lambda
//! runtime loop) keep it on their own thread and never depend on the
//! caller's.
//!
//! What a driver returns is a [`DriverResponse`]: the `http::Response` plus
//! the [`Protocol`] that was actually observed for this request and the
//! [`AdapterNote`]s describing anything the adapter itself changed (a Lambda
//! event source dropping a repeated header, a base64 round trip). Notes make
//! adapter behaviour visible instead of silently "fixing" it.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use http::{Request, Response};

use crate::{Error, ErrorKind, Protocol, RequestBody, ResponseBody};

/// A boxed, `Send` future: what [`Driver::send`] returns.
///
/// ```
/// use crossdrive_core::BoxFuture;
/// let answer: BoxFuture<'static, u32> = Box::pin(async { 42 });
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// assert_eq!(rt.block_on(answer), 42);
/// ```
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that can carry one HTTP request to an app and bring back the
/// response a real client of that adapter would see.
///
/// # Example
///
/// A driver for a hand-written adapter (here an echo that answers every
/// request with its own path):
///
/// ```
/// use bytes::Bytes;
/// use crossdrive_core::{BoxFuture, Driver, DriverResponse, Error, Protocol};
///
/// struct Echo;
///
/// impl Driver for Echo {
///     fn name(&self) -> &str {
///         "echo"
///     }
///
///     fn send(&self, request: http::Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
///         Box::pin(async move {
///             let body = Bytes::from(request.uri().path().to_owned());
///             Ok(DriverResponse::new(http::Response::new(body), Protocol::InProcess))
///         })
///     }
/// }
///
/// let client = crossdrive_core::Client::new(Echo);
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// client.get("/hi").await.assert_status(200).assert_text("/hi");
/// # });
/// ```
pub trait Driver: Send + Sync {
    /// The driver's name as it appears in test names and bench tables
    /// (`direct`, `http1`, `lambda`, ...).
    fn name(&self) -> &str;

    /// Sends one request and resolves to the response a client of this
    /// adapter would have received, or an [`Error`] naming this driver, the
    /// request's method and URI, and the cause.
    ///
    /// The request URI is origin-form (`/path?query`); drivers that speak to
    /// a server supply scheme and authority themselves.
    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>>;

    /// Sends one request whose body may arrive in chunks, and resolves as
    /// soon as the response head is in, with a body that yields frames as
    /// they arrive. A driver whose adapter streams (a socket, an in-process
    /// call) overrides this; the default buffers: it reads the whole
    /// request body, calls [`send`](Driver::send), and delivers the whole
    /// response body as one frame with a `buffered` [`AdapterNote`], so a
    /// streaming test still runs there and says why it saw no chunks.
    ///
    /// ```
    /// # use bytes::Bytes;
    /// # use crossdrive_core::{BoxFuture, Driver, DriverResponse, Error, Protocol, RequestBody};
    /// struct Echo;
    /// impl Driver for Echo {
    ///     fn name(&self) -> &str { "echo" }
    ///     fn send(&self, r: http::Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    ///         Box::pin(async move { Ok(DriverResponse::new(http::Response::new(r.into_body()), Protocol::InProcess)) })
    ///     }
    /// }
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let request = http::Request::new(RequestBody::chunks(["a", "b"]));
    /// let streamed = Echo.stream(request).await.unwrap();
    /// assert_eq!(streamed.notes[0].code, "buffered");
    /// # });
    /// ```
    fn stream(&self, request: Request<RequestBody>) -> BoxFuture<'_, Result<DriverStream, Error>> {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = match body.collect_bytes().await {
                Ok(body) => body,
                Err(cause) => {
                    return Err(Error::new(
                        ErrorKind::InvalidRequest,
                        self.name(),
                        &parts.method,
                        &parts.uri,
                        "the request body's stream failed before it was sent",
                    )
                    .with_source(cause)
                    .with_hint("the test's body stream returned an error; check its producer"));
                }
            };
            let delivered = self.send(Request::from_parts(parts, body)).await?;
            Ok(DriverStream::buffered(self.name(), delivered))
        })
    }

    /// Opens a WebSocket (feature `websocket`): `request` is the opening
    /// handshake as an HTTP/1.1 client builds it (`GET`, `Connection:
    /// Upgrade`, `Upgrade: websocket`, `Sec-WebSocket-Key`,
    /// `Sec-WebSocket-Version: 13`, any `Sec-WebSocket-Protocol`, the
    /// test's own headers and query, an empty body), and the driver
    /// translates it to its adapter: an HTTP/1.1 Upgrade, an HTTP/2
    /// extended CONNECT with `:protocol websocket` (RFC 8441), an in-memory
    /// connection. It resolves, within the driver's timeout, to
    /// [`Handshake::Accepted`](crate::websocket::Handshake::Accepted) with
    /// the byte stream that now carries frames (the client does the
    /// framing, and checks `Sec-WebSocket-Accept`), or
    /// [`Handshake::Refused`](crate::websocket::Handshake::Refused) with
    /// the ordinary response the app gave.
    ///
    /// The default is for drivers that cannot carry a WebSocket: it sends
    /// the handshake through [`send`](Driver::send) as an ordinary request
    /// and returns what the app answered as `Refused`, with a
    /// [`websocket-not-carried`](crate::websocket::NOT_CARRIED) note, so a
    /// test sees the app's answer (axum's `WebSocketUpgrade` answers 426
    /// where no upgrade is possible), never a hang.
    ///
    /// ```
    /// # use bytes::Bytes;
    /// # use crossdrive_core::{BoxFuture, Driver, DriverResponse, Error, Protocol};
    /// use crossdrive_core::websocket::{Handshake, NOT_CARRIED};
    /// struct Upgradeless;
    /// impl Driver for Upgradeless {
    ///     fn name(&self) -> &str { "upgradeless" }
    ///     fn send(&self, _: http::Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
    ///         let mut answer = http::Response::new(Bytes::new());
    ///         *answer.status_mut() = http::StatusCode::UPGRADE_REQUIRED;
    ///         Box::pin(async move { Ok(DriverResponse::new(answer, Protocol::InProcess)) })
    ///     }
    /// }
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let handshake = http::Request::get("/ws").body(Bytes::new()).unwrap();
    /// let Handshake::Refused(answer) = Upgradeless.websocket(handshake).await.unwrap() else {
    ///     panic!("a driver without an upgrade path cannot accept");
    /// };
    /// assert_eq!(answer.response.status(), 426);
    /// assert_eq!(answer.notes[0].code, NOT_CARRIED);
    /// # });
    /// ```
    #[cfg(feature = "websocket")]
    fn websocket(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<crate::websocket::Handshake, Error>> {
        Box::pin(async move {
            let delivered = self.send(request).await?;
            let note = AdapterNote::new(
                crate::websocket::NOT_CARRIED,
                format!(
                    "{} cannot carry a WebSocket: the handshake went to the app as an ordinary \
                     request, and this is what it answered",
                    self.name()
                ),
            );
            Ok(crate::websocket::Handshake::Refused(
                delivered.with_note(note),
            ))
        })
    }
}

impl<D: Driver + ?Sized> Driver for std::sync::Arc<D> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        (**self).send(request)
    }

    fn stream(&self, request: Request<RequestBody>) -> BoxFuture<'_, Result<DriverStream, Error>> {
        (**self).stream(request)
    }

    #[cfg(feature = "websocket")]
    fn websocket(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<crate::websocket::Handshake, Error>> {
        (**self).websocket(request)
    }
}

/// The response a driver brought back, with what it observed on the way.
///
/// ```
/// use crossdrive_core::{DriverResponse, Protocol};
/// let response = http::Response::builder().status(204).body(bytes::Bytes::new()).unwrap();
/// let delivered = DriverResponse::new(response, Protocol::Http2);
/// assert_eq!(delivered.response.status(), 204);
/// assert_eq!(delivered.protocol, Protocol::Http2);
/// assert!(delivered.notes.is_empty());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DriverResponse {
    /// The HTTP response as the adapter's client received it.
    pub response: Response<Bytes>,
    /// The protocol observed for this request (not the one that was hoped for).
    pub protocol: Protocol,
    /// What the adapter changed in the exchange, in order.
    pub notes: Vec<AdapterNote>,
}

impl DriverResponse {
    /// A response with no adapter notes.
    ///
    /// ```
    /// use crossdrive_core::{DriverResponse, Protocol};
    /// let r = DriverResponse::new(http::Response::new(bytes::Bytes::new()), Protocol::Http1);
    /// assert!(r.notes.is_empty());
    /// ```
    pub fn new(response: Response<Bytes>, protocol: Protocol) -> Self {
        Self {
            response,
            protocol,
            notes: Vec::new(),
        }
    }

    /// Adds a note about something the adapter changed.
    ///
    /// ```
    /// use crossdrive_core::{AdapterNote, DriverResponse, Protocol};
    /// let r = DriverResponse::new(http::Response::new(bytes::Bytes::new()), Protocol::InProcess)
    ///     .with_note(AdapterNote::new("base64", "response body travelled base64-encoded"));
    /// assert_eq!(r.notes[0].code, "base64");
    /// ```
    pub fn with_note(mut self, note: AdapterNote) -> Self {
        self.notes.push(note);
        self
    }
}

/// One thing an adapter did to the exchange that a plain HTTP client would
/// not have seen, such as a header it dropped or a body it re-encoded.
///
/// ```
/// use crossdrive_core::AdapterNote;
/// let note = AdapterNote::new("v2-first-header-value-only", "x-multi kept only its first value");
/// assert_eq!(note.code, "v2-first-header-value-only");
/// assert_eq!(note.detail, "x-multi kept only its first value");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AdapterNote {
    /// A short stable identifier (`v2-first-header-value-only`, `base64-response`).
    pub code: &'static str,
    /// A sentence saying what changed and why.
    pub detail: String,
}

impl AdapterNote {
    /// A note with a stable code and a human sentence.
    ///
    /// ```
    /// let n = crossdrive_core::AdapterNote::new("stage-prefix", "path gained the /prod stage prefix");
    /// assert_eq!(n.to_string(), "stage-prefix: path gained the /prod stage prefix");
    /// ```
    pub fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for AdapterNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

/// A response a driver is still delivering: the head as it arrived, and a
/// body that yields frames as they come, with what the driver observed on
/// the way. What [`Driver::stream`] returns.
///
/// ```
/// use crossdrive_core::{DriverStream, Protocol, ResponseBody};
/// let streamed = DriverStream::new(http::Response::new(ResponseBody::full("hi")), Protocol::Http1);
/// assert_eq!(streamed.response.status(), 200);
/// assert!(streamed.notes.is_empty());
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct DriverStream {
    /// The response head, and its body still arriving.
    pub response: Response<ResponseBody>,
    /// The protocol observed for this request.
    pub protocol: Protocol,
    /// What the adapter changed in the exchange, in order.
    pub notes: Vec<AdapterNote>,
}

impl DriverStream {
    /// A streamed response with no adapter notes.
    ///
    /// ```
    /// use crossdrive_core::{DriverStream, Protocol, ResponseBody};
    /// let s = DriverStream::new(http::Response::new(ResponseBody::full("")), Protocol::InProcess);
    /// assert_eq!(s.protocol, Protocol::InProcess);
    /// ```
    pub fn new(response: Response<ResponseBody>, protocol: Protocol) -> Self {
        Self {
            response,
            protocol,
            notes: Vec::new(),
        }
    }

    /// A response that arrived whole, delivered as one frame, with a
    /// `buffered` note saying that `driver`'s adapter buffers bodies.
    ///
    /// ```
    /// use crossdrive_core::{DriverResponse, DriverStream, Protocol};
    /// let whole = DriverResponse::new(http::Response::new(bytes::Bytes::from("all")), Protocol::InProcess);
    /// let s = DriverStream::buffered("lambda", whole);
    /// assert_eq!(s.notes[0].code, "buffered");
    /// ```
    pub fn buffered(driver: &str, delivered: DriverResponse) -> Self {
        let DriverResponse {
            response,
            protocol,
            mut notes,
        } = delivered;
        notes.push(AdapterNote::new(
            "buffered",
            format!(
                "{driver} buffers: the whole response was read before the test saw its first \
                 byte, so it arrives as one chunk"
            ),
        ));
        Self {
            response: response.map(ResponseBody::full),
            protocol,
            notes,
        }
    }

    /// Adds a note about something the adapter changed.
    ///
    /// ```
    /// use crossdrive_core::{AdapterNote, DriverStream, Protocol, ResponseBody};
    /// let s = DriverStream::new(http::Response::new(ResponseBody::full("")), Protocol::InProcess)
    ///     .with_note(AdapterNote::new("prelude", "status and headers came from the streaming prelude"));
    /// assert_eq!(s.notes.len(), 1);
    /// ```
    pub fn with_note(mut self, note: AdapterNote) -> Self {
        self.notes.push(note);
        self
    }
}
