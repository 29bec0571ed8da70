//! How bookshelf is deployed, as crossdrive drivers: shared by the suite
//! and the bench (`#[path]`-included), so both measure the same thing.

// Each binary that includes this file uses its own part of it.
#![allow(dead_code)]

use std::time::Duration;

#[cfg(feature = "lambda")]
use crossdrive::lambda::ws::WebSocketOptions;
#[cfg(feature = "lambda")]
use crossdrive::lambda::{LambdaOptions, Source};
use crossdrive::{DriverSpec, Drivers};

/// Every built-in driver, configured as production is, plus the team's
/// own `duplex` driver.
pub fn drivers() -> Drivers {
    let drivers = Drivers::builtin();
    #[cfg(feature = "lambda")]
    let drivers = drivers
        // The REST API serves covers as binary and runs on stage `v1`.
        .with(DriverSpec::lambda(
            LambdaOptions::new(Source::Rest)
                .stage("v1")
                .binary_media_types(["image/png"]),
        ))
        // The ALB target group has multi-value headers on.
        .with(DriverSpec::lambda(LambdaOptions::new(Source::Alb {
            multi_value_headers: true,
        })));
    drivers
        // The plain server answers within 2 s or the test fails.
        .with(DriverSpec::http1().timeout(Duration::from_secs(2)))
        .with(crate::edge::spec())
}

/// Every driver above and, with the Lambda deployment, the live feed's
/// API Gateway WebSocket API (`lambda-ws`): the team's WebSocket function
/// on stage `v1`, `shelve` a one-way route and `$default` two-way, as
/// deployed. `lambda-ws` carries WebSockets only, so a suite over this
/// list names its drivers in `only = [..]`, and the bench reports its
/// HTTP rows as unmeasured.
pub fn with_websocket_api() -> Drivers {
    #[cfg(feature = "lambda")]
    return drivers().with(DriverSpec::lambda_ws(
        WebSocketOptions::new()
            .function(bookshelf::live_function)
            .stage("v1")
            .route_selection_expression("$request.body.action")
            .route("shelve")
            .two_way("$default"),
    ));
    #[cfg(not(feature = "lambda"))]
    drivers()
}
