//! What Lambda changes, and how the Lambda drivers fail.
//!
//! Each "what Lambda changes" test asserts the real behaviour of AWS or
//! lambda_http, and the note that makes it visible, so a user sees why a
//! test that passes on `direct` or `http1` fails on a Lambda driver. The
//! rest cover the limits, failures, sample events and the runtime loop.

mod support;
use support::lambda_failure;

use std::time::Duration;

use axum::Router;
use axum::body::Bytes as AxumBytes;
use axum::extract::{Path, Request as AxumRequest};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{get, post};
use crossdrive::Client;
use crossdrive::lambda::{
    Endpoint, Lambda, LambdaFailure, LambdaOptions, Source, build_event, decode_event, runtime,
};
use serde_json::{Value, json};

/// An app that shows what it received and misbehaves on request.
fn app() -> Router {
    Router::new()
        .route("/echo", get(echo).post(echo))
        .route("/echo/{*rest}", get(echo))
        .route("/body", post(|body: AxumBytes| async move { body }))
        .route(
            "/body-text",
            post(|body: AxumBytes| async move {
                ([("content-type", "text/plain; charset=utf-8")], body)
            }),
        )
        .route(
            "/repeat",
            get(|| async {
                (
                    AppendHeaders([("x-multi", "a"), ("x-multi", "b")]),
                    "two values",
                )
            }),
        )
        .route(
            "/cookies",
            get(|| async {
                (
                    AppendHeaders([
                        ("set-cookie", "a=1"),
                        ("set-cookie", "b=2"),
                        ("set-cookie", "c=3"),
                    ]),
                    "three cookies",
                )
            }),
        )
        .route("/binary", get(binary))
        .route("/panic", get(|| async { panic_now() }))
        .route(
            "/sleep",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                "late"
            }),
        )
        .route("/big", get(|| async { "x".repeat(7 * 1024 * 1024) }))
        .route(
            "/sized/{len}",
            get(|Path(len): Path<usize>| async move {
                ([("content-type", "text/plain")], "x".repeat(len))
            }),
        )
        .route("/context", get(context))
        .route(
            "/many-headers/{n}",
            get(|Path(n): Path<usize>| async move {
                let mut headers = HeaderMap::new();
                for i in 0..n {
                    let value = "v".repeat(1024).parse().expect("a header value");
                    headers.insert(
                        axum::http::HeaderName::try_from(format!("x-h{i}")).expect("a name"),
                        value,
                    );
                }
                (headers, "many headers")
            }),
        )
        .route("/no-content", get(|| async { StatusCode::NO_CONTENT }))
        .route(
            "/hop-by-hop",
            get(|| async {
                (
                    AppendHeaders([
                        ("connection", "x-private"),
                        ("x-private", "for the next hop only"),
                        ("keep-alive", "timeout=5"),
                        ("transfer-encoding", "chunked"),
                        ("upgrade", "h2c"),
                        ("trailer", "x-checksum"),
                        ("proxy-authenticate", "Basic"),
                        ("x-kept", "end to end"),
                    ]),
                    "hop by hop",
                )
            }),
        )
}

fn panic_now() -> &'static str {
    panic!("the handler exploded")
}

async fn echo(uri: Uri, headers: HeaderMap, body: AxumBytes) -> axum::Json<Value> {
    let mut map = serde_json::Map::new();
    for name in headers.keys() {
        let values: Vec<Value> = headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        map.insert(name.as_str().to_owned(), Value::Array(values));
    }
    axum::Json(json!({
        "path": uri.path(),
        "query": uri.query(),
        "headers": map,
        "body": String::from_utf8_lossy(&body),
    }))
}

async fn binary() -> Response {
    let bytes: Vec<u8> = (0..=255u8).collect();
    ([("content-type", "application/octet-stream")], bytes).into_response()
}

async fn context(request: AxumRequest) -> axum::Json<Value> {
    let ctx = request.extensions().get::<lambda_http::Context>();
    axum::Json(json!({
        "request_id": ctx.map(|c| c.request_id.clone()),
        "deadline": ctx.map(|c| c.deadline),
        "arn": ctx.map(|c| c.invoked_function_arn.clone()),
        "memory": ctx.map(|c| c.env_config.memory),
        "function_name": ctx.map(|c| c.env_config.function_name.clone()),
        "trace": request.headers().get("x-amzn-trace-id").and_then(|v| v.to_str().ok()),
        "gateway_request_id": gateway_request_id(&request),
        "env_function_name": std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok(),
        "pid": std::process::id(),
    }))
}

/// The `requestContext.requestId` lambda_http hands the app.
fn gateway_request_id(request: &AxumRequest) -> Option<String> {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV1(c) => c.request_id.clone(),
        RequestContext::ApiGatewayV2(c) => c.request_id.clone(),
        _ => None,
    }
}

fn client(options: LambdaOptions) -> Client {
    Client::new(Lambda::new(app(), options))
}

fn on(source: Source) -> Client {
    client(LambdaOptions::new(source))
}

const ALB: Source = Source::Alb {
    multi_value_headers: false,
};
const ALB_MULTI: Source = Source::Alb {
    multi_value_headers: true,
};

fn has_note(response: &crossdrive::TestResponse, code: &str) -> bool {
    response.notes().iter().any(|n| n.code == code)
}

// ---- What Lambda changes -------------------------------------------------

#[tokio::test]
async fn http_api_responses_keep_only_the_first_value_of_a_repeated_header() {
    for source in [Source::HttpApi, Source::FunctionUrl] {
        let response = on(source).get("/repeat").await;
        response
            .assert_status(200)
            .assert_header_all("x-multi", &["a"]);
        assert!(has_note(&response, "v2-first-value-only"), "{response}");
    }
    // REST keeps both, in multiValueHeaders.
    on(Source::Rest)
        .get("/repeat")
        .await
        .assert_header_all("x-multi", &["a", "b"]);
}

#[tokio::test]
async fn set_cookie_travels_in_cookies_on_http_api_and_three_stay_three() {
    let response = on(Source::HttpApi).get("/cookies").await;
    response.assert_header_all("set-cookie", &["a=1", "b=2", "c=3"]);
    assert!(
        has_note(&response, "v2-set-cookie-in-cookies"),
        "{response}"
    );
}

#[tokio::test]
async fn alb_without_multi_value_headers_returns_only_the_first_set_cookie() {
    let response = on(ALB).get("/cookies").await;
    response.assert_header_all("set-cookie", &["a=1"]);
    assert!(has_note(&response, "alb-first-value-only"), "{response}");
    on(ALB_MULTI)
        .get("/cookies")
        .await
        .assert_header_all("set-cookie", &["a=1", "b=2", "c=3"]);
}

#[tokio::test]
async fn rest_request_headers_override_multi_value_headers_of_the_same_name() {
    let response = on(Source::Rest)
        .get("/echo")
        .header("x-dup", "1")
        .header("x-dup", "2")
        .await;
    let seen: Value = response.json();
    assert_eq!(seen["headers"]["x-dup"], json!(["2"]), "{response}");
    assert!(
        has_note(&response, "headers-override-multivalue"),
        "{response}"
    );
}

#[tokio::test]
async fn http_api_joins_repeated_request_headers_with_commas() {
    let response = on(Source::HttpApi)
        .get("/echo")
        .header("x-dup", "1")
        .header("x-dup", "2")
        .await;
    let seen: Value = response.json();
    assert_eq!(seen["headers"]["x-dup"], json!(["1,2"]), "{response}");
    assert!(has_note(&response, "v2-headers-comma-joined"), "{response}");
}

#[tokio::test]
async fn alb_keeps_the_last_value_without_multi_value_headers_and_every_value_with_them() {
    let single = on(ALB)
        .get("/echo?k=1&k=2")
        .header("x-dup", "1")
        .header("x-dup", "2")
        .await;
    let seen: Value = single.json();
    assert_eq!(seen["headers"]["x-dup"], json!(["2"]), "{single}");
    assert_eq!(seen["query"], "k=2", "{single}");
    assert!(has_note(&single, "alb-last-value-only"), "{single}");

    let multi = on(ALB_MULTI)
        .get("/echo?k=1&k=2")
        .header("x-dup", "1")
        .header("x-dup", "2")
        .await;
    let seen: Value = multi.json();
    assert_eq!(seen["headers"]["x-dup"], json!(["1", "2"]), "{multi}");
    assert_eq!(seen["query"], "k=1&k=2", "{multi}");
}

#[tokio::test]
async fn http_api_passes_the_raw_query_string_as_sent() {
    let response = on(Source::HttpApi).get("/echo?b=2&a=1&a=%20x+y").await;
    let seen: Value = response.json();
    assert_eq!(seen["query"], "b=2&a=1&a=%20x+y", "{response}");
}

#[tokio::test]
async fn cookies_are_split_into_a_list_and_rejoined_into_one_cookie_header_on_http_api() {
    let client = on(Source::HttpApi);
    let response = client
        .get("/echo")
        .header("cookie", "a=1; b=2")
        .header("cookie", "c=3")
        .await;
    let seen: Value = response.json();
    assert_eq!(
        seen["headers"]["cookie"],
        json!(["a=1; b=2; c=3"]),
        "{response}"
    );
    assert!(has_note(&response, "v2-cookies-rejoined"), "{response}");
}

#[tokio::test]
async fn a_stage_prefix_appears_in_the_path_when_lambda_http_puts_it_there() {
    let prefixed = client(LambdaOptions::new(Source::Rest).stage_in_path(true))
        .get("/echo")
        .await;
    // The reference routes no longer match: `/prod/echo` is not `/echo`.
    prefixed.assert_status(404);
    assert!(has_note(&prefixed, "stage-prefix"), "{prefixed}");
    let nested = client(LambdaOptions::new(Source::Rest).stage_in_path(true))
        .get("/echo/x")
        .await;
    nested.assert_status(404);

    let default = on(Source::Rest).get("/echo").await;
    let seen: Value = default.json();
    assert_eq!(seen["path"], "/echo", "{default}");
    assert!(has_note(&default, "stage-not-in-path"), "{default}");
}

#[tokio::test]
async fn http_api_default_stage_never_appears_in_the_path_but_a_named_one_does() {
    let seen: Value = on(Source::HttpApi).get("/echo").await.json();
    assert_eq!(seen["path"], "/echo");
    let named = client(
        LambdaOptions::new(Source::HttpApi)
            .stage("v1")
            .stage_in_path(true),
    )
    .get("/echo")
    .await;
    named.assert_status(404);
    assert!(has_note(&named, "v2-stage-in-raw-path"), "{named}");
}

// ---- Captured AWS traffic (docs/lambda-fidelity.md) ------------------------

fn event_json(request: http::Request<bytes::Bytes>, options: &LambdaOptions) -> Value {
    serde_json::from_slice(&crossdrive::lambda::build_event(&request, options))
        .expect("the event is JSON")
}

fn request_to(target: &str) -> http::Request<bytes::Bytes> {
    http::Request::get(target)
        .body(bytes::Bytes::new())
        .expect("a request")
}

#[tokio::test]
async fn a_named_http_api_stage_is_in_raw_path_even_with_the_ignore_variable() {
    // AWS puts a named stage in rawPath; lambda_http leaves a path that
    // already starts with it alone, so the app sees it either way.
    let options = LambdaOptions::new(Source::HttpApi).stage("v1");
    let event = event_json(request_to("/echo"), &options);
    assert_eq!(event["rawPath"], "/v1/echo", "{event}");
    assert_eq!(
        event["requestContext"]["http"]["path"], "/v1/echo",
        "{event}"
    );
    // The app is routed by `/v1/echo`, which it does not serve.
    let response = client(options).get("/echo").await;
    response.assert_status(404);
    assert!(has_note(&response, "v2-stage-in-raw-path"), "{response}");
}

#[tokio::test]
async fn http_api_decodes_the_path_before_the_function_sees_it() {
    let options = LambdaOptions::new(Source::HttpApi);
    let event = event_json(request_to("/capture/space%20value"), &options);
    assert_eq!(event["rawPath"], "/capture/space value", "{event}");
    assert_eq!(
        event["requestContext"]["http"]["path"], "/capture/space value",
        "{event}"
    );
    // `%2F` becomes a separator: the app is routed by the decoded path.
    let response = on(Source::HttpApi).get("/echo/a%2Fb").await;
    let seen: Value = response.json();
    assert_eq!(seen["path"], "/echo/a/b", "{response}");
    assert!(has_note(&response, "v2-path-decoded"), "{response}");
}

#[tokio::test]
async fn function_url_events_match_the_captured_shape() {
    let options = LambdaOptions::new(Source::FunctionUrl);
    let request = http::Request::get("/capture/space%20value")
        .header("cookie", "session=abc123; theme=dark")
        .body(bytes::Bytes::new())
        .expect("a request");
    let event = event_json(request, &options);
    assert_eq!(event["rawPath"], "/capture/space%20value", "{event}");
    assert_eq!(
        event["requestContext"]["http"]["path"], "/capture/space value",
        "{event}"
    );
    assert_eq!(
        event["headers"]["cookie"], "session=abc123; theme=dark",
        "{event}"
    );
    assert_eq!(
        event["cookies"],
        json!(["session=abc123", "theme=dark"]),
        "{event}"
    );
    assert_eq!(event["headers"]["x-amzn-tls-version"], "TLSv1.3", "{event}");
    assert_eq!(
        event["headers"]["x-amzn-tls-cipher-suite"], "TLS_AES_128_GCM_SHA256",
        "{event}"
    );
}

#[tokio::test]
async fn rest_and_payload_2_form_decode_query_values() {
    for source in [Source::HttpApi, Source::FunctionUrl, Source::Rest] {
        let event = event_json(
            request_to("/echo?q=a+b&r=a%2Bb"),
            &LambdaOptions::new(source),
        );
        assert_eq!(
            event["queryStringParameters"]["q"], "a b",
            "{source:?}: {event}"
        );
        assert_eq!(
            event["queryStringParameters"]["r"], "a+b",
            "{source:?}: {event}"
        );
    }
    // On REST the app's query is rebuilt from the parameters: `+` was a space.
    let response = on(Source::Rest).get("/echo?q=a+b&r=a%2Bb").await;
    let seen: Value = response.json();
    let query = seen["query"].as_str().unwrap_or_default().to_owned();
    let pairs: Vec<(String, String)> = url_pairs(&query);
    assert!(
        pairs.contains(&("q".to_owned(), "a b".to_owned())),
        "{response}"
    );
    assert!(
        pairs.contains(&("r".to_owned(), "a+b".to_owned())),
        "{response}"
    );
}

/// A query string's pairs, form-decoded as the app's `Query` extractor does.
fn url_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(query).expect("a form-encoded query")
}

#[tokio::test]
async fn non_text_responses_travel_base64_and_arrive_intact() {
    let all: Vec<u8> = (0..=255u8).collect();
    for source in [Source::HttpApi, Source::FunctionUrl, ALB, ALB_MULTI] {
        let response = on(source).get("/binary").await;
        response.assert_bytes(&all);
        assert!(has_note(&response, "base64-response"), "{response}");
    }
}

#[tokio::test]
async fn rest_returns_base64_text_unless_a_binary_media_type_matches() {
    let all: Vec<u8> = (0..=255u8).collect();
    let plain = on(Source::Rest).get("/binary").await;
    assert_ne!(plain.bytes().as_ref(), all.as_slice());
    assert!(has_note(&plain, "rest-base64-not-decoded"), "{plain}");

    let configured =
        client(LambdaOptions::new(Source::Rest).binary_media_types(["application/octet-stream"]))
            .get("/binary")
            .header("accept", "application/octet-stream")
            .await;
    configured.assert_bytes(&all);
}

#[tokio::test]
async fn rest_mangles_a_binary_request_body_unless_a_binary_media_type_matches() {
    let raw = vec![0xff_u8, 0xfe, b'a'];
    let mangled = on(Source::Rest)
        .post("/body-text")
        .header("content-type", "application/octet-stream")
        .body(raw.clone())
        .await;
    mangled.assert_bytes("\u{fffd}\u{fffd}a".as_bytes());
    assert!(has_note(&mangled, "rest-binary-body-mangled"), "{mangled}");

    let intact =
        client(LambdaOptions::new(Source::Rest).binary_media_types(["application/octet-stream"]))
            .post("/body")
            .header("content-type", "application/octet-stream")
            .body(raw.clone())
            .await;
    assert!(has_note(&intact, "base64-request"), "{intact}");
    // The echoed body is binary, so it comes back base64 unless Accept matches.
    let accepted =
        client(LambdaOptions::new(Source::Rest).binary_media_types(["application/octet-stream"]))
            .post("/body")
            .header("content-type", "application/octet-stream")
            .header("accept", "application/octet-stream")
            .body(raw.clone())
            .await;
    accepted.assert_bytes(&raw);
}

#[tokio::test]
async fn binary_request_bodies_travel_base64_on_http_api_and_alb() {
    let all: Vec<u8> = (0..=255u8).collect();
    for source in [Source::HttpApi, Source::FunctionUrl, ALB] {
        let response = on(source)
            .post("/body")
            .header("content-type", "application/octet-stream")
            .body(all.clone())
            .await;
        response.assert_bytes(&all);
        assert!(has_note(&response, "base64-request"), "{response}");
    }
}

#[tokio::test]
async fn the_app_sees_a_lambda_context_with_request_id_deadline_arn_memory_and_trace_id() {
    let client = client(LambdaOptions::new(Source::HttpApi).memory_mb(512));
    let first: Value = client.get("/context").await.json();
    let second: Value = client.get("/context").await.json();
    assert_ne!(first["request_id"], second["request_id"]);
    assert_eq!(first["memory"], 512);
    assert_eq!(first["function_name"], "crossdrive-function");
    let arn = first["arn"].as_str().unwrap_or_default();
    assert!(arn.starts_with("arn:aws:lambda:us-east-1:"), "{first}");
    assert!(
        first["deadline"].as_u64().unwrap_or_default() > 0,
        "{first}"
    );
    let trace = first["trace"].as_str().unwrap_or_default();
    assert!(trace.starts_with("Root=1-"), "{first}");
}

#[tokio::test]
async fn every_driver_reports_its_event_shape_as_the_protocol() {
    for (source, shape) in [
        (Source::HttpApi, "apigw-http-v2"),
        (Source::FunctionUrl, "function-url"),
        (Source::Rest, "apigw-rest-v1"),
        (ALB, "alb"),
    ] {
        let response = on(source).get("/echo").await;
        assert_eq!(response.protocol().as_str(), shape);
    }
}

// ---- Limits and failures ---------------------------------------------------

#[tokio::test]
async fn a_body_over_api_gateways_10_mb_is_413_with_the_reason() {
    let response = on(Source::HttpApi)
        .post("/body")
        .body(vec![b'x'; 10 * 1024 * 1024 + 1])
        .await;
    response.assert_status(413);
    assert_eq!(lambda_failure(&response).code, "payload-too-large");
    assert!(
        lambda_failure(&response).reason.contains("10485760"),
        "{response}"
    );
}

#[tokio::test]
async fn an_event_over_lambdas_6_mb_is_413_with_the_reason() {
    let response = on(Source::FunctionUrl)
        .post("/body")
        .header("content-type", "text/plain")
        .body(vec![b'x'; 7 * 1024 * 1024])
        .await;
    response.assert_status(413);
    assert!(
        lambda_failure(&response).reason.contains("6291456"),
        "{response}"
    );
}

#[tokio::test]
async fn a_response_over_6_mb_is_the_sources_function_error() {
    let rest = on(Source::Rest).get("/big").await;
    rest.assert_status(502)
        .assert_json(&json!({"message": "Internal server error"}));
    assert_eq!(lambda_failure(&rest).code, "response-too-large");
    on(Source::HttpApi)
        .get("/big")
        .await
        .assert_status(500)
        .assert_json(&json!({"message": "Internal Server Error"}));
}

#[tokio::test]
async fn request_headers_over_10240_bytes_are_rejected_by_api_gateway() {
    let response = on(Source::Rest)
        .get("/echo")
        .header("x-big", "y".repeat(11_000))
        .await;
    response.assert_status(431);
    assert_eq!(lambda_failure(&response).code, "headers-too-large");
}

#[tokio::test]
async fn alb_rejects_a_body_over_1_mb() {
    let response = on(ALB)
        .post("/body")
        .body(vec![b'x'; 1024 * 1024 + 1])
        .await;
    response.assert_status(413);
    assert!(
        lambda_failure(&response).reason.contains("ALB"),
        "{response}"
    );
}

#[tokio::test]
async fn a_handler_panic_becomes_the_sources_error_response_not_a_crash() {
    for (source, status) in [
        (Source::HttpApi, 500),
        (Source::FunctionUrl, 502),
        (Source::Rest, 502),
        (ALB, 502),
    ] {
        let response = on(source).get("/panic").await;
        response.assert_status(status);
        let f = lambda_failure(&response);
        assert_eq!(f.code, "handler-panic");
        assert!(f.reason.contains("the handler exploded"), "{response}");
    }
}

#[tokio::test]
async fn a_handler_past_the_function_timeout_gets_the_sources_error_response() {
    let started = std::time::Instant::now();
    let response =
        client(LambdaOptions::new(Source::Rest).function_timeout(Duration::from_millis(100)))
            .get("/sleep")
            .await;
    response.assert_status(502);
    assert_eq!(lambda_failure(&response).code, "function-timeout");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn past_crossdrives_own_timeout_the_driver_fails_with_a_timeout_error() {
    let error = client(LambdaOptions::new(Source::HttpApi).timeout(Duration::from_millis(50)))
        .get("/sleep")
        .try_send()
        .await
        .err();
    let Some(error) = error else {
        panic!("a 50 ms timeout must fail a 10 s handler");
    };
    assert!(error.is_timeout(), "{error}");
    assert_eq!(error.driver(), "lambda");
}

#[tokio::test]
async fn a_malformed_event_is_a_clear_error() {
    let driver = Lambda::new(app(), LambdaOptions::new(Source::HttpApi));
    let Err(error) = driver.invoke_event(br#"{"hello": "world"}"#).await else {
        panic!("a malformed event must fail");
    };
    assert!(error.is_adapter(), "{error}");
    let reason = lambda_https_own_reason(br#"{"hello": "world"}"#);
    assert!(error.to_string().contains(&reason), "{error}");
    assert!(decode_event(b"not json").is_err());
}

#[tokio::test]
async fn an_event_that_is_not_json_keeps_serdes_error_as_its_source() {
    let driver = Lambda::new(app(), LambdaOptions::new(Source::HttpApi));
    let Err(error) = driver.invoke_event(b"not json").await else {
        panic!("an event that is not JSON must fail");
    };
    assert!(error.is_adapter(), "{error}");
    // A raw event is no HTTP request: the error names none.
    assert_eq!((error.method(), error.uri()), (None, None));
    let source = std::error::Error::source(&error).expect("a source");
    assert!(
        source.downcast_ref::<serde_json::Error>().is_some(),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .starts_with("lambda driver: adapter error lambda_http rejected the event ("),
        "{error}"
    );
}

#[tokio::test]
async fn invalid_base64_in_an_event_is_a_clear_error_not_a_panic() {
    let mut event: Value = serde_json::from_slice(&build_event(
        &http::Request::post("/body")
            .body(bytes::Bytes::from_static(b"x"))
            .unwrap_or_default(),
        &LambdaOptions::new(Source::HttpApi),
    ))
    .unwrap_or_default();
    event["body"] = json!("%%% not base64 %%%");
    event["isBase64Encoded"] = json!(true);
    let raw = serde_json::to_vec(&event).unwrap_or_default();
    let driver = Lambda::new(app(), LambdaOptions::new(Source::HttpApi));
    let Err(error) = driver.invoke_event(&raw).await else {
        panic!("invalid base64 must fail");
    };
    assert!(error.to_string().contains("not base64"), "{error}");
    let Err(reason) = decode_event(&raw) else {
        panic!("decode_event must refuse invalid base64");
    };
    assert!(reason.contains("base64"), "{reason}");
}

// ---- Sample events -------------------------------------------------------

fn samples() -> Vec<(String, Vec<u8>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lambda");
    let mut out = Vec::new();
    for dir in ["aws_lambda_events", "lambda_http"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            panic!("missing {}", root.join(dir).display());
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&path).unwrap_or_default();
                out.push((
                    format!("{dir}/{}", entry.file_name().to_string_lossy()),
                    bytes,
                ));
            }
        }
    }
    out.sort();
    assert!(
        out.len() >= 25,
        "expected the copied samples, found {}",
        out.len()
    );
    out
}

/// Samples lambda_http 1.3.2 itself cannot turn into a request: this one's
/// Host is an unrendered template (`1234567890.execute-api.{dns_suffix}`),
/// and lambda_http panics building the URI. Through the driver it becomes
/// the source's function error with that reason, as in Lambda.
const LAMBDA_HTTP_PANICS_ON: [&str; 1] = ["aws_lambda_events/example-apigw-console-request.json"];

#[tokio::test]
async fn every_http_sample_event_decodes_through_the_driver() {
    for (name, bytes) in samples() {
        if LAMBDA_HTTP_PANICS_ON.contains(&name.as_str()) {
            let Err(reason) = decode_event(&bytes) else {
                panic!("{name} decodes now: take it off LAMBDA_HTTP_PANICS_ON");
            };
            assert!(
                reason.starts_with("lambda_http panicked"),
                "{name}: {reason}"
            );
            let driver = Lambda::new(app(), LambdaOptions::new(Source::Rest));
            let delivered = match driver.invoke_event(&bytes).await {
                Ok(d) => d,
                Err(e) => panic!("{name}: {e}"),
            };
            assert_eq!(delivered.response.status(), 502, "{name}");
            assert!(
                delivered
                    .notes
                    .iter()
                    .any(|n| n.code == "lambda-http-panic"),
                "{name}"
            );
            continue;
        }
        let decoded = match decode_event(&bytes) {
            Ok(d) => d,
            Err(e) => panic!("{name}: {e}"),
        };
        assert_ne!(decoded.shape, "other", "{name}");
        let source = match decoded.shape {
            "apigw-rest-v1" => Source::Rest,
            "alb" => ALB,
            _ => Source::HttpApi,
        };
        let driver = Lambda::new(app(), LambdaOptions::new(source));
        match driver.invoke_event(&bytes).await {
            Ok(delivered) => assert!(
                delivered.response.status().is_client_error()
                    || delivered.response.status().is_success(),
                "{name}: {:?}",
                delivered.response
            ),
            Err(e) => panic!("{name}: {e}"),
        }
    }
}

/// Every key path of an event, with the data-keyed maps (headers, query,
/// path parameters) as leaves, since their keys are the request's data.
fn key_paths(value: &Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
    const DATA_MAPS: [&str; 7] = [
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "stageVariables",
        "authorizer",
    ];
    if let Value::Object(map) = value {
        for (k, v) in map {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.insert(path.clone());
            if !DATA_MAPS.contains(&k.as_str()) {
                key_paths(v, &path, out);
            }
        }
    }
}

#[test]
fn built_events_carry_every_field_the_comparable_samples_carry() {
    let request = http::Request::post("/todos/1?a=1")
        .header("cookie", "a=1")
        .header("content-type", "application/json")
        .header("user-agent", "crossdrive")
        .body(bytes::Bytes::from_static(b"{}"))
        .unwrap_or_default();
    // Fields a comparable request does not have: no authorizer configured,
    // no client certificate, no stage variables.
    let not_comparable = [
        "requestContext.authorizer",
        "requestContext.authentication",
        "requestContext.identity.apiKey",
        "requestContext.identity.apiKeyId",
        "requestContext.identity.clientCert",
        "requestContext.operationName",
    ];
    for (sample, source) in [
        (
            "aws_lambda_events/example-apigw-v2-request-no-authorizer.json",
            Source::HttpApi,
        ),
        (
            "lambda_http/lambda_function_url_request.json",
            Source::FunctionUrl,
        ),
        ("aws_lambda_events/example-apigw-request.json", Source::Rest),
        (
            "aws_lambda_events/example-alb-lambda-target-request-headers-only.json",
            ALB,
        ),
        (
            "aws_lambda_events/example-alb-lambda-target-request-multivalue-headers.json",
            ALB_MULTI,
        ),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/lambda")
            .join(sample);
        let theirs: Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap_or_default()).unwrap_or_default();
        let ours: Value =
            serde_json::from_slice(&build_event(&request, &LambdaOptions::new(source)))
                .unwrap_or_default();
        let (mut want, mut have) = (Default::default(), Default::default());
        key_paths(&theirs, "", &mut want);
        key_paths(&ours, "", &mut have);
        let missing: Vec<&String> = want
            .iter()
            .filter(|p| !have.contains(*p))
            .filter(|p| !not_comparable.iter().any(|n| p.starts_with(n)))
            .collect();
        assert!(
            missing.is_empty(),
            "{sample}: crossdrive's event lacks {missing:?}\nours: {ours:#}"
        );
    }
}

// ---- The real runtime loop -----------------------------------------------

#[tokio::test]
async fn lambda_runtime_runs_the_function_in_a_child_process_with_lambdas_environment() {
    let driver = match runtime::connect_with(app(), LambdaOptions::new(Source::HttpApi)) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let client = Client::new(driver);
    let seen: Value = client.get("/context").await.assert_status(200).json();
    assert_eq!(seen["env_function_name"], "crossdrive-function", "{seen}");
    assert_ne!(seen["pid"], std::process::id(), "{seen}");
    assert!(seen["request_id"].is_string(), "{seen}");
}

#[tokio::test]
async fn lambda_runtime_turns_a_handler_panic_into_the_sources_error_response() {
    // The child's panic hook prints the panic (with a backtrace when
    // RUST_BACKTRACE is set, which symbolizes a debug binary: seconds on a
    // loaded machine) before the runtime reports the error; this test is
    // about the panic's outcome, so timing is given room it never needs
    // when the machine is quiet.
    let options = LambdaOptions::new(Source::HttpApi)
        .function_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(30));
    let driver = match runtime::connect_with(app(), options) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let client = Client::new(driver);
    let response = client.get("/panic").await;
    response
        .assert_status(500)
        .assert_json(&json!({"message": "Internal Server Error"}));
    assert!(
        lambda_failure(&response)
            .reason
            .contains("the handler exploded"),
        "{response}"
    );
    // The instance keeps serving, as a Lambda sandbox does after an error.
    client.get("/echo").await.assert_status(200);
}

#[tokio::test]
async fn lambda_runtime_replaces_an_instance_that_timed_out() {
    let options = LambdaOptions::new(Source::HttpApi).function_timeout(Duration::from_millis(200));
    let driver = match runtime::connect_with(app(), options) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let client = Client::new(driver);
    let timed_out = client.get("/sleep").await;
    timed_out.assert_status(500);
    assert_eq!(lambda_failure(&timed_out).code, "function-timeout");
    // The replacement instance's init phase (a new child process) does not
    // count against the 200 ms function timeout, as in Lambda: on a loaded
    // machine it alone can take longer than that.
    client.get("/echo").await.assert_status(200);
}

#[tokio::test]
async fn the_in_process_stage_emulation_matches_the_real_environment_variable() {
    // The child process really sets AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH;
    // the in-process lambda-v1 driver emulates it. Both must agree.
    let Ok(real) = runtime::connect_with(app(), LambdaOptions::new(Source::Rest)) else {
        panic!("the runtime child did not start");
    };
    let real: Value = Client::new(real).get("/echo/a%20b").await.json();
    let emulated: Value = on(Source::Rest).get("/echo/a%20b").await.json();
    assert_eq!(real["path"], emulated["path"]);
    assert_eq!(real["path"], "/echo/a%20b");

    let Ok(prefixed) =
        runtime::connect_with(app(), LambdaOptions::new(Source::Rest).stage_in_path(true))
    else {
        panic!("the runtime child did not start");
    };
    Client::new(prefixed).get("/echo").await.assert_status(404);
}

#[tokio::test]
async fn the_runtime_api_host_starts_once_per_test_binary_and_once_per_instance_listener() {
    let Ok(first) = runtime::connect_with(app(), LambdaOptions::new(Source::HttpApi)) else {
        panic!("the runtime child did not start");
    };
    let Ok(second) = runtime::connect_with(app(), LambdaOptions::new(Source::HttpApi)) else {
        panic!("the runtime child did not start");
    };
    Client::new(first).get("/echo").await.assert_status(200);
    Client::new(second).get("/echo").await.assert_status(200);
    let (hosts, instances) = runtime::starts();
    assert_eq!(hosts, 1, "one Runtime API host thread per test binary");
    assert!(instances >= 2, "{instances}");
}

#[tokio::test]
async fn past_the_integration_timeout_rest_answers_504_and_http_api_503() {
    for (source, status) in [(Source::Rest, 504), (Source::HttpApi, 503)] {
        let options = LambdaOptions::new(source).integration_timeout(Duration::from_millis(100));
        let response = client(options).get("/sleep").await;
        response.assert_status(status);
        assert_eq!(
            lambda_failure(&response).code,
            "integration-timeout",
            "{response}"
        );
    }
}

#[tokio::test]
async fn a_malformed_event_through_the_real_runtime_is_a_function_error_with_lambda_https_reason() {
    let Ok(driver) = runtime::connect_with(app(), LambdaOptions::new(Source::HttpApi)) else {
        panic!("the runtime child did not start");
    };
    let delivered = match driver.invoke_event(br#"{"hello": "world"}"#).await {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(delivered.response.status(), 500);
    let reason = delivered
        .response
        .extensions()
        .get::<LambdaFailure>()
        .map(|f| f.reason.clone())
        .unwrap_or_default();
    let expected = lambda_https_own_reason(br#"{"hello": "world"}"#);
    assert!(reason.contains(&expected), "{reason}");
}

/// What lambda_http itself says of an event it cannot deserialize,
/// whatever its wording in the version built: crossdrive passes it on.
fn lambda_https_own_reason(event: &[u8]) -> String {
    match serde_json::from_slice::<lambda_http::request::LambdaRequest>(event) {
        Ok(_) => panic!("lambda_http accepts the event; the test needs one it refuses"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn alb_sends_the_query_still_encoded_and_lambda_http_decodes_and_re_encodes_it() {
    let request = http::Request::get("/echo?q=a%20b&r=%2B")
        .body(bytes::Bytes::new())
        .unwrap_or_default();
    let event: Value = serde_json::from_slice(&build_event(&request, &LambdaOptions::new(ALB)))
        .unwrap_or_default();
    // ALB passes the query as the client sent it, percent-encoding included.
    assert_eq!(event["queryStringParameters"]["q"], "a%20b");
    let response = on(ALB).get("/echo?q=a%20b&r=%2B").await;
    let seen: Value = response.json();
    let query = seen["query"].as_str().unwrap_or_default();
    // lambda_http decodes it and rebuilds it form-encoded (space as `+`),
    // from a map, so the key order is not kept.
    let mut pairs: Vec<&str> = query.split('&').collect();
    pairs.sort_unstable();
    assert_eq!(pairs, ["q=a+b", "r=%2B"], "{response}");
}

#[tokio::test]
async fn rest_honours_only_the_first_accept_media_type() {
    let all: Vec<u8> = (0..=255u8).collect();
    // The response is application/octet-stream, not a binary media type
    // here: only the request's Accept can make the REST API decode it.
    let rest = client(LambdaOptions::new(Source::Rest).binary_media_types(["image/png"]));
    let second = rest
        .get("/binary")
        .header("accept", "text/html, image/png")
        .await;
    assert_ne!(second.bytes().as_ref(), all.as_slice(), "{second}");
    assert!(has_note(&second, "rest-base64-not-decoded"), "{second}");
    let first = rest
        .get("/binary")
        .header("accept", "image/png, text/html")
        .await;
    first.assert_bytes(&all);
}

#[tokio::test]
async fn a_response_between_6_mib_and_lambdas_real_limit_is_delivered() {
    assert_eq!(crossdrive::lambda::LAMBDA_RESPONSE_LIMIT, 6_291_556);
    // What lambda_http's response JSON adds around the body, read off the
    // refusal of a body of exactly the limit (crossdrive's own reason
    // states the JSON's size), so the body can be sized to land between
    // 6 MiB and the limit.
    let limit = 6_291_556;
    let refused = on(Source::HttpApi).get(format!("/sized/{limit}")).await;
    let reason = lambda_failure(&refused).reason;
    let json_len: usize = reason
        .split_whitespace()
        .find_map(|word| word.parse().ok())
        .unwrap_or_else(|| panic!("no size in: {reason}"));
    let overhead = json_len - limit;
    let len = 6_291_500 - overhead;
    let response = on(Source::HttpApi).get(format!("/sized/{len}")).await;
    response.assert_status(200);
    assert_eq!(response.bytes().len(), len);
    let over = on(Source::HttpApi)
        .get(format!("/sized/{}", limit - overhead + 1))
        .await;
    over.assert_status(500);
    assert_eq!(lambda_failure(&over).code, "response-too-large", "{over}");
}

#[tokio::test]
async fn alb_appends_the_client_address_to_x_forwarded_for() {
    for source in [ALB, ALB_MULTI] {
        let response = on(source)
            .get("/echo")
            .header("x-forwarded-for", "203.0.113.9")
            .await;
        let seen: Value = response.json();
        assert_eq!(
            seen["headers"]["x-forwarded-for"],
            json!(["203.0.113.9, 127.0.0.1"]),
            "{response}"
        );
    }
}

#[tokio::test]
async fn alb_sends_only_its_four_text_types_and_unencoded_bodies_as_text() {
    let post = |content_type: &str, encoding: Option<&str>| {
        let mut request = http::Request::post("/body").header("content-type", content_type);
        if let Some(encoding) = encoding {
            request = request.header("content-encoding", encoding);
        }
        event_json(
            request
                .body(bytes::Bytes::from_static(b"{}"))
                .expect("a request"),
            &LambdaOptions::new(ALB),
        )
    };
    assert_eq!(post("application/json", None)["isBase64Encoded"], false);
    assert_eq!(
        post("text/plain; charset=utf-8", None)["isBase64Encoded"],
        false
    );
    assert_eq!(
        post("application/problem+json", None)["isBase64Encoded"],
        true
    );
    assert_eq!(post("application/yaml", None)["isBase64Encoded"], true);
    assert_eq!(post("text/plain", Some("gzip"))["isBase64Encoded"], true);
}

#[tokio::test]
async fn alb_refuses_request_headers_over_its_64_k_and_16_k_limits() {
    let mut many = on(ALB).get("/echo");
    for i in 0..10 {
        many = many.header(format!("x-big-{i}"), "v".repeat(7 * 1024));
    }
    let refused = many.await;
    refused.assert_status(400);
    assert_eq!(
        lambda_failure(&refused).code,
        "headers-too-large",
        "{refused}"
    );
    let one = on(ALB_MULTI)
        .get("/echo")
        .header("x-huge", "v".repeat(17 * 1024))
        .await;
    one.assert_status(400);
    // Under every limit: served.
    on(ALB)
        .get("/echo")
        .header("x-fine", "v".repeat(15 * 1024))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn an_http_api_sends_content_length_zero_on_a_get() {
    let event = event_json(request_to("/echo"), &LambdaOptions::new(Source::HttpApi));
    assert_eq!(event["headers"]["content-length"], "0", "{event}");
    let seen: Value = on(Source::HttpApi).get("/echo").await.json();
    assert_eq!(seen["headers"]["content-length"], json!(["0"]));
}

#[tokio::test]
async fn alb_health_checks_reach_the_app_as_get_with_the_health_checker_agent() {
    for source in [ALB, ALB_MULTI] {
        let lambda = Lambda::new(app(), LambdaOptions::new(source));
        let answer = match lambda.health_check("/echo").await {
            Ok(answer) => answer,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(answer.response.status(), 200);
        let seen: Value = serde_json::from_slice(answer.response.body()).expect("the echo JSON");
        assert_eq!(seen["path"], "/echo");
        assert_eq!(
            seen["headers"]["user-agent"],
            json!(["ELB-HealthChecker/2.0"]),
            "{source:?}"
        );
    }
    let http_api = Lambda::new(app(), LambdaOptions::new(Source::HttpApi));
    let Err(refused) = http_api.health_check("/echo").await else {
        panic!("an HTTP API makes no health checks");
    };
    assert!(refused.is_invalid_request(), "{refused}");
}

#[test]
fn a_named_stage_on_a_source_without_stages_is_refused_saying_so() {
    for source in [Source::FunctionUrl, ALB] {
        let Err(problem) = LambdaOptions::new(source).stage("v1").validate() else {
            panic!("{source:?} has no stages");
        };
        assert!(problem.contains("has no stages"), "{problem}");
    }
    assert!(
        LambdaOptions::new(Source::Rest)
            .stage("v1")
            .validate()
            .is_ok()
    );
}

#[tokio::test]
async fn rest_gives_a_response_without_content_type_application_json() {
    let response = on(Source::Rest).get("/no-content").await;
    response.assert_status(204);
    assert_eq!(
        response.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..]),
        "{response}"
    );
    assert!(
        has_note(&response, "rest-default-content-type"),
        "{response}"
    );
    // A content type the function set is kept, without the note.
    let binary = on(Source::Rest).get("/binary").await;
    assert_eq!(
        binary.headers()["content-type"],
        "application/octet-stream",
        "{binary}"
    );
    assert!(!has_note(&binary, "rest-default-content-type"), "{binary}");
    // HTTP API and Function URL add their own defaults: see
    // `payload_2_sources_give_a_response_without_content_type_their_recorded_default`.
}

#[tokio::test]
async fn alb_drops_hop_by_hop_response_headers() {
    for source in [ALB, ALB_MULTI] {
        let response = on(source).get("/hop-by-hop").await;
        response.assert_status(200);
        for name in [
            "connection",
            "x-private",
            "keep-alive",
            "transfer-encoding",
            "upgrade",
            "trailer",
            "proxy-authenticate",
        ] {
            assert!(
                response.headers().get(name).is_none(),
                "{source:?} kept {name}: {response}"
            );
        }
        assert_eq!(response.headers()["x-kept"], "end to end", "{response}");
        assert!(has_note(&response, "alb-hop-by-hop-dropped"), "{response}");
        assert_eq!(response.text(), "hop by hop");
    }
}

/// `Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0`, or the `Root` part
/// alone when `root_only`.
fn is_x_ray_header(value: &str, root_only: bool) -> bool {
    let hex = |s: &str, len: usize| {
        s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    let mut parts = value.split(';');
    let root_ok = parts
        .next()
        .and_then(|r| r.strip_prefix("Root=1-"))
        .and_then(|r| r.split_once('-'))
        .is_some_and(|(time, id)| hex(time, 8) && hex(id, 24));
    if root_only {
        return root_ok && parts.next().is_none();
    }
    let parent_ok = parts
        .next()
        .and_then(|p| p.strip_prefix("Parent="))
        .is_some_and(|p| hex(p, 16));
    root_ok && parent_ok && parts.next() == Some("Sampled=0") && parts.next().is_none()
}

#[tokio::test]
async fn the_app_sees_lambdas_trace_id_with_parent_and_sampled_as_x_ray_formats_it() {
    for source in [Source::HttpApi, Source::FunctionUrl, Source::Rest, ALB] {
        let seen: Value = on(source).get("/context").await.json();
        let trace = seen["trace"].as_str().unwrap_or_default();
        assert!(is_x_ray_header(trace, false), "{source:?}: {seen}");
        // The source's own header in the event carries only Root, as every
        // captured event does.
        let event = event_json(request_to("/echo"), &LambdaOptions::new(source));
        // REST writes the name capitalised, as it sets it.
        let name = if source == Source::Rest {
            "X-Amzn-Trace-Id"
        } else {
            "x-amzn-trace-id"
        };
        let header = event["headers"][name].as_str().unwrap_or_default();
        assert!(is_x_ray_header(header, true), "{source:?}: {event}");
    }
    // Through the real Runtime API: the Lambda-Runtime-Trace-Id header.
    let driver = match runtime::connect_with(app(), LambdaOptions::new(Source::HttpApi)) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let seen: Value = Client::new(driver).get("/context").await.json();
    let trace = seen["trace"].as_str().unwrap_or_default();
    assert!(is_x_ray_header(trace, false), "{seen}");
}

#[tokio::test]
async fn rest_drops_the_clients_content_length_and_alb_sends_the_bodys() {
    // The VOKER captures of one curl POST: REST's event has no
    // content-length, ALB's (and HTTP API's, the URL's) has `66`.
    let post = |source| {
        on(source)
            .post("/echo")
            .header("content-type", "text/plain")
            .header("content-length", "5")
            .body("hello")
    };
    let rest: Value = post(Source::Rest).await.json();
    assert!(
        rest["headers"].get("content-length").is_none(),
        "REST strips it: {rest}"
    );
    assert_eq!(rest["body"], "hello");
    let options = LambdaOptions::new(Source::Rest);
    let with_length = http::Request::post("/echo")
        .header("content-length", "5")
        .body(bytes::Bytes::from_static(b"hello"))
        .expect("a request");
    let event = event_json(with_length, &options);
    assert!(event["headers"].get("content-length").is_none(), "{event}");
    assert!(
        event["multiValueHeaders"].get("content-length").is_none(),
        "{event}"
    );
    // ALB: the body's length, whether or not the client set it.
    for source in [ALB, ALB_MULTI] {
        let seen: Value = on(source).post("/echo").body("hello").await.json();
        assert_eq!(seen["headers"]["content-length"], json!(["5"]), "{seen}");
        let bodyless: Value = on(source).get("/echo").await.json();
        assert!(
            bodyless["headers"].get("content-length").is_none(),
            "{bodyless}"
        );
    }
}

/// `n` headers named `x-long-header-name-…` (100 bytes) of `value_len` bytes.
fn long_named_headers(
    mut request: crossdrive::RequestBuilder,
    n: usize,
    value_len: usize,
) -> crossdrive::RequestBuilder {
    for i in 0..n {
        let name = format!("x-{i:03}-{}", "n".repeat(94));
        request = request.header(name, "v".repeat(value_len));
    }
    request
}

#[tokio::test]
async fn an_http_api_counts_header_values_and_rest_counts_whole_header_lines() {
    // 20 headers: 9,600 bytes of values, 2,000 of names, 11,680 as lines.
    let http_api = long_named_headers(on(Source::HttpApi).get("/echo"), 20, 480).await;
    http_api.assert_status(200);
    let rest = long_named_headers(on(Source::Rest).get("/echo"), 20, 480).await;
    rest.assert_status(431);
    assert_eq!(lambda_failure(&rest).code, "headers-too-large", "{rest}");
    assert!(
        lambda_failure(&rest)
            .reason
            .contains("names, values and line ends"),
        "{rest}"
    );
    // The values alone over the quota: an HTTP API refuses too.
    let over = long_named_headers(on(Source::HttpApi).get("/echo"), 20, 520).await;
    over.assert_status(431);
    // A private REST API's quota is 8,000 bytes: 14 lines of 584 bytes pass
    // a Regional API and not a private one.
    let private = client(LambdaOptions::new(Source::Rest).endpoint(Endpoint::Private));
    let regional = long_named_headers(on(Source::Rest).get("/echo"), 14, 480).await;
    regional.assert_status(200);
    let refused = long_named_headers(private.get("/echo"), 14, 480).await;
    refused.assert_status(431);
}

#[tokio::test]
async fn rest_refuses_a_url_over_its_endpoint_types_limit_with_414() {
    let target = format!("/echo?q={}", "a".repeat(9_000));
    let edge = client(LambdaOptions::new(Source::Rest).endpoint(Endpoint::EdgeOptimized));
    let refused = edge.get(&target).await;
    refused.assert_status(414);
    assert_eq!(lambda_failure(&refused).code, "url-too-long", "{refused}");
    assert!(
        lambda_failure(&refused)
            .reason
            .contains("8192-character limit"),
        "{refused}"
    );
    // A Regional API takes URLs up to 10,240 characters.
    on(Source::Rest).get(&target).await.assert_status(200);
    let longer = format!("/echo?q={}", "a".repeat(10_240));
    on(Source::Rest).get(&longer).await.assert_status(414);
}

#[tokio::test]
async fn alb_answers_502_to_response_headers_over_32_k() {
    // 40 headers of about 1 KiB: over ALB's 32 K, under API Gateway's nothing.
    for source in [ALB, ALB_MULTI] {
        let refused = on(source).get("/many-headers/40").await;
        refused.assert_status(502);
        assert_eq!(
            lambda_failure(&refused).code,
            "response-headers-too-large",
            "{refused}"
        );
        on(source)
            .get("/many-headers/20")
            .await
            .assert_status(200)
            .assert_text("many headers");
    }
    on(Source::HttpApi)
        .get("/many-headers/40")
        .await
        .assert_status(200);
}

#[tokio::test]
async fn an_edge_optimized_rest_api_adds_cloudfronts_headers() {
    let options = LambdaOptions::new(Source::Rest).endpoint(Endpoint::EdgeOptimized);
    let seen: Value = client(options.clone()).get("/echo").await.json();
    let headers = &seen["headers"];
    for name in [
        "cloudfront-forwarded-proto",
        "cloudfront-is-desktop-viewer",
        "cloudfront-is-mobile-viewer",
        "cloudfront-is-smarttv-viewer",
        "cloudfront-is-tablet-viewer",
        "cloudfront-viewer-country",
        "via",
        "x-amz-cf-id",
    ] {
        assert!(headers.get(name).is_some(), "{name} missing: {seen}");
    }
    let via = headers["via"][0].as_str().unwrap_or_default();
    assert!(via.ends_with(".cloudfront.net (CloudFront)"), "{via}");
    assert_eq!(headers["x-forwarded-for"], json!(["127.0.0.1, 127.0.0.2"]));
    // In the event, with the names capitalised as CloudFront sets them.
    let event = event_json(request_to("/echo"), &options);
    assert_eq!(event["headers"]["CloudFront-Forwarded-Proto"], "https");
    assert!(event["headers"]["X-Amz-Cf-Id"].is_string(), "{event}");
    // A Regional API has none of them.
    let regional: Value = on(Source::Rest).get("/echo").await.json();
    assert!(regional["headers"].get("via").is_none(), "{regional}");
    assert_eq!(regional["headers"]["x-forwarded-for"], json!(["127.0.0.1"]));
}

#[test]
fn endpoint_types_are_refused_where_aws_has_none() {
    let Err(problem) = LambdaOptions::new(Source::HttpApi)
        .endpoint(Endpoint::EdgeOptimized)
        .validate()
    else {
        panic!("HTTP APIs have no endpoint types");
    };
    assert!(problem.contains("only REST APIs"), "{problem}");
    let raised = LambdaOptions::new(Source::Rest)
        .integration_timeout(Duration::from_secs(60))
        .endpoint(Endpoint::EdgeOptimized);
    let Err(problem) = raised.validate() else {
        panic!("an edge-optimized API's timeout cannot be raised");
    };
    assert!(problem.contains("cannot be raised above 29 s"), "{problem}");
    for endpoint in [Endpoint::Regional, Endpoint::Private] {
        let options = LambdaOptions::new(Source::Rest)
            .integration_timeout(Duration::from_secs(60))
            .endpoint(endpoint);
        assert!(options.validate().is_ok(), "{endpoint:?}");
    }
}

#[tokio::test]
async fn api_gateway_request_ids_are_its_own_not_the_lambda_request_id() {
    for source in [Source::HttpApi, Source::Rest, Source::FunctionUrl] {
        let seen: Value = on(source).get("/context").await.json();
        let lambda = seen["request_id"].as_str().unwrap_or_default();
        let gateway = seen["gateway_request_id"].as_str().unwrap_or_default();
        assert_eq!(lambda.len(), 36, "{seen}");
        match source {
            // `ATfSmjLgPHcESJw=` (VOKER apigwv2-request.json).
            Source::HttpApi => assert!(gateway.len() == 16 && gateway.ends_with('='), "{seen}"),
            // A UUID, not the invocation's (VOKER apigwv1-request.json).
            Source::Rest => {
                assert_eq!(gateway.len(), 36, "{seen}");
                assert_ne!(gateway, lambda, "{seen}");
            }
            _ => assert_eq!(gateway, lambda, "{seen}"),
        }
    }
    let event = event_json(request_to("/echo"), &LambdaOptions::new(Source::Rest));
    let extended = event["requestContext"]["extendedRequestId"]
        .as_str()
        .unwrap_or_default();
    assert!(extended.len() == 16 && extended.ends_with('='), "{event}");
}

#[test]
fn rest_events_capitalise_the_header_names_api_gateway_sets() {
    // hotsock/voker apigwv1-request.json: `Host`, `User-Agent`,
    // `X-Amzn-Trace-Id`, `X-Forwarded-*` capitalised, the client's others
    // as received (lower-case over HTTP/2).
    let request = http::Request::get("/echo")
        .header("user-agent", "curl/8.7.1")
        .header("x-voker-probe", "one")
        .body(bytes::Bytes::new())
        .expect("a request");
    let event = event_json(request, &LambdaOptions::new(Source::Rest));
    for name in [
        "Host",
        "User-Agent",
        "X-Amzn-Trace-Id",
        "X-Forwarded-For",
        "X-Forwarded-Port",
        "X-Forwarded-Proto",
        "x-voker-probe",
    ] {
        assert!(event["headers"].get(name).is_some(), "{name}: {event}");
        assert!(
            event["multiValueHeaders"].get(name).is_some(),
            "{name}: {event}"
        );
    }
    assert!(event["headers"].get("user-agent").is_none(), "{event}");
}
