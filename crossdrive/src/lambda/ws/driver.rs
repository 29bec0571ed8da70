//! [`LambdaWs`]: an app deployed as the function behind a modelled API
//! Gateway WebSocket API, as a driver.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{Request, Response, StatusCode};

use super::options::WebSocketOptions;
use super::server::{Server, State};
use crate::guard::{Interrupted, guarded};
use crate::upgrade::{Switched, Unswitched};
use crate::websocket::{Handshake, Upgraded};
use crate::{AdapterNote, Driver, DriverResponse, Error, ErrorKind, Protocol};

/// The driver's name.
pub(crate) const NAME: &str = "lambda-ws";

/// The most a refused handshake's body may carry.
const REFUSAL_LIMIT: usize = 64 * 1024;

/// The event shape, as [`Protocol::Lambda`] names it.
pub(crate) const SHAPE: &str = "apigw-websocket";

/// A function behind a local model of an API Gateway WebSocket API.
///
/// The model is a real loopback WebSocket endpoint: connect to
/// [`LambdaWs::url`] with any WebSocket client. The function reaches the
/// `@connections` endpoint at [`LambdaWs::management_endpoint`], which is
/// also `http://{requestContext.domainName}/{requestContext.stage}`.
///
/// ```
/// use crossdrive::lambda::ws::{LambdaWs, WebSocketOptions};
/// let driver = LambdaWs::new(axum::Router::new(), WebSocketOptions::new()).unwrap();
/// assert!(driver.url().starts_with("ws://127.0.0.1:"));
/// assert!(driver.url().ends_with("/prod"));
/// assert_eq!(driver.management_endpoint().replace("http", "ws"), driver.url());
/// ```
pub struct LambdaWs {
    server: Server,
}

impl LambdaWs {
    /// Deploys `app` (or the function `options` names) behind the model.
    pub fn new(app: Router, options: WebSocketOptions) -> Result<Self, Error> {
        options.validate().map_err(|cause| {
            Error::without_request(
                ErrorKind::InvalidRequest,
                NAME,
                format!("the WebSocket API's options are invalid: {cause}"),
            )
            .with_hint("fix the WebSocketOptions given to this driver")
        })?;
        let function = match &options.function {
            Some(factory) => factory(),
            None => app,
        };
        let server = Server::start(function, options).map_err(|cause| {
            Error::without_request(
                ErrorKind::Connection,
                NAME,
                "the WebSocket API model could not start its loopback server",
            )
            .with_source(cause)
            .with_hint("check that loopback TCP ports can be bound and threads spawned")
        })?;
        Ok(Self { server })
    }

    /// The API's WebSocket URL: `ws://127.0.0.1:{port}/{stage}`.
    pub fn url(&self) -> String {
        format!("ws://{}/{}", self.server.addr(), self.state().options.stage)
    }

    /// The `@connections` endpoint's base, as a function builds it from
    /// its event: `http://{domainName}/{stage}`.
    pub fn management_endpoint(&self) -> String {
        format!(
            "http://{}/{}",
            self.server.addr(),
            self.state().options.stage
        )
    }

    /// The notes the model recorded about a connection (by connection id)
    /// or a refused handshake (by its `Sec-WebSocket-Key`), taken.
    pub fn take_notes(&self, key: &str) -> Vec<AdapterNote> {
        self.state().take_notes(key)
    }

    /// The loopback address the model listens on (the bench's floor
    /// dials it).
    #[cfg(feature = "bench")]
    pub(crate) fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// Where a handshake for `uri` goes: the stage's URL (one per stage),
    /// with `uri`'s query.
    pub(crate) fn stage_target(&self, uri: &http::Uri) -> String {
        let stage = &self.state().options.stage;
        match uri.query() {
            Some(query) => format!("/{stage}?{query}"),
            None => format!("/{stage}"),
        }
    }

    fn state(&self) -> &Arc<State> {
        self.server.state()
    }

    /// The note every connection carries: the limits in force.
    pub(crate) fn limits_note(&self) -> AdapterNote {
        let o = &self.state().options;
        AdapterNote::new(
            "ws-limits",
            format!(
                "API Gateway WebSocket limits in force: frame {} bytes, message {} bytes, idle \
                 {:?}, connection {:?}, integration timeout {:?}",
                o.frame_limit,
                o.message_limit,
                o.idle_timeout,
                o.max_duration,
                o.integration_timeout
            ),
        )
    }
}

impl LambdaWs {
    /// The handshake over a fresh loopback connection to the model, as a
    /// WebSocket client reaches API Gateway: one URL per stage, so the
    /// test's path is replaced by `/{stage}` (the query is kept).
    async fn handshake(&self, request: Request<Bytes>) -> Result<Handshake, Error> {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let failed = |kind: ErrorKind, what: &str| Error::new(kind, NAME, &method, &uri, what);
        let stage = &self.state().options.stage;
        let mut notes = vec![self.limits_note()];
        if uri.path() != format!("/{stage}") {
            notes.push(AdapterNote::new(
                "ws-stage-url",
                format!(
                    "an API Gateway WebSocket API has one URL per stage: the handshake for {} \
                     went to /{stage}, and the function sees the route key, not a path",
                    uri.path()
                ),
            ));
        }
        let (mut parts, _) = request.into_parts();
        parts.uri = self.stage_target(&uri).parse().map_err(|e| {
            failed(
                ErrorKind::InvalidRequest,
                "the handshake's query is not a valid URI",
            )
            .with_source(e)
        })?;
        parts.version = http::Version::HTTP_11;
        let host = http::HeaderValue::from_str(&self.server.addr().to_string())
            .map_err(|e| failed(ErrorKind::InvalidRequest, "no Host").with_source(e))?;
        parts.headers.insert(http::header::HOST, host);
        let key = parts
            .headers
            .get(http::header::SEC_WEBSOCKET_KEY)
            .and_then(|k| k.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let request = Request::from_parts(parts, http_body_util::Empty::<Bytes>::new());
        let stream = tokio::net::TcpStream::connect(self.server.addr())
            .await
            .map_err(|e| {
                failed(
                    ErrorKind::Connection,
                    "could not reach the WebSocket API model",
                )
                .with_source(e)
            })?;
        let _ = stream.set_nodelay(true);
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| {
                    failed(ErrorKind::Connection, "the HTTP/1.1 handshake failed").with_source(e)
                })?;
        // The connection task hands the socket over to the upgrade on a
        // 101, and ends with the response otherwise.
        tokio::spawn(connection.with_upgrades());
        let response = sender.send_request(request).await.map_err(|e| {
            failed(ErrorKind::Connection, "the model dropped the handshake").with_source(e)
        })?;
        let protocol = Protocol::Lambda(SHAPE.into());
        // The model's refusals carry at most API Gateway's short JSON.
        match crate::upgrade::answer(response, false, (), REFUSAL_LIMIT).await {
            Ok(Switched::Upgraded(head, io)) => {
                let mut accepted = Upgraded::new(head, protocol, io);
                accepted.notes = notes;
                Ok(Handshake::Accepted(accepted))
            }
            Ok(Switched::Answered(response)) => {
                notes.extend(self.take_notes(&key));
                let mut refused = DriverResponse::new(response, protocol);
                refused.notes = notes;
                Ok(Handshake::Refused(refused))
            }
            Err(Unswitched::Upgrade(e)) => {
                Err(failed(ErrorKind::Connection, "the upgrade to WebSocket failed").with_source(e))
            }
            Err(Unswitched::Body(e)) => {
                Err(failed(ErrorKind::Connection, "the refusal's body broke off").with_source(e))
            }
            Err(Unswitched::TooLarge) => Err(failed(
                ErrorKind::LimitExceeded,
                "the model's refusal is over its body limit",
            )),
        }
    }
}

impl Driver for LambdaWs {
    fn name(&self) -> &str {
        NAME
    }

    /// A plain HTTP request reaches no function on a WebSocket API: the
    /// stage's URL wants an upgrade (426), any other path is API
    /// Gateway's 403 `Forbidden`.
    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(async move {
            let stage = format!("/{}", self.state().options.stage);
            let path = request.uri().path();
            let (status, body, note) = if path == stage || path == format!("{stage}/") {
                (
                    StatusCode::UPGRADE_REQUIRED,
                    Bytes::new(),
                    "a WebSocket API serves only WebSocket handshakes at its stage's URL",
                )
            } else {
                (
                    StatusCode::FORBIDDEN,
                    Bytes::from_static(br#"{"message":"Forbidden"}"#),
                    "a WebSocket API answers plain HTTP requests with 403 Forbidden",
                )
            };
            let mut response = Response::new(body);
            *response.status_mut() = status;
            let mut delivered = DriverResponse::new(response, Protocol::Lambda(SHAPE.into()));
            delivered
                .notes
                .push(AdapterNote::new("ws-http-request", note));
            Ok(delivered)
        })
    }

    /// The handshake through the model: `$connect` decides, under the
    /// test's timeout (the model's own bounds on `$connect` are shorter
    /// or AWS's).
    fn websocket(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Handshake, Error>> {
        Box::pin(async move {
            let (method, uri) = (request.method().clone(), request.uri().clone());
            // The model answers a `$connect` that outlives the test's
            // timeout itself (504, with a note); this guard is the backstop
            // for the connection, a moment later.
            let limit = self.state().options.lambda.timeout + Duration::from_secs(1);
            match guarded(limit, self.handshake(request)).await {
                Ok(outcome) => outcome,
                Err(Interrupted::TimedOut(after)) => {
                    Err(Error::timeout(NAME, &method, &uri, after))
                }
                Err(Interrupted::Panicked(message)) => Err(Error::new(
                    ErrorKind::HandlerPanic,
                    NAME,
                    &method,
                    &uri,
                    format!("the handshake panicked: {message}"),
                )),
            }
        })
    }
}
