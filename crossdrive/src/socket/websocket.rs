//! The TCP socket drivers' WebSocket: the handshake in its version's form,
//! on the connection the socket then keeps.
//!
//! Over HTTP/1.1 a WebSocket takes its connection for its whole life (the
//! connection is the socket after its `101`), so the handshake never takes
//! a pooled connection and its connection never goes back to the pool:
//! [`Pool::websocket`] opens a new one (registered for handoff like every
//! other, so the server side runs on the test's runtime too). Over HTTP/2
//! the socket is one stream (RFC 8441 extended CONNECT), so it multiplexes
//! on the test runtime's shared HTTP/2 connection as a request does, as
//! RFC 8441 intends (a new connection only when there is none yet, which
//! later requests and sockets then share): a socket costs a stream, not a
//! TCP and TLS handshake. The upgraded stream holds the connection's
//! sender, so the connection stays open under it; dropping the test's
//! socket closes it (HTTP/1.1) or resets its stream (HTTP/2).

use bytes::Bytes;
use http::header::HOST;
use http::uri::PathAndQuery;
use http::{HeaderValue, Request, Uri};
use tokio::runtime::Handle;

use crate::RequestBody;
use crate::upgrade::{Switched, Unswitched, answer, extended_connect};

use super::core::ConnError;
use super::pool::{Conn, Pool};
use super::wire;

impl Pool {
    /// Sends the WebSocket handshake `request` (HTTP/1.1 form) for the app
    /// `app` (on a new HTTP/1.1 connection, or as a stream of the shared
    /// HTTP/2 one) and brings back the upgraded stream, or
    /// the refusal read whole (at most `limit` body bytes). Runs inside a
    /// tokio runtime, which drives the connection.
    pub(crate) async fn websocket(
        &self,
        request: Request<Bytes>,
        app: &HeaderValue,
        limit: usize,
    ) -> Result<Switched, ConnError> {
        let here = Handle::try_current().map_err(|e| {
            ConnError::Connect(
                "no tokio runtime to run the connection".to_owned(),
                e.into(),
            )
        })?;
        let (scheme, authority, host) = self.target().origin_parts();
        let (mut parts, body) = request.into_parts();
        wire::stamp(&mut parts.headers, app);
        let mut request = Request::from_parts(parts, RequestBody::full(body));
        let exchange = |e: hyper::Error| ConnError::Exchange(e.into());
        let conn = match self.shared_sender(here.id()) {
            Some(sender) => Conn::Http2(sender),
            None => {
                let conn = self.connect(&here).await?;
                self.share(here.id(), &conn);
                conn
            }
        };
        match conn {
            Conn::Http1(mut sender) => {
                let path = request
                    .uri()
                    .path_and_query()
                    .cloned()
                    .unwrap_or_else(|| PathAndQuery::from_static("/"));
                *request.uri_mut() = Uri::from(path);
                request.headers_mut().entry(HOST).or_insert(host);
                let response = sender.send_request(request).await.map_err(exchange)?;
                answer(response, false, sender, limit)
                    .await
                    .map_err(unswitched)
            }
            Conn::Http2(mut sender) => {
                extended_connect(&mut request, scheme, authority).map_err(|e| {
                    ConnError::Invalid(
                        "cannot make the extended CONNECT's URI".to_owned(),
                        Some(e.into()),
                    )
                })?;
                let response = sender.send_request(request).await.map_err(exchange)?;
                answer(response, true, sender, limit)
                    .await
                    .map_err(unswitched)
            }
        }
    }
}

fn unswitched(failed: Unswitched) -> ConnError {
    match failed {
        Unswitched::Upgrade(e) => ConnError::Exchange(e.into()),
        Unswitched::Body(e) => ConnError::Body(e),
        Unswitched::TooLarge => ConnError::TooLarge,
    }
}
