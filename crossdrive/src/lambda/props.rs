//! Property tests of the Lambda event and response paths: whatever the
//! request, the event JSON or the function's response, building and
//! decoding return a value or an error, never a panic.
//!
//! cargo-fuzz needs a nightly toolchain, which this project does not use,
//! so these run under proptest in `cargo test`. Each target runs 256 cases
//! by default, seconds in a debug build; `PROPTEST_CASES=100000` makes a
//! long run. Each target prints how many inputs it executed.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use super::clock::Invocation;
use super::options::{LambdaOptions, Source};
use super::{decode_event, event};

const SOURCES: [Source; 5] = [
    Source::HttpApi,
    Source::FunctionUrl,
    Source::Rest,
    Source::Alb {
        multi_value_headers: false,
    },
    Source::Alb {
        multi_value_headers: true,
    },
];

/// Runs `test` over `strategy` with the configured case count and reports
/// the number of executions.
fn run<S: Strategy>(
    target: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    // No failure files: a failing input is printed, and the case count
    // still comes from PROPTEST_CASES through Config::default().
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let executed = std::cell::Cell::new(0_u64);
    let outcome = runner.run(&strategy, |value| {
        executed.set(executed.get() + 1);
        test(value)
    });
    eprintln!(
        "proptest {target}: {} executions ({} cases configured)",
        executed.get(),
        runner.config().cases
    );
    if let Err(failure) = outcome {
        panic!("{target}: {failure}");
    }
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        Just(Method::HEAD),
        Just(Method::OPTIONS),
        Just(Method::PATCH),
        "[A-Z!#$%&'*+.^_`|~-]{1,12}"
            .prop_filter_map("a token", |m| Method::from_bytes(m.as_bytes()).ok()),
    ]
}

fn header() -> impl Strategy<Value = (HeaderName, HeaderValue)> {
    let name = "[a-z0-9!#$%&'*+.^_`|~-]{1,20}".prop_filter_map("a header name", |n| {
        HeaderName::from_bytes(n.as_bytes()).ok()
    });
    // Visible ASCII, spaces, tabs and obs-text (0x80..=0xFF), as HTTP allows.
    let value = proptest::collection::vec(
        prop_oneof![0x20_u8..0x7f, Just(b'\t'), 0x80_u8..=0xff],
        0..40,
    )
    .prop_filter_map("a header value", |v| HeaderValue::from_bytes(&v).ok());
    (name, value)
}

fn target() -> impl Strategy<Value = String> {
    let segment = "([a-zA-Z0-9._~!$&'()*+,;=:@-]|%[0-9A-F]{2}|%[0-9a-f]{2}){0,12}";
    let path = proptest::collection::vec(segment, 0..5).prop_map(|s| format!("/{}", s.join("/")));
    let query = proptest::option::of("([a-zA-Z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-F]{2}){0,30}");
    (path, query).prop_map(|(path, query)| match query {
        Some(query) => format!("{path}?{query}"),
        None => path,
    })
}

fn request() -> impl Strategy<Value = Request<Bytes>> {
    (
        method(),
        target(),
        proptest::collection::vec(header(), 0..8),
        proptest::collection::vec(any::<u8>(), 0..256),
    )
        .prop_filter_map("a valid request", |(method, target, headers, body)| {
            let mut request = Request::builder()
                .method(method)
                .uri(target)
                .body(Bytes::from(body))
                .ok()?;
            for (name, value) in headers {
                request.headers_mut().append(name, value);
            }
            Some(request)
        })
}

fn options() -> impl Strategy<Value = LambdaOptions> {
    (
        0..SOURCES.len(),
        "[a-zA-Z0-9_$-]{1,10}",
        any::<bool>(),
        proptest::collection::vec("[a-z*]{1,8}/[a-z0-9*+.-]{1,12}", 0..3),
    )
        .prop_map(|(source, stage, stage_in_path, types)| {
            LambdaOptions::new(SOURCES[source])
                .stage(stage)
                .stage_in_path(stage_in_path)
                .binary_media_types(types)
        })
}

/// Any JSON value, nested a few levels, with strings holding any
/// character.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn any_request_builds_an_event_that_decodes_without_panicking() {
    run(
        "build_event -> decode_event",
        (request(), options()),
        |(request, options)| {
            let event = event::build(&request, &options, &Invocation::now(), &mut Vec::new());
            prop_assert!(
                serde_json::from_slice::<Value>(&event).is_ok(),
                "the event is not JSON"
            );
            if let Ok(decoded) = decode_event(&event) {
                prop_assert_eq!(decoded.request.method(), request.method());
            }
            Ok(())
        },
    );
}

#[test]
fn any_bytes_as_an_event_decode_to_a_request_or_an_error() {
    run(
        "decode_event(bytes)",
        proptest::collection::vec(any::<u8>(), 0..512),
        |bytes| {
            let _ = decode_event(&bytes);
            Ok(())
        },
    );
}

#[test]
fn any_json_in_a_built_event_decodes_to_a_request_or_an_error() {
    // A real event with one field replaced by arbitrary JSON reaches deep
    // into lambda_http's deserializer, where random bytes never get.
    let fields = prop_oneof![
        Just("headers"),
        Just("multiValueHeaders"),
        Just("queryStringParameters"),
        Just("multiValueQueryStringParameters"),
        Just("rawQueryString"),
        Just("rawPath"),
        Just("path"),
        Just("cookies"),
        Just("body"),
        Just("isBase64Encoded"),
        Just("requestContext"),
        Just("pathParameters"),
        Just("httpMethod"),
        Just("version"),
    ];
    run(
        "decode_event(mutated event)",
        (request(), options(), fields, json_value()),
        |(request, options, field, value)| {
            let event = event::build(&request, &options, &Invocation::now(), &mut Vec::new());
            let mut event: Value = serde_json::from_slice(&event).unwrap_or(Value::Null);
            if let Some(object) = event.as_object_mut() {
                object.insert(field.to_owned(), value);
            }
            let _ = decode_event(event.to_string().as_bytes());
            Ok(())
        },
    );
}

#[test]
fn any_function_response_decodes_to_a_response_or_an_error() {
    let pairs = proptest::collection::vec((".{0,16}", ".{0,24}"), 0..6);
    let multi = proptest::collection::vec(
        (".{0,16}", proptest::collection::vec(".{0,16}", 0..3)),
        0..4,
    );
    let response = (
        any::<u16>(),
        pairs,
        multi,
        proptest::collection::vec(".{0,24}", 0..4),
        proptest::option::of(".{0,64}"),
        any::<bool>(),
    )
        .prop_map(|(status, headers, multi, cookies, body, base64)| {
            let headers: serde_json::Map<String, Value> = headers
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect();
            let multi: serde_json::Map<String, Value> = multi
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect();
            json!({
                "statusCode": status, "headers": headers, "multiValueHeaders": multi,
                "cookies": cookies, "body": body, "isBase64Encoded": base64,
            })
        });
    let mut request_headers = HeaderMap::new();
    request_headers.insert("accept", HeaderValue::from_static("*/*"));
    run(
        "decode response (structured)",
        (response, options()),
        |(response, options)| {
            let _ = event::decode(
                response.to_string().as_bytes(),
                &request_headers,
                &options,
                &mut Vec::new(),
            );
            Ok(())
        },
    );
    run(
        "decode response (any JSON)",
        (json_value(), options()),
        |(value, options)| {
            let _ = event::decode(
                value.to_string().as_bytes(),
                &request_headers,
                &options,
                &mut Vec::new(),
            );
            Ok(())
        },
    );
    run(
        "decode response (any bytes)",
        (proptest::collection::vec(any::<u8>(), 0..256), options()),
        |(bytes, options)| {
            let _ = event::decode(&bytes, &request_headers, &options, &mut Vec::new());
            Ok(())
        },
    );
}
