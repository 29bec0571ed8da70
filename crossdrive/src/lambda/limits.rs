//! AWS limits, checked where AWS checks them.
//!
//! - API Gateway (REST and HTTP API): 10 MB payload; 10,240 bytes of
//!   request line plus header values (HTTP API) or of whole header lines
//!   (REST, 8,000 on a private API), and the REST URL's length by endpoint
//!   type; checked on the client's request.
//! - ALB with a Lambda target: 1 MB request body and 1 MB response JSON,
//!   16 K request line and header, 64 K request headers, 32 K response
//!   headers.
//! - Lambda synchronous invocation: 6 MB (6,291,456 bytes) of event JSON
//!   in, and 6,291,556 bytes of response JSON out: the figure in Lambda's
//!   own error, "Response payload size exceeded maximum allowed payload
//!   size (6291556 bytes)" (quoted in DataBiosphere/azul#7466 and
//!   umihico/pythonista-chromeless#11), 100 bytes over the request's.

use bytes::Bytes;
use http::{HeaderValue, Request, Response};

use super::failure::{FailureKind, Refused};
use super::options::{LambdaOptions, Source};

/// Lambda's synchronous invocation payload limit on the event.
///
/// ```
/// use crossdrive::lambda::{API_GATEWAY_PAYLOAD_LIMIT, LAMBDA_PAYLOAD_LIMIT};
/// assert_eq!(LAMBDA_PAYLOAD_LIMIT, 6_291_456);
/// assert!(LAMBDA_PAYLOAD_LIMIT < API_GATEWAY_PAYLOAD_LIMIT); // Lambda refuses first
/// ```
pub const LAMBDA_PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;
/// Lambda's synchronous invocation limit on the response JSON, as its own
/// error message states it: 6,291,556 bytes.
///
/// ```
/// use crossdrive::lambda::{LAMBDA_PAYLOAD_LIMIT, LAMBDA_RESPONSE_LIMIT};
/// assert_eq!(LAMBDA_RESPONSE_LIMIT, 6_291_556);
/// assert_eq!(LAMBDA_RESPONSE_LIMIT - LAMBDA_PAYLOAD_LIMIT, 100); // 100 bytes over the event's
/// ```
pub const LAMBDA_RESPONSE_LIMIT: usize = 6_291_556;
/// API Gateway's payload limit.
///
/// ```
/// assert_eq!(crossdrive::lambda::API_GATEWAY_PAYLOAD_LIMIT, 10 << 20);
/// ```
pub const API_GATEWAY_PAYLOAD_LIMIT: usize = 10 * 1024 * 1024;
/// API Gateway's header quota: on an HTTP API the request line and the
/// header values together, on a REST API every header line (names, values
/// and line ends; 8,000 bytes on a private API).
///
/// ```
/// use crossdrive::lambda::{API_GATEWAY_HEADER_LIMIT, Lambda, LambdaOptions, Source};
/// let app = axum::Router::new().fallback(|| async { "ok" });
/// let client = crossdrive::Client::new(Lambda::new(app, LambdaOptions::new(Source::HttpApi)));
/// let big = "x".repeat(API_GATEWAY_HEADER_LIMIT);
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// client.get("/").header("x-big", big.as_str()).await.assert_status(431);
/// # });
/// ```
pub const API_GATEWAY_HEADER_LIMIT: usize = 10_240;
/// ALB's limit on a Lambda target's request body and response JSON.
///
/// ```
/// use crossdrive::lambda::{ALB_LAMBDA_LIMIT, Lambda, LambdaOptions, Source};
/// let app = axum::Router::new().fallback(|| async { "ok" });
/// let options = LambdaOptions::new(Source::Alb { multi_value_headers: false });
/// let client = crossdrive::Client::new(Lambda::new(app, options));
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// client.post("/").body(vec![b'x'; ALB_LAMBDA_LIMIT + 1]).await.assert_status(413);
/// # });
/// ```
pub const ALB_LAMBDA_LIMIT: usize = 1024 * 1024;
/// ALB's hard limits on an HTTP/1.x request: 16 K for the request line,
/// 16 K for one header, 64 K for all headers together
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html>).
const ALB_REQUEST_LINE_LIMIT: usize = 16 * 1024;
const ALB_HEADER_LIMIT: usize = 16 * 1024;
const ALB_HEADERS_LIMIT: usize = 64 * 1024;

/// ALB's limit on all the response headers a Lambda target returns
/// together (same page: "Entire response header: 32 K").
const ALB_RESPONSE_HEADERS_LIMIT: usize = 32 * 1024;

/// A limit the request broke before any event was built.
enum Broken {
    Payload(String),
    Headers(String),
    Url(String),
}

/// `METHOD target HTTP/1.1`, in bytes, without its line end.
fn request_line(request: &Request<Bytes>) -> usize {
    request.method().as_str().len()
        + 1
        + request
            .uri()
            .path_and_query()
            .map_or(1, |pq| pq.as_str().len())
        + " HTTP/1.1".len()
}

/// One header as it goes on the wire: `name: value\r\n`.
fn wire_len(name: &http::HeaderName, value: &http::HeaderValue) -> usize {
    name.as_str().len() + 2 + value.len() + 2
}

/// Checks the source's own limits on the client's request, before any
/// event is built: a broken one is the source's answer (413, 431, 414 or
/// ALB's 400, see `failure.rs`).
pub(crate) fn check_request(
    options: &LambdaOptions,
    request: &Request<Bytes>,
) -> Result<(), Refused> {
    let Some(broken) = broken(options, request) else {
        return Ok(());
    };
    Err(match broken {
        Broken::Payload(reason) => Refused::new(FailureKind::TooLarge, "payload-too-large", reason),
        Broken::Headers(reason) => {
            Refused::new(FailureKind::HeadersTooLarge, "headers-too-large", reason)
        }
        Broken::Url(reason) => Refused::new(FailureKind::UrlTooLong, "url-too-long", reason),
    })
}

/// The limit the request broke, if any.
///
/// The quotas, as the current pages state them:
/// - HTTP API: "Total combined size of request line and header values:
///   10240 bytes" (<https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html>):
///   the request line and the values, not the names.
/// - REST: "Total combined size of all header values, including header
///   names, values, any line terminators, and whitespaces: 10240 Bytes",
///   8000 for a private API, and a URL of at most 10,240 characters on a
///   Regional API, 8,192 on an edge-optimized or private one
///   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html>).
///   The 2023 text said only "all header values"; the current one counts
///   every byte of every header line, and not the request line.
/// - ALB: 16 K request line, 16 K one header, 64 K all headers
///   (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html>).
fn broken(options: &LambdaOptions, request: &Request<Bytes>) -> Option<Broken> {
    let size = request.body().len();
    match options.source {
        Source::Rest | Source::HttpApi if size > API_GATEWAY_PAYLOAD_LIMIT => {
            Some(Broken::Payload(format!(
                "the request body is {size} bytes, over API Gateway's \
                 {API_GATEWAY_PAYLOAD_LIMIT}-byte payload limit"
            )))
        }
        Source::HttpApi => {
            let line = request_line(request);
            let values: usize = request.headers().values().map(HeaderValue::len).sum();
            (line + values > API_GATEWAY_HEADER_LIMIT).then(|| {
                Broken::Headers(format!(
                    "the request line ({line} bytes) and header values ({values} bytes) \
                     are {} bytes together, over an HTTP API's {API_GATEWAY_HEADER_LIMIT}-byte \
                     quota",
                    line + values
                ))
            })
        }
        Source::Rest => {
            let endpoint = options.endpoint;
            let url = rest_url_len(options, request);
            if url > endpoint.url_limit() {
                return Some(Broken::Url(format!(
                    "the URL is {url} characters, over the {}-character limit of this {} REST \
                     API",
                    endpoint.url_limit(),
                    endpoint.name()
                )));
            }
            let all: usize = request.headers().iter().map(|(n, v)| wire_len(n, v)).sum();
            (all > endpoint.header_limit()).then(|| {
                Broken::Headers(format!(
                    "the request headers (names, values and line ends) are {all} bytes, over \
                     the {}-byte quota of this {} REST API",
                    endpoint.header_limit(),
                    endpoint.name()
                ))
            })
        }
        Source::Alb { .. } => {
            let line = request_line(request);
            if line > ALB_REQUEST_LINE_LIMIT {
                return Some(Broken::Headers(format!(
                    "the request line is {line} bytes, over ALB's {ALB_REQUEST_LINE_LIMIT}-byte limit"
                )));
            }
            let mut all = 0;
            for (name, value) in request.headers() {
                let one = wire_len(name, value);
                if one > ALB_HEADER_LIMIT {
                    return Some(Broken::Headers(format!(
                        "the `{name}` header is {one} bytes, over ALB's {ALB_HEADER_LIMIT}-byte \
                         limit for one header"
                    )));
                }
                all += one;
            }
            if all > ALB_HEADERS_LIMIT {
                return Some(Broken::Headers(format!(
                    "the request headers are {all} bytes, over ALB's {ALB_HEADERS_LIMIT}-byte limit"
                )));
            }
            (size > ALB_LAMBDA_LIMIT).then(|| {
                Broken::Payload(format!(
                    "the request body is {size} bytes, over ALB's {ALB_LAMBDA_LIMIT}-byte limit \
                     for Lambda targets"
                ))
            })
        }
        _ => None,
    }
}

/// The URL the client called on a REST API:
/// `https://{api}.execute-api.{region}.amazonaws.com/{stage}{path}?{query}`.
fn rest_url_len(options: &LambdaOptions, request: &Request<Bytes>) -> usize {
    let target = request
        .uri()
        .path_and_query()
        .map_or(1, |pq| pq.as_str().len());
    "https://".len() + super::event_v1::domain(options).len() + 1 + options.stage.len() + target
}

/// Checks Lambda's synchronous invocation payload limit on the event JSON
/// (6 MB; an ALB's 1 MB request limit is checked on the request, so ALB
/// events are not measured again).
pub(crate) fn check_event(source: Source, event: &[u8]) -> Result<(), Refused> {
    let limit = match source {
        Source::Alb { .. } => usize::MAX,
        _ => LAMBDA_PAYLOAD_LIMIT,
    };
    if event.len() <= limit {
        return Ok(());
    }
    let reason = format!(
        "the event JSON is {} bytes, over Lambda's {LAMBDA_PAYLOAD_LIMIT}-byte \
         synchronous invocation payload limit",
        event.len()
    );
    Err(Refused::new(
        FailureKind::TooLarge,
        "payload-too-large",
        reason,
    ))
}

/// Checks Lambda's invocation payload limit on the event JSON of a
/// streaming invocation (the same 6 MB, which is not a synchronous one).
pub(crate) fn check_streamed_event(event: &[u8]) -> Result<(), Refused> {
    if event.len() <= LAMBDA_PAYLOAD_LIMIT {
        return Ok(());
    }
    let reason = format!(
        "the event JSON is {} bytes, over Lambda's {LAMBDA_PAYLOAD_LIMIT}-byte \
         invocation payload limit",
        event.len()
    );
    Err(Refused::new(
        FailureKind::TooLarge,
        "payload-too-large",
        reason,
    ))
}

/// Checks the most response JSON the source accepts from the function:
/// 6,291,556 bytes from a synchronous invocation, 1 MB on ALB.
pub(crate) fn check_response_json(source: Source, json: &[u8]) -> Result<(), Refused> {
    let limit = match source {
        Source::Alb { .. } => ALB_LAMBDA_LIMIT,
        _ => LAMBDA_RESPONSE_LIMIT,
    };
    if json.len() <= limit {
        return Ok(());
    }
    let reason = format!(
        "the response JSON is {} bytes, over the {limit}-byte limit of {}",
        json.len(),
        if limit == LAMBDA_RESPONSE_LIMIT {
            "a synchronous Lambda invocation"
        } else {
            "ALB's Lambda targets"
        }
    );
    Err(Refused::new(
        FailureKind::Function,
        "response-too-large",
        reason,
    ))
}

/// Checks the source's limits on the response the function returned:
/// ALB's 32 K for all response headers together. What the client receives
/// past it is not documented; crossdrive answers ALB's 502 (a model).
pub(crate) fn check_response(source: Source, response: &Response<Bytes>) -> Result<(), Refused> {
    if !matches!(source, Source::Alb { .. }) {
        return Ok(());
    }
    let all: usize = response.headers().iter().map(|(n, v)| wire_len(n, v)).sum();
    if all <= ALB_RESPONSE_HEADERS_LIMIT {
        return Ok(());
    }
    let reason = format!(
        "the response headers are {all} bytes, over ALB's {ALB_RESPONSE_HEADERS_LIMIT}-byte \
         limit for a whole response header"
    );
    Err(Refused::new(
        FailureKind::Function,
        "response-headers-too-large",
        reason,
    ))
}
