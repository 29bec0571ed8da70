//! Drivers as data: [`DriverSpec`] says how to put an app behind one
//! adapter, [`Drivers`] is the list a suite, a conformance run, a parity
//! check or a bench runs over.
//!
//! [`Drivers::builtin()`] is the default list, every driver crossdrive
//! ships with its default deployment. A suite configures it the way its
//! app is deployed and adds drivers of its own, all from its own crate:
//!
//! ```
//! # #[cfg(feature = "lambda")] {
//! use std::time::Duration;
//! use crossdrive::lambda::{LambdaOptions, Source};
//! use crossdrive::{Direct, DriverSpec, Drivers};
//!
//! fn drivers() -> Drivers {
//!     Drivers::builtin()
//!         // the REST API as deployed: a named stage, PNGs as binary
//!         .with(DriverSpec::lambda(
//!             LambdaOptions::new(Source::Rest).stage("v1").binary_media_types(["image/png"]),
//!         ))
//!         // the ALB target group in multi-value header mode
//!         .with(DriverSpec::lambda(LambdaOptions::new(Source::Alb { multi_value_headers: true })))
//!         // a longer timeout on one socket driver
//!         .with(DriverSpec::http1().timeout(Duration::from_secs(10)))
//!         // a driver of our own (here simply `Direct` under another name)
//!         .with(DriverSpec::custom("in_house", |app, options| {
//!             Ok(std::sync::Arc::new(Direct::new(app).timeout(options.get_timeout())))
//!         }))
//! }
//! assert!(drivers().get("in_house").is_some());
//! assert_eq!(drivers().get("lambda-v1").unwrap().name(), "lambda-v1");
//! # }
//! ```
//!
//! `with` replaces the entry of the same name, so configuring a built-in
//! keeps its place, its test names (`my_test::lambda_v1`) and its declared
//! conformance differences; a new name is appended. In `suite!` the
//! drivers are named with `drivers = drivers;` and the identifiers of your
//! own with `custom = [in_house];` (test names are identifiers, so the
//! macro needs them spelled out).

use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "lambda")]
use crate::ErrorKind;
use crate::conformance::Expectations;
use crate::{Driver, Error};
use axum::Router;

#[cfg(feature = "lambda")]
use crate::lambda::{LambdaOptions, Source};
#[cfg(feature = "sockets")]
use crate::socket::Flavor;
use crate::{ConnectOptions, Kind};

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

/// How a spec puts an app behind its adapter; the bench reads it to build
/// the matching floor.
#[derive(Clone)]
pub(crate) enum Family {
    Direct,
    #[cfg(feature = "lambda")]
    Lambda(LambdaOptions),
    #[cfg(feature = "lambda")]
    LambdaRuntime(LambdaOptions),
    #[cfg(feature = "sockets")]
    Socket(Flavor),
    #[cfg(feature = "http3")]
    Http3,
    Custom {
        connect: Arc<ConnectFn>,
        floor: Option<(String, Arc<FloorFn>)>,
    },
}

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
    family: Family,
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
        let family = match kind {
            Kind::Direct => Family::Direct,
            #[cfg(feature = "lambda")]
            Kind::Lambda => return Self::lambda(LambdaOptions::new(Source::HttpApi)),
            #[cfg(feature = "lambda")]
            Kind::LambdaUrl => return Self::lambda(LambdaOptions::new(Source::FunctionUrl)),
            #[cfg(feature = "lambda")]
            Kind::LambdaV1 => return Self::lambda(LambdaOptions::new(Source::Rest)),
            #[cfg(feature = "lambda")]
            Kind::LambdaAlb => {
                return Self::lambda(LambdaOptions::new(Source::Alb {
                    multi_value_headers: false,
                }));
            }
            #[cfg(feature = "lambda")]
            Kind::LambdaRuntime => Family::LambdaRuntime(LambdaOptions::new(Source::HttpApi)),
            #[cfg(feature = "lambda")]
            Kind::LambdaUrlStream => Family::LambdaRuntime(
                LambdaOptions::new(Source::FunctionUrl)
                    .invoke_mode(crate::lambda::InvokeMode::ResponseStream),
            ),
            #[cfg(feature = "sockets")]
            Kind::Http1 => Family::Socket(Flavor::Http1),
            #[cfg(feature = "sockets")]
            Kind::Http2 => Family::Socket(Flavor::Http2),
            #[cfg(feature = "tls")]
            Kind::Http2Tls => Family::Socket(Flavor::Http2Tls),
            #[cfg(feature = "http3")]
            Kind::Http3 => Family::Http3,
            #[cfg(feature = "sockets")]
            Kind::Http1Fresh => Family::Socket(Flavor::Http1Fresh),
        };
        Self::of_kind(kind, family)
    }

    fn of_kind(kind: Kind, family: Family) -> Self {
        let differences = kind
            .known_differences()
            .iter()
            .map(|(check, reason)| (check.to_owned(), reason.to_owned()))
            .collect();
        Self {
            name: kind.name().to_owned(),
            about: kind.about().to_owned(),
            family,
            kind: Some(kind),
            differences,
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
    pub fn lambda(options: LambdaOptions) -> Self {
        if options.get_invoke_mode() == crate::lambda::InvokeMode::ResponseStream {
            // A streaming Function URL runs the real streaming runtime loop.
            return Self::of_kind(Kind::LambdaUrlStream, Family::LambdaRuntime(options));
        }
        let kind = match options.source() {
            Source::HttpApi => Kind::Lambda,
            Source::FunctionUrl => Kind::LambdaUrl,
            Source::Rest => Kind::LambdaV1,
            Source::Alb { .. } => Kind::LambdaAlb,
        };
        let mut spec = Self::of_kind(kind, Family::Lambda(LambdaOptions::new(options.source())));
        // What the deployment fixes is no longer a difference (a stale
        // declaration would fail the conformance run).
        spec.differences = crate::lambda::differences::for_options(&options)
            .into_iter()
            .map(|(check, reason)| (check.to_owned(), reason.to_owned()))
            .collect();
        spec.family = Family::Lambda(options);
        spec
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
    pub fn lambda_runtime(options: LambdaOptions) -> Self {
        Self::of_kind(Kind::LambdaRuntime, Family::LambdaRuntime(options))
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
        Self {
            about: format!("`{name}`, a driver of the suite's own"),
            name,
            family: Family::Custom {
                connect: Arc::new(connect),
                floor: None,
            },
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
    /// their floors already; this changes nothing for them.
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
        if let Family::Custom { floor, .. } = &mut self.family {
            *floor = Some((name.into(), Arc::new(make)));
        }
        self
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
        match self.family {
            Family::Custom { .. } => None,
            _ => self.kind,
        }
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
        match &self.family {
            Family::Custom {
                floor: Some((name, _)),
                ..
            } => Some(name),
            _ => None,
        }
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
        self.differences
            .iter()
            .fold(Expectations::new(), |e, (check, reason)| {
                e.difference(check, reason)
            })
    }

    #[allow(dead_code)] // read by the bench layer to build each driver's floor
    pub(crate) fn family(&self) -> &Family {
        &self.family
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
        match &self.family {
            Family::Direct => crate::direct::connect(app, &options),
            #[cfg(feature = "lambda")]
            Family::Lambda(lambda) => {
                let lambda = lambda.clone().timeout(options.get_timeout());
                lambda.validate().map_err(|cause| self.setup_error(cause))?;
                Ok(Arc::new(crate::lambda::Lambda::new(app, lambda)))
            }
            #[cfg(feature = "lambda")]
            Family::LambdaRuntime(lambda) => {
                let lambda = lambda.clone().timeout(options.get_timeout());
                lambda.validate().map_err(|cause| self.setup_error(cause))?;
                let test = options.get_test_name();
                Ok(Arc::new(crate::lambda::runtime::start_for_test(
                    app, lambda, test,
                )?))
            }
            #[cfg(feature = "sockets")]
            Family::Socket(flavor) => crate::socket::connect(*flavor, app, &options),
            #[cfg(feature = "http3")]
            Family::Http3 => crate::socket::connect_http3(app, &options),
            Family::Custom { connect, .. } => connect(app, &options),
        }
    }

    #[cfg(feature = "lambda")]
    fn setup_error(&self, cause: String) -> Error {
        Error::without_request(
            ErrorKind::InvalidRequest,
            &self.name,
            format!("the driver's deployment options are invalid: {cause}"),
        )
        .with_hint("fix the options given to this DriverSpec")
    }
}

/// The drivers a suite, conformance run, parity check or bench runs over.
///
/// ```
/// use crossdrive::Drivers;
/// let drivers = Drivers::builtin().without("lambda-runtime");
/// assert!(drivers.get("lambda-runtime").is_none());
/// assert_eq!(drivers.names()[0], "direct");
/// ```
#[derive(Clone, Debug)]
pub struct Drivers {
    specs: Vec<DriverSpec>,
}

impl Default for Drivers {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Drivers {
    /// Every driver crossdrive ships, in table order, each with its
    /// default deployment.
    ///
    /// ```
    /// use crossdrive::{Drivers, Kind};
    /// let drivers = Drivers::builtin();
    /// assert_eq!(drivers.len(), Kind::ALL.len());
    /// assert_eq!(drivers.names(), Kind::names());
    /// ```
    pub fn builtin() -> Self {
        Self {
            specs: Kind::ALL.iter().map(|k| DriverSpec::builtin(*k)).collect(),
        }
    }

    /// No drivers: build a list from nothing with [`Drivers::with`].
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Drivers};
    /// let only = Drivers::empty().with(DriverSpec::direct()).with(DriverSpec::http1());
    /// assert_eq!(only.names(), ["direct", "http1"]);
    /// ```
    pub fn empty() -> Self {
        Self { specs: Vec::new() }
    }

    /// Adds `spec`, replacing the entry of the same name in its place.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec, Drivers};
    /// let drivers = Drivers::builtin().with(DriverSpec::direct().about("configured"));
    /// assert_eq!(drivers.len(), Drivers::builtin().len()); // replaced in its place
    /// assert_eq!(drivers.iter().next().unwrap().describe(), "configured");
    /// let more = drivers.with(DriverSpec::custom("mine", |app, _| Ok(Arc::new(Direct::new(app)))));
    /// assert_eq!(more.names().last(), Some(&"mine")); // appended
    /// ```
    #[must_use]
    pub fn with(mut self, spec: DriverSpec) -> Self {
        match self.specs.iter_mut().find(|s| s.name == spec.name) {
            Some(slot) => *slot = spec,
            None => self.specs.push(spec),
        }
        self
    }

    /// Removes the driver named `name` (or identified by it), if present.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec, Drivers};
    /// let drivers = Drivers::empty()
    ///     .with(DriverSpec::direct())
    ///     .with(DriverSpec::custom("my-gateway", |app, _| Ok(Arc::new(Direct::new(app)))));
    /// assert_eq!(drivers.clone().without("my_gateway").names(), ["direct"]);
    /// assert_eq!(drivers.without("direct").names(), ["my-gateway"]);
    /// ```
    #[must_use]
    pub fn without(mut self, name: &str) -> Self {
        self.specs.retain(|s| s.name != name && s.ident() != name);
        self
    }

    /// The driver named `name` (`lambda-v1`) or identified by it (`lambda_v1`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec, Drivers};
    /// let drivers = Drivers::empty()
    ///     .with(DriverSpec::custom("my-gateway", |app, _| Ok(Arc::new(Direct::new(app)))));
    /// assert_eq!(drivers.get("my-gateway").unwrap().name(), "my-gateway");
    /// assert_eq!(drivers.get("my_gateway").unwrap().name(), "my-gateway");
    /// assert!(drivers.get("direct").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&DriverSpec> {
        self.specs
            .iter()
            .find(|s| s.name == name || s.ident() == name)
    }

    /// The drivers, in order.
    ///
    /// ```
    /// use crossdrive::{Drivers, Kind};
    /// let kinds: Vec<Kind> = Drivers::builtin().iter().filter_map(|spec| spec.kind()).collect();
    /// assert_eq!(kinds, Kind::ALL);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &DriverSpec> {
        self.specs.iter()
    }

    /// Every driver's name, in order.
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Drivers};
    /// assert_eq!(Drivers::empty().with(DriverSpec::direct()).names(), ["direct"]);
    /// assert_eq!(Drivers::builtin().names()[0], "direct");
    /// ```
    pub fn names(&self) -> Vec<&str> {
        self.specs.iter().map(|s| s.name.as_str()).collect()
    }

    /// How many drivers the list holds.
    ///
    /// ```
    /// use crossdrive::{DriverSpec, Drivers};
    /// assert_eq!(Drivers::empty().len(), 0);
    /// assert_eq!(Drivers::empty().with(DriverSpec::direct()).len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// Whether the list is empty.
    ///
    /// ```
    /// use crossdrive::Drivers;
    /// assert!(Drivers::empty().is_empty());
    /// assert!(!Drivers::builtin().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Checks what a suite or bench relies on: names that are usable in
    /// test names and tables, none twice (by identifier), and valid
    /// declared differences.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use crossdrive::{Direct, DriverSpec, Drivers};
    /// let bad = Drivers::builtin().with(DriverSpec::custom("My Driver", |app, _| Ok(Arc::new(Direct::new(app)))));
    /// assert!(bad.validate().unwrap_err().contains("`My Driver`"));
    /// ```
    pub fn validate(&self) -> Result<(), String> {
        for (i, spec) in self.specs.iter().enumerate() {
            let name = &spec.name;
            let usable = !name.is_empty()
                && name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !usable {
                return Err(format!(
                    "the driver name `{name}` cannot name a test; use lowercase letters, digits, \
                     `-` and `_`, starting with a letter, such as `my-gateway`"
                ));
            }
            if name == crate::remote::NAME {
                return Err(format!(
                    "the driver name `{name}` is taken by the remote driver every suite has; \
                     choose another name"
                ));
            }
            if let Some(twin) = self.specs[..i].iter().find(|s| s.ident() == spec.ident()) {
                return Err(format!(
                    "the drivers `{}` and `{name}` have the same test identifier `{}`; rename one",
                    twin.name,
                    spec.ident()
                ));
            }
            spec.known_differences()
                .validate()
                .map_err(|e| format!("driver `{name}`: {e}"))?;
        }
        Ok(())
    }
}
