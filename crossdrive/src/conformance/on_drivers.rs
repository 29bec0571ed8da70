//! The conformance suite over a [`Drivers`] list: the runners behind
//! [`conformance!`](macro@crate::conformance) and `cargo xtask conformance`.

use crate::Client;
use crate::conformance::{self, Report};

use crate::{DriverSpec, Drivers, IntoApp, Kind};

/// Whether `spec` is a built-in that carries WebSockets only
/// (`lambda-ws`): it is held to the WebSocket checks alone.
fn websocket_only(spec: &DriverSpec) -> bool {
    spec.kind().is_some_and(Kind::websocket_only)
}

/// `drivers`, with the default deployment of the WebSocket-only built-in
/// `ident` names when the list leaves it out: `Drivers::builtin()` does,
/// since it carries no HTTP, yet `conformance!` writes its WebSocket
/// checks.
fn with_websocket_only(drivers: Drivers, ident: &str) -> Drivers {
    if drivers.get(ident).is_some() {
        return drivers;
    }
    match Kind::from_name(ident).filter(|k| k.websocket_only()) {
        Some(kind) => drivers.with(DriverSpec::builtin(kind)),
        None => drivers,
    }
}

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
    let drivers = with_websocket_only(drivers(), ident);
    if let Err(message) = drivers.validate() {
        panic!("crossdrive: {check}::{ident}: {message}");
    }
    let spec = crate::suite::selected(&drivers, ident, check);
    if websocket_only(spec) && conformance::Check::find(check).is_some_and(|c| !c.is_websocket()) {
        panic!(
            "crossdrive: {ident}::{check} cannot run: `{}` carries WebSockets only, so it is held \
             to the WebSocket checks alone; leave it out of `only = [..]`, and conformance! \
             writes just those for it",
            spec.name()
        );
    }
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
/// and returns one report per driver, in driver table order: those of
/// [`Drivers::builtin`], then any that carries WebSockets only
/// (`lambda-ws`, its WebSocket checks alone). This is what
/// `cargo xtask conformance` publishes as the matrix.
///
/// ```
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// # fn app() -> axum::Router { axum::Router::new() }
/// let reports = crossdrive::conformance::run_all(app).await;
/// assert_eq!(reports.len(), crossdrive::Kind::ALL.len());
/// # });
/// ```
pub async fn run_all<T: IntoApp>(app: fn() -> T) -> Vec<Report> {
    let drivers = Kind::ALL
        .iter()
        .filter(|k| k.websocket_only())
        .fold(Drivers::builtin(), |drivers, kind| {
            drivers.with(DriverSpec::builtin(*kind))
        });
    run_all_on(&drivers, app).await
}

/// Runs every check on each driver of `drivers` (your own included), each
/// over a fresh `app()`, and returns one report per driver, in order; a
/// built-in that carries WebSockets only runs the WebSocket checks alone.
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
            Ok(driver) if websocket_only(spec) => {
                let client = Client::from_arc(driver);
                conformance::run_websocket(&client, &spec.known_differences()).await
            }
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
