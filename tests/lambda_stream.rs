//! `lambda-url-stream`: a Function URL with `InvokeMode: RESPONSE_STREAM`,
//! through the real `lambda_http::run_with_streaming_response` loop in a
//! child process, against the buffered Lambda drivers that keep buffering.
//!
//! The function runs in another process, so the tests synchronise with it
//! over a real socket: the app connects to a "gate" the test listens on
//! and waits for one byte before it writes its last chunk.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use crossdrive::Client;
use crossdrive::lambda::{
    InvokeMode, Lambda, LambdaOptions, STREAM_BANDWIDTH, STREAM_UNCAPPED_BYTES, Source, runtime,
};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long the app waits at the gate before giving up (a test that never
/// opens it fails instead of hanging).
const GATE_WAIT: Duration = Duration::from_secs(20);

/// A streaming body: `first`, then (once the gate named in `x-gate` lets
/// it through) `last`.
async fn gated(headers: HeaderMap) -> Response {
    let gate = headers
        .get("x-gate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let first = futures_util::stream::once(async { Ok::<_, std::io::Error>(Bytes::from("first")) });
    let last = futures_util::stream::once(async move {
        if let Some(gate) = gate {
            let mut socket = tokio::net::TcpStream::connect(&gate).await?;
            let mut byte = [0u8; 1];
            tokio::time::timeout(GATE_WAIT, socket.read_exact(&mut byte))
                .await
                .map_err(|_| std::io::Error::other("the test never opened the gate"))??;
        }
        Ok(Bytes::from("last"))
    });
    Response::builder()
        .header("content-type", "text/plain")
        .body(Body::from_stream(first.chain(last)))
        .unwrap_or_default()
}

/// `/big?mib=N`: N MiB in 64 KiB chunks.
async fn big(uri: axum::http::Uri) -> Response {
    let mib: usize = uri
        .query()
        .and_then(|q| q.strip_prefix("mib="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let chunks = futures_util::stream::iter(0..mib * 16)
        .map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 64 * 1024])));
    Response::builder()
        .header("content-type", "application/octet-stream")
        .body(Body::from_stream(chunks))
        .unwrap_or_default()
}

fn app() -> Router {
    Router::new()
        .route("/gated", get(gated))
        .route("/big", get(big))
        .route(
            "/prelude",
            get(|| async {
                Response::builder()
                    .status(201)
                    .header("content-type", "text/plain; charset=utf-8")
                    .header("x-two", "a")
                    .header("x-two", "b")
                    .header("set-cookie", "a=1; Path=/")
                    .header("set-cookie", "b=2; HttpOnly")
                    .body(Body::from("created"))
                    .unwrap_or_default()
            }),
        )
        .route(
            "/fails-midway",
            get(|| async {
                let chunks = futures_util::stream::iter([
                    Ok(Bytes::from("partial")),
                    Err(std::io::Error::other("the database went away")),
                ]);
                Body::from_stream(chunks)
            }),
        )
        .route(
            "/slow",
            get(|| async {
                let early = futures_util::stream::once(async {
                    Ok::<_, std::io::Error>(Bytes::from("early"))
                });
                let late = futures_util::stream::once(async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    Ok(Bytes::from("too late"))
                });
                Body::from_stream(early.chain(late))
            }),
        )
        .route("/hello", get(|| async { "hi" }))
}

fn streaming(options: LambdaOptions) -> Lambda {
    match runtime::connect_with(app(), options.invoke_mode(InvokeMode::ResponseStream)) {
        Ok(driver) => driver,
        Err(e) => panic!("{e}"),
    }
}

fn url_stream() -> LambdaOptions {
    LambdaOptions::new(Source::FunctionUrl)
}

/// A gate: the address to send the app, and the listener that opens it.
async fn gate() -> (String, tokio::net::TcpListener) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback listener");
    let addr = listener.local_addr().expect("its address").to_string();
    (addr, listener)
}

/// Lets the app through the gate once it is waiting there.
async fn open(listener: &tokio::net::TcpListener) -> Instant {
    let (mut socket, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("the app reached the gate")
        .expect("accepted the app's connection");
    socket.write_all(b"!").await.expect("opened the gate");
    Instant::now()
}

#[tokio::test]
async fn the_first_chunk_reaches_the_test_before_the_function_writes_the_last() {
    let client = Client::new(streaming(url_stream()));
    let (addr, listener) = gate().await;
    let mut stream = client.get("/gated").header("x-gate", &addr).stream().await;
    stream
        .assert_status(200)
        .assert_header("content-type", "text/plain");
    assert!(!stream.is_buffered(), "{:?}", stream.notes());
    assert_eq!(stream.protocol().as_str(), "function-url-stream");
    // The app cannot write `last` until the gate opens, and the gate opens
    // only after `first` has been read: a driver that buffers never
    // delivers `first` and this read times out.
    let first = stream.next_chunk().await.expect("the first chunk");
    assert_eq!(first.data, "first");
    let opened = open(&listener).await;
    let last = stream.next_chunk().await.expect("the last chunk");
    assert_eq!(last.data, "last");
    assert!(last.at > first.at, "{first:?} {last:?}");
    assert!(stream.next_chunk().await.is_none());
    assert!(opened.elapsed() < Duration::from_secs(10));
    // The same stream read whole by a buffering client of the URL.
    let (addr, listener) = gate().await;
    let release = tokio::spawn(async move { open(&listener).await });
    client
        .get("/gated")
        .header("x-gate", &addr)
        .await
        .assert_status(200)
        .assert_text("firstlast");
    release.await.expect("the gate task");
}

#[tokio::test]
async fn the_same_app_on_the_buffered_function_url_arrives_whole_with_a_buffered_note() {
    let client = Client::new(Lambda::new(app(), LambdaOptions::new(Source::FunctionUrl)));
    let (addr, listener) = gate().await;
    // Nothing arrives before the function is done, so the gate must open
    // first; it is opened as soon as the app waits at it.
    let release = tokio::spawn(async move { open(&listener).await });
    let mut stream = client.get("/gated").header("x-gate", &addr).stream().await;
    let head = Instant::now();
    let opened = release.await.expect("the gate task");
    // The head itself came only after the function wrote its last byte.
    assert!(opened <= head);
    assert!(stream.is_buffered(), "{:?}", stream.notes());
    let only = stream.next_chunk().await.expect("one chunk");
    assert_eq!(only.data, "firstlast");
    assert!(stream.next_chunk().await.is_none());
    assert_eq!(stream.chunks_received(), 1);
}

#[tokio::test]
async fn status_headers_and_cookies_come_from_the_streaming_prelude() {
    let client = Client::new(streaming(url_stream()));
    let stream = client.get("/prelude").stream().await;
    stream
        .assert_status(201)
        .assert_header("content-type", "text/plain; charset=utf-8");
    // The prelude's header map keeps repeated values (buffered payload 2.0
    // keeps only the first) and its cookies become Set-Cookie headers.
    let two: Vec<_> = stream.headers().get_all("x-two").iter().collect();
    assert_eq!(two, ["a", "b"]);
    let cookies: Vec<_> = stream.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["a=1; Path=/", "b=2; HttpOnly"]);
    assert!(
        stream
            .notes()
            .iter()
            .any(|n| n.code == "v2-set-cookie-in-cookies")
    );
    stream.collect().await.assert_text("created");
    // The buffered Function URL keeps one x-two.
    let buffered = Client::new(Lambda::new(app(), LambdaOptions::new(Source::FunctionUrl)));
    let response = buffered.get("/prelude").await;
    assert_eq!(response.headers().get_all("x-two").iter().count(), 1);
}

#[tokio::test]
async fn a_function_error_mid_stream_cuts_the_stream_after_what_was_sent() {
    let client = Client::new(streaming(url_stream()));
    let mut stream = client.get("/fails-midway").stream().await;
    stream.assert_status(200);
    assert_eq!(
        stream.next_chunk().await.expect("the partial body").data,
        "partial"
    );
    let error = stream
        .try_next_chunk()
        .await
        .expect_err("the stream was cut");
    assert!(error.to_string().contains("aborted"), "{error}");
    let note = stream
        .notes()
        .iter()
        .find(|n| n.code == "stream-function-error")
        .unwrap_or_else(|| panic!("no stream-function-error note in {:?}", stream.notes()));
    assert!(note.detail.contains("the database went away"), "{note}");
    // A buffering reader of the URL gets an error saying the stream was cut.
    let error = client
        .get("/fails-midway")
        .try_send()
        .await
        .expect_err("cut");
    assert!(error.to_string().contains("cut after 7 bytes"), "{error}");
    // The instance serves on.
    client
        .get("/hello")
        .await
        .assert_status(200)
        .assert_text("hi");
}

#[tokio::test]
async fn the_function_timeout_cuts_a_stream_mid_way_and_the_sandbox_is_replaced() {
    let timeout = Duration::from_millis(1500);
    let client = Client::new(streaming(
        url_stream()
            .function_timeout(timeout)
            .timeout(Duration::from_secs(10)),
    ));
    let started = Instant::now();
    let mut stream = client
        .get("/slow")
        .stream()
        .await
        .read_timeout(Duration::from_secs(10));
    assert_eq!(
        stream.next_chunk().await.expect("the early chunk").data,
        "early"
    );
    let error = stream
        .try_next_chunk()
        .await
        .expect_err("the stream was cut");
    let cut = started.elapsed();
    assert!(error.to_string().contains("aborted"), "{error}");
    assert!(cut >= timeout, "cut after {cut:?}");
    assert!(cut < timeout + Duration::from_secs(3), "cut after {cut:?}");
    assert!(
        stream.notes().iter().any(|n| n.code == "function-timeout"),
        "{:?}",
        stream.notes()
    );
    // Like Lambda after a timeout, the next request gets a fresh sandbox.
    client
        .get("/hello")
        .await
        .assert_status(200)
        .assert_text("hi");
}

#[tokio::test]
async fn after_the_first_6_mb_the_stream_is_capped_at_2_mb_per_second() {
    let client = Client::new(streaming(
        url_stream()
            .function_timeout(Duration::from_secs(30))
            .timeout(Duration::from_secs(30)),
    ));
    let total = 8 * 1024 * 1024;
    let mut stream = client
        .get("/big?mib=8")
        .stream()
        .await
        .read_timeout(Duration::from_secs(10));
    let mut uncapped_done = None;
    while let Some(chunk) = stream.next_chunk().await {
        if uncapped_done.is_none() && stream.bytes_received() as u64 >= STREAM_UNCAPPED_BYTES {
            uncapped_done = Some(chunk.at);
        }
    }
    assert_eq!(stream.bytes_received(), total);
    let (Some(from), Some(to)) = (uncapped_done, stream.time_to_last_byte()) else {
        panic!("the stream did not pass 6 MiB");
    };
    let after = (total as u64 - STREAM_UNCAPPED_BYTES) as f64;
    let rate = after / (to - from).as_secs_f64();
    eprintln!(
        "8 MiB streamed: first 6 MiB by {from:?}, the rest at {:.2} MB/s (cap {} B/s)",
        rate / 1e6,
        STREAM_BANDWIDTH
    );
    assert!(rate <= 2.3e6, "{rate} bytes/s after 6 MiB");
    assert!(
        rate >= 1.0e6,
        "{rate} bytes/s after 6 MiB: slower than the cap"
    );
    assert!(
        stream
            .notes()
            .iter()
            .any(|n| n.code == "stream-bandwidth-capped"),
        "{:?}",
        stream.notes()
    );
}

#[tokio::test]
async fn a_handler_panic_before_the_stream_is_the_function_urls_502() {
    let app = || {
        Router::new().route(
            "/panic",
            get(|| async {
                if std::hint::black_box(true) {
                    panic!("the handler exploded");
                }
                "unreachable"
            }),
        )
    };
    let options = url_stream()
        .invoke_mode(InvokeMode::ResponseStream)
        .function_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(30));
    let driver = match runtime::connect_with(app(), options) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let response = Client::new(driver).get("/panic").await;
    response.assert_status(502);
    assert!(
        response.notes().iter().any(|n| n.code == "handler-panic"),
        "{response}"
    );
}
