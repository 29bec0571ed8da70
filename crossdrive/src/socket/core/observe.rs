//! The protocol check: the server's record on a response (the `wire`
//! module) read and removed, the version the server saw compared with
//! the one the driver must speak, and the response delivered with that
//! protocol, or the handler's panic or final 1xx turned into its error.

use crate::{AdapterNote, DriverResponse, DriverStream, Error, ErrorKind, Protocol, ResponseBody};
use bytes::Bytes;
use http::{Method, Response, Uri, Version};
use http_body_util::{BodyExt, Limited};

use super::super::wire::{self, Mark};
use super::placement::guarded_inline;
use super::{ConnError, ConnKind, Exchange, Failure};

/// What the server's record said about a response.
pub(super) enum Observed {
    /// The handler panicked; the body is its message.
    Panicked,
    /// The protocol the server saw, the one the driver must speak.
    Protocol(Protocol),
}

impl<K: ConnKind> Exchange<K> {
    /// The response as delivered: its protocol proven from the server's
    /// record to be `expected`, a handler panic turned into its error.
    pub(crate) fn finish(
        &self,
        method: &Method,
        uri: &Uri,
        outcome: Result<Response<Bytes>, Failure>,
        expected: Version,
        note: Option<AdapterNote>,
    ) -> Result<DriverResponse, Error> {
        let mut response = outcome.map_err(|failure| failure.error(self, method, uri))?;
        let protocol = match self.observe(method, uri, &mut response, expected)? {
            Observed::Panicked => {
                let message = String::from_utf8_lossy(response.body());
                return Err(Error::handler_panic(self.name(), method, uri, &message));
            }
            Observed::Protocol(protocol) => protocol,
        };
        let delivered = DriverResponse::new(response, protocol);
        Ok(match note {
            Some(note) => delivered.with_note(note),
            None => delivered,
        })
    }

    /// [`finish`](Self::finish) for a response whose body is still
    /// arriving; a panicking handler's message is read from its (short,
    /// whole) body within the timeout and the body limit.
    pub(crate) async fn finish_stream(
        &self,
        method: &Method,
        uri: &Uri,
        outcome: Result<Response<ResponseBody>, Failure>,
        expected: Version,
        note: Option<AdapterNote>,
    ) -> Result<DriverStream, Error> {
        let mut response = outcome.map_err(|failure| failure.error(self, method, uri))?;
        let protocol = match self.observe(method, uri, &mut response, expected)? {
            Observed::Panicked => {
                let read = Limited::new(response.into_body(), self.body_limit).collect();
                let read = async move {
                    read.await
                        .map(|collected| collected.to_bytes())
                        .map_err(|e| Failure::Conn(ConnError::Body(e)))
                };
                let message = match guarded_inline(self.timeout, read).await {
                    Ok(body) => String::from_utf8_lossy(&body).into_owned(),
                    Err(_) => "(the panic message did not arrive)".to_owned(),
                };
                return Err(Error::handler_panic(self.name(), method, uri, &message));
            }
            Observed::Protocol(protocol) => protocol,
        };
        let delivered = DriverStream::new(response, protocol);
        Ok(match note {
            Some(note) => delivered.with_note(note),
            None => delivered,
        })
    }

    /// Reads and removes the server's record from a response (the
    /// protocol it saw, a handler panic, an app's final 1xx), and checks
    /// the protocol is `expected`.
    pub(super) fn observe<B>(
        &self,
        method: &Method,
        uri: &Uri,
        response: &mut Response<B>,
        expected: Version,
    ) -> Result<Observed, Error> {
        let name = self.name();
        let Some(record) = wire::read(response.headers_mut(), self.mount.record()) else {
            return Err(Error::new(
                ErrorKind::Adapter,
                name,
                method,
                uri,
                "the response did not come through crossdrive's server (no protocol record)",
            )
            .with_hint("is something else listening on the server's port?"));
        };
        match record.mark {
            Mark::Answered => {}
            Mark::Panicked => return Ok(Observed::Panicked),
            Mark::Informational(status) => {
                return Err(Error::final_informational(name, method, uri, status));
            }
        }
        let version = record.version;
        if version != expected {
            return Err(Error::new(
                ErrorKind::Adapter,
                name,
                method,
                uri,
                format!(
                    "the server received this request as {}, not {}",
                    Protocol::from_version(version),
                    Protocol::from_version(expected)
                ),
            )
            .with_hint("the client or server negotiated the wrong protocol; check ALPN and prior-knowledge settings"));
        }
        Ok(Observed::Protocol(Protocol::from_version(version)))
    }
}
