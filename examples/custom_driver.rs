//! A driver for your own adapter, outside the crossdrive crates, run
//! through the conformance suite.
//!
//! The adapter here is built on a different server crate than crossdrive's
//! drivers: hyper's HTTP/1.1 server and client, connected by an in-memory
//! pipe (`tokio::io::duplex`) instead of a socket. Every request is really
//! serialized to HTTP/1.1 bytes, parsed by hyper's server, answered by the
//! app, and parsed back by hyper's client, so the suite sees what hyper
//! does to the message (it strips `Content-Length` from a 204, for one).
//!
//! Run it with `cargo run --example custom_driver`; it prints the report
//! and exits with status 1 if a check fails. The same driver gets one test
//! per check in a test file with:
//!
//! ```ignore
//! crossdrive::conformance_tests! {
//!     driver = || HyperDuplex::new(crossdrive::conformance::echo::app()),
//! }
//! ```

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use bytes::Bytes;
use crossdrive::guard::{Interrupted, guarded};
use crossdrive::{
    BoxFuture, Client, Driver, DriverResponse, DriverStream, Error, ErrorKind, Protocol,
    RequestBody, ResponseBody,
};
use http::{Method, Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;

/// The driver: one hyper connection over an in-memory pipe per request.
struct HyperDuplex {
    app: Router,
    timeout: Duration,
}

impl HyperDuplex {
    const NAME: &'static str = "hyper-duplex";

    fn new(app: Router) -> Self {
        Self {
            app,
            timeout: Duration::from_secs(5),
        }
    }

    /// A connection error saying what failed, keeping hyper's error as
    /// its source (`Display` prints it after the cause).
    fn error(method: &Method, uri: &Uri, what: &str, source: hyper::Error) -> Error {
        Error::new(ErrorKind::Connection, Self::NAME, method, uri, what).with_source(source)
    }

    /// Sends `request` over a fresh hyper connection on an in-memory pipe
    /// and resolves once the response head is in; the body arrives as the
    /// app writes it.
    async fn respond<B>(&self, request: Request<B>) -> Result<Response<Incoming>, Error>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let (client_io, server_io) = tokio::io::duplex(64 * 1024);
        let service = TowerToHyperService::new(self.app.clone());
        // The server half runs as a task on the caller's runtime; it ends
        // when the client half is dropped.
        tokio::spawn(
            hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(server_io), service),
        );
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(client_io))
                .await
                .map_err(|e| Self::error(&method, &uri, "the HTTP handshake failed", e))?;
        tokio::spawn(connection);
        sender
            .send_request(request)
            .await
            .map_err(|e| Self::error(&method, &uri, "the exchange failed", e))
    }

    /// The whole response, body collected.
    async fn exchange(&self, request: Request<Bytes>) -> Result<DriverResponse, Error> {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let response = self.respond(request.map(Full::new)).await?;
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

    /// Bounds `work` by the driver's timeout and turns a panicking handler
    /// into an error, as every crossdrive driver does.
    async fn bounded<T>(
        &self,
        method: Method,
        uri: Uri,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        match guarded(self.timeout, work).await {
            Ok(result) => result,
            Err(Interrupted::TimedOut(after)) => {
                Err(Error::timeout(Self::NAME, &method, &uri, after))
            }
            Err(Interrupted::Panicked(message)) => {
                Err(Error::handler_panic(Self::NAME, &method, &uri, &message))
            }
        }
    }
}

impl Driver for HyperDuplex {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        Box::pin(self.bounded(method, uri, self.exchange(request)))
    }

    /// Without this, the default collects the body through `send`: the
    /// test would see the response as one chunk, lose its trailers, and
    /// get a body the app broke off as an error instead of a head and then
    /// an error. The timeout bounds the wait for the head; the test's
    /// stream bounds each read after it.
    fn stream(&self, request: Request<RequestBody>) -> BoxFuture<'_, Result<DriverStream, Error>> {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        Box::pin(self.bounded(method, uri, async move {
            let response = self.respond(request).await?;
            let protocol = Protocol::from_version(response.version());
            Ok(DriverStream::new(response.map(ResponseBody::new), protocol))
        }))
    }
}

fn main() -> ExitCode {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        eprintln!("custom_driver: cannot build a tokio runtime");
        return ExitCode::FAILURE;
    };
    let client = Client::new(HyperDuplex::new(crossdrive::conformance::echo::app()));
    // Declare here what your adapter cannot meet by design, with the reason:
    // `Expectations::new().difference("check_name", "why")`. This one
    // keeps `Driver::websocket`'s default, so the WebSocket checks that
    // need an accepted socket are declared at once.
    let expectations = crossdrive::conformance::Expectations::new().websocket_not_carried(
        "hyper-duplex sends each request on a connection of its own and implements no \
         Driver::websocket, so a handshake is answered as an ordinary request",
    );
    let report = runtime.block_on(crossdrive::conformance::run(&client, &expectations));
    println!("{report}");
    if report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
