//! Every macro this crate exports, in one file (as insta and divan keep
//! theirs): the user-facing ones (`suite!`, `conformance!`,
//! `conformance_tests!`, `parity!`, `assert_parity!`, `bench_main!`) and the
//! `#[doc(hidden)]` links they expand through. They reach the crate only
//! through `$crate::` paths, and what they call that is not public API sits
//! in [`crate::__private`].
//!
//! Two macros stay beside what they generate, because they are how a type
//! is written rather than macro support: `define_kinds` (kind.rs, the
//! [`Kind`](crate::Kind) enum from the driver table) and `define_checks`
//! (conformance/mod.rs, the check list); and `conformance_table!`
//! (conformance/table.rs) is the check list itself, as data.

// ======================================================================
// `suite!`: one test body, one test per driver (suite/mod.rs)

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
///   leave out fails its tests saying to write this line). A built-in
///   whose cargo feature this build lacks gets ignored tests, their reason
///   saying to turn on its feature, so one list serves every feature set;
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

            pub(super) fn declared() -> ::std::vec::Vec<$crate::__private::Declared> {
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
        $crate::driver_table! { $crate::__suite_only_drivers [($) [$($only)*] $names] }
    };
}

/// The drivers named in `only = [..]`, read against the driver table: a
/// built-in this build has, or a driver of the user's, gets its tests; a
/// built-in whose cargo feature this build lacks (in the table's every
/// identifier, without an entry) gets one ignored test per body saying so.
/// A suite can then name every adapter its app ships behind whatever
/// features a build has, and a test that cannot run here shows as
/// ignored, never as passed. The local macro's arms are the table's
/// identifiers; the first that matches decides.
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_only_drivers {
    ([($d:tt) [$($only:ident)*] $names:tt] [$($every:ident)*] $({ ident: $ident:ident, $($field:tt)* })*) => {
        macro_rules! __crossdrive_only {
            $( ($ident) => { $crate::__suite_driver! { $ident $names } }; )*
            $( ($every) => { $crate::__suite_feature_off! { $every $names } }; )*
            ($d other:ident) => { $crate::__suite_driver! { $d other $names } };
        }
        $( __crossdrive_only! { $only } )*
    };
}

/// The module of a built-in driver named in `only = [..]` whose cargo
/// feature is off: one ignored test per body, the reason saying so.
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_feature_off {
    ($ident:ident [$($name:ident)*]) => {
        mod $ident {
            $(
                #[test]
                #[ignore = ::core::concat!(
                    "not run: `", ::core::stringify!($ident), "` is left out of this build of \
                     crossdrive; turn on the cargo feature that carries it (the README's driver \
                     table names it)"
                )]
                fn $name() {}
            )*
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_builtin {
    ([$names:tt] [$($every:ident)*] $({ ident: $ident:ident, $($field:tt)* })*) => {
        $( $crate::__builtin_http! { [$crate::__suite_driver] [$ident $names] $($field)* } )*
    };
}

/// Calls `$callback! { $args }` for a driver-table entry that carries
/// HTTP, nothing for one marked `carries: websocket` (its tests are
/// written only where a suite names it in `only = [..]`).
#[doc(hidden)]
#[macro_export]
macro_rules! __builtin_http {
    ([$callback:path] [$($args:tt)*] carries: websocket, $($field:tt)*) => {};
    ([$callback:path] [$($args:tt)*] $($field:tt)*) => {
        $callback! { $($args)* }
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
                        $crate::__private::run(
                            $crate::__private::Generated {
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
                        $crate::__private::run_remote(
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

// ======================================================================
// `#[differs(..)]` inside `suite!`: what a body declares differs on some drivers (suite/differs.rs)

/// Writes one `#[differs(..)]` as a [`Declared`]: driver identifiers
/// (`name*` for a family), then `because = ..` and at least one of
/// `status = ..`, `note = ..`, `expected = ..`, each any expression.
/// Every other form is a compile error saying what to write.
#[doc(hidden)]
#[macro_export]
macro_rules! __differs {
    ($($args:tt)*) => {
        $crate::__differs_parse! { [] [] [no_because] [no_what] $($args)* }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __differs_parse {
    // The keys, each taking any expression (a literal, a constant, a path).
    ([$($d:tt)*] [$($set:tt)*] [$b:tt] [$w:tt] because = $v:expr $(, $($rest:tt)*)?) => {
        $crate::__differs_parse! { [$($d)*] [$($set)* .because($v)] [has_because] [$w] $($($rest)*)? }
    };
    ([$($d:tt)*] [$($set:tt)*] [$b:tt] [$w:tt] status = $v:expr $(, $($rest:tt)*)?) => {
        $crate::__differs_parse! { [$($d)*] [$($set)* .status($v)] [$b] [has_what] $($($rest)*)? }
    };
    ([$($d:tt)*] [$($set:tt)*] [$b:tt] [$w:tt] note = $v:expr $(, $($rest:tt)*)?) => {
        $crate::__differs_parse! { [$($d)*] [$($set)* .note($v)] [$b] [has_what] $($($rest)*)? }
    };
    ([$($d:tt)*] [$($set:tt)*] [$b:tt] [$w:tt] expected = $v:expr $(, $($rest:tt)*)?) => {
        $crate::__differs_parse! { [$($d)*] [$($set)* .expected($v)] [$b] [has_what] $($($rest)*)? }
    };
    ([] [] [$b:tt] [$w:tt] $driver:ident = $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "#[differs(", ::core::stringify!($driver), " = ..)] is the old form, which passed on any failure; ",
            "say what differs: #[differs(", ::core::stringify!($driver),
            ", status = 415, because = \"why\")], or note = \"adapter-note-code\", or expected = \"part of the failure message\""
        ));
    };
    ([$($d:tt)*] [$($set:tt)*] [$b:tt] [$w:tt] $key:ident = $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "#[differs] has no `", ::core::stringify!($key),
            " = ..`; it takes driver identifiers, then because = .., and status = .., note = .. or expected = .."
        ));
    };
    // Drivers: identifiers before the keys; `name*` names a family.
    ([$($d:tt)*] [] [$b:tt] [$w:tt] $driver:ident * $(, $($rest:tt)*)?) => {
        $crate::__differs_parse! {
            [$($d)* ::core::concat!(::core::stringify!($driver), "*"),] [] [$b] [$w] $($($rest)*)?
        }
    };
    ([$($d:tt)*] [] [$b:tt] [$w:tt] $driver:ident $(, $($rest:tt)*)?) => {
        $crate::__differs_parse! { [$($d)* ::core::stringify!($driver),] [] [$b] [$w] $($($rest)*)? }
    };
    ([] [$($set:tt)*] [$b:tt] [$w:tt]) => {
        ::core::compile_error!(
            "#[differs(..)] names no driver: start it with the drivers' identifiers, such as #[differs(lambda_v1, status = 415, because = \"..\")]"
        )
    };
    ([$($d:tt)*] [$($set:tt)*] [no_because] [$w:tt]) => {
        ::core::compile_error!(
            "#[differs(..)] gives no reason: add because = \"why the adapter differs\""
        )
    };
    ([$($d:tt)*] [$($set:tt)*] [$b:tt] [no_what]) => {
        ::core::compile_error!(
            "#[differs(..)] does not say what differs: add status = 415, note = \"adapter-note-code\" or expected = \"part of the failure message\""
        )
    };
    ([$($d:tt)+] [$($set:tt)*] [has_because] [has_what]) => {
        $crate::__private::Declared::new(&[$($d)*]) $($set)*
    };
    ([$($d:tt)*] [$($set:tt)*] [$b:tt] [$w:tt] $($rest:tt)+) => {
        ::core::compile_error!(::core::concat!(
            "#[differs(..)] cannot read `", ::core::stringify!($($rest)+),
            "`; write driver identifiers, then because = .., and status = .., note = .. or expected = ..",
        ))
    };
}

// ======================================================================
// The driver table: one entry per built-in driver, as a chain of macros with one link per cargo feature (kind.rs)

/// Calls `$callback! { [$args] [every ident] { entry } { entry } ... }`:
/// the identifiers of every built-in driver, compiled in or not (each link
/// adds its own whether its feature is on or off), then one entry per
/// driver compiled in (the driver families are cargo features: `lambda`,
/// `sockets`, `tls`, `http3`). Each entry is `{ ident: .., variant: ..,
/// name: "..", about: "..", registration: path }`: `registration` names the
/// driver module's crate-private [`Registration`](crate::registry) (its
/// deployment, floor and declared differences). Macros expanded in a
/// user's crate read only `ident`; the path is resolved inside this crate.
///
/// The macro expands in the user's crate, where `#[cfg(feature = ..)]`
/// would test the user's features, not these: each family is one link of
/// a chain of macros defined twice here, with and without its feature,
/// so the table a user's `suite!` sees is the one this crate was built
/// with.
#[doc(hidden)]
#[macro_export]
macro_rules! driver_table {
    ($callback:path [$($args:tt)*]) => {
        $crate::__driver_table_lambda! { $callback [$($args)*] [direct]
            {
                ident: direct,
                variant: Direct,
                name: "direct",
                about: "the app called in-process with `oneshot`: no socket, no serialization",
                registration: $crate::direct::REGISTRATION,
            }
        }
    };
}

#[cfg(feature = "lambda")]
#[doc(hidden)]
#[macro_export]
macro_rules! __driver_table_lambda {
    ($callback:path [$($args:tt)*] [$($every:ident)*] $($done:tt)*) => {
        $crate::__driver_table_lambda_ws! { $callback [$($args)*] [$($every)* lambda lambda_url lambda_v1 lambda_alb lambda_runtime lambda_url_stream] $($done)*
            {
                ident: lambda,
                variant: Lambda,
                name: "lambda",
                about: "API Gateway HTTP API (payload 2.0) through lambda_http, JSON both ways",
                registration: $crate::lambda::deployment::HTTP_API,
            }
            {
                ident: lambda_url,
                variant: LambdaUrl,
                name: "lambda-url",
                about: "a Lambda Function URL (payload 2.0) through lambda_http, JSON both ways",
                registration: $crate::lambda::deployment::FUNCTION_URL,
            }
            {
                ident: lambda_v1,
                variant: LambdaV1,
                name: "lambda-v1",
                about: "API Gateway REST API (payload 1.0, `{proxy+}`) through lambda_http, JSON both ways",
                registration: $crate::lambda::deployment::REST,
            }
            {
                ident: lambda_alb,
                variant: LambdaAlb,
                name: "lambda-alb",
                about: "an ALB target group through lambda_http, JSON both ways",
                registration: $crate::lambda::deployment::ALB,
            }
            {
                ident: lambda_runtime,
                variant: LambdaRuntime,
                name: "lambda-runtime",
                about: "HTTP API events through the real `lambda_http::run` loop in a child process polling a local Runtime API",
                registration: $crate::lambda::deployment::RUNTIME,
            }
            {
                ident: lambda_url_stream,
                variant: LambdaUrlStream,
                name: "lambda-url-stream",
                about: "a Function URL with InvokeMode RESPONSE_STREAM: the real `lambda_http::run_with_streaming_response` loop in a child process, the body streamed through a local Runtime API",
                registration: $crate::lambda::deployment::URL_STREAM,
            }
        }
    };
}

#[cfg(not(feature = "lambda"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __driver_table_lambda {
    ($callback:path [$($args:tt)*] [$($every:ident)*] $($done:tt)*) => {
        $crate::__driver_table_lambda_ws! { $callback [$($args)*] [$($every)* lambda lambda_url lambda_v1 lambda_alb lambda_runtime lambda_url_stream] $($done)* }
    };
}

// `lambda-ws` carries WebSockets only (`carries: websocket`): `suite!`
// writes its tests only where a suite names it in `only = [..]`,
// `conformance!` only its WebSocket checks, `Drivers::builtin()` leaves it
// out, and a bench that adds it leaves its HTTP rows unmeasured.
#[cfg(feature = "lambda-ws")]
#[doc(hidden)]
#[macro_export]
macro_rules! __driver_table_lambda_ws {
    ($callback:path [$($args:tt)*] [$($every:ident)*] $($done:tt)*) => {
        $crate::__driver_table_sockets! { $callback [$($args)*] [$($every)* lambda_ws] $($done)*
            {
                ident: lambda_ws,
                carries: websocket,
                variant: LambdaWs,
                name: "lambda-ws",
                about: "an API Gateway WebSocket API ($connect, routes, @connections, $disconnect, AWS's limits) on a loopback endpoint, the function through lambda_http's WebSocket events; WebSockets only",
                registration: $crate::lambda::ws::deployment::LAMBDA_WS,
            }
        }
    };
}

#[cfg(not(feature = "lambda-ws"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __driver_table_lambda_ws {
    ($callback:path [$($args:tt)*] [$($every:ident)*] $($done:tt)*) => {
        $crate::__driver_table_sockets! { $callback [$($args)*] [$($every)* lambda_ws] $($done)* }
    };
}

#[cfg(feature = "sockets")]
#[doc(hidden)]
#[macro_export]
macro_rules! __driver_table_sockets {
    ($callback:path [$($args:tt)*] [$($every:ident)*] $($done:tt)*) => {
        $crate::__driver_table_tls! { $callback [$($args)*] [$($every)* http1 http2] $($done)*
            {
                ident: http1,
                variant: Http1,
                name: "http1",
                about: "a real hyper server on loopback and hyper's client speaking HTTP/1.1 on pooled keep-alive connections",
                registration: $crate::socket::deployment::HTTP1,
            }
            {
                ident: http2,
                variant: Http2,
                name: "http2",
                about: "the same server and hyper's client speaking HTTP/2 by prior knowledge (h2c)",
                registration: $crate::socket::deployment::HTTP2,
            }
        }
    };
}

#[cfg(not(feature = "sockets"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __driver_table_sockets {
    ($callback:path [$($args:tt)*] [$($every:ident)*] $($done:tt)*) => {
        $crate::__driver_table_tls! { $callback [$($args)*] [$($every)* http1 http2] $($done)* }
    };
}

#[cfg(feature = "tls")]
#[doc(hidden)]
#[macro_export]
macro_rules! __driver_table_tls {
    ($callback:path [$($args:tt)*] [$($every:ident)*] $($done:tt)*) => {
        $crate::__driver_table_http3! { $callback [$($args)*] [$($every)* http2_tls] $($done)*
            {
                ident: http2_tls,
                variant: Http2Tls,
                name: "http2-tls",
                about: "HTTP/2 negotiated by ALPN over TLS (rustls with ring, a self-signed certificate)",
                registration: $crate::socket::deployment::HTTP2_TLS,
            }
        }
    };
}

#[cfg(not(feature = "tls"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __driver_table_tls {
    ($callback:path [$($args:tt)*] [$($every:ident)*] $($done:tt)*) => {
        $crate::__driver_table_http3! { $callback [$($args)*] [$($every)* http2_tls] $($done)* }
    };
}

#[cfg(feature = "http3")]
#[doc(hidden)]
#[macro_export]
macro_rules! __driver_table_http3 {
    ($callback:path [$($args:tt)*] [$($every:ident)*] $($done:tt)*) => {
        $crate::__driver_table_fresh! { $callback [$($args)*] [$($every)* http3] $($done)*
            {
                ident: http3,
                variant: Http3,
                name: "http3",
                about: "HTTP/3 over QUIC on a UDP loopback port (quinn and h3, TLS 1.3, ALPN h3) on one pooled connection",
                registration: $crate::socket::http3::deployment::HTTP3,
            }
        }
    };
}

#[cfg(not(feature = "http3"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __driver_table_http3 {
    ($callback:path [$($args:tt)*] [$($every:ident)*] $($done:tt)*) => {
        $crate::__driver_table_fresh! { $callback [$($args)*] [$($every)* http3] $($done)* }
    };
}

#[cfg(feature = "sockets")]
#[doc(hidden)]
#[macro_export]
macro_rules! __driver_table_fresh {
    ($callback:path [$($args:tt)*] [$($every:ident)*] $($done:tt)*) => {
        $crate::__driver_table_end! { $callback [$($args)*] [$($every)* http1_fresh] $($done)*
            {
                ident: http1_fresh,
                variant: Http1Fresh,
                name: "http1-fresh",
                about: "HTTP/1.1 with a new connection for every request: what keep-alive is judged against",
                registration: $crate::socket::deployment::HTTP1_FRESH,
            }
        }
    };
}

#[cfg(not(feature = "sockets"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __driver_table_fresh {
    ($callback:path [$($args:tt)*] [$($every:ident)*] $($done:tt)*) => {
        $crate::__driver_table_end! { $callback [$($args)*] [$($every)* http1_fresh] $($done)* }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __driver_table_end {
    ($callback:path [$($args:tt)*] [$($every:ident)*] $($done:tt)*) => {
        $callback! { [$($args)*] [$($every)*] $($done)* }
    };
}

// ======================================================================
// `conformance_tests!`: the conformance checks for one driver of your own (conformance/mod.rs)

/// Generates one `#[test]` per conformance check (named after the check)
/// for your own driver, in the module where it is invoked.
///
/// `driver` is a closure or function building the driver over the echo app
/// (`crossdrive::conformance::echo::app()`); `expect` (optional) is an
/// [`Expectations`](crate::conformance::Expectations) expression declaring the checks your adapter cannot
/// meet by design, with their reasons.
///
/// ```ignore
/// mod my_adapter {
///     crossdrive::conformance_tests! {
///         driver = || my_adapter::Driver::new(crossdrive::conformance::echo::app()),
///         expect = crossdrive::conformance::Expectations::new()
///             .difference("three_set_cookie_headers_stay_three", "my gateway joins cookies"),
///     }
/// }
/// ```
///
/// `cargo test my_adapter::` then runs
/// `my_adapter::three_set_cookie_headers_stay_three` and the others.
#[macro_export]
macro_rules! conformance_tests {
    (driver = $driver:expr $(,)?) => {
        $crate::conformance_tests! { driver = $driver, expect = $crate::conformance::Expectations::new() }
    };
    (driver = $driver:expr, expect = $expect:expr $(,)?) => {
        $crate::conformance_table! { $crate::__conformance_tests [[$driver] [$expect]] }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ([[$driver:expr] [$expect:expr]] [$($websocket:ident)*] $({ name: $name:ident, $($rest:tt)* })*) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::run_test_on(stringify!($name), $driver, &$expect);
            }
        )*
    };
}

// ======================================================================
// `conformance!`: the conformance checks on every driver (conformance/on_drivers.rs)

/// Generates the conformance suite for every driver: one `#[test]` per
/// check and driver, `<driver>::<check>` (so `cargo test -- lambda_v1::`
/// runs one driver's checks), each against a fresh instance of `app`
/// ([`echo::app`](crate::conformance::echo::app) unless `app = ..;` names another app honouring its
/// contract). `drivers`, `custom` and `only` work as in
/// [`suite!`](macro@crate::suite): configured built-ins and drivers of your
/// own, each with the differences its spec declares; `only = [..]` when
/// your list is not every built-in, so that what is counted is what ran.
///
/// With the `websocket` feature the checks include the WebSocket ones
/// (they exist only then, in your crate too); a built-in that carries
/// WebSockets only (`lambda-ws`) gets just those, in its default
/// deployment unless `drivers` configures it.
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
    ([$args:tt [] [$($custom:ident)*]] $websocket:tt $({ name: $name:ident, $($rest:tt)* })*) => {
        $crate::driver_table! { $crate::__conformance_builtin [$args [$($name)*] $websocket] }
        $crate::__conformance_each! { $args [$($custom)*] [$($name)*] }
    };
    ([$args:tt [some $($only:ident)*] []] $websocket:tt $({ name: $name:ident, $($rest:tt)* })*) => {
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
    ([$args:tt $names:tt $websocket:tt] [$($every:ident)*] $({ ident: $ident:ident, $($field:tt)* })*) => {
        $( $crate::__conformance_builtin_one! { [$args $ident $names $websocket] $($field)* } )*
    };
}

/// One built-in's conformance tests: every check, or only the WebSocket
/// checks for an entry marked `carries: websocket` (its default
/// deployment unless the drivers list configures it; see
/// `conformance::run_test`).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_builtin_one {
    ([$args:tt $ident:ident $names:tt $websocket:tt] carries: websocket, $($field:tt)*) => {
        $crate::__conformance_driver! { $args $ident $websocket }
    };
    ([$args:tt $ident:ident $names:tt $websocket:tt] $($field:tt)*) => {
        $crate::__conformance_driver! { $args $ident $names }
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

// ======================================================================
// `assert_parity!`: every driver answered alike, pinned by insta (parity/mod.rs)

#[cfg(feature = "parity")]
/// Asserts that every driver in a [`Parity`](crate::parity::Parity) agrees, and snapshots what
/// they agree on with insta (snapshot named after the scenario, stored
/// beside the calling test file under `snapshots/`; the description
/// metadata lists the drivers and declared differences).
///
/// On divergence it panics naming the diverging driver with a diff; on a
/// snapshot change insta fails as usual: run `cargo insta review`.
///
/// ```ignore
/// let mut parity = crossdrive::parity::Parity::new("simple_get");
/// parity.add(direct.get("/hello").await);
/// parity.add(http1.get("/hello").await);
/// crossdrive::assert_parity!(parity);
/// ```
#[macro_export]
macro_rules! assert_parity {
    ($parity:expr) => {{
        let parity: &$crate::parity::Parity = &$parity;
        match parity.check() {
            Ok(snapshot) => {
                $crate::__private::insta::with_settings!(
                    {
                        description => parity.description(),
                        omit_expression => true,
                        prepend_module_to_snapshot => false,
                    },
                    { $crate::__private::insta::assert_snapshot!(parity.name(), snapshot) }
                );
            }
            Err(message) => panic!("{message}"),
        }
    }};
}

// ======================================================================
// `parity!`: one scenario on every driver (parity/on_drivers.rs)

#[cfg(feature = "parity")]
/// Turns each `async fn name(client) { ... }` (whose body evaluates to the
/// [`TestResponse`](crate::TestResponse) to compare) into a test `name::is_the_same_on_every_driver`
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

#[cfg(feature = "parity")]
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

// ======================================================================
// `bench_main!`: a user's bench binary (bench/runner.rs)

#[cfg(feature = "bench")]
/// The `main` of a bench binary (`harness = false`): installs the
/// [`CountingAllocator`](crate::bench::CountingAllocator) and runs a [`Bench`](crate::bench::Bench) over `app` and `scenarios`
/// from the command line, serving the `lambda-runtime` child first when
/// this process is one.
///
/// ```no_run,standalone_crate
/// # mod my_service { pub fn app() -> axum::Router { axum::Router::new() } }
/// use crossdrive::{Scenario, scenario::Step};
/// use crossdrive::{DriverSpec, Drivers, lambda::{LambdaOptions, Source}};
///
/// fn scenarios() -> Vec<Scenario> {
///     vec![Scenario::new("list_items").step(Step::get("/items").expect(200))]
/// }
/// fn drivers() -> Drivers {
///     let rest = LambdaOptions::new(Source::Rest).binary_media_types(["image/png"]);
///     Drivers::builtin().with(DriverSpec::lambda(rest))
/// }
///
/// crossdrive::bench_main! {
///     app = my_service::app;
///     scenarios = scenarios;
///     drivers = drivers;                       // optional
///     default_scenarios = ["list_items"];      // optional
/// }
/// ```
#[macro_export]
macro_rules! bench_main {
    (
        app = $app:path;
        scenarios = $scenarios:path;
        $(drivers = $drivers:path;)?
        $(default_scenarios = $defaults:expr;)?
    ) => {
        #[global_allocator]
        static CROSSDRIVE_BENCH_ALLOCATOR: $crate::bench::CountingAllocator =
            $crate::bench::CountingAllocator;

        fn main() -> ::std::process::ExitCode {
            // First of all: a lambda-runtime child serves the app and exits.
            $crate::__private::serve_lambda_child(|| $crate::IntoApp::into_app($app()));
            let bench = $crate::bench::Bench::new($app).scenarios($scenarios());
            $(let bench = bench.drivers($drivers());)?
            $(let bench = bench.default_scenarios($defaults);)?
            bench.run_from_args()
        }
    };
}
