//! The reference WebSocket function: what the shared suite deploys behind
//! the `lambda-ws` driver's API Gateway WebSocket API, answering as the
//! reference app's `/ws` route answers on the drivers that upgrade.
//!
//! It is a Lambda function as a cargo-lambda user writes one with axum:
//! one fallback handler (lambda_http gives every WebSocket event the path
//! `/{stage}`) reading the event's `RequestContext::WebSocket`:
//!
//! - `$connect`: refuses with the status in an `x-refuse` header, as the
//!   `/ws` route does, and otherwise accepts, choosing the first
//!   subprotocol the client offered (API Gateway requires the `$connect`
//!   integration to return the `Sec-WebSocket-Protocol` it picks);
//! - a message (`$default` or any route): answers with the message
//!   itself, which a two-way route (`WebSocketOptions::two_way`) sends
//!   back: the echo;
//! - `$disconnect`: 200, which API Gateway ignores.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use lambda_http::request::RequestContext;

/// The reference WebSocket function.
///
/// ```
/// let function = crossdrive_fixtures::ws_function::ws_function();
/// # let _ = function;
/// ```
pub fn ws_function() -> Router {
    Router::new().fallback(handle)
}

async fn handle(request: Request) -> Response {
    let Some(RequestContext::WebSocket(context)) = request.extensions().get::<RequestContext>()
    else {
        return (
            StatusCode::BAD_REQUEST,
            "this function handles API Gateway WebSocket events only",
        )
            .into_response();
    };
    match context.route_key.as_deref() {
        Some("$connect") => connect(&request),
        Some("$disconnect") => StatusCode::OK.into_response(),
        _ => Response::new(Body::new(request.into_body())),
    }
}

fn connect(request: &Request) -> Response {
    let headers = request.headers();
    if let Some(status) = headers
        .get("x-refuse")
        .and_then(|v| StatusCode::from_bytes(v.as_bytes()).ok())
    {
        return (status, "refused by $connect").into_response();
    }
    let first = headers
        .get_all(http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find(|p| !p.is_empty())
        .map(str::to_owned);
    match first {
        Some(protocol) => ([(http::header::SEC_WEBSOCKET_PROTOCOL, protocol)], "").into_response(),
        None => StatusCode::OK.into_response(),
    }
}
