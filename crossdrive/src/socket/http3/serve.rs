//! The HTTP/3 accept loop: a quinn endpoint on a UDP loopback port, h3's
//! server on every connection, and [`Routes`] behind it.
//!
//! The endpoint (the UDP socket and quinn's packet I/O) runs where the
//! loop was spawned: the server's own thread, or the bench's runtime, and
//! so does every connection it accepts. A test's connection inside a tokio
//! runtime does not come here: it gets an endpoint of its own on the
//! test's runtime (the `local` module), served by the same [`Connection`].
//!
//! Every request stream becomes one `http::Request` whose body is the
//! stream itself ([`RecvBody`]), so the app reads an upload as it
//! arrives; the response goes back as h3 frames as the app's body yields
//! them: HEADERS, one DATA frame per body chunk, the trailers as a
//! trailing HEADERS frame, then the end of the stream. A body that fails
//! mid-way resets the stream (`H3_INTERNAL_ERROR`), which the client sees
//! as a body that broke off, as it would over HTTP/2.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::{Either, select};
use http::Response;
use http_body_util::BodyExt;

use super::super::routes::Routes;
use super::body::RecvBody;

/// Accepts QUIC connections on `endpoint` until `shutdown` resolves.
pub(crate) async fn serve(
    endpoint: quinn::Endpoint,
    routes: Arc<Routes>,
    shutdown: impl Future<Output = ()>,
) {
    let mut shutdown = pin!(shutdown);
    loop {
        let incoming = match select(pin!(endpoint.accept()), shutdown.as_mut()).await {
            Either::Left((Some(incoming), _)) => incoming,
            // The endpoint was closed, or the server stops.
            Either::Left((None, _)) | Either::Right(((), _)) => break,
        };
        routes.accept();
        let connection = Connection::new(Arc::clone(&routes), incoming.remote_address());
        tokio::spawn(connection.serve(incoming));
    }
    // 0x100 is H3_NO_ERROR: a clean close, not a failure.
    endpoint.close(quinn::VarInt::from_u32(0x100), b"server stopped");
}

/// One incoming QUIC connection and what serving it needs.
pub(crate) struct Connection {
    routes: Arc<Routes>,
    peer: SocketAddr,
}

impl Connection {
    /// The connection from `peer`, its requests routed by `routes`.
    pub(crate) fn new(routes: Arc<Routes>, peer: SocketAddr) -> Self {
        Self { routes, peer }
    }

    /// Completes the handshake and serves every request stream until the
    /// client closes the connection or it breaks.
    pub(crate) async fn serve(self, incoming: quinn::Incoming) {
        // A handshake that fails (a client offering another ALPN, a
        // certificate it refuses) concerns that client alone.
        let Ok(quic) = incoming.await else {
            return;
        };
        let Ok(mut h3) = h3::server::builder()
            .build::<_, Bytes>(h3_quinn::Connection::new(quic))
            .await
        else {
            return;
        };
        // Each request is a task of this connection's: when the client
        // closes the connection (Ok(None)) or it breaks (an error), the
        // requests still running are dropped with the set, as hyper drops
        // a closed connection's handlers, instead of running on for
        // nobody (a handler that never answers, an endless stream).
        let mut requests = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                accepted = h3.accept() => match accepted {
                    Ok(Some(resolver)) => {
                        requests.spawn(request(resolver, Arc::clone(&self.routes), self.peer));
                    }
                    Ok(None) | Err(_) => break,
                },
                Some(_finished) = requests.join_next(), if !requests.is_empty() => {}
            }
        }
    }
}

/// Serves one request stream: the app's response as h3 frames, as they
/// come.
async fn request(
    resolver: h3::server::RequestResolver<h3_quinn::Connection, Bytes>,
    routes: Arc<Routes>,
    peer: SocketAddr,
) {
    // A malformed request was already answered (or reset) by h3.
    let Ok((head, stream)) = resolver.resolve_request().await else {
        return;
    };
    let (mut send, recv) = stream.split();
    let request = head.map(|()| RecvBody::new(recv));
    let Ok(response) = routes.handle(request, peer).await;
    let (parts, body) = response.into_parts();
    if send
        .send_response(Response::from_parts(parts, ()))
        .await
        .is_err()
    {
        return;
    }
    let mut body = pin!(body);
    while let Some(frame) = body.frame().await {
        let sent = match frame.map(|frame| frame.into_data()) {
            Ok(Ok(data)) if data.is_empty() => Ok(()),
            Ok(Ok(data)) => send.send_data(data).await,
            Ok(Err(frame)) => match frame.into_trailers() {
                Ok(trailers) => send.send_trailers(trailers).await,
                Err(_unknown) => Ok(()),
            },
            Err(_body_failed) => {
                send.stop_stream(h3::error::Code::H3_INTERNAL_ERROR);
                return;
            }
        };
        // The client went away (or stopped reading): nobody to send to.
        if sent.is_err() {
            return;
        }
    }
    let _ = send.finish().await;
}
