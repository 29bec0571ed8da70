//! The function: the app behind `lambda_http::Adapter`, invoked with event
//! JSON and answering with response JSON, as the Lambda runtime does.
//!
//! [`Function::invoke`] is the in-process half of every Lambda driver's
//! round trip: the event bytes are deserialized into lambda_http's
//! `LambdaRequest` (its own untagged detection of REST, HTTP API and ALB
//! events), checked for what would make lambda_http panic (invalid base64,
//! reported as an error instead), handed to `Adapter` with a Lambda
//! `Context`, and the `LambdaResponse` it produces is serialized to the
//! exact JSON the runtime posts.
//!
//! Two things wrap the app, both on the function's side of the wire:
//! - an observer that records repeated response header names, so the
//!   driver can say which values payload 2.0 dropped (the JSON alone
//!   cannot show what was lost);
//! - when the deployment sets `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` (the
//!   REST default, see `options.rs`) but this process does not, the exact
//!   effect of the variable: lambda_http then builds the URI from the raw
//!   path, which it keeps in the `RawHttpPath` extension, so the stage
//!   prefix is taken off again. Setting the variable for real would need
//!   `std::env::set_var`, unsound once threads exist (and `unsafe` in
//!   edition 2024); the `lambda-runtime` driver does set it for real, in
//!   its child process.

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use crate::AdapterNote;
use axum::Router;
use bytes::Bytes;
use lambda_http::lambda_runtime::Config;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Context, LambdaEvent, RequestExt, Service};

use super::body;
use super::clock::Invocation;
use super::options::{LambdaOptions, Source};

/// The process environment variable lambda_http reads per request.
///
/// ```
/// use crossdrive::lambda::IGNORE_STAGE_ENV;
/// assert_eq!(IGNORE_STAGE_ENV, "AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH");
/// // crossdrive reproduces its effect without ever setting it in the test process
/// assert!(std::env::var_os(IGNORE_STAGE_ENV).is_none());
/// ```
pub const IGNORE_STAGE_ENV: &str = "AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH";

/// The runtime configuration lambda_runtime would read from the
/// environment, built from the options.
pub(crate) fn config(options: &LambdaOptions) -> Config {
    Config {
        function_name: options.function_name.clone(),
        memory: i32::try_from(options.memory_mb).unwrap_or(i32::MAX),
        version: "$LATEST".to_owned(),
        log_stream: "2026/11/22/[$LATEST]crossdrive".to_owned(),
        log_group: format!("/aws/lambda/{}", options.function_name),
    }
}

/// The Lambda `Context` of one invocation.
pub(crate) fn context(
    options: &LambdaOptions,
    config: &Arc<Config>,
    invocation: &Invocation,
) -> Context {
    let mut context = Context::default();
    context.request_id.clone_from(&invocation.request_id);
    context.deadline = invocation.epoch_ms
        + u64::try_from(options.function_timeout.as_millis()).unwrap_or(u64::MAX);
    context.invoked_function_arn = options.function_arn();
    context.xray_trace_id = Some(invocation.trace_id.clone());
    context.env_config = Arc::clone(config);
    context
}

/// The stage lambda_http's prefix must come off again, emulating
/// `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` in-process.
pub(crate) fn stage_to_strip(options: &LambdaOptions) -> Option<String> {
    (options.source.has_stages() && !options.stage_in_path && options.stage != "$default")
        .then(|| options.stage.clone())
}

/// What lambda_http does with the named stage of a REST API (the source
/// whose stage is not already in the event's path), as a note.
/// `in_process`: the function shares this process's environment (a
/// `lambda-runtime` child's is set by the driver itself).
pub(crate) fn stage_notes(o: &LambdaOptions, in_process: bool, notes: &mut Vec<AdapterNote>) {
    // An HTTP API's named stage is in rawPath itself, whatever the
    // environment says (the event builder notes it).
    if !o.source.has_stages() || o.stage == "$default" || o.source == Source::HttpApi {
        return;
    }
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

/// What payload 2.0 lost of the app's response on the function's side:
/// lambda_http keeps one value per response header.
pub(crate) fn response_notes(source: Source, observed: &Observed, notes: &mut Vec<AdapterNote>) {
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
}

tokio::task_local! {
    static OBSERVED: RefCell<Observed>;
}

/// What the function's side saw of one invocation.
#[derive(Debug, Default, Clone)]
pub(crate) struct Observed {
    /// Response header names the app repeated (excluding Set-Cookie).
    pub(crate) repeated_response_headers: Vec<String>,
    /// The path the app received.
    pub(crate) app_path: Option<String>,
}

/// Why an invocation produced no response JSON.
#[derive(Debug)]
pub(crate) enum InvokeError {
    /// The event is not JSON lambda_http accepts.
    Malformed(serde_json::Error),
    /// `isBase64Encoded` with a body that is not base64.
    InvalidBase64(base64::DecodeError),
    /// lambda_http's response would not serialize (a non-UTF-8 header value).
    Unserializable(String),
    /// lambda_http panicked converting the event, before the app ran.
    LambdaHttpPanic(String),
    /// The runtime reported a function error on `/error`.
    FunctionError(String),
    /// The runtime reported a handler panic on `/error`.
    RuntimePanic(String),
    /// The runtime process is gone or never started.
    RuntimeGone(String),
}

/// The app as a Lambda function.
#[derive(Clone)]
pub(crate) struct Function {
    app: FunctionApp,
}

impl Function {
    /// `strip_stage`: the stage to take off the path again, emulating
    /// `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` (None: leave lambda_http be).
    pub(crate) fn new(app: Router, strip_stage: Option<String>) -> Self {
        Self {
            app: FunctionApp {
                app,
                strip_stage: strip_stage.map(Arc::from),
            },
        }
    }

    /// One invocation: event JSON in, response JSON out.
    pub(crate) async fn invoke(
        &self,
        event: &[u8],
        context: Context,
    ) -> Result<(Vec<u8>, Observed), InvokeError> {
        let payload = parse_event(event)?;
        // The adapter is not Send (it names the app's response type in a
        // PhantomData); only its future, which is, crosses the await.
        // lambda_http turns the event into a request inside `call`, before the
        // app runs, and panics on what it cannot convert (an invalid URI):
        // in Lambda that is a function error, told apart here from a handler
        // panic so the reason names the right culprit.
        let app = self.app.clone();
        let call = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            Adapter::from(app).call(LambdaEvent::new(payload, context))
        }))
        .map_err(|p| InvokeError::LambdaHttpPanic(crate::guard::panic_message(&*p)))?;
        let work = async move {
            let response = match call.await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            serde_json::to_vec(&response).map_err(|e| {
                InvokeError::Unserializable(format!(
                    "lambda_http could not serialize the response ({e}); header values must be \
                     UTF-8 in Lambda responses"
                ))
            })
        };
        OBSERVED
            .scope(RefCell::new(Observed::default()), async move {
                let json = work.await?;
                let observed = OBSERVED.with(|o| o.take());
                Ok((json, observed))
            })
            .await
    }

    /// The bare round trip the bench floor measures: no observation.
    #[cfg_attr(not(feature = "bench"), allow(dead_code))]
    pub(crate) async fn invoke_bare(&self, event: &[u8], context: Context) -> Option<Vec<u8>> {
        let payload: LambdaRequest = serde_json::from_slice(event).ok()?;
        let call = Adapter::from(self.app.clone()).call(LambdaEvent::new(payload, context));
        let Ok(response) = call.await;
        serde_json::to_vec(&response).ok()
    }
}

/// Deserializes an event as lambda_http does and rejects what would make
/// it panic.
pub(crate) fn parse_event(event: &[u8]) -> Result<LambdaRequest, InvokeError> {
    let payload: LambdaRequest = serde_json::from_slice(event).map_err(InvokeError::Malformed)?;
    let (body, base64) = match &payload {
        LambdaRequest::ApiGatewayV1(r) => (r.body.as_deref(), r.is_base64_encoded),
        LambdaRequest::ApiGatewayV2(r) => (r.body.as_deref(), r.is_base64_encoded),
        LambdaRequest::Alb(r) => (r.body.as_deref(), r.is_base64_encoded),
        _ => (None, false),
    };
    if base64
        && let Some(text) = body
        && let Err(e) = body::decode(text)
    {
        return Err(InvokeError::InvalidBase64(e));
    }
    Ok(payload)
}

/// The app seen through the function's eyes.
#[derive(Clone)]
struct FunctionApp {
    app: Router,
    strip_stage: Option<Arc<str>>,
}

type AppResponse = http::Response<axum::body::Body>;

impl Service<lambda_http::Request> for FunctionApp {
    type Response = AppResponse;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<AppResponse, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        // A Router is always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: lambda_http::Request) -> Self::Future {
        if let Some(stage) = &self.strip_stage
            && std::env::var_os(IGNORE_STAGE_ENV).is_none()
        {
            unprefix(&mut request, stage);
        }
        let path = request.uri().path().to_owned();
        let _ = OBSERVED.try_with(|o| o.borrow_mut().app_path = Some(path));
        crate::stage::mark(crate::stage::Mark::AppCalled);
        let future = Service::call(&mut self.app, request);
        Box::pin(async move {
            let response = future.await?;
            crate::stage::mark(crate::stage::Mark::AppAnswered);
            let headers = response.headers();
            if headers.len() != headers.keys_len() {
                let repeated: Vec<String> = headers
                    .keys()
                    .filter(|k| *k != http::header::SET_COOKIE)
                    .filter(|k| headers.get_all(*k).iter().nth(1).is_some())
                    .map(|k| k.as_str().to_owned())
                    .collect();
                let _ = OBSERVED.try_with(|o| o.borrow_mut().repeated_response_headers = repeated);
            }
            Ok(response)
        })
    }
}

/// Undoes lambda_http's `/{stage}` prefix exactly as the environment
/// variable would have avoided it: the URI's path becomes the raw path.
fn unprefix(request: &mut lambda_http::Request, stage: &str) {
    let raw = request.raw_http_path();
    let prefix = format!("/{stage}");
    if raw.starts_with(&format!("{prefix}/")) {
        return; // lambda_http did not prefix a path that already had the stage.
    }
    let uri = request.uri();
    let Some(rest) = uri.path().strip_prefix(&prefix) else {
        return;
    };
    let path = if rest.is_empty() { "/" } else { rest };
    let path_and_query = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    let mut parts = uri.clone().into_parts();
    if let Ok(pq) = path_and_query.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(new) = http::Uri::from_parts(parts) {
            *request.uri_mut() = new;
        }
    }
}

/// Decodes an event into the request the app would see, for inspection.
pub(crate) fn to_request(payload: LambdaRequest) -> http::Request<Bytes> {
    let request: lambda_http::Request = payload.into();
    request.map(|b| Bytes::copy_from_slice(b.as_ref()))
}
