//! One server, many apps: the per-test app registry and the service in
//! front of it.
//!
//! Tests that share a server must not share state, so every driver mounts a
//! fresh app instance under a number of its own and tags each request with
//! it in the private `x-crossdrive-app` header. The service removes that
//! header before the app sees the request, so the app sees exactly what the
//! client sent. A private header was chosen over routing by `Host`, so a
//! test may still send any `Host` it likes and HTTP/2's `:authority` stays
//! the server's real address.
//!
//! The service also records the HTTP version the server observed for
//! every request and echoes it in the private `x-crossdrive-version`
//! response header, which the driver strips and reports as the protocol:
//! the protocol is what the server saw, not what the client was told to
//! speak. A panicking handler becomes a 500 flagged with
//! `x-crossdrive-panic`, which the driver turns into a handler-panic error.

use std::collections::HashMap;
use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use axum::Router;
use axum::body::Body;
use futures_util::FutureExt;
use http::{HeaderValue, Request, Response, StatusCode, Version};
use tower::ServiceExt;

/// The request header naming the app a request is for.
pub(crate) const APP_HEADER: &str = "x-crossdrive-app";
/// The response header carrying the HTTP version the server observed.
pub(crate) const VERSION_HEADER: &str = "x-crossdrive-version";
/// The response header marking a handler panic (the body holds the message).
pub(crate) const PANIC_HEADER: &str = "x-crossdrive-panic";

/// The apps mounted on one server, and what the server has seen.
#[derive(Default)]
pub(crate) struct Routes {
    apps: RwLock<HashMap<u64, Router>>,
    next: AtomicU64,
    seen: [AtomicU64; 4],
    accepted: AtomicU64,
}

/// An app mounted on a server; unmounted when dropped.
pub(crate) struct Mount {
    routes: Arc<Routes>,
    id: u64,
    header: HeaderValue,
}

impl Mount {
    /// The `x-crossdrive-app` value that routes a request to this app.
    pub(crate) fn header(&self) -> &HeaderValue {
        &self.header
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        self.routes
            .apps
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

fn slot(version: Version) -> usize {
    match version {
        Version::HTTP_09 | Version::HTTP_10 => 0,
        Version::HTTP_11 => 1,
        Version::HTTP_2 => 2,
        _ => 3,
    }
}

impl Routes {
    /// Mounts `app` under a fresh number.
    pub(crate) fn mount(self: &Arc<Self>, app: Router) -> Mount {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.apps
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, app);
        Mount {
            routes: Arc::clone(self),
            id,
            header: HeaderValue::from(id),
        }
    }

    /// How many apps are mounted now.
    pub(crate) fn mounted(&self) -> usize {
        self.apps
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Counts a connection the server accepted.
    pub(crate) fn accept(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    /// How many connections the server accepted.
    pub(crate) fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// How many requests the server received as `version`.
    pub(crate) fn seen(&self, version: Version) -> u64 {
        self.seen[slot(version)].load(Ordering::Relaxed)
    }

    fn app(&self, request: &mut Request<hyper::body::Incoming>) -> Option<Router> {
        let id: u64 = request
            .headers_mut()
            .remove(APP_HEADER)?
            .to_str()
            .ok()?
            .parse()
            .ok()?;
        self.apps
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    /// Serves one request: route it to its app, record and echo the
    /// version the server saw.
    pub(crate) async fn handle(
        self: Arc<Self>,
        mut request: Request<hyper::body::Incoming>,
    ) -> Result<Response<Body>, Infallible> {
        let version = request.version();
        self.seen[slot(version)].fetch_add(1, Ordering::Relaxed);
        let mut response = match self.app(&mut request) {
            None => misrouted(),
            Some(app) => {
                match AssertUnwindSafe(app.oneshot(request.map(Body::new)))
                    .catch_unwind()
                    .await
                {
                    Ok(Ok(response)) => response,
                    Ok(Err(never)) => match never {},
                    Err(payload) => panicked(&crossdrive::guard::panic_message(&*payload)),
                }
            }
        };
        response
            .headers_mut()
            .insert(VERSION_HEADER, version_value(version));
        Ok(response)
    }
}

fn version_value(version: Version) -> HeaderValue {
    HeaderValue::from_static(match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "unknown",
    })
}

/// The version named by an `x-crossdrive-version` value.
pub(crate) fn parse_version(value: &HeaderValue) -> Option<Version> {
    match value.as_bytes() {
        b"HTTP/0.9" => Some(Version::HTTP_09),
        b"HTTP/1.0" => Some(Version::HTTP_10),
        b"HTTP/1.1" => Some(Version::HTTP_11),
        b"HTTP/2.0" => Some(Version::HTTP_2),
        b"HTTP/3.0" => Some(Version::HTTP_3),
        _ => None,
    }
}

fn misrouted() -> Response<Body> {
    let mut response = Response::new(Body::from(format!(
        "crossdrive: this request names no app mounted on this server. A crossdrive socket \
         server hosts one fresh app per test and routes by the `{APP_HEADER}` header, which its \
         drivers add; send requests through a driver (SocketServer::http1(app), ...) instead of \
         a bare client"
    )));
    *response.status_mut() = StatusCode::MISDIRECTED_REQUEST;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn panicked(message: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(message.to_owned()));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
        .headers_mut()
        .insert(PANIC_HEADER, HeaderValue::from_static("1"));
    response
}
