//! Connections the accept loop hands to the runtime that opened them.
//!
//! A client on a test's runtime binds its socket first, so it knows its
//! own address (`127.0.0.1:<port>`) before the connection exists, and
//! registers "a connection from this address: serve it on this runtime".
//! Then it connects. The accept loop, which runs on the server's thread,
//! claims the registration by the accepted stream's peer address and
//! spawns that connection's server side on the registered runtime, so the
//! whole exchange (client, connection tasks, TLS, the app) stays on the
//! test's thread. A peer with no registration (a reqwest transport, a
//! foreign client, a request from no runtime at all) is served on the
//! server's thread, as any server would.
//!
//! The registration cannot race the accept: it exists before the `connect`
//! call starts, and a peer address is unique while its socket is bound.
//! Claiming removes it; a [`Registration`] dropped unclaimed (the connect
//! failed, or the server stopped before accepting) removes its own entry,
//! but only its own: a later client that got the same port after this
//! socket closed holds a different token.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::runtime::Handle;
use tokio::sync::watch;

/// The registrations of one server, and the signal that closes every
/// connection served away from its thread.
pub(crate) struct Handoffs {
    waiting: Mutex<HashMap<SocketAddr, (u64, Handle)>>,
    next: AtomicU64,
    /// Becomes `true` (or loses its sender) when the server stops: a
    /// connection served on a test's runtime does not die with the server's
    /// runtime, so it watches this instead.
    closing: watch::Receiver<bool>,
}

impl Handoffs {
    /// A registry whose handed-over connections close when `closing`
    /// turns `true` or its sender is dropped.
    pub(crate) fn new(closing: watch::Receiver<bool>) -> Self {
        Self {
            waiting: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
            closing,
        }
    }

    /// Asks for the connection that will come from `from` to be served on
    /// `runtime`; the entry lives until claimed or until the returned
    /// registration is dropped.
    pub(crate) fn register(self: &Arc<Self>, from: SocketAddr, runtime: Handle) -> Registration {
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(from, (token, runtime));
        Registration {
            handoffs: Arc::clone(self),
            from,
            token,
        }
    }

    /// The runtime the connection from `peer` asked to be served on, if it
    /// registered; the registration is used up.
    pub(crate) fn claim(&self, peer: SocketAddr) -> Option<Handle> {
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&peer)
            .map(|(_, runtime)| runtime)
    }

    /// Resolves when the server stops (or is dropped).
    pub(crate) fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.clone();
        async move {
            let _ = closing.wait_for(|closing| *closing).await;
        }
    }

    /// Whether the server stopped (or was dropped).
    pub(crate) fn is_closing(&self) -> bool {
        *self.closing.borrow() || self.closing.has_changed().is_err()
    }

    /// How many registrations wait for their connection (for tests).
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// A registered client address; removes its entry when dropped unless the
/// accept loop claimed it first.
pub(crate) struct Registration {
    handoffs: Arc<Handoffs>,
    from: SocketAddr,
    token: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut waiting = self
            .handoffs
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if waiting
            .get(&self.from)
            .is_some_and(|(token, _)| *token == self.token)
        {
            waiting.remove(&self.from);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handoffs() -> (watch::Sender<bool>, Arc<Handoffs>) {
        let (tx, rx) = watch::channel(false);
        (tx, Arc::new(Handoffs::new(rx)))
    }

    #[test]
    fn a_claimed_registration_is_used_up_and_an_unclaimed_one_removes_itself() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (_tx, handoffs) = handoffs();
        let from: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let claimed = handoffs.register(from, runtime.handle().clone());
        assert!(handoffs.claim(from).is_some());
        assert!(handoffs.claim(from).is_none());
        drop(claimed);
        let unclaimed = handoffs.register(from, runtime.handle().clone());
        drop(unclaimed);
        assert_eq!(handoffs.waiting(), 0);
    }

    #[test]
    fn an_old_registration_never_removes_a_newer_one_for_the_same_address() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (_tx, handoffs) = handoffs();
        let from: SocketAddr = "127.0.0.1:40001".parse().unwrap();
        let old = handoffs.register(from, runtime.handle().clone());
        assert!(handoffs.claim(from).is_some());
        let new = handoffs.register(from, runtime.handle().clone());
        drop(old);
        assert!(
            handoffs.claim(from).is_some(),
            "the newer entry was removed"
        );
        drop(new);
    }
}
