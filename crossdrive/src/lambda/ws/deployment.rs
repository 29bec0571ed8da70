//! `lambda-ws` in the driver registry: a WebSocket API deployment of
//! [`WebSocketOptions`], connected per test with the test's timeout.
//!
//! The driver carries WebSockets only (a plain request gets API
//! Gateway's 403 or 426), so the driver table marks it `carries:
//! websocket`: [`Drivers::builtin`](crate::Drivers::builtin) leaves it
//! out, the conformance suite runs only its WebSocket checks (its
//! differences in `differences.rs`), and a `suite!` body runs on it only
//! where the suite names it in `only = [..]`. A bench that adds it
//! measures its WebSocket rows beside the `raw-ws-api` floor and reports
//! its HTTP rows as unmeasured.

use std::sync::Arc;

use axum::Router;

use super::driver::LambdaWs;
use super::options::WebSocketOptions;
use crate::registry::{Deployment, Registration};
use crate::{ConnectOptions, Driver, Error};

/// `lambda-ws`: the app as the function of a default WebSocket API.
pub(crate) const LAMBDA_WS: Registration = Registration {
    deployment: || deploy(WebSocketOptions::new()),
    differences: &[],
};

/// A deployment of `options`.
pub(crate) fn deploy(options: WebSocketOptions) -> Arc<dyn Deployment> {
    Arc::new(WebSocketApi(options))
}

/// A WebSocket API in front of the function.
struct WebSocketApi(WebSocketOptions);

impl Deployment for WebSocketApi {
    fn connect(&self, app: Router, options: &ConnectOptions) -> Result<Arc<dyn Driver>, Error> {
        let options = self.0.clone().with_test_timeout(options.get_timeout());
        Ok(Arc::new(LambdaWs::new(app, options)?))
    }

    fn websocket_differences(&self) -> Vec<(&'static str, &'static str)> {
        super::differences::for_options(&self.0)
    }

    /// The driver over one model and, as its floor, tokio-tungstenite's
    /// own client to a second model over a second function instance
    /// (`raw-ws-api`). Each model serves on a thread of its own whatever
    /// the topology: the loopback connection is API Gateway's transport.
    #[cfg(feature = "bench")]
    fn bench_pair(
        &self,
        app: &dyn Fn() -> Router,
        _server: crate::registry::Server,
    ) -> Result<crate::registry::FloorPair, Error> {
        let driver = LambdaWs::new(app(), self.0.clone())?;
        let floor = LambdaWs::new(app(), self.0.clone())?;
        Ok(crate::registry::FloorPair {
            driver: Some(Arc::new(driver)),
            floor: crate::registry::Floor::RawWsApi(Box::new(floor)),
        })
    }
}
