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
//! The bodies are the sources' documented or recorded ones (`{"message":"Internal
//! Server Error"}` for HTTP API, `{"message": "Internal server error"}` with
//! `x-amzn-ErrorType: InternalServerErrorException` for REST, the plain
//! text `Internal Server Error` for a Function URL, an HTML page for ALB);
//! each arm below names its source. The 431 for oversized headers on API
//! Gateway and the 414 for a long REST URL are models: AWS documents the
//! quotas, not the exact status (the 414 follows the quota page's own
//! "414 Request URI too long" for a long method ARN), and so is ALB's 502
//! for oversized response headers; ALB's troubleshooting page lists
//! oversized request headers under HTTP 400.
//!
//! Every step of an invocation (`invoke.rs`) ends early with a
//! [`Stopped`]: [`Refused`] when the source answers itself, an `Error`
//! when there is no answer for the client at all. [`answer`] reads what
//! the invocation step brought back that way.

use std::time::Duration;

use crate::guard::Interrupted;
use crate::{AdapterNote, Error, ErrorKind};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode};

use super::driver::{About, Inner, Invoker};
use super::function::{InvokeError, Observed};
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
pub(crate) enum FailureKind {
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
    kind: FailureKind,
    code: &'static str,
    reason: String,
) -> (Response<Bytes>, AdapterNote) {
    use FailureKind as K;
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
        // Recorded against AWS: localstack/localstack @8b9a79f0,
        // tests/aws/services/lambda_/test_lambda.py
        // `TestLambdaURL::test_lambda_url_invocation_exception` (validated
        // 2025-11-24) asserts status 502 and the body `Internal Server Error`,
        // plain text. Its content type was not captured: text/plain is a
        // model (localstack answers with werkzeug's text/plain default), and
        // so is the same answer for a timeout.
        (S::FunctionUrl, K::Function | K::IntegrationTimeout | K::Configuration) => {
            (502, TEXT, "Internal Server Error")
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
    if (source, kind) == (S::Rest, K::Function) {
        // Recorded against AWS: aws/aws-lambda-dotnet @83149216,
        // Tools/LambdaTestTool-v2/tests/Amazon.Lambda.TestTool.UnitTests/Snapshots/
        // V1_HandlesZeroStatusCodeRest.json: a REST API's 502 for a
        // malformed proxy response (statusCode 0) carries
        // `x-amzn-ErrorType: InternalServerErrorException`. The same header
        // on the 502 for a function error or timeout is a model: no
        // recording kept that response's headers.
        response.headers_mut().insert(
            HeaderName::from_static("x-amzn-errortype"),
            HeaderValue::from_static("InternalServerErrorException"),
        );
    }
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
const TEXT: &str = "text/plain; charset=utf-8";
const ALB_400_HEADERS: &str = "<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>Request Header Or Cookie Too Large</center>\r\n</body>\r\n</html>\r\n";
const ALB_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";
const ALB_413: &str = "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n</body>\r\n</html>\r\n";

/// Why the source answered itself instead of passing the function's
/// response on: the failure it answers with, its code and the reason.
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) kind: FailureKind,
    pub(crate) code: &'static str,
    pub(crate) reason: String,
}

impl Refused {
    pub(crate) fn new(kind: FailureKind, code: &'static str, reason: String) -> Self {
        Self { kind, code, reason }
    }
}

/// A response JSON that is not a valid proxy response: every source
/// treats it as a function error (`malformed-response`).
impl From<String> for Refused {
    fn from(reason: String) -> Self {
        Self::new(FailureKind::Function, "malformed-response", reason)
    }
}

/// Why an invocation ends before the app's response reaches the client.
#[derive(Debug)]
pub(crate) enum Stopped {
    /// The source answers itself (a limit, a function error, a timeout).
    Refused(Refused),
    /// There is no answer: an error for the test (an event lambda_http
    /// rejects, a lost instance, the driver's own timeout, a final 1xx).
    Error(Error),
}

impl From<Refused> for Stopped {
    fn from(refused: Refused) -> Self {
        Self::Refused(refused)
    }
}

impl From<Error> for Stopped {
    fn from(error: Error) -> Self {
        Self::Error(error)
    }
}

/// What an invocation brought back: the function's response JSON and
/// what the function's side saw, or why there is none; the outer error
/// is the driver's guard (timeout, panic).
pub(crate) type Outcome = Result<Result<(Vec<u8>, Observed), InvokeError>, Interrupted>;

/// An invocation's outcome as the source takes it: the function's
/// response JSON, or why the source answers itself or nobody answers.
/// After a timeout a `lambda-runtime` instance is replaced, as Lambda
/// replaces a timed-out sandbox.
pub(crate) fn answer(
    lambda: &Inner,
    about: About<'_>,
    outcome: Outcome,
) -> Result<(Vec<u8>, Observed), Stopped> {
    match outcome {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(error)) => Err(function_failed(lambda, about, error)),
        Err(Interrupted::Panicked(message)) => {
            let reason =
                format!("the handler panicked ({message}); the runtime reported a function error");
            Err(Refused::new(FailureKind::Function, "handler-panic", reason).into())
        }
        Err(Interrupted::TimedOut(after)) => Err(timed_out(lambda, about, after)),
    }
}

/// The function (or lambda_http, or the runtime) failed to answer.
fn function_failed(lambda: &Inner, about: About<'_>, error: InvokeError) -> Stopped {
    match error {
        InvokeError::Malformed(e) => lambda
            .error(ErrorKind::Adapter, about, "lambda_http rejected the event")
            .with_source(e)
            .with_hint(
                "send a REST (1.0), HTTP API (2.0) or ALB event; the samples in \
                 tests/data/lambda show the shapes",
            )
            .into(),
        InvokeError::InvalidBase64(e) => lambda
            .error(
                ErrorKind::Adapter,
                about,
                "the event says isBase64Encoded but its body is not base64",
            )
            .with_source(e)
            .with_hint(
                "lambda_http would panic on this event; encode the body with standard, padded \
                 base64 or set isBase64Encoded to false",
            )
            .into(),
        InvokeError::Unserializable(reason) | InvokeError::FunctionError(reason) => {
            Refused::new(FailureKind::Function, "function-error", reason).into()
        }
        InvokeError::LambdaHttpPanic(message) => {
            let reason = format!(
                "lambda_http panicked turning the event into a request ({message}), before \
                 the app ran; in Lambda this is a function error"
            );
            Refused::new(FailureKind::Function, "lambda-http-panic", reason).into()
        }
        InvokeError::RuntimePanic(reason) => {
            Refused::new(FailureKind::Function, "handler-panic", reason).into()
        }
        InvokeError::RuntimeGone(reason) => lambda
            .error(ErrorKind::Connection, about, reason)
            .with_hint("the lambda-runtime child process could not serve; its stderr is above")
            .into(),
    }
}

/// The invocation ran out of time: the driver's own timeout is an error;
/// AWS's (the function's or the integration's, whichever is first) is the
/// source's answer.
fn timed_out(lambda: &Inner, about: About<'_>, after: Duration) -> Stopped {
    let function = lambda.options.function_timeout;
    let integration = lambda.options.integration_timeout;
    if let Invoker::Runtime(instance) = &lambda.invoker {
        // Like Lambda after a timeout, the next request gets a fresh sandbox.
        instance.recycle();
    }
    if lambda.options.timeout < lambda.aws_limit() {
        return match about {
            Some((method, uri)) => Error::timeout(lambda.name, method, uri, after),
            None => {
                Error::without_request(ErrorKind::Timeout, lambda.name, format!("after {after:?}"))
                    .with_hint(
                        "the function did not answer the event in time; raise the driver's \
                     timeout if it is legitimately slow",
                    )
            }
        }
        .into();
    }
    match integration {
        Some(i) if i <= function => Refused::new(
            FailureKind::IntegrationTimeout,
            "integration-timeout",
            format!("the source stopped waiting after its {i:?} integration timeout"),
        ),
        _ => Refused::new(
            FailureKind::Function,
            "function-timeout",
            format!("Task timed out after {function:?} (the function timeout)"),
        ),
    }
    .into()
}
