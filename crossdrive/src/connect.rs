//! [`ConnectOptions`]: what a test may tune when the driver table connects
//! a driver (the per-request timeout), and what it tells the driver about
//! itself (its libtest name, which a driver that re-runs the test in a
//! child process, such as `lambda-runtime`, needs).
//!
//! Every driver has a per-request timeout (default 5 s,
//! [`DEFAULT_TIMEOUT`](crate::direct::DEFAULT_TIMEOUT)). A fault test wants
//! a short one, so a handler that never answers fails in milliseconds; a
//! slow CI machine may want a longer one for the whole run. Two knobs, one
//! per need:
//!
//! - `suite! { app = app; timeout = Duration::from_millis(300); ... }`
//!   sets it for the tests of one `suite!` block (passed to
//!   [`Kind::connect_with`](crate::Kind::connect_with), never through the
//!   process environment, so parallel tests cannot see each other's);
//! - `CROSSDRIVE_TIMEOUT_MS` ([`TIMEOUT_ENV`]) sets the default for every
//!   driver the table connects in the process (`Kind::connect`, `suite!`
//!   without `timeout`, the conformance and parity suites).

use std::time::Duration;

use crate::direct::DEFAULT_TIMEOUT;

/// The variable that overrides every table-connected driver's default
/// per-request timeout, in whole milliseconds (`CROSSDRIVE_TIMEOUT_MS=20000`).
///
/// ```
/// assert_eq!(crossdrive::TIMEOUT_ENV, "CROSSDRIVE_TIMEOUT_MS");
/// ```
pub const TIMEOUT_ENV: &str = "CROSSDRIVE_TIMEOUT_MS";

/// How the driver table connects a driver.
///
/// ```
/// use std::time::Duration;
/// use crossdrive::ConnectOptions;
/// let options = ConnectOptions::new().timeout(Duration::from_millis(300));
/// assert_eq!(options.get_timeout(), Duration::from_millis(300));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    timeout: Duration,
    test_name: Option<String>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ConnectOptions {
    /// The defaults: a 5 s per-request timeout.
    ///
    /// ```
    /// use crossdrive::ConnectOptions;
    /// assert_eq!(ConnectOptions::new().get_timeout(), std::time::Duration::from_secs(5));
    /// assert_eq!(ConnectOptions::new(), ConnectOptions::default());
    /// ```
    pub fn new() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            test_name: None,
        }
    }

    /// The defaults, with the timeout from `CROSSDRIVE_TIMEOUT_MS` when it
    /// is set; a value that is not a positive whole number of milliseconds
    /// is an error saying so.
    ///
    /// ```
    /// let options = crossdrive::ConnectOptions::from_env().unwrap();
    /// # let _ = options;
    /// ```
    pub fn from_env() -> Result<Self, String> {
        match std::env::var(TIMEOUT_ENV) {
            Err(std::env::VarError::NotPresent) => Ok(Self::new()),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!(
                "{TIMEOUT_ENV} is not valid UTF-8; set it to a whole number of milliseconds such as 20000"
            )),
            Ok(text) => Self::new().timeout_ms(&text),
        }
    }

    /// Sets the timeout from text in whole milliseconds, as
    /// `CROSSDRIVE_TIMEOUT_MS` holds it.
    ///
    /// ```
    /// use crossdrive::ConnectOptions;
    /// assert!(ConnectOptions::new().timeout_ms("250").is_ok());
    /// let error = ConnectOptions::new().timeout_ms("2s").unwrap_err();
    /// assert!(error.contains("whole number of milliseconds"), "{error}");
    /// ```
    pub fn timeout_ms(self, text: &str) -> Result<Self, String> {
        match text.trim().parse::<u64>() {
            Ok(0) => Err(format!(
                "{TIMEOUT_ENV} is 0; a request cannot finish in no time: set a positive number of milliseconds such as 20000, or unset it for the 5 s default"
            )),
            Ok(ms) => Ok(self.timeout(Duration::from_millis(ms))),
            Err(_) => Err(format!(
                "{TIMEOUT_ENV} is `{text}`, not a whole number of milliseconds; write it as digits only, such as 20000 for 20 s"
            )),
        }
    }

    /// Sets the per-request timeout of the driver.
    ///
    /// ```
    /// use std::time::Duration;
    /// let options = crossdrive::ConnectOptions::new().timeout(Duration::from_secs(20));
    /// assert_eq!(options.get_timeout(), Duration::from_secs(20));
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The per-request timeout.
    ///
    /// ```
    /// use crossdrive::ConnectOptions;
    /// let options = ConnectOptions::new().timeout_ms("300").unwrap();
    /// assert_eq!(options.get_timeout().as_millis(), 300);
    /// ```
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }

    /// Names the test the driver is connected for, by its full libtest
    /// name (`lambda_runtime::create_then_read`, what `cargo test -- --exact`
    /// takes). `suite!` and `conformance!` set it for every test they
    /// generate. A driver whose function runs in a child process
    /// (`lambda-runtime`, `lambda-url-stream`) re-runs exactly this test as
    /// that child; without a name it uses the name libtest gives the test's
    /// thread, so set it when you connect from a thread of your own, which
    /// has none.
    ///
    /// ```
    /// use crossdrive::ConnectOptions;
    /// // A thread the test spawns has no name: take the test's along.
    /// let test = std::thread::current().name().unwrap_or_default().to_owned();
    /// let options = ConnectOptions::new().test_name(test.clone());
    /// std::thread::spawn(move || {
    ///     assert_eq!(options.get_test_name(), Some(test.as_str()));
    ///     // Kind::LambdaRuntime.connect_with(app(), &options): its child re-runs that test.
    /// })
    /// .join()
    /// .unwrap();
    /// ```
    #[must_use]
    pub fn test_name(mut self, name: impl Into<String>) -> Self {
        self.test_name = Some(name.into());
        self
    }

    /// The name of the test the driver is connected for, if it was given
    /// (see [`test_name`](Self::test_name)).
    ///
    /// ```
    /// use crossdrive::ConnectOptions;
    /// let options = ConnectOptions::new().test_name("lambda_runtime::hello");
    /// assert_eq!(options.get_test_name(), Some("lambda_runtime::hello"));
    /// ```
    pub fn get_test_name(&self) -> Option<&str> {
        self.test_name.as_deref()
    }
}
