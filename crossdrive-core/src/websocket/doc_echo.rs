//! The in-memory WebSocket echo driver behind this crate's doc examples
//! (`__doc_support::websocket_echo_client`); not part of the API.
//!
//! It plays both the adapter and the app, with no HTTP stack: it answers
//! the handshake itself (RFC 6455 §4.2.2) and runs an echo over a
//! `tokio::io::duplex`, so the examples run on the core crate alone.

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::header::{SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL, UPGRADE};
use http::{HeaderValue, Request, Response, StatusCode};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};

use super::{Handshake, Upgraded};
use crate::{BoxFuture, Client, Driver, DriverResponse, Error, Protocol};

/// Answers `/ws` with an echo socket: every text and binary message comes
/// back as sent, and the text `close CODE REASON` makes it close with that
/// code. `x-refuse: STATUS` on the handshake refuses it with that status;
/// any other path is a 404. The first subprotocol offered is chosen.
struct Echo;

fn status_only(status: StatusCode) -> DriverResponse {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = status;
    DriverResponse::new(response, Protocol::InProcess)
}

impl Driver for Echo {
    fn name(&self) -> &str {
        "ws-echo"
    }

    fn send(&self, _: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(async { Ok(status_only(StatusCode::NOT_FOUND)) })
    }

    fn websocket(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Handshake, Error>> {
        Box::pin(async move {
            let headers = request.headers();
            if request.uri().path() != "/ws" {
                return Ok(Handshake::Refused(status_only(StatusCode::NOT_FOUND)));
            }
            let refuse = headers
                .get("x-refuse")
                .and_then(|v| v.to_str().ok()?.parse::<u16>().ok())
                .and_then(|s| StatusCode::from_u16(s).ok());
            if let Some(status) = refuse {
                return Ok(Handshake::Refused(status_only(status)));
            }
            let key = headers
                .get(SEC_WEBSOCKET_KEY)
                .map_or(Vec::new(), |k| k.as_bytes().to_vec());
            let mut head = Response::builder()
                .status(StatusCode::SWITCHING_PROTOCOLS)
                .header(UPGRADE, "websocket")
                .header("connection", "upgrade")
                .header(SEC_WEBSOCKET_ACCEPT, derive_accept_key(&key));
            let first = headers
                .get(SEC_WEBSOCKET_PROTOCOL)
                .and_then(|v| v.to_str().ok())
                .and_then(|list| list.split(',').next())
                .and_then(|first| HeaderValue::from_str(first.trim()).ok());
            if let Some(first) = first {
                head = head.header(SEC_WEBSOCKET_PROTOCOL, first);
            }
            let head = head.body(()).unwrap_or_default();
            let (client_end, server_end) = tokio::io::duplex(64 * 1024);
            tokio::spawn(echo(server_end));
            Ok(Handshake::Accepted(Upgraded::new(
                head,
                Protocol::InProcess,
                client_end,
            )))
        })
    }
}

async fn echo(io: tokio::io::DuplexStream) {
    let mut socket = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
    while let Some(Ok(message)) = socket.next().await {
        let reply = match message {
            Message::Text(text) => match text.as_str().strip_prefix("close ") {
                Some(command) => {
                    let (code, reason) = command.split_once(' ').unwrap_or((command, ""));
                    let code = code.parse::<u16>().unwrap_or(1000);
                    Message::Close(Some(CloseFrame {
                        code: CloseCode::from(code),
                        reason: reason.to_owned().into(),
                    }))
                }
                None => Message::Text(text),
            },
            Message::Binary(bytes) => Message::Binary(bytes),
            _ => continue,
        };
        if socket.send(reply).await.is_err() {
            return;
        }
    }
}

/// A client over the echo driver.
pub(crate) fn client() -> Client {
    Client::new(Echo)
}
