//! One driver registry: the crate-private interface every built-in driver
//! module provides.
//!
//! A built-in driver is one entry of the driver table
//! ([`driver_table!`](crate::driver_table): its name, test identifier, one
//! sentence and its [`Registration`]) plus one module. The module's
//! registration gives everything else:
//!
//! - its default [`Deployment`]: how it puts an app behind its adapter
//!   (its connection) and, for the bench, the least the same transport
//!   could cost beside it (its floor);
//! - its declared conformance differences, `(check, reason)` pairs kept
//!   next to the adapter they describe.
//!
//! [`DriverSpec`](crate::DriverSpec), [`Kind`](crate::Kind), the bench's
//! floors and the test names `suite!` writes all delegate here; nothing
//! else in the crate asks which driver a spec is. A user's own driver is a
//! [`DriverSpec::custom`](crate::DriverSpec::custom), a [`Deployment`] too.
//!
//! The bench's types stay in the bench: a deployment describes its floor
//! as a [`Floor`] value (what to send through and its name) and the bench
//! measures it. Driver modules never import `crate::bench` (an invariant
//! of ARCHITECTURE.md, checked by `cargo xtask lint`).

use std::sync::Arc;

use axum::Router;

use crate::{ConnectOptions, Driver, Error};

/// What a built-in driver module registers in the driver table.
pub(crate) struct Registration {
    /// The driver's default deployment.
    pub(crate) deployment: fn() -> Arc<dyn Deployment>,
    /// The conformance checks it cannot meet by its adapter's design, with
    /// the reasons.
    pub(crate) differences: &'static [(&'static str, &'static str)],
}

/// How a driver puts an app behind its adapter: what a
/// [`DriverSpec`](crate::DriverSpec) holds.
pub(crate) trait Deployment: Send + Sync + 'static {
    /// Builds the driver over `app` (a fresh instance), for a test.
    fn connect(&self, app: Router, options: &ConnectOptions) -> Result<Arc<dyn Driver>, Error>;

    /// Whether the driver's app runs in a child process re-running the
    /// calling test (a `lambda-runtime` function instance).
    fn runs_in_child(&self) -> bool {
        false
    }

    /// The WebSocket conformance checks this deployment cannot meet, with
    /// the reasons (feature `websocket`, where those checks exist): a
    /// driver that carries no WebSocket declares them here rather than in
    /// its registration's `differences`, which hold for every build.
    #[cfg(feature = "websocket")]
    fn websocket_differences(&self) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }

    /// The driver and its floor for one bench cell, each over its own app
    /// from `app`, with any server placed where `server` says.
    #[cfg(feature = "bench")]
    fn bench_pair(&self, app: &dyn Fn() -> Router, server: Server) -> Result<FloorPair, Error>;

    /// Whether the bench's `suite` topology may measure this driver as a
    /// `suite!` test reaches it ([`Deployment::connect`]); `false` for a
    /// driver whose bench form must differ (a child process re-running the
    /// bench binary rather than a test).
    #[cfg(feature = "bench")]
    fn bench_as_suite(&self) -> bool {
        true
    }
}

/// Whether this process is a child a driver started to serve its app
/// (a `lambda-runtime` function instance re-running the test): a runner
/// then runs nothing but what reaches that driver's connect.
pub(crate) fn in_driver_child() -> bool {
    #[cfg(feature = "lambda")]
    if std::env::var_os(crate::lambda::runtime::CHILD_ENV).is_some() {
        return true;
    }
    false
}

/// Where a bench cell's server runs (the bench's topology, as a driver
/// module needs to know it).
#[cfg(feature = "bench")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Server {
    /// On the bench's own current-thread runtime, beside the client.
    Here,
    /// On a thread of its own; the client stays on the bench's thread.
    OwnThread,
}

/// A driver and its floor, each over its own app instance, ready for one
/// bench cell.
#[cfg(feature = "bench")]
pub(crate) struct FloorPair {
    /// The driver as the bench measures it; `None`: as a test reaches it,
    /// through the spec's own connect (a custom driver's only form).
    pub(crate) driver: Option<Arc<dyn Driver>>,
    pub(crate) floor: Floor,
}

/// The floor of one driver: the raw, minimal way of reaching the same app
/// through the same transport, without the boxing, timeout or panic guard
/// drivers carry. The bench measures it (`bench/floors.rs`).
#[cfg(feature = "bench")]
pub(crate) enum Floor {
    /// `Router::oneshot` plus collecting the body: the in-process minimum.
    RawOneshot(Router),
    /// The bare lambda_http round trip (event JSON built, `LambdaRequest`,
    /// `Adapter`, response JSON, decoded).
    #[cfg(feature = "lambda")]
    BareAdapter(Box<crate::lambda::BareAdapter>),
    /// A minimal function in a child process behind a minimal Runtime API
    /// (the child-process Lambda drivers' floor).
    #[cfg(feature = "lambda")]
    RawRuntimeApi(Box<crate::lambda::RawRuntimeApi>),
    /// A raw hyper `client::conn` connection to the driver's server.
    #[cfg(feature = "sockets")]
    RawHyper(&'static str, crate::socket::raw::RawConn),
    /// A raw h3 connection to the driver's HTTP/3 server.
    #[cfg(feature = "http3")]
    RawH3(crate::socket::http3::raw::RawH3),
    /// tokio-tungstenite's own client to a WebSocket API model of its own
    /// (the `lambda-ws` floor); WebSockets only.
    #[cfg(feature = "lambda-ws")]
    RawWsApi(Box<crate::lambda::ws::LambdaWs>),
    /// A custom driver's own floor.
    Custom(String, Arc<dyn Driver>),
}

/// The floors' names, as bench rows carry them.
#[cfg(feature = "bench")]
pub(crate) const RAW_ONESHOT: &str = "raw-oneshot";
#[cfg(feature = "bench")]
pub(crate) const BARE_ADAPTER: &str = "bare-adapter";
#[cfg(feature = "bench")]
pub(crate) const RAW_RUNTIME_API: &str = "raw-runtime-api";
#[cfg(feature = "bench")]
pub(crate) const RAW_HYPER_HTTP1: &str = "raw-hyper-http1";
#[cfg(feature = "bench")]
pub(crate) const RAW_HYPER_HTTP2: &str = "raw-hyper-http2";
#[cfg(feature = "bench")]
pub(crate) const RAW_HYPER_HTTP2_TLS: &str = "raw-hyper-http2-tls";
#[cfg(feature = "bench")]
pub(crate) const RAW_H3: &str = "raw-h3";
#[cfg(feature = "bench")]
pub(crate) const RAW_WS_API: &str = "raw-ws-api";

/// Every built-in floor's name and what it measures: the one place both
/// are written (a bench row carries the name, the report's legend the
/// sentence; a custom floor's sentence is the user's
/// [`DriverSpec::floor_about`](crate::DriverSpec::floor_about), carried in
/// the row).
#[cfg(feature = "bench")]
const FLOORS: &[(&str, &str)] = &[
    (
        RAW_ONESHOT,
        "`Router::oneshot` in-process, the least any driver could cost (also the floor of \
         a custom driver that declares none); for a WebSocket row, tokio-tungstenite's client \
         over an in-memory duplex to the app served by hyper",
    ),
    (
        BARE_ADAPTER,
        "the bare lambda_http round trip, event JSON in, response JSON out",
    ),
    (
        RAW_RUNTIME_API,
        "a minimal function in a child process (raw hyper, the app through lambda_http's \
         adapter) polling a minimal Runtime API served on the bench's runtime",
    ),
    (
        RAW_HYPER_HTTP1,
        "one raw hyper `client::conn` HTTP/1.1 connection to a server of its own; for a \
         WebSocket row, tokio-tungstenite's client on a fresh connection to it",
    ),
    (
        RAW_HYPER_HTTP2,
        "one raw hyper `client::conn` h2c connection to a server of its own; for a WebSocket \
         row, an RFC 8441 extended CONNECT on it, framed by tungstenite",
    ),
    (
        RAW_HYPER_HTTP2_TLS,
        "one raw hyper `client::conn` HTTP/2 connection over TLS; for a WebSocket row, an \
         RFC 8441 extended CONNECT on it, framed by tungstenite",
    ),
    (
        RAW_H3,
        "one raw h3 connection (quinn, TLS 1.3, ALPN h3) to a server of its own",
    ),
    (
        RAW_WS_API,
        "tokio-tungstenite's own client on a fresh loopback connection to a WebSocket API model \
         of its own (the same `$connect`, routing and function invocations through \
         lambda_http), at the stage's URL: API Gateway's transport is the model, so the least a \
         WebSocket through it costs is the model with the plainest client; WebSocket rows only \
         (a WebSocket API carries no HTTP request)",
    ),
];

/// The sentence describing the built-in floor `name`, if it is one.
#[cfg(feature = "bench")]
pub(crate) fn floor_about(name: &str) -> Option<&'static str> {
    FLOORS
        .iter()
        .find(|(floor, _)| *floor == name)
        .map(|(_, about)| *about)
}

#[cfg(feature = "bench")]
impl Floor {
    /// The floor's name as written in bench reports.
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::RawOneshot(_) => RAW_ONESHOT,
            #[cfg(feature = "lambda")]
            Self::BareAdapter(_) => BARE_ADAPTER,
            #[cfg(feature = "lambda")]
            Self::RawRuntimeApi(_) => RAW_RUNTIME_API,
            #[cfg(feature = "sockets")]
            Self::RawHyper(name, _) => name,
            #[cfg(feature = "http3")]
            Self::RawH3(_) => RAW_H3,
            #[cfg(feature = "lambda-ws")]
            Self::RawWsApi(_) => RAW_WS_API,
            Self::Custom(name, _) => name,
        }
    }
}
