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
//! `WebSocketUpgrade::protocols`), `echo.v1` before `echo.v2`. On the echo, some text
//! messages are commands:
//!
//! | text | answer |
//! |---|---|
//! | `close CODE REASON` | the server closes with that code and reason |
//! | `ping PAYLOAD` | the server pings with `PAYLOAD`, and once the pong is back answers the text `pong PAYLOAD` |
//! | `handshake` | JSON: what the handshake carried (`query`, `x-trace`, `subprotocol`, `version`) |

use axum::Router;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, Uri, Version, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
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

async fn serve(mut socket: WebSocket, seen: Seen) {
    let subprotocol = socket
        .protocol()
        .and_then(|p| p.to_str().ok())
        .map(str::to_owned);
    while let Some(Ok(message)) = socket.recv().await {
        let reply = match message {
            Message::Text(text) => match command(text.as_str()) {
                Command::Close(code, reason) => Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })),
                Command::Ping(payload) => {
                    if socket
                        .send(Message::Ping(payload.clone().into()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    match pong(&mut socket).await {
                        Some(back) => Message::Text(format!("pong {back}").into()),
                        None => return,
                    }
                }
                Command::Handshake => Message::Text(
                    json!({
                        "query": seen.query,
                        "x-trace": seen.trace,
                        "subprotocol": subprotocol,
                        "version": format!("{:?}", seen.version),
                    })
                    .to_string()
                    .into(),
                ),
                Command::Echo => Message::Text(text),
            },
            Message::Binary(bytes) => Message::Binary(bytes),
            // Pings are answered by tungstenite; the client's close is
            // answered too, and ends the loop.
            _ => continue,
        };
        let closing = matches!(reply, Message::Close(_));
        if socket.send(reply).await.is_err() || closing {
            // After its close the server reads the client's answer.
            while let Some(Ok(_)) = socket.recv().await {}
            return;
        }
    }
}

/// Waits for the pong to the server's ping; other messages meanwhile are
/// dropped (the commands are sent one at a time).
async fn pong(socket: &mut WebSocket) -> Option<String> {
    while let Some(Ok(message)) = socket.recv().await {
        if let Message::Pong(payload) = message {
            return Some(String::from_utf8_lossy(&payload).into_owned());
        }
    }
    None
}

enum Command {
    Close(u16, String),
    Ping(String),
    Handshake,
    Echo,
}

fn command(text: &str) -> Command {
    if let Some(rest) = text.strip_prefix("close ") {
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        if let Ok(code) = code.parse() {
            return Command::Close(code, reason.to_owned());
        }
    }
    if let Some(payload) = text.strip_prefix("ping ") {
        return Command::Ping(payload.to_owned());
    }
    if text == "handshake" {
        return Command::Handshake;
    }
    Command::Echo
}
