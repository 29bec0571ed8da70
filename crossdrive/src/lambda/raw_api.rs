//! `raw-runtime-api`: the bench floor of the child-process Lambda drivers
//! (`lambda-runtime`, `lambda-url-stream`), the least a Runtime API round
//! trip with a function in a child process costs.
//!
//! Both halves are as small as the protocol allows:
//!
//! - **the function** is this binary re-executed, as the drivers' is (the
//!   bench calls `serve_if_child` first thing; [`CHILD_ENV`] set to
//!   [`FLOOR_CHILD`] picks this loop), with the same sandboxed environment.
//!   It keeps one raw hyper `client::conn` HTTP/1.1 connection (no pool, no
//!   lambda_runtime loop, layers or tracing) and per invocation does what
//!   no Rust function can skip: `GET /next`, the event deserialized into
//!   lambda_http's `LambdaRequest` and the app called through lambda_http's
//!   `Adapter` (or its `StreamAdapter`), the answer posted to
//!   `/{id}/response` in one write: the response JSON, or for a streaming
//!   deployment the metadata prelude, eight NUL bytes and the body, chunked,
//!   as the streaming protocol has it. The app runs per invocation because
//!   bench scenarios vary their requests and keep state, and the bench
//!   checks every answer: a response computed once could not be the app's.
//!   So this floor is the bare adapter (`bare-adapter`) split across a
//!   process boundary by the cheapest Runtime API exchange.
//! - **the parent** builds the event as the drivers do (with one fixed
//!   invocation, as `bare-adapter` does), serves the child's one connection
//!   with a raw hyper server connection on the bench's own runtime (where
//!   the drivers serve theirs, `rehome.rs`), and decodes the answer as the
//!   drivers do. No limits, timeouts, guards, notes or replacement.
//!
//! The child dies with the bench (the drivers' parent-death signal, spawned
//! from the Runtime API host thread) and is killed when the floor drops.
//! The connection is the only one accepted; its requests must carry the
//! per-floor secret in their path, as the drivers' do.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::process::Command;
use tokio::sync::{mpsc, oneshot};

use super::clock::Invocation;
use super::options::LambdaOptions;
use super::rehome::Rehomed;
use super::runtime::{self, Spawned};
use super::runtime_api::{self, find, has_secret, invocation_headers, lock};
use super::{event, stream};
use crate::{Error, ErrorKind};

/// The floor's name in bench reports.
const NAME: &str = "raw-runtime-api";

/// The value of the child marker that runs this floor's function.
pub(crate) const FLOOR_CHILD: &str = "raw-runtime-api";

/// The header that marks a streamed answer, as lambda_runtime writes it.
const RESPONSE_MODE: &str = "lambda-runtime-function-response-mode";
/// A streamed HTTP answer's content type (prelude, 8 NUL bytes, body).
const HTTP_INTEGRATION: &str = "application/vnd.awslambda.http-integration-response";

/// How long the child may take to connect: Lambda's init phase limit.
const INIT_LIMIT: Duration = Duration::from_secs(10);

/// The floor: a minimal function in a child process behind a minimal
/// Runtime API served on the caller's runtime.
pub(crate) struct RawRuntimeApi {
    options: LambdaOptions,
    invocation: Invocation,
    events: mpsc::UnboundedSender<(Bytes, oneshot::Sender<Answer>)>,
    /// The child's connection, served by the exchange that holds it;
    /// `None` once it ended.
    connection: tokio::sync::Mutex<Option<Served>>,
    child: Spawned,
}

/// What the function posted: the buffered response JSON, or a streamed
/// answer's body whole.
enum Answer {
    Buffered(Bytes),
    Streamed(Bytes),
}

type Served = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

impl std::fmt::Debug for RawRuntimeApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRuntimeApi")
            .field("source", &self.options.source)
            .field("pid", &self.child.pid)
            .finish_non_exhaustive()
    }
}

impl Drop for RawRuntimeApi {
    fn drop(&mut self) {
        self.child.stop();
    }
}

impl RawRuntimeApi {
    /// Starts the floor's function for `options`: this binary re-run with
    /// no arguments (it must call `serve_if_child` first, as the bench
    /// does). Blocks until the child connected, at most Lambda's 10 s init
    /// limit.
    pub(crate) fn start(options: &LambdaOptions) -> Result<Self, Error> {
        Self::start_with_args(options, &[])
    }

    /// [`start`](Self::start), the child re-run with `args` (a test re-runs
    /// itself by name).
    fn start_with_args(options: &LambdaOptions, args: &[&str]) -> Result<Self, Error> {
        let fail = |cause: String| {
            Error::without_request(ErrorKind::Connection, NAME, cause).with_hint(
                "the bench re-runs itself as the floor's function; its main must call \
                 crossdrive::lambda::runtime::serve_if_child first (bench_main! does)",
            )
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| fail(format!("cannot bind the floor's Runtime API ({e})")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| fail(format!("cannot read the floor's address ({e})")))?;
        let secret = format!("{:032x}", crate::random::random_u128());
        let exe = std::env::current_exe()
            .map_err(|e| fail(format!("cannot find the current executable ({e})")))?;
        let mut command = Command::new(exe);
        command.args(args);
        runtime::environment(&mut command, options, &format!("http://{addr}/{secret}"));
        command
            .env(runtime::CHILD_ENV, FLOOR_CHILD)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit());
        let host = runtime_api::host()
            .map_err(|e| fail(format!("cannot start the Runtime API host thread ({e})")))?;
        let mut child = runtime::spawn(command, &host)
            .map_err(|e| fail(format!("cannot start the floor's child process ({e})")))?;
        let socket = match accept(&listener, &child) {
            Ok(socket) => socket,
            Err(cause) => {
                child.stop();
                return Err(fail(cause));
            }
        };
        // The one connection is in: nobody else can connect from now on.
        drop(listener);
        let invocation = Invocation::now();
        let (events, queue) = mpsc::unbounded_channel();
        let state = Arc::new(State {
            secret,
            headers: next_headers(options, &invocation),
            queue: tokio::sync::Mutex::new(queue),
            waiting: Mutex::new(None),
        });
        let connection = match serve(socket, state) {
            Ok(connection) => connection,
            Err(e) => {
                child.stop();
                return Err(fail(format!("cannot serve the floor's connection ({e})")));
            }
        };
        Ok(Self {
            options: options.clone(),
            invocation,
            events,
            connection: tokio::sync::Mutex::new(Some(connection)),
            child,
        })
    }

    /// One round trip: the event built, served to the child, its answer
    /// decoded.
    pub(crate) async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        let fail = |cause: String| {
            Error::new(
                ErrorKind::Adapter,
                NAME,
                request.method(),
                request.uri(),
                cause,
            )
        };
        let mut notes = Vec::new();
        let event = event::build(&request, &self.options, &self.invocation, &mut notes);
        let (reply, mut answer) = oneshot::channel();
        self.events
            .send((Bytes::from(event), reply))
            .map_err(|_| fail("the floor's Runtime API is gone".into()))?;
        let mut connection = self.connection.lock().await;
        let answer = std::future::poll_fn(|cx| {
            use std::future::Future as _;
            use std::task::Poll;
            if let Some(served) = connection.as_mut()
                && served.as_mut().poll(cx).is_ready()
            {
                *connection = None;
            }
            match std::pin::Pin::new(&mut answer).poll(cx) {
                Poll::Ready(Ok(answer)) => Poll::Ready(Some(answer)),
                Poll::Ready(Err(_)) => Poll::Ready(None),
                Poll::Pending if connection.is_none() => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
        .ok_or_else(|| {
            let exited = if self.child.has_exited() {
                " (it exited)"
            } else {
                ""
            };
            fail(format!(
                "the floor's function closed its connection{exited}"
            ))
        })?;
        drop(connection);
        match answer {
            Answer::Buffered(json) => {
                event::decode(&json, request.headers(), &self.options, &mut notes)
                    .map_err(|refused| fail(refused.reason))
            }
            Answer::Streamed(body) => {
                let at = find(&body, &[0; 8])
                    .ok_or_else(|| fail("the streamed answer has no end of its prelude".into()))?;
                let (status, headers) =
                    stream::decode_prelude(&body[..at], &mut notes).map_err(fail)?;
                let mut response = Response::new(body.slice(at + 8..));
                *response.status_mut() = status;
                *response.headers_mut() = headers;
                Ok(response)
            }
        }
    }
}

/// Accepts the child's connection, waiting at most [`INIT_LIMIT`] and no
/// longer than the child lives.
fn accept(
    listener: &std::net::TcpListener,
    child: &Spawned,
) -> Result<std::net::TcpStream, String> {
    let started = Instant::now();
    loop {
        match listener.accept() {
            Ok((socket, _)) => return Ok(socket),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(format!("cannot accept the floor's function ({e})")),
        }
        if child.has_exited() {
            return Err("the floor's function exited before it connected".to_owned());
        }
        if started.elapsed() > INIT_LIMIT {
            return Err(format!(
                "the floor's function did not connect within {INIT_LIMIT:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The parent's side of the floor's one connection.
struct State {
    secret: String,
    headers: http::HeaderMap,
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<(Bytes, oneshot::Sender<Answer>)>>,
    waiting: Mutex<Option<oneshot::Sender<Answer>>>,
}

/// The headers the Runtime API sends with each event (one fixed
/// invocation, as `bare-adapter` has).
fn next_headers(options: &LambdaOptions, invocation: &Invocation) -> http::HeaderMap {
    let deadline = invocation.epoch_ms
        + u64::try_from(options.function_timeout.as_millis()).unwrap_or(u64::MAX);
    let mut headers = http::HeaderMap::new();
    invocation_headers(
        &mut headers,
        &invocation.request_id,
        deadline,
        &options.function_arn(),
        &invocation.trace_id,
    );
    headers
}

/// A raw hyper server connection over the child's socket.
fn serve(socket: std::net::TcpStream, state: Arc<State>) -> std::io::Result<Served> {
    let io = Rehomed::new(socket)?;
    let service = hyper::service::service_fn(move |request| {
        let state = Arc::clone(&state);
        async move { Ok::<_, std::convert::Infallible>(route(&state, request).await) }
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(io), service);
    Ok(Box::pin(async move {
        let _ = connection.await;
    }))
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = code;
    response
}

/// `GET /next` and `POST /{id}/response`, nothing else.
async fn route(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let Some(rest) = has_secret(request.uri().path(), &state.secret) else {
        return status(StatusCode::FORBIDDEN);
    };
    let next = rest == "/2018-06-01/runtime/invocation/next";
    match *request.method() {
        Method::GET if next => {
            let Some((event, reply)) = state.queue.lock().await.recv().await else {
                return status(StatusCode::GONE);
            };
            *lock(&state.waiting) = Some(reply);
            let mut response = Response::new(Full::new(event));
            *response.headers_mut() = state.headers.clone();
            response
        }
        Method::POST if rest.ends_with("/response") => {
            let streamed = request
                .headers()
                .get(RESPONSE_MODE)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"streaming"));
            let Ok(body) = request.into_body().collect().await else {
                return status(StatusCode::BAD_REQUEST);
            };
            let body = body.to_bytes();
            if let Some(reply) = lock(&state.waiting).take() {
                let _ = reply.send(if streamed {
                    Answer::Streamed(body)
                } else {
                    Answer::Buffered(body)
                });
            }
            status(StatusCode::ACCEPTED)
        }
        _ => status(StatusCode::NOT_FOUND),
    }
}

/// In the floor's child: polls the parent and answers through the app
/// until the parent goes. Returns the process's exit code.
pub(crate) fn serve_child(app: Router) -> i32 {
    // Its own thread and runtime, wherever it is called from.
    let outcome = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        match runtime {
            Ok(rt) => rt.block_on(function_loop(app)),
            Err(e) => Err(format!("cannot build a runtime ({e})")),
        }
    })
    .join()
    .unwrap_or_else(|_| Err("its loop panicked".to_owned()));
    match outcome {
        // The parent went away: the floor was dropped.
        Ok(()) => 0,
        Err(e) => {
            eprintln!("crossdrive raw-runtime-api child: {e}");
            3
        }
    }
}

type ClientBody = http_body_util::Either<
    Full<Bytes>,
    http_body_util::StreamBody<
        futures_util::stream::Iter<
            std::iter::Once<Result<hyper::body::Frame<Bytes>, std::convert::Infallible>>,
        >,
    >,
>;

/// The minimal function: one connection, `GET /next`, the app through
/// lambda_http's adapter, `POST /{id}/response`, again.
async fn function_loop(app: Router) -> Result<(), String> {
    use lambda_http::Service as _;
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .map_err(|_| "AWS_LAMBDA_RUNTIME_API is not set".to_owned())?;
    let rest = api.strip_prefix("http://").unwrap_or(&api);
    let (authority, base) = rest.split_once('/').unwrap_or((rest, ""));
    let streaming = std::env::var_os(runtime::STREAM_ENV).is_some();
    let config = Arc::new(lambda_http::lambda_runtime::Config::from_env());
    let socket = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("cannot connect to {authority} ({e})"))?;
    let _ = socket.set_nodelay(true);
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, ClientBody>(TokioIo::new(socket))
            .await
            .map_err(|e| format!("HTTP/1.1 handshake failed ({e})"))?;
    tokio::spawn(connection);
    let function = super::function::Function::new(app.clone(), None);
    let next_uri = format!("/{base}/2018-06-01/runtime/invocation/next");
    loop {
        let next = Request::get(&next_uri)
            .header(http::header::HOST, authority)
            .body(ClientBody::Left(Full::new(Bytes::new())))
            .map_err(|e| e.to_string())?;
        // The parent closing the connection is the end.
        let Ok(event) = sender.send_request(next).await else {
            return Ok(());
        };
        let (parts, body) = event.into_parts();
        if parts.status != StatusCode::OK {
            return Ok(());
        }
        let event = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        let id = parts
            .headers
            .get("lambda-runtime-aws-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let context = lambda_http::Context::new(&id, Arc::clone(&config), &parts.headers)
            .map_err(|e| e.to_string())?;
        let uri = format!("/{base}/2018-06-01/runtime/invocation/{id}/response");
        let post = Request::post(uri).header(http::header::HOST, authority);
        let post = if streaming {
            let payload: lambda_http::request::LambdaRequest =
                serde_json::from_slice(&event).map_err(|e| e.to_string())?;
            let answer = lambda_http::StreamAdapter::from(app.clone())
                .call(lambda_http::LambdaEvent::new(payload, context))
                .await;
            let Ok(answer) = answer;
            let mut body =
                serde_json::to_vec(&answer.metadata_prelude).map_err(|e| e.to_string())?;
            body.extend_from_slice(&[0; 8]);
            let mut stream = answer.stream;
            while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
                body.extend_from_slice(&chunk.map_err(|e| e.to_string())?);
            }
            let frame = Ok(hyper::body::Frame::data(Bytes::from(body)));
            post.header(RESPONSE_MODE, "streaming")
                .header(http::header::CONTENT_TYPE, HTTP_INTEGRATION)
                .body(ClientBody::Right(http_body_util::StreamBody::new(
                    futures_util::stream::iter(std::iter::once(frame)),
                )))
        } else {
            let json = function
                .invoke_bare(&event, context)
                .await
                .ok_or("the app's response could not be serialized")?;
            post.body(ClientBody::Left(Full::new(Bytes::from(json))))
        }
        .map_err(|e| e.to_string())?;
        let Ok(accepted) = sender.send_request(post).await else {
            return Ok(());
        };
        let _ = accepted.into_body().collect().await;
    }
}

/// The floor for a deployment's `options`, as its `Floor` value.
pub(crate) fn floor(options: &LambdaOptions) -> Result<crate::registry::Floor, Error> {
    Ok(crate::registry::Floor::RawRuntimeApi(Box::new(
        RawRuntimeApi::start(options)?,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lambda::{InvokeMode, Source};

    fn app() -> Router {
        use axum::routing::get;
        Router::new().route(
            "/hello/{name}",
            get(
                |axum::extract::Path(name): axum::extract::Path<String>| async move {
                    (
                        StatusCode::CREATED,
                        [("x-served-by", std::process::id().to_string())],
                        format!("hello {name}"),
                    )
                },
            ),
        )
    }

    /// The floor for `options`, its child re-running the test `name`.
    fn floor(options: &LambdaOptions, name: &str) -> RawRuntimeApi {
        runtime::serve_if_child(app);
        let args = ["--exact", name, "--nocapture", "--test-threads=1"];
        RawRuntimeApi::start_with_args(options, &args).unwrap()
    }

    fn check_answers_from_a_child(floor: &RawRuntimeApi) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let child = floor.child.pid.unwrap();
        assert_ne!(child, std::process::id());
        for name in ["ada", "grace"] {
            let request = Request::get(format!("/hello/{name}"))
                .body(Bytes::new())
                .unwrap();
            let response = rt.block_on(floor.exchange(request)).unwrap();
            assert_eq!(response.status(), StatusCode::CREATED);
            assert_eq!(response.body(), &format!("hello {name}"));
            // The app ran in the child process, not here.
            assert_eq!(
                response.headers()["x-served-by"],
                child.to_string().as_str()
            );
        }
    }

    #[test]
    fn the_floor_answers_as_the_app_does_from_a_child_process() {
        let floor = floor(
            &LambdaOptions::new(Source::HttpApi),
            "lambda::raw_api::tests::the_floor_answers_as_the_app_does_from_a_child_process",
        );
        check_answers_from_a_child(&floor);
    }

    #[test]
    fn the_streaming_floor_answers_with_a_prelude_from_a_child_process() {
        let options =
            LambdaOptions::new(Source::FunctionUrl).invoke_mode(InvokeMode::ResponseStream);
        let floor = floor(
            &options,
            "lambda::raw_api::tests::the_streaming_floor_answers_with_a_prelude_from_a_child_process",
        );
        check_answers_from_a_child(&floor);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_floors_child_is_gone_once_the_floor_is_dropped() {
        let floor = floor(
            &LambdaOptions::new(Source::HttpApi),
            "lambda::raw_api::tests::the_floors_child_is_gone_once_the_floor_is_dropped",
        );
        let proc = format!("/proc/{}", floor.child.pid.unwrap());
        assert!(std::path::Path::new(&proc).exists());
        drop(floor);
        assert!(
            !std::path::Path::new(&proc).exists(),
            "{proc} outlived the floor"
        );
    }
}
