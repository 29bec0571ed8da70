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
