//! The conformance suite over a [`Drivers`] list: the runners behind
//! [`conformance!`](macro@crate::conformance) and `cargo xtask conformance`.

use crate::Client;
use crate::conformance::{self, Report};

use crate::{Drivers, IntoApp};

/// Runs the check `check` on the driver identified by `ident` in
/// `drivers`, connected to a fresh `app()`, as one test; see
/// [`conformance::run_test`]. The driver's declared differences are its
/// spec's [`known_differences`](crate::DriverSpec::known_differences).
///
/// Fails, saying how to select drivers instead, if `CROSSDRIVE_DRIVERS`
/// excludes the driver or `drivers` leaves it out: a check that did not
/// run must not count as passed.
///
/// ```should_panic
/// // An app that is not the echo app fails the check, naming it and the driver.
/// use crossdrive::Drivers;
/// crossdrive::conformance::run_test("direct", "status_200_is_kept", axum::Router::new, Drivers::builtin);
/// ```
pub fn run_test<T: IntoApp>(ident: &str, check: &str, app: fn() -> T, drivers: fn() -> Drivers) {
    let drivers = drivers();
    if let Err(message) = drivers.validate() {
        panic!("crossdrive: {check}::{ident}: {message}");
    }
    let spec = crate::suite::selected(&drivers, ident, check);
    // The check's test is `<module>::<ident>::<check>`, and only libtest
    // knows the module: it names the test's thread after the test. The
    // name travels with the options (lambda-runtime re-runs the test).
    let mut options = crate::suite::options(None);
    if let Some(test) = std::thread::current().name() {
        options = options.test_name(test);
    }
    let _watch = crate::watchdog::watch(
        &format!("{ident}::{check}"),
        spec.name(),
        options.get_timeout(),
    );
    conformance::run_test_on(
        check,
        || match spec.connect(app().into_app(), &options) {
            Ok(driver) => driver,
            Err(e) => panic!(
                "crossdrive: cannot start the `{}` driver for {check}: {e}",
                spec.name()
            ),
        },
        &spec.known_differences(),
    );
}

/// Runs every check on every built-in driver (each over a fresh `app()`)
/// and returns one report per driver, in driver table order. This is what
/// `cargo xtask conformance` publishes as the matrix.
///
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// # fn app() -> axum::Router { axum::Router::new() }
/// let reports = crossdrive::conformance::run_all(app).await;
/// assert_eq!(reports.len(), crossdrive::Drivers::builtin().len());
/// # });
/// ```
pub async fn run_all<T: IntoApp>(app: fn() -> T) -> Vec<Report> {
    run_all_on(&Drivers::builtin(), app).await
}

/// Runs every check on each driver of `drivers` (your own included), each
/// over a fresh `app()`, and returns one report per driver, in order.
///
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// use crossdrive::{DriverSpec, Drivers};
/// # fn app() -> axum::Router { axum::Router::new() }
/// let only_direct = Drivers::empty().with(DriverSpec::direct());
/// let reports = crossdrive::conformance::run_all_on(&only_direct, app).await;
/// assert_eq!(reports.len(), 1);
/// # });
/// ```
pub async fn run_all_on<T: IntoApp>(drivers: &Drivers, app: fn() -> T) -> Vec<Report> {
    // A driver's child process (a `lambda-runtime` function instance)
    // re-runs the calling test only to reach the `connect` that turns it
    // into the function; running every other driver's checks first would
    // repeat the whole matrix per child.
    let in_child = crate::registry::in_driver_child();
    let mut reports = Vec::new();
    for spec in drivers.iter() {
        if in_child && !spec.deployment().runs_in_child() {
            continue;
        }
        let report = match spec.connect(app().into_app(), &crate::suite::options(None)) {
            Ok(driver) => {
                conformance::run(&Client::from_arc(driver), &spec.known_differences()).await
            }
            Err(e) => Report::new(
                spec.name(),
                Some(format!("the driver could not be started: {e}")),
                Vec::new(),
            ),
        };
        reports.push(report);
    }
    reports
}
