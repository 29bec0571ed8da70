//! The WebSocket API a `lambda-ws` driver deploys: its stage, routes,
//! route selection expression, two-way routes, limits and function.
//!
//! Defaults follow a console-made WebSocket API with one Lambda proxy
//! integration on `$connect`, `$disconnect` and `$default`, deployed to a
//! `prod` stage (the `lambda-v1` driver's stage name too):
//!
//! - route selection expression `$request.body.action`, the console's
//!   suggestion and the documentation's running example
//!   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html>);
//! - no custom routes and no route response: every route is one-way, as
//!   API Gateway makes them, so the function's answer to a message is not
//!   sent back unless [`WebSocketOptions::two_way`] names its route
//!   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html>);
//! - AWS's limits ([`limits`](super::limits)), each of which a test may
//!   scale down to see it hit in milliseconds.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use super::limits::{
    WS_FRAME_LIMIT, WS_IDLE_TIMEOUT, WS_INTEGRATION_TIMEOUT, WS_MAX_DURATION, WS_MESSAGE_LIMIT,
};
use crate::lambda::{DEFAULT_FUNCTION_TIMEOUT, LambdaOptions, Source};

/// Builds a fresh function (an axum `Router` handling API Gateway
/// WebSocket events) for each deployment.
///
/// ```
/// use std::sync::Arc;
/// use crossdrive::lambda::ws::FunctionFactory;
/// let factory: FunctionFactory = Arc::new(axum::Router::new);
/// let _fresh: axum::Router = factory();
/// ```
pub type FunctionFactory = Arc<dyn Fn() -> Router + Send + Sync>;

/// The WebSocket API a `lambda-ws` driver models.
///
/// ```
/// use std::time::Duration;
/// use crossdrive::lambda::ws::WebSocketOptions;
///
/// let options = WebSocketOptions::new()
///     .stage("dev")
///     .route_selection_expression("$request.body.type")
///     .route("join")
///     .two_way("$default")
///     .idle_timeout(Duration::from_millis(200));
/// assert_eq!(options.get_stage(), "dev");
/// assert!(options.is_two_way("$default"));
/// assert!(!options.is_two_way("join"));
/// assert!(options.validate().is_ok());
/// assert!(WebSocketOptions::new().stage("").validate().is_err());
/// ```
#[derive(Clone)]
pub struct WebSocketOptions {
    pub(crate) stage: String,
    pub(crate) api_id: String,
    pub(crate) route_selection_expression: String,
    pub(crate) routes: Vec<String>,
    pub(crate) default_route: bool,
    pub(crate) two_way: Vec<String>,
    pub(crate) frame_limit: usize,
    pub(crate) message_limit: usize,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_duration: Duration,
    pub(crate) integration_timeout: Duration,
    /// The function's own settings (name, memory, timeout), as the other
    /// Lambda drivers hold them; its source is irrelevant here.
    pub(crate) lambda: LambdaOptions,
    pub(crate) function: Option<FunctionFactory>,
}

impl fmt::Debug for WebSocketOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketOptions")
            .field("stage", &self.stage)
            .field("api_id", &self.api_id)
            .field(
                "route_selection_expression",
                &self.route_selection_expression,
            )
            .field("routes", &self.routes)
            .field("default_route", &self.default_route)
            .field("two_way", &self.two_way)
            .field("frame_limit", &self.frame_limit)
            .field("message_limit", &self.message_limit)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_duration", &self.max_duration)
            .field("integration_timeout", &self.integration_timeout)
            .field("function_timeout", &self.lambda.function_timeout)
            .field("function", &self.function.as_ref().map(|_| "a factory"))
            .finish()
    }
}

impl Default for WebSocketOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl WebSocketOptions {
    /// A default WebSocket API (see the module docs).
    ///
    /// ```
    /// use crossdrive::lambda::ws::WebSocketOptions;
    /// let options = WebSocketOptions::new();
    /// assert_eq!(options.get_stage(), "prod");
    /// assert_eq!(options.get_route_selection_expression(), "$request.body.action");
    /// ```
    pub fn new() -> Self {
        Self {
            stage: "prod".to_owned(),
            // Ten lower-case characters, as API ids are.
            api_id: "crossdrv01".to_owned(),
            route_selection_expression: "$request.body.action".to_owned(),
            routes: Vec::new(),
            default_route: true,
            two_way: Vec::new(),
            frame_limit: WS_FRAME_LIMIT,
            message_limit: WS_MESSAGE_LIMIT,
            idle_timeout: WS_IDLE_TIMEOUT,
            max_duration: WS_MAX_DURATION,
            integration_timeout: WS_INTEGRATION_TIMEOUT,
            lambda: LambdaOptions::new(Source::Rest).function_timeout(DEFAULT_FUNCTION_TIMEOUT),
            function: None,
        }
    }

    /// The stage the API is deployed to: the first path segment of its
    /// URL and of its `@connections` endpoint, and `requestContext.stage`.
    pub fn stage(mut self, stage: impl Into<String>) -> Self {
        self.stage = stage.into();
        self
    }

    /// The stage name.
    pub fn get_stage(&self) -> &str {
        &self.stage
    }

    /// The API's route selection expression, evaluated on every JSON
    /// message: `$request.body.<path>` or `${request.body.<path>}` with
    /// static text around it (`route.rs`).
    pub fn route_selection_expression(mut self, expression: impl Into<String>) -> Self {
        self.route_selection_expression = expression.into();
        self
    }

    /// The route selection expression.
    pub fn get_route_selection_expression(&self) -> &str {
        &self.route_selection_expression
    }

    /// Adds a custom route key, integrated with the function.
    ///
    /// ```
    /// use crossdrive::lambda::ws::WebSocketOptions;
    /// assert!(WebSocketOptions::new().route("join").two_way("join").validate().is_ok());
    /// assert!(WebSocketOptions::new().two_way("join").validate().is_err());
    /// ```
    pub fn route(mut self, key: impl Into<String>) -> Self {
        self.routes.push(key.into());
        self
    }

    /// Whether the API has a `$default` route (default `true`); without
    /// one a message matching no route is answered with API Gateway's
    /// `Forbidden` message.
    pub fn default_route(mut self, present: bool) -> Self {
        self.default_route = present;
        self
    }

    /// Gives route `key` (`$default` or a custom route) a route response
    /// (`RouteResponseKey` `$default`): the function's response body is
    /// then sent back to the client as a message.
    pub fn two_way(mut self, key: impl Into<String>) -> Self {
        self.two_way.push(key.into());
        self
    }

    /// Whether route `key` sends the function's response back.
    pub fn is_two_way(&self, key: &str) -> bool {
        self.two_way.iter().any(|k| k == key)
    }

    /// The frame size limit (default AWS's 32 KB), scaled for a test.
    ///
    /// ```
    /// use crossdrive::lambda::ws::WebSocketOptions;
    /// assert!(WebSocketOptions::new().frame_limit(1024).message_limit(4096).validate().is_ok());
    /// assert!(WebSocketOptions::new().frame_limit(8192).message_limit(4096).validate().is_err());
    /// ```
    pub fn frame_limit(mut self, bytes: usize) -> Self {
        self.frame_limit = bytes;
        self
    }

    /// The message size limit (default AWS's 128 KB), scaled for a test.
    pub fn message_limit(mut self, bytes: usize) -> Self {
        self.message_limit = bytes;
        self
    }

    /// The idle connection timeout (default AWS's 10 minutes), scaled
    /// down so a test sees it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::lambda::ws::WebSocketOptions;
    /// assert!(WebSocketOptions::new().idle_timeout(Duration::ZERO).validate().is_err());
    /// ```
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// The connection duration limit (default AWS's 2 hours), scaled down
    /// so a test sees it.
    pub fn max_duration(mut self, duration: Duration) -> Self {
        self.max_duration = duration;
        self
    }

    /// The integration timeout (default AWS's 29 s, its maximum).
    pub fn integration_timeout(mut self, timeout: Duration) -> Self {
        self.integration_timeout = timeout;
        self
    }

    /// The function's timeout (default Lambda's 3 s).
    pub fn function_timeout(mut self, timeout: Duration) -> Self {
        self.lambda = self.lambda.function_timeout(timeout);
        self
    }

    /// The function behind the API, built fresh for each deployment; by
    /// default the suite's app is the function. A WebSocket API usually
    /// has a function of its own, so a suite whose app serves HTTP gives
    /// its WebSocket function here.
    ///
    /// ```
    /// use crossdrive::lambda::ws::WebSocketOptions;
    /// let options = WebSocketOptions::new().function(|| axum::Router::new());
    /// assert!(options.has_function());
    /// ```
    pub fn function(mut self, factory: impl Fn() -> Router + Send + Sync + 'static) -> Self {
        self.function = Some(Arc::new(factory));
        self
    }

    /// Whether a function of its own was given (rather than the app).
    pub fn has_function(&self) -> bool {
        self.function.is_some()
    }

    /// The driver timeout the test runs under: crossdrive's bound on every
    /// invocation, beside AWS's.
    pub(crate) fn with_test_timeout(mut self, timeout: Duration) -> Self {
        self.lambda = self.lambda.timeout(timeout);
        self
    }

    /// How long one invocation may run: the first of the function's
    /// timeout, the integration timeout and the test's timeout.
    pub(crate) fn invocation_limit(&self) -> Duration {
        self.lambda
            .function_timeout
            .min(self.integration_timeout)
            .min(self.lambda.timeout)
    }

    /// Checks the options describe an API AWS would deploy.
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossdrive::lambda::ws::WebSocketOptions;
    /// assert!(WebSocketOptions::new().integration_timeout(Duration::from_secs(30)).validate().is_err());
    /// assert!(WebSocketOptions::new().route("$connect").validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), String> {
        let stage_ok = !self.stage.is_empty()
            && self
                .stage
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !stage_ok {
            return Err(format!(
                "stage {:?} is not a stage name API Gateway accepts; use letters, digits, - and _",
                self.stage
            ));
        }
        if self.route_selection_expression.is_empty() {
            return Err(
                "the route selection expression is empty; AWS requires one for a \
                        WebSocket API (the usual one is $request.body.action)"
                    .to_owned(),
            );
        }
        if let Some(key) = self
            .routes
            .iter()
            .find(|k| k.is_empty() || k.starts_with('$'))
        {
            return Err(format!(
                "route key {key:?} is not a custom route key; $connect, $disconnect and \
                 $default are always there, custom keys are non-empty and do not start with $"
            ));
        }
        if let Some(key) = self
            .two_way
            .iter()
            .find(|k| *k != "$default" && !self.routes.contains(k))
        {
            return Err(format!(
                "two_way({key:?}) names no route of this API; add .route({key:?}) or name $default"
            ));
        }
        let ms = Duration::from_millis(50);
        if self.integration_timeout < ms || self.integration_timeout > WS_INTEGRATION_TIMEOUT {
            return Err(format!(
                "integration timeout {:?} is outside API Gateway's 50 ms to 29 s",
                self.integration_timeout
            ));
        }
        if self.frame_limit == 0 || self.message_limit < self.frame_limit {
            return Err(format!(
                "the message limit ({} bytes) must be at least the frame limit ({} bytes), \
                 which must not be 0",
                self.message_limit, self.frame_limit
            ));
        }
        if self.idle_timeout.is_zero() || self.max_duration.is_zero() {
            return Err("the idle timeout and the connection duration must not be 0".to_owned());
        }
        self.lambda.validate()
    }

    /// The management endpoint's host as `requestContext.domainName`
    /// carries it, and the api id.
    pub(crate) fn api_id(&self) -> &str {
        &self.api_id
    }
}
