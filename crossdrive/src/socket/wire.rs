//! The private header protocol between a crossdrive socket server and its
//! drivers, both ends of it, over TCP and QUIC alike; no other file spells
//! its header names or values.
//!
//! - Request: `x-crossdrive-app: <id>` names the app a request is for (the
//!   id is 32 lowercase hex digits of 128 random bits, see `routes`).
//!   Client side: [`stamp`]; server side: [`take_app`], which removes it
//!   before the app sees the request.
//! - Response: one header named `x-crossdrive-<id>` (the same digits), the
//!   [`Record`] of what the server observed: the HTTP version it saw, then
//!   what became of the app's answer (`HTTP/1.1`, `HTTP/1.1 panic`,
//!   `HTTP/1.1 status=103`). Server side: [`write`]; client side: [`read`],
//!   which removes it. Only the app's own driver knows the name, so an app
//!   cannot forge or clobber it (the `routes` module explains why).

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Version};

/// The request header naming the app a request is for.
pub(crate) const APP_HEADER: &str = "x-crossdrive-app";
/// The start of the private response header's name, followed by the id.
const RECORD_PREFIX: &str = "x-crossdrive-";
/// How many hex digits an app id has on the wire.
pub(crate) const ID_DIGITS: usize = 32;

/// What the server observed for one request, read back by the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record {
    /// The HTTP version the request arrived as.
    pub(crate) version: Version,
    /// What became of the app's answer.
    pub(crate) mark: Mark,
}

/// What became of the app's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// The app's response, carried as it was.
    Answered,
    /// The handler panicked; the body is its message.
    Panicked,
    /// The app's final status was this 1xx; the server answered 500.
    Informational(StatusCode),
}

/// Client side: names the app (`app`, from [`app_value`]) a request is for.
pub(crate) fn stamp(headers: &mut HeaderMap, app: &HeaderValue) {
    headers.insert(HeaderName::from_static(APP_HEADER), app.clone());
}

/// Client side: takes the server's record, named `record` (from
/// [`record_name`]), off a response; `None` when it has none (the response
/// did not come from a crossdrive server) or one of another shape.
/// Headers the app set itself are left as they are: none can have the
/// record's name.
pub(crate) fn read(headers: &mut HeaderMap, record: &HeaderName) -> Option<Record> {
    parse_record(&headers.remove(record)?)
}

/// Server side: takes the app header off a request, and the id it names
/// if it has the exact shape of one.
pub(crate) fn take_app(headers: &mut HeaderMap) -> Option<u128> {
    parse_id(&headers.remove(APP_HEADER)?)
}

/// Server side: the record of `version` and `mark` under `record`. The
/// name is the app's alone, so `insert` replaces nothing the app set.
pub(crate) fn write(headers: &mut HeaderMap, record: &HeaderName, version: Version, mark: Mark) {
    headers.insert(record.clone(), record_value(version, mark));
}

/// The app header's value for the app `id`.
pub(crate) fn app_value(id: u128) -> HeaderValue {
    // Hex digits are always a valid header value.
    HeaderValue::from_str(&id_text(id)).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// The name of the private response header for the app `id`.
pub(crate) fn record_name(id: u128) -> HeaderName {
    // A prefix and hex digits are always a valid header name.
    HeaderName::from_bytes(format!("{RECORD_PREFIX}{}", id_text(id)).as_bytes())
        .unwrap_or_else(|_| HeaderName::from_static("x-crossdrive-invalid"))
}

/// The wire form of an app id: 32 lowercase hex digits.
fn id_text(id: u128) -> String {
    format!("{id:032x}")
}

/// The id an app header's value names, if it has the exact shape of one
/// (`u128::from_str_radix` alone would also take a sign or fewer digits).
fn parse_id(value: &HeaderValue) -> Option<u128> {
    let text = value.to_str().ok()?;
    if text.len() != ID_DIGITS
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    u128::from_str_radix(text, 16).ok()
}

fn version_text(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "unknown",
    }
}

/// The record's value. The common case is a static value, so an answered
/// request allocates nothing for it.
fn record_value(version: Version, mark: Mark) -> HeaderValue {
    let version = version_text(version);
    let text = match mark {
        Mark::Answered => return HeaderValue::from_static(version),
        Mark::Panicked => format!("{version} panic"),
        Mark::Informational(status) => format!("{version} status={}", status.as_u16()),
    };
    // ASCII digits, letters, `/`, `.`, `=` and a space: always a valid value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// The record a private header's value carries, if it has the shape of one.
fn parse_record(value: &HeaderValue) -> Option<Record> {
    let text = value.to_str().ok()?;
    let (version, mark) = text.split_once(' ').unwrap_or((text, ""));
    let version = match version {
        "HTTP/0.9" => Version::HTTP_09,
        "HTTP/1.0" => Version::HTTP_10,
        "HTTP/1.1" => Version::HTTP_11,
        "HTTP/2.0" => Version::HTTP_2,
        "HTTP/3.0" => Version::HTTP_3,
        _ => return None,
    };
    let mark = match mark {
        "" => Mark::Answered,
        "panic" => Mark::Panicked,
        other => {
            let code = other.strip_prefix("status=")?.parse::<u16>().ok()?;
            Mark::Informational(StatusCode::from_u16(code).ok()?)
        }
    };
    Some(Record { version, mark })
}

/// Whether `name` is in the private protocol's namespace (for tests that
/// check nothing private reaches the test).
#[cfg(all(test, feature = "http3"))]
pub(crate) fn is_private(name: &HeaderName) -> bool {
    name.as_str().starts_with(RECORD_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_id_reads_back_as_written() {
        for id in [0, 1, u128::MAX, 0xdead_beef] {
            let mut headers = HeaderMap::new();
            stamp(&mut headers, &app_value(id));
            assert_eq!(headers[APP_HEADER].len(), ID_DIGITS);
            assert_eq!(take_app(&mut headers), Some(id));
            assert!(headers.is_empty());
        }
    }

    #[test]
    fn every_record_reads_back_as_written() {
        for version in [Version::HTTP_11, Version::HTTP_2, Version::HTTP_3] {
            for mark in [
                Mark::Answered,
                Mark::Panicked,
                Mark::Informational(StatusCode::EARLY_HINTS),
            ] {
                let value = record_value(version, mark);
                assert_eq!(
                    parse_record(&value),
                    Some(Record { version, mark }),
                    "{value:?}"
                );
            }
        }
    }

    #[test]
    fn a_record_of_another_shape_is_none() {
        for text in [
            "",
            "1",
            "HTTP/1.1 panic!",
            "HTTP/1.1 status=",
            "HTTP/4 panic",
        ] {
            assert_eq!(
                parse_record(&HeaderValue::from_static(text)),
                None,
                "{text}"
            );
        }
    }

    #[test]
    fn the_record_is_named_after_the_app_and_leaves_the_apps_own_headers() {
        let id = 0x1234_u128;
        let record = record_name(id);
        let mut headers = HeaderMap::new();
        for name in [
            "x-crossdrive-panic",
            "x-crossdrive-version",
            "x-crossdrive-app",
        ] {
            headers.insert(name, HeaderValue::from_static("1"));
        }
        assert_eq!(read(&mut headers, &record), None);
        assert_eq!(headers.len(), 3, "{headers:?}");
        write(&mut headers, &record, Version::HTTP_2, Mark::Panicked);
        let read_back = read(&mut headers, &record).expect("a record");
        assert_eq!(read_back.mark, Mark::Panicked);
        assert_eq!(headers.len(), 3, "{headers:?}");
        assert!(
            headers
                .keys()
                .all(|name| !name.as_str().contains(&id_text(id)))
        );
    }

    #[test]
    fn an_id_of_another_shape_is_refused() {
        for text in [
            "1",
            "+0000000000000000000000000000001",
            "0000000000000000000000000000000G",
            "0000000000000000000000000000000A",
            "000000000000000000000000000000001",
        ] {
            assert_eq!(parse_id(&HeaderValue::from_static(text)), None, "{text}");
        }
    }
}
