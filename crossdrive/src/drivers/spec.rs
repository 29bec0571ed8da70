//! [`DriverSpec`]: one driver of a suite, as data: its name, its
//! [`Deployment`](crate::registry::Deployment) (connection and bench floor,
//! from the driver registry), its declared conformance differences and its
//! timeout.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use super::Custom;
use crate::conformance::Expectations;
use crate::registry::Deployment;
use crate::{ConnectOptions, Driver, Error, Kind};

/// Builds a driver over a fresh app: what [`DriverSpec::custom`] takes.
///
/// ```
/// use std::sync::Arc;
/// use crossdrive::{Driver, Error};
/// use crossdrive::{ConnectFn, ConnectOptions, Direct};
/// let connect: Box<ConnectFn> = Box::new(|app, options: &ConnectOptions| -> Result<Arc<dyn Driver>, Error> {
///     Ok(Arc::new(Direct::new(app).timeout(options.get_timeout())))
/// });
/// assert_eq!(connect(axum::Router::new(), &ConnectOptions::new()).unwrap().name(), "direct");
/// ```
pub type ConnectFn =
    dyn Fn(Router, &ConnectOptions) -> Result<Arc<dyn Driver>, Error> + Send + Sync + 'static;

/// Builds a custom driver's bench floor over a fresh app: what
/// [`DriverSpec::floor`] takes.
///
/// ```
/// use std::sync::Arc;
/// use crossdrive::{Driver, Error};
/// use crossdrive::{Direct, FloorFn};
/// let floor: Box<FloorFn> =
///     Box::new(|app| -> Result<Arc<dyn Driver>, Error> { Ok(Arc::new(Direct::new(app))) });
/// assert_eq!(floor(axum::Router::new()).unwrap().name(), "direct");
/// ```
pub type FloorFn = dyn Fn(Router) -> Result<Arc<dyn Driver>, Error> + Send + Sync + 'static;

/// One driver of a suite: its name, how it connects an app, its declared
/// conformance differences and its per-deployment options.
///
/// ```
/// # #[cfg(feature = "lambda")] {
/// use crossdrive::DriverSpec;
/// use crossdrive::lambda::{LambdaOptions, Source};
///
/// let rest = DriverSpec::lambda(LambdaOptions::new(Source::Rest).stage("staging"));
/// assert_eq!(rest.name(), "lambda-v1");
/// assert_eq!(rest.ident(), "lambda_v1");
/// # }
/// ```
#[derive(Clone)]
pub struct DriverSpec {
    name: String,
    about: String,
    deployment: Arc<dyn Deployment>,
    /// A driver of the user's own: what `floor` rewrites.
    custom: Option<Custom>,
    kind: Option<Kind>,
    differences: Vec<(String, String)>,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for DriverSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriverSpec")
            .field("name", &self.name)
            .field("builtin", &self.kind)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl DriverSpec {
    /// The default spec of a built-in driver.
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Kind};
    /// assert_eq!(DriverSpec::builtin(Kind::Http2).name(), "http2");
    /// ```
    pub fn builtin(kind: Kind) -> Self {
        let registration = kind.registration();
        let mut spec = Self::of_kind(kind, (registration.deployment)());
        spec.differences = owned(registration.differences);
        spec
    }

    /// A built-in driver's spec with `deployment` and no declared differences.
    fn of_kind(kind: Kind, deployment: Arc<dyn Deployment>) -> Self {
        Self {
            name: kind.name().to_owned(),
            about: kind.about().to_owned(),
            deployment,
            custom: None,
            kind: Some(kind),
            differences: Vec::new(),
            timeout: None,
        }
    }

    /// `direct`: the app called in-process.
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Kind};
    /// let spec = DriverSpec::direct();
    /// assert_eq!(spec.name(), "direct");
    /// assert_eq!(spec.kind(), Some(Kind::Direct));
    /// ```
    pub fn direct() -> Self {
        Self::builtin(Kind::Direct)
    }

    /// A Lambda event source through lambda_http in-process, deployed as
    /// `options` say (stage, binary media types, ALB header mode, function
    /// timeout, ...). The name follows the source: `lambda` (HTTP API),
    /// `lambda-url`, `lambda-v1` (REST), `lambda-alb`; a Function URL with
    /// `InvokeMode::ResponseStream` is `lambda-url-stream`, the real
    /// streaming runtime loop in a child process.
    ///
    /// ```
    /// use crossdrive::DriverSpec;
    /// use crossdrive::lambda::{LambdaOptions, Source};
    /// let alb = DriverSpec::lambda(LambdaOptions::new(Source::Alb { multi_value_headers: true }));
    /// assert_eq!(alb.name(), "lambda-alb");
    /// ```
    #[cfg(feature = "lambda")]
    pub fn lambda(options: crate::lambda::LambdaOptions) -> Self {
        let kind = crate::lambda::deployment::kind_of(&options);
        let differences = if kind == Kind::LambdaUrlStream {
            owned(kind.registration().differences)
        } else {
            // What the deployment fixes is no longer a difference (a stale
            // declaration would fail the conformance run).
            owned(&crate::lambda::differences::for_options(&options))
        };
        let mut spec = Self::of_kind(kind, crate::lambda::deployment::deploy(options));
        spec.differences = differences;
        spec
    }

    /// `lambda-ws`: the app (or `options`' own function) behind a modelled
    /// API Gateway WebSocket API deployed as `options` say. It carries
    /// WebSockets only, so a suite lists it in `only = [..]`.
    ///
    /// ```
    /// use crossdrive::lambda::ws::WebSocketOptions;
    /// use crossdrive::{DriverSpec, Drivers, Kind};
    /// let spec = DriverSpec::lambda_ws(WebSocketOptions::new().two_way("$default"));
    /// assert_eq!(spec.kind(), Some(Kind::LambdaWs));
    /// let drivers = Drivers::builtin().with(spec);
    /// assert!(drivers.get("lambda_ws").is_some());
    /// ```
    #[cfg(feature = "lambda-ws")]
    pub fn lambda_ws(options: crate::lambda::ws::WebSocketOptions) -> Self {
        Self::of_kind(
            Kind::LambdaWs,
            crate::lambda::ws::deployment::deploy(options),
        )
    }

    /// `lambda-runtime`: the real `lambda_http::run` loop in a child
    /// process, deployed as `options` say.
    ///
    /// ```
    /// use crossdrive::lambda::{LambdaOptions, Source};
    /// use crossdrive::{DriverSpec, Kind};
    /// let spec = DriverSpec::lambda_runtime(LambdaOptions::new(Source::HttpApi));
    /// assert_eq!(spec.name(), "lambda-runtime");
    /// assert_eq!(spec.kind(), Some(Kind::LambdaRuntime));
    /// ```
    #[cfg(feature = "lambda")]
    pub fn lambda_runtime(options: crate::lambda::LambdaOptions) -> Self {
        let mut spec = Self::of_kind(
            Kind::LambdaRuntime,
            crate::lambda::deployment::runtime(options),
        );
        spec.differences = owned(Kind::LambdaRuntime.registration().differences);
        spec
    }

    /// `http1`: the shared loopback server, HTTP/1.1 with keep-alive.
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Kind};
    /// assert_eq!(DriverSpec::http1().name(), "http1");
    /// assert_eq!(DriverSpec::http1().kind(), Some(Kind::Http1));
    /// ```
    #[cfg(feature = "sockets")]
    pub fn http1() -> Self {
        Self::builtin(Kind::Http1)
    }

    /// `http2`: the shared loopback server, h2c.
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Kind};
    /// assert_eq!(DriverSpec::http2().name(), "http2");
    /// assert_eq!(DriverSpec::http2().kind(), Some(Kind::Http2));
    /// ```
    #[cfg(feature = "sockets")]
    pub fn http2() -> Self {
        Self::builtin(Kind::Http2)
    }

    /// `http2-tls`: the shared TLS server, HTTP/2 by ALPN.
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Kind};
    /// assert_eq!(DriverSpec::http2_tls().name(), "http2-tls");
    /// assert_eq!(DriverSpec::http2_tls().ident(), "http2_tls");
    /// assert_eq!(DriverSpec::http2_tls().kind(), Some(Kind::Http2Tls));
    /// ```
    #[cfg(feature = "tls")]
    pub fn http2_tls() -> Self {
        Self::builtin(Kind::Http2Tls)
    }

    /// `http3`: the shared HTTP/3 server, over QUIC on UDP loopback.
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Kind};
    /// assert_eq!(DriverSpec::http3().name(), "http3");
    /// assert_eq!(DriverSpec::http3().kind(), Some(Kind::Http3));
    /// ```
    #[cfg(feature = "http3")]
    pub fn http3() -> Self {
        Self::builtin(Kind::Http3)
    }

    /// `http1-fresh`: HTTP/1.1 with a new connection per request.
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Kind};
    /// assert_eq!(DriverSpec::http1_fresh().name(), "http1-fresh");
    /// assert_eq!(DriverSpec::http1_fresh().kind(), Some(Kind::Http1Fresh));
    /// ```
    #[cfg(feature = "sockets")]
    pub fn http1_fresh() -> Self {
        Self::builtin(Kind::Http1Fresh)
    }

    /// A driver of your own. `name` is what test names, conformance
    /// reports and bench tables show (lowercase letters, digits, `-` and
    /// `_`); `connect` builds the driver over a fresh app with the suite's
    /// options (honour [`ConnectOptions::get_timeout`]).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec};
    /// let mine = DriverSpec::custom("my-gateway", |app, options| {
    ///     Ok(Arc::new(Direct::new(app).timeout(options.get_timeout())))
    /// });
    /// assert_eq!(mine.ident(), "my_gateway");
    /// assert!(mine.kind().is_none());
    /// ```
    pub fn custom(
        name: impl Into<String>,
        connect: impl Fn(Router, &ConnectOptions) -> Result<Arc<dyn Driver>, Error>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        let name = name.into();
        let custom = Custom::new(Arc::new(connect));
        Self {
            about: format!("`{name}`, a driver of the suite's own"),
            name,
            deployment: Arc::new(custom.clone()),
            custom: Some(custom),
            kind: None,
            differences: Vec::new(),
            timeout: None,
        }
    }

    /// One sentence saying what the driver does, for reports.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec};
    /// let mine = DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app))))
    ///     .about("our gateway, in-process");
    /// assert_eq!(mine.describe(), "our gateway, in-process");
    /// ```
    #[must_use]
    pub fn about(mut self, about: impl Into<String>) -> Self {
        self.about = about.into();
        self
    }

    /// Declares conformance checks this driver cannot meet by its adapter's
    /// design, each with the reason (added to any it already declares).
    ///
    /// ```
    /// use crossdrive::DriverSpec;
    /// let spec = DriverSpec::direct()
    ///     .differences(&[("three_set_cookie_headers_stay_three", "our gateway folds cookies")]);
    /// assert!(spec.known_differences().reason("three_set_cookie_headers_stay_three").is_some());
    /// ```
    #[must_use]
    pub fn differences(mut self, table: &[(&str, &str)]) -> Self {
        self.differences.extend(
            table
                .iter()
                .map(|(check, reason)| ((*check).to_owned(), (*reason).to_owned())),
        );
        self
    }

    /// The bench floor of a custom driver: the least its transport could
    /// cost, measured beside it (without one, the bench compares it with
    /// `raw-oneshot`, the app called in-process). Built-in drivers have
    /// their floors already; this changes nothing for them. Say what the
    /// floor is with [`floor_about`](Self::floor_about), for the report.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec};
    /// let mine = DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app))))
    ///     .floor("mine-raw", |app| Ok(Arc::new(Direct::new(app))));
    /// assert_eq!(mine.floor_name(), Some("mine-raw"));
    /// ```
    #[must_use]
    pub fn floor(
        mut self,
        name: impl Into<String>,
        make: impl Fn(Router) -> Result<Arc<dyn Driver>, Error> + Send + Sync + 'static,
    ) -> Self {
        if let Some(custom) = &mut self.custom {
            *custom = custom.clone().floor(name.into(), Arc::new(make));
            self.deployment = Arc::new(custom.clone());
        }
        self
    }

    /// What a custom driver's own floor is, in a sentence: the bench
    /// report's floor legend shows it beside the floor's name (and
    /// `bench.json` carries it as the row's `floor_about`). Built-in floors
    /// are described already; a spec without [`floor`](Self::floor) is
    /// compared with `raw-oneshot`, whose sentence stays. Either call may
    /// come first.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec};
    /// let mine = DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app))))
    ///     .floor("mine-raw", |app| Ok(Arc::new(Direct::new(app))))
    ///     .floor_about("the same pipe without the timeout and panic guard");
    /// assert_eq!(
    ///     mine.describe_floor(),
    ///     Some("the same pipe without the timeout and panic guard")
    /// );
    /// // No floor of its own: nothing of the user's to describe.
    /// let bare = DriverSpec::custom("bare", |app, _| Ok(Arc::new(Direct::new(app))))
    ///     .floor_about("never shown");
    /// assert_eq!(bare.describe_floor(), None);
    /// ```
    #[must_use]
    pub fn floor_about(mut self, about: impl Into<String>) -> Self {
        if let Some(custom) = &mut self.custom {
            *custom = custom.clone().floor_about(about.into());
            self.deployment = Arc::new(custom.clone());
        }
        self
    }

    /// The sentence describing a custom driver's own floor, when it has
    /// one and gave one ([`floor_about`](Self::floor_about)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec};
    /// let mine = DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app))))
    ///     .floor_about("a raw pipe")
    ///     .floor("mine-raw", |app| Ok(Arc::new(Direct::new(app))));
    /// assert_eq!(mine.describe_floor(), Some("a raw pipe"));
    /// assert_eq!(DriverSpec::direct().describe_floor(), None); // the registry's
    /// ```
    pub fn describe_floor(&self) -> Option<&str> {
        self.custom.as_ref().and_then(Custom::describe_floor)
    }

    /// The per-request timeout of this driver, over the suite's
    /// (`suite! { timeout = ..; }`) and `CROSSDRIVE_TIMEOUT_MS`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use axum::{Router, routing::get};
    /// use crossdrive::Client;
    /// use crossdrive::{ConnectOptions, DriverSpec};
    /// let app = Router::new().route("/never", get(|| std::future::pending::<&'static str>()));
    /// let spec = DriverSpec::direct().timeout(Duration::from_millis(20));
    /// let client = Client::from_arc(spec.connect(app, &ConnectOptions::new()).unwrap());
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// assert!(client.get("/never").try_send().await.unwrap_err().is_timeout());
    /// # });
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The driver's name (`lambda-v1`, `my-gateway`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec};
    /// assert_eq!(DriverSpec::direct().name(), "direct");
    /// let mine = DriverSpec::custom("my-gateway", |app, _| Ok(Arc::new(Direct::new(app))));
    /// assert_eq!(mine.name(), "my-gateway");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The identifier in generated test names: the name with `-` as `_`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec};
    /// let mine = DriverSpec::custom("edge-v2", |app, _| Ok(Arc::new(Direct::new(app))));
    /// assert_eq!(mine.ident(), "edge_v2");
    /// ```
    pub fn ident(&self) -> String {
        self.name.replace('-', "_")
    }

    /// What the driver does, in a sentence.
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Kind};
    /// assert_eq!(DriverSpec::direct().describe(), Kind::Direct.about());
    /// ```
    pub fn describe(&self) -> &str {
        &self.about
    }

    /// The built-in driver this spec configures, or `None` for your own.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec, Kind};
    /// assert_eq!(DriverSpec::builtin(Kind::Direct).kind(), Some(Kind::Direct));
    /// let mine = DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app))));
    /// assert_eq!(mine.kind(), None);
    /// ```
    pub fn kind(&self) -> Option<Kind> {
        self.kind
    }

    /// The name of a custom driver's own floor, if it gave one.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec};
    /// // A built-in driver has its floor already: `floor` leaves it alone.
    /// let spec = DriverSpec::direct().floor("other", |app| Ok(Arc::new(Direct::new(app))));
    /// assert_eq!(spec.floor_name(), None);
    /// ```
    pub fn floor_name(&self) -> Option<&str> {
        self.custom.as_ref().and_then(Custom::floor_name)
    }

    /// The conformance checks this driver declares it cannot meet.
    ///
    /// ```
    /// use crossdrive::{DriverSpec, direct::KNOWN_DIFFERENCES};
    /// let declared = DriverSpec::direct().known_differences();
    /// assert_eq!(declared.len(), KNOWN_DIFFERENCES.len());
    /// assert!(declared.validate().is_ok());
    /// ```
    pub fn known_differences(&self) -> Expectations {
        // The deployment's WebSocket differences first, so a difference
        // the spec declares itself has the last word.
        #[cfg(feature = "websocket")]
        let deployment = self.deployment.websocket_differences();
        #[cfg(not(feature = "websocket"))]
        let deployment: Vec<(&str, &str)> = Vec::new();
        let declared = self
            .differences
            .iter()
            .map(|(c, r)| (c.as_str(), r.as_str()));
        deployment
            .into_iter()
            .chain(declared)
            .fold(Expectations::new(), |e, (check, reason)| {
                e.difference(check, reason)
            })
    }

    /// How this driver puts an app behind its adapter (the driver
    /// registry); the bench builds its floor from it.
    pub(crate) fn deployment(&self) -> &dyn Deployment {
        &*self.deployment
    }

    /// The timeout a driver connected with `options` gets.
    pub(crate) fn effective_timeout(&self, options: &ConnectOptions) -> Duration {
        self.timeout.unwrap_or_else(|| options.get_timeout())
    }

    /// Builds the driver over `app` (a fresh instance) with `options`.
    ///
    /// ```
    /// use crossdrive::{ConnectOptions, DriverSpec};
    /// let driver = DriverSpec::direct().connect(axum::Router::new(), &ConnectOptions::new()).unwrap();
    /// assert_eq!(driver.name(), "direct");
    /// ```
    pub fn connect(&self, app: Router, options: &ConnectOptions) -> Result<Arc<dyn Driver>, Error> {
        let options = options.clone().timeout(self.effective_timeout(options));
        self.deployment.connect(app, &options)
    }
}

/// A `(check, reason)` table as owned pairs.
fn owned(table: &[(&str, &str)]) -> Vec<(String, String)> {
    table
        .iter()
        .map(|(check, reason)| ((*check).to_owned(), (*reason).to_owned()))
        .collect()
}
