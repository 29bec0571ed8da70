//! Bad input at every public entry point is an error that says what was
//! wrong and what to do, never a panic: request builders, header values,
//! cookies, URIs, Lambda options, driver timeouts, the remote base URL and
//! bench baseline files. (The request-target and header-value cases the
//! direct driver tests already cover are in tests/direct.rs.)
//!
//! Requests every adapter would answer differently (a body that
//! contradicts its `Content-Length`, a hand-set `Transfer-Encoding`, an
//! absolute URL, two `Host`s, a non-ASCII path) are refused before
//! sending, on every driver of the table with the same words (the `suite!`
//! below), whether a builder made the request or the test handed a
//! ready-made `http::Request` to `Client::send`.

mod support;
use support::rt;

use std::time::Duration;

use crossdrive::bench::report::BenchReport;
use crossdrive::lambda::{Lambda, LambdaOptions, Source, runtime};
use crossdrive::remote::Remote;
use crossdrive::{Client, Error};
use crossdrive::{ConnectOptions, Direct};
use crossdrive_fixtures::faults;

fn direct() -> Client {
    Client::new(Direct::new(faults::app()))
}

fn refused(builder: crossdrive::RequestBuilder) -> Error {
    match rt().block_on(builder.try_send()) {
        Err(error) => error,
        Ok(response) => panic!("bad input was sent:\n{response}"),
    }
}

fn assert_says(error: &Error, words: &str) {
    assert!(error.is_invalid_request(), "{error}");
    assert!(
        error.to_string().contains(words),
        "expected `{words}` in: {error}"
    );
}

#[test]
fn an_invalid_header_name_is_refused_naming_what_a_header_name_is() {
    let error = refused(direct().get("/ok").header("bad name", "x"));
    assert_says(&error, "invalid header name");
    assert_says(&error, "ASCII tokens such as x-request-id");
    let error = refused(direct().get("/ok").set_header("bad:name", "x"));
    assert_says(&error, "invalid header name");
}

#[test]
fn a_header_value_with_a_carriage_return_is_refused() {
    let error = refused(direct().get("/ok").header("x-a", "one\r\nx-injected: two"));
    assert_says(&error, "invalid value for header `x-a`");
    assert_says(&error, "control characters such as CR or LF");
}

#[test]
fn a_cookie_that_would_smuggle_another_cookie_is_refused() {
    let error = refused(direct().get("/ok").cookie("a", "1; admin=true"));
    assert_says(&error, "the value of cookie `a` has `;` at byte 1");
    assert_says(&error, "percent-encode it first");
    // The value is a secret: the error names where it breaks, not what it is.
    assert!(!error.to_string().contains("admin=true"), "{error}");
    let error = refused(direct().get("/ok").cookie("a=b", "1"));
    assert_says(&error, "`a=b` is not a cookie name");
    let error = refused(direct().get("/ok").cookie("", "1"));
    assert_says(&error, "is not a cookie name");
}

#[test]
fn a_json_body_that_cannot_be_serialized_is_refused_with_serdes_reason() {
    let mut map = std::collections::BTreeMap::new();
    map.insert(vec![1_u8], "a map with non-string keys is not JSON");
    let error = refused(direct().post("/ok").json(&map));
    assert_says(&error, "the JSON body could not be serialized");
}

#[test]
fn a_form_body_that_is_no_form_is_refused_with_the_reason() {
    let error = refused(direct().post("/ok").form(&42));
    assert_says(&error, "the form body could not be serialized");
    let error = refused(direct().post("/ok").form(&[("nested", [1, 2])]));
    assert_says(&error, "a struct or map of plain values");
}

#[test]
fn the_first_bad_input_is_the_one_reported() {
    let error = refused(direct().get("no-slash").header("bad name", "x"));
    assert_says(&error, "start it with `/`");
}

#[test]
fn a_bad_target_or_method_names_no_invented_request() {
    let error = refused(direct().get("no-slash"));
    assert_eq!((error.method(), error.uri()), (None, None), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("direct driver: invalid request `no-slash`"),
        "{error}"
    );
    let error = refused(direct().method("BAD METHOD", "/ok"));
    assert_eq!((error.method(), error.uri()), (None, None), "{error}");
    // A bad header on a good request names that request.
    let error = refused(direct().put("/ok?a=1").header("bad name", "x"));
    assert_eq!(error.method(), Some(&http::Method::PUT));
    assert_eq!(
        error.uri().map(ToString::to_string).as_deref(),
        Some("/ok?a=1")
    );
}

fn lambda_error(options: LambdaOptions) -> Error {
    let client = Client::new(Lambda::new(faults::app(), options));
    refused(client.get("/ok"))
}

#[test]
fn lambda_options_for_a_deployment_that_cannot_exist_fail_every_request_saying_why() {
    let cases = [
        (
            LambdaOptions::new(Source::Rest).stage("my stage"),
            "the stage `my stage` is not an API Gateway stage name",
        ),
        (
            LambdaOptions::new(Source::Rest).stage(""),
            "use 1 to 128 letters",
        ),
        (
            LambdaOptions::new(Source::HttpApi).memory_mb(64),
            "memory_mb is 64; Lambda allows 128 to 10240 MB",
        ),
        (
            LambdaOptions::new(Source::HttpApi).function_timeout(Duration::ZERO),
            "set one between 1 ms and 900 s",
        ),
        (
            LambdaOptions::new(Source::HttpApi).function_timeout(Duration::from_secs(901)),
            "Lambda allows up to 900 s",
        ),
        (
            LambdaOptions::new(Source::HttpApi).function_name("my/function"),
            "the function name `my/function`",
        ),
        (
            LambdaOptions::new(Source::HttpApi).timeout(Duration::ZERO),
            "crossdrive's timeout is zero",
        ),
        (
            LambdaOptions::new(Source::Rest).binary_media_types(["png"]),
            "the binary media type `png` is not `type/subtype`",
        ),
    ];
    for (options, words) in cases {
        let error = lambda_error(options);
        assert_says(&error, words);
        assert_says(&error, "fix the LambdaOptions");
        assert!(error.to_string().starts_with("lambda"), "{error}");
    }
    let event = br#"{"version":"2.0"}"#;
    let bad = Lambda::new(
        faults::app(),
        LambdaOptions::new(Source::HttpApi).memory_mb(1),
    );
    let error = rt().block_on(bad.invoke_event(event)).unwrap_err();
    assert_says(&error, "memory_mb is 1");
}

#[test]
fn the_lambda_runtime_driver_refuses_bad_options_before_starting_a_child() {
    let Err(error) = runtime::connect_with(
        faults::app(),
        LambdaOptions::new(Source::HttpApi).memory_mb(0),
    ) else {
        panic!("a 0 MB function must be refused");
    };
    assert_says(&error, "memory_mb is 0");
}

#[test]
fn a_timeout_that_is_not_whole_milliseconds_is_refused_saying_how_to_write_it() {
    let error = ConnectOptions::new().timeout_ms("2s").unwrap_err();
    assert!(
        error.contains("CROSSDRIVE_TIMEOUT_MS is `2s`, not a whole number of milliseconds"),
        "{error}"
    );
    assert!(error.contains("such as 20000"), "{error}");
    let error = ConnectOptions::new().timeout_ms("0").unwrap_err();
    assert!(error.contains("CROSSDRIVE_TIMEOUT_MS is 0"), "{error}");
    let ok = ConnectOptions::new().timeout_ms(" 250 ").unwrap();
    assert_eq!(ok.get_timeout(), Duration::from_millis(250));
}

#[test]
fn a_remote_base_url_that_is_not_a_deployment_url_is_refused_saying_what_to_set() {
    let cases = [
        ("not a url", "`not a url` is not a URL"),
        (
            "ftp://example.com/prod",
            "must start with http:// or https://",
        ),
        ("http://example.com/prod?stage=1", "has a query or fragment"),
        ("http://example.com/prod#x", "has a query or fragment"),
        ("", "is not a URL"),
    ];
    for (url, words) in cases {
        let error = Remote::new(url).unwrap_err();
        assert_says(&error, words);
        assert_says(&error, "base URL with its stage path");
    }
}

#[test]
fn a_baseline_file_that_is_not_a_bench_report_is_refused_saying_how_to_regenerate_it() {
    let cases = [
        ("", "bench report is not JSON"),
        ("[1, 2", "bench report is not JSON"),
        (
            "{\"schema\": 7}",
            "does not declare schema crossdrive.bench.v1",
        ),
        (
            "{\"schema\": \"crossdrive.bench.v1\", \"results\": \"nope\"}",
            "regenerate it with `cargo xtask bench`",
        ),
        ("\u{feff}{}", "bench report is not JSON"),
    ];
    for (json, words) in cases {
        let error = BenchReport::from_json(json).unwrap_err();
        assert!(error.contains(words), "expected `{words}` in: {error}");
    }
}

/// Asserts that `error` is the refusal of `request` (`METHOD target`)
/// with exactly `says` (cause and hint), named after the client's driver:
/// run on every driver, the same words everywhere.
#[track_caller]
fn assert_refused(client: &Client, error: &Error, request: &str, says: &str) {
    assert!(error.is_invalid_request(), "{error}");
    assert_eq!(
        error.to_string(),
        format!(
            "{} driver: {request}: invalid request {says}",
            client.name()
        )
    );
}

/// A ready-made request: the path to the driver that skips the builder.
fn hand_built(
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &'static str,
) -> http::Request<bytes::Bytes> {
    let mut request = http::Request::builder().method(method).uri(target);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .body(bytes::Bytes::from_static(body.as_bytes()))
        .expect("a valid http::Request")
}

const CONTRADICTED: &str = "`Content-Length: 5` contradicts the body, which has 0 bytes; drop the \
                            header: the driver sets Content-Length from the body, or make the \
                            body 5 bytes long";

crossdrive::suite! {
    app = crossdrive_fixtures::reference::app;

    async fn a_body_that_contradicts_its_content_length_is_refused_before_sending(client) {
        let error = client.post("/echo").header("content-length", "5").try_send().await.unwrap_err();
        assert_refused(&client, &error, "POST /echo", CONTRADICTED);
        let ready = hand_built("POST", "/echo", &[("content-length", "5")], "");
        let error = client.send(ready).await.unwrap_err();
        assert_refused(&client, &error, "POST /echo", CONTRADICTED);
        let error = client.post("/echo").header("content-length", "2").body("hello").try_send().await.unwrap_err();
        assert_refused(
            &client,
            &error,
            "POST /echo",
            "`Content-Length: 2` contradicts the body, which has 5 bytes; drop the header: the \
             driver sets Content-Length from the body, or make the body 2 bytes long",
        );
        let error = client.post("/echo").chunks(["a", "b"]).header("content-length", "2").try_send().await.unwrap_err();
        assert_refused(
            &client,
            &error,
            "POST /echo",
            "`Content-Length: 2` is set on a streamed body, whose length is not known before it \
             is sent; drop the header and the body goes chunked, or send it whole with .body(..)",
        );
        let error = client.post("/echo").header("content-length", "five").body("hello").try_send().await.unwrap_err();
        assert_refused(
            &client,
            &error,
            "POST /echo",
            "`Content-Length: five` is not a whole number of bytes; drop the header: the driver \
             sets Content-Length from the body",
        );
    }

    async fn a_content_length_that_matches_the_body_is_valid_http_and_is_sent(client) {
        client
            .post("/echo")
            .header("content-type", "text/plain")
            .header("content-length", "5")
            .body("hello")
            .await
            .assert_status(200)
            .assert_text("hello");
        let ready = hand_built("POST", "/echo", &[("content-type", "text/plain"), ("content-length", "5")], "hello");
        client.send(ready).await.unwrap().assert_status(200).assert_text("hello");
    }

    async fn a_hand_set_transfer_encoding_is_refused_pointing_to_chunks(client) {
        const SAYS: &str = "the request sets `Transfer-Encoding: chunked` by hand; drop the \
                            header, the driver frames the body: send a chunked body with \
                            .chunks(..) or .body_stream(..), a whole one with .body(..)";
        let error = client.post("/echo").header("transfer-encoding", "chunked").body("hello").try_send().await.unwrap_err();
        assert_refused(&client, &error, "POST /echo", SAYS);
        let ready = hand_built("POST", "/echo", &[("transfer-encoding", "chunked")], "hello");
        assert_refused(&client, &client.send(ready).await.unwrap_err(), "POST /echo", SAYS);
    }

    async fn an_absolute_url_is_refused_asking_for_the_path(client) {
        const SAYS: &str = "the target `http://example.test/hello?x=1` is an absolute URL; pass \
                            the path and query, /hello?x=1: the driver picks the scheme and \
                            authority (set a Host header to choose the host the app sees)";
        let error = client.get("http://example.test/hello?x=1").try_send().await.unwrap_err();
        assert_refused(&client, &error, "GET http://example.test/hello?x=1", SAYS);
        let ready = hand_built("GET", "http://example.test/hello?x=1", &[], "");
        let error = client.send(ready).await.unwrap_err();
        assert_refused(&client, &error, "GET http://example.test/hello?x=1", SAYS);
    }

    async fn two_host_headers_are_refused_asking_for_one(client) {
        const SAYS: &str = "the request has 2 Host headers (`a.test`, `b.test`); send one: \
                            .set_header(\"host\", ..) replaces the Host, .header(..) adds another";
        let error = client.get("/hello").header("host", "a.test").header("host", "b.test").try_send().await.unwrap_err();
        assert_refused(&client, &error, "GET /hello", SAYS);
        let ready = hand_built("GET", "/hello", &[("host", "a.test"), ("host", "b.test")], "");
        assert_refused(&client, &client.send(ready).await.unwrap_err(), "GET /hello", SAYS);
    }

    async fn a_non_ascii_path_is_refused_with_its_percent_encoded_form(client) {
        const SAYS: &str = "the path `/todos/café` has non-ASCII characters; percent-encode them \
                            as UTF-8, as in /todos/caf%C3%A9";
        let error = client.get("/todos/café").try_send().await.unwrap_err();
        assert_refused(&client, &error, "GET /todos/café", SAYS);
        let ready = hand_built("GET", "/todos/café", &[], "");
        assert_refused(&client, &client.send(ready).await.unwrap_err(), "GET /todos/café", SAYS);
        let error = client.get("/todos?q=é").try_send().await.unwrap_err();
        assert!(error.to_string().contains("as in ?q=%C3%A9"), "{error}");
        // Encoded, the same request is sent.
        client.get("/todos/caf%C3%A9").await.assert_status(400);
    }
}
