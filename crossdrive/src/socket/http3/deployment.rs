//! `http3` in the driver registry: the shared HTTP/3 server over QUIC,
//! floored by one raw h3 connection to a server of its own.

use std::sync::Arc;

use axum::Router;

use super::{HTTP3_KNOWN_DIFFERENCES, Http3Server};
use crate::registry::{Deployment, Registration};
use crate::{ConnectOptions, Driver, Error};

/// `http3`: HTTP/3 over QUIC on UDP loopback.
pub(crate) const HTTP3: Registration = Registration {
    deployment: || Arc::new(Http3),
    differences: HTTP3_KNOWN_DIFFERENCES,
};

/// The `http3` deployment.
struct Http3;

impl Deployment for Http3 {
    fn connect(&self, app: Router, options: &ConnectOptions) -> Result<Arc<dyn Driver>, Error> {
        Ok(Arc::new(
            Http3Server::shared()?
                .http3(app)?
                .timeout(options.get_timeout()),
        ))
    }

    #[cfg(feature = "websocket")]
    fn websocket_differences(&self) -> Vec<(&'static str, &'static str)> {
        super::driver::websocket_differences()
    }

    #[cfg(feature = "bench")]
    fn bench_pair(
        &self,
        app: &dyn Fn() -> Router,
        server: crate::registry::Server,
    ) -> Result<crate::registry::FloorPair, Error> {
        use crate::registry::{Floor, FloorPair, Server};
        let label = "bench-http3";
        // As for the TCP drivers: here puts the server's endpoint on the
        // bench's runtime, its own thread beside it.
        let server = match server {
            Server::Here => Http3Server::start_here(label)?,
            Server::OwnThread => Http3Server::start(label)?,
        };
        Ok(FloorPair {
            driver: Some(Arc::new(super::Http3Driver::inline(&server, app())?)),
            floor: Floor::RawH3(super::raw::RawH3::new(&server, app())?),
        })
    }
}
