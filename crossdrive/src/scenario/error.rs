//! [`ScenarioError`]: why a scenario could not run, or the answer that was
//! not the one declared, with the message the bench prints.

use std::fmt;

use bytes::Bytes;
use http::Response;

use crate::Error;

/// Why a scenario could not run, or the answer that was not the one
/// declared.
///
/// ```
/// use crossdrive::scenario::{Scenario, Step};
/// let error = Scenario::new("x").validate().unwrap_err();
/// assert_eq!(error.scenario(), "x");
/// assert!(error.response().is_none());
/// ```
#[derive(Debug)]
pub struct ScenarioError {
    pub(super) scenario: String,
    pub(super) message: String,
    pub(super) failure: Failure,
}

#[derive(Debug)]
pub(super) enum Failure {
    /// The scenario itself is malformed.
    Invalid,
    /// The request could not be exchanged.
    Transport(Error),
    /// The answer was not the declared one.
    Mismatch(Box<Mismatch>),
}

#[derive(Debug)]
pub(super) struct Mismatch {
    pub(super) response: Response<Bytes>,
    /// `step 1 (GET /hello)`.
    pub(super) step: String,
    /// What the step declared and the answer lacked: `status 201 Created`.
    pub(super) expected: String,
}

impl ScenarioError {
    pub(super) fn invalid(scenario: &str, message: String) -> Self {
        Self {
            scenario: scenario.to_owned(),
            message,
            failure: Failure::Invalid,
        }
    }

    /// The scenario's name.
    ///
    /// ```
    /// use crossdrive::scenario::{Scenario, Step};
    /// let e = Scenario::new("Bad Name").step(Step::get("/").expect(200)).validate().unwrap_err();
    /// assert_eq!(e.scenario(), "Bad Name");
    /// ```
    pub fn scenario(&self) -> &str {
        &self.scenario
    }

    /// True when the scenario itself is malformed (a bad name, an unknown
    /// variable, an invalid header), before any request was sent.
    ///
    /// ```
    /// # let client = crossdrive::__private::doc::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// assert!(Scenario::new("s").validate().unwrap_err().is_invalid());
    /// let wrong = Scenario::new("s").step(Step::get("/").expect(404));
    /// assert!(!wrong.try_check(&client).await.unwrap_err().is_invalid());
    /// # });
    /// ```
    pub fn is_invalid(&self) -> bool {
        matches!(self.failure, Failure::Invalid)
    }

    /// The driver's error, when the request could not be exchanged at all.
    ///
    /// ```
    /// # use crossdrive::{Client, __private::doc::Down}; // every request: a connection error
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// use crossdrive::scenario::{Scenario, Step};
    /// let s = Scenario::new("s").step(Step::get("/").expect(200));
    /// let e = s.try_check(&Client::new(Down)).await.unwrap_err();
    /// assert!(e.transport().unwrap().is_connection());
    /// assert!(e.response().is_none());
    /// # });
    /// ```
    pub fn transport(&self) -> Option<&Error> {
        match &self.failure {
            Failure::Transport(e) => Some(e),
            _ => None,
        }
    }

    /// The response that did not match its expectation (with the
    /// driver's extensions, such as why an adapter refused it).
    ///
    /// ```
    /// # let client = crossdrive::__private::doc::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let wrong = Scenario::new("s").step(Step::post("/").body("hi").expect(201));
    /// let e = wrong.try_check(&client).await.unwrap_err();
    /// assert_eq!(e.response().unwrap().body().as_ref(), b"hi");
    /// assert!(e.transport().is_none());
    /// # });
    /// ```
    pub fn response(&self) -> Option<&Response<Bytes>> {
        match &self.failure {
            Failure::Mismatch(m) => Some(&m.response),
            _ => None,
        }
    }

    /// When the answer was not the declared one: the step it answered
    /// (`step 1 (GET /)`) and what that step declared and the answer
    /// lacked (`status 201 Created`). The bench compares these across
    /// drivers to tell a wrong scenario or app (the same on every driver)
    /// from a driver's mistake.
    ///
    /// ```
    /// # let client = crossdrive::__private::doc::mirror_client();
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// # use crossdrive::scenario::{Scenario, Step};
    /// let wrong = Scenario::new("s").step(Step::get("/").expect(201));
    /// let e = wrong.try_check(&client).await.unwrap_err();
    /// assert_eq!(e.mismatch(), Some(("step 1 (GET /)", "status 201 Created")));
    /// # });
    /// ```
    pub fn mismatch(&self) -> Option<(&str, &str)> {
        match &self.failure {
            Failure::Mismatch(m) => Some((&m.step, &m.expected)),
            _ => None,
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScenarioError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.failure {
            Failure::Transport(e) => Some(e),
            _ => None,
        }
    }
}

pub(super) fn mismatch(scenario: &str, label: &str, wanted: &str, got: &Response<Bytes>) -> String {
    let body = got.body();
    let headers: Vec<String> = got
        .headers()
        .iter()
        .take(8)
        // Secret values redacted: this message goes to the bench's log.
        .map(|(n, v)| format!("{n}: {}", crate::redact::shown(n, v)))
        .collect();
    format!(
        "scenario `{scenario}`, {label}: expected {wanted}, got status {} with headers [{}] and a \
         {}-byte body starting {:?}; if every driver answers so, the scenario or the app is \
         wrong; if only this one does, run the test suite on this driver to find out why",
        got.status(),
        headers.join(", "),
        body.len(),
        String::from_utf8_lossy(&body[..body.len().min(160)])
    )
}
