//! One server, many apps: the per-test app registry and the service in
//! front of it.
//!
//! Tests that share a server must not share state, so every driver mounts a
//! fresh app instance under an id of its own and tags each request with
//! it in the private `x-crossdrive-app` header. The service removes that
//! header before the app sees the request, so the app sees exactly what the
//! client sent. A private header was chosen over routing by `Host`, so a
//! test may still send any `Host` it likes and HTTP/2's `:authority` stays
//! the server's real address.
//!
//! Ids are 128 random bits from the operating system (`random.rs`, shared
//! with the Lambda Runtime API's instance secrets), sent as 32 lowercase
//! hex digits: the server listens on loopback, where any local process can
//! connect, and a sequential number would let one guess its way into a
//! test's app.
//! A request naming no id, an id of another shape, or one not mounted gets
//! a 421 explaining the fixture, and nothing private: no version echo.
//!
//! For a routed request the service records the HTTP version the server
//! observed and echoes it in the private `x-crossdrive-version` response
//! header, which the driver strips and reports as the protocol: the
//! protocol is what the server saw, not what the client was told to speak.
//! A panicking handler becomes a 500 flagged with `x-crossdrive-panic`,
//! which the driver turns into a handler-panic error. Before the app sees
//! the request, the service inserts axum's `ConnectInfo<SocketAddr>` with
//! the peer address of the TCP connection it came on (the client's local
//! address), as `axum::serve(..).into_make_service_with_connect_info()`
//! would.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
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
    apps: RwLock<HashMap<u128, Router>>,
    seen: [AtomicU64; 4],
    accepted: AtomicU64,
    inline: AtomicU64,
}

/// An app mounted on a server; unmounted when dropped.
pub(crate) struct Mount {
    routes: Arc<Routes>,
    id: u128,
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

/// How many hex digits an app id has on the wire.
const ID_DIGITS: usize = 32;

/// The wire form of an app id: 32 lowercase hex digits.
fn id_text(id: u128) -> String {
    format!("{id:032x}")
}

/// The id an `x-crossdrive-app` value names, if it has the exact shape
/// of one (`u128::from_str_radix` alone would also take a sign or fewer
/// digits).
fn parse_id(value: &HeaderValue) -> Option<u128> {
    let text = value.to_str().ok()?;
    if text.len() != ID_DIGITS
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    u128::from_str_radix(text, 16).ok()
}

impl Routes {
    /// 128 bits nobody outside this process can guess (`random.rs`).
    fn fresh_id(&self) -> u128 {
        crate::random::random_u128()
    }

    /// Mounts `app` under a fresh random id.
    pub(crate) fn mount(self: &Arc<Self>, app: Router) -> Mount {
        let mut apps = self.apps.write().unwrap_or_else(PoisonError::into_inner);
        // A collision of 128 random bits will not happen; if it did, the
        // other test's app must not be replaced.
        let id = loop {
            let id = self.fresh_id();
            if !apps.contains_key(&id) {
                break id;
            }
        };
        apps.insert(id, app);
        drop(apps);
        Mount {
            routes: Arc::clone(self),
            id,
            // Hex digits are always a valid header value.
            header: HeaderValue::from_str(&id_text(id))
                .unwrap_or_else(|_| HeaderValue::from_static("invalid")),
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

    /// Counts an accepted connection handed to the runtime that opened it.
    pub(crate) fn handed_over(&self) {
        self.inline.fetch_add(1, Ordering::Relaxed);
    }

    /// How many accepted connections were served on the runtime that
    /// opened them.
    pub(crate) fn inline(&self) -> u64 {
        self.inline.load(Ordering::Relaxed)
    }

    /// How many requests the server received as `version`.
    pub(crate) fn seen(&self, version: Version) -> u64 {
        self.seen[slot(version)].load(Ordering::Relaxed)
    }

    fn app<B>(&self, request: &mut Request<B>) -> Option<Router> {
        let id = parse_id(&request.headers_mut().remove(APP_HEADER)?)?;
        self.apps
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    /// Serves one request that came on a connection from `peer`: route it
    /// to its app, record and echo the version the server saw. `B` is
    /// hyper's incoming body on the TCP servers, h3's request stream on
    /// the HTTP/3 one.
    pub(crate) async fn handle<B>(
        self: Arc<Self>,
        mut request: Request<B>,
        peer: SocketAddr,
    ) -> Result<Response<Body>, Infallible>
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let version = request.version();
        self.seen[slot(version)].fetch_add(1, Ordering::Relaxed);
        // Unknown callers learn nothing private, not even the version echo.
        let Some(app) = self.app(&mut request) else {
            return Ok(misrouted());
        };
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut response = match AssertUnwindSafe(app.oneshot(request.map(Body::new)))
            .catch_unwind()
            .await
        {
            Ok(Ok(response)) => response,
            Ok(Err(never)) => match never {},
            Err(payload) => panicked(&crossdrive::guard::panic_message(&*payload)),
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
         server hosts one fresh app per test and routes by the `{APP_HEADER}` header (a random \
         id of {ID_DIGITS} hex digits), which its drivers add; send requests through a driver \
         (SocketServer::http1(app), ...) instead of a bare client"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_32_lowercase_hex_digits_and_two_mounts_differ() {
        let routes = Arc::new(Routes::default());
        let (a, b) = (routes.mount(Router::new()), routes.mount(Router::new()));
        for mount in [&a, &b] {
            let text = mount.header().to_str().unwrap();
            assert_eq!(text.len(), 32, "{text}");
            assert_eq!(parse_id(mount.header()), Some(mount.id), "{text}");
        }
        assert_ne!(a.header(), b.header());
    }

    #[test]
    fn an_id_of_another_shape_is_refused() {
        for text in [
            "1",
            "+0000000000000000000000000000001",
            "0000000000000000000000000000000G",
            "0000000000000000000000000000000A",
            "000000000000000000000000000000001",
        ] {
            assert_eq!(parse_id(&HeaderValue::from_static(text)), None, "{text}");
        }
    }
}
