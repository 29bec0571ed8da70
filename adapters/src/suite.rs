//! Write once, run on every driver: the [`suite!`](crate::suite) macro and
//! the runner behind each test it generates.
//!
//! ```
//! fn app() -> axum::Router {
//!     axum::Router::new().route("/todos", axum::routing::post(|| async { axum::http::StatusCode::CREATED }))
//! }
//!
//! crossdrive_adapters::suite! {
//!     app = app;
//!
//!     async fn create_then_read(client) {
//!         client.post("/todos").json(&serde_json::json!({"title": "x"})).await.assert_status(201);
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! expands (like hyper's `t!` matrix) to a module per test body with one
//! `#[test]` per driver of the [driver table](crate::driver_table):
//! `create_then_read::direct`, `create_then_read::http1`, ... so the normal
//! `cargo test` name filter selects drivers (`cargo test ::http1`) and the
//! `CROSSDRIVE_DRIVERS` variable narrows them further.
//!
//! Every generated test calls [`run`]: it checks the selection, builds a
//! fresh app instance with the `app` factory (tests never share app state),
//! connects the driver to it, and runs the body on a fresh current-thread
//! tokio runtime, like `#[tokio::test]` does. Drivers keep their own
//! servers and runtimes on their own threads, so nothing a test's runtime
//! owns outlives the test.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use crossdrive::{Client, Selection};

use crate::{ConnectOptions, Kind};

/// Runs one generated test: `body` against a fresh `app()` through the
/// driver whose identifier is `ident`.
///
/// Fails the test with a clear message if the driver cannot be connected or
/// `CROSSDRIVE_DRIVERS` names an unknown driver; prints a line and returns
/// if the driver is not selected.
pub fn run<A, F, Fut>(ident: &str, test: &str, timeout: Option<Duration>, app: A, body: F)
where
    A: FnOnce() -> Router,
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(kind) = selected_kind(ident, test) else {
        return;
    };
    let options = options(timeout);
    let runtime = test_runtime();
    // Connected inside the runtime, so drivers may use the test's runtime
    // context while starting (their servers still live on their own threads).
    // libtest names the test `<module path without the crate>::<ident>`;
    // the lambda-runtime driver re-runs exactly this test as its function.
    let libtest_name = test
        .split_once("::")
        .map_or_else(|| ident.to_owned(), |(_, rest)| format!("{rest}::{ident}"));
    crate::lambda::runtime::set_current_test(Some(libtest_name));
    runtime.block_on(async {
        let driver = match kind.connect_with(app(), &options) {
            Ok(driver) => driver,
            Err(e) => panic!("crossdrive: cannot start the `{kind}` driver for {test}: {e}"),
        };
        body(Client::from_arc(driver)).await;
    });
}

/// The driver `ident` names, if `CROSSDRIVE_DRIVERS` selects it; prints a
/// `not run` line for `test` otherwise. Fails the test on an unknown
/// driver or an invalid selection. Shared by every generated test
/// (`suite!`, `conformance!`).
pub(crate) fn selected_kind(ident: &str, test: &str) -> Option<Kind> {
    let Some(kind) = Kind::from_name(ident) else {
        panic!(
            "crossdrive: `{ident}` is not a driver; the drivers are: {}",
            Kind::names().join(", ")
        );
    };
    if selection().includes(kind.name()) {
        Some(kind)
    } else {
        eprintln!(
            "crossdrive: {test}::{ident} not run: `{kind}` is not in {}",
            crossdrive::DRIVERS_ENV
        );
        None
    }
}

/// `CROSSDRIVE_DRIVERS`, parsed; an invalid value fails the test.
pub(crate) fn selection() -> Selection {
    match Selection::from_env(&selectable()) {
        Ok(selection) => selection,
        Err(message) => panic!("crossdrive: {message}"),
    }
}

/// The names `CROSSDRIVE_DRIVERS` may hold in a suite: every driver of
/// the table, and `remote`.
fn selectable() -> Vec<&'static str> {
    let mut names = Kind::names();
    names.push(crate::remote::NAME);
    names
}

fn options(timeout: Option<Duration>) -> ConnectOptions {
    let options = match ConnectOptions::from_env() {
        Ok(options) => options,
        Err(message) => panic!("crossdrive: {message}"),
    };
    match timeout {
        Some(timeout) => options.timeout(timeout),
        None => options,
    }
}

/// A fresh current-thread runtime with IO and timers, as `#[tokio::test]` builds.
pub(crate) fn test_runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("crossdrive: cannot build the test's tokio runtime ({e})"),
    }
}

/// Runs one generated `remote` test: `body` against the deployment at
/// `CROSSDRIVE_REMOTE_URL` through the [`remote`](crate::remote) driver.
///
/// With the variable unset (the usual local run) the test is not run: it
/// prints `not run: CROSSDRIVE_REMOTE_URL is unset` and returns. An
/// invalid URL fails the test with what is wrong with it.
pub fn run_remote<F, Fut>(test: &str, timeout: Option<Duration>, body: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()>,
{
    let name = crate::remote::NAME;
    match Selection::from_env(&selectable()) {
        Ok(selection) if !selection.includes(name) => {
            eprintln!(
                "crossdrive: {test}::{name} not run: `{name}` is not in {}",
                crossdrive::DRIVERS_ENV
            );
            return;
        }
        Ok(_) => {}
        Err(message) => panic!("crossdrive: {message}"),
    }
    let options = options(timeout);
    let remote = match crate::remote::Remote::from_env() {
        Ok(Some(remote)) => remote.timeout(options.get_timeout()),
        Ok(None) => {
            eprintln!(
                "crossdrive: {test}::{name} not run: {} is unset",
                crate::remote::URL_ENV
            );
            return;
        }
        Err(e) => panic!("crossdrive: cannot use the `remote` driver for {test}: {e}"),
    };
    test_runtime().block_on(body(Client::new(remote)));
}

/// Turns each `async fn name(client) { ... }` into a module `name` with one
/// `#[test]` per driver, each running the body against a fresh instance of
/// the app built by `app = factory;`.
///
/// Attributes written above a body (`#[ignore]`, `#[should_panic]`, docs)
/// are copied onto each of its tests.
///
/// ```
/// fn app() -> axum::Router {
///     axum::Router::new().route("/hello", axum::routing::get(|| async { "hi" }))
/// }
///
/// crossdrive_adapters::suite! {
///     app = app;
///
///     #[doc = "copied onto hello_answers_200::direct and its siblings"]
///     async fn hello_answers_200(client) {
///         client.get("/hello").await.assert_status(200);
///     }
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! suite {
    (app = $app:expr; timeout = $timeout:expr; $($tests:tt)*) => {
        $crate::__suite_bodies! { [$app, ::core::option::Option::Some($timeout)] $($tests)* }
    };
    (app = $app:expr; $($tests:tt)*) => {
        $crate::__suite_bodies! { [$app, ::core::option::Option::None] $($tests)* }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_bodies {
    ([$app:expr, $timeout:expr]) => {};
    ([$app:expr, $timeout:expr]
        $(#[$meta:meta])*
        async fn $name:ident($client:ident $(: $ty:ty)?) $body:block
        $($rest:tt)*
    ) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($client: $crate::__private::Client) $body

            $crate::driver_table! { $crate::__suite_tests [[$app, $timeout] [$(#[$meta])*]] }

            $(#[$meta])*
            #[test]
            fn remote() {
                $crate::suite::run_remote(module_path!(), $timeout, body);
            }
        }
        $crate::__suite_bodies! { [$app, $timeout] $($rest)* }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_tests {
    ([[$app:expr, $timeout:expr] $metas:tt] $({ ident: $ident:ident, $($field:tt)* })*) => {
        $( $crate::__suite_test! { [$app, $timeout] $metas $ident } )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_test {
    ([$app:expr, $timeout:expr] [$(#[$meta:meta])*] $ident:ident) => {
        $(#[$meta])*
        #[test]
        fn $ident() {
            $crate::suite::run(stringify!($ident), module_path!(), $timeout, $app, body);
        }
    };
}
