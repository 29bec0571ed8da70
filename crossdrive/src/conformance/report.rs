//! Reports: one driver's outcomes, and the check × driver matrix.

use std::fmt::{self, Write as _};

use super::{Check, Outcome, explain};

/// One check's outcome in a [`Report`].
///
/// ```
/// use crossdrive::conformance::{Check, CheckResult, Outcome};
/// let check = Check::find("status_200_is_kept").unwrap();
/// let result = CheckResult { check, outcome: Outcome::Pass };
/// assert_eq!(result.check.name, "status_200_is_kept");
/// assert!(result.outcome.is_acceptable());
/// ```
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The check.
    pub check: &'static Check,
    /// How it went.
    pub outcome: Outcome,
}

/// Every check's outcome for one driver, as [`run`](super::run) returns it.
///
/// Its `Display` lists failures first with their full explanation, then
/// known differences with their reasons, then a one-line summary.
///
/// ```
/// use crossdrive::conformance::{CHECKS, CheckResult, Outcome, Report};
/// let results = vec![CheckResult { check: &CHECKS[0], outcome: Outcome::Pass }];
/// let report = Report::new("direct", None, results);
/// assert!(report.is_success());
/// assert_eq!(report.passed(), 1);
/// assert_eq!(report.summary(), "1 checks: 1 passed, 0 known differences, 0 failed");
/// ```
#[derive(Debug, Clone)]
pub struct Report {
    driver: String,
    invalid_expectations: Option<String>,
    results: Vec<CheckResult>,
}

impl Report {
    /// A report for `driver`; `invalid_expectations` is the message from
    /// [`Expectations::validate`](super::Expectations::validate), if any.
    ///
    /// ```
    /// use crossdrive::conformance::Report;
    /// let report = Report::new("direct", None, Vec::new());
    /// assert_eq!(report.driver(), "direct");
    /// assert!(report.is_success());
    /// assert!(!Report::new("direct", Some("unknown check `x`".into()), Vec::new()).is_success());
    /// ```
    pub fn new(
        driver: impl Into<String>,
        invalid_expectations: Option<String>,
        results: Vec<CheckResult>,
    ) -> Self {
        Self {
            driver: driver.into(),
            invalid_expectations,
            results,
        }
    }

    /// The driver's name.
    ///
    /// ```
    /// # use crossdrive::conformance::{Check, CheckResult, Failure, Outcome, Report};
    /// # let failure = Failure::exchange(&crossdrive::Error::timeout("http1", &http::Method::GET,
    /// #     &"/echo".parse().unwrap(), std::time::Duration::from_secs(1)));
    /// # let result = |name, outcome| CheckResult { check: Check::find(name).unwrap(), outcome };
    /// # let report = Report::new("http1", None, vec![
    /// #     result("status_200_is_kept", Outcome::Pass),
    /// #     result("trailing_slash_is_kept",
    /// #            Outcome::KnownDifference { reason: "stripped".into(), failure: failure.clone() }),
    /// #     result("three_set_cookie_headers_stay_three", Outcome::Fail(failure)),
    /// # ]);
    /// // status_200_is_kept passed, trailing_slash_is_kept is a known difference,
    /// // three_set_cookie_headers_stay_three failed
    /// assert_eq!(report.driver(), "http1");
    /// ```
    pub fn driver(&self) -> &str {
        &self.driver
    }

    /// Every check's outcome, in check order.
    ///
    /// ```
    /// # use crossdrive::conformance::{Check, CheckResult, Failure, Outcome, Report};
    /// # let failure = Failure::exchange(&crossdrive::Error::timeout("http1", &http::Method::GET,
    /// #     &"/echo".parse().unwrap(), std::time::Duration::from_secs(1)));
    /// # let result = |name, outcome| CheckResult { check: Check::find(name).unwrap(), outcome };
    /// # let report = Report::new("http1", None, vec![
    /// #     result("status_200_is_kept", Outcome::Pass),
    /// #     result("trailing_slash_is_kept",
    /// #            Outcome::KnownDifference { reason: "stripped".into(), failure: failure.clone() }),
    /// #     result("three_set_cookie_headers_stay_three", Outcome::Fail(failure)),
    /// # ]);
    /// // status_200_is_kept passed, trailing_slash_is_kept is a known difference,
    /// // three_set_cookie_headers_stay_three failed
    /// assert_eq!(report.results().len(), 3);
    /// assert_eq!(report.results()[0].check.name, "status_200_is_kept");
    /// ```
    pub fn results(&self) -> &[CheckResult] {
        &self.results
    }

    /// The outcome of the check named `name`.
    ///
    /// ```
    /// # use crossdrive::conformance::{Check, CheckResult, Failure, Outcome, Report};
    /// # let failure = Failure::exchange(&crossdrive::Error::timeout("http1", &http::Method::GET,
    /// #     &"/echo".parse().unwrap(), std::time::Duration::from_secs(1)));
    /// # let result = |name, outcome| CheckResult { check: Check::find(name).unwrap(), outcome };
    /// # let report = Report::new("http1", None, vec![
    /// #     result("status_200_is_kept", Outcome::Pass),
    /// #     result("trailing_slash_is_kept",
    /// #            Outcome::KnownDifference { reason: "stripped".into(), failure: failure.clone() }),
    /// #     result("three_set_cookie_headers_stay_three", Outcome::Fail(failure)),
    /// # ]);
    /// // status_200_is_kept passed, trailing_slash_is_kept is a known difference,
    /// // three_set_cookie_headers_stay_three failed
    /// assert_eq!(report.outcome("status_200_is_kept"), Some(&Outcome::Pass));
    /// assert_eq!(report.outcome("no_such_check"), None);
    /// ```
    pub fn outcome(&self, name: &str) -> Option<&Outcome> {
        self.results
            .iter()
            .find(|r| r.check.name == name)
            .map(|r| &r.outcome)
    }

    /// How many checks passed.
    ///
    /// ```
    /// # use crossdrive::conformance::{Check, CheckResult, Failure, Outcome, Report};
    /// # let failure = Failure::exchange(&crossdrive::Error::timeout("http1", &http::Method::GET,
    /// #     &"/echo".parse().unwrap(), std::time::Duration::from_secs(1)));
    /// # let result = |name, outcome| CheckResult { check: Check::find(name).unwrap(), outcome };
    /// # let report = Report::new("http1", None, vec![
    /// #     result("status_200_is_kept", Outcome::Pass),
    /// #     result("trailing_slash_is_kept",
    /// #            Outcome::KnownDifference { reason: "stripped".into(), failure: failure.clone() }),
    /// #     result("three_set_cookie_headers_stay_three", Outcome::Fail(failure)),
    /// # ]);
    /// // status_200_is_kept passed, trailing_slash_is_kept is a known difference,
    /// // three_set_cookie_headers_stay_three failed
    /// assert_eq!(report.passed(), 1);
    /// ```
    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Pass))
    }

    /// How many checks failed as declared known differences.
    ///
    /// ```
    /// # use crossdrive::conformance::{Check, CheckResult, Failure, Outcome, Report};
    /// # let failure = Failure::exchange(&crossdrive::Error::timeout("http1", &http::Method::GET,
    /// #     &"/echo".parse().unwrap(), std::time::Duration::from_secs(1)));
    /// # let result = |name, outcome| CheckResult { check: Check::find(name).unwrap(), outcome };
    /// # let report = Report::new("http1", None, vec![
    /// #     result("status_200_is_kept", Outcome::Pass),
    /// #     result("trailing_slash_is_kept",
    /// #            Outcome::KnownDifference { reason: "stripped".into(), failure: failure.clone() }),
    /// #     result("three_set_cookie_headers_stay_three", Outcome::Fail(failure)),
    /// # ]);
    /// // status_200_is_kept passed, trailing_slash_is_kept is a known difference,
    /// // three_set_cookie_headers_stay_three failed
    /// assert_eq!(report.known_differences(), 1);
    /// ```
    pub fn known_differences(&self) -> usize {
        self.count(|o| matches!(o, Outcome::KnownDifference { .. }))
    }

    /// The checks that failed or whose declaration is stale.
    ///
    /// ```
    /// # use crossdrive::conformance::{Check, CheckResult, Failure, Outcome, Report};
    /// # let failure = Failure::exchange(&crossdrive::Error::timeout("http1", &http::Method::GET,
    /// #     &"/echo".parse().unwrap(), std::time::Duration::from_secs(1)));
    /// # let result = |name, outcome| CheckResult { check: Check::find(name).unwrap(), outcome };
    /// # let report = Report::new("http1", None, vec![
    /// #     result("status_200_is_kept", Outcome::Pass),
    /// #     result("trailing_slash_is_kept",
    /// #            Outcome::KnownDifference { reason: "stripped".into(), failure: failure.clone() }),
    /// #     result("three_set_cookie_headers_stay_three", Outcome::Fail(failure)),
    /// # ]);
    /// // status_200_is_kept passed, trailing_slash_is_kept is a known difference,
    /// // three_set_cookie_headers_stay_three failed
    /// let failed: Vec<&str> = report.failures().iter().map(|r| r.check.name).collect();
    /// assert_eq!(failed, ["three_set_cookie_headers_stay_three"]);
    /// ```
    pub fn failures(&self) -> Vec<&CheckResult> {
        self.results
            .iter()
            .filter(|r| !r.outcome.is_acceptable())
            .collect()
    }

    /// True if every outcome is a pass or a declared difference, and the
    /// declarations themselves are valid.
    ///
    /// ```
    /// # use crossdrive::conformance::{Check, CheckResult, Failure, Outcome, Report};
    /// # let failure = Failure::exchange(&crossdrive::Error::timeout("http1", &http::Method::GET,
    /// #     &"/echo".parse().unwrap(), std::time::Duration::from_secs(1)));
    /// # let result = |name, outcome| CheckResult { check: Check::find(name).unwrap(), outcome };
    /// # let report = Report::new("http1", None, vec![
    /// #     result("status_200_is_kept", Outcome::Pass),
    /// #     result("trailing_slash_is_kept",
    /// #            Outcome::KnownDifference { reason: "stripped".into(), failure: failure.clone() }),
    /// #     result("three_set_cookie_headers_stay_three", Outcome::Fail(failure)),
    /// # ]);
    /// // status_200_is_kept passed, trailing_slash_is_kept is a known difference,
    /// // three_set_cookie_headers_stay_three failed
    /// assert!(!report.is_success()); // one check failed
    /// let invalid = Report::new("http1", Some("unknown check `x`".into()), Vec::new());
    /// assert!(!invalid.is_success()); // no failed check, but invalid declarations
    /// ```
    pub fn is_success(&self) -> bool {
        self.invalid_expectations.is_none() && self.failures().is_empty()
    }

    /// One line: `63 checks: 62 passed, 1 known difference, 0 failed`.
    ///
    /// ```
    /// # use crossdrive::conformance::{Check, CheckResult, Failure, Outcome, Report};
    /// # let failure = Failure::exchange(&crossdrive::Error::timeout("http1", &http::Method::GET,
    /// #     &"/echo".parse().unwrap(), std::time::Duration::from_secs(1)));
    /// # let result = |name, outcome| CheckResult { check: Check::find(name).unwrap(), outcome };
    /// # let report = Report::new("http1", None, vec![
    /// #     result("status_200_is_kept", Outcome::Pass),
    /// #     result("trailing_slash_is_kept",
    /// #            Outcome::KnownDifference { reason: "stripped".into(), failure: failure.clone() }),
    /// #     result("three_set_cookie_headers_stay_three", Outcome::Fail(failure)),
    /// # ]);
    /// // status_200_is_kept passed, trailing_slash_is_kept is a known difference,
    /// // three_set_cookie_headers_stay_three failed
    /// assert_eq!(report.summary(), "3 checks: 1 passed, 1 known difference, 1 failed");
    /// ```
    pub fn summary(&self) -> String {
        let known = self.known_differences();
        format!(
            "{} checks: {} passed, {known} known difference{}, {} failed",
            self.results.len(),
            self.passed(),
            if known == 1 { "" } else { "s" },
            self.failures().len()
        )
    }

    /// Whether this is the report of a driver that carries WebSockets
    /// only: it ran checks, every one a WebSocket check.
    fn websocket_only(&self) -> bool {
        !self.results.is_empty() && self.results.iter().all(|r| r.check.is_websocket())
    }

    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|r| f(&r.outcome)).count()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(message) = &self.invalid_expectations {
            writeln!(f, "invalid expectations for `{}`: {message}", self.driver)?;
        }
        for result in &self.results {
            if let Some(message) = explain(result.check, &self.driver, &result.outcome) {
                writeln!(f, "{message}\n")?;
            }
        }
        for result in &self.results {
            if let Outcome::KnownDifference { reason, failure } = &result.outcome {
                writeln!(
                    f,
                    "known difference: {} on `{}`: {reason}\n  ({}: expected {}, received {})",
                    result.check.name,
                    self.driver,
                    failure.what,
                    failure.expected,
                    failure.received
                )?;
            }
        }
        write!(f, "conformance of `{}`: {}", self.driver, self.summary())
    }
}

/// The check × driver matrix in Markdown: one row per check, one column
/// per report, each cell `pass`, `known difference [n]`, `FAIL` or
/// `STALE declaration`; numbered notes below give every known
/// difference's reason.
///
/// ```
/// use crossdrive::conformance::{matrix, Report};
/// let md = matrix(&[Report::new("direct", None, Vec::new())]);
/// assert!(md.starts_with("| check | direct |"));
/// ```
pub fn matrix(reports: &[Report]) -> String {
    let mut out = String::new();
    let _ = write!(out, "| check |");
    for report in reports {
        let _ = write!(out, " {} |", report.driver);
    }
    let _ = write!(out, "\n|---|");
    for _ in reports {
        let _ = write!(out, "---|");
    }
    out.push('\n');
    let mut notes: Vec<String> = Vec::new();
    let mut category = None;
    for check in super::CHECKS {
        if category != Some(check.category) {
            category = Some(check.category);
            let _ = write!(out, "| **{}** |", check.category.as_str());
            for _ in reports {
                out.push_str(" |");
            }
            out.push('\n');
        }
        let _ = write!(out, "| `{}` |", check.name);
        for report in reports {
            let cell = match report.outcome(check.name) {
                None if report.websocket_only() && !check.is_websocket() => "—".to_owned(),
                None => "not run".to_owned(),
                Some(Outcome::KnownDifference { reason, .. }) => {
                    notes.push(format!("`{}` on `{}`: {reason}", check.name, report.driver));
                    format!("known difference [{}]", notes.len())
                }
                Some(outcome) => outcome.label().to_owned(),
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out.push('\n');
    for report in reports {
        let _ = writeln!(out, "- `{}`: {}", report.driver, report.summary());
    }
    let websocket_only: Vec<String> = reports
        .iter()
        .filter(|r| r.websocket_only())
        .map(|r| format!("`{}`", r.driver))
        .collect();
    if !websocket_only.is_empty() {
        let _ = writeln!(
            out,
            "\n`—`: not run, by design: {} carries WebSockets only, so it is held to the \
             WebSocket checks alone.",
            websocket_only.join(", ")
        );
    }
    if !notes.is_empty() {
        out.push_str("\nKnown differences:\n\n");
        for (i, note) in notes.iter().enumerate() {
            let _ = writeln!(out, "{}. {note}", i + 1);
        }
    }
    out
}
