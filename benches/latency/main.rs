//! crossdrive's own latency bench: every scenario of the reference app
//! through every built-in driver, each beside its floor — one user of
//! `crossdrive::bench`, exactly as a user's `benches/api.rs` is.
//!
//! `cargo bench --bench latency` and `cargo xtask bench` run it; flags
//! after `--` (`--help` lists them). By default it measures every row of
//! `crossdrive_fixtures::scenarios::all` in that order (the reference rows,
//! then payloads and streaming), as it always has; `--scenario` picks.

use crossdrive::lambda::{LambdaOptions, Source};
use crossdrive::{DriverSpec, Drivers};

/// The built-ins, with the REST API configured as one that serves the
/// reference app's `application/octet-stream` stream would be: with that
/// binary media type. Without it API Gateway hands the client base64 text
/// (the suite asserts that difference; the bench measures a working
/// deployment).
fn drivers() -> Drivers {
    let rest = LambdaOptions::new(Source::Rest).binary_media_types(["application/octet-stream"]);
    Drivers::builtin().with(DriverSpec::lambda(rest))
}

crossdrive::bench_main! {
    app = crossdrive_fixtures::reference::app;
    scenarios = crossdrive_fixtures::scenarios::all;
    drivers = drivers;
}
