//! The `@connections` management endpoint, on the model's own server:
//! what a function calls to talk to its clients
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html>).
//!
//! - `POST /{stage}/@connections/{id}`: the body is sent to the client as
//!   one message (text when it is UTF-8, binary otherwise); over 128 KB
//!   it is refused with 413 `PayloadTooLargeException`.
//! - `GET`: the connection's `connectedAt`, `identity.sourceIp`,
//!   `identity.userAgent` and `lastActiveAt`, ISO 8601 times, in the
//!   management API's JSON (`GetConnection`'s response members).
//! - `DELETE`: 204, and the connection closes (then `$disconnect` runs).
//! - A connection that is not live (never was, closed, still in
//!   `$connect`): 410 `GoneException`.
//!
//! Errors carry their type in `x-amzn-ErrorType`, where the AWS SDKs'
//! rest-json protocol reads it, and a JSON `message`. The model checks no
//! SigV4 signature (a function's SDK may sign; the signature is ignored):
//! the guard is the connection id itself, 88 unguessable bits
//! (`connections.rs`), and an id that is not live is 410 whoever asks.
//! The id may be percent-encoded (`%40connections/R0oX...%3D`), as the
//! AWS guide shows.

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::json;

use super::connections::{Command, Connections, touch};
use super::limits::NORMAL;

/// The answer to one management request for connection `raw_id` (as it
/// appeared in the path), with `message_limit` the most a POST may carry.
pub(crate) fn handle(
    connections: &Connections,
    method: &Method,
    raw_id: &str,
    body: Bytes,
    message_limit: usize,
) -> Response<Bytes> {
    let id = percent_decode_str(raw_id).decode_utf8_lossy().into_owned();
    let Some(live) = connections.get(&id) else {
        return error(StatusCode::GONE, "GoneException", None);
    };
    match *method {
        Method::POST => {
            if body.len() > message_limit {
                return error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "PayloadTooLargeException",
                    Some(format!(
                        "Message of {} bytes exceeds the {message_limit}-byte message payload limit",
                        body.len()
                    )),
                );
            }
            let text = std::str::from_utf8(&body).is_ok();
            match live.commands.try_send(Command::Send { data: body, text }) {
                Ok(()) => {
                    touch(&live.last_active_ms);
                    empty(StatusCode::OK)
                }
                Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "LimitExceededException",
                    Some("Too many messages are waiting for this connection".to_owned()),
                ),
                Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => {
                    error(StatusCode::GONE, "GoneException", None)
                }
            }
        }
        Method::GET => {
            let body = json!({
                "connectedAt": iso8601(live.connected_at_ms),
                "identity": { "sourceIp": live.source_ip, "userAgent": live.user_agent },
                "lastActiveAt": iso8601(live.last_active_ms.load(std::sync::atomic::Ordering::Relaxed)),
            });
            let mut response = Response::new(Bytes::from(body.to_string()));
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            response
        }
        Method::DELETE => {
            let close = Command::Close {
                code: NORMAL,
                reason: String::new(),
            };
            // A full queue still closes: the session also watches the
            // table, and the id is gone from it now.
            let _ = live.commands.try_send(close);
            connections.remove(&id);
            empty(StatusCode::NO_CONTENT)
        }
        _ => error(
            StatusCode::FORBIDDEN,
            "ForbiddenException",
            Some(format!(
                "{method} is not a @connections command; use POST, GET or DELETE"
            )),
        ),
    }
}

fn empty(status: StatusCode) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    response
}

/// An error as the management API's rest-json protocol carries it.
fn error(status: StatusCode, kind: &'static str, message: Option<String>) -> Response<Bytes> {
    let body = json!({ "message": message });
    let mut response = Response::new(Bytes::from(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("x-amzn-errortype", http::HeaderValue::from_static(kind));
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// Milliseconds since the epoch as an ISO 8601 UTC time with
/// milliseconds (`2026-12-06T14:26:53.123Z`).
pub(crate) fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms % 1000
    )
}

/// When the model answers a request that is not a `@connections` command
/// nor a handshake at the stage's path: API Gateway's answer to a path it
/// does not serve.
pub(crate) fn forbidden() -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(br#"{"message":"Forbidden"}"#));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_iso_8601_utc_with_milliseconds() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_547_230_720_092), "2019-01-11T18:18:40.092Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn an_unknown_connection_is_gone_for_every_command() {
        let connections = Connections::default();
        for method in [Method::POST, Method::GET, Method::DELETE] {
            let answer = handle(
                &connections,
                &method,
                "R0oXAdfD0kwCH6w%3D",
                Bytes::new(),
                10,
            );
            assert_eq!(answer.status(), StatusCode::GONE);
            assert_eq!(answer.headers()["x-amzn-errortype"], "GoneException");
        }
    }
}
