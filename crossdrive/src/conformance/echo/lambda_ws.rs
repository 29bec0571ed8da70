//! The echo app as the function behind an API Gateway WebSocket API
//! (feature `lambda-ws`): the [`websocket`](super::websocket) contract
//! answered from lambda_http's WebSocket events, as a function deployed
//! behind a WebSocket API answers it.
//!
//! lambda_http gives every WebSocket event the path `/{stage}`, which no
//! echo route matches, so the app's fallback hands the event here:
//!
//! - `$connect`: refused with [`REFUSE_HEADER`](super::REFUSE_HEADER)'s
//!   status and [`REFUSED_BODY`](super::REFUSED_BODY); else accepted,
//!   with [`SUBPROTOCOL`](super::SUBPROTOCOL) in `Sec-WebSocket-Protocol`
//!   when offered (API Gateway requires `$connect` to return the one it
//!   chooses). The handshake's `?key=K` is kept by connection id.
//! - a message on any route: sent back with `POST @connections/{id}`, as
//!   a function talks to its client (a route is one-way unless it has a
//!   route response); `close CODE REASON` deletes the connection instead
//!   (`DELETE @connections/{id}` takes no code, so API Gateway closes with
//!   its own) and `ping PAYLOAD` is answered with a text saying a
//!   function cannot ping. The function's own answer is empty, so a
//!   two-way route adds nothing.
//! - `$disconnect`: the client's close code and reason
//!   (`disconnectStatusCode`, `disconnectReason`) recorded under `K`.
//!
//! The management endpoint is reached as AWS's would be, at
//! `{domainName}/{stage}/@connections/{id}`, over plain HTTP (the model
//! has no TLS).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lambda_http::aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequestContext;
use lambda_http::request::RequestContext;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::websocket::{self as contract, Command};

/// What a function answers to `ping PAYLOAD`: it has no way to ping.
pub(super) const NO_PING: &str = "no ping: a function behind an API Gateway WebSocket API cannot \
     ping its client (the @connections API has POST, GET and DELETE only)";

/// How long a call to the management endpoint may take.
const MANAGEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest message the function reads (API Gateway's is 128 KB).
const READ_LIMIT: usize = 1 << 20;

/// The `?key=K` of each live connection, by connection id.
fn keys() -> &'static Mutex<HashMap<String, u64>> {
    static KEYS: OnceLock<Mutex<HashMap<String, u64>>> = OnceLock::new();
    KEYS.get_or_init(Default::default)
}

/// The event's WebSocket context, if `request` is an API Gateway
/// WebSocket event.
pub(super) fn context(request: &Request) -> Option<ApiGatewayWebsocketProxyRequestContext> {
    match request.extensions().get::<RequestContext>() {
        Some(RequestContext::WebSocket(context)) => Some(context.clone()),
        _ => None,
    }
}

/// The function's answer to one event.
pub(super) async fn handle(
    context: ApiGatewayWebsocketProxyRequestContext,
    request: Request,
) -> Response {
    let id = context.connection_id.clone().unwrap_or_default();
    let table = || keys().lock().unwrap_or_else(PoisonError::into_inner);
    match context.route_key.as_deref() {
        Some("$connect") => {
            if let Some(status) = contract::refusal(request.headers()) {
                return super::websocket_app::refused(status);
            }
            if let Some(key) = contract::close_key(request.uri().query()) {
                table().insert(id, key);
            }
            let offered = request
                .headers()
                .get_all(header::SEC_WEBSOCKET_PROTOCOL)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .any(|p| p.trim() == contract::SUBPROTOCOL);
            if offered {
                (
                    [(header::SEC_WEBSOCKET_PROTOCOL, contract::SUBPROTOCOL)],
                    "",
                )
                    .into_response()
            } else {
                StatusCode::OK.into_response()
            }
        }
        Some("$disconnect") => {
            if let Some(key) = table().remove(&id) {
                let code = context
                    .disconnect_status_code
                    .and_then(|c| u16::try_from(c).ok())
                    .unwrap_or(1005);
                let reason = context.disconnect_reason.clone().unwrap_or_default();
                contract::record_client_close(key, code, &reason);
            }
            StatusCode::OK.into_response()
        }
        _ => {
            let body = axum::body::to_bytes(request.into_body(), READ_LIMIT)
                .await
                .unwrap_or_default();
            let endpoint = format!(
                "{}/{}",
                context.domain_name.as_deref().unwrap_or_default(),
                context.stage.as_deref().unwrap_or_default()
            );
            let text = String::from_utf8_lossy(&body);
            let (method, payload) = match Command::parse(&text) {
                Command::Close(..) => ("DELETE", &b""[..]),
                Command::Ping(_) => ("POST", NO_PING.as_bytes()),
                Command::Echo => ("POST", &body[..]),
            };
            match manage(&endpoint, &id, method, payload).await {
                Ok(()) => StatusCode::OK.into_response(),
                // A failed call fails the invocation, as an SDK error
                // would: API Gateway then tells the client.
                Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
            }
        }
    }
}

/// One `@connections/{id}` call, as a function without an SDK makes it:
/// `method` with `payload` to `http://{endpoint}`.
async fn manage(endpoint: &str, id: &str, method: &str, payload: &[u8]) -> Result<(), String> {
    let Some((host, stage)) = endpoint.split_once('/') else {
        return Err(format!(
            "no management endpoint in the event ({endpoint:?})"
        ));
    };
    let call = async {
        let mut stream = tokio::net::TcpStream::connect(host)
            .await
            .map_err(|e| format!("cannot reach @connections at {host} ({e})"))?;
        let head = format!(
            "{method} /{stage}/@connections/{id} HTTP/1.1\r\nHost: {host}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            payload.len()
        );
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        stream.write_all(payload).await.map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .await
            .map_err(|e| e.to_string())?;
        let status = String::from_utf8_lossy(&answer)
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        if status.starts_with('2') {
            Ok(())
        } else {
            Err(format!("{method} @connections/{id} answered {status}"))
        }
    };
    match tokio::time::timeout(MANAGEMENT_TIMEOUT, call).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "{method} @connections/{id} took over {MANAGEMENT_TIMEOUT:?}"
        )),
    }
}
