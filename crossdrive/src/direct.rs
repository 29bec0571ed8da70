//! The `direct` driver: the app called in-process.
//!
//! No socket and no serialization beyond what the app itself does: the
//! request's `Bytes` body becomes an `axum::body::Body`, the app is called
//! with `tower::ServiceExt::oneshot` on a clone of the router (so every
//! request sees the same app instance, as a server would), and the response
//! body is collected back into `Bytes`. The work runs under
//! [`crossdrive::guard::guarded`](crate::guard::guarded), which arms its timer only if the first
//! poll does not finish, so the timeout costs nothing for handlers that
//! answer synchronously; a handler panic becomes an error, not a dead test
//! binary.
//!
//! There is no connection, so there is no peer: a handler extracting
//! `axum::extract::ConnectInfo<SocketAddr>` gets [`NO_PEER`]
//! (`127.0.0.1:0`, port 0 because no socket was ever opened), the address
//! an in-process call would come from, instead of the 500 axum answers
//! when the extension is missing. The socket drivers hand handlers the
//! real peer address; the Lambda drivers hand them nothing, as
//! lambda_http does in AWS (the caller's address is in the event's
//! request context there, not in a connection).

use std::time::Duration;

use crate::guard::{Interrupted, guarded};
use crate::registry::{Deployment, Registration};
use crate::{
    BoxFuture, Driver, DriverResponse, DriverStream, Error, ErrorKind, Protocol, RequestBody,
    ResponseBody,
};
use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::LengthLimitError;
use tower::ServiceExt;

/// The peer `direct` reports to handlers that extract
/// `ConnectInfo<SocketAddr>`: loopback, port 0, since no socket exists.
///
/// ```
/// assert_eq!(crossdrive::direct::NO_PEER.port(), 0);
/// ```
pub const NO_PEER: std::net::SocketAddr = std::net::SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::LOCALHOST,
    0,
));

/// The default per-request timeout of every crossdrive driver.
///
/// ```
/// use crossdrive::{ConnectOptions, direct::DEFAULT_TIMEOUT};
/// assert_eq!(DEFAULT_TIMEOUT.as_secs(), 5);
/// assert_eq!(ConnectOptions::new().get_timeout(), DEFAULT_TIMEOUT);
/// ```
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The default largest response body a driver collects (256 MiB).
///
/// ```
/// assert_eq!(crossdrive::direct::DEFAULT_BODY_LIMIT, 256 << 20);
/// ```
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024 * 1024;

/// Calls an app in-process.
///
/// ```
/// use axum::{Router, routing::get};
/// use crossdrive::Client;
/// use crossdrive::Direct;
///
/// let app = Router::new().route("/hello", get(|| async { "hi" }));
/// let client = Client::new(Direct::new(app));
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// client.get("/hello").await.assert_status(200).assert_text("hi");
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct Direct {
    app: Router,
    timeout: Duration,
    body_limit: usize,
}

impl Direct {
    /// The driver's name.
    ///
    /// ```
    /// use crossdrive::Driver;
    /// use crossdrive::{Direct, Kind};
    /// assert_eq!(Direct::NAME, Kind::Direct.name());
    /// assert_eq!(Direct::new(axum::Router::new()).name(), Direct::NAME);
    /// ```
    pub const NAME: &'static str = "direct";

    /// A driver over `app`, with the default timeout and body limit.
    ///
    /// ```
    /// use axum::{Router, routing::get};
    /// use crossdrive::Client;
    /// let app = Router::new().route("/", get(|| async { "root" }));
    /// let client = Client::new(crossdrive::Direct::new(app));
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// client.get("/").await.assert_status(200).assert_text("root");
    /// client.get("/missing").await.assert_status(404);
    /// # });
    /// ```
    pub fn new(app: Router) -> Self {
        Self {
            app,
            timeout: DEFAULT_TIMEOUT,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// Sets the per-request timeout (default 5 s).
    ///
    /// ```
    /// # use crossdrive::Direct;
    /// let d = Direct::new(axum::Router::new()).timeout(std::time::Duration::from_millis(50));
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the largest response body collected (default 256 MiB); a
    /// larger body is a limit-exceeded error.
    ///
    /// ```
    /// use axum::{Router, routing::get};
    /// use crossdrive::{Client, ErrorKind};
    /// use crossdrive::Direct;
    /// let app = Router::new().route("/", get(|| async { "0123456789" }));
    /// let client = Client::new(Direct::new(app).body_limit(4));
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let error = client.get("/").try_send().await.unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    /// # });
    /// ```
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }
}

/// The conformance checks `direct` cannot meet by design, with the reasons
/// (the `differences` of its driver table entry).
///
/// ```
/// use crossdrive::{Kind, direct::KNOWN_DIFFERENCES};
/// let (check, _reason) = KNOWN_DIFFERENCES[0];
/// assert!(Kind::Direct.known_differences().reason(check).is_some());
/// ```
pub const KNOWN_DIFFERENCES: &[(&str, &str)] = &[(
    "status_204_has_no_body_and_no_content_length",
    "direct returns the response exactly as axum's Router made it, and axum 0.8 \
     (routing/route.rs, set_content_length) adds `Content-Length: 0` to every response with an \
     empty exact-size body, 204 included; on a socket, hyper's server removes it before the wire",
)];

/// `direct` in the driver registry: the app in-process, floored by
/// `Router::oneshot` itself.
pub(crate) const REGISTRATION: Registration = Registration {
    deployment: || std::sync::Arc::new(InProcess),
    differences: KNOWN_DIFFERENCES,
};

/// The `direct` deployment.
struct InProcess;

impl Deployment for InProcess {
    fn connect(
        &self,
        app: Router,
        options: &crate::ConnectOptions,
    ) -> Result<std::sync::Arc<dyn Driver>, Error> {
        Ok(std::sync::Arc::new(
            Direct::new(app).timeout(options.get_timeout()),
        ))
    }

    #[cfg(feature = "bench")]
    fn bench_pair(
        &self,
        app: &dyn Fn() -> Router,
        _server: crate::registry::Server,
    ) -> Result<crate::registry::FloorPair, Error> {
        Ok(crate::registry::FloorPair {
            driver: Some(std::sync::Arc::new(Direct::new(app()))),
            floor: crate::registry::Floor::RawOneshot(app()),
        })
    }
}

impl Driver for Direct {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn send(&self, mut request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        Box::pin(async move {
            if request
                .extensions()
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .is_none()
            {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(NO_PEER));
            }
            let method = request.method().clone();
            let uri = request.uri().clone();
            let limit = self.body_limit;
            let work = async move {
                let response = match self.app.clone().oneshot(request.map(Body::from)).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                let (parts, body) = response.into_parts();
                axum::body::to_bytes(body, limit)
                    .await
                    .map(|bytes| Response::from_parts(parts, bytes))
            };
            match guarded(self.timeout, work).await {
                Ok(Ok(response)) if crate::app::is_final_informational(response.status()) => Err(
                    Error::final_informational(Self::NAME, &method, &uri, response.status()),
                ),
                Ok(Ok(response)) => Ok(DriverResponse::new(response, Protocol::InProcess)),
                Ok(Err(body_error)) => Err(body_failure(&method, &uri, limit, body_error)),
                Err(Interrupted::TimedOut(after)) => {
                    Err(Error::timeout(Self::NAME, &method, &uri, after))
                }
                Err(Interrupted::Panicked(message)) => {
                    Err(Error::handler_panic(Self::NAME, &method, &uri, &message))
                }
            }
        })
    }

    /// The app's response as it produces it: resolves when the handler
    /// returns its response head (bounded by the driver's timeout), and
    /// the body's frames reach the test as the app's body yields them.
    fn stream(
        &self,
        mut request: Request<RequestBody>,
    ) -> BoxFuture<'_, Result<DriverStream, Error>> {
        Box::pin(async move {
            if request
                .extensions()
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .is_none()
            {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(NO_PEER));
            }
            let method = request.method().clone();
            let uri = request.uri().clone();
            let call = self.app.clone().oneshot(request.map(Body::new));
            match guarded(self.timeout, call).await {
                Ok(Ok(response)) if crate::app::is_final_informational(response.status()) => Err(
                    Error::final_informational(Self::NAME, &method, &uri, response.status()),
                ),
                Ok(Ok(response)) => Ok(DriverStream::new(
                    response.map(ResponseBody::new),
                    Protocol::InProcess,
                )),
                Ok(Err(never)) => match never {},
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

fn body_failure(method: &http::Method, uri: &http::Uri, limit: usize, error: axum::Error) -> Error {
    // `axum::body::to_bytes` wraps http-body-util's `Limited`, whose error
    // is a `LengthLimitError` when the limit is what stopped it.
    let inner = error.into_inner();
    if inner.downcast_ref::<LengthLimitError>().is_some() {
        Error::new(
            ErrorKind::LimitExceeded,
            Direct::NAME,
            method,
            uri,
            format!("the response body is larger than the {limit}-byte limit"),
        )
        .with_hint("raise it with Direct::body_limit if the app really sends that much")
    } else {
        Error::new(
            ErrorKind::Adapter,
            Direct::NAME,
            method,
            uri,
            "the response body failed while streaming",
        )
        .with_source(inner)
        .with_hint("the app's body stream returned an error; check its producer")
    }
}
