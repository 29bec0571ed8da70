//! [`TestStream`]: a response read as it arrives.
//!
//! `client.get("/events").stream().await` resolves as soon as the response
//! head is in. The test then reads the body chunk by chunk
//! ([`next_chunk`](TestStream::next_chunk), each [`Chunk`] stamped with its
//! arrival time), or event by event for server-sent events
//! ([`next_event`](TestStream::next_event)), and stops when it has seen
//! enough: dropping the stream cancels the response (an HTTP/2 or HTTP/3
//! stream reset, an HTTP/1.1 connection closed), as a browser closing an
//! `EventSource` would. [`collect`](TestStream::collect) reads the rest
//! into a [`TestResponse`] with every assertion.
//!
//! Every read is bounded by the stream's read timeout (5 s unless set with
//! [`read_timeout`](TestStream::read_timeout)) on crossdrive's own timer,
//! so it fires on any executor; a timeout says that the response was still
//! streaming, and how much of it had arrived. A body that breaks off (the
//! connection closed mid-body, the app's stream failed) is an error that
//! says it was aborted, distinct from a body that ended. A handler
//! panicking while it streams is an error, not a dead test binary.
//!
//! Drivers whose adapter buffers (the Lambda event sources) deliver the
//! whole body as one chunk, with a `buffered` note in
//! [`notes`](TestStream::notes).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::BodyExt;

use crate::guard::{Interrupted, guarded};
use crate::sse::SseParser;
use crate::{
    AdapterNote, DriverResponse, DriverStream, Error, ErrorKind, IntoStatus, Protocol,
    ResponseBody, SseEvent, TestResponse,
};

/// How long a [`TestStream`] waits for the next chunk unless told otherwise.
///
/// ```
/// assert_eq!(crossdrive_core::DEFAULT_READ_TIMEOUT, std::time::Duration::from_secs(5));
/// ```
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// One piece of a response body, as it arrived.
///
/// ```
/// # use crossdrive_core::{Client, DriverStream, Protocol};
/// # let client = crossdrive_core::__doc_support::streaming_client(["a", "b"]);
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// let mut stream = client.get("/").stream().await;
/// let first = stream.next_chunk().await.unwrap();
/// assert_eq!((first.index, &first.data[..]), (0, &b"a"[..]));
/// assert!(first.at >= stream.time_to_head());
/// # });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Chunk {
    /// The bytes of this data frame.
    pub data: Bytes,
    /// When it arrived, from the moment the request was handed to the driver.
    pub at: Duration,
    /// Its position among the body's chunks, from 0.
    pub index: usize,
}

/// A response whose body is read as it arrives, made by
/// [`RequestBuilder::stream`](crate::RequestBuilder::stream).
///
/// Every read waits at most its read timeout (5 s,
/// [`read_timeout`](Self::read_timeout)); a timeout says the response was
/// still streaming and how much had arrived, a body that breaks off is an
/// "aborted" error, and dropping the stream cancels the response. Drivers
/// whose adapter buffers deliver the whole body as one chunk, with a
/// `buffered` note.
///
/// ```
/// # let client = crossdrive_core::__doc_support::streaming_client(["data: 1\n\n", "data: 2\n\n", "data: 3\n\n"]);
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// // An endless event stream: read three events, then stop.
/// let mut events = client.get("/events").stream().await;
/// events.assert_status(200);
/// let three = events.take_events(3).await;
/// assert_eq!(three.iter().map(|e| e.data.as_str()).collect::<Vec<_>>(), ["1", "2", "3"]);
/// drop(events); // cancels the response
/// # });
/// ```
#[must_use = "a stream does nothing unless read"]
pub struct TestStream {
    driver: String,
    method: Method,
    uri: Uri,
    request: Request<Bytes>,
    status: StatusCode,
    headers: HeaderMap,
    protocol: Protocol,
    notes: Vec<AdapterNote>,
    body: ResponseBody,
    started: Instant,
    head_at: Duration,
    read_timeout: Duration,
    read: Vec<Bytes>,
    bytes: usize,
    first_byte_at: Option<Duration>,
    last_byte_at: Option<Duration>,
    trailers: Option<HeaderMap>,
    ended: bool,
    sse: SseParser,
    events: VecDeque<SseEvent>,
}

impl TestStream {
    /// Wraps what a driver is delivering for `request`, which was handed
    /// to the driver at `started`.
    ///
    /// ```
    /// use crossdrive_core::{DriverStream, Protocol, ResponseBody, TestStream};
    /// let delivered = DriverStream::new(http::Response::new(ResponseBody::full("x")), Protocol::InProcess);
    /// let stream = TestStream::new("direct", http::Request::new(bytes::Bytes::new()), std::time::Instant::now(), delivered);
    /// assert_eq!(stream.status(), 200);
    /// ```
    pub fn new(
        driver: &str,
        request: Request<Bytes>,
        started: Instant,
        delivered: DriverStream,
    ) -> Self {
        let head_at = started.elapsed();
        let DriverStream {
            response,
            protocol,
            notes,
        } = delivered;
        let (parts, body) = response.into_parts();
        Self {
            driver: driver.to_owned(),
            method: request.method().clone(),
            uri: request.uri().clone(),
            request,
            status: parts.status,
            headers: parts.headers,
            protocol,
            notes,
            body,
            started,
            head_at,
            read_timeout: DEFAULT_READ_TIMEOUT,
            read: Vec::new(),
            bytes: 0,
            first_byte_at: None,
            last_byte_at: None,
            trailers: None,
            ended: false,
            sse: SseParser::default(),
            events: VecDeque::new(),
        }
    }

    /// Sets how long each read waits for the next chunk (default 5 s).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let stream = client.get("/").stream().await.read_timeout(std::time::Duration::from_millis(200));
    /// # let _ = stream;
    /// # });
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The name of the driver that carried the request.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// assert_eq!(client.get("/").stream().await.driver(), "chunks");
    /// # });
    /// ```
    pub fn driver(&self) -> &str {
        &self.driver
    }

    /// The response status.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// assert_eq!(client.get("/").stream().await.status(), 200);
    /// # });
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let stream = client.get("/").stream().await;
    /// assert_eq!(stream.headers()["content-type"], "text/event-stream");
    /// # });
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of a response header, if it is there and is text.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// assert_eq!(client.get("/").stream().await.header("content-type"), Some("text/event-stream"));
    /// # });
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The protocol the driver observed.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// assert_eq!(client.get("/").stream().await.protocol(), &crossdrive_core::Protocol::InProcess);
    /// # });
    /// ```
    pub fn protocol(&self) -> &Protocol {
        &self.protocol
    }

    /// What the adapter changed, such as a `buffered` note from a driver
    /// whose adapter reads the whole body before handing it on.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// assert!(client.get("/").stream().await.notes().is_empty());
    /// # });
    /// ```
    pub fn notes(&self) -> &[AdapterNote] {
        &self.notes
    }

    /// Whether the driver delivered this body whole (its adapter buffers).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// assert!(!client.get("/").stream().await.is_buffered());
    /// # });
    /// ```
    pub fn is_buffered(&self) -> bool {
        self.notes.iter().any(|n| n.code == "buffered")
    }

    /// How long the response head took, from the moment the request was
    /// handed to the driver.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let stream = client.get("/").stream().await;
    /// assert!(stream.time_to_head() < std::time::Duration::from_secs(5));
    /// # });
    /// ```
    pub fn time_to_head(&self) -> Duration {
        self.head_at
    }

    /// When the first body byte arrived, once one has.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a", "b"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut stream = client.get("/").stream().await;
    /// assert_eq!(stream.time_to_first_byte(), None);
    /// let first = stream.next_chunk().await.unwrap();
    /// assert_eq!(stream.time_to_first_byte(), Some(first.at));
    /// # });
    /// ```
    pub fn time_to_first_byte(&self) -> Option<Duration> {
        self.first_byte_at
    }

    /// When the last body byte arrived, once the body has ended.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a", "b"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut stream = client.get("/").stream().await;
    /// while stream.next_chunk().await.is_some() {}
    /// assert!(stream.time_to_last_byte() >= stream.time_to_first_byte());
    /// # });
    /// ```
    pub fn time_to_last_byte(&self) -> Option<Duration> {
        self.ended
            .then_some(self.last_byte_at.unwrap_or(self.head_at))
    }

    /// How many body bytes have arrived so far.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["ab", "c"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut stream = client.get("/").stream().await;
    /// stream.next_chunk().await;
    /// assert_eq!((stream.bytes_received(), stream.chunks_received()), (2, 1));
    /// # });
    /// ```
    pub fn bytes_received(&self) -> usize {
        self.bytes
    }

    /// How many body chunks have arrived so far.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a", "b"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut stream = client.get("/").stream().await;
    /// while stream.next_chunk().await.is_some() {}
    /// assert_eq!(stream.chunks_received(), 2);
    /// # });
    /// ```
    pub fn chunks_received(&self) -> usize {
        self.read.len()
    }

    /// Whether the body has ended (and trailers, if any, arrived).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut stream = client.get("/").stream().await;
    /// while stream.next_chunk().await.is_some() {}
    /// assert!(stream.is_ended());
    /// # });
    /// ```
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// The trailers, once the body has ended with some (HTTP/2, HTTP/3,
    /// chunked HTTP/1.1, in-process).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut stream = client.get("/").stream().await;
    /// while stream.next_chunk().await.is_some() {}
    /// assert!(stream.trailers().is_none());
    /// # });
    /// ```
    pub fn trailers(&self) -> Option<&HeaderMap> {
        self.trailers.as_ref()
    }

    /// Fails the test unless the status is `expected`.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// client.get("/").stream().await.assert_status(200);
    /// # });
    /// ```
    #[track_caller]
    pub fn assert_status(&self, expected: impl IntoStatus) -> &Self {
        let expected = expected.into_status();
        if expected != Some(self.status) {
            panic!(
                "{}",
                self.report(
                    "status",
                    &expected.map_or("(an invalid status)".to_owned(), |s| s.to_string()),
                    &self.status.to_string(),
                )
            );
        }
        self
    }

    /// Fails the test unless the header's first value is `expected`.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// client.get("/").stream().await.assert_header("content-type", "text/event-stream");
    /// # });
    /// ```
    #[track_caller]
    pub fn assert_header(&self, name: &str, expected: &str) -> &Self {
        let got = self.header(name);
        if got != Some(expected) {
            let secret = crate::redact::is_always_secret(name)
                || self
                    .headers
                    .get_all(name)
                    .iter()
                    .any(http::HeaderValue::is_sensitive);
            let shown = |v: &str| {
                if secret {
                    crate::redact::hidden_text(name, v)
                } else {
                    v.to_owned()
                }
            };
            panic!(
                "{}",
                self.report(
                    &format!("header `{name}`"),
                    &shown(expected),
                    &got.map_or_else(|| "(absent)".to_owned(), shown)
                )
            );
        }
        self
    }

    /// The next chunk of the body, or `None` once it has ended; fails the
    /// test if the read timed out or the body was aborted (use
    /// [`try_next_chunk`](Self::try_next_chunk) to expect that).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a", "b"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut stream = client.get("/").stream().await;
    /// assert_eq!(stream.next_chunk().await.unwrap().data, "a");
    /// assert_eq!(stream.next_chunk().await.unwrap().data, "b");
    /// assert!(stream.next_chunk().await.is_none());
    /// # });
    /// ```
    pub async fn next_chunk(&mut self) -> Option<Chunk> {
        self.try_next_chunk()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The next chunk of the body, `Ok(None)` once it has ended, or the
    /// error that stopped it: a timeout while it was still streaming, an
    /// aborted body, a panic in the handler's stream.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut stream = client.get("/").stream().await;
    /// assert!(stream.try_next_chunk().await.unwrap().is_some());
    /// assert!(stream.try_next_chunk().await.unwrap().is_none());
    /// # });
    /// ```
    pub async fn try_next_chunk(&mut self) -> Result<Option<Chunk>, Error> {
        loop {
            if self.ended {
                return Ok(None);
            }
            let frame = match guarded(self.read_timeout, self.body.frame()).await {
                Ok(frame) => frame,
                Err(Interrupted::TimedOut(after)) => return Err(self.timed_out(after)),
                Err(Interrupted::Panicked(message)) => {
                    self.ended = true;
                    return Err(Error::handler_panic(
                        &self.driver,
                        &self.method,
                        &self.uri,
                        &message,
                    ));
                }
            };
            let at = self.started.elapsed();
            self.notes.extend(self.body.take_late_notes());
            match frame {
                None => {
                    self.ended = true;
                    return Ok(None);
                }
                Some(Err(cause)) => {
                    self.ended = true;
                    return Err(self.aborted(cause));
                }
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if data.is_empty() => {}
                    Ok(data) => {
                        self.first_byte_at.get_or_insert(at);
                        self.last_byte_at = Some(at);
                        self.bytes += data.len();
                        let index = self.read.len();
                        self.read.push(data.clone());
                        return Ok(Some(Chunk { data, at, index }));
                    }
                    Err(frame) => {
                        if let Ok(trailers) = frame.into_trailers() {
                            self.trailers
                                .get_or_insert_with(HeaderMap::new)
                                .extend(trailers);
                        }
                    }
                },
            }
        }
    }

    /// The next server-sent event, or `None` once the body has ended;
    /// fails the test on a timeout or an aborted body (see
    /// [`try_next_event`](Self::try_next_event)).
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["event: tick\nda", "ta: 1\n\n"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut stream = client.get("/events").stream().await;
    /// let tick = stream.next_event().await.unwrap();
    /// assert_eq!((tick.event.as_str(), tick.data.as_str()), ("tick", "1"));
    /// # });
    /// ```
    pub async fn next_event(&mut self) -> Option<SseEvent> {
        self.try_next_event()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The next server-sent event, `Ok(None)` once the body has ended, or
    /// the error that stopped the body.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["data: 1\n\n"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut stream = client.get("/events").stream().await;
    /// assert_eq!(stream.try_next_event().await.unwrap().unwrap().data, "1");
    /// assert_eq!(stream.try_next_event().await.unwrap(), None);
    /// # });
    /// ```
    pub async fn try_next_event(&mut self) -> Result<Option<SseEvent>, Error> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(Some(event));
            }
            let Some(chunk) = self.try_next_chunk().await? else {
                return Ok(None);
            };
            let mut out = Vec::new();
            self.sse.feed(&chunk.data, chunk.at, &mut out);
            self.events.extend(out);
        }
    }

    /// Reads the next `count` server-sent events and stops there; fails
    /// the test if the body ends or breaks off first.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["data: 1\n\ndata: 2\n\n"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut stream = client.get("/events").stream().await;
    /// assert_eq!(stream.take_events(2).await.len(), 2);
    /// # });
    /// ```
    pub async fn take_events(&mut self, count: usize) -> Vec<SseEvent> {
        let mut events = Vec::with_capacity(count);
        while events.len() < count {
            match self.next_event().await {
                Some(event) => events.push(event),
                None => panic!(
                    "{}",
                    self.report(
                        "server-sent events",
                        &format!("{count} events"),
                        &format!(
                            "the body ended after {} events ({} bytes in {} chunks)",
                            events.len(),
                            self.bytes,
                            self.read.len()
                        ),
                    )
                ),
            }
        }
        events
    }

    /// Reads the rest of the body and returns the whole response (every
    /// chunk, those already read included) with all of
    /// [`TestResponse`]'s assertions; fails the test on a timeout or an
    /// aborted body.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a", "b"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let mut stream = client.get("/").stream().await;
    /// stream.next_chunk().await;
    /// stream.collect().await.assert_status(200).assert_text("ab");
    /// # });
    /// ```
    pub async fn collect(self) -> TestResponse {
        self.try_collect().await.unwrap_or_else(|e| panic!("{e}"))
    }

    /// Reads the rest of the body into a [`TestResponse`], or returns the
    /// error that stopped it.
    ///
    /// ```
    /// # let client = crossdrive_core::__doc_support::streaming_client(["a"]);
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let whole = client.get("/").stream().await.try_collect().await.unwrap();
    /// whole.assert_text("a");
    /// # });
    /// ```
    pub async fn try_collect(mut self) -> Result<TestResponse, Error> {
        while self.try_next_chunk().await?.is_some() {}
        let mut body = BytesMut::with_capacity(self.bytes);
        for chunk in &self.read {
            body.extend_from_slice(chunk);
        }
        let mut response = http::Response::new(body.freeze());
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        let mut delivered = DriverResponse::new(response, self.protocol);
        delivered.notes = self.notes;
        Ok(TestResponse::new(&self.driver, self.request, delivered))
    }

    fn progress(&self) -> String {
        let chunks = self.read.len();
        let first = self
            .first_byte_at
            .map_or(String::new(), |at| format!(", the first at {at:?}"));
        format!(
            "status {} and {} bytes in {chunks} chunk{}{first} had arrived",
            self.status.as_u16(),
            self.bytes,
            if chunks == 1 { "" } else { "s" }
        )
    }

    fn timed_out(&self, after: Duration) -> Error {
        Error::new(
            ErrorKind::Timeout,
            &self.driver,
            &self.method,
            &self.uri,
            format!(
                "timed out after {after:?} waiting for the next chunk of a response that was \
                 still streaming ({})",
                self.progress()
            ),
        )
        .with_hint(
            "an endless stream never ends: read what you need and drop the stream; for a slow \
             one, raise the wait with TestStream::read_timeout",
        )
    }

    fn aborted(&self, cause: crate::BoxError) -> Error {
        Error::new(
            ErrorKind::Adapter,
            &self.driver,
            &self.method,
            &self.uri,
            format!(
                "the response body was aborted before its end ({})",
                self.progress()
            ),
        )
        .with_source(cause)
        .with_hint(
            "the server closed the stream or the app's body stream returned an error; a body \
             the app ends on purpose ends cleanly",
        )
    }

    fn report(&self, what: &str, expected: &str, received: &str) -> String {
        // Secret values redacted, as in every report (`crate::redact`).
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(name, value)| format!("{name}: {}", crate::redact::shown(name, value)))
            .collect();
        let mut report = format!(
            "{what} mismatch through driver `{}` on {} {}\n  expected: {expected}\n  received: \
             {received}\n  response: status {}, headers {headers:?}, {} bytes in {} chunks so far",
            self.driver,
            self.method,
            self.uri,
            self.status.as_u16(),
            self.bytes,
            self.read.len()
        );
        let redacted = crate::redact::redacts_any(&self.headers)
            || [expected, received]
                .iter()
                .any(|v| v.contains(crate::redact::MARK));
        if let Some(footer) = crate::redact::footer(redacted) {
            report.push('\n');
            report.push_str(&footer);
        }
        report
    }
}

impl std::fmt::Debug for TestStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestStream")
            .field("driver", &self.driver)
            .field("request", &format_args!("{} {}", self.method, self.uri))
            .field("status", &self.status)
            .field("bytes", &self.bytes)
            .field("chunks", &self.read.len())
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}
