//! What a `suite!` test pays per socket request, against the least a
//! client can pay: p50 of sequential `GET /hello` on one kept-alive
//! connection, in alternating rounds in one process.
//!
//! - `suite`: a current-thread runtime on a plain thread, the driver from
//!   `SocketServer::shared()?.http1(app)` (or `.http2`), sent through
//!   `crossdrive::Client`: the path every suite test takes.
//! - `floor`: raw hyper `client::conn` and a hyper server for the same app
//!   on one current-thread runtime, no pool, no timeout: the same-thread
//!   floor.
//! - `cross-thread`: the same shared driver polled from no tokio runtime,
//!   so each request is spawned onto the server's thread and its answer
//!   comes back: the path suite tests took before connections were handed
//!   to the test's runtime (two cross-thread wake-ups per request).
//!
//! ```text
//! cargo run --release -p crossdrive --example suite_latency [requests] [rounds]
//! ```
//!
//! Defaults: 20,000 requests per cell, 3 rounds. Not a test: timings
//! depend on the machine and its load, so nothing here asserts one.

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use bytes::Bytes;
use crossdrive::Client;
use crossdrive::socket::SocketServer;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tower::ServiceExt;

fn app() -> Router {
    Router::new().route("/hello", get(|| async { "Hello, world!" }))
}

fn p50(mut nanos: Vec<u64>) -> f64 {
    nanos.sort_unstable();
    nanos[nanos.len() / 2] as f64 / 1000.0
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// A client over the shared server's `http1` or `http2` driver.
fn shared_client(h2: bool) -> Client {
    let server = SocketServer::shared().expect("the shared server");
    let driver = if h2 {
        server.http2(app())
    } else {
        server.http1(app())
    };
    Client::new(driver.expect("a driver"))
}

/// The suite path: the test's runtime sends through the shared server.
fn suite(h2: bool, requests: usize) -> f64 {
    let client = shared_client(h2);
    runtime().block_on(async {
        let mut nanos = Vec::with_capacity(requests);
        for _ in 0..requests / 10 {
            client.get("/hello").await.assert_status(200);
        }
        for _ in 0..requests {
            let started = Instant::now();
            let response = client.get("/hello").await;
            nanos.push(started.elapsed().as_nanos() as u64);
            assert_eq!(response.status(), 200);
        }
        p50(nanos)
    })
}

/// The old path: no tokio runtime in the caller, so every request runs
/// on the server's thread.
fn cross_thread(h2: bool, requests: usize) -> f64 {
    let client = shared_client(h2);
    for _ in 0..requests / 10 {
        futures_executor::block_on(client.get("/hello").try_send()).expect("a response");
    }
    let mut nanos = Vec::with_capacity(requests);
    for _ in 0..requests {
        let started = Instant::now();
        let response =
            futures_executor::block_on(client.get("/hello").try_send()).expect("a response");
        nanos.push(started.elapsed().as_nanos() as u64);
        assert_eq!(response.status(), 200);
    }
    p50(nanos)
}

/// Raw hyper on both sides, on one current-thread runtime.
fn floor(h2: bool, requests: usize) -> f64 {
    runtime().block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a listener");
        let addr = listener.local_addr().expect("an address");
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.expect("a connection");
            let _ = stream.set_nodelay(true);
            let app = app();
            let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                app.clone().oneshot(request.map(Body::new))
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .expect("a connection");
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(stream);
        let uri = format!("http://{addr}/hello");
        let request = || {
            http::Request::get(uri.as_str())
                .header(http::header::HOST, addr.to_string())
                .body(Full::new(Bytes::new()))
                .expect("a request")
        };
        let mut nanos = Vec::with_capacity(requests);
        if h2 {
            let (sender, conn) = http2::handshake(TokioExecutor::new(), io)
                .await
                .expect("an h2c handshake");
            tokio::spawn(conn);
            for i in 0..requests + requests / 10 {
                let started = Instant::now();
                let response = sender.clone().send_request(request()).await.expect("h2");
                let _ = response.into_body().collect().await.expect("a body");
                if i >= requests / 10 {
                    nanos.push(started.elapsed().as_nanos() as u64);
                }
            }
        } else {
            let (mut sender, conn) = http1::handshake(io).await.expect("a handshake");
            tokio::spawn(conn);
            let path = || {
                let mut request = request();
                *request.uri_mut() = http::Uri::from_static("/hello");
                request
            };
            for i in 0..requests + requests / 10 {
                let started = Instant::now();
                sender.ready().await.expect("ready");
                let response = sender.send_request(path()).await.expect("http1");
                let _ = response.into_body().collect().await.expect("a body");
                if i >= requests / 10 {
                    nanos.push(started.elapsed().as_nanos() as u64);
                }
            }
        }
        p50(nanos)
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(3);
    println!("p50 in µs, {requests} sequential GET /hello per cell");
    println!("round protocol  suite  floor  cross-thread  suite/floor");
    for round in 1..=rounds {
        for (name, h2) in [("http1", false), ("h2c", true)] {
            // On a fresh thread each, as libtest runs a test.
            let run = |f: fn(bool, usize) -> f64| {
                std::thread::spawn(move || f(h2, requests))
                    .join()
                    .expect("a measuring thread")
            };
            let (s, f, c) = (run(suite), run(floor), run(cross_thread));
            println!(
                "{round:>5} {name:<8} {s:>6.1} {f:>6.1} {c:>13.1} {:>12.2}",
                s / f
            );
        }
    }
}
