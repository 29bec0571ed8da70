//! # crossdrive
//!
//! Write an HTTP test once; run it through every adapter the app will meet
//! in production. This is the one crate a user depends on:
//!
//! ```toml
//! [dev-dependencies]
//! crossdrive = "0.1"
//! ```
//!
//! - The contract and the test client, from `crossdrive-core` and
//!   re-exported here: [`Driver`], [`Client`], [`TestResponse`] and its
//!   assertions, [`TestStream`], [`Error`], [`guard`], [`redact`],
//!   [`watchdog`].
//! - The drivers: each puts an app behind one adapter and implements
//!   [`Driver`], returning exactly what a client of that adapter would
//!   receive (the table below).
//! - The runners: [`suite!`] (one test body, one test per driver),
//!   [`conformance!`] (the adapter conformance checks), [`parity!`] and
//!   [`assert_parity!`] (every driver answers alike, pinned by insta),
//!   `bench` and `bench_main!` (feature `bench`: each driver beside its floor).
//! - `Scenario` (feature `bench`), bench scenarios as data; [`fixture`], the plumbing for
//!   shared servers; [`Selection`], the `CROSSDRIVE_DRIVERS` variable.
//!
//! | driver | what it does | feature |
//! |---|---|---|
//! | `direct` | [`Direct`]: the app called in-process with `oneshot` | always |
//! | `lambda`, `lambda-url`, `lambda-v1`, `lambda-alb` | [`lambda::Lambda`]: HTTP API, Function URL, REST and ALB events through lambda_http, JSON both ways | `lambda` (default) |
//! | `lambda-runtime` | [`lambda::runtime`]: the real `lambda_http::run` loop in a child process, polling a local Runtime API | `lambda` (default) |
//! | `http1` | [`socket`]: a real server on loopback, hyper's client over HTTP/1.1 with pooled keep-alive | `sockets` (default) |
//! | `http2` | [`socket`]: the same server, hyper's client over h2c (HTTP/2 by prior knowledge) | `sockets` (default) |
//! | `http2-tls` | [`socket`]: HTTP/2 by ALPN over TLS (rustls, ring) | `tls` |
//! | `http1-fresh` | [`socket`]: HTTP/1.1 with a new connection per request | `sockets` (default) |
//! | `http3` | [`socket::http3`]: HTTP/3 over QUIC on UDP loopback (quinn, h3), TLS 1.3, ALPN `h3` | `http3` |
//! | `remote` | [`remote::Remote`]: the same requests to a deployed base URL (`CROSSDRIVE_REMOTE_URL`); not in the driver table, but every [`suite!`] body gets a `::remote` test | `remote` |
//!
//! Features: `lambda` and `sockets` are on by default; `tls`, `http3`, `remote`
//! (reqwest, and `SocketServer::http1_with` and friends), `websocket`
//! (`client.websocket("/ws")` and `TestWebSocket`, carried by `direct`, the
//! TCP socket drivers and `remote`; docs/websockets.md), `bench` (the
//! bench runner) and `parity` (insta snapshots, [`parity!`]) are opt-in.
//! The smallest useful set is `default-features = false, features =
//! ["sockets"]`; `direct` alone needs no feature. A driver left out by its
//! feature has no tests in [`suite!`] or [`conformance!`], and is not in
//! [`Drivers::builtin()`].
//!
//! The drivers a suite, conformance run, parity check or bench runs over
//! are a value, [`Drivers`]: [`Drivers::builtin()`] by default, configured
//! per deployment and extended with drivers of your own
//! ([`DriverSpec`]) from your crate. The built-ins are listed once, in the
//! [driver table](driver_table) in `kind.rs`, from which [`Kind`] and the
//! built-in test names [`suite!`] generates come.
//!
//! `bench` (feature `bench`) benches an app's own scenarios through every
//! driver, each beside its floor: a user's `harness = false` bench binary
//! is one `bench_main!` call, and so is crossdrive's own.
//!
//! [`conformance!`] runs the adapter conformance suite on every driver
//! (one test per check per driver) and [`parity!`] asserts that every
//! driver answers a scenario identically, against one insta snapshot.
//!
//! An app is anything [`IntoApp`]: an `axum::Router` as it is, or any
//! `tower::Service` that never fails, mounted as a router's fallback.

mod app;
#[cfg(feature = "bench")]
pub mod bench;
pub mod conformance;
mod connect;
pub mod direct;
#[cfg(feature = "websocket")]
mod direct_ws;
mod drivers;
pub mod fixture;
mod kind;
#[cfg(feature = "lambda")]
pub mod lambda;
mod macros;
#[cfg(feature = "parity")]
pub mod parity;
#[cfg(any(feature = "lambda", feature = "sockets"))]
mod random;
mod registry;
pub mod remote;
#[cfg(all(feature = "remote", feature = "websocket"))]
mod remote_ws;
#[cfg(feature = "bench")]
pub mod scenario;
mod selection;
#[cfg(feature = "sockets")]
pub mod socket;
mod stage;
pub mod suite;
#[cfg(feature = "websocket")]
mod upgrade;

pub use crossdrive_core::{
    AdapterNote, BoxError, BoxFuture, Chunk, Client, DEFAULT_READ_TIMEOUT, Driver, DriverResponse,
    DriverStream, Error, ErrorKind, IntoStatus, LateNotes, Protocol, RequestBody, RequestBuilder,
    ResponseBody, SseEvent, TestResponse, TestStream, bytes, guard, http, redact, watchdog,
};

#[cfg(feature = "websocket")]
pub use crossdrive_core::websocket;
#[cfg(feature = "websocket")]
pub use crossdrive_core::{TestHandshake, TestWebSocket, WebSocketBuilder};

pub use app::IntoApp;
pub use connect::{ConnectOptions, TIMEOUT_ENV};
pub use direct::Direct;
pub use drivers::{ConnectFn, DriverSpec, Drivers, FloorFn};
pub use kind::Kind;
#[cfg(feature = "bench")]
pub use scenario::Scenario;
pub use selection::{DRIVERS_ENV, Selection};

/// What the macros and doc examples of this crate use that is not API:
/// the one door to it, hidden, with no stability promise.
#[doc(hidden)]
pub mod __private {
    pub use axum::Router;
    pub use crossdrive_core::__doc_support as doc;
    #[cfg(feature = "parity")]
    pub use insta;

    #[cfg(feature = "bench")]
    pub use crate::bench::runner::serve_lambda_child;
    pub use crate::suite::differs::Declared;
    #[cfg(feature = "remote")]
    pub use crate::suite::run::run_remote;
    pub use crate::suite::run::{Body, Generated, run};
}
