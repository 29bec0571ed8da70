//! [`LambdaWs`]: an app deployed as the function behind a modelled API
//! Gateway WebSocket API, as a driver.

use std::sync::Arc;

use axum::Router;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{Request, Response, StatusCode};

use super::options::WebSocketOptions;
use super::server::{Server, State};
use crate::{AdapterNote, Driver, DriverResponse, Error, ErrorKind, Protocol};

/// The driver's name.
pub(crate) const NAME: &str = "lambda-ws";

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
}
