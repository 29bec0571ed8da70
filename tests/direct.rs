//! Behaviour of the `direct` driver and of the test client that the shared
//! suite cannot show: failure reports, timeouts, panics, bad input.

mod support;
use support::rt;

use std::future::IntoFuture;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use crossdrive::Client;
use crossdrive::Direct;

fn reference() -> Client {
    Client::new(Direct::new(crossdrive_fixtures::reference::app()))
}

#[test]
fn a_failed_assertion_prints_driver_request_and_whole_response() {
    let response = rt().block_on(
        reference()
            .post("/todos")
            .header("x-trace", "a")
            .header("x-trace", "b")
            .json(&serde_json::json!({"name": "x"}))
            .into_future(),
    );
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        response.assert_status(201);
    }))
    .expect_err("a 422 must fail assert_status(201)");
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert_eq!(
        message,
        "crossdrive assertion failed: status
  expected: 201 Created
  received: 422 Unprocessable Entity
driver: direct (in-process)
request:
  POST /todos
  x-trace: a
  x-trace: b
  content-type: application/json
  body: {\"name\":\"x\"}
response:
  422 Unprocessable Entity
  content-type: application/json
  content-length: 89
  body: {\"error\":\"a to-do is a JSON object with a string `title` and an optional boolean `done`\"}
"
    );
}

#[test]
fn a_repeated_header_assertion_shows_every_value_received() {
    let app = Router::new().route(
        "/cookies",
        get(|| async {
            // AppendHeaders, not an array: arrays insert and would keep only the last.
            axum::response::AppendHeaders([
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2"),
                ("set-cookie", "c=3"),
            ])
        }),
    );
    let response = rt().block_on(Client::new(Direct::new(app)).get("/cookies").into_future());
    response.assert_header_all("set-cookie", &["a=1", "b=2", "c=3"]);
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        response.assert_header("set-cookie", "a=1");
    }))
    .expect_err("three values are not one");
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    // Set-Cookie values are secrets: each shows its cookie's name and length.
    let expected = if crossdrive::redact::show_secrets() {
        "expected: \"a=1\" (once)\n  received: 3 values [\"a=1\", \"b=2\", \"c=3\"]"
    } else {
        "expected: \"a=<redacted 1 byte>\" (once)\n  received: 3 values [\"a=<redacted 1 \
         byte>\", \"b=<redacted 1 byte>\", \"c=<redacted 1 byte>\"]"
    };
    assert!(message.contains(expected), "{message}");
}

#[test]
fn a_handler_that_never_answers_times_out_with_driver_method_and_uri() {
    let app = Router::new().route("/never", get(std::future::pending::<&'static str>));
    let client = Client::new(Direct::new(app).timeout(Duration::from_millis(50)));
    let started = std::time::Instant::now();
    let error = rt()
        .block_on(client.get("/never?x=1").try_send())
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the timeout must bound the wait"
    );
    assert!(
        error
            .to_string()
            .starts_with("direct driver: GET /never?x=1: timed out after 50ms"),
        "{error}"
    );
}

#[test]
fn the_timeout_also_works_when_the_caller_runs_no_tokio_timer() {
    let app = Router::new().route("/never", get(std::future::pending::<&'static str>));
    let client = Client::new(Direct::new(app).timeout(Duration::from_millis(20)));
    // A runtime built without `enable_time`: the driver must not depend on it.
    let bare = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let error = bare.block_on(client.get("/never").try_send()).unwrap_err();
    assert!(error.is_timeout(), "{error}");
}

async fn boom() -> &'static str {
    panic!("the handler exploded")
}

#[test]
fn a_panicking_handler_is_an_error_and_the_app_keeps_serving() {
    let app = Router::new()
        .route("/boom", get(boom))
        .route("/ok", get(|| async { "fine" }));
    let client = Client::new(Direct::new(app));
    let runtime = rt();
    let error = runtime
        .block_on(client.get("/boom").try_send())
        .unwrap_err();
    assert!(error.is_handler_panic(), "{error}");
    assert!(
        error.to_string().contains("the handler exploded"),
        "{error}"
    );
    runtime
        .block_on(client.get("/ok").into_future())
        .assert_text("fine");
}

#[test]
fn a_body_over_the_limit_is_a_limit_error_not_a_truncation() {
    let app = Router::new().route("/big", get(|| async { vec![b'x'; 4096] }));
    let client = Client::new(Direct::new(app).body_limit(1024));
    let error = rt().block_on(client.get("/big").try_send()).unwrap_err();
    assert!(error.is_limit_exceeded(), "{error}");
    assert!(error.to_string().contains("1024-byte limit"), "{error}");
}

#[test]
fn an_invalid_header_value_is_reported_at_send_without_panicking() {
    let error = rt()
        .block_on(
            reference()
                .get("/hello")
                .header("x-bad", "line\nbreak")
                .try_send(),
        )
        .unwrap_err();
    assert!(error.is_invalid_request(), "{error}");
    assert!(
        error
            .to_string()
            .contains("invalid value for header `x-bad`"),
        "{error}"
    );
}

#[test]
fn an_invalid_method_or_target_is_reported_with_what_to_do() {
    let client = reference();
    let runtime = rt();
    let method = runtime
        .block_on(client.method("BAD METHOD", "/").try_send())
        .unwrap_err();
    assert!(
        method.to_string().contains("is not a valid HTTP method"),
        "{method}"
    );
    let target = runtime
        .block_on(client.get("todos").try_send())
        .unwrap_err();
    assert!(target.to_string().contains("start it with `/`"), "{target}");
    let spaces = runtime.block_on(client.get("/a b").try_send()).unwrap_err();
    assert!(
        spaces.to_string().contains("percent-encode spaces"),
        "{spaces}"
    );
}

#[test]
fn awaiting_a_failing_request_fails_the_test_with_the_drivers_error() {
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt().block_on(
            reference()
                .get("/hello")
                .header("bad name", "v")
                .into_future(),
        );
    }))
    .expect_err("an unbuildable request must fail the test");
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert!(
        message.starts_with("direct driver: GET /hello: invalid request invalid header name"),
        "{message}"
    );
}

#[test]
fn query_helpers_percent_encode_and_keep_repeated_keys_in_order() {
    let request = reference()
        .get("/search?fixed=1")
        .query("q", "a b+c/d")
        .query("q", "é")
        .query("empty", "")
        .into_request()
        .unwrap();
    assert_eq!(
        request.uri(),
        "/search?fixed=1&q=a%20b%2Bc%2Fd&q=%C3%A9&empty="
    );
}

#[test]
fn an_absolute_url_is_refused_by_into_request_asking_for_the_path() {
    let error = reference()
        .get("http://example.test:8080/x?y=1")
        .into_request()
        .unwrap_err();
    assert!(error.is_invalid_request(), "{error}");
    assert!(
        error
            .to_string()
            .contains("is an absolute URL; pass the path and query, /x?y=1"),
        "{error}"
    );
    // The host the app sees is a header of its own.
    let request = reference()
        .get("/x?y=1")
        .header("host", "example.test:8080")
        .into_request()
        .unwrap();
    assert_eq!(request.uri(), "/x?y=1");
    assert_eq!(request.headers()["host"], "example.test:8080");
}

#[test]
fn cookies_join_into_one_header_as_browsers_send_them() {
    let request = reference()
        .get("/")
        .cookie("a", "1")
        .cookie("b", "2")
        .into_request()
        .unwrap();
    assert_eq!(request.headers().get_all("cookie").iter().count(), 1);
    assert_eq!(request.headers()["cookie"], "a=1; b=2");
}

#[test]
fn all_256_byte_values_travel_through_the_direct_driver_unchanged() {
    let app = Router::new().route(
        "/echo",
        axum::routing::post(|body: bytes::Bytes| async move { body }),
    );
    let bytes: Vec<u8> = (0..=255).collect();
    rt().block_on(
        Client::new(Direct::new(app))
            .post("/echo")
            .body(bytes.clone())
            .into_future(),
    )
    .assert_status(200)
    .assert_bytes(&bytes);
}

crossdrive::suite! {
    app = crossdrive_fixtures::reference::app;

    /// Run by `crossdrive_drivers_runs_what_it_selects_and_fails_what_it_leaves_out` in a child process.
    async fn selection_probe(client) {
        client.get("/hello").await.assert_status(200);
        println!("selection_probe ran on {}", client.name());
    }
}

/// Runs this test binary again with `CROSSDRIVE_DRIVERS` set, so the
/// variable is read by a fresh process instead of being mutated here.
fn run_probe(drivers: &str) -> std::process::Output {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "direct::selection_probe",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(crossdrive::DRIVERS_ENV, drivers)
        .output()
        .unwrap()
}

#[test]
fn crossdrive_drivers_runs_what_it_selects_and_fails_what_it_leaves_out() {
    let selected = run_probe("direct");
    let out = String::from_utf8_lossy(&selected.stdout);
    assert!(
        selected.status.success() && out.contains("selection_probe ran on direct"),
        "{out}"
    );

    let unknown = run_probe("direct,carrier-pigeon");
    let out = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        !unknown.status.success(),
        "an unknown driver must fail the test:\n{out}"
    );
    assert!(
        out.contains(
            "unknown driver `carrier-pigeon` in CROSSDRIVE_DRIVERS; the drivers are: direct"
        ),
        "{out}"
    );

    if let Some(other) = crossdrive::Kind::ALL.iter().find(|k| k.name() != "direct") {
        // A test left out is not a pass: libtest cannot skip at run time,
        // so the test fails, saying to use the test filter instead.
        let skipped = run_probe(other.ident());
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&skipped.stdout),
            String::from_utf8_lossy(&skipped.stderr)
        );
        assert!(!skipped.status.success(), "{out}");
        assert!(
            out.contains("CROSSDRIVE_DRIVERS leaves `direct` out")
                && out.contains("cargo test -- direct::"),
            "{out}"
        );
        assert!(!out.contains("selection_probe ran"), "{out}");
    }
}
