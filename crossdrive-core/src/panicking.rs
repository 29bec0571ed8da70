//! Knowing that a panic happened on this thread while a request was in
//! flight, before whatever catches it has answered.
//!
//! A panic's hook runs before the panic unwinds to whatever catches it, and
//! the default hook may symbolize a backtrace (`RUST_BACKTRACE=1` or
//! `full`) for a second or more in a debug build on a busy machine. When
//! the handler runs on the test's own thread (a socket connection served on
//! the test's runtime), that thread is held meanwhile; when it resumes, the
//! client's timer has fired and the 500 the server makes of the panic is
//! still a few polls away. So crossdrive chains a hook of its own in front
//! of the previous one: it counts the panic on its thread, then calls the
//! previous hook unchanged. The guard reads the count to wait, briefly, for
//! the panic's outcome instead of calling it a timeout (see
//! [`crate::guard`]).
//!
//! The count is a thread-local cell: reading it on a request's first poll
//! costs a load.

use std::cell::Cell;
use std::sync::Once;

thread_local! {
    /// Panics that began on this thread.
    static HERE: Cell<u64> = const { Cell::new(0) };
}

/// What the count said when a request began.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen {
    here: u64,
}

impl Seen {
    /// The count now; installs the hook on first use.
    pub(crate) fn now() -> Self {
        install();
        Self {
            here: HERE.try_with(Cell::get).unwrap_or(0),
        }
    }

    /// A panic began on this thread since `self`: a handler that ran on the
    /// caller's thread (`direct`, a connection served on the test's
    /// runtime) panicked. This thread runs one test, so the panic is that
    /// test's; another thread's may be any test's.
    pub(crate) fn panicked_here(self) -> bool {
        HERE.try_with(Cell::get).unwrap_or(0) != self.here
    }
}

/// Chains crossdrive's counting hook in front of the current one, once per
/// process. Not while this thread panics: `set_hook` refuses then.
fn install() {
    static INSTALL: Once = Once::new();
    if INSTALL.is_completed() || std::thread::panicking() {
        return;
    }
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = HERE.try_with(|here| here.set(here.get() + 1));
            previous(info);
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_on_this_thread_is_seen_here() {
        let before = Seen::now();
        assert!(!before.panicked_here());
        let payload = std::panic::catch_unwind(|| panic!("counted")).unwrap_err();
        assert_eq!(crate::guard::panic_message(&*payload), "counted");
        assert!(before.panicked_here());
    }

    #[test]
    fn a_panic_on_another_thread_is_not_seen_here() {
        let before = Seen::now();
        let _ = std::thread::spawn(|| panic!("elsewhere")).join();
        assert!(!before.panicked_here());
    }
}
