//! Parity snapshots: one scenario, every driver, one insta snapshot.
//!
//! A [`Parity`] collects the response each driver gave to the same
//! scenario, [normalizes](normalize) them (status, headers sorted with
//! volatile and framing ones such as `date` and `content-length` removed, the body as text or, for binary
//! and large bodies, its SHA-256 digest) and requires every driver to agree.
//! [`assert_parity!`](crate::assert_parity) then snapshots the agreed text
//! with insta, so one `.snap` file pins the behaviour of every driver:
//!
//! - a driver that disagrees with the others fails the test, naming the
//!   diverging driver and showing the diff against the drivers that agree;
//! - all drivers changing together fails against the snapshot, and is
//!   reviewed with `cargo insta review` like any snapshot change;
//! - a driver allowed to differ ([`Parity::allow`], an adapter difference
//!   with its reason) is written into the snapshot itself, reason and diff,
//!   and listed in its metadata, so a new or changed difference is reviewed
//!   like any other change. A declared difference that no longer differs
//!   fails, so declarations cannot go stale.
//!
//! # On every driver
//!
//! Parity across every crossdrive driver: the [`parity!`](macro@crate::parity)
//! macro and [`collect`], which runs one scenario on each driver.
//!
//! ```
//! # mod my_service { pub fn app() -> axum::Router {
//! #     axum::Router::new().route("/hello", axum::routing::get(|| async { "hi" }))
//! # } }
//! crossdrive::parity! {
//!     app = my_service::app;
//!
//!     async fn simple_get(client) {
//!         client.get("/hello").await
//!     }
//! }
//! # fn main() {}
//! ```
//!
//! generates `simple_get::is_the_same_on_every_driver`: the body runs on
//! every selected driver, each over a fresh app, and the responses must
//! agree and match the insta snapshot `simple_get` (see
//! this module). A scenario whose response legitimately differs
//! on some driver is declared with `differences = path;`, a
//! `fn(scenario: &str, driver: &str) -> Option<String>` giving the reason;
//! declared differences are written into the snapshot for review.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::TestResponse;

mod on_drivers;
pub use on_drivers::{Differences, collect, collect_on, no_differences};

/// Headers removed before comparing: they change per request or per
/// connection (`date`, request ids), or they are framing that each
/// transport chooses for itself (`content-length` versus chunked
/// `transfer-encoding`, and axum's `Content-Length: 0` on a 204 that hyper
/// strips on the wire). The body is compared directly, and framing is what
/// the conformance suite checks, so parity ignores it.
///
/// ```
/// use crossdrive::{DriverResponse, Protocol, TestResponse, parity::{VOLATILE_HEADERS, normalize}};
/// assert!(VOLATILE_HEADERS.contains(&"date") && VOLATILE_HEADERS.contains(&"content-length"));
/// let response = http::Response::builder().header("date", "today").header("content-length", "2")
///     .body(bytes::Bytes::from("hi")).unwrap();
/// let r = TestResponse::new("http1", http::Request::new(bytes::Bytes::new()),
///                           DriverResponse::new(response, Protocol::Http1));
/// assert_eq!(normalize(&r), "200 OK\n\nhi\n"); // both headers dropped
/// ```
pub const VOLATILE_HEADERS: &[&str] = &[
    "date",
    "server",
    "connection",
    "keep-alive",
    "content-length",
    "transfer-encoding",
    "x-amzn-requestid",
    "x-amzn-trace-id",
    "x-amz-apigw-id",
    "apigw-requestid",
];

/// Bodies up to this size that are UTF-8 are snapshotted as text; others
/// by length and SHA-256 digest.
///
/// ```
/// use crossdrive::{DriverResponse, Protocol, TestResponse, parity::{TEXT_BODY_LIMIT, normalize}};
/// let large = bytes::Bytes::from("x".repeat(TEXT_BODY_LIMIT + 1));
/// let r = TestResponse::new("direct", http::Request::new(bytes::Bytes::new()),
///                           DriverResponse::new(http::Response::new(large), Protocol::InProcess));
/// assert!(normalize(&r).contains("(4097 bytes, sha256 "));
/// ```
pub const TEXT_BODY_LIMIT: usize = 4096;

/// The normalized form of a response that parity compares and snapshots.
///
/// ```
/// use crossdrive::{DriverResponse, Protocol, TestResponse, parity::normalize};
/// let response = http::Response::builder()
///     .status(201)
///     .header("Date", "Sun, 22 Nov 2026 07:00:00 GMT")
///     .header("location", "/todos/1")
///     .header("content-type", "application/json")
///     .body(bytes::Bytes::from("{}"))
///     .unwrap();
/// let r = TestResponse::new("direct", http::Request::new(bytes::Bytes::new()),
///                           DriverResponse::new(response, Protocol::InProcess));
/// assert_eq!(normalize(&r), "201 Created\ncontent-type: application/json\nlocation: /todos/1\n\n{}\n");
/// ```
pub fn normalize(response: &TestResponse) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", response.status());
    let mut headers: Vec<(&str, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !VOLATILE_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            let shown = match value.to_str() {
                Ok(text) => text.to_owned(),
                Err(_) => format!("{:?}", bytes::Bytes::copy_from_slice(value.as_bytes())),
            };
            (name.as_str(), shown)
        })
        .collect();
    // A stable sort by name keeps the order of repeated values.
    headers.sort_by(|a, b| a.0.cmp(b.0));
    for (name, value) in headers {
        let _ = writeln!(out, "{name}: {value}");
    }
    out.push('\n');
    out.push_str(&normalize_body(response.bytes()));
    out
}

fn normalize_body(body: &[u8]) -> String {
    if body.is_empty() {
        return "(empty body)\n".to_owned();
    }
    match std::str::from_utf8(body) {
        Ok(text) if body.len() <= TEXT_BODY_LIMIT => {
            let mut text = text.to_owned();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text
        }
        _ => {
            let digest: String = Sha256::digest(body)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("({} bytes, sha256 {digest})\n", body.len())
        }
    }
}

/// The responses of every driver to one scenario, compared for parity.
///
/// ```
/// use crossdrive::{DriverResponse, Protocol, TestResponse, parity::Parity};
/// let respond = |driver: &str, body: &'static str| TestResponse::new(
///     driver, http::Request::new(bytes::Bytes::new()),
///     DriverResponse::new(http::Response::new(bytes::Bytes::from(body)), Protocol::InProcess));
///
/// let mut parity = Parity::new("hello");
/// parity.add(respond("direct", "hi"));
/// parity.add(respond("http1", "hi"));
/// parity.add(respond("broken", "ho"));
/// let message = parity.check().unwrap_err();
/// assert!(message.contains("driver `broken` diverges"));
///
/// parity.allow("broken", "it says ho");
/// let snapshot = parity.check().unwrap();
/// assert!(snapshot.contains("known difference on `broken`: it says ho"));
/// ```
#[derive(Debug, Clone)]
pub struct Parity {
    name: String,
    responses: Vec<(String, String)>,
    allowed: BTreeMap<String, String>,
}

impl Parity {
    /// An empty comparison for the scenario `name` (the snapshot's name).
    ///
    /// ```
    /// use crossdrive::parity::Parity;
    /// let parity = Parity::new("simple_get");
    /// assert_eq!(parity.name(), "simple_get");
    /// assert!(parity.drivers().is_empty());
    /// assert!(parity.check().is_err()); // no driver to compare yet
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            responses: Vec::new(),
            allowed: BTreeMap::new(),
        }
    }

    /// The scenario's name.
    ///
    /// ```
    /// let parity = crossdrive::parity::Parity::new("simple_get");
    /// assert_eq!(parity.name(), "simple_get");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds one driver's response (named by [`TestResponse::driver`]).
    ///
    /// ```
    /// # use crossdrive::{DriverResponse, Protocol, TestResponse, parity::Parity};
    /// # let respond = |driver: &str, body: &'static str| TestResponse::new(
    /// #     driver, http::Request::new(bytes::Bytes::new()),
    /// #     DriverResponse::new(http::Response::new(bytes::Bytes::from(body)), Protocol::InProcess));
    /// let mut parity = Parity::new("hello");
    /// parity.add(respond("direct", "hi"));
    /// parity.add(respond("http1", "hi"));
    /// assert_eq!(parity.drivers(), ["direct", "http1"]);
    /// assert_eq!(parity.check().unwrap(), "200 OK\n\nhi\n");
    /// ```
    pub fn add(&mut self, response: TestResponse) {
        let normalized = normalize(&response);
        self.responses
            .push((response.driver().to_owned(), normalized));
    }

    /// Declares that `driver` differs from the others in this scenario
    /// because of its adapter, for `reason`. The difference is written into
    /// the snapshot, so it is reviewed.
    ///
    /// ```
    /// # use crossdrive::{DriverResponse, Protocol, TestResponse, parity::Parity};
    /// # let respond = |driver: &str, body: &'static str| TestResponse::new(
    /// #     driver, http::Request::new(bytes::Bytes::new()),
    /// #     DriverResponse::new(http::Response::new(bytes::Bytes::from(body)), Protocol::InProcess));
    /// let mut parity = Parity::new("hello");
    /// parity.add(respond("direct", "hi"));
    /// parity.add(respond("lambda", "hi"));
    /// parity.allow("lambda", "thought it re-encoded the body");
    /// let stale = parity.check().unwrap_err(); // lambda agrees after all
    /// assert!(stale.contains("remove the declaration"));
    /// ```
    pub fn allow(&mut self, driver: impl Into<String>, reason: impl Into<String>) {
        self.allowed.insert(driver.into(), reason.into());
    }

    /// The drivers compared, in the order added.
    ///
    /// ```
    /// # use crossdrive::{DriverResponse, Protocol, TestResponse, parity::Parity};
    /// # let respond = |driver: &str, body: &'static str| TestResponse::new(
    /// #     driver, http::Request::new(bytes::Bytes::new()),
    /// #     DriverResponse::new(http::Response::new(bytes::Bytes::from(body)), Protocol::InProcess));
    /// let mut parity = Parity::new("hello");
    /// parity.add(respond("http1", "hi"));
    /// parity.add(respond("direct", "hi"));
    /// assert_eq!(parity.drivers(), ["http1", "direct"]); // in the order added
    /// ```
    pub fn drivers(&self) -> Vec<&str> {
        self.responses.iter().map(|(d, _)| d.as_str()).collect()
    }

    /// The snapshot's metadata description: the drivers compared and the
    /// declared differences.
    ///
    /// ```
    /// # use crossdrive::{DriverResponse, Protocol, TestResponse, parity::Parity};
    /// # let respond = |driver: &str, body: &'static str| TestResponse::new(
    /// #     driver, http::Request::new(bytes::Bytes::new()),
    /// #     DriverResponse::new(http::Response::new(bytes::Bytes::from(body)), Protocol::InProcess));
    /// let mut parity = Parity::new("hello");
    /// parity.add(respond("direct", "hi"));
    /// parity.add(respond("lambda", "ho"));
    /// parity.allow("lambda", "it says ho");
    /// assert_eq!(parity.description(),
    ///            "parity of `hello` across drivers: direct, lambda\n\
    ///             known difference on `lambda`: it says ho");
    /// ```
    pub fn description(&self) -> String {
        let mut out = format!(
            "parity of `{}` across drivers: {}",
            self.name,
            self.drivers().join(", ")
        );
        for (driver, reason) in &self.allowed {
            let _ = write!(out, "\nknown difference on `{driver}`: {reason}");
        }
        out
    }

    /// Compares the drivers. `Ok` is the snapshot text: the response the
    /// drivers agree on, followed by each declared difference with its
    /// reason and diff. `Err` names the diverging driver and shows the diff
    /// against the drivers that agree, or names a declared difference that
    /// no longer differs.
    ///
    /// ```
    /// # use crossdrive::{DriverResponse, Protocol, TestResponse, parity::Parity};
    /// # let respond = |driver: &str, body: &'static str| TestResponse::new(
    /// #     driver, http::Request::new(bytes::Bytes::new()),
    /// #     DriverResponse::new(http::Response::new(bytes::Bytes::from(body)), Protocol::InProcess));
    /// let mut parity = Parity::new("hello");
    /// parity.add(respond("direct", "hi"));
    /// parity.add(respond("http1", "hi"));
    /// parity.add(respond("http2", "ho"));
    /// let message = parity.check().unwrap_err();
    /// assert!(message.contains("driver `http2` diverges from `direct`, `http1` (which agree)"));
    /// ```
    pub fn check(&self) -> Result<String, String> {
        let compared: Vec<&(String, String)> = self
            .responses
            .iter()
            .filter(|(d, _)| !self.allowed.contains_key(d))
            .collect();
        let Some(reference) = majority(&compared) else {
            return Err(format!(
                "parity `{}`: no driver to compare; every driver is declared as different or \
                 none was selected (check CROSSDRIVE_DRIVERS)",
                self.name
            ));
        };
        let agreeing: Vec<&str> = compared
            .iter()
            .filter(|(_, n)| n == reference)
            .map(|(d, _)| d.as_str())
            .collect();
        let mut problems = String::new();
        for (driver, normalized) in &compared {
            if normalized != reference {
                let _ = write!(
                    problems,
                    "parity `{}`: driver `{driver}` diverges from {}\n{}\n",
                    self.name,
                    describe(&agreeing),
                    diff(reference, normalized, &agreeing.join(","), driver)
                );
            }
        }
        let mut snapshot = reference.clone();
        for (driver, reason) in &self.allowed {
            let Some((_, normalized)) = self.responses.iter().find(|(d, _)| d == driver) else {
                continue;
            };
            if normalized == reference {
                let _ = writeln!(
                    problems,
                    "parity `{}`: driver `{driver}` is declared as different (\"{reason}\") but \
                     matches {}; remove the declaration",
                    self.name,
                    describe(&agreeing)
                );
            } else {
                let _ = write!(
                    snapshot,
                    "\n--- known difference on `{driver}`: {reason}\n{}",
                    diff(reference, normalized, "others", driver)
                );
            }
        }
        if problems.is_empty() {
            Ok(snapshot)
        } else {
            Err(problems)
        }
    }
}

/// The normalized response most drivers agree on; the earliest wins a tie.
fn majority<'a>(compared: &[&'a (String, String)]) -> Option<&'a String> {
    let mut best: Option<(&String, usize)> = None;
    for (_, candidate) in compared {
        let votes = compared.iter().filter(|(_, n)| n == candidate).count();
        if best.is_none_or(|(_, most)| votes > most) {
            best = Some((candidate, votes));
        }
    }
    best.map(|(n, _)| n)
}

fn describe(drivers: &[&str]) -> String {
    match drivers {
        [one] => format!("`{one}`"),
        many => format!(
            "{} (which agree)",
            many.iter()
                .map(|d| format!("`{d}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn diff(expected: &str, received: &str, expected_name: &str, received_name: &str) -> String {
    similar::TextDiff::from_lines(expected, received)
        .unified_diff()
        .context_radius(3)
        .header(expected_name, received_name)
        .to_string()
}
