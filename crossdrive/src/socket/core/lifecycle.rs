//! A socket server's life, whatever it serves over: the parts it is made
//! of ([`Hosting`]: the address, the mounted apps, the handoff registry,
//! the closing signal, where its accept loop runs), its start on the
//! caller's runtime ([`start_here`]), the once-per-process shared instance
//! ([`shared`]), and [`Hosting::stop`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use crate::fixture::{Shutdown, record_start};
use crate::{Error, ErrorKind};
use tokio::runtime::Handle;
use tokio::sync::{oneshot, watch};

use super::super::handoff::Handoffs;
use super::super::routes::Routes;
use super::ConnKind;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Where the accept loop runs, and what stops it.
pub(crate) enum Place {
    /// On a thread of its own, with this runtime; dropping the thread's
    /// handle stops and joins it.
    Thread(Handle, #[allow(dead_code)] Box<dyn Send>),
    /// On a runtime that was already running (the bench's); dropping the
    /// sender stops the accept loop.
    Task(#[allow(dead_code)] oneshot::Sender<()>),
}

/// What a server is made of before its accept loop runs: the loop needs
/// the routes and the handoff registry.
pub(crate) struct Prepared {
    pub(crate) routes: Arc<Routes>,
    pub(crate) handoffs: Arc<Handoffs>,
    closing: watch::Sender<bool>,
}

impl Prepared {
    pub(crate) fn new() -> Self {
        let (closing, closed) = watch::channel(false);
        Self {
            routes: Arc::new(Routes::default()),
            handoffs: Arc::new(Handoffs::new(closed)),
            closing,
        }
    }

    /// The running server at `addr`, its accept loop where `place` says.
    pub(crate) fn placed<C: Default>(self, addr: SocketAddr, place: Place) -> Hosting<C> {
        Hosting {
            clients: C::default(),
            addr,
            routes: self.routes,
            handoffs: self.handoffs,
            closing: self.closing,
            place: Mutex::new(Some(place)),
        }
    }
}

/// A running server. `C` is what its drivers share (targets and fallback
/// pools), which the driver modules make and read.
pub(crate) struct Hosting<C> {
    // Declared before `place`: pools (and the connections they own) are
    // dropped before the runtime that drives them.
    pub(crate) clients: C,
    pub(crate) addr: SocketAddr,
    pub(crate) routes: Arc<Routes>,
    pub(crate) handoffs: Arc<Handoffs>,
    /// Closes the connections served on callers' runtimes: set by
    /// [`stop`](Hosting::stop), and dropped with the server.
    closing: watch::Sender<bool>,
    /// `None` once stopped.
    place: Mutex<Option<Place>>,
}

impl<C> Hosting<C> {
    /// The server runtime's handle: `Ok(None)` when requests run inline (a
    /// server on the caller's runtime), an error naming the driver `name`
    /// once stopped.
    pub(crate) fn runtime<K: ConnKind>(&self, name: &str) -> Result<Option<Handle>, Error> {
        let place = self.place.lock().unwrap_or_else(PoisonError::into_inner);
        match &*place {
            Some(Place::Thread(handle, _)) => Ok(Some(handle.clone())),
            Some(Place::Task(_)) => Ok(None),
            None => Err(Error::without_request(
                ErrorKind::Connection,
                name,
                format!("{} at {} is stopped", K::THE_SERVER, self.addr),
            )
            .with_hint(format!(
                "start a new {}; a stopped one does not restart",
                K::SERVER
            ))),
        }
    }

    /// Stops the server now: signals the connections served on callers'
    /// runtimes to close, and drops its accept loop (a thread's drop joins
    /// it). Stopping twice does nothing.
    pub(crate) fn stop(&self) {
        // Connections served on callers' runtimes do not die with the
        // server's runtime: they are told.
        self.closing.send_replace(true);
        let place = self
            .place
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // Dropped outside the lock: a thread's drop joins it.
        drop(place);
    }

    /// Whether the server is still serving (not stopped).
    pub(crate) fn is_running(&self) -> bool {
        self.place
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }
}

/// The server could not start: `cause` is the error met (or, for a shared
/// server that failed once, its message).
pub(crate) fn start_error<K: ConnKind>(what: &str, cause: impl Into<BoxError>) -> Error {
    Error::without_request(
        ErrorKind::Connection,
        what,
        format!("cannot start {}", K::THE_SERVER),
    )
    .with_source(cause)
    .with_hint(format!(
        "check that loopback networking is available and the process may open {}",
        K::SOCKETS
    ))
}

/// The server in `cell`, started by `start` on first use; a start that
/// failed fails every later call the same way.
pub(crate) fn shared<K: ConnKind, S>(
    cell: &'static OnceLock<Result<S, String>>,
    label: &str,
    start: impl FnOnce() -> Result<S, Error>,
) -> Result<&'static S, Error> {
    cell.get_or_init(|| start().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| start_error::<K>(label, e.clone()))
}

/// Starts a server on the current tokio runtime (the bench's same-thread
/// topology), counted and logged under `label` as `protocol`: `begin`
/// binds, and returns the address, the accept loop to spawn (which returns
/// when its shutdown resolves) and what else the server keeps (its TLS
/// material).
pub(crate) fn start_here<K, C, X, Fut>(
    label: &str,
    protocol: &str,
    begin: impl FnOnce(&Prepared, Shutdown) -> Result<(SocketAddr, Fut, X), BoxError>,
) -> Result<(Hosting<C>, X), Error>
where
    K: ConnKind,
    C: Default,
    Fut: Future<Output = ()> + Send + 'static,
{
    if Handle::try_current().is_err() {
        return Err(start_error::<K>(
            label,
            "start_here needs to run inside a tokio runtime",
        ));
    }
    let began = Instant::now();
    let prepared = Prepared::new();
    let (stop, shutdown) = Shutdown::pair();
    let (addr, serving, kept) =
        begin(&prepared, shutdown).map_err(|e| start_error::<K>(label, e))?;
    tokio::spawn(serving);
    record_start(label, addr, protocol, began.elapsed());
    Ok((prepared.placed(addr, Place::Task(stop)), kept))
}
