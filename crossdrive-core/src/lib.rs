//! # crossdrive-core
//!
//! The driver contract under [`crossdrive`](https://docs.rs/crossdrive):
//! what a custom-driver author implements and what every test talks to, as
//! `tower-service` sits under `tower`. Users depend on `crossdrive`, which
//! re-exports every item here at the same path; depend on this crate alone
//! only to publish a driver without the built-in adapters.
//!
//! - [`Driver`], the contract: one `http::Request<Bytes>` in, the response
//!   a real client of the adapter would have received out, with the
//!   [`Protocol`] actually observed and [`AdapterNote`]s for anything the
//!   adapter changed. Object-safe, runtime-agnostic.
//! - [`Error`], one opaque error naming driver, method, URI and cause.
//! - [`Client`] and [`RequestBuilder`], the test-facing API
//!   (`client.get("/todos/1").bearer("t").await`), and [`TestResponse`]
//!   with assertions that print the driver, the request and the whole
//!   response when they fail; [`TestStream`] for streamed bodies.
//! - [`redact`], which header values are secrets and how failure reports
//!   show them (`Bearer <redacted 36 bytes>`), with the
//!   `CROSSDRIVE_SHOW_SECRETS` opt-out for local debugging.
//! - [`guard`], the cheap timeout-and-panic wrapper drivers use to stay
//!   bounded on any executor.
//! - `websocket` (feature `websocket`): WebSockets through any driver,
//!   `Driver::websocket` and the types its handshake resolves to.
//! - [`watchdog`], which names a test whose request is stuck past its
//!   timeout (a handler holding its thread) and ends a run that would hang.
//!
//! This crate knows no adapter: nothing here names Lambda, a socket or a
//! bench (an invariant of ARCHITECTURE.md, checked by `cargo xtask lint`).
//!
//! ```
//! use bytes::Bytes;
//! use crossdrive_core::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
//!
//! struct Hello;
//! impl Driver for Hello {
//!     fn name(&self) -> &str { "hello" }
//!     fn send(&self, _: http::Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
//!         Box::pin(async {
//!             Ok(DriverResponse::new(http::Response::new(Bytes::from("hi")), Protocol::InProcess))
//!         })
//!     }
//! }
//!
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # rt.block_on(async {
//! Client::new(Hello).get("/").await.assert_status(200).assert_text("hi");
//! # });
//! ```

mod body;
mod client;
mod clock;
mod driver;
mod error;
pub mod guard;
pub(crate) mod name;
mod panicking;
mod protocol;
pub mod redact;
mod request_check;
mod response;
mod sse;
mod stream;
pub mod watchdog;
#[cfg(feature = "websocket")]
pub mod websocket;

pub use body::{BoxError, LateNotes, RequestBody, ResponseBody};
pub use client::{Client, RequestBuilder};
pub use driver::{AdapterNote, BoxFuture, Driver, DriverResponse, DriverStream};
pub use error::{Error, ErrorKind};
pub use protocol::Protocol;
pub use response::{IntoStatus, TestResponse};
pub use sse::SseEvent;
pub use stream::{Chunk, DEFAULT_READ_TIMEOUT, TestStream};
#[cfg(feature = "websocket")]
pub use websocket::{TestHandshake, TestWebSocket, WebSocketBuilder};

// Re-exported so drivers and tests use the exact versions crossdrive speaks.
pub use bytes;
pub use http;

/// Support for this crate's own doc examples; not part of the API.
#[doc(hidden)]
pub mod __doc_support {
    use bytes::Bytes;

    use crate::{
        BoxFuture, Client, Driver, DriverResponse, DriverStream, Error, Protocol, RequestBody,
        ResponseBody,
    };

    struct Chunks(Vec<Bytes>);

    impl Driver for Chunks {
        fn name(&self) -> &str {
            "chunks"
        }

        fn send(&self, _: http::Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
            let whole: Vec<u8> = self.0.concat();
            Box::pin(async move {
                Ok(DriverResponse::new(
                    http::Response::new(Bytes::from(whole)),
                    Protocol::InProcess,
                ))
            })
        }

        fn stream(
            &self,
            _: http::Request<RequestBody>,
        ) -> BoxFuture<'_, Result<DriverStream, Error>> {
            let frames = self
                .0
                .clone()
                .into_iter()
                .map(|b| Ok::<_, crate::BoxError>(http_body::Frame::data(b)));
            let body = http_body_util::StreamBody::new(futures_util::stream::iter(frames));
            let mut response = http::Response::new(ResponseBody::new(body));
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("text/event-stream"),
            );
            Box::pin(async move { Ok(DriverStream::new(response, Protocol::InProcess)) })
        }
    }

    /// A client whose driver streams `chunks` as a `text/event-stream` body.
    pub fn streaming_client<const N: usize>(chunks: [&'static str; N]) -> Client {
        Client::new(Chunks(chunks.into_iter().map(Bytes::from).collect()))
    }

    /// A driver named `mirror` that answers 200 with what it was sent: the
    /// request's body and headers, plus `x-method` and `x-uri` (the path
    /// and query).
    pub struct Mirror;

    impl Driver for Mirror {
        fn name(&self) -> &str {
            "mirror"
        }

        fn send(&self, r: http::Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
            let (p, body) = r.into_parts();
            let mut out = http::Response::new(body);
            *out.headers_mut() = p.headers;
            let method = http::HeaderValue::from_str(p.method.as_str());
            let uri = http::HeaderValue::from_str(&p.uri.to_string());
            let headers = out.headers_mut();
            headers.insert("x-method", method.expect("a method is a header value"));
            headers.insert("x-uri", uri.expect("a checked target is a header value"));
            Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) })
        }
    }

    /// A client over an in-memory WebSocket echo named `ws-echo`: `/ws`
    /// accepts (choosing the first subprotocol offered) and echoes text
    /// and binary messages; the text `close CODE REASON` makes it close
    /// with that code; `x-refuse: STATUS` refuses the handshake with that
    /// status; other paths are 404.
    #[cfg(feature = "websocket")]
    pub fn websocket_echo_client() -> Client {
        crate::websocket::doc_echo::client()
    }

    /// A client over [`Mirror`], which answers what it was sent.
    pub fn mirror_client() -> Client {
        Client::new(Mirror)
    }

    /// A driver named `teapot` that answers every request 418 with an
    /// empty body.
    pub struct Teapot;

    impl Driver for Teapot {
        fn name(&self) -> &str {
            "teapot"
        }

        fn send(&self, _: http::Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
            let mut out = http::Response::new(Bytes::new());
            *out.status_mut() = http::StatusCode::IM_A_TEAPOT;
            Box::pin(async move { Ok(DriverResponse::new(out, Protocol::InProcess)) })
        }
    }

    /// A driver named `down` whose every request fails with a connection
    /// error, as a driver whose server is gone does.
    pub struct Down;

    impl Driver for Down {
        fn name(&self) -> &str {
            "down"
        }

        fn send(&self, _: http::Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
            let refused = Error::without_request(crate::ErrorKind::Connection, "down", "refused");
            Box::pin(async move { Err(refused) })
        }
    }
}
