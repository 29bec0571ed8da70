//! The model's server: one loopback TCP listener per deployment playing
//! API Gateway, HTTP/1.1 with upgrades (hyper), on a thread of its own.
//!
//! It serves two things, as a WebSocket API's domain does:
//!
//! - `GET /{stage}` with `Upgrade: websocket`: the handshake. `$connect`
//!   is invoked with the handshake's headers and query before the answer;
//!   a 2xx from the function accepts (101, with the `Sec-WebSocket-Protocol`
//!   the function chose, as AWS requires the `$connect` integration to
//!   return it), anything else refuses with that status, a function error
//!   with 502 and API Gateway's timeout with 504. An accepted connection
//!   is then served by `session.rs` with tokio-tungstenite in the server
//!   role, under AWS's frame and message limits.
//! - `/{stage}/@connections/{id}`: the management endpoint
//!   (`management.rs`). The function reaches it as it reaches AWS's, at
//!   `{scheme}://{requestContext.domainName}/{requestContext.stage}/@connections/{id}`,
//!   the scheme here `http` (the model has no TLS; AWS's is `https`).
//!
//! Anything else is API Gateway's 403 `{"message":"Forbidden"}`. The
//! server thread runs a current-thread runtime; the function is invoked
//! on it, in-process, so a function's own `@connections` call crosses a
//! real socket to the same runtime. Dropping the [`Server`] stops it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use super::connections::{Connections, Live, QUEUE, aws_id, now_ms};
use super::event::{self, Connection};
use super::invoke::{Invoker, Outcome};
use super::options::WebSocketOptions;
use super::{management, session};
use crate::AdapterNote;
use crate::lambda::clock::Invocation;

/// What the server's tasks share.
pub(crate) struct State {
    pub(crate) options: WebSocketOptions,
    pub(crate) invoker: Invoker,
    pub(crate) connections: Connections,
    /// `127.0.0.1:port`: `requestContext.domainName`.
    pub(crate) domain_name: String,
    /// What happened to each connection (by id) or refused handshake (by
    /// `Sec-WebSocket-Key`), for the driver's notes.
    notes: Mutex<HashMap<String, Vec<AdapterNote>>>,
}

impl State {
    /// Records `note` about the connection or handshake `key`.
    pub(crate) fn note(&self, key: &str, note: AdapterNote) {
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.to_owned())
            .or_default()
            .push(note);
    }

    /// Records how connection `id` ended and what `$disconnect` did.
    pub(crate) fn record(&self, id: String, code: u16, reason: String, outcome: Outcome) {
        self.note(
            &id,
            AdapterNote::new(
                "ws-disconnect",
                format!("$disconnect invoked with disconnectStatusCode {code} ({reason:?})"),
            ),
        );
        if let Some(note) = outcome.note("$disconnect") {
            self.note(&id, note);
        }
    }

    /// The notes recorded about `key`, taken.
    pub(crate) fn take_notes(&self, key: &str) -> Vec<AdapterNote> {
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key)
            .unwrap_or_default()
    }
}

/// A running model server; dropping it stops it.
pub(crate) struct Server {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
}

impl Server {
    /// Binds a loopback port and serves `function` under `options` on a
    /// thread of its own.
    pub(crate) fn start(
        function: axum::Router,
        options: WebSocketOptions,
    ) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let state = Arc::new(State {
            invoker: Invoker::new(function, options.clone()),
            options,
            connections: Connections::default(),
            domain_name: addr.to_string(),
            notes: Mutex::new(HashMap::new()),
        });
        let (stop, stopped) = oneshot::channel();
        let shared = Arc::clone(&state);
        std::thread::Builder::new()
            .name("crossdrive-lambda-ws".to_owned())
            .spawn(move || runtime.block_on(serve(listener, shared, stopped)))?;
        Ok(Self {
            addr,
            state,
            stop: Some(stop),
        })
    }

    /// The server's address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the server's tasks share.
    pub(crate) fn state(&self) -> &Arc<State> {
        &self.state
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Accepts connections until told to stop.
async fn serve(
    listener: std::net::TcpListener,
    state: Arc<State>,
    mut stopped: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(handle(request, state, peer).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
            _ = &mut stopped => return,
        }
    }
}

/// One HTTP request to the model's domain.
async fn handle(
    request: Request<Incoming>,
    state: Arc<State>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    let stage = format!("/{}", state.options.stage);
    let path = request.uri().path().to_owned();
    let management = [
        format!("{stage}/@connections/"),
        format!("{stage}/%40connections/"),
    ];
    if let Some(id) = management
        .iter()
        .find_map(|p| path.strip_prefix(p.as_str()))
    {
        let id = id.to_owned();
        let method = request.method().clone();
        let limit = state.options.message_limit;
        // One byte over the limit is enough to refuse.
        let body = match Limited::new(request.into_body(), limit + 1).collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => Bytes::from(vec![0; limit + 1]),
        };
        return management::handle(&state.connections, &method, &id, body, limit).map(Full::new);
    }
    if path == stage || path == format!("{stage}/") {
        return handshake(request, state, peer).await;
    }
    management::forbidden().map(Full::new)
}

/// Whether `request` is a WebSocket handshake (RFC 6455 section 4.2.1).
fn is_handshake(request: &Request<Incoming>) -> bool {
    let has = |name: header::HeaderName, token: &str| {
        request.headers().get_all(name).iter().any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case(token))
            })
        })
    };
    request.method() == Method::GET
        && has(header::UPGRADE, "websocket")
        && has(header::CONNECTION, "upgrade")
        && request.headers().get(header::SEC_WEBSOCKET_VERSION)
            == Some(&HeaderValue::from_static("13"))
        && request.headers().contains_key(header::SEC_WEBSOCKET_KEY)
}

fn status_only(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

/// The handshake: `$connect`, then the 101 or the refusal.
async fn handshake(
    mut request: Request<Incoming>,
    state: Arc<State>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    if !is_handshake(&request) {
        return status_only(StatusCode::UPGRADE_REQUIRED, "");
    }
    let key = request
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|k| k.as_bytes().to_vec())
        .unwrap_or_default();
    let key_text = String::from_utf8_lossy(&key).into_owned();
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let connection = Connection {
        id: aws_id(),
        connected_at_ms: now_ms(),
        source_ip: peer.ip().to_string(),
        user_agent,
        domain_name: state.domain_name.clone(),
        stage: state.options.stage.clone(),
        api_id: state.options.api_id().to_owned(),
    };
    let invocation = Invocation::now();
    let event = event::connect(
        &connection,
        request.headers(),
        request.uri().query(),
        &invocation,
    );
    let outcome = state.invoker.invoke(&event, &invocation).await;
    let answer = match outcome {
        Outcome::Answered(answer) if answer.status.is_success() => answer,
        Outcome::Answered(answer) => {
            state.note(
                &key_text,
                AdapterNote::new(
                    "ws-connect-refused",
                    format!(
                        "$connect answered {}, so API Gateway refused the handshake with it",
                        answer.status
                    ),
                ),
            );
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = answer.status;
            return response;
        }
        failed => {
            if let Some(note) = failed.note("$connect") {
                state.note(&key_text, note);
            }
            return match failed {
                Outcome::IntegrationTimeout(_) | Outcome::TestTimeout(_) => status_only(
                    StatusCode::GATEWAY_TIMEOUT,
                    r#"{"message": "Endpoint request timed out"}"#,
                ),
                _ => status_only(
                    StatusCode::BAD_GATEWAY,
                    r#"{"message": "Internal server error"}"#,
                ),
            };
        }
    };
    let (commands, receiver) = mpsc::channel(QUEUE);
    let live = Live {
        commands,
        connected_at_ms: connection.connected_at_ms,
        last_active_ms: Arc::new(now_ms().into()),
        source_ip: connection.source_ip.clone(),
        user_agent: connection.user_agent.clone(),
    };
    // Live from the 101 on: a post the function makes as soon as its
    // client hears back reaches it.
    state.connections.insert(&connection.id, live.clone());
    let upgrade = hyper::upgrade::on(&mut request);
    let config = WebSocketConfig::default()
        .max_frame_size(Some(state.options.frame_limit))
        .max_message_size(Some(state.options.message_limit));
    let task_state = Arc::clone(&state);
    tokio::spawn(async move {
        match upgrade.await {
            Ok(upgraded) => {
                let ws = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                session::run(ws, task_state, connection, live, receiver).await;
            }
            Err(_) => task_state.connections.remove(&connection.id),
        }
    });
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(&key)) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    if let Some(protocol) = answer.headers.get(header::SEC_WEBSOCKET_PROTOCOL) {
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol.clone());
    }
    response
}
