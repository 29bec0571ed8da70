//! Write once, run on every driver: the [`suite!`](macro@crate::suite) macro and
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
//! `#[test]` per driver: every built-in of the
//! [driver table](crate::driver_table) and every identifier in
//! `custom = [..]`: `create_then_read::direct`, `create_then_read::http1`,
//! ... so the normal `cargo test` name filter selects drivers
//! (`cargo test ::http1`) and the `CROSSDRIVE_DRIVERS` variable narrows
//! them further. Which deployment each name means comes from the suite's
//! [`Drivers`] (`drivers = fn;`), looked up by identifier when the test
//! runs.
//!
//! Every generated test calls the hidden runner: it checks the suite's
//! declarations and the selection, builds a fresh app instance with the
//! `app` factory (tests never share app state), connects the driver to it,
//! and runs the body on a fresh current-thread tokio runtime, like
//! `#[tokio::test]` does. Whatever must outlive a test (the shared socket
//! servers' listeners, the Lambda Runtime API host) lives on threads of its
//! own; what the test's runtime runs (its socket connections, client and
//! server side) ends with the test and is never needed by another.
//!
//! # The `remote` tests
//!
//! Each body also gets a `remote` test (`create_then_read::remote`) that
//! runs it against a deployment through the [`remote`](crate::remote)
//! driver. It is `#[ignore]`d, so a local `cargo test` reports it as
//! ignored, not as a pass that checked nothing. To run the suite against a
//! deployment:
//!
//! ```text
//! CROSSDRIVE_REMOTE_URL=https://abc.execute-api.eu-west-1.amazonaws.com/prod \
//!   cargo test --test reference -- --ignored ::remote
//! ```
//!
//! `--ignored` without `CROSSDRIVE_REMOTE_URL` fails each `remote` test
//! with a message saying to set it; `--include-ignored` runs the local
//! drivers and the deployment together. A body that is itself `#[ignore]`d
//! keeps its own `#[ignore]` (and reason) on its `remote` test; a
//! `#[should_panic]` body still fails there when the URL is unset.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use axum::Router;
use crossdrive::{Client, Selection};

use crate::{ConnectOptions, DriverSpec, Drivers, Kind};

/// What one generated test runs; filled in by [`suite!`](macro@crate::suite).
#[doc(hidden)]
pub struct Generated {
    /// The driver's identifier, the test's last name (`lambda_v1`).
    pub ident: &'static str,
    /// `module_path!()` of the body's module.
    pub module: &'static str,
    /// A fresh app per call.
    pub app: fn() -> Router,
    /// The suite's drivers.
    pub drivers: fn() -> Drivers,
    /// The identifiers of the suite's own drivers (`custom = [..]`).
    pub custom: &'static [&'static str],
    /// The suite's timeout, if it set one.
    pub timeout: Option<Duration>,
    /// `#[differs(ident = "reason")]` of this body.
    pub differs: &'static [(&'static str, &'static str)],
}

/// Runs one generated test: `body` against a fresh app through the driver
/// `test.ident` names in the suite's drivers.
///
/// Fails the test with a clear message if the suite's drivers are invalid,
/// the driver cannot be connected or `CROSSDRIVE_DRIVERS` names an unknown
/// driver; prints a line and returns if the driver is not selected or the
/// suite's drivers left this built-in out. A body declared to differ on
/// this driver passes if it fails (printing the reason and what differed)
/// and fails if it passes, since the declaration is then stale.
#[doc(hidden)]
pub fn run<F, Fut>(test: Generated, body: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()>,
{
    let name = format!("{}::{}", test.module, test.ident);
    let drivers = (test.drivers)();
    if let Err(message) = check_suite(&drivers, test.custom, test.differs) {
        panic!("crossdrive: {name}: {message}");
    }
    let Some(spec) = drivers.get(test.ident) else {
        eprintln!(
            "crossdrive: {name} not run: `{}` is not in this suite's drivers",
            test.ident
        );
        return;
    };
    if !selection(&drivers).includes(spec.name()) {
        eprintln!(
            "crossdrive: {name} not run: `{}` is not in {}",
            spec.name(),
            crossdrive::DRIVERS_ENV
        );
        return;
    }
    let options = options(test.timeout);
    let runtime = test_runtime();
    // libtest names the test `<module path without the crate>::<ident>`;
    // the lambda-runtime driver re-runs exactly this test as its function.
    let libtest_name = test.module.split_once("::").map_or_else(
        || test.ident.to_owned(),
        |(_, rest)| format!("{rest}::{}", test.ident),
    );
    #[cfg(feature = "lambda")]
    crate::lambda::runtime::set_current_test(Some(libtest_name));
    #[cfg(not(feature = "lambda"))]
    let _ = libtest_name;
    let differs = test
        .differs
        .iter()
        .find(|(ident, _)| *ident == test.ident)
        .map(|(_, reason)| *reason);
    // Connected inside the runtime, so drivers may use the test's runtime
    // context while starting (their servers still live on their own threads).
    let driver = runtime.block_on(async { spec.connect((test.app)(), &options) });
    let driver = match driver {
        Ok(driver) => driver,
        Err(e) => panic!(
            "crossdrive: cannot start the `{}` driver for {name}: {e}",
            spec.name()
        ),
    };
    let client = Client::from_arc(driver);
    let Some(reason) = differs else {
        runtime.block_on(body(client));
        return;
    };
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(body(client))));
    match outcome {
        Err(payload) => println!(
            "known difference on `{}` in `{}`, as declared: {reason}\n  what differed: {}",
            spec.name(),
            test.module,
            crossdrive::guard::panic_message(&*payload)
        ),
        Ok(()) => panic!(
            "crossdrive: {name} was declared to differ on `{}` ({reason}), but it passed: the \
             difference is gone; remove `{} = ..` from the body's #[differs(..)]",
            spec.name(),
            test.ident
        ),
    }
}

/// What a suite's declarations must agree on: valid drivers, every driver
/// of the suite's own listed in `custom` (so it has tests) and every
/// listed one present, and `#[differs]` naming only the suite's drivers.
fn check_suite(drivers: &Drivers, custom: &[&str], differs: &[(&str, &str)]) -> Result<(), String> {
    drivers.validate()?;
    let builtin = |ident: &str| Kind::ALL.iter().any(|k| k.ident() == ident);
    for spec in drivers.iter() {
        let ident = spec.ident();
        if !builtin(&ident) && !custom.contains(&ident.as_str()) {
            return Err(format!(
                "the suite's drivers include `{}`, which has no tests; add its identifier to the \
                 suite: `custom = [{ident}];`",
                spec.name()
            ));
        }
    }
    for ident in custom {
        if drivers.get(ident).is_none() {
            return Err(format!(
                "`custom = [..]` lists `{ident}`, but the suite's drivers have no such driver \
                 (they are: {}); add it with Drivers::with(DriverSpec::custom(\"{ident}\", ..))",
                drivers.names().join(", ")
            ));
        }
    }
    for (ident, reason) in differs {
        // A built-in left out of this build by its cargo feature: the
        // declaration stands for builds that have it.
        if drivers.get(ident).is_none() && !crate::kind::EVERY_BUILTIN.contains(ident) {
            return Err(format!(
                "#[differs({ident} = ..)] names no driver of this suite (they are: {}); use a \
                 driver's identifier such as lambda_v1",
                drivers.names().join(", ")
            ));
        }
        if reason.trim().is_empty() {
            return Err(format!(
                "#[differs({ident} = \"\")] gives no reason; say why the adapter differs"
            ));
        }
    }
    Ok(())
}

/// The driver `ident` names in `drivers`, if `CROSSDRIVE_DRIVERS` selects
/// it; prints a `not run` line for `test` otherwise. Fails the test on an
/// unknown driver or an invalid selection. Shared by the generated
/// conformance tests.
pub(crate) fn selected<'a>(
    drivers: &'a Drivers,
    ident: &str,
    test: &str,
) -> Option<&'a DriverSpec> {
    let Some(spec) = drivers.get(ident) else {
        eprintln!("crossdrive: {test}::{ident} not run: `{ident}` is not in this suite's drivers");
        return None;
    };
    if selection(drivers).includes(spec.name()) {
        Some(spec)
    } else {
        eprintln!(
            "crossdrive: {test}::{ident} not run: `{}` is not in {}",
            spec.name(),
            crossdrive::DRIVERS_ENV
        );
        None
    }
}

/// `CROSSDRIVE_DRIVERS`, parsed against `drivers` and `remote`; an invalid
/// value fails the test.
pub(crate) fn selection(drivers: &Drivers) -> Selection {
    let mut names = drivers.names();
    names.push(crate::remote::NAME);
    match Selection::from_env(&names) {
        Ok(selection) => selection,
        Err(message) => panic!("crossdrive: {message}"),
    }
}

/// The connect options from `CROSSDRIVE_TIMEOUT_MS`, with `timeout` over
/// them; an invalid variable fails the test.
pub(crate) fn options(timeout: Option<Duration>) -> ConnectOptions {
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
/// The generated test is `#[ignore]`d, so a local run counts it as
/// ignored rather than passed; it gets here under `--ignored` (or
/// `--include-ignored`). Then the variable must be set: unset, the test
/// fails saying to set it, since whoever asked for ignored tests asked for
/// the deployment to be checked. A body that is `#[should_panic]`
/// (`expects_panic`) would pass on that panic, so there the test returns
/// instead, and fails as "did not panic" after printing the same advice.
/// An invalid URL fails the test with what is wrong with it.
#[cfg(feature = "remote")]
#[doc(hidden)]
pub fn run_remote<F, Fut>(
    test: &str,
    drivers: fn() -> Drivers,
    timeout: Option<Duration>,
    expects_panic: bool,
    body: F,
) where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()>,
{
    let name = crate::remote::NAME;
    let mut names = drivers()
        .names()
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    names.push(name.to_owned());
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    match Selection::from_env(&names) {
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
            let message = unset_message(test);
            if expects_panic {
                eprintln!("{message}");
                return;
            }
            panic!("{message}");
        }
        Err(e) => panic!("crossdrive: cannot use the `remote` driver for {test}: {e}"),
    };
    test_runtime().block_on(body(Client::new(remote)));
}

/// Why a `remote` test run with `--ignored` cannot run, and what to do.
#[cfg(feature = "remote")]
fn unset_message(test: &str) -> String {
    format!(
        "crossdrive: {test}::{name} cannot run: {env} is unset. The `remote` tests check a \
         deployment: set {env} to its base URL, stage path included \
         ({env}=https://abc.execute-api.eu-west-1.amazonaws.com/prod cargo test -- --ignored \
         ::remote), or leave out --ignored to run the local drivers only",
        name = crate::remote::NAME,
        env = crate::remote::URL_ENV,
    )
}

/// Turns each `async fn name(client) { ... }` into a module `name` with one
/// `#[test]` per driver of the suite, each running the body against a
/// fresh instance of the app built by `app = factory;`.
///
/// The header lines, in this order, all but `app` optional:
///
/// - `app = factory;` a function returning a fresh app: an
///   `axum::Router` or any tower service ([`IntoApp`](crate::IntoApp));
/// - `drivers = drivers;` a `fn() -> Drivers`: the built-in drivers
///   configured as the app is deployed, plus drivers of your own
///   (default [`Drivers::builtin`](crate::Drivers::builtin));
/// - `custom = [mine, other];` the identifiers of your own drivers in
///   that list, which name their tests (`body::mine`);
/// - `timeout = Duration::from_millis(300);` every driver's per-request
///   timeout in this block, unless its `DriverSpec` sets one.
///
/// Attributes written above a body (`#[ignore]`, `#[should_panic]`, docs)
/// are copied onto each of its tests, including its `#[ignore]`d
/// `remote` test ([the `remote` tests](mod@crate::suite#the-remote-tests)).
/// `#[differs(driver = "reason", ..)]`, written first, declares that the body fails on those drivers because of
/// the adapter: the test then passes when the body fails there, printing
/// the reason and what differed, and fails when it passes (the
/// declaration is stale), as conformance differences do.
///
/// ```
/// use std::time::Duration;
/// use crossdrive_adapters::{DriverSpec, Drivers};
///
/// fn app() -> axum::Router {
///     axum::Router::new().route("/hello", axum::routing::get(|| async { "hi" }))
/// }
///
/// // Every built-in driver, `direct` with a 2 s timeout (see `Drivers`
/// // for the Lambda deployments and drivers of your own).
/// fn drivers() -> Drivers {
///     Drivers::builtin().with(DriverSpec::direct().timeout(Duration::from_secs(2)))
/// }
///
/// crossdrive_adapters::suite! {
///     app = app;
///     drivers = drivers;
///
///     #[doc = "copied onto hello_answers_200::direct and its siblings"]
///     async fn hello_answers_200(client) {
///         client.get("/hello").await.assert_status(200);
///     }
///
///     #[differs(direct = "direct has no socket, so there is no peer to report")]
///     async fn no_test_should_look_like_this(client) {
///         assert_ne!(client.name(), "direct");
///     }
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! suite {
    ($($input:tt)*) => {
        $crate::__suite_config! {
            [] [$crate::Drivers::builtin] [] [::core::option::Option::None] $($input)*
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_config {
    ([$($app:tt)*] [$drivers:path] [$($custom:ident)*] [$timeout:expr] app = $new:expr; $($rest:tt)*) => {
        $crate::__suite_config! { [($new)] [$drivers] [$($custom)*] [$timeout] $($rest)* }
    };
    ([$($app:tt)*] [$drivers:path] [$($custom:ident)*] [$timeout:expr] drivers = $new:path; $($rest:tt)*) => {
        $crate::__suite_config! { [$($app)*] [$new] [$($custom)*] [$timeout] $($rest)* }
    };
    ([$($app:tt)*] [$drivers:path] [$($custom:ident)*] [$timeout:expr] custom = [$($new:ident),* $(,)?]; $($rest:tt)*) => {
        $crate::__suite_config! { [$($app)*] [$drivers] [$($new)*] [$timeout] $($rest)* }
    };
    ([$($app:tt)*] [$drivers:path] [$($custom:ident)*] [$timeout:expr] timeout = $new:expr; $($rest:tt)*) => {
        $crate::__suite_config! {
            [$($app)*] [$drivers] [$($custom)*] [::core::option::Option::Some($new)] $($rest)*
        }
    };
    ([] $drivers:tt $custom:tt $timeout:tt $($rest:tt)*) => {
        ::core::compile_error!(
            "suite! needs `app = factory;` first: a function returning a fresh app (an axum::Router or any tower service)"
        );
    };
    ([$app:tt] [$drivers:path] [$($custom:ident)*] [$timeout:expr] $($tests:tt)*) => {
        $crate::__suite_bodies! { [$app, $drivers, [$($custom)*], $timeout] $($tests)* }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_bodies {
    ([$($cfg:tt)*]) => {};
    ([$($cfg:tt)*]
        #[differs($($driver:ident = $why:literal),* $(,)?)]
        $(#[$($meta:tt)*])*
        async fn $name:ident($client:ident $(: $ty:ty)?) $body:block
        $($rest:tt)*
    ) => {
        $crate::__suite_body! {
            [$($cfg)*] [$((stringify!($driver), $why),)*] [$(#[$($meta)*])*] $name $client $body
        }
        $crate::__suite_bodies! { [$($cfg)*] $($rest)* }
    };
    ([$($cfg:tt)*]
        // Attributes as token trees, not `meta` fragments: the `remote` test
        // looks inside them for `ignore` and `should_panic`, and a captured
        // `meta` is opaque to later matching.
        $(#[$($meta:tt)*])*
        async fn $name:ident($client:ident $(: $ty:ty)?) $body:block
        $($rest:tt)*
    ) => {
        $crate::__suite_body! { [$($cfg)*] [] [$(#[$($meta)*])*] $name $client $body }
        $crate::__suite_bodies! { [$($cfg)*] $($rest)* }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_body {
    ([$app:tt, $drivers:path, [$($custom:ident)*], $timeout:expr]
        [$($differs:tt)*] [$($metas:tt)*] $name:ident $client:ident $body:block
    ) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($client: $crate::__private::Client) $body

            fn __crossdrive_app() -> $crate::__private::Router {
                $crate::IntoApp::into_app($app())
            }

            fn __crossdrive_drivers() -> $crate::Drivers {
                $drivers()
            }

            fn __crossdrive_timeout() -> ::core::option::Option<::std::time::Duration> {
                $timeout
            }

            const __CROSSDRIVE_CUSTOM: &[&str] = &[$(stringify!($custom)),*];
            const __CROSSDRIVE_DIFFERS: &[(&str, &str)] = &[$($differs)*];

            $crate::driver_table! { $crate::__suite_tests [[$($metas)*]] }
            $crate::__suite_tests! { [[$($metas)*]] $({ ident: $custom, })* }

            $crate::__suite_remote! { [] [] [false] $($metas)* }
        }
    };
}

/// The `remote` test of one body. Sorts the body's attributes: `#[ignore]`
/// is kept as written and replaces the remote test's own (two `ignore`s
/// are an unused-attribute warning, and the body's reason is the one its
/// author wants to read); `#[should_panic]` tells `run_remote` that
/// panicking would pass, so a missing URL must fail by returning instead.
#[cfg(feature = "remote")]
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_remote {
    ([$($kept:tt)*] [] [$panics:tt]) => {
        $($kept)*
        #[ignore = "runs against a deployment: set CROSSDRIVE_REMOTE_URL and pass --ignored (cargo test -- --ignored ::remote)"]
        #[test]
        fn remote() {
            $crate::suite::run_remote(
                module_path!(), __crossdrive_drivers, __crossdrive_timeout(), $panics, body,
            );
        }
    };
    ([$($kept:tt)*] [$ignored:tt] [$panics:tt]) => {
        $($kept)*
        #[test]
        fn remote() {
            $crate::suite::run_remote(
                module_path!(), __crossdrive_drivers, __crossdrive_timeout(), $panics, body,
            );
        }
    };
    ([$($kept:tt)*] [$($ignored:tt)?] [$panics:tt] #[ignore $($arg:tt)*] $($rest:tt)*) => {
        $crate::__suite_remote! { [$($kept)* #[ignore $($arg)*]] [yes] [$panics] $($rest)* }
    };
    ([$($kept:tt)*] [$($ignored:tt)?] [$panics:tt] #[should_panic $($arg:tt)*] $($rest:tt)*) => {
        $crate::__suite_remote! {
            [$($kept)* #[should_panic $($arg)*]] [$($ignored)?] [true] $($rest)*
        }
    };
    ([$($kept:tt)*] [$($ignored:tt)?] [$panics:tt] #[$($other:tt)*] $($rest:tt)*) => {
        $crate::__suite_remote! { [$($kept)* #[$($other)*]] [$($ignored)?] [$panics] $($rest)* }
    };
}

/// Without the `remote` feature a suite has no `remote` driver: no
/// `::remote` test is written.
#[cfg(not(feature = "remote"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_remote {
    ($($ignored:tt)*) => {};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_tests {
    ([$metas:tt] $({ ident: $ident:ident, $($field:tt)* })*) => {
        $( $crate::__suite_test! { $metas $ident } )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_test {
    ([$($metas:tt)*] $ident:ident) => {
        $($metas)*
        #[test]
        fn $ident() {
            $crate::suite::run(
                $crate::suite::Generated {
                    ident: stringify!($ident),
                    module: module_path!(),
                    app: __crossdrive_app,
                    drivers: __crossdrive_drivers,
                    custom: __CROSSDRIVE_CUSTOM,
                    timeout: __crossdrive_timeout(),
                    differs: __CROSSDRIVE_DIFFERS,
                },
                body,
            );
        }
    };
}
