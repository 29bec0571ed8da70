//! The TCP socket drivers in the driver registry: `http1`, `http2`,
//! `http2-tls` and `http1-fresh` on the shared loopback servers, each
//! floored by one raw hyper `client::conn` connection to a server of the
//! same kind.

use std::sync::Arc;

use axum::Router;

use super::{Flavor, HTTP1_KNOWN_DIFFERENCES, HTTP2_KNOWN_DIFFERENCES, SocketDriver, SocketServer};
use crate::registry::{Deployment, Registration};
use crate::{ConnectOptions, Driver, Error};

/// `http1`: HTTP/1.1 on pooled keep-alive connections.
pub(crate) const HTTP1: Registration = Registration {
    deployment: || Arc::new(Socket(Flavor::Http1)),
    differences: HTTP1_KNOWN_DIFFERENCES,
};

/// `http2`: h2c, HTTP/2 by prior knowledge.
pub(crate) const HTTP2: Registration = Registration {
    deployment: || Arc::new(Socket(Flavor::Http2)),
    differences: HTTP2_KNOWN_DIFFERENCES,
};

/// `http2-tls`: HTTP/2 by ALPN over TLS.
#[cfg(feature = "tls")]
pub(crate) const HTTP2_TLS: Registration = Registration {
    deployment: || Arc::new(Socket(Flavor::Http2Tls)),
    differences: HTTP2_KNOWN_DIFFERENCES,
};

/// `http1-fresh`: HTTP/1.1, a new connection per request.
pub(crate) const HTTP1_FRESH: Registration = Registration {
    deployment: || Arc::new(Socket(Flavor::Http1Fresh)),
    differences: HTTP1_KNOWN_DIFFERENCES,
};

/// A TCP socket driver of one flavor.
struct Socket(Flavor);

impl Deployment for Socket {
    fn connect(&self, app: Router, options: &ConnectOptions) -> Result<Arc<dyn Driver>, Error> {
        #[cfg(feature = "tls")]
        let server = if self.0.tls() {
            SocketServer::shared_tls()?
        } else {
            SocketServer::shared()?
        };
        #[cfg(not(feature = "tls"))]
        let server = SocketServer::shared()?;
        Ok(Arc::new(
            SocketDriver::for_test(server, self.0, app)?.timeout(options.get_timeout()),
        ))
    }

    #[cfg(feature = "bench")]
    fn bench_pair(
        &self,
        app: &dyn Fn() -> Router,
        server: crate::registry::Server,
    ) -> Result<crate::registry::FloorPair, Error> {
        use crate::registry::{
            Floor, FloorPair, RAW_HYPER_HTTP1, RAW_HYPER_HTTP2, RAW_HYPER_HTTP2_TLS, Server,
        };
        let flavor = self.0;
        let label = format!("bench-{}", flavor.name());
        // Here: the server joins the bench's current-thread runtime. Its
        // own thread: the client stays here.
        let server = match server {
            Server::Here => SocketServer::start_here(flavor.tls(), &label)?,
            Server::OwnThread => {
                SocketServer::start(super::ServerOptions::new().tls(flavor.tls()).label(label))?
            }
        };
        let name = match flavor {
            Flavor::Http2 => RAW_HYPER_HTTP2,
            Flavor::Http2Tls => RAW_HYPER_HTTP2_TLS,
            Flavor::Http1 | Flavor::Http1Tls | Flavor::Http1Fresh => RAW_HYPER_HTTP1,
        };
        Ok(FloorPair {
            driver: Some(Arc::new(SocketDriver::inline(&server, flavor, app())?)),
            floor: Floor::RawHyper(name, super::raw::RawConn::new(&server, flavor, app())?),
        })
    }
}
