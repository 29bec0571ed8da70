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

pub(crate) mod differs;
pub(crate) mod run;
mod verdict;

pub(crate) use run::{options, selected};
#[cfg(feature = "parity")]
pub(crate) use run::{selection, test_runtime};
