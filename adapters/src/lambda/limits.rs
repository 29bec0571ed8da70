//! AWS limits, checked where AWS checks them.
//!
//! - API Gateway (REST and HTTP API): 10 MB payload and 10,240 bytes of
//!   request line plus headers, checked on the client's request.
//! - ALB with a Lambda target: 1 MB request body and 1 MB response JSON.
//! - Lambda synchronous invocation: 6 MB (6,291,456 bytes) of event JSON
//!   in, and 6,291,556 bytes of response JSON out: the figure in Lambda's
//!   own error, "Response payload size exceeded maximum allowed payload
//!   size (6291556 bytes)" (quoted in DataBiosphere/azul#7466 and
//!   umihico/pythonista-chromeless#11), 100 bytes over the request's.

use bytes::Bytes;
use http::Request;

use super::options::Source;

/// Lambda's synchronous invocation payload limit on the event.
///
/// ```
/// use crossdrive_adapters::lambda::{API_GATEWAY_PAYLOAD_LIMIT, LAMBDA_PAYLOAD_LIMIT};
/// assert_eq!(LAMBDA_PAYLOAD_LIMIT, 6_291_456);
/// assert!(LAMBDA_PAYLOAD_LIMIT < API_GATEWAY_PAYLOAD_LIMIT); // Lambda refuses first
/// ```
pub const LAMBDA_PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;
/// Lambda's synchronous invocation limit on the response JSON, as its own
/// error message states it: 6,291,556 bytes.
///
/// ```
/// use crossdrive_adapters::lambda::{LAMBDA_PAYLOAD_LIMIT, LAMBDA_RESPONSE_LIMIT};
/// assert_eq!(LAMBDA_RESPONSE_LIMIT, 6_291_556);
/// assert_eq!(LAMBDA_RESPONSE_LIMIT - LAMBDA_PAYLOAD_LIMIT, 100); // 100 bytes over the event's
/// ```
pub const LAMBDA_RESPONSE_LIMIT: usize = 6_291_556;
/// API Gateway's payload limit.
///
/// ```
/// assert_eq!(crossdrive_adapters::lambda::API_GATEWAY_PAYLOAD_LIMIT, 10 << 20);
/// ```
pub const API_GATEWAY_PAYLOAD_LIMIT: usize = 10 * 1024 * 1024;
/// API Gateway's limit on the request line and headers together.
///
/// ```
/// use crossdrive_adapters::lambda::{API_GATEWAY_HEADER_LIMIT, Lambda, LambdaOptions, Source};
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
/// use crossdrive_adapters::lambda::{ALB_LAMBDA_LIMIT, Lambda, LambdaOptions, Source};
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

/// A limit the request broke before any event was built.
pub(crate) enum Broken {
    Payload(String),
    Headers(String),
}

/// `METHOD target HTTP/1.1\r\n`, in bytes.
fn request_line(request: &Request<Bytes>) -> usize {
    request.method().as_str().len()
        + 1
        + request
            .uri()
            .path_and_query()
            .map_or(1, |pq| pq.as_str().len())
        + " HTTP/1.1\r\n".len()
}

/// Checks the source's own limits on the client's request.
pub(crate) fn check_request(source: Source, request: &Request<Bytes>) -> Option<Broken> {
    let size = request.body().len();
    match source {
        Source::Rest | Source::HttpApi => {
            if size > API_GATEWAY_PAYLOAD_LIMIT {
                return Some(Broken::Payload(format!(
                    "the request body is {size} bytes, over API Gateway's \
                     {API_GATEWAY_PAYLOAD_LIMIT}-byte payload limit"
                )));
            }
            let line = request.method().as_str().len()
                + request
                    .uri()
                    .path_and_query()
                    .map_or(1, |pq| pq.as_str().len())
                + " HTTP/1.1".len()
                + 1;
            let headers: usize = request
                .headers()
                .iter()
                .map(|(k, v)| k.as_str().len() + v.len())
                .sum();
            if line + headers > API_GATEWAY_HEADER_LIMIT {
                return Some(Broken::Headers(format!(
                    "the request line and headers are {} bytes, over API Gateway's \
                     {API_GATEWAY_HEADER_LIMIT}-byte limit",
                    line + headers
                )));
            }
        }
        Source::Alb { .. } => {
            let line = request_line(request);
            if line > ALB_REQUEST_LINE_LIMIT {
                return Some(Broken::Headers(format!(
                    "the request line is {line} bytes, over ALB's {ALB_REQUEST_LINE_LIMIT}-byte limit"
                )));
            }
            // Each header as it goes on the wire: `name: value\r\n`.
            let mut all = 0;
            for (name, value) in request.headers() {
                let one = name.as_str().len() + 2 + value.len() + 2;
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
            if size > ALB_LAMBDA_LIMIT {
                return Some(Broken::Payload(format!(
                    "the request body is {size} bytes, over ALB's {ALB_LAMBDA_LIMIT}-byte limit \
                     for Lambda targets"
                )));
            }
        }
        _ => {}
    }
    None
}

/// The most response JSON the source accepts from the function.
pub(crate) fn response_limit(source: Source) -> usize {
    match source {
        Source::Alb { .. } => ALB_LAMBDA_LIMIT,
        _ => LAMBDA_RESPONSE_LIMIT,
    }
}
