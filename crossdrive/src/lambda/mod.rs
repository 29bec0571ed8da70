//! The Lambda drivers: a faithful AWS Lambda round trip through
//! lambda_http, one driver per HTTP event source.
//!
//! | driver | source | event |
//! |---|---|---|
//! | `lambda` | API Gateway HTTP API | payload 2.0 |
//! | `lambda-url` | Lambda Function URL | payload 2.0 |
//! | `lambda-v1` | API Gateway REST API, `{proxy+}` | payload 1.0 |
//! | `lambda-alb` | ALB target group (single- or multi-value headers) | ALB |
//! | `lambda-runtime` | HTTP API, through the real `lambda_http::run` loop | payload 2.0 |
//! | `lambda-url-stream` | Function URL, `InvokeMode: RESPONSE_STREAM`, through the real `run_with_streaming_response` loop (`stream.rs`) | payload 2.0 in, streamed out |
//!
//! Each request makes the whole trip AWS makes, JSON on both sides:
//!
//! 1. the source's limits are checked on the client's request (`limits.rs`);
//! 2. the event the source would send is built (`event_v2.rs`,
//!    `event_v1.rs`, `alb.rs`) and serialized; over 6 MB, Lambda refuses it;
//! 3. the function deserializes it into lambda_http's `LambdaRequest` and
//!    calls the app through `lambda_http::Adapter` with a Lambda `Context`
//!    (unique request id, deadline, ARN, memory, X-Ray trace id), then
//!    serializes the response exactly as the runtime posts it
//!    (`function.rs`); the `lambda-runtime` driver does this step in a
//!    child process running the real runtime loop (`runtime.rs`);
//! 4. the response JSON is decoded the way the source decodes it into the
//!    `http::Response` its client receives.
//!
//! Everything AWS or lambda_http changes on the way is reproduced and
//! reported as an [`AdapterNote`]; failures AWS answers itself (function
//! errors, panics, timeouts, oversized payloads) come back as the source's
//! response with a [`LambdaFailure`] (`failure.rs`). The timeout, panic
//! guard and limits never let a request hang or crash the test binary.

mod alb;
mod body;
mod clock;
pub(crate) mod deployment;
pub mod differences;
mod event;
mod event_v1;
mod event_v2;
mod failure;
mod function;
mod limits;
mod options;
#[cfg(test)]
mod props;
mod quickack;
pub mod runtime;
mod runtime_api;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use crate::guard::{Interrupted, guarded};
use crate::{
    AdapterNote, BoxFuture, Driver, DriverResponse, DriverStream, Error, ErrorKind, LateNotes,
    Protocol, RequestBody, ResponseBody,
};
use axum::Router;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt as _;
use lambda_http::Context;
use lambda_http::lambda_runtime::Config;

pub use failure::LambdaFailure;
pub use function::IGNORE_STAGE_ENV;
pub use limits::{
    ALB_LAMBDA_LIMIT, API_GATEWAY_HEADER_LIMIT, API_GATEWAY_PAYLOAD_LIMIT, LAMBDA_PAYLOAD_LIMIT,
    LAMBDA_RESPONSE_LIMIT,
};
pub use options::{DEFAULT_FUNCTION_TIMEOUT, Endpoint, InvokeMode, LambdaOptions, Source};
pub use stream::{STREAM_BANDWIDTH, STREAM_RESPONSE_LIMIT, STREAM_UNCAPPED_BYTES};

use clock::Invocation;
use failure::Kind as FailureKind;
use function::{Function, InvokeError, Observed};

/// An app behind an AWS event source and lambda_http, in-process.
///
/// ```
/// use axum::{Router, routing::get};
/// use crossdrive::Client;
/// use crossdrive::lambda::{Lambda, LambdaOptions, Source};
///
/// let app = Router::new().route("/hello", get(|| async { "hi" }));
/// let client = Client::new(Lambda::new(app, LambdaOptions::new(Source::Rest)));
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// let response = client.get("/hello").await;
/// response.assert_status(200).assert_text("hi");
/// assert_eq!(response.protocol().as_str(), "apigw-rest-v1");
/// # });
/// ```
#[derive(Clone)]
pub struct Lambda {
    inner: Arc<Inner>,
}

struct Inner {
    name: &'static str,
    options: LambdaOptions,
    invoker: Invoker,
    config: Arc<Config>,
    protocol: Protocol,
}

/// Where the function runs.
enum Invoker {
    /// In this process, through `Adapter`.
    InProcess(Function),
    /// In a child process running the real runtime loop.
    Runtime(runtime::Instance),
}

impl Lambda {
    /// A driver for `app` behind the source and deployment in `options`.
    ///
    /// ```
    /// use crossdrive::{Client, Driver};
    /// use crossdrive::lambda::{Lambda, LambdaOptions, Source};
    /// let app = axum::Router::new().fallback(|| async { "from the function" });
    /// let lambda = Lambda::new(app, LambdaOptions::new(Source::FunctionUrl));
    /// assert_eq!(lambda.name(), "lambda-url");
    /// let client = Client::new(lambda);
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// client.get("/").await.assert_status(200).assert_text("from the function");
    /// # });
    /// ```
    pub fn new(app: Router, options: LambdaOptions) -> Self {
        let strip = stage_to_strip(&options);
        Self::with_invoker(options, None, Invoker::InProcess(Function::new(app, strip)))
    }

    fn with_invoker(options: LambdaOptions, name: Option<&'static str>, invoker: Invoker) -> Self {
        let name = name.unwrap_or(match options.source {
            Source::HttpApi => "lambda",
            Source::FunctionUrl => "lambda-url",
            Source::Rest => "lambda-v1",
            Source::Alb { .. } => "lambda-alb",
        });
        Self {
            inner: Arc::new(Inner {
                name,
                invoker,
                config: Arc::new(config(&options)),
                protocol: Protocol::Lambda(
                    if options.invoke_mode == InvokeMode::ResponseStream {
                        STREAM_SHAPE
                    } else {
                        options.source.shape()
                    }
                    .into(),
                ),
                options,
            }),
        }
    }

    /// The options this driver simulates.
    ///
    /// ```
    /// use crossdrive::lambda::{Lambda, LambdaOptions, Source};
    /// let lambda = Lambda::new(axum::Router::new(), LambdaOptions::new(Source::Rest).stage("v1"));
    /// assert_eq!(lambda.options().source(), Source::Rest);
    /// assert!(lambda.options().validate().is_ok());
    /// ```
    pub fn options(&self) -> &LambdaOptions {
        &self.inner.options
    }

    /// For a function instance in a child process (`lambda-runtime`,
    /// `lambda-url-stream`): its process id and the `AWS_LAMBDA_RUNTIME_API`
    /// it was given, secret included; `None` for the in-process drivers
    /// and while no instance runs. For crossdrive's own isolation tests,
    /// which check that the instance dies with its test binary and that
    /// nothing else gets into its Runtime API.
    ///
    /// ```
    /// use crossdrive::lambda::{Lambda, LambdaOptions, Source};
    /// let lambda = Lambda::new(axum::Router::new(), LambdaOptions::new(Source::Rest));
    /// assert!(lambda.instance().is_none()); // in process: no child
    /// ```
    #[doc(hidden)]
    pub fn instance(&self) -> Option<(u32, String)> {
        match &self.inner.invoker {
            Invoker::Runtime(instance) => Some((instance.pid()?, instance.runtime_api_url()?)),
            Invoker::InProcess(_) => None,
        }
    }

    /// Sends the function the health check an ALB target group makes of
    /// `path` (ALB keeps them off for Lambda targets unless enabled), and
    /// decodes the answer as ALB does; refused on the other sources, which
    /// make none.
    ///
    /// ```
    /// use axum::routing::get;
    /// use crossdrive::lambda::{Lambda, LambdaOptions, Source};
    /// let app = axum::Router::new().route("/health", get(|h: axum::http::HeaderMap| async move {
    ///     h["user-agent"].to_str().unwrap_or_default().to_owned()
    /// }));
    /// let alb = Lambda::new(app, LambdaOptions::new(Source::Alb { multi_value_headers: false }));
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let answer = alb.health_check("/health").await.unwrap();
    /// assert_eq!(answer.response.status(), 200);
    /// assert_eq!(answer.response.body().as_ref(), b"ELB-HealthChecker/2.0");
    /// # });
    /// ```
    pub async fn health_check(&self, path: &str) -> Result<DriverResponse, Error> {
        let Source::Alb {
            multi_value_headers,
        } = self.inner.options.source
        else {
            return Err(Error::without_request(
                ErrorKind::InvalidRequest,
                self.inner.name,
                format!(
                    "{} makes no health checks of its functions; only an ALB target group does",
                    self.inner.options.source.shape()
                ),
            )
            .with_hint("use a driver with Source::Alb for health checks"));
        };
        self.invoke_event(&alb::health_check_event(path, multi_value_headers))
            .await
    }

    /// Invokes the function with a raw event, as `aws lambda invoke` would,
    /// and decodes its response as this driver's source does. A malformed
    /// event or invalid base64 is an error saying so; nothing panics.
    ///
    /// ```
    /// use crossdrive::lambda::{Lambda, LambdaOptions, Source, build_event};
    /// let app = axum::Router::new().fallback(|| async { "raw" });
    /// let options = LambdaOptions::new(Source::HttpApi);
    /// let request = http::Request::get("/").body(bytes::Bytes::new()).unwrap();
    /// let event = build_event(&request, &options);
    /// let lambda = Lambda::new(app, options);
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let response = lambda.invoke_event(&event).await.unwrap();
    /// assert_eq!(response.response.body().as_ref(), b"raw");
    /// assert!(lambda.invoke_event(b"not json").await.is_err());
    /// # });
    /// ```
    pub async fn invoke_event(&self, event: &[u8]) -> Result<DriverResponse, Error> {
        // A raw event is no HTTP request: its errors name none.
        let inner = &*self.inner;
        inner.check_options(None)?;
        let invocation = Invocation::now();
        if let Some(instance) = inner.streaming() {
            let streamed = inner
                .stream_event(
                    instance,
                    None,
                    &http::HeaderMap::new(),
                    event,
                    &invocation,
                    Vec::new(),
                )
                .await?;
            return inner.collect(None, streamed).await;
        }
        let work = inner.invoke(event, &invocation);
        let outcome = guarded(inner.options.timeout, work).await;
        inner.finish(None, &http::HeaderMap::new(), outcome, Vec::new())
    }
}

/// The runtime configuration lambda_runtime would read from the
/// environment, built from the options.
fn config(options: &LambdaOptions) -> Config {
    Config {
        function_name: options.function_name.clone(),
        memory: i32::try_from(options.memory_mb).unwrap_or(i32::MAX),
        version: "$LATEST".to_owned(),
        log_stream: "2026/11/22/[$LATEST]crossdrive".to_owned(),
        log_group: format!("/aws/lambda/{}", options.function_name),
    }
}

/// The Lambda `Context` of one invocation.
fn context(options: &LambdaOptions, config: &Arc<Config>, invocation: &Invocation) -> Context {
    let mut context = Context::default();
    context.request_id.clone_from(&invocation.request_id);
    context.deadline = invocation.epoch_ms
        + u64::try_from(options.function_timeout.as_millis()).unwrap_or(u64::MAX);
    context.invoked_function_arn = options.function_arn();
    context.xray_trace_id = Some(invocation.trace_id.clone());
    context.env_config = Arc::clone(config);
    context
}

type Outcome = Result<Result<(Vec<u8>, Observed), InvokeError>, Interrupted>;

/// The protocol a streamed Function URL response reports.
const STREAM_SHAPE: &str = "function-url-stream";

/// A response that arrived whole, as a stream of one chunk (the service's
/// own answers: limits, errors before the stream began).
fn whole(delivered: DriverResponse) -> DriverStream {
    let DriverResponse {
        response,
        protocol,
        notes,
        ..
    } = delivered;
    let mut streamed = DriverStream::new(response.map(ResponseBody::full), protocol);
    streamed.notes = notes;
    streamed
}

/// The request an error is about: `None` for a raw event
/// ([`Lambda::invoke_event`]), which is no HTTP request.
type About<'a> = Option<(&'a http::Method, &'a http::Uri)>;

impl Inner {
    /// Fails the request when the options describe a deployment that
    /// cannot exist (see [`LambdaOptions::validate`]).
    fn check_options(&self, about: About<'_>) -> Result<(), Error> {
        self.options.validate().map_err(|problem| {
            self.error(ErrorKind::InvalidRequest, about, problem)
                .with_hint("fix the LambdaOptions this driver was built with")
        })
    }

    async fn round_trip(&self, request: Request<Bytes>) -> Result<DriverResponse, Error> {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        self.check_options(Some((&method, &uri)))?;
        let source = self.options.source;
        if let Some(broken) = limits::check_request(&self.options, &request) {
            let (kind, code, reason) = match broken {
                limits::Broken::Payload(r) => (FailureKind::TooLarge, "payload-too-large", r),
                limits::Broken::Headers(r) => {
                    (FailureKind::HeadersTooLarge, "headers-too-large", r)
                }
                limits::Broken::Url(r) => (FailureKind::UrlTooLong, "url-too-long", r),
            };
            return Ok(self.failed(kind, code, reason, Vec::new()));
        }
        let invocation = Invocation::now();
        let mut notes = Vec::new();
        let event = event::build(&request, &self.options, &invocation, &mut notes);
        let limit = match source {
            Source::Alb { .. } => usize::MAX,
            _ => LAMBDA_PAYLOAD_LIMIT,
        };
        if event.len() > limit {
            let reason = format!(
                "the event JSON is {} bytes, over Lambda's {LAMBDA_PAYLOAD_LIMIT}-byte \
                 synchronous invocation payload limit",
                event.len()
            );
            return Ok(self.failed(FailureKind::TooLarge, "payload-too-large", reason, notes));
        }
        self.stage_notes(&mut notes);
        if let Invoker::Runtime(instance) = &self.invoker
            && let Err(reason) = instance.prepare().await
        {
            let (parts, _) = request.into_parts();
            let outcome = Ok(Err(InvokeError::RuntimeGone(reason)));
            return self.finish(Some((&method, &uri)), &parts.headers, outcome, notes);
        }
        let work = self.invoke(&event, &invocation);
        let outcome = guarded(self.aws_limit().min(self.options.timeout), work).await;
        if let Invoker::Runtime(instance) = &self.invoker {
            notes.extend(instance.refusals());
        }
        let (parts, _) = request.into_parts();
        self.finish(Some((&method, &uri)), &parts.headers, outcome, notes)
    }

    /// The instance, when this deployment streams its responses.
    fn streaming(&self) -> Option<&runtime::Instance> {
        match &self.invoker {
            Invoker::Runtime(instance)
                if self.options.invoke_mode == InvokeMode::ResponseStream =>
            {
                Some(instance)
            }
            _ => None,
        }
    }

    /// A streamed round trip (`InvokeMode::ResponseStream`): resolves as
    /// soon as the function's prelude is in, with a body that yields its
    /// chunks as they arrive (`stream.rs`).
    async fn stream_trip(
        &self,
        instance: &runtime::Instance,
        request: Request<RequestBody>,
    ) -> Result<DriverStream, Error> {
        let (parts, body) = request.into_parts();
        let (method, uri) = (parts.method.clone(), parts.uri.clone());
        let about = Some((&method, &uri));
        // The event carries the whole request body in one JSON string.
        let body = body.collect_bytes().await.map_err(|cause| {
            self.error(
                ErrorKind::InvalidRequest,
                about,
                "the request body's stream failed before it was sent",
            )
            .with_source(cause)
            .with_hint("the test's body stream returned an error; check its producer")
        })?;
        let request = Request::from_parts(parts, body);
        self.check_options(about)?;
        let invocation = Invocation::now();
        let mut notes = Vec::new();
        let event = event::build(&request, &self.options, &invocation, &mut notes);
        if event.len() > LAMBDA_PAYLOAD_LIMIT {
            let reason = format!(
                "the event JSON is {} bytes, over Lambda's {LAMBDA_PAYLOAD_LIMIT}-byte \
                 invocation payload limit",
                event.len()
            );
            let failed = self.failed(FailureKind::TooLarge, "payload-too-large", reason, notes);
            return Ok(whole(failed));
        }
        let headers = request.headers().clone();
        if let Err(reason) = instance.prepare().await {
            let outcome = Ok(Err(InvokeError::RuntimeGone(reason)));
            return self.finish(about, &headers, outcome, notes).map(whole);
        }
        self.stream_event(instance, about, &headers, &event, &invocation, notes)
            .await
    }

    /// Sends `event` to the streaming function and hands back the response
    /// head with its body still arriving.
    async fn stream_event(
        &self,
        instance: &runtime::Instance,
        about: About<'_>,
        request_headers: &http::HeaderMap,
        event: &[u8],
        invocation: &Invocation,
        mut notes: Vec<AdapterNote>,
    ) -> Result<DriverStream, Error> {
        let started = std::time::Instant::now();
        let work = instance.invoke_reply(event, invocation, &self.options);
        let outcome = guarded(self.aws_limit().min(self.options.timeout), work).await;
        notes.extend(instance.refusals());
        let streamed = match outcome {
            Ok(Ok(runtime_api::Reply::Stream(streamed))) => streamed,
            Ok(Ok(runtime_api::Reply::Response(json))) => {
                let outcome = Ok(Ok((json.to_vec(), Observed::default())));
                return self
                    .finish(about, request_headers, outcome, notes)
                    .map(whole);
            }
            Ok(Ok(runtime_api::Reply::Error(json))) => {
                let outcome = Ok(Err(runtime::runtime_error(&json)));
                return self
                    .finish(about, request_headers, outcome, notes)
                    .map(whole);
            }
            Ok(Err(e)) => {
                return self
                    .finish(about, request_headers, Ok(Err(e)), notes)
                    .map(whole);
            }
            Err(interrupted) => {
                return self
                    .finish(about, request_headers, Err(interrupted), notes)
                    .map(whole);
            }
        };
        let (status, headers) = match &streamed.prelude {
            Some(prelude) => match stream::decode_prelude(prelude, &mut notes) {
                Ok(head) => head,
                Err(reason) => {
                    let failed =
                        self.failed(FailureKind::Function, "malformed-response", reason, notes);
                    return Ok(whole(failed));
                }
            },
            None => (http::StatusCode::OK, http::HeaderMap::new()),
        };
        if crate::app::is_final_informational(status) {
            // The function may still be streaming a body nobody will read:
            // replace the instance, as a dropped StreamedBody would.
            instance.recycle();
            return Err(self.final_informational(about, status));
        }
        let late = LateNotes::new();
        let body = stream::StreamedBody::new(
            streamed.chunks,
            stream::StreamLimits::aws(started + self.options.function_timeout),
            self.options.function_timeout,
            late.clone(),
            Box::new(instance.recycler()),
            STREAM_SHAPE,
        );
        let mut response = Response::new(ResponseBody::new(body).with_late_notes(late));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        let mut delivered = DriverStream::new(response, self.protocol.clone());
        delivered.notes = notes;
        Ok(delivered)
    }

    /// Reads a streamed response whole, as a buffering client of the
    /// streaming URL would: a cut stream is an error saying why.
    async fn collect(
        &self,
        about: About<'_>,
        streamed: DriverStream,
    ) -> Result<DriverResponse, Error> {
        let DriverStream {
            response,
            protocol,
            mut notes,
            ..
        } = streamed;
        let (parts, mut body) = response.into_parts();
        let mut bytes = bytes::BytesMut::new();
        let outcome = loop {
            match body.frame().await {
                None => break Ok(()),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        bytes.extend_from_slice(&data);
                    }
                }
                Some(Err(cause)) => break Err(cause),
            }
        };
        notes.extend(body.take_late_notes());
        if let Err(cause) = outcome {
            return Err(self
                .error(
                    ErrorKind::Adapter,
                    about,
                    format!(
                        "the streamed response was cut after {} bytes of body",
                        bytes.len()
                    ),
                )
                .with_source(cause)
                .with_hint(
                    "read it with .stream() to see the chunks that arrived; the notes say \
                     which Lambda limit or function error cut it",
                ));
        }
        let mut delivered =
            DriverResponse::new(Response::from_parts(parts, bytes.freeze()), protocol);
        delivered.notes = notes;
        Ok(delivered)
    }

    /// The app's final 1xx status, named as the app's mistake. AWS
    /// documents no answer of its own to a 1xx `statusCode` (its
    /// "Malformed Lambda proxy response" 502 is about the JSON's shape, and
    /// lambda_http serializes whatever status the app returned), so the
    /// drivers name the mistake, as every other driver does, rather than
    /// guess at a deployment's answer.
    fn final_informational(&self, about: About<'_>, status: http::StatusCode) -> Error {
        match about {
            Some((method, uri)) => Error::final_informational(self.name, method, uri, status),
            None => Error::without_request(
                ErrorKind::App,
                self.name,
                format!(
                    "the function answered with {status} as its final status; a final \
                     response is 2xx-5xx"
                ),
            )
            .with_hint("return the final status (200, 204, ...) from the handler"),
        }
    }

    /// An error of `kind` about the request `about`, if any.
    fn error(&self, kind: ErrorKind, about: About<'_>, cause: impl Into<String>) -> Error {
        match about {
            Some((method, uri)) => Error::new(kind, self.name, method, uri, cause),
            None => Error::without_request(kind, self.name, cause),
        }
    }

    async fn invoke(
        &self,
        event: &[u8],
        invocation: &Invocation,
    ) -> Result<(Vec<u8>, Observed), InvokeError> {
        match &self.invoker {
            Invoker::InProcess(function) => {
                let context = context(&self.options, &self.config, invocation);
                function.invoke(event, context).await
            }
            Invoker::Runtime(instance) => instance.invoke(event, invocation, &self.options).await,
        }
    }

    /// The earlier of the function timeout and the integration timeout.
    fn aws_limit(&self) -> Duration {
        let function = self.options.function_timeout;
        self.options
            .integration_timeout
            .map_or(function, |i| i.min(function))
    }

    fn stage_notes(&self, notes: &mut Vec<AdapterNote>) {
        let o = &self.options;
        // An HTTP API's named stage is in rawPath itself, whatever the
        // environment says (the event builder notes it).
        if !o.source.has_stages() || o.stage == "$default" || o.source == Source::HttpApi {
            return;
        }
        // The runtime child's environment is set by the driver itself; only
        // the in-process function shares this process's environment.
        let in_process = matches!(self.invoker, Invoker::InProcess(_));
        if o.stage_in_path {
            if in_process && std::env::var_os(IGNORE_STAGE_ENV).is_some() {
                notes.push(AdapterNote::new(
                    "stage-not-in-path",
                    format!(
                        "{IGNORE_STAGE_ENV} is set in this process, so lambda_http left the \
                         /{} stage out of the path although stage_in_path(true) was asked",
                        o.stage
                    ),
                ));
            } else {
                notes.push(AdapterNote::new(
                    "stage-prefix",
                    format!(
                        "lambda_http put the /{} stage in front of the path",
                        o.stage
                    ),
                ));
            }
        } else {
            notes.push(AdapterNote::new(
                "stage-not-in-path",
                format!(
                    "the function sets {IGNORE_STAGE_ENV}, so the /{} stage stays out of the \
                     app's path (LambdaOptions::stage_in_path(true) shows lambda_http's default)",
                    o.stage
                ),
            ));
        }
    }

    fn finish(
        &self,
        about: About<'_>,
        request_headers: &http::HeaderMap,
        outcome: Outcome,
        mut notes: Vec<AdapterNote>,
    ) -> Result<DriverResponse, Error> {
        let source = self.options.source;
        let (json, observed) = match outcome {
            Ok(Ok(done)) => done,
            Ok(Err(InvokeError::Malformed(e))) => {
                return Err(self
                    .error(ErrorKind::Adapter, about, "lambda_http rejected the event")
                    .with_source(e)
                    .with_hint(
                        "send a REST (1.0), HTTP API (2.0) or ALB event; the samples in \
                     tests/data/lambda show the shapes",
                    ));
            }
            Ok(Err(InvokeError::InvalidBase64(e))) => {
                return Err(self
                    .error(
                        ErrorKind::Adapter,
                        about,
                        "the event says isBase64Encoded but its body is not base64",
                    )
                    .with_source(e)
                .with_hint(
                    "lambda_http would panic on this event; encode the body with standard, padded \
                     base64 or set isBase64Encoded to false",
                ));
            }
            Ok(Err(InvokeError::Unserializable(reason) | InvokeError::FunctionError(reason))) => {
                return Ok(self.failed(FailureKind::Function, "function-error", reason, notes));
            }
            Ok(Err(InvokeError::LambdaHttpPanic(message))) => {
                let reason = format!(
                    "lambda_http panicked turning the event into a request ({message}), before \
                     the app ran; in Lambda this is a function error"
                );
                return Ok(self.failed(FailureKind::Function, "lambda-http-panic", reason, notes));
            }
            Ok(Err(InvokeError::RuntimePanic(reason))) => {
                return Ok(self.failed(FailureKind::Function, "handler-panic", reason, notes));
            }
            Ok(Err(InvokeError::RuntimeGone(reason))) => {
                return Err(self.error(ErrorKind::Connection, about, reason).with_hint(
                    "the lambda-runtime child process could not serve; its stderr is above",
                ));
            }
            Err(Interrupted::Panicked(message)) => {
                let reason = format!(
                    "the handler panicked ({message}); the runtime reported a function error"
                );
                return Ok(self.failed(FailureKind::Function, "handler-panic", reason, notes));
            }
            Err(Interrupted::TimedOut(after)) => {
                let function = self.options.function_timeout;
                let integration = self.options.integration_timeout;
                if let Invoker::Runtime(instance) = &self.invoker {
                    // Like Lambda after a timeout, the next request gets a fresh sandbox.
                    instance.recycle();
                }
                if self.options.timeout < self.aws_limit() {
                    return Err(match about {
                        Some((method, uri)) => Error::timeout(self.name, method, uri, after),
                        None => Error::without_request(
                            ErrorKind::Timeout,
                            self.name,
                            format!("after {after:?}"),
                        )
                        .with_hint(
                            "the function did not answer the event in time; raise the driver's \
                             timeout if it is legitimately slow",
                        ),
                    });
                }
                return Ok(match integration {
                    Some(i) if i <= function => self.failed(
                        FailureKind::IntegrationTimeout,
                        "integration-timeout",
                        format!("the source stopped waiting after its {i:?} integration timeout"),
                        notes,
                    ),
                    _ => self.failed(
                        FailureKind::Function,
                        "function-timeout",
                        format!("Task timed out after {function:?} (the function timeout)"),
                        notes,
                    ),
                });
            }
        };
        let limit = limits::response_limit(source);
        if json.len() > limit {
            let reason = format!(
                "the response JSON is {} bytes, over the {limit}-byte limit of {}",
                json.len(),
                if limit == LAMBDA_RESPONSE_LIMIT {
                    "a synchronous Lambda invocation"
                } else {
                    "ALB's Lambda targets"
                }
            );
            return Ok(self.failed(FailureKind::Function, "response-too-large", reason, notes));
        }
        if matches!(source, Source::HttpApi | Source::FunctionUrl)
            && !observed.repeated_response_headers.is_empty()
        {
            notes.push(AdapterNote::new(
                "v2-first-value-only",
                format!(
                    "payload 2.0 responses carry one value per header, so lambda_http kept only \
                     the first value of: {}",
                    observed.repeated_response_headers.join(", ")
                ),
            ));
        }
        match event::decode(&json, request_headers, &self.options, &mut notes) {
            Ok(response) => {
                if crate::app::is_final_informational(response.status()) {
                    return Err(self.final_informational(about, response.status()));
                }
                if let Some(reason) = limits::check_response(source, &response) {
                    let code = "response-headers-too-large";
                    return Ok(self.failed(FailureKind::Function, code, reason, notes));
                }
                let mut delivered = DriverResponse::new(response, self.protocol.clone());
                delivered.notes = notes;
                Ok(delivered)
            }
            Err(refused) => Ok(self.failed(refused.kind, refused.code, refused.reason, notes)),
        }
    }

    fn failed(
        &self,
        kind: FailureKind,
        code: &'static str,
        reason: String,
        mut notes: Vec<AdapterNote>,
    ) -> DriverResponse {
        let (response, note) = failure::respond(self.options.source, kind, code, reason);
        notes.push(note);
        let mut delivered = DriverResponse::new(response, self.protocol.clone());
        delivered.notes = notes;
        delivered
    }
}

impl Driver for Lambda {
    fn name(&self) -> &str {
        self.inner.name
    }

    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        let inner = &*self.inner;
        let Some(instance) = inner.streaming() else {
            return Box::pin(inner.round_trip(request));
        };
        // A buffering client of a streaming URL: the stream, read whole.
        Box::pin(async move {
            let (method, uri) = (request.method().clone(), request.uri().clone());
            let about = Some((&method, &uri));
            let whole = async {
                let streamed = inner
                    .stream_trip(instance, request.map(RequestBody::full))
                    .await?;
                inner.collect(about, streamed).await
            };
            match guarded(inner.options.timeout, whole).await {
                Ok(result) => result,
                Err(Interrupted::TimedOut(after)) => {
                    Err(Error::timeout(inner.name, &method, &uri, after))
                }
                Err(Interrupted::Panicked(message)) => {
                    Err(Error::handler_panic(inner.name, &method, &uri, &message))
                }
            }
        })
    }

    /// Streams on a deployment with `InvokeMode::ResponseStream`; every
    /// other Lambda deployment buffers, as AWS does, and says so with a
    /// `buffered` note.
    fn stream(&self, request: Request<RequestBody>) -> BoxFuture<'_, Result<DriverStream, Error>> {
        let inner = &*self.inner;
        if let Some(instance) = inner.streaming() {
            return Box::pin(inner.stream_trip(instance, request));
        }
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = body.collect_bytes().await.map_err(|cause| {
                Error::new(
                    ErrorKind::InvalidRequest,
                    inner.name,
                    &parts.method,
                    &parts.uri,
                    "the request body's stream failed before it was sent",
                )
                .with_source(cause)
                .with_hint("the test's body stream returned an error; check its producer")
            })?;
            let delivered = inner.round_trip(Request::from_parts(parts, body)).await?;
            Ok(DriverStream::buffered(inner.name, delivered))
        })
    }
}

/// The event JSON `options.source` would send the function for `request`,
/// exactly as the drivers build it.
///
/// ```
/// use crossdrive::lambda::{LambdaOptions, Source, build_event};
/// let request = http::Request::get("/todos?a=1").body(bytes::Bytes::new()).unwrap();
/// let event: serde_json::Value =
///     serde_json::from_slice(&build_event(&request, &LambdaOptions::new(Source::HttpApi))).unwrap();
/// assert_eq!(event["rawQueryString"], "a=1");
/// ```
pub fn build_event(request: &Request<Bytes>, options: &LambdaOptions) -> Vec<u8> {
    event::build(request, options, &Invocation::now(), &mut Vec::new())
}

/// An event decoded the way lambda_http decodes it: what the app sees.
///
/// ```
/// use crossdrive::lambda::{LambdaOptions, Source, build_event, decode_event};
/// let request = http::Request::get("/items?page=2").body(bytes::Bytes::new()).unwrap();
/// let event = build_event(&request, &LambdaOptions::new(Source::Alb { multi_value_headers: false }));
/// let decoded = decode_event(&event).unwrap();
/// assert_eq!(decoded.shape, "alb");
/// assert_eq!(decoded.request.uri().query(), Some("page=2"));
/// ```
#[derive(Debug)]
pub struct DecodedEvent {
    /// The event shape lambda_http recognised (`apigw-rest-v1`, `apigw-http-v2`, `alb`).
    pub shape: &'static str,
    /// The request the app receives.
    pub request: Request<Bytes>,
}

/// Decodes event JSON into the request the app would receive, through
/// lambda_http's own deserializer. A malformed event or invalid base64 is
/// an error with the reason, never a panic.
///
/// ```
/// let event = br#"{"version":"2.0","routeKey":"$default","rawPath":"/hi","rawQueryString":"",
///   "headers":{},"requestContext":{"http":{"method":"GET","path":"/hi","protocol":"HTTP/1.1",
///   "sourceIp":"127.0.0.1","userAgent":"x"},"stage":"$default"},"isBase64Encoded":false}"#;
/// let decoded = crossdrive::lambda::decode_event(event).unwrap();
/// assert_eq!(decoded.shape, "apigw-http-v2");
/// assert_eq!(decoded.request.uri().path(), "/hi");
/// ```
pub fn decode_event(event: &[u8]) -> Result<DecodedEvent, String> {
    use lambda_http::request::LambdaRequest as L;
    let payload = function::parse_event(event).map_err(|e| match e {
        InvokeError::Malformed(e) => format!("lambda_http rejected the event: {e}"),
        InvokeError::InvalidBase64(e) => format!("the body is not valid base64 ({e})"),
        InvokeError::Unserializable(e)
        | InvokeError::LambdaHttpPanic(e)
        | InvokeError::FunctionError(e)
        | InvokeError::RuntimePanic(e)
        | InvokeError::RuntimeGone(e) => e,
    })?;
    let shape = match &payload {
        L::ApiGatewayV1(_) => "apigw-rest-v1",
        L::ApiGatewayV2(_) => "apigw-http-v2",
        L::Alb(_) => "alb",
        _ => "other",
    };
    let request = std::panic::catch_unwind(|| function::to_request(payload)).map_err(|p| {
        format!(
            "lambda_http panicked decoding the event: {}",
            crate::guard::panic_message(&*p)
        )
    })?;
    Ok(DecodedEvent { shape, request })
}

/// The stage lambda_http's prefix must come off again, emulating
/// `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` in-process.
fn stage_to_strip(options: &LambdaOptions) -> Option<String> {
    (options.source.has_stages() && !options.stage_in_path && options.stage != "$default")
        .then(|| options.stage.clone())
}

/// The bare lambda_http round trip: the Lambda drivers' bench floor, kept
/// here (crate-private) because it is built from the drivers' own
/// internals (`Function`, the event builders and decoders).
///
/// Per request it does exactly what no Lambda simulation can skip, with
/// the same code the drivers use: build the event JSON from the request,
/// deserialize it into `LambdaRequest`, call the app through `Adapter`
/// with a prebuilt `Context`, serialize the response JSON, and decode that
/// JSON into the client's response. It leaves out everything the drivers
/// add on top: limit checks, request ids and trace ids per invocation, the
/// timeout and panic guard, the response observer, notes and boxing. So
/// driver/floor is the cost of the drivers' safety and visibility.
#[cfg_attr(not(feature = "bench"), allow(dead_code))]
#[derive(Clone)]
pub(crate) struct BareAdapter {
    function: Function,
    options: LambdaOptions,
    context: Context,
    invocation: Invocation,
}

impl std::fmt::Debug for BareAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BareAdapter")
            .field("source", &self.options.source)
            .finish()
    }
}

#[cfg_attr(not(feature = "bench"), allow(dead_code))]
impl BareAdapter {
    /// The floor for `app` behind the source in `options`.
    pub(crate) fn new(app: Router, options: LambdaOptions) -> Self {
        let invocation = Invocation::now();
        let config = Arc::new(config(&options));
        let strip = stage_to_strip(&options);
        Self {
            function: Function::new(app, strip),
            context: context(&options, &config, &invocation),
            options,
            invocation,
        }
    }

    /// One bare round trip.
    pub(crate) async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, Error> {
        let mut notes = Vec::new();
        let event = event::build(&request, &self.options, &self.invocation, &mut notes);
        let fail = |cause: String| {
            Error::new(
                ErrorKind::Adapter,
                "bare-adapter",
                request.method(),
                request.uri(),
                cause,
            )
        };
        let json = self
            .function
            .invoke_bare(&event, self.context.clone())
            .await
            .ok_or_else(|| fail("the bare round trip failed".into()))?;
        event::decode(&json, request.headers(), &self.options, &mut notes)
            .map_err(|refused| fail(refused.reason))
    }
}
