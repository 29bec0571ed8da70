//! Bodies that stream: [`RequestBody`], sent to a driver as it is
//! produced, and [`ResponseBody`], read from a driver as it arrives.
//!
//! Both are `http_body::Body<Data = Bytes, Error = BoxError>`, `Send`,
//! `Unpin` and `'static`, so a driver hands them straight to hyper, axum or
//! any other `http_body` user without knowing where they came from. A whole
//! body ([`RequestBody::full`], [`ResponseBody::full`]) is one data frame,
//! with its exact size known, so it goes on the wire with a
//! `Content-Length`; a body made from chunks has no size hint, and goes as
//! HTTP/1.1 chunked transfer coding or HTTP/2 and HTTP/3 data frames.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;

/// The error type a streaming body yields: any error, boxed.
///
/// ```
/// let e: crossdrive_core::BoxError = "the producer stopped".into();
/// assert_eq!(e.to_string(), "the producer stopped");
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A request body: whole, or chunks sent as they are produced.
///
/// ```
/// use crossdrive_core::RequestBody;
/// use http_body::Body;
///
/// let whole = RequestBody::full("hello");
/// assert_eq!(whole.size_hint().exact(), Some(5));
///
/// let chunked = RequestBody::chunks(["hel", "lo"]);
/// assert_eq!(chunked.size_hint().exact(), None);
/// ```
pub struct RequestBody {
    inner: Inner,
}

enum Inner {
    /// The whole body, or nothing once it was taken.
    Full(Option<Bytes>),
    Streamed(UnsyncBoxBody<Bytes, BoxError>),
}

impl RequestBody {
    /// The whole body at once, sent with its length.
    ///
    /// ```
    /// use http_body::Body;
    /// assert!(crossdrive_core::RequestBody::full(bytes::Bytes::new()).is_end_stream());
    /// ```
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self {
            inner: Inner::full(bytes.into()),
        }
    }

    /// An empty body.
    ///
    /// ```
    /// use http_body::Body;
    /// assert_eq!(crossdrive_core::RequestBody::empty().size_hint().exact(), Some(0));
    /// ```
    pub fn empty() -> Self {
        Self::full(Bytes::new())
    }

    /// A body sent chunk by chunk, as the stream yields them; an error from
    /// the stream aborts the request body.
    ///
    /// ```
    /// use futures_util::stream;
    /// let body = crossdrive_core::RequestBody::from_stream(stream::iter([
    ///     Ok::<_, std::io::Error>(bytes::Bytes::from("a")),
    ///     Ok(bytes::Bytes::from("b")),
    /// ]));
    /// # let _ = body;
    /// ```
    pub fn from_stream<S, B, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<B, E>> + Send + 'static,
        B: Into<Bytes> + 'static,
        E: Into<BoxError> + 'static,
    {
        let frames = stream
            .map_ok(|chunk| Frame::data(chunk.into()))
            .map_err(Into::into);
        Self::from_body(http_body_util::StreamBody::new(frames))
    }

    /// A body sent as these chunks, one data frame each.
    ///
    /// ```
    /// let body = crossdrive_core::RequestBody::chunks(vec!["one ", "two"]);
    /// # let _ = body;
    /// ```
    pub fn chunks<I>(chunks: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Bytes> + 'static,
        I::IntoIter: Send + 'static,
    {
        Self::from_stream(futures_util::stream::iter(
            chunks.into_iter().map(Ok::<_, BoxError>),
        ))
    }

    /// Any `http_body::Body` as a request body.
    ///
    /// ```
    /// let body = crossdrive_core::RequestBody::from_body(http_body_util::Full::new(bytes::Bytes::from("x")));
    /// # let _ = body;
    /// ```
    pub fn from_body<B>(body: B) -> Self
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Self {
            inner: Inner::Streamed(body.map_err(Into::into).boxed_unsync()),
        }
    }

    /// The whole body when it is already whole, without reading anything.
    ///
    /// ```
    /// assert_eq!(crossdrive_core::RequestBody::full("x").as_full().unwrap(), "x");
    /// assert!(crossdrive_core::RequestBody::chunks(["x"]).as_full().is_none());
    /// ```
    pub fn as_full(&self) -> Option<Bytes> {
        match &self.inner {
            Inner::Full(bytes) => Some(bytes.clone().unwrap_or_default()),
            Inner::Streamed(_) => None,
        }
    }

    /// Reads the whole body, for drivers whose adapter takes the request
    /// whole (a Lambda event carries its body in one JSON string).
    ///
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let body = crossdrive_core::RequestBody::chunks(["a", "b"]);
    /// assert_eq!(body.collect_bytes().await.unwrap(), "ab");
    /// # });
    /// ```
    pub async fn collect_bytes(self) -> Result<Bytes, BoxError> {
        match self.inner {
            Inner::Full(bytes) => Ok(bytes.unwrap_or_default()),
            Inner::Streamed(body) => Ok(body.collect().await?.to_bytes()),
        }
    }
}

impl Default for RequestBody {
    fn default() -> Self {
        Self::empty()
    }
}

impl From<Bytes> for RequestBody {
    fn from(bytes: Bytes) -> Self {
        Self::full(bytes)
    }
}

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.describe("RequestBody", f)
    }
}

impl Inner {
    /// A whole body: one data frame, or none when it is empty.
    fn full(bytes: Bytes) -> Self {
        Self::Full((!bytes.is_empty()).then_some(bytes))
    }

    /// `Name { len: N }` for a whole body, `Name(streamed)` otherwise.
    fn describe(&self, name: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Full(bytes) => f
                .debug_struct(name)
                .field("len", &bytes.as_ref().map_or(0, Bytes::len))
                .finish(),
            Self::Streamed(_) => write!(f, "{name}(streamed)"),
        }
    }
}

impl Body for Inner {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut *self {
            Inner::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Inner::Streamed(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Inner::Full(bytes) => bytes.is_none(),
            Inner::Streamed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Inner::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, Bytes::len) as u64),
            Inner::Streamed(body) => body.size_hint(),
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body as a driver delivers it: frames (data, then perhaps
/// trailers) in the order and at the moments they arrived.
///
/// ```
/// use crossdrive_core::ResponseBody;
/// use http_body::Body;
/// assert_eq!(ResponseBody::full("ok").size_hint().exact(), Some(2));
/// let streamed = ResponseBody::new(http_body_util::Full::new(bytes::Bytes::from("ok")));
/// # let _ = streamed;
/// ```
pub struct ResponseBody {
    inner: Inner,
    late: Option<LateNotes>,
}

/// Notes a driver adds while a body it delivers is still arriving, such as
/// a bandwidth cap that starts after the first megabytes: the driver keeps
/// a clone and pushes, and [`TestStream`](crate::TestStream) adds them to
/// its notes as it reads.
///
/// ```
/// use crossdrive_core::{AdapterNote, LateNotes, ResponseBody};
/// let late = LateNotes::new();
/// let body = ResponseBody::full("x").with_late_notes(late.clone());
/// late.push(AdapterNote::new("throttled", "capped after 6 MB"));
/// assert_eq!(body.take_late_notes()[0].code, "throttled");
/// assert!(body.take_late_notes().is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct LateNotes(std::sync::Arc<std::sync::Mutex<Vec<crate::AdapterNote>>>);

impl LateNotes {
    /// An empty set of notes.
    ///
    /// ```
    /// assert!(crossdrive_core::LateNotes::new().take().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a note.
    ///
    /// ```
    /// let late = crossdrive_core::LateNotes::new();
    /// late.push(crossdrive_core::AdapterNote::new("cut", "the stream was cut"));
    /// assert_eq!(late.take().len(), 1);
    /// ```
    pub fn push(&self, note: crate::AdapterNote) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(note);
    }

    /// Takes every note pushed since the last take.
    ///
    /// ```
    /// let late = crossdrive_core::LateNotes::new();
    /// late.push(crossdrive_core::AdapterNote::new("cut", "the stream was cut"));
    /// assert_eq!(late.take()[0].code, "cut");
    /// assert!(late.take().is_empty());
    /// ```
    pub fn take(&self) -> Vec<crate::AdapterNote> {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

impl ResponseBody {
    /// Any `http_body::Body` as a response body.
    ///
    /// ```
    /// let body = crossdrive_core::ResponseBody::new(http_body_util::Empty::<bytes::Bytes>::new());
    /// # let _ = body;
    /// ```
    pub fn new<B>(body: B) -> Self
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Self {
            inner: Inner::Streamed(body.map_err(Into::into).boxed_unsync()),
            late: None,
        }
    }

    /// This body, with notes its driver adds while it arrives.
    ///
    /// ```
    /// let late = crossdrive_core::LateNotes::new();
    /// let body = crossdrive_core::ResponseBody::full("x").with_late_notes(late);
    /// assert!(body.take_late_notes().is_empty());
    /// ```
    #[must_use]
    pub fn with_late_notes(mut self, notes: LateNotes) -> Self {
        self.late = Some(notes);
        self
    }

    /// The notes the driver added since the last call (see [`LateNotes`]).
    ///
    /// ```
    /// assert!(crossdrive_core::ResponseBody::full("x").take_late_notes().is_empty());
    /// ```
    pub fn take_late_notes(&self) -> Vec<crate::AdapterNote> {
        self.late.as_ref().map(LateNotes::take).unwrap_or_default()
    }

    /// A body that arrived whole: one data frame.
    ///
    /// ```
    /// use http_body::Body;
    /// assert!(!crossdrive_core::ResponseBody::full("x").is_end_stream());
    /// ```
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self {
            inner: Inner::full(bytes.into()),
            late: None,
        }
    }
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.describe("ResponseBody", f)
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunked_request_body_yields_each_chunk_as_its_own_frame() {
        let body = RequestBody::chunks(["a", "bc"]);
        let frames: Vec<Bytes> = futures_executor::block_on(async {
            let mut body = body;
            let mut out = Vec::new();
            while let Some(frame) = body.frame().await {
                out.push(frame.unwrap().into_data().unwrap());
            }
            out
        });
        assert_eq!(frames, ["a", "bc"]);
    }

    #[test]
    fn a_stream_error_reaches_the_reader_of_the_body() {
        let body = RequestBody::from_stream(futures_util::stream::iter([
            Ok(Bytes::from("a")),
            Err(std::io::Error::other("producer failed")),
        ]));
        let error = futures_executor::block_on(body.collect_bytes()).unwrap_err();
        assert_eq!(error.to_string(), "producer failed");
    }
}
