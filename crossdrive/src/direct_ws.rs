//! `direct`'s WebSocket: the app served by hyper's HTTP/1.1 server over an
//! in-memory duplex, with no socket.
//!
//! axum's `WebSocketUpgrade` takes hyper's `OnUpgrade` from the request,
//! which only hyper's server puts there (its constructor is private), so
//! `oneshot` alone cannot carry a WebSocket: the extractor answers 426.
//! Here the handshake goes through hyper's client and server, joined by a
//! `tokio::io::duplex` instead of a TCP connection: the same code paths
//! as on a socket, with no port, no kernel and no other thread. Handlers
//! see the `ConnectInfo` `direct` always gives them ([`NO_PEER`]).
//!
//! Both connection halves are polled inside the driver's guard until the
//! handshake is answered, so a handshake handler that never answers is a
//! timeout and one that panics is a handler panic, as on `send`. Then they
//! go to a task of the caller's runtime, which hands the upgraded
//! connection to the app's `on_upgrade` callback (axum spawns it there
//! too). Dropping the test's socket closes its end of the duplex, which
//! the app reads as the connection going away.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use futures_util::future::{Either, join, select};
use http::Request;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tower::ServiceExt;

use crate::direct::{Direct, NO_PEER};
use crate::guard::{Interrupted, guarded};
use crate::upgrade::{Switched, Unswitched, answer};
use crate::websocket::{Handshake, Upgraded};
use crate::{DriverResponse, Error, ErrorKind, Protocol};

/// The duplex's buffer each way: room for a 64 KiB frame without a
/// round trip of backpressure (a larger one crosses in pieces).
const DUPLEX: usize = 64 * 1024;

/// The handshake `request` to `app` over an in-memory HTTP/1.1
/// connection, bounded by `timeout`; a refusal's body at most `limit`.
pub(crate) async fn handshake(
    app: Router,
    request: Request<Bytes>,
    timeout: Duration,
    limit: usize,
) -> Result<Handshake, Error> {
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let error = |kind, cause: String| Error::new(kind, Direct::NAME, &method, &uri, cause);
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(error(
            ErrorKind::Connection,
            "direct carries a WebSocket over an in-memory HTTP/1.1 connection served on the \
             caller's tokio runtime, and this handshake ran outside any"
                .to_owned(),
        )
        .with_hint("await client.websocket(..) inside a tokio runtime (#[tokio::test] and suite! make one)"));
    }
    let (client_io, server_io) = tokio::io::duplex(DUPLEX);
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(NO_PEER));
        app.clone().oneshot(request.map(Body::new))
    });
    let server = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(server_io), service)
        .with_upgrades();
    let work = async move {
        let (mut sender, client) = hyper::client::conn::http1::handshake(TokioIo::new(client_io))
            .await
            .map_err(Failed::Client)?;
        let connections = Box::pin(join(server, client.with_upgrades()));
        let exchange = Box::pin(async move {
            let response = sender
                .send_request(request.map(Full::new))
                .await
                .map_err(Failed::Client)?;
            answer(response, false, sender, limit)
                .await
                .map_err(Failed::Answer)
        });
        match select(exchange, connections).await {
            Either::Left((answered, connections)) => {
                // The server still hands the upgraded connection to the
                // app (and, refused, waits for the client to hang up).
                tokio::spawn(async move {
                    let _ = connections.await;
                });
                answered
            }
            // Both halves ended first: the exchange reports why.
            Either::Right((_, exchange)) => exchange.await,
        }
    };
    match guarded(timeout, work).await {
        Ok(Ok(Switched::Upgraded(head, io))) => Ok(Handshake::Accepted(Upgraded::new(
            head,
            Protocol::InProcess,
            io,
        ))),
        Ok(Ok(Switched::Answered(response))) => Ok(Handshake::Refused(DriverResponse::new(
            response,
            Protocol::InProcess,
        ))),
        Ok(Err(failed)) => Err(failed.error(error)),
        Err(Interrupted::TimedOut(after)) => {
            Err(Error::timeout(Direct::NAME, &method, &uri, after))
        }
        Err(Interrupted::Panicked(message)) => {
            Err(Error::handler_panic(Direct::NAME, &method, &uri, &message))
        }
    }
}

/// Why the in-memory handshake failed.
enum Failed {
    /// hyper's client failed on the in-memory connection.
    Client(hyper::Error),
    /// The answer could not be taken.
    Answer(Unswitched),
}

impl Failed {
    fn error(self, error: impl Fn(ErrorKind, String) -> Error) -> Error {
        match self {
            Self::Client(e) => error(
                ErrorKind::Adapter,
                "the in-memory HTTP/1.1 connection carrying the handshake failed".to_owned(),
            )
            .with_source(e)
            .with_hint("hyper's server refused the handshake; see the source for why"),
            Self::Answer(Unswitched::Upgrade(e)) => error(
                ErrorKind::Adapter,
                "the app answered 101 but the connection could not be handed over".to_owned(),
            )
            .with_source(e)
            .with_hint(
                "answer the handshake with axum's WebSocketUpgrade, which upgrades the connection",
            ),
            Self::Answer(Unswitched::Body(e)) => error(
                ErrorKind::Adapter,
                "the body of the app's refusal broke off".to_owned(),
            )
            .with_source(e)
            .with_hint("the app's body stream returned an error; check its producer"),
            Self::Answer(Unswitched::TooLarge) => error(
                ErrorKind::LimitExceeded,
                "the body of the app's refusal is over the driver's body limit".to_owned(),
            )
            .with_hint("raise it with Direct::body_limit if the app really sends that much"),
        }
    }
}
