//! A loopback TCP stream served on whichever tokio runtime polls it.
//!
//! A function instance's Runtime API connection outlives any one test's
//! runtime, yet each invocation should be served on the runtime of the
//! test that sends it: waking another thread costs more than the whole
//! exchange on an idle machine (a 4-byte loopback ping-pong is ~13 µs on
//! one thread, ~50 µs across idle threads). So the socket itself stays
//! unregistered, and [`Rehomed`] registers a duplicate of it (`dup`, the
//! same socket) with the runtime that polls it, the first time that
//! runtime does; a poll from another runtime drops that registration and
//! makes its own. The runtimes are told apart by `tokio::runtime::Id`,
//! unique per runtime for the life of the process, so a runtime built
//! after another one ended on the same thread is never mistaken for it.
//!
//! Every read that brought data re-arms `TCP_QUICKACK` (`quickack.rs`).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::runtime::{Handle, Id};

/// A TCP stream registered with the runtime that last polled it.
pub(crate) struct Rehomed {
    /// The socket, never registered with any runtime.
    socket: std::net::TcpStream,
    /// A duplicate of it, registered with the runtime of that id.
    here: Option<(Id, TcpStream)>,
}

impl Rehomed {
    /// Serves `socket` from now on wherever it is polled.
    pub(crate) fn new(socket: std::net::TcpStream) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        // What the Runtime API writes is one response at a time: no reason
        // to hold any of it back.
        socket.set_nodelay(true)?;
        Ok(Self { socket, here: None })
    }

    /// The stream registered with the runtime polling now, registered
    /// first if need be. Polled outside a tokio runtime, an error: the
    /// caller serves it inside one (`runtime_api.rs` falls back to the
    /// Runtime API host's).
    fn here(&mut self) -> io::Result<&mut TcpStream> {
        let handle = Handle::try_current().map_err(|_| {
            io::Error::other("a Runtime API connection was polled outside a tokio runtime")
        })?;
        let id = handle.id();
        let stale = self.here.as_ref().is_none_or(|(on, _)| *on != id);
        if stale {
            // Deregistered from the old runtime before the new one has it.
            self.here = None;
            let duplicate = self.socket.try_clone()?;
            self.here = Some((id, TcpStream::from_std(duplicate)?));
        }
        match &mut self.here {
            Some((_, stream)) => Ok(stream),
            None => Err(io::Error::other(
                "the Runtime API connection lost its registration",
            )),
        }
    }
}

impl AsyncRead for Rehomed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.here() {
            Ok(stream) => super::quickack::poll_read(stream, cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl AsyncWrite for Rehomed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.here() {
            Ok(stream) => Pin::new(stream).poll_write(cx, data),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.here() {
            Ok(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.here() {
            Ok(stream) => Pin::new(stream).poll_flush(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.here() {
            Ok(stream) => Pin::new(stream).poll_shutdown(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_stream_keeps_working_when_a_later_runtime_polls_it_after_the_first_ended() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let mut rehomed = Rehomed::new(accepted).unwrap();
        for round in 0..3u8 {
            // A fresh runtime each round, the last one gone: as tests do.
            let rt = runtime();
            std::io::Write::write_all(&mut peer, &[round]).unwrap();
            let got = rt.block_on(async {
                let mut byte = [0u8; 1];
                rehomed.read_exact(&mut byte).await.unwrap();
                rehomed.write_all(&[byte[0] + 10]).await.unwrap();
                byte[0]
            });
            assert_eq!(got, round);
            let mut back = [0u8; 1];
            std::io::Read::read_exact(&mut peer, &mut back).unwrap();
            assert_eq!(back[0], round + 10);
            drop(rt);
        }
    }

    #[test]
    fn a_poll_outside_any_runtime_is_an_error_not_a_hang() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let mut rehomed = Rehomed::new(accepted).unwrap();
        let error = futures_executor::block_on(rehomed.write_all(b"x")).unwrap_err();
        assert!(
            error.to_string().contains("outside a tokio runtime"),
            "{error}"
        );
    }
}
