//! A panicking handler on every driver: reported before the timeout as
//! the adapter really reports it, and the app and shared server keep
//! serving.
//!
//! A binary of its own, with the default 5 s timeout, because a panic's
//! cost is the panic hook's: with RUST_BACKTRACE=1 (set in CI and here) it
//! symbolizes a backtrace, 0.3 s and more in a debug build on a busy
//! machine, on the shared server's one thread for the socket drivers. The
//! flake runs found both sides of that: a panic test failing as a 300 ms
//! timeout, and, while these tests shared a binary (and so a server) with
//! the 300 ms timeout tests, those tests' follow-up requests timing out
//! behind the stalled server thread.

mod support;
use support::{assert_names_request, assert_still_serves, lambda_failure};

use std::time::Instant;

use crossdrive::direct::DEFAULT_TIMEOUT;
use crossdrive::remote::local_only;
use crossdrive::suite;
use crossdrive_fixtures::faults::{self, PANIC_MESSAGE};

const FAULT_APP: &str = "needs the fault app, which is not what the deployment serves";

suite! {
    app = faults::app;

    async fn panic_is_reported_and_the_server_keeps_serving(client) {
        if local_only(&client, FAULT_APP) {
            return;
        }
        let started = Instant::now();
        let outcome = client.get("/panic").try_send().await;
        assert!(started.elapsed() < DEFAULT_TIMEOUT, "a panic must be reported before the timeout");
        let name = client.name().to_owned();
        match (name.as_str(), outcome) {
            // In-process and socket drivers: the handler's panic is caught
            // (by the guard, or by crossdrive's server, which marks its 500)
            // and becomes a handler-panic error carrying the message.
            ("direct" | "http1" | "http2" | "http2-tls" | "http3" | "http1-fresh", Err(error)) => {
                assert!(error.is_handler_panic(), "{error}");
                assert_names_request(&error, &name, "/panic", "handler panicked");
                assert!(error.to_string().contains(PANIC_MESSAGE), "{error}");
            }
            // Lambda: the source answers for the crashed function, as AWS does.
            ("lambda" | "lambda-runtime", Ok(response)) => {
                response.assert_status(500).assert_json(&serde_json::json!({"message": "Internal Server Error"}));
                assert!(lambda_failure(&response).reason.contains(PANIC_MESSAGE), "{response}");
                // lambda-runtime tells a panic by the errorType the runtime posts.
                assert_eq!(lambda_failure(&response).code, "handler-panic", "{response}");
            }
            ("lambda-url" | "lambda-url-stream", Ok(response)) => {
                // Plain text, as recorded against AWS (localstack/localstack@8b9a79f0,
                // test_lambda.py TestLambdaURL::test_lambda_url_invocation_exception).
                response.assert_status(502).assert_text("Internal Server Error");
                assert_eq!(lambda_failure(&response).code, "handler-panic");
            }
            ("lambda-v1", Ok(response)) => {
                response.assert_status(502).assert_json(&serde_json::json!({"message": "Internal server error"}));
                assert_eq!(lambda_failure(&response).code, "handler-panic");
            }
            ("lambda-alb", Ok(response)) => {
                response.assert_status(502).assert_header("content-type", "text/html");
                assert!(response.text().contains("502 Bad Gateway"), "{response}");
                assert_eq!(lambda_failure(&response).code, "handler-panic");
            }
            (driver, Ok(response)) => panic!("{driver}: unexpected response to a panic:\n{response}"),
            (driver, Err(error)) => panic!("{driver}: unexpected error for a panic: {error}"),
        }
        assert_still_serves(&client).await;
    }
}
