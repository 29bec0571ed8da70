//! # crossdrive
//!
//! Write an HTTP test once; run it through every adapter the app will meet
//! in production.
//!
//! This crate holds the parts every driver and every suite share:
//!
//! - [`Driver`], the contract: one `http::Request<Bytes>` in, the response
//!   a real client of the adapter would have received out, with the
//!   [`Protocol`] actually observed and [`AdapterNote`]s for anything the
//!   adapter changed. Object-safe, runtime-agnostic.
//! - [`Error`], one opaque error naming driver, method, URI and cause.
//! - [`Client`] and [`RequestBuilder`], the test-facing API
//!   (`client.get("/todos/1").bearer("t").await`), and [`TestResponse`]
//!   with assertions that print the driver, the request and the whole
//!   response when they fail.
//! - [`redact`], which header values are secrets and how failure reports
//!   show them (`Bearer <redacted 36 bytes>`), with the
//!   `CROSSDRIVE_SHOW_SECRETS` opt-out for local debugging.
//! - [`guard`], the cheap timeout-and-panic wrapper drivers use to stay
//!   bounded on any executor.
//! - [`watchdog`], which names a test whose request is stuck past its
//!   timeout (a handler holding its thread) and ends a run that would hang.
//! - [`Selection`], the `CROSSDRIVE_DRIVERS` environment variable.
//! - [`conformance`], the adapter conformance suite: 63 checks any driver
//!   runs against the echo app, with declared known differences, reports
//!   and the check × driver matrix; [`conformance_tests!`] makes one test
//!   per check for your own driver.
//! - `parity` (feature `parity`), parity snapshots: every driver must
//!   answer a scenario alike, and what they agree on is pinned with insta
//!   (`assert_parity!`).
//! - [`scenario`], bench scenarios as data ([`Scenario`]): requests, the
//!   answers they must get, which of them are timed; run by a bench or
//!   checked by a test.
//! - [`bench`](mod@bench), the latency engine behind `cargo xtask bench`.
//! - [`fixture`], the plumbing for shared servers: bind first, run on a
//!   thread with its own runtime, count and log every start.
//!
//! The drivers themselves live in `crossdrive-adapters`; reference apps and
//! ready-made fixtures in `crossdrive-fixtures`.
//!
//! ```
//! use bytes::Bytes;
//! use crossdrive::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};
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

pub mod bench;
mod body;
mod client;
pub mod conformance;
mod driver;
mod error;
pub mod fixture;
pub mod guard;
mod panicking;
#[cfg(feature = "parity")]
pub mod parity;
mod protocol;
pub mod redact;
mod request_check;
mod response;
pub mod scenario;
mod selection;
mod sse;
mod stream;
pub mod watchdog;

pub use body::{BoxError, LateNotes, RequestBody, ResponseBody};
pub use client::{Client, RequestBuilder};
pub use driver::{AdapterNote, BoxFuture, Driver, DriverResponse, DriverStream};
pub use error::{Error, ErrorKind};
pub use protocol::Protocol;
pub use response::{IntoStatus, TestResponse};
pub use scenario::Scenario;
pub use selection::{DRIVERS_ENV, Selection};
pub use sse::SseEvent;
pub use stream::{Chunk, DEFAULT_READ_TIMEOUT, TestStream};

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
}

#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "parity")]
    pub use insta;
}
