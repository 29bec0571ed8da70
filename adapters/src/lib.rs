//! # crossdrive-adapters
//!
//! The drivers: each puts an app behind one adapter and implements
//! [`crossdrive::Driver`], returning exactly what a client of that adapter
//! would receive.
//!
//! | driver | what it does |
//! |---|---|
//! | `direct` | [`Direct`]: the app called in-process with `oneshot` |
//! | `lambda`, `lambda-url`, `lambda-v1`, `lambda-alb` | [`lambda::Lambda`]: HTTP API, Function URL, REST and ALB events through lambda_http, JSON both ways |
//! | `lambda-runtime` | [`lambda::runtime`]: the real `lambda_http::run` loop in a child process, polling a local Runtime API |
//! | `http1` | [`socket`]: a real server on loopback, hyper's client over HTTP/1.1 with pooled keep-alive |
//! | `http2` | [`socket`]: the same server, hyper's client over h2c (HTTP/2 by prior knowledge) |
//! | `http2-tls` | [`socket`]: HTTP/2 by ALPN over TLS (rustls, ring; feature `tls`) |
//! | `http1-fresh` | [`socket`]: HTTP/1.1 with a new connection per request |
//! | `remote` | [`remote::Remote`]: the same requests to a deployed base URL (`CROSSDRIVE_REMOTE_URL`); not in the driver table, but every [`suite!`] body gets a `::remote` test |
//!
//! The list of drivers lives in one place, the [driver table](driver_table)
//! in `kind.rs`; [`Kind`], the bench floors and the per-driver tests that
//! [`suite!`] generates are all derived from it.
//!
//! [`conformance!`] runs the adapter conformance suite on every driver
//! (one test per check per driver) and [`parity!`] asserts that every
//! driver answers a scenario identically, against one insta snapshot.
//!
//! Apps are `axum::Router`s, which accept every body type the drivers use;
//! any other `tower::Service` can be mounted with
//! `Router::new().fallback_service(service)`.

pub mod conformance;
mod connect;
pub mod direct;
pub mod floor;
mod kind;
pub mod lambda;
pub mod parity;
pub mod remote;
pub mod socket;
pub mod suite;

pub use connect::{ConnectOptions, TIMEOUT_ENV};
pub use direct::Direct;
pub use kind::Kind;

#[doc(hidden)]
pub mod __private {
    pub use crossdrive;
    pub use crossdrive::Client;
}
