//! One WebSocket connection's life on the model, after `$connect`
//! accepted it: messages routed to the function, replies and
//! `@connections` posts sent, AWS's limits enforced, and `$disconnect`
//! invoked once however it ends.
//!
//! Each message's invocation runs as a task of its own, as API Gateway
//! invokes the integration for each message without waiting for the one
//! before; what it sends back (a two-way route's response, API Gateway's
//! error messages) goes through the connection's command queue, as
//! `@connections` posts do. The connection leaves the table the moment it
//! closes, so a post during `$disconnect` is 410 Gone, as AWS documents
//! ("the $disconnect route is executed after the connection is closed").

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::CapacityError;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::connections::{Command, Live, now_ms, touch};
use super::event::{self, Connection};
use super::invoke::Outcome;
use super::limits::{ABNORMAL, GOING_AWAY, INTERNAL, NO_STATUS, TOO_BIG, UNSUPPORTED_DATA};
use super::route::{self, Selected};
use super::server::State;
use crate::lambda::clock::Invocation;

/// How long the model waits for the client's answer to its close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// How the connection ended: the `$disconnect` event's code and reason.
struct Ended {
    code: u16,
    reason: String,
}

/// Serves `ws` until it closes, then invokes `$disconnect`.
pub(crate) async fn run(
    mut ws: WebSocketStream<TokioIo<Upgraded>>,
    state: Arc<State>,
    connection: Connection,
    live: Live,
    mut commands: mpsc::Receiver<Command>,
) {
    let options = &state.options;
    let started = Instant::now();
    let ends_at = started + options.max_duration;
    let ended = loop {
        let idle_since = live.last_active_ms.load(Ordering::Relaxed);
        let idle_for = Duration::from_millis(now_ms().saturating_sub(idle_since));
        let idle_at = Instant::now() + options.idle_timeout.saturating_sub(idle_for);
        tokio::select! {
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    touch(&live.last_active_ms);
                    tokio::spawn(on_message(
                        Arc::clone(&state),
                        connection.clone(),
                        live.clone(),
                        text.as_str().to_owned(),
                    ));
                }
                Some(Ok(Message::Binary(_))) => {
                    let reason = "Binary frames are not supported by API Gateway WebSocket APIs";
                    break close(&mut ws, UNSUPPORTED_DATA, reason).await;
                }
                Some(Ok(Message::Close(frame))) => {
                    // tungstenite has queued the echo of the client's close;
                    // reading on sends it and sees the end.
                    let _ = tokio::time::timeout(CLOSE_WAIT, async { while ws.next().await.is_some() {} }).await;
                    break match frame {
                        Some(frame) => Ended { code: frame.code.into(), reason: frame.reason.as_str().to_owned() },
                        None => Ended {
                            code: NO_STATUS,
                            reason: "Client-side close frame status not set".to_owned(),
                        },
                    };
                }
                Some(Ok(_)) => {} // Pings are answered by tungstenite; pongs need nothing.
                Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                    let what = if max_size == options.frame_limit && size <= options.message_limit {
                        "frame"
                    } else {
                        "message"
                    };
                    let reason = format!("{what} of {size} bytes is over the {max_size}-byte limit");
                    break close(&mut ws, TOO_BIG, &reason).await;
                }
                Some(Err(_)) | None => break Ended {
                    code: ABNORMAL,
                    reason: "the client went without a close frame".to_owned(),
                },
            },
            command = commands.recv() => match command {
                Some(Command::Send { data, text }) => {
                    let message = match (text, String::from_utf8(data.to_vec())) {
                        (true, Ok(text)) => Message::text(text),
                        _ => Message::Binary(data),
                    };
                    touch(&live.last_active_ms);
                    if ws.send(message).await.is_err() {
                        break Ended { code: ABNORMAL, reason: "the client's socket broke".to_owned() };
                    }
                }
                Some(Command::Close { code, reason }) => break close(&mut ws, code, &reason).await,
                None => break close(&mut ws, GOING_AWAY, "Going away").await,
            },
            () = sleep_until(idle_at) => {
                let last = live.last_active_ms.load(Ordering::Relaxed);
                if Duration::from_millis(now_ms().saturating_sub(last)) >= options.idle_timeout {
                    let reason = format!("idle for {:?}, API Gateway's idle connection timeout", options.idle_timeout);
                    break close(&mut ws, GOING_AWAY, &reason).await;
                }
            }
            () = sleep_until(ends_at) => {
                let reason = format!("open for {:?}, API Gateway's connection duration limit", options.max_duration);
                break close(&mut ws, GOING_AWAY, &reason).await;
            }
        }
    };
    state.connections.remove(&connection.id);
    let invocation = Invocation::now();
    let event = event::disconnect(&connection, ended.code, &ended.reason, &invocation);
    // $disconnect is best effort: its answer goes nowhere.
    let outcome = state.invoker.invoke(&event, &invocation).await;
    state.record(connection.id.clone(), ended.code, ended.reason, outcome);
}

/// Closes with `code` and `reason`, waiting a moment for the client's
/// close frame.
async fn close(ws: &mut WebSocketStream<TokioIo<Upgraded>>, code: u16, reason: &str) -> Ended {
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: reason.to_owned().into(),
    };
    let _ = ws.close(Some(frame)).await;
    let _ = tokio::time::timeout(CLOSE_WAIT, async { while ws.next().await.is_some() {} }).await;
    Ended {
        code,
        reason: reason.to_owned(),
    }
}

/// One message: its route chosen, the function invoked, and what API
/// Gateway sends back (a two-way route's response body, or its own error
/// message).
async fn on_message(state: Arc<State>, connection: Connection, live: Live, text: String) {
    let options = &state.options;
    let invocation = Invocation::now();
    let route = match route::select(
        &options.route_selection_expression,
        &text,
        &options.routes,
        options.default_route,
    ) {
        Selected::Route(key) => key,
        Selected::NoRoute => {
            // API Gateway's answer when no route matches and there is no
            // $default route.
            let reply = gateway_message("Forbidden", &connection, &invocation);
            let _ = live.commands.send(reply).await;
            return;
        }
    };
    let event = event::message(&connection, &route, &text, &invocation);
    let outcome = state.invoker.invoke(&event, &invocation).await;
    let reply = match &outcome {
        Outcome::Answered(answer) => {
            if !options.is_two_way(&route) || answer.body.is_empty() {
                return;
            }
            let text = !answer.binary && std::str::from_utf8(&answer.body).is_ok();
            Command::Send {
                data: answer.body.clone(),
                text,
            }
        }
        Outcome::FunctionError(_) => {
            gateway_message("Internal server error", &connection, &invocation)
        }
        Outcome::IntegrationTimeout(_) => {
            gateway_message("Endpoint request timed out", &connection, &invocation)
        }
        Outcome::TestTimeout(after) => Command::Close {
            code: INTERNAL,
            reason: format!("crossdrive: the function outlived the test's {after:?} timeout"),
        },
    };
    if let Some(note) = outcome.note(&route) {
        state.note(&connection.id, note);
    }
    let _ = live.commands.send(reply).await;
}

/// API Gateway's own message to the client when it could not process one
/// (`{"message": "Internal server error", "connectionId": .., "requestId": ..}`).
fn gateway_message(message: &str, connection: &Connection, invocation: &Invocation) -> Command {
    let body = json!({
        "message": message,
        "connectionId": connection.id,
        "requestId": invocation.gateway_id,
    });
    Command::Send {
        data: Bytes::from(body.to_string()),
        text: true,
    }
}
