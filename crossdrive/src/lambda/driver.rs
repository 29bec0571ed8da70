//! The `Lambda` driver: its deployment, where its function runs, and the
//! `Driver` face over the invocation steps in `invoke.rs`.

use std::sync::Arc;
use std::time::Duration;

use crate::guard::{Interrupted, guarded};
use crate::{
    AdapterNote, BoxFuture, Driver, DriverResponse, DriverStream, Error, ErrorKind, Protocol,
    RequestBody,
};
use axum::Router;
use bytes::Bytes;
use http::Request;
use lambda_http::lambda_runtime::Config;

use super::failure::{self, Refused};
use super::function::{self, Function};
use super::options::{InvokeMode, LambdaOptions, Source};
use super::stream::{self, STREAM_SHAPE};
use super::{alb, invoke, runtime};

/// The request an error is about: `None` for a raw event
/// ([`Lambda::invoke_event`]), which is no HTTP request.
pub(super) type About<'a> = Option<(&'a http::Method, &'a http::Uri)>;

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

/// The driver's state, shared by its clones; what every step of an
/// invocation reads.
pub(super) struct Inner {
    pub(super) name: &'static str,
    pub(super) options: LambdaOptions,
    pub(super) invoker: Invoker,
    pub(super) config: Arc<Config>,
    pub(super) protocol: Protocol,
}

/// Where the function runs.
pub(super) enum Invoker {
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
        let strip = function::stage_to_strip(&options);
        Self::with_invoker(options, None, Invoker::InProcess(Function::new(app, strip)))
    }

    pub(super) fn with_invoker(
        options: LambdaOptions,
        name: Option<&'static str>,
        invoker: Invoker,
    ) -> Self {
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
                config: Arc::new(function::config(&options)),
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
        invoke::raw_event(&self.inner, event).await
    }
}

impl Inner {
    /// Fails the request when the options describe a deployment that
    /// cannot exist (see [`LambdaOptions::validate`]).
    pub(super) fn check_options(&self, about: About<'_>) -> Result<(), Error> {
        self.options.validate().map_err(|problem| {
            self.error(ErrorKind::InvalidRequest, about, problem)
                .with_hint("fix the LambdaOptions this driver was built with")
        })
    }

    /// The instance, when this deployment streams its responses.
    pub(super) fn streaming(&self) -> Option<&runtime::Instance> {
        match &self.invoker {
            Invoker::Runtime(instance)
                if self.options.invoke_mode == InvokeMode::ResponseStream =>
            {
                Some(instance)
            }
            _ => None,
        }
    }

    /// The app's final 1xx status, named as the app's mistake. AWS
    /// documents no answer of its own to a 1xx `statusCode` (its
    /// "Malformed Lambda proxy response" 502 is about the JSON's shape, and
    /// lambda_http serializes whatever status the app returned), so the
    /// drivers name the mistake, as every other driver does, rather than
    /// guess at a deployment's answer.
    pub(super) fn final_informational(&self, about: About<'_>, status: http::StatusCode) -> Error {
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
    pub(super) fn error(
        &self,
        kind: ErrorKind,
        about: About<'_>,
        cause: impl Into<String>,
    ) -> Error {
        match about {
            Some((method, uri)) => Error::new(kind, self.name, method, uri, cause),
            None => Error::without_request(kind, self.name, cause),
        }
    }

    /// The earlier of the function timeout and the integration timeout.
    pub(super) fn aws_limit(&self) -> Duration {
        let function = self.options.function_timeout;
        self.options
            .integration_timeout
            .map_or(function, |i| i.min(function))
    }

    /// The source's own answer to `refused`, with the notes so far.
    pub(super) fn failed(&self, refused: Refused, mut notes: Vec<AdapterNote>) -> DriverResponse {
        let Refused { kind, code, reason } = refused;
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

    /// Refused as the event source refuses it (`upgrade.rs`).
    #[cfg(feature = "websocket")]
    fn websocket(
        &self,
        request: Request<Bytes>,
    ) -> BoxFuture<'_, Result<crate::websocket::Handshake, Error>> {
        Box::pin(super::upgrade::handshake(self, &self.inner, request))
    }

    fn send(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<DriverResponse, Error>> {
        let inner = &*self.inner;
        let Some(instance) = inner.streaming() else {
            return Box::pin(invoke::round_trip(inner, request));
        };
        // A buffering client of a streaming URL: the stream, read whole.
        Box::pin(async move {
            let (method, uri) = (request.method().clone(), request.uri().clone());
            let about = Some((&method, &uri));
            let whole = async {
                let streamed =
                    invoke::stream_trip(inner, instance, request.map(RequestBody::full)).await?;
                stream::collect(inner, about, streamed).await
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
            return Box::pin(invoke::stream_trip(inner, instance, request));
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
            let delivered = invoke::round_trip(inner, Request::from_parts(parts, body)).await?;
            Ok(DriverStream::buffered(inner.name, delivered))
        })
    }
}
