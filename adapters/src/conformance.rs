//! The conformance suite on every crossdrive driver: the
//! [`conformance!`](crate::conformance) macro and the runners behind it.
//!
//! ```ignore
//! crossdrive_adapters::conformance! { app = crossdrive_fixtures::echo::app; }
//! ```
//!
//! expands to a module per check with one `#[test]` per driver of the
//! [driver table](crate::driver_table), named `<check>::<driver>`
//! (`three_set_cookie_headers_stay_three::direct`), like
//! [`suite!`](crate::suite). Each driver's declared differences come from
//! its table entry ([`Kind::known_differences`]), so a new driver's
//! expected differences are declared once, next to the driver.

use axum::Router;
use crossdrive::Client;
use crossdrive::conformance::{self, Report};

use crate::Kind;

/// Runs the check `check` on the driver identified by `ident`, connected
/// to a fresh `app()`, as one test; see [`conformance::run_test`].
///
/// Prints a line and returns if `CROSSDRIVE_DRIVERS` excludes the driver.
///
/// ```should_panic
/// // An app that is not the echo app fails the check, naming it and the driver.
/// crossdrive_adapters::conformance::run_test("direct", "status_200_is_kept", axum::Router::new);
/// ```
pub fn run_test(ident: &str, check: &str, app: fn() -> Router) {
    let Some(kind) = crate::suite::selected_kind(ident, check) else {
        return;
    };
    conformance::run_test(
        check,
        || match kind.connect(app()) {
            Ok(driver) => driver,
            Err(e) => panic!("crossdrive: cannot start the `{kind}` driver for {check}: {e}"),
        },
        &kind.known_differences(),
    );
}

/// Runs every check on every driver (each over a fresh `app()`) and
/// returns one report per driver, in driver table order. This is what
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
pub async fn run_all(app: fn() -> Router) -> Vec<Report> {
    // A `lambda-runtime` child re-runs the calling test only to reach the
    // `connect` that turns it into the function; running every other
    // driver's checks first would repeat the whole matrix per child.
    let in_child = std::env::var_os(crate::lambda::runtime::CHILD_ENV).is_some();
    let mut reports = Vec::new();
    for kind in Kind::ALL {
        if in_child && *kind != Kind::LambdaRuntime {
            continue;
        }
        let report = match kind.connect(app()) {
            Ok(driver) => {
                conformance::run(&Client::from_arc(driver), &kind.known_differences()).await
            }
            Err(e) => Report::new(
                kind.name(),
                Some(format!("the driver could not be started: {e}")),
                Vec::new(),
            ),
        };
        reports.push(report);
    }
    reports
}

/// Generates the conformance suite for every crossdrive driver: a module
/// per check with one `#[test]` per driver, each against a fresh instance
/// of `app` (which must be `crossdrive_fixtures::echo::app` or an app
/// honouring its contract).
///
/// ```ignore
/// crossdrive_adapters::conformance! { app = crossdrive_fixtures::echo::app; }
/// ```
#[macro_export]
macro_rules! conformance {
    (app = $app:path $(;)?) => {
        $crate::__private::crossdrive::conformance_table! { $crate::__conformance_checks [$app] }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_checks {
    ([$app:path] $({ name: $name:ident, $($rest:tt)* })*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                $crate::driver_table! { $crate::__conformance_drivers [$app, $name] }
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_drivers {
    ([$app:path, $check:ident] $({ ident: $ident:ident, $($field:tt)* })*) => {
        $(
            #[test]
            fn $ident() {
                $crate::conformance::run_test(stringify!($ident), stringify!($check), $app);
            }
        )*
    };
}
