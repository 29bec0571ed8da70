//! What a driver actually spoke for a request.
//!
//! Drivers report the protocol they *observed* (for socket drivers: the
//! version the server saw), never the one they configured, so a suite can
//! prove that an "HTTP/2" driver really used HTTP/2 on the wire.

use std::borrow::Cow;
use std::fmt;

/// The protocol a request travelled over.
///
/// ```
/// use crossdrive_core::Protocol;
/// assert_eq!(Protocol::Http2.to_string(), "HTTP/2");
/// let alb = Protocol::Lambda("alb".into());
/// assert_eq!(alb.as_str(), "alb");
/// assert_eq!(alb.to_string(), "lambda:alb");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// A direct in-process call: no socket, no serialization.
    InProcess,
    /// HTTP/1.0 on a socket.
    Http10,
    /// HTTP/1.1 on a socket.
    Http1,
    /// HTTP/2 on a socket (cleartext or TLS).
    Http2,
    /// HTTP/3.
    Http3,
    /// A Lambda invocation whose event has the named shape
    /// (`apigw-http-v2`, `apigw-rest-v1`, `alb`, `function-url`).
    Lambda(Cow<'static, str>),
    /// Anything else, by name.
    Other(Cow<'static, str>),
}

impl Protocol {
    /// The protocol matching an `http::Version` seen on the wire.
    ///
    /// ```
    /// use crossdrive_core::Protocol;
    /// assert_eq!(Protocol::from_version(http::Version::HTTP_2), Protocol::Http2);
    /// assert_eq!(Protocol::from_version(http::Version::HTTP_11).as_str(), "HTTP/1.1");
    /// ```
    pub fn from_version(version: http::Version) -> Self {
        match version {
            http::Version::HTTP_10 | http::Version::HTTP_09 => Self::Http10,
            http::Version::HTTP_2 => Self::Http2,
            http::Version::HTTP_3 => Self::Http3,
            _ => Self::Http1,
        }
    }

    /// The name written in reports and bench JSON (`HTTP/1.1`, `in-process`, ...).
    ///
    /// ```
    /// assert_eq!(crossdrive_core::Protocol::InProcess.as_str(), "in-process");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            Self::InProcess => "in-process",
            Self::Http10 => "HTTP/1.0",
            Self::Http1 => "HTTP/1.1",
            Self::Http2 => "HTTP/2",
            Self::Http3 => "HTTP/3",
            Self::Lambda(shape) | Self::Other(shape) => shape,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lambda(shape) => write!(f, "lambda:{shape}"),
            other => f.write_str(other.as_str()),
        }
    }
}
