//! The echo app's WebSocket contract (feature `websocket`): what the
//! WebSocket checks and the app's `/ws` endpoint agree on.
//!
//! | handshake to [`WEBSOCKET`] (any method: `GET` over HTTP/1.1, `CONNECT` over HTTP/2) | answer |
//! |---|---|
//! | with [`REFUSE_HEADER`]`: 403` (any 4xx) | refused with that status and [`REFUSED_BODY`] as JSON |
//! | offering [`SUBPROTOCOL`] among others | accepted with [`SUBPROTOCOL`] |
//! | otherwise | accepted, no subprotocol |
//!
//! On the socket, text and binary messages come back as sent, except two
//! text commands: `close CODE REASON` (the app closes with that code and
//! reason) and `ping PAYLOAD` (the app pings with `PAYLOAD` and, once the
//! pong is back, answers the text `pong PAYLOAD`). A handshake with
//! `?key=K` (a number) has the close the app receives from the client
//! recorded under `K` ([`record_client_close`]), which the check reads
//! with [`client_close`]: the app must run in the test's process, as for
//! [`GATED`](super::GATED).
//!
//! Behind an API Gateway WebSocket API (`lambda-ws`), the echo app's
//! fallback answers the same contract as a Lambda function, as far as a
//! function can (it cannot ping, choose a close code or send binary).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// The echo's WebSocket endpoint.
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::WEBSOCKET, "/ws");
/// ```
pub const WEBSOCKET: &str = "/ws";

/// The one subprotocol the echo speaks.
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::SUBPROTOCOL, "crossdrive.echo.v1");
/// ```
pub const SUBPROTOCOL: &str = "crossdrive.echo.v1";

/// A handshake carrying this header, with a 4xx status as its value, is
/// refused with that status and [`REFUSED_BODY`].
///
/// ```
/// assert_eq!(crossdrive::conformance::echo::REFUSE_HEADER, "x-refuse");
/// ```
pub const REFUSE_HEADER: &str = "x-refuse";

/// The body of a refused handshake, `application/json`.
///
/// ```
/// let body: serde_json::Value = serde_json::from_str(crossdrive::conformance::echo::REFUSED_BODY).unwrap();
/// assert!(body["error"].as_str().unwrap().contains("refused"));
/// ```
pub const REFUSED_BODY: &str = r#"{"error":"the echo app refused the handshake"}"#;

/// The status a handshake's [`REFUSE_HEADER`] asks for, if it is a 4xx.
///
/// ```
/// use crossdrive::conformance::echo::refusal;
/// let mut headers = http::HeaderMap::new();
/// assert_eq!(refusal(&headers), None);
/// headers.insert("x-refuse", http::HeaderValue::from_static("403"));
/// assert_eq!(refusal(&headers), Some(http::StatusCode::FORBIDDEN));
/// ```
pub fn refusal(headers: &http::HeaderMap) -> Option<http::StatusCode> {
    let value = headers.get(REFUSE_HEADER)?.to_str().ok()?;
    let status = http::StatusCode::from_bytes(value.trim().as_bytes()).ok()?;
    status.is_client_error().then_some(status)
}

/// A text command of the echo's socket.
///
/// ```
/// use crossdrive::conformance::echo::Command;
/// assert_eq!(Command::parse("close 4002 bye now"), Command::Close(4002, "bye now".into()));
/// assert_eq!(Command::parse("ping p"), Command::Ping("p".into()));
/// assert_eq!(Command::parse("hello"), Command::Echo);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `close CODE REASON`: the app closes with that code and reason.
    Close(u16, String),
    /// `ping PAYLOAD`: the app pings, then answers `pong PAYLOAD`.
    Ping(String),
    /// Anything else: the message comes back as sent.
    Echo,
}

impl Command {
    /// The command `text` is.
    ///
    /// ```
    /// # use crossdrive::conformance::echo::Command;
    /// assert_eq!(Command::parse("close x"), Command::Echo); // not a code
    /// ```
    pub fn parse(text: &str) -> Self {
        if let Some(rest) = text.strip_prefix("close ") {
            let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
            if let Ok(code) = code.parse() {
                return Self::Close(code, reason.to_owned());
            }
        }
        match text.strip_prefix("ping ") {
            Some(payload) => Self::Ping(payload.to_owned()),
            None => Self::Echo,
        }
    }
}

type Closes = Mutex<HashMap<u64, (u16, String)>>;

fn closes() -> &'static Closes {
    static CLOSES: OnceLock<Closes> = OnceLock::new();
    CLOSES.get_or_init(Default::default)
}

/// Records the close code and reason the app received from the client of
/// the socket opened with `?key=key`.
///
/// ```
/// use std::time::Duration;
/// use crossdrive::conformance::echo::{client_close, gate_key, record_client_close};
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// let key = gate_key();
/// record_client_close(key, 4001, "bye");
/// let seen = rt.block_on(client_close(key, Duration::from_millis(10)));
/// assert_eq!(seen, Some((4001, "bye".to_owned())));
/// ```
pub fn record_client_close(key: u64, code: u16, reason: &str) {
    closes()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, (code, reason.to_owned()));
}

/// The close the app recorded under `key`, waiting at most `wait` for it
/// (the app records it after the close handshake, which the client may
/// see first); `None` if none came. Reading it forgets it.
///
/// ```
/// use std::time::Duration;
/// use crossdrive::conformance::echo::{client_close, gate_key};
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// assert_eq!(rt.block_on(client_close(gate_key(), Duration::from_millis(20))), None);
/// ```
pub async fn client_close(key: u64, wait: Duration) -> Option<(u16, String)> {
    // Polled: the wait is short and bounded, and the app may record from
    // any thread or runtime (a server thread, the lambda-ws model's).
    const STEP: Duration = Duration::from_millis(5);
    let mut waited = Duration::ZERO;
    loop {
        let seen = closes()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
        if seen.is_some() || waited >= wait {
            return seen;
        }
        crate::guard::sleep(STEP).await;
        waited += STEP;
    }
}

/// The `key` of a handshake's query (`?key=K`), if any.
pub(super) fn close_key(query: Option<&str>) -> Option<u64> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("key="))
        .and_then(|k| k.parse().ok())
}
