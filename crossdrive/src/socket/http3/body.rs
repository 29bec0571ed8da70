//! An h3 receive stream as an [`http_body::Body`]: DATA frames as they
//! arrive, then the trailing HEADERS frame (if any) as a trailers frame.
//!
//! Both ends use it: the server hands the app its request body this way
//! (so a handler reads an upload chunk by chunk while the client is still
//! sending), and the client reads its response body this way. Nothing is
//! buffered here; each poll asks h3 for the next frame.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The receiving half of one h3 request stream, on either side.
pub(crate) trait Recv: Send + Unpin + 'static {
    /// The next DATA frame's payload; `None` once the peer sent its last.
    fn poll_data(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, BoxError>>;
    /// The trailers, after the last DATA frame; `None` when there are none.
    fn poll_trailers(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<HeaderMap>, BoxError>>;
}

impl<S> Recv for h3::server::RequestStream<S, Bytes>
where
    S: h3::quic::RecvStream + Send + Unpin + 'static,
{
    fn poll_data(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, BoxError>> {
        let data = ready!(self.poll_recv_data(cx)).map_err(BoxError::from)?;
        Poll::Ready(Ok(data.map(|mut buf| buf.copy_to_bytes(buf.remaining()))))
    }

    fn poll_trailers(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<HeaderMap>, BoxError>> {
        self.poll_recv_trailers(cx).map_err(BoxError::from)
    }
}

impl<S> Recv for h3::client::RequestStream<S, Bytes>
where
    S: h3::quic::RecvStream + Send + Unpin + 'static,
{
    fn poll_data(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, BoxError>> {
        let data = ready!(self.poll_recv_data(cx)).map_err(BoxError::from)?;
        Poll::Ready(Ok(data.map(|mut buf| buf.copy_to_bytes(buf.remaining()))))
    }

    fn poll_trailers(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<HeaderMap>, BoxError>> {
        self.poll_recv_trailers(cx).map_err(BoxError::from)
    }
}

enum State {
    Data,
    Trailers,
    Done,
}

/// A body read from an h3 stream frame by frame.
pub(crate) struct RecvBody<R> {
    recv: R,
    state: State,
}

impl<R: Recv> RecvBody<R> {
    pub(crate) fn new(recv: R) -> Self {
        Self {
            recv,
            state: State::Data,
        }
    }
}

impl<R: Recv> Body for RecvBody<R> {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        loop {
            match this.state {
                State::Data => match ready!(this.recv.poll_data(cx)) {
                    // h3 may hand over an empty DATA frame: not a frame
                    // worth reporting.
                    Ok(Some(data)) if data.is_empty() => {}
                    Ok(Some(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(None) => this.state = State::Trailers,
                    Err(e) => {
                        this.state = State::Done;
                        return Poll::Ready(Some(Err(e)));
                    }
                },
                State::Trailers => {
                    let trailers = ready!(this.recv.poll_trailers(cx));
                    this.state = State::Done;
                    return Poll::Ready(match trailers {
                        Ok(Some(trailers)) => Some(Ok(Frame::trailers(trailers))),
                        Ok(None) => None,
                        Err(e) => Some(Err(e)),
                    });
                }
                State::Done => return Poll::Ready(None),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, State::Done)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
