//! Choosing which drivers run: the `CROSSDRIVE_DRIVERS` environment variable.
//!
//! `CROSSDRIVE_DRIVERS` holds a comma-separated list of drivers, each by
//! its name or its identifier (`direct,lambda-v1` or `direct,lambda_v1`):
//! one spelling, the identifier that names a driver's tests, works
//! everywhere. Unset or empty means every driver. It chooses the drivers
//! of a parity check and of `Drivers`-driven runs; a generated test
//! (`suite!`, `conformance!`) that it leaves out fails rather than pass
//! unrun, since libtest cannot skip at run time: select those with the
//! test filter (`cargo test -- lambda_v1::`).

/// The environment variable listing the drivers to run.
///
/// ```
/// assert_eq!(crossdrive::DRIVERS_ENV, "CROSSDRIVE_DRIVERS");
/// ```
pub const DRIVERS_ENV: &str = "CROSSDRIVE_DRIVERS";

/// A parsed driver selection.
///
/// ```
/// use crossdrive::Selection;
/// let s = Selection::parse("direct, http1", &["direct", "http1", "http2"]).unwrap();
/// assert!(s.includes("http1"));
/// assert!(!s.includes("http2"));
/// assert!(Selection::parse("carrier-pigeon", &["direct"]).unwrap_err().contains("direct"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    only: Option<Vec<String>>,
}

impl Selection {
    /// Every driver.
    ///
    /// ```
    /// use crossdrive::Selection;
    /// assert!(Selection::all().includes("any-driver"));
    /// assert_eq!(Selection::parse("", &["direct"]), Ok(Selection::all()));
    /// ```
    pub fn all() -> Self {
        Self { only: None }
    }

    /// Parses a comma-separated list, checking every name against `known`.
    ///
    /// ```
    /// use crossdrive::Selection;
    /// let s = Selection::parse(" http1 ,", &["direct", "http1"]).unwrap();
    /// assert!(s.includes("http1") && !s.includes("direct"));
    /// // A driver's identifier is as good as its name.
    /// let s = Selection::parse("lambda_v1", &["direct", "lambda-v1"]).unwrap();
    /// assert!(s.includes("lambda-v1"));
    /// let e = Selection::parse("h2", &["direct", "http1"]).unwrap_err();
    /// assert!(e.contains("unknown driver `h2`"));
    /// ```
    pub fn parse(list: &str, known: &[&str]) -> Result<Self, String> {
        let written: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        if written.is_empty() {
            return Ok(Self::all());
        }
        if let Some(unknown) = written
            .iter()
            .find(|n| !known.iter().any(|k| ident(k) == ident(n)))
        {
            return Err(format!(
                "unknown driver `{unknown}` in {DRIVERS_ENV}; the drivers are: {}",
                known.join(", ")
            ));
        }
        let names = written.into_iter().map(ident).collect();
        Ok(Self { only: Some(names) })
    }

    /// Reads [`DRIVERS_ENV`]; unset means every driver.
    ///
    /// ```
    /// use crossdrive::{DRIVERS_ENV, Selection};
    /// # if std::env::var_os(DRIVERS_ENV).is_none() {
    /// // With CROSSDRIVE_DRIVERS unset, every driver runs.
    /// assert_eq!(Selection::from_env(&["direct", "http1"]), Ok(Selection::all()));
    /// # }
    /// ```
    pub fn from_env(known: &[&str]) -> Result<Self, String> {
        match std::env::var(DRIVERS_ENV) {
            Ok(list) => Self::parse(&list, known),
            Err(std::env::VarError::NotPresent) => Ok(Self::all()),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!(
                "{DRIVERS_ENV} is not valid UTF-8; set it to a list such as direct,http1"
            )),
        }
    }

    /// True if the driver named `name` should run.
    ///
    /// ```
    /// use crossdrive::Selection;
    /// let s = Selection::parse("direct", &["direct", "http1"]).unwrap();
    /// assert!(s.includes("direct"));
    /// assert!(!s.includes("http1"));
    /// ```
    pub fn includes(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|n| *n == ident(name)))
    }
}

/// A driver's identifier: its name with `-` as `_` (`lambda-v1` is
/// `lambda_v1`), the one spelling that also names its tests.
fn ident(name: &str) -> String {
    name.replace('-', "_")
}
