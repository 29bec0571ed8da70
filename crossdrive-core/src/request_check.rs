//! Request input every driver would answer differently, refused before
//! sending.
//!
//! Each driver carries a request through a different stack (axum's
//! `oneshot`, a Lambda event, hyper over HTTP/1.1, HTTP/2, HTTP/3), and each
//! stack meets these mistakes its own way: a body shorter than a hand-set
//! `Content-Length` is a timeout blamed on the handler over HTTP/1.1, a
//! protocol error over HTTP/2 and a silent 200 elsewhere. So the
//! [`Client`](crate::Client) checks every request once, the same way for
//! every driver, whether a [`RequestBuilder`](crate::RequestBuilder) built
//! it or the test handed a ready-made `http::Request` to
//! [`Client::send`](crate::Client::send) or
//! [`Client::stream`](crate::Client::stream), and refuses it with an
//! invalid-request [`Error`] naming what to write instead.
//!
//! What is checked, in this order (the first problem is reported):
//!
//! | input | why it is refused |
//! |---|---|
//! | an absolute URL as the target (`http://host/path`) | the driver supplies scheme and authority; an absolute target would reach some adapters as-is and others rewritten |
//! | a non-ASCII path or query | RFC 3986 targets are ASCII; adapters would percent-encode, pass or mangle the raw UTF-8 differently |
//! | more than one `Host` | a request has one host; which one an adapter keeps differs |
//! | `Transfer-Encoding` set by hand | the driver frames the body; HTTP/2 and HTTP/3 forbid the header, HTTP/1.1 would frame it twice |
//! | more than one `Content-Length`, or one that is not a number | no adapter can frame that body |
//! | a `Content-Length` the body contradicts | HTTP/1.1 waits for bytes that never come, HTTP/2 resets, Lambda ignores it |
//! | a `Content-Length` on a streamed body | its length is not known before sending, so it cannot be checked |
//!
//! A hand-set `Content-Length` that matches the body is valid HTTP and is
//! sent as set.

use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, Method, Uri};
use http_body::Body as _;

use crate::{Error, ErrorKind, RequestBody};

/// The body's length as the check can know it before sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyLength {
    /// The whole body is in hand: exactly this many bytes.
    Exact(u64),
    /// A stream whose length is known only once it has been sent.
    Unknown,
}

impl BodyLength {
    /// The length of a request body, exact when its size hint is.
    pub(crate) fn of(body: &RequestBody) -> Self {
        body.size_hint().exact().map_or(Self::Unknown, Self::Exact)
    }
}

/// Refuses a request every driver would answer differently, as an
/// invalid-request error from `driver` naming the request, what was wrong
/// and what to write instead.
pub(crate) fn check(
    driver: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: BodyLength,
) -> Result<(), Error> {
    problem(uri, headers, body).map_or(Ok(()), |(cause, hint)| {
        Err(Error::new(ErrorKind::InvalidRequest, driver, method, uri, cause).with_hint(hint))
    })
}

/// The first problem with the request, as (what was wrong, what to write
/// instead).
fn problem(uri: &Uri, headers: &HeaderMap, body: BodyLength) -> Option<(String, String)> {
    let target = target(uri);
    if headers.is_empty() {
        // Most requests: nothing below can be wrong, so no header lookups.
        return target;
    }
    target
        .or_else(|| host(headers))
        .or_else(|| transfer_encoding(headers))
        .or_else(|| content_length(headers, body))
}

fn target(uri: &Uri) -> Option<(String, String)> {
    if uri.scheme().is_some() || uri.authority().is_some() {
        let origin_form = uri.path_and_query().map_or("/", |pq| pq.as_str());
        return Some((
            format!("the target `{uri}` is an absolute URL"),
            format!(
                "pass the path and query, {origin_form}: the driver picks the scheme and \
                 authority (set a Host header to choose the host the app sees)"
            ),
        ));
    }
    let path = uri.path();
    if !path.is_ascii() {
        return Some((
            format!("the path `{path}` has non-ASCII characters"),
            format!(
                "percent-encode them as UTF-8, as in {}",
                percent_encode_non_ascii(path)
            ),
        ));
    }
    match uri.query() {
        Some(query) if !query.is_ascii() => Some((
            format!("the query `{query}` has non-ASCII characters"),
            format!(
                "percent-encode them as UTF-8, as in ?{}, or add each pair with \
                 .query(key, value), which encodes it",
                percent_encode_non_ascii(query)
            ),
        )),
        _ => None,
    }
}

/// `text` with every byte outside ASCII percent-encoded and the rest as is,
/// so the suggestion reads like what the user wrote.
fn percent_encode_non_ascii(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii() {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn host(headers: &HeaderMap) -> Option<(String, String)> {
    let hosts: Vec<String> = headers
        .get_all(HOST)
        .iter()
        .map(|v| format!("`{}`", String::from_utf8_lossy(v.as_bytes())))
        .collect();
    (hosts.len() > 1).then(|| {
        (
            format!(
                "the request has {} Host headers ({})",
                hosts.len(),
                hosts.join(", ")
            ),
            "send one: .set_header(\"host\", ..) replaces the Host, .header(..) adds another"
                .to_owned(),
        )
    })
}

fn transfer_encoding(headers: &HeaderMap) -> Option<(String, String)> {
    let values: Vec<String> = headers
        .get_all(TRANSFER_ENCODING)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| {
        (
            format!(
                "the request sets `Transfer-Encoding: {}` by hand",
                values.join(", ")
            ),
            "drop the header, the driver frames the body: send a chunked body with .chunks(..) or \
             .body_stream(..), a whole one with .body(..)"
                .to_owned(),
        )
    })
}

fn content_length(headers: &HeaderMap, body: BodyLength) -> Option<(String, String)> {
    const DROP: &str = "drop the header: the driver sets Content-Length from the body";
    let values: Vec<&[u8]> = headers
        .get_all(CONTENT_LENGTH)
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    let declared = match values.as_slice() {
        [] => return None,
        [one] => *one,
        many => {
            let shown: Vec<String> = many
                .iter()
                .map(|v| format!("`{}`", String::from_utf8_lossy(v)))
                .collect();
            return Some((
                format!(
                    "the request has {} Content-Length headers ({})",
                    many.len(),
                    shown.join(", ")
                ),
                DROP.to_owned(),
            ));
        }
    };
    let text = String::from_utf8_lossy(declared);
    // RFC 9110 8.6: one or more digits, nothing else.
    let length = (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse::<u64>().ok())
        .flatten();
    let Some(length) = length else {
        return Some((
            format!("`Content-Length: {text}` is not a whole number of bytes"),
            DROP.to_owned(),
        ));
    };
    match body {
        BodyLength::Exact(actual) if actual == length => None,
        BodyLength::Exact(actual) => Some((
            format!(
                "`Content-Length: {length}` contradicts the body, which has {actual} byte{}",
                if actual == 1 { "" } else { "s" }
            ),
            format!(
                "{DROP}, or make the body {length} byte{} long",
                if length == 1 { "" } else { "s" }
            ),
        )),
        BodyLength::Unknown => Some((
            format!(
                "`Content-Length: {length}` is set on a streamed body, whose length is not known \
                 before it is sent"
            ),
            "drop the header and the body goes chunked, or send it whole with .body(..)".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, http::HeaderValue::from_static(value));
        }
        map
    }

    fn cause(uri: &str, pairs: &[(&'static str, &'static str)], body: BodyLength) -> String {
        let uri: Uri = uri.parse().unwrap();
        problem(&uri, &headers(pairs), body)
            .map_or_else(String::new, |(cause, hint)| format!("{cause}; {hint}"))
    }

    #[test]
    fn a_matching_content_length_is_valid_http_and_passes() {
        assert_eq!(
            cause("/x", &[("content-length", "5")], BodyLength::Exact(5)),
            ""
        );
        assert_eq!(
            cause("/x", &[("content-length", "0")], BodyLength::Exact(0)),
            ""
        );
    }

    #[test]
    fn a_content_length_the_body_contradicts_names_both_lengths() {
        assert_eq!(
            cause("/x", &[("content-length", "5")], BodyLength::Exact(0)),
            "`Content-Length: 5` contradicts the body, which has 0 bytes; drop the header: the \
             driver sets Content-Length from the body, or make the body 5 bytes long"
        );
    }

    #[test]
    fn a_content_length_that_is_no_number_or_twice_is_refused() {
        for bad in ["-1", "+5", "5 ", "", "1e3", "99999999999999999999999"] {
            let mut map = HeaderMap::new();
            map.insert(CONTENT_LENGTH, http::HeaderValue::from_str(bad).unwrap());
            let found = content_length(&map, BodyLength::Exact(5)).unwrap().0;
            assert!(
                found.contains("is not a whole number of bytes"),
                "{bad}: {found}"
            );
        }
        let twice = cause(
            "/x",
            &[("content-length", "5"), ("content-length", "5")],
            BodyLength::Exact(5),
        );
        assert!(twice.starts_with("the request has 2 Content-Length headers (`5`, `5`)"));
    }

    #[test]
    fn non_ascii_is_refused_with_the_percent_encoded_form() {
        assert_eq!(
            cause("/café", &[], BodyLength::Exact(0)),
            "the path `/café` has non-ASCII characters; percent-encode them as UTF-8, as in \
             /caf%C3%A9"
        );
        assert!(cause("/s?q=é", &[], BodyLength::Exact(0)).contains("as in ?q=%C3%A9"));
    }

    #[test]
    fn a_plain_origin_form_request_passes() {
        assert_eq!(
            cause(
                "/todos/1?a=%C3%A9",
                &[("host", "a.test")],
                BodyLength::Unknown
            ),
            ""
        );
        assert_eq!(cause("*", &[], BodyLength::Exact(0)), "");
    }
}
