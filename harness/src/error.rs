//! The one error type every driver returns.
//!
//! Modelled on hyper's: opaque, with predicates (`is_timeout()`,
//! `is_connection()`, ...) instead of a public enum to match on, so new causes
//! can be added without breaking users. Every error carries the driver, the
//! request's method and URI, the cause, and a hint saying what to do next;
//! its `Display` prints all of them on one line.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::{Method, Uri};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong, coarsely. Use the `is_*` predicates on [`Error`] to test it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No complete response arrived within the driver's timeout.
    Timeout,
    /// The connection could not be made, or broke.
    Connection,
    /// The adapter rejected or mangled the exchange (a malformed event, an
    /// undecodable response).
    Adapter,
    /// A size or count limit was exceeded (a body larger than the driver
    /// accepts, a Lambda payload over 6 MB).
    LimitExceeded,
    /// The handler panicked.
    HandlerPanic,
    /// The request could not be built (an invalid header name or URI).
    InvalidRequest,
}

impl ErrorKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timed out",
            Self::Connection => "connection error",
            Self::Adapter => "adapter error",
            Self::LimitExceeded => "limit exceeded",
            Self::HandlerPanic => "handler panicked",
            Self::InvalidRequest => "invalid request",
        }
    }
}

/// An error from a driver or from building a request, naming the driver,
/// the method, the URI and the cause.
///
/// ```
/// use crossdrive::Error;
/// let e = Error::timeout("direct", &http::Method::GET, &"/slow".parse().unwrap(),
///                        std::time::Duration::from_secs(5));
/// assert!(e.is_timeout());
/// assert_eq!(e.driver(), "direct");
/// assert!(e.to_string().starts_with("direct driver: GET /slow: timed out after 5s"));
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    driver: String,
    method: Method,
    uri: Uri,
    cause: String,
    hint: Option<String>,
    source: Option<BoxError>,
}

impl Error {
    /// A new error of `kind` for the request `method uri` sent through `driver`.
    ///
    /// ```
    /// use crossdrive::{Error, ErrorKind};
    /// let e = Error::new(ErrorKind::Adapter, "lambda", &http::Method::POST,
    ///                    &"/todos".parse().unwrap(), "response JSON had no statusCode");
    /// assert!(e.is_adapter());
    /// ```
    pub fn new(
        kind: ErrorKind,
        driver: &str,
        method: &Method,
        uri: &Uri,
        cause: impl Into<String>,
    ) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                driver: driver.to_owned(),
                method: method.clone(),
                uri: uri.clone(),
                cause: cause.into(),
                hint: None,
                source: None,
            }),
        }
    }

    /// A timeout after `after`, with the standard hint.
    ///
    /// ```
    /// let e = crossdrive::Error::timeout("http1", &http::Method::GET, &"/".parse().unwrap(),
    ///                                    std::time::Duration::from_millis(250));
    /// assert!(e.to_string().contains("timed out after 250ms"));
    /// ```
    pub fn timeout(driver: &str, method: &Method, uri: &Uri, after: Duration) -> Self {
        Self::new(
            ErrorKind::Timeout,
            driver,
            method,
            uri,
            format!("after {after:?}"),
        )
        .with_hint(
            "the handler did not finish its response in time; raise the driver's timeout if it is \
             legitimately slow, or look for a handler that never answers",
        )
    }

    /// A handler panic, carrying the panic message.
    ///
    /// ```
    /// let e = crossdrive::Error::handler_panic("direct", &http::Method::GET,
    ///                                          &"/boom".parse().unwrap(), "index out of bounds");
    /// assert!(e.is_handler_panic());
    /// ```
    pub fn handler_panic(driver: &str, method: &Method, uri: &Uri, message: &str) -> Self {
        Self::new(
            ErrorKind::HandlerPanic,
            driver,
            method,
            uri,
            format!("panic message: {message}"),
        )
        .with_hint("the app's handler panicked; see the panic output above this test's failure")
    }

    /// Attaches a hint saying what to do next.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.inner.hint = Some(hint.into());
        self
    }

    /// Attaches the underlying error.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// The coarse kind of the error.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }
    /// The name of the driver that failed.
    pub fn driver(&self) -> &str {
        &self.inner.driver
    }
    /// The request method.
    pub fn method(&self) -> &Method {
        &self.inner.method
    }
    /// The request URI.
    pub fn uri(&self) -> &Uri {
        &self.inner.uri
    }
    /// The cause, as a sentence.
    pub fn cause(&self) -> &str {
        &self.inner.cause
    }
    /// True if no response arrived within the timeout.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }
    /// True if the connection failed.
    pub fn is_connection(&self) -> bool {
        self.inner.kind == ErrorKind::Connection
    }
    /// True if the adapter rejected or mangled the exchange.
    pub fn is_adapter(&self) -> bool {
        self.inner.kind == ErrorKind::Adapter
    }
    /// True if a size limit was exceeded.
    pub fn is_limit_exceeded(&self) -> bool {
        self.inner.kind == ErrorKind::LimitExceeded
    }
    /// True if the handler panicked.
    pub fn is_handler_panic(&self) -> bool {
        self.inner.kind == ErrorKind::HandlerPanic
    }
    /// True if the request itself could not be built.
    pub fn is_invalid_request(&self) -> bool {
        self.inner.kind == ErrorKind::InvalidRequest
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        write!(
            f,
            "{} driver: {} {}: {} {}",
            i.driver,
            i.method,
            i.uri,
            i.kind.as_str(),
            i.cause
        )?;
        if let Some(source) = &i.source {
            write!(f, " ({source})")?;
        }
        if let Some(hint) = &i.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug is what `unwrap()` prints: keep it as readable as Display.
        write!(f, "{self}")
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}
