//! The reference app's WebSocket endpoints (axum's `WebSocketUpgrade`),
//! which `tests/websocket.rs` runs on every driver.
//!
//! | handshake | socket |
//! |---|---|
//! | `/ws` (any method: `GET` over HTTP/1.1, `CONNECT` over HTTP/2) | echo: text and binary messages come back as sent |
//! | `/ws/admin` | the same echo with `Bearer admin-token`; refused 403 with `Bearer user-token`, 401 otherwise (JSON errors) |
//! | `/ws/silent` | accepted, then never sends; it ends when the client goes |
//! | `/ws/never` | the handshake is never answered |
//!
//! The subprotocols `echo.v1` and `echo.v2` are supported: the server
//! chooses the first of its own list that the client offers (axum's
//! `WebSocketUpgrade::protocols`), `echo.v1` before `echo.v2`. The socket
//! is the conformance echo's (`crossdrive::conformance::echo::serve_socket`),
//! whose text commands it answers, and one of its own:
//!
//! | text | answer |
//! |---|---|
//! | `close CODE REASON` | the server closes with that code and reason |
//! | `ping PAYLOAD` | the server pings with `PAYLOAD`, and once the pong is back answers the text `pong PAYLOAD` |
//! | `handshake` | JSON: what the handshake carried (`query`, `x-trace`, `subprotocol`, `version`) |

use axum::Router;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, Uri, Version, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use crossdrive::conformance::echo::serve_socket;
use serde_json::json;

use crate::reference::{ADMIN_TOKEN, USER_TOKEN};

/// The subprotocols the echo speaks.
pub const SUBPROTOCOLS: [&str; 2] = ["echo.v1", "echo.v2"];

/// The reference app's WebSocket routes (merged into
/// [`reference::app`](crate::reference::app)).
///
/// ```
/// let _: axum::Router = crossdrive_fixtures::realtime::routes();
/// ```
pub fn routes() -> Router {
    Router::new()
        .route("/ws", any(echo))
        .route("/ws/admin", any(admin))
        .route("/ws/silent", any(silent))
        .route("/ws/never", any(std::future::pending::<Response>))
}

/// What the handshake carried, for the `handshake` command.
struct Seen {
    query: Option<String>,
    trace: Option<String>,
    version: Version,
}

fn seen(uri: &Uri, headers: &HeaderMap, version: Version) -> Seen {
    Seen {
        query: uri.query().map(str::to_owned),
        trace: headers
            .get("x-trace")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        version,
    }
}

async fn echo(
    upgrade: WebSocketUpgrade,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
) -> Response {
    let seen = seen(&uri, &headers, version);
    upgrade
        .protocols(SUBPROTOCOLS)
        .on_upgrade(move |socket| serve(socket, seen))
}

/// Checks the bearer token before the upgrade, as an auth layer in front
/// of the route would: a refusal is the same answer on every adapter,
/// whether or not it could upgrade.
async fn admin(
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match bearer {
        Some(ADMIN_TOKEN) => match upgrade {
            Ok(upgrade) => echo(upgrade, uri, version, headers).await,
            Err(rejection) => rejection.into_response(),
        },
        Some(USER_TOKEN) => (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"error": "the admin socket needs the admin role"})),
        )
            .into_response(),
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            axum::Json(json!({"error": "send a bearer token to open the admin socket"})),
        )
            .into_response(),
    }
}

async fn silent(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|mut socket| async move {
        // Reads (answering pings, as tungstenite does) and never sends.
        while let Some(Ok(_)) = socket.recv().await {}
    })
}

/// The conformance echo's socket loop (`crossdrive::conformance::echo::serve_socket`),
/// with the reference app's one command more: `handshake`.
async fn serve(socket: WebSocket, seen: Seen) {
    let subprotocol = socket
        .protocol()
        .and_then(|p| p.to_str().ok())
        .map(str::to_owned);
    let handshake = json!({
        "query": seen.query,
        "x-trace": seen.trace,
        "subprotocol": subprotocol,
        "version": format!("{:?}", seen.version),
    })
    .to_string();
    serve_socket(socket, None, move |text| {
        (text == "handshake").then(|| handshake.clone())
    })
    .await;
}
