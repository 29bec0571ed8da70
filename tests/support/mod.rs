//! Helpers the shared suite's test binaries have in common, as hyper keeps
//! them in `tests/support`: each binary says `mod support;` and uses what
//! it needs (the rest is dead code in that binary, hence the allow).
//!
//! - [`rt`] and [`block_on`]: a current-thread runtime with IO and timers,
//!   for tests that drive a client outside `suite!`.
//! - [`listed_tests`]: the tests a binary holds, as a user lists them.
//! - [`lambda_failure`], [`assert_names_request`], [`assert_still_serves`]:
//!   the checks the fault and Lambda tests share.
//! - [`socket_server`], [`tls_server`] (rstest `#[once]` fixtures) and the
//!   one-line clients [`direct`], [`http1`], [`http2`], [`http2_tls`] over
//!   the shared servers, for rstest cases per driver.

#![allow(dead_code)]

use std::future::Future;

use axum::Router;
use crossdrive::Direct;
use crossdrive::lambda::LambdaFailure;
use crossdrive::socket::{SocketDriver, SocketServer};
use crossdrive::{Client, Error, TestResponse};
use rstest::fixture;

/// The tests this very test binary holds, one `name: test` line each, as
/// `cargo test -- --list --format terse` shows them to a user.
pub(crate) fn listed_tests() -> String {
    let exe = std::env::current_exe().expect("the test binary's path");
    let listed = std::process::Command::new(exe)
        .args(["--list", "--format", "terse"])
        .output()
        .expect("the test binary lists its tests");
    String::from_utf8_lossy(&listed.stdout).into_owned()
}

/// A current-thread runtime with IO and timers.
pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread test runtime")
}

/// Runs `future` to completion on a fresh [`rt`].
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    rt().block_on(future)
}

/// The [`LambdaFailure`] a Lambda driver attached to `response`; fails the
/// test, printing the response, when there is none.
#[track_caller]
pub(crate) fn lambda_failure(response: &TestResponse) -> LambdaFailure {
    match response.response().extensions().get::<LambdaFailure>() {
        Some(f) => f.clone(),
        None => panic!("no LambdaFailure on:\n{response}"),
    }
}

/// Asserts that `error` names the driver, the request (`GET target`) and
/// what went wrong (`kind`, as `Display` spells it) first.
#[track_caller]
pub(crate) fn assert_names_request(error: &Error, driver: &str, target: &str, kind: &str) {
    let expected = format!("{driver} driver: GET {target}: {kind}");
    assert!(
        error.to_string().starts_with(&expected),
        "expected the error to start with `{expected}`, got: {error}"
    );
}

/// Asserts that the fault app behind `client` still answers `/ok`.
pub(crate) async fn assert_still_serves(client: &Client) {
    client.get("/ok").await.assert_status(200).assert_text("ok");
}

#[track_caller]
fn or_fail<T>(what: &str, result: Result<T, Error>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("fixture `{what}` cannot start: {e}"),
    }
}

/// The plain-text server shared by every test in this binary (HTTP/1.1 and
/// h2c on one port), as an rstest `#[once]` fixture.
#[fixture]
#[once]
pub(crate) fn socket_server() -> SocketServer {
    or_fail("socket_server", SocketServer::shared()).clone()
}

/// The TLS server shared by every test in this binary, as an rstest
/// `#[once]` fixture.
#[fixture]
#[once]
pub(crate) fn tls_server() -> SocketServer {
    or_fail("tls_server", SocketServer::shared_tls()).clone()
}

fn client(what: &str, driver: Result<SocketDriver, Error>) -> Client {
    Client::new(or_fail(what, driver))
}

/// A client calling a fresh `app` in-process.
pub(crate) fn direct(app: Router) -> Client {
    Client::new(Direct::new(app))
}

/// A client reaching a fresh `app` over HTTP/1.1 (keep-alive) on the shared server.
pub(crate) fn http1(app: Router) -> Client {
    client("http1", or_fail("http1", SocketServer::shared()).http1(app))
}

/// A client reaching a fresh `app` over h2c on the shared server.
pub(crate) fn http2(app: Router) -> Client {
    client("http2", or_fail("http2", SocketServer::shared()).http2(app))
}

/// A client reaching a fresh `app` over HTTP/2 by ALPN over TLS on the
/// shared TLS server.
pub(crate) fn http2_tls(app: Router) -> Client {
    client(
        "http2_tls",
        or_fail("http2_tls", SocketServer::shared_tls()).http2_tls(app),
    )
}
