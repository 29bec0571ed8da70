//! What a Lambda driver simulates: the event source and the deployment's
//! settings (stage, binary media types, function timeout, memory).
//!
//! Defaults reproduce a default deployment that works for a path-routed
//! app, and every default is written next to its setting:
//!
//! - HTTP API and Function URLs use the `$default` stage, which never
//!   appears in the path (lambda_http skips `$default`).
//! - REST APIs have no `$default` stage; the default stage is `prod`.
//!   lambda_http 1.3 then prefixes the path with `/prod` unless the
//!   function sets `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`, which is what a
//!   REST deployment of a path-routed app must do to work at all. So the
//!   default is "stage not in path", reproduced exactly (see
//!   `function.rs`) and reported with the `stage-not-in-path` note;
//!   [`LambdaOptions::stage_in_path`] turns the prefix on.
//! - The function timeout is AWS's default of 3 s, memory 128 MB.

use std::time::Duration;

use crate::direct::DEFAULT_TIMEOUT;

/// The service that invokes the function, which decides the event's shape
/// and what the client sees.
///
/// ```
/// use crossdrive::lambda::{LambdaOptions, Source};
/// let alb = Source::Alb { multi_value_headers: true };
/// assert_eq!(alb.shape(), "alb-multi-value");
/// assert_eq!(LambdaOptions::new(alb).source(), alb);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// API Gateway HTTP API, payload format 2.0.
    HttpApi,
    /// A Lambda Function URL (payload format 2.0, `lambda-url` domain).
    FunctionUrl,
    /// API Gateway REST API, payload format 1.0, `{proxy+}` route.
    Rest,
    /// An Application Load Balancer target group.
    Alb {
        /// Whether the target group has multi-value headers enabled.
        multi_value_headers: bool,
    },
}

impl Source {
    /// The event shape, as reported in [`crossdrive::Protocol::Lambda`](crate::Protocol::Lambda).
    ///
    /// ```
    /// use crossdrive::lambda::Source;
    /// assert_eq!(Source::Rest.shape(), "apigw-rest-v1");
    /// ```
    pub fn shape(self) -> &'static str {
        match self {
            Self::HttpApi => "apigw-http-v2",
            Self::FunctionUrl => "function-url",
            Self::Rest => "apigw-rest-v1",
            Self::Alb {
                multi_value_headers: false,
            } => "alb",
            Self::Alb {
                multi_value_headers: true,
            } => "alb-multi-value",
        }
    }

    /// The source's integration timeout without a quota increase, after
    /// which it answers the client itself: 29 s for REST, 30 s for HTTP
    /// API; Function URLs and ALB wait for the function's own timeout.
    /// (A REST API may be given more, see
    /// [`LambdaOptions::integration_timeout`].)
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::lambda::Source;
    /// assert_eq!(Source::Rest.max_integration_timeout(), Some(Duration::from_secs(29)));
    /// assert_eq!(Source::HttpApi.max_integration_timeout(), Some(Duration::from_secs(30)));
    /// assert_eq!(Source::FunctionUrl.max_integration_timeout(), None);
    /// ```
    pub fn max_integration_timeout(self) -> Option<Duration> {
        match self {
            Self::Rest => Some(Duration::from_secs(29)),
            Self::HttpApi => Some(Duration::from_secs(30)),
            Self::FunctionUrl | Self::Alb { .. } => None,
        }
    }

    /// Whether the path carries API Gateway stages at all.
    pub(crate) fn has_stages(self) -> bool {
        matches!(self, Self::HttpApi | Self::Rest)
    }
}

/// How a Function URL invokes its function (its `InvokeMode`).
///
/// `Buffered` (AWS's default) calls `Invoke`: the whole response comes
/// back at once, 6 MB at most. `ResponseStream` calls
/// `InvokeWithResponseStream`: the function streams its response through
/// the Runtime API and the client receives it as written, up to 200 MB,
/// at most 2 MB/s after the first 6 MB
/// (<https://docs.aws.amazon.com/lambda/latest/dg/config-rs-invoke-furls.html>,
/// <https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html>).
/// A streaming deployment runs the real `lambda_http::run_with_streaming_response`
/// loop in a child process: the `lambda-url-stream` driver.
///
/// ```
/// use crossdrive::lambda::{InvokeMode, LambdaOptions, Source};
/// let options = LambdaOptions::new(Source::FunctionUrl).invoke_mode(InvokeMode::ResponseStream);
/// assert_eq!(options.get_invoke_mode(), InvokeMode::ResponseStream);
/// assert_eq!(LambdaOptions::new(Source::FunctionUrl).get_invoke_mode(), InvokeMode::Buffered);
/// assert!(LambdaOptions::new(Source::Rest).invoke_mode(InvokeMode::ResponseStream).validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum InvokeMode {
    /// `BUFFERED`: the whole response at once (the default).
    #[default]
    Buffered,
    /// `RESPONSE_STREAM`: the response as the function writes it.
    ResponseStream,
}

/// A REST API's endpoint type (`EndpointConfiguration.Types`), which
/// decides what stands in front of it and which quotas apply
/// (<https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-endpoint-types.html>,
/// quotas from
/// <https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html>):
///
/// | | URL length | all headers | integration timeout |
/// |---|---|---|---|
/// | `Regional` (the default) | 10,240 | 10,240 bytes | 29 s, raisable |
/// | `EdgeOptimized` | 8,192 | 10,240 bytes | 29 s, not raisable |
/// | `Private` | 8,192 | 8,000 bytes | 29 s, raisable |
///
/// An edge-optimized API is reached through CloudFront, which adds its
/// headers to every request the function sees: `Via`, `X-Amz-Cf-Id`,
/// `CloudFront-Forwarded-Proto`, `CloudFront-Is-{Desktop,Mobile,SmartTV,Tablet}-Viewer`,
/// `CloudFront-Viewer-Country`, and its edge address after the client's in
/// `X-Forwarded-For` (the edge-optimized capture in
/// awslabs/aws-lambda-rust-runtime, `lambda-events/src/fixtures/example-apigw-request.json`).
/// Only REST APIs have endpoint types; HTTP APIs are always Regional.
///
/// ```
/// use crossdrive::lambda::{Endpoint, LambdaOptions, Source, build_event};
/// let options = LambdaOptions::new(Source::Rest).endpoint(Endpoint::EdgeOptimized);
/// let request = http::Request::get("/").body(bytes::Bytes::new()).unwrap();
/// let event: serde_json::Value = serde_json::from_slice(&build_event(&request, &options)).unwrap();
/// assert_eq!(event["headers"]["CloudFront-Viewer-Country"], "US");
/// assert!(LambdaOptions::new(Source::HttpApi).endpoint(Endpoint::Private).validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Endpoint {
    /// `REGIONAL`: clients reach the API in its Region directly.
    #[default]
    Regional,
    /// `EDGE`: clients reach the API through a CloudFront distribution.
    EdgeOptimized,
    /// `PRIVATE`: reachable only from a VPC through an interface endpoint.
    Private,
}

impl Endpoint {
    /// The longest URL the endpoint type accepts, in characters.
    pub(crate) fn url_limit(self) -> usize {
        match self {
            Self::Regional => 10_240,
            Self::EdgeOptimized | Self::Private => 8_192,
        }
    }

    /// The most bytes of header names, values, separators and line ends.
    pub(crate) fn header_limit(self) -> usize {
        match self {
            Self::Regional | Self::EdgeOptimized => 10_240,
            Self::Private => 8_000,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Regional => "Regional",
            Self::EdgeOptimized => "edge-optimized",
            Self::Private => "private",
        }
    }
}

/// The deployment a Lambda driver simulates.
///
/// ```
/// use std::time::Duration;
/// use crossdrive::lambda::{LambdaOptions, Source};
///
/// let options = LambdaOptions::new(Source::Rest)
///     .stage("v1")
///     .stage_in_path(true)
///     .binary_media_types(["image/png"])
///     .function_timeout(Duration::from_millis(500))
///     .memory_mb(512);
/// assert_eq!(options.source(), Source::Rest);
/// ```
#[derive(Debug, Clone)]
pub struct LambdaOptions {
    pub(crate) source: Source,
    pub(crate) stage: String,
    pub(crate) stage_in_path: bool,
    pub(crate) binary_media_types: Vec<String>,
    pub(crate) function_timeout: Duration,
    pub(crate) memory_mb: u32,
    pub(crate) function_name: String,
    pub(crate) region: String,
    pub(crate) timeout: Duration,
    pub(crate) integration_timeout: Option<Duration>,
    pub(crate) invoke_mode: InvokeMode,
    pub(crate) endpoint: Endpoint,
    pub(crate) inherit_env: Vec<String>,
}

/// The variables a `lambda-runtime` function instance gets from its
/// deployment, never from the host: Lambda sets them itself and a
/// function's configuration cannot, so neither can
/// [`LambdaOptions::inherit_env`]. The `AWS_LAMBDA_` prefix and
/// crossdrive's `CROSSDRIVE_` prefix are refused as a whole.
pub(crate) const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "TZ",
];

/// AWS's default function timeout.
///
/// ```
/// assert_eq!(crossdrive::lambda::DEFAULT_FUNCTION_TIMEOUT.as_secs(), 3);
/// ```
pub const DEFAULT_FUNCTION_TIMEOUT: Duration = Duration::from_secs(3);

impl LambdaOptions {
    /// The defaults for `source` (see the module docs for why each is what it is).
    ///
    /// ```
    /// use crossdrive::lambda::{LambdaOptions, Source, build_event};
    /// let request = http::Request::get("/").body(bytes::Bytes::new()).unwrap();
    /// let event = build_event(&request, &LambdaOptions::new(Source::Rest));
    /// let event: serde_json::Value = serde_json::from_slice(&event).unwrap();
    /// assert_eq!(event["requestContext"]["stage"], "prod"); // REST has no `$default`
    /// ```
    pub fn new(source: Source) -> Self {
        let stage = match source {
            Source::Rest => "prod",
            _ => "$default",
        };
        Self {
            source,
            stage: stage.to_owned(),
            stage_in_path: false,
            binary_media_types: Vec::new(),
            function_timeout: DEFAULT_FUNCTION_TIMEOUT,
            memory_mb: 128,
            function_name: "crossdrive-function".to_owned(),
            region: "us-east-1".to_owned(),
            timeout: DEFAULT_TIMEOUT,
            integration_timeout: source.max_integration_timeout(),
            invoke_mode: InvokeMode::Buffered,
            endpoint: Endpoint::Regional,
            inherit_env: Vec::new(),
        }
    }

    /// The event source.
    ///
    /// ```
    /// use crossdrive::lambda::{LambdaOptions, Source};
    /// assert_eq!(LambdaOptions::new(Source::FunctionUrl).source(), Source::FunctionUrl);
    /// ```
    pub fn source(&self) -> Source {
        self.source
    }

    /// The API Gateway stage (default `$default`, `prod` for REST).
    ///
    /// ```
    /// use crossdrive::lambda::{LambdaOptions, Source, build_event};
    /// let request = http::Request::get("/").body(bytes::Bytes::new()).unwrap();
    /// let event = build_event(&request, &LambdaOptions::new(Source::HttpApi).stage("v2"));
    /// let event: serde_json::Value = serde_json::from_slice(&event).unwrap();
    /// assert_eq!(event["requestContext"]["stage"], "v2");
    /// ```
    #[must_use]
    pub fn stage(mut self, stage: impl Into<String>) -> Self {
        self.stage = stage.into();
        self
    }

    /// Whether lambda_http puts the stage in front of the path, as it does
    /// unless the function sets `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH`
    /// (default false: the variable is set). `$default` never appears.
    ///
    /// ```
    /// use crossdrive::Client;
    /// use crossdrive::lambda::{Lambda, LambdaOptions, Source};
    /// let app = axum::Router::new().fallback(|uri: http::Uri| async move { uri.path().to_owned() });
    /// let options = LambdaOptions::new(Source::Rest).stage("v1").stage_in_path(true);
    /// let client = Client::new(Lambda::new(app, options));
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// client.get("/hello").await.assert_text("/v1/hello");
    /// # });
    /// ```
    #[must_use]
    pub fn stage_in_path(mut self, yes: bool) -> Self {
        self.stage_in_path = yes;
        self
    }

    /// REST API binary media types (default none). Without a match, REST
    /// sends request bodies as text and returns base64 response bodies
    /// undecoded, as AWS does. `*/*` and `image/*` wildcards work.
    ///
    /// ```
    /// use crossdrive::lambda::{LambdaOptions, Source, build_event};
    /// let png = http::Request::post("/up").header("content-type", "image/png")
    ///     .body(bytes::Bytes::from_static(b"\x89PNG")).unwrap();
    /// let options = LambdaOptions::new(Source::Rest).binary_media_types(["image/*"]);
    /// let event: serde_json::Value = serde_json::from_slice(&build_event(&png, &options)).unwrap();
    /// assert_eq!(event["isBase64Encoded"], true);
    /// ```
    #[must_use]
    pub fn binary_media_types<S: Into<String>>(
        mut self,
        types: impl IntoIterator<Item = S>,
    ) -> Self {
        self.binary_media_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// The function's timeout (default 3 s, AWS's default).
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::lambda::{Lambda, LambdaOptions, Source};
    /// let app = axum::Router::new().fallback(|| std::future::pending::<&'static str>());
    /// let options = LambdaOptions::new(Source::Rest).function_timeout(Duration::from_millis(50));
    /// let client = crossdrive::Client::new(Lambda::new(app, options));
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let response = client.get("/slow").await;
    /// response.assert_status(502); // REST's answer to a timed-out function
    /// assert!(response.notes().iter().any(|note| note.code == "function-timeout"));
    /// # });
    /// ```
    #[must_use]
    pub fn function_timeout(mut self, timeout: Duration) -> Self {
        self.function_timeout = timeout;
        self
    }

    /// The function's memory in MB (default 128), seen in its Context.
    ///
    /// ```
    /// use crossdrive::lambda::{Lambda, LambdaOptions, Source};
    /// let app = axum::Router::new().fallback(|request: axum::extract::Request| async move {
    ///     request.extensions().get::<lambda_http::Context>().unwrap().env_config.memory.to_string()
    /// });
    /// let options = LambdaOptions::new(Source::HttpApi).memory_mb(512);
    /// let client = crossdrive::Client::new(Lambda::new(app, options));
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// client.get("/").await.assert_text("512");
    /// # });
    /// ```
    #[must_use]
    pub fn memory_mb(mut self, memory: u32) -> Self {
        self.memory_mb = memory;
        self
    }

    /// The function's name (default `crossdrive-function`).
    ///
    /// ```
    /// use crossdrive::lambda::{Lambda, LambdaOptions, Source};
    /// let app = axum::Router::new().fallback(|request: axum::extract::Request| async move {
    ///     request.extensions().get::<lambda_http::Context>().unwrap().env_config.function_name.clone()
    /// });
    /// let options = LambdaOptions::new(Source::HttpApi).function_name("todo-api");
    /// let client = crossdrive::Client::new(Lambda::new(app, options));
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// client.get("/").await.assert_text("todo-api");
    /// # });
    /// ```
    #[must_use]
    pub fn function_name(mut self, name: impl Into<String>) -> Self {
        self.function_name = name.into();
        self
    }

    /// The API's integration timeout (default 29 s for REST, 30 s for HTTP
    /// API; both let it be lowered, to 50 ms at least). Past it the API
    /// answers 504 (REST) or 503 (HTTP API) while the function may still
    /// run. An HTTP API's is at most 30 s; a Regional or private REST API's
    /// can be raised past 29 s with a quota increase since June 2024
    /// (<https://aws.amazon.com/about-aws/whats-new/2024/06/amazon-api-gateway-integration-timeout-limit-29-seconds/>),
    /// with no documented ceiling, so crossdrive caps it at Lambda's own
    /// 900 s; an [`Endpoint::EdgeOptimized`] API's cannot be raised, and
    /// [`validate`](Self::validate) refuses one over 29 s. Ignored for
    /// Function URLs and ALB, which have none.
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::lambda::{LambdaOptions, Source};
    /// let rest = LambdaOptions::new(Source::Rest).integration_timeout(Duration::from_secs(60));
    /// assert_eq!(rest.get_integration_timeout(), Some(Duration::from_secs(60)));
    /// let http = LambdaOptions::new(Source::HttpApi).integration_timeout(Duration::from_secs(60));
    /// assert_eq!(http.get_integration_timeout(), Some(Duration::from_secs(30)));
    /// ```
    #[must_use]
    pub fn integration_timeout(mut self, timeout: Duration) -> Self {
        let ceiling = match self.source {
            Source::Rest => Some(Duration::from_secs(900)),
            other => other.max_integration_timeout(),
        };
        self.integration_timeout = ceiling.map(|max| timeout.clamp(Duration::from_millis(50), max));
        self
    }

    /// The integration timeout in effect, `None` for sources without one.
    ///
    /// ```
    /// use crossdrive::lambda::{LambdaOptions, Source};
    /// assert_eq!(LambdaOptions::new(Source::FunctionUrl).get_integration_timeout(), None);
    /// ```
    pub fn get_integration_timeout(&self) -> Option<Duration> {
        self.integration_timeout
    }

    /// crossdrive's own patience per request (default 5 s): past it the
    /// driver gives up with a timeout error, whatever AWS would still do.
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::lambda::{Lambda, LambdaOptions, Source};
    /// let app = axum::Router::new().fallback(|| std::future::pending::<&'static str>());
    /// let options = LambdaOptions::new(Source::Alb { multi_value_headers: false })
    ///     .timeout(Duration::from_millis(20));
    /// let client = crossdrive::Client::new(Lambda::new(app, options));
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// assert!(client.get("/slow").try_send().await.unwrap_err().is_timeout());
    /// # });
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The Function URL's invoke mode (default [`InvokeMode::Buffered`]).
    /// `ResponseStream` is only for [`Source::FunctionUrl`]; a
    /// [`DriverSpec::lambda`](crate::DriverSpec::lambda) with it is the
    /// `lambda-url-stream` driver.
    ///
    /// ```
    /// use crossdrive::DriverSpec;
    /// use crossdrive::lambda::{InvokeMode, LambdaOptions, Source};
    /// let spec = DriverSpec::lambda(
    ///     LambdaOptions::new(Source::FunctionUrl).invoke_mode(InvokeMode::ResponseStream),
    /// );
    /// assert_eq!(spec.name(), "lambda-url-stream");
    /// ```
    #[must_use]
    pub fn invoke_mode(mut self, mode: InvokeMode) -> Self {
        self.invoke_mode = mode;
        self
    }

    /// The invoke mode in effect.
    ///
    /// ```
    /// use crossdrive::lambda::{InvokeMode, LambdaOptions, Source};
    /// assert_eq!(LambdaOptions::new(Source::HttpApi).get_invoke_mode(), InvokeMode::Buffered);
    /// ```
    pub fn get_invoke_mode(&self) -> InvokeMode {
        self.invoke_mode
    }

    /// The REST API's endpoint type (default [`Endpoint::Regional`]): its
    /// URL and header quotas, whether its integration timeout can be
    /// raised, and, for [`Endpoint::EdgeOptimized`], the CloudFront headers
    /// the function sees. Only [`Source::Rest`] has endpoint types.
    ///
    /// ```
    /// use crossdrive::lambda::{Endpoint, Lambda, LambdaOptions, Source};
    /// let app = axum::Router::new().fallback(|| async { "ok" });
    /// let options = LambdaOptions::new(Source::Rest).endpoint(Endpoint::EdgeOptimized);
    /// let client = crossdrive::Client::new(Lambda::new(app, options));
    /// let long = format!("/{}", "a".repeat(9_000)); // over an edge-optimized API's 8,192
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// client.get(&long).await.assert_status(414);
    /// # });
    /// ```
    #[must_use]
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// The endpoint type in effect.
    ///
    /// ```
    /// use crossdrive::lambda::{Endpoint, LambdaOptions, Source};
    /// assert_eq!(LambdaOptions::new(Source::Rest).get_endpoint(), Endpoint::Regional);
    /// ```
    pub fn get_endpoint(&self) -> Endpoint {
        self.endpoint
    }

    /// Lets a function instance in a child process (`lambda-runtime`,
    /// `lambda-url-stream`) see the host's value of the variable `name`,
    /// when the test process has it. Without it the instance sees
    /// Lambda's environment, not the developer's: no `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `GITHUB_TOKEN` or
    /// anything else of the shell's (see `docs/lambda.md` for what it gets).
    /// Call it once per name. A name Lambda sets itself (`AWS_REGION`,
    /// `AWS_LAMBDA_*`, `_HANDLER`, ...) or that is not a Lambda variable
    /// name (a letter, then letters, digits or `_`) makes
    /// [`validate`](Self::validate) fail. The in-process Lambda drivers run
    /// in the test process and share its environment whatever this says.
    ///
    /// ```
    /// use crossdrive::lambda::{LambdaOptions, Source};
    /// let options = LambdaOptions::new(Source::HttpApi).inherit_env("AWS_PROFILE");
    /// assert_eq!(options.get_inherit_env(), ["AWS_PROFILE"]);
    /// let problem = LambdaOptions::new(Source::HttpApi).inherit_env("AWS_REGION").validate().unwrap_err();
    /// assert!(problem.contains("Region"), "{problem}");
    /// ```
    #[must_use]
    pub fn inherit_env(mut self, name: impl Into<String>) -> Self {
        self.inherit_env.push(name.into());
        self
    }

    /// The host variables a child-process instance inherits, in the order given.
    ///
    /// ```
    /// use crossdrive::lambda::{LambdaOptions, Source};
    /// assert!(LambdaOptions::new(Source::Rest).get_inherit_env().is_empty());
    /// ```
    pub fn get_inherit_env(&self) -> &[String] {
        &self.inherit_env
    }

    /// What is wrong with the name `name` given to `inherit_env`, if anything.
    fn check_inherited(name: &str) -> Result<(), String> {
        if name == "AWS_REGION" || name == "AWS_DEFAULT_REGION" {
            return Err(format!(
                "inherit_env(`{name}`): a function's Region is the one it is deployed in (here \
                 us-east-1), never the host's; drop it"
            ));
        }
        if name.starts_with("AWS_LAMBDA_") || RESERVED_ENV.contains(&name) {
            return Err(format!(
                "inherit_env(`{name}`): Lambda sets this variable itself and a function cannot \
                 take it from elsewhere; drop it (the function name, memory and timeout have \
                 their own LambdaOptions)"
            ));
        }
        if name.starts_with("CROSSDRIVE_") {
            return Err(format!(
                "inherit_env(`{name}`): crossdrive passes its own CROSSDRIVE_ variables to the \
                 function instance already; drop it"
            ));
        }
        let mut chars = name.chars();
        let shaped = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !shaped {
            return Err(format!(
                "inherit_env(`{}`) is not a Lambda environment variable name; use a letter, \
                 then letters, digits or `_`, such as `AWS_PROFILE`",
                name.escape_debug()
            ));
        }
        Ok(())
    }

    /// The function's ARN.
    pub(crate) fn function_arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:123456789012:function:{}",
            self.region, self.function_name
        )
    }

    /// What is wrong with these options, if anything: a stage, function
    /// name, memory size, media type or timeout that the real service
    /// would refuse (or that cannot work). The drivers call it and fail
    /// every request with an invalid-request error carrying this message,
    /// instead of simulating a deployment that cannot exist.
    ///
    /// ```
    /// use crossdrive::lambda::{LambdaOptions, Source};
    /// assert!(LambdaOptions::new(Source::Rest).validate().is_ok());
    /// let problem = LambdaOptions::new(Source::Rest).stage("my stage").validate().unwrap_err();
    /// assert!(problem.contains("stage `my stage`"), "{problem}");
    /// ```
    pub fn validate(&self) -> Result<(), String> {
        self.check_source()?;
        self.check_function()?;
        self.check_binary_media_types()
    }

    /// What the source's service would refuse: the stage, the invoke mode,
    /// the endpoint type and its integration timeout.
    fn check_source(&self) -> Result<(), String> {
        if self.stage != "$default"
            && (self.stage.is_empty() || self.stage.len() > 128 || !is_name(&self.stage))
        {
            return Err(format!(
                "the stage `{}` is not an API Gateway stage name; use 1 to 128 letters, digits, `-` or `_` (such as `prod`), or `$default`",
                self.stage.escape_debug()
            ));
        }
        if self.stage != "$default" && !self.source.has_stages() {
            return Err(format!(
                "a {} has no stages, so the stage `{}` could never be in a request; leave the \
                 stage unset (stages belong to REST and HTTP APIs)",
                match self.source {
                    Source::FunctionUrl => "Function URL",
                    _ => "load balancer",
                },
                self.stage.escape_debug()
            ));
        }
        if self.invoke_mode == InvokeMode::ResponseStream && self.source != Source::FunctionUrl {
            return Err(format!(
                "InvokeMode::ResponseStream is a Function URL setting, and this deployment is a \
                 {} ({}); use Source::FunctionUrl to stream, or leave the invoke mode Buffered",
                match self.source {
                    Source::HttpApi => "HTTP API",
                    Source::Rest => "REST API",
                    _ => "load balancer",
                },
                self.source.shape()
            ));
        }
        if self.endpoint != Endpoint::Regional && self.source != Source::Rest {
            return Err(format!(
                "only REST APIs have endpoint types, and this deployment is a {}; leave the \
                 endpoint Regional, or use Source::Rest for the {} API",
                self.source.shape(),
                self.endpoint.name()
            ));
        }
        let raised = self
            .integration_timeout
            .is_some_and(|t| t > Duration::from_secs(29));
        if self.source == Source::Rest && self.endpoint == Endpoint::EdgeOptimized && raised {
            return Err(format!(
                "an edge-optimized REST API's integration timeout cannot be raised above 29 s \
                 (only Regional and private APIs' can), and this one is {:?}; lower it with \
                 LambdaOptions::integration_timeout or use Endpoint::Regional",
                self.integration_timeout.unwrap_or_default()
            ));
        }
        Ok(())
    }

    /// What Lambda would refuse of the function (its name, memory and
    /// timeout), and a crossdrive timeout or inherited variable that
    /// cannot work.
    fn check_function(&self) -> Result<(), String> {
        if self.function_name.is_empty()
            || self.function_name.len() > 64
            || !is_name(&self.function_name)
        {
            return Err(format!(
                "the function name `{}` is not a Lambda function name; use 1 to 64 letters, digits, `-` or `_`",
                self.function_name.escape_debug()
            ));
        }
        if !(128..=10_240).contains(&self.memory_mb) {
            return Err(format!(
                "memory_mb is {}; Lambda allows 128 to 10240 MB",
                self.memory_mb
            ));
        }
        if self.function_timeout.is_zero() || self.function_timeout > Duration::from_secs(900) {
            return Err(format!(
                "the function timeout is {:?}; Lambda allows up to 900 s: set one between 1 ms and 900 s",
                self.function_timeout
            ));
        }
        if self.timeout.is_zero() {
            return Err(
                "crossdrive's timeout is zero, so no request could finish; set a positive one with LambdaOptions::timeout"
                    .to_owned(),
            );
        }
        for name in &self.inherit_env {
            Self::check_inherited(name)?;
        }
        Ok(())
    }

    /// Each REST binary media type must be `type/subtype`.
    fn check_binary_media_types(&self) -> Result<(), String> {
        if let Some(bad) = self.binary_media_types.iter().find(|t| {
            let mut parts = t.splitn(2, '/');
            let (major, minor) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            major.is_empty()
                || minor.is_empty()
                || t.chars().any(|c| c.is_whitespace() || c.is_control())
        }) {
            return Err(format!(
                "the binary media type `{}` is not `type/subtype`; write it as API Gateway does, such as `image/png` or `*/*`",
                bad.escape_debug()
            ));
        }
        Ok(())
    }

    /// Whether `content_type` matches one of the REST binary media types.
    pub(crate) fn is_binary_media_type(&self, content_type: &str) -> bool {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        self.binary_media_types.iter().any(|t| {
            let t = t.to_ascii_lowercase();
            t == essence
                || t == "*/*"
                || t.strip_suffix("/*")
                    .is_some_and(|major| essence.split('/').next() == Some(major))
        })
    }
}

/// Letters, digits, `-` and `_`: what a stage or function name may hold.
fn is_name(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inherit_env_refuses_bad_names_and_names_lambda_or_crossdrive_set() {
        let problem = |name: &str| {
            LambdaOptions::new(Source::HttpApi)
                .inherit_env(name)
                .validate()
                .unwrap_err()
        };
        for bad in ["", "1ABC", "MY-VAR", "A=B", "A B", "É"] {
            assert!(
                problem(bad).contains("not a Lambda environment variable name"),
                "{bad}"
            );
        }
        assert!(problem("AWS_LAMBDA_RUNTIME_API").contains("Lambda sets this variable"));
        assert!(problem("_HANDLER").contains("Lambda sets this variable"));
        assert!(problem("TZ").contains("Lambda sets this variable"));
        assert!(problem("AWS_DEFAULT_REGION").contains("Region"));
        assert!(problem("CROSSDRIVE_DRIVERS").contains("already"));
        let fine = LambdaOptions::new(Source::HttpApi)
            .inherit_env("AWS_PROFILE")
            .inherit_env("AWS_SECRET_ACCESS_KEY")
            .inherit_env("database_url");
        assert_eq!(fine.validate(), Ok(()));
    }
}
