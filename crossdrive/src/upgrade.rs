//! The client side of a WebSocket handshake over hyper, shared by the
//! drivers that carry WebSockets (`direct` over an in-memory connection,
//! the socket drivers, `remote`): the handshake put in the form its HTTP
//! version needs, the answer turned into an upgraded stream or an
//! ordinary response, and the stream kept together with the connection
//! that carries it.
//!
//! The handshake reaches a driver as an HTTP/1.1 client builds it (see
//! `crossdrive::Driver::websocket`). Over HTTP/1.1 it goes as it is, and
//! the server answers `101 Switching Protocols`, after which the
//! connection carries frames (`hyper::upgrade::on`). Over HTTP/2 it
//! becomes an extended CONNECT (RFC 8441 §4-5): method `CONNECT`, the
//! `:protocol` pseudo-header `websocket` (hyper's `ext::Protocol`), scheme,
//! authority and path; no `Connection`, `Upgrade` or `Sec-WebSocket-Key`
//! (§5: "the Sec-WebSocket-Key and Sec-WebSocket-Accept header fields are
//! not used"; HTTP/2 forbids connection-specific headers, RFC 9113
//! §8.2.2). The server answers `200`, after which that one stream carries
//! frames; the connection must stay open as long as the stream, so the
//! stream keeps the connection's sender.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::websocket::UpgradedIo;

/// What a handshake came to on the wire.
pub(crate) enum Switched {
    /// The server switched protocols: its head, and the stream that now
    /// carries frames.
    Upgraded(Response<()>, Box<dyn UpgradedIo>),
    /// An ordinary response, its body read whole.
    Answered(Response<Bytes>),
}

/// Why a handshake brought back neither.
#[derive(Debug)]
pub(crate) enum Unswitched {
    /// The server said it switched, but hyper could not hand over the
    /// connection (or stream).
    Upgrade(hyper::Error),
    /// The body of a refusal broke off.
    Body(Box<dyn std::error::Error + Send + Sync>),
    /// The body of a refusal is over the driver's limit.
    TooLarge,
}

/// Whether `response` switched protocols: a 101 to an HTTP/1.1 Upgrade,
/// a 2xx to an extended CONNECT.
fn switched(response: &Response<Incoming>, connect: bool) -> bool {
    if connect {
        response.status().is_success()
    } else {
        response.status() == StatusCode::SWITCHING_PROTOCOLS
    }
}

/// Turns the answer to a handshake into [`Switched`]: the upgraded stream
/// (kept together with `keep`, whatever holds its connection open), or
/// the refusal's body read whole, at most `limit` bytes.
pub(crate) async fn answer<K: Send + Unpin + 'static>(
    mut response: Response<Incoming>,
    connect: bool,
    keep: K,
    limit: usize,
) -> Result<Switched, Unswitched> {
    if switched(&response, connect) {
        let upgraded = hyper::upgrade::on(&mut response)
            .await
            .map_err(Unswitched::Upgrade)?;
        let (parts, _) = response.into_parts();
        let io = Kept {
            io: TokioIo::new(upgraded),
            _keep: keep,
        };
        return Ok(Switched::Upgraded(
            Response::from_parts(parts, ()),
            Box::new(io),
        ));
    }
    let (parts, body) = response.into_parts();
    let collected = Limited::new(body, limit).collect().await.map_err(|e| {
        if e.downcast_ref::<LengthLimitError>().is_some() {
            Unswitched::TooLarge
        } else {
            Unswitched::Body(e)
        }
    })?;
    Ok(Switched::Answered(Response::from_parts(
        parts,
        collected.to_bytes(),
    )))
}

/// Puts an HTTP/1.1-form handshake in HTTP/2's extended CONNECT form
/// (RFC 8441 §5) for `scheme://authority`.
#[cfg(feature = "sockets")]
pub(crate) fn extended_connect<B>(
    request: &mut http::Request<B>,
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
) -> Result<(), http::Error> {
    let path = request
        .uri()
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| http::uri::PathAndQuery::from_static("/"));
    *request.uri_mut() = http::Uri::builder()
        .scheme(scheme)
        .authority(authority)
        .path_and_query(path)
        .build()?;
    *request.method_mut() = http::Method::CONNECT;
    *request.version_mut() = http::Version::HTTP_2;
    let headers = request.headers_mut();
    headers.remove(http::header::CONNECTION);
    headers.remove(http::header::UPGRADE);
    headers.remove(http::header::SEC_WEBSOCKET_KEY);
    headers.remove(http::header::HOST);
    request
        .extensions_mut()
        .insert(hyper::ext::Protocol::from_static("websocket"));
    Ok(())
}

/// An upgraded stream and what must live as long as it (the connection's
/// sender, so an HTTP/2 connection is not shut down under its stream).
/// Dropping it closes the stream: the connection, over HTTP/1.1; a reset
/// of the one stream, over HTTP/2.
struct Kept<K> {
    io: TokioIo<hyper::upgrade::Upgraded>,
    _keep: K,
}

impl<K: Unpin> AsyncRead for Kept<K> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<K: Unpin> AsyncWrite for Kept<K> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(all(test, feature = "sockets"))]
mod tests {
    use super::*;
    use http::header::{CONNECTION, SEC_WEBSOCKET_KEY, UPGRADE};
    use http::{Method, Request};

    #[test]
    fn an_upgrade_becomes_an_extended_connect_without_connection_headers() {
        let mut request = Request::get("/ws?room=1")
            .header(CONNECTION, "Upgrade")
            .header(UPGRADE, "websocket")
            .header(SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-protocol", "chat")
            .body(())
            .unwrap();
        let authority = http::uri::Authority::from_static("127.0.0.1:8080");
        extended_connect(&mut request, http::uri::Scheme::HTTP, authority).unwrap();
        assert_eq!(request.method(), Method::CONNECT);
        assert_eq!(request.uri(), "http://127.0.0.1:8080/ws?room=1");
        let protocol = request.extensions().get::<hyper::ext::Protocol>().unwrap();
        assert_eq!(protocol.as_str(), "websocket");
        let mut names: Vec<&str> = request.headers().keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["sec-websocket-protocol", "sec-websocket-version"]);
    }
}
