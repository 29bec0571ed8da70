//! The conformance suite over a [`Drivers`] list: the runners behind
//! [`conformance!`](macro@crate::conformance) and `cargo xtask conformance`.

use crate::Client;
use crate::conformance::{self, Report};

#[cfg(feature = "lambda")]
use crate::Kind;
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
/// assert_eq!(reports.len(), crossdrive::Kind::ALL.len());
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
    // A `lambda-runtime` child re-runs the calling test only to reach the
    // `connect` that turns it into the function; running every other
    // driver's checks first would repeat the whole matrix per child.
    #[cfg(feature = "lambda")]
    let in_child = std::env::var_os(crate::lambda::runtime::CHILD_ENV).is_some();
    let mut reports = Vec::new();
    for spec in drivers.iter() {
        #[cfg(feature = "lambda")]
        if in_child
            && !matches!(
                spec.kind(),
                Some(Kind::LambdaRuntime | Kind::LambdaUrlStream)
            )
        {
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

/// Generates the conformance suite for every driver: one `#[test]` per
/// check and driver, `<driver>::<check>` (so `cargo test -- lambda_v1::`
/// runs one driver's checks), each against a fresh instance of `app`
/// ([`echo::app`] unless `app = ..;` names another app honouring its
/// contract). `drivers`, `custom` and `only` work as in
/// [`suite!`](macro@crate::suite): configured built-ins and drivers of your
/// own, each with the differences its spec declares; `only = [..]` when
/// your list is not every built-in, so that what is counted is what ran.
///
/// ```
/// use std::sync::Arc;
/// use crossdrive::{Direct, DriverSpec, Drivers};
///
/// fn my_drivers() -> Drivers {
///     Drivers::empty()
///         .with(DriverSpec::direct())
///         .with(DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app)))))
/// }
///
/// crossdrive::conformance! {
///     drivers = my_drivers;  // optional
///     only = [direct, mine]; // these two get tests, nothing else
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! conformance {
    ($($input:tt)*) => {
        $crate::__conformance_config! {
            [$crate::conformance::echo::app] [$crate::Drivers::builtin] [] [] $($input)*
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_config {
    ([$app:path] $drivers:tt $custom:tt $only:tt app = $new:path $(; $($rest:tt)*)?) => {
        $crate::__conformance_config! { [$new] $drivers $custom $only $($($rest)*)? }
    };
    ($app:tt [$drivers:path] $custom:tt $only:tt drivers = $new:path $(; $($rest:tt)*)?) => {
        $crate::__conformance_config! { $app [$new] $custom $only $($($rest)*)? }
    };
    ($app:tt $drivers:tt $custom:tt $only:tt custom = [$($new:ident),* $(,)?] $(; $($rest:tt)*)?) => {
        $crate::__conformance_config! { $app $drivers [$($new)*] $only $($($rest)*)? }
    };
    ($app:tt $drivers:tt $custom:tt $only:tt only = [$($new:ident),+ $(,)?] $(; $($rest:tt)*)?) => {
        $crate::__conformance_config! { $app $drivers $custom [some $($new)*] $($($rest)*)? }
    };
    ($app:tt $drivers:tt [$($custom:ident)+] [some $($only:ident)*]) => {
        ::core::compile_error!(
            "conformance! has both `custom = [..]` and `only = [..]`: list every driver, yours too, in `only` and drop `custom`"
        );
    };
    ([$app:path] [$drivers:path] [$($custom:ident)*] [$($only:tt)*]) => {
        $crate::conformance_table! {
            $crate::__conformance_checks [[$app, $drivers] [$($only)*] [$($custom)*]]
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_checks {
    ([$args:tt [] [$($custom:ident)*]] $({ name: $name:ident, $($rest:tt)* })*) => {
        $crate::driver_table! { $crate::__conformance_builtin [$args [$($name)*]] }
        $crate::__conformance_each! { $args [$($custom)*] [$($name)*] }
    };
    ([$args:tt [some $($only:ident)*] []] $({ name: $name:ident, $($rest:tt)* })*) => {
        $crate::__conformance_each! { $args [$($only)*] [$($name)*] }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_each {
    ($args:tt [$($ident:ident)*] $names:tt) => {
        $( $crate::__conformance_driver! { $args $ident $names } )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_builtin {
    ([$args:tt $names:tt] $({ ident: $ident:ident, $($field:tt)* })*) => {
        $( $crate::__conformance_driver! { $args $ident $names } )*
    };
}

/// The module of one driver: one `#[test]` per check.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_driver {
    ([$app:path, $drivers:path] $ident:ident [$($check:ident)*]) => {
        mod $ident {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $check() {
                    $crate::conformance::run_test(
                        ::core::stringify!($ident), ::core::stringify!($check), $app, $drivers,
                    );
                }
            )*
        }
    };
}
