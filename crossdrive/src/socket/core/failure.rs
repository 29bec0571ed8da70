//! Why an exchange brought back no response, and the crossdrive
//! [`Error`] each reason becomes: the same kinds, causes and hints on
//! every socket driver, naming its own server and driver types.

use crate::{Error, ErrorKind};
use http::{Method, Uri};

use super::{ConnKind, Exchange};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a connection (a pool's, or the reqwest transport's) brought back
/// no response.
#[derive(Debug)]
pub(crate) enum ConnError {
    /// No connection could be opened (refused, a TLS, QUIC or HTTP
    /// handshake failed): what was tried, and the error it met.
    Connect(String, BoxError),
    /// The connection (or stream) broke before the response head arrived.
    Exchange(BoxError),
    /// The response body broke off.
    Body(BoxError),
    /// The response body is larger than the limit.
    TooLarge,
    /// The request cannot be sent as given (a target that cannot be put in
    /// a URI, a `Host` that is no authority): why, and the error met.
    Invalid(String, Option<BoxError>),
}

/// Why an exchange did not bring back a response: its connection's
/// reason, or where it ran.
#[derive(Debug)]
pub(crate) enum Failure {
    Conn(ConnError),
    TimedOut,
    /// The server's side went away: why (a join error, a panic message).
    Gone(BoxError),
    /// The exchange panicked on the caller's runtime: tokio panics on a
    /// runtime without IO (or timers, which quinn needs).
    Panicked(String),
}

impl From<ConnError> for Failure {
    fn from(error: ConnError) -> Self {
        Self::Conn(error)
    }
}

impl Failure {
    /// The error `exchange` reports for the request `method uri`.
    pub(crate) fn error<K: ConnKind>(
        self,
        exchange: &Exchange<K>,
        method: &Method,
        uri: &Uri,
    ) -> Error {
        let name = exchange.name();
        let error = |kind, cause: String| Error::new(kind, name, method, uri, cause);
        let origin = exchange.origin();
        match self {
            Self::Conn(ConnError::Connect(cause, e)) => error(ErrorKind::Connection, cause)
                .with_source(e)
                .with_hint(format!(
                    "the server refused the connection or is gone; was its {} dropped?",
                    K::SERVER
                )),
            Self::Conn(ConnError::Exchange(e)) => error(
                ErrorKind::Connection,
                format!("the exchange with {origin} failed on the connection"),
            )
            .with_source(e)
            .with_hint(
                "the connection broke before a response arrived; look for a server-side error above",
            ),
            Self::Conn(ConnError::Body(e)) => {
                error(ErrorKind::Connection, "the response body broke off".to_owned())
                    .with_source(e)
                    .with_hint(
                        "the connection closed mid-body; look for a failing body stream in the app",
                    )
            }
            Self::Conn(ConnError::TooLarge) => error(
                ErrorKind::LimitExceeded,
                format!(
                    "the response body is larger than the {}-byte limit",
                    exchange.body_limit
                ),
            )
            .with_hint(format!(
                "raise it with {}::body_limit if the app really sends that much",
                K::DRIVER
            )),
            Self::Conn(ConnError::Invalid(cause, source)) => {
                let invalid = error(ErrorKind::InvalidRequest, cause).with_hint(K::INVALID_HINT);
                match source {
                    Some(source) => invalid.with_source(source),
                    None => invalid,
                }
            }
            Self::TimedOut => Error::timeout(name, method, uri, exchange.timeout),
            Self::Panicked(cause) => error(
                ErrorKind::Adapter,
                format!("the client panicked on the caller's tokio runtime ({cause})"),
            )
            .with_hint(K::RUNTIME_HINT),
            Self::Gone(cause) => error(
                ErrorKind::Connection,
                format!("the server at {origin} is gone: it was stopped, or its runtime shut down"),
            )
            .with_source(cause)
            .with_hint(format!(
                "keep the {} alive and running while its drivers are in use",
                K::SERVER
            )),
        }
    }
}
