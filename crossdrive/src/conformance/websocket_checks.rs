//! The bodies of the WebSocket conformance checks (feature `websocket`),
//! one `async fn` per WebSocket entry of the
//! [table](crate::conformance_table), in the same order.
//!
//! Each opens a socket on the echo app's [`WEBSOCKET`] endpoint and uses
//! the socket's `try_` calls, so a refused handshake, a driver error, a
//! close or a timeout becomes a [`Failure`] naming what arrived, never a
//! panic. Each wait is bounded by the socket's read timeout (5 s).
//!
//! The large message is 1 MiB: over 65,535 bytes, so its echo is a frame
//! with RFC 6455's 64-bit length (§5.2) and, on HTTP/2, crosses the
//! default 65,535-byte stream window, which only flow control (WINDOW_UPDATE,
//! RFC 9113 §6.9) lets through; and over the one documented WebSocket
//! message limit among the adapters, API Gateway's 128 KB (closed with
//! 1009), so the matrix shows it. It is sent in frames of 32 KiB, API
//! Gateway's frame quota, so that the message's size, not a frame's, is
//! what an adapter with limits refuses.

use std::time::Duration;

use super::Failure;
use super::echo::{self, REFUSE_HEADER, REFUSED_BODY, SUBPROTOCOL, WEBSOCKET};
use crate::websocket::{Message, TestWebSocket};
use crate::{Client, Error};

type Outcome = Result<(), Failure>;

/// The large message's size and the frames it is sent in.
const LARGE: usize = 1 << 20;
const LARGE_FRAME: usize = 32 * 1024;

/// How long the check waits for the app to record the client's close once
/// the close handshake is over.
const CLOSE_SEEN_WAIT: Duration = Duration::from_secs(2);

/// A driver error on the socket, as a failure.
fn socket_error(socket: &TestWebSocket, what: &str, expected: &str, error: &Error) -> Failure {
    Failure::in_response(
        socket.handshake(),
        what,
        expected,
        format!("a WebSocket error: {error}"),
    )
}

/// Opens the echo's socket through `client`, the handshake built on by
/// `build` (a query, subprotocols); a refused handshake or a driver error
/// is a failure.
async fn open(
    client: &Client,
    build: impl FnOnce(crate::websocket::WebSocketBuilder) -> crate::websocket::WebSocketBuilder,
) -> Result<TestWebSocket, Failure> {
    let handshake = build(client.websocket(WEBSOCKET))
        .try_handshake()
        .await
        .map_err(|e| Failure::exchange(&e))?;
    if !handshake.is_accepted() {
        let note = handshake
            .notes()
            .iter()
            .find(|n| n.code == crate::websocket::NOT_CARRIED)
            .map_or(String::new(), |n| format!(" ({n})"));
        let received = format!("refused with {}{note}", handshake.status());
        return Err(Failure::in_response(
            &handshake,
            "the WebSocket handshake",
            "accepted (101, or 200 to an extended CONNECT)",
            received,
        ));
    }
    Ok(handshake.into_websocket())
}

/// Sends `message` (in frames of `frame` bytes if given) and expects it
/// back, whole.
async fn echoes(client: &Client, message: Message, frame: Option<usize>) -> Outcome {
    let mut socket = open(client, |b| b).await?;
    let what = "the echo of the message";
    let expected = describe(&message);
    let sent = match frame {
        Some(size) => socket.try_send_fragmented(message.clone(), size).await,
        None => socket.try_send(message.clone()).await,
    };
    if let Err(error) = sent {
        return Err(after_error(&mut socket, what, &expected, &error).await);
    }
    match socket.try_receive_message().await {
        Ok(received) if received == message => Ok(()),
        Ok(received) => Err(Failure::in_response(
            socket.handshake(),
            what,
            expected,
            describe(&received),
        )),
        Err(error) => Err(after_error(&mut socket, what, &expected, &error).await),
    }
}

/// A failure after `error`, saying how the app closed if it did (a
/// refused message is usually a close: 1003, 1009).
async fn after_error(
    socket: &mut TestWebSocket,
    what: &str,
    expected: &str,
    error: &Error,
) -> Failure {
    let closed = match socket.close_status() {
        Some(closed) => Some(closed.clone()),
        None => socket
            .try_closed()
            .await
            .ok()
            .filter(|closed| closed.had_frame()),
    };
    match closed {
        Some(closed) => Failure::in_response(
            socket.handshake(),
            what,
            expected,
            format!("the socket closed: {closed}"),
        ),
        None => socket_error(socket, what, expected, error),
    }
}

/// A message as a failure shows it: its kind, length and first bytes.
fn describe(message: &Message) -> String {
    let shown = message.to_string();
    let cut: String = shown.chars().take(80).collect();
    let more = if cut.len() < shown.len() { "…" } else { "" };
    format!("{cut}{more}")
}

pub(super) async fn websocket_text_message_comes_back_as_sent(client: &Client) -> Outcome {
    let text = "caf\u{e9}, na\u{ef}ve \u{2713} \u{1F980}: every driver carries this text as sent";
    echoes(client, Message::Text(text.to_owned()), None).await
}

pub(super) async fn websocket_binary_message_comes_back_as_sent(client: &Client) -> Outcome {
    let bytes: Vec<u8> = (0..=255).collect();
    echoes(client, Message::Binary(bytes.into()), None).await
}

pub(super) async fn websocket_message_split_across_frames_arrives_whole(
    client: &Client,
) -> Outcome {
    // Frames of 3 bytes split the two-byte `é` between two frames.
    let text = "split: caf\u{e9} au lait, in frames of three bytes";
    echoes(client, Message::Text(text.to_owned()), Some(3)).await
}

pub(super) async fn websocket_one_mib_message_arrives_whole(client: &Client) -> Outcome {
    // Text, not binary, so that the size alone is what is tested (API
    // Gateway refuses binary frames whatever their size).
    let text = echo::long_value(LARGE);
    echoes(client, Message::Text(text), Some(LARGE_FRAME)).await
}

pub(super) async fn websocket_ping_is_answered_with_its_payload(client: &Client) -> Outcome {
    let mut socket = open(client, |b| b).await?;
    let (what, payload) = ("the pong to the client's ping", "conformance ping");
    if let Err(error) = socket.try_ping(payload).await {
        return Err(socket_error(&socket, what, payload, &error));
    }
    match socket.try_receive_pong().await {
        Ok(pong) if pong == payload.as_bytes() => Ok(()),
        Ok(pong) => Err(Failure::in_response(
            socket.handshake(),
            what,
            format!("{payload:?}"),
            format!("{pong:?}"),
        )),
        Err(error) => Err(socket_error(&socket, what, payload, &error)),
    }
}

pub(super) async fn websocket_app_ping_reaches_the_client(client: &Client) -> Outcome {
    let mut socket = open(client, |b| b).await?;
    let what = "the app's report that its ping was answered";
    let expected = "text \"pong app ping\"";
    // The client answers the app's ping as it reads; the app then says so.
    if let Err(error) = socket.try_send(Message::Text("ping app ping".into())).await {
        return Err(socket_error(&socket, what, expected, &error));
    }
    match socket.try_receive_message().await {
        Ok(Message::Text(text)) if text == "pong app ping" => Ok(()),
        Ok(received) => Err(Failure::in_response(
            socket.handshake(),
            what,
            expected,
            describe(&received),
        )),
        Err(error) => Err(socket_error(&socket, what, expected, &error)),
    }
}

pub(super) async fn websocket_client_close_code_reaches_the_app(client: &Client) -> Outcome {
    let key = echo::gate_key();
    let mut socket = open(client, |b| b.query("key", key.to_string())).await?;
    let what = "the close the app received";
    let expected = "4001 \"client done\"";
    if let Err(error) = socket.try_close(4001, "client done").await {
        return Err(socket_error(&socket, what, expected, &error));
    }
    let handshake = socket.handshake().clone();
    // Gone, so an adapter that reports the close when the connection ends
    // (API Gateway's $disconnect) can.
    drop(socket);
    match echo::client_close(key, CLOSE_SEEN_WAIT).await {
        Some((4001, reason)) if reason == "client done" => Ok(()),
        Some((code, reason)) => Err(Failure::in_response(
            &handshake,
            what,
            expected,
            format!("{code} {reason:?}"),
        )),
        None => Err(Failure::in_response(
            &handshake,
            what,
            expected,
            format!("no close recorded within {CLOSE_SEEN_WAIT:?}"),
        )),
    }
}

pub(super) async fn websocket_app_close_code_reaches_the_client(client: &Client) -> Outcome {
    let mut socket = open(client, |b| b).await?;
    let what = "the app's close, as the client received it";
    let expected = "4002 \"app done\"";
    if let Err(error) = socket
        .try_send(Message::Text("close 4002 app done".into()))
        .await
    {
        return Err(socket_error(&socket, what, expected, &error));
    }
    match socket.try_closed().await {
        Ok(closed) if closed.code == 4002 && closed.reason == "app done" => Ok(()),
        Ok(closed) => Err(Failure::in_response(
            socket.handshake(),
            what,
            expected,
            closed.to_string(),
        )),
        Err(error) => Err(socket_error(&socket, what, expected, &error)),
    }
}

pub(super) async fn websocket_subprotocol_is_negotiated(client: &Client) -> Outcome {
    let socket = open(client, |b| {
        b.protocols(["crossdrive.unknown.v9", SUBPROTOCOL])
    })
    .await?;
    match socket.subprotocol() {
        Some(chosen) if chosen == SUBPROTOCOL => Ok(()),
        other => Err(Failure::in_response(
            socket.handshake(),
            "the subprotocol the handshake settled (Sec-WebSocket-Protocol)",
            format!("{SUBPROTOCOL:?}"),
            format!("{other:?}"),
        )),
    }
}

pub(super) async fn websocket_refused_handshake_is_the_apps_response(client: &Client) -> Outcome {
    let handshake = client
        .websocket(WEBSOCKET)
        .header(REFUSE_HEADER, "403")
        .try_handshake()
        .await
        .map_err(|e| Failure::exchange(&e))?;
    if handshake.is_accepted() {
        return Err(Failure::in_response(
            &handshake,
            "the WebSocket handshake",
            "refused with the app's 403",
            "accepted",
        ));
    }
    if handshake.status() != 403 {
        return Err(Failure::in_response(
            &handshake,
            "status",
            "403",
            handshake.status().to_string(),
        ));
    }
    if handshake.bytes().as_ref() != REFUSED_BODY.as_bytes() {
        return Err(Failure::in_response(
            &handshake,
            "the refusal's body",
            format!("{REFUSED_BODY:?}"),
            format!("{:?}", String::from_utf8_lossy(handshake.bytes())),
        ));
    }
    Ok(())
}
