//! crossdrive's own latency bench: every scenario of the reference app
//! through every built-in driver, each beside its floor — one user of
//! `crossdrive::bench`, exactly as a user's `benches/api.rs` is.
//!
//! `cargo bench --bench latency` and `cargo xtask bench` run it; flags
//! after `--` (`--help` lists them). By default it measures every row of
//! `crossdrive_fixtures::scenarios::all` in that order (the reference rows,
//! then payloads and streaming), as it always has; `--scenario` picks.

use crossdrive::lambda::ws::WebSocketOptions;
use crossdrive::lambda::{LambdaOptions, Source};
use crossdrive::{DriverSpec, Drivers};

/// The built-ins, with the REST API configured as one that serves the
/// reference app's `application/octet-stream` stream would be: with that
/// binary media type. Without it API Gateway hands the client base64 text
/// (the suite asserts that difference; the bench measures a working
/// deployment).
///
/// And `lambda-ws`, the reference WebSocket function behind an API
/// Gateway WebSocket API, its `$default` route two-way so the echo comes
/// back: its WebSocket rows (`ws_connect`, `ws_echo`) sit beside the
/// other drivers' in the cross-adapter table; its HTTP rows are
/// unmeasured (a WebSocket API carries no plain request). The function is
/// the fixture, not the reference app: lambda_http hands every WebSocket
/// event to the path `/{stage}`, which the app does not route.
fn drivers() -> Drivers {
    let rest = LambdaOptions::new(Source::Rest).binary_media_types(["application/octet-stream"]);
    let websocket_api = WebSocketOptions::new()
        .function(crossdrive_fixtures::ws_function::ws_function)
        .two_way("$default");
    Drivers::builtin()
        .with(DriverSpec::lambda(rest))
        .with(DriverSpec::lambda_ws(websocket_api))
}

crossdrive::bench_main! {
    app = crossdrive_fixtures::reference::app;
    scenarios = crossdrive_fixtures::scenarios::all;
    drivers = drivers;
}
