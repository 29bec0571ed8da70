//! The live feed as it ships on AWS: a Lambda function behind an API
//! Gateway WebSocket API, answering the same messages by the same rules
//! ([`crate::live`]).
//!
//! The API is deployed with the route selection expression
//! `$request.body.action`, a one-way `shelve` route and a two-way
//! `$default` route. lambda_http hands the function every event as a
//! request to `/{stage}` with the event's `RequestContext::WebSocket`, so
//! one fallback handler reads the route key:
//!
//! - `$connect`: the library card checked, as the axum route checks it
//!   before the upgrade; the connection id kept in the function's table
//!   (a deployed function would keep it in DynamoDB);
//! - `shelve`: the book shelved, and announced to every connection in the
//!   table by `POST @connections/{id}` (an SDK client's
//!   `post_to_connection`, here plain HTTP to the endpoint the event
//!   names); the route is one-way, so a refusal is posted to the sender;
//! - `$default`: the answer, which the two-way route sends back;
//! - `$disconnect`: the connection forgotten.
//!
//! A binary entry point would serve it with `lambda_http::run(live_function())`.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lambda_http::request::RequestContext;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::Catalogue;
use crate::live::{Answer, answer, refusal};

/// One function instance's state: its catalogue and its open connections.
#[derive(Default)]
struct Instance {
    catalogue: Catalogue,
    connections: Mutex<BTreeSet<String>>,
}

/// The live feed's WebSocket function: a fresh instance, with an empty
/// catalogue.
///
/// ```
/// let function: axum::Router = bookshelf::live_function();
/// # let _ = function;
/// ```
pub fn live_function() -> Router {
    let instance = Arc::new(Instance::default());
    Router::new().fallback(move |request: Request| handle(request, Arc::clone(&instance)))
}

async fn handle(request: Request, instance: Arc<Instance>) -> Response {
    let Some(RequestContext::WebSocket(context)) = request.extensions().get().cloned() else {
        return (StatusCode::BAD_REQUEST, "API Gateway WebSocket events only").into_response();
    };
    let id = context.connection_id.unwrap_or_default();
    let connections = || {
        instance
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    };
    match context.route_key.as_deref() {
        Some("$connect") => {
            if let Some(refused) = refusal(request.headers()) {
                return refused;
            }
            connections().insert(id);
            StatusCode::OK.into_response()
        }
        Some("$disconnect") => {
            connections().remove(&id);
            StatusCode::OK.into_response()
        }
        _ => {
            let body = axum::body::to_bytes(request.into_body(), 128 * 1024)
                .await
                .unwrap_or_default();
            let endpoint = format!(
                "{}/{}",
                context.domain_name.unwrap_or_default(),
                context.stage.unwrap_or_default()
            );
            match answer(&instance.catalogue, &String::from_utf8_lossy(&body)) {
                // `shelve` is one-way: its answer would go nowhere, so a
                // refusal is posted to the sender.
                Answer::Reply(reply) if context.route_key.as_deref() == Some("shelve") => {
                    post(&endpoint, &id, &reply).await;
                    StatusCode::OK.into_response()
                }
                Answer::Reply(reply) => reply.into_response(),
                Answer::Announce(news) => {
                    let everyone: Vec<String> = connections().iter().cloned().collect();
                    for connection in everyone {
                        post(&endpoint, &connection, &news).await;
                    }
                    StatusCode::OK.into_response()
                }
            }
        }
    }
}

/// `POST @connections/{id}` with `message`, to `{domainName}/{stage}`. A
/// connection that went away meanwhile answers 410, which is no error
/// here: the next `$disconnect` forgets it.
async fn post(endpoint: &str, connection: &str, message: &str) {
    let Some((host, stage)) = endpoint.split_once('/') else {
        return;
    };
    let Ok(mut stream) = tokio::net::TcpStream::connect(host).await else {
        return;
    };
    let request = format!(
        "POST /{stage}/@connections/{connection} HTTP/1.1\r\nHost: {host}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{message}",
        message.len()
    );
    if stream.write_all(request.as_bytes()).await.is_ok() {
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
    }
}
