//! Parity over a [`Drivers`] list: [`collect`] and the runners behind
//! [`parity!`](macro@crate::parity).

use std::future::Future;

use crate::parity::Parity;
use crate::{Client, TestResponse};

use crate::{Drivers, IntoApp};

/// Declares which drivers differ in which scenario, and why.
///
/// ```
/// use crossdrive::parity::{Differences, no_differences};
/// fn ours(scenario: &str, driver: &str) -> Option<String> {
///     (scenario == "upload" && driver == "lambda-v1").then(|| "REST has no binary media types".into())
/// }
/// let declared: [Differences; 2] = [no_differences, ours];
/// assert_eq!(declared[0]("upload", "lambda-v1"), None);
/// assert!(declared[1]("upload", "lambda-v1").is_some());
/// ```
pub type Differences = fn(&str, &str) -> Option<String>;

/// No scenario differs on any driver.
///
/// ```
/// assert_eq!(crossdrive::parity::no_differences("simple_get", "direct"), None);
/// ```
pub fn no_differences(_scenario: &str, _driver: &str) -> Option<String> {
    None
}

/// Runs `body` once per selected driver, each over a fresh `app()`, on a
/// fresh current-thread runtime, and collects the responses.
///
/// Panics, as a test should, if a driver cannot be started or
/// `CROSSDRIVE_DRIVERS` is invalid.
///
/// ```
/// use axum::{Router, routing::get};
/// use crossdrive::parity::{collect, no_differences};
///
/// fn app() -> Router { Router::new().route("/hello", get(|| async { "hi" })) }
///
/// let parity = collect("hello", app, no_differences, |client| async move { client.get("/hello").await });
/// assert!(parity.check().unwrap().ends_with("\n\nhi\n"));
/// ```
pub fn collect<T, F, Fut>(
    scenario: &str,
    app: fn() -> T,
    differences: Differences,
    body: F,
) -> Parity
where
    T: IntoApp,
    F: Fn(Client) -> Fut,
    Fut: Future<Output = TestResponse>,
{
    collect_on(&Drivers::builtin(), scenario, app, differences, body)
}

/// [`collect`] over `drivers`: configured built-ins and drivers of your
/// own, each over a fresh `app()`.
///
/// ```
/// use axum::{Router, routing::get};
/// use crossdrive::{DriverSpec, Drivers};
/// use crossdrive::parity::{collect_on, no_differences};
///
/// fn app() -> Router { Router::new().route("/hello", get(|| async { "hi" })) }
///
/// let two = Drivers::empty().with(DriverSpec::direct()).with(DriverSpec::http1());
/// let parity = collect_on(&two, "hello", app, no_differences, |client| async move { client.get("/hello").await });
/// assert!(parity.check().is_ok());
/// ```
pub fn collect_on<T, F, Fut>(
    drivers: &Drivers,
    scenario: &str,
    app: fn() -> T,
    differences: Differences,
    body: F,
) -> Parity
where
    T: IntoApp,
    F: Fn(Client) -> Fut,
    Fut: Future<Output = TestResponse>,
{
    if let Err(message) = drivers.validate() {
        panic!("crossdrive: parity `{scenario}`: {message}");
    }
    let selection = crate::suite::selection(drivers);
    let options = crate::suite::options(None);
    let runtime = crate::suite::test_runtime();
    let mut parity = Parity::new(scenario);
    runtime.block_on(async {
        for spec in drivers.iter().filter(|s| selection.includes(s.name())) {
            let driver = match spec.connect(app().into_app(), &options) {
                Ok(driver) => driver,
                Err(e) => panic!(
                    "crossdrive: cannot start the `{}` driver for {scenario}: {e}",
                    spec.name()
                ),
            };
            parity.add(body(Client::from_arc(driver)).await);
            if let Some(reason) = differences(scenario, spec.name()) {
                parity.allow(spec.name(), reason);
            }
        }
    });
    parity
}

/// Turns each `async fn name(client) { ... }` (whose body evaluates to the
/// [`TestResponse`] to compare) into a test `name::is_the_same_on_every_driver`
/// asserting parity across drivers against the insta snapshot `name`.
///
/// ```
/// # mod my_service { pub fn app() -> axum::Router {
/// #     axum::Router::new().route("/hello", axum::routing::get(|| async { "hi" }))
/// # } }
/// use crossdrive::{DriverSpec, Drivers};
/// fn my_drivers() -> Drivers {
///     Drivers::empty().with(DriverSpec::direct())
/// }
/// crossdrive::parity! {
///     app = my_service::app;
///     drivers = my_drivers;         // optional: a fn() -> Drivers
///
///     async fn simple_get(client) {
///         client.get("/hello").await
///     }
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! parity {
    (app = $app:path; drivers = $drivers:path; differences = $differences:path; $($tests:tt)*) => {
        $crate::__parity_bodies! { [$app, $drivers] [$differences] $($tests)* }
    };
    (app = $app:path; drivers = $drivers:path; $($tests:tt)*) => {
        $crate::__parity_bodies! { [$app, $drivers] [$crate::parity::no_differences] $($tests)* }
    };
    (app = $app:path; differences = $differences:path; $($tests:tt)*) => {
        $crate::__parity_bodies! { [$app, $crate::Drivers::builtin] [$differences] $($tests)* }
    };
    (app = $app:path; $($tests:tt)*) => {
        $crate::__parity_bodies! { [$app, $crate::Drivers::builtin] [$crate::parity::no_differences] $($tests)* }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __parity_bodies {
    ([$app:path, $drivers:path] [$differences:path]) => {};
    ([$app:path, $drivers:path] [$differences:path]
        $(#[$meta:meta])*
        async fn $name:ident($client:ident) $body:block
        $($rest:tt)*
    ) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($client: $crate::Client) -> $crate::TestResponse $body

            $(#[$meta])*
            #[test]
            fn is_the_same_on_every_driver() {
                let parity = $crate::parity::collect_on(&$drivers(), stringify!($name), $app, $differences, body);
                $crate::assert_parity!(parity);
            }
        }
        $crate::__parity_bodies! { [$app, $drivers] [$differences] $($rest)* }
    };
}
