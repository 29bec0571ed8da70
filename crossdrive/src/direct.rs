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
use bytes::{Bytes, BytesMut};
use http::{Request, Response};
use http_body::Body as _;
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
    /// The extensions a request without any gets: [`NO_PEER`]'s
    /// `ConnectInfo`, in a map with room for axum's own (see [`peer`]).
    peer: http::Extensions,
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
            peer: peer(),
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

    /// Gives `request` the peer a handler's `ConnectInfo` reads (there is
    /// no connection, so none: `NO_PEER`), unless the test set its own. A
    /// request with no extensions takes a clone of the prepared ones, sized
    /// for axum's own: one allocation fewer than an insert.
    fn give_peer<B>(&self, request: &mut Request<B>) {
        if request.extensions().is_empty() {
            *request.extensions_mut() = self.peer.clone();
        } else if request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .is_none()
        {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(NO_PEER));
        }
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

    /// The call is set up now (the peer, the router's `oneshot`) and the
    /// boxed future holds only what runs on: the guarded call and the
    /// method and URI its errors name. The app runs when it is polled,
    /// inside the guard.
    fn send(&self, mut request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        self.give_peer(&mut request);
        let method = request.method().clone();
        let uri = request.uri().clone();
        let call = Call::Calling {
            call: self.app.clone().oneshot(request.map(as_body)),
            data: Collected::new(self.body_limit),
        };
        Box::pin(Answer {
            guarded: guarded(self.timeout, call),
            method,
            uri,
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
            self.give_peer(&mut request);
            let method = request.method().clone();
            let uri = request.uri().clone();
            let call = self.app.clone().oneshot(request.map(Body::new));
            let outcome = guarded(self.timeout, call)
                .await
                .map(|answered| match answered {
                    Ok(response) => response,
                    Err(never) => match never {},
                });
            told(&method, &uri, outcome).map(|response| {
                DriverStream::new(response.map(ResponseBody::new), Protocol::InProcess)
            })
        })
    }

    /// A WebSocket with no socket: the app is served by hyper's HTTP/1.1
    /// server over an in-memory duplex (see `direct_ws`), so axum's
    /// `WebSocketUpgrade` works unchanged.
    #[cfg(feature = "websocket")]
    fn websocket(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<crate::websocket::Handshake, Error>> {
        Box::pin(crate::direct_ws::handshake(
            self.app.clone(),
            request,
            self.timeout,
            self.body_limit,
        ))
    }
}

/// [`NO_PEER`]'s `ConnectInfo` alone, in a map that has room for the
/// extensions axum's router adds to every request (its URL parameters and,
/// with its default features, `MatchedPath` and `OriginalUri`). Cloning an
/// `Extensions` clones its map at the same capacity, so a request that
/// starts from this one never grows its map on the way through the router:
/// one allocation and one rehash less per request than inserting into an
/// empty one. Only the cost depends on that; what the handler sees is the
/// same either way.
fn peer() -> http::Extensions {
    #[derive(Clone, Copy)]
    struct Room<const N: u8>;
    let mut extensions = http::Extensions::new();
    extensions.insert(Room::<0>);
    extensions.insert(Room::<1>);
    extensions.insert(Room::<2>);
    extensions.insert(Room::<3>);
    extensions.insert(Room::<4>);
    extensions.remove::<Room<0>>();
    extensions.remove::<Room<1>>();
    extensions.remove::<Room<2>>();
    extensions.remove::<Room<3>>();
    extensions.remove::<Room<4>>();
    extensions.insert(axum::extract::ConnectInfo(NO_PEER));
    extensions
}

/// A request body as axum takes it. An empty one is `Body::empty()`,
/// which, unlike a `Body` over empty `Bytes`, allocates nothing; a handler
/// sees the same (no frames, an exact size of 0, ended).
fn as_body(bytes: Bytes) -> Body {
    if bytes.is_empty() {
        Body::empty()
    } else {
        Body::from(bytes)
    }
}

/// Why a response body was not collected.
enum Uncollected {
    /// More than the limit, this many bytes, arrived.
    TooLarge(usize),
    /// The app's body stream failed.
    Failed(axum::Error),
}

pin_project_lite::pin_project! {
    /// One request through the app: the router's call, then the response
    /// body collected, at most `limit` bytes of it (trailers are dropped,
    /// as `axum::body::to_bytes` drops them). Written by hand, one state
    /// at a time, rather than as combinators, which would move the
    /// response through a layer each.
    #[project = CallState]
    enum Call {
        /// The router is answering.
        Calling {
            #[pin]
            call: tower::util::Oneshot<Router, Request<Body>>,
            data: Collected,
        },
        /// The head is in; its body is being read.
        Collecting {
            head: Option<http::response::Parts>,
            body: Body,
            data: Collected,
        },
    }
}

impl std::future::Future for Call {
    type Output = Result<Response<Bytes>, Uncollected>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        use std::task::Poll;
        loop {
            match self.as_mut().project() {
                CallState::Calling { call, data } => {
                    let Ok(response) = std::task::ready!(call.poll(cx));
                    let (head, body) = response.into_parts();
                    let data = std::mem::take(data);
                    self.set(Call::Collecting {
                        head: Some(head),
                        body,
                        data,
                    });
                }
                CallState::Collecting { head, body, data } => loop {
                    match std::task::ready!(std::pin::Pin::new(&mut *body).poll_frame(cx)) {
                        Some(Ok(frame)) => {
                            if let Ok(chunk) = frame.into_data() {
                                data.push(chunk)?;
                            }
                        }
                        Some(Err(error)) => return Poll::Ready(Err(Uncollected::Failed(error))),
                        None => {
                            // Taken once: the call is over.
                            let head = head
                                .take()
                                .unwrap_or_else(|| Response::new(()).into_parts().0);
                            return Poll::Ready(Ok(Response::from_parts(head, data.take())));
                        }
                    }
                },
            }
        }
    }
}

/// A response body's data as it arrives, at most `limit` bytes of it. A
/// body of one data frame, what a handler returning a string, JSON or
/// bytes makes, is handed over as that frame, with no buffer and no copy;
/// more frames are joined in one buffer.
#[derive(Default)]
struct Collected {
    first: Option<Bytes>,
    joined: Option<BytesMut>,
    total: usize,
    limit: usize,
}

impl Collected {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    fn push(&mut self, data: Bytes) -> Result<(), Uncollected> {
        self.total = self.total.saturating_add(data.len());
        if self.total > self.limit {
            return Err(Uncollected::TooLarge(self.limit));
        }
        match (&self.first, &mut self.joined) {
            (None, _) => self.first = Some(data),
            (Some(_), Some(buffer)) => buffer.extend_from_slice(&data),
            (Some(head), None) => {
                let mut buffer = BytesMut::with_capacity(head.len() + data.len());
                buffer.extend_from_slice(head);
                buffer.extend_from_slice(&data);
                self.joined = Some(buffer);
            }
        }
        Ok(())
    }

    fn take(&mut self) -> Bytes {
        match (self.joined.take(), self.first.take()) {
            (Some(buffer), _) => buffer.freeze(),
            (None, Some(only)) => only,
            (None, None) => Bytes::new(),
        }
    }
}

pin_project_lite::pin_project! {
    /// What [`Direct::send`] returns: the guarded call, its outcome told
    /// as a driver's answer or error.
    struct Answer {
        #[pin]
        guarded: crate::guard::Guarded<Call>,
        method: http::Method,
        uri: http::Uri,
    }
}

impl std::future::Future for Answer {
    type Output = Result<DriverResponse, Error>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.project();
        let (method, uri) = (&*this.method, &*this.uri);
        let outcome = match std::task::ready!(this.guarded.poll(cx)) {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(body_error)) => {
                return std::task::Poll::Ready(Err(body_failure(method, uri, body_error)));
            }
            Err(interrupted) => Err(interrupted),
        };
        std::task::Poll::Ready(
            told(method, uri, outcome)
                .map(|response| DriverResponse::new(response, Protocol::InProcess)),
        )
    }
}

/// The app's answer, or the guard's interruption, as `direct` tells it:
/// a final 1xx, a timeout and a panic are errors naming the request; one
/// place for both the whole and the streamed call.
#[inline]
fn told<B>(
    method: &http::Method,
    uri: &http::Uri,
    outcome: Result<Response<B>, Interrupted>,
) -> Result<Response<B>, Error> {
    match outcome {
        Ok(response) if crate::app::is_final_informational(response.status()) => Err(
            Error::final_informational(Direct::NAME, method, uri, response.status()),
        ),
        Ok(response) => Ok(response),
        Err(Interrupted::TimedOut(after)) => Err(Error::timeout(Direct::NAME, method, uri, after)),
        Err(Interrupted::Panicked(message)) => {
            Err(Error::handler_panic(Direct::NAME, method, uri, &message))
        }
    }
}

fn body_failure(method: &http::Method, uri: &http::Uri, error: Uncollected) -> Error {
    match error {
        Uncollected::TooLarge(limit) => Error::new(
            ErrorKind::LimitExceeded,
            Direct::NAME,
            method,
            uri,
            format!("the response body is larger than the {limit}-byte limit"),
        )
        .with_hint("raise it with Direct::body_limit if the app really sends that much"),
        Uncollected::Failed(inner) => Error::new(
            ErrorKind::Adapter,
            Direct::NAME,
            method,
            uri,
            "the response body failed while streaming",
        )
        .with_source(inner.into_inner())
        .with_hint("the app's body stream returned an error; check its producer"),
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::net::SocketAddr;

    use axum::extract::ConnectInfo;
    use axum::routing::get;
    use futures_util::stream;

    use super::*;

    fn send(direct: &Direct, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        rt.block_on(direct.send(request)).map(|d| d.response)
    }

    fn request(uri: &str) -> Request<Bytes> {
        Request::get(uri)
            .body(Bytes::new())
            .expect("a valid request")
    }

    /// Answers its body in three frames.
    fn chunked() -> Router {
        let frames = || async {
            let parts = ["one ", "two ", "three"].map(|p| Ok::<_, Infallible>(Bytes::from(p)));
            Body::from_stream(stream::iter(parts))
        };
        Router::new().route("/", get(frames))
    }

    #[test]
    fn a_body_of_several_frames_arrives_whole() {
        let response = send(&Direct::new(chunked()), request("/")).expect("an answer");
        assert_eq!(response.body(), "one two three");
    }

    #[test]
    fn a_body_past_the_limit_over_several_frames_is_a_limit_error() {
        let error = send(&Direct::new(chunked()).body_limit(8), request("/")).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
        assert!(error.to_string().contains("8-byte limit"), "{error}");
    }

    #[test]
    fn a_body_stream_that_fails_is_an_adapter_error_not_a_limit() {
        let failing = || async {
            let parts = [
                Ok(Bytes::from("partial")),
                Err(std::io::Error::other("the producer broke")),
            ];
            Body::from_stream(stream::iter(parts))
        };
        let app = Router::new().route("/", get(failing));
        let error = send(&Direct::new(app), request("/")).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Adapter, "{error}");
        assert!(
            error.to_string().contains("failed while streaming"),
            "{error}"
        );
    }

    /// Answers the request's body length and the peer it was given.
    fn echo() -> Router {
        let describe = |ConnectInfo(peer): ConnectInfo<SocketAddr>, body: Bytes| async move {
            format!("{} bytes from {peer}", body.len())
        };
        Router::new().route("/", get(describe).post(describe))
    }

    #[test]
    fn an_empty_and_a_full_body_reach_the_handler_as_sent() {
        let direct = Direct::new(echo());
        let empty = send(&direct, request("/")).expect("an answer");
        assert_eq!(empty.body(), "0 bytes from 127.0.0.1:0");
        let full = Request::post("/").body(Bytes::from("abc")).expect("valid");
        assert_eq!(
            send(&direct, full).expect("an answer").body(),
            "3 bytes from 127.0.0.1:0"
        );
    }

    #[test]
    fn a_request_with_extensions_of_its_own_keeps_them_and_gets_the_peer() {
        #[derive(Clone)]
        struct Mine;
        let direct = Direct::new(echo());
        let mut own = request("/");
        own.extensions_mut().insert(Mine);
        assert_eq!(
            send(&direct, own).expect("an answer").body(),
            "0 bytes from 127.0.0.1:0"
        );
        let mut chosen = request("/");
        let peer: SocketAddr = "10.0.0.7:4242".parse().expect("an address");
        chosen.extensions_mut().insert(ConnectInfo(peer));
        assert_eq!(
            send(&direct, chosen).expect("an answer").body(),
            "0 bytes from 10.0.0.7:4242"
        );
    }
}
