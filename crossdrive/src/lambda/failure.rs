//! What the client receives when the function fails or a limit is hit:
//! the event source's own answer, with the reason attached.
//!
//! AWS answers these itself, so the client sees an HTTP response, not an
//! error: crossdrive returns that response, logs the reason on stderr, and
//! attaches it twice: as a [`LambdaFailure`] response extension and as an
//! [`AdapterNote`] (printed by every failed assertion).
//!
//! | failure | HTTP API | Function URL | REST | ALB |
//! |---|---|---|---|---|
//! | function error, panic, function timeout, response JSON over 6,291,556 bytes | 500 | 502 | 502 | 502 |
//! | integration timeout (30 s HTTP API, 29 s REST by default) | 503 | — | 504 | — |
//! | a base64 body a binary media type matches does not decode (`API_CONFIGURATION_ERROR`) | — | — | 500 | — |
//! | request over the payload limit (6 MB Lambda, 10 MB API Gateway, 1 MB ALB) | 413 | 413 | 413 | 413 |
//! | request line and header values over 10,240 bytes (HTTP API); header lines over 10,240 bytes, 8,000 on a private API (REST); request line or one header over 16 K, headers over 64 K (ALB) | 431 | — | 431 | 400 |
//! | URL over 10,240 characters (Regional REST) or 8,192 (edge-optimized, private) | — | — | 414 | — |
//! | response headers over 32 K (ALB) | — | — | — | 502 |
//!
//! The bodies are the sources' documented ones (`{"message":"Internal
//! Server Error"}` for HTTP API, `{"message": "Internal server error"}` for
//! REST, an HTML page for ALB). The 431 for oversized headers on API
//! Gateway and the 414 for a long REST URL are models: AWS documents the
//! quotas, not the exact status (the 414 follows the quota page's own
//! "414 Request URI too long" for a long method ARN), and so is ALB's 502
//! for oversized response headers; ALB's troubleshooting page lists
//! oversized request headers under HTTP 400.

use crate::AdapterNote;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

use super::options::Source;

/// Why the source answered instead of the function; a response extension.
///
/// ```no_run
/// # let response: http::Response<bytes::Bytes> = unimplemented!();
/// if let Some(failure) = response.extensions().get::<crossdrive::lambda::LambdaFailure>() {
///     eprintln!("{}: {}", failure.code, failure.reason);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaFailure {
    /// A stable code (`function-error`, `function-timeout`, ...).
    pub code: &'static str,
    /// What happened, in a sentence.
    pub reason: String,
}

/// The kinds of failure a source answers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The function failed: error, panic, timeout, oversized response.
    Function,
    /// The source stopped waiting.
    IntegrationTimeout,
    /// The request was over a payload limit.
    TooLarge,
    /// The request line and headers were over the quota.
    HeadersTooLarge,
    /// The URL was longer than a REST API accepts.
    UrlTooLong,
    /// The source could not convert the function's response as it is
    /// configured to: REST's `API_CONFIGURATION_ERROR`, when a base64 body
    /// it treats as binary does not decode.
    Configuration,
}

/// The source's response for a failure, with the reason attached.
pub(crate) fn respond(
    source: Source,
    kind: Kind,
    code: &'static str,
    reason: String,
) -> (Response<Bytes>, AdapterNote) {
    use Kind as K;
    use Source as S;
    let (status, content_type, body): (u16, &str, &str) = match (source, kind) {
        // Only REST converts binary bodies by configuration; the other
        // sources never report Configuration and answer it as a function error.
        (S::HttpApi, K::Function | K::Configuration) => {
            (500, JSON, r#"{"message":"Internal Server Error"}"#)
        }
        (S::HttpApi, K::IntegrationTimeout) => (503, JSON, r#"{"message":"Service Unavailable"}"#),
        (S::Rest, K::Function) => (502, JSON, r#"{"message": "Internal server error"}"#),
        (S::Rest, K::IntegrationTimeout) => {
            (504, JSON, r#"{"message": "Endpoint request timed out"}"#)
        }
        // API_CONFIGURATION_ERROR: "when base64 decoding fails on binary data",
        // default status 500 (GWRESP); the body is REST's default message.
        (S::Rest, K::Configuration) => (500, JSON, r#"{"message": "Internal server error"}"#),
        (S::FunctionUrl, K::Function | K::IntegrationTimeout | K::Configuration) => {
            (502, JSON, r#"{"Message":"Internal Server Error"}"#)
        }
        (S::Alb { .. }, K::Function | K::IntegrationTimeout | K::Configuration) => {
            (502, HTML, ALB_502)
        }
        (S::Rest, K::TooLarge) => (413, JSON, r#"{"message":"Request Too Long"}"#),
        (S::HttpApi | S::FunctionUrl, K::TooLarge) => {
            (413, JSON, r#"{"message":"Request Entity Too Large"}"#)
        }
        (S::Alb { .. }, K::TooLarge) => (413, HTML, ALB_413),
        // ALB's troubleshooting page lists oversized headers under
        // "HTTP 400: Bad request"; the page's text is a model, after what
        // clients report seeing ("400 Request Header Or Cookie Too Large").
        (S::Alb { .. }, K::HeadersTooLarge) => (400, HTML, ALB_400_HEADERS),
        // The quota page gives the length, not the status; 414 is what the
        // same page says a too-long method ARN gets ("414 Request URI too
        // long"), so the body is a model. Only REST checks URL length.
        (_, K::UrlTooLong) => (414, JSON, r#"{"message":"Request-URI Too Long"}"#),
        (_, K::HeadersTooLarge) => (
            431,
            JSON,
            r#"{"message":"Request Header Fields Too Large"}"#,
        ),
    };
    let mut response = Response::new(Bytes::from_static(body.as_bytes()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    if !crate::fixture::quiet() {
        eprintln!("crossdrive lambda ({}): {code}: {reason}", source.shape());
    }
    response.extensions_mut().insert(LambdaFailure {
        code,
        reason: reason.clone(),
    });
    (response, AdapterNote::new(code, reason))
}

const JSON: &str = "application/json";
const HTML: &str = "text/html";
const ALB_400_HEADERS: &str = "<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>Request Header Or Cookie Too Large</center>\r\n</body>\r\n</html>\r\n";
const ALB_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";
const ALB_413: &str = "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n</body>\r\n</html>\r\n";
