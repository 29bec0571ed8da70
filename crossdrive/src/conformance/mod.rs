//! The adapter conformance suite: does a driver carry HTTP faithfully?
//!
//! A [`Check`] sends one kind of request to the echo app
//! (`crossdrive::conformance::echo::app()`, contract in [`echo`]) and states
//! what must come back: methods, status codes, headers, query and path,
//! bodies, cookies. Run every check against any [`Driver`]
//! with [`run`], which returns a [`Report`], or generate one `#[test]` per
//! check with [`conformance_tests!`](crate::conformance_tests):
//!
//! ```ignore
//! crossdrive::conformance_tests! {
//!     driver = || MyDriver::new(crossdrive::conformance::echo::app()),
//!     expect = my_known_differences(),
//! }
//! ```
//!
//! Some checks cannot pass on some adapters, by the adapter's own design
//! (API Gateway HTTP API v2 keeps only the first value of a repeated
//! response header, for example). Those are declared in [`Expectations`]:
//! check name → reason. A declared check that fails is reported as
//! [`Outcome::KnownDifference`] with its reason, never as a pass and never
//! silently skipped; a declared check that passes is a failure too
//! ([`Outcome::StaleDifference`]), so declarations cannot outlive the
//! behaviour they excuse.
//!
//! The list of checks is a macro table ([`conformance_table!`](crate::conformance_table)) so that
//! macros can generate one named test per check; [`CHECKS`] is built from
//! the same table.
//!
//! # On every driver
//!
//! The conformance suite on every crossdrive driver: the
//! [`conformance!`](macro@crate::conformance) macro and the runners behind it.
//!
//! ```
//! crossdrive::conformance! {}
//! # fn main() {}
//! ```
//!
//! expands to a module per driver with one `#[test]` per check, named
//! `<driver>::<check>` (`direct::three_set_cookie_headers_stay_three`), like
//! [`suite!`](macro@crate::suite). Each driver's declared differences come from
//! its [`DriverSpec`](crate::DriverSpec) (for the built-ins, the
//! `differences` of their driver table entry, kept next to the driver), so
//! a driver's expected differences are declared once. The app every check
//! runs against is [`echo::app`], the suite's counterpart (`app = ..;`
//! names another that honours the same contract).

mod checks;
pub mod echo;
mod on_drivers;
mod report;
mod table;
#[cfg(feature = "websocket")]
mod websocket_checks;

use std::collections::BTreeMap;
use std::fmt;

use crate::BoxFuture;
use crate::{Client, Driver, Error, TestResponse};

pub use on_drivers::{run_all, run_all_on, run_test};
pub use report::{CheckResult, Report, matrix};

/// The group a check belongs to, used to order and label reports.
///
/// ```
/// use crossdrive::conformance::{CHECKS, Category};
/// assert_eq!(Category::Cookies.as_str(), "cookies");
/// assert!(Category::Methods < Category::Cookies); // report order
/// assert!(CHECKS.iter().any(|c| c.category == Category::Bodies));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Category {
    /// Request methods, standard and extension.
    Methods,
    /// Status codes, common and uncommon.
    Status,
    /// Request and response headers.
    Headers,
    /// The request target: query string and path.
    QueryAndPath,
    /// Request and response bodies.
    Bodies,
    /// `Cookie` and `Set-Cookie`.
    Cookies,
    /// Bodies read as they arrive and sent in chunks: first bytes before
    /// the last are written, trailers, a body cut off.
    Streaming,
    /// WebSockets (feature `websocket`): messages, frames, pings, close
    /// codes, subprotocols and a refused handshake on the echo app's
    /// `/ws` endpoint.
    #[cfg(feature = "websocket")]
    WebSockets,
}

impl Category {
    /// The label written in reports.
    ///
    /// ```
    /// assert_eq!(crossdrive::conformance::Category::QueryAndPath.as_str(), "query and path");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Methods => "methods",
            Self::Status => "status codes",
            Self::Headers => "headers",
            Self::QueryAndPath => "query and path",
            Self::Bodies => "bodies",
            Self::Cookies => "cookies",
            Self::Streaming => "streaming",
            #[cfg(feature = "websocket")]
            Self::WebSockets => "websockets",
        }
    }
}

type CheckFn = for<'a> fn(&'a Client) -> BoxFuture<'a, Result<(), Failure>>;

/// One conformance check: a request to the echo app and what must come back.
///
/// ```
/// let check = crossdrive::conformance::Check::find("three_set_cookie_headers_stay_three").unwrap();
/// assert_eq!(check.category, crossdrive::conformance::Category::Headers);
/// assert!(check.expects.contains("three"));
/// ```
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct Check {
    /// The snake_case name, also the generated test's name.
    pub name: &'static str,
    /// Its group.
    pub category: Category,
    /// What the check requires, as a sentence.
    pub expects: &'static str,
    /// What usually makes it fail, printed with every failure.
    pub cause: &'static str,
    run: CheckFn,
}

impl Check {
    /// The check named `name`.
    ///
    /// ```
    /// use crossdrive::conformance::Check;
    /// assert_eq!(Check::find("trailing_slash_is_kept").unwrap().name, "trailing_slash_is_kept");
    /// assert!(Check::find("no_such_check").is_none());
    /// ```
    pub fn find(name: &str) -> Option<&'static Check> {
        CHECKS.iter().find(|c| c.name == name)
    }

    /// Whether this is a WebSocket check (feature `websocket`): the only
    /// checks a driver that carries WebSockets only (`lambda-ws`) runs.
    ///
    /// ```
    /// use crossdrive::conformance::Check;
    /// assert!(!Check::find("status_200_is_kept").unwrap().is_websocket());
    /// # #[cfg(feature = "websocket")]
    /// assert!(Check::find("websocket_text_message_comes_back_as_sent").unwrap().is_websocket());
    /// ```
    pub fn is_websocket(&self) -> bool {
        #[cfg(feature = "websocket")]
        if self.category == Category::WebSockets {
            return true;
        }
        false
    }

    /// Runs the check through `client`, which must be connected to the
    /// echo app; `Err` says what was expected and what was received.
    ///
    /// ```
    /// # use crossdrive::{Client, __private::doc::Teapot}; // answers 418 to everything
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let check = crossdrive::conformance::Check::find("status_200_is_kept").unwrap();
    /// let failure = rt.block_on(check.run(&Client::new(Teapot))).unwrap_err();
    /// assert_eq!((failure.expected.as_str(), failure.received.as_str()), ("200", "418 I'm a teapot"));
    /// ```
    pub async fn run(&self, client: &Client) -> Result<(), Failure> {
        (self.run)(client).await
    }
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("name", &self.name)
            .field("category", &self.category)
            .finish_non_exhaustive()
    }
}

macro_rules! define_checks {
    ([] [$($websocket:ident)*] $({ name: $name:ident, category: $category:ident, expects: $expects:literal, cause: $cause:literal })*) => {
        mod runners {
            use super::{checks, Failure};
            use crate::BoxFuture;
            use crate::Client;
            $(
                pub(super) fn $name(client: &Client) -> BoxFuture<'_, Result<(), Failure>> {
                    Box::pin(checks::$name(client))
                }
            )*
        }

        /// Every conformance check, in report order.
        ///
        /// ```
        /// assert!(crossdrive::conformance::CHECKS.len() >= 50);
        /// ```
        pub static CHECKS: &[Check] = &[
            $(Check {
                name: stringify!($name),
                category: Category::$category,
                expects: $expects,
                cause: $cause,
                run: runners::$name,
            },)*
        ];
    };
}

crate::conformance_table! { define_checks [] }

/// Why a check failed: what it looked at, what it expected, what it
/// received, and the full exchange (driver, request, response).
///
/// ```
/// let e = crossdrive::Error::timeout("http1", &http::Method::GET, &"/echo".parse().unwrap(),
///                                    std::time::Duration::from_secs(1));
/// let f = crossdrive::conformance::Failure::exchange(&e);
/// assert_eq!((f.what.as_str(), f.expected.as_str()), ("the exchange", "a response"));
/// assert!(f.exchange.is_none()); // no response to show
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// What was compared (`all values of header set-cookie`).
    pub what: String,
    /// What the check expected.
    pub expected: String,
    /// What the driver delivered.
    pub received: String,
    /// The whole exchange as [`TestResponse::report`] prints it, if there
    /// was a response.
    pub exchange: Option<String>,
}

impl Failure {
    /// A failure seen in `response`.
    ///
    /// ```
    /// use crossdrive::{DriverResponse, Protocol, TestResponse};
    /// use crossdrive::conformance::Failure;
    /// let r = TestResponse::new("direct", http::Request::new(bytes::Bytes::new()),
    ///     DriverResponse::new(http::Response::new(bytes::Bytes::new()), Protocol::InProcess));
    /// let f = Failure::in_response(&r, "status", "201", "200 OK");
    /// assert!(f.to_string().contains("driver: direct"));
    /// ```
    pub fn in_response(
        response: &TestResponse,
        what: impl Into<String>,
        expected: impl Into<String>,
        received: impl Into<String>,
    ) -> Self {
        let (what, expected, received) = (what.into(), expected.into(), received.into());
        let exchange = Some(response.report(&what, &expected, &received));
        Self {
            what,
            expected,
            received,
            exchange,
        }
    }

    /// The exchange itself failed: the driver returned an error.
    ///
    /// ```
    /// let e = crossdrive::Error::timeout("d", &http::Method::GET, &"/".parse().unwrap(),
    ///                                    std::time::Duration::from_secs(1));
    /// let f = crossdrive::conformance::Failure::exchange(&e);
    /// assert!(f.received.contains("timed out"));
    /// ```
    pub fn exchange(error: &Error) -> Self {
        Self {
            what: "the exchange".into(),
            expected: "a response".into(),
            received: format!("a driver error: {error}"),
            exchange: None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.exchange {
            Some(exchange) => f.write_str(exchange.trim_end()),
            None => write!(
                f,
                "{}\n  expected: {}\n  received: {}",
                self.what, self.expected, self.received
            ),
        }
    }
}

/// The checks a driver is declared unable to meet because of its adapter,
/// each with the reason.
///
/// ```
/// use crossdrive::conformance::Expectations;
/// let e = Expectations::new().difference(
///     "repeated_response_headers_stay_separate_and_in_order",
///     "API Gateway HTTP API v2 keeps only the first value of a repeated header",
/// );
/// assert!(e.reason("repeated_response_headers_stay_separate_and_in_order").is_some());
/// assert!(e.validate().is_ok());
/// assert!(Expectations::new().difference("no_such_check", "x").validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    differences: BTreeMap<String, String>,
}

impl Expectations {
    /// No declared differences: every check must pass.
    ///
    /// ```
    /// let e = crossdrive::conformance::Expectations::new();
    /// assert!(e.is_empty());
    /// assert!(e.validate().is_ok());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares that `check` fails on this driver because of its adapter,
    /// for `reason`.
    ///
    /// ```
    /// use crossdrive::conformance::Expectations;
    /// let e = Expectations::new().difference("trailing_slash_is_kept", "the gateway strips it");
    /// assert_eq!(e.reason("trailing_slash_is_kept"), Some("the gateway strips it"));
    /// ```
    #[must_use]
    pub fn difference(mut self, check: impl Into<String>, reason: impl Into<String>) -> Self {
        self.differences.insert(check.into(), reason.into());
        self
    }

    /// Declares every WebSocket check that needs an accepted socket as a
    /// known difference, for `reason`: what a driver that carries no
    /// WebSocket declares (feature `websocket`). The refused-handshake
    /// check stays: the app's refusal reaches the client through an
    /// ordinary request too.
    ///
    /// ```
    /// use crossdrive::conformance::Expectations;
    /// let e = Expectations::new().websocket_not_carried("my gateway is request-response");
    /// assert!(e.reason("websocket_text_message_comes_back_as_sent").is_some());
    /// assert!(e.reason("websocket_refused_handshake_is_the_apps_response").is_none());
    /// ```
    #[cfg(feature = "websocket")]
    #[must_use]
    pub fn websocket_not_carried(self, reason: &str) -> Self {
        websocket_not_carried(reason)
            .into_iter()
            .fold(self, |e, (check, reason)| e.difference(check, reason))
    }

    /// Builds expectations from a `(check, reason)` table.
    ///
    /// ```
    /// let e = crossdrive::conformance::Expectations::from_table(&[
    ///     ("status_204_has_no_body_and_no_content_length", "the adapter adds Content-Length: 0"),
    /// ]);
    /// assert_eq!(e.len(), 1);
    /// ```
    pub fn from_table(table: &[(&str, &str)]) -> Self {
        table.iter().fold(Self::new(), |e, (check, reason)| {
            e.difference(*check, *reason)
        })
    }

    /// The declared reason for `check`, if it is a known difference.
    ///
    /// ```
    /// # use crossdrive::conformance::Expectations;
    /// # let e = Expectations::new()
    /// #     .difference("trailing_slash_is_kept", "the gateway strips it")
    /// #     .difference("status_200_is_kept", "teapots only brew tea");
    /// assert_eq!(e.reason("trailing_slash_is_kept"), Some("the gateway strips it"));
    /// assert_eq!(e.reason("three_set_cookie_headers_stay_three"), None);
    /// ```
    pub fn reason(&self, check: &str) -> Option<&str> {
        self.differences.get(check).map(String::as_str)
    }

    /// How many differences are declared.
    ///
    /// ```
    /// # use crossdrive::conformance::Expectations;
    /// # let e = Expectations::new()
    /// #     .difference("trailing_slash_is_kept", "the gateway strips it")
    /// #     .difference("status_200_is_kept", "teapots only brew tea");
    /// assert_eq!(e.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.differences.len()
    }

    /// True if none are declared.
    ///
    /// ```
    /// # use crossdrive::conformance::Expectations;
    /// # let e = Expectations::new()
    /// #     .difference("trailing_slash_is_kept", "the gateway strips it")
    /// #     .difference("status_200_is_kept", "teapots only brew tea");
    /// assert!(!e.is_empty());
    /// assert!(Expectations::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.differences.is_empty()
    }

    /// Every declared `(check, reason)`, sorted by check name.
    ///
    /// ```
    /// # use crossdrive::conformance::Expectations;
    /// # let e = Expectations::new()
    /// #     .difference("trailing_slash_is_kept", "the gateway strips it")
    /// #     .difference("status_200_is_kept", "teapots only brew tea");
    /// let checks: Vec<&str> = e.iter().map(|(check, _)| check).collect();
    /// assert_eq!(checks, ["status_200_is_kept", "trailing_slash_is_kept"]); // sorted
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.differences
            .iter()
            .map(|(c, r)| (c.as_str(), r.as_str()))
    }

    /// Checks that every declared name is a real check, so a typo cannot
    /// silently excuse nothing.
    ///
    /// ```
    /// # use crossdrive::conformance::Expectations;
    /// # let e = Expectations::new()
    /// #     .difference("trailing_slash_is_kept", "the gateway strips it")
    /// #     .difference("status_200_is_kept", "teapots only brew tea");
    /// assert!(e.validate().is_ok());
    /// let typo = e.difference("trailing_slash_is_kep", "typo");
    /// assert!(typo.validate().unwrap_err().contains("trailing_slash_is_kep"));
    /// ```
    pub fn validate(&self) -> Result<(), String> {
        let unknown: Vec<&str> = self
            .differences
            .keys()
            .map(String::as_str)
            .filter(|name| Check::find(name).is_none())
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "declared differences name unknown checks: {}; the checks are listed in \
                 crate::conformance::CHECKS",
                unknown.join(", ")
            ))
        }
    }
}

/// The WebSocket check a driver that carries no WebSocket may still
/// pass: the app's refusal reaches the client as an ordinary response.
#[cfg(feature = "websocket")]
pub(crate) const WEBSOCKET_REFUSED: &str = "websocket_refused_handshake_is_the_apps_response";

/// Every WebSocket check but [`WEBSOCKET_REFUSED`], each with `reason`:
/// the declared differences of a driver that carries no WebSocket.
#[cfg(feature = "websocket")]
pub(crate) fn websocket_not_carried<R: Copy>(reason: R) -> Vec<(&'static str, R)> {
    CHECKS
        .iter()
        .filter(|c| c.is_websocket() && c.name != WEBSOCKET_REFUSED)
        .map(|c| (c.name, reason))
        .collect()
}

/// The result of one check on one driver.
///
/// ```
/// use crossdrive::conformance::Outcome;
/// let stale = Outcome::StaleDifference { reason: "fixed upstream".into() };
/// assert!(!stale.is_acceptable());
/// assert_eq!(stale.label(), "STALE declaration");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The driver met the check.
    Pass,
    /// The check failed and is declared as a known adapter difference.
    KnownDifference {
        /// The declared reason.
        reason: String,
        /// How it failed, so the report shows the difference is the declared one.
        failure: Failure,
    },
    /// The check failed and was not declared.
    Fail(Failure),
    /// The check was declared as a known difference but passed: the
    /// declaration is stale and must be removed.
    StaleDifference {
        /// The declared reason that no longer applies.
        reason: String,
    },
}

impl Outcome {
    /// True for [`Outcome::Pass`] and [`Outcome::KnownDifference`].
    ///
    /// ```
    /// assert!(crossdrive::conformance::Outcome::Pass.is_acceptable());
    /// ```
    pub fn is_acceptable(&self) -> bool {
        matches!(self, Self::Pass | Self::KnownDifference { .. })
    }

    /// The label used in the matrix: `pass`, `known difference`, `FAIL`,
    /// `STALE declaration`.
    ///
    /// ```
    /// assert_eq!(crossdrive::conformance::Outcome::Pass.label(), "pass");
    /// ```
    pub fn label(&self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::KnownDifference { .. } => "known difference",
            Self::Fail(_) => "FAIL",
            Self::StaleDifference { .. } => "STALE declaration",
        }
    }
}

/// Runs `check` through `client` and judges the result against `expectations`.
///
/// ```
/// use crossdrive::conformance::{Check, Expectations, Outcome, run_check};
/// # use crossdrive::{Client, __private::doc::Teapot}; // answers 418 to everything
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let check = Check::find("status_200_is_kept").unwrap();
/// let declared = Expectations::new().difference("status_200_is_kept", "teapots only brew tea");
/// let outcome = rt.block_on(run_check(check, &Client::new(Teapot), &declared));
/// assert!(matches!(outcome, Outcome::KnownDifference { .. }));
/// ```
pub async fn run_check(check: &Check, client: &Client, expectations: &Expectations) -> Outcome {
    let result = check.run(client).await;
    match (result, expectations.reason(check.name)) {
        (Ok(()), None) => Outcome::Pass,
        (Ok(()), Some(reason)) => Outcome::StaleDifference {
            reason: reason.to_owned(),
        },
        (Err(failure), None) => Outcome::Fail(failure),
        (Err(failure), Some(reason)) => Outcome::KnownDifference {
            reason: reason.to_owned(),
            failure,
        },
    }
}

/// Runs every check through `client` (connected to the echo app), one
/// after the other, and reports each outcome.
///
/// ```
/// # use crossdrive::conformance::{self, Expectations};
/// # async fn demo(client: crossdrive::Client) {
/// let report = conformance::run(&client, &Expectations::new()).await;
/// println!("{report}");
/// assert!(report.is_success(), "{report}");
/// # }
/// ```
pub async fn run(client: &Client, expectations: &Expectations) -> Report {
    run_these(client, expectations, CHECKS.iter()).await
}

/// Runs only the WebSocket checks through `client` (connected to the echo
/// app or, behind an API Gateway WebSocket API, a function answering its
/// contract): what a driver that carries WebSockets only is held to. Its
/// report lists no HTTP check, and the matrix shows those as `—`.
///
/// ```
/// # use crossdrive::conformance::{self, Expectations};
/// # async fn demo(client: crossdrive::Client) {
/// let report = conformance::run_websocket(&client, &Expectations::new()).await;
/// assert!(report.results().iter().all(|r| r.check.is_websocket()));
/// # }
/// ```
pub async fn run_websocket(client: &Client, expectations: &Expectations) -> Report {
    run_these(
        client,
        expectations,
        CHECKS.iter().filter(|c| c.is_websocket()),
    )
    .await
}

async fn run_these(
    client: &Client,
    expectations: &Expectations,
    checks: impl Iterator<Item = &'static Check>,
) -> Report {
    let mut results = Vec::with_capacity(CHECKS.len());
    for check in checks {
        let outcome = run_check(check, client, expectations).await;
        results.push(CheckResult { check, outcome });
    }
    Report::new(client.name(), expectations.validate().err(), results)
}

/// The message a failed or stale check prints: check, driver, what it
/// expects, the likely cause, then the exchange. `None` if the outcome is
/// acceptable.
///
/// ```
/// use crossdrive::conformance::{Check, Outcome, explain};
/// let check = Check::find("trailing_slash_is_kept").unwrap();
/// let stale = Outcome::StaleDifference { reason: "thought it was stripped".into() };
/// assert!(explain(check, "direct", &stale).unwrap().contains("remove the declaration"));
/// assert!(explain(check, "direct", &Outcome::Pass).is_none());
/// ```
pub fn explain(check: &Check, driver: &str, outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::Pass | Outcome::KnownDifference { .. } => None,
        Outcome::Fail(failure) => Some(format!(
            "conformance check `{}` failed on driver `{driver}`\n  check expects: {}\n  \
             likely cause: {}\n{failure}\nIf the adapter cannot meet this by design, declare it \
             as a known difference with its reason",
            check.name, check.expects, check.cause
        )),
        Outcome::StaleDifference { reason } => Some(format!(
            "conformance check `{}` passed on driver `{driver}`, but it is declared as a known \
             difference (\"{reason}\"); remove the declaration",
            check.name
        )),
    }
}

/// Runs one check as a test: builds `driver` on a fresh current-thread
/// runtime, runs the check, and panics with [`explain`]'s message if the
/// outcome is not acceptable. Known differences print their reason and
/// pass. Used by [`conformance_tests!`](crate::conformance_tests).
///
/// Panics, as a test should, on an unknown check name, an invalid
/// expectation or a runtime that cannot be built.
///
/// ```should_panic
/// # use crossdrive::__private::doc::Teapot; // answers 418 to everything
/// // A teapot is not an HTTP adapter: the test fails, naming the check and the driver.
/// crossdrive::conformance::run_test_on("status_200_is_kept", || Teapot, &Default::default());
/// ```
pub fn run_test_on<D, F>(check: &str, driver: F, expectations: &Expectations)
where
    D: Driver + 'static,
    F: FnOnce() -> D,
{
    let Some(check) = Check::find(check) else {
        panic!("crossdrive: `{check}` is not a conformance check");
    };
    if let Err(message) = expectations.validate() {
        panic!("crossdrive: {message}");
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("crossdrive: cannot build the test's tokio runtime ({e})"),
    };
    let (name, outcome) = runtime.block_on(async {
        let client = Client::new(driver());
        let outcome = run_check(check, &client, expectations).await;
        (client.name().to_owned(), outcome)
    });
    if let Outcome::KnownDifference { reason, .. } = &outcome {
        // Printed, not hidden: `cargo test -- --nocapture` and the matrix show it.
        println!(
            "known adapter difference: `{}` on `{name}`: {reason}",
            check.name
        );
    }
    if let Some(message) = explain(check, &name, &outcome) {
        panic!("{message}");
    }
}

#[cfg(test)]
mod tests {
    use super::CHECKS;

    /// The WebSocket rows come from a table link defined with and without
    /// the `websocket` feature; this build must have picked the right one.
    #[test]
    fn the_websocket_checks_exist_exactly_when_the_websocket_feature_is_on() {
        let websocket: Vec<&str> = CHECKS
            .iter()
            .filter(|c| c.is_websocket())
            .map(|c| c.name)
            .collect();
        let expected = if cfg!(feature = "websocket") { 10 } else { 0 };
        assert_eq!(websocket.len(), expected, "{websocket:?}");
        // They come last, so HTTP-only reports keep their order.
        let first = CHECKS.len() - websocket.len();
        assert!(CHECKS[first..].iter().all(|c| c.is_websocket()));
    }

    #[cfg(feature = "websocket")]
    #[test]
    fn a_driver_without_websockets_declares_every_websocket_check_but_the_refusal() {
        let declared = super::Expectations::new().websocket_not_carried("request-response");
        assert_eq!(declared.len(), 9);
        assert!(declared.validate().is_ok());
        assert!(declared.reason(super::WEBSOCKET_REFUSED).is_none());
    }
}
