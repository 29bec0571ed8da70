//! One server, many apps: the per-test app registry and the service in
//! front of it.
//!
//! Tests that share a server must not share state, so every driver mounts a
//! fresh app instance under an id of its own and tags each request with
//! it in the private app header (the `wire` module spells the protocol). The service removes that
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
//! For a routed request the service records what the server observed in
//! one private response header named after the app's id, which the driver takes off and reads: the HTTP
//! version the server saw (the protocol is what the server saw, not what
//! the client was told to speak), and whether the app's answer was one no
//! client can receive: a panicking handler (a 500 whose body is the panic
//! message) or a final 1xx status (a 500 explaining it; hyper's HTTP/1.1
//! server would otherwise turn it into a bare 500 and drop every header).
//! Before the app sees the request, the service inserts axum's
//! `ConnectInfo<SocketAddr>` with the peer address of the TCP connection it
//! came on (the client's local address), as
//! `axum::serve(..).into_make_service_with_connect_info()` would.
//!
//! Why the record's name carries the id: the app must not be able to
//! speak the private protocol, by mistake or on purpose. With fixed names
//! (a version header and a panic flag, as before), an app
//! answering the panic flag turned its own 200 into a "handler
//! panicked", and its own version header was silently replaced.
//! Refusing such headers would make the socket drivers differ from
//! `direct` and the Lambda drivers, which carry any header the app sets;
//! renaming them would change the app's answer. The app never sees its
//! id (the request header naming it is removed first), so it cannot write
//! a header with the record's name: every header the app sets, in the
//! private namespace or not, reaches the test unchanged, exactly
//! as on the other drivers, and the record cannot be forged.

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
#[cfg(test)]
use http::HeaderMap;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode, Version};
use tower::ServiceExt;

use crate::stage;

use super::wire::{self, Mark};

/// A mounted app and the name of its private response header.
struct Mounted {
    app: Router,
    record: HeaderName,
}

/// The apps mounted on one server, and what the server has seen.
#[derive(Default)]
pub(crate) struct Routes {
    apps: RwLock<HashMap<u128, Arc<Mounted>>>,
    seen: [AtomicU64; 4],
    accepted: AtomicU64,
    inline: AtomicU64,
}

/// An app mounted on a server; unmounted when dropped.
pub(crate) struct Mount {
    routes: Arc<Routes>,
    id: u128,
    header: HeaderValue,
    record: HeaderName,
}

impl Mount {
    /// The app header's value that routes a request to this app
    /// ([`wire::stamp`]).
    pub(crate) fn header(&self) -> &HeaderValue {
        &self.header
    }

    /// The name of this app's private response header ([`wire::read`]).
    pub(crate) fn record(&self) -> &HeaderName {
        &self.record
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
        let record = wire::record_name(id);
        apps.insert(
            id,
            Arc::new(Mounted {
                app,
                record: record.clone(),
            }),
        );
        drop(apps);
        Mount {
            routes: Arc::clone(self),
            id,
            header: wire::app_value(id),
            record,
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

    fn app<B>(&self, request: &mut Request<B>) -> Option<Arc<Mounted>> {
        let id = wire::take_app(request.headers_mut())?;
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
        let Some(mounted) = self.app(&mut request) else {
            return Ok(misrouted());
        };
        request.extensions_mut().insert(ConnectInfo(peer));
        stage::mark(stage::Mark::AppCalled);
        let call = mounted.app.clone().oneshot(request.map(Body::new));
        let answered = AssertUnwindSafe(call).catch_unwind().await;
        stage::mark(stage::Mark::AppAnswered);
        let (mut response, mark) = match answered {
            Ok(Ok(response)) if crate::app::is_final_informational(response.status()) => {
                let status = response.status();
                (informational(status), Mark::Informational(status))
            }
            Ok(Ok(response)) => (response, Mark::Answered),
            Ok(Err(never)) => match never {},
            Err(payload) => (
                panicked(&crate::guard::panic_message(&*payload)),
                Mark::Panicked,
            ),
        };
        wire::write(response.headers_mut(), &mounted.record, version, mark);
        Ok(response)
    }
}

fn misrouted() -> Response<Body> {
    let mut response = Response::new(Body::from(format!(
        "crossdrive: this request names no app mounted on this server. A crossdrive socket \
         server hosts one fresh app per test and routes by the `{}` header (a random \
         id of {} hex digits), which its drivers add; send requests through a driver \
         (SocketServer::http1(app), ...) instead of a bare client",
        wire::APP_HEADER,
        wire::ID_DIGITS
    )));
    *response.status_mut() = StatusCode::MISDIRECTED_REQUEST;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A handler panic's answer: a 500 whose body is the panic message (the
/// record says it is one).
fn panicked(message: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(message.to_owned()));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}

/// What the server sends in place of an app's final 1xx, which no client
/// can receive as an answer: a 500 saying why, for any client; the driver
/// reads the record instead and reports the app's mistake.
fn informational(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::from(format!(
        "crossdrive: the app answered with {status} as its final status; a final response is \
         2xx-5xx (informational 1xx heads are sent before it, by the server)"
    )));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
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
            assert!(!text.bytes().any(|b| b.is_ascii_uppercase()), "{text}");
            let mut headers = HeaderMap::new();
            wire::stamp(&mut headers, mount.header());
            assert_eq!(wire::take_app(&mut headers), Some(mount.id), "{text}");
            assert_eq!(*mount.record(), wire::record_name(mount.id));
        }
        assert_ne!(a.header(), b.header());
    }
}
