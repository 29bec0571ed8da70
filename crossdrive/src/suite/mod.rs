//! Write once, run on every driver: the [`suite!`](macro@crate::suite) macro and
//! the runner behind each test it generates.
//!
//! ```
//! fn app() -> axum::Router {
//!     axum::Router::new().route("/todos", axum::routing::post(|| async { axum::http::StatusCode::CREATED }))
//! }
//!
//! crossdrive::suite! {
//!     app = app;
//!
//!     async fn create_then_read(client) {
//!         client.post("/todos").json(&serde_json::json!({"title": "x"})).await.assert_status(201);
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! expands (like hyper's `t!` matrix) to one `#[test]` per driver and
//! body, in a module per driver: every built-in of the
//! [driver table](crate::driver_table) and every identifier in
//! `custom = [..]` (or exactly the drivers of `only = [..]`):
//! `direct::create_then_read`, `http1::create_then_read`, ... So the test
//! filter selects one driver exactly (`cargo test -- http1::` runs
//! `http1`, not `http1_fresh`), one body on every driver
//! (`cargo test -- create_then_read`) or one test
//! (`cargo test -- lambda_v1::create_then_read`). Which deployment each
//! name means comes from the suite's [`Drivers`](crate::Drivers)
//! (`drivers = fn;`), looked up by identifier when the test runs. A
//! driver is spelled the same everywhere: its identifier (`lambda_v1`)
//! names its tests and its `#[differs]`, and `CROSSDRIVE_DRIVERS`,
//! `Drivers::get` and the bench's `--driver` take it as well as the name
//! (`lambda-v1`).
//!
//! Only what ran counts. libtest has no way to skip a test at run time,
//! so a test for a driver the suite's `drivers` leave out, or that
//! `CROSSDRIVE_DRIVERS` leaves out, fails saying how to leave it out of
//! the count instead (`only = [..]`, or the test filter); it never passes
//! unrun.
//!
//! Every generated test calls the hidden runner: it checks the suite's
//! declarations, builds a fresh app instance with the `app` factory
//! (tests never share app state), connects the driver to it, and runs the
//! body on a fresh current-thread tokio runtime, like `#[tokio::test]`
//! does. Whatever must outlive a test (the shared socket servers'
//! listeners, the Lambda Runtime API host) lives on threads of its own;
//! what the test's runtime runs (its socket connections, client and server
//! side) ends with the test and is never needed by another.
//!
//! # One report per failure
//!
//! A body that fails on a driver other than `direct` is run once more on
//! `direct`. If it fails there the same way, the test says so in a few
//! lines (the app or the test is wrong, not the adapter) and points at
//! `direct`'s test for the full report, so one app bug gives one full
//! report, not one per driver; if `direct` passes, the full report says
//! the failure is confined to this adapter. Each report names the line of
//! the test that failed.
//!
//! One `suite!` per module: the driver modules it writes (`direct`,
//! `http1`, ...) would collide; put a second suite in a `mod` of its own.
//!
//! # The `remote` tests
//!
//! Each body also gets a `remote` test (`remote::create_then_read`) that
//! runs it against a deployment through the [`remote`](crate::remote)
//! driver. It is `#[ignore]`d, so a local `cargo test` reports it as
//! ignored, not as a pass that checked nothing. To run the suite against a
//! deployment:
//!
//! ```text
//! CROSSDRIVE_REMOTE_URL=https://abc.execute-api.eu-west-1.amazonaws.com/prod \
//!   cargo test --test reference -- --ignored remote::
//! ```
//!
//! `--ignored` without `CROSSDRIVE_REMOTE_URL` fails each `remote` test
//! with a message saying to set it; `--include-ignored` runs the local
//! drivers and the deployment together. A body that is itself `#[ignore]`d
//! keeps its own `#[ignore]` (and reason) on its `remote` test; a
//! `#[should_panic]` body still fails there when the URL is unset.

mod differs;
mod run;
mod verdict;

pub use differs::Declared;
#[cfg(feature = "remote")]
pub use run::run_remote;
pub use run::{Body, Generated, run};
pub(crate) use run::{options, selected};
#[cfg(feature = "parity")]
pub(crate) use run::{selection, test_runtime};

/// Turns each `async fn name(client) { ... }` into one `#[test]` per
/// driver of the suite, `<driver>::<name>`, each running the body against
/// a fresh instance of the app built by `app = factory;`.
///
/// The header lines, in any order, all but `app` optional:
///
/// - `app = factory;` a function returning a fresh app: an
///   `axum::Router` or any tower service ([`IntoApp`](crate::IntoApp));
/// - `drivers = drivers;` a `fn() -> Drivers`: the built-in drivers
///   configured as the app is deployed, plus drivers of your own
///   (default [`Drivers::builtin`](crate::Drivers::builtin));
/// - `custom = [mine, other];` the identifiers of your own drivers in
///   that list, which get tests beside every built-in (`mine::body`);
/// - `only = [direct, lambda_v1, mine];` the drivers this suite runs on,
///   when not every built-in: only these get tests, so a driver your list
///   leaves out is not counted (without `only`, a built-in your `drivers`
///   leave out fails its tests saying to write this line);
/// - `timeout = Duration::from_millis(300);` every driver's per-request
///   timeout in this block, unless its `DriverSpec` sets one.
///
/// Attributes written above a body (`#[ignore]`, `#[should_panic]`, docs)
/// are copied onto each of its tests, including its `#[ignore]`d
/// `remote` test ([the `remote` tests](mod@crate::suite#the-remote-tests)).
///
/// `#[differs(..)]`, anywhere among them, declares that the body fails on
/// some drivers because of the adapter, and *how*: driver identifiers (or
/// a family, `lambda*`), then `because = ..` and at least one of
/// `status = ..` (the failing response's status), `note = ..` (an adapter
/// note code the driver emitted) and `expected = ..` (a fragment of the
/// failure message, as `#[should_panic(expected = ..)]` takes). Each value
/// may be any expression, a constant or a path. The test passes there
/// only when the body fails in that way; any other failure fails it,
/// showing both, and a pass fails it as a stale declaration.
///
/// ```
/// use std::time::Duration;
/// use crossdrive::{DriverSpec, Drivers};
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
/// const IN_PROCESS: &str = "direct has no socket, so there is no peer to report";
///
/// crossdrive::suite! {
///     app = app;
///     drivers = drivers;
///
///     /// Copied onto direct::hello_answers_200 and its siblings.
///     async fn hello_answers_200(client) {
///         client.get("/hello").await.assert_status(200);
///     }
///
///     /// A declared difference names what differs, here a message fragment.
///     #[differs(direct, expected = "in-process", because = IN_PROCESS)]
///     async fn no_test_should_look_like_this(client) {
///         assert_ne!(client.name(), "direct", "in-process");
///     }
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! suite {
    ($($input:tt)*) => {
        $crate::__suite_config! {
            [] [$crate::Drivers::builtin] [] [] [::core::option::Option::None] $($input)*
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_config {
    ([$($app:tt)*] [$drivers:path] $custom:tt $only:tt [$timeout:expr] app = $new:expr; $($rest:tt)*) => {
        $crate::__suite_config! { [($new)] [$drivers] $custom $only [$timeout] $($rest)* }
    };
    ([$($app:tt)*] [$drivers:path] $custom:tt $only:tt [$timeout:expr] drivers = $new:path; $($rest:tt)*) => {
        $crate::__suite_config! { [$($app)*] [$new] $custom $only [$timeout] $($rest)* }
    };
    ([$($app:tt)*] [$drivers:path] $custom:tt $only:tt [$timeout:expr] custom = [$($new:ident),* $(,)?]; $($rest:tt)*) => {
        $crate::__suite_config! { [$($app)*] [$drivers] [$($new)*] $only [$timeout] $($rest)* }
    };
    ([$($app:tt)*] [$drivers:path] $custom:tt $only:tt [$timeout:expr] only = [$($new:ident),+ $(,)?]; $($rest:tt)*) => {
        $crate::__suite_config! { [$($app)*] [$drivers] $custom [some $($new)*] [$timeout] $($rest)* }
    };
    ([$($app:tt)*] [$drivers:path] $custom:tt $only:tt [$timeout:expr] timeout = $new:expr; $($rest:tt)*) => {
        $crate::__suite_config! {
            [$($app)*] [$drivers] $custom $only [::core::option::Option::Some($new)] $($rest)*
        }
    };
    ([] $drivers:tt $custom:tt $only:tt $timeout:tt $($rest:tt)*) => {
        ::core::compile_error!(
            "suite! needs `app = factory;`: a function returning a fresh app (an axum::Router or any tower service)"
        );
    };
    ([$app:tt] $drivers:tt [$($custom:ident)+] [some $($only:ident)*] $timeout:tt $($rest:tt)*) => {
        ::core::compile_error!(
            "suite! has both `custom = [..]` and `only = [..]`: list every driver the suite runs on, yours too, in `only` and drop `custom`"
        );
    };
    ([$app:tt] [$drivers:path] [$($custom:ident)*] [$($only:tt)*] [$timeout:expr]
        $(
            // Attributes as token trees, not `meta` fragments: they are
            // sorted later (`differs`, `ignore`, `should_panic`), and a
            // captured `meta` is opaque to later matching.
            $(#[$($meta:tt)*])*
            async fn $name:ident($client:ident $(: $ty:ty)?) $body:block
        )*
    ) => {
        #[doc(hidden)]
        fn __crossdrive_app() -> $crate::__private::Router {
            $crate::IntoApp::into_app($app())
        }

        #[doc(hidden)]
        fn __crossdrive_drivers() -> $crate::Drivers {
            $drivers()
        }

        #[doc(hidden)]
        fn __crossdrive_timeout() -> ::core::option::Option<::std::time::Duration> {
            $timeout
        }

        #[doc(hidden)]
        const __CROSSDRIVE_CUSTOM: &[&str] = &[$(::core::stringify!($custom)),*];
        #[doc(hidden)]
        const __CROSSDRIVE_ONLY: ::core::option::Option<&[&str]> = $crate::__suite_only!($($only)*);

        $(
            $crate::__suite_body! {
                ($) [] [] [false] [] [$(#[$($meta)*])*] $name $client $body
            }
        )*

        $crate::__suite_drivers! { [$($only)*] [$($custom)*] [$($name)*] }
        $crate::__suite_remote! { [$($name)*] }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_only {
    () => {
        ::core::option::Option::None
    };
    (some $($only:ident)*) => {
        ::core::option::Option::Some(&[$(::core::stringify!($only)),*])
    };
}

/// One body: its attributes sorted (`#[differs]` read, `#[should_panic]`
/// and `#[ignore]` noted, the rest kept in order), then a module named
/// after the body holding the body, its declarations and two macros that
/// write its attributes onto each driver's test and onto its `remote`
/// test. Each body expands on its own, so a suite of any size stays far
/// from the recursion limit.
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_body {
    (($d:tt) [$($differs:tt)*] [$($metas:tt)*] [$panics:tt] [$($ignored:tt)?]
        [#[differs $args:tt] $($rest:tt)*] $name:ident $client:ident $body:block
    ) => {
        $crate::__suite_body! {
            ($d) [$($differs)* $args] [$($metas)*] [$panics] [$($ignored)?] [$($rest)*] $name $client $body
        }
    };
    (($d:tt) [$($differs:tt)*] [$($metas:tt)*] [$panics:tt] [$($ignored:tt)?]
        [#[should_panic $($arg:tt)*] $($rest:tt)*] $name:ident $client:ident $body:block
    ) => {
        $crate::__suite_body! {
            ($d) [$($differs)*] [$($metas)* #[should_panic $($arg)*]] [true] [$($ignored)?] [$($rest)*]
            $name $client $body
        }
    };
    (($d:tt) [$($differs:tt)*] [$($metas:tt)*] [$panics:tt] [$($ignored:tt)?]
        [#[ignore $($arg:tt)*] $($rest:tt)*] $name:ident $client:ident $body:block
    ) => {
        $crate::__suite_body! {
            ($d) [$($differs)*] [$($metas)* #[ignore $($arg)*]] [$panics] [yes] [$($rest)*]
            $name $client $body
        }
    };
    (($d:tt) [$($differs:tt)*] [$($metas:tt)*] [$panics:tt] [$($ignored:tt)?]
        [#[$($other:tt)*] $($rest:tt)*] $name:ident $client:ident $body:block
    ) => {
        $crate::__suite_body! {
            ($d) [$($differs)*] [$($metas)* #[$($other)*]] [$panics] [$($ignored)?] [$($rest)*]
            $name $client $body
        }
    };
    (($d:tt) [$($differs:tt)*] [$($metas:tt)*] [$panics:tt] [$($ignored:tt)?] []
        $name:ident $client:ident $body:block
    ) => {
        #[doc(hidden)]
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($client: $crate::Client) $body

            pub(super) fn boxed(
                client: $crate::Client,
            ) -> ::core::pin::Pin<::std::boxed::Box<dyn ::core::future::Future<Output = ()>>> {
                ::std::boxed::Box::pin(body(client))
            }

            pub(super) fn declared() -> ::std::vec::Vec<$crate::suite::Declared> {
                ::std::vec![$($crate::__differs! $differs),*]
            }

            pub(super) const EXPECTS_PANIC: bool = $panics;

            macro_rules! attrs {
                ($d($d item:tt)*) => { $($metas)* $d($d item)* };
            }
            pub(super) use attrs;

            $crate::__suite_remote_attrs! { ($d) [$($metas)*] [$($ignored)?] }
        }
    };
}

/// Writes the tests of every driver the suite runs on: each built-in of
/// the driver table plus `custom`, or exactly `only`.
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_drivers {
    ([] [$($custom:ident)*] $names:tt) => {
        $crate::driver_table! { $crate::__suite_builtin [$names] }
        $( $crate::__suite_driver! { $custom $names } )*
    };
    ([some $($only:ident)*] [] $names:tt) => {
        $( $crate::__suite_driver! { $only $names } )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_builtin {
    ([$names:tt] $({ ident: $ident:ident, $($field:tt)* })*) => {
        $( $crate::__suite_driver! { $ident $names } )*
    };
}

/// The module of one driver: one `#[test]` per body, named after it.
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_driver {
    ($ident:ident [$($name:ident)*]) => {
        mod $ident {
            $(
                super::$name::attrs! {
                    #[test]
                    fn $name() {
                        $crate::suite::run(
                            $crate::suite::Generated {
                                ident: ::core::stringify!($ident),
                                body: ::core::stringify!($name),
                                module: ::core::module_path!(),
                                app: super::__crossdrive_app,
                                drivers: super::__crossdrive_drivers,
                                custom: super::__CROSSDRIVE_CUSTOM,
                                only: super::__CROSSDRIVE_ONLY,
                                timeout: super::__crossdrive_timeout(),
                                declared: super::$name::declared,
                                expects_panic: super::$name::EXPECTS_PANIC,
                            },
                            super::$name::boxed,
                        );
                    }
                }
            )*
        }
    };
}

/// The `remote` tests' attributes: the body's, with the remote test's own
/// `#[ignore]` unless the body has one (two are an unused-attribute
/// warning, and the body's reason is the one its author wants to read).
#[cfg(feature = "remote")]
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_remote_attrs {
    (($d:tt) [$($metas:tt)*] []) => {
        macro_rules! remote_attrs {
            ($d($d item:tt)*) => {
                $($metas)*
                #[ignore = "runs against a deployment: set CROSSDRIVE_REMOTE_URL and pass --ignored (cargo test -- --ignored remote::)"]
                $d($d item)*
            };
        }
        pub(super) use remote_attrs;
    };
    (($d:tt) [$($metas:tt)*] [$ignored:tt]) => {
        macro_rules! remote_attrs {
            ($d($d item:tt)*) => { $($metas)* $d($d item)* };
        }
        pub(super) use remote_attrs;
    };
}

#[cfg(not(feature = "remote"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_remote_attrs {
    ($($ignored:tt)*) => {};
}

/// The `remote` module: one `#[ignore]`d test per body against
/// `CROSSDRIVE_REMOTE_URL`.
#[cfg(feature = "remote")]
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_remote {
    ([$($name:ident)*]) => {
        mod remote {
            $(
                super::$name::remote_attrs! {
                    #[test]
                    fn $name() {
                        $crate::suite::run_remote(
                            ::core::module_path!(),
                            ::core::stringify!($name),
                            super::__crossdrive_drivers,
                            super::__crossdrive_timeout(),
                            super::$name::EXPECTS_PANIC,
                            super::$name::boxed,
                        );
                    }
                }
            )*
        }
    };
}

/// Without the `remote` feature a suite has no `remote` driver: no
/// `remote::` test is written.
#[cfg(not(feature = "remote"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_remote {
    ($($ignored:tt)*) => {};
}
