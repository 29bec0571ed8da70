//! The fault app: handlers that misbehave on purpose, for the fault tests
//! that every driver must survive (`tests/faults.rs`).
//!
//! | route | what it does |
//! |---|---|
//! | `GET /ok` | answers `200 ok` at once: proof the app and server still serve |
//! | `GET /panic` | panics with `the fault app panicked on purpose` |
//! | `GET /never` | never answers |
//! | `GET /slow?ms=N` | answers `200 slept N ms` after N milliseconds (default 100) |
//! | `GET /block?ms=N` | holds its thread with `std::thread::sleep` for N milliseconds (default 100), then answers `200 blocked N ms`: the blocking call in async code no timer can interrupt |
//! | `GET /block-forever` | holds its thread for ever (parks it in a loop): a handler that never returns |
//! | `GET /stream-forever` | answers `200` at once, then streams 1 KiB every 5 ms, forever |
//! | `GET /stall` | answers `200`, sends `started`, then never another byte |
//! | `GET /abort` | answers `200`, sends `started`, then its body stream fails (the response is cut off) |
//! | `POST /count` | adds one to this app instance's counter and answers the new value |
//! | `GET /count` | answers this app instance's counter (`0` for a fresh app) |
//!
//! The counter lives in the app instance, so tests that share a server but
//! each build their own app see only their own count: a leak between
//! tests shows up as a wrong number.
//!
//! ```
//! let app = crossdrive_fixtures::faults::app();
//! let client = crossdrive::Client::new(crossdrive::Direct::new(app));
//! # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! # rt.block_on(async {
//! client.get("/ok").await.assert_status(200).assert_text("ok");
//! # });
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use futures_util::StreamExt;

/// The panic message of `GET /panic`.
pub const PANIC_MESSAGE: &str = "the fault app panicked on purpose";

/// A fresh instance of the fault app (its own counter).
pub fn app() -> Router {
    Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route("/panic", get(panic_now))
        .route("/never", get(never))
        .route("/slow", get(slow))
        .route("/block", get(block))
        .route("/block-forever", get(block_forever))
        .route("/stream-forever", get(stream_forever))
        .route("/stall", get(stall))
        .route("/abort", get(abort))
        .route("/count", get(count).post(increment))
        .with_state(Arc::new(AtomicU64::new(0)))
}

async fn panic_now() -> &'static str {
    panic!("{}", PANIC_MESSAGE)
}

async fn never() -> &'static str {
    std::future::pending::<()>().await;
    "unreachable"
}

#[derive(serde::Deserialize)]
struct Slow {
    ms: Option<u64>,
}

async fn slow(Query(slow): Query<Slow>) -> String {
    let ms = slow.ms.unwrap_or(100);
    crossdrive::guard::sleep(Duration::from_millis(ms)).await;
    format!("slept {ms} ms")
}

async fn block(Query(slow): Query<Slow>) -> String {
    let ms = slow.ms.unwrap_or(100);
    // On purpose: the mistake this route reproduces.
    std::thread::sleep(Duration::from_millis(ms));
    format!("blocked {ms} ms")
}

async fn block_forever() -> &'static str {
    loop {
        // `park` may return spuriously; nothing ever unparks on purpose.
        std::thread::park();
    }
}

async fn stream_forever() -> Response {
    let chunks = futures_util::stream::unfold((), |()| async {
        // The process-wide timer works on every driver's runtime, with
        // or without a tokio timer of its own.
        crossdrive::guard::sleep(Duration::from_millis(5)).await;
        Some((
            Ok::<_, std::convert::Infallible>(Bytes::from(vec![b'x'; 1024])),
            (),
        ))
    });
    Response::new(Body::from_stream(chunks))
}

/// What `/stall` and `/abort` send before they stall or fail.
pub const STARTED: &str = "started";

async fn stall() -> Response {
    let first = futures_util::stream::once(async {
        Ok::<_, std::convert::Infallible>(Bytes::from_static(STARTED.as_bytes()))
    });
    Response::new(Body::from_stream(
        first.chain(futures_util::stream::pending()),
    ))
}

async fn abort() -> Response {
    let first = futures_util::stream::once(async { Ok(Bytes::from_static(STARTED.as_bytes())) });
    // A pause first: a server writes the head and the first chunk when the
    // body has nothing more ready, so the cut comes after a started 200.
    let cut = futures_util::stream::once(async {
        crossdrive::guard::sleep(Duration::from_millis(20)).await;
        Err(std::io::Error::other(
            "the fault app cut its body off on purpose",
        ))
    });
    Response::new(Body::from_stream(first.chain(cut)))
}

async fn count(State(counter): State<Arc<AtomicU64>>) -> String {
    counter.load(Ordering::SeqCst).to_string()
}

async fn increment(State(counter): State<Arc<AtomicU64>>) -> String {
    (counter.fetch_add(1, Ordering::SeqCst) + 1).to_string()
}
