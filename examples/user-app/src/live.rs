//! The live feed, `/books/live`: a WebSocket on which card holders shelve
//! books and ask the catalogue, and every open feed hears of each book as
//! it is shelved, over the socket or by `POST /books`.
//!
//! Messages are JSON text with an `action`; what comes back is JSON text
//! with an `event`:
//!
//! | sent | answer |
//! |---|---|
//! | `{"action":"shelve","title":..,"author":..}` | to every open feed: `{"event":"shelved","book":{..}}` |
//! | `{"action":"count"}` | to the sender: `{"event":"count","books":N}` |
//! | anything else | to the sender: `{"event":"error","error":..}` |
//!
//! The rules live here once, for both deployments: the axum route
//! (`crate::app`, over a broadcast channel) and the Lambda function behind
//! API Gateway's WebSocket API (`crate::live_function`, over
//! `@connections`).

use axum::Json;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast;

use crate::{Book, Catalogue, LIBRARIAN_TOKEN, Shared};

/// The token a reader's library card sends.
pub const READER_TOKEN: &str = "reader";

/// What a live message asks.
#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum Ask {
    Shelve { title: String, author: String },
    Count,
}

/// What a live message comes to.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// JSON text for the sender alone.
    Reply(String),
    /// JSON text for every open feed, the sender's too.
    Announce(String),
}

/// The refusal of a handshake without a library card, or `None` to go on:
/// checked before the upgrade, so every adapter answers it alike.
pub fn refusal(headers: &HeaderMap) -> Option<Response> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match bearer {
        Some(READER_TOKEN | LIBRARIAN_TOKEN) => None,
        _ => Some(
            (
                StatusCode::UNAUTHORIZED,
                [(WWW_AUTHENTICATE, "Bearer")],
                Json(json!({ "error": "the live feed needs a library card" })),
            )
                .into_response(),
        ),
    }
}

/// The announcement of a newly shelved book.
pub fn shelved(book: &Book) -> String {
    json!({ "event": "shelved", "book": book }).to_string()
}

/// Answers one message against `catalogue`.
pub fn answer(catalogue: &Catalogue, message: &str) -> Answer {
    let error = |e: &str| Answer::Reply(json!({ "event": "error", "error": e }).to_string());
    match serde_json::from_str::<Ask>(message) {
        Ok(Ask::Shelve { title, author }) => match catalogue.shelve(title, author) {
            Ok(book) => Answer::Announce(shelved(&book)),
            Err(e) => error(e),
        },
        Ok(Ask::Count) => {
            Answer::Reply(json!({ "event": "count", "books": catalogue.count() }).to_string())
        }
        Err(_) => error("send JSON with an action: shelve (title, author) or count"),
    }
}

/// The route: the card checked first, then the upgrade.
pub(crate) async fn route(
    State(state): State<Shared>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if let Some(refusal) = refusal(&headers) {
        return refusal;
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    // Subscribed before the handshake's answer, so a book shelved once
    // the client holds its socket is never missed.
    let announcements = state.live.subscribe();
    upgrade.on_upgrade(move |socket| serve(socket, state, announcements))
}

async fn serve(
    mut socket: WebSocket,
    state: Shared,
    mut announcements: broadcast::Receiver<String>,
) {
    loop {
        tokio::select! {
            received = socket.recv() => {
                let text = match received {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(_))) => "binary".into(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                };
                match answer(&state, text.as_str()) {
                    Answer::Reply(reply) => {
                        if socket.send(Message::Text(reply.into())).await.is_err() {
                            return;
                        }
                    }
                    // Heard back through this feed's own subscription.
                    Answer::Announce(news) => {
                        let _ = state.live.send(news);
                    }
                }
            }
            news = announcements.recv() => match news {
                Ok(news) => {
                    if socket.send(Message::Text(news.into())).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}
