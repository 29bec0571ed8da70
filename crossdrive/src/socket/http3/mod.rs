//! The `http3` driver (feature `http3`): the app behind a real HTTP/3
//! server over QUIC on a UDP loopback port, reached by h3's client.
//!
//! | part | what it is |
//! |---|---|
//! | server | a quinn endpoint (QUIC, TLS 1.3 with the `tls` feature's self-signed certificate, ALPN `h3` only) and h3's server on every connection |
//! | client | h3's client on quinn, one pooled QUIC connection per runtime multiplexing every request, replaced when it closes |
//! | proof | the server echoes the version it saw (`HTTP/3.0`, set by h3 on every request it decoded); any other fails the request |
//! | floor | `raw-h3`: one raw h3 connection to the same server (bench only) |
//!
//! It is the TCP socket drivers' `core` over another connection kind
//! (`driver::Quic`): the same placement of each exchange, errors and
//! hints, protocol check and server lifecycle, the same `wire` protocol
//! and `routes` (one fresh app per driver under a random 128-bit id in
//! the private app header, stripped before the app sees the request), the
//! same closing signal. Only the transport differs: one UDP socket per
//! endpoint shared by its connections, so a test's connection is not handed
//! over from the server's endpoint, as a TCP connection is, but opened to
//! an endpoint of its own on the test's runtime (`local`); and every
//! request on a stream of its own.
//!
//! - [`server`]: [`Http3Server`], the endpoint on a thread of its own
//!   (bound before it starts), and the shared once-per-binary server. It
//!   only serves: its `http3` hands over to `driver`.
//! - `serve`: the accept loop, one h3 connection per QUIC connection, one
//!   task per request, the response sent frame by frame.
//! - `local`: a test's own endpoint on the test's runtime, serving only
//!   that test's connection with the server's certificate and routes.
//! - `body`: an h3 receive stream as an `http_body::Body`, used by both
//!   ends (the app's request body, the client's response body).
//! - `client`: the pool of h3 connections and the request head
//!   (`:authority` from the request's `Host`, when it has one).
//! - `driver`: [`Http3Driver`], the [`Driver`](crate::Driver), and how one is
//!   built for a server (a test's, the bench's inline one).
//! - `raw`: the bench floor's raw h3 connection.

mod body;
mod client;
pub(crate) mod deployment;
mod driver;
mod local;
#[cfg(feature = "bench")]
pub(crate) mod raw;
mod serve;
#[cfg_attr(not(feature = "bench"), allow(dead_code))]
pub mod server;

pub use driver::Http3Driver;
pub use server::{Http3Server, SHARED_HTTP3};

/// The conformance checks the `http3` driver cannot meet, with the
/// reasons; the driver table's `differences`.
///
/// ```
/// use crossdrive::{Kind, socket::HTTP3_KNOWN_DIFFERENCES};
/// let (check, _) = HTTP3_KNOWN_DIFFERENCES[0];
/// assert_eq!(check, "status_204_has_no_body_and_no_content_length");
/// assert!(Kind::Http3.known_differences().reason(check).is_some());
/// ```
pub const HTTP3_KNOWN_DIFFERENCES: &[(&str, &str)] = &[(
    "status_204_has_no_body_and_no_content_length",
    "axum 0.8 adds `Content-Length: 0` to the empty 204 (as on `direct`), and h3 0.0.8's server \
         (server/stream.rs, send_response) QPACK-encodes the response headers as given, as h2 does \
         for HTTP/2; crossdrive's h3 server passes the app's response through unchanged, so the \
         204 arrives with `content-length: 0`",
)];
