//! The conformance suite on every crossdrive driver: the
//! [`conformance!`](macro@crate::conformance) macro and the runners behind it.
//!
//! ```
//! crossdrive_adapters::conformance! {}
//! # fn main() {}
//! ```
//!
//! expands to a module per check with one `#[test]` per driver of the
//! suite's [`Drivers`] (the built-ins by default), named `<check>::<driver>`
//! (`three_set_cookie_headers_stay_three::direct`), like
//! [`suite!`](macro@crate::suite). Each driver's declared differences come from
//! its [`DriverSpec`](crate::DriverSpec) (for the built-ins, the
//! `differences` of their driver table entry, kept next to the driver), so
//! a driver's expected differences are declared once. The app every check
//! runs against is [`echo::app`], the suite's counterpart (`app = ..;`
//! names another that honours the same contract).

pub mod echo;

use crossdrive::Client;
use crossdrive::conformance::{self, Report};

#[cfg(feature = "lambda")]
use crate::Kind;
use crate::{Drivers, IntoApp};

/// Runs the check `check` on the driver identified by `ident` in
/// `drivers`, connected to a fresh `app()`, as one test; see
/// [`conformance::run_test`]. The driver's declared differences are its
/// spec's [`known_differences`](crate::DriverSpec::known_differences).
///
/// Prints a line and returns if `CROSSDRIVE_DRIVERS` excludes the driver
/// or `drivers` leaves it out.
///
/// ```should_panic
/// // An app that is not the echo app fails the check, naming it and the driver.
/// use crossdrive_adapters::Drivers;
/// crossdrive_adapters::conformance::run_test("direct", "status_200_is_kept", axum::Router::new, Drivers::builtin);
/// ```
pub fn run_test<T: IntoApp>(ident: &str, check: &str, app: fn() -> T, drivers: fn() -> Drivers) {
    let drivers = drivers();
    if let Err(message) = drivers.validate() {
        panic!("crossdrive: {check}::{ident}: {message}");
    }
    let Some(spec) = crate::suite::selected(&drivers, ident, check) else {
        return;
    };
    conformance::run_test(
        check,
        || match spec.connect(app().into_app(), &crate::suite::options(None)) {
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
/// let reports = crossdrive_adapters::conformance::run_all(app).await;
/// assert_eq!(reports.len(), crossdrive_adapters::Kind::ALL.len());
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
/// use crossdrive_adapters::{DriverSpec, Drivers};
/// # fn app() -> axum::Router { axum::Router::new() }
/// let only_direct = Drivers::empty().with(DriverSpec::direct());
/// let reports = crossdrive_adapters::conformance::run_all_on(&only_direct, app).await;
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

/// Generates the conformance suite for every driver: a module per check
/// with one `#[test]` per driver, each against a fresh instance of `app`
/// ([`echo::app`] unless `app = ..;` names another app honouring its
/// contract). `drivers` and `custom` work as in [`suite!`](macro@crate::suite):
/// configured built-ins and drivers of your own, each with the
/// differences its spec declares.
///
/// ```
/// use std::sync::Arc;
/// use crossdrive_adapters::{Direct, DriverSpec, Drivers};
///
/// fn my_drivers() -> Drivers {
///     Drivers::empty()
///         .with(DriverSpec::direct())
///         .with(DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app)))))
/// }
///
/// crossdrive_adapters::conformance! {
///     drivers = my_drivers; // optional
///     custom = [mine];      // optional
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! conformance {
    () => {
        $crate::conformance! { app = $crate::conformance::echo::app; }
    };
    (drivers = $drivers:path $(;)?) => {
        $crate::conformance! { app = $crate::conformance::echo::app; drivers = $drivers; }
    };
    (drivers = $drivers:path; custom = [$($custom:ident),* $(,)?] $(;)?) => {
        $crate::conformance! {
            app = $crate::conformance::echo::app; drivers = $drivers; custom = [$($custom),*];
        }
    };
    (app = $app:path $(;)?) => {
        $crate::conformance! { app = $app; drivers = $crate::Drivers::builtin; custom = []; }
    };
    (app = $app:path; drivers = $drivers:path $(;)?) => {
        $crate::conformance! { app = $app; drivers = $drivers; custom = []; }
    };
    (app = $app:path; drivers = $drivers:path; custom = [$($custom:ident),* $(,)?] $(;)?) => {
        $crate::__private::crossdrive::conformance_table! {
            $crate::__conformance_checks [$app, $drivers, [$($custom)*]]
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_checks {
    ([$app:path, $drivers:path, $custom:tt] $({ name: $name:ident, $($rest:tt)* })*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                $crate::driver_table! { $crate::__conformance_drivers [$app, $drivers, $name] }
                $crate::__conformance_custom! { [$app, $drivers, $name] $custom }
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_custom {
    ([$($args:tt)*] [$($custom:ident)*]) => {
        $crate::__conformance_drivers! { [$($args)*] $({ ident: $custom, })* }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_drivers {
    ([$app:path, $drivers:path, $check:ident] $({ ident: $ident:ident, $($field:tt)* })*) => {
        $(
            #[test]
            fn $ident() {
                $crate::conformance::run_test(stringify!($ident), stringify!($check), $app, $drivers);
            }
        )*
    };
}
