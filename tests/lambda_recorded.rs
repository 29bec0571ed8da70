//! What the Lambda drivers do that recordings made against real AWS show,
//! where crossdrive did something else before (issue 23).
//!
//! Each test names the recording it follows: a localstack test marked
//! `@markers.aws.validated` (localstack/localstack @8b9a79f0, with its
//! `.snapshot.json`), or a snapshot aws-lambda-dotnet's LambdaTestTool v2
//! recorded from real API Gateway APIs (aws/aws-lambda-dotnet @83149216,
//! `Tools/LambdaTestTool-v2/tests/Amazon.Lambda.TestTool.UnitTests/Snapshots/`).
//! docs/lambda-fidelity.md lists them as sources.

mod support;
use support::lambda_failure;

use axum::Router;
use axum::body::Body;
use axum::extract::Request as AxumRequest;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use crossdrive::lambda::{Endpoint, Lambda, LambdaOptions, Source, build_event};
use crossdrive::{Client, TestResponse};
use serde_json::{Value, json};

fn app() -> Router {
    Router::new()
        // A body without a Content-Type: what the recorded functions return.
        .route(
            "/hello",
            get(|| async { Response::new(Body::from("Hello, World!")) }),
        )
        .route("/binary", get(binary))
        .route("/panic", get(|| async { panic_now() }))
        .route("/context", get(context))
        .route("/echo", get(echo))
        .route("/echo/{*rest}", get(echo))
}

fn panic_now() -> &'static str {
    panic!("the handler exploded")
}

async fn binary() -> Response {
    let bytes: Vec<u8> = (0..=255u8).collect();
    ([("content-type", "application/octet-stream")], bytes).into_response()
}

async fn echo(uri: Uri, headers: HeaderMap) -> axum::Json<Value> {
    axum::Json(json!({
        "path": uri.path(),
        "trace": headers.get("x-amzn-trace-id").and_then(|v| v.to_str().ok()),
    }))
}

/// The ids the event handed the app: Lambda's request id, and the
/// source's own `requestContext.requestId` (lambda_http keeps no
/// `extendedRequestId`).
async fn context(request: AxumRequest) -> axum::Json<Value> {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    let lambda = request
        .extensions()
        .get::<lambda_http::Context>()
        .map(|c| c.request_id.clone());
    let gateway = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(c)) => c.request_id.clone(),
        Some(RequestContext::ApiGatewayV2(c)) => c.request_id.clone(),
        _ => None,
    };
    axum::Json(json!({
        "lambda_request_id": lambda,
        "gateway_request_id": gateway,
        "trace": request.headers().get("x-amzn-trace-id").and_then(|v| v.to_str().ok()),
    }))
}

fn client(options: LambdaOptions) -> Client {
    Client::new(Lambda::new(app(), options))
}

fn on(source: Source) -> Client {
    client(LambdaOptions::new(source))
}

fn has_note(response: &TestResponse, code: &str) -> bool {
    response.notes().iter().any(|n| n.code == code)
}

fn header<'a>(response: &'a TestResponse, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

fn event(source_options: &LambdaOptions, path: &str) -> Value {
    let request = http::Request::get(path)
        .body(bytes::Bytes::new())
        .expect("a request");
    serde_json::from_slice(&build_event(&request, source_options)).expect("event JSON")
}

/// An IMF-fixdate, `Mon, 14 Apr 2025 22:10:22 GMT` as recorded.
fn is_http_date(text: &str) -> bool {
    text.len() == 29 && text.ends_with(" GMT") && text.as_bytes()[3] == b','
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text
            .char_indices()
            .all(|(i, c)| matches!(i, 8 | 13 | 18 | 23) == (c == '-'))
}

// ---- Binary responses on REST ----------------------------------------------

/// localstack/localstack @8b9a79f0,
/// tests/aws/services/apigateway/test_apigateway_lambda.py
/// `test_aws_proxy_binary_response` (validated 2025-01-29): the response's
/// Content-Type does not count ("it seems it does not matter, only Accept
/// is checked"), only the first media type of the request's Accept.
#[tokio::test]
async fn rest_converts_base64_on_the_first_accept_type_alone_as_localstacks_aws_proxy_binary_response_recorded()
 {
    let all: Vec<u8> = (0..=255u8).collect();
    let rest =
        client(LambdaOptions::new(Source::Rest).binary_media_types(["application/octet-stream"]));
    // The response is application/octet-stream, a binary media type, but
    // the client accepts something else (or sends no Accept).
    for accept in [None, Some("image/jpg"), Some("*/*")] {
        let request = rest.get("/binary");
        let request = match accept {
            Some(accept) => request.header("accept", accept),
            None => request,
        };
        let response = request.await;
        response.assert_status(200);
        assert_ne!(response.bytes().as_ref(), all.as_slice(), "{response}");
        assert!(has_note(&response, "rest-base64-not-decoded"), "{response}");
    }
    // The first Accept type is one: bytes, whatever the response says.
    rest.get("/binary")
        .header("accept", "application/octet-stream, text/html")
        .await
        .assert_bytes(&all);
}

// ---- The Content-Type a source gives a response without one ----------------

/// HTTP API: aws/aws-lambda-dotnet @83149216, LambdaTestTool-v2 snapshot
/// `V2_DefaultsToTextPlainContentType.json` (`Hello, World!` with
/// `Content-Type: text/plain; charset=utf-8`). Function URL:
/// localstack/localstack @8b9a79f0, tests/aws/services/lambda_/test_lambda.py
/// `TestLambdaURL::test_lambda_url_invocation[http-response]`, snapshot
/// `lambda_url_invocation` (`body123` with `Content-Type: application/json`).
#[tokio::test]
async fn payload_2_sources_give_a_response_without_content_type_their_recorded_default() {
    for (source, expected) in [
        (Source::HttpApi, "text/plain; charset=utf-8"),
        (Source::FunctionUrl, "application/json"),
        // REST's, recorded too: V1_DefaultsToCorrectContentTYpeRest.json.
        (Source::Rest, "application/json"),
    ] {
        let response = on(source).get("/hello").await;
        response.assert_status(200).assert_text("Hello, World!");
        assert_eq!(
            header(&response, "content-type"),
            Some(expected),
            "{response}"
        );
    }
    let http_api = on(Source::HttpApi).get("/hello").await;
    assert!(has_note(&http_api, "v2-default-content-type"), "{http_api}");
    // ALB: nothing recorded, nothing added.
    let alb = on(Source::Alb {
        multi_value_headers: false,
    })
    .get("/hello")
    .await;
    assert!(alb.headers().get("content-type").is_none(), "{alb}");
}

// ---- A Function URL's answer to a failed function --------------------------

/// localstack/localstack @8b9a79f0, tests/aws/services/lambda_/test_lambda.py
/// `TestLambdaURL::test_lambda_url_invocation_exception` (validated
/// 2025-11-24): 502 with the plain text `Internal Server Error`.
#[tokio::test]
async fn a_function_url_answers_an_unhandled_error_with_plain_text_as_localstacks_invocation_exception_recorded()
 {
    let response = on(Source::FunctionUrl).get("/panic").await;
    response
        .assert_status(502)
        .assert_text("Internal Server Error");
    assert_eq!(
        header(&response, "content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(lambda_failure(&response).code, "handler-panic");
}

// ---- REST paths --------------------------------------------------------------

/// localstack/localstack @8b9a79f0,
/// tests/aws/services/apigateway/test_apigateway_lambda.py
/// `test_lambda_aws_proxy_integration` (validated 2024-08-02), snapshot
/// `invocation-payload-with-trailing-slash`: `proxy` `proxy-value` for
/// `/stage/proxy-value/`, while `path` keeps the slash.
#[test]
fn rest_drops_a_trailing_slash_from_the_proxy_parameter_as_localstacks_aws_proxy_integration_recorded()
 {
    let trailing = event(
        &LambdaOptions::new(Source::Rest).stage("stage"),
        "/proxy-value/",
    );
    assert_eq!(trailing["pathParameters"]["proxy"], "proxy-value");
    assert_eq!(trailing["path"], "/proxy-value/");
    assert_eq!(trailing["requestContext"]["path"], "/stage/proxy-value/");
    // `//` inside stays (`invocation-payload-with-double-slash`).
    let double = event(
        &LambdaOptions::new(Source::Rest).stage("stage"),
        "/proxy-value//double-slash",
    );
    assert_eq!(
        double["pathParameters"]["proxy"],
        "proxy-value//double-slash"
    );
    assert_eq!(double["path"], "/proxy-value//double-slash");
}

/// The same test, snapshots `invocation-payload-with-prepended-slash`
/// (`/stage//proxy-value`: `path` `/proxy-value`, `requestContext.path`
/// `/stage//proxy-value`) and `invocation-hardcoded`.
#[tokio::test]
async fn rest_collapses_the_leading_slashes_of_the_path_as_localstacks_aws_proxy_integration_recorded()
 {
    let options = LambdaOptions::new(Source::Rest).stage("stage");
    let leading = event(&options, "//proxy-value");
    assert_eq!(leading["path"], "/proxy-value");
    assert_eq!(leading["pathParameters"]["proxy"], "proxy-value");
    assert_eq!(leading["requestContext"]["path"], "/stage//proxy-value");
    assert_eq!(leading["resource"], "/{proxy+}");
    // The app routes on `path`, so it sees one slash.
    let response = client(options).get("//echo").await;
    response.assert_status(200);
    assert_eq!(response.json::<Value>()["path"], "/echo", "{response}");
    assert!(
        has_note(&response, "rest-leading-slashes-collapsed"),
        "{response}"
    );
}

// ---- Response headers each source adds ----------------------------------------

/// aws/aws-lambda-dotnet @83149216, LambdaTestTool-v2 snapshot
/// `V1_APIHeadersRest.json` (a Regional REST API): `Date`,
/// `x-amzn-RequestId` (a UUID), `x-amz-apigw-id` (`JCIoWGiIvHcEsxg=`),
/// `X-Amzn-Trace-Id` (`Root=1-…;Parent=…;Sampled=0;Lineage=1:6e5eb7d9:0`).
#[tokio::test]
async fn a_rest_api_stamps_its_ids_on_the_response_as_dotnets_v1_api_headers_rest_recorded() {
    let rest = on(Source::Rest);
    let response = rest.get("/context").await;
    response.assert_status(200);
    let seen: Value = response.json();
    let request_id = header(&response, "x-amzn-requestid").expect("x-amzn-RequestId");
    assert!(is_uuid(request_id), "{request_id}");
    assert_eq!(seen["gateway_request_id"], request_id);
    let apigw_id = header(&response, "x-amz-apigw-id").expect("x-amz-apigw-id");
    assert!(
        apigw_id.len() == 16 && apigw_id.ends_with('='),
        "{apigw_id}"
    );
    assert!(is_http_date(header(&response, "date").expect("Date")));
    let trace = header(&response, "x-amzn-trace-id").expect("X-Amzn-Trace-Id");
    let parts: Vec<&str> = trace.split(';').collect();
    assert_eq!(parts.len(), 4, "{trace}");
    // The root is the one the function's invocation carried.
    let app_root = seen["trace"].as_str().and_then(|t| t.split(';').next());
    assert_eq!(Some(parts[0]), app_root, "{trace}");
    assert!(
        parts[1].starts_with("Parent=") && parts[1].len() == 23,
        "{trace}"
    );
    assert_eq!(parts[2], "Sampled=0");
    assert!(
        parts[3].starts_with("Lineage=1:") && parts[3].ends_with(":0"),
        "{trace}"
    );
    // Fresh ids on every request.
    let again = rest.get("/context").await;
    assert_ne!(header(&again, "x-amzn-requestid"), Some(request_id));
    assert_ne!(header(&again, "x-amz-apigw-id"), Some(apigw_id));
    // Nothing the recordings do not show: no Connection (see outbound.rs).
    assert!(response.headers().get("connection").is_none());
}

/// localstack/localstack @8b9a79f0,
/// tests/aws/services/apigateway/test_apigateway_common.py
/// `TestApiGatewayCommon::test_invocation_trace_id` (validated
/// 2024-08-07): a client's trace header comes back with its own `Parent`,
/// or with one of API Gateway's when it had none; an edge-optimized API
/// adds CloudFront's `Via`, `X-Amz-Cf-Id`, `X-Amz-Cf-Pop`, `X-Cache`
/// (snapshot `normal-req-headers-AWS_PROXY`).
#[tokio::test]
async fn a_rest_api_returns_the_clients_trace_and_cloudfronts_headers_as_localstacks_invocation_trace_id_recorded()
 {
    let full = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1";
    let root = "Root=1-3152b799-8954dae64eda91bc9a23a7e8";
    let rest = on(Source::Rest);
    let kept = rest.get("/echo").header("x-amzn-trace-id", full).await;
    let trace = header(&kept, "x-amzn-trace-id").expect("a trace header");
    assert!(trace.contains(full), "{trace}");
    assert_eq!(trace.split(';').nth(1), Some("Parent=7fa8c0f79203be72"));
    let small = rest.get("/echo").header("x-amzn-trace-id", root).await;
    let trace = header(&small, "x-amzn-trace-id").expect("a trace header");
    assert!(trace.starts_with(root), "{trace}");
    let parent = trace.split(';').nth(1).unwrap_or_default();
    assert!(
        parent.starts_with("Parent=") && parent != "Parent=7fa8c0f79203be72",
        "{trace}"
    );

    let edge = client(LambdaOptions::new(Source::Rest).endpoint(Endpoint::EdgeOptimized))
        .get("/echo")
        .await;
    assert_eq!(header(&edge, "x-cache"), Some("Miss from cloudfront"));
    for name in [
        "via",
        "x-amz-cf-id",
        "x-amz-cf-pop",
        "x-amzn-requestid",
        "x-amz-apigw-id",
    ] {
        assert!(edge.headers().get(name).is_some(), "no {name}: {edge}");
    }
    // A Regional API has no CloudFront in front of it.
    assert!(kept.headers().get("x-cache").is_none(), "{kept}");
}

/// aws/aws-lambda-dotnet @83149216, LambdaTestTool-v2 snapshot
/// `V1_HandlesZeroStatusCodeRest.json`: the REST API's own 502 carries
/// its ids and `x-amzn-ErrorType`, and no trace header.
#[tokio::test]
async fn a_rest_apis_own_502_carries_its_ids_and_error_type_but_no_trace_as_dotnets_v1_handles_zero_status_code_rest_recorded()
 {
    let response = on(Source::Rest).get("/panic").await;
    response.assert_status(502);
    assert_eq!(
        header(&response, "x-amzn-errortype"),
        Some("InternalServerErrorException")
    );
    assert!(
        response.headers().get("x-amzn-requestid").is_some(),
        "{response}"
    );
    assert!(
        response.headers().get("x-amz-apigw-id").is_some(),
        "{response}"
    );
    assert!(response.headers().get("date").is_some(), "{response}");
    assert!(
        response.headers().get("x-amzn-trace-id").is_none(),
        "{response}"
    );
}

/// aws/aws-lambda-dotnet @83149216, LambdaTestTool-v2 snapshot
/// `V2_HttpAPIHeaders.json`: `Date` and `Apigw-Requestid`
/// (`JCIndgObPHcEJVQ=`), no trace header and no `x-amzn-RequestId`.
#[tokio::test]
async fn an_http_api_stamps_date_and_apigw_requestid_as_dotnets_v2_http_api_headers_recorded() {
    let response = on(Source::HttpApi).get("/context").await;
    response.assert_status(200);
    let seen: Value = response.json();
    let id = header(&response, "apigw-requestid").expect("Apigw-Requestid");
    assert_eq!(id.len(), 16, "{id}");
    assert_eq!(seen["gateway_request_id"], id);
    assert!(is_http_date(header(&response, "date").expect("Date")));
    for absent in ["x-amzn-trace-id", "x-amzn-requestid", "x-amz-apigw-id"] {
        assert!(
            response.headers().get(absent).is_none(),
            "{absent}: {response}"
        );
    }
    // Its own 500 too.
    let failed = on(Source::HttpApi).get("/panic").await;
    failed.assert_status(500);
    assert!(
        failed.headers().get("apigw-requestid").is_some(),
        "{failed}"
    );
}

/// localstack/localstack @8b9a79f0, tests/aws/services/lambda_/test_lambda.py
/// `TestRequestIdHandling::test_request_id_invoke_url` (validated
/// 2025-11-24): `x-amzn-RequestId` is the invocation's request id (the
/// same `<uuid:1>` as the log's `END RequestId:`).
#[tokio::test]
async fn a_function_url_answers_with_the_invocations_request_id_as_localstacks_request_id_invoke_url_recorded()
 {
    let url = on(Source::FunctionUrl);
    let response = url.get("/context").await;
    response.assert_status(200);
    let seen: Value = response.json();
    let id = header(&response, "x-amzn-requestid").expect("x-amzn-RequestId");
    assert!(is_uuid(id), "{id}");
    assert_eq!(seen["lambda_request_id"], id);
    let again = url.get("/context").await;
    assert_ne!(header(&again, "x-amzn-requestid"), Some(id));
    // ALB: nothing recorded, nothing added.
    let alb = on(Source::Alb {
        multi_value_headers: false,
    })
    .get("/context")
    .await;
    assert!(alb.headers().get("x-amzn-requestid").is_none(), "{alb}");
}
