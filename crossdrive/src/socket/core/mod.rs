//! What the TCP socket drivers and the `http3` driver share, written once
//! and generic over the connection kind ([`ConnKind`]) (hyper over TCP, h3 over
//! QUIC):
//!
//! - `placement`: where a request's exchange runs (inline on the caller's
//!   runtime, or on the server's thread) under the driver's timeout, and
//!   the pools a test's driver takes.
//! - `failure`: why an exchange brought back no response, and the
//!   crossdrive [`Error`](crate::Error) (kind, cause, hint) each reason
//!   becomes.
//! - `observe`: the server's record on a response (`wire`) checked against
//!   the protocol the driver must speak, and the response delivered.
//! - `handshake` (feature `websocket`): a WebSocket handshake's answer
//!   delivered, the upgraded stream checked as `observe` checks a response.
//! - `exchange`: one driver's app, placement and limits, which the two
//!   drivers are built around.
//! - `lifecycle`: a server's start (on its own thread or on the caller's
//!   runtime), the shared once-per-process instance, and stop.

mod exchange;
mod failure;
#[cfg(feature = "websocket")]
mod handshake;
mod lifecycle;
mod observe;
mod placement;

use std::sync::Arc;

use super::handoff::Handoffs;

pub(crate) use exchange::Exchange;
pub(crate) use failure::{ConnError, Failure};
pub(crate) use lifecycle::{Hosting, Place, Prepared, shared, start_error, start_here};
pub(crate) use placement::{Clients, Placement};

/// A kind of connection the socket core drives: what differs between the
/// TCP drivers and the `http3` driver beyond their client and server.
pub(crate) trait ConnKind: Sized + 'static {
    /// What every pool of one driver on one server shares (address, TLS
    /// client, the count of connections opened).
    type Target: Send + Sync + 'static;
    /// A driver's pool of connections.
    type Pool: Send + Sync + 'static;

    /// The public server type, as hints name it.
    const SERVER: &'static str;
    /// The public driver type, as hints name it.
    const DRIVER: &'static str;
    /// The server, as causes name it ("the server", "the HTTP/3 server").
    const THE_SERVER: &'static str;
    /// The sockets a server opens, as the start hint names them.
    const SOCKETS: &'static str;
    /// The hint for a request that cannot be sent as given.
    const INVALID_HINT: &'static str;
    /// The hint for a client that panicked on the caller's runtime.
    const RUNTIME_HINT: &'static str;

    /// A pool to `target`, whose connections ask `handoffs` (when given)
    /// to be served on the runtime that opened them.
    fn pool(target: Arc<Self::Target>, handoffs: Option<Arc<Handoffs>>) -> Self::Pool;
}
