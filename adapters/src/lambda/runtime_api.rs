//! A local Lambda Runtime API on loopback: the three endpoints the runtime
//! loop polls and answers (`/2018-06-01/runtime/invocation/next`,
//! `.../{id}/response`, `.../{id}/error`, plus `/init/error`).
//!
//! Every endpoint of a test binary is served by one host thread with its
//! own current-thread runtime, started on first use: endpoints outlive any
//! test's runtime (see ARCHITECTURE.md on fixtures). Each function instance gets
//! its own listener, bound to `127.0.0.1:0` before its child process
//! starts, so the child's `AWS_LAMBDA_RUNTIME_API` is valid by
//! construction.
//!
//! `/next` is a long poll: it waits for the driver's next invocation and
//! answers with the event and the headers the real service sends
//! (request id, deadline, function ARN, trace id). The function's answer
//! completes the invocation's one-shot channel.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::sync::{mpsc, oneshot};

/// One invocation waiting for the function.
pub(crate) struct Pending {
    pub(crate) request_id: String,
    pub(crate) deadline_ms: u64,
    pub(crate) function_arn: String,
    pub(crate) trace_id: String,
    pub(crate) event: Bytes,
    pub(crate) reply: oneshot::Sender<Reply>,
}

/// What the function answered.
#[derive(Debug)]
pub(crate) enum Reply {
    /// The response JSON posted to `/response`.
    Response(Bytes),
    /// The error JSON posted to `/error` or `/init/error`.
    Error(Bytes),
}

/// The driver's side of one function instance's Runtime API.
pub(crate) struct Endpoint {
    pub(crate) addr: SocketAddr,
    /// The host thread's runtime, which outlives every test's: the
    /// function's child process is spawned and awaited there.
    pub(crate) host: tokio::runtime::Handle,
    pub(crate) invocations: mpsc::UnboundedSender<Pending>,
    /// Receives once, when the function's runtime loop first polls `/next`:
    /// the end of its init phase.
    pub(crate) initialized: std::sync::mpsc::Receiver<()>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
    }
}

struct State {
    next: tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Reply>>>,
    first_poll: Mutex<Option<std::sync::mpsc::Sender<()>>>,
}

/// Binds a new endpoint on loopback and serves it on the host thread.
pub(crate) fn start() -> std::io::Result<Endpoint> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let (tx, rx) = mpsc::unbounded_channel();
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let (init_tx, init_rx) = std::sync::mpsc::channel();
    let state = Arc::new(State {
        next: tokio::sync::Mutex::new(rx),
        waiting: Mutex::new(HashMap::new()),
        first_poll: Mutex::new(Some(init_tx)),
    });
    let host = host()?;
    ENDPOINT_STARTS.fetch_add(1, Ordering::Relaxed);
    let _entered = host.enter();
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let handle = host.clone();
    host.spawn(async move {
        loop {
            tokio::select! {
                _ = &mut stop_rx => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let state = Arc::clone(&state);
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let state = Arc::clone(&state);
                            async move { Ok::<_, Infallible>(route(&state, req).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        }
    });
    if !crossdrive::fixture::quiet() {
        eprintln!(
            "crossdrive lambda-runtime: Runtime API endpoint {} listening on {addr}",
            ENDPOINT_STARTS.load(Ordering::Relaxed)
        );
    }
    Ok(Endpoint {
        addr,
        host: handle,
        invocations: tx,
        initialized: init_rx,
        shutdown: Some(stop_tx),
    })
}

static HOST_STARTS: AtomicUsize = AtomicUsize::new(0);
static ENDPOINT_STARTS: AtomicUsize = AtomicUsize::new(0);

/// How many Runtime API host threads and endpoints this process started.
pub(crate) fn starts() -> (usize, usize) {
    (
        HOST_STARTS.load(Ordering::Relaxed),
        ENDPOINT_STARTS.load(Ordering::Relaxed),
    )
}

fn host() -> std::io::Result<tokio::runtime::Handle> {
    static HOST: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    static STARTING: Mutex<()> = Mutex::new(());
    if let Some(handle) = HOST.get() {
        return Ok(handle.clone());
    }
    // One host per process: a second caller waits for the first.
    let _starting = lock(&STARTING);
    if let Some(handle) = HOST.get() {
        return Ok(handle.clone());
    }
    HOST_STARTS.fetch_add(1, Ordering::Relaxed);
    let handle = crossdrive::fixture::runtime_thread("crossdrive-runtime-api")?;
    Ok(HOST.get_or_init(|| handle).clone())
}

type Answer = Response<Full<Bytes>>;

fn answer(status: StatusCode, body: impl Into<Bytes>) -> Answer {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

async fn route(state: &State, request: Request<Incoming>) -> Answer {
    const PREFIX: &str = "/2018-06-01/runtime/";
    let path = request.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return answer(StatusCode::NOT_FOUND, "not a Runtime API path");
    };
    match (request.method(), rest) {
        (&Method::GET, "invocation/next") => next(state).await,
        (&Method::POST, "init/error") => {
            let body = collect(request).await;
            // An init error fails whatever is waiting, as the real service does.
            let waiting: Vec<_> = lock(&state.waiting).drain().collect();
            for (_, reply) in waiting {
                let _ = reply.send(Reply::Error(body.clone()));
            }
            answer(StatusCode::ACCEPTED, "")
        }
        (&Method::POST, rest) => {
            let Some((id, kind)) = rest
                .strip_prefix("invocation/")
                .and_then(|r| r.split_once('/'))
            else {
                return answer(StatusCode::NOT_FOUND, "unknown Runtime API path");
            };
            let id = id.to_owned();
            let kind = kind.to_owned();
            let body = collect(request).await;
            let Some(reply) = lock(&state.waiting).remove(&id) else {
                return answer(StatusCode::BAD_REQUEST, "unknown or finished request id");
            };
            let _ = reply.send(match kind.as_str() {
                "response" => Reply::Response(body),
                _ => Reply::Error(body),
            });
            answer(StatusCode::ACCEPTED, "")
        }
        _ => answer(StatusCode::NOT_FOUND, "unknown Runtime API path"),
    }
}

async fn next(state: &State) -> Answer {
    let first = state
        .first_poll
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    if let Some(initialized) = first {
        let _ = initialized.send(());
    }
    let pending = state.next.lock().await.recv().await;
    let Some(p) = pending else {
        // The driver is gone: the instance shuts down.
        return answer(StatusCode::GONE, "the crossdrive driver was dropped");
    };
    let mut response = answer(StatusCode::OK, p.event);
    let headers = response.headers_mut();
    for (name, value) in [
        ("lambda-runtime-aws-request-id", p.request_id.clone()),
        ("lambda-runtime-deadline-ms", p.deadline_ms.to_string()),
        ("lambda-runtime-invoked-function-arn", p.function_arn),
        ("lambda-runtime-trace-id", p.trace_id),
    ] {
        if let Ok(value) = http::HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    lock(&state.waiting).insert(p.request_id, p.reply);
    response
}

async fn collect(request: Request<Incoming>) -> Bytes {
    request
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
