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

use axum::Router;
use crossdrive::{Client, Selection};

use crate::Kind;

/// Runs one generated test: `body` against a fresh `app()` through the
/// driver whose identifier is `ident`.
///
/// Fails the test with a clear message if the driver cannot be connected or
/// `CROSSDRIVE_DRIVERS` names an unknown driver; prints a line and returns
/// if the driver is not selected.
pub fn run<A, F, Fut>(ident: &str, test: &str, app: A, body: F)
where
    A: FnOnce() -> Router,
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(kind) = Kind::from_name(ident) else {
        panic!(
            "crossdrive: `{ident}` is not a driver; the drivers are: {}",
            Kind::names().join(", ")
        );
    };
    match Selection::from_env(&Kind::names()) {
        Ok(selection) if !selection.includes(kind.name()) => {
            eprintln!(
                "crossdrive: {test}::{ident} not run: `{kind}` is not in {}",
                crossdrive::DRIVERS_ENV
            );
            return;
        }
        Ok(_) => {}
        Err(message) => panic!("crossdrive: {message}"),
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("crossdrive: cannot build the test's tokio runtime ({e})"),
    };
    // Connected inside the runtime, so drivers may use the test's runtime
    // context while starting (their servers still live on their own threads).
    // libtest names the test `<module path without the crate>::<ident>`;
    // the lambda-runtime driver re-runs exactly this test as its function.
    let libtest_name = test
        .split_once("::")
        .map_or_else(|| ident.to_owned(), |(_, rest)| format!("{rest}::{ident}"));
    crate::lambda::runtime::set_current_test(Some(libtest_name));
    runtime.block_on(async {
        let driver = match kind.connect(app()) {
            Ok(driver) => driver,
            Err(e) => panic!("crossdrive: cannot start the `{kind}` driver for {test}: {e}"),
        };
        body(Client::from_arc(driver)).await;
    });
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
    (app = $app:expr; $($tests:tt)*) => {
        $crate::__suite_bodies! { [$app] $($tests)* }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_bodies {
    ([$app:expr]) => {};
    ([$app:expr]
        $(#[$meta:meta])*
        async fn $name:ident($client:ident $(: $ty:ty)?) $body:block
        $($rest:tt)*
    ) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($client: $crate::__private::Client) $body

            $crate::driver_table! { $crate::__suite_tests [[$app] [$(#[$meta])*]] }
        }
        $crate::__suite_bodies! { [$app] $($rest)* }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_tests {
    ([[$app:expr] $metas:tt] $({ ident: $ident:ident, $($field:tt)* })*) => {
        $( $crate::__suite_test! { [$app] $metas $ident } )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_test {
    ([$app:expr] [$(#[$meta:meta])*] $ident:ident) => {
        $(#[$meta])*
        #[test]
        fn $ident() {
            $crate::suite::run(stringify!($ident), module_path!(), $app, body);
        }
    };
}
