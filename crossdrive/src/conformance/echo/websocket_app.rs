//! The echo app's WebSocket endpoint with axum's `WebSocketUpgrade`
//! (feature `websocket`): the contract in [`websocket`](super::websocket),
//! implemented. Routed with `any`, since over HTTP/2 the handshake is a
//! `CONNECT` (RFC 8441). Its socket loop, [`serve_socket`], is public: an
//! app of your own whose endpoint answers the same commands (crossdrive's
//! reference app does, with one command more) runs it instead of a copy.

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::websocket::{self as contract, Command};

/// The handshake: refused if asked to (before the upgrade, so the refusal
/// is the same on every driver, whether it can upgrade or not), else
/// upgraded with the echo's subprotocol when offered.
pub(super) async fn handshake(
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(status) = contract::refusal(&headers) {
        return refused(status);
    }
    let key = contract::close_key(uri.query());
    match upgrade {
        Ok(upgrade) => upgrade
            .protocols([contract::SUBPROTOCOL])
            .on_upgrade(move |socket| serve_socket(socket, key, |_| None)),
        Err(rejection) => rejection.into_response(),
    }
}

/// A refused handshake's answer.
pub(super) fn refused(status: StatusCode) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        contract::REFUSED_BODY,
    )
        .into_response()
}

/// The echo's side of an upgraded socket, until either side closes: text
/// and binary messages come back as sent, but the text [`Command`]s
/// (`close CODE REASON`, `ping PAYLOAD`). `extra` sees each text message
/// first: the text it returns is sent in its place (a command of your own
/// app's). With a `key`, the close the client sends is recorded for
/// [`client_close`](super::client_close).
///
/// ```
/// use axum::extract::ws::WebSocketUpgrade;
/// use axum::routing::any;
/// use crossdrive::conformance::echo::serve_socket;
///
/// // The echo's commands, and `time`, answered with the app's clock.
/// let app: axum::Router = axum::Router::new().route(
///     "/ws",
///     any(|upgrade: WebSocketUpgrade| async move {
///         upgrade.on_upgrade(|socket| {
///             serve_socket(socket, None, |text| (text == "time").then(|| "noon".to_owned()))
///         })
///     }),
/// );
/// ```
pub async fn serve_socket(
    mut socket: WebSocket,
    key: Option<u64>,
    extra: impl Fn(&str) -> Option<String> + Send,
) {
    while let Some(Ok(message)) = socket.recv().await {
        let reply = match message {
            Message::Text(text) => match extra(text.as_str()) {
                Some(answer) => Message::Text(answer.into()),
                None => match Command::parse(text.as_str()) {
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
                    Command::Echo => Message::Text(text),
                },
            },
            Message::Binary(bytes) => Message::Binary(bytes),
            Message::Close(frame) => {
                if let Some(key) = key {
                    let (code, reason) =
                        frame.map_or((1005, String::new()), |f| (f.code, f.reason.to_string()));
                    contract::record_client_close(key, code, &reason);
                }
                // tungstenite has queued the answering close; the next
                // read sends it and ends the loop.
                continue;
            }
            // Pings are answered by tungstenite; pongs need nothing.
            _ => continue,
        };
        let closing = matches!(reply, Message::Close(_));
        if socket.send(reply).await.is_err() || closing {
            // After its close the app reads the client's answer.
            while let Some(Ok(_)) = socket.recv().await {}
            return;
        }
    }
}

/// The payload of the pong answering the app's ping; other messages
/// meanwhile are dropped (the checks send one command at a time).
async fn pong(socket: &mut WebSocket) -> Option<String> {
    while let Some(Ok(message)) = socket.recv().await {
        if let Message::Pong(payload) = message {
            return Some(String::from_utf8_lossy(&payload).into_owned());
        }
    }
    None
}
