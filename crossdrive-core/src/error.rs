//! The one error type every driver returns.
//!
//! Modelled on hyper's: opaque, with predicates (`is_timeout()`,
//! `is_connection()`, ...) instead of a public enum to match on, so new causes
//! can be added without breaking users. Every error carries the driver, the
//! request's method and URI (unless it belongs to no request: a driver's
//! setup, a server's start), the cause, and a hint saying what to do next;
//! its `Display` prints all of them on one line.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::{Method, Uri};

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong, coarsely. Use the `is_*` predicates on [`Error`] to test it.
///
/// ```
/// use crossdrive_core::{Error, ErrorKind};
/// let e = Error::without_request(ErrorKind::LimitExceeded, "lambda", "payload over 6 MB");
/// assert_eq!(e.kind(), ErrorKind::LimitExceeded);
/// assert!(e.is_limit_exceeded());
/// ```
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
    /// The app answered something no client can receive as an answer (a
    /// final 1xx status): a mistake in the app, the same on every driver.
    App,
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
            Self::App => "app mistake",
        }
    }
}

/// An error from a driver or from building a request, naming the driver,
/// the method, the URI and the cause. An error that belongs to no request
/// (a driver that could not be set up, a server that could not start) has
/// no method and URI; see [`Error::without_request`].
///
/// ```
/// use crossdrive_core::Error;
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
    request: Option<(Method, Uri)>,
    cause: String,
    hint: Option<String>,
    source: Option<BoxError>,
}

impl Error {
    /// A new error of `kind` for the request `method uri` sent through `driver`.
    ///
    /// ```
    /// use crossdrive_core::{Error, ErrorKind};
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
        Self::build(
            kind,
            driver,
            Some((method.clone(), uri.clone())),
            cause.into(),
        )
    }

    /// A new error of `kind` from `driver` that belongs to no request: a
    /// driver that could not be set up, a server that could not start, a
    /// connection opened before any request. It has no [`method`](Self::method)
    /// or [`uri`](Self::uri), and its `Display` names none.
    ///
    /// ```
    /// use crossdrive_core::{Error, ErrorKind};
    /// let e = Error::without_request(ErrorKind::Connection, "http1",
    ///                                "cannot start the server");
    /// assert!(e.is_connection());
    /// assert_eq!(e.method(), None);
    /// assert_eq!(e.to_string(), "http1 driver: connection error cannot start the server");
    /// ```
    pub fn without_request(kind: ErrorKind, driver: &str, cause: impl Into<String>) -> Self {
        Self::build(kind, driver, None, cause.into())
    }

    fn build(kind: ErrorKind, driver: &str, request: Option<(Method, Uri)>, cause: String) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                driver: driver.to_owned(),
                request,
                cause,
                hint: None,
                source: None,
            }),
        }
    }

    /// A timeout after `after`, with the standard hint.
    ///
    /// ```
    /// let e = crossdrive_core::Error::timeout("http1", &http::Method::GET, &"/".parse().unwrap(),
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
            "the handler did not finish its response in time: it never answered, or it is still \
             streaming its body (an endless stream never completes: read it as it arrives with \
             `.stream()`); raise the driver's timeout if it is legitimately slow",
        )
    }

    /// A handler panic, carrying the panic message.
    ///
    /// ```
    /// let e = crossdrive_core::Error::handler_panic("direct", &http::Method::GET,
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

    /// The app's final response had an informational (1xx) status, which
    /// no HTTP client can receive as an answer: HTTP/1.1 and HTTP/2 servers
    /// send 1xx heads only before the final response (RFC 9110 §15.2).
    /// Every driver reports it with this error, so the mistake reads the
    /// same wherever it is met. `101 Switching Protocols` is an upgrade,
    /// not this mistake, and never reaches here.
    ///
    /// ```
    /// let e = crossdrive_core::Error::final_informational("http1", &http::Method::GET,
    ///     &"/hints".parse().unwrap(), http::StatusCode::EARLY_HINTS);
    /// assert!(e.is_app_mistake());
    /// assert!(e.to_string().contains("the app answered with 103 Early Hints as its final status"));
    /// ```
    pub fn final_informational(
        driver: &str,
        method: &Method,
        uri: &Uri,
        status: http::StatusCode,
    ) -> Self {
        Self::new(
            ErrorKind::App,
            driver,
            method,
            uri,
            format!(
                "the app answered with {status} as its final status; a final response is \
                 2xx-5xx (informational 1xx heads are sent before it, by the server)"
            ),
        )
        .with_hint(
            "return the final status (200, 204, ...) from the handler; a server sends 100 \
             Continue itself when a client asks for it, and hyper's server cannot send 103 \
             Early Hints at all",
        )
    }

    /// Attaches a hint saying what to do next.
    ///
    /// ```
    /// use crossdrive_core::{Error, ErrorKind};
    /// let e = Error::without_request(ErrorKind::Connection, "http1", "refused")
    ///     .with_hint("is the server running?");
    /// assert_eq!(e.to_string(), "http1 driver: connection error refused; is the server running?");
    /// ```
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.inner.hint = Some(hint.into());
        self
    }

    /// Attaches the underlying error: [`source()`](StdError::source)
    /// returns it, and `Display` prints it and its own sources in
    /// parentheses after the cause.
    ///
    /// ```
    /// use crossdrive_core::{Error, ErrorKind};
    /// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    /// let e = Error::without_request(ErrorKind::Connection, "http1", "cannot connect")
    ///     .with_source(io);
    /// assert_eq!(e.to_string(), "http1 driver: connection error cannot connect (refused)");
    /// assert!(std::error::Error::source(&e).is_some());
    /// ```
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// The coarse kind of the error.
    ///
    /// ```
    /// # use crossdrive_core::{Error, ErrorKind};
    /// # let e = Error::new(ErrorKind::Adapter, "lambda", &http::Method::POST,
    /// #                    &"/todos".parse().unwrap(), "response JSON had no statusCode");
    /// assert_eq!(e.kind(), ErrorKind::Adapter);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }
    /// The name of the driver that failed.
    ///
    /// ```
    /// # use crossdrive_core::{Error, ErrorKind};
    /// # let e = Error::new(ErrorKind::Adapter, "lambda", &http::Method::POST,
    /// #                    &"/todos".parse().unwrap(), "response JSON had no statusCode");
    /// assert_eq!(e.driver(), "lambda");
    /// ```
    pub fn driver(&self) -> &str {
        &self.inner.driver
    }
    /// The request method, or `None` for an error that belongs to no
    /// request ([`Error::without_request`]).
    ///
    /// ```
    /// # use crossdrive_core::{Error, ErrorKind};
    /// # let e = Error::new(ErrorKind::Adapter, "lambda", &http::Method::POST,
    /// #                    &"/todos".parse().unwrap(), "response JSON had no statusCode");
    /// assert_eq!(e.method(), Some(&http::Method::POST));
    /// ```
    pub fn method(&self) -> Option<&Method> {
        self.inner.request.as_ref().map(|(method, _)| method)
    }
    /// The request URI, or `None` for an error that belongs to no request
    /// ([`Error::without_request`]).
    ///
    /// ```
    /// # use crossdrive_core::{Error, ErrorKind};
    /// # let e = Error::new(ErrorKind::Adapter, "lambda", &http::Method::POST,
    /// #                    &"/todos".parse().unwrap(), "response JSON had no statusCode");
    /// assert_eq!(e.uri().map(|u| u.path()), Some("/todos"));
    /// ```
    pub fn uri(&self) -> Option<&Uri> {
        self.inner.request.as_ref().map(|(_, uri)| uri)
    }
    /// The cause, as a sentence.
    ///
    /// ```
    /// # use crossdrive_core::{Error, ErrorKind};
    /// # let e = Error::new(ErrorKind::Adapter, "lambda", &http::Method::POST,
    /// #                    &"/todos".parse().unwrap(), "response JSON had no statusCode");
    /// assert_eq!(e.cause(), "response JSON had no statusCode");
    /// ```
    pub fn cause(&self) -> &str {
        &self.inner.cause
    }
    /// True if no response arrived within the timeout.
    ///
    /// ```
    /// let e = crossdrive_core::Error::timeout("http1", &http::Method::GET, &"/slow".parse().unwrap(),
    ///                                    std::time::Duration::from_secs(5));
    /// assert!(e.is_timeout());
    /// assert!(!e.is_connection());
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }
    /// True if the connection failed.
    ///
    /// ```
    /// use crossdrive_core::{Error, ErrorKind};
    /// let e = Error::without_request(ErrorKind::Connection, "http1", "connection reset");
    /// assert!(e.is_connection());
    /// assert!(!e.is_timeout());
    /// ```
    pub fn is_connection(&self) -> bool {
        self.inner.kind == ErrorKind::Connection
    }
    /// True if the adapter rejected or mangled the exchange.
    ///
    /// ```
    /// # use crossdrive_core::{Error, ErrorKind};
    /// # let e = Error::new(ErrorKind::Adapter, "lambda", &http::Method::POST,
    /// #                    &"/todos".parse().unwrap(), "response JSON had no statusCode");
    /// assert!(e.is_adapter());
    /// assert!(!e.is_handler_panic());
    /// ```
    pub fn is_adapter(&self) -> bool {
        self.inner.kind == ErrorKind::Adapter
    }
    /// True if a size limit was exceeded.
    ///
    /// ```
    /// use crossdrive_core::{Error, ErrorKind};
    /// let e = Error::without_request(ErrorKind::LimitExceeded, "lambda", "payload over 6 MB");
    /// assert!(e.is_limit_exceeded());
    /// assert!(!e.is_adapter());
    /// ```
    pub fn is_limit_exceeded(&self) -> bool {
        self.inner.kind == ErrorKind::LimitExceeded
    }
    /// True if the handler panicked.
    ///
    /// ```
    /// let e = crossdrive_core::Error::handler_panic("direct", &http::Method::GET,
    ///                                          &"/boom".parse().unwrap(), "index out of bounds");
    /// assert!(e.is_handler_panic());
    /// assert!(e.cause().contains("index out of bounds"));
    /// ```
    pub fn is_handler_panic(&self) -> bool {
        self.inner.kind == ErrorKind::HandlerPanic
    }
    /// True if the request itself could not be built.
    ///
    /// ```
    /// use crossdrive_core::{Error, ErrorKind};
    /// let e = Error::without_request(ErrorKind::InvalidRequest, "direct", "invalid header name");
    /// assert!(e.is_invalid_request());
    /// assert!(!e.is_adapter());
    /// ```
    pub fn is_invalid_request(&self) -> bool {
        self.inner.kind == ErrorKind::InvalidRequest
    }
    /// True if the app made a mistake no driver can carry (a final 1xx
    /// status), reported the same way on every driver.
    ///
    /// ```
    /// let e = crossdrive_core::Error::final_informational("direct", &http::Method::GET,
    ///     &"/".parse().unwrap(), http::StatusCode::CONTINUE);
    /// assert!(e.is_app_mistake());
    /// assert!(!e.is_handler_panic() && !e.is_adapter());
    /// ```
    pub fn is_app_mistake(&self) -> bool {
        self.inner.kind == ErrorKind::App
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        write!(f, "{} driver: ", i.driver)?;
        if let Some((method, uri)) = &i.request {
            write!(f, "{method} {uri}: ")?;
        }
        write!(f, "{} {}", i.kind.as_str(), i.cause)?;
        if let Some(source) = &i.source {
            // The whole chain: a client's own message ("error sending
            // request") rarely says what broke; its sources do. A
            // transparent wrapper (axum's `Error`) displays as its source:
            // that text is printed once.
            let mut last = source.to_string();
            write!(f, " ({last}")?;
            let mut next = source.source();
            while let Some(cause) = next {
                let text = cause.to_string();
                if text != last {
                    write!(f, ": {text}")?;
                    last = text;
                }
                next = cause.source();
            }
            write!(f, ")")?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(std::io::Error);
    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            // A transparent wrapper, as axum's `Error` is.
            write!(f, "{}", self.0)
        }
    }
    impl StdError for Wrapper {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn an_error_without_a_request_names_none() {
        let e = Error::without_request(ErrorKind::Connection, "http1", "cannot start the server")
            .with_hint("check loopback");
        assert_eq!((e.method(), e.uri()), (None, None));
        assert_eq!(
            e.to_string(),
            "http1 driver: connection error cannot start the server; check loopback"
        );
    }

    #[test]
    fn an_error_for_a_request_names_it() {
        let uri: Uri = "/todos".parse().unwrap();
        let e = Error::new(ErrorKind::Adapter, "direct", &Method::PUT, &uri, "broken");
        assert_eq!(e.method(), Some(&Method::PUT));
        assert_eq!(e.uri(), Some(&uri));
        assert_eq!(
            e.to_string(),
            "direct driver: PUT /todos: adapter error broken"
        );
    }

    #[test]
    fn the_source_is_kept_and_its_chain_printed_once() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = Error::without_request(ErrorKind::Connection, "http1", "cannot connect")
            .with_source(Wrapper(io));
        let source = StdError::source(&e).expect("a source");
        assert!(source.downcast_ref::<Wrapper>().is_some());
        assert_eq!(
            e.to_string(),
            "http1 driver: connection error cannot connect (refused)"
        );
    }
}
