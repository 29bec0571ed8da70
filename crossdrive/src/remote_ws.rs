//! The `remote` driver's WebSocket: an HTTP/1.1 Upgrade to the deployed
//! URL (`ws://` is the handshake to `http://`, `wss://` to `https://`).
//!
//! The handshake goes through the driver's second reqwest client, which
//! speaks HTTP/1.1 only (ALPN `http/1.1` over TLS): an Upgrade needs an
//! HTTP/1.1 connection, and RFC 8441's extended CONNECT is not something
//! reqwest sends. Like every remote request it runs on the driver's own
//! runtime thread, bounded by its timeout; the upgraded connection then
//! lives there too, as long as the test's socket (reqwest's `upgrade`,
//! hyper's underneath). The reported protocol is the version of the
//! response that switched.

use bytes::Bytes;
use http::{Request, Response};

use crate::guard::{Interrupted, guarded};
use crate::remote::{Failure, NAME, Remote, runtime};
use crate::upgrade::Switched;
use crate::websocket::{Handshake, Upgraded};
use crate::{DriverResponse, Error, ErrorKind, Protocol};

/// The handshake `request` through `remote`.
pub(crate) async fn handshake(
    remote: &Remote,
    request: Request<Bytes>,
) -> Result<Handshake, Error> {
    let (method, uri) = (request.method().clone(), request.uri().clone());
    let outgoing = remote.outgoing(request, &method, &uri)?;
    let runtime = runtime().map_err(|cause| {
        remote.error(
            ErrorKind::Connection,
            &method,
            &uri,
            format!("the remote driver {cause}"),
        )
    })?;
    let (timeout, limit) = remote.limits();
    let task = runtime.spawn(exchange(remote.upgrading.clone(), outgoing, limit));
    let abort = task.abort_handle();
    let outcome = match guarded(timeout, task).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(join)) => Err(Failure::Task(join.into())),
        Err(Interrupted::TimedOut(after)) => {
            abort.abort();
            return Err(Error::timeout(NAME, &method, &uri, after));
        }
        Err(Interrupted::Panicked(message)) => Err(Failure::Task(message.into())),
    };
    match outcome {
        Ok((Switched::Upgraded(head, io), version)) => Ok(Handshake::Accepted(Upgraded::new(
            head,
            Protocol::from_version(version),
            io,
        ))),
        Ok((Switched::Answered(response), version)) => Ok(Handshake::Refused(DriverResponse::new(
            response,
            Protocol::from_version(version),
        ))),
        Err(failure) => Err(remote.failed(failure, &method, &uri)),
    }
}

/// Sends the handshake and takes the upgrade, or reads the refusal whole.
async fn exchange(
    client: reqwest::Client,
    request: reqwest::Request,
    limit: usize,
) -> Result<(Switched, http::Version), Failure> {
    let response = client.execute(request).await.map_err(Failure::Request)?;
    let version = response.version();
    if response.status() == http::StatusCode::SWITCHING_PROTOCOLS {
        let mut head = Response::new(());
        *head.status_mut() = response.status();
        *head.version_mut() = version;
        *head.headers_mut() = response.headers().clone();
        let upgraded = response.upgrade().await.map_err(Failure::Request)?;
        return Ok((Switched::Upgraded(head, Box::new(upgraded)), version));
    }
    let response: Response<reqwest::Body> = response.into();
    let answered = crate::remote::read_limited(response, limit).await?;
    Ok((Switched::Answered(answered), version))
}
