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
//! - [`guard`], the cheap timeout-and-panic wrapper drivers use to stay
//!   bounded on any executor.
//! - [`Selection`], the `CROSSDRIVE_DRIVERS` environment variable.
//! - [`conformance`], the adapter conformance suite: 59 checks any driver
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
mod client;
pub mod conformance;
mod driver;
mod error;
pub mod fixture;
pub mod guard;
#[cfg(feature = "parity")]
pub mod parity;
mod protocol;
mod response;
pub mod scenario;
mod selection;

pub use client::{Client, RequestBuilder};
pub use driver::{AdapterNote, BoxFuture, Driver, DriverResponse};
pub use error::{Error, ErrorKind};
pub use protocol::Protocol;
pub use response::{IntoStatus, TestResponse};
pub use scenario::Scenario;
pub use selection::{DRIVERS_ENV, Selection};

// Re-exported so drivers and tests use the exact versions crossdrive speaks.
pub use bytes;
pub use http;

#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "parity")]
    pub use insta;
}
