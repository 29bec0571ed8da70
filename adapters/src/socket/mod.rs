//! The socket drivers: the app behind a real server on a real loopback
//! socket, reached by a real client.
//!
//! | driver | client | on the wire |
//! |---|---|---|
//! | `http1` | hyper `client::conn`, HTTP/1.1 only, pooled keep-alive | HTTP/1.1 |
//! | `http2` | hyper `client::conn`, HTTP/2 by prior knowledge | h2c |
//! | `http2-tls` | hyper over rustls (ring), ALPN `h2`, `http/1.1` | HTTP/2 over TLS |
//! | `http1-fresh` | hyper, HTTP/1.1, a new connection per request | HTTP/1.1 |
//!
//! `SocketServer::http1_with` and friends swap in a reqwest client for a
//! test that wants redirects followed or a cookie store.
//!
//! How the parts fit:
//!
//! - [`server`]: [`SocketServer`], a hyper-util auto server (HTTP/1.1 and
//!   HTTP/2 on one port) on a [`crossdrive::fixture::ServerThread`], bound
//!   before it serves; and the two shared servers (plain and TLS) that
//!   every test of a binary reuses, started on first use.
//! - `routes`: one fresh app per driver on a shared server,
//!   routed by a private header; the version the server saw, echoed back.
//! - `driver`: [`SocketDriver`], the client side, which
//!   reports the server-observed protocol and fails if an HTTP/2 driver's
//!   request arrived as HTTP/1.1.
//! - `pool`: the default transport, hyper's `client::conn` connections
//!   kept alive in a small pool.
//! - `tls`: the self-signed certificate and ring-based rustls configs.
//! - [`raw`]: the bench floor, a raw hyper `client::conn` connection.
//!
//! The driver table calls [`connect_http1`] and friends for tests (shared
//! server, fresh app per call) and [`bench_http1`] and friends for bench
//! cells (a server per cell, placed by the topology).

mod driver;
mod pool;
pub mod raw;
mod routes;
mod serve;
pub mod server;
#[cfg(feature = "tls")]
mod tls;

use std::sync::Arc;

use axum::Router;
use crossdrive::bench::Topology;
use crossdrive::{Driver, Error};

use crate::ConnectOptions;

pub use driver::SocketDriver;
/// The reqwest behind [`SocketServer::http1_with`] and friends.
pub use reqwest;
pub use server::{SHARED_HTTP, SHARED_HTTPS, ServerOptions, SocketServer};

use crate::floor::{BenchPair, Floor};
use driver::Flavor;

fn connect(
    flavor: Flavor,
    app: Router,
    options: &ConnectOptions,
) -> Result<Arc<dyn Driver>, Error> {
    let server = if flavor.tls() {
        SocketServer::shared_tls()?
    } else {
        SocketServer::shared()?
    };
    Ok(Arc::new(
        server.driver(flavor, app)?.timeout(options.get_timeout()),
    ))
}

/// The conformance checks the HTTP/1.1 drivers (`http1`, `http1-fresh`)
/// cannot meet, with the reasons; the driver table's `differences`.
/// None: the target, headers and bodies go on the wire as given.
pub const HTTP1_KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// The conformance checks the HTTP/2 drivers (`http2`, `http2-tls`) cannot
/// meet, with the reasons; the driver table's `differences`.
pub const HTTP2_KNOWN_DIFFERENCES: &[(&str, &str)] = &[(
    "status_204_has_no_body_and_no_content_length",
    "axum 0.8 adds `Content-Length: 0` to the empty 204 (as on `direct`); hyper 1's HTTP/1.1 \
         server drops it for 204 and 304 (proto/h1/role.rs, can_have_content_length), but its \
         HTTP/2 server (proto/h2/server.rs) removes Content-Length only from CONNECT responses \
         and h2 0.4 sends the header as given, so the 204 arrives with `content-length: 0`",
)];

/// The `http1` driver on the shared server; the driver table's entry.
pub fn connect_http1(app: Router, options: &ConnectOptions) -> Result<Arc<dyn Driver>, Error> {
    connect(Flavor::Http1, app, options)
}

/// The `http2` (h2c) driver on the shared server; the driver table's entry.
pub fn connect_http2(app: Router, options: &ConnectOptions) -> Result<Arc<dyn Driver>, Error> {
    connect(Flavor::Http2, app, options)
}

/// The `http2-tls` driver on the shared TLS server; the driver table's entry.
pub fn connect_http2_tls(app: Router, options: &ConnectOptions) -> Result<Arc<dyn Driver>, Error> {
    connect(Flavor::Http2Tls, app, options)
}

/// The `http1-fresh` driver on the shared server; the driver table's entry.
pub fn connect_http1_fresh(
    app: Router,
    options: &ConnectOptions,
) -> Result<Arc<dyn Driver>, Error> {
    connect(Flavor::Http1Fresh, app, options)
}

fn bench(
    flavor: Flavor,
    driver_app: Router,
    floor_app: Router,
    topology: Topology,
) -> Result<BenchPair, Error> {
    let label = format!("bench-{}", flavor.name());
    // Same thread: the server joins the bench's current-thread runtime.
    // Cross thread: the server gets its own thread; the client stays here.
    let server = match topology {
        Topology::SameThread => SocketServer::start_here(flavor.tls(), &label)?,
        Topology::CrossThread => {
            SocketServer::start(ServerOptions::new().tls(flavor.tls()).label(label))?
        }
    };
    let driver = server.inline_driver(flavor, driver_app)?;
    let floor = raw::RawConn::new(&server, flavor, floor_app)?;
    let floor = match flavor {
        Flavor::Http2 => Floor::RawHyperHttp2(floor),
        Flavor::Http2Tls => Floor::RawHyperHttp2Tls(floor),
        Flavor::Http1 | Flavor::Http1Tls | Flavor::Http1Fresh => Floor::RawHyperHttp1(floor),
    };
    Ok(BenchPair {
        driver: Arc::new(driver),
        floor,
    })
}

/// The `http1` driver and its raw hyper HTTP/1.1 floor; the bench entry.
pub fn bench_http1(a: Router, b: Router, topology: Topology) -> Result<BenchPair, Error> {
    bench(Flavor::Http1, a, b, topology)
}

/// The `http2` driver and its raw hyper h2c floor; the bench entry.
pub fn bench_http2(a: Router, b: Router, topology: Topology) -> Result<BenchPair, Error> {
    bench(Flavor::Http2, a, b, topology)
}

/// The `http2-tls` driver and its raw hyper HTTP/2-over-TLS floor.
pub fn bench_http2_tls(a: Router, b: Router, topology: Topology) -> Result<BenchPair, Error> {
    bench(Flavor::Http2Tls, a, b, topology)
}

/// The `http1-fresh` driver and the raw hyper HTTP/1.1 (keep-alive) floor.
pub fn bench_http1_fresh(a: Router, b: Router, topology: Topology) -> Result<BenchPair, Error> {
    bench(Flavor::Http1Fresh, a, b, topology)
}
