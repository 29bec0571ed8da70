//! The echo app the conformance checks talk to, and its contract.
//!
//! [`app()`] is the axum app (in `app.rs`); everything the checks and the
//! app must agree on is in this module: the routes, the fixed bodies
//! and header values the app answers with, and the [`Reflection`] it sends
//! back for `/echo`. An adapter author who wants to host the echo app on a
//! non-axum stack reimplements exactly this contract.
//!
//! | route | answer |
//! |---|---|
//! | any method `/echo`, `/echo/{*rest}` | 200 JSON [`Reflection`] of the request |
//! | any method [`ECHO_BODY`] | 200, the request body as is, `Content-Type` copied from the request |
//! | `GET`/`HEAD` [`FIXED`] | 200 [`FIXED_BODY`] as `text/plain`; other methods 405 with `Allow` |
//! | `GET /status/{code}` | that status; `Location` on 301/302, `ETag` on 304, no body on 204/304 |
//! | `POST` [`LIMITED`] | 413 if the body is over [`LIMIT`] bytes, else 200 |
//! | `GET` [`REPEATED_HEADERS`] | `x-multi` three times: [`REPEATED_VALUES`] |
//! | `GET` [`SET_COOKIES`] | three `Set-Cookie`: [`SET_COOKIE_VALUES`] |
//! | `GET` [`LONG_HEADER`] | `x-long` of [`LONG_LEN`] bytes ([`long_value`]) |
//! | `GET` [`OBS_TEXT_HEADER`] | `x-obs-text` with the bytes [`OBS_TEXT_VALUE`] |
//! | `GET` [`ALL_BYTES`] | the 256 byte values in order, `application/octet-stream` |
//! | `GET /bytes/{n}` | `n` bytes of [`pattern`] |
//! | `GET` [`INVALID_UTF8`] | [`INVALID_UTF8_BODY`] labelled `text/plain; charset=utf-8` |
//! | `GET` [`BASE64_LIKE`] | [`BASE64_LIKE_BODY`], text that happens to be valid base64 |
//! | `GET` [`EMPTY`] | 200 with an empty body |
//! | `GET` [`STREAM`] | [`STREAM_CHUNKS`] chunks of [`stream_chunk`], streamed (no length) |
//! | `GET` [`SSE`] | [`SSE_EVENTS`] as `text/event-stream`, one event per chunk |
//! | `GET` [`GATED`]`?key=K` | [`GATE_FIRST`], then waits at gate `K` ([`gate_wait`]) until the check opens it ([`gate_open`]) or [`GATE_WAIT`] passes, then [`GATE_LAST`] |
//! | `GET` [`TRAILERS`] | [`TRAILERS_BODY`], then the trailer [`TRAILER_NAME`]: [`TRAILER_VALUE`] |
//! | `GET` [`ABORT`] | [`ABORT_FIRST`], then (once it was written) the body fails: the response is cut off |
//! | any method `/ws` (feature `websocket`) | the WebSocket echo: its contract: `WEBSOCKET`, `Command`, `client_close` and the items beside them |
//! | anything else | 404; with `lambda-ws`, an API Gateway WebSocket event is answered as the `/ws` echo would be, by a function |

mod app;
pub use app::{BODY_LIMIT, app};
#[cfg(feature = "lambda-ws")]
mod lambda_ws;
#[cfg(feature = "websocket")]
mod websocket;
#[cfg(feature = "websocket")]
mod websocket_app;
#[cfg(feature = "websocket")]
pub use websocket::{
    Command, REFUSE_HEADER, REFUSED_BODY, SUBPROTOCOL, WEBSOCKET, client_close,
    record_client_close, refusal,
};
#[cfg(feature = "websocket")]
pub use websocket_app::serve_socket;

use serde::{Deserialize, Serialize};

/// Any method, any path below it: answered with a JSON [`Reflection`].
///
/// ```
/// use crossdrive::conformance::echo::{ECHO, ECHO_BODY};
/// assert_eq!(ECHO, "/echo");
/// assert!(ECHO_BODY.starts_with(ECHO)); // but answered by its own route
/// ```
pub const ECHO: &str = "/echo";
/// Any method: the request body back, byte for byte, with its `Content-Type`.
///
/// ```
/// use crossdrive::conformance::echo::ECHO_BODY;
/// assert_eq!(ECHO_BODY, "/echo-body");
/// ```
pub const ECHO_BODY: &str = "/echo-body";
/// `GET` and `HEAD` only: [`FIXED_BODY`] as text.
///
/// ```
/// use crossdrive::conformance::echo::{FIXED, FIXED_BODY};
/// assert_eq!(FIXED, "/fixed");
/// assert!(FIXED_BODY.ends_with('\n'));
/// ```
pub const FIXED: &str = "/fixed";
/// What [`FIXED`] answers.
///
/// ```
/// use crossdrive::conformance::echo::FIXED_BODY;
/// assert_eq!(FIXED_BODY.len(), 40);
/// assert!(FIXED_BODY.contains("GET and HEAD"));
/// ```
pub const FIXED_BODY: &str = "a fixed body, the same for GET and HEAD\n";
/// `POST` a body; over [`LIMIT`] bytes is 413.
///
/// ```
/// use crossdrive::conformance::echo::LIMITED;
/// assert_eq!(LIMITED, "/limited");
/// ```
pub const LIMITED: &str = "/limited";
/// The largest body [`LIMITED`] accepts.
///
/// ```
/// use crossdrive::conformance::echo::{LIMIT, pattern};
/// assert_eq!(LIMIT, 1024);
/// let too_large = pattern(LIMIT + 1); // POSTed to LIMITED, answered 413
/// assert!(too_large.len() > LIMIT);
/// ```
pub const LIMIT: usize = 1024;
/// Answers `x-multi` three times.
///
/// ```
/// use crossdrive::conformance::echo::REPEATED_HEADERS;
/// assert_eq!(REPEATED_HEADERS, "/headers/repeated");
/// ```
pub const REPEATED_HEADERS: &str = "/headers/repeated";
/// The `x-multi` values, in order.
///
/// ```
/// use crossdrive::conformance::echo::REPEATED_VALUES;
/// assert_eq!(REPEATED_VALUES, ["one", "two", "three"]);
/// ```
pub const REPEATED_VALUES: [&str; 3] = ["one", "two", "three"];
/// Answers three `Set-Cookie` headers.
///
/// ```
/// use crossdrive::conformance::echo::SET_COOKIES;
/// assert_eq!(SET_COOKIES, "/cookies");
/// ```
pub const SET_COOKIES: &str = "/cookies";
/// The `Set-Cookie` values, in order; the third has a comma in its date,
/// the classic trap for adapters that fold headers with `,`.
///
/// ```
/// use crossdrive::conformance::echo::SET_COOKIE_VALUES;
/// assert!(SET_COOKIE_VALUES[0].starts_with("session=abc123;"));
/// assert!(SET_COOKIE_VALUES[2].contains("Wed, 21 Oct")); // the comma folding breaks
/// ```
pub const SET_COOKIE_VALUES: [&str; 3] = [
    "session=abc123; Path=/; HttpOnly; Secure; SameSite=Lax",
    "theme=dark; Max-Age=3600; Path=/",
    "lang=en; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Domain=example.test",
];
/// Answers `x-long` of [`LONG_LEN`] bytes.
///
/// ```
/// use crossdrive::conformance::echo::LONG_HEADER;
/// assert_eq!(LONG_HEADER, "/headers/long");
/// ```
pub const LONG_HEADER: &str = "/headers/long";
/// The length of the long header values, request and response (8 KiB).
///
/// ```
/// use crossdrive::conformance::echo::{LONG_LEN, long_value};
/// assert_eq!(LONG_LEN, 8192);
/// assert_eq!(long_value(LONG_LEN).len(), LONG_LEN);
/// ```
pub const LONG_LEN: usize = 8 * 1024;
/// Answers `x-obs-text` with non-ASCII bytes.
///
/// ```
/// use crossdrive::conformance::echo::OBS_TEXT_HEADER;
/// assert_eq!(OBS_TEXT_HEADER, "/headers/obs-text");
/// ```
pub const OBS_TEXT_HEADER: &str = "/headers/obs-text";
/// An obs-text header value: Latin-1 bytes that are not UTF-8.
///
/// ```
/// use crossdrive::conformance::echo::{OBS_TEXT_VALUE, latin1};
/// assert!(std::str::from_utf8(OBS_TEXT_VALUE).is_err());
/// assert!(http::HeaderValue::from_bytes(OBS_TEXT_VALUE).is_ok());
/// assert!(latin1(OBS_TEXT_VALUE).starts_with("café"));
/// ```
pub const OBS_TEXT_VALUE: &[u8] = b"caf\xe9 \x80\xff end";
/// The 256 byte values, in order.
///
/// ```
/// use crossdrive::conformance::echo::ALL_BYTES;
/// assert_eq!(ALL_BYTES, "/bytes/all");
/// ```
pub const ALL_BYTES: &str = "/bytes/all";
/// Prefix of `/bytes/{n}`, `n` bytes of [`pattern`].
///
/// ```
/// use crossdrive::conformance::echo::{BYTES, pattern};
/// let route = format!("{BYTES}/300"); // answers pattern(300)
/// assert_eq!(route, "/bytes/300");
/// assert_eq!(pattern(300).len(), 300);
/// ```
pub const BYTES: &str = "/bytes";
/// Invalid UTF-8 labelled as UTF-8 text.
///
/// ```
/// use crossdrive::conformance::echo::INVALID_UTF8;
/// assert_eq!(INVALID_UTF8, "/text/invalid-utf8");
/// ```
pub const INVALID_UTF8: &str = "/text/invalid-utf8";
/// What [`INVALID_UTF8`] answers.
///
/// ```
/// use crossdrive::conformance::echo::INVALID_UTF8_BODY;
/// assert!(INVALID_UTF8_BODY.starts_with(b"valid start "));
/// assert!(std::str::from_utf8(INVALID_UTF8_BODY).is_err());
/// ```
pub const INVALID_UTF8_BODY: &[u8] = b"valid start \xff\xfe\xc3\x28 invalid middle \xe2\x82 end";
/// Text that is valid base64.
///
/// ```
/// use crossdrive::conformance::echo::BASE64_LIKE;
/// assert_eq!(BASE64_LIKE, "/text/base64-like");
/// ```
pub const BASE64_LIKE: &str = "/text/base64-like";
/// What [`BASE64_LIKE`] answers (base64 of `hello world`).
///
/// ```
/// use crossdrive::conformance::echo::BASE64_LIKE_BODY;
/// assert_eq!(BASE64_LIKE_BODY.len() % 4, 0);
/// assert!(BASE64_LIKE_BODY.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'='));
/// ```
pub const BASE64_LIKE_BODY: &str = "aGVsbG8gd29ybGQ=";
/// A 200 with an empty body.
///
/// ```
/// use crossdrive::conformance::echo::EMPTY;
/// assert_eq!(EMPTY, "/empty");
/// ```
pub const EMPTY: &str = "/empty";
/// A streamed body of [`STREAM_CHUNKS`] chunks.
///
/// ```
/// use crossdrive::conformance::echo::STREAM;
/// assert_eq!(STREAM, "/stream");
/// ```
pub const STREAM: &str = "/stream";
/// How many chunks [`STREAM`] sends.
///
/// ```
/// use crossdrive::conformance::echo::{STREAM_CHUNKS, stream_chunk};
/// assert_eq!(STREAM_CHUNKS, 64);
/// assert_eq!(stream_chunk(STREAM_CHUNKS - 1), "chunk 063 of 064\n");
/// ```
pub const STREAM_CHUNKS: usize = 64;
/// Server-sent events.
///
/// ```
/// use crossdrive::conformance::echo::SSE;
/// assert_eq!(SSE, "/sse");
/// ```
pub const SSE: &str = "/sse";
/// The events [`SSE`] sends, one per chunk.
///
/// ```
/// use crossdrive::conformance::echo::SSE_EVENTS;
/// assert!(SSE_EVENTS.iter().all(|event| event.ends_with("\n\n")));
/// assert!(SSE_EVENTS[0].starts_with("event: greeting\n"));
/// ```
pub const SSE_EVENTS: [&str; 3] = [
    "event: greeting\ndata: hello\n\n",
    "id: 2\ndata: line one\ndata: line two\n\n",
    ": a comment\ndata: done\n\n",
];

/// A response held at a gate between its first and last chunk.
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::GATED, "/gated");
/// ```
pub const GATED: &str = "/gated";
/// What [`GATED`] sends before it waits at its gate.
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::GATE_FIRST, "first\n");
/// ```
pub const GATE_FIRST: &str = "first\n";
/// What [`GATED`] sends once its gate opened (or [`GATE_WAIT`] passed).
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::GATE_LAST, "last\n");
/// ```
pub const GATE_LAST: &str = "last\n";
/// The longest [`GATED`] waits at its gate: a driver whose app runs in
/// another process (a Lambda runtime child), where the check cannot open
/// the gate, gets its last chunk after this.
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::GATE_WAIT.as_millis(), 1000);
/// ```
pub const GATE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);
/// A body followed by trailers.
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::TRAILERS, "/trailers");
/// ```
pub const TRAILERS: &str = "/trailers";
/// The body of [`TRAILERS`].
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::TRAILERS_BODY, "body before trailers");
/// ```
pub const TRAILERS_BODY: &str = "body before trailers";
/// The trailer [`TRAILERS`] sends.
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::TRAILER_NAME, "x-checksum");
/// ```
pub const TRAILER_NAME: &str = "x-checksum";
/// The value of [`TRAILER_NAME`].
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::TRAILER_VALUE, "sha256=abc123");
/// ```
pub const TRAILER_VALUE: &str = "sha256=abc123";
/// A response cut off after its first chunk.
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::ABORT, "/abort");
/// ```
pub const ABORT: &str = "/abort";
/// What [`ABORT`] sends before it breaks off.
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::ABORT_FIRST, "started\n");
/// ```
pub const ABORT_FIRST: &str = "started\n";

type Gates = std::sync::Mutex<std::collections::HashMap<u64, std::sync::Arc<tokio::sync::Notify>>>;

fn gates() -> &'static Gates {
    static GATES: std::sync::OnceLock<Gates> = std::sync::OnceLock::new();
    GATES.get_or_init(Default::default)
}

/// A gate key no other check in this process uses.
///
/// ```
/// use crossdrive::conformance::echo::gate_key;
/// assert_ne!(gate_key(), gate_key());
/// ```
pub fn gate_key() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Registers the app at gate `key` now, and returns a future that
/// resolves `true` when the gate is opened, or `false` after `wait`.
/// For the echo app's [`GATED`] route.
///
/// ```
/// use crossdrive::conformance::echo::{gate_key, gate_open, gate_wait};
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let key = gate_key();
/// let waiting = gate_wait(key, std::time::Duration::from_secs(5));
/// assert!(gate_open(key));
/// assert!(rt.block_on(waiting));
/// assert!(!gate_open(key)); // nobody waits there any more
/// ```
pub fn gate_wait(
    key: u64,
    wait: std::time::Duration,
) -> impl std::future::Future<Output = bool> + Send + 'static {
    let notify = std::sync::Arc::new(tokio::sync::Notify::new());
    gates()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(key, std::sync::Arc::clone(&notify));
    async move {
        let opened = {
            let notified = std::pin::pin!(notify.notified());
            let timer = crate::guard::sleep(wait);
            matches!(
                futures_util::future::select(notified, timer).await,
                futures_util::future::Either::Left(_)
            )
        };
        gates()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&key);
        opened
    }
}

/// Opens gate `key`: `true` if an app in this process waits there. An app
/// in another process (a runtime child) never sees it, and goes on after
/// [`GATE_WAIT`].
///
/// ```
/// assert!(!crossdrive::conformance::echo::gate_open(u64::MAX));
/// ```
pub fn gate_open(key: u64) -> bool {
    match gates()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&key)
    {
        Some(notify) => {
            // A permit is stored if the app has not started waiting yet.
            notify.notify_one();
            true
        }
        None => false,
    }
}

/// The `i`-th chunk of [`STREAM`].
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::stream_chunk(3), "chunk 003 of 064\n");
/// ```
pub fn stream_chunk(i: usize) -> String {
    format!("chunk {i:03} of {STREAM_CHUNKS:03}\n")
}

/// `len` bytes that are not all the same and not text, so truncation,
/// reordering and re-encoding all show.
///
/// ```
/// let p = crossdrive::conformance::echo::pattern(300);
/// assert_eq!((p[0], p[250], p[251]), (0, 250, 0));
/// ```
pub fn pattern(len: usize) -> Vec<u8> {
    // Byte `i` is `i % 251`. Copied a whole period at a time: the 5 MiB
    // conformance bodies are built several times per driver, and in a
    // debug build (where test suites run) a per-byte iterator takes
    // ~140 ms for 5 MiB, a copy per period ~5 ms.
    const PERIOD: [u8; 251] = {
        let mut period = [0; 251];
        let mut i = 0;
        while i < period.len() {
            period[i] = i as u8;
            i += 1;
        }
        period
    };
    let mut bytes = Vec::with_capacity(len);
    while bytes.len() < len {
        let n = PERIOD.len().min(len - bytes.len());
        bytes.extend_from_slice(&PERIOD[..n]);
    }
    bytes
}

/// A header value of `len` visible ASCII characters.
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::long_value(30), "0123456789abcdefghijklmnopqrst");
/// ```
pub fn long_value(len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..len)
        .map(|i| char::from(ALPHABET[i % ALPHABET.len()]))
        .collect()
}

/// What the echo app saw of a request, as it answers `/echo`.
///
/// Header values travel as Latin-1 text (each byte one `char`, see
/// [`latin1`]) so non-UTF-8 bytes survive JSON exactly.
///
/// ```
/// use crossdrive::conformance::echo::{Reflection, fingerprint};
/// let json = format!(r#"{{"method":"POST","path":"/echo/a%20b","query":"x=1","host":"localhost",
///   "headers":[["content-type","text/plain"]],"body_len":2,
///   "body_fingerprint":"{}","body_text":"hi"}}"#, fingerprint(b"hi"));
/// let r: Reflection = serde_json::from_str(&json).unwrap();
/// assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/echo/a%20b"));
/// assert_eq!(r.header_all("Content-Type"), ["text/plain"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reflection {
    /// The request method.
    pub method: String,
    /// The path, exactly as received (still percent-encoded).
    pub path: String,
    /// The raw query string without `?`, if there was one.
    pub query: Option<String>,
    /// The `Host` header, or the URI's authority when there was none (HTTP/2).
    pub host: Option<String>,
    /// Every header, in the order received within each name.
    pub headers: Vec<(String, String)>,
    /// The body's length in bytes.
    pub body_len: usize,
    /// The body's [`fingerprint`].
    pub body_fingerprint: String,
    /// The body as text, if it is UTF-8 and at most 64 KiB.
    pub body_text: Option<String>,
}

impl Reflection {
    /// Every value of the header `name` (case-insensitive), as Latin-1 text.
    ///
    /// ```
    /// use crossdrive::conformance::echo::Reflection;
    /// let r = Reflection {
    ///     method: "GET".into(), path: "/echo".into(), query: None, host: None,
    ///     headers: vec![("x-a".into(), "1".into()), ("x-a".into(), "2".into())],
    ///     body_len: 0, body_fingerprint: String::new(), body_text: None,
    /// };
    /// assert_eq!(r.header_all("X-A"), ["1", "2"]);
    /// ```
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A cheap, stable fingerprint of a body (64-bit FNV-1a with the length),
/// so large bodies are compared without echoing them.
///
/// ```
/// use crossdrive::conformance::echo::fingerprint;
/// assert_eq!(fingerprint(b""), "0:cbf29ce484222325");
/// assert_ne!(fingerprint(b"ab"), fingerprint(b"ba"));
/// ```
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    // An indexed loop, not `for &b in bytes`: a debug build calls the
    // slice iterator's `next` per byte, which made hashing 5 MiB take
    // nearly twice as long.
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ u64::from(bytes[i])).wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    format!("{}:{hash:016x}", bytes.len())
}

/// Bytes as Latin-1 text: each byte becomes the `char` of the same value,
/// so any header value round-trips through JSON.
///
/// ```
/// use crossdrive::conformance::echo::{from_latin1, latin1};
/// assert_eq!(latin1(b"caf\xe9"), "café");
/// assert_eq!(from_latin1("café"), b"caf\xe9");
/// ```
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The inverse of [`latin1`]; characters above U+00FF become `?`.
///
/// ```
/// use crossdrive::conformance::echo::{from_latin1, latin1};
/// assert_eq!(from_latin1("café"), b"caf\xe9");
/// assert_eq!(from_latin1("€"), b"?");
/// assert_eq!(from_latin1(&latin1(&[0, 128, 255])), [0, 128, 255]);
/// ```
pub fn from_latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{fingerprint, pattern};

    /// `pattern` and `fingerprint` are written for debug-build speed; they
    /// must still be exactly the plain definitions.
    #[test]
    fn pattern_and_fingerprint_are_the_plain_definitions() {
        for len in [0, 1, 250, 251, 252, 502, 503, (1 << 20) + 7] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let built = pattern(len);
            assert_eq!(built, plain, "pattern({len})");
            let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
            for &b in &plain {
                hash ^= u64::from(b);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
            assert_eq!(fingerprint(&built), format!("{len}:{hash:016x}"));
        }
    }
}
