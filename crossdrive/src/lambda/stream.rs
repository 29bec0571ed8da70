//! Response streaming (`lambda-url-stream`): a Function URL with
//! `InvokeMode: RESPONSE_STREAM`, as the client receives it.
//!
//! The function (the real `lambda_http::run_with_streaming_response` loop
//! in a child process) posts its response to the local Runtime API as
//! lambda_runtime 1.5 writes it: a JSON metadata prelude, eight NUL bytes,
//! then the body chunks (`runtime_api.rs`). The client gets the status,
//! headers and cookies of the prelude first ([`decode_prelude`]) and each
//! chunk as it arrives ([`StreamedBody`]), under the limits AWS documents
//! for streamed responses
//! (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html>,
//! <https://docs.aws.amazon.com/lambda/latest/dg/config-rs-invoke-furls.html>):
//!
//! - **200 MB** at most ("response streaming functions can return payloads
//!   up to 200 MB"). What the client sees beyond it is not documented; the
//!   response head is long gone, so the only thing the service can do is
//!   cut the stream: crossdrive delivers exactly the first 200 MiB and then
//!   aborts the body (**model**).
//! - **2 MB/s after the first 6 MB** ("the streaming rate for the first
//!   6 MB of your function's response is uncapped ... After this initial
//!   burst, Lambda streams your response at a maximum rate of 2 MBps"):
//!   delivery is throttled from the 6 MiB mark on, and a
//!   `stream-bandwidth-capped` note is added when it starts.
//! - **the function timeout**: the invocation, streaming included, ends when
//!   the function's timeout elapses; a stream still running then is cut
//!   (aborted body, `function-timeout` note) and the sandbox replaced.
//!
//! AWS gives MB without saying whether 10^6 or 2^20; Lambda's own buffered
//! limit is 6,291,556 bytes (about 6 MiB), so crossdrive counts MiB.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::{
    AdapterNote, BoxError, DriverResponse, DriverStream, Error, ErrorKind, LateNotes, ResponseBody,
};
use bytes::Bytes;
use http::Response;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use http_body_util::BodyExt as _;
use hyper::body::{Body, Frame};
use tokio::sync::mpsc;

use super::driver::{About, Inner};
use super::runtime_api::StreamItem;

/// The most a streamed response may carry: 200 MB (counted as MiB).
pub const STREAM_RESPONSE_LIMIT: u64 = 200 * 1024 * 1024;
/// How much of a streamed response goes at full speed: 6 MB (MiB).
pub const STREAM_UNCAPPED_BYTES: u64 = 6 * 1024 * 1024;
/// The bandwidth cap after that, in bytes per second: 2 MB/s (MiB/s).
pub const STREAM_BANDWIDTH: u64 = 2 * 1024 * 1024;

/// The largest piece delivered at once while throttled, so the rate the
/// client sees is smooth rather than one burst per function write.
const THROTTLED_PIECE: usize = 64 * 1024;

/// The limits a streamed response is delivered under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamLimits {
    /// Bytes after which the stream is cut.
    pub(crate) cap: u64,
    /// Bytes delivered before the bandwidth cap applies.
    pub(crate) uncapped: u64,
    /// Bytes per second after `uncapped`.
    pub(crate) rate: u64,
    /// When the function's timeout elapses.
    pub(crate) deadline: Instant,
}

impl StreamLimits {
    /// AWS's limits, for an invocation whose function timeout ends at `deadline`.
    pub(crate) fn aws(deadline: Instant) -> Self {
        Self {
            cap: STREAM_RESPONSE_LIMIT,
            uncapped: STREAM_UNCAPPED_BYTES,
            rate: STREAM_BANDWIDTH,
            deadline,
        }
    }
}

/// What the body does when the function timeout cuts it (replace the
/// sandbox).
pub(crate) type OnTimeout = Box<dyn FnMut() + Send>;

/// A streamed response body: the function's chunks as they arrive,
/// throttled after the uncapped bytes, cut at the cap and at the function
/// timeout.
pub(crate) struct StreamedBody {
    chunks: mpsc::Receiver<StreamItem>,
    limits: StreamLimits,
    function_timeout: Duration,
    delivered: u64,
    throttled_since: Option<Instant>,
    pending: Bytes,
    /// Cut the stream once `pending` is delivered (the cap was reached).
    cut_at_cap: bool,
    wait: Option<Pin<Box<tokio::time::Sleep>>>,
    deadline: Pin<Box<tokio::time::Sleep>>,
    notes: LateNotes,
    on_timeout: Option<OnTimeout>,
    shape: &'static str,
    done: bool,
}

impl StreamedBody {
    pub(crate) fn new(
        chunks: mpsc::Receiver<StreamItem>,
        limits: StreamLimits,
        function_timeout: Duration,
        notes: LateNotes,
        on_timeout: OnTimeout,
        shape: &'static str,
    ) -> Self {
        let left = limits.deadline.saturating_duration_since(Instant::now());
        Self {
            chunks,
            limits,
            function_timeout,
            delivered: 0,
            throttled_since: None,
            pending: Bytes::new(),
            cut_at_cap: false,
            wait: None,
            deadline: crate::guard::sleep(left),
            notes,
            on_timeout: Some(on_timeout),
            shape,
            done: false,
        }
    }

    /// Ends the body with an error, noting and logging why.
    fn fail(
        &mut self,
        code: &'static str,
        reason: String,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.done = true;
        if !crate::fixture::quiet() {
            eprintln!("crossdrive lambda ({}): {code}: {reason}", self.shape);
        }
        self.notes.push(AdapterNote::new(code, reason.clone()));
        Poll::Ready(Some(Err(reason.into())))
    }

    /// When the next `len` bytes may go, if the bandwidth cap holds them back.
    fn due(&mut self, len: usize) -> Option<Instant> {
        if self.delivered < self.limits.uncapped {
            return None;
        }
        let now = Instant::now();
        let since = *self.throttled_since.get_or_insert_with(|| {
            self.notes.push(AdapterNote::new(
                "stream-bandwidth-capped",
                format!(
                    "after the first {} bytes Lambda streams at most {} bytes/s (AWS: \"2 MBps\" \
                     after the first 6 MB), so the rest of this response is throttled",
                    self.limits.uncapped, self.limits.rate
                ),
            ));
            now
        });
        let after = self.delivered - self.limits.uncapped + len as u64;
        let due = since + Duration::from_secs_f64(after as f64 / self.limits.rate.max(1) as f64);
        (due > now).then_some(due)
    }
}

impl Drop for StreamedBody {
    /// A reader that stops before the end (a dropped `TestStream`, a timed
    /// out `send`) leaves the function streaming to nobody, as Lambda does;
    /// but Lambda would give the next request another sandbox, while this
    /// instance serves one invocation at a time. So the instance is
    /// replaced now rather than blocking the next request until the
    /// function timeout.
    fn drop(&mut self) {
        if !self.done
            && let Some(mut replace) = self.on_timeout.take()
        {
            replace();
        }
    }
}

impl Body for StreamedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> PollFrame {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            if let Some(mut replace) = this.on_timeout.take() {
                replace();
            }
            return this.timed_out();
        }
        while this.pending.is_empty() {
            if let Some(end) = this.refill(cx) {
                return end;
            }
        }
        this.poll_piece(cx)
    }
}

/// What `poll_frame` returns.
type PollFrame = Poll<Option<Result<Frame<Bytes>, BoxError>>>;

impl StreamedBody {
    /// The function timeout cut the stream.
    fn timed_out(&mut self) -> PollFrame {
        let reason = format!(
            "Task timed out after {:?} (the function timeout) while the response was \
             streaming, after {} bytes: Lambda ends the invocation and the client's stream \
             is cut",
            self.function_timeout, self.delivered
        );
        self.fail("function-timeout", reason)
    }

    /// Takes the function's next chunk (up to the cap) into `pending`, or
    /// says what to return instead: not yet, the end, or why the stream
    /// was cut.
    fn refill(&mut self, cx: &mut Context<'_>) -> Option<PollFrame> {
        if self.cut_at_cap {
            let reason = format!(
                "the streamed response passed Lambda's {}-byte limit for streamed \
                 responses (AWS: \"up to 200 MB\"), so the stream was cut after exactly \
                 that many bytes",
                self.limits.cap
            );
            return Some(self.fail("stream-too-large", reason));
        }
        match self.chunks.poll_recv(cx) {
            Poll::Pending => Some(Poll::Pending),
            Poll::Ready(None) => {
                self.done = true;
                Some(Poll::Ready(None))
            }
            Poll::Ready(Some(StreamItem::Data(data))) => {
                if data.is_empty() {
                    return None;
                }
                let room = self.limits.cap - self.delivered;
                if data.len() as u64 > room {
                    self.cut_at_cap = true;
                    self.pending = data.slice(..usize::try_from(room).unwrap_or(0));
                } else {
                    self.pending = data;
                }
                None
            }
            Poll::Ready(Some(StreamItem::Error {
                error_type,
                message,
            })) => {
                let reason = format!(
                    "the function failed mid-stream ({error_type}: {message}) after {} \
                     bytes; the status and headers were already sent, so the client's \
                     stream is cut",
                    self.delivered
                );
                Some(self.fail("stream-function-error", reason))
            }
            Poll::Ready(Some(StreamItem::Broken(reason))) => {
                Some(self.fail("stream-broken", reason))
            }
        }
    }

    /// The next piece of `pending`, at full speed up to the uncapped bytes
    /// and throttled after them.
    fn poll_piece(&mut self, cx: &mut Context<'_>) -> PollFrame {
        // Full speed up to the uncapped bytes, pieces after them.
        let piece = if self.delivered < self.limits.uncapped {
            let left = self.limits.uncapped - self.delivered;
            self.pending
                .len()
                .min(usize::try_from(left).unwrap_or(usize::MAX))
        } else {
            self.pending.len().min(THROTTLED_PIECE)
        };
        if self.wait.is_none()
            && let Some(due) = self.due(piece)
        {
            self.wait = Some(crate::guard::sleep(due - Instant::now()));
        }
        if let Some(wait) = &mut self.wait {
            if wait.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.wait = None;
        }
        let data = self.pending.split_to(piece);
        self.delivered += data.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(data))))
    }
}

/// The protocol a streamed Function URL response reports.
pub(crate) const STREAM_SHAPE: &str = "function-url-stream";

/// The body of a streamed response: the function's chunks, as they
/// arrive, under AWS's streaming limits from `started`; `on_timeout`
/// replaces the instance when the function timeout cuts the stream.
pub(crate) fn body(
    chunks: mpsc::Receiver<StreamItem>,
    started: Instant,
    function_timeout: Duration,
    on_timeout: OnTimeout,
) -> ResponseBody {
    let late = LateNotes::new();
    let body = StreamedBody::new(
        chunks,
        StreamLimits::aws(started + function_timeout),
        function_timeout,
        late.clone(),
        on_timeout,
        STREAM_SHAPE,
    );
    ResponseBody::new(body).with_late_notes(late)
}

/// Reads a streamed response whole, as a buffering client of the
/// streaming URL would: a cut stream is an error saying why.
pub(crate) async fn collect(
    lambda: &Inner,
    about: About<'_>,
    streamed: DriverStream,
) -> Result<DriverResponse, Error> {
    let DriverStream {
        response,
        protocol,
        mut notes,
        ..
    } = streamed;
    let (parts, mut body) = response.into_parts();
    let mut bytes = bytes::BytesMut::new();
    let outcome = loop {
        match body.frame().await {
            None => break Ok(()),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    bytes.extend_from_slice(&data);
                }
            }
            Some(Err(cause)) => break Err(cause),
        }
    };
    notes.extend(body.take_late_notes());
    if let Err(cause) = outcome {
        return Err(lambda
            .error(
                ErrorKind::Adapter,
                about,
                format!(
                    "the streamed response was cut after {} bytes of body",
                    bytes.len()
                ),
            )
            .with_source(cause)
            .with_hint(
                "read it with .stream() to see the chunks that arrived; the notes say \
                 which Lambda limit or function error cut it",
            ));
    }
    let mut delivered = DriverResponse::new(Response::from_parts(parts, bytes.freeze()), protocol);
    delivered.notes = notes;
    Ok(delivered)
}

/// The status, headers and cookies of a metadata prelude, as lambda_runtime
/// 1.5 serializes its `MetadataPrelude` (`statusCode`; `headers` through
/// http_serde's header map: a string per name, or an array for repeated
/// values; `cookies`, each one `Set-Cookie`).
pub(crate) fn decode_prelude(
    json: &[u8],
    notes: &mut Vec<AdapterNote>,
) -> Result<(StatusCode, HeaderMap), String> {
    let value: serde_json::Value = serde_json::from_slice(json)
        .map_err(|e| format!("the streaming prelude is not JSON ({e})"))?;
    let status = match value.get("statusCode") {
        None | Some(serde_json::Value::Null) => StatusCode::OK,
        Some(code) => code
            .as_u64()
            .and_then(|c| u16::try_from(c).ok())
            .and_then(|c| StatusCode::from_u16(c).ok())
            .ok_or_else(|| format!("the streaming prelude's statusCode {code} is not a status"))?,
    };
    let mut headers = HeaderMap::new();
    if let Some(map) = value.get("headers").and_then(serde_json::Value::as_object) {
        for (name, values) in map {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("the streaming prelude's header name `{name}` is invalid"))?;
            let values = match values {
                serde_json::Value::Array(items) => items.clone(),
                one => vec![one.clone()],
            };
            if values.is_empty() {
                notes.push(AdapterNote::new(
                    "stream-header-dropped",
                    format!(
                        "the function's `{name}` header had no value lambda_runtime could write \
                         in the streaming prelude (http-serde keeps only text values), so the \
                         client never sees it"
                    ),
                ));
            }
            for v in values {
                let text = v.as_str().ok_or_else(|| {
                    format!("the streaming prelude's header `{name}` has a non-string value {v}")
                })?;
                let v = HeaderValue::from_str(text).map_err(|_| {
                    format!("the streaming prelude's header `{name}` has an invalid value")
                })?;
                headers.append(name.clone(), v);
            }
        }
    }
    let cookies: Vec<&str> = value
        .get("cookies")
        .and_then(serde_json::Value::as_array)
        .map(|c| c.iter().filter_map(serde_json::Value::as_str).collect())
        .unwrap_or_default();
    if !cookies.is_empty() {
        notes.push(AdapterNote::new(
            "v2-set-cookie-in-cookies",
            format!(
                "{} Set-Cookie header(s) travelled in the streaming prelude's `cookies` list",
                cookies.len()
            ),
        ));
    }
    for cookie in cookies {
        let v = HeaderValue::from_str(cookie).map_err(|_| {
            format!(
                "cookie `{}` is not a valid Set-Cookie value",
                crate::redact::shown_text("set-cookie", cookie)
            )
        })?;
        headers.append(http::header::SET_COOKIE, v);
    }
    Ok((status, headers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn body(items: Vec<StreamItem>, limits: StreamLimits) -> (StreamedBody, LateNotes) {
        let (tx, rx) = mpsc::channel(items.len().max(1));
        for item in items {
            tx.try_send(item).unwrap();
        }
        drop(tx);
        let notes = LateNotes::new();
        let body = StreamedBody::new(
            rx,
            limits,
            Duration::from_secs(60),
            notes.clone(),
            Box::new(|| {}),
            "function-url-stream",
        );
        (body, notes)
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_stream_over_the_cap_delivers_exactly_the_cap_then_is_cut() {
        let limits = StreamLimits {
            cap: 10,
            ..StreamLimits::aws(far())
        };
        let items = vec![
            StreamItem::Data(Bytes::from_static(b"123456")),
            StreamItem::Data(Bytes::from_static(b"789abc")),
            StreamItem::Data(Bytes::from_static(b"never")),
        ];
        let (mut body, notes) = body(items, limits);
        rt().block_on(async {
            let mut got = Vec::new();
            let error = loop {
                match body.frame().await {
                    Some(Ok(frame)) => got.extend_from_slice(&frame.into_data().unwrap()),
                    Some(Err(e)) => break e,
                    None => panic!("the stream ended instead of being cut"),
                }
            };
            assert_eq!(got, b"123456789a");
            assert!(error.to_string().contains("10-byte limit"), "{error}");
            assert!(body.frame().await.is_none());
        });
        assert_eq!(notes.take()[0].code, "stream-too-large");
    }

    #[test]
    fn a_stream_at_the_cap_exactly_ends_cleanly() {
        let limits = StreamLimits {
            cap: 4,
            ..StreamLimits::aws(far())
        };
        let (body, notes) = body(vec![StreamItem::Data(Bytes::from_static(b"1234"))], limits);
        let all = rt().block_on(body.collect()).unwrap().to_bytes();
        assert_eq!(all, "1234");
        assert!(notes.take().is_empty());
    }

    #[test]
    fn bytes_after_the_uncapped_part_are_throttled_to_the_rate_with_a_note() {
        // 1,000 bytes free, then 20,000 bytes/s: 2,000 more bytes take 100 ms.
        let limits = StreamLimits {
            uncapped: 1_000,
            rate: 20_000,
            ..StreamLimits::aws(far())
        };
        let items = vec![StreamItem::Data(Bytes::from(vec![b'x'; 3_000]))];
        let (body, notes) = body(items, limits);
        let started = Instant::now();
        let all = rt().block_on(body.collect()).unwrap().to_bytes();
        let took = started.elapsed();
        assert_eq!(all.len(), 3_000);
        assert!(took >= Duration::from_millis(95), "took {took:?}");
        assert!(took < Duration::from_secs(2), "took {took:?}");
        assert_eq!(notes.take()[0].code, "stream-bandwidth-capped");
    }

    #[test]
    fn the_prelude_gives_status_repeated_headers_and_cookies() {
        let json = br#"{"statusCode":201,"headers":{"content-type":"text/plain","x-two":["a","b"]},"cookies":["a=1","b=2; Path=/"]}"#;
        let mut notes = Vec::new();
        let (status, headers) = decode_prelude(json, &mut notes).unwrap();
        assert_eq!(status, 201);
        assert_eq!(headers.get_all("x-two").iter().count(), 2);
        assert_eq!(headers.get_all("set-cookie").iter().count(), 2);
        assert_eq!(notes[0].code, "v2-set-cookie-in-cookies");
        assert!(decode_prelude(b"{\"statusCode\": 99999}", &mut notes).is_err());
        assert!(decode_prelude(b"not json", &mut notes).is_err());
    }
}
