//! Secrets in failure reports: which header values are secret and how a
//! report shows them.
//!
//! Failure reports go to CI logs, which more people read than the
//! credentials were meant for, so every report crossdrive prints (a failed
//! assertion, the `Display` and `Debug` of a [`TestResponse`](crate::TestResponse),
//! a [`TestStream`](crate::TestStream) mismatch, a bench scenario mismatch,
//! a driver's error quoting a header) shows a secret header value
//! redacted, on every driver, `::remote` included.
//!
//! **Which values are secret:** every value of `authorization`,
//! `proxy-authorization`, `cookie` and `set-cookie`; any value marked with
//! [`HeaderValue::set_sensitive`] (on a request header, or on a response
//! header by an in-process app, where the mark survives); and every value
//! of a header named with [`Client::sensitive_header`](crate::Client::sensitive_header),
//! on requests and responses alike (the portable way to mark a response
//! header: a mark set by the app does not cross a socket or a Lambda event).
//! [`Client`](crate::Client) marks all of these `set_sensitive(true)` before
//! they reach the driver, so `http`'s own `Debug` prints them as
//! `Sensitive` too, and HTTP/2 sends them never-indexed (HPACK).
//!
//! **How they show:** as `<redacted N bytes>`, keeping what a reader needs
//! to tell requests apart and nothing that authenticates:
//!
//! | header | shown as |
//! |---|---|
//! | `authorization`, `proxy-authorization` | the scheme word, then the credentials redacted: `Bearer <redacted 36 bytes>` |
//! | `cookie` | each cookie's name, its value redacted: `session=<redacted 6 bytes>; theme=<redacted 4 bytes>` |
//! | `set-cookie` | the cookie's name and its attributes, its value redacted: `session=<redacted 6 bytes>; Path=/; HttpOnly` |
//! | any other secret | `<redacted N bytes>` |
//!
//! **Opt-out, for local debugging:** set [`SHOW_SECRETS_ENV`]
//! (`CROSSDRIVE_SHOW_SECRETS=1`) and reports print every value as sent.
//! Never set it in CI.

use std::borrow::Cow;
use std::fmt::Write as _;

use http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue};

/// `CROSSDRIVE_SHOW_SECRETS`: set to `1` (or `true`) to print secret
/// header values in failure reports as they were sent, when debugging
/// locally. Unset, empty, `0` or any other value: they are redacted.
/// Read each time a report is written, so it needs no rebuild.
///
/// ```
/// assert_eq!(crossdrive_core::redact::SHOW_SECRETS_ENV, "CROSSDRIVE_SHOW_SECRETS");
/// ```
pub const SHOW_SECRETS_ENV: &str = "CROSSDRIVE_SHOW_SECRETS";

/// The headers whose every value is a secret, whatever marks it carries.
const ALWAYS_SECRET: [HeaderName; 4] = [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE, SET_COOKIE];

/// Whether [`SHOW_SECRETS_ENV`] asks for secrets to be printed.
///
/// ```
/// // Unset in this doctest's environment:
/// # if std::env::var_os("CROSSDRIVE_SHOW_SECRETS").is_none() {
/// assert!(!crossdrive_core::redact::show_secrets());
/// # }
/// ```
pub fn show_secrets() -> bool {
    std::env::var(SHOW_SECRETS_ENV)
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true"))
}

/// Whether a header value is a secret: its name is `authorization`,
/// `proxy-authorization`, `cookie` or `set-cookie`, or the value is marked
/// with [`HeaderValue::set_sensitive`].
///
/// ```
/// use crossdrive_core::redact::is_secret;
/// use http::{HeaderName, HeaderValue};
/// let value = HeaderValue::from_static("k-123");
/// assert!(is_secret(&http::header::AUTHORIZATION, &value));
/// assert!(!is_secret(&HeaderName::from_static("x-api-key"), &value));
/// let mut marked = value.clone();
/// marked.set_sensitive(true);
/// assert!(is_secret(&HeaderName::from_static("x-api-key"), &marked));
/// ```
pub fn is_secret(name: &HeaderName, value: &HeaderValue) -> bool {
    value.is_sensitive() || ALWAYS_SECRET.contains(name)
}

/// How a report shows this header value: redacted when it
/// [`is_secret`] (see the [module](self) for the forms) and
/// [`show_secrets`] is off; otherwise its text, or its bytes when it is
/// not visible ASCII.
///
/// ```
/// use crossdrive_core::redact::shown;
/// use http::HeaderValue;
/// # if !crossdrive_core::redact::show_secrets() {
/// let token = HeaderValue::from_static("Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl");
/// assert_eq!(shown(&http::header::AUTHORIZATION, &token), "Bearer <redacted 37 bytes>");
/// let plain = HeaderValue::from_static("text/plain");
/// assert_eq!(shown(&http::header::CONTENT_TYPE, &plain), "text/plain");
/// # }
/// ```
pub fn shown(name: &HeaderName, value: &HeaderValue) -> String {
    if is_secret(name, value) && !show_secrets() {
        return redacted_bytes(name.as_str(), value.as_bytes());
    }
    match value.to_str() {
        Ok(text) => text.to_owned(),
        Err(_) => format!("{:?} (non-ASCII bytes)", value.as_bytes()),
    }
}

/// How a report shows a header value a driver holds as text (a Lambda
/// event's JSON, a header line it could not parse): redacted when `name`
/// is one of the always-secret headers and [`show_secrets`] is off, the
/// text itself otherwise. The name is matched without regard to case.
///
/// ```
/// use crossdrive_core::redact::shown_text;
/// # if !crossdrive_core::redact::show_secrets() {
/// assert_eq!(shown_text("Set-Cookie", "id=42; Path=/"), "id=<redacted 2 bytes>; Path=/");
/// assert_eq!(shown_text("x-trace", "abc"), "abc");
/// # }
/// ```
pub fn shown_text<'a>(name: &str, value: &'a str) -> Cow<'a, str> {
    if is_always_secret(name) && !show_secrets() {
        Cow::Owned(redacted_bytes(&name.to_ascii_lowercase(), value.as_bytes()))
    } else {
        Cow::Borrowed(value)
    }
}

/// `value` of the header `name` as a report shows it when the header is
/// secret (by name, by a mark on one of its values, or by the client's
/// list): redacted unless [`show_secrets`].
pub(crate) fn hidden_text(name: &str, value: &str) -> String {
    if show_secrets() {
        value.to_owned()
    } else {
        redacted_bytes(&name.to_ascii_lowercase(), value.as_bytes())
    }
}

/// A secret that is no header value (a cookie's value alone) as a report
/// shows it: redacted unless [`show_secrets`].
pub(crate) fn hidden_value(value: &str) -> String {
    if show_secrets() {
        value.to_owned()
    } else {
        hidden(value.len())
    }
}

/// What every redacted value starts with, so a report can tell it
/// redacted something.
pub(crate) const MARK: &str = "<redacted ";

/// Whether the header `name` (any case) is secret whatever its values.
pub(crate) fn is_always_secret(name: &str) -> bool {
    ALWAYS_SECRET
        .iter()
        .any(|secret| secret.as_str().eq_ignore_ascii_case(name))
}

/// The line a report ends with when it redacted something, saying how to
/// see the values; `None` when nothing was redacted.
pub(crate) fn footer(redacted: bool) -> Option<String> {
    redacted.then(|| {
        format!(
            "secret header values are redacted; set {SHOW_SECRETS_ENV}=1 to print them when \
             debugging locally, never in CI"
        )
    })
}

/// Whether a report of these headers redacts anything.
pub(crate) fn redacts_any(headers: &HeaderMap) -> bool {
    !show_secrets() && headers.iter().any(|(name, value)| is_secret(name, value))
}

/// Marks every secret value of `headers` with `set_sensitive(true)`: the
/// always-secret headers and those named in `extra` (lowercase names).
/// Marked values print as `Sensitive` in `http`'s own `Debug` and travel
/// never-indexed over HTTP/2.
pub(crate) fn mark(headers: &mut HeaderMap, extra: &[String]) {
    for (name, value) in headers.iter_mut() {
        if ALWAYS_SECRET.contains(name) || extra.iter().any(|e| e == name.as_str()) {
            value.set_sensitive(true);
        }
    }
}

/// A secret value as a report shows it, by the rules in the module docs.
/// `name` is lowercase.
fn redacted_bytes(name: &str, bytes: &[u8]) -> String {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return hidden(bytes.len());
    };
    match name {
        "authorization" | "proxy-authorization" => match text.split_once(' ') {
            Some((scheme, credentials)) if is_token(scheme) => {
                format!("{scheme} {}", hidden(credentials.trim_start().len()))
            }
            _ => hidden(text.len()),
        },
        "cookie" => text
            .split(';')
            .map(|pair| cookie_pair(pair.trim()))
            .collect::<Vec<_>>()
            .join("; "),
        "set-cookie" => {
            let mut parts = text.split(';');
            let mut out = cookie_pair(parts.next().unwrap_or_default().trim());
            for attribute in parts {
                let _ = write!(out, "; {}", attribute.trim());
            }
            out
        }
        _ => hidden(text.len()),
    }
}

/// `name=value` with the value hidden; anything else hidden whole.
fn cookie_pair(pair: &str) -> String {
    match pair.split_once('=') {
        Some((name, value)) if is_token(name.trim()) => {
            format!("{}={}", name.trim(), hidden(value.trim().len()))
        }
        _ => hidden(pair.len()),
    }
}

/// A scheme word or cookie name: a non-empty RFC 9110 token, which cannot
/// hide a secret's separator.
fn is_token(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

fn hidden(len: usize) -> String {
    let unit = if len == 1 { "byte" } else { "bytes" };
    format!("{MARK}{len} {unit}>")
}

/// What a report shows for two secret values that were compared, and
/// where they differ when their lengths alone do not say: a reader still
/// learns how the secrets differ without reading either.
pub(crate) fn compared(expected: &str, received: &str) -> String {
    let first_difference = expected
        .bytes()
        .zip(received.bytes())
        .position(|(a, b)| a != b);
    match first_difference {
        Some(at) if expected.len() == received.len() => {
            format!("same length, first difference at byte {at}")
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &'static str) -> HeaderValue {
        HeaderValue::from_static(text)
    }

    #[test]
    fn a_bearer_token_shows_its_scheme_and_length_only() {
        let shown = redacted_bytes("authorization", b"Bearer abc.def.ghi");
        assert_eq!(shown, "Bearer <redacted 11 bytes>");
        assert_eq!(
            redacted_bytes("proxy-authorization", b"Basic dXNlcjpwYXNz"),
            "Basic <redacted 12 bytes>"
        );
    }

    #[test]
    fn an_authorization_without_a_scheme_word_is_hidden_whole() {
        assert_eq!(
            redacted_bytes("authorization", b"secret-token"),
            "<redacted 12 bytes>"
        );
        // A "scheme" that is no token could be part of the secret.
        assert_eq!(
            redacted_bytes("authorization", b"a:b c"),
            "<redacted 5 bytes>"
        );
    }

    #[test]
    fn cookies_keep_their_names_and_lose_their_values() {
        assert_eq!(
            redacted_bytes("cookie", b"session=s3cr3t; theme=dark"),
            "session=<redacted 6 bytes>; theme=<redacted 4 bytes>"
        );
        assert_eq!(
            redacted_bytes("set-cookie", b"session=s3cr3t; Path=/; HttpOnly"),
            "session=<redacted 6 bytes>; Path=/; HttpOnly"
        );
        assert_eq!(redacted_bytes("cookie", b"no-equals"), "<redacted 9 bytes>");
    }

    #[test]
    fn any_other_secret_and_non_utf8_bytes_are_hidden_whole() {
        assert_eq!(redacted_bytes("x-api-key", b"k-1"), "<redacted 3 bytes>");
        assert_eq!(
            redacted_bytes("authorization", &[b'B', b' ', 0xff]),
            "<redacted 3 bytes>"
        );
    }

    #[test]
    fn mark_flags_the_always_secret_headers_and_the_named_ones_only() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value("Bearer t"));
        headers.insert("x-api-key", value("k"));
        headers.insert("x-trace", value("1"));
        mark(&mut headers, &["x-api-key".to_owned()]);
        assert!(headers[AUTHORIZATION].is_sensitive());
        assert!(headers["x-api-key"].is_sensitive());
        assert!(!headers["x-trace"].is_sensitive());
    }

    #[test]
    fn compared_secrets_of_one_length_say_where_they_differ() {
        assert_eq!(
            compared("abc", "abd"),
            "same length, first difference at byte 2"
        );
        assert_eq!(compared("abc", "abcd"), "");
    }
}
