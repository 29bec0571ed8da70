//! `lambda-ws`: an app deployed as the Lambda function behind an API
//! Gateway WebSocket API, modelled by a real loopback WebSocket endpoint.
//!
//! The test's WebSocket connects to a local server playing API Gateway
//! (`server.rs`); the function is the app behind the real lambda_http
//! adapter, invoked in-process with the events API Gateway sends, as JSON
//! both ways (`event.rs`, `invoke.rs`, reusing the other Lambda drivers'
//! `function.rs`):
//!
//! 1. **`$connect`**: the handshake's headers and query go to the
//!    function; a 2xx accepts the connection, any other status refuses
//!    the handshake with it (`server.rs`);
//! 2. **messages**: each text message is routed by the API's route
//!    selection expression (`route.rs`) to a custom route or `$default`,
//!    and the function is invoked; a two-way route sends the function's
//!    response body back (`session.rs`);
//! 3. **`@connections`**: the function posts to, reads and closes
//!    connections through the management endpoint on the same server
//!    (`management.rs`), guarded by unguessable connection ids
//!    (`connections.rs`);
//! 4. **`$disconnect`**: invoked once whichever side closes, with the
//!    close code and reason;
//! 5. **limits**: AWS's frame, message, idle and duration limits and its
//!    integration timeout (`limits.rs`), each scalable in the deployment's
//!    [`WebSocketOptions`] (`options.rs`).
//!
//! [`LambdaWs`] (`driver.rs`) is the driver over that model.
//!
//! What the function sees, from lambda_http 1.3.2's source
//! (`request.rs`, `into_websocket_request`): a `GET` (the events carry no
//! method) to `/{stage}` (the stage prefix lambda_http adds to the
//! event's empty path), the `$connect` handshake's headers, the query as
//! `QueryStringParameters`, the message as the body, and the event's
//! `requestContext` as `RequestContext::WebSocket` in the request's
//! extensions. A function built with axum reads the route key there and
//! answers from a fallback handler; its response goes back in the REST
//! shape (`statusCode`, `multiValueHeaders`, `body`).

mod connections;
pub(crate) mod deployment;
mod differences;
mod driver;
mod event;
mod invoke;
mod limits;
mod management;
mod options;
mod route;
mod server;
mod session;
#[cfg(test)]
mod tests;

pub use driver::LambdaWs;
pub use limits::{
    WS_FRAME_LIMIT, WS_IDLE_TIMEOUT, WS_INTEGRATION_TIMEOUT, WS_MAX_DURATION, WS_MESSAGE_LIMIT,
};
pub use options::{FunctionFactory, WebSocketOptions};
