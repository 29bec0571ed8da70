//! The reference WebSocket function: what the shared suite deploys behind
//! the `lambda-ws` driver's API Gateway WebSocket API, answering as the
//! reference app's echo (`realtime.rs`) answers on the drivers that
//! upgrade, as far as a Lambda function behind API Gateway can.
//!
//! It is a function as a cargo-lambda user writes one with axum: one
//! fallback handler (lambda_http gives every WebSocket event the path
//! `/{stage}`) reading the event's `RequestContext::WebSocket`:
//!
//! - `$connect`: with a bearer token, `/ws/admin`'s check (the admin
//!   token accepted, the user token 403, any other 401, with the same JSON
//!   errors); without one, accepted, as `/ws` is. A WebSocket API has one
//!   URL per stage, so the function cannot tell the two routes apart by
//!   path. The subprotocol is chosen as the echo chooses it (the first of
//!   [`SUBPROTOCOLS`] the client offers) and returned in
//!   `Sec-WebSocket-Protocol`, as API Gateway requires of `$connect`.
//! - a message: answered with itself, which a two-way route
//!   (`WebSocketOptions::two_way`) sends back; `handshake` is answered
//!   with what the `$connect` carried (kept per connection id, as a
//!   deployed function would keep it in a table); `close CODE REASON`
//!   deletes the connection through `@connections` (API Gateway then
//!   closes it with its own code: a function chooses none).
//! - `$disconnect`: forgets the connection.
//!
//! What a function cannot do behind API Gateway: ping the client (the
//! management API has no ping) or send binary (API Gateway refuses binary
//! frames with 1003).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::realtime::SUBPROTOCOLS;
use crate::reference::{ADMIN_TOKEN, USER_TOKEN};

/// What each connection's `$connect` carried, by connection id.
type Handshakes = Arc<Mutex<HashMap<String, Value>>>;

/// The reference WebSocket function, with its own table of connections.
///
/// ```
/// let function = crossdrive_fixtures::ws_function::ws_function();
/// # let _ = function;
/// ```
pub fn ws_function() -> Router {
    let handshakes = Handshakes::default();
    Router::new().fallback(move |request: Request| handle(request, Arc::clone(&handshakes)))
}

async fn handle(request: Request, handshakes: Handshakes) -> Response {
    let Some(lambda_http::request::RequestContext::WebSocket(context)) =
        request.extensions().get().cloned()
    else {
        return (
            StatusCode::BAD_REQUEST,
            "this function handles API Gateway WebSocket events only",
        )
            .into_response();
    };
    let id = context.connection_id.clone().unwrap_or_default();
    let table = || handshakes.lock().unwrap_or_else(PoisonError::into_inner);
    match context.route_key.as_deref() {
        Some("$connect") => {
            let (response, seen) = connect(&request);
            if let Some(seen) = seen {
                table().insert(id, seen);
            }
            response
        }
        Some("$disconnect") => {
            table().remove(&id);
            StatusCode::OK.into_response()
        }
        _ => {
            let body = axum::body::to_bytes(request.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&body);
            if text == "handshake" {
                let seen = table().get(&id).cloned().unwrap_or(Value::Null);
                return seen.to_string().into_response();
            }
            if let Some(rest) = text.strip_prefix("close ")
                && rest
                    .split(' ')
                    .next()
                    .is_some_and(|c| c.parse::<u16>().is_ok())
            {
                let endpoint = format!(
                    "{}/{}",
                    context.domain_name.unwrap_or_default(),
                    context.stage.unwrap_or_default()
                );
                delete(&endpoint, &id).await;
                return StatusCode::OK.into_response();
            }
            Response::new(Body::from(body))
        }
    }
}

/// `$connect`: the answer, and what the handshake carried when accepted.
fn connect(request: &Request) -> (Response, Option<Value>) {
    let headers = request.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(""));
    match bearer {
        None | Some(ADMIN_TOKEN) => {}
        Some(USER_TOKEN) => {
            let body = axum::Json(json!({"error": "the admin socket needs the admin role"}));
            return ((StatusCode::FORBIDDEN, body).into_response(), None);
        }
        Some(_) => {
            let body = axum::Json(json!({"error": "send a bearer token to open the admin socket"}));
            let answer = (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                body,
            );
            return (answer.into_response(), None);
        }
    }
    let offered: Vec<&str> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let chosen = SUBPROTOCOLS.iter().find(|p| offered.contains(p)).copied();
    let seen = json!({
        "query": request.uri().query(),
        "x-trace": headers.get("x-trace").and_then(|v| v.to_str().ok()),
        "subprotocol": chosen,
        // API Gateway's handshake is an HTTP/1.1 upgrade.
        "version": "HTTP/1.1",
    });
    let response = match chosen {
        Some(protocol) => ([(header::SEC_WEBSOCKET_PROTOCOL, protocol)], "").into_response(),
        None => StatusCode::OK.into_response(),
    };
    (response, Some(seen))
}

/// `DELETE @connections/{id}` as a function without an SDK sends it, to
/// `http://{domainName}/{stage}` (the model's endpoint is plain HTTP).
async fn delete(endpoint: &str, id: &str) {
    let Some((host, stage)) = endpoint.split_once('/') else {
        return;
    };
    let Ok(mut stream) = tokio::net::TcpStream::connect(host).await else {
        return;
    };
    let request = format!(
        "DELETE /{stage}/@connections/{id} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).await.is_ok() {
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
    }
}
