//! The socket drivers: the app behind a real server on a real loopback
//! socket, reached by a real client.
//!
//! | driver | client | on the wire |
//! |---|---|---|
//! | `http1` | hyper `client::conn`, HTTP/1.1 only, pooled keep-alive | HTTP/1.1 |
//! | `http2` | hyper `client::conn`, HTTP/2 by prior knowledge | h2c |
//! | `http2-tls` | hyper over rustls (ring), ALPN `h2`, `http/1.1` | HTTP/2 over TLS |
//! | `http1-fresh` | hyper, HTTP/1.1, a new connection per request | HTTP/1.1 |
//! | `http3` | h3 on quinn, one pooled QUIC connection (feature `http3`) | HTTP/3 over QUIC |
//!
//! `SocketServer::http1_with` and friends swap in a reqwest client for a
//! test that wants redirects followed or a cookie store.
//!
//! Handlers see what `axum::serve` would give them: every request carries
//! `axum::extract::ConnectInfo<std::net::SocketAddr>`, the peer address of
//! the TCP connection it came on (the client's local address, 127.0.0.1
//! and a port), on every driver and transport, TLS included.
//!
//! A test's request runs on the test's own runtime, and so does the
//! server side of its connection (see [`server`]): one thread, no
//! cross-thread wake-ups, while the listener is still started once per
//! binary.
//!
//! How the parts fit:
//!
//! - [`server`]: [`SocketServer`], a hyper-util auto server (HTTP/1.1 and
//!   HTTP/2 on one port) on a [`ServerThread`](crate::fixture::ServerThread), bound
//!   before it serves; and the two shared servers (plain and TLS) that
//!   every test of a binary reuses, started on first use. It only serves
//!   (its `http1` and friends hand over to `driver`); its module docs
//!   explain where each connection is served.
//! - `serve`: the accept loop; `handoff`: the registry through which a
//!   client asks for its connection to be served on its own runtime.
//! - `routes`: one fresh app per driver on a shared server, under a random
//!   128-bit id. `wire`: the private header protocol, both ends of it and
//!   the only file spelling it: the app header a client stamps, and the
//!   server's record (the version it saw, a panic, a final 1xx) that the
//!   driver reads back.
//! - `driver`: [`SocketDriver`], the client side, and how one is built for
//!   a server (a test's, the bench's inline one, the reqwest one in
//!   `reqwest_client`); it reports the server-observed protocol and fails
//!   if an HTTP/2 driver's request arrived as HTTP/1.1.
//! - `core`: what the TCP drivers and the `http3` driver share, written
//!   once and generic over the connection kind (`driver::Tcp`,
//!   `http3::driver::Quic`): where an exchange runs (`placement`), what
//!   its failures become (`failure`), the protocol check (`observe`), a
//!   driver's app and limits (`exchange`), and a server's start, shared
//!   instance and stop (`lifecycle`).
//! - `pool`: the default transport, hyper's `client::conn` connections
//!   kept alive in a small pool, each tied to the runtime that opened it.
//! - `websocket` (feature `websocket`): a WebSocket handshake on a
//!   connection of its own (an HTTP/1.1 Upgrade, or an HTTP/2 extended
//!   CONNECT), which the socket keeps; the server serves both, as
//!   `axum::serve` does.
//! - `tls`: the self-signed certificate and ring-based rustls configs.
//! - `raw`: a raw hyper `client::conn` connection, the crate-private hook
//!   the bench's socket floors are built on.
//! - [`http3`] (feature `http3`): the `http3` driver, the same `core` over
//!   QUIC: [`Http3Server`] on a UDP port, [`Http3Driver`], its `raw-h3`
//!   floor; it shares `core`, `wire`, `routes`, `handoff` and `tls` with
//!   the rest.
//! - `deployment`: the four drivers' entries in the driver registry: a
//!   test's driver on the shared server (a fresh app per call) and, for the
//!   bench, the driver beside its `raw` floor.

mod core;
pub(crate) mod deployment;
mod driver;
mod handoff;
#[cfg(feature = "http3")]
pub mod http3;
mod pool;
// The bench's floor (`raw`) and its hooks (`SocketServer::start_here`)
// exist for the `bench` feature.
#[cfg(feature = "bench")]
pub(crate) mod raw;
#[cfg(feature = "remote")]
mod reqwest_client;
mod routes;
mod serve;
#[cfg_attr(not(feature = "bench"), allow(dead_code))]
pub mod server;
#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "websocket")]
mod websocket;
mod wire;

pub use driver::SocketDriver;
#[cfg(feature = "http3")]
pub use http3::{HTTP3_KNOWN_DIFFERENCES, Http3Driver, Http3Server, SHARED_HTTP3};
/// The reqwest behind [`SocketServer::http1_with`] and friends.
#[cfg(feature = "remote")]
pub use reqwest;
pub use server::{SHARED_HTTP, SHARED_HTTPS, ServerOptions, SocketServer};

pub(crate) use driver::Flavor;

/// The conformance checks the HTTP/1.1 drivers (`http1`, `http1-fresh`)
/// cannot meet, with the reasons; the driver table's `differences`.
/// None: the target, headers and bodies go on the wire as given.
///
/// ```
/// use crossdrive::{Kind, socket::HTTP1_KNOWN_DIFFERENCES};
/// assert!(HTTP1_KNOWN_DIFFERENCES.is_empty());
/// assert!(Kind::Http1.known_differences().is_empty());
/// assert!(Kind::Http1Fresh.known_differences().is_empty());
/// ```
pub const HTTP1_KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// The conformance checks the HTTP/2 drivers (`http2`, `http2-tls`) cannot
/// meet, with the reasons; the driver table's `differences`.
///
/// ```
/// use crossdrive::{Kind, socket::HTTP2_KNOWN_DIFFERENCES};
/// let (check, _) = HTTP2_KNOWN_DIFFERENCES[0];
/// assert_eq!(check, "status_204_has_no_body_and_no_content_length");
/// assert!(Kind::Http2.known_differences().reason(check).is_some());
/// ```
pub const HTTP2_KNOWN_DIFFERENCES: &[(&str, &str)] = &[(
    "status_204_has_no_body_and_no_content_length",
    "axum 0.8 adds `Content-Length: 0` to the empty 204 (as on `direct`); hyper 1's HTTP/1.1 \
         server drops it for 204 and 304 (proto/h1/role.rs, can_have_content_length), but its \
         HTTP/2 server (proto/h2/server.rs) removes Content-Length only from CONNECT responses \
         and h2 0.4 sends the header as given, so the 204 arrives with `content-length: 0`",
)];
