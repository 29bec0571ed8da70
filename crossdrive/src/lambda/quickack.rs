//! The Runtime API's side of a connection, acknowledging every read at once.
//!
//! A streaming function (`lambda-url-stream`) posts its response as many
//! small chunked writes, and lambda_runtime's client (hyper-util's
//! `HttpConnector`, built inside `lambda_http::run_with_streaming_response`
//! where crossdrive cannot configure it) leaves Nagle's algorithm on: each
//! small write after the first waits until the previous one is
//! acknowledged. The Runtime API answers only once the body has ended, so
//! no reply carries that acknowledgement, and Linux's delayed ACK holds it
//! for up to 40 ms: every streamed response stalled about 40 ms between its
//! prelude and its body, an artifact of this emulation (measured: a
//! `simple_get` took 44 ms on `lambda-url-stream` against 14 µs on
//! `lambda`). Re-arming `TCP_QUICKACK` after every read acknowledges each
//! chunk as it arrives, so the function's writes flow as they do against
//! Lambda's own Runtime API.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A [`TcpStream`] that acknowledges every read at once (on Linux; a
/// plain stream elsewhere).
pub(crate) struct QuickAck(pub(crate) TcpStream);

/// Acknowledges what `stream` has received at once, and what it receives
/// until the kernel falls back to delayed ACKs (on Linux; nothing
/// elsewhere).
pub(crate) fn ack(stream: &TcpStream) {
    #[cfg(target_os = "linux")]
    {
        // Best effort: a failure leaves the delayed ACK, slower, not wrong.
        let _ = socket2::SockRef::from(stream).set_tcp_quickack(true);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = stream;
}

/// Reads from `stream` into `buf`, acknowledging at once whatever arrived.
pub(crate) fn poll_read(
    stream: &mut TcpStream,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let before = buf.filled().len();
    let polled = Pin::new(&mut *stream).poll_read(cx, buf);
    if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
        ack(stream);
    }
    polled
}

impl AsyncRead for QuickAck {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        poll_read(&mut self.0, cx, buf)
    }
}

impl AsyncWrite for QuickAck {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}
