//! A local Lambda Runtime API on loopback: the three endpoints the runtime
//! loop polls and answers (`/2018-06-01/runtime/invocation/next`,
//! `.../{id}/response`, `.../{id}/error`, plus `/init/error`).
//!
//! Every endpoint of a test binary is accepted by one host thread with its
//! own current-thread runtime, started on first use: endpoints outlive any
//! test's runtime (see ARCHITECTURE.md on fixtures). Each function instance gets
//! its own listener, bound to `127.0.0.1:0` before its child process
//! starts, so the child's `AWS_LAMBDA_RUNTIME_API` is valid by
//! construction.
//!
//! # Where an invocation is served
//!
//! The host thread accepts each connection and reads nothing: it peeks at
//! the first request line. A connection whose first request is the
//! instance's own `GET /<secret>/.../invocation/next` (the runtime loop's
//! first poll, the end of its init phase) is handed to the instance
//! ([`Conns`]) and from then on served by whoever invokes: the invocation
//! polls the instance's connections itself, on the test's own runtime, until
//! the function's answer is in ([`await_reply`]), through [`Rehomed`], which
//! registers the socket with the runtime polling it. So an invocation
//! crosses no thread in this process: the test's thread writes the event
//! and reads the answer, and only the child's thread wakes between (the
//! host-thread design it replaces cost two more idle-thread wake-ups per
//! invocation, and its latency was bimodal between runs). A streamed answer
//! is served on by a task spawned on the same runtime until its body ends.
//! Invocations from no tokio runtime are served on the host thread, as any
//! connection that is not the instance's own first poll is (a forged one
//! is refused there).
//!
//! `/next` is a long poll: it waits for the driver's next invocation and
//! answers with the event and the headers the real service sends
//! (request id, deadline, function ARN, trace id). The function's answer
//! completes the invocation's one-shot channel.
//!
//! # Only its own instance gets in
//!
//! Any local process can connect to a loopback port, and an invocation
//! carries what the test sent (bearer tokens, cookies). So each endpoint
//! has a secret: 128 random bits (`random.rs`, the generator of the
//! socket servers' app ids), written as 32 hex digits into the path of
//! the child's `AWS_LAMBDA_RUNTIME_API`, which becomes
//! `http://127.0.0.1:<port>/<secret>`. lambda_runtime_api_client 1.1
//! takes that value as the base URI and prefixes every request's path
//! with its path (`set_origin`), so the real runtime loop, unchanged,
//! sends `/<secret>/2018-06-01/runtime/...`. A header could not carry it:
//! the runtime sets none of its own. The one visible difference from
//! Lambda, whose value is a bare `host:port`: code that builds Runtime API
//! URLs itself from the variable would have to accept a base URL.
//!
//! A request without the secret is refused with 403 before anything is
//! read from the queue: it gets no invocation and cannot post a reply.
//! A reply with the secret for a request id this endpoint did not hand
//! out (a guess, another instance's id, one already answered) is refused
//! with 400, as Lambda's Runtime API refuses an unknown id. Either way the
//! invocation waiting for the real answer is untouched, and the refusal
//! is recorded: the driver reports it on its next response as a
//! `runtime-api-refused` note and on stderr. Request ids are random
//! version 4 UUIDs, as Lambda's are (`clock.rs`).
//!
//! The secret keeps out every process that cannot read the child's
//! environment. A process of the same user can (`/proc/<pid>/environ`), as
//! it can read the test's memory: the boundary is the user, as for the
//! socket servers' mount ids.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::sync::{mpsc, oneshot};

use super::rehome::Rehomed;

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
    /// A streamed response (`Lambda-Runtime-Function-Response-Mode:
    /// streaming`), sent as soon as its prelude is in.
    Stream(Streamed),
}

/// A response the function is still streaming to `/response`.
#[derive(Debug)]
pub(crate) struct Streamed {
    /// The metadata prelude's JSON (statusCode, headers, cookies), or
    /// `None` when the response was not an HTTP integration response
    /// (no prelude: every byte is body).
    pub(crate) prelude: Option<Bytes>,
    /// The body as the function writes it; the channel closes after the
    /// last chunk.
    pub(crate) chunks: mpsc::Receiver<StreamItem>,
    /// Resolves once the function's request is answered (its body ended
    /// or broke): until then its connection must be served.
    finished: Option<oneshot::Receiver<()>>,
}

/// One piece of a streamed response.
#[derive(Debug)]
pub(crate) enum StreamItem {
    /// Body bytes, as they arrived.
    Data(Bytes),
    /// The function reported an error mid-stream (lambda_runtime 1.5 writes
    /// the `Lambda-Runtime-Function-Error-Type` / `-Body` lines as the
    /// last data chunk; real HTTP trailers are read too).
    Error { error_type: String, message: String },
    /// The function's connection broke before the body ended.
    Broken(String),
}

/// The header that says a response is streamed, as lambda_runtime 1.5
/// writes it (`requests.rs`, `EventCompletionRequest::into_req`).
const RESPONSE_MODE: &str = "lambda-runtime-function-response-mode";
/// The content type of a streamed HTTP response with a metadata prelude.
const HTTP_INTEGRATION: &str = "application/vnd.awslambda.http-integration-response";
/// How the prelude ends: eight NUL bytes.
const PRELUDE_END: &[u8; 8] = &[0; 8];
/// The most prelude bytes read while looking for its end (API Gateway
/// documents 16 KB for the same format; a Function URL's bound is not
/// documented, so this is generous).
const PRELUDE_LIMIT: usize = 1024 * 1024;
/// How lambda_runtime 1.5 starts its in-band error "trailer"
/// (`types.rs`, `ToStreamErrorTrailer::to_tailer`).
const ERROR_TYPE_LINE: &str = "Lambda-Runtime-Function-Error-Type: ";
const ERROR_BODY_LINE: &str = "Lambda-Runtime-Function-Error-Body: ";
/// Chunks in flight between the function and the client: small, so a
/// client that stops reading stops the function's writes (back pressure).
const STREAM_CHANNEL: usize = 4;

/// The driver's side of one function instance's Runtime API.
pub(crate) struct Endpoint {
    pub(crate) addr: SocketAddr,
    /// The path segment every request of this instance starts with.
    secret: String,
    /// What the endpoint refused since the driver last asked.
    refused: Arc<Mutex<Refused>>,
    /// The host thread's runtime, which outlives every test's: the
    /// function's child process is spawned and awaited there.
    pub(crate) host: tokio::runtime::Handle,
    pub(crate) invocations: mpsc::UnboundedSender<Pending>,
    /// Receives once, when the function's runtime loop first polls `/next`:
    /// the end of its init phase.
    pub(crate) initialized: std::sync::mpsc::Receiver<()>,
    /// The instance's own connections, served by whoever invokes.
    pub(crate) conns: Arc<Conns>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Endpoint {
    /// The child's `AWS_LAMBDA_RUNTIME_API`: the base URL, secret included.
    pub(crate) fn url(&self) -> String {
        format!("http://{}/{}", self.addr, self.secret)
    }

    /// The refusals recorded since the last call: how many, and the first
    /// few, oldest first.
    pub(crate) fn take_refusals(&self) -> (usize, Vec<String>) {
        let taken = std::mem::take(&mut *lock(&self.refused));
        (taken.count, taken.first)
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
    }
}

/// Refusals since the driver last asked: all counted, the first few kept,
/// so a process flooding the port cannot grow the test's memory.
#[derive(Default)]
struct Refused {
    count: usize,
    first: Vec<String>,
}

/// How many refusals are described in full per report.
const REFUSALS_KEPT: usize = 8;

pub(crate) struct State {
    secret: String,
    refused: Arc<Mutex<Refused>>,
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
    let secret = format!("{:032x}", crate::random::random_u128());
    let refused = Arc::new(Mutex::new(Refused::default()));
    let state = Arc::new(State {
        secret: secret.clone(),
        refused: Arc::clone(&refused),
        next: tokio::sync::Mutex::new(rx),
        waiting: Mutex::new(HashMap::new()),
        first_poll: Mutex::new(Some(init_tx)),
    });
    let host = host()?;
    ENDPOINT_STARTS.fetch_add(1, Ordering::Relaxed);
    let conns = Arc::new(Conns::new(Arc::clone(&state)));
    let _entered = host.enter();
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let handle = host.clone();
    let handed = Arc::clone(&conns);
    host.spawn(async move {
        loop {
            tokio::select! {
                _ = &mut stop_rx => break,
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let state = Arc::clone(&state);
                    let conns = Arc::clone(&handed);
                    tokio::spawn(async move {
                        if !first_poll(&stream, &state.secret).await {
                            // Served here, by the host thread.
                            serve_on_host(state, peer, stream).await;
                            return;
                        }
                        // A socket that cannot leave this runtime is lost:
                        // the runtime loop then fails and the instance is
                        // replaced.
                        if let Ok(socket) = stream.into_std() {
                            conns.arrive(socket);
                        }
                        let first = lock(&state.first_poll).take();
                        if let Some(initialized) = first {
                            let _ = initialized.send(());
                        }
                    });
                }
            }
        }
    });
    if !crate::fixture::quiet() {
        eprintln!(
            "crossdrive lambda-runtime: Runtime API endpoint {} listening on {addr}",
            ENDPOINT_STARTS.load(Ordering::Relaxed)
        );
    }
    Ok(Endpoint {
        addr,
        secret,
        refused,
        host: handle,
        invocations: tx,
        initialized: init_rx,
        conns,
        shutdown: Some(stop_tx),
    })
}

/// Serves a connection that is not the instance's handed-over one on the
/// host thread: a forged request, or the instance's from no tokio runtime.
async fn serve_on_host(state: Arc<State>, peer: SocketAddr, stream: tokio::net::TcpStream) {
    let service = hyper::service::service_fn(move |req| {
        let state = Arc::clone(&state);
        async move { Ok::<_, Infallible>(route(&state, peer, req).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(super::quickack::QuickAck(stream)), service)
        .await;
}

/// How long the host waits for a new connection's first request line.
const FIRST_LINE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// The most bytes looked at for it.
const FIRST_LINE_LIMIT: usize = 512;

/// Whether the first request on `stream` is this instance's runtime loop
/// polling for its next invocation: `GET /<secret>/2018-06-01/runtime/invocation/next`.
/// Peeks (nothing is consumed, so whoever serves the connection reads
/// the request whole), for at most [`FIRST_LINE_WAIT`].
async fn first_poll(stream: &tokio::net::TcpStream, secret: &str) -> bool {
    let mut buf = [0u8; FIRST_LINE_LIMIT];
    let looked = tokio::time::timeout(FIRST_LINE_WAIT, async {
        let mut seen = 0;
        loop {
            let n = stream.peek(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return None;
            }
            if let Some(end) = find(&buf[..n], b"\r\n") {
                return Some(end);
            }
            if n == buf.len() {
                return None;
            }
            if n == seen {
                // Part of a line: peeking again would return at once.
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            seen = n;
        }
    })
    .await;
    let Ok(Some(end)) = looked else {
        return false;
    };
    let Ok(line) = std::str::from_utf8(&buf[..end]) else {
        return false;
    };
    let mut words = line.split(' ');
    let (Some("GET"), Some(path)) = (words.next(), words.next()) else {
        return false;
    };
    has_secret(path, secret) == Some("/2018-06-01/runtime/invocation/next")
}

/// A function instance's own Runtime API connections: handed over by the
/// host thread as they arrive, served by the invocation that holds them.
pub(crate) struct Conns {
    state: Arc<State>,
    /// Handed over and not yet served, and the invocation to tell.
    arrived: Mutex<Arrived>,
    /// Being served; held by one invocation (or a streamed answer's task)
    /// at a time.
    served: Arc<tokio::sync::Mutex<Vec<Served>>>,
}

#[derive(Default)]
struct Arrived {
    sockets: Vec<std::net::TcpStream>,
    waker: Option<std::task::Waker>,
}

/// One connection's hyper server, however far it got.
type Served = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

impl Conns {
    fn new(state: Arc<State>) -> Self {
        Self {
            state,
            arrived: Mutex::new(Arrived::default()),
            served: Arc::new(tokio::sync::Mutex::new(Vec::new())),
        }
    }

    /// The host thread hands over a connection of the instance's own.
    fn arrive(&self, socket: std::net::TcpStream) {
        let mut arrived = lock(&self.arrived);
        arrived.sockets.push(socket);
        if let Some(waker) = arrived.waker.take() {
            waker.wake();
        }
    }

    /// A connection's hyper server over `socket`.
    fn serve(&self, socket: std::net::TcpStream) -> Option<Served> {
        let peer = socket.peer_addr().ok()?;
        let io = Rehomed::new(socket).ok()?;
        let state = Arc::clone(&self.state);
        let service = hyper::service::service_fn(move |req| {
            let state = Arc::clone(&state);
            async move { Ok::<_, Infallible>(route(&state, peer, req).await) }
        });
        let connection =
            hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(io), service);
        Some(Box::pin(async move {
            let _ = connection.await;
        }))
    }

    /// Serves every connection as far as it can go now; a finished one is
    /// dropped.
    fn poll_served(&self, served: &mut Vec<Served>, cx: &mut std::task::Context<'_>) {
        {
            let mut arrived = lock(&self.arrived);
            for socket in std::mem::take(&mut arrived.sockets) {
                served.extend(self.serve(socket));
            }
            if !arrived
                .waker
                .as_ref()
                .is_some_and(|w| w.will_wake(cx.waker()))
            {
                arrived.waker = Some(cx.waker().clone());
            }
        }
        served.retain_mut(|connection| connection.as_mut().poll(cx).is_pending());
    }
}

/// Waits for the function's answer to an invocation already queued,
/// serving the instance's connections meanwhile on the caller's runtime
/// (see the module docs); from no tokio runtime, on the host thread's.
pub(crate) async fn await_reply(
    conns: Arc<Conns>,
    host: &tokio::runtime::Handle,
    reply: oneshot::Receiver<Reply>,
) -> Result<Reply, oneshot::error::RecvError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return serve_until(conns, reply).await;
    }
    let mut task = AbortOnDrop(host.spawn(serve_until(conns, reply)));
    match (&mut task.0).await {
        Ok(reply) => reply,
        // Only an abort or a panic ends the task early: no answer.
        Err(_) => serve_until_gone().await,
    }
}

/// The answer of a task that ended without one.
async fn serve_until_gone() -> Result<Reply, oneshot::error::RecvError> {
    let (tx, rx) = oneshot::channel::<Reply>();
    drop(tx);
    rx.await
}

/// Aborts the host task serving an invocation whose caller gave up.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Serves the instance's connections until `reply` is in. A streamed
/// answer's connection is served on by a task on the same runtime until
/// the function's request ends.
async fn serve_until(
    conns: Arc<Conns>,
    mut reply: oneshot::Receiver<Reply>,
) -> Result<Reply, oneshot::error::RecvError> {
    // Another invocation may hold the connections: its serving may bring
    // this answer too.
    let mut served = tokio::select! {
        biased;
        answer = &mut reply => return answer,
        served = Arc::clone(&conns.served).lock_owned() => served,
    };
    let mut answer = std::future::poll_fn(|cx| {
        conns.poll_served(&mut served, cx);
        std::pin::Pin::new(&mut reply).poll(cx)
    })
    .await;
    if let Ok(Reply::Stream(streamed)) = &mut answer
        && let Some(mut finished) = streamed.finished.take()
    {
        tokio::spawn(async move {
            std::future::poll_fn(|cx| {
                conns.poll_served(&mut served, cx);
                std::pin::Pin::new(&mut finished).poll(cx).map(|_| ())
            })
            .await;
        });
    }
    answer
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

/// The name of the host thread, which spawns every function instance.
pub(crate) const HOST_THREAD: &str = "crossdrive-runtime-api";

pub(crate) fn host() -> std::io::Result<tokio::runtime::Handle> {
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
    let handle = crate::fixture::runtime_thread(HOST_THREAD)?;
    Ok(HOST.get_or_init(|| handle).clone())
}

type Answer = Response<Full<Bytes>>;

fn answer(status: StatusCode, body: impl Into<Bytes>) -> Answer {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

/// Whether `path` starts with `/<secret>/`, compared in constant time so
/// the answer's timing says nothing about how much of a guess was right.
pub(crate) fn has_secret<'p>(path: &'p str, secret: &str) -> Option<&'p str> {
    let given = path.strip_prefix('/')?;
    let (given, rest) = given.split_at_checked(secret.len())?;
    let differ = given
        .bytes()
        .zip(secret.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    (differ == 0).then_some(rest)
}

/// Records a refusal for the driver to report, and says it on stderr now:
/// a forged request is news the test must not miss.
fn refuse(state: &State, peer: SocketAddr, status: StatusCode, what: String) -> Answer {
    eprintln!("crossdrive lambda-runtime: the Runtime API refused {what} from {peer} ({status})");
    let mut refused = lock(&state.refused);
    refused.count += 1;
    if refused.first.len() < REFUSALS_KEPT {
        refused.first.push(format!("{what} from {peer}: {status}"));
    }
    drop(refused);
    answer(status, what)
}

async fn route(state: &State, peer: SocketAddr, request: Request<Incoming>) -> Answer {
    const PREFIX: &str = "/2018-06-01/runtime/";
    let path = request.uri().path().to_owned();
    let Some(rest) = has_secret(&path, &state.secret) else {
        let what = format!(
            "{} {path}, which does not carry this function instance's secret; only the \
             instance crossdrive started may use its Runtime API",
            request.method()
        );
        return refuse(state, peer, StatusCode::FORBIDDEN, what);
    };
    let Some(rest) = rest.strip_prefix(PREFIX) else {
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
            let streaming = kind == "response"
                && request
                    .headers()
                    .get(RESPONSE_MODE)
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"streaming"));
            if streaming {
                return stream_response(state, peer, &id, request).await;
            }
            let Some(reply) = lock(&state.waiting).remove(&id) else {
                return unknown_id(state, peer, &id, &kind);
            };
            let body = collect(request).await;
            let _ = reply.send(match kind.as_str() {
                "response" => Reply::Response(body),
                _ => Reply::Error(body),
            });
            answer(StatusCode::ACCEPTED, "")
        }
        _ => answer(StatusCode::NOT_FOUND, "unknown Runtime API path"),
    }
}

/// Refuses a reply for a request id this endpoint is not waiting on.
fn unknown_id(state: &State, peer: SocketAddr, id: &str, kind: &str) -> Answer {
    let what = format!(
        "a {kind} for request id `{}`, which this instance was not handed or already answered",
        id.escape_debug()
    );
    refuse(state, peer, StatusCode::BAD_REQUEST, what)
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
    invocation_headers(
        response.headers_mut(),
        &p.request_id,
        p.deadline_ms,
        &p.function_arn,
        &p.trace_id,
    );
    lock(&state.waiting).insert(p.request_id, p.reply);
    response
}

/// The headers the Runtime API sends with an event (`GET /next`), into
/// `headers`.
pub(super) fn invocation_headers(
    headers: &mut http::HeaderMap,
    request_id: &str,
    deadline_ms: u64,
    function_arn: &str,
    trace_id: &str,
) {
    for (name, value) in [
        ("lambda-runtime-aws-request-id", request_id),
        ("lambda-runtime-deadline-ms", &deadline_ms.to_string()),
        ("lambda-runtime-invoked-function-arn", function_arn),
        ("lambda-runtime-trace-id", trace_id),
    ] {
        if let Ok(value) = http::HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
}

/// Reads a streamed response: the prelude first, handed to the waiting
/// invocation as soon as it is complete, then every body chunk forwarded
/// as it arrives (nothing is collected). A client that went away leaves
/// the function streaming to nobody, as Lambda does: the rest is drained.
async fn stream_response(
    state: &State,
    peer: SocketAddr,
    id: &str,
    request: Request<Incoming>,
) -> Answer {
    let Some(reply) = lock(&state.waiting).remove(id) else {
        return unknown_id(state, peer, id, "response");
    };
    let with_prelude = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(HTTP_INTEGRATION.as_bytes()));
    let mut body = request.into_body();
    let (prelude, rest) = if with_prelude {
        match read_prelude(&mut body).await {
            Ok((prelude, rest)) => (Some(prelude), rest),
            Err(error) => {
                let _ = reply.send(Reply::Error(error));
                return answer(StatusCode::ACCEPTED, "");
            }
        }
    } else {
        (None, Bytes::new())
    };
    let (tx, rx) = mpsc::channel(STREAM_CHANNEL);
    // Dropped when this request is answered (or abandoned).
    let (_finished, finished) = oneshot::channel::<()>();
    let _ = reply.send(Reply::Stream(Streamed {
        prelude,
        chunks: rx,
        finished: Some(finished),
    }));
    let mut tx = Some(tx);
    if !rest.is_empty() {
        forward(&mut tx, StreamItem::Data(rest)).await;
    }
    forward_body(body, tx).await;
    answer(StatusCode::ACCEPTED, "")
}

/// The metadata prelude's JSON and the body bytes that came after it in
/// the same frames; the runtime's error JSON when there is no prelude.
async fn read_prelude(body: &mut Incoming) -> Result<(Bytes, Bytes), Bytes> {
    let mut head = Vec::new();
    loop {
        if let Some(at) = find(&head, PRELUDE_END) {
            let rest = Bytes::copy_from_slice(&head[at + PRELUDE_END.len()..]);
            head.truncate(at);
            return Ok((Bytes::from(std::mem::take(&mut head)), rest));
        }
        if head.len() > PRELUDE_LIMIT {
            return Err(error_json(
                "Runtime.InvalidStreamingResponse",
                &format!(
                    "no end of the metadata prelude (8 NUL bytes) in the first                          {PRELUDE_LIMIT} bytes of the streamed response"
                ),
            ));
        }
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    head.extend_from_slice(&data);
                }
            }
            Some(Err(e)) => {
                return Err(error_json(
                    "Runtime.StreamBroken",
                    &format!("the streamed response broke off before its prelude ended: {e}"),
                ));
            }
            None => {
                return Err(error_json(
                    "Runtime.InvalidStreamingResponse",
                    "the streamed response ended before its metadata prelude did (no 8 NUL \
                     bytes after the JSON)",
                ));
            }
        }
    }
}

/// Forwards the body after the prelude, chunk by chunk, and the function's
/// error, reported in trailers or in-band, as the stream's last item.
async fn forward_body(mut body: Incoming, mut tx: Option<mpsc::Sender<StreamItem>>) {
    // A chunk that may be lambda_runtime's in-band error report, held until
    // the body ends (then it is the error) or more data follows (then it
    // was body).
    let mut held: Option<Vec<u8>> = None;
    loop {
        match body.frame().await {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => forward_data(&mut tx, &mut held, data).await,
                Err(frame) => forward_trailers(&mut tx, frame).await,
            },
            Some(Err(e)) => {
                if let Some(h) = held.take() {
                    forward(&mut tx, StreamItem::Data(Bytes::from(h))).await;
                }
                forward(
                    &mut tx,
                    StreamItem::Broken(format!("the function's streamed response broke off: {e}")),
                )
                .await;
                break;
            }
            None => {
                forward_held(&mut tx, held).await;
                break;
            }
        }
    }
}

/// A body chunk: forwarded, or held while it may be the in-band error report.
async fn forward_data(
    tx: &mut Option<mpsc::Sender<StreamItem>>,
    held: &mut Option<Vec<u8>>,
    data: Bytes,
) {
    if let Some(h) = held {
        h.extend_from_slice(&data);
        if parse_error_tail(h).is_none() && h.len() > 64 * 1024 {
            forward(tx, StreamItem::Data(Bytes::from(std::mem::take(h)))).await;
            *held = None;
        }
    } else if data.starts_with(ERROR_TYPE_LINE.as_bytes()) {
        *held = Some(data.to_vec());
    } else {
        forward(tx, StreamItem::Data(data)).await;
    }
}

/// The trailers lambda_runtime reports a function error in, if they do.
async fn forward_trailers(
    tx: &mut Option<mpsc::Sender<StreamItem>>,
    frame: hyper::body::Frame<Bytes>,
) {
    if let Ok(trailers) = frame.into_trailers()
        && let Some(kind) = trailers.get("lambda-runtime-function-error-type")
    {
        let message = trailers
            .get("lambda-runtime-function-error-body")
            .map(|b| decode_error_body(b.as_bytes()))
            .unwrap_or_default();
        forward(
            tx,
            StreamItem::Error {
                error_type: String::from_utf8_lossy(kind.as_bytes()).into_owned(),
                message,
            },
        )
        .await;
    }
}

/// At the end of the body: the held chunk, as the error it reports or as body.
async fn forward_held(tx: &mut Option<mpsc::Sender<StreamItem>>, held: Option<Vec<u8>>) {
    if let Some(h) = held {
        match parse_error_tail(&h) {
            Some((error_type, message)) => {
                forward(
                    tx,
                    StreamItem::Error {
                        error_type,
                        message,
                    },
                )
                .await;
            }
            None => forward(tx, StreamItem::Data(Bytes::from(h))).await,
        }
    }
}

/// Hands `item` to the client, unless it went away: then the function
/// streams on, to nobody, as in Lambda.
async fn forward(tx: &mut Option<mpsc::Sender<StreamItem>>, item: StreamItem) {
    if let Some(sender) = tx
        && sender.send(item).await.is_err()
    {
        *tx = None;
    }
}

/// lambda_runtime 1.5's in-band error report, exactly:
/// `Lambda-Runtime-Function-Error-Type: <type>\r\nLambda-Runtime-Function-Error-Body: <base64>\r\n`.
fn parse_error_tail(data: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(data).ok()?;
    let rest = text.strip_prefix(ERROR_TYPE_LINE)?;
    let (error_type, rest) = rest.split_once("\r\n")?;
    let body = rest.strip_prefix(ERROR_BODY_LINE)?.strip_suffix("\r\n")?;
    if body.contains("\r\n") || error_type.is_empty() {
        return None;
    }
    Some((error_type.to_owned(), decode_error_body(body.as_bytes())))
}

/// The error body, base64 as lambda_runtime writes it (raw text otherwise).
fn decode_error_body(body: &[u8]) -> String {
    use base64::Engine as _;
    match base64::engine::general_purpose::STANDARD.decode(body) {
        Ok(decoded) => String::from_utf8_lossy(&decoded).into_owned(),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

fn error_json(error_type: &str, message: &str) -> Bytes {
    Bytes::from(serde_json::json!({ "errorType": error_type, "errorMessage": message }).to_string())
}

/// Where `needle` first occurs in `haystack`.
pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn collect(request: Request<Incoming>) -> Bytes {
    request
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default()
}

/// A lock whose holder's panic does not poison the Runtime API.
pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_path_that_starts_with_the_whole_secret_gets_in() {
        let secret = "0123456789abcdef0123456789abcdef";
        let next = "/2018-06-01/runtime/invocation/next";
        assert_eq!(has_secret(&format!("/{secret}{next}"), secret), Some(next));
        assert_eq!(has_secret(next, secret), None);
        assert_eq!(
            has_secret(&format!("/{}{next}", &secret[..31]), secret),
            None
        );
        assert_eq!(
            has_secret(&format!("/{}x{next}", &secret[..31]), secret),
            None
        );
        assert_eq!(has_secret("/", secret), None);
        assert_eq!(has_secret("", secret), None);
    }

    #[test]
    fn a_flood_of_refusals_is_all_counted_but_only_the_first_few_are_kept() {
        let (_invocations, next) = mpsc::unbounded_channel();
        let refused = Arc::new(Mutex::new(Refused::default()));
        let state = State {
            secret: "0123456789abcdef0123456789abcdef".to_owned(),
            refused: Arc::clone(&refused),
            next: tokio::sync::Mutex::new(next),
            waiting: Mutex::new(HashMap::new()),
            first_poll: Mutex::new(None),
        };
        let peer = SocketAddr::from(([127, 0, 0, 1], 1));
        for i in 0..1000 {
            let answer = refuse(&state, peer, StatusCode::FORBIDDEN, format!("probe {i}"));
            assert_eq!(answer.status(), StatusCode::FORBIDDEN);
        }
        let refused = lock(&refused);
        assert_eq!(refused.count, 1000);
        assert_eq!(refused.first.len(), REFUSALS_KEPT);
        assert!(
            refused.first[0].starts_with("probe 0 from 127.0.0.1:1"),
            "{:?}",
            refused.first
        );
    }

    #[test]
    fn lambda_runtimes_in_band_error_report_is_recognised_exactly() {
        // What lambda_runtime 1.5 `to_tailer` writes for the error "boom".
        let tail = b"Lambda-Runtime-Function-Error-Type: Runtime.StreamError\r\n\
                     Lambda-Runtime-Function-Error-Body: Ym9vbQ==\r\n";
        assert_eq!(
            parse_error_tail(tail),
            Some(("Runtime.StreamError".to_owned(), "boom".to_owned()))
        );
        // Body text that merely starts the same way is body.
        assert_eq!(
            parse_error_tail(b"Lambda-Runtime-Function-Error-Type: x"),
            None
        );
        assert_eq!(
            parse_error_tail(b"Lambda-Runtime-Function-Error-Type: a\r\nmore\r\n"),
            None
        );
    }
}
