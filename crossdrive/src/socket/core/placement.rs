//! Where a request's exchange runs, bounded by the driver's timeout, and
//! the pools a driver sends through.
//!
//! A test's exchange runs on the test's own runtime, with the driver's own
//! pool, whose connections the server hands over to be served on that
//! runtime too; from no tokio runtime it is spawned on the server's
//! runtime with the server's fallback pool (see the `server` modules). The
//! bench's runs inline on its runtime, wherever its topology put the
//! server.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::Error;
use crate::guard::{Interrupted, guarded};
use tokio::runtime::Handle;

use super::super::handoff::Handoffs;
use super::{ConnKind, Failure};

/// Where a driver's requests run.
pub(crate) enum Placement<K: ConnKind> {
    /// On the caller's runtime, connections served wherever the server
    /// accepts them: the bench, whose topology places the server.
    Inline,
    /// A test's driver. Inside a tokio runtime: on that runtime, with the
    /// driver's own pool, whose connections the server hands over to be
    /// served on the same runtime. From no tokio runtime: spawned on the
    /// server's runtime with the server's `fallback` pool.
    Suite {
        server: Handle,
        fallback: Arc<K::Pool>,
        handoffs: Arc<Handoffs>,
    },
    /// Spawned on the server's runtime, where a client that keeps its own
    /// connections (the reqwest transport) keeps them.
    #[cfg(feature = "remote")]
    Server(Handle),
}

/// What every driver of one kind (a TCP flavor, HTTP/3) on one server
/// shares, made on first use and kept with the server: the target, and
/// the fallback pool of requests made from no tokio runtime, whose
/// connections live on the server's thread.
pub(crate) struct Clients<K: ConnKind> {
    target: OnceLock<Arc<K::Target>>,
    fallback: OnceLock<Arc<K::Pool>>,
}

impl<K: ConnKind> Default for Clients<K> {
    fn default() -> Self {
        Self {
            target: OnceLock::new(),
            fallback: OnceLock::new(),
        }
    }
}

impl<K: ConnKind> Clients<K> {
    /// The target, made by `make` the first time.
    pub(crate) fn target(
        &self,
        make: impl FnOnce() -> Result<K::Target, Error>,
    ) -> Result<Arc<K::Target>, Error> {
        if let Some(target) = self.target.get() {
            return Ok(Arc::clone(target));
        }
        let built = Arc::new(make()?);
        Ok(Arc::clone(self.target.get_or_init(|| built)))
    }

    /// The target, if one was made.
    pub(crate) fn made(&self) -> Option<&K::Target> {
        self.target.get().map(|target| &**target)
    }

    /// A test's driver's own pool and placement, given the server's
    /// runtime (`None`: the server runs on the caller's runtime, so the
    /// driver runs inline, with nothing to hand over).
    pub(crate) fn for_test(
        &self,
        server: Option<Handle>,
        target: Arc<K::Target>,
        handoffs: &Arc<Handoffs>,
    ) -> (Arc<K::Pool>, Placement<K>) {
        let Some(server) = server else {
            return Placement::inline(target);
        };
        let fallback = match self.fallback.get() {
            Some(pool) => Arc::clone(pool),
            None => {
                let built = Arc::new(K::pool(Arc::clone(&target), None));
                Arc::clone(self.fallback.get_or_init(|| built))
            }
        };
        let own = K::pool(target, Some(Arc::clone(handoffs)));
        let placement = Placement::Suite {
            server,
            fallback,
            handoffs: Arc::clone(handoffs),
        };
        (Arc::new(own), placement)
    }
}

impl<K: ConnKind> Placement<K> {
    /// A pool of its own that runs inline on the caller's runtime, its
    /// connections served wherever the server accepts them; only for
    /// callers whose runtime outlives the driver (the bench).
    pub(crate) fn inline(target: Arc<K::Target>) -> (Arc<K::Pool>, Self) {
        (Arc::new(K::pool(target, None)), Self::Inline)
    }

    /// Runs `exchange` on the pool and runtime this placement calls for
    /// (`own` is the driver's pool), bounded by `limit`.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        own: &Arc<K::Pool>,
        limit: Duration,
        exchange: F,
    ) -> Result<T, Failure>
    where
        F: FnOnce(Arc<K::Pool>) -> Fut,
        Fut: Future<Output = Result<T, Failure>> + Send + 'static,
        T: Send + 'static,
    {
        match self {
            Self::Inline => inline(limit, exchange(Arc::clone(own))).await,
            Self::Suite {
                server,
                fallback,
                handoffs,
            } => {
                if Handle::try_current().is_err() {
                    return on_server(server, limit, exchange(Arc::clone(fallback))).await;
                }
                // Connections served on a test's runtime outlive a stopped
                // server's runtime; fail as the server-thread path would.
                if handoffs.is_closing() {
                    return Err(Failure::Gone("the server was stopped".into()));
                }
                guarded_inline(limit, exchange(Arc::clone(own))).await
            }
            #[cfg(feature = "remote")]
            Self::Server(server) => on_server(server, limit, exchange(Arc::clone(own))).await,
        }
    }

    /// Runs `exchange`, which needs no pool (a client that keeps its own
    /// connections), inline or on the server's runtime, bounded by `limit`.
    #[cfg(feature = "remote")]
    pub(crate) async fn run_unpooled<T, Fut>(
        &self,
        limit: Duration,
        exchange: Fut,
    ) -> Result<T, Failure>
    where
        Fut: Future<Output = Result<T, Failure>> + Send + 'static,
        T: Send + 'static,
    {
        match self {
            Self::Inline => inline(limit, exchange).await,
            Self::Server(server) | Self::Suite { server, .. } => {
                on_server(server, limit, exchange).await
            }
        }
    }
}

/// The exchange on the caller's runtime, bounded by its own timer: the
/// bench's path, whose runtime has timers by construction.
async fn inline<F, T>(limit: Duration, exchange: F) -> Result<T, Failure>
where
    F: Future<Output = Result<T, Failure>>,
{
    tokio::time::timeout(limit, exchange)
        .await
        .unwrap_or(Err(Failure::TimedOut))
}

/// The exchange on a test's runtime, bounded by crossdrive's own timer
/// thread: it fires even if the test's runtime has no timers or stopped
/// being driven, and tokio's panic on a runtime without IO (or timers)
/// becomes an error.
pub(crate) async fn guarded_inline<F, T>(limit: Duration, exchange: F) -> Result<T, Failure>
where
    F: Future<Output = Result<T, Failure>>,
{
    match guarded(limit, exchange).await {
        Ok(outcome) => outcome,
        Err(Interrupted::TimedOut(_)) => Err(Failure::TimedOut),
        Err(Interrupted::Panicked(message)) => Err(Failure::Panicked(message)),
    }
}

/// The exchange spawned on the server's runtime, for callers outside any
/// tokio runtime (and the reqwest transport).
async fn on_server<F, T>(server: &Handle, limit: Duration, exchange: F) -> Result<T, Failure>
where
    F: Future<Output = Result<T, Failure>> + Send + 'static,
    T: Send + 'static,
{
    let task = server.spawn(exchange);
    let abort = task.abort_handle();
    match guarded(limit, task).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(join)) => Err(Failure::Gone(join.into())),
        Err(Interrupted::TimedOut(_)) => {
            abort.abort();
            Err(Failure::TimedOut)
        }
        Err(Interrupted::Panicked(message)) => Err(Failure::Gone(message.into())),
    }
}
