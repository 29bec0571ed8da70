//! [`Exchange`]: what a socket driver is built around, whatever its
//! connection kind: the app it mounted, where its requests run, its
//! timeout and body limit, and the server it keeps alive.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::direct::{DEFAULT_BODY_LIMIT, DEFAULT_TIMEOUT};
use http::HeaderValue;

use super::super::routes::Mount;
use super::{ConnError, ConnKind, Failure, Placement};

/// One driver's app, placement and limits.
pub(crate) struct Exchange<K: ConnKind> {
    name: &'static str,
    /// The origin errors name.
    origin: String,
    pub(super) mount: Mount,
    placement: Placement<K>,
    pub(crate) timeout: Duration,
    pub(crate) body_limit: usize,
    _server: Arc<dyn std::any::Any + Send + Sync>,
}

impl<K: ConnKind> Exchange<K> {
    /// The driver `name` sending to `origin` for the app `mount`, its
    /// requests run where `placement` says; `server` lives as long as it.
    pub(crate) fn new(
        name: &'static str,
        origin: String,
        mount: Mount,
        placement: Placement<K>,
        server: Arc<dyn std::any::Any + Send + Sync>,
    ) -> Self {
        Self {
            name,
            origin,
            mount,
            placement,
            timeout: DEFAULT_TIMEOUT,
            body_limit: DEFAULT_BODY_LIMIT,
            _server: server,
        }
    }

    /// The driver's name, in errors.
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// The origin errors name.
    pub(crate) fn origin(&self) -> &str {
        &self.origin
    }

    /// The driver's `Debug`, as the public type `driver` (its name,
    /// origin and timeout).
    pub(crate) fn debug(&self, f: &mut std::fmt::Formatter<'_>, driver: &str) -> std::fmt::Result {
        f.debug_struct(driver)
            .field("name", &self.name)
            .field("origin", &self.origin)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }

    /// The app header's value routing a request to this driver's app.
    pub(crate) fn app(&self) -> &HeaderValue {
        self.mount.header()
    }

    /// Runs `exchange(pool, app header)` on the pool and runtime the
    /// placement calls for (`own` is the driver's pool), bounded by the
    /// timeout.
    pub(crate) async fn run<T, F, Fut>(&self, own: &Arc<K::Pool>, exchange: F) -> Result<T, Failure>
    where
        F: FnOnce(Arc<K::Pool>, HeaderValue) -> Fut,
        Fut: Future<Output = Result<T, ConnError>> + Send + 'static,
        T: Send + 'static,
    {
        let app = self.app().clone();
        let exchange = |pool| {
            let call = exchange(pool, app);
            async move { call.await.map_err(Failure::Conn) }
        };
        self.placement.run(own, self.timeout, exchange).await
    }

    /// Runs `exchange`, which brings its own client, where the placement
    /// calls for, bounded by the timeout.
    #[cfg(feature = "remote")]
    pub(crate) async fn run_unpooled<T, Fut>(&self, exchange: Fut) -> Result<T, Failure>
    where
        Fut: Future<Output = Result<T, Failure>> + Send + 'static,
        T: Send + 'static,
    {
        self.placement.run_unpooled(self.timeout, exchange).await
    }
}
