//! [`IntoApp`]: what may be mounted behind a driver.
//!
//! Every driver carries requests to an [`axum::Router`]: it accepts every
//! body type the drivers produce, answers with one body type, never fails,
//! and clones cheaply, which is what a server (one clone per connection)
//! and a Lambda function (one per invocation) need. Any other
//! `tower::Service` with the same shape becomes one by being mounted as the
//! router's fallback service, so the app sees every request unchanged:
//! method, target, headers, body and extensions (`ConnectInfo` included).
//!
//! `suite!`, `conformance!`, `parity!` and the bench take an app *factory*
//! (`fn() -> impl IntoApp`): every test, and every side of a bench cell,
//! gets a fresh instance, so no state leaks between them.

use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use axum::response::IntoResponse;
use http::Request;
use tower::Service;

/// An app a driver can carry requests to: an [`axum::Router`] or any
/// `tower::Service<Request<axum::body::Body>>` that never fails and clones
/// cheaply.
///
/// ```
/// use std::convert::Infallible;
/// use crossdrive::IntoApp;
///
/// // A plain tower service, no axum routing of its own.
/// let service = tower::service_fn(|request: http::Request<axum::body::Body>| async move {
///     Ok::<_, Infallible>(http::Response::new(request.uri().path().to_owned()))
/// });
/// let app: axum::Router = service.into_app();
/// # let _ = app;
/// ```
pub trait IntoApp {
    /// The app as a router every driver can mount.
    fn into_app(self) -> Router;
}

impl<S> IntoApp for S
where
    S: Service<Request<Body>, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    fn into_app(self) -> Router {
        // A router is itself such a service: hand it over as it is, so the
        // common case pays no extra routing layer.
        let mut slot = Some(self);
        if let Some(router) = (&mut slot as &mut dyn std::any::Any)
            .downcast_mut::<Option<Router>>()
            .and_then(Option::take)
        {
            return router;
        }
        match slot {
            Some(service) => Router::new().fallback_service(service),
            None => Router::new(),
        }
    }
}

/// True for a status no client can receive as a final answer: an
/// informational 1xx other than `101 Switching Protocols` (an upgrade,
/// which ends the HTTP exchange rather than answering it). Every driver
/// turns such an answer into [`crossdrive::Error::final_informational`](crate::Error::final_informational),
/// so the app's mistake reads the same on all of them instead of a 500
/// from hyper, an HTTP/2 stream reset or a 103 passed through.
pub(crate) fn is_final_informational(status: http::StatusCode) -> bool {
    status.is_informational() && status != http::StatusCode::SWITCHING_PROTOCOLS
}
