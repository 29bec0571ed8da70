//! Bodies in events: when a source sends text and when base64, using
//! lambda_http's own rule for what counts as text.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// lambda_http 1.3's text rule (`response.rs`): these prefixes, or a
/// `+json`/`+xml`/`+yaml` suffix, are text; anything else is binary.
/// The content types ALB sends to a Lambda target as text; every other
/// body travels base64-encoded.
pub(crate) fn alb_is_text(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/json" | "application/javascript" | "application/xml"
        )
}

pub(crate) fn is_text_content_type(content_type: &str) -> bool {
    const PREFIXES: [&str; 5] = [
        "text",
        "application/json",
        "application/javascript",
        "application/xml",
        "application/yaml",
    ];
    const SUFFIXES: [&str; 3] = ["+xml", "+yaml", "+json"];
    if PREFIXES.iter().any(|p| content_type.starts_with(p)) {
        return true;
    }
    let essence = content_type.trim().split(';').next().unwrap_or_default();
    SUFFIXES.iter().any(|s| essence.ends_with(s))
}

/// The event's `body` and `isBase64Encoded` for a body the source sends
/// as text when `as_text` and the bytes are UTF-8, and as base64 otherwise.
pub(crate) fn encode(body: &[u8], as_text: bool) -> (String, bool) {
    match std::str::from_utf8(body) {
        Ok(text) if as_text => (text.to_owned(), false),
        _ => (STANDARD.encode(body), true),
    }
}

/// Base64 as AWS and lambda_http use it (standard alphabet, padded).
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    STANDARD.decode(text)
}

/// The client's body from a response's `body` and `isBase64Encoded`,
/// noting a base64 round trip.
pub(crate) fn response_bytes(
    body: Option<String>,
    is_base64_encoded: bool,
    notes: &mut Vec<crate::AdapterNote>,
) -> Result<bytes::Bytes, String> {
    let Some(body) = body else {
        return Ok(bytes::Bytes::new());
    };
    if !is_base64_encoded {
        return Ok(bytes::Bytes::from(body));
    }
    notes.push(crate::AdapterNote::new(
        "base64-response",
        "lambda_http base64-encoded the response body (its content type is not text) and the \
         source decoded it",
    ));
    decode(&body)
        .map(bytes::Bytes::from)
        .map_err(|e| format!("the response says isBase64Encoded but its body is not base64 ({e})"))
}
