//! A WebSocket handshake's answer delivered: the upgraded stream with the
//! protocol the server's record proves, or the refusal as an ordinary
//! response (the same checks as `observe`'s).

use http::{Method, Uri, Version};

use crate::upgrade::Switched;
use crate::websocket::{Handshake, Upgraded};
use crate::{Error, Protocol};

use super::observe::Observed;
use super::{ConnKind, Exchange, Failure};

impl<K: ConnKind> Exchange<K> {
    /// The handshake's answer as delivered: the server's record read off
    /// the head that switched (its version must be `expected`), or the
    /// refusal finished as any response is.
    pub(crate) fn finish_handshake(
        &self,
        method: &Method,
        uri: &Uri,
        outcome: Result<Switched, Failure>,
        expected: Version,
    ) -> Result<Handshake, Error> {
        match outcome {
            Ok(Switched::Upgraded(mut head, io)) => {
                let protocol = match self.observe(method, uri, &mut head, expected)? {
                    Observed::Protocol(protocol) => protocol,
                    // A panic is answered 500, which switches nothing.
                    Observed::Panicked => Protocol::from_version(expected),
                };
                Ok(Handshake::Accepted(Upgraded::new(head, protocol, io)))
            }
            Ok(Switched::Answered(response)) => self
                .finish(method, uri, Ok(response), expected, None)
                .map(Handshake::Refused),
            Err(failure) => Err(failure.error(self, method, uri)),
        }
    }
}
