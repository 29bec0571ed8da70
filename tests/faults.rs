//! Faults on every driver: a handler that never answers, answers slowly or
//! streams forever, and a server that goes away mid-suite. (Panics are in
//! tests/fault_panics.rs, a binary of their own: see there why.)
//!
//! Every fault test runs once per driver of the table (`suite!`) with a
//! 500 ms per-request timeout (1 s on `lambda-runtime`), and asserts the exact outcome that driver's
//! adapter really produces: an error of the right kind naming driver,
//! method and URI, or the response a Lambda event source sends in place of
//! a crashed function. Then it asserts the same app (and so the shared
//! server) still answers.

mod support;
use support::{assert_names_request, assert_still_serves, rt};

use std::time::{Duration, Instant};

use crossdrive::Client;
use crossdrive::remote::{Remote, local_only};
use crossdrive::socket::{ServerOptions, SocketServer};
use crossdrive::suite;
use crossdrive_fixtures::faults;

/// The per-request timeout the fault tests run with on every driver but
/// `lambda-runtime`. It bounds the follow-up requests too (a 20 ms answer,
/// `GET /ok`), which take milliseconds even on a loaded machine; every
/// test waits it out once, so it is most of this binary's time.
const TIMEOUT: Duration = Duration::from_millis(500);

/// The per-request timeout on `lambda-runtime`. After a timeout it
/// replaces its function instance as Lambda replaces a sandbox, so the
/// follow-up request pays a cold start: a new child process of this debug
/// binary, which took over 300 ms on a loaded machine (found by the
/// nextest flake runs, when this was 300 ms for every driver).
const LAMBDA_RUNTIME_TIMEOUT: Duration = Duration::from_secs(1);

/// The timeout for the driver the calling generated test runs on.
/// `suite!` evaluates `timeout` inside each generated test, and libtest
/// runs every test on a thread named after it (`<driver>::<body>`). Were
/// the name ever missing, `lambda-runtime` would get 500 ms and fail
/// `assert_times_out`'s message check, not pass more weakly.
fn timeout() -> Duration {
    let on_lambda_runtime = std::thread::current().name().is_some_and(|test| {
        test.starts_with("lambda_runtime::") || test.starts_with("lambda_url_stream::")
    });
    if on_lambda_runtime {
        LAMBDA_RUNTIME_TIMEOUT
    } else {
        TIMEOUT
    }
}

/// What a loaded two-core machine may add on top of a bound before the
/// test calls it a hang (a hang would be the 5 s default or forever).
const SLACK: Duration = Duration::from_millis(2500);

const FAULT_APP: &str = "needs the fault app, which is not what the deployment serves";

/// A request that must fail with a timeout after the driver's timeout
/// (`TIMEOUT`, or `LAMBDA_RUNTIME_TIMEOUT`), not sooner and not much later.
async fn assert_times_out(client: &Client, target: &str) {
    let (timeout, message) = if matches!(client.name(), "lambda-runtime" | "lambda-url-stream") {
        (LAMBDA_RUNTIME_TIMEOUT, "timed out after 1s")
    } else {
        (TIMEOUT, "timed out after 500ms")
    };
    let started = Instant::now();
    let outcome = client.get(target).try_send().await;
    let took = started.elapsed();
    let error = match outcome {
        Err(error) => error,
        Ok(response) => panic!("{target} must time out, got:\n{response}"),
    };
    assert!(error.is_timeout(), "{error}");
    assert_names_request(&error, client.name(), target, message);
    assert!(
        took >= timeout,
        "gave up after {took:?}, before the timeout"
    );
    assert!(
        took < timeout + SLACK,
        "took {took:?}: the timeout did not bound the wait"
    );
}

suite! {
    app = faults::app;
    timeout = timeout();

    async fn a_handler_that_never_answers_times_out_and_the_server_keeps_serving(client) {
        if local_only(&client, FAULT_APP) {
            return;
        }
        assert_times_out(&client, "/never").await;
        assert_still_serves(&client).await;
    }

    async fn a_slow_handler_answers_within_the_timeout_and_times_out_past_it(client) {
        if local_only(&client, FAULT_APP) {
            return;
        }
        client.get("/slow?ms=20").await.assert_status(200).assert_text("slept 20 ms");
        assert_times_out(&client, "/slow?ms=10000").await;
        assert_still_serves(&client).await;
    }

    async fn a_body_that_streams_forever_times_out_and_the_server_keeps_serving(client) {
        if local_only(&client, FAULT_APP) {
            return;
        }
        assert_times_out(&client, "/stream-forever").await;
        assert_still_serves(&client).await;
    }
}

#[test]
fn a_stopped_server_fails_the_next_requests_fast_with_a_connection_error_saying_so() {
    let server = SocketServer::start(ServerOptions::new().label("faults-stopped")).unwrap();
    let http1 = Client::new(
        server
            .http1(faults::app())
            .unwrap()
            .timeout(Duration::from_secs(5)),
    );
    let http2 = Client::new(
        server
            .http2(faults::app())
            .unwrap()
            .timeout(Duration::from_secs(5)),
    );
    rt().block_on(async {
        // Connections are open and pooled when the server goes away.
        assert_still_serves(&http1).await;
        assert_still_serves(&http2).await;
        server.stop();
        assert!(!server.is_running());
        for client in [&http1, &http2] {
            for _ in 0..3 {
                let started = Instant::now();
                let error = match client.get("/ok").try_send().await {
                    Err(error) => error,
                    Ok(response) => panic!("a stopped server answered:\n{response}"),
                };
                assert!(
                    started.elapsed() < Duration::from_secs(1),
                    "failing took {:?}",
                    started.elapsed()
                );
                assert!(error.is_connection(), "{error}");
                assert_names_request(&error, client.name(), "/ok", "connection error");
                assert!(
                    error.to_string().contains("is gone: it was stopped"),
                    "{error}"
                );
            }
        }
    });
    let error = server.http1(faults::app()).unwrap_err();
    assert!(error.is_connection(), "{error}");
    assert!(error.to_string().contains("is stopped"), "{error}");
}

#[test]
fn a_listener_that_closed_refuses_at_once_with_a_connection_error_saying_so() {
    // A server in another process that went away: nothing listens on the port.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::new(Remote::new(&format!("http://{addr}/prod")).unwrap());
    rt().block_on(async {
        let started = Instant::now();
        let error = match client.get("/ok").try_send().await {
            Err(error) => error,
            Ok(response) => panic!("a closed port answered:\n{response}"),
        };
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "refusal took {:?}",
            started.elapsed()
        );
        assert!(error.is_connection(), "{error}");
        assert_names_request(&error, "remote", "/ok", "connection error");
        assert!(
            error
                .to_string()
                .contains(&format!("cannot connect to http://{addr}/prod")),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("refused the connection or is gone"),
            "{error}"
        );
    });
}
