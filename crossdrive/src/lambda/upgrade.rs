//! A WebSocket handshake sent to a Lambda HTTP event source, answered as
//! the source answers it (feature `websocket`).
//!
//! None of these sources carries a WebSocket (docs/websockets.md). An
//! Application Load Balancer documents its answer for Lambda targets:
//! "WebSockets are not supported. Upgrade requests are rejected with an
//! HTTP 400 code"
//! (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html>),
//! so `lambda-alb` answers 400 without invoking the function; the page is
//! a model, in the shape of ALB's other error pages (`failure.rs`). API
//! Gateway's HTTP and REST APIs and Function URLs document no answer of
//! their own, so the handshake reaches the function as an ordinary
//! request (a model too) and the app's answer comes back. Either way the
//! handshake is refused with a `websocket-not-carried` note saying why.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, UPGRADE};
use http::{HeaderValue, Request, Response, StatusCode};

use crate::websocket::{Handshake, NOT_CARRIED};
use crate::{AdapterNote, Driver, DriverResponse, Error};

use super::driver::Inner;
use super::options::Source;

/// ALB's 400 page, in the shape of its other error pages.
const ALB_400: &str = "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n</body>\r\n</html>\r\n";

/// The source's answer to the handshake `request` sent through `driver`.
pub(super) async fn handshake(
    driver: &(impl Driver + ?Sized),
    inner: &Inner,
    request: Request<Bytes>,
) -> Result<Handshake, Error> {
    let name = inner.name;
    if matches!(inner.options.source, Source::Alb { .. }) && request.headers().contains_key(UPGRADE)
    {
        let mut response = Response::new(Bytes::from_static(ALB_400.as_bytes()));
        *response.status_mut() = StatusCode::BAD_REQUEST;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        let note = AdapterNote::new(
            NOT_CARRIED,
            format!(
                "{name} cannot carry a WebSocket: an Application Load Balancer rejects the \
                 upgrade requests of Lambda targets with 400, without invoking the function \
                 (elasticloadbalancing/latest/application/lambda-functions.html)"
            ),
        );
        let refused = DriverResponse::new(response, inner.protocol.clone()).with_note(note);
        return Ok(Handshake::Refused(refused));
    }
    let answered = driver.send(request).await?;
    let note = AdapterNote::new(
        NOT_CARRIED,
        format!(
            "{name} cannot carry a WebSocket: the event source is request-response, so the \
             handshake reached the function as an ordinary request, and this is what the app \
             answered"
        ),
    );
    Ok(Handshake::Refused(answered.with_note(note)))
}
