//! The team's own adapter as a crossdrive driver: the service behind
//! hyper's HTTP/1.1 server and client joined by an in-memory pipe
//! (`tokio::io::duplex`), the way its in-house edge embeds it.
//!
//! Every request is really serialized to HTTP/1.1 bytes, parsed by
//! hyper's server, answered by the app and parsed back by hyper's client.
//! It is shared by the suite and the bench (`#[path]`-included), and
//! joins both through [`spec`].

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use bytes::Bytes;
use crossdrive::DriverSpec;
use crossdrive::guard::{Interrupted, guarded};
use crossdrive::{BoxFuture, Driver, DriverResponse, Error, ErrorKind, Protocol};
use http::{Method, Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;

/// The driver: one hyper connection over an in-memory pipe per request.
pub struct Duplex {
    app: Router,
    timeout: Duration,
}

impl Duplex {
    /// The driver's name in test names and bench tables.
    pub const NAME: &'static str = "duplex";

    /// A connection error saying what failed, keeping hyper's error as
    /// its source (`Display` prints it after the cause).
    fn error(method: &Method, uri: &Uri, what: &str, source: hyper::Error) -> Error {
        Error::new(ErrorKind::Connection, Self::NAME, method, uri, what).with_source(source)
    }

    async fn exchange(&self, request: Request<Bytes>) -> Result<DriverResponse, Error> {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let (client_io, server_io) = tokio::io::duplex(64 * 1024);
        let service = TowerToHyperService::new(self.app.clone());
        // The server half runs on the caller's runtime and ends when the
        // client half is dropped.
        tokio::spawn(
            hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(server_io), service),
        );
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(client_io))
                .await
                .map_err(|e| Self::error(&method, &uri, "the HTTP handshake failed", e))?;
        tokio::spawn(connection);
        let response = sender
            .send_request(request.map(Full::new))
            .await
            .map_err(|e| Self::error(&method, &uri, "the exchange failed", e))?;
        let protocol = Protocol::from_version(response.version());
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| Self::error(&method, &uri, "the response body broke off", e))?
            .to_bytes();
        Ok(DriverResponse::new(
            Response::from_parts(parts, body),
            protocol,
        ))
    }
}

impl Driver for Duplex {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(async move {
            let (method, uri) = (request.method().clone(), request.uri().clone());
            match guarded(self.timeout, self.exchange(request)).await {
                Ok(result) => result,
                Err(Interrupted::TimedOut(after)) => {
                    Err(Error::timeout(Self::NAME, &method, &uri, after))
                }
                Err(Interrupted::Panicked(message)) => {
                    Err(Error::handler_panic(Self::NAME, &method, &uri, &message))
                }
            }
        })
    }
}

/// The bench floor: the same pipe without the timeout and panic guard,
/// so the driver/floor ratio shows what the guard costs.
struct Unguarded(Duplex);

impl Driver for Unguarded {
    fn name(&self) -> &str {
        "duplex-unguarded"
    }

    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(self.0.exchange(request))
    }
}

/// The driver as an entry of a suite's or bench's drivers, with its floor.
pub fn spec() -> DriverSpec {
    DriverSpec::custom(Duplex::NAME, |app, options| {
        Ok(Arc::new(Duplex {
            app,
            timeout: options.get_timeout(),
        }))
    })
    .about("the service behind hyper's HTTP/1.1 server and client over an in-memory pipe")
    .floor("duplex-unguarded", |app| {
        Ok(Arc::new(Unguarded(Duplex {
            app,
            timeout: Duration::from_secs(5),
        })))
    })
    .floor_about("the same in-memory pipe without the timeout and panic guard")
}
