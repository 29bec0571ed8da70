//! The client's side of the opening handshake: the headers it adds to the
//! test's request, and its check of the head that switched protocols
//! (RFC 6455 §4.1, RFC 8441 §5).
//!
//! The check is the client's, not a driver's, so every driver's upgrade
//! is held to the same rules: over HTTP/1.1 a `101` whose
//! `Sec-WebSocket-Accept` is the SHA-1 of the key the client sent; over
//! HTTP/2 and HTTP/3 (extended CONNECT) a `2xx`, which carries no accept
//! header; on every version, a subprotocol only if it is one the client
//! offered.

use http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL,
    SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// Adds the handshake headers a WebSocket client sends to `request`,
/// keeping any the test set itself (a test may send a wrong version or
/// key on purpose), and returns the key the head must answer.
pub(crate) fn prepare<B>(request: &mut Request<B>, protocols: &[String]) -> HeaderValue {
    let headers = request.headers_mut();
    headers
        .entry(CONNECTION)
        .or_insert(HeaderValue::from_static("Upgrade"));
    headers
        .entry(UPGRADE)
        .or_insert(HeaderValue::from_static("websocket"));
    headers
        .entry(SEC_WEBSOCKET_VERSION)
        .or_insert(HeaderValue::from_static("13"));
    if !protocols.is_empty() && !headers.contains_key(SEC_WEBSOCKET_PROTOCOL) {
        // Each name was checked to be a token, so the list is a value.
        if let Ok(list) = HeaderValue::from_str(&protocols.join(", ")) {
            headers.insert(SEC_WEBSOCKET_PROTOCOL, list);
        }
    }
    headers
        .entry(SEC_WEBSOCKET_KEY)
        .or_insert_with(|| {
            HeaderValue::from_str(&generate_key()).unwrap_or(HeaderValue::from_static(""))
        })
        .clone()
}

/// Whether `name` can be a subprotocol: an RFC 9110 token.
pub(crate) fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c))
}

/// Checks the head of an accepted handshake; returns the subprotocol it
/// chose, or what was wrong with it.
pub(crate) fn check(
    head: &Response<()>,
    key: &HeaderValue,
    offered: &[String],
) -> Result<Option<String>, String> {
    let status = head.status();
    if status == StatusCode::SWITCHING_PROTOCOLS {
        let expected = derive_accept_key(key.as_bytes());
        match head.headers().get(SEC_WEBSOCKET_ACCEPT) {
            Some(accept) if accept.as_bytes() == expected.as_bytes() => {}
            Some(accept) => {
                return Err(format!(
                    "the 101's Sec-WebSocket-Accept is {accept:?}, not {expected:?}, the value the \
                     key {key:?} calls for (RFC 6455 §4.2.2)"
                ));
            }
            None => {
                return Err(format!(
                    "the 101 has no Sec-WebSocket-Accept header; the key {key:?} calls for \
                     {expected:?} (RFC 6455 §4.2.2)"
                ));
            }
        }
    } else if !status.is_success() {
        return Err(format!(
            "the driver reported the handshake accepted, but its head is {status}, neither 101 \
             (HTTP/1.1) nor 2xx (an HTTP/2 or HTTP/3 extended CONNECT)"
        ));
    }
    chosen(head.headers(), offered)
}

/// The subprotocol the server chose, which must be one the client offered
/// (RFC 6455 §4.1, item 6 of the client's checks).
fn chosen(headers: &HeaderMap, offered: &[String]) -> Result<Option<String>, String> {
    let mut values = headers.get_all(SEC_WEBSOCKET_PROTOCOL).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let Ok(name) = value.to_str() else {
        return Err(format!(
            "the server's Sec-WebSocket-Protocol {value:?} is not text"
        ));
    };
    if values.next().is_some() || name.contains(',') {
        return Err(format!(
            "the server chose more than one subprotocol ({name:?}, ...); it must choose one"
        ));
    }
    let name = name.trim();
    if offered.iter().any(|o| o == name) {
        Ok(Some(name.to_owned()))
    } else if offered.is_empty() {
        Err(format!(
            "the server chose subprotocol {name:?}, but the client offered none"
        ))
    } else {
        Err(format!(
            "the server chose subprotocol {name:?}, which the client did not offer (it offered \
             {offered:?})"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(status: u16, headers: &[(&str, &str)]) -> Response<()> {
        let mut builder = Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    /// RFC 6455 §1.3's worked example.
    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    #[test]
    fn the_rfc_example_key_is_accepted_by_its_accept_value() {
        let key = HeaderValue::from_static(KEY);
        let ok = head(101, &[("sec-websocket-accept", ACCEPT)]);
        assert_eq!(check(&ok, &key, &[]), Ok(None));
    }

    #[test]
    fn a_wrong_or_missing_accept_value_is_refused_with_the_value_expected() {
        let key = HeaderValue::from_static(KEY);
        let wrong = check(&head(101, &[("sec-websocket-accept", "nope")]), &key, &[]);
        assert!(wrong.unwrap_err().contains(ACCEPT));
        let missing = check(&head(101, &[]), &key, &[]).unwrap_err();
        assert!(missing.contains("no Sec-WebSocket-Accept"), "{missing}");
    }

    #[test]
    fn an_extended_connect_answer_needs_no_accept_value() {
        let key = HeaderValue::from_static(KEY);
        assert_eq!(check(&head(200, &[]), &key, &[]), Ok(None));
        assert!(check(&head(302, &[]), &key, &[]).is_err());
    }

    #[test]
    fn only_an_offered_subprotocol_may_be_chosen() {
        let key = HeaderValue::from_static(KEY);
        let offered = ["chat".to_owned(), "json".to_owned()];
        let json = head(200, &[("sec-websocket-protocol", "json")]);
        assert_eq!(check(&json, &key, &offered), Ok(Some("json".into())));
        let other = head(200, &[("sec-websocket-protocol", "xml")]);
        assert!(
            check(&other, &key, &offered)
                .unwrap_err()
                .contains("did not offer")
        );
        assert!(
            check(&json, &key, &[])
                .unwrap_err()
                .contains("offered none")
        );
        let two = head(200, &[("sec-websocket-protocol", "chat, json")]);
        assert!(
            check(&two, &key, &offered)
                .unwrap_err()
                .contains("more than one")
        );
    }

    #[test]
    fn the_test_s_own_handshake_headers_are_kept() {
        let mut request = Request::new(());
        request
            .headers_mut()
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("8"));
        let key = prepare(&mut request, &["chat".into(), "json".into()]);
        let headers = request.headers();
        assert_eq!(headers[SEC_WEBSOCKET_VERSION], "8");
        assert_eq!(headers[SEC_WEBSOCKET_PROTOCOL], "chat, json");
        assert_eq!(headers[SEC_WEBSOCKET_KEY], key);
        assert_eq!(key.len(), 24, "a base64 16-byte nonce");
        assert_eq!(headers[UPGRADE], "websocket");
    }

    #[test]
    fn subprotocol_names_are_tokens() {
        assert!(is_token("graphql-transport-ws") && is_token("v1.chat"));
        assert!(!is_token("") && !is_token("a b") && !is_token("a,b"));
    }
}
