//! App mistakes, named as what they are and the same on every driver.
//!
//! - A final 1xx status: no client can receive one as an answer (RFC 9110
//!   §15.2). Before, `http1` said "is something else listening on the
//!   server's port?" (hyper turned it into a bare 500 without the
//!   server's record), HTTP/2 and HTTP/3 failed otherwise, and `direct`
//!   and the Lambda drivers handed the 103 to the test. Now every driver
//!   fails with `is_app_mistake()`, in `send` and in `stream`.
//! - Headers in crossdrive's private `x-crossdrive-` namespace set by the
//!   app: before, `x-crossdrive-panic: 1` turned a 200 into "handler
//!   panicked" on the socket drivers and `x-crossdrive-version` was
//!   replaced. Now they reach the test unchanged on every driver, as any
//!   other header does (the socket server's record is named after the
//!   app's secret id, so the app cannot forge it).

use crossdrive::Client;
use crossdrive::remote::local_only;
use crossdrive::suite;

use axum::Router;
use axum::routing::get;
use http::StatusCode;

const OWN_APP: &str = "needs this file's app, which is not what the deployment serves";

/// The private names the socket server used before, and its request header.
const PRIVATE: [&str; 3] = [
    "x-crossdrive-panic",
    "x-crossdrive-version",
    "x-crossdrive-app",
];

fn app() -> Router {
    Router::new()
        .route("/early-hints", get(|| async { StatusCode::EARLY_HINTS }))
        .route(
            "/continue",
            get(|| async { (StatusCode::CONTINUE, "body") }),
        )
        .route(
            "/private",
            get(|| async {
                (
                    [
                        (PRIVATE[0], "1"),
                        (PRIVATE[1], "HTTP/9.9"),
                        (PRIVATE[2], "the app's own"),
                    ],
                    "ok",
                )
            }),
        )
        .route("/ok", get(|| async { "ok" }))
}

/// Fails unless `outcome` is the app-mistake error for `status` on `path`.
#[track_caller]
fn assert_final_informational<T>(
    client: &Client,
    path: &str,
    status: StatusCode,
    outcome: Result<T, crossdrive::Error>,
) {
    let Err(error) = outcome else {
        panic!(
            "{}: GET {path} answered; a final {status} must be the app's mistake",
            client.name()
        );
    };
    assert!(error.is_app_mistake(), "{}: {error}", client.name());
    let text = error.to_string();
    let expected = format!(
        "{} driver: GET {path}: app mistake the app answered with {status} as its final status",
        client.name()
    );
    assert!(
        text.starts_with(&expected),
        "{text}\nexpected it to start with: {expected}"
    );
    assert!(text.contains("a final response is 2xx-5xx"), "{text}");
    assert!(!text.contains("something else listening"), "{text}");
}

suite! {
    app = app;

    async fn a_final_1xx_status_is_the_apps_mistake_on_every_driver(client) {
        if local_only(&client, OWN_APP) {
            return;
        }
        for (path, status) in [("/early-hints", StatusCode::EARLY_HINTS), ("/continue", StatusCode::CONTINUE)] {
            let sent = client.get(path).try_send().await;
            assert_final_informational(&client, path, status, sent);
            let streamed = client.get(path).try_stream().await;
            assert_final_informational(&client, path, status, streamed);
        }
        // The mistake costs the app nothing: the next request is answered.
        client.get("/ok").await.assert_status(200).assert_text("ok");
    }

    async fn the_apps_own_x_crossdrive_headers_reach_the_test_unchanged_on_every_driver(client) {
        if local_only(&client, OWN_APP) {
            return;
        }
        let response = client.get("/private").await;
        response
            .assert_status(200)
            .assert_text("ok")
            .assert_header_all(PRIVATE[0], &["1"])
            .assert_header_all(PRIVATE[1], &["HTTP/9.9"])
            .assert_header_all(PRIVATE[2], &["the app's own"]);
        // Nothing of the server's own record is left for the test to see.
        let others: Vec<&str> = response
            .headers()
            .keys()
            .map(http::HeaderName::as_str)
            .filter(|name| name.starts_with("x-crossdrive-") && !PRIVATE.contains(name))
            .collect();
        assert!(others.is_empty(), "private headers leaked: {others:?}\n{response}");
    }
}
