//! The headers an event source adds to every response on its way out to
//! the client, whether the function answered or the source itself did.
//!
//! Recorded against AWS; each source adds what its recordings show and
//! nothing else:
//!
//! | source | added | recording |
//! |---|---|---|
//! | REST (Regional, private) | `Date`, `x-amzn-RequestId`, `x-amz-apigw-id`, and on the function's own response `X-Amzn-Trace-Id` | aws/aws-lambda-dotnet @83149216, `Tools/LambdaTestTool-v2/tests/Amazon.Lambda.TestTool.UnitTests/Snapshots/V1_APIHeadersRest.json`; the 502 for a malformed response (`V1_HandlesZeroStatusCodeRest.json`) has no trace header |
//! | REST, edge-optimized | the same, and CloudFront's `Via`, `X-Amz-Cf-Id`, `X-Amz-Cf-Pop`, `X-Cache: Miss from cloudfront` | localstack/localstack @8b9a79f0, `tests/aws/services/apigateway/test_apigateway_common.py` `TestApiGatewayCommon::test_invocation_trace_id` (snapshot `normal-req-headers-AWS_PROXY`) and `test_apigateway_lambda.py` `test_aws_proxy_response_payload_format_validation` (`invoke-api-with-headers`) |
//! | HTTP API | `Date`, `Apigw-Requestid`; no trace header | aws-lambda-dotnet, `V2_HttpAPIHeaders.json` |
//! | Function URL (buffered) | `x-amzn-RequestId`, the invocation's Lambda request id | localstack, `tests/aws/services/lambda_/test_lambda.py` `TestRequestIdHandling::test_request_id_invoke_url` (the header and the log's `END RequestId:` are the same `<uuid:1>`) |
//! | streamed Function URL, ALB | nothing | no recording found |
//!
//! The ids are the invocation's own (`clock.rs`), so the response names
//! the same request as the event: REST's `x-amzn-RequestId` is the event's
//! `requestContext.requestId` and `x-amz-apigw-id` its
//! `extendedRequestId`, HTTP API's `Apigw-Requestid` its
//! `requestContext.requestId` (that AWS uses the same values is a model:
//! no recording holds both sides of one request). A client-sent
//! `X-Amzn-Trace-Id` comes back in REST's trace header, with a `Parent`
//! added when it had none (`trace-id-req-headers-AWS_PROXY`,
//! `trace-id-small-req-headers-AWS_PROXY`).
//!
//! Left out on purpose: `Connection: keep-alive` (every recording has it)
//! describes the client's TCP connection, which an in-process driver does
//! not have and which an HTTP client removes before the application sees
//! the response; `Content-Length` is the framing the body already has. A
//! header the function set itself is kept as it set it.

use http::{HeaderMap, HeaderName, HeaderValue};

use super::clock::Invocation;
use super::options::{Endpoint, LambdaOptions, Source};

/// Adds the headers `options.source` adds on the way out. `function_answered`
/// is false when the source answered itself (a failure or a limit).
pub(crate) fn stamp(
    options: &LambdaOptions,
    invocation: &Invocation,
    request_headers: &HeaderMap,
    function_answered: bool,
    headers: &mut HeaderMap,
) {
    let date = http_date;
    match options.source {
        Source::Rest => {
            add(headers, "date", date());
            add(headers, "x-amzn-requestid", invocation.gateway_uuid.clone());
            add(headers, "x-amz-apigw-id", invocation.gateway_id.clone());
            if function_answered {
                add(
                    headers,
                    "x-amzn-trace-id",
                    rest_trace(invocation, request_headers),
                );
            }
            if options.get_endpoint() == Endpoint::EdgeOptimized {
                add(headers, "via", invocation.edge_via());
                add(headers, "x-amz-cf-id", invocation.edge_request_id());
                // A CloudFront edge location (`IAD89-C3` form: airport code,
                // number, suffix); the recordings replace it, so the one
                // used is a plausible edge, not a recorded value.
                add(headers, "x-amz-cf-pop", "IAD89-C3".to_owned());
                add(headers, "x-cache", "Miss from cloudfront".to_owned());
            }
        }
        Source::HttpApi => {
            add(headers, "date", date());
            add(headers, "apigw-requestid", invocation.gateway_id.clone());
        }
        Source::FunctionUrl => {
            add(headers, "x-amzn-requestid", invocation.request_id.clone());
        }
        Source::Alb { .. } => {}
    }
}

/// REST's response trace header: the client's own, with a `Parent` of
/// API Gateway's when it had none; otherwise the event's root with API
/// Gateway's parent.
fn rest_trace(invocation: &Invocation, request_headers: &HeaderMap) -> String {
    match request_headers
        .get("x-amzn-trace-id")
        .and_then(|v| v.to_str().ok())
    {
        Some(sent) if sent.contains("Parent=") => sent.to_owned(),
        Some(sent) => format!("{sent};Parent={}", invocation.gateway_parent()),
        None => invocation.gateway_trace(),
    }
}

/// The `Date` of the moment the response goes out, formatted once per
/// second and thread: every REST and HTTP API response carries one, and
/// formatting an IMF-fixdate costs more than the rest of the headers
/// together.
fn http_date() -> String {
    use std::cell::RefCell;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};
    thread_local! {
        static LAST: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let second = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    LAST.with_borrow_mut(|(at, formatted)| {
        if *at != second {
            *formatted = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(second));
            *at = second;
        }
        formatted.clone()
    })
}

/// Inserts `name: value` unless the function set the header itself.
fn add(headers: &mut HeaderMap, name: &'static str, value: String) {
    let name = HeaderName::from_static(name);
    if headers.contains_key(&name) {
        return;
    }
    // Every value here is ASCII built from hex, base64 and digits.
    if let Ok(value) = HeaderValue::try_from(value) {
        headers.insert(name, value);
    }
}
